"""The csv adapter: real partner files, layouts, number cleaning, errors, properties."""

from __future__ import annotations

import math
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import feedbackloop as fl
from feedbackloop import TOTAL, Indicator, IndicatorSeries, Status
from feedbackloop.adapters.csv import CsvAdapter, SpreadsheetReadError
from feedbackloop.errors import AdapterWarning, FeedbackloopError, SourceReadError
from feedbackloop.testing import AdapterContractTests

csv = CsvAdapter()


def value(series: IndicatorSeries, **where: str) -> float:
    frame = series.frame
    mask = np.ones(len(frame), dtype=bool)
    for col, want in where.items():
        mask &= (frame[col] == want).to_numpy()
    assert mask.sum() == 1, f"{where} matches {mask.sum()} rows"
    return float(frame.loc[mask, "value"].iloc[0])


def write(tmp_path: Path, text: str, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# ------------------------------------------------------------------ contract


class TestCsvAdapterContract(AdapterContractTests):
    adapter_class = CsvAdapter

    @pytest.fixture
    def source(self, tmp_path: Path) -> str:
        return str(write(tmp_path, "geography,period,sex,value\n06075,2020,F,1\n06075,2020,M,2\n"))

    read_options = {"unit": "people"}  # noqa: RUF012 - read by the base class


def test_registered_and_chosen_by_suffix(tmp_path: Path) -> None:
    path = write(tmp_path, "geography,period,value\n06,2020,1\n")
    assert fl.read(None, path, unit="count").frame["geography"].tolist() == ["06"]
    assert csv.can_read("x.CSV") and not csv.can_read("x.xlsx")
    assert not csv.can_read("https://example.org/x.csv")


# ---------------------------------------------------------- real files (ONS)


@pytest.mark.realdata
def test_ons_1_2_1_open_sdg_without_options(realdata: Path) -> None:
    s = csv.read(realdata / "csv" / "ons-sdg-indicator_1-2-1.csv")
    assert len(s) == 294
    assert s.unit == "percent"
    assert s.dimensions == ("Age", "Sex")  # attribute columns are not dimensions
    assert len(s.periods) == 14 and str(s.periods[0]) == "2005"
    assert value(s, period="2005", Sex=TOTAL, Age=TOTAL) == 19.0
    assert value(s, period="2005", Sex="Female", Age="75 and over") == 31.0
    assert value(s, period="2018", Sex=TOTAL, Age=TOTAL) == 18.9
    assert s.geographies == (TOTAL,)
    assert s.provenance is not None and s.provenance.adapter == "csv"


@pytest.mark.realdata
def test_ons_3_2_1_geocodes_and_the_uk_total(realdata: Path) -> None:
    s = csv.read(realdata / "csv" / "ons-sdg-indicator_3-2-1.csv")
    assert len(s) == 322
    assert s.unit == "per 1,000 live births"
    assert s.dimensions == ("Sex",)  # Country only names the GeoCode's place
    assert value(s, geography="E92000001", period="2000", Sex="Male") == 7.11
    assert value(s, geography="E92000001", period="2000", Sex="Female") == 5.85
    assert value(s, geography="E92000001", period="2000", Sex=TOTAL) == 6.49
    assert value(s, geography="S92000003", period="2000", Sex="Male") == 7.57
    assert value(s, geography="S92000003", period="2000", Sex="Female") == 5.87
    assert value(s, geography="S92000003", period="2000", Sex=TOTAL) == 6.71
    assert value(s, geography="W92000004", period="2000", Sex=TOTAL) == 6.23
    # The UK total is coded "" for 2000-2020 and K02000001 for 2021: one place.
    uk = s.filter(geography="K02000001")
    assert len(uk) == 66 and len(uk.periods) == 22
    assert value(s, geography="K02000001", period="2000", Sex=TOTAL) == 6.55
    assert s.geographies == ("E92000001", "K02000001", "K04000001", "S92000003", "W92000004")
    assert len(s.filter(geography="K04000001")) == 58


@pytest.mark.realdata
def test_ons_2_2_1_missing_values_keep_their_status(realdata: Path) -> None:
    s = csv.read(realdata / "csv" / "ons-sdg-indicator_2-2-1.csv")
    frame = s.frame
    assert len(s) == 429
    assert (frame["status"] == "missing").sum() == 29
    assert frame.loc[frame["status"] == "missing", "value"].isna().all()
    assert frame.loc[frame["status"] == "estimate", "value"].notna().sum() == 400
    base = {"Ethnic group": TOTAL, "Index of Multiple Deprivation (IMD)": TOTAL, "Sex": TOTAL}
    assert value(s, period="2019/20", **base, **{"Urban or rural": TOTAL}) == 1.993427972
    assert value(s, period="2019/20", **base, **{"Urban or rural": "Rural"}) == 1.887383507
    assert str(s.periods[0]) == "2006/07" and str(s.periods[-1]) == "2021/22"


@pytest.mark.realdata
def test_ons_10_3_1_multi_year_periods(realdata: Path) -> None:
    s = csv.read(realdata / "csv" / "ons-sdg-indicator_10-3-1.csv")
    assert len(s) == 99
    assert "Household income" in s.dimensions
    assert "Less than £10,000" in s.categories("Household income")
    headline = dict.fromkeys(s.dimensions, TOTAL)
    expected = {
        "2007/08 to 2008/09": 0.2871760101585322,
        "2009/10 to 2011/12": 0.26548725411789453,
        "2012/13 to 2014/15": 0.20815248327309177,
        "2015/16 to 2017/18": 0.16201904630946332,
        "2017/18 to 2019/20": 0.171625609741123,
    }
    for period, want in expected.items():
        assert value(s, period=period, **headline) == want
    periods = [str(p) for p in s.periods]
    assert periods == list(expected)
    assert s.periods[3].overlaps(s.periods[4])
    assert (s.frame["status"] == "missing").sum() == 1


@pytest.mark.realdata
def test_ons_column_and_code_mapping_files(realdata: Path) -> None:
    folder = realdata / "csv"
    s = csv.read(
        folder / "ons-sdg-indicator_1-2-1.csv",
        column_mapping=folder / "ons-sdg-column_mapping.csv",
        code_mapping=folder / "ons-sdg-code_mapping.csv",
    )
    assert s.dimensions == ("AGE", "SEX")
    assert set(s.categories("SEX")) == {"F", "M", TOTAL}
    assert "Y16T24" in s.categories("AGE")  # "16 to 24" -> Y16T24
    assert "15 and under" in s.categories("AGE")  # not in the code map: kept
    assert value(s, period="2005", SEX="F", AGE="75 and over") == 31.0
    from feedbackloop.adapters._tabular import load_code_mapping, load_column_mapping

    cols = load_column_mapping(folder / "ons-sdg-column_mapping.csv")
    codes = load_code_mapping(folder / "ons-sdg-code_mapping.csv")
    assert len(cols) == 15 and cols["Observation status"] == "OBS_STATUS"
    assert sum(len(v) for v in codes.values()) == 95
    assert codes["UNIT_MEASURE"]["Rate per 1,000 live births"] == "PER_1000_LIVE_BIRTHS"
    assert codes["UNIT_MULT"]["Units"] == "0"


@pytest.mark.realdata
def test_ons_3_2_1_discover_is_from_a_sample(realdata: Path) -> None:
    info = fl.discover("csv", realdata / "csv" / "ons-sdg-indicator_3-2-1.csv")
    assert info.adapter == "csv" and info.rows == 322
    assert info.dimensions == ("Sex",)
    assert info.units == ("Rate per 1,000 live births",)
    assert info.extra["layout"] == "open_sdg"
    assert any("GeoCode" in n for n in info.notes)


# ------------------------------------------------------ real files (KIDS COUNT)


@pytest.mark.realdata
def test_kids_count_dropout_splits_sex_and_race(realdata: Path) -> None:
    s = csv.read(realdata / "csv" / "headcount-dropout-rates-by-race-and-ethnicity.csv")
    assert len(s) == 3620
    assert s.dimensions == ("race", "sex")
    assert s.unit == "fraction"
    co11 = {"geography": "Colorado", "period": "2011"}
    assert value(s, **co11, sex=TOTAL, race=TOTAL) == 0.03
    assert value(s, **co11, sex="Female", race=TOTAL) == 0.028
    assert value(s, **co11, sex="Male", race=TOTAL) == 0.032
    assert value(s, **co11, sex=TOTAL, race="Native American") == 0.065
    assert value(s, **co11, sex=TOTAL, race="Hispanic") == 0.049
    assert value(s, geography="Colorado", period="2012", sex=TOTAL, race=TOTAL) == 0.029
    assert value(s, geography="Colorado", period="2012", sex=TOTAL, race="Black") == 0.044
    frame = s.frame
    # Margins, never a cross-classification: a sex row is all races and vice versa.
    assert not ((frame["sex"] != TOTAL) & (frame["race"] != TOTAL)).any()
    assert (frame["status"] == "not_available").sum() == 40
    assert len(s.geographies) == 181


@pytest.mark.realdata
def test_kids_count_income_acs_ranges_and_missing_markers(realdata: Path) -> None:
    s = csv.read(realdata / "csv" / "headcount-median-household-income.csv")
    assert len(s) == 905 and s.unit == "USD" and s.dimensions == ()
    for period, want in {
        "2005-2009": 56222,
        "2006-2010": 56456,
        "2007-2011": 57685,
        "2008-2012": 58244,
        "2009-2013": 58433,
    }.items():
        assert value(s, geography="Colorado", period=period) == want
    assert value(s, geography="ACADEMY 20", period="2009-2013") == 89953
    counts = s.frame["status"].value_counts().to_dict()
    assert counts == {"estimate": 895, "not_available": 8, "missing": 2}
    assert [str(p) for p in s.periods] == [
        "2005-2009",
        "2006-2010",
        "2007-2011",
        "2008-2012",
        "2009-2013",
    ]


# ------------------------------------------------------------- tidy mapping


def test_tidy_column_mapping_and_code_mapping(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "GEOID,yr,Gender,Est,Err,Num,Den\n06075,2020,Male,10,2,5,50\n06075,2020,Female,12,3,6,50\n",
    )
    s = csv.read(
        path,
        geography="GEOID",
        period="yr",
        value="Est",
        moe="Err",
        numerator="Num",
        denominator="Den",
        dimensions=["Gender"],
        column_mapping={"Gender": "sex"},
        code_mapping={"sex": {"Male": "M", "Female": "F"}},
        unit="percent",
        indicator="Share employed",
    )
    assert s.dimensions == ("sex",)
    assert s.indicator.id == "share_employed"
    frame = s.frame
    assert frame["sex"].tolist() == ["M", "F"]
    assert frame["moe"].tolist() == [2.0, 3.0]
    assert frame["numerator"].tolist() == [5.0, 6.0]
    assert frame["geography"].tolist() == ["06075", "06075"]  # leading zero kept


def test_indicator_object_and_unit_check(tmp_path: Path) -> None:
    path = write(tmp_path, "geography,period,value\n06,2020,5%\n")
    ind = Indicator(id="rate", name="Rate", unit="fraction", direction="lower_is_better")
    s = csv.read(path, indicator=ind)
    assert s.indicator is ind and s.unit == "percent"  # the file's unit, compatible
    bad = Indicator(id="n", name="N", unit="people", direction="higher_is_better")
    with pytest.raises(SourceReadError, match="does not fit indicator 'n'"):
        csv.read(path, indicator=bad)


def test_status_column_and_select(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "geography,period,Units,value,status\n"
        "A,2020,Number,5,\nA,2021,Number,,suppressed\nA,2020,Percentage (%),50,\n",
    )
    with pytest.raises(SourceReadError, match="several units"):
        csv.read(path)
    s = csv.read(path, select={"Units": "Number"}, status="status")
    assert s.unit == "count"
    assert s.frame["status"].tolist() == ["estimate", "suppressed"]
    bad = write(tmp_path, "geography,period,value,status\nA,2020,5,suppressed\n", "bad.csv")
    with pytest.raises(SpreadsheetReadError, match="says there is no value"):
        csv.read(bad, unit="count")


def test_wide_by_year_and_by_group(tmp_path: Path) -> None:
    path = write(tmp_path, "County,2019,2020,2021\nAlameda,1,2,3\nMarin,4,N/A,6\n")
    s = csv.read(path, geography="County", wide="period", unit="count")
    assert len(s) == 6
    assert value(s, geography="Marin", period="2021") == 6
    assert s.frame.set_index(["geography", "period"]).loc[("Marin", "2020"), "status"] == (
        "not_available"
    )
    path2 = write(tmp_path, "place,year,Female,Male\nA,2020,1,2\n", "groups.csv")
    s2 = csv.read(path2, geography="place", wide="sex", unit="count")
    assert s2.dimensions == ("sex",)
    assert value(s2, sex="Male") == 2
    bad = write(tmp_path, "place,2019,2020\nA,1,x\n", "badwide.csv")
    with pytest.raises(SpreadsheetReadError, match=r"line 2, column '2020'"):
        csv.read(bad, geography="place", wide="period", unit="count")


def test_category_map_for_other_files(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "place,year,group,value\nA,2020,All,10\nA,2020,Girls,6\nA,2020,Black girls,2\n",
    )
    cmap = {"All": {}, "Girls": {"sex": "F"}, "Black girls": {"sex": "F", "race": "Black"}}
    s = csv.read(path, category="group", category_map=cmap, unit="count")
    assert s.dimensions == ("race", "sex")
    assert value(s, sex="F", race="Black") == 2
    assert value(s, sex="F", race=TOTAL) == 6
    with pytest.raises(SpreadsheetReadError, match="not in the category map"):
        csv.read(path, category="group", category_map={"All": {}}, unit="count")


# ----------------------------------------------------------- number cleaning


def test_numbers_with_separators_signs_and_multipliers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'geography,period,value\nA,2020,"1,234.5"\nB,2020,$2\nC,2020,(3)\nD,2020, 4 \n'
        "E,2020,(X)\nF,2020,-\nG,2020,NA\n",
    )
    s = csv.read(path, unit="USD", multiplier=1000)
    frame = s.frame.set_index("geography")
    assert frame.loc["A", "value"] == 1_234_500
    assert frame.loc["B", "value"] == 2000
    assert frame.loc["C", "value"] == -3000
    assert frame.loc["D", "value"] == 4000
    assert frame.loc[["E", "F", "G"], "status"].tolist() == [
        "not_applicable",
        "missing",
        "not_available",
    ]
    assert frame.loc[["E", "F", "G"], "value"].isna().all()  # never 0


