"""Tables from PDFs: real reports with known values, generated PDFs, errors, the adapter."""

from __future__ import annotations

import math
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import feedbackloop
from feedbackloop.adapters.pdf import PdfAdapter
from feedbackloop.errors import SourceReadError
from feedbackloop.pdf import (
    CellKind,
    EncryptedPdfError,
    NoTableFoundError,
    NotAPdfError,
    NoTextLayerError,
    PageRangeError,
    PdfTable,
    parse_cell,
    read_tables,
)
from feedbackloop.testing import AdapterContractTests

fpdf = pytest.importorskip("fpdf")


def _pdf(realdata: Path, name: str) -> Path:
    path = realdata / "pdf" / name
    if not path.is_file():
        pytest.skip(f"{path} is not in the real-data folder")
    return path


# ----------------------------------------------------------------- cell parsing


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("11,062 .6", 11062.6, CellKind.NUMBER),
        ("98452", 98452.0, CellKind.NUMBER),
        ("98 452", 98452.0, CellKind.NUMBER),
        ("1,234,567", 1234567.0, CellKind.NUMBER),
        ("-0.06", -0.06, CellKind.NUMBER),
        ("−3", -3.0, CellKind.NUMBER),
        ("(1,234)", -1234.0, CellKind.NUMBER),
        ("12.5%", 12.5, CellKind.NUMBER),
        ("$1,200", 1200.0, CellKind.NUMBER),
        ("(Z)", 0.0, CellKind.ROUNDS_TO_ZERO),
    ],
)
def test_parse_cell_numbers(text: str, value: float, kind: CellKind) -> None:
    cell = parse_cell(text)
    assert cell.kind is kind
    assert cell.value == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("-", CellKind.DASH),
        ("–", CellKind.DASH),
        ("(X)", CellKind.NOT_APPLICABLE),
        ("(NA)", CellKind.NOT_AVAILABLE),
        ("(D)", CellKind.SUPPRESSED),
        ("", CellKind.EMPTY),
        ("San Jose", CellKind.TEXT),
        ("1,23", CellKind.TEXT),
    ],
)
def test_parse_cell_symbols_are_never_numbers(text: str, kind: CellKind) -> None:
    cell = parse_cell(text)
    assert cell.kind is kind
    assert math.isnan(cell.value)


def test_parse_cell_strips_star_markers() -> None:
    cell = parse_cell("1,234**")
    assert (cell.value, cell.markers) == (1234.0, ("**",))


@given(st.integers(-(10**12), 10**12), st.integers(0, 3), st.booleans())
def test_parse_cell_reads_back_formatted_numbers(n: int, decimals: int, commas: bool) -> None:
    value = n / 10**decimals
    text = f"{value:,.{decimals}f}" if commas else f"{value:.{decimals}f}"
    assert parse_cell(text).value == pytest.approx(value, abs=10**-decimals / 2)


# ------------------------------------------------------------------- real PDFs


def test_nics_totals_are_the_sums_of_the_55_jurisdictions(realdata: Path) -> None:
    (t,) = read_tables(_pdf(realdata, "nics-background-checks-2015-11.pdf"))
    assert t.shape == (56, 25)
    assert t.strategy == "lines"
    f = t.frame.set_index("State / Territory")
    assert f.index[0] == "Alabama" and f.index[-2] == "Wyoming" and f.index[-1] == "Totals"
    assert all(name and name != "None" for name in t.columns)
    numeric = [c for c in f.columns if f[c].dtype.kind == "f"]
    assert len(numeric) == 24
    states = f.drop(index="Totals")
    assert len(states) == 55
    for col in numeric:
        assert states[col].fillna(0).sum() == f.loc["Totals", col], col
    assert f.loc["Alabama", "Totals"] == 71137
    assert f.loc["Totals", "Permit"] == 804006
    assert f.loc["Totals", "Totals"] == 2236457
    # California prints its numbers without thousands separators.
    assert f.loc["California", "Permit"] == 98452
    assert f.loc["California", "Totals"] == 180116
    # The two Rentals columns are empty for every jurisdiction (and 0 in Totals).
    rentals = [c for c in t.columns if c.startswith("Rentals")]
    assert rentals == ["Rentals / Handgun", "Rentals / Long Gun"]
    kinds = t.kinds.set_index(t.frame["State / Territory"])
    assert (kinds.loc[states.index, rentals] == "empty").all().all()
    assert (
        "Pre-Pawn / Other" in t.columns and "Return to Seller - Private Sale / Handgun" in t.columns
    )
    star = {n.marker: n for n in t.notes}
    assert star["*"].text is not None and star["*"].text.startswith("Refers to frames")
    assert (None, "Pre-Pawn / Other") in star["*"].cells
    assert star["**"].cells == ((None, "Multiple"),)
    assert t.title is not None and t.title.startswith("NICS Firearm Background Checks")


