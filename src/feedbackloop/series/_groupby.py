"""Sorted group codes for key columns, and sums over them.

Series operations group on a few text key columns (geography, period and the
dimensions). Each column is factorized once into codes that follow the sorted
order of its labels; the codes combine into one integer key by mixed radix, so
the groups come out in sorted key order without a sort of the rows, and sums
are a :func:`numpy.bincount` away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

I64 = np.ndarray[Any, np.dtype[np.int64]]
F64 = np.ndarray[Any, np.dtype[np.float64]]

# Dense key spaces up to this many slots per row (or this many in all) are
# counted directly; larger ones are compacted with a sort first.
_DENSE_PER_ROW = 4
_DENSE_MIN = 1 << 20


def factorize(column: pa.ChunkedArray | pa.Array) -> tuple[I64, pa.Array]:
    """Return codes and the sorted distinct labels of a text column.

    ``labels.take(codes)`` rebuilds the column; codes ascend with the labels'
    sort order. Nulls are not expected (series keys are never missing).
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    encoded = pc.dictionary_encode(column)
    labels = encoded.dictionary
    raw = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    order = np.asarray(pc.sort_indices(labels).to_numpy(), dtype=np.int64)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return rank[raw], labels.take(pa.array(order))


@frozen
class Groups:
    """Rows of a table mapped to groups numbered in sorted key order.

    Attributes
    ----------
    codes : ndarray of int64
        The group of each row, ``0 .. n - 1``.
    n : int
        How many groups there are.
    keys : pyarrow.Table
        One row per group (in group order) with the key columns.
    """

    codes: I64
    n: int
    keys: pa.Table

    def sum(self, values: F64, where: np.ndarray[Any, np.dtype[np.bool_]] | None = None) -> F64:
        """Sum ``values`` per group (NaN propagates), only rows in ``where`` if given."""
        if where is None:
            out = np.bincount(self.codes, weights=values, minlength=self.n)
        else:
            out = np.bincount(self.codes[where], weights=values[where], minlength=self.n)
        return np.asarray(out, dtype=np.float64)

    def count(self, where: np.ndarray[Any, np.dtype[np.bool_]]) -> I64:
        """Count rows in ``where`` per group."""
        return np.asarray(np.bincount(self.codes[where], minlength=self.n), dtype=np.int64)

    def max(self, values: F64, where: np.ndarray[Any, np.dtype[np.bool_]], initial: float) -> F64:
        """Largest of ``values`` per group among rows in ``where``, else ``initial``.

        NaN propagates, as in :func:`numpy.maximum`.
        """
        out = np.full(self.n, initial, dtype=np.float64)
        np.maximum.at(out, self.codes[where], values[where])
        return out


def relabel(codes: I64, labels: pa.Array, new_labels: pa.Array) -> tuple[I64, pa.Array]:
    """Map factorized codes through ``new_labels`` (one new label per old label).

    Used to cut GEOIDs to their parents or map places to neighbourhoods on
    the distinct labels only, not on every row. Returns sorted codes and labels
    as :func:`factorize` does.
    """
    if len(new_labels) != len(labels):
        raise ValueError("relabel needs exactly one new label per label")
    parent_codes, parents = factorize(new_labels)
    return parent_codes[codes], parents


def group(
    table: pa.Table,
    columns: Sequence[str],
    factors: Mapping[str, tuple[I64, pa.Array]] | None = None,
) -> Groups:
    """Group the rows of ``table`` by the text ``columns``.

    Groups are numbered in the lexicographic order of their keys (each column
    sorted by its labels), so results need no sort afterwards. ``factors``
    gives codes and sorted labels already computed for some columns (which
    then need not be in ``table``).
    """
    n_rows = table.num_rows
    known = factors or {}
    factors_ = [known[name] if name in known else factorize(table.column(name)) for name in columns]
    sizes = [max(len(uniques), 1) for _, uniques in factors_]
    space = 1
    for size in sizes:
        space *= size
    if space >= 1 << 62:
        # Too many combinations for one integer key: sort the code rows instead.
        matrix = np.stack([codes for codes, _ in factors_], axis=1)
        rows, inverse = np.unique(matrix, axis=0, return_inverse=True)
        index_columns = [rows[:, j] for j in range(len(columns))]
        codes_out = inverse.reshape(-1).astype(np.int64, copy=False)
        n_groups = len(rows)
    else:
        key = np.zeros(n_rows, dtype=np.int64)
        for (codes, _), size in zip(factors_, sizes, strict=True):
            key *= size
            key += codes
        if space <= max(_DENSE_PER_ROW * n_rows, _DENSE_MIN):
            present = np.flatnonzero(np.bincount(key, minlength=space))
            slot = np.full(space, -1, dtype=np.int64)
            slot[present] = np.arange(len(present), dtype=np.int64)
            codes_out = slot[key]
            group_keys = present.astype(np.int64, copy=False)
        else:
            group_keys, inverse = np.unique(key, return_inverse=True)
            codes_out = inverse.astype(np.int64, copy=False)
        n_groups = len(group_keys)
        # Decode each group's key back to label indices, last column first.
        index_columns = []
        rest = group_keys
        for size in reversed(sizes):
            rest, idx = np.divmod(rest, size)
            index_columns.append(idx)
        index_columns.reverse()
    cols = {
        name: uniques.take(pa.array(idx))
        for name, (_, uniques), idx in zip(columns, factors_, index_columns, strict=True)
    }
    return Groups(codes=codes_out, n=n_groups, keys=pa.table(cols))