def test_decimal_comma_and_configurable_markers(tmp_path: Path) -> None:
    path = write(tmp_path, "geography;period;value\nA;2020;1.234,5\nB;2020;s\n")
    s = csv.read(
        path,
        delimiter=";",
        thousands=".",
        decimal=",",
        missing={"s": "suppressed"},
        unit="count",
    )
    assert s.frame["value"].tolist()[0] == 1234.5
    assert s.frame["status"].tolist() == ["estimate", "suppressed"]


def test_open_sdg_unit_multiplier(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Year,Sex,Unit multiplier,Units,Value\n2020,,Thousands,Number,1.5\n"
        "2020,Male,Units,Number,700\n2020,Female,6,Number,0.0008\n",
    )
    s = csv.read(path)
    assert s.frame["value"].tolist() == pytest.approx([1500.0, 700.0, 800.0])


def test_percent_sign_gives_the_unit(tmp_path: Path) -> None:
    s = csv.read(write(tmp_path, "geography,period,value\nA,2020,45%\nB,2020,5 %\n"))
    assert s.unit == "percent" and s.frame["value"].tolist() == [45.0, 5.0]


@pytest.mark.parametrize(
    "cell",
    ["x12", "<5", "~3", "USD 12", "=cmd|' /C calc'!A0", "12a", "1 2", "≈7", "N/A5", "*10"],
)
def test_text_around_a_number_is_refused_not_dropped(tmp_path: Path, cell: str) -> None:
    path = write(tmp_path, f"geography,period,value\nA,2020,1\nB,2020,{cell}\n")
    with pytest.raises(SpreadsheetReadError, match="not a number") as info:
        csv.read(path, unit="count")
    assert f"line 3 ({cell!r})" in str(info.value)
    result = csv.read_report(path, unit="count")
    assert result.series.geographies == ("A",)
    assert result.rejected["value"].tolist() == [cell]


