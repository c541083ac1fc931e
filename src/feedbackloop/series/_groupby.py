"""Sorted group codes for key columns, and sums over them.

Series operations group on a few text key columns (geography, period and the
dimensions). Each column is factorized once into codes that follow the sorted
order of its labels; the codes combine into one integer key by mixed radix, so
the groups come out in sorted key order without a sort of the rows, and sums
are a :func:`numpy.bincount` away.

Factorizing is the costly step (a hash of every row's text), so it is done
once per column of a series and remembered (``IndicatorSeries._key_factors``),
runs of repeated labels (data sorted by place, say) are hashed once per run,
and several columns are factorized on separate threads (Arrow and numpy
release the GIL).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

I64 = np.ndarray[Any, np.dtype[np.int64]]
F64 = np.ndarray[Any, np.dtype[np.float64]]
#: Label codes, in the smallest signed integer type that holds them.
Codes = np.ndarray[Any, np.dtype[np.signedinteger[Any]]]
#: Codes of each row and the sorted distinct labels they index.
Factor = tuple[Codes, pa.Array]

# Dense key spaces up to this many slots per row (or this many in all) are
# counted directly; larger ones are compacted with a sort first.
_DENSE_PER_ROW = 4
_DENSE_MIN = 1 << 20
# Columns at least this long are factorized on worker threads.
_PARALLEL_MIN = 1 << 18
# Rows per chunk of an element-wise kernel (its temporaries stay in cache).
_CHUNK = 1 << 15
# Run-length factorization pays off when a sample has at most 1 run per this many rows.
_RUN_SAMPLE = 4096
_RUN_RATIO = 4


def code_dtype(n_labels: int) -> np.dtype[np.signedinteger[Any]]:
    """Return the smallest signed integer type for codes ``0 .. n_labels - 1``."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_labels < np.iinfo(dtype).max:  # as pandas picks categorical codes
            return np.dtype(dtype)
    return np.dtype(np.int64)


def _remap(labels: pa.Array, used: np.ndarray[Any, Any] | None) -> tuple[Any, pa.Array]:
    """Map raw codes into ``labels`` to codes in sorted order of the used labels.

    Returns the map (an array indexed by raw code, or ``None`` when raw codes
    already are sorted codes) and the sorted used labels.
    """
    dtype = code_dtype(len(labels))
    if used is not None and not used.all():
        # Keep only the labels that occur (a filtered table keeps its dictionary).
        kept = np.flatnonzero(used)
        labels = labels.take(pa.array(kept))
    else:
        kept = None
    order = np.asarray(pc.sort_indices(labels).to_numpy(), dtype=np.int64)
    identity = np.array_equal(order, np.arange(len(order)))
    if identity and kept is None:
        # Labels already sorted (first appearance in sorted data): codes as they are.
        return None, labels
    size = len(used) if used is not None else len(labels)
    mapping = np.full(size, -1, dtype=dtype)
    positions = np.arange(len(order), dtype=dtype)
    if kept is None:
        mapping[order] = positions
    else:
        mapping[kept[order]] = positions
    return mapping, labels if identity else labels.take(pa.array(order))


def _codes(chunks: Sequence[np.ndarray[Any, Any]], mapping: Any, n_labels: int, n: int) -> Codes:
    """Concatenate raw code chunks mapped through ``mapping`` (one pass, no temporaries)."""
    out = np.empty(n, dtype=code_dtype(n_labels))
    pos = 0
    for raw in chunks:
        stop = pos + len(raw)
        if mapping is None:
            out[pos:stop] = raw
        else:
            np.take(mapping, raw, out=out[pos:stop])
        pos = stop
    return out


def _indices(array: pa.Array) -> np.ndarray[Any, Any]:
    return np.asarray(array.indices.to_numpy(zero_copy_only=False))


