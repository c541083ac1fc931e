"""Catalogue: malformed and hostile CSV files, read with ``feedbackloop.read("csv", ...)``.

Each case writes its bytes into ``tmp_path`` and expects either an error of the
library's tree that names the file and the line (and column where one is to
blame), or a series whose values are checked.
"""

from __future__ import annotations

import codecs
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import feedbackloop as fl
from feedbackloop.adapters.csv import CsvAdapter
from feedbackloop.errors import AdapterOptionError, SourceReadError, SpreadsheetReadError
from reliability._catalogue import Raises, case

H = "geography,period,value,moe"


def text(*rows: str) -> bytes:
    return "".join(r + "\n" for r in rows).encode("utf-8")


def big(rows: int, bad_at: int, bad: str) -> bytes:
    """A file past the adapter's 1 MB sample, with one bad row at file line ``bad_at``."""
    body = [f"{i:05d},2020,{i},1" for i in range(rows)]
    body[bad_at - 2] = bad
    return text(H, *body)


Check = Callable[[fl.IndicatorSeries], None]


def values(expected: list[float], geos: list[str] | None = None) -> Check:
    def check(s: fl.IndicatorSeries) -> None:
        assert s.frame["value"].tolist() == expected
        if geos is not None:
            assert s.frame["geography"].tolist() == geos

    return check