def test_warn_report_stitches_15_pages_and_reconciles_with_its_summary(realdata: Path) -> None:
    detail, summary = read_tables(_pdf(realdata, "WARN-Report-for-7-1-2015-to-03-25-2016.pdf"))
    assert detail.pages == tuple(range(1, 16))
    assert detail.columns == (
        "Notice Date",
        "Effective",
        "Received",
        "Company",
        "City",
        "No. Of",
        "Layoff/Closure",
    )
    assert len(detail.header_rows) == 1
    f = detail.frame
    assert f.iloc[0].tolist() == [
        "06/22/2015",
        "03/25/2016",
        "07/01/2015",
        "Maxim Integrated Product",
        "San Jose",
        150.0,
        "Closure Permanent",
    ]
    assert f["Notice Date"].str.fullmatch(r"\d\d/\d\d/\d{4}").all()
    assert len(f) == 633
    assert f["No. Of"].sum() == 53515
    cancelled = f["Company"].str.contains("CANCELLED")
    assert cancelled.sum() == 1
    row = f[cancelled].iloc[0]
    assert (row["Company"], row["City"], row["No. Of"], row["Received"]) == (
        "Buca Restaurants 2, Inc.(CANCELLED)",
        "Santa Monica",
        61.0,
        "07/30/2015",
    )
    (note,) = detail.notes_for(int(np.flatnonzero(cancelled)[0]), "Company")
    assert note.marker == "**" and note.text == "Lay-offs have been cancelled by the Company."
    assert (f["Effective"].str[-4:] == "5016").sum() == 1
    # The document's own summary table (pages 15-16, header only on page 15).
    assert summary.pages == (15, 16)
    s = summary.frame.set_index("Summary by Month")
    assert (s.loc["Total", "Notices"], s.loc["Total", "Employees Affected"]) == (632, 53454)
    kept = f[~cancelled]
    assert (len(kept), kept["No. Of"].sum()) == (632, 53454)
    month = pd.to_datetime(f["Received"], format="%m/%d/%Y").dt.strftime("%B %Y")
    for label in s.index.drop("Total"):
        mine = f[month == label]
        if label == "July 2015":  # the cancelled notice is in July's details only
            assert (len(mine), mine["No. Of"].sum()) == (72, 8635)
            assert (s.loc[label, "Notices"], s.loc[label, "Employees Affected"]) == (71, 8574)
        else:
            expected = (s.loc[label, "Notices"], s.loc[label, "Employees Affected"])
            assert (len(mine), mine["No. Of"].sum()) == expected, label


def test_health_rectangle_cells_and_merged_header(realdata: Path) -> None:
    (t,) = read_tables(_pdf(realdata, "camelot-health.pdf"))
    assert t.strategy == "rects"
    assert t.columns == (
        "States-A",
        "Revenue / Medical & Public Health",
        "Revenue / Family Welfare",
        "Capital / Medical & Public Health",
        "Capital / Family Welfare",
        "Total Revenue & Capital",
        "Others",
        "Total",
    )
    assert len(t.header_rows) >= 5
    f = t.frame.set_index("States-A")
    assert len(f) == 23
    assert f.loc["Andhra Pradesh"].tolist() == [
        47824589,
        9967837,
        1275000,
        15000,
        59082426,
        14898243,
        73980669,
    ]
    assert f.index[-1] == "Punjab"
    v = f.to_numpy()
    assert (v[:, 0] + v[:, 1] + v[:, 2] + v[:, 3] == v[:, 4]).all()
    assert (v[:, 4] + v[:, 5] == v[:, 6]).all()
    (note,) = t.notes
    assert (note.marker, note.cells) == ("1", ((None, "Others"),))
    assert t.title is not None and "Public Health Outlay 2012-13" in t.title


