"""Excel workbooks for the people at the table: one sheet per indicator and a README.

:func:`write_workbook` writes a loop's data as partners open it in Excel: one
sheet per indicator (place code and name, period, categories, value, margin of
error, status), headers frozen, numbers formatted by unit, and a README sheet
with the loop, the as-of date, the audience, each indicator's definition,
source and footnotes, and what every status means.
:meth:`IndicatorSeries.to_excel <feedbackloop.IndicatorSeries.to_excel>` writes
one series the same way (:func:`write_series`).

Nothing in a workbook can reveal a withheld value: a row whose status is
withheld for privacy (:attr:`Status.is_suppressed
<feedbackloop.Status.is_suppressed>`) has every number blank (value, margin of
error, numerator, denominator) and only its status text, and the writer adds no
cell of its own (no total, share or formula) that a withheld value could be
worked out from. With an ``audience``, the data first goes through the
data-sharing agreements (:func:`feedbackloop.report.for_audience`).

Every text cell passes through the formula neutraliser (text a spreadsheet would
run gets a leading apostrophe), and each sheet reads back through the ``excel``
adapter into an equal series: ``fl.read("excel", path, sheet=...,
dimensions=[...], indicator=...)`` (the README gives the call for each sheet).
Numbers are stored with 16 significant digits (openpyxl), so a value needing all
17 digits of a double (``0.1 + 0.2``) reads back as its 16-digit rounding.

Needs the ``excel`` extra (openpyxl).
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from attrs import frozen

from feedbackloop._util import atomic_write_bytes, import_optional, neutralize_formula
from feedbackloop.errors import UnitError, WorkbookError
from feedbackloop.model import FeedbackLoop, Indicator
from feedbackloop.planning import DataSharingAgreement
from feedbackloop.privacy import Policy, export
from feedbackloop.report import for_audience, source_text
from feedbackloop.series import IndicatorSeries, Status
from feedbackloop.units import conversion_factor, is_count, parse_unit

__all__ = ["README", "STATUS_MEANINGS", "sheet_names", "write_series", "write_workbook"]

#: The name of the sheet that explains the workbook.
README = "README"

#: What each status means, as the README sheet says it.
STATUS_MEANINGS: Mapping[Status, str] = {
    Status.ESTIMATE: "an ordinary value (with its margin of error when sampled)",
    Status.CONTROLLED: "controlled to independent totals: the margin of error is 0",
    Status.MOE_NOT_COMPUTABLE: "the value is known but its margin of error is not",
    Status.BOTTOM_CODED: "the value lies in the lowest open-ended interval (e.g. 2,500-)",
    Status.TOP_CODED: "the value lies in the highest open-ended interval (e.g. 250,000+)",
    Status.NOT_COMPUTABLE: "too few sample observations to compute the value",
    Status.NOT_AVAILABLE: "not available or not displayed (too few cases, not collected)",
    Status.NOT_APPLICABLE: "the concept does not apply here",
    Status.MISSING: "missing from the source, no reason given",
    Status.SUPPRESSED: "withheld to protect privacy (a small count)",
    Status.SUPPRESSED_COMPLEMENTARY: "withheld so that another withheld value cannot be "
    "worked out from the totals",
    Status.SUPPRESSED_DERIVED: "withheld because it is computed from a withheld value",
    Status.SMALL_SAMPLE: "few sample records: read the value with caution",
}

_MAX_SHEET = 31  # Excel's limit on a sheet name
_MAX_CELL = 32_767  # Excel's limit on the characters of a cell
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what an XLSX cell cannot hold
_RESERVED = ("history",)  # Excel refuses a sheet named History
_PLACE_NAME = "place_name"
_NUMBERS = ("numerator", "numerator_moe", "denominator", "denominator_moe")
_WIDTH_MIN, _WIDTH_MAX = 8, 60
_FIRST_DATA_ROW = 3  # row 1: the title; row 2: the header


def _legal_sheet_name(title: str) -> str:
    name = _BAD_SHEET_CHARS.sub("-", title).strip().strip("'").strip()
    return name or "Sheet"


def sheet_names(titles: Sequence[str], *, taken: Sequence[str] = (README,)) -> list[str]:
    r"""Return Excel-legal, unique sheet names for ``titles``, in order.

    Characters Excel refuses (``[ ] : * ? / \``, control characters) become
    ``-``, leading and trailing apostrophes go, names are cut to 31 characters,
    and a name already used (case-insensitively, as Excel compares them; also
    ``History`` and the names in ``taken``) gets `` (2)``, `` (3)``...

    Parameters
    ----------
    titles : sequence of str
        What each sheet holds (e.g. indicator names).
    taken : sequence of str
        Names already used in the workbook (default: ``README``).

    Returns
    -------
    list of str

    Examples
    --------
    >>> sheet_names(["Rate: 16-24 / all", "readme", "history"])
    ['Rate- 16-24 - all', 'readme (2)', 'history (2)']
    >>> [len(n) for n in sheet_names(["A" * 40, "A" * 40])]
    [31, 31]

    .. versionadded:: 0.2.0
    """
    used = {t.casefold() for t in taken} | set(_RESERVED)
    out = []
    for title in titles:
        base = _legal_sheet_name(title)
        name, n = base[:_MAX_SHEET].rstrip().rstrip("'"), 1
        while name.casefold() in used:
            n += 1
            suffix = f" ({n})"
            name = base[: _MAX_SHEET - len(suffix)].rstrip().rstrip("'") + suffix
        used.add(name.casefold())
        out.append(name)
    return out


def _number_format(unit: str) -> str:
    """Return the Excel number format for values in ``unit``."""
    text = unit.strip().lower()
    if text in ("percent", "%", "percentage"):
        return '0.0"%"'
    try:
        dims = dict(parse_unit(unit).dimensionality)
        if dims == {"[currency]": 1}:
            return '"$"#,##0' if text in ("usd", "dollars", "$") else "#,##0"
        if not dims and conversion_factor(unit, "percent") == 100.0:
            return "0.0%"  # a fraction: Excel's percent format multiplies by 100
    except UnitError:
        return "General"
    if is_count(unit):
        return "#,##0"
    return "#,##0.0##"


def _text(value: object, where: str) -> str:
    """Return ``value`` as a cell's text that no spreadsheet runs; refuse what XLSX cannot hold."""
    text = str(neutralize_formula(str(value)))
    bad = _ILLEGAL.search(text)
    if bad:
        raise WorkbookError(
            f"{where}: the text {text[:60]!r} holds the control character "
            f"{bad.group()!r}, which an Excel cell cannot store; remove it from the data"
        )
    if len(text) > _MAX_CELL:
        raise WorkbookError(
            f"{where}: a text of {len(text):,} characters is longer than an Excel cell "
            f"holds ({_MAX_CELL:,}); shorten it"
        )
    return text