def factorize(column: pa.ChunkedArray | pa.Array) -> Factor:
    """Return codes and the sorted distinct labels of a text column.

    ``labels.take(codes)`` rebuilds the column; codes ascend with the labels'
    sort order and every label occurs. Nulls are not expected (series keys are
    never missing). Dictionary-encoded columns reuse their dictionary; plain
    text sorted in runs (every tract's rows together) is hashed once per run.
    Chunked columns are never concatenated.
    """
    chunked = column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
    n = len(chunked)
    chunks = [c for c in chunked.chunks if len(c)]
    if not chunks:
        return np.zeros(0, dtype=np.int8), pa.array([], pa.string())
    if pa.types.is_dictionary(chunked.type):
        if len({len(c.dictionary) for c in chunks}) != 1 or not all(
            c.dictionary.equals(chunks[0].dictionary) for c in chunks[1:]
        ):
            chunks = pa.chunked_array(chunks).unify_dictionaries().chunks
        dictionary = chunks[0].dictionary.cast(chunked.type.value_type)
        raw = [_indices(c) for c in chunks]
        used = np.zeros(len(dictionary), dtype=bool)
        for r in raw:
            used |= np.bincount(r, minlength=len(dictionary)) > 0
        mapping, labels = _remap(dictionary, used)
        return _codes(raw, mapping, len(labels), n), labels
    first = chunks[0]
    sample = first.slice(0, min(len(first), _RUN_SAMPLE))
    if n > _RUN_SAMPLE and len(pc.run_end_encode(sample).values) * _RUN_RATIO <= len(sample):
        runs = pc.run_end_encode(pa.chunked_array(chunks)).chunks
        encoded = pc.dictionary_encode(pa.concat_arrays([r.values for r in runs]))
        lengths = np.concatenate(
            [np.diff(np.asarray(r.run_ends.to_numpy()), prepend=0) for r in runs]
        )
        mapping, labels = _remap(encoded.dictionary, None)
        run_codes = _codes([_indices(encoded)], mapping, len(labels), len(encoded))
        return np.repeat(run_codes, lengths), labels
    encoded_chunks = pc.dictionary_encode(pa.chunked_array(chunks)).chunks
    if len({len(c.dictionary) for c in encoded_chunks}) != 1:
        encoded_chunks = pa.chunked_array(encoded_chunks).unify_dictionaries().chunks
    mapping, labels = _remap(encoded_chunks[0].dictionary, None)
    return _codes([_indices(c) for c in encoded_chunks], mapping, len(labels), n), labels


def in_slices(
    n: int,
    work: Callable[[int, int], None],
    *,
    chunk: int | None = None,
    min_rows: int | None = None,
) -> None:
    """Run ``work(start, stop)`` over ``0 .. n`` in chunks, on two threads when ``n`` is large.

    For numpy kernels that release the GIL and write disjoint slices of
    preallocated outputs. Chunks of a few thousand rows keep every temporary
    in the CPU cache (and out of fresh, page-faulting memory); each thread
    takes one half of the rows. Exceptions propagate.
    """
    step = _CHUNK if chunk is None else chunk

    def run(start: int, stop: int) -> None:
        for lo in range(start, stop, step):
            work(lo, min(lo + step, stop))

    if n < (_PARALLEL_MIN if min_rows is None else min_rows):
        run(0, n)
        return
    half = n // 2
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(run, 0, half), pool.submit(run, half, n)]
        for future in futures:
            future.result()


