"""Turning spreadsheet-shaped tables into validated indicator series.

Shared by the ``csv`` and ``excel`` adapters. A reader (pyarrow's CSV reader,
openpyxl) hands over an Arrow table whose cells are text (or already numbers),
plus a way to say where a data row sits in the file; this module recognises the
layout (tidy, Open SDG, KIDS COUNT), melts wide tables, recodes categories,
cleans numbers (missing markers, thousands separators, ``%``, currency signs,
unit multipliers), parses periods and builds the
:class:`~feedbackloop.IndicatorSeries`, reporting every offending row at once.

Everything is vectorised in Arrow: a clean ten-million-row file is read at close
to the speed of :func:`pyarrow.csv.read_csv` itself.
"""

from __future__ import annotations

import csv as _csv
import difflib
import io
import math
import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from attrs import field, frozen

from feedbackloop.adapters._options import option
from feedbackloop.errors import (
    AdapterWarning,
    PeriodError,
    SourceReadError,
    SpreadsheetReadError,
    UnitError,
)
from feedbackloop.model import Indicator
from feedbackloop.period import Period
from feedbackloop.series import TOTAL, IndicatorSeries, Provenance, Status, assemble
from feedbackloop.units import conversion_factor, is_count, parse_unit

__all__ = [
    "DEFAULT_MISSING",
    "FIPS_WIDTHS",
    "KIDS_COUNT_CATEGORIES",
    "CellProblems",
    "CodesPaddedWarning",
    "Errors",
    "Layout",
    "Locate",
    "ReadOptions",
    "Roles",
    "SpreadsheetReadError",
    "TabularRead",
    "build_series",
    "check_header",
    "describe",
    "load_code_mapping",
    "load_column_mapping",
    "numeric_columns",
    "provenance_options",
    "resolve_roles",
    "unit_from_label",
]

Layout = Literal["auto", "tidy", "open_sdg", "kids_count"]
Errors = Literal["raise", "collect"]

#: Cell texts that mean "no value", and the status such a row gets.
DEFAULT_MISSING: Mapping[str, Status] = {
    "": Status.MISSING,
    "-": Status.MISSING,
    "N/A": Status.NOT_AVAILABLE,
    "NA": Status.NOT_AVAILABLE,
    "n/a": Status.NOT_AVAILABLE,
    "(X)": Status.NOT_APPLICABLE,
}

#: How the KIDS COUNT ``Category`` column splits into ``sex`` and ``race``.
KIDS_COUNT_CATEGORIES: Mapping[str, Mapping[str, str]] = {
    "All Students": {},
    "Female Students": {"sex": "Female"},
    "Male Students": {"sex": "Male"},
    "Native American Students": {"race": "Native American"},
    "Asian Students": {"race": "Asian"},
    "Black Students": {"race": "Black"},
    "Hispanic Students": {"race": "Hispanic"},
    "White Students": {"race": "White"},
    "Native Hawaiian or Other Pacific Islander": {
        "race": "Native Hawaiian or Other Pacific Islander"
    },
    "Two or More Races": {"race": "Two or More Races"},
}

# Open SDG attribute columns (original labels and their SDMX codes), lower case.
_SDG_UNIT = ("units", "unit measure", "unit_measure")
_SDG_MULT = ("unit multiplier", "unit_mult")
_SDG_STATUS = ("observation status", "obs_status")
_SDG_GEOCODE = ("geocode", "ref_area_code")
_SDG_OTHER = ("series", "comment", "reporting type", "reporting_type", "nature", "freq")
_SDG_ATTRIBUTES = frozenset((*_SDG_UNIT, *_SDG_MULT, *_SDG_STATUS, *_SDG_GEOCODE, *_SDG_OTHER))

_KIDS_COUNT = ("location", "timeframe", "dataformat", "data")

# Observation-status texts (Open SDG labels, SDMX codes) for rows without a value.
_NO_VALUE_STATUS: Mapping[str, Status] = {
    "missing value": Status.MISSING,
    "missing": Status.MISSING,
    "m": Status.MISSING,
    "o": Status.MISSING,
    "not available": Status.NOT_AVAILABLE,
    "l": Status.NOT_AVAILABLE,
    "not applicable": Status.NOT_APPLICABLE,
    "confidential": Status.SUPPRESSED,
    "suppressed": Status.SUPPRESSED,
    "c": Status.SUPPRESSED,
}

# Open SDG / SDMX unit multipliers: label or exponent -> power of ten.
_MULTIPLIERS = {
    "": 0,
    "units": 0,
    "unit": 0,
    "ones": 0,
    "tens": 1,
    "hundreds": 2,
    "thousands": 3,
    "tens of thousands": 4,
    "hundreds of thousands": 5,
    "millions": 6,
    "billions": 9,
    "trillions": 12,
}

_STANDARD_NAMES = {
    "geography": ("geography", "geoid", "geo_id", "geocode", "fips", "place", "location"),
    "period": ("period", "year", "timeframe", "time_period", "date"),
    "value": ("value", "estimate", "data", "obs_value"),
    "moe": ("moe", "margin_of_error", "margin of error"),
    "numerator": ("numerator",),
    "denominator": ("denominator",),
    "status": ("status",),
}

_MAX_LISTED = 50
_QUOTE_LIMIT = 80
_STATUSES = list(Status)
_CODE = {s: i for i, s in enumerate(_STATUSES)}
_CURRENCY = "$£€¥"
_NOT_A_NUMBER = (
    "not a number (a number may carry a sign, thousands separators, a decimal point, a % or "
    "currency sign, or accounting parentheses; text before or after it is not read; a "
    "marker for no value is mapped with missing=...)"
)
_NUMBER_RE = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


@frozen
class TabularRead:
    """A series read with ``errors="collect"`` and the rows left out of it.

    Attributes
    ----------
    series : IndicatorSeries
        Built from every row without a problem.
    rejected : pandas.DataFrame
        One row per offending cell: ``location`` (file line or sheet row),
        ``column``, ``value`` (the text found) and ``reason``.

    .. versionadded:: 0.1.0
    """

    series: IndicatorSeries
    rejected: pd.DataFrame = field(eq=False)

    def report(self) -> str:
        """Return a plain-text listing of the rejected rows."""
        if self.rejected.empty:
            return "no rows rejected"
        lines = [f"{len(self.rejected)} problem(s):"]
        lines += [
            f"  {r.location}, column {r.column!r}: {r.reason} (found {r.value!r})"
            for r in self.rejected.itertuples()
        ]
        return "\n".join(lines)


# ------------------------------------------------------------------ mappings


def _read_mapping_rows(path: str | os.PathLike[str], want: Sequence[str]) -> list[dict[str, str]]:
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except OSError as err:
        raise SourceReadError(f"cannot open mapping file: {err.strerror}", source=str(p)) from err
    except UnicodeDecodeError:
        text = p.read_bytes().decode("cp1252")
    rows = list(_csv.DictReader(io.StringIO(text, newline="")))
    header = list(rows[0]) if rows else []
    lacking = [w for w in want if w not in header]
    if lacking:
        raise SourceReadError(
            f"a mapping file needs the columns {', '.join(want)} (Open SDG's "
            f"column_mapping.csv / code_mapping.csv shape); missing {', '.join(lacking)}",
            source=str(p),
        )
    return rows


def load_column_mapping(
    mapping: Mapping[str, str] | str | os.PathLike[str] | None,
) -> dict[str, str]:
    """Return a column renaming: a mapping as is, or read from an Open SDG ``column_mapping.csv``.

    Parameters
    ----------
    mapping : mapping, path or None
        ``{"Sex": "SEX"}``, or a CSV with ``Text,Value`` columns.

    Returns
    -------
    dict of str to str
        Column label in the file to the name it gets.

    Examples
    --------
    >>> load_column_mapping({"Sex": "sex"})
    {'Sex': 'sex'}

    .. versionadded:: 0.1.0
    """
    if mapping is None:
        return {}
    if isinstance(mapping, Mapping):
        return {str(k): str(v) for k, v in mapping.items()}
    return {r["Text"]: r["Value"] for r in _read_mapping_rows(mapping, ("Text", "Value"))}


def load_code_mapping(
    mapping: Mapping[str, Mapping[str, str]] | str | os.PathLike[str] | None,
) -> dict[str, dict[str, str]]:
    """Return value recodings per column, or read them from an Open SDG ``code_mapping.csv``.

    Parameters
    ----------
    mapping : mapping, path or None
        ``{"sex": {"Male": "M"}}``, or a CSV with ``Text,Dimension,Value`` columns
        (``Dimension`` names the column, before or after column mapping).

    Returns
    -------
    dict of str to dict of str to str
        Column to ``{text in the file: code}``.

    Examples
    --------
    >>> load_code_mapping({"sex": {"Male": "M", "Female": "F"}})["sex"]["Male"]
    'M'

    .. versionadded:: 0.1.0
    """
    if mapping is None:
        return {}
    if isinstance(mapping, Mapping):
        return {str(k): {str(a): str(b) for a, b in v.items()} for k, v in mapping.items()}
    out: dict[str, dict[str, str]] = {}
    for r in _read_mapping_rows(mapping, ("Text", "Dimension", "Value")):
        out.setdefault(r["Dimension"], {})[r["Text"]] = r["Value"]
    return out


# -------------------------------------------------------------------- units

_RATE_RE = re.compile(r"^(?:rate\s+)?(per\s+.+)$", re.IGNORECASE)


