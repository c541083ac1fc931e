"""The Arrow table of a series, made from its columns: the one place the layout is made.

:func:`series_table` orders the columns as the contract says
(:mod:`feedbackloop.series._columns`), gives key columns Arrow's ``string``
type and numeric ones ``float64`` with nulls for missing values, writes the
``indicator`` column and dictionary-encodes ``status`` in order of first
appearance. ``IndicatorSeries.from_frame``, :func:`feedbackloop.series.assemble`
and the aggregations all build their tables here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from feedbackloop.errors import Problem, SeriesValidationError
from feedbackloop.series._checks import check_layout, check_status_labels
from feedbackloop.series._columns import (
    ESTIMATE_CODE,
    GEOGRAPHY,
    INDICATOR,
    MISSING_CODE,
    NUMERIC_OPTIONAL,
    PERIOD,
    RELIABILITY,
    STATUS,
    STATUS_LABELS,
    TRAILING,
    VALUE,
)

__all__ = ["ArrayLike", "column_order", "indicator_column", "series_table", "status_column"]

#: What a column may be given as.
ArrayLike: TypeAlias = "pa.Array | pa.ChunkedArray | np.ndarray[Any, Any]"
Column: TypeAlias = "pa.Array | pa.ChunkedArray"


def column_order(names: Sequence[str] | Mapping[str, Any], dimensions: Sequence[str]) -> list[str]:
    """Return the storage order of the contract columns among ``names``."""
    present = set(names)
    return [
        INDICATOR,
        GEOGRAPHY,
        PERIOD,
        *dimensions,
        VALUE,
        *(c for c in NUMERIC_OPTIONAL if c in present),
        STATUS,
        *(c for c in TRAILING if c in present),
    ]


def indicator_column(indicator_id: str, n: int) -> pa.DictionaryArray:
    """Make the ``indicator`` column: ``n`` rows of one dictionary entry."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(n, dtype=np.int32)), pa.array([indicator_id])
    )


def _key_column(column: ArrayLike) -> Column:
    """Return a key column as Arrow ``string`` (as it is when it already is)."""
    if isinstance(column, np.ndarray):
        return pa.array(column, type=pa.string(), from_pandas=True)
    return column if column.type == pa.string() else column.cast(pa.string())


def _float_column(column: ArrayLike) -> Column:
    """Return a numeric column as Arrow ``float64``, missing values (NaN, null) as nulls."""
    if isinstance(column, np.ndarray):
        return pa.array(np.asarray(column, dtype=np.float64), type=pa.float64(), from_pandas=True)
    if column.type != pa.float64():
        column = column.cast(pa.float64())
    nan = pc.is_nan(column)
    if pc.any(nan).as_py():
        column = pc.if_else(nan, pa.scalar(None, pa.float64()), column)
    return column


def _text_column(column: ArrayLike) -> Column:
    """Dictionary-encode a text column (``reliability``), as ``reliability`` makes it."""
    if isinstance(column, np.ndarray):
        column = pa.array(column, type=pa.string(), from_pandas=True)
    if pa.types.is_dictionary(column.type):
        return column
    return column.dictionary_encode()


def _bools(column: Column) -> np.ndarray[Any, np.dtype[np.bool_]]:
    if isinstance(column, pa.ChunkedArray):
        return np.asarray(column.to_numpy(), dtype=np.bool_)
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.bool_)


def _single(column: ArrayLike) -> pa.Array | np.ndarray[Any, Any]:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return column


def _from_codes(codes: pa.Array, problems: list[Problem]) -> pa.Array:
    """Status codes (indexes into ``list(Status)``) dictionary-encoded as labels."""
    enc = codes.dictionary_encode()
    found = enc.dictionary.to_pylist()
    bad = [c for c in found if not 0 <= c < len(STATUS_LABELS)]
    if bad:
        problems.append(
            Problem(
                STATUS,
                f"status codes {', '.join(map(str, bad[:3]))} are not indexes of "
                f"list(Status) (0 to {len(STATUS_LABELS) - 1})",
            )
        )
        return enc
    if codes.null_count:
        problems.append(Problem(STATUS, f"{codes.null_count} rows have no status"))
    labels = pa.array([STATUS_LABELS[c] for c in found], pa.string())
    return pa.DictionaryArray.from_arrays(enc.indices, labels)