def test_superscript_marker_is_a_note_never_part_of_the_number(realdata: Path) -> None:
    # The page has no legend for "-"; SOURCES.md reads it as nil, so dash="zero" here.
    (t,) = read_tables(_pdf(realdata, "camelot-superscript.pdf"), dash="zero")
    f = t.frame.set_index("States")
    assert len(f) == 30
    assert f.loc["Kerala", "Market Loans"] == 24.91
    assert f.loc["Kerala"].tolist() == [29.03, 24.91, 0, 0, 4.11, 1.77, 0, 0.48, 0, 1.45]
    row = int(np.flatnonzero(t.frame["States"] == "Kerala")[0])
    assert t.kinds.loc[row, "NSSF"] == "dash"
    (note,) = t.notes_for(row, "Market Loans")
    assert note.marker == "2"
    assert note.text is not None and note.text.startswith("Includes")
    assert f.loc["ALL STATES"].tolist() == [
        513.38,
        436.02,
        0,
        25.57,
        51.06,
        14.18,
        0,
        8.21,
        11.83,
        11.08,
    ]
    assert f.loc["Assam", "Loans from NABARD"] == -0.06
    assert "Total Internal Debt" in t.columns and "Loans from SBI & Other Banks" in t.columns
    # The column-number row ("1", "2= (3 to 6)+14", ...) is kept as a header row, not a name.
    assert t.header_rows[-2][:3] == ("1", "2=", "3")
    assert any("row of column numbers" in r and "(1 2= 3 4" in r for r in t.remarks)
    # By default a dash is not available: NaN, never 0, and the all-dash rows stay.
    (nil,) = read_tables(_pdf(realdata, "camelot-superscript.pdf"))
    assert math.isnan(nil.frame.loc[row, "NSSF"]) and nil.kinds.loc[row, "NSSF"] == "dash"
    assert nil.frame["States"].tolist() == t.frame["States"].tolist()
    delhi = nil.frame.set_index("States").loc["NCT Delhi"]
    assert delhi.isna().all() and len(delhi) == 10
    assert any("136 dash cell(s) read as not available" in r for r in nil.remarks)
    assert (
        (nil.frame.drop(columns="States").fillna(0) == t.frame.drop(columns="States")).all().all()
    )