def unit_from_label(label: str) -> str | None:
    """Translate a unit as spreadsheets write it into a feedbackloop unit, if possible.

    Parameters
    ----------
    label : str
        ``"Percentage (%)"``, ``"Rate per 1,000 live births"``, ``"Currency"``...

    Returns
    -------
    str or None
        A unit :func:`feedbackloop.units.parse_unit` accepts, or ``None``.

    Examples
    --------
    >>> unit_from_label("Percentage (%)"), unit_from_label("Rate per 1,000 live births")
    ('percent', 'per 1,000 live births')
    >>> unit_from_label("Currency"), unit_from_label("Number"), unit_from_label("Lightyears?")
    ('USD', 'count', None)

    .. versionadded:: 0.1.0
    """
    text = label.strip()
    low = text.lower()
    if low in ("%", "percent", "percentage", "percentage (%)", "per cent", "pt", "pc"):
        return "percent"
    if low in ("currency", "usd", "dollars", "us dollars", "$"):
        return "USD"
    if low in ("number", "numbers", "count", "units", "num"):
        return "count"
    if low in ("index", "ratio", "ix"):
        return "dimensionless"
    if low in ("fraction", "proportion (0-1)"):
        return "fraction"
    if m := _RATE_RE.match(text):
        text = m[1]
    try:
        parse_unit(text)
    except UnitError:
        return None
    return text


# ------------------------------------------------------------------ options


def _missing_map(value: Mapping[str, Any] | Sequence[str] | None) -> dict[str, Status]:
    if value is None:
        return dict(DEFAULT_MISSING)
    if isinstance(value, str):
        value = [value]
    if isinstance(value, Mapping):
        return {str(k): Status(v) for k, v in value.items()}
    return {str(k): DEFAULT_MISSING.get(str(k), Status.MISSING) for k in value}


def _opt_tuple(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(value)


#: Digits of a FIPS GEOID at each geography level.
FIPS_WIDTHS: Mapping[str, int] = {
    "state": 2,
    "county": 5,
    "place": 7,
    "tract": 11,
    "block_group": 12,
}


def _level(value: str | None) -> str | None:
    if value is None:
        return None
    level = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    if level not in FIPS_WIDTHS:
        raise SourceReadError(
            f"geography_level must be one of {', '.join(map(repr, FIPS_WIDTHS))} (got {value!r})"
        )
    return level


def _selection(value: Mapping[str, str | Sequence[str]] | None) -> dict[str, tuple[str, ...]]:
    if not value:
        return {}
    return {k: (v,) if isinstance(v, str) else tuple(v) for k, v in value.items()}


@frozen(kw_only=True)
class ReadOptions:
    """The read options the ``csv`` and ``excel`` adapters share, declared once.

    Each field is an option of :meth:`CsvAdapter.read
    <feedbackloop.adapters.csv.CsvAdapter.read>` and :meth:`ExcelAdapter.read
    <feedbackloop.adapters.excel.ExcelAdapter.read>` (their signatures and
    docstrings are made from these fields); the adapters add their file options
    in subclasses. Values are normalised on construction (mapping files read,
    sequences made tuples, missing markers given their status).

    .. versionadded:: 0.1.0
    """

    indicator: Indicator | str | None = field(
        default=None,
        metadata=option(
            "What the values measure; a string is used as the indicator's name (default: the "
            "file name). An Indicator's unit must be compatible with the file's unit."
        ),
    )
    unit: str | None = field(
        default=None,
        metadata=option(
            "The values' unit; default from a Units/Unit measure/DataFormat column, % or "
            "currency signs in the values, or the indicator."
        ),
    )
    value: str | None = field(
        default=None,
        metadata=option(
            "The column of values (default: a standard name such as value/Value/estimate; "
            "fixed names in the Open SDG and KIDS COUNT layouts).",
            discover=True,
        ),
    )
    moe: str | None = field(
        default=None, metadata=option("The column of 90% margins of error (default: moe).")
    )
    geography: str | None = field(
        default=None,
        metadata=option(
            "The column of place codes (default: geography/GEOID/fips/place/location; "
            "GeoCode in Open SDG files).",
            discover=True,
        ),
    )
    period: str | None = field(
        default=None,
        metadata=option("The column of periods (default: period/Year/TimeFrame).", discover=True),
    )
    dimensions: tuple[str, ...] | None = field(
        default=None,
        converter=_opt_tuple,
        metadata=option(
            "Disaggregation columns; default every column with no other part. Columns left "
            "out are not read.",
            discover=True,
        ),
    )
    numerator: str | None = field(
        default=None, metadata=option("The column of numerators (default: numerator).")
    )
    denominator: str | None = field(
        default=None, metadata=option("The column of denominators (default: denominator).")
    )
    status: str | None = field(
        default=None,
        metadata=option(
            "The column of row statuses (Status values or Open SDG observation-status texts)."
        ),
    )
    default_geography: str | None = field(
        default=None,
        metadata=option(
            "Place code for rows without one (files about one place). Open SDG headline rows "
            "default to the single GeoCode the file gives them, else TOTAL."
        ),
    )
    column_mapping: dict[str, str] = field(
        default=None,
        converter=load_column_mapping,
        metadata=option(
            'Rename columns ({"Sex": "sex"}), or an Open SDG column_mapping.csv.',
            path=True,
            discover=True,
        ),
    )
    code_mapping: dict[str, dict[str, str]] = field(
        default=None,
        converter=load_code_mapping,
        metadata=option(
            'Recode categories per column ({"sex": {"Male": "M"}}), or an Open SDG '
            "code_mapping.csv.",
            path=True,
        ),
    )
    category: str | None = field(
        default=None,
        metadata=option(
            "A column that mixes several dimensions (KIDS COUNT's Category).", discover=True
        ),
    )
    category_map: Mapping[str, Mapping[str, str]] | None = field(
        default=None,
        metadata=option(
            "Each label of category to its {dimension: category}; the dimensions it does not "
            'name are TOTAL ({"All Students": {}, "Female Students": {"sex": "Female"}}).',
            discover=True,
        ),
    )
    total: tuple[str, ...] | None = field(
        default=None,
        converter=_opt_tuple,
        metadata=option(
            'Category labels meaning "all categories" (default: an empty cell in the Open SDG '
            "and KIDS COUNT layouts, nothing otherwise)."
        ),
    )
    wide: str | None = field(
        default=None,
        metadata=option(
            'Melt a wide table: "period" when the columns are years, or the name of the '
            "dimension the column headers become.",
            discover=True,
        ),
    )
    wide_columns: tuple[str, ...] | None = field(
        default=None,
        converter=_opt_tuple,
        metadata=option(
            'The columns to melt (default: year-like headers for wide="period", otherwise '
            "every unassigned column).",
            discover=True,
        ),
    )
    select: dict[str, tuple[str, ...]] = field(
        default=None,
        converter=_selection,
        metadata=option(
            'Keep only rows whose column has one of the given values ({"Units": "Number"}), '
            "for files holding several series."
        ),
    )
    missing: dict[str, Status] = field(
        default=None,
        converter=_missing_map,
        metadata=option(
            'Cell texts meaning "no value" (default "", -: missing; N/A, NA: not_available; '
            "(X): not_applicable); a mapping gives each its Status."
        ),
    )
    thousands: str | None = field(
        default=",", metadata=option("Thousands separator (None refuses grouped numbers).")
    )
    decimal: str = field(default=".", metadata=option("Decimal separator."))
    multiplier: float = field(
        default=1.0,
        metadata=option(
            'Multiply values and MOEs (1000 for a table "in thousands"); Open SDG Unit '
            "multiplier columns are applied too."
        ),
    )
    layout: Layout = field(
        default="auto",
        metadata=option(
            '"auto", "tidy", "open_sdg" or "kids_count": force a layout instead of '
            "recognising it from the header.",
            discover=True,
        ),
    )
    place_names: str | None = field(
        default=None,
        metadata=option(
            "Open SDG: the column naming each row's place, used where GeoCode is blank "
            "(default: a Geography/Country/Region... column, or one whose names pair with "
            "GeoCodes). Rows with neither a code nor a name are the total.",
            discover=True,
        ),
    )
    geography_level: str | None = field(
        default=None,
        converter=_level,
        metadata=option(
            'The FIPS level of the place codes ("state", "county", "place", "tract", '
            '"block_group"): codes must have its width (2, 5, 7, 11, 12 digits). Without it, '
            "codes one digit short of a FIPS width beside full-width ones are refused too."
        ),
    )
    pad_codes: bool = field(
        default=False,
        metadata=option(
            "Pad FIPS codes that lost their leading zero (6001 -> 06001) instead of refusing "
            "them; a CodesPaddedWarning lists what was padded."
        ),
    )
    errors: Errors = field(
        default="raise",
        metadata=option(
            '"raise": one SpreadsheetReadError listing every offending row (line and '
            'column). "collect": leave those rows out, warn with the count, and keep the '
            "report (see read_report)."
        ),
    )

    def __attrs_post_init__(self) -> None:
        if self.errors not in ("raise", "collect"):
            raise SourceReadError(f"errors must be 'raise' or 'collect' (got {self.errors!r})")
        if self.layout not in ("auto", "tidy", "open_sdg", "kids_count"):
            raise SourceReadError(
                f"layout must be 'auto', 'tidy', 'open_sdg' or 'kids_count' (got {self.layout!r})"
            )
        if self.decimal == self.thousands:
            raise SourceReadError(
                f"decimal and thousands separators are both {self.decimal!r}; set thousands=None "
                "or another character"
            )
        if not (self.multiplier > 0 and math.isfinite(self.multiplier)):
            raise SourceReadError(f"multiplier must be a positive number (got {self.multiplier})")


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays compare element by element
        return False


def _json_ready(value: Any) -> Any:
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, Mapping):
        return {str(a): (dict(b) if isinstance(b, Mapping) else b) for a, b in value.items()}
    if isinstance(value, tuple | list):
        return list(value)
    return value


def provenance_options(options: type[ReadOptions], given: Mapping[str, Any]) -> dict[str, Any]:
    """Return the options worth recording in provenance, as JSON-ready values.

    Those given and not ``None``, not their default, and not an Indicator object
    (the series records its indicator), in the order ``options`` declares them.
    """
    out: dict[str, Any] = {}
    for a in attrs.fields(options):
        if a.name not in given:
            continue
        value = given[a.name]
        if value is None or _same(value, a.default):
            continue
        if a.name == "indicator" and not isinstance(value, str):
            continue
        out[a.name] = _json_ready(value)
    return out


