"""Spreadsheet shapes that used to pass wrongly: blank GeoCodes, negative counts, FIPS codes
that lost their leading zero, and files that are not text CSV at all.

Each test writes a small file of the shape in question (never a copy of a real file).
"""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import feedbackloop as fl
from feedbackloop import TOTAL, Indicator, IndicatorSeries
from feedbackloop.adapters._tabular import CellProblems, _check_zero_twins, _Key
from feedbackloop.adapters.csv import CodesPaddedWarning, CsvAdapter, SpreadsheetReadError
from feedbackloop.errors import SeriesValidationError, SourceReadError
from feedbackloop.units import is_count

csv = CsvAdapter()


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def geo_values(series: IndicatorSeries) -> dict[str, float]:
    """Geography -> value, for a series with one row per geography."""
    frame = series.frame
    assert frame["geography"].is_unique
    return dict(zip(frame["geography"], frame["value"], strict=True))


# ------------------------------------------------------ Open SDG: blank GeoCodes

# The national total (no name, no code), provinces named with their code on some rows
# and without it on others, and a province the file never codes.
SDG_PROVINCES = (
    "Year,Geography,Units,GeoCode,Value\n"
    "2020,,Number,,1000\n"
    "2020,Ontario,Number,35,400\n"
    "2021,Ontario,Number,,410\n"
    "2020,Quebec,Number,,300\n"
    "2021,,Number,,1010\n"
)


def test_open_sdg_blank_geocode_takes_the_place_name(tmp_path: Path) -> None:
    s = csv.read(write(tmp_path, SDG_PROVINCES))
    assert s.dimensions == ()  # Geography names the place: not a dimension
    frame = s.frame.set_index(["geography", "period"])["value"]
    assert frame[(TOTAL, "2020")] == 1000.0
    assert frame[(TOTAL, "2021")] == 1010.0
    assert frame[("35", "2020")] == 400.0
    assert frame[("35", "2021")] == 410.0  # the name, coded by the file's own 2020 row
    assert frame[("Quebec", "2020")] == 300.0  # a name the file never codes stays a name
    assert len(s) == 5


def test_open_sdg_place_names_mapped_to_codes(tmp_path: Path) -> None:
    path = write(tmp_path, SDG_PROVINCES)
    s = csv.read(path, code_mapping={"Geography": {"Quebec": "24"}})
    assert set(s.geographies) == {TOTAL, "35", "24"}
    assert float(s.filter(geography="24").frame["value"].iloc[0]) == 300.0


def test_open_sdg_without_a_geocode_column(tmp_path: Path) -> None:
    text = "Year,Region,Sex,Units,Value\n2020,,,Number,90\n2020,North,,Number,40\n"
    text += "2020,North,Female,Number,25\n2020,South,,Number,50\n"
    s = csv.read(write(tmp_path, text))
    assert s.dimensions == ("Sex",)
    frame = s.frame
    north = frame[(frame["geography"] == "North") & (frame["Sex"] == "Female")]
    assert north["value"].tolist() == [25.0]
    assert sorted(s.geographies) == sorted([TOTAL, "North", "South"])
    national = frame[frame["geography"] == TOTAL]
    assert national["value"].tolist() == [90.0]


def test_open_sdg_a_name_coded_two_ways_is_refused_on_its_uncoded_rows(tmp_path: Path) -> None:
    text = (
        "Year,Geography,Units,GeoCode,Value\n"
        "2020,Springfield,Number,17,1\n"
        "2021,Springfield,Number,29,2\n"
        "2022,Springfield,Number,,3\n"
    )
    with pytest.raises(SpreadsheetReadError, match="several GeoCodes") as info:
        csv.read(write(tmp_path, text))
    assert "line 4" in str(info.value) and "'Geography'" in str(info.value)