@given(
    prefix=st.text(
        st.characters(
            codec="utf-8", categories=["L", "S", "P"], exclude_characters="\"'(-+.$£€¥%,"
        ),
        min_size=1,
        max_size=4,
    ),
    number=st.integers(0, 10**6),
)
def test_property_a_number_behind_other_text_is_never_read(
    tmp_path_factory: pytest.TempPathFactory, prefix: str, number: int
) -> None:
    cell = prefix.strip() + str(number)
    path = tmp_path_factory.mktemp("pre") / "p.csv"
    path.write_text(f"geography,period,value\nA,2020,{cell}\n", encoding="utf-8")
    try:
        s = csv.read(path, unit="count")
    except SpreadsheetReadError as err:
        rejected = err.rejected
    else:  # only a missing-value marker may take a number's place
        assert s.frame["value"].isna().all(), (cell, s.frame)
        return
    assert rejected is not None and rejected["column"].tolist() == ["value"]


def test_long_cells_are_quoted_short_in_messages(tmp_path: Path) -> None:
    cell = "x" + "9" * 5000
    path = write(tmp_path, f"geography,period,value\nA,2020,{cell}\n")
    with pytest.raises(SpreadsheetReadError) as info:
        csv.read(path, unit="count")
    quoted = str(info.value).split("line 2 (", 1)[1].split(")")[0]
    assert len(quoted) <= 80 and quoted.startswith("'x999") and quoted.endswith("'...")
    assert info.value.rejected is not None
    assert info.value.rejected["value"].tolist() == [cell]  # the report keeps the whole cell