def test_two_tables_on_one_page_with_leader_dots_and_symbols(realdata: Path) -> None:
    # The page's legend says "– Represents zero.", so dashes are read as 0 here.
    t324, t325 = read_tables(_pdf(realdata, "12s0324.pdf"), dash="zero")
    assert t324.title == "Table 324. Arrests by Sex and Age: 2009"
    assert t325.title == "Table 325. Arrests by Race: 2009"
    assert t324.columns[:4] == (
        "Offense charged",
        "Total",
        "Total / Under 18 years",
        "Total / 18 years and over",
    )
    a = t324.frame.set_index("Offense charged")
    assert a.loc["Total"].tolist() == [
        11062.6,
        1540.0,
        9522.6,
        8263.3,
        1071.6,
        7191.7,
        2799.2,
        468.3,
        2330.9,
    ]
    assert len(a) == 32
    assert "Murder and nonnegligent manslaughter" in a.index
    assert "Offenses against the family and children" in a.index
    assert "Stolen property" in a.index and "Sex offenses" in a.index
    assert not any("." * 2 in label for label in a.index)
    curfew = int(np.flatnonzero(t324.frame["Offense charged"].str.startswith("Curfew"))[0])
    assert t324.kinds.loc[curfew, "Total / 18 years and over"] == "not_applicable"
    assert math.isnan(t324.frame.loc[curfew, "Total / 18 years and over"])
    assert a.loc["Forcible rape", "Female / Total"] == 0
    rape = int(np.flatnonzero(t324.frame["Offense charged"] == "Forcible rape")[0])
    assert t324.kinds.loc[rape, "Female / Total"] == "dash"
    default = read_tables(_pdf(realdata, "12s0324.pdf"))[0]
    assert math.isnan(default.frame.loc[rape, "Female / Total"])
    (legend,) = [r for r in default.remarks if "dash" in r]
    assert "'– Represents zero.'" in legend and "dash='zero'" in legend
    stolen = int(np.flatnonzero(t324.frame["Offense charged"] == "Stolen property")[0])
    (note,) = t324.notes_for(stolen, "Offense charged")
    assert note.marker == "1" and note.text == "Buying, receiving, possessing stolen property."
    inconsistent = {
        "Property crime",
        "Driving under the influence",
        "Liquor laws",
        "All other offenses (except traffic)",
    }
    kinds = t324.kinds.set_index(t324.frame["Offense charged"])
    for label, r in a.iterrows():
        if label in inconsistent or (kinds.loc[label] != "number").any():
            continue
        v = r.to_numpy()
        assert v[0] == pytest.approx(v[1] + v[2], abs=0.15), label
        assert v[0] == pytest.approx(v[3] + v[6], abs=0.15), label
    b = t325.frame.set_index("Offense charged")
    assert len(b) == 32
    assert b.loc["Total"].tolist() == [10690561, 7389208, 3027153, 150544, 123656]
    parts = b[["White", "Black", "American Indian/Alaskan Native", "Asian Pacific Islander"]]
    assert (parts.sum(axis=1) == b["Total"]).all()


# -------------------------------------------------------------- generated PDFs

WORDS = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India"]
PLACES = [
    "Alameda",
    "Butte",
    "Contra Costa",
    "Del Norte",
    "El Dorado",
    "Fresno",
    "Glenn",
    "Humboldt",
    "Imperial",
    "Kern",
    "Kings",
    "Lake",
    "Lassen",
    "Los Angeles",
    "Madera",
    "Marin",
]


def _fmt(value: float, decimals: int, commas: bool) -> str:
    return f"{value:,.{decimals}f}" if commas else f"{value:.{decimals}f}"


@st.composite
def tables(draw: st.DrawFn, max_rows: int = 8) -> dict[str, object]:
    ncols = draw(st.integers(2, 5))
    nrows = draw(st.integers(2, max_rows))
    names = draw(st.permutations(WORDS))[:ncols]
    labels = draw(st.permutations(PLACES))[:nrows]
    decimals = [draw(st.integers(0, 2)) for _ in range(ncols)]
    commas = [draw(st.booleans()) for _ in range(ncols)]
    values = [
        [draw(st.integers(-999_999, 9_999_999)) / 10 ** decimals[c] for c in range(ncols)]
        for _ in range(nrows)
    ]
    return {
        "names": names,
        "labels": labels,
        "decimals": decimals,
        "commas": commas,
        "values": values,
    }


def write_table_pdf(
    path: Path, table: dict[str, object], *, ruled: bool, rows_per_page: int = 100
) -> Path:
    from fpdf import FPDF

    names: list[str] = table["names"]  # type: ignore[assignment]
    labels: list[str] = table["labels"]  # type: ignore[assignment]
    values: list[list[float]] = table["values"]  # type: ignore[assignment]
    decimals: list[int] = table["decimals"]  # type: ignore[assignment]
    commas: list[bool] = table["commas"]  # type: ignore[assignment]
    pdf = FPDF(format="letter")
    pdf.set_font("helvetica", size=9)
    border = 1 if ruled else 0
    for start in range(0, len(labels), rows_per_page):
        pdf.add_page()
        pdf.set_xy(20, 20)
        if start == 0:
            pdf.cell(40, 7, "Place", border=border)
            for name in names:
                pdf.cell(30, 7, name, border=border, align="R")
            pdf.ln(7)
            pdf.set_x(20)
        for r in range(start, min(start + rows_per_page, len(labels))):
            pdf.cell(40, 7, labels[r], border=border)
            for c, v in enumerate(values[r]):
                pdf.cell(30, 7, _fmt(v, decimals[c], commas[c]), border=border, align="R")
            pdf.ln(7)
            pdf.set_x(20)
    pdf.output(str(path))
    return path