def check_header(header: list[str], label: str, adapter: str) -> None:
    """Refuse empty or repeated header names (every column needs a distinct name)."""
    empty = [i + 1 for i, h in enumerate(header) if not h]
    dup = sorted({h for h in header if h and header.count(h) > 1})
    if empty or dup:
        parts = []
        if empty:
            parts.append(f"header cells {empty} are empty")
        if dup:
            parts.append(f"header names repeat: {', '.join(map(repr, dup))}")
        raise SourceReadError(
            "; ".join(parts) + "; every column needs a distinct name (if the header is not "
            "on the first line, pass skip_rows=...)",
            adapter=adapter,
            source=label,
        )


# ------------------------------------------------------------------- roles


@frozen(kw_only=True)
class Roles:
    """Which column of the table plays which part (internal)."""

    layout: Layout
    geography: str | None
    period: str | None
    value: str | None
    numbers: Mapping[str, str]  # series column -> file column (moe, numerator, denominator)
    status: str | None
    dimensions: tuple[str, ...]
    unit_column: str | None
    multiplier_column: str | None
    format_column: str | None
    category: str | None
    category_map: Mapping[str, Mapping[str, str]]
    attributes: tuple[str, ...]
    ignored: tuple[str, ...]
    wide_columns: tuple[str, ...]
    notes: tuple[str, ...]


def _find(columns: Sequence[str], names: Iterable[str]) -> str | None:
    lower = {c.strip().lower(): c for c in columns}
    for n in names:
        if n in lower:
            return lower[n]
    return None


def _detect_layout(columns: Sequence[str]) -> Layout:
    low = {c.strip().lower() for c in columns}
    if set(_KIDS_COUNT) <= low:
        return "kids_count"
    exact = {c.strip() for c in columns}
    if {"Year", "Value"} <= exact and (
        low & _SDG_ATTRIBUTES or not low & set(_STANDARD_NAMES["geography"])
    ):
        return "open_sdg"
    return "tidy"


def _listed(names: Sequence[str], limit: int = _MAX_LISTED) -> str:
    """Quote names for a message, at most ``limit`` of them."""
    shown = ", ".join(map(repr, names[:limit]))
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _need(columns: Sequence[str], name: str | None, what: str, where: _Where) -> str | None:
    """Return ``name``; refuse it, with the file's columns and close matches, if it is not one."""
    if name is None or name in columns:
        return name
    folded = {c.strip().casefold(): c for c in columns}
    close = [folded[k] for k in (name.strip().casefold(),) if k in folded]
    close += difflib.get_close_matches(name, columns, n=3)
    key = name.strip().casefold()
    close += [c for c in columns if key and key in c.casefold()]  # "geo" -> "geography"
    close = list(dict.fromkeys(close))[:3]
    hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
    raise where.error(
        f"{what}={name!r} names no column of the file{hint}; its columns are: "
        f"{_listed(list(columns))}"
    )


def _check_named_columns(cols: Sequence[str], opts: ReadOptions, where: _Where) -> None:
    """Every column an option names must exist."""
    for name, what in (
        (opts.value, "value"),
        (opts.moe, "moe"),
        (opts.geography, "geography"),
        (opts.period, "period"),
        (opts.numerator, "numerator"),
        (opts.denominator, "denominator"),
        (opts.status, "status"),
        (opts.category, "category"),
        (opts.place_names, "place_names"),
    ):
        _need(cols, name, what, where)
    for d in opts.dimensions or ():
        _need(cols, d, "dimensions", where)
    for k in opts.select:
        _need(cols, k, "select", where)


@frozen(kw_only=True)
class _LayoutRoles:
    """The columns a layout finds by name (before numbers, wide columns and dimensions)."""

    geography: str | None
    period: str | None
    value: str | None
    status: str | None
    unit_column: str | None = None
    multiplier_column: str | None = None
    format_column: str | None = None
    category: str | None = None
    category_map: Mapping[str, Mapping[str, str]] = field(factory=dict)
    attributes: tuple[str, ...] = ()


def _open_sdg_roles(cols: list[str], opts: ReadOptions) -> _LayoutRoles:
    obs = _find(cols, _SDG_STATUS)
    return _LayoutRoles(
        geography=opts.geography or _find(cols, _SDG_GEOCODE),
        period=opts.period or _find(cols, ("year",)),
        value=opts.value or _find(cols, ("value",)),
        status=opts.status if opts.status is not None or obs is None else obs,
        unit_column=_find(cols, _SDG_UNIT),
        multiplier_column=_find(cols, _SDG_MULT),
        category=opts.category,
        category_map=opts.category_map or {},
        attributes=tuple(c for c in cols if c.strip().lower() in _SDG_ATTRIBUTES),
    )


def _kids_count_roles(cols: list[str], opts: ReadOptions) -> _LayoutRoles:
    format_col = _find(cols, ("dataformat",))
    category = opts.category if opts.category is not None else _find(cols, ("category",))
    category_map: Mapping[str, Mapping[str, str]] = opts.category_map or {}
    if category is not None and opts.category_map is None:
        category_map = KIDS_COUNT_CATEGORIES
    return _LayoutRoles(
        geography=opts.geography or _find(cols, ("location",)),
        period=opts.period or _find(cols, ("timeframe",)),
        value=opts.value or _find(cols, ("data",)),
        status=opts.status,
        format_column=format_col,
        category=category,
        category_map=category_map,
        attributes=tuple(c for c in (format_col,) if c),
    )


def _tidy_roles(cols: list[str], opts: ReadOptions) -> _LayoutRoles:
    unit_col = _find(cols, ("unit", "units"))
    return _LayoutRoles(
        geography=opts.geography or _find(cols, _STANDARD_NAMES["geography"]),
        period=opts.period
        or (None if opts.wide == "period" else _find(cols, _STANDARD_NAMES["period"])),
        value=opts.value or (None if opts.wide else _find(cols, _STANDARD_NAMES["value"])),
        status=opts.status or _find(cols, _STANDARD_NAMES["status"]),
        unit_column=unit_col,
        category=opts.category,
        category_map=opts.category_map or {},
        attributes=(unit_col,) if unit_col else (),
    )


def _wide_roles(
    cols: list[str], opts: ReadOptions, used: set[str], value: str | None, where: _Where
) -> tuple[tuple[str, ...], str | None]:
    """Return the columns ``wide=`` melts, and the value column left (none unless named)."""
    if value is not None and opts.value is None and value in cols:
        value = None
    if opts.wide_columns is not None:
        for c in opts.wide_columns:
            _need(cols, c, "wide_columns", where)
        wide_columns = opts.wide_columns
    elif opts.wide == "period":
        wide_columns = tuple(c for c in cols if c not in used and _is_period(c))
    else:
        wide_columns = tuple(c for c in cols if c not in used and c not in (opts.dimensions or ()))
    if not wide_columns:
        raise where.error(
            f"wide={opts.wide!r} found no columns to melt; name them with wide_columns=[...]"
        )
    return wide_columns, value