# ---------------------------------------------------------------- encodings


def test_bom_crlf_and_cp1252(tmp_path: Path) -> None:
    text = "geography,period,income,value\r\nA,2020,Less than £10,000,5\r\n"
    text = text.replace("Less than £10,000", '"Less than £10,000"')
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    s = csv.read(bom, unit="count")
    assert s.dimensions == ("income",)  # no BOM glued to the first header
    assert s.categories("income") == ("Less than £10,000",)
    legacy = write(tmp_path, text, "legacy.csv", encoding="cp1252")
    s2 = csv.read(legacy, unit="count")
    assert s2.categories("income") == ("Less than £10,000",)
    assert s2.provenance is not None and s2.provenance.options["encoding"] == "cp1252"
    assert "cp1252" in " ".join(csv.discover(legacy).notes)
    latin = write(tmp_path, "geography,period,value\nA,2020,5\n", "x.csv", encoding="latin-1")
    assert csv.read(latin, unit="count", encoding="latin-1").frame["value"].tolist() == [5.0]


def test_non_utf8_late_in_a_big_file(tmp_path: Path) -> None:
    rows = "".join(f"P{i},2020,{i}\n" for i in range(60_000))
    path = tmp_path / "late.csv"
    path.write_bytes(
        ("geography,period,value\n" + rows).encode() + "Zürich,2020,1\n".encode("cp1252")
    )
    s = csv.read(path, unit="count")
    assert "Zürich" in s.geographies


