"""Catalogue: hostile workbooks and PDFs, and a Census API that misbehaves.

Workbooks are written with openpyxl, PDFs with fpdf2, in ``tmp_path``; the
Census API is :class:`feedbackloop.testing.CensusMock` with injected faults.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import feedbackloop as fl
from feedbackloop import census
from feedbackloop.errors import (
    CensusKeyError,
    CensusNotFoundError,
    CensusResponseError,
    CensusServerError,
    CensusTimeoutError,
    EncryptedPdfError,
    NoTableFoundError,
    NotAPdfError,
    NoTextLayerError,
    PageRangeError,
    PdfReadError,
    SourceReadError,
    SpreadsheetReadError,
    UnknownVariableError,
)
from feedbackloop.pdf import read_tables
from feedbackloop.testing import (
    CensusFault,
    CensusMock,
    census_geography,
    census_row,
    census_variables,
)
from reliability._catalogue import Raises, case

openpyxl = pytest.importorskip("openpyxl", reason="the excel extra is not installed")
fpdf = pytest.importorskip("fpdf", reason="fpdf2 (test extra) makes the PDFs")

# ---------------------------------------------------------------------- excel

TIDY: list[list[Any]] = [["geography", "period", "value"], ["06", 2020, 1], ["07", 2020, 2]]


def workbook(
    sheets: dict[str, list[list[Any]]], merge: str | None = None
) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for name, rows in sheets.items():
            ws = wb.create_sheet(name)
            for row in rows:
                ws.append(row)
            if merge:
                ws.merge_cells(merge)
        wb.save(path)

    return build


def raw(data: bytes) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_bytes(data)

    return write


def a_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a workbook")


def truncated_book(path: Path) -> None:
    workbook({"S": TIDY})(path)
    path.write_bytes(path.read_bytes()[:600])


EXCEL = [
    case(
        "excel",
        "missing-sheet-name",
        workbook({"Data": TIDY}),
        {"sheet": "Dta"},
        Raises(SourceReadError, "{name}", "'Dta'", "Data"),
    ),
    case(
        "excel",
        "sheet-index-out-of-range",
        workbook({"Data": TIDY}),
        {"sheet": 3},
        Raises(SourceReadError, "{name}", "3"),
    ),
    case("excel", "empty-sheet", workbook({"Data": []}), {}, Raises(SourceReadError, "{name}")),
    case(
        "excel",
        "header-row-past-the-end",
        workbook({"Data": TIDY}),
        {"header_row": 50},
        Raises(SourceReadError, "{name}", "50"),
    ),
    case(
        "excel",
        "merged-key-cells",
        workbook({"S": [*TIDY, ["08", 2021, 3]]}, merge="A3:A4"),
        {},
        Raises(SpreadsheetReadError, "{name}", "sheet 'S' row 4", "geography"),
    ),
    case(
        "excel",
        "text-in-number-cell",
        workbook({"S": [*TIDY, ["08", 2020, "lots"]]}),
        {},
        Raises(SpreadsheetReadError, "{name}", "sheet 'S' row 4", "'lots'"),
    ),
    case(
        "excel",
        "numeric-fips",
        workbook({"S": [["geography", "period", "value"], [6075, 2020, 1]]}),
        {},
        Raises(SpreadsheetReadError, "{name}", "row 2", "lose leading zeros"),
    ),
    case(
        "excel",
        "formula-without-cached-value",
        workbook({"S": [*TIDY, ["08", 2020, "=B2*2"]]}),
        {},
        Raises(
            SpreadsheetReadError, "{name}", "sheet 'S' row 4", "formula", "cell C4", "LibreOffice"
        ),
    ),
    case(
        "excel",
        "formula-without-cached-value-in-a-key",
        workbook({"S": [*TIDY, ["=A2", 2021, 3], ["09", "=B2+1", 4]]}),
        {},
        Raises(SpreadsheetReadError, "{name}", "cell A4", "cell B5", "'=A2'"),
    ),
    case(
        "excel",
        "duplicate-headers",
        workbook({"S": [["geography", "period", "value", "value"], ["06", 2020, 1, 2]]}),
        {},
        Raises(SourceReadError, "{name}", "'value'"),
    ),
    case(
        "excel",
        "duplicate-keys",
        workbook({"S": [*TIDY, ["06", 2020, 9]]}),
        {},
        Raises(SpreadsheetReadError, "{name}", "row 2", "row 4"),
    ),
    case(
        "excel",
        "csv-named-xlsx",
        raw(b"geography,period,value\n06,2020,1\n"),
        {},
        Raises(SourceReadError, "{name}", "cannot open the workbook"),
    ),
    case(
        "excel",
        "zip-that-is-no-workbook",
        a_zip,
        {},
        Raises(SourceReadError, "{name}", "cannot open the workbook"),
    ),
    case(
        "excel",
        "random-bytes",
        raw(bytes(range(256)) * 8),
        {},
        Raises(SourceReadError, "{name}", "cannot open the workbook"),
    ),
    case("excel", "zero-bytes", raw(b""), {}, Raises(SourceReadError, "{name}")),
    case(
        "excel",
        "truncated-workbook",
        truncated_book,
        {},
        Raises(SourceReadError, "{name}", "cannot open the workbook"),
    ),
]


@pytest.mark.parametrize(("build", "options", "expect"), EXCEL)
def test_bad_workbook_raises_a_located_error(
    tmp_path: Path, build: Callable[[Path], None], options: dict[str, Any], expect: Raises
) -> None:
    path = tmp_path / "partner book.xlsx"
    build(path)
    expect.check(lambda: fl.read("excel", path, **{"unit": "count", **options}), name=path.name)


# ------------------------------------------------------------------------ pdf


def _pdf(path: Path, lines: list[str], **encrypt: str) -> bytes:
    pdf = fpdf.FPDF()
    if encrypt:
        pdf.set_encryption(**encrypt)
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    for line in lines:
        pdf.cell(0, 7, line)
        pdf.ln(7)
    pdf.output(str(path))
    return path.read_bytes()


TABLE = ["Place        2019     2020", "Alameda      1,234    1,300", "Butte          456      470"]


def letter(path: Path) -> None:
    _pdf(path, ["A letter about the partnership, with no table in it."])


def table_pdf(path: Path) -> None:
    _pdf(path, TABLE)


def truncated(path: Path) -> None:
    data = _pdf(path, TABLE)
    path.write_bytes(data[: len(data) // 2])


def scanned(path: Path) -> None:
    from PIL import Image

    png = path.with_suffix(".png")
    Image.new("RGB", (60, 40), "white").save(png)
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.image(str(png), x=10, y=10, w=100)
    pdf.output(str(path))


def locked(path: Path) -> None:
    _pdf(path, TABLE, owner_password="owner", user_password="secret")


def junk_before_header(path: Path) -> None:
    data = _pdf(path, ["A letter with no table."])
    path.write_bytes(b"\r\n\x00junk" + data)


PDF = [
    case(
        "pdf",
        "csv-named-pdf",
        raw(b"State,Value\nOhio,3\n"),
        {},
        Raises(NotAPdfError, "{name}", "not a PDF"),
    ),
    case("pdf", "zero-bytes", raw(b""), {}, Raises(NotAPdfError, "{name}")),
    case(
        "pdf",
        "header-then-garbage",
        raw(b"%PDF-1.7\n" + bytes(range(256)) * 4),
        {},
        Raises(PdfReadError, "{name}"),
    ),
    case("pdf", "truncated-half", truncated, {}, Raises(PdfReadError, "{name}")),
    case(
        "pdf",
        "encrypted-no-password",
        locked,
        {},
        Raises(EncryptedPdfError, "{name}", "needs a password"),
    ),
    case(
        "pdf",
        "encrypted-wrong-password",
        locked,
        {"password": "guess"},
        Raises(EncryptedPdfError, "{name}", "wrong"),
    ),
    case("pdf", "no-text-layer", scanned, {}, Raises(NoTextLayerError, "{name}", "page 1", "OCR")),
    case(
        "pdf",
        "page-out-of-range",
        letter,
        {"pages": [1, 3]},
        Raises(PageRangeError, "{name}", "page 3", "1 page"),
    ),
    case("pdf", "page-zero", letter, {"pages": 0}, Raises(PageRangeError, "{name}")),
    case("pdf", "page-negative", letter, {"pages": -1}, Raises(PageRangeError, "{name}")),
    case("pdf", "no-table", letter, {}, Raises(NoTableFoundError, "{name}", "page 1")),
    case(
        "pdf",
        "junk-before-header",
        junk_before_header,
        {},
        Raises(NoTableFoundError, "{name}", "page 1"),
    ),
]


@pytest.mark.parametrize(("build", "options", "expect"), PDF)
def test_bad_pdf_raises_a_located_error(
    tmp_path: Path, build: Callable[[Path], None], options: dict[str, Any], expect: Raises
) -> None:
    path = tmp_path / "annual report.pdf"
    build(path)
    expect.check(lambda: read_tables(path, **options), name=path.name)


@pytest.mark.catalogue("pdf")
def test_missing_pdf_and_a_folder(tmp_path: Path) -> None:
    Raises(NotAPdfError, "nope.pdf", "not found").check(lambda: read_tables(tmp_path / "nope.pdf"))
    (tmp_path / "dir.pdf").mkdir()
    Raises(NotAPdfError, "dir.pdf").check(lambda: read_tables(tmp_path / "dir.pdf"))


@pytest.mark.catalogue("pdf")
def test_encrypted_pdf_opens_with_its_password(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    locked(path)
    tables = read_tables(path, password="secret")
    assert tables and tables[0].pages == (1,)
    assert "Alameda" in tables[0].frame.to_string()


# --------------------------------------------------------------------- census

COUNTY: dict[str, Any] = {
    "dataset": "acs/acs5",
    "year": 2022,
    "geography": "county:075",
    "within": {"state": "CA"},
}


@pytest.fixture
def mock() -> CensusMock:
    mock = CensusMock(key=KEY)
    income = ("Estimate!!Median household income", "MEDIAN HOUSEHOLD INCOME", "B19013")
    mock.add(
        2022,
        "acs/acs5",
        variables=census_variables({"B19013_001E": income}),
        geography=census_geography(),
        rows=[
            census_row(
                "050",
                "San Francisco County, California",
                state="06",
                county="075",
                values={"B19013_001E": "136689", "B19013_001M": "2096"},
            )
        ],
    )
    return mock


HEADER = ["B19013_001E", "B19013_001M", "B19013_001EA", "B19013_001MA", "GEO_ID", "state", "county"]
REQUEST = "2022/acs/acs5"
KEY = "s3cr3t-KEY-0123456789abcdef"
CENSUS = [
    case(
        "census",
        "500-retries-exhausted",
        [CensusFault.http(500)] * 3,
        Raises(CensusServerError, REQUEST, "HTTP 500", "3 attempt"),
    ),
    case(
        "census",
        "503-retries-exhausted",
        [CensusFault.http(503)] * 3,
        Raises(CensusServerError, REQUEST, "HTTP 503"),
    ),
    case(
        "census",
        "502-retries-exhausted",
        [CensusFault.http(502)] * 3,
        Raises(CensusServerError, REQUEST, "HTTP 502"),
    ),
    case(
        "census",
        "429-retries-exhausted",
        [CensusFault.rate_limited(0)] * 3,
        Raises(CensusServerError, REQUEST, "HTTP 429"),
    ),
    case(
        "census",
        "timeouts",
        [CensusFault.timeout()] * 3,
        Raises(CensusTimeoutError, REQUEST, "timed out 3 time"),
    ),
    case(
        "census",
        "connection-refused",
        [CensusFault.connection_error()] * 3,
        Raises(CensusServerError, REQUEST, "ConnectError"),
    ),
    case(
        "census",
        "truncated-json",
        [CensusFault.truncated()],
        Raises(CensusResponseError, REQUEST, "not valid JSON"),
    ),
    case(
        "census",
        "empty-body-200",
        [CensusFault.truncated(keep=0.0)],
        Raises(CensusResponseError, REQUEST, "not valid JSON"),
    ),
    case(
        "census",
        "html-page-with-200",
        [CensusFault.html()],
        Raises(CensusResponseError, REQUEST, "HTML page"),
    ),
    case(
        "census",
        "html-page-json-type",
        [CensusFault.reply("<html><body>Oops</body></html>")],
        Raises(CensusResponseError, REQUEST),
    ),
    case(
        "census",
        "invalid-key-page",
        [CensusFault.invalid_key()],
        Raises(CensusKeyError, REQUEST, "Invalid Key"),
    ),
    case(
        "census",
        "redirect-302",
        [CensusFault.redirect()],
        Raises(CensusKeyError, REQUEST, "redirect", "key_signup.html"),
    ),
    case(
        "census",
        "redirect-301-elsewhere",
        [CensusFault.redirect("https://evil.test/x", status=301)],
        Raises(SourceReadError, REQUEST, "301"),
    ),
    case(
        "census", "404", [CensusFault.http(404)], Raises(CensusNotFoundError, REQUEST, "HTTP 404")
    ),
    case("census", "403", [CensusFault.http(403, "Forbidden")], Raises(CensusKeyError, REQUEST)),
    case(
        "census",
        "wrong-header-row",
        [CensusFault.reply([["NAME"], ["x"]])],
        Raises(CensusResponseError, REQUEST, "no 'county' column"),
    ),
    case(
        "census",
        "ragged-rows",
        [CensusFault.reply([HEADER, ["1"]])],
        Raises(CensusResponseError, REQUEST, "row 1 has 1"),
    ),
    case(
        "census",
        "numbers-not-text",
        [CensusFault.reply([HEADER, [1, 2, None, None, "x", "06", "075"]])],
        Raises(CensusResponseError, REQUEST, "every value as text"),
    ),
    case(
        "census",
        "text-for-a-number",
        [CensusFault.reply([HEADER, ["lots", "2", None, None, "0500000US06075", "06", "075"]])],
        Raises(CensusResponseError, REQUEST, "B19013_001E", "data rows 1", "'lots'"),
    ),
    case(
        "census",
        "object-not-array",
        [CensusFault.reply({"error": "nope"})],
        Raises(CensusResponseError, REQUEST, "array of rows"),
    ),
    case(
        "census",
        "invalid-utf8-body",
        [CensusFault.reply(b'[["\xff\xfe"]]')],
        Raises(CensusResponseError, REQUEST),
    ),
    case(
        "census",
        "unknown-variable-from-api",
        [CensusFault.http(400, "error: unknown variable 'B19013_001E'")],
        Raises(UnknownVariableError, "B19013_001E"),
    ),
    case(
        "census",
        "418-teapot",
        [CensusFault.http(418, "teapot")],
        Raises(SourceReadError, REQUEST, "HTTP 418"),
    ),
    case(
        "census",
        "metadata-truncated",
        [CensusFault.truncated(on="meta")],
        Raises(CensusResponseError, r"(variables|geography)\.json", "truncated", regex=True),
    ),
    case(
        "census",
        "metadata-html",
        [CensusFault.html(on="meta")],
        Raises(CensusResponseError, "HTML page"),
    ),
    case(
        "census",
        "metadata-404",
        [CensusFault.http(404, on="meta")],
        Raises(CensusNotFoundError, "HTTP 404"),
    ),
]


@pytest.mark.parametrize(("faults", "expect"), CENSUS)
def test_census_faults_raise_typed_errors(
    mock: CensusMock, faults: list[CensusFault], expect: Raises
) -> None:
    mock.inject(*faults)
    err = expect.check(
        lambda: census.read_census(variables="B19013_001", **COUNTY, **mock.options(retries=2))
    )
    assert mock.count("signup") == 0  # a redirect is never followed
    assert KEY not in str(err) and KEY not in repr(err.args)  # the key never leaks


@pytest.mark.catalogue("census")
def test_unknown_variable_is_caught_before_any_data_request(mock: CensusMock) -> None:
    Raises(UnknownVariableError, "B19031_001", "B19013_001").check(
        lambda: census.read_census(variables="B19031_001", **COUNTY, **mock.options())
    )
    assert mock.count("data") == 0


@pytest.mark.catalogue("census")
def test_faults_then_recovery_give_the_right_value(mock: CensusMock) -> None:
    mock.inject(CensusFault.http(503), CensusFault.timeout(), CensusFault.rate_limited(0))
    s = census.read_census(variables="B19013_001", **COUNTY, **mock.options(retries=3))
    assert s.frame[["geography", "value", "moe"]].values.tolist() == [["06075", 136689.0, 2096.0]]


@pytest.mark.catalogue("census")
def test_a_failed_pull_leaves_no_bad_cache_entry(mock: CensusMock, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    mock.inject(CensusFault.truncated())
    with pytest.raises(CensusResponseError):
        census.read_census(variables="B19013_001", **COUNTY, **mock.options(cache_dir=cache))
    s = census.read_census(variables="B19013_001", **COUNTY, **mock.options(cache_dir=cache))
    assert s.frame["value"].tolist() == [136689.0]
    assert not [p for p in cache.rglob("*") if p.name.endswith(".tmp")]
