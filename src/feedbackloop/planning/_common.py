"""Shared helpers for inventories, agreements and action plans: dates, cadences, tables.

Private: the public names live in :mod:`feedbackloop.planning.inventory`,
:mod:`feedbackloop.planning.agreements` and :mod:`feedbackloop.planning.actions`.
"""

from __future__ import annotations

import calendar
import csv
import datetime as _dt
import enum
import re
from pathlib import Path
from typing import Any

from attrs import frozen

from feedbackloop._util import import_optional, parse_yaml, restore_formula
from feedbackloop.errors import PeriodError, PlanningFileError, Problem
from feedbackloop.period import Period, PeriodKind

__all__ = [
    "NULL_TOKENS",
    "SLUG",
    "SLUG_PATTERN",
    "Cadence",
    "Duration",
    "Located",
    "add_months",
    "column_letter",
    "is_blank",
    "normalize_header",
    "opt_date",
    "parse_date_cell",
    "parse_plan_year",
    "read_csv_document",
    "read_csv_rows",
    "read_xlsx_rows",
    "read_yaml_document",
    "shift_period",
    "split_names",
]

#: Ids of indicators, nodes and agreements: lower-case letters, digits and ``_``.
#: The same rule as the model's ids (it keeps its pattern private; tests/test_inventory.py
#: checks that the two agree).
SLUG_PATTERN = r"[a-z][a-z0-9_]*"
SLUG = re.compile(SLUG_PATTERN + r"\Z")

#: Cell texts read as "no date": blank, N/A, NA, none, -, —, TBD, ongoing.
NULL_TOKENS = frozenset({"", "n/a", "na", "none", "-", "—", "–", "tbd", "ongoing"})


# --------------------------------------------------------------------- dates


def add_months(day: _dt.date, months: int) -> _dt.date:
    """Return ``day`` moved by ``months`` calendar months, clipped to the month's end.

    Examples
    --------
    >>> add_months(_dt.date(2024, 1, 31), 1)
    datetime.date(2024, 2, 29)
    >>> add_months(_dt.date(2024, 11, 15), 3)
    datetime.date(2025, 2, 15)
    """
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return _dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def shift_period(period: Period, months: int) -> Period:
    """Return ``period`` moved by ``months`` (a quarter by 3 gives the next quarter).

    Examples
    --------
    >>> shift_period(Period.parse("2024-Q4"), 3)
    Period('2025-Q1')
    """
    start = add_months(period.start, months)
    end = add_months(period.end + _dt.timedelta(days=1), months) - _dt.timedelta(days=1)
    fiscal = period.start.month if period.kind is PeriodKind.FISCAL_YEAR else 7
    return Period.from_dates(start, end, fiscal_start_month=max(fiscal, 2))