ERRORS = [
    case(
        "csv",
        "ragged-long-row",
        text(H, "06,2020,1,0.5", "06,2021,2,0.5,9"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 3", "4 fields"),
    ),
    case(
        "csv",
        "ragged-short-row",
        text(H, "06,2020,1,0.5", "06,2021"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 3", "4 fields"),
    ),
    case(
        "csv",
        "unclosed-quote-mid-file",
        text(H, '06,2020,"1,0.5', "06,2021,2,0.5"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2"),
    ),
    case(
        "csv",
        "stray-quote-in-period",
        text(H, '06,20"20,1,0.5'),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2", "'period'"),
    ),
    case("csv", "empty-file", b"", {}, Raises(SourceReadError, "{name}", "empty")),
    case("csv", "blank-lines-only", b"\n\n\r\n", {}, Raises(SourceReadError, "{name}", "empty")),
    case("csv", "whitespace-only", b"   \n \t \n", {}, Raises(SourceReadError, "{name}")),
    case(
        "csv",
        "duplicate-headers",
        text("geography,period,value,value", "06,2020,1,2"),
        {},
        Raises(SourceReadError, "{name}", "'value'", "repeat"),
    ),
    case(
        "csv",
        "empty-header-cell",
        text("geography,,value", "06,x,1"),
        {},
        Raises(SourceReadError, "{name}", "header cells [2]"),
    ),
    case(
        "csv",
        "trailing-delimiter-header",
        text("geography,period,value,", "06,2020,1,"),
        {},
        Raises(SourceReadError, "{name}", "header cells [4]"),
    ),
    case(
        "csv",
        "formula-as-value",
        text(H, "06,2020,=1+1,0.5"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2", "'value'", "=1+1"),
    ),
    case(
        "csv",
        "formula-dde-as-moe",
        text(H, "06,2020,1,=cmd|' /C calc'!A0"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2", "'moe'", "not a number", "=cmd|"),
    ),
    case(
        "csv",
        "letters-before-number",
        text(H, "06,2020,x12,1"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2", "'x12'", "not a number"),
    ),
    case(
        "csv",
        "suppression-marker-before-number",
        text(H, "06,2020,<5,1", "07,2020,1,~3"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2 ('<5')", "line 3 ('~3')"),
    ),
    case(
        "csv",
        "long-bad-value-quoted-short",
        text(H, "06,2020,x" + "y" * 500 + ",1"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2", r"\('xy{{60,}}'\.\.\.\)", regex=True),
    ),
    case(
        "csv",
        "negative-moe",
        text(H, "06,2020,1,0.5", "06,2021,1,-0.5"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 3", "negative moe"),
    ),
    case(
        "csv",
        "non-numeric-value",
        text(H, "06,2020,1,0.5", "06,2021,abc,0.5"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 3", "not a number", "'abc'"),
    ),
    case(
        "csv",
        "non-numeric-moe",
        text(H, "06,2020,5,abc"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2", "'moe'"),
    ),
    case(
        "csv",
        "two-decimal-points",
        text(H, "06,2020,1.2.3,1"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2", "'value'"),
    ),
    case(
        "csv",
        "duplicate-keys",
        text(H, "06,2020,1,0.5", "06,2020,2,0.5"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2", "line 3", "repeats the key"),
    ),
    case(
        "csv",
        "bad-period",
        text(H, "06,20x0,1,0.5"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2", "not a period"),
    ),
    case(
        "csv",
        "empty-period",
        text(H, "06,,5,1"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2", "'period'"),
    ),
    case(
        "csv",
        "impossible-month",
        text(H, "06,2020-13,5,1"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2", "'period'"),
    ),
    case(
        "csv",
        "empty-geography",
        text(H, ",2020,5,1"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2", "no geography"),
    ),
    case(
        "csv",
        "infinite-value",
        text(H, "06,2020,inf,0.5"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2", "not a finite number"),
    ),
    case(
        "csv",
        "nan-text-value",
        text(H, "06,2020,nan,0.5"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2", "not a finite number"),
    ),
    case(
        "csv",
        "overflowing-number",
        text(H, "06,2020,1e400,0.5"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2", "'value'"),
    ),
    case(
        "csv",
        "nul-byte-in-value",
        text(H, "06,2020,1\x00,0.5"),
        {},
        Raises(SourceReadError, "{name}", "not a text CSV file"),
    ),
    case("csv", "nul-bytes-only", b"\x00" * 100, {}, Raises(SourceReadError, "{name}")),
    case(
        "csv",
        "no-value-column",
        text("geography,period", "06,2020"),
        {},
        Raises(SourceReadError, "{name}", "no value column", "value="),
    ),
    case(
        "csv",
        "semicolon-delimited",
        text("geography;period;value", "06;2020;1"),
        {},
        Raises(SourceReadError, "{name}", "geography;period;value"),
    ),
    case(
        "csv",
        "5000-columns-no-value",
        text(",".join(f"c{i}" for i in range(5000)), "1," * 4999 + "1"),
        {},
        Raises(SourceReadError, "{name}", "no value column"),
    ),
    case(
        "csv",
        "named-column-missing",
        text(H, "06,2020,1,0.5"),
        {"value": "estimate"},
        Raises(SourceReadError, "{name}", "'estimate'", "'geography', 'period', 'value'"),
    ),
    case(
        "csv",
        "named-column-wrong-case",
        text(H, "06,2020,1,0.5"),
        {"geography": "Geography"},
        Raises(SourceReadError, "{name}", "did you mean 'geography'"),
    ),
    case(
        "csv",
        "fips-lost-leading-zero",
        text("geography,period,value", "6,2020,1", "06,2021,2"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2 ('6')", "leading zero"),
    ),
    case(
        "csv",
        "fips-lost-leading-zero-mixed-levels",
        text("geography,period,value", "6,2020,1", "06,2021,2", "06001,2021,3", "6001,2020,4"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2 ('6')", "line 5 ('6001')", "leading zero"),
    ),
    case(
        "csv",
        "misspelt-option",
        text(H, "06,2020,1,0.5"),
        {"unitt": "count"},
        Raises(AdapterOptionError, "unitt", "unit"),
    ),
    case(
        "csv",
        "bad-errors-option",
        text(H, "06,2020,1,0.5"),
        {"errors": "ignore"},
        Raises(SourceReadError, "errors must be"),
    ),
    case(
        "csv",
        "cp1252-forced-utf8",
        text(H) + "Montréal,2020,1,0.5\n".encode("cp1252"),
        {"encoding": "utf-8"},
        Raises(SourceReadError, "{name}", "encoding"),
    ),
    case(
        "csv",
        "bad-row-past-the-sample",
        big(60_000, 59_000, "59000,2020,lots,1"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 59000", "'lots'"),
    ),
    case(
        "csv",
        "ragged-row-past-the-sample",
        big(60_000, 59_999, "59999,2020"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 59999", "4 fields"),
    ),
    case(
        "csv",
        "multiline-quoted-then-bad",
        text(H, '"0\n6",2020,1,0.5', "06,2021,x,0.5"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 4", "'x'"),
    ),
    case(
        "csv",
        "zip-archive-named-csv",
        b"PK\x03\x04" + bytes(range(256)) * 4,
        {},
        Raises(SourceReadError, "{name}", "not a text CSV file"),
    ),
    case(
        "csv",
        "png-named-csv",
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        {},
        Raises(SourceReadError, "{name}", "not a text CSV file"),
    ),
    case(
        "csv",
        "huge-field-2MB",
        text(H, "06,2020," + "9" * 2_000_000 + ",0.5"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2", "longer than 131,072 characters"),
    ),
    case(
        "csv",
        "huge-quoted-field-in-the-sample",
        text(H, "06,2020,1,0.5", '"' + "a" * 200_000 + '",2020,1,0.5'),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 3", "longer than"),
    ),
    case(
        "csv",
        "unclosed-quote-runs-past-the-limit",
        text(H, '06,2020,"1,0.5', *(["06,2021,2,0.5" + "x" * 100] * 2000)),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 2"),
    ),
    case(
        "csv",
        "mixed-utf8-and-cp1252",
        text(H, "Montréal,2020,1,0.5") + "Québec,2020,2,0.5\n".encode("cp1252"),
        {},
        Raises(SourceReadError, "{name}", "line 3", "0xe9", "'Montréal", "encoding="),
    ),
    case(
        "csv",
        "mixed-encodings-past-the-sample",
        big(60_000, 10, "Montréal,2020,1,0.5")[:-1] + "\nQuébec,2020,2,0.5\n".encode("cp1252"),
        {},
        Raises(SourceReadError, "{name}", "line 60002", "0xe9", "encoding="),
    ),
    case(
        "csv",
        "utf8-given-but-not-past-the-sample",
        big(60_000, 10, "Q10,2020,1,0.5")[:-1] + "\nQuébec,2020,2,0.5\n".encode("cp1252"),
        {"encoding": "utf-8"},
        Raises(SourceReadError, "{name}", "utf-8", "line 60002", "0xe9", "encoding="),
    ),
    case(
        "csv",
        "negative-count",
        text("geography,period,value", "06,2020,4", "06,2021,-5"),
        {},
        Raises(SpreadsheetReadError, "{name}", "line 3", "'value'"),
    ),
]

OUTPUTS = [
    case("csv", "utf8-bom", codecs.BOM_UTF8 + text(H, "06,2020,1,0.5"), {}, values([1.0], ["06"])),
    case(
        "csv",
        "utf16-bom",
        "geography,period,value\n06,2020,1\n".encode("utf-16"),
        {},
        values([1.0], ["06"]),
    ),
    case(
        "csv",
        "cp1252-guessed",
        text(H) + "Montréal,2020,1,0.5\n".encode("cp1252"),
        {},
        values([1.0], ["Montréal"]),
    ),
    case(
        "csv", "crlf-line-ends", text(H, "06,2020,1,0.5").replace(b"\n", b"\r\n"), {}, values([1.0])
    ),
    case(
        "csv",
        "cr-only-line-ends",
        text(H, "06,2020,1,0.5", "07,2020,2,0.5").replace(b"\n", b"\r"),
        {},
        values([1.0, 2.0], ["06", "07"]),
    ),
    case("csv", "no-final-newline", text(H, "06,2020,1,0.5")[:-1], {}, values([1.0])),
    case("csv", "header-only", text(H), {}, values([])),
    case(
        "csv",
        "formula-text-kept-as-text",
        text(H, "=cmd|' /C calc'!A0,2020,1,0.5"),
        {},
        values([1.0], ["=cmd|' /C calc'!A0"]),
    ),
    case(
        "csv",
        "padded-header-names",
        text(" geography , period ,value ,moe", "06,2020,1,0.5"),
        {},
        values([1.0]),
    ),
    case("csv", "quoted-thousands", text(H, '06,2020,"1,234",1'), {}, values([1234.0])),
    case("csv", "percent-sign", text(H, "06,2020,50%,1"), {}, values([50.0])),
    case("csv", "unterminated-quote-at-eof", text(H, '06,2020,1,"0.5'), {}, values([1.0])),
    case("csv", "quoted-newline-in-key", text(H, '"a\nb",2020,1,0.5'), {}, values([1.0], ["a\nb"])),
    case(
        "csv",
        "missing-markers-are-statuses",
        text(H, "06,2020,N/A,", "07,2020,-,"),
        {},
        lambda s: (
            (
                s.frame["status"].tolist() == ["not_available", "missing"]
                and all(math.isnan(v) for v in s.frame["value"])
            )
            or pytest.fail(str(s.frame))
        ),
    ),
    case(
        "csv",
        "cp1252-past-the-sample",
        big(60_000, 10, "Q10,2020,1,0.5")[:-1] + "\nQuébec,2020,2,0.5\n".encode("cp1252"),
        {},
        lambda s: s.frame["geography"].iloc[-1] == "Québec" or pytest.fail(str(s.frame)),
    ),
]


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "partner data.csv"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("data", "options", "expect"), ERRORS)
def test_bad_csv_raises_a_located_error(
    tmp_path: Path, data: bytes, options: dict[str, Any], expect: Raises
) -> None:
    path = _write(tmp_path, data)
    expect.check(lambda: fl.read("csv", path, **{"unit": "count", **options}), name=path.name)


@pytest.mark.parametrize(("data", "options", "check"), OUTPUTS)
def test_odd_csv_reads_safely(
    tmp_path: Path, data: bytes, options: dict[str, Any], check: Check
) -> None:
    path = _write(tmp_path, data)
    series = fl.read("csv", path, **{"unit": "count", **options})
    check(series)


@pytest.mark.catalogue("csv")
def test_missing_file_and_folder(tmp_path: Path) -> None:
    Raises(SourceReadError, "nope.csv", "cannot open").check(
        lambda: fl.read("csv", tmp_path / "nope.csv", unit="count")
    )
    (tmp_path / "dir.csv").mkdir()
    Raises(SourceReadError, "dir.csv").check(
        lambda: fl.read("csv", tmp_path / "dir.csv", unit="count")
    )


@pytest.mark.catalogue("csv")
def test_collect_keeps_good_rows_and_lists_the_bad(tmp_path: Path) -> None:
    path = _write(tmp_path, text(H, "06,2020,1,0.5", "07,2020,x,0.5", "08,2020,3,-1"))
    result = CsvAdapter().read_report(path, unit="count")
    assert result.series.frame["geography"].tolist() == ["06"]
    assert sorted(result.rejected["location"]) == ["line 3", "line 4"]
    assert set(result.rejected["column"]) == {"value", "moe"}