@frozen
class _Sheet:
    """One indicator's sheet: its name, title and header, and the rows of cells."""

    name: str
    title: str
    header: tuple[str, ...]
    rows: list[list[Any]]
    formats: Mapping[int, str]  # column position -> number format
    withheld: int
    missing: int


def _columns(series: IndicatorSeries, places: Mapping[str, str]) -> tuple[str, ...]:
    cols = ["geography", *([_PLACE_NAME] if places else []), "period", *series.dimensions]
    cols += ["value", *(["moe"] if series.has_moe else []), "status"]
    cols += [c for c in _NUMBERS if c in series.table.column_names]
    if _PLACE_NAME in series.dimensions:
        raise WorkbookError(
            f"indicator {series.indicator.id!r}: a dimension is named {_PLACE_NAME!r}, the "
            "column of place names; rename the dimension"
        )
    return tuple(cols)


def _sheet(name: str, series: IndicatorSeries, places: Mapping[str, str]) -> _Sheet:
    """Lay out one series as a sheet; withheld rows get no number at all."""
    header = _columns(series, places)
    table = series.table
    data = {c: table.column(c).to_pylist() for c in header if c in table.column_names}
    statuses = [str(s) for s in data["status"]]
    hidden = [Status(s).is_suppressed for s in statuses]
    numeric = {"value", "moe", *_NUMBERS}
    rows: list[list[Any]] = []
    for i in range(len(series)):
        row: list[Any] = []
        for c in header:
            where = f"sheet {name!r} row {i + _FIRST_DATA_ROW} column {c!r}"
            if c == _PLACE_NAME:
                code = data["geography"][i]
                row.append(_text(places[code], where) if code in places else None)
            elif c in numeric:
                v = data[c][i]
                row.append(None if hidden[i] or v is None or np.isnan(v) else float(v))
            else:
                row.append(_text(data[c][i], where))
        rows.append(row)
    value_format = _number_format(series.unit)
    formats = {j: value_format if c in ("value", "moe") else "#,##0" for j, c in enumerate(header)}
    formats = {j: f for j, f in formats.items() if header[j] in numeric}
    unit = f" ({series.unit})" if series.unit else ""
    return _Sheet(
        name=name,
        title=_text(f"{series.indicator.name}{unit}", f"sheet {name!r} title"),
        header=tuple(_text(h, f"sheet {name!r} header") for h in header),
        rows=rows,
        formats=formats,
        withheld=sum(hidden),
        missing=sum(1 for s in statuses if s in _NO_VALUE),
    )


