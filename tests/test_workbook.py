"""Workbooks partners open in Excel: round trips, withheld cells, formulas, sheet names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import feedbackloop as fl
from feedbackloop import TOTAL, Indicator, IndicatorSeries, Status
from feedbackloop._util import FORMULA_TRIGGERS
from feedbackloop.agreements import DataSharingAgreement
from feedbackloop.cli import main
from feedbackloop.errors import WorkbookError
from feedbackloop.examples import example_path
from feedbackloop.io import load_loop
from feedbackloop.privacy import ExportRefusedError
from feedbackloop.workbook import README, sheet_names, write_series, write_workbook

openpyxl = pytest.importorskip("openpyxl", reason="workbooks need the excel extra")

RATE = Indicator(id="rate", name="Youth rate: 16-24", unit="percent", direction="lower_is_better")
MENTEES = Indicator(
    id="mentees_served", name="Students matched", unit="students", direction="higher_is_better"
)
WITHHELD = {s.value for s in Status if s.is_suppressed}


def _rate_series() -> IndicatorSeries:
    df = pd.DataFrame(
        {
            "geography": ["06001", "06001", "06001", "06075", "06075"],
            "period": ["2018-2022"] * 5,
            "sex": ["=HYPERLINK(1)", "'quoted", TOTAL, "-5", "+x"],
            "value": [12.25, np.nan, 9.5, np.nan, 3.5],
            "moe": [1.5, np.nan, np.nan, np.nan, 0.0],
            "status": [
                "estimate",
                "suppressed",
                "moe_not_computable",
                "not_available",
                "controlled",
            ],
        }
    )
    return IndicatorSeries.from_frame(df, indicator=RATE, dimensions=["sex"])


def _cells(path: Path) -> list[tuple[str, int, list[Any]]]:
    """Every row of every sheet: (sheet, row number, values)."""
    wb = openpyxl.load_workbook(path)
    return [
        (ws.title, i, list(row))
        for ws in wb.worksheets
        for i, row in enumerate(ws.iter_rows(values_only=True), start=1)
    ]


def _assert_same(read: IndicatorSeries, series: IndicatorSeries) -> None:
    assert read.dimensions == series.dimensions
    assert read.unit == series.unit
    assert read.table.column_names == series.table.column_names
    for name in read.table.column_names:
        assert read.table.column(name).to_pylist() == series.table.column(name).to_pylist(), name


def test_series_reads_back_equal_through_the_excel_adapter(tmp_path: Path) -> None:
    series = _rate_series()
    path = series.to_excel(tmp_path / "rate.xlsx", places={"06001": "Alameda County"})
    assert openpyxl.load_workbook(path).sheetnames == [README, "Youth rate- 16-24"]
    read = fl.read("excel", path, sheet="Youth rate- 16-24", dimensions=["sex"], indicator=RATE)
    _assert_same(read, series)
    assert read.table.equals(series.table)


def test_sheet_layout_frozen_header_formats_and_place_names(tmp_path: Path) -> None:
    path = _rate_series().to_excel(tmp_path / "rate.xlsx", places={"06001": "Alameda County"})
    ws = openpyxl.load_workbook(path).worksheets[1]
    assert ws.freeze_panes == "A3"
    assert ws["A1"].value == "Youth rate: 16-24 (percent)"
    header = [c.value for c in ws[2]]
    assert header == ["geography", "place_name", "period", "sex", "value", "moe", "status"]
    assert [ws["A3"].value, ws["B3"].value, ws["B6"].value] == ["06001", "Alameda County", None]
    assert ws["E3"].number_format == '0.0"%"' and ws["F3"].number_format == '0.0"%"'
    assert ws["A3"].data_type == "s"  # place codes are text: leading zeros kept
    assert ws.column_dimensions["B"].width >= len("Alameda County")


def test_number_formats_follow_the_unit(tmp_path: Path) -> None:
    formats = {}
    for unit in ("people", "USD", "fraction", "per 1,000 people"):
        ind = Indicator(id="i", name="I", unit=unit, direction="higher_is_better")
        df = pd.DataFrame({"geography": ["x"], "period": ["2022"], "value": [0.5]})
        path = IndicatorSeries.from_frame(df, indicator=ind).to_excel(tmp_path / "u.xlsx")
        formats[unit] = openpyxl.load_workbook(path).worksheets[1]["C3"].number_format
    assert formats == {
        "people": "#,##0",
        "USD": '"$"#,##0',
        "fraction": "0.0%",
        "per 1,000 people": "#,##0.0##",
    }


def test_text_that_would_run_is_neutralised_and_no_cell_is_a_formula(tmp_path: Path) -> None:
    path = _rate_series().to_excel(tmp_path / "rate.xlsx")
    wb = openpyxl.load_workbook(path)
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert "'=HYPERLINK(1)" in texts and "'+x" in texts and "'quoted" in texts and "-5" in texts
    assert not [t for t in texts if t.startswith(FORMULA_TRIGGERS) and t != "-5"]


def _mentees() -> IndicatorSeries:
    rows = {"A": 3, "B": 40, "C": 35, TOTAL: 78}
    df = pd.DataFrame(
        {"geography": "06075", "period": "2023", "race": list(rows), "value": list(rows.values())}
    )
    return IndicatorSeries.from_frame(df, indicator=MENTEES, dimensions=["race"])


def _agreement() -> DataSharingAgreement:
    return DataSharingAgreement(
        id="mentoring_data",
        parties=["Mentoring nonprofit", "Backbone"],
        format="pdf",
        indicators=["mentees_served"],
        audiences={"public": {"threshold": 11}},
    )


def test_audience_build_leaves_out_what_the_agreement_withholds(tmp_path: Path) -> None:
    pytest.importorskip("scipy", reason="complementary suppression needs the privacy extra")
    loop = load_loop(example_path())
    data = {"mentees_served": _mentees(), "rate": _rate_series()}
    with pytest.raises(ExportRefusedError, match="mentoring_data"):
        write_workbook(loop, data, tmp_path / "none.xlsx", agreements=[_agreement()])
    path = write_workbook(
        loop,
        data,
        tmp_path / "public.xlsx",
        audience="public",
        as_of=dt.date(2025, 3, 3),
        agreements=[_agreement()],
    )
    cells = _cells(path)
    numbers = [v for _, _, row in cells for v in row if isinstance(v, int | float)]
    # 3 is withheld, and a complementary cell with it: neither 3 nor the cell that,
    # subtracted from the total 78, would give it back appears anywhere as a number
    assert 3 not in numbers and not ({40, 35} <= set(numbers))
    statuses = [row[-1] for name, _, row in cells if name == "Students matched"]
    assert statuses.count("suppressed") == 1 and statuses.count("suppressed_complementary") == 1
    readme = [row for name, _, row in cells if name == README]
    assert readme[1][:2] == ["As of", "2025-03-03"] and readme[2][1] == "public"
    backbone = write_workbook(
        loop, data, tmp_path / "bb.xlsx", audience="backbone", agreements=[_agreement()]
    )
    assert 3 in [v for _, _, row in _cells(backbone) for v in row]


def test_withheld_rows_never_hold_a_number_anywhere(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "geography": ["a", "b", "c"],
            "period": "2023",
            "value": [0.25, np.nan, np.nan],
            "numerator": [5.0, np.nan, np.nan],
            "denominator": [20.0, np.nan, np.nan],
            "status": ["estimate", "suppressed_derived", "suppressed_complementary"],
        }
    )
    ind = Indicator(id="share", name="Share", unit="fraction", direction="higher_is_better")
    path = IndicatorSeries.from_frame(df, indicator=ind).to_excel(tmp_path / "s.xlsx")
    rows = [row for name, n, row in _cells(path) if name == "Share" and n > 2]
    assert rows[0] == ["a", "2023", 0.25, "estimate", 5, 20]
    for row in rows:
        if row[3] in WITHHELD:
            assert not [v for v in row if isinstance(v, int | float)], row


def test_sheet_names_are_legal_unique_and_short() -> None:
    names = sheet_names(["Rate: a/b", "rate- a-b", "README", "x" * 40, "x" * 40, "'q'", "?"])
    assert names == [
        "Rate- a-b",
        "rate- a-b (2)",
        "README (2)",
        "x" * 31,
        "x" * 27 + " (2)",
        "q",
        "-",
    ]
    assert all(len(n) <= 31 for n in names)
    assert len({n.casefold() for n in names}) == len(names)


def test_indicators_with_the_same_name_get_their_own_sheets(tmp_path: Path) -> None:
    loop = load_loop(example_path())
    twin = Indicator(id="rate_b", name=RATE.name, unit="percent", direction="lower_is_better")
    other = IndicatorSeries.from_frame(
        pd.DataFrame({"geography": ["x"], "period": ["2022"], "value": [1.0]}), indicator=twin
    )
    path = write_workbook(loop, {"rate": _rate_series(), "rate_b": other}, tmp_path / "t.xlsx")
    assert openpyxl.load_workbook(path).sheetnames == [
        README,
        "Youth rate- 16-24",
        "Youth rate- 16-24 (2)",
    ]
    read = fl.read("excel", path, sheet="Youth rate- 16-24 (2)", dimensions=[], indicator=twin)
    _assert_same(read, other)


def test_cells_a_workbook_cannot_hold_are_refused_with_their_place(tmp_path: Path) -> None:
    df = pd.DataFrame({"geography": ["x"], "period": ["2022"], "sex": ["a\x01b"], "value": [1.0]})
    series = IndicatorSeries.from_frame(df, indicator=RATE, dimensions=["sex"])
    with pytest.raises(WorkbookError, match=r"row 3 column 'sex'.*control character"):
        series.to_excel(tmp_path / "bad.xlsx")
    with pytest.raises(WorkbookError, match="not a sheet name Excel accepts"):
        _rate_series().to_excel(tmp_path / "bad.xlsx", sheet="a/b")
    assert not (tmp_path / "bad.xlsx").exists()


def test_values_with_seventeen_digits_read_back_to_sixteen(tmp_path: Path) -> None:
    df = pd.DataFrame({"geography": ["x"], "period": ["2022"], "value": [0.1 + 0.2]})
    path = IndicatorSeries.from_frame(df, indicator=RATE).to_excel(tmp_path / "f.xlsx")
    read = fl.read("excel", path, sheet=1, dimensions=[], indicator=RATE)
    assert read.frame["value"][0] == pytest.approx(0.1 + 0.2, rel=1e-15)


def test_cli_writes_the_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "loop.xlsx"
    assert main(["workbook", "-o", str(out), "--audience", "public", "--as-of", "2025-03-03"]) == 0
    assert "workbook written" in capsys.readouterr().out
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == README and len(wb.sheetnames) > 2


# ---------------------------------------------------------------- hypothesis

_LABEL = st.text(alphabet="ab'=+-@ 1", min_size=1, max_size=6).filter(
    lambda s: s == s.strip() and s != TOTAL
)
_VALUE = st.integers(-(10**9), 10**9).map(lambda n: n / 100)
_STATUS = st.sampled_from(
    ["estimate", "controlled", "moe_not_computable", "missing", "suppressed", "not_available"]
)


@st.composite
def _series(draw: st.DrawFn) -> IndicatorSeries:
    keys = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["06001", "06075", "x"]), st.sampled_from(["2021", "2022"]), _LABEL
            ),
            min_size=1,
            max_size=12,
            unique=True,
        )
    )
    statuses = [draw(_STATUS) for _ in keys]
    values = [draw(_VALUE) if Status(s).has_value else np.nan for s in statuses]
    moes = [
        abs(draw(_VALUE)) if s == "estimate" else (0.0 if s == "controlled" else np.nan)
        for s in statuses
    ]
    df = pd.DataFrame(keys, columns=["geography", "period", "group"])
    df = df.assign(value=values, moe=moes, status=statuses)
    ind = Indicator(id="h", name="H", unit="USD", direction="higher_is_better", signed=True)
    return IndicatorSeries.from_frame(df, indicator=ind, dimensions=["group"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(series=_series())
def test_any_series_reads_back_equal(tmp_path: Path, series: IndicatorSeries) -> None:
    path = write_series(series, tmp_path / "h.xlsx", places={"06001": "Alameda"})
    read = fl.read("excel", path, sheet="H", dimensions=["group"], indicator=series.indicator)
    _assert_same(read, series)