def test_open_sdg_place_names_option_and_two_place_columns(tmp_path: Path) -> None:
    text = (
        "Year,Country,Region,Units,Value\n"
        "2020,,,Number,100\n"
        "2020,Canada,,Number,60\n"
        "2020,,Ontario,Number,30\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(SourceReadError, match="place_names="):
        csv.read(path)
    s = csv.read(path, place_names="Region", dimensions=["Country"])
    assert s.dimensions == ("Country",)
    frame = s.frame
    assert frame.loc[frame["geography"] == "Ontario", "value"].tolist() == [30.0]


def test_open_sdg_discover_says_which_column_is_the_place(tmp_path: Path) -> None:
    info = fl.discover("csv", write(tmp_path, SDG_PROVINCES))
    assert info.extra["place_names"] == "Geography"
    assert info.extra["geography"] == "GeoCode"
    assert info.dimensions == ()
    note = next(n for n in info.notes if n.startswith("place of each row"))
    assert "GeoCode" in note and "'Geography'" in note


def test_open_sdg_fully_coded_file_is_unchanged(tmp_path: Path) -> None:
    text = (
        "Year,Country,Sex,Units,GeoCode,Value\n"
        "2020,England,,Number,E92000001,5\n"
        "2020,England,Male,Number,E92000001,3\n"
        "2020,Wales,Male,Number,W92000004,1\n"
        "2020,,,Number,,8\n"
        "2021,,,Number,K02000001,9\n"
    )
    s = csv.read(write(tmp_path, text))
    assert s.dimensions == ("Sex",)
    # Rows with neither a name nor a code get the one code the file gives such rows.
    assert set(s.geographies) == {"E92000001", "K02000001", "W92000004"}
    assert len(s.filter(geography="K02000001")) == 2


@pytest.mark.realdata
def test_ons_3_2_1_discover_names_country(realdata: Path) -> None:
    info = fl.discover("csv", realdata / "csv" / "ons-sdg-indicator_3-2-1.csv")
    assert info.extra["place_names"] == "Country"
    assert info.dimensions == ("Sex",)


# ---------------------------------------------------------------- negative counts


def test_negative_count_refused_with_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "geography,period,value\n06001,2020,5\n06003,2020,-2\n")
    with pytest.raises(SpreadsheetReadError, match="negative count") as info:
        csv.read(path, unit="people")
    err = info.value
    assert err.rejected is not None
    assert err.rejected[["location", "column", "value"]].values.tolist() == [
        ["line 3", "value", "-2.0"]
    ]
    report = csv.read_report(path, unit="count")
    assert report.series.frame["value"].tolist() == [5.0]
    assert report.rejected["location"].tolist() == ["line 3"]


def test_negative_values_of_other_units_and_signed_counts_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, "geography,period,value\n06001,2020,5\n06003,2020,-2\n")
    assert csv.read(path, unit="percent").frame["value"].tolist() == [5.0, -2.0]
    net = Indicator(
        id="net_jobs", name="Net new jobs", unit="jobs", direction="higher_is_better", signed=True
    )
    assert csv.read(path, indicator=net).frame["value"].tolist() == [5.0, -2.0]
    unsigned = Indicator(id="jobs", name="Jobs", unit="jobs", direction="higher_is_better")
    with pytest.raises(SpreadsheetReadError, match="signed=True"):
        csv.read(path, indicator=unsigned)


def test_negative_count_from_units_column_in_open_sdg(tmp_path: Path) -> None:
    text = "Year,Sex,Units,Value\n2020,,Number,10\n2020,Female,Number,-4\n"
    with pytest.raises(SpreadsheetReadError, match=r"negative count \(unit 'count'\)"):
        csv.read(write(tmp_path, text))