_NO_VALUE = frozenset(s.value for s in Status if not s.has_value and not s.is_suppressed)


# ------------------------------------------------------------------- README


@frozen
class _About:
    """What the README says about one indicator."""

    id: str
    indicator: Indicator
    unit: str
    sheet: _Sheet | None
    source: str
    dimensions: tuple[str, ...]
    non_additive: tuple[str, ...]
    has_moe: bool


def _footnotes(about: _About) -> str:
    sheet = about.sheet
    if sheet is None:
        return "no data"
    notes = []
    if sheet.withheld:
        notes.append(
            f"{sheet.withheld} value(s) withheld to protect privacy: their numbers are blank "
            "and their status says why"
        )
    if sheet.missing:
        notes.append(f"{sheet.missing} row(s) without a value: the status says why")
    if about.has_moe:
        notes.append("margins of error (moe) are at the 90% confidence level")
    if about.unit.strip().lower() in ("percent", "%", "percentage"):
        notes.append("values are percentages: 12.5 means 12.5%")
    notes += [f"the categories of {d} overlap: do not add them up" for d in about.non_additive]
    return "; ".join(notes)


def _read_call(file_name: str, about: _About) -> str:
    if about.sheet is None:
        return ""
    return (
        f"fl.read('excel', {file_name!r}, sheet={about.sheet.name!r}, "
        f"dimensions={list(about.dimensions)!r}, indicator=...)"
    )


_README_HEADER = (
    "sheet",
    "indicator",
    "name",
    "unit",
    "definition",
    "source",
    "footnotes",
    "rows",
    "read it back with",
)
_COLUMN_NOTES = (
    ("geography", "the place code (GEOID or the source's own code), as text"),
    (_PLACE_NAME, "the place's name, from the loop's places: table"),
    ("period", "the year or period the value is for (2018-2022 is a 5-year estimate)"),
    ("(other columns)", "categories the indicator is broken down by; (total) is all of them"),
    ("value", "the value, in the unit of the sheet's title"),
    ("moe", "the 90% margin of error: the value is within value ± moe with 90% confidence"),
    ("status", "what the row's value is; see Statuses below"),
    ("numerator, denominator", "the counts a rate or share is computed from, where given"),
)


def _readme(
    title: str, day: _dt.date, audience: str | None, abouts: Sequence[_About], file_name: str
) -> list[tuple[list[Any], bool]]:
    """Return the README sheet's rows, each with whether it is a heading."""
    seen = "as read (no audience's disclosure control applied)"
    rows: list[tuple[list[Any], bool]] = [
        ([_text(title, "README title")], True),
        (["As of", day.isoformat()], False),
        (["Audience", _text(audience, "README audience") if audience else seen], False),
        (
            [
                "Withheld values",
                (
                    "Values withheld to protect privacy are blank, with their status; no "
                    "cell in this workbook lets one be worked out."
                ),
            ],
            False,
        ),
        ([], False),
        (list(_README_HEADER), True),
    ]
    for a in abouts:
        cells = [
            a.sheet.name if a.sheet else "",
            a.id,
            a.indicator.name,
            a.unit,
            a.indicator.description,
            a.source,
            _footnotes(a),
        ]
        where = f"README, indicator {a.id!r}"
        row: list[Any] = [_text(c, where) if c else None for c in cells]
        row += [len(a.sheet.rows) if a.sheet else 0, _read_call(file_name, a) or None]
        rows.append((row, False))
    rows += [([], False), (["Columns", "meaning"], True)]
    rows += [([c, m], False) for c, m in _COLUMN_NOTES]
    rows += [([], False), (["Statuses", "meaning"], True)]
    rows += [([s.value, m], False) for s, m in STATUS_MEANINGS.items()]
    return rows