def _check_round_trip(t: PdfTable, table: dict[str, object]) -> None:
    names: list[str] = table["names"]  # type: ignore[assignment]
    assert t.columns == ("Place", *names)
    assert t.frame["Place"].tolist() == table["labels"]
    got = t.frame[names].to_numpy()
    assert np.allclose(got, np.array(table["values"]), rtol=0, atol=1e-9)


fast = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(table=tables())
def test_ruled_tables_read_back_what_was_written(tmp_path_factory, table) -> None:
    path = write_table_pdf(tmp_path_factory.mktemp("ruled") / "t.pdf", table, ruled=True)
    (t,) = read_tables(path)
    assert t.strategy == "lines"
    _check_round_trip(t, table)


@fast
@given(table=tables())
def test_whitespace_tables_read_back_what_was_written(tmp_path_factory, table) -> None:
    path = write_table_pdf(tmp_path_factory.mktemp("plain") / "t.pdf", table, ruled=False)
    (t,) = read_tables(path)
    assert t.strategy == "text"
    _check_round_trip(t, table)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(max_rows=16), ruled=st.booleans())
def test_multi_page_tables_are_stitched(tmp_path_factory, table, ruled) -> None:
    labels: list[str] = table["labels"]  # type: ignore[assignment]
    per_page = max(2, len(labels) // 3)
    path = write_table_pdf(
        tmp_path_factory.mktemp("multi") / "t.pdf", table, ruled=ruled, rows_per_page=per_page
    )
    tables_read = read_tables(path)
    assert len(tables_read) == 1
    (t,) = tables_read
    assert len(t.pages) == math.ceil(len(labels) / per_page)
    _check_round_trip(t, table)
    if len(t.pages) > 1:
        assert any("stitched" in r for r in t.remarks)
    apart = read_tables(path, stitch=False)
    # Unstitched, each page is its own table (a lone unheaded row is not a table by itself).
    assert [x.pages for x in apart] == [(p,) for p in t.pages][: len(apart)]
    assert sum(x.shape[0] for x in apart) <= len(labels)


SAMPLE = {
    "names": ["Alpha", "Bravo"],
    "labels": ["Alameda", "Butte", "Fresno"],
    "decimals": [0, 1],
    "commas": [True, False],
    "values": [[1200.0, -3.5], [45.0, 0.2], [1000000.0, 10.0]],
}


@pytest.fixture
def sample_pdf(tmp_path: Path) -> Path:
    return write_table_pdf(tmp_path / "sample.pdf", SAMPLE, ruled=False)


def test_explicit_columns_and_strategy_override(sample_pdf: Path) -> None:
    # Boundaries in points: the label cell starts at x=20 mm (56.7 pt); cells are 40 and 30 mm.
    mm = 72 / 25.4
    bounds = [20 * mm - 2, 60 * mm, 90 * mm, 120 * mm + 2]
    (t,) = read_tables(sample_pdf, columns=bounds)
    assert t.strategy == "explicit"
    _check_round_trip(t, SAMPLE)
    with pytest.raises(NoTableFoundError, match="strategy='lines'"):
        read_tables(sample_pdf, strategy="lines")
    with pytest.raises(SourceReadError, match="pdfplumber refused the table settings"):
        read_tables(sample_pdf, snap_tolerence=5)
    with pytest.raises(SourceReadError, match="unknown strategy"):
        read_tables(sample_pdf, strategy="magic")  # type: ignore[arg-type]


# ----------------------------------------------------------------------- errors


def test_not_a_pdf(tmp_path: Path) -> None:
    fake = tmp_path / "data.pdf"
    fake.write_text("State,Value\nOhio,3\n")
    with pytest.raises(NotAPdfError, match=r"data\.pdf.*is not a PDF.*'csv' adapter"):
        read_tables(fake)
    with pytest.raises(NotAPdfError, match="file not found"):
        read_tables(tmp_path / "nope.pdf")


def test_encrypted_pdf_needs_its_password(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("helvetica", size=9)
    pdf.cell(40, 7, "Place")
    pdf.cell(30, 7, "1,234")
    path = tmp_path / "locked.pdf"
    pdf.output(str(path))
    with pytest.raises(EncryptedPdfError, match="needs a password; pass password="):
        read_tables(path)
    with pytest.raises(EncryptedPdfError, match="password given is wrong"):
        read_tables(path, password="guess")
    with pytest.raises(NoTableFoundError):
        read_tables(path, password="secret")  # opens; one line is no table


def test_scanned_page_needs_ocr(tmp_path: Path) -> None:
    from fpdf import FPDF
    from PIL import Image

    png = tmp_path / "scan.png"
    Image.new("RGB", (60, 40), "white").save(png)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(png), x=10, y=10, w=100)
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    with pytest.raises(NoTextLayerError, match=r"page 1: .*needs OCR first") as info:
        read_tables(path)
    assert info.value.page == 1


def test_page_out_of_range_and_no_table(sample_pdf: Path, tmp_path: Path) -> None:
    with pytest.raises(PageRangeError, match=r"page 3 does not exist: the PDF has 1 page"):
        read_tables(sample_pdf, pages=[1, 3])
    with pytest.raises(PageRangeError):
        read_tables(sample_pdf, pages=0)
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "A letter about the partnership. " * 10)
    path = tmp_path / "letter.pdf"
    pdf.output(str(path))
    with pytest.raises(NoTableFoundError, match=r"letter\.pdf, page 1: no table found") as info:
        read_tables(path)
    assert isinstance(info.value, SourceReadError)