class Cadence(enum.StrEnum):
    """How often data are delivered or refreshed.

    .. versionadded:: 0.1.0
    """

    ANNUAL = "annual"
    SEMIANNUAL = "semiannual"
    QUARTERLY = "quarterly"
    MONTHLY = "monthly"
    ONCE = "once"

    @property
    def months(self) -> int:
        """Months between two deliveries (0 for ``once``)."""
        return _CADENCE_MONTHS[self]

    @classmethod
    def parse(cls, value: object) -> Cadence:
        """Accept a member, its value or a synonym (``yearly``, ``semi-annual``, ``quarter``).

        Raises
        ------
        ValueError
            Naming the accepted words.
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            key = re.sub(r"[\s_-]+", "", value.strip().lower())
            key = _CADENCE_SYNONYMS.get(key, key)
            for member in cls:
                if key == member.value:
                    return member
        raise ValueError(f"must be one of {', '.join(m.value for m in cls)} (got {value!r})")

    def __str__(self) -> str:
        return str(self.value)


_CADENCE_MONTHS = {
    Cadence.ANNUAL: 12,
    Cadence.SEMIANNUAL: 6,
    Cadence.QUARTERLY: 3,
    Cadence.MONTHLY: 1,
    Cadence.ONCE: 0,
}
_CADENCE_SYNONYMS = {
    "yearly": "annual",
    "annually": "annual",
    "year": "annual",
    "semiannually": "semiannual",
    "halfyearly": "semiannual",
    "quarter": "quarterly",
    "month": "monthly",
    "onetime": "once",
}

_DURATION_ISO = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?\Z", re.IGNORECASE)
_DURATION_WORD = re.compile(r"(\d+)\s*(years?|months?|weeks?|days?)", re.IGNORECASE)


@frozen
class Duration:
    """A length of time in calendar years, months and days (``P3Y``, ``18 months``).

    .. versionadded:: 0.1.0
    """

    years: int = 0
    months: int = 0
    days: int = 0

    @classmethod
    def parse(cls, value: object) -> Duration:
        """Read ``P3Y``, ``P1Y6M``, ``P90D``, ``3 years``, ``18 months``, ``2 weeks``.

        Examples
        --------
        >>> Duration.parse("1 year 6 months")
        Duration(years=1, months=6, days=0)
        >>> str(Duration.parse("P2W"))
        'P14D'

        Raises
        ------
        ValueError
            If the text is not a duration.
        """
        if isinstance(value, Duration):
            return value
        if isinstance(value, str):
            text = value.strip()
            m = _DURATION_ISO.match(text)
            if m and any(m.groups()):
                y, mo, w, d = (int(g) if g else 0 for g in m.groups())
                return cls(y, mo, d + 7 * w)
            parts = _DURATION_WORD.findall(text)
            rest = _DURATION_WORD.sub("", text).replace(",", " ").replace("and", " ").strip()
            if parts and not rest:
                out = {"y": 0, "m": 0, "d": 0}
                for n, unit in parts:
                    u = unit.lower()[0]
                    if u == "w":
                        out["d"] += 7 * int(n)
                    else:
                        out[u] += int(n)
                return cls(out["y"], out["m"], out["d"])
        raise ValueError(
            f"must be a duration such as P3Y, P18M, P90D, '3 years' or '18 months' (got {value!r})"
        )

    def after(self, day: _dt.date) -> _dt.date:
        """Return the date this long after ``day``."""
        return add_months(day, 12 * self.years + self.months) + _dt.timedelta(days=self.days)

    def __str__(self) -> str:
        text = "P" + "".join(
            f"{n}{u}" for n, u in ((self.years, "Y"), (self.months, "M"), (self.days, "D")) if n
        )
        return text if text != "P" else "P0D"


# ------------------------------------------------------------- date cells

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})\Z")
_MDY = re.compile(r"(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?\Z")
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_NAMED = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:,?\s+(\d{4}))?\Z")


def _real_date(year: int, month: int, day: int, text: str) -> _dt.date:
    try:
        return _dt.date(year, month, day)
    except ValueError:
        if month == 2 and day == 29:
            raise ValueError(
                f"{text!r} is February 29, but {year} is not a leap year; "
                "write the full date of the day meant (e.g. 2/28 or 3/1)"
            ) from None
        raise ValueError(f"{text!r} is not a calendar date (month {month}, day {day})") from None


def _in_plan_year(month: int, day: int, text: str, plan_year: int | Period | None) -> _dt.date:
    if plan_year is None:
        raise ValueError(
            f"{text!r} has no year; give the plan year (plan_year=2024, or a school or "
            "fiscal year such as '2023/24') or write the full date"
        )
    if isinstance(plan_year, int):
        try:
            return _real_date(plan_year, month, day, text)
        except ValueError as err:
            raise ValueError(f"{err} (plan year {plan_year})") from None
    for year in range(plan_year.start.year, plan_year.end.year + 1):
        try:
            candidate = _dt.date(year, month, day)
        except ValueError:
            continue
        if plan_year.start <= candidate <= plan_year.end:
            return candidate
    leap = " (no February 29 falls in it)" if (month, day) == (2, 29) else ""
    raise ValueError(
        f"{text!r} is not a day of plan year {plan_year} "
        f"({plan_year.start} to {plan_year.end}){leap}; write the full date"
    )


def parse_date_cell(value: object, *, plan_year: int | Period | None = None) -> _dt.date | None:
    """Read one date cell of a plan or inventory.

    Accepts a :class:`datetime.date` (or ``datetime``, from a spreadsheet),
    ``2024-02-29``, ``2/29/2024``, ``2/29/24``, ``2/29`` and ``Feb 29`` (with
    ``plan_year``), ``March 5, 2024``; and the "no date" words of
    :data:`NULL_TOKENS` (``N/A``, blank, ``TBD``...), which give ``None``.

    Parameters
    ----------
    value : object
        The cell.
    plan_year : int or Period, optional
        The year (or school/fiscal year) that dates without a year fall in.

    Returns
    -------
    datetime.date or None

    Raises
    ------
    ValueError
        Saying why, e.g. ``'2/29' is February 29, but 2023 is not a leap year``.
    TypeError
        If the cell holds a number or another non-date value.

    Examples
    --------
    >>> parse_date_cell("2/29", plan_year=2024)
    datetime.date(2024, 2, 29)
    >>> parse_date_cell("9/15", plan_year=Period.parse("2023/24"))
    datetime.date(2023, 9, 15)
    >>> parse_date_cell("N/A") is None
    True
    """
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, bool) or not isinstance(value, str):
        raise TypeError(
            f"must be a date such as 2024-02-29, 2/29/2024 or 2/29 (got the {type(value).__name__} "
            f"{value!r}); format the cell as a date or as text"
        )
    text = value.strip()
    if text.lower() in NULL_TOKENS:
        return None
    if m := _ISO.match(text):
        return _real_date(int(m[1]), int(m[2]), int(m[3]), text)
    if m := _MDY.match(text):
        month, day = int(m[1]), int(m[2])
        if m[3] is None:
            return _in_plan_year(month, day, text, plan_year)
        year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
        return _real_date(year, month, day, text)
    if (m := _NAMED.match(text)) and m[1].lower() in _MONTHS:
        month, day = _MONTHS[m[1].lower()], int(m[2])
        if m[3] is None:
            return _in_plan_year(month, day, text, plan_year)
        return _real_date(int(m[3]), month, day, text)
    raise ValueError(f"must be a date such as 2024-02-29, 2/29/2024, 2/29 or N/A (got {text!r})")


def parse_plan_year(value: object) -> int | Period | None:
    """Read a plan year: an int year, or a school/fiscal year label such as ``2023/24``.

    Raises
    ------
    ValueError
        If ``value`` is neither.
    """
    if value is None:
        return None
    if isinstance(value, Period):
        return value.start.year if value.kind is PeriodKind.YEAR else value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        try:
            period = Period.parse(text)
        except PeriodError as err:
            raise ValueError(
                f"plan year must be a year or a school year such as 2023/24 ({err})"
            ) from err
        return period.start.year if period.kind is PeriodKind.YEAR else period
    raise ValueError(f"plan year must be a year such as 2024 or 2023/24 (got {value!r})")


# ------------------------------------------------------------------ tables


def normalize_header(text: object) -> str:
    """Return a header cell in a comparable form.

    ``"Person(s) Responsible"`` becomes ``"persons responsible"``.
    """
    raw = "" if text is None else str(text)
    raw = raw.replace("(s)", "s").replace("’", "'")
    return re.sub(r"[^a-z0-9]+", " ", raw.lower()).strip()


def read_csv_rows(path: Path) -> list[list[str]]:
    """Read a CSV file into rows of text (UTF-8, with or without a byte-order mark).

    The apostrophe the library's CSV writers put before text that a
    spreadsheet would run as a formula is removed (``'=x`` reads as ``=x``).

    Raises
    ------
    PlanningFileError
        If the file is not UTF-8 text, or a row cannot be split into fields.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise PlanningFileError(
            str(path),
            [Problem("", f"not UTF-8 text ({err}); save the sheet as 'CSV UTF-8'")],
        ) from err
    reader = csv.reader(text.splitlines())
    try:
        return [[restore_formula(c) for c in row] for row in reader]
    except csv.Error as err:  # a field over the csv module's limit
        raise PlanningFileError(
            str(path),
            [Problem(f"row {reader.line_num}", f"not readable as CSV: {err}; fix that row")],
        ) from err


def read_yaml_document(
    path: Path, error: type[PlanningFileError], what: str
) -> tuple[Any, dict[tuple[str | int, ...], int]]:
    """Read a UTF-8 YAML planning file: its data and the line of each document path.

    Raises
    ------
    FileNotFoundError
        ``"<what> not found: <path>"``.
    PlanningFileError
        As ``error`` (the module's own subclass), for text that is not UTF-8 or not YAML.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} not found: {path}") from None
    except UnicodeDecodeError as err:
        raise error(
            str(path), [Problem("", f"not UTF-8 text ({err}); save the file as UTF-8")]
        ) from err
    return parse_yaml(text, str(path), error)


def read_csv_document(path: Path, error: type[PlanningFileError], what: str) -> list[list[str]]:
    """Read a CSV planning file into rows of text (see :func:`read_csv_rows`).

    Raises
    ------
    FileNotFoundError
        ``"<what> not found: <path>"``.
    PlanningFileError
        As ``error``, for a file that is not UTF-8 text.
    """
    if not path.exists():
        raise FileNotFoundError(f"{what} not found: {path}")
    try:
        return read_csv_rows(path)
    except PlanningFileError as err:
        raise error(err.source, err.problems) from err


def read_xlsx_rows(
    path: Path, sheet: str | int | None, purpose: str
) -> tuple[str, list[list[Any]]]:
    """Read one worksheet of an XLSX workbook into rows of cell values (openpyxl, lazily).

    Returns
    -------
    (str, list of list)
        The sheet's title and its rows (row ``i`` of the list is sheet row ``i + 1``).

    Raises
    ------
    PlanningFileError
        If the workbook or the sheet cannot be opened.
    """
    openpyxl = import_optional("openpyxl", extra="excel", purpose=purpose)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many unrelated types
        raise PlanningFileError(
            str(path), [Problem("", f"not a readable XLSX workbook: {type(err).__name__}: {err}")]
        ) from err
    try:
        names = list(wb.sheetnames)
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise PlanningFileError(
                    str(path),
                    [Problem("", f"no sheet number {sheet} (sheets: {', '.join(names)})")],
                )
            ws = wb.worksheets[sheet]
        else:
            if sheet not in names:
                raise PlanningFileError(
                    str(path), [Problem("", f"no sheet {sheet!r} (sheets: {', '.join(names)})")]
                )
            ws = wb[sheet]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        return str(ws.title), rows
    finally:
        wb.close()


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index (0 → ``A``, 27 → ``AB``)."""
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def is_blank(value: object) -> bool:
    """Whether a cell is empty (``None`` or only whitespace)."""
    return value is None or (isinstance(value, str) and not value.strip())


def split_names(value: object) -> tuple[str, ...]:
    """Split a cell naming people or groups on ``;``, ``,`` or new lines."""
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(p.strip() for p in re.split(r"[;,\n]", str(value)) if p.strip())


def opt_date(value: object) -> _dt.date | None:
    """Convert ``None``, a date or ISO text to a date or ``None``."""
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        return _dt.date.fromisoformat(value.strip())
    raise TypeError(f"must be a date (got {value!r})")


@frozen
class Located:
    """A cell's place in a file, for messages: ``plan.csv, row 7, column 'stop' (E)``."""

    row: int
    column: str = ""
    letter: str = ""

    def __str__(self) -> str:
        col = f", column {self.column!r}" if self.column else ""
        if self.letter:
            col += f" ({self.letter})"
        return f"row {self.row}{col}"
