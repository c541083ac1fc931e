"""Sums over places and categories: roll-up, collapse, and the additivity check.

Counts sum with the Census rule for margins of error (domain.md §1.2); rates
are recomputed from summed numerators and denominators. Statuses stay honest:
a sum with a suppressed part is suppressed, one with a missing part missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from feedbackloop import stats
from feedbackloop.errors import NotAdditiveError, SeriesError
from feedbackloop.model import Aggregation
from feedbackloop.series._arrays import F64, f64
from feedbackloop.series._assemble import series_table
from feedbackloop.series._columns import (
    DENOMINATOR,
    DENOMINATOR_MOE,
    GEOGRAPHY,
    MOE,
    NUMERATOR,
    NUMERATOR_MOE,
    PERIOD,
    STATUS,
    VALUE,
)
from feedbackloop.series._groupby import Factor, Groups, group, relabel
from feedbackloop.series._status import TOTAL, Status
from feedbackloop.units import parse_unit

if TYPE_CHECKING:
    from feedbackloop.series._frame import IndicatorSeries

__all__ = ["check_additivity", "collapse", "ratio_scale", "rollup", "status_mask"]

_SUPPRESSED = [Status.SUPPRESSED.value, Status.SUPPRESSED_COMPLEMENTARY.value]


def ratio_scale(unit: str) -> float:
    """How many units of ``unit`` a ratio of 1 is: 100 for percent, 1000 per 1,000.

    Raises
    ------
    NotAdditiveError
        If ``unit`` is not a ratio unit (dimensionless or "per N things").
    """
    q = parse_unit(unit).to_base_units()
    dims = dict(q.dimensionality)
    if dims and not (len(dims) == 1 and next(iter(dims.values())) == -1):
        raise NotAdditiveError(
            f"unit {unit!r} is not a ratio, so values cannot be recomputed from numerators "
            "and denominators; use a unit such as 'percent', 'fraction' or 'per 1000 people'"
        )
    return 1.0 / float(q.magnitude)


def status_mask(column: pa.ChunkedArray, values: Sequence[str]) -> pa.ChunkedArray | None:
    """Rows whose status is one of ``values``, or ``None`` when there are none.

    Dictionary-encoded chunks (the normal case) are tested on their
    dictionary only, so a column without any such status costs nothing.
    """
    value_set = pa.array(list(values), pa.string())
    chunks: list[pa.Array] = []
    found = False
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            hit = pc.is_in(chunk.dictionary.cast(pa.string()), value_set=value_set)
            if not pc.any(hit).as_py():
                chunks.append(pa.nulls(len(chunk), pa.bool_()).fill_null(False))
                continue
            chunks.append(pc.fill_null(pc.take(hit, chunk.indices), False))
        else:
            hit = pc.is_in(chunk.cast(pa.string()), value_set=value_set)
            chunks.append(pc.fill_null(hit, False))
        found = True
    if not found:
        return None
    mask = pa.chunked_array(chunks, pa.bool_())
    return mask if pc.any(mask).as_py() else None


def _moe_of_sum(groups: Groups, v: F64, m: F64, values: F64) -> F64:
    """``sqrt(Σ_{v≠0} m² + max_{v=0}(m)²)`` per group, NaN where the sum is."""
    if m.size and (np.fmax.reduce(m) > 1e150 or np.min(m, where=m > 0, initial=np.inf) < 1e-150):
        # Squares would overflow or underflow: the scaled (slower) formula.
        moe = stats.moe_sum_grouped(v, m, groups.codes, groups.n)[1]
    else:
        zero = v == 0
        with np.errstate(invalid="ignore"):
            sq = groups.sum(m * np.where(zero, 0.0, m))
            zmax = groups.max(m, zero, initial=0.0)
            moe = np.sqrt(sq + zmax * zmax)
    moe[np.isnan(values)] = np.nan
    return np.asarray(moe, dtype=np.float64)


def _sum_aggregations(
    table: pa.Table,
    group_cols: Sequence[str],
    pairs: Sequence[tuple[str, str | None]],
    factors: Mapping[str, Factor] | None = None,
) -> tuple[pa.Table, Groups]:
    """Group ``table`` and sum each (value, moe) pair with the Census zero-estimate rule.

    For a value column ``v`` with margins ``m`` the result holds ``v`` (the sum,
    NaN if any part is missing: NaN propagates through the sum) and
    ``m = sqrt(Σ_{v≠0} m² + max_{v=0}(m)²)`` (domain.md §1.2), NaN if any
    part's margin is unknown (a zero estimate contributes ``m·0`` to the sum of
    squares, which is NaN exactly when its margin is). ``__n_suppressed``
    counts suppressed parts. Rows come out sorted by ``group_cols``; the
    groups are returned too (their factor codes describe the result's keys).
    """
    groups = group(table, group_cols, factors)
    out: dict[str, Any] = {c: groups.keys.column(c) for c in group_cols}
    suppressed = status_mask(table.column(STATUS), _SUPPRESSED)
    out["__n_suppressed"] = (
        np.zeros(groups.n, np.int64)
        if suppressed is None
        else groups.count(np.asarray(suppressed.to_numpy(), dtype=bool))
    )
    for vcol, mcol in pairs:
        v = f64(table.column(vcol))
        values = groups.sum(v)
        out[vcol] = values
        if mcol is not None:
            out[mcol] = _moe_of_sum(groups, v, f64(table.column(mcol)), values)
    return pa.table(out), groups


_SUM_STATUSES = pa.array(
    [
        Status.ESTIMATE.value,
        Status.MISSING.value,
        Status.MOE_NOT_COMPUTABLE.value,
        Status.SUPPRESSED.value,
    ],
    pa.string(),
)


def _status_after_sum(agg: pa.Table, value: F64, moe: F64 | None) -> pa.Array:
    """Status of aggregated rows: suppressed parts stay suppressed; missing parts, missing."""
    codes = np.zeros(len(value), dtype=np.int8)
    missing = np.isnan(value)
    codes[missing] = 1
    if moe is not None:
        codes[~missing & np.isnan(moe)] = 2
    codes[f64(agg.column("__n_suppressed")) > 0] = 3
    return pa.DictionaryArray.from_arrays(pa.array(codes), _SUM_STATUSES)


_Sums = tuple[pa.Table, Groups, F64, F64 | None]


def _sum_counts(
    table: pa.Table, group_cols: Sequence[str], factors: Mapping[str, Factor] | None
) -> _Sums:
    """Sum values (and numerators and denominators, when present) with their margins."""
    names = table.column_names
    pairs: list[tuple[str, str | None]] = [(VALUE, MOE if MOE in names else None)]
    for col, mcol in ((NUMERATOR, NUMERATOR_MOE), (DENOMINATOR, DENOMINATOR_MOE)):
        if col in names:
            pairs.append((col, mcol if mcol in names else None))
    agg, groups = _sum_aggregations(table, group_cols, pairs, factors)
    moe = f64(agg.column(MOE)) if MOE in names else None
    return agg, groups, f64(agg.column(VALUE)), moe


def _recompute_rates(
    table: pa.Table,
    group_cols: Sequence[str],
    factors: Mapping[str, Factor] | None,
    scale: float,
) -> _Sums:
    """Sum numerators and denominators, then divide (the proportion MOE when known)."""
    names = table.column_names
    pairs = [
        (NUMERATOR, NUMERATOR_MOE if NUMERATOR_MOE in names else None),
        (DENOMINATOR, DENOMINATOR_MOE if DENOMINATOR_MOE in names else None),
    ]
    agg, groups = _sum_aggregations(table, group_cols, pairs, factors)
    num, den = f64(agg.column(NUMERATOR)), f64(agg.column(DENOMINATOR))
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(den == 0, np.nan, num / den) * scale
    moe = None
    if NUMERATOR_MOE in names and DENOMINATOR_MOE in names:
        moe = (
            np.asarray(
                stats.moe_proportion(
                    num, den, f64(agg.column(NUMERATOR_MOE)), f64(agg.column(DENOMINATOR_MOE))
                )
            )
            * scale
        )
    return agg, groups, value, moe


def _aggregate(
    series: IndicatorSeries,
    table: pa.Table,
    group_cols: Sequence[str],
    what: str,
    factors: Mapping[str, Factor] | None = None,
) -> tuple[pa.Table, dict[str, Factor]]:
    """Aggregate ``table`` (already re-keyed) by ``group_cols`` under the indicator's rule.

    Returns the aggregated table and the factor codes of its key columns.
    """
    rule = series.indicator.effective_aggregation
    names = table.column_names
    if rule is Aggregation.NONE and not (NUMERATOR in names and DENOMINATOR in names):
        raise NotAdditiveError(
            f"cannot {what} indicator {series.indicator.id!r} ({series.unit}): its values are "
            "not additive (rates, percentages, medians and averages never sum). Give the series "
            "numerator and denominator columns so the rate can be recomputed, or set the "
            "indicator's aggregation to 'sum' if its values really are counts. For a median, "
            "roll up the counts in its bins (e.g. ACS B19001) and recompute it with "
            "feedbackloop.series.median_from_bins"
        )
    if rule is Aggregation.SUM:
        agg, groups, value, moe = _sum_counts(table, group_cols, factors)
    else:
        agg, groups, value, moe = _recompute_rates(
            table, group_cols, factors, ratio_scale(series.unit)
        )
    columns: dict[str, Any] = {c: agg.column(c) for c in (GEOGRAPHY, PERIOD, *series.dimensions)}
    columns[VALUE] = value
    if moe is not None:
        columns[MOE] = moe
    for c in (NUMERATOR, NUMERATOR_MOE, DENOMINATOR, DENOMINATOR_MOE):
        if c in agg.column_names:
            columns[c] = f64(agg.column(c))
    out = series_table(
        columns,
        indicator_id=series.indicator.id,
        dimensions=series.dimensions,
        status=_status_after_sum(agg, value, moe),
    )
    return out, groups.factors()


_FIPS_PARENT_LENGTHS = {
    "county": {5: 5, 10: 5, 11: 5, 12: 5, 15: 5},
    "state": {2: 2, 5: 2, 7: 2, 10: 2, 11: 2, 12: 2, 15: 2},
}


def _fips_parents(series: IndicatorSeries, labels: pa.Array, to: str) -> pa.Array:
    """Each distinct FIPS GEOID cut to its county or state."""
    if to not in _FIPS_PARENT_LENGTHS:
        raise SeriesError(f"to must be 'county' or 'state' (got {to!r})")
    lengths = _FIPS_PARENT_LENGTHS[to]
    allowed = pc.is_in(pc.utf8_length(labels), value_set=pa.array(list(lengths), pa.int32()))
    ok = pc.fill_null(pc.and_(allowed, pc.ascii_is_decimal(labels)), False)
    if not pc.all(ok).as_py():
        bad = pc.filter(labels, pc.invert(ok)).to_pylist()[:5]
        raise SeriesError(
            f"cannot roll {series.indicator.id!r} up to {to}: codes such as "
            f"{', '.join(map(repr, bad))} are not FIPS GEOIDs that nest in a {to} "
            f"(expected {', '.join(map(str, sorted(lengths)))} digits); use mapping= for "
            "custom geographies"
        )
    return pc.utf8_slice_codeunits(labels, 0, lengths[max(lengths)])


def _mapped_parents(labels: pa.Array, mapping: Mapping[str, str]) -> pa.Array:
    """Each distinct geography code's parent in ``mapping`` (every code must be mapped)."""
    keys = pa.array(list(mapping), pa.string())
    idx = pc.index_in(labels, value_set=keys)
    if pc.any(pc.is_null(idx)).as_py():
        missing = pc.filter(labels, pc.is_null(idx)).to_pylist()[:8]
        raise SeriesError(
            f"mapping has no parent for geography codes {', '.join(map(repr, missing))}; "
            "map every code (nothing is dropped silently)"
        )
    return pc.take(pa.array(list(mapping.values()), pa.string()), idx)


def rollup(
    series: IndicatorSeries,
    *,
    to: Literal["county", "state"] | None = None,
    mapping: Mapping[str, str] | None = None,
) -> IndicatorSeries:
    """Aggregate a series to larger geographies, carrying margins of error.

    With ``to=`` FIPS GEOIDs are cut to their parent: county (first 5 digits)
    from county subdivisions (10), tracts (11), block groups (12) and blocks
    (15); state (first 2) from all of those plus counties (5) and places (7).
    With ``mapping=`` each code is mapped to a custom parent.

    Counts sum, with the MOE of a sum including only the largest margin among
    zero estimates (domain.md §1.2); rates are recomputed from summed
    numerators and denominators with the proportion formula.

    Parameters
    ----------
    series : IndicatorSeries
    to : {"county", "state"}, optional
    mapping : mapping of str to str, optional

    Returns
    -------
    IndicatorSeries

    Raises
    ------
    NotAdditiveError
        For values that do not add up.
    SeriesError
        For codes that are not FIPS GEOIDs of a nesting level, or unmapped codes.
    """
    if (to is None) == (mapping is None):
        raise SeriesError("give exactly one of to='county'|'state' or mapping={code: parent}")
    factors = series._key_factors([GEOGRAPHY, PERIOD, *series.dimensions])
    codes, labels = factors[GEOGRAPHY]
    if to is not None:
        parents = _fips_parents(series, labels, to)
    else:
        assert mapping is not None
        parents = _mapped_parents(labels, mapping)
    factors[GEOGRAPHY] = relabel(codes, labels, parents)
    out, out_factors = _aggregate(
        series, series.table, [GEOGRAPHY, PERIOD, *series.dimensions], "roll up", factors
    )
    result = series.with_table(out)
    result._factors.update(out_factors)
    return result


def collapse(series: IndicatorSeries, dimension: str) -> IndicatorSeries:
    """Sum the categories of ``dimension`` into :data:`TOTAL`.

    Rows already labelled ``TOTAL`` are left out of the sum (never counted
    twice) and replaced by the computed totals.

    Raises
    ------
    NotAdditiveError
        If the indicator's values do not add up, or the dimension's categories
        overlap (``series.non_additive``, e.g. Census race iterations A–I).
    """
    series._check_dimension(dimension)
    if dimension in series.non_additive:
        raise NotAdditiveError(
            f"the categories of {dimension!r} overlap (e.g. 'White alone, not Hispanic' is "
            "inside 'White alone', Hispanic or Latino is of any race), so summing them would "
            "count people twice; use a total published by the source"
        )
    table = series.table.filter(pc.not_equal(series.table.column(dimension), TOTAL))
    others = [d for d in series.dimensions if d != dimension]
    agg, out_factors = _aggregate(
        series,
        table.drop_columns([dimension]).append_column(
            dimension, pa.repeat(pa.scalar(TOTAL, pa.string()), table.num_rows)
        ),
        [GEOGRAPHY, PERIOD, *others, dimension],
        "collapse",
    )
    result = series.with_table(agg)
    result._factors.update(out_factors)
    return result


def check_additivity(
    series: IndicatorSeries, dimension: str, *, level: float = 0.90
) -> pd.DataFrame:
    """Compare each published total with the sum of its categories.

    The parts are summed with the Census MOE rule; a total ``adds_up`` when
    ``|total − Σ parts|`` is within ``sqrt(MOE_total² + MOE_sum²)`` at
    ``level`` (or, without margins, within rounding: 1e-9 relative).

    Returns
    -------
    pandas.DataFrame
        Keys without the dimension, ``total``, ``total_moe``, ``parts``,
        ``parts_sum``, ``parts_moe``, ``difference``, ``difference_moe``,
        ``adds_up``.
    """
    series._check_dimension(dimension)
    table = series.table
    others = [k for k in series.keys if k != dimension]
    is_total = pc.equal(table.column(dimension), TOTAL)
    totals = table.filter(is_total)
    if totals.num_rows == 0:
        raise SeriesError(f"series has no {TOTAL!r} rows for {dimension!r} to check against")
    parts = table.filter(pc.invert(is_total))
    pairs: list[tuple[str, str | None]] = [(VALUE, MOE if series.has_moe else None)]
    agg = _sum_aggregations(parts, others, pairs)[0].to_pandas()
    counts = parts.group_by(others).aggregate([([], "count_all")]).to_pandas()
    agg = agg.merge(counts, on=others).rename(columns={"count_all": "parts"})
    tot = totals.select([*others, VALUE, *([MOE] if series.has_moe else [])]).to_pandas()
    merged = tot.merge(agg, on=others, how="left", suffixes=("", "_sum"), sort=True)
    out: pd.DataFrame = merged[others].copy()
    total = merged[VALUE].to_numpy(dtype=np.float64, na_value=np.nan)
    psum = merged["value_sum"].to_numpy(dtype=np.float64, na_value=np.nan)
    out["total"] = total
    out["total_moe"] = (
        merged[MOE].to_numpy(np.float64, na_value=np.nan) if series.has_moe else np.nan
    )
    out["parts"] = merged["parts"].fillna(0).astype(int)
    out["parts_sum"] = psum
    out["parts_moe"] = (
        merged["moe_sum"].to_numpy(np.float64, na_value=np.nan) if series.has_moe else np.nan
    )
    out["difference"] = total - psum
    if series.has_moe:
        dm = np.asarray(stats.moe_diff(out["total_moe"].to_numpy(), out["parts_moe"].to_numpy()))
        out["difference_moe"] = dm
        tol = dm * stats.z_for_level(level) / stats.Z90
    else:
        out["difference_moe"] = np.nan
        tol = 1e-9 * np.maximum(1.0, np.abs(total))
    diff = np.abs(total - psum)
    adds = pd.array(diff <= tol, dtype="boolean")
    adds[np.isnan(diff) | np.isnan(tol)] = pd.NA
    out["adds_up"] = adds
    return out
