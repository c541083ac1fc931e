"""The excel adapter, against workbooks written in the test with openpyxl."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import feedbackloop as fl
from feedbackloop import TOTAL
from feedbackloop.adapters.excel import ExcelAdapter, SpreadsheetReadError
from feedbackloop.errors import SourceReadError
from feedbackloop.testing import AdapterContractTests

openpyxl = pytest.importorskip("openpyxl", reason="the excel extra is not installed")
excel = ExcelAdapter()


def workbook(path: Path, sheets: dict[str, list[list[Any]]], merge: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if merge:
            ws.merge_cells(merge)
    wb.save(path)
    return path


TIDY = [
    ["geography", "period", "sex", "value", "moe"],
    ["06075", 2020, "F", 1200, 150],
    ["06075", 2020, "M", 1100.5, 140],
]


class TestExcelAdapterContract(AdapterContractTests):
    adapter_class = ExcelAdapter
    read_options = {"unit": "people"}  # noqa: RUF012 - read by the base class

    @pytest.fixture
    def source(self, tmp_path: Path) -> str:
        return str(workbook(tmp_path / "t.xlsx", {"Data": TIDY}))


def test_title_rows_and_merged_title_above_the_header(tmp_path: Path) -> None:
    rows = [
        ["Enrollment by sex, San Francisco", None, None, None, None],
        ["Source: partner report", None, None, None, None],
        [None, None, None, None, None],
        *TIDY,
        [None, None, None, None, None],
        ["06075", "2021", "F", "1,300", "N/A"],
    ]
    path = workbook(tmp_path / "titled.xlsx", {"Enrollment": rows}, merge="A1:E1")
    s = fl.read(None, path, unit="people")
    assert s.dimensions == ("sex",)
    assert s.frame["value"].tolist() == [1200.0, 1100.5, 1300.0]
    assert s.frame["moe"].isna().tolist() == [False, False, True]
    assert [str(p) for p in s.periods] == ["2020", "2021"]
    info = excel.discover(path)
    assert info.extra["header_row"] == 4 and info.extra["sheet"] == "Enrollment"
    assert info.columns == ("geography", "period", "sex", "value", "moe") and info.rows == 3


def test_sheets_by_name_and_position(tmp_path: Path) -> None:
    other = [
        ["Year", "Sex", "Units", "Value"],
        [2020, None, "Percentage (%)", 50],
        [2020, "Male", "Percentage (%)", 48],
    ]
    path = workbook(tmp_path / "two.xlsx", {"Notes": [["nothing here"]], "SDG": other})
    s = excel.read(path, sheet="SDG")
    assert s.unit == "percent" and s.categories("Sex") == ("Male", TOTAL)
    assert excel.read(path, sheet=1).table.equals(s.table)
    assert excel.discover(path, sheet=1).extra["sheets"] == ("Notes", "SDG")
    with pytest.raises(SourceReadError, match=r"no sheet named 'Data'.*'Notes', 'SDG'"):
        excel.read(path, sheet="Data")
    with pytest.raises(SourceReadError, match="out of range"):
        excel.read(path, sheet=5)


def test_explicit_header_row(tmp_path: Path) -> None:
    rows = [["a", "b", "c", "d", "e"], *TIDY]
    path = workbook(tmp_path / "h.xlsx", {"S": rows})
    s = excel.read(path, header_row=2, unit="people")
    assert len(s) == 2


def test_bad_cells_are_listed_with_sheet_rows(tmp_path: Path) -> None:
    rows = [["Title", None, None, None], ["geography", "period", "value", "x"]]
    rows += [["A", 2020, 1, None], ["B", 2020, "lots", None], ["C", "20x1", 3, None]]
    path = workbook(tmp_path / "bad.xlsx", {"S": rows}, merge="A1:D1")
    with pytest.raises(SpreadsheetReadError) as info:
        excel.read(path, unit="count", dimensions=[])
    msg = str(info.value)
    assert "sheet 'S' row 4 ('lots')" in msg and "sheet 'S' row 5 ('20x1')" in msg
    result = excel.read_report(path, unit="count", dimensions=[])
    assert result.series.geographies == ("A",)
    assert len(result.rejected) == 2


def test_numeric_place_codes_are_refused(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "fips.xlsx", {"S": [["geography", "period", "value"], [6075, 2020, 1]]}
    )
    with pytest.raises(SpreadsheetReadError, match="lose leading zeros"):
        excel.read(path, unit="count")


def test_kids_count_layout_in_a_workbook(tmp_path: Path) -> None:
    rows = [
        ["Location", "Category", "TimeFrame", "DataFormat", "Data"],
        ["Colorado", "All Students", 2011, "Percent", 0.03],
        ["Colorado", "Female Students", 2011, "Percent", 0.028],
        ["Colorado", "Black Students", 2011, "Percent", "N/A"],
    ]
    s = excel.read(workbook(tmp_path / "k.xlsx", {"S": rows}))
    assert s.unit == "fraction" and s.dimensions == ("race", "sex")
    assert s.frame["status"].tolist() == ["estimate", "estimate", "not_available"]


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(SourceReadError, match="no such file"):
        excel.read(tmp_path / "missing.xlsx")
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a zip")
    with pytest.raises(SourceReadError, match="cannot open the workbook"):
        excel.read(junk)
    assert excel.can_read("a.XLSX") and not excel.can_read("a.csv")


def test_openpyxl_is_imported_lazily() -> None:
    code = (
        "import sys, feedbackloop.adapters.excel, feedbackloop.adapters.csv; "
        "print('openpyxl' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_openpyxl_gives_an_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = workbook(tmp_path / "t.xlsx", {"S": TIDY})
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(fl.errors.MissingDependencyError, match=r"feedbackloop\[excel\]"):
        excel.read(path, unit="people")


def test_formula_without_a_calculated_value_is_refused_with_its_cell(tmp_path: Path) -> None:
    # openpyxl writes formulas without values, as tools that do not calculate do.
    rows = [
        ["geography", "period", "value", "note"],
        ["06", 2020, 1, "=D9"],
        ["07", 2020, "=C2*2", None],
        ["08", 2020, None, None],
    ]
    path = workbook(tmp_path / "f.xlsx", {"S": rows})
    with pytest.raises(SpreadsheetReadError) as info:
        excel.read(path, unit="count")
    message = str(info.value)
    assert "column 'value': a formula without a calculated value (cell C3)" in message
    assert "sheet 'S' row 3 ('=C2*2')" in message and "LibreOffice" in message
    assert "column 'note'" in message and "cell D2" in message
    # A column that is not read does not matter; an empty cell stays a missing value.
    result = excel.read_report(path, unit="count", dimensions=[])
    assert result.series.frame["geography"].tolist() == ["06", "08"]
    assert result.series.frame["status"].tolist() == ["estimate", "missing"]
    assert result.rejected[["location", "column", "value"]].values.tolist() == [
        ["sheet 'S' row 3", "value", "=C2*2"]
    ]