def _dimension_roles(
    cols: list[str], opts: ReadOptions, used: set[str], found: _LayoutRoles
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the dimensions (also those wide= and category= make) and the columns not read."""
    if opts.dimensions is not None:
        dims = tuple(opts.dimensions)
        ignored = tuple(c for c in cols if c not in used and c not in dims and c not in opts.select)
    else:
        dims = tuple(c for c in cols if c not in used and c not in opts.select)
        ignored = ()
    if opts.wide is not None and opts.wide != "period":
        dims = (*dims, opts.wide)
    if found.category is not None:
        split = sorted({d for m in found.category_map.values() for d in m})
        if not found.category_map:
            split = [found.category]
        dims = (*dims, *(d for d in split if d not in dims))
    return dims, ignored


_LAYOUT_ROLES = {"open_sdg": _open_sdg_roles, "kids_count": _kids_count_roles}


def resolve_roles(
    columns: Sequence[str], opts: ReadOptions, *, adapter: str = "", source: str = ""
) -> Roles:
    """Decide each column's part from the header and the options.

    An option naming a column the header lacks is refused, naming ``source``
    (the file), its columns and the close matches.
    """
    where = _Where(adapter, source)
    cols = list(columns)
    _check_named_columns(cols, opts, where)
    layout = _detect_layout(cols) if opts.layout == "auto" else opts.layout
    notes = []
    if opts.layout == "auto" and layout != "tidy":
        notes.append(f"recognised the {layout.replace('_', ' ')} layout")
    found = _LAYOUT_ROLES.get(layout, _tidy_roles)(cols, opts)
    numbers: dict[str, str] = {}
    for role in ("moe", "numerator", "denominator"):
        given = getattr(opts, role)
        column = given or (None if layout != "tidy" else _find(cols, _STANDARD_NAMES[role]))
        if column is not None:
            numbers[role] = column
    parts = (found.geography, found.period, found.value, found.status, found.category)
    used = {x for x in (*parts, *numbers.values()) if x} | set(found.attributes)
    value = found.value
    wide_columns: tuple[str, ...] = ()
    if opts.wide is not None:
        wide_columns, value = _wide_roles(cols, opts, used, value, where)
        used |= set(wide_columns)
        notes.append(f"melted {len(wide_columns)} {opts.wide} columns")
    dims, ignored = _dimension_roles(cols, opts, used, found)
    return Roles(
        layout=layout,
        geography=found.geography,
        period=found.period,
        value=value,
        numbers=numbers,
        status=found.status,
        dimensions=dims,
        unit_column=found.unit_column,
        multiplier_column=found.multiplier_column,
        format_column=found.format_column,
        category=found.category,
        category_map=found.category_map,
        attributes=found.attributes,
        ignored=ignored,
        wide_columns=wide_columns,
        notes=tuple(notes),
    )


def _is_period(label: str) -> bool:
    try:
        Period.parse(label.strip())
    except PeriodError:
        return False
    return True


def numeric_columns(roles: Roles) -> tuple[str, ...]:
    """Return the file columns that hold numbers."""
    cols = [roles.value] if roles.value else []
    cols += list(roles.numbers.values()) + list(roles.wide_columns)
    return tuple(c for c in cols if c)


# ----------------------------------------------------------------- problems

Locate = Callable[[np.ndarray[Any, np.dtype[np.int64]]], list[str]]


class CellProblems:
    """Offending cells, by data row (0-based, counting the rows handed over)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, np.ndarray[Any, np.dtype[np.int64]], list[str], str]] = []
        #: Problems outside the data rows (lines the reader could not split): location,
        #: column, text, reason.
        self.lines: list[tuple[str, str, str, str]] = []

    def add_line(self, location: str, column: str, text: str, reason: str) -> None:
        self.lines.append((location, column, text, reason))

    def add(
        self,
        column: str,
        rows: np.ndarray[Any, np.dtype[np.int64]],
        values: Sequence[str],
        reason: str,
    ) -> None:
        if len(rows):
            self.items.append((column, rows.astype(np.int64), list(values), reason))

    def __bool__(self) -> bool:
        return bool(self.items or self.lines)

    def rows(self) -> np.ndarray[Any, np.dtype[np.int64]]:
        if not self.items:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate([r for _, r, _, _ in self.items]))

    def frame(self, locate: Locate) -> pd.DataFrame:
        records: list[dict[str, Any]] = [
            {"row": -1, "location": w, "column": c, "value": v, "reason": r}
            for w, c, v, r in self.lines
        ]
        for column, rows, values, reason in self.items:
            where = locate(rows)
            records += [
                {"row": int(r), "location": w, "column": column, "value": v, "reason": reason}
                for r, w, v in zip(rows, where, values, strict=True)
            ]
        out = pd.DataFrame(records, columns=["row", "location", "column", "value", "reason"])
        return out.sort_values(["row", "column"], kind="stable").reset_index(drop=True)

    def message(self, locate: Locate) -> str:
        n_rows = len(self.rows()) + len(self.lines)
        lines = [f"{n_rows} row(s) cannot be read:"]
        for place, _column, text, reason in self.lines[:_MAX_LISTED]:
            lines.append(f"  - {place}: {reason}: {_quoted(text)}")
        if len(self.lines) > _MAX_LISTED:
            lines.append(f"  - and {len(self.lines) - _MAX_LISTED} more such lines")
        for column, rows, values, reason in self.items:
            shown = rows[:_MAX_LISTED]
            where = locate(shown)
            listed = ", ".join(f"{w} ({_quoted(v)})" for w, v in zip(where, values, strict=False))
            more = f" and {len(rows) - _MAX_LISTED} more" if len(rows) > _MAX_LISTED else ""
            lines.append(f"  - column {column!r}: {reason}: {listed}{more}")
        lines.append(
            "Fix these cells, map them with the adapter's options (missing=, code_mapping=, "
            "unit=...), or pass errors='collect' to read the other rows and get a "
            "rejected-rows report."
        )
        return "\n".join(lines)


def _quoted(text: str, limit: int = _QUOTE_LIMIT) -> str:
    """Quote a cell's text for a message, cut to ``limit`` characters (``...`` marks a cut)."""
    shown = repr(text)
    keep = limit - 5  # the quotes and "..."
    while len(shown) > limit and keep > 0:
        shown = f"{text[:keep]!r}..."
        keep -= 1
    return shown


# ------------------------------------------------------------------ columns