def test_negative_count_in_a_workbook_names_the_sheet_row(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl", reason="the excel extra is not installed")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in (["geography", "period", "value"], ["06001", 2020, 4], ["06003", 2020, -1]):
        ws.append(row)
    wb.save(tmp_path / "b.xlsx")
    with pytest.raises(SpreadsheetReadError, match="sheet 'Data' row 3"):
        fl.read("excel", tmp_path / "b.xlsx", unit="households")


def test_from_frame_refuses_negative_counts_unless_signed() -> None:
    df = pd.DataFrame({"geography": ["A", "B"], "period": ["2020", "2020"], "value": [3.0, -1.0]})
    people = Indicator(id="people", name="People", unit="people", direction="higher_is_better")
    with pytest.raises(SeriesValidationError, match=r"row 1 are negative \(-1.0\)"):
        IndicatorSeries.from_frame(df, indicator=people)
    with pytest.raises(SeriesValidationError, match="counts"):
        IndicatorSeries.from_frame(df, indicator=people, unit="count")
    signed = Indicator(
        id="change", name="Change", unit="people", direction="higher_is_better", signed=True
    )
    assert IndicatorSeries.from_frame(df, indicator=signed).frame["value"].tolist() == [3.0, -1.0]
    rate = Indicator(id="rate", name="Rate", unit="percent", direction="higher_is_better")
    assert len(IndicatorSeries.from_frame(df, indicator=rate)) == 2


@pytest.mark.parametrize(
    ("unit", "counts"),
    [
        ("people", True),
        ("count", True),
        ("households", True),
        ("jobs", True),
        ("percent", False),
        ("USD", False),
        ("per 1000 people", False),
        ("days", False),
        ("fraction", False),
        ("not a unit at all", False),
    ],
)
def test_is_count(unit: str, counts: bool) -> None:
    assert is_count(unit) is counts


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(st.integers(-50, 50), min_size=1, max_size=20))
def test_property_counts_read_iff_none_negative(tmp_path: Path, values: list[int]) -> None:
    lines = ["geography,period,value"] + [f"{i:05d},2020,{v}" for i, v in enumerate(values)]
    path = tmp_path / "p.csv"
    path.write_text("\n".join(lines) + "\n")
    report = csv.read_report(path, unit="people")
    negative = [i for i, v in enumerate(values) if v < 0]
    assert report.rejected["location"].tolist() == [f"line {i + 2}" for i in negative]
    assert report.series.frame["value"].tolist() == [float(v) for v in values if v >= 0]


# ---------------------------------------------------------------- FIPS widths


def test_fips_codes_one_digit_short_refused_without_a_level(tmp_path: Path) -> None:
    path = write(tmp_path, "geography,period,value\n6001,2020,5\n06075,2020,2\n1001,2020,7\n")
    with pytest.raises(SpreadsheetReadError, match="leading zero was lost") as info:
        csv.read(path, unit="people")
    message = str(info.value)
    assert "line 2 ('6001')" in message and "line 4 ('1001')" in message
    assert "'6001' -> '06001'" in message and "pad_codes=True" in message


def test_fips_codes_of_one_width_pass_without_a_level(tmp_path: Path) -> None:
    # 4-digit codes alone cannot be told from some other code: nothing is guessed.
    path = write(tmp_path, "geography,period,value\n6001,2020,5\n6075,2020,2\n")
    assert csv.read(path, unit="people").geographies == ("6001", "6075")
    # State + county GEOIDs side by side are both full widths.
    path = write(tmp_path, "geography,period,value\n06,2020,5\n06075,2020,2\n", "mixed.csv")
    assert csv.read(path, unit="people").geographies == ("06", "06075")


@pytest.mark.parametrize(
    ("level", "good", "short"),
    [
        ("state", "06", "6"),
        ("county", "06001", "6001"),
        ("place", "0653000", "653000"),
        ("tract", "06001400100", "6001400100"),
        ("block group", "060014001001", "60014001001"),
    ],
)
def test_fips_level_declared_refuses_then_pads(
    tmp_path: Path, level: str, good: str, short: str
) -> None:
    path = write(tmp_path, f"geography,period,value\n{short},2020,5\n{good},2021,2\n")
    with pytest.raises(SpreadsheetReadError, match="leading zero was lost"):
        csv.read(path, unit="people", geography_level=level)
    with pytest.warns(CodesPaddedWarning, match=f"{short} -> {good}"):
        s = csv.read(path, unit="people", geography_level=level, pad_codes=True)
    assert s.geographies == (good,)
    assert s.provenance is not None
    assert s.provenance.options["pad_codes"] is True


