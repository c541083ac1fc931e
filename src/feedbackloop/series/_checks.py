"""Validation of data as a series: every problem is found, none is hidden.

The checks append :class:`~feedbackloop.errors.Problem` s to a list that is
raised together (a :class:`~feedbackloop.errors.SeriesValidationError`),
so one look at the error shows everything to fix. :func:`check_frame` (and
the ``frame_*`` steps it runs) serves ``IndicatorSeries.from_frame``; :func:`check_layout` and
:func:`check_status_labels` serve the table assembly of ``assemble``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

from feedbackloop.errors import PeriodError, Problem, SeriesValidationError, UnitError
from feedbackloop.period import Period
from feedbackloop.series._columns import (
    COLUMNS,
    GEOGRAPHY,
    INDICATOR,
    NUMERIC_OPTIONAL,
    PERIOD,
    STATUS,
    STATUS_VALUES,
    VALUE,
    VALUE_STATUSES,
)
from feedbackloop.series._groupby import Factor, factorize_many, group
from feedbackloop.series._status import TOTAL, Status
from feedbackloop.units import is_count, parse_unit

__all__ = [
    "CheckedFrame",
    "check_dimensions",
    "check_frame",
    "check_layout",
    "check_status_labels",
    "check_unit",
    "duplicate_keys",
    "frame_columns",
    "frame_counts",
    "frame_labels",
    "frame_nonnegative",
    "frame_numbers",
    "frame_periods",
    "frame_status",
    "pick_columns",
    "rows",
]

F64 = np.ndarray[Any, np.dtype[np.float64]]
BOOL = np.ndarray[Any, np.dtype[np.bool_]]

_MAX_ROWS_SHOWN = 8


def rows(mask: BOOL) -> str:
    """Name the rows in ``mask`` ("rows 0, 3, 7 (+2 more)") for a message."""
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in idx[:_MAX_ROWS_SHOWN])
    more = f" (+{len(idx) - _MAX_ROWS_SHOWN} more)" if len(idx) > _MAX_ROWS_SHOWN else ""
    return f"row{'s' if len(idx) != 1 else ''} {shown}{more}"


# ------------------------------------------------------------ the frame's shape


def check_unit(unit: str, problems: list[Problem]) -> None:
    """Report a unit that :func:`feedbackloop.units.parse_unit` does not know."""
    try:
        parse_unit(unit)
    except UnitError as err:
        problems.append(Problem("unit", str(err)))


def pick_columns(
    columns: Collection[Any],
    given: Mapping[str, str | None],
    required: Collection[str],
    problems: list[Problem],
) -> dict[str, str | None]:
    """Find each role's column among ``columns``: the name given, else the standard name.

    A name given but absent, or a ``required`` role without a column, is a
    problem; an optional role without a column maps to ``None``.
    """
    picked: dict[str, str | None] = {}
    for role, name in given.items():
        if name is not None:
            if name not in columns:
                problems.append(
                    Problem(name, "column not found; columns are: " + ", ".join(map(str, columns)))
                )
                picked[role] = None
            else:
                picked[role] = name
        elif role in columns:
            picked[role] = role
        else:
            if role in required:
                problems.append(Problem(role, f"no {role!r} column; name it with {role}=..."))
            picked[role] = None
    return picked


def check_dimensions(
    columns: Collection[Any],
    dimensions: Sequence[str],
    non_additive: Sequence[str],
    problems: list[Problem],
) -> None:
    """Dimensions must be columns, not reserved names, listed once; non-additive ones too."""
    for d in dimensions:
        if d in COLUMNS:
            problems.append(
                Problem(d, f"{d!r} is a reserved column name and cannot be a dimension; rename it")
            )
        elif d not in columns:
            problems.append(Problem(d, "dimension column not found"))
    if len(set(dimensions)) != len(dimensions):
        problems.append(Problem("dimensions", f"listed twice: {tuple(dimensions)}"))
    for d in non_additive:
        if d not in dimensions:
            problems.append(Problem(d, "non_additive names a column that is not a dimension"))


# ------------------------------------------------------------ the frame's cells


def frame_numbers(series: pd.Series[Any], column: str, problems: list[Problem]) -> F64:
    """Convert a column to float64, reporting (never hiding) values that are not numbers."""
    if pd.api.types.is_bool_dtype(series.dtype):
        problems.append(Problem(column, "holds true/false values, not numbers"))
        return np.full(len(series), np.nan)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    coerced = pd.to_numeric(series, errors="coerce")
    bad = (coerced.isna() & series.notna()).to_numpy()
    if bad.any():
        examples = ", ".join(repr(x) for x in pd.unique(series[bad])[:3])
        problems.append(
            Problem(
                column,
                f"{rows(bad)} are not numbers (e.g. {examples}); clean them or map them to "
                "missing before building the series",
            )
        )
    return coerced.to_numpy(dtype=np.float64, na_value=np.nan)


def frame_nonnegative(series: pd.Series[Any], column: str, problems: list[Problem]) -> F64:
    """:func:`frame_numbers` for a margin, numerator or denominator: negatives are problems."""
    nums = frame_numbers(series, column, problems)
    negative = nums < 0
    if negative.any():
        hint = (
            "; Census sentinel codes (-555555555, -222222222...) must be decoded first"
            if column.endswith("moe")
            else ""
        )
        problems.append(Problem(column, f"{rows(negative)} are negative{hint}"))
    return nums


def frame_counts(values: F64, unit: str, signed: bool, problems: list[Problem]) -> None:
    """Report negative values of a count unit (``people``, ``count``...) unless ``signed``.

    A count cannot be negative; a net change (``Indicator.signed``) can. Which units
    count is :func:`feedbackloop.units.is_count`'s decision.
    """
    if signed or not is_count(unit):
        return
    negative = values < 0
    if negative.any():
        examples = ", ".join(repr(float(x)) for x in pd.unique(values[negative])[:3])
        problems.append(
            Problem(
                VALUE,
                f"{rows(negative)} are negative ({examples}) but the unit {unit!r} counts; fix "
                "them, or declare the indicator signed=True if it is a net change",
            )
        )


def frame_labels(
    series: pd.Series[Any], column: str, problems: list[Problem], what: str
) -> pa.Array:
    """Convert a key column to Arrow strings, refusing numbers that may have lost zeros."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        problems.append(
            Problem(
                column,
                f"{what} values are numbers ({series.dtype}); codes such as FIPS GEOIDs must "
                "be strings to keep leading zeros (read the file with dtype=str)",
            )
        )
        return pa.array(series.astype(str).to_numpy(dtype=object), type=pa.string())
    missing = series.isna().to_numpy()
    if missing.any():
        hint = (
            f"; use feedbackloop.TOTAL ({TOTAL!r}) for 'all categories' or a label such as "
            "'Unknown'"
            if what == "dimension"
            else ""
        )
        problems.append(Problem(column, f"{rows(missing)} have no {what} value{hint}"))
    try:
        return pa.array(series.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        bad = ~series.map(lambda x: isinstance(x, str) or bool(pd.isna(x))).to_numpy(bool)
        problems.append(Problem(column, f"{rows(bad)} are not text"))
        return pa.array(series.astype(str).to_numpy(dtype=object), type=pa.string())


def frame_periods(series: pd.Series[Any], column: str, problems: list[Problem]) -> pa.Array:
    """Parse period labels (once per distinct label) into canonical labels."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    canon: list[str | None] = []
    bad_codes: list[int] = []
    messages: list[str] = []
    for i, raw in enumerate(uniques):
        try:
            canon.append(str(Period.parse(raw.item() if hasattr(raw, "item") else raw)))
        except PeriodError as err:
            canon.append(None)
            bad_codes.append(i)
            if len(messages) < 3:
                messages.append(str(err))
    if bad_codes:
        mask = np.isin(codes, bad_codes)
        problems.append(Problem(column, f"{rows(mask)}: " + "; ".join(messages)))
    if (codes < 0).any():
        problems.append(Problem(column, f"{rows(codes < 0)} have no period"))
    labels = pa.array(canon, type=pa.string())
    safe = np.where(codes < 0, 0, codes) if len(canon) else codes
    if not len(canon):
        return pa.nulls(len(series), type=pa.string())
    out = labels.take(pa.array(safe))
    if (codes < 0).any():
        out = pc.if_else(pa.array(codes < 0), pa.scalar(None, pa.string()), out)
    return out


def frame_columns(
    df: pd.DataFrame,
    cols: Mapping[str, str | None],
    dimensions: Sequence[str],
    problems: list[Problem],
) -> dict[str, pa.Array | F64]:
    """Read the key and numeric columns of ``df`` (as picked), checking every cell.

    Keys come back as Arrow strings (periods in canonical form), numbers as
    float64 numpy arrays with NaN for missing values.
    """
    geo_col, per_col, val_col = cols[GEOGRAPHY], cols[PERIOD], cols[VALUE]
    assert geo_col is not None and per_col is not None and val_col is not None
    out: dict[str, pa.Array | F64] = {
        GEOGRAPHY: frame_labels(df[geo_col], GEOGRAPHY, problems, "geography"),
        PERIOD: frame_periods(df[per_col], PERIOD, problems),
    }
    for d in dimensions:
        out[d] = frame_labels(df[d], d, problems, "dimension")
    out[VALUE] = frame_numbers(df[val_col], VALUE, problems)
    for name in NUMERIC_OPTIONAL:
        col = cols.get(name)
        if col is not None:
            out[name] = frame_nonnegative(df[col], name, problems)
    return out


def frame_status(
    raw: pd.Series[Any], has_value: BOOL, problems: list[Problem]
) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Check a status column against the values; return the status texts.

    Unknown statuses, values where the status says there is none (suppressed
    rows must not leak) and missing values where it says there is one are
    all problems.
    """
    texts = raw.astype(object).where(raw.notna(), None)
    unknown = ~texts.isin(list(STATUS_VALUES)).to_numpy()
    if unknown.any():
        examples = ", ".join(repr(x) for x in pd.unique(texts[unknown])[:3])
        problems.append(
            Problem(
                STATUS,
                f"{rows(unknown)} have unknown statuses "
                f"({examples}); use one of: " + ", ".join(s.value for s in Status),
            )
        )
    status = texts.to_numpy(dtype=object)
    allowed_value = np.isin(status, list(VALUE_STATUSES))
    leak = has_value & ~allowed_value & ~unknown
    if leak.any():
        problems.append(
            Problem(
                STATUS,
                f"{rows(leak)} carry a value although their status says there is none "
                "(e.g. suppressed); remove the value",
            )
        )
    lacking = ~has_value & allowed_value
    if lacking.any():
        problems.append(
            Problem(
                VALUE,
                f"{rows(lacking)} have no value although their status says there is one; "
                "give a status such as 'missing' or 'not_available'",
            )
        )
    return status


# ------------------------------------------------------------------- keys


def _duplicate_mask(keys: pa.Table, factors: Mapping[str, Factor]) -> BOOL:
    """Rows whose key repeats an earlier row's key."""
    if keys.num_rows == 0:
        return np.zeros(0, dtype=bool)
    groups = group(keys, keys.column_names, factors)
    dup = np.ones(keys.num_rows, dtype=bool)
    if groups.n == keys.num_rows:
        return ~dup
    _, first = np.unique(groups.codes, return_index=True)
    dup[first] = False
    return dup


def duplicate_keys(
    keys: Mapping[str, pa.Array | pa.ChunkedArray], problems: list[Problem]
) -> dict[str, Factor]:
    """Report rows that repeat a key; return the key columns' factor codes.

    The codes that find duplicates are what every later grouping needs, so
    the series keeps them.
    """
    table = pa.table(dict(keys))
    factors = factorize_many({c: table.column(c) for c in table.column_names})
    dup = _duplicate_mask(table, factors)
    if dup.any():
        problems.append(
            Problem(
                ", ".join(table.column_names),
                f"{rows(dup)} repeat a key (same geography, period and categories); each key "
                "must appear once",
            )
        )
    return factors


# ------------------------------------------------------------ a whole frame


@frozen
class CheckedFrame:
    """A frame's columns after :func:`check_frame`: ready for ``series_table``.

    Attributes
    ----------
    columns : dict
        Key columns as Arrow strings, numeric columns as float64 arrays.
    status : ndarray of object or None
        The status texts, or ``None`` when the frame has no status column.
    factors : dict
        Factor codes of the key columns (found while looking for duplicates).
    """

    columns: dict[str, pa.Array | F64]
    status: np.ndarray[Any, np.dtype[np.object_]] | None
    factors: dict[str, Factor]


def check_frame(
    df: pd.DataFrame,
    *,
    indicator_id: str,
    unit: str,
    given: Mapping[str, str | None],
    dimensions: Sequence[str],
    non_additive: Sequence[str],
    signed: bool = False,
) -> CheckedFrame:
    """Validate ``df`` as a series and read its columns; raise every problem together.

    ``given`` maps each column role (``geography``, ``value``, ``status``...)
    to the column name passed, or ``None`` for the standard name if present.
    Negative values of a count unit are problems unless ``signed`` (a net change).

    Raises
    ------
    SeriesValidationError
        Listing every problem found, with columns and row numbers.
    """
    problems: list[Problem] = []
    check_unit(unit, problems)
    cols = pick_columns(df.columns, given, (GEOGRAPHY, PERIOD, VALUE), problems)
    check_dimensions(df.columns, dimensions, non_additive, problems)
    if problems:
        raise SeriesValidationError(indicator_id, problems)
    columns = frame_columns(df, cols, dimensions, problems)
    frame_counts(np.asarray(columns[VALUE]), unit, signed, problems)
    status_col = cols[STATUS]
    status = None
    if status_col is not None:
        has_value = ~np.isnan(np.asarray(columns[VALUE]))
        status = frame_status(df[status_col], has_value, problems)
    factors: dict[str, Factor] = {}
    if not problems:
        keys = {c: columns[c] for c in (GEOGRAPHY, PERIOD, *dimensions)}
        factors = duplicate_keys(keys, problems)
    if problems:
        raise SeriesValidationError(indicator_id, problems)
    return CheckedFrame(columns=columns, status=status, factors=factors)


# --------------------------------------------------------- assembled columns


def check_layout(
    columns: Mapping[str, Any],
    dimensions: Sequence[str],
    non_additive: Sequence[str],
    problems: list[Problem],
) -> None:
    """Check the names and lengths of columns given to ``assemble``.

    ``geography``, ``period``, ``value`` and every dimension are needed;
    other names must be optional contract columns; ``indicator`` and
    ``status`` are not columns to give (they come from the keywords); all
    columns have one length.
    """
    for name in (GEOGRAPHY, PERIOD, VALUE):
        if name not in columns:
            problems.append(Problem(name, f"no {name!r} column"))
    check_dimensions(columns, dimensions, non_additive, problems)
    for name in columns:
        if name in (INDICATOR, STATUS):
            problems.append(
                Problem(name, f"give {name!r} with the {name}= keyword, not as a column")
            )
        elif name not in COLUMNS and name not in dimensions:
            problems.append(
                Problem(
                    name,
                    "not a series column (optional columns: "
                    + ", ".join((*NUMERIC_OPTIONAL, "cv", "reliability"))
                    + "); list it in dimensions= if it is one",
                )
            )
    lengths = {name: len(col) for name, col in columns.items()}
    if len(set(lengths.values())) > 1:
        problems.append(
            Problem(
                "columns",
                "columns differ in length: "
                + ", ".join(f"{name} {n}" for name, n in lengths.items()),
            )
        )


def check_status_labels(labels: Sequence[Any], nulls: int, problems: list[Problem]) -> None:
    """Report unknown statuses among those given to ``assemble``, and rows without one."""
    unknown = [x for x in labels if x not in STATUS_VALUES]
    if unknown:
        problems.append(
            Problem(
                STATUS,
                f"unknown statuses ({', '.join(map(repr, unknown[:3]))}); use one of: "
                + ", ".join(s.value for s in Status),
            )
        )
    if nulls:
        problems.append(Problem(STATUS, f"{nulls} rows have no status"))