def test_mixed_utf8_and_cp1252_is_refused_with_the_lines(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "geography,period,value\nMontréal,2020,1\nA,2020,2\n".encode()
        + "Québec,2020,3\n".encode("cp1252")
    )
    for call in (lambda: csv.read(path, unit="count"), lambda: csv.discover(path)):
        with pytest.raises(SourceReadError, match="mixes two encodings") as info:
            call()
        message = str(info.value)
        assert "line 4 has byte 0xe9" in message and "line 2 holds UTF-8" in message
        assert "'MontrÃ©al" in message and "encoding='cp1252'" in message
    # Said explicitly, the encoding is used as given (the UTF-8 letters are the user's choice).
    s = csv.read(path, unit="count", encoding="cp1252")
    assert "Québec" in s.geographies


def test_an_encoding_given_is_kept_past_the_sample(tmp_path: Path) -> None:
    rows = "".join(f"P{i},2020,{i}\n" for i in range(60_000))
    path = tmp_path / "late.csv"
    path.write_bytes(
        ("geography,period,value\n" + rows).encode() + "Zürich,2020,1\n".encode("cp1252")
    )
    with pytest.raises(SourceReadError, match=r"does not decode as utf-8 \(line 60002: byte 0xfc"):
        csv.read(path, unit="count", encoding="utf-8")