def test_fips_level_declared_refuses_codes_of_another_shape(tmp_path: Path) -> None:
    path = write(tmp_path, "geography,period,value\n06001,2020,5\nCA,2020,2\n060014001,2020,1\n")
    with pytest.raises(SpreadsheetReadError, match="not a county FIPS code") as info:
        csv.read(path, unit="people", geography_level="county", pad_codes=True)
    assert info.value.rejected is not None
    assert info.value.rejected["value"].tolist() == ["CA", "060014001"]
    with pytest.raises(SourceReadError, match="geography_level must be one of"):
        csv.read(path, unit="people", geography_level="zip")


def test_padding_without_a_level_pads_what_the_widths_show(tmp_path: Path) -> None:
    path = write(tmp_path, "geography,period,value\n6001,2020,5\n06075,2020,2\n")
    with pytest.warns(CodesPaddedWarning, match="padded 1 county FIPS code"):
        s = csv.read(path, unit="people", pad_codes=True)
    assert s.geographies == ("06001", "06075")


def test_padding_numeric_workbook_cells(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl", reason="the excel extra is not installed")
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["geography", "period", "value"], [6001, 2020, 4], ["06075", 2020, 1]):
        ws.append(row)
    wb.save(tmp_path / "b.xlsx")
    with pytest.raises(SpreadsheetReadError, match="stored as numbers"):
        fl.read("excel", tmp_path / "b.xlsx", unit="people")
    with pytest.warns(CodesPaddedWarning, match="6001 -> 06001"):
        s = fl.read(
            "excel", tmp_path / "b.xlsx", unit="people", geography_level="county", pad_codes=True
        )
    assert s.geographies == ("06001", "06075")


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(codes=st.sets(st.integers(1001, 9999), min_size=1, max_size=10))
def test_property_padded_county_codes_are_zero_filled(tmp_path: Path, codes: set[int]) -> None:
    ordered = sorted(codes)
    lines = ["geography,period,value", "06075,2019,1"] + [f"{c},2020,1" for c in ordered]
    path = tmp_path / "p.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.warns(CodesPaddedWarning):
        s = csv.read(path, unit="people", geography_level="county", pad_codes=True)
    got = s.filter(period="2020").frame["geography"].tolist()
    assert got == [f"0{c}" for c in ordered]
    assert all(len(g) == 5 for g in s.geographies)


# ------------------------------------------------------ not a text CSV at all


def _xlsx_bytes(tmp_path: Path) -> bytes:
    with zipfile.ZipFile(tmp_path / "book.zip", "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    return (tmp_path / "book.zip").read_bytes()


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_xlsx_bytes, "ZIP archive, such as an Excel workbook"),
        (lambda _: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF document"),
        (lambda _: gzip.compress(b"geography,period,value\n06,2020,1\n"), "gzip-compressed"),
        (lambda _: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), r"old-format Excel"),
        (lambda _: b"geography\x00,period\x00\n" + bytes(range(256)), "NUL bytes"),
    ],
)
def test_binary_files_are_not_read_as_csv(tmp_path: Path, make: Any, says: str) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(make(tmp_path))
    with pytest.raises(SourceReadError, match="not a text CSV file") as info:
        csv.read(path, geography="geography")
    assert says.replace("\\", "") in str(info.value).replace("\\", "")
    assert "names no column" not in str(info.value)
    with pytest.raises(SourceReadError, match="not a text CSV file"):
        csv.discover(path)