# ------------------------------------------------------------------- writing


def _width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, float):
        return len(f"{value:,.1f}")
    return max((len(line) for line in str(value).splitlines()), default=0)


def _write_data_sheet(ws: Any, sheet: _Sheet, font: Any) -> None:
    ws.append([sheet.title])
    ws.append(list(sheet.header))
    for row in sheet.rows:
        ws.append(row)
    ws["A1"].font = font(bold=True, size=13)
    for cell in ws[2]:
        cell.font = font(bold=True)
    ws.freeze_panes = f"A{_FIRST_DATA_ROW}"
    last = _FIRST_DATA_ROW - 1 + len(sheet.rows)
    for j, fmt in sheet.formats.items():
        cells = ws.iter_rows(min_row=_FIRST_DATA_ROW, max_row=last, min_col=j + 1, max_col=j + 1)
        for (cell,) in cells:
            cell.number_format = fmt
    for j, name in enumerate(sheet.header):
        wide = max([len(name), *(_width(r[j]) for r in sheet.rows)])
        letter = ws.cell(row=2, column=j + 1).column_letter
        ws.column_dimensions[letter].width = min(max(wide + 2, _WIDTH_MIN), _WIDTH_MAX)
    if sheet.rows:
        ws.auto_filter.ref = f"A2:{ws.cell(row=last, column=len(sheet.header)).coordinate}"


def _render(sheets: Sequence[_Sheet], readme: Sequence[tuple[list[Any], bool]]) -> bytes:
    openpyxl = import_optional("openpyxl", extra="excel", purpose="writing Excel workbooks")
    styles = import_optional("openpyxl.styles", extra="excel", purpose="writing Excel workbooks")
    wb = openpyxl.Workbook()
    about = wb.active
    about.title = README
    for row, heading in readme:
        about.append(row)
        if heading:
            for cell in about[about.max_row]:
                cell.font = styles.Font(bold=True, size=13 if about.max_row == 1 else 11)
    for letter, width in zip("ABCDEFGHI", (24, 26, 30, 14, 50, 40, 60, 8, 60), strict=True):
        about.column_dimensions[letter].width = width
    for row in about.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = styles.Alignment(wrap_text=True, vertical="top")
    for sheet in sheets:
        _write_data_sheet(wb.create_sheet(sheet.name), sheet, styles.Font)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _about(
    ind_id: str,
    indicator: Indicator,
    series: IndicatorSeries | None,
    sheet: _Sheet | None,
    source: str,
) -> _About:
    return _About(
        id=ind_id,
        indicator=indicator,
        unit=series.unit if series is not None else indicator.unit,
        sheet=sheet,
        source=source,
        dimensions=series.dimensions if series is not None else (),
        non_additive=series.non_additive if series is not None else (),
        has_moe=series is not None and series.has_moe,
    )