def test_a_field_over_the_limit_is_refused_with_its_line(tmp_path: Path) -> None:
    big = "a" * 200_000
    path = write(tmp_path, f'geography,period,value\nA,2020,1\n"{big}",2020,2\n')
    for call in (lambda: csv.read(path, unit="count"), lambda: csv.discover(path)):
        with pytest.raises(SpreadsheetReadError, match="line 3: a field longer than 131,072"):
            call()
    unclosed = write(tmp_path, 'geography,period,value\nA,2020,"1\n' + "B,2020,2\n" * 20_000)
    with pytest.raises(SpreadsheetReadError, match="line 2: a field longer"):
        csv.read(unclosed, unit="count")


def test_an_option_naming_no_column_names_the_file_and_close_matches(tmp_path: Path) -> None:
    path = write(tmp_path, "Geography,Period,Estimate\nA,2020,1\n", "partner.csv")
    for call in (
        lambda: csv.read(path, value="estimate", unit="count"),
        lambda: csv.discover(path, value="estimate"),
    ):
        with pytest.raises(SourceReadError) as info:
            call()
        assert info.value.source == str(path)
        assert str(info.value) == (
            f"[csv] {path}: value='estimate' names no column of the file (did you mean "
            "'Estimate'?); its columns are: 'Geography', 'Period', 'Estimate'"
        )
    with pytest.raises(SourceReadError, match=r"did you mean 'Geography'\?"):
        csv.read(path, geography="geo", unit="count")
    with pytest.raises(SourceReadError, match=r"wide_columns='2020' names no column of"):
        csv.read(path, wide="period", wide_columns=["2020"], unit="count")


# ------------------------------------------------------------------- errors


def test_every_bad_row_listed_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'geography,period,value\nA,2020,1\nB,2020,x\n"C\nc",2020,2\nD,20x0,3\nE,2020,oops\n'
        "F,2020,4,extra\nA,2020,9\n",
    )
    with pytest.raises(SpreadsheetReadError) as info:
        csv.read(path, unit="count")
    msg = str(info.value)
    assert "line 3 ('x')" in msg and "line 7 ('oops')" in msg  # line 4-5 is one quoted record
    assert "column 'period'" in msg and "line 6 ('20x0')" in msg
    assert "line 8" in msg and "fields" in msg
    assert "repeats the key" in msg and "line 2" in msg and "line 9" in msg
    assert str(path) in msg
    rejected = info.value.rejected
    assert rejected is not None and set(rejected["location"]) >= {"line 3", "line 6", "line 7"}
    again = pickle.loads(pickle.dumps(info.value))
    assert isinstance(again, SpreadsheetReadError) and str(again) == msg


def test_collect_reads_the_rest_and_reports(tmp_path: Path) -> None:
    path = write(tmp_path, "geography,period,value\nA,2020,1\nB,2020,x\nC,2020,3\n")
    with pytest.warns(AdapterWarning, match="left out 1 row"):
        s = csv.read(path, unit="count", errors="collect")
    assert s.geographies == ("A", "C")
    result = csv.read_report(path, unit="count")
    assert result.series == s or result.series.table.equals(s.table)
    assert result.rejected[["location", "column", "value"]].values.tolist() == [
        ["line 3", "value", "x"]
    ]
    assert "line 3" in result.report()