def factorize_many(columns: Mapping[str, pa.ChunkedArray | pa.Array]) -> dict[str, Factor]:
    """Factorize several columns, on two threads when they are long."""
    items = list(columns.items())
    if len(items) > 1 and len(items[0][1]) >= _PARALLEL_MIN:
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = list(pool.map(lambda kv: factorize(kv[1]), items))
        return {name: f for (name, _), f in zip(items, done, strict=True)}
    return {name: factorize(col) for name, col in items}


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
    key_codes : tuple of ndarray of int
        For each key column, the code of each group's label in ``labels``.
    labels : tuple of pyarrow.Array
        For each key column, its sorted distinct labels.
    sizes : ndarray of int64
        How many rows each group has.
    """

    codes: I64
    n: int
    keys: pa.Table
    key_codes: tuple[Codes, ...]
    labels: tuple[pa.Array, ...]
    sizes: I64

    def factors(self) -> dict[str, Factor]:
        """Codes and sorted labels of each key column of :attr:`keys` (a free factorization).

        Every label occurs among the groups when every label occurred in the
        rows, as :func:`factorize` guarantees.
        """
        return {
            name: (codes, labels)
            for name, codes, labels in zip(
                self.keys.column_names, self.key_codes, self.labels, strict=True
            )
        }

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


def relabel(codes: Codes, labels: pa.Array, new_labels: pa.Array) -> Factor:
    """Map factorized codes through ``new_labels`` (one new label per old label).

    Used to cut GEOIDs to their parents or map places to neighbourhoods on
    the distinct labels only, not on every row. Returns sorted codes and labels
    as :func:`factorize` does.
    """
    if len(new_labels) != len(labels):
        raise ValueError("relabel needs exactly one new label per label")
    parent_codes, parents = factorize(new_labels)
    if len(parents) == len(labels) and np.array_equal(parent_codes, np.arange(len(labels))):
        return codes, parents
    return parent_codes[codes], parents


def _group_wide(
    factors: Sequence[Factor], sizes: Sequence[int]
) -> tuple[I64, int, list[Codes], I64]:
    """Group by sorting the rows of codes, for key spaces too large for one integer."""
    matrix = np.stack([codes for codes, _ in factors], axis=1)
    rows, inverse, counts = np.unique(matrix, axis=0, return_inverse=True, return_counts=True)
    index_columns = [
        rows[:, j].astype(code_dtype(size), copy=False) for j, size in enumerate(sizes)
    ]
    codes_out = inverse.reshape(-1).astype(np.int64, copy=False)
    return codes_out, len(rows), index_columns, counts.astype(np.int64, copy=False)


def _mixed_radix(factors: Sequence[Factor], sizes: Sequence[int], n_rows: int) -> I64:
    """One integer key per row: the codes of every column in mixed radix (sorted order)."""
    if not factors:
        return np.zeros(n_rows, dtype=np.int64)
    if len(factors) == 1:
        return factors[0][0].astype(np.int64, copy=False)
    key = factors[0][0].astype(np.int64)
    key *= sizes[1]
    key += factors[1][0]
    for (codes, _), size in zip(factors[2:], sizes[2:], strict=True):
        key *= size
        key += codes
    return key


def _number_keys(key: I64, space: int, n_rows: int) -> tuple[I64, I64, I64]:
    """Give the distinct keys numbers in sorted order; return row groups, keys, sizes."""
    if space <= max(_DENSE_PER_ROW * n_rows, _DENSE_MIN):
        counts = np.bincount(key, minlength=space)
        present = np.flatnonzero(counts)
        if len(present) == space:
            # Every combination occurs: the key is the group number.
            return np.asarray(key, dtype=np.int64), present, counts
        slot = np.full(space, -1, dtype=np.int64)
        slot[present] = np.arange(len(present), dtype=np.int64)
        return slot[key], present, counts[present]
    group_keys, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    return inverse.astype(np.int64, copy=False), group_keys, counts


def group(
    table: pa.Table,
    columns: Sequence[str],
    factors: Mapping[str, Factor] | None = None,
) -> Groups:
    """Group the rows of ``table`` by the text ``columns``.

    Groups are numbered in the lexicographic order of their keys (each column
    sorted by its labels), so results need no sort afterwards. ``factors``
    gives codes and sorted labels already computed for some columns (which
    then need not be in ``table``).
    """
    n_rows = table.num_rows
    known = dict(factors or {})
    missing = {name: table.column(name) for name in columns if name not in known}
    known.update(factorize_many(missing))
    factors_ = [known[name] for name in columns]
    sizes = [max(len(uniques), 1) for _, uniques in factors_]
    space = 1
    for size in sizes:
        space *= size
    if space >= 1 << 62:
        # Too many combinations for one integer key: sort the code rows instead.
        codes_out, n_groups, index_columns, group_sizes = _group_wide(factors_, sizes)
    else:
        key = _mixed_radix(factors_, sizes, n_rows)
        codes_out, group_keys, group_sizes = _number_keys(key, space, n_rows)
        group_keys = group_keys.astype(np.int64, copy=False)
        n_groups = len(group_keys)
        # Decode each group's key back to label indices, last column first.
        index_columns = []
        rest = group_keys
        for size in reversed(sizes):
            rest, idx = np.divmod(rest, size)
            index_columns.append(idx.astype(code_dtype(size), copy=False))
        index_columns.reverse()
    cols = {
        name: uniques.take(pa.array(idx))
        for name, (_, uniques), idx in zip(columns, factors_, index_columns, strict=True)
    }
    return Groups(
        codes=codes_out,
        n=n_groups,
        keys=pa.table(cols),
        key_codes=tuple(index_columns),
        sizes=np.asarray(group_sizes, dtype=np.int64),
        labels=tuple(uniques for _, uniques in factors_),
    )
