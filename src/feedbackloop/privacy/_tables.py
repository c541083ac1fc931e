"""Split a series into independent additive tables and list their sum constraints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from attrs import frozen

from feedbackloop.errors import SuppressionError
from feedbackloop.model import Aggregation
from feedbackloop.series import TOTAL

if TYPE_CHECKING:
    from feedbackloop.series import IndicatorSeries

__all__ = ["Layers", "Table", "layers", "tables"]

F64 = npt.NDArray[np.float64]
Idx = npt.NDArray[np.intp]


@frozen
class Table:
    """One independent table: rows of the series and its ``parent = sum(children)`` relations.

    ``rows`` are positions in the series; ``constraints`` use positions in
    ``rows``. ``level`` counts the key columns holding a total (cells 0,
    margins 1, ...), used to prefer interior cells as complements.
    """

    label: str
    rows: Idx
    constraints: tuple[tuple[int, tuple[int, ...]], ...]
    level: npt.NDArray[np.int64]


@frozen
class Layers:
    """The additive quantities of every row: ``(L, n)`` values, NaN when unknown.

    One layer (the value) for counts; two (numerator, denominator) for rates.
    """

    values: F64
    is_rate: bool


def layers(series: IndicatorSeries) -> Layers:
    """Return the counts that disclosure control acts on.

    Raises
    ------
    SuppressionError
        For rates without numerator and denominator columns, or negative counts.
    """
    cols = series.table.column_names
    agg = series.indicator.effective_aggregation
    if agg is Aggregation.SUM:
        names = ["value"]
    elif "numerator" in cols and "denominator" in cols:
        names = ["numerator", "denominator"]
    else:
        raise SuppressionError(
            f"series {series.indicator.id!r} holds {series.unit!r} values, which are not "
            "counts, and has no numerator and denominator columns, so small cells cannot be "
            "found; build it with numerator= and denominator= counts (e.g. with "
            "feedbackloop.measures.from_records) or give the indicator aggregation: sum"
        )
    values = np.vstack(
        [series.table.column(c).to_numpy().astype(np.float64, copy=True) for c in names]
    )
    negative = np.nan_to_num(values, nan=0.0) < 0
    if negative.any():
        rows = np.flatnonzero(negative.any(axis=0))[:8].tolist()
        raise SuppressionError(
            f"series {series.indicator.id!r}: {' and '.join(names)} must be counts (>= 0); "
            f"rows {rows} are negative"
        )
    return Layers(values=values, is_rate=len(names) == 2)


def _geography_parent(
    geographies: set[str], parents: Mapping[str, str] | None
) -> dict[str, str] | None:
    """Map each geography to the geography that totals it, or ``None`` if none do."""
    parents = dict(parents or {})
    if TOTAL not in geographies and not parents:
        return None
    out: dict[str, str] = {}
    for g in geographies:
        if g == TOTAL:
            continue
        if g in parents:
            out[g] = parents[g]
        elif TOTAL in geographies:
            out[g] = TOTAL
    return out


def tables(
    series: IndicatorSeries, geography_parents: Mapping[str, str] | None = None
) -> list[Table]:
    """Split ``series`` into independent tables and find their sum relations.

    Every (indicator, period) is its own table; so is every geography, unless
    geography totals are published (a ``TOTAL`` geography row, or
    ``geography_parents``), in which case geography is one more dimension.
    Within a table, every row whose key holds ``TOTAL`` in some dimension (or a
    parent geography) is the sum of the rows that replace it with each
    category (child geography), the other keys being equal.
    """
    frame: pd.DataFrame = series.table.select(
        ["indicator", "geography", "period", *series.dimensions]
    ).to_pandas()
    for c in frame.columns:
        frame[c] = frame[c].astype(object)
    geo_parent = _geography_parent(set(frame["geography"].dropna()), geography_parents)
    axes = list(series.dimensions) + (["geography"] if geo_parent is not None else [])
    group_cols = ["indicator", "period"] + ([] if geo_parent is not None else ["geography"])
    out: list[Table] = []
    positions = np.arange(len(frame), dtype=np.intp)
    for label, sub in frame.groupby(group_cols, sort=True, dropna=False):
        # Rows in key order, not input order: the same cells make the same table (and the
        # same choices of complementary cells) however the rows arrive (engines, files).
        found = [tuple(r) for r in sub[axes].itertuples(index=False, name=None)]
        order = sorted(range(len(found)), key=lambda i: [(v is None, str(v)) for v in found[i]])
        rows = positions[sub.index.to_numpy()][order]
        keys = [found[i] for i in order]
        where = {k: i for i, k in enumerate(keys)}
        level = np.zeros(len(keys), dtype=np.int64)
        children: dict[tuple[int, int], list[int]] = {}
        for i, key in enumerate(keys):
            for a, name in enumerate(axes):
                val = key[a]
                parent: Any
                if name == "geography":
                    assert geo_parent is not None
                    parent = geo_parent.get(val)
                    if val == TOTAL or val in geo_parent.values():
                        level[i] += 1
                else:
                    parent = TOTAL if val != TOTAL else None
                    if val == TOTAL:
                        level[i] += 1
                if parent is None:
                    continue
                j = where.get((*key[:a], parent, *key[a + 1 :]))
                if j is not None:
                    children.setdefault((j, a), []).append(i)
        constraints = tuple((p, tuple(sorted(c))) for (p, _), c in sorted(children.items()))
        name = " / ".join(str(x) for x in (label if isinstance(label, tuple) else (label,)))
        out.append(Table(label=name, rows=rows, constraints=constraints, level=level))
    return out