def test_clear_errors_for_files_and_options(tmp_path: Path) -> None:
    with pytest.raises(SourceReadError, match="cannot open"):
        csv.read(tmp_path / "nope.csv")
    path = write(tmp_path, "geography,period,value\nA,2020,1\n")
    with pytest.raises(SourceReadError, match="does not say its unit"):
        csv.read(path)
    with pytest.raises(SourceReadError, match=r"value='Amount' names no column"):
        csv.read(path, value="Amount", unit="count")
    with pytest.raises(fl.errors.AdapterOptionError, match="does not take 'dimension'"):
        fl.read("csv", path, dimension=["x"])
    dup = write(tmp_path, "a,a,value\n1,2,3\n", "dup.csv")
    with pytest.raises(SourceReadError, match="header names repeat"):
        csv.read(dup)
    empty_dim = write(tmp_path, "geography,period,sex,value\nA,2020,,1\n", "e.csv")
    with pytest.raises(SpreadsheetReadError, match="no category"):
        csv.read(empty_dim, unit="count")
    assert csv.read(empty_dim, unit="count", total="").categories("sex") == (TOTAL,)
    nogeo = write(tmp_path, "period,value\n2020,1\n", "g.csv")
    with pytest.raises(SourceReadError, match="default_geography"):
        csv.read(nogeo, unit="count")
    assert csv.read(nogeo, unit="count", default_geography="06").geographies == ("06",)


def test_skip_rows_for_titles_above_the_header(tmp_path: Path) -> None:
    path = write(
        tmp_path, "Table 1: jobs\nSource: partner\ngeography,period,value\nA,2020,1\nB,2020,z\n"
    )
    with pytest.raises(SpreadsheetReadError, match=r"line 5 \('z'\)"):
        csv.read(path, skip_rows=2, unit="count")


# ------------------------------------------------------------------ discover


def test_discover_reads_only_a_sample(tmp_path: Path) -> None:
    rows = "".join(f"P{i},{2000 + i % 20},{i}\n" for i in range(200_000))
    path = write(tmp_path, "geography,period,value\n" + rows + "Q,notayear,1\n")
    info = csv.discover(path)
    assert info.rows is None and info.extra["sample_rows"] == 1000
    assert info.periods[0] == "2000" and len(info.periods) == 20
    assert any("first 1000 rows" in n for n in info.notes)


# ---------------------------------------------------------------- properties


def _fmt(x: float, style: int) -> str:
    if style == 0:
        return repr(x)
    if style == 1:
        return f"{x:,.6f}"
    if style == 2:
        return f" {x:.6f} "
    if style == 3:
        return f"${x:,.6f}" if x >= 0 else f"(${-x:,.6f})"
    return f"{x:.6f}%"


@given(
    values=st.lists(
        st.one_of(st.none(), st.floats(-1e9, 1e9, allow_nan=False).map(lambda v: round(v, 6))),
        min_size=1,
        max_size=30,
    ),
    style=st.integers(0, 4),
    bom=st.booleans(),
    crlf=st.booleans(),
    marker=st.sampled_from(["", "N/A", "NA", "-", "(X)"]),
)
def test_property_formatted_numbers_read_back_equal(
    tmp_path_factory: pytest.TempPathFactory,
    values: list[float | None],
    style: int,
    bom: bool,
    crlf: bool,
    marker: str,
) -> None:
    nl = "\r\n" if crlf else "\n"
    lines = ["geography,period,sex,value"]
    for i, v in enumerate(values):
        cell = marker if v is None else _fmt(v, style)
        if "," in cell:
            cell = f'"{cell}"'
        lines.append(f"{i:05d},2020,{'F' if i % 2 else 'M'},{cell}")
    data = (nl.join(lines) + nl).encode()
    path = tmp_path_factory.mktemp("prop") / "p.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    if style != 4:  # not a count: counts cannot be negative
        unit: str | None = "dimensionless"
    else:  # the % signs give the unit, unless there is no value to carry one
        unit = None if any(v is not None for v in values) else "percent"
    s = csv.read(path, unit=unit)
    assert s.unit == ("percent" if style == 4 else "dimensionless")
    got = s.frame["value"].tolist()
    for g, v in zip(got, values, strict=True):
        if v is None:
            assert math.isnan(g)
        else:
            assert g == pytest.approx(v, rel=1e-12, abs=1e-6)
    status = s.frame["status"].tolist()
    want_missing = {"": "missing", "-": "missing", "N/A": "not_available", "NA": "not_available"}
    for st_, v in zip(status, values, strict=True):
        assert st_ == ("estimate" if v is not None else want_missing.get(marker, "not_applicable"))
    assert s.frame["geography"].tolist() == [f"{i:05d}" for i in range(len(values))]