def test_errors_pickle_with_their_type_and_page() -> None:
    err = NoTextLayerError("needs OCR first", source="a.pdf", page=3)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is NoTextLayerError
    assert (back.page, back.source, str(back)) == (3, "a.pdf", str(err))


# ---------------------------------------------------------------------- adapter


class TestPdfAdapterContract(AdapterContractTests):
    adapter_class = PdfAdapter
    # SAMPLE holds a negative value (-3.5): not a count, so the unit is a percent.
    read_options: ClassVar[dict[str, Any]] = {
        "period": "2020",
        "columns": "measure",
        "unit": "percent",
    }

    @pytest.fixture
    def source(self, sample_pdf: Path) -> str:
        return str(sample_pdf)


def test_read_through_the_entry_point(sample_pdf: Path) -> None:
    assert feedbackloop.adapters.available()["pdf"].target == "feedbackloop.adapters.pdf:PdfAdapter"
    series = feedbackloop.read("pdf", sample_pdf, value="Bravo", period=2020, unit="percent")
    df = series.table.to_pandas()
    got = dict(zip(df["geography"], df["value"], strict=True))
    assert got == {"Alameda": -3.5, "Butte": 0.2, "Fresno": 10.0}
    assert series.provenance is not None and series.provenance.adapter == "pdf"
    with pytest.raises(SourceReadError, match=r"2 numeric columns.*value="):
        feedbackloop.read("pdf", sample_pdf, period=2020)
    with pytest.raises(SourceReadError, match="give period="):
        feedbackloop.read("pdf", sample_pdf, value="Bravo")
    with pytest.raises(SourceReadError, match="table=5 does not exist"):
        feedbackloop.read("pdf", sample_pdf, value="Bravo", period=2020, table=5)