def write_workbook(
    loop: FeedbackLoop,
    data: Mapping[str, IndicatorSeries],
    path: str | os.PathLike[str],
    *,
    audience: str | None = None,
    as_of: _dt.date | None = None,
    agreements: Sequence[DataSharingAgreement] = (),
    base_dir: str | Path | None = None,
) -> Path:
    """Write a loop's data to an Excel workbook partners open: a sheet per indicator.

    Each indicator with data gets a sheet (named after the indicator, made
    Excel-legal and unique: see :func:`sheet_names`): a title row, a frozen
    header row, then one row per place, period and category, with the place's
    name beside its code where the loop has a ``places:`` table, the value and
    margin of error formatted by unit (percent, counts, dollars) and the
    status. The README sheet gives the loop's name, the as-of date, the
    audience, each indicator's name, unit, definition, source (relative to the
    loop's folder), footnotes and the call that reads its sheet back, and what
    each column and status means. The file is written whole or not at all.

    Parameters
    ----------
    loop : FeedbackLoop
        The loop: its indicators (in order), name and places.
    data : mapping of indicator id to IndicatorSeries
        The series, e.g. the result of :func:`feedbackloop.adapters.collect`.
        Series of indicators the loop does not list come after the loop's.
    path : path
        The ``.xlsx`` file to write.
    audience : str, optional
        Who the workbook is for (``"backbone"``, ``"partners"``, ``"public"`` or
        an audience of an agreement): sensitive series and those an agreement
        covers are shown as it may see them
        (:func:`feedbackloop.report.for_audience`). Required when any is.
    as_of : datetime.date, optional
        The date the README gives (default today).
    agreements : sequence of DataSharingAgreement
        The loop's data-sharing agreements (:meth:`FeedbackLoop.attachments`).
    base_dir : path, optional
        The loop's folder: sources are named relative to it.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    feedbackloop.privacy.ExportRefusedError
        Sensitive data and no audience, or an audience the agreements do not define.
    WorkbookError
        A text an Excel cell cannot hold (a control character, over 32,767
        characters), named by sheet, row and column.
    MissingDependencyError
        openpyxl is not installed (``pip install 'feedbackloop[excel]'``).

    .. versionadded:: 0.2.0
    """
    shown = for_audience(data, audience, agreements)
    known = {i.id: i for i in loop.indicators}
    order = [i for i in known if i in shown] + sorted(k for k in shown if k not in known)
    names = sheet_names([shown[k].indicator.name for k in order])
    places = loop.place_names()
    sheets = {k: _sheet(n, shown[k], places) for n, k in zip(names, order, strict=True)}
    abouts = [
        _about(
            k,
            known.get(k) or shown[k].indicator,
            shown.get(k),
            sheets.get(k),
            source_text(shown[k].provenance, base_dir) if k in shown else "",
        )
        for k in [*known, *(k for k in order if k not in known)]
    ]
    day = _dt.date.today() if as_of is None else as_of
    readme = _readme(loop.name, day, audience, abouts, Path(path).name)
    atomic_write_bytes(path, _render(list(sheets.values()), readme))
    return Path(path)


def write_series(
    series: IndicatorSeries,
    path: str | os.PathLike[str],
    *,
    audience: str | None = None,
    policies: Mapping[str, Mapping[str, Any] | Policy] | None = None,
    sheet: str | None = None,
    places: Mapping[str, str] | None = None,
    as_of: _dt.date | None = None,
) -> Path:
    r"""Write one series to an Excel workbook: its sheet and a README.

    The sheet is laid out as :func:`write_workbook` lays out each indicator's.

    Parameters
    ----------
    series : IndicatorSeries
    path : path
        The ``.xlsx`` file to write (whole, or not at all).
    audience : str, optional
        Export the series as this audience may see it
        (:func:`feedbackloop.privacy.export`); required for a sensitive series.
    policies : mapping, optional
        Audience name to policy, overriding the default audiences.
    sheet : str, optional
        The sheet's name (default: the indicator's name, made Excel-legal).
        It must be Excel-legal: at most 31 characters, none of ``[ ] : * ? / \``.
    places : mapping of str to str, optional
        Place code to name, for a column of place names.
    as_of : datetime.date, optional
        The date the README gives (default today).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    WorkbookError
        An illegal sheet name, or a text an Excel cell cannot hold.
    feedbackloop.privacy.ExportRefusedError
        A sensitive series and no audience.
    MissingDependencyError
        openpyxl is not installed.

    .. versionadded:: 0.2.0
    """
    shown = export(series, audience, policies)
    name = sheet_names([series.indicator.name if sheet is None else sheet])[0]
    if sheet is not None and name != sheet:
        raise WorkbookError(
            f"sheet={sheet!r} is not a sheet name Excel accepts (at most {_MAX_SHEET} "
            "characters, none of [ ] : * ? / \\, not README or History); "
            f"for example {name!r}"
        )
    laid = _sheet(name, shown, dict(places or {}))
    about = _about(
        series.indicator.id, series.indicator, shown, laid, source_text(shown.provenance)
    )
    day = _dt.date.today() if as_of is None else as_of
    readme = _readme(series.indicator.name, day, audience, [about], Path(path).name)
    atomic_write_bytes(path, _render([laid], readme))
    return Path(path)