@given(
    frame=st.lists(
        st.tuples(
            st.sampled_from(["06001", "06075", "36061"]),
            st.sampled_from(["2019", "2020", "2015-2019", "2013/14"]),
            st.sampled_from(["Black", "White", "Asian, alone", 'Latinx "any"']),
            st.floats(0, 1e6, allow_nan=False),
            st.one_of(st.none(), st.floats(0, 1e4, allow_nan=False)),
        ),
        min_size=1,
        max_size=25,
        unique_by=lambda r: r[:3],
    )
)
def test_property_tidy_file_equals_from_frame(
    tmp_path_factory: pytest.TempPathFactory, frame: list[tuple[Any, ...]]
) -> None:
    df = pd.DataFrame(frame, columns=["geography", "period", "race", "value", "moe"])
    df["moe"] = df["moe"].astype(float)
    path = tmp_path_factory.mktemp("tidy") / "t.csv"
    df.to_csv(path, index=False)
    ind = Indicator(id="t", name="t", unit="people", direction="higher_is_better")
    got = csv.read(path, indicator=ind)
    want = IndicatorSeries.from_frame(
        df.astype({"geography": str, "period": str, "race": str}),
        indicator=ind,
        moe="moe",
        dimensions=["race"],
    )
    assert got.dimensions == want.dimensions
    assert got.table.equals(want.table)


def test_property_error_is_a_feedbackloop_error(tmp_path: Path) -> None:
    path = write(tmp_path, "geography,period,value\nA,2020,1\nA,2020,2\n")
    with pytest.raises(FeedbackloopError):
        csv.read(path, unit="count")
    assert issubclass(SpreadsheetReadError, ValueError)
    assert Status.MISSING.value == "missing"


def test_collect_rejects_every_row_of_a_repeated_key(tmp_path: Path) -> None:
    path = write(tmp_path, "geography,period,value\nA,2020,1\nB,2020,2\nA,2020,3\n")
    result = csv.read_report(path, unit="count")
    assert result.series.geographies == ("B",)
    assert sorted(result.rejected["location"]) == ["line 2", "line 4"]


def test_loop_sources_and_parquet_round_trip(tmp_path: Path) -> None:
    from feedbackloop.model import FeedbackLoop, SharedResult, SourceSpec
    from feedbackloop.series import read_parquet

    write(tmp_path, "Year,Sex,Units,Value\n2020,,Percentage (%),50\n2020,Male,Percentage (%),48\n")
    ind = Indicator(
        id="share",
        name="Share",
        unit="percent",
        direction="higher_is_better",
        source=SourceSpec(
            adapter="csv", path="data.csv", options={"code_mapping": {"Sex": {"Male": "M"}}}
        ),
    )
    loop = FeedbackLoop(
        name="L",
        indicators=(ind,),
        shared_result=SharedResult(id="r", title="R", indicators=("share",)),
    )
    got = fl.collect(loop, base_dir=tmp_path, progress=False).raise_for_failures()
    series = got["share"]
    assert series.indicator == ind and series.categories("Sex") == ("M", TOTAL)
    series.to_parquet(tmp_path / "s.parquet")
    back = read_parquet(tmp_path / "s.parquet")
    assert back == series
    assert back.provenance is not None
    assert back.provenance.options["code_mapping"] == {"Sex": {"Male": "M"}}