def test_read_maps_rows_to_a_dimension_and_symbols_to_statuses(realdata: Path) -> None:
    path = _pdf(realdata, "12s0324.pdf")
    series = feedbackloop.read(
        "pdf", path, rows="offense", columns="group", geography="US", table=0
    )
    assert series.dimensions == ("offense", "group")
    df = series.table.to_pandas()
    assert df["period"].unique().tolist() == ["2009"]  # from the title
    total = df[(df["offense"] == feedbackloop.TOTAL) & (df["group"] == feedbackloop.TOTAL)]
    assert total["value"].tolist() == [11062.6]
    curfew = df[
        df["offense"].str.startswith("Curfew") & (df["group"] == "Total / 18 years and over")
    ]
    assert curfew["status"].astype(str).tolist() == ["not_applicable"]
    assert curfew["value"].isna().all()


def test_nics_through_feedbackloop_read(realdata: Path) -> None:
    path = _pdf(realdata, "nics-background-checks-2015-11.pdf")
    series = feedbackloop.read("pdf", path, columns="check_type", period="2015-11")
    df = series.table.to_pandas()
    assert len(df["geography"].unique()) == 56
    alabama = df[(df["geography"] == "Alabama") & (df["check_type"] == feedbackloop.TOTAL)]
    assert alabama["value"].tolist() == [71137.0]
    info = feedbackloop.discover("pdf", path)
    assert info.rows == 56 and "Permit" in info.columns


def test_import_does_not_load_pdfplumber() -> None:
    code = (
        "import sys, feedbackloop, feedbackloop.pdf, feedbackloop.adapters.pdf; "
        "print('pdfplumber' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_repr_names_pages_and_strategy(sample_pdf: Path) -> None:
    (t,) = read_tables(sample_pdf)
    assert re.fullmatch(
        r"<PdfTable page 1: 3 rows x 3 columns, strategy='text', 0 note\(s\)>", repr(t)
    )


# ------------------------------------------------------- years side by side


def _years_table_pdf(path: Path, headings: list[str], rows: dict[str, list[int]]) -> Path:
    from fpdf import FPDF

    pdf = FPDF(format="letter")
    pdf.add_page()
    pdf.set_font("helvetica", size=9)
    with pdf.table(col_widths=(60, *(20 for _ in headings)), width=60 + 20 * len(headings)) as t:
        head = t.row()
        head.cell("Race and ethnicity")
        for h in headings:
            head.cell(h)
        for label, values in rows.items():
            row = t.row()
            row.cell(label)
            for v in values:
                row.cell(f"{v:,}")
    pdf.output(str(path))
    return path


YEARS_ROWS = {
    "Black": [23, 32, 31],
    "Asian": [8, 6, 4],
    "Hispanic": [31, 50, 36],
    "Total": [62, 88, 71],
}


def test_columns_period_reads_years_side_by_side(tmp_path: Path) -> None:
    path = _years_table_pdf(tmp_path / "y.pdf", ["2018/19", "2019/20", "2020/21"], YEARS_ROWS)
    s = feedbackloop.read("pdf", path, rows="race", columns="period", geography="06075")
    assert s.dimensions == ("race",)  # the headings are periods, not a dimension
    assert [str(p) for p in s.periods] == ["2018/19", "2019/20", "2020/21"]
    wide = s.frame.pivot(index="race", columns="period", values="value")
    assert wide.loc["Asian"].tolist() == [8, 6, 4]
    assert wide.loc[feedbackloop.TOTAL].tolist() == [62, 88, 71]
    assert s.provenance is not None and s.provenance.options["columns"] == "period"


def test_columns_period_refuses_a_period_option_and_non_period_headings(tmp_path: Path) -> None:
    path = _years_table_pdf(tmp_path / "y.pdf", ["2018/19", "2019/20", "All years"], YEARS_ROWS)
    opts: dict[str, Any] = {"rows": "race", "columns": "period", "geography": "06075"}
    with pytest.raises(SourceReadError, match=r"cannot also be given; drop one"):
        feedbackloop.read("pdf", path, period="2019/20", **opts)
    with pytest.raises(SourceReadError, match=r"'All years' is not; leave it out with select="):
        feedbackloop.read("pdf", path, **opts)
    s = feedbackloop.read("pdf", path, select=["2018/19", "2019/20"], **opts)
    assert [str(p) for p in s.periods] == ["2018/19", "2019/20"]