def test_control_bytes_without_nul_are_binary(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(bytes(b for b in range(1, 256) if b not in (9, 10, 12, 13)) * 40)
    with pytest.raises(SourceReadError, match="control bytes"):
        csv.read(path)


def test_utf16_with_bom_is_still_text(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes("geography,period,value\n06,2020,1\n".encode("utf-16"))
    assert csv.read(path, unit="count").geographies == ("06",)


def test_undecodable_text_names_the_encodings_tried(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(b"geography,period,value\nA\x81\x8d,2020,1\n")  # undefined in cp1252
    with pytest.raises(SourceReadError, match=r"neither utf-8 nor cp1252 \(tried both\)") as info:
        csv.read(path, unit="count")
    assert "encoding=" in str(info.value) and "0x81" in str(info.value)
    assert csv.read(path, unit="count", encoding="latin-1").geographies == ("A\x81\x8d",)


def test_wrong_declared_encoding_is_named(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes("geography,period,value\nZürich,2020,1\n".encode("latin-1"))
    with pytest.raises(SourceReadError, match=r"does not decode as utf-8 \(byte 0xfc"):
        csv.read(path, unit="count", encoding="utf-8")
    with pytest.raises(SourceReadError, match="not an encoding Python knows"):
        csv.read(path, unit="count", encoding="klingon")
    assert csv.read(path, unit="count").geographies == ("Zürich",)  # cp1252 guessed


def test_undecodable_bytes_past_the_sample_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    body = "".join(f"{i:05d},2020,1\n" for i in range(90_000))  # > 1 MB of UTF-8
    path.write_bytes(b"geography,period,value\n" + body.encode() + b"\x81\x8d,2021,1\n")
    with pytest.raises(SourceReadError, match="past the first megabyte"):
        csv.read(path, unit="count")


def test_excel_adapter_says_a_csv_is_text(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl", reason="the excel extra is not installed")
    path = tmp_path / "data.xlsx"
    path.write_text("geography,period,value\n06,2020,1\n")
    with pytest.raises(SourceReadError, match="read it with the csv adapter"):
        fl.read("excel", path, unit="count")


def test_one_code_written_with_and_without_its_zeros_is_refused(tmp_path: Path) -> None:
    # "6" beside "06" (and "6001" beside "06001"): one place, never two.
    path = write(
        tmp_path, "geography,period,value\n6,2020,1\n06,2021,2\n06001,2021,3\n6001,2020,4\n"
    )
    with pytest.raises(SpreadsheetReadError, match="leading zero") as info:
        csv.read(path, unit="people")
    assert info.value.rejected is not None
    assert info.value.rejected["value"].tolist() == ["6", "6001"]
    assert "geography_level=" not in str(info.value)  # two levels: no one level pads them
    state = write(tmp_path, "geography,period,value\n6,2020,1\n06,2021,2\n", "state.csv")
    with pytest.raises(SpreadsheetReadError, match=r"line 2 \('6'\)"):
        csv.read(state, unit="people")
    with pytest.warns(CodesPaddedWarning, match="6 -> 06"):
        s = csv.read(state, unit="people", geography_level="state", pad_codes=True)
    assert s.frame["geography"].tolist() == ["06", "06"]


@settings(max_examples=30, deadline=None)
@given(
    codes=st.lists(st.integers(1, 99_999), min_size=1, max_size=8, unique=True),
    lost=st.data(),
)
def test_property_a_code_and_its_unpadded_twin_never_make_two_places(
    codes: list[int], lost: st.DataObject
) -> None:
    twin = lost.draw(st.sampled_from(codes))
    labels = [f"{c:05d}" for c in codes] + [str(twin)]
    key = _Key(labels, np.arange(len(labels), dtype=np.int32))
    problems = CellProblems()
    _check_zero_twins(key, "geography", problems)
    expect = [] if len(str(twin)) == 5 else [str(twin)]
    assert [v for _, _, values, _ in problems.items for v in values] == expect