_NOT_STATUSES = "statuses must be integer codes or text, not {}; see feedbackloop.Status"


def status_column(status: ArrayLike | None, value: Column, problems: list[Problem]) -> pa.Array:
    """Make the ``status`` column, dictionary-encoded in order of first appearance.

    ``None`` gives ``estimate`` where there is a value and ``missing`` where
    there is none. Integers are codes into ``list(Status)``; text is status
    labels; a dictionary array of labels is stored as it is.
    """
    if status is None:
        missing = _bools(pc.is_null(value, nan_is_null=True))
        codes = np.where(missing, np.int8(MISSING_CODE), np.int8(ESTIMATE_CODE))
        return _from_codes(pa.array(codes, pa.int8()), problems)
    single = _single(status)
    if isinstance(single, np.ndarray):
        if np.issubdtype(single.dtype, np.integer):
            return _from_codes(pa.array(single), problems)
        if single.dtype.kind in "OUS":
            single = pa.array(single, type=pa.string(), from_pandas=True)
        else:
            problems.append(Problem(STATUS, _NOT_STATUSES.format(single.dtype)))
            return pa.array(single)
    kind = single.type
    if pa.types.is_dictionary(kind):
        if pa.types.is_integer(kind.value_type):
            return _from_codes(single.dictionary_decode(), problems)
        if pa.types.is_string(kind.value_type):
            used = pc.unique(single.indices).drop_null()
            check_status_labels(
                single.dictionary.take(used).to_pylist(), single.null_count, problems
            )
            return single
    if pa.types.is_integer(kind):
        return _from_codes(single, problems)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        enc = single.cast(pa.string()).dictionary_encode()
        check_status_labels(enc.dictionary.to_pylist(), enc.null_count, problems)
        return enc
    problems.append(Problem(STATUS, _NOT_STATUSES.format(kind)))
    return single


def series_table(
    columns: Mapping[str, ArrayLike],
    *,
    indicator_id: str,
    dimensions: Sequence[str] = (),
    status: ArrayLike | None = None,
    non_additive: Sequence[str] = (),
) -> pa.Table:
    """Make a series' Arrow table from its columns, in the contract's order and types.

    Parameters
    ----------
    columns : mapping of str to array
        ``geography``, ``period``, each dimension, ``value`` and any of the
        optional columns, in any order.
    indicator_id : str
        Written into the ``indicator`` column.
    dimensions : sequence of str
        The dimension columns, in their storage order.
    status : array, optional
        See :func:`status_column`.
    non_additive : sequence of str
        Checked to name dimensions.

    Raises
    ------
    SeriesValidationError
        For missing, unknown or reserved columns, columns of different
        lengths, missing keys, and unknown statuses.
    """
    problems: list[Problem] = []
    check_layout(columns, dimensions, non_additive, problems)
    if status is not None and VALUE in columns and len(status) != len(columns[VALUE]):
        problems.append(Problem(STATUS, f"{len(status)} statuses for {len(columns[VALUE])} rows"))
    if problems:
        raise SeriesValidationError(indicator_id, problems)
    arrays: dict[str, Any] = {}
    for name, column in columns.items():
        if name in (GEOGRAPHY, PERIOD) or name in dimensions:
            arrays[name] = _key_column(column)
            if arrays[name].null_count:
                problems.append(Problem(name, f"{arrays[name].null_count} rows have no {name}"))
        elif name == RELIABILITY:
            arrays[name] = _text_column(column)
        else:
            arrays[name] = _float_column(column)
    arrays[STATUS] = status_column(status, arrays[VALUE], problems)
    if problems:
        raise SeriesValidationError(indicator_id, problems)
    arrays[INDICATOR] = indicator_column(indicator_id, len(arrays[VALUE]))
    return pa.table({c: arrays[c] for c in column_order(arrays, dimensions)})