def _text(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Return a column as one plain string array (numbers become their text)."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(pa.string())
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    return pc.fill_null(arr, "")


def _dictionary(col: pa.ChunkedArray | pa.Array) -> tuple[list[str], np.ndarray[Any, Any]]:
    """Distinct texts and per-row codes of a key column."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(_text(arr))
    values = _text(arr.dictionary).to_pylist()
    codes = arr.indices.to_numpy(zero_copy_only=False)
    if arr.null_count:
        codes = np.where(arr.is_null().to_numpy(zero_copy_only=False), len(values), codes)
        values.append("")
    return values, codes


@frozen
class _Key:
    """A key column as distinct labels and per-row codes into them."""

    labels: list[str]
    codes: np.ndarray[Any, Any]

    def array(self) -> pa.Array:
        return pa.array(self.labels, type=pa.string()).take(pa.array(self.codes))


def _recode(values: list[str], codes: np.ndarray[Any, Any], fn: Callable[[str], str]) -> _Key:
    """Apply ``fn`` to the distinct values and renumber so equal labels share a code."""
    new = [fn(v) for v in values]
    index: dict[str, int] = {}
    remap = np.fromiter(
        (index.setdefault(v, len(index)) for v in new), dtype=np.int32, count=len(new)
    )
    labels = list(index)
    if len(labels) == len(new) and np.array_equal(remap, np.arange(len(remap))):
        return _Key(labels, codes)  # nothing merged or reordered: keep the codes
    return _Key(labels, remap[codes] if len(remap) else codes.astype(np.int32))


@frozen
class _Numbers:
    values: np.ndarray[Any, np.dtype[np.float64]]  # NaN where there is no value
    marker: np.ndarray[Any, Any] | None  # Status code per row for missing markers (-1: none)
    percent: bool
    currency: bool


def _parse_numbers(
    col: pa.ChunkedArray | pa.Array, column: str, opts: ReadOptions, problems: CellProblems
) -> _Numbers:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    n = len(arr)
    if pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type):
        values = arr.cast(pa.float64()).to_numpy(zero_copy_only=False)
        if arr.null_count == 0 and np.isfinite(values.sum()):
            return _Numbers(values, None, False, False)  # the common case: all finite
        bad = ~np.isfinite(values) & ~np.isnan(values)
        nan_not_null = np.isnan(values) & ~arr.is_null().to_numpy(zero_copy_only=False)
        bad |= nan_not_null
        if bad.any():
            rows = np.flatnonzero(bad)
            problems.add(column, rows, [str(values[i]) for i in rows], "not a finite number")
            values = np.where(bad, np.nan, values)
        marker = None
        if arr.null_count:
            status = _CODE[opts.missing.get("", Status.MISSING)]
            marker = np.where(np.isnan(values), status, -1).astype(np.int8)
        return _Numbers(values, marker, False, False)
    text = _text(arr)
    keys = list(opts.missing)
    marker_idx = pc.index_in(text, value_set=pa.array(keys, pa.string()))
    has_marker = marker_idx.null_count < n
    candidate = (
        pc.if_else(marker_idx.is_valid(), pa.scalar(None, pa.string()), text)
        if has_marker
        else text
    )
    try:
        values = candidate.cast(pa.float64()).to_numpy(zero_copy_only=False)
        if np.isfinite(values[~np.isnan(values)]).all() and not _has_nan_text(candidate, values):
            return _Numbers(
                values, _markers(marker_idx, keys, opts) if has_marker else None, False, False
            )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    # The slow path: strip spaces, separators, currency and percent signs.
    trimmed = pc.utf8_trim_whitespace(text)
    marker_idx = pc.index_in(trimmed, value_set=pa.array(keys, pa.string()))
    is_marker = marker_idx.is_valid().to_numpy(zero_copy_only=False)
    cleaned = trimmed
    percent = pc.match_substring(cleaned, "%").to_numpy(zero_copy_only=False) & ~is_marker
    currency = pc.match_substring_regex(cleaned, f"[{_CURRENCY}]").to_numpy(zero_copy_only=False)
    cleaned = pc.replace_substring_regex(cleaned, r"^\((.*)\)$", r"-\1")
    # Spaces go only beside a currency or % sign ("$ 5", "50 %"): "1 2" is not 12.
    cleaned = pc.replace_substring_regex(cleaned, f"\\s*([{_CURRENCY}%])\\s*", r"\1")
    cleaned = pc.replace_substring_regex(cleaned, f"[{_CURRENCY}%]", "")
    grouped_ok = np.ones(n, dtype=bool)
    if opts.thousands:
        sep = re.escape(opts.thousands)
        dec = re.escape(opts.decimal)
        has_sep = pc.match_substring(cleaned, opts.thousands).to_numpy(zero_copy_only=False)
        pattern = f"^[+-]?[0-9]{{1,3}}({sep}[0-9]{{3}})*({dec}[0-9]*)?$"
        grouped_ok = ~has_sep | pc.match_substring_regex(cleaned, pattern).to_numpy(
            zero_copy_only=False
        )
        cleaned = pc.replace_substring(cleaned, opts.thousands, "")
    if opts.decimal != ".":
        cleaned = pc.replace_substring(cleaned, opts.decimal, ".")
    ok = pc.match_substring_regex(cleaned, _NUMBER_RE).to_numpy(zero_copy_only=False) & grouped_ok
    bad = ~ok & ~is_marker
    if bad.any():
        rows = np.flatnonzero(bad)
        found = trimmed.take(pa.array(rows)).to_pylist()
        problems.add(column, rows, found, _NOT_A_NUMBER)
    usable = pc.if_else(pa.array(ok & ~is_marker), cleaned, pa.scalar(None, pa.string()))
    values = usable.cast(pa.float64()).to_numpy(zero_copy_only=False)
    marker = _markers(marker_idx, keys, opts) if is_marker.any() else None
    return _Numbers(values, marker, bool(percent.any()), bool(currency.any()))


def _has_nan_text(candidate: pa.Array, values: np.ndarray[Any, Any]) -> bool:
    return bool(np.isnan(values).sum() != candidate.null_count)


def _markers(marker_idx: pa.Array, keys: list[str], opts: ReadOptions) -> np.ndarray[Any, Any]:
    statuses = np.array([_CODE[opts.missing[k]] for k in keys] + [-1], dtype=np.int8)
    idx = pc.fill_null(marker_idx, len(keys)).to_numpy(zero_copy_only=False)
    out: np.ndarray[Any, Any] = statuses[idx]
    return out


def _multipliers(
    col: pa.ChunkedArray | pa.Array, column: str, problems: CellProblems
) -> np.ndarray[Any, np.dtype[np.float64]]:
    values, codes = _dictionary(col)
    factors = []
    bad_codes = []
    for i, v in enumerate(values):
        key = v.strip().lower()
        if key in _MULTIPLIERS:
            factors.append(10.0 ** _MULTIPLIERS[key])
        elif re.fullmatch(r"-?[0-9]+", key):
            factors.append(10.0 ** int(key))
        else:
            factors.append(math.nan)
            bad_codes.append(i)
    if bad_codes:
        rows = np.flatnonzero(np.isin(codes, bad_codes))
        problems.add(
            column,
            rows,
            [values[codes[r]] for r in rows],
            "unknown unit multiplier (use Units, Thousands, Millions... or a power of ten)",
        )
    out: np.ndarray[Any, np.dtype[np.float64]] = np.asarray(factors, dtype=np.float64)[codes]
    return out


def _status_of(text: str) -> Status | None:
    """Return the Status an observation-status text means, None for a present value."""
    t = text.strip()
    try:
        return Status(t)
    except ValueError:
        return _NO_VALUE_STATUS.get(t.lower())


# ------------------------------------------------------------------- build


def _indicator(opts: ReadOptions, source: str, unit: str) -> Indicator:
    if opts.indicator is not None and not isinstance(opts.indicator, str):
        return opts.indicator
    stem = Path(source).stem or "data"
    slug = re.sub(r"[^a-z0-9]+", "_", (opts.indicator or stem).lower()).strip("_") or "data"
    if not slug[0].isalpha():
        slug = "i_" + slug
    return Indicator(id=slug, name=opts.indicator or stem, unit=unit, direction="higher_is_better")


def _melt(
    table: pa.Table, roles: Roles, wide: str
) -> tuple[pa.Table, np.ndarray[Any, np.dtype[np.int64]], list[str]]:
    """Stack the wide columns into (key, value) pairs; return the rows' origins too."""
    keep = [c for c in table.column_names if c not in roles.wide_columns]
    n = table.num_rows
    parts = []
    for c in roles.wide_columns:
        part = {k: table.column(k) for k in keep}
        part[f"\x00{wide}"] = pa.array([c.strip()] * n, pa.string())
        part["\x00value"] = pa.chunked_array([_text(table.column(c))])
        parts.append(pa.table(part))
    melted = pa.concat_tables(parts)
    origin = np.tile(np.arange(n, dtype=np.int64), len(roles.wide_columns))
    columns = [c for c in roles.wide_columns for _ in range(n)]
    return melted, origin, columns


@frozen
class _Where:
    """The adapter and source a build reports its errors for."""

    adapter: str
    source: str

    def error(self, message: str) -> SourceReadError:
        return SourceReadError(message, adapter=self.adapter, source=self.source)


@frozen
class _Cells:
    r"""The table being built from, after ``select=`` and ``wide=``, and where its rows came from.

    ``value`` and ``period`` name its value and period columns (melted ones start
    with ``"\x00"``); ``origin`` maps its rows to the rows handed over (None: the
    same); ``wide_value_col`` is the melted column each row's value came from.
    """

    table: pa.Table
    value: str
    period: str
    dims: tuple[str, ...]
    origin: np.ndarray[Any, np.dtype[np.int64]] | None
    wide_value_col: list[str] | None

    @property
    def rows(self) -> int:
        return int(self.table.num_rows)

    def locator(self, locate: Locate) -> Locate:
        """Say where rows of this table are in the file (line, sheet row, melted column)."""

        def here(rows: np.ndarray[Any, np.dtype[np.int64]]) -> list[str]:
            where = locate(rows if self.origin is None else self.origin[rows])
            if self.wide_value_col is not None:
                cols = self.wide_value_col
                return [f"{w}, column {cols[r]!r}" for w, r in zip(where, rows, strict=True)]
            return where

        return here


def _select(
    table: pa.Table, opts: ReadOptions, where: _Where
) -> tuple[pa.Table, np.ndarray[Any, np.dtype[np.int64]] | None]:
    """Keep the rows ``select=`` asks for (before anything else is checked)."""
    if not opts.select:
        return table, None
    mask = np.ones(table.num_rows, dtype=bool)
    for col, wanted in opts.select.items():
        mask &= pc.is_in(
            _text(table.column(col)), value_set=pa.array(wanted, pa.string())
        ).to_numpy(zero_copy_only=False)
    keep_rows = np.flatnonzero(mask)
    table = table.take(pa.array(keep_rows))
    if table.num_rows == 0:
        raise where.error(f"select={dict(opts.select)} matches no rows")
    return table, keep_rows


def _cells(table: pa.Table, roles: Roles, opts: ReadOptions, where: _Where) -> _Cells:
    """Select rows, melt a wide table, and insist on a value and a period column."""
    table, origin = _select(table, opts, where)
    value_col, period_col, dims = roles.value, roles.period, tuple(roles.dimensions)
    wide_value_col: list[str] | None = None
    if opts.wide is not None:
        table, melt_origin, wide_value_col = _melt(table, roles, opts.wide)
        origin = melt_origin if origin is None else origin[melt_origin]
        value_col = "\x00value"
        if opts.wide == "period":
            period_col = f"\x00{opts.wide}"
        else:
            dims = tuple(f"\x00{opts.wide}" if d == opts.wide else d for d in dims)
    if value_col is None:
        raise where.error(
            "no value column found; name it with value=... (columns: "
            + ", ".join(table.column_names)
            + ")"
        )
    if period_col is None:
        raise where.error(
            "no period column found; name it with period=... or melt year columns with "
            "wide='period' (columns: " + ", ".join(table.column_names) + ")"
        )
    return _Cells(table, value_col, period_col, dims, origin, wide_value_col)


def _numbers(
    cells: _Cells, roles: Roles, opts: ReadOptions, problems: CellProblems
) -> tuple[_Numbers, np.ndarray[Any, np.dtype[np.float64]], dict[str, np.ndarray[Any, Any]]]:
    """Parse values (times the multipliers) and the other numbers (MOE, numerator...)."""
    table = cells.table
    parsed = _parse_numbers(table.column(cells.value), roles.value or "value", opts, problems)
    values = parsed.values
    factor = np.full(cells.rows, opts.multiplier) if opts.multiplier != 1.0 else None
    if roles.multiplier_column is not None:
        mult = _multipliers(
            table.column(roles.multiplier_column), roles.multiplier_column, problems
        )
        factor = mult if factor is None else factor * mult
    if factor is not None:
        values = values * np.nan_to_num(factor, nan=1.0)
    others: dict[str, np.ndarray[Any, np.dtype[np.float64]]] = {}
    for role, column in roles.numbers.items():
        nums = _parse_numbers(table.column(column), column, opts, problems).values
        if role == "moe" and factor is not None:
            nums = nums * np.nan_to_num(factor, nan=1.0)
        negative = nums < 0
        if negative.any():
            rows = np.flatnonzero(negative)
            problems.add(column, rows, [repr(float(nums[r])) for r in rows], f"negative {role}")
        others[role] = nums
    return parsed, values, others


def _statuses(
    table: pa.Table,
    roles: Roles,
    opts: ReadOptions,
    parsed: _Numbers,
    values: np.ndarray[Any, np.dtype[np.float64]],
    problems: CellProblems,
) -> np.ndarray[Any, np.dtype[np.int8]]:
    """Each row's status code: from its value, its missing marker and a status column."""
    has_value = ~np.isnan(values)
    status = np.where(has_value, _CODE[Status.ESTIMATE], _CODE[Status.MISSING]).astype(np.int8)
    if parsed.marker is not None:
        status = np.where(parsed.marker >= 0, parsed.marker, status).astype(np.int8)
    if roles.status is None:
        return status
    texts, codes = _dictionary(table.column(roles.status))
    mapped = [_status_of(t) for t in texts]
    explicit = roles.status == opts.status
    with_value = np.array([m is not None and m.has_value for m in mapped] + [False])
    without = np.array([m is not None and not m.has_value for m in mapped] + [False])
    given = np.array([_CODE[m] if m is not None else -1 for m in mapped] + [-1], dtype=np.int8)

    def report(rows: np.ndarray[Any, Any], reason: str) -> None:
        assert roles.status is not None
        problems.add(roles.status, rows, [texts[codes[r]] for r in rows], reason)

    if explicit:
        unknown = [i for i, m in enumerate(mapped) if m is None and texts[i].strip()]
        if unknown:
            report(
                np.flatnonzero(np.isin(codes, unknown)),
                "unknown status; use one of " + ", ".join(s.value for s in Status),
            )
    leak = has_value & without[codes]
    if leak.any():
        report(np.flatnonzero(leak), "the status says there is no value, but the row has one")
    lacking = ~has_value & with_value[codes]
    if explicit and lacking.any():
        report(np.flatnonzero(lacking), "the status says there is a value, but the row has none")
    out: np.ndarray[Any, np.dtype[np.int8]] = np.where(
        (has_value & with_value[codes]) | (~has_value & without[codes]), given[codes], status
    ).astype(np.int8)
    return out


class _Recoder:
    """Recode a dimension's labels: its code mapping, then the total labels to TOTAL."""

    def __init__(self, opts: ReadOptions, roles: Roles) -> None:
        self.opts = opts
        if opts.total is not None:
            self.totals = set(opts.total)
        else:
            self.totals = {""} if roles.layout in ("open_sdg", "kids_count") else set()

    def __call__(self, column: str, out_name: str) -> Callable[[str], str]:
        code_map = self.opts.code_mapping
        table_map = code_map.get(column) or code_map.get(out_name) or {}
        totals = self.totals

        def fn(v: str) -> str:
            s = v.strip()
            if s in table_map:
                return table_map[s]
            if s in totals or s == TOTAL:
                return TOTAL
            return s

        return fn


def _geography_key(
    cells: _Cells, roles: Roles, opts: ReadOptions, problems: CellProblems, where: _Where
) -> tuple[_Key, tuple[str, ...]]:
    """Return the geography key, and the dimensions left once Open SDG place names are out."""
    geo_col, default_geo, dims = roles.geography, opts.default_geography, cells.dims
    table = cells.table
    if roles.layout == "open_sdg" and _is_geocode(geo_col):
        return _open_sdg_geography(cells, roles, opts, problems, where)
    if geo_col is None:
        if default_geo is None:
            raise where.error(
                "no geography column found; name it with geography=... or give the place "
                "the whole file covers with default_geography=... (columns: "
                + ", ".join(c for c in table.column_names if not c.startswith("\x00"))
                + ")"
            )
        return _Key([default_geo], np.zeros(cells.rows, dtype=np.int32)), dims
    gvals, gcodes = _dictionary(table.column(geo_col))
    gmap = opts.code_mapping.get(geo_col, {})
    geo_key = _recode(gvals, gcodes, lambda v: gmap.get(v.strip(), v.strip()))
    if "" in geo_key.labels:
        if default_geo is None and roles.layout == "open_sdg":
            default_geo = TOTAL  # the headline convention: an empty cell is the total
        if default_geo is None:
            rows = np.flatnonzero(geo_key.codes == geo_key.labels.index(""))
            problems.add(
                geo_col,
                rows,
                [""] * len(rows),
                "no geography; fill it in or pass default_geography=...",
            )
        else:
            fill = default_geo
            geo_key = _recode(geo_key.labels, geo_key.codes, lambda v: v or fill)
    return geo_key, dims


# -------------------------------------------------------- Open SDG places

#: Headers of Open SDG columns that name places (lower case).
_PLACE_WORDS = frozenset(
    (
        "geography",
        "country",
        "region",
        "local authority",
        "province",
        "state",
        "county",
        "territory",
        "municipality",
        "district",
        "city",
    )
)


def _is_geocode(column: str | None) -> bool:
    """Whether ``column`` is the Open SDG GeoCode column (or absent: no codes at all)."""
    return column is None or column.strip().lower() in _SDG_GEOCODE


@frozen
class _Places:
    """How an Open SDG file says where each row is.

    ``names`` is the column of place names taken where a row has no code;
    ``dropped`` the columns that only name places (not dimensions); ``file_codes``
    each place name's codes in the file; ``headline`` the one code the file gives
    rows with neither a code nor a name, if it gives exactly one.
    """

    names: str | None
    dropped: tuple[str, ...]
    file_codes: Mapping[str, frozenset[str]]
    headline: str | None


def _geocodes(table: pa.Table, geo_col: str | None) -> tuple[list[str], np.ndarray[Any, Any]]:
    """Return the GeoCode column's distinct (stripped) texts and codes; all blank without one."""
    if geo_col is None:
        return [""], np.zeros(table.num_rows, dtype=np.int32)
    gvals, gcodes = _dictionary(table.column(geo_col))
    return [g.strip() for g in gvals], gcodes


def _pairs(
    table: pa.Table, column: str, gvals: list[str], gcodes: np.ndarray[Any, Any]
) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Each name of ``column`` with its GeoCodes, and each GeoCode with its names."""
    dvals, dcodes = _dictionary(table.column(column))
    pairs = np.unique(np.stack([dcodes.astype(np.int64), gcodes.astype(np.int64)]), axis=1)
    by_name: dict[str, set[str]] = {}
    by_code: dict[str, set[str]] = {}
    for dc, gc in pairs.T:
        name, code = dvals[dc].strip(), gvals[gc]
        by_name.setdefault(name, set()).add(code)
        by_code.setdefault(code, set()).add(name)
    return by_name, by_code


def _names_places(
    by_name: Mapping[str, set[str]], by_code: Mapping[str, set[str]], *, known: bool
) -> bool:
    """Whether a column's names are places.

    A column with a place header (Geography, Country...) is, if it names any;
    any other column only if each name goes with one GeoCode and each GeoCode
    with one name.
    """
    named = {k: v - {""} for k, v in by_name.items() if k}
    if named and known:
        return True
    if not named or any(len(v) > 1 for v in named.values()):
        return False
    if any(len(v - {""}) > 1 for k, v in by_code.items() if k):
        return False
    return all(named.values())


def _places(
    table: pa.Table, geo_col: str | None, dims: Sequence[str], opts: ReadOptions
) -> _Places:
    """Find the Open SDG column of place names (and the columns that only name places)."""
    gvals, gcodes = _geocodes(table, geo_col)
    found: dict[str, dict[str, set[str]]] = {}
    known: list[str] = []
    inferred: list[str] = []
    extra = [opts.place_names] if opts.place_names and opts.place_names not in dims else []
    for d in (*dims, *extra):
        if d.startswith("\x00") or d == opts.category:
            continue
        by_name, by_code = _pairs(table, d, gvals, gcodes)
        if d == opts.place_names:
            found[d] = by_name
        elif _names_places(by_name, by_code, known=d.strip().lower() in _PLACE_WORDS):
            found[d] = by_name
            (known if d.strip().lower() in _PLACE_WORDS else inferred).append(d)
    if opts.place_names is not None:
        names: str | None = opts.place_names
        dropped = (opts.place_names, *inferred)
    else:
        if len(known) > 1:
            raise SourceReadError(
                f"columns {', '.join(map(repr, known))} all name places; say which one is "
                "each row's place with place_names=... (the others stay dimensions if you "
                "list them in dimensions=...)"
            )
        dropped = (*known, *inferred)
        names = dropped[0] if dropped else None
    file_codes = {k: frozenset(v - {""}) for k, v in found.get(names or "", {}).items() if k}
    headline_codes: set[str] = set()
    for by_name in (found[d] for d in dropped):
        headline_codes |= by_name.get("", set()) - {""}
    headline = next(iter(headline_codes)) if len(headline_codes) == 1 else None
    return _Places(names, dropped, file_codes, headline)


def _open_sdg_geography(
    cells: _Cells, roles: Roles, opts: ReadOptions, problems: CellProblems, where: _Where
) -> tuple[_Key, tuple[str, ...]]:
    """Each row's place: its GeoCode, else its place name (as a code if known), else the total.

    A name becomes a code through ``code_mapping`` (for the names' column or the
    GeoCode column) or through the file itself (rows giving both); a name the file
    codes two ways is a problem on the rows that give the name alone.
    """
    table, geo_col = cells.table, roles.geography
    try:
        places = _places(table, geo_col, cells.dims, opts)
    except SourceReadError as err:
        raise where.error(err.message) from err
    dims = tuple(d for d in cells.dims if d not in places.dropped)
    gvals, gcodes = _geocodes(table, geo_col)
    gmap = opts.code_mapping.get(geo_col or "", {})
    total = opts.default_geography or places.headline or TOTAL
    if places.names is None:
        key = _recode(gvals, gcodes, lambda v: gmap.get(v, v) if v else total)
        return key, dims
    nvals, ncodes = _dictionary(table.column(places.names))
    nmap = opts.code_mapping.get(places.names) or opts.code_mapping.get(
        opts.column_mapping.get(places.names, places.names), {}
    )
    width = len(gvals)
    uniq, inverse = np.unique(ncodes.astype(np.int64) * width + gcodes, return_inverse=True)
    labels: list[str] = []
    ambiguous: list[int] = []
    for i, pair in enumerate(uniq.tolist()):
        name, code = nvals[pair // width].strip(), gvals[pair % width]
        if code:
            labels.append(gmap.get(code, code))
        elif not name:
            labels.append(total)
        elif name in nmap or name in gmap:
            labels.append(nmap.get(name) or gmap[name])
        elif len(places.file_codes.get(name, ())) > 1:
            labels.append("")
            ambiguous.append(i)
        else:
            (coded,) = places.file_codes.get(name) or {name}
            labels.append(gmap.get(coded, coded))
    if ambiguous:
        rows = np.flatnonzero(np.isin(inverse, ambiguous))
        problems.add(
            places.names,
            rows,
            [nvals[ncodes[r]] for r in rows],
            "this place name goes with several GeoCodes in the file; fill in the GeoCode or "
            f"map the name with code_mapping={{{places.names!r}: {{name: code}}}}",
        )
    return _recode(labels, inverse.astype(np.int32), lambda v: v), dims


def _period_key(col: pa.ChunkedArray, column: str, problems: CellProblems) -> _Key:
    """Return the period key: every distinct label parsed once, the bad ones reported."""
    pvals, pcodes = _dictionary(col)
    canon: list[str] = []
    bad_codes: list[int] = []
    for i, raw in enumerate(pvals):
        text = raw.strip()
        if text.endswith(".0") and text[:-2].isdigit():
            text = text[:-2]
        try:
            canon.append(str(Period.parse(text)))
        except PeriodError:
            canon.append("")
            bad_codes.append(i)
    if bad_codes:
        rows = np.flatnonzero(np.isin(pcodes, bad_codes))
        problems.add(
            column,
            rows,
            [pvals[pcodes[r]] for r in rows],
            "not a period (accepted: 2020, 2013/14, 2015-2019, 2015/16 to 2017/18, 2020-Q3, "
            "2020-05, 2020-05-17)",
        )
    return _recode(canon, pcodes, lambda v: v)


def _category_keys(
    table: pa.Table, roles: Roles, opts: ReadOptions, problems: CellProblems
) -> tuple[dict[str, _Key], list[str]]:
    """Split a category column (KIDS COUNT's) into its dimensions' keys; and those dimensions."""
    keys: dict[str, _Key] = {}
    if roles.category is None or not roles.category_map:
        return keys, []
    category_map = roles.category_map
    split_dims = sorted({d for m in category_map.values() for d in m})
    cvals, ccodes = _dictionary(table.column(roles.category))
    unknown = [i for i, v in enumerate(cvals) if v.strip() not in category_map]
    if unknown:
        rows = np.flatnonzero(np.isin(ccodes, unknown))
        problems.add(
            roles.category,
            rows,
            [cvals[ccodes[r]] for r in rows],
            "category not in the category map; add it with category_map={label: "
            "{dimension: category}}",
        )
    for d in split_dims:
        name = opts.column_mapping.get(d, d)
        dmap = opts.code_mapping.get(d) or opts.code_mapping.get(name) or {}

        def pick(v: str, d: str = d, dmap: Mapping[str, str] = dmap) -> str:
            cat = category_map.get(v.strip(), {}).get(d)
            return TOTAL if cat is None else dmap.get(cat, cat)

        keys[name] = _recode(cvals, ccodes, pick)
    return keys, split_dims


# Names a dimension cannot take: the series' own columns.
_TAKEN = (
    "indicator",
    "value",
    "moe",
    "status",
    "cv",
    "reliability",
    "numerator",
    "denominator",
    "numerator_moe",
    "denominator_moe",
)


def _keys(
    cells: _Cells, roles: Roles, opts: ReadOptions, problems: CellProblems, where: _Where
) -> tuple[dict[str, _Key], tuple[str, ...]]:
    """Every key column (geography, period, dimensions) as labels and codes; the dimensions."""
    geo_key, dims = _geography_key(cells, roles, opts, problems, where)
    period_label = roles.period or opts.wide or "period"
    keys = {
        "geography": geo_key,
        "period": _period_key(cells.table.column(cells.period), period_label, problems),
    }
    split, split_dims = _category_keys(cells.table, roles, opts, problems)
    keys.update(split)
    out_dims = list(split)
    recoder = _Recoder(opts, roles)
    for d in dims:
        if d in split_dims or (
            roles.category is not None and d == roles.category and roles.category_map
        ):
            continue
        real = d.removeprefix("\x00")
        name = opts.column_mapping.get(real, real)
        vals, codes = _dictionary(cells.table.column(d))
        key = _recode(vals, codes, recoder(real, name))
        if "" in key.labels:
            rows = np.flatnonzero(key.codes == key.labels.index(""))
            problems.add(
                real,
                rows,
                [""] * len(rows),
                "no category; fill it in, or pass total=[''] if an empty cell means all categories",
            )
        if name in keys or name in _TAKEN:
            raise where.error(
                f"column {real!r} would become dimension {name!r}, which is taken; rename it "
                "with column_mapping=..."
            )
        keys[name] = key
        out_dims.append(name)
    return keys, tuple(out_dims)


def _check_kids_count_fraction(
    unit: str, roles: Roles, values: np.ndarray[Any, Any], where: _Where
) -> None:
    if unit == "fraction" and roles.layout == "kids_count" and np.nanmax(values, initial=0) > 1:
        raise where.error(
            "DataFormat says Percent and KIDS COUNT stores percents as fractions (0.03 = 3%), "
            "but some values are above 1; pass unit='percent' if they are percents"
        )


def _check_counts(
    values: np.ndarray[Any, np.dtype[np.float64]],
    unit: str,
    column: str,
    opts: ReadOptions,
    problems: CellProblems,
) -> None:
    """Report negative values of a count unit, unless the indicator is signed (a net change)."""
    signed = isinstance(opts.indicator, Indicator) and opts.indicator.signed
    if signed or not is_count(unit):
        return
    negative = values < 0
    if negative.any():
        rows = np.flatnonzero(negative)
        problems.add(
            column,
            rows,
            [repr(float(values[r])) for r in rows],
            f"negative count (unit {unit!r}); a count cannot be below zero: fix the cell, or "
            "pass an indicator=Indicator(..., signed=True) if the values are net changes",
        )


class CodesPaddedWarning(AdapterWarning):
    """Place codes were padded with leading zeros because ``pad_codes=True`` asked for it.

    The message lists each code padded (``6001 -> 06001``).

    .. versionadded:: 0.1.0
    """


def _short_level(labels: Sequence[str]) -> str | None:
    """Return the FIPS level whose codes lost a leading zero, judged from the codes alone.

    Fires only when every code is digits and the widths are a FIPS width and one
    less (a width no FIPS level has): ``6001`` beside ``06075``.
    """
    codes = [x for x in labels if x != TOTAL] if TOTAL in labels else labels
    widths = set(map(len, codes))
    if len(widths) != 2:  # the common case, decided from the widths alone
        return None
    for level, width in FIPS_WIDTHS.items():
        if (
            widths == {width - 1, width}
            and width - 1 not in FIPS_WIDTHS.values()
            and all(x.isdigit() for x in codes)
        ):
            return level
    return None


def _check_zero_twins(key: _Key, column: str, problems: CellProblems) -> None:
    """Report codes another row gives with more leading zeros (``6`` beside ``06``).

    Two spellings of one code are one place whose zero a spreadsheet dropped,
    whatever the widths; the shorter spellings are refused so that no place is
    split in two (or joined wrongly) without a word.
    """
    labels = pa.array(key.labels, pa.string())
    digits = pc.match_substring_regex(labels, "^[0-9]+$").to_numpy(zero_copy_only=False)
    stripped = pc.utf8_ltrim(labels.filter(pa.array(digits)), "0")
    if len(pc.unique(stripped)) == len(stripped):  # the common case, in Arrow
        return
    groups: dict[str, list[int]] = {}
    for i, x in zip(np.flatnonzero(digits).tolist(), stripped.to_pylist(), strict=True):
        groups.setdefault(x, []).append(i)
    short: dict[int, str] = {}
    for members in groups.values():
        if len(members) > 1:
            longest = max((key.labels[i] for i in members), key=len)
            short.update({i: longest for i in members if len(key.labels[i]) < len(longest)})
    if not short:
        return
    first = min(short)
    widths = {len(x) for x in short.values()}
    levels = [lv for lv, w in FIPS_WIDTHS.items() if {w} == widths]
    pad = f", or pass geography_level={levels[0]!r}, pad_codes=True to pad" if levels else ""
    rows = np.flatnonzero(np.isin(key.codes, list(short)))
    problems.add(
        column,
        rows,
        [key.labels[key.codes[r]] for r in rows],
        f"the same code as another row's with its leading zero(s) lost (e.g. "
        f"{key.labels[first]!r} beside {short[first]!r}): one place written two ways, which "
        f"would be read as two places; write the codes as text with their zeros{pad}",
    )


def _fips_codes(
    key: _Key, column: str, opts: ReadOptions, problems: CellProblems, where: _Where
) -> _Key:
    """Check place codes' widths for the FIPS level; pad short ones if ``pad_codes``.

    With ``geography_level`` every code must be that level's width (a code one
    digit short lost its leading zero). Without it, codes one digit short of a
    FIPS width beside full-width ones are refused the same way.
    """
    declared = opts.geography_level
    level = declared or _short_level(key.labels)
    if level is None:
        _check_zero_twins(key, column, problems)
        return key
    width = FIPS_WIDTHS[level]
    short = [i for i, x in enumerate(key.labels) if len(x) == width - 1 and x.isdigit()]
    wrong = [
        i
        for i, x in enumerate(key.labels)
        if declared and x != TOTAL and not (len(x) == width and x.isdigit()) and i not in short
    ]
    if wrong:
        rows = np.flatnonzero(np.isin(key.codes, wrong))
        problems.add(
            column,
            rows,
            [key.labels[key.codes[r]] for r in rows],
            f"not a {level} FIPS code ({width} digits, geography_level={level!r})",
        )
    if not short:
        return key
    if not opts.pad_codes:
        rows = np.flatnonzero(np.isin(key.codes, short))
        how = "" if declared else f" (the others have {width}: {level} FIPS codes)"
        problems.add(
            column,
            rows,
            [key.labels[key.codes[r]] for r in rows],
            f"{width - 1}-digit code{how}: a leading zero was lost (a spreadsheet stored the "
            f"code as a number); write it as text with the zero (e.g. "
            f"{key.labels[short[0]]!r} -> {key.labels[short[0]].zfill(width)!r}), or pass "
            f"geography_level={level!r}, pad_codes=True to pad",
        )
        return key
    padded = [key.labels[i] for i in short]
    listed = ", ".join(f"{x} -> {x.zfill(width)}" for x in padded[:_MAX_LISTED])
    more = f" and {len(padded) - _MAX_LISTED} more" if len(padded) > _MAX_LISTED else ""
    warnings.warn(
        f"{where.source}: padded {len(padded)} {level} FIPS code(s) ({width} digits) that "
        f"had lost a leading zero (pad_codes=True): {listed}{more}",
        CodesPaddedWarning,
        stacklevel=5,  # _fips_codes, build_series, _read, read: the caller's line
    )
    fix = set(padded)
    return _recode(key.labels, key.codes, lambda v: v.zfill(width) if v in fix else v)


def _add_repeated_keys(
    keys: dict[str, _Key], dims: tuple[str, ...], n: int, problems: CellProblems
) -> None:
    """Report every row whose key (geography, period, categories) another row has too."""
    key_list = [keys["geography"], keys["period"], *(keys[d] for d in dims)]
    dup = _duplicates(key_list, n, problems.rows())
    if dup is not None and len(dup):
        problems.add(
            ", ".join(["geography", "period", *dims]),
            dup,
            [" | ".join(k.labels[k.codes[r]] for k in key_list) for r in dup],
            "repeats the key of another row (same geography, period and categories)",
        )


def _checked_indicator(opts: ReadOptions, unit: str, where: _Where) -> Indicator:
    """Return the series' indicator (an Indicator given must fit the file's unit)."""
    indicator = _indicator(opts, where.source, unit)
    if opts.indicator is not None and not isinstance(opts.indicator, str):
        try:
            conversion_factor(unit, indicator.unit)
        except UnitError as err:
            raise where.error(
                f"the file's unit {unit!r} does not fit indicator {indicator.id!r} "
                f"({indicator.unit!r}): {err}"
            ) from err
    return indicator


def _series_columns(
    keys: Mapping[str, _Key],
    dims: tuple[str, ...],
    values: np.ndarray[Any, np.dtype[np.float64]],
    others: Mapping[str, np.ndarray[Any, np.dtype[np.float64]]],
    status: np.ndarray[Any, np.dtype[np.int8]],
    problems: CellProblems,
) -> tuple[dict[str, pa.Array | np.ndarray[Any, Any]], np.ndarray[Any, np.dtype[np.int8]]]:
    """Return the series' columns and status codes, rows with problems left out.

    The table itself is laid out by :func:`feedbackloop.series.assemble`, the
    one place a series' columns, types and status dictionary are made.
    """
    keep = None
    if problems:
        mask = np.ones(len(values), dtype=bool)
        mask[problems.rows()] = False
        keep = np.flatnonzero(mask)

    def sel(arr: Any) -> Any:
        if keep is None:
            return arr
        return arr[keep] if isinstance(arr, np.ndarray) else arr.take(pa.array(keep))

    columns: dict[str, pa.Array | np.ndarray[Any, Any]] = {
        "geography": sel(keys["geography"].array()),
        "period": sel(keys["period"].array()),
    }
    for d in dims:
        columns[d] = sel(keys[d].array())
    columns["value"] = sel(values)
    for role in ("moe", "numerator", "denominator"):
        if role in others:
            columns[role] = sel(others[role])
    return columns, sel(status)


def build_series(
    table: pa.Table,
    opts: ReadOptions,
    *,
    adapter: str,
    source: str,
    locate: Locate,
    provenance_options: Mapping[str, Any],
    roles: Roles | None = None,
    extra_problems: CellProblems | None = None,
) -> TabularRead:
    """Build the series from a table of cells; raise or collect every problem.

    The steps, in order: select and melt rows (:func:`_cells`), parse numbers
    and statuses, build the key columns, find the unit, report repeated keys,
    then raise (``errors="raise"``) or leave the offending rows out.
    """
    where = _Where(adapter, source)
    roles = roles or resolve_roles(table.column_names, opts, adapter=adapter, source=source)
    problems = extra_problems or CellProblems()
    cells = _cells(table, roles, opts, where)
    here = cells.locator(locate)
    parsed, values, others = _numbers(cells, roles, opts, problems)
    status = _statuses(cells.table, roles, opts, parsed, values, problems)
    keys, dims = _keys(cells, roles, opts, problems, where)
    unit = _unit(cells.table, roles, opts, parsed, adapter, source, problems)
    _check_counts(values, unit, roles.value or "value", opts, problems)
    keys["geography"] = _fips_codes(
        keys["geography"], roles.geography or "geography", opts, problems, where
    )
    _check_kids_count_fraction(unit, roles, values, where)
    _add_repeated_keys(keys, dims, cells.rows, problems)
    rejected = problems.frame(here) if problems else _empty_rejected()
    if problems and opts.errors == "raise":
        raise SpreadsheetReadError(
            problems.message(here), adapter=adapter, source=source, rejected=rejected
        )
    indicator = _checked_indicator(opts, unit, where)
    columns, codes = _series_columns(keys, dims, values, others, status, problems)
    series = assemble(
        columns,
        indicator=indicator,
        status=codes,
        unit=unit,
        dimensions=dims,
        provenance=Provenance(adapter=adapter, source=source, options=dict(provenance_options)),
    )
    return TabularRead(series, rejected)


def _empty_rejected() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": pd.Series([], dtype="int64"),
            "location": pd.Series([], dtype=object),
            "column": pd.Series([], dtype=object),
            "value": pd.Series([], dtype=object),
            "reason": pd.Series([], dtype=object),
        }
    )


def _duplicates(
    keys: list[_Key], n: int, ignore: np.ndarray[Any, np.dtype[np.int64]]
) -> np.ndarray[Any, np.dtype[np.int64]] | None:
    """Rows whose key is shared with another row (every such row), or None if none."""
    if n == 0:
        return None
    total = 1
    for k in keys:
        total *= max(len(k.labels), 1)
    combined: np.ndarray[Any, Any] = np.zeros(n, dtype=np.int32 if total < 2**31 else np.int64)
    span = 1
    for k in keys:
        size = max(len(k.labels), 1)
        if span * size >= 2**62:
            combined = _rank(combined)
            span = int(combined.max()) + 1
        combined *= size
        combined += k.codes
        span *= size
    if len(ignore):
        combined[ignore] = -1 - np.arange(len(ignore))  # rows already rejected never collide
        if np.unique(combined).size == n:
            return None
    elif span <= 4 * n + 1024:  # dense keys: count them directly, O(n)
        if np.bincount(combined, minlength=1).max(initial=0) <= 1:
            return None
    elif len(pc.unique(pa.array(combined))) == n:
        return None
    _, inverse, counts = np.unique(combined, return_inverse=True, return_counts=True)
    return np.flatnonzero(counts[inverse] > 1).astype(np.int64)


def _rank(values: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.int64]]:
    _, inverse = np.unique(values, return_inverse=True)
    return inverse.astype(np.int64)


def _unit(
    table: pa.Table,
    roles: Roles,
    opts: ReadOptions,
    parsed: _Numbers,
    adapter: str,
    source: str,
    problems: CellProblems,
) -> str:
    if opts.unit is not None:
        return opts.unit
    found: list[str] = []
    for col in (roles.unit_column, roles.format_column):
        if col is None:
            continue
        vals, codes = _dictionary(table.column(col))
        used = np.unique(codes) if len(codes) else np.zeros(0, dtype=np.int64)
        vals = [vals[k] for k in used]
        distinct = sorted({v.strip() for v in vals} - {""})
        if len(distinct) > 1:
            raise SourceReadError(
                f"column {col!r} holds several units ({', '.join(map(repr, distinct))}); a "
                f"series has one: read one at a time with select={{{col!r}: ...}}",
                adapter=adapter,
                source=source,
            )
        if distinct:
            label = distinct[0]
            if roles.layout == "kids_count" and label.lower() == "percent":
                return "fraction"
            unit = unit_from_label(label)
            if unit is None:
                raise SourceReadError(
                    f"column {col!r} gives the unit {label!r}, which feedbackloop does not "
                    "know; pass unit=... (e.g. 'percent', 'USD', 'per 1000 people')",
                    adapter=adapter,
                    source=source,
                )
            found.append(unit)
    if found:
        return found[0]
    if parsed.percent:
        return "percent"
    if parsed.currency:
        return "USD"
    if opts.indicator is not None and not isinstance(opts.indicator, str):
        return opts.indicator.unit
    raise SourceReadError(
        "the file does not say its unit; pass unit=... (e.g. 'percent', 'count', 'USD') or "
        "an indicator=Indicator(...)",
        adapter=adapter,
        source=source,
    )


# ---------------------------------------------------------------- discover


def _place_note(geo_col: str | None, places: _Places) -> str:
    """Say which columns give an Open SDG row its place (for ``discover``)."""
    if geo_col is None and places.names is None:
        return "no GeoCode or place-name column: every row is the total (or default_geography)"
    codes = f"its {geo_col} where given" if geo_col else None
    names = f"else its name in {places.names!r}" if places.names else None
    if places.names:
        names = f"{names} (as a code where the file or code_mapping gives one)"
    said = ", ".join(x for x in (codes, names) if x)
    note = f"place of each row: {said}; rows with neither are the total"
    others = [d for d in places.dropped if d != places.names]
    if others:
        note += "; also only place names (not dimensions): " + ", ".join(others)
    return note


def describe(
    table: pa.Table, opts: ReadOptions, *, complete: bool, adapter: str = "", source: str = ""
) -> tuple[Roles, dict[str, Any]]:
    """Describe a sample of the table: roles, periods, units (for ``discover``)."""
    roles = resolve_roles(table.column_names, opts, adapter=adapter, source=source)
    periods: list[str] = []
    if roles.period is not None:
        vals, _ = _dictionary(table.column(roles.period))
        for v in vals:
            try:
                periods.append(str(Period.parse(v.strip())))
            except PeriodError:
                continue
    elif opts.wide == "period":
        periods = [str(Period.parse(c.strip())) for c in roles.wide_columns if _is_period(c)]
    units: list[str] = []
    for col in (roles.unit_column, roles.format_column):
        if col is not None:
            vals, _ = _dictionary(table.column(col))
            units += sorted({v.strip() for v in vals} - {""})
    notes = list(roles.notes)
    dims = list(roles.dimensions)
    if roles.category is not None and roles.category_map:
        dims = [d for d in dims if d != roles.category]
    place_names = None
    if roles.layout == "open_sdg" and _is_geocode(roles.geography):
        try:
            places = _places(table, roles.geography, dims, opts)
        except SourceReadError as err:
            raise _Where(adapter, source).error(err.message) from err
        dims = [d for d in dims if d not in places.dropped]
        place_names = places.names
        notes.append(_place_note(roles.geography, places))
    dims = [opts.column_mapping.get(d, d) for d in dims]
    if roles.attributes:
        notes.append("attribute columns (metadata, not dimensions): " + ", ".join(roles.attributes))
    if roles.ignored:
        notes.append("columns not read: " + ", ".join(roles.ignored))
    if not complete:
        notes.append(f"looked at the first {table.num_rows} rows only")
    extra = {
        "layout": roles.layout,
        "geography": roles.geography,
        "place_names": place_names,
        "period": roles.period,
        "value": roles.value,
        "sample_rows": table.num_rows,
    }
    return roles, {
        "dimensions": tuple(dims),
        "periods": tuple(sorted(set(periods), key=Period.parse)),
        "units": tuple(units),
        "notes": tuple(notes),
        "extra": extra,
    }
