"""Operations on indicator series that carry margins of error through.

Every formula comes from :mod:`feedbackloop.stats` (ACS General Handbook ch. 8,
domain.md §1 and §6); this module aligns rows and keeps statuses honest.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from feedbackloop import stats
from feedbackloop.errors import NotAdditiveError, SeriesError, StatisticalWarning
from feedbackloop.model import Aggregation, Direction, Indicator
from feedbackloop.period import Period
from feedbackloop.series._frame import (
    CV,
    DENOMINATOR,
    DENOMINATOR_MOE,
    GEOGRAPHY,
    INDICATOR,
    MOE,
    NUMERATOR,
    NUMERATOR_MOE,
    PERIOD,
    RELIABILITY,
    STATUS,
    VALUE,
    IndicatorSeries,
)
from feedbackloop.series._groupby import Factor, Groups, group, in_slices, relabel
from feedbackloop.series._status import TOTAL, Status

if TYPE_CHECKING:
    from feedbackloop.model import Target

__all__ = [
    "baseline_forecast",
    "change",
    "check_additivity",
    "collapse",
    "disparity",
    "index_of_disparity",
    "progress",
    "proportion",
    "ratio",
    "reliability",
    "rollup",
    "turned_curve",
]

F64 = np.ndarray[Any, np.dtype[np.float64]]
_SUPPRESSED = [Status.SUPPRESSED.value, Status.SUPPRESSED_COMPLEMENTARY.value]


# ----------------------------------------------------------------- helpers


def _f64(column: Any) -> F64:
    """Return an Arrow float column as a float64 numpy array, NaN for nulls."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)


def _nan_to_null(values: F64) -> pa.Array:
    return pa.array(values, type=pa.float64(), from_pandas=True)


def ratio_scale(unit: str) -> float:
    """How many units of ``unit`` a ratio of 1 is: 100 for percent, 1000 per 1,000.

    Raises
    ------
    NotAdditiveError
        If ``unit`` is not a ratio unit (dimensionless or "per N things").
    """
    from feedbackloop.units import parse_unit

    q = parse_unit(unit).to_base_units()
    dims = dict(q.dimensionality)
    if dims and not (len(dims) == 1 and next(iter(dims.values())) == -1):
        raise NotAdditiveError(
            f"unit {unit!r} is not a ratio, so values cannot be recomputed from numerators "
            "and denominators; use a unit such as 'percent', 'fraction' or 'per 1000 people'"
        )
    return 1.0 / float(q.magnitude)


def _status_mask(column: pa.ChunkedArray, values: Sequence[str]) -> pa.ChunkedArray | None:
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
    suppressed = _status_mask(table.column(STATUS), _SUPPRESSED)
    out["__n_suppressed"] = (
        np.zeros(groups.n, np.int64)
        if suppressed is None
        else groups.count(np.asarray(suppressed.to_numpy(), dtype=bool))
    )
    for vcol, mcol in pairs:
        v = _f64(table.column(vcol))
        values = groups.sum(v)
        out[vcol] = values
        if mcol is not None:
            m = _f64(table.column(mcol))
            if m.size and (
                np.fmax.reduce(m) > 1e150 or np.min(m, where=m > 0, initial=np.inf) < 1e-150
            ):
                # Squares would overflow or underflow: the scaled (slower) formula.
                moe = stats.moe_sum_grouped(v, m, groups.codes, groups.n)[1]
            else:
                zero = v == 0
                with np.errstate(invalid="ignore"):
                    sq = groups.sum(m * np.where(zero, 0.0, m))
                    zmax = groups.max(m, zero, initial=0.0)
                    moe = np.sqrt(sq + zmax * zmax)
            moe[np.isnan(values)] = np.nan
            out[mcol] = moe
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
    codes[_f64(agg.column("__n_suppressed")) > 0] = 3
    return pa.DictionaryArray.from_arrays(pa.array(codes), _SUM_STATUSES)


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
            "indicator's aggregation to 'sum' if its values really are counts"
        )
    has_moe = MOE in names
    if rule is Aggregation.SUM:
        pairs: list[tuple[str, str | None]] = [(VALUE, MOE if has_moe else None)]
        for col, mcol in ((NUMERATOR, NUMERATOR_MOE), (DENOMINATOR, DENOMINATOR_MOE)):
            if col in names:
                pairs.append((col, mcol if mcol in names else None))
        agg, groups = _sum_aggregations(table, group_cols, pairs, factors)
        value = _f64(agg.column(VALUE))
        moe = _f64(agg.column(MOE)) if has_moe else None
    else:
        scale = ratio_scale(series.unit)
        pairs = [
            (NUMERATOR, NUMERATOR_MOE if NUMERATOR_MOE in names else None),
            (DENOMINATOR, DENOMINATOR_MOE if DENOMINATOR_MOE in names else None),
        ]
        agg, groups = _sum_aggregations(table, group_cols, pairs, factors)
        num, den = _f64(agg.column(NUMERATOR)), _f64(agg.column(DENOMINATOR))
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(den == 0, np.nan, num / den) * scale
        moe = None
        if NUMERATOR_MOE in names and DENOMINATOR_MOE in names:
            moe = (
                np.asarray(
                    stats.moe_proportion(
                        num, den, _f64(agg.column(NUMERATOR_MOE)), _f64(agg.column(DENOMINATOR_MOE))
                    )
                )
                * scale
            )
    out: dict[str, Any] = {}
    n = agg.num_rows
    out[INDICATOR] = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(n, dtype=np.int32)), pa.array([series.indicator.id])
    )
    for c in (GEOGRAPHY, PERIOD, *series.dimensions):
        out[c] = agg.column(c)
    out[VALUE] = _nan_to_null(value)
    if moe is not None:
        out[MOE] = _nan_to_null(moe)
    for c in (NUMERATOR, NUMERATOR_MOE, DENOMINATOR, DENOMINATOR_MOE):
        if c in agg.column_names:
            out[c] = _nan_to_null(_f64(agg.column(c)))
    out[STATUS] = _status_after_sum(agg, value, moe)
    return pa.table(out), groups.factors()


_FIPS_PARENT_LENGTHS = {
    "county": {5: 5, 10: 5, 11: 5, 12: 5, 15: 5},
    "state": {2: 2, 5: 2, 7: 2, 10: 2, 11: 2, 12: 2, 15: 2},
}


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
        parents = pc.utf8_slice_codeunits(labels, 0, lengths[max(lengths)])
    else:
        assert mapping is not None
        keys = pa.array(list(mapping), pa.string())
        idx = pc.index_in(labels, value_set=keys)
        if pc.any(pc.is_null(idx)).as_py():
            missing = pc.filter(labels, pc.is_null(idx)).to_pylist()[:8]
            raise SeriesError(
                f"mapping has no parent for geography codes {', '.join(map(repr, missing))}; "
                "map every code (nothing is dropped silently)"
            )
        parents = pc.take(pa.array(list(mapping.values()), pa.string()), idx)
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
    order = [INDICATOR, GEOGRAPHY, PERIOD, *series.dimensions]
    order += [c for c in agg.column_names if c not in order]
    result = series.with_table(agg.select(order))
    result._factors.update(out_factors)
    return result


# --------------------------------------------------------- proportion, ratio


def _align(a: IndicatorSeries, b: IndicatorSeries, what: str) -> pd.DataFrame:
    if set(a.dimensions) != set(b.dimensions):
        raise SeriesError(
            f"cannot compute a {what} of {a.indicator.id!r} (dimensions "
            f"{a.dimensions or 'none'}) and {b.indicator.id!r} (dimensions "
            f"{b.dimensions or 'none'}): both need the same dimensions"
        )
    keys = list(a.keys)
    left = a.frame[[*keys, VALUE, *([MOE] if a.has_moe else [])]]
    right = b.frame[[*keys, VALUE, *([MOE] if b.has_moe else [])]]
    return left.merge(right, on=keys, how="outer", suffixes=("_a", "_b"), sort=True)


def _derived(
    a: IndicatorSeries, b: IndicatorSeries, per: float, kind: str, indicator: Indicator | None
) -> IndicatorSeries:
    df = _align(a, b, kind)
    x = df["value_a"].to_numpy(dtype=np.float64, na_value=np.nan)
    y = df["value_b"].to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(y == 0, np.nan, x / y) * per
    out = df[list(a.keys)].copy()
    out[VALUE] = value
    out[NUMERATOR] = x
    out[DENOMINATOR] = y
    if a.has_moe and b.has_moe:
        mx = df["moe_a"].to_numpy(dtype=np.float64, na_value=np.nan)
        my = df["moe_b"].to_numpy(dtype=np.float64, na_value=np.nan)
        fn = stats.moe_proportion if kind == "proportion" else stats.moe_ratio
        out[MOE] = np.asarray(fn(x, y, mx, my)) * per
        out[NUMERATOR_MOE] = mx
        out[DENOMINATOR_MOE] = my
    status = np.where(np.isnan(value), Status.MISSING.value, Status.ESTIMATE.value)
    status = np.where(np.isnan(x) | np.isnan(y), Status.MISSING.value, status)
    status = np.where(~np.isnan(x) & ~np.isnan(y) & (y == 0), Status.NOT_COMPUTABLE.value, status)
    if MOE in out:
        status = np.where(
            (status == Status.ESTIMATE.value) & np.isnan(out[MOE].to_numpy()),
            Status.MOE_NOT_COMPUTABLE.value,
            status,
        )
    out[STATUS] = status
    if indicator is None:
        unit = {1: "fraction", 100: "percent", 1000: "permille"}.get(int(per), f"per {per:g}")
        if per not in (1, 100, 1000):
            unit = f"per {per:g}"
        indicator = Indicator(
            id=f"{a.indicator.id}_per_{b.indicator.id}"[:60],
            name=f"{a.indicator.name} per {b.indicator.name}",
            unit=unit,
            direction=a.indicator.direction,
            kind=a.indicator.kind,
            quadrant=a.indicator.quadrant,
            dimensions=a.indicator.dimensions,
            aggregation=Aggregation.RATIO,
        )
    return IndicatorSeries.from_frame(
        out,
        indicator=indicator,
        dimensions=a.dimensions,
        numerator=NUMERATOR,
        denominator=DENOMINATOR,
        numerator_moe=NUMERATOR_MOE if MOE in out else None,
        denominator_moe=DENOMINATOR_MOE if MOE in out else None,
        moe=MOE if MOE in out else None,
        status=STATUS,
        non_additive=a.non_additive,
        sensitive=a.sensitive or b.sensitive,
    )


def proportion(
    numerator: IndicatorSeries,
    denominator: IndicatorSeries,
    per: float = 1,
    *,
    indicator: Indicator | None = None,
) -> IndicatorSeries:
    """Divide a subset count by its universe, row by row, with the proportion MOE.

    ``P = X/Y`` with MOE ``sqrt(MOE_X² − P²·MOE_Y²)/Y``, falling back to the
    ratio formula where the radicand is negative (ACS General Handbook ch. 8,
    domain.md §1.2). Rows are aligned on geography, period and dimensions; a
    key present in only one series gives a ``missing`` row, never a dropped one.

    Parameters
    ----------
    numerator, denominator : IndicatorSeries
        Counts with the same dimensions; the numerator is a subset of the
        denominator (use :func:`ratio` otherwise).
    per : float
        Scale: 1 for a fraction, 100 for a percentage, 1000 for "per 1,000".
    indicator : Indicator, optional
        The indicator of the result (default: derived from the inputs).

    Returns
    -------
    IndicatorSeries
        With ``numerator``/``denominator`` columns kept, so it rolls up correctly.
    """
    return _derived(numerator, denominator, per, "proportion", indicator)


def ratio(
    numerator: IndicatorSeries,
    denominator: IndicatorSeries,
    per: float = 1,
    *,
    indicator: Indicator | None = None,
) -> IndicatorSeries:
    """Divide two series whose numerator is not a subset of the denominator.

    ``R = X/Y`` with MOE ``sqrt(MOE_X² + R²·MOE_Y²)/Y`` (domain.md §1.2);
    averages (aggregate ÷ count) use this formula too.

    Parameters
    ----------
    numerator, denominator : IndicatorSeries
    per : float
    indicator : Indicator, optional

    Returns
    -------
    IndicatorSeries
    """
    return _derived(numerator, denominator, per, "ratio", indicator)


# --------------------------------------------------------------- disparity


def _key_frame(series: IndicatorSeries, drop: str) -> list[str]:
    return [k for k in series.keys if k != drop]


def disparity(
    series: IndicatorSeries,
    dimension: str,
    reference: str = TOTAL,
    *,
    measure: Literal["ratio", "difference"] = "ratio",
    level: float = 0.90,
) -> pd.DataFrame:
    """Compare each category of ``dimension`` with a reference category.

    Rate ratio ``RR = r_g / R`` (MOE by the ratio formula) or rate difference
    ``RD = r_g − R`` (MOE ``sqrt(MOE_g² + MOE_R²)``), domain.md §6; the
    ``significant`` column tests ``r_g`` against ``R`` at ``level`` (§1.3) and
    is missing (NA) when the data carry no margins of error. The reference is
    recorded in every row.

    Parameters
    ----------
    series : IndicatorSeries
    dimension : str
        The dimension whose categories are compared (``race``).
    reference : str
        A category (``"White alone, not Hispanic"``) or :data:`TOTAL`.
    measure : {"ratio", "difference"}
    level : float
        Confidence level of the significance test.

    Returns
    -------
    pandas.DataFrame
        Keys, ``group``, ``reference``, ``value``, ``moe``, ``reference_value``,
        ``reference_moe``, ``measure``, ``disparity``, ``disparity_moe``,
        ``significant`` (nullable boolean: NA where a margin is unknown). One
        row per place, period and non-reference category, sorted by those keys;
        the text columns are categoricals with sorted categories (cheap for
        millions of rows; ``.astype(str)`` gives plain text).
    """
    series._check_dimension(dimension)
    if measure not in ("ratio", "difference"):
        raise SeriesError(f"measure must be 'ratio' or 'difference' (got {measure!r})")
    table = series.table
    n = table.num_rows
    others = _key_frame(series, dimension)
    factors = series._key_factors([*others, dimension])
    dim_codes, dim_labels = factors[dimension]
    ref_at = pc.index(dim_labels, reference).as_py()
    if ref_at < 0:
        raise SeriesError(
            f"reference {reference!r} is not a category of {dimension!r}; categories: "
            + ", ".join(map(repr, series.categories(dimension)))
        )
    # Each row's place-period cell, and each cell's reference row (keys are unique).
    cells = group(table, others, factors)
    is_ref = dim_codes == ref_at
    ref_rows = np.flatnonzero(is_ref)
    # Row numbers in the smallest type that holds them: less memory to touch.
    index: np.dtype[np.signedinteger[Any]] = np.dtype(
        np.int32 if n < np.iinfo(np.int32).max else np.int64
    )
    ref_row = np.full(cells.n, -1, dtype=index)
    ref_row[cells.codes[ref_rows]] = ref_rows
    # Rows in (cell, category) order: a counting sort on the unique full key.
    n_dim = max(len(dim_labels), 1)
    space = cells.n * n_dim
    key_type: np.dtype[np.signedinteger[Any]] = (
        index if space < np.iinfo(index).max else np.dtype(np.int64)
    )
    full_key = cells.codes.astype(key_type)
    full_key *= n_dim
    full_key += dim_codes
    if space == n:
        # Every category in every cell: the key is the row's sorted position.
        order = np.empty(n, dtype=index)
        order[full_key] = np.arange(n, dtype=index)
    elif space <= 4 * n + 1024:
        slot = np.full(space, -1, dtype=index)
        slot[full_key] = np.arange(n, dtype=index)
        order = slot[slot >= 0]
        del slot
    else:
        order = np.argsort(full_key, kind="stable").astype(index, copy=False)
    del full_key
    rows = order[~is_ref[order]]
    del order
    # Output rows are sorted by cell: each cell's rows but its reference, in a run.
    has_ref_cell = ref_row >= 0
    per_cell = cells.sizes - has_ref_cell
    refs = np.repeat(ref_row, per_cell)
    complete = bool(has_ref_cell.all())

    all_v = _f64(table.column(VALUE))
    if series.has_moe:
        all_m = _f64(table.column(MOE))
        if (all_m < 0).any():  # checked once here, not in every formula below
            all_m = np.where(all_m < 0, np.nan, all_m)
    else:
        all_m = np.full(1, np.nan)
    # One float block (value, moe, reference value, reference moe, disparity,
    # its moe) filled in place, half on each core; pandas keeps it as one block.
    m = len(rows)
    block = np.empty((6, m), dtype=np.float64)
    sig = np.zeros(m, dtype=bool)
    unknown = np.ones(m, dtype=bool)
    z_level = level

    def work(lo: int, hi: int) -> None:
        idx, ref = rows[lo:hi], refs[lo:hi]
        v, mv, r, mr, d, dm = (block[i, lo:hi] for i in range(6))
        np.take(all_v, idx, out=v)
        missing = None
        if not complete:
            missing = ref < 0
            ref = np.where(missing, 0, ref)
        np.take(all_v, ref, out=r)
        if missing is not None:
            r[missing] = np.nan
        if series.has_moe:
            np.take(all_m, idx, out=mv)
            np.take(all_m, ref, out=mr)
            if missing is not None:
                mr[missing] = np.nan
        else:
            mv.fill(np.nan)
            mr.fill(np.nan)
        if measure == "ratio":
            stats._ratio_into(v, r, d)
            stats._moe_ratio_into(d, r, mv, mr, dm)
        else:
            np.subtract(v, r, out=d)
            stats._hypot_into(mv, mr, dm)
        if series.has_moe:
            stats._significant_into(v, mv, r, mr, sig[lo:hi], level=z_level)
            nan = np.isnan(v)
            nan |= np.isnan(r)
            nan |= np.isnan(mv)
            nan |= np.isnan(mr)
            unknown[lo:hi] = nan
            sig[lo:hi] &= ~nan

    in_slices(m, work)
    significant = pd.arrays.BooleanArray(sig, unknown)
    floats = ["value", "moe", "reference_value", "reference_moe", "disparity", "disparity_moe"]
    out = pd.DataFrame(block.T, columns=floats, copy=False)
    for i, c in enumerate(others):
        codes, labels = cells.key_codes[i], cells.labels[i]
        out.insert(i, c, pd.Series(_categorical(labels, np.repeat(codes, per_cell)), copy=False))
    out.insert(
        len(others), "group", pd.Series(_categorical(dim_labels, dim_codes[rows]), copy=False)
    )
    constant = np.zeros(m, dtype=np.int8)
    out.insert(
        len(others) + 1,
        "reference",
        pd.Series(pd.Categorical.from_codes(constant, pd.Index([reference])), copy=False),
    )
    out.insert(
        len(others) + 6,
        "measure",
        pd.Series(pd.Categorical.from_codes(constant, pd.Index([measure])), copy=False),
    )
    out["significant"] = significant
    return out


def _categorical(labels: pa.Array, codes: np.ndarray[Any, Any]) -> pd.Categorical:
    """Text labels for factor codes, as a pandas categorical (labels sorted, no copy)."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(labels.to_pylist(), dtype="str"))


def index_of_disparity(
    series: IndicatorSeries, dimension: str, reference: str = "total", *, weighted: bool = False
) -> pd.DataFrame:
    """Pearcy & Keppel's index of disparity for each place and period.

    ``ID = [(1/J)·Σ|r_j − R|] / R × 100`` with ``R`` the total-population rate
    (``reference="total"``, the :data:`TOTAL` row); with a group as reference
    (HP2010 variant) the mean runs over the other ``J − 1`` groups. Weighted:
    ``Σ w_j·|r_j − R| / R × 100`` with ``w_j`` each group's share of the
    denominators (domain.md §6; Pearcy & Keppel 2002; Chesson et al. 2017).

    Returns
    -------
    pandas.DataFrame
        Keys without the dimension, ``reference``, ``groups`` (J),
        ``index_of_disparity``.
    """
    series._check_dimension(dimension)
    ref_label = TOTAL if reference == "total" else reference
    if weighted and DENOMINATOR not in series.table.column_names:
        raise SeriesError(
            "a weighted index of disparity needs each group's population: give the series a "
            "denominator column"
        )
    df = series.frame
    others = _key_frame(series, dimension)
    ref = df[df[dimension] == ref_label][[*others, VALUE]].rename(columns={VALUE: "__R"})
    if ref.empty:
        raise SeriesError(
            f"reference {ref_label!r} is not a category of {dimension!r}; categories: "
            + ", ".join(map(repr, series.categories(dimension)))
        )
    groups = df[(df[dimension] != TOTAL) & (df[dimension] != ref_label)]
    merged = (
        groups.merge(ref, on=others, how="inner")
        if others
        else groups.assign(__R=ref["__R"].iloc[0])
    )
    merged["__dev"] = (merged[VALUE] - merged["__R"]).abs()
    if weighted:
        w = merged[DENOMINATOR].astype(float)
        merged["__wdev"] = merged["__dev"] * w
        merged["__w"] = w
    keys = others or ["__all"]
    if not others:
        merged["__all"] = 0
    g = merged.groupby(keys, sort=True, dropna=False)
    out = g.agg(
        groups=(VALUE, "size"),
        __R=("__R", "first"),
        __mean=("__dev", "mean"),
        __nan=(VALUE, lambda s: s.isna().any()),
    )
    if weighted:
        sums = g[["__wdev", "__w"]].sum()
        out["__mean"] = sums["__wdev"] / sums["__w"]
    with np.errstate(divide="ignore", invalid="ignore"):
        idx = out["__mean"] / out["__R"] * 100.0
    idx[out["__nan"] | (out["__R"] == 0)] = np.nan
    result = out[["groups"]].copy()
    result.insert(0, "reference", ref_label)
    result["index_of_disparity"] = idx
    result = result.reset_index()
    if not others:
        result = result.drop(columns="__all")
    return result


# ------------------------------------------------------------- reliability


def reliability(
    series: IndicatorSeries, *, caution: float = 30.0, unreliable: float = 40.0
) -> IndicatorSeries:
    """Add the coefficient of variation and a reliability class to every row.

    ``CV = SE/|estimate| × 100`` with ``SE = MOE/1.645`` (domain.md §1.1).
    There is no official Census cut-off (§1.4); the defaults flag CV above 30%
    as ``caution`` and above 40% as ``unreliable``. Rows whose CV cannot be
    computed (estimate 0, unknown MOE) are ``not_computable``; controlled
    estimates (MOE 0) are ``reliable``.

    Parameters
    ----------
    series : IndicatorSeries
        Must carry margins of error.
    caution, unreliable : float
        CV thresholds in percent.

    Returns
    -------
    IndicatorSeries
        With ``cv`` and ``reliability`` columns (replaced if present).
    """
    if not series.has_moe:
        raise SeriesError(
            f"series {series.indicator.id!r} has no margins of error, so its reliability "
            "cannot be assessed (administrative counts have no sampling error)"
        )
    if not 0 <= caution <= unreliable:
        raise SeriesError(f"need 0 <= caution <= unreliable (got {caution}, {unreliable})")
    v = _f64(series.table.column(VALUE))
    m = _f64(series.table.column(MOE))
    cv = np.asarray(stats.cv(v, m), dtype=np.float64)
    klass = np.select(
        [np.isnan(cv), cv > unreliable, cv > caution],
        ["not_computable", "unreliable", "caution"],
        default="reliable",
    )
    table = series.table
    for c in (CV, RELIABILITY):
        if c in table.column_names:
            table = table.drop_columns([c])
    table = table.append_column(CV, _nan_to_null(cv))
    table = table.append_column(RELIABILITY, pa.array(klass, pa.string()).dictionary_encode())
    return series.with_table(table)


# ------------------------------------------------------------------ change


def _at(series: IndicatorSeries, period: Period) -> pd.DataFrame:
    label = str(period)
    sub = series.filter(period=label)
    if len(sub) == 0:
        raise SeriesError(
            f"series {series.indicator.id!r} has no data for period {label}; periods: "
            + ", ".join(map(str, series.periods))
        )
    cols = [k for k in series.keys if k != PERIOD]
    keep = [*cols, VALUE, *([MOE] if series.has_moe else [])]
    return sub.frame[keep]


def _check_comparable(a: Period, b: Period) -> float:
    """Warn about comparisons Census advises against; return the overlap share C."""
    if abs(a.years - b.years) > 0.05:
        warnings.warn(
            f"comparing {a} ({a.years:g} years) with {b} ({b.years:g} years): do not mix "
            "1-year and multi-year estimates in one comparison (domain.md §1.3)",
            StatisticalWarning,
            stacklevel=3,
        )
    if a.overlaps(b):
        share = a.overlap_years(b) / a.years
        warnings.warn(
            f"periods {a} and {b} overlap; the Census Bureau now advises comparing only "
            "non-overlapping periods. The test uses the legacy overlap correction "
            f"sqrt(1 − C) with C = {share:.2f} (domain.md §1.3)",
            StatisticalWarning,
            stacklevel=3,
        )
        return min(share, 1.0)
    return 0.0


def change(
    series: IndicatorSeries,
    start: Period | str | int,
    end: Period | str | int,
    *,
    level: float = 0.90,
) -> pd.DataFrame:
    """Change between two periods for every place and category.

    Difference ``X2 − X1`` with MOE ``sqrt(MOE1² + MOE2²)``; percent change
    ``100·(X2 − X1)/X1`` with MOE ``100·sqrt(MOE2² + (X2/X1)²·MOE1²)/X1``;
    significance by ``|Z| > z(level)`` (domain.md §1.2–1.3). Overlapping
    periods (consecutive ACS 5-year releases) and mixed 1-year/5-year
    comparisons issue a :class:`~feedbackloop.errors.StatisticalWarning`.

    Returns
    -------
    pandas.DataFrame
        Keys without period, ``start``, ``end``, ``start_value``, ``start_moe``,
        ``end_value``, ``end_moe``, ``difference``, ``difference_moe``,
        ``percent_change``, ``percent_change_moe``, ``significant``.
    """
    p1, p2 = Period.parse(start), Period.parse(end)
    overlap = _check_comparable(p1, p2)
    a, b = _at(series, p1), _at(series, p2)
    keys = [k for k in series.keys if k != PERIOD]
    merged = a.merge(b, on=keys, how="outer", suffixes=("_1", "_2"), sort=True)
    x1 = merged["value_1"].to_numpy(dtype=np.float64, na_value=np.nan)
    x2 = merged["value_2"].to_numpy(dtype=np.float64, na_value=np.nan)
    out = merged[keys].copy()
    out["start"] = str(p1)
    out["end"] = str(p2)
    out["start_value"] = x1
    out["end_value"] = x2
    out["difference"] = x2 - x1
    out["percent_change"] = np.asarray(stats.percent_change(x1, x2), dtype=np.float64)
    if series.has_moe:
        m1 = merged["moe_1"].to_numpy(dtype=np.float64, na_value=np.nan)
        m2 = merged["moe_2"].to_numpy(dtype=np.float64, na_value=np.nan)
        out["start_moe"] = m1
        out["end_moe"] = m2
        out["difference_moe"] = np.asarray(stats.moe_diff(m1, m2)) * math.sqrt(1 - overlap)
        out["percent_change_moe"] = np.asarray(stats.moe_percent_change(x1, x2, m1, m2))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StatisticalWarning)
            z = np.asarray(stats.z_score(x2, m2, x1, m1, overlap=overlap), dtype=np.float64)
        sig = pd.array(np.abs(z) > stats.z_for_level(level), dtype="boolean")
        sig[np.isnan(z)] = pd.NA
        out["significant"] = sig
    else:
        for c in ("start_moe", "end_moe", "difference_moe", "percent_change_moe"):
            out[c] = np.nan
        out["significant"] = pd.array([pd.NA] * len(out), dtype="boolean")
    order = [
        *keys,
        "start",
        "end",
        "start_value",
        "start_moe",
        "end_value",
        "end_moe",
        "difference",
        "difference_moe",
        "percent_change",
        "percent_change_moe",
        "significant",
    ]
    return out[order]


# ---------------------------------------------------------------- progress


def progress(
    series: IndicatorSeries,
    target: Target,
    *,
    period: Period | str | int | None = None,
    level: float = 0.90,
) -> pd.DataFrame:
    """Progress toward a target for every place and category.

    For each key: the baseline (the series' value in the target's baseline
    period, else the target's own baseline value), the current value (at
    ``period``, default the latest), the target level (a ``level`` target is
    shared; relative and absolute changes apply to each row's own baseline),
    the percentage of targeted change achieved and the percentage change from
    baseline (Healthy People 2030 methods), and the expected values on linear
    and compound paths (domain.md §6).

    ``status`` follows Healthy People: ``met`` (on the desired side of the
    target), ``improving`` / ``getting worse`` (movement toward / away from
    the target that exceeds its margin of error at ``level``; without margins,
    at least 10% of the targeted change), else ``little or no detectable
    change``. ``on_track`` is False only when the value is worse than the
    linear path by more than its margin of error.

    Returns
    -------
    pandas.DataFrame
    """
    if target.indicator != series.indicator.id:
        raise SeriesError(
            f"target is for {target.indicator!r} but the series is {series.indicator.id!r}"
        )
    direction: Direction = series.indicator.direction
    periods = series.periods
    if not periods:
        raise SeriesError(f"series {series.indicator.id!r} is empty")
    current_p = Period.parse(period) if period is not None else periods[-1]
    keys = [k for k in series.keys if k != PERIOD]
    cur = _at(series, current_p)
    base_p = target.baseline.period
    if base_p in periods:
        base = _at(series, base_p)
        merged = cur.merge(base, on=keys, how="left", suffixes=("", "_b"), sort=True)
    else:
        merged = cur.copy()
        merged["value_b"] = np.nan
        if series.has_moe:
            merged["moe_b"] = np.nan
    x = merged[VALUE].to_numpy(dtype=np.float64, na_value=np.nan)
    b = merged["value_b"].to_numpy(dtype=np.float64, na_value=np.nan)
    b = np.where(np.isnan(b), target.baseline.value, b)
    mx = (
        merged[MOE].to_numpy(dtype=np.float64, na_value=np.nan)
        if series.has_moe
        else np.full(len(x), np.nan)
    )
    mb = (
        merged["moe_b"].to_numpy(dtype=np.float64, na_value=np.nan)
        if series.has_moe
        else np.full(len(x), np.nan)
    )
    mb = np.where(np.isnan(mb) & ~np.isnan(mx), 0.0, mb)  # the target's own baseline is exact
    if target.value is not None:
        t = np.full(len(x), target.value)
    elif target.relative_change is not None:
        t = b * (1 + target.relative_change)
    else:
        assert target.absolute_change is not None
        t = b + target.absolute_change
    elapsed = target.elapsed(current_p)
    horizon = target.horizon
    out = merged[keys].copy()
    out["baseline_period"] = str(base_p)
    out["baseline"] = b
    out["baseline_moe"] = mb
    out["period"] = str(current_p)
    out["value"] = x
    out["moe"] = mx
    out["target_period"] = str(target.period)
    out["target"] = t
    out["percent_of_targeted_change"] = np.asarray(stats.percent_of_targeted_change(b, x, t))
    out["percent_change"] = np.asarray(stats.percent_change(b, x))
    exp_lin = np.asarray(stats.expected_linear(b, t, elapsed, horizon), dtype=np.float64)
    out["expected_linear"] = exp_lin
    out["expected_compound"] = np.asarray(stats.expected_compound(b, t, elapsed, horizon))
    sign = direction.sign
    z = stats.z_for_level(level)
    moe_change = np.sqrt(mx**2 + mb**2) * z / stats.Z90
    moved = (x - b) * sign  # positive = better
    has_moe = ~np.isnan(moe_change)
    pct = out["percent_of_targeted_change"].to_numpy(dtype=np.float64)
    toward_target = np.sign(t - b) * sign >= 0  # the target asks for improvement
    better = np.where(has_moe, moved > moe_change, np.where(toward_target, pct >= 10, moved > 0))
    worse = np.where(has_moe, moved < -moe_change, np.where(toward_target, pct <= -10, moved < 0))
    met = (x - t) * sign >= 0
    status = np.select(
        [np.isnan(x), met, better, worse],
        ["no data", "met", "improving", "getting worse"],
        default="little or no detectable change",
    )
    out["status"] = status
    gap = (x - exp_lin) * sign  # negative = behind schedule
    tol = np.where(np.isnan(mx), 0.0, mx * z / stats.Z90)
    on_track = pd.array(gap >= -tol, dtype="boolean")
    on_track[np.isnan(x)] = pd.NA
    out["on_track"] = on_track
    return out


# --------------------------------------------------------- forecast, curve


def baseline_forecast(
    series: IndicatorSeries,
    until: Period | str | int,
    *,
    method: str = "linear",
    before: Period | str | int | None = None,
) -> pd.DataFrame:
    """Forecast each curve forward from its history: the RBA baseline.

    A baseline is the history plus a forecast of where it goes if nothing
    changes (domain.md §5). For every key, an ordinary least-squares line is
    fitted to the values of the periods up to ``before`` (default: all), by
    period midpoint (``method="linear"``), or to their logarithms
    (``method="compound"``, a constant rate of change). Forecasts are given
    for every later period of the series and for ``until``, with a 90%
    prediction margin ``1.645·s·sqrt(1 + 1/n + (x₀ − x̄)²/Sxx)`` (NaN with
    fewer than three points, where the scatter is unknown).

    Returns
    -------
    pandas.DataFrame
        Keys without period, ``period``, ``forecast``, ``forecast_moe``,
        ``method``, ``points`` (n used).
    """
    if method not in ("linear", "compound"):
        raise SeriesError(f"method must be 'linear' or 'compound' (got {method!r})")
    end = Period.parse(until)
    cutoff = Period.parse(before) if before is not None else None
    keys = [k for k in series.keys if k != PERIOD]
    df = series.frame[[*keys, PERIOD, VALUE]].copy()
    label_mid = {str(p): p.midpoint for p in series.periods}
    df["__x"] = df[PERIOD].map(label_mid).astype(float)
    fit_mask = df[VALUE].notna()
    if cutoff is not None:
        fit_mask &= df["__x"] <= cutoff.midpoint
    fit = df[fit_mask].copy()
    fit["__y"] = fit[VALUE].astype(float)
    if method == "compound":
        if (fit["__y"] <= 0).any():
            raise SeriesError("a compound forecast needs positive values; use method='linear'")
        fit["__y"] = np.log(fit["__y"])
    last_fit = fit["__x"].max() if len(fit) else -np.inf
    future = sorted({p for p in series.periods if p.midpoint > last_fit and p <= end} | {end})
    if not keys:
        fit["__k"] = 0
        keys_g = ["__k"]
    else:
        keys_g = keys
    fit["__xy"] = fit["__x"] * fit["__y"]
    fit["__xx"] = fit["__x"] ** 2
    g = fit.groupby(keys_g, sort=True, dropna=False)
    s = g.agg(
        n=("__x", "size"),
        sx=("__x", "sum"),
        sy=("__y", "sum"),
        sxx=("__xx", "sum"),
        sxy=("__xy", "sum"),
    )
    n = s["n"].to_numpy(dtype=np.float64)
    xbar = s["sx"].to_numpy() / n
    ybar = s["sy"].to_numpy() / n
    sxx = s["sxx"].to_numpy() - n * xbar**2
    sxy = s["sxy"].to_numpy() - n * xbar * ybar
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(sxx > 0, sxy / sxx, np.nan)
    intercept = ybar - slope * xbar
    coef = s[[]].copy()
    coef["__a"], coef["__b"], coef["__xbar"], coef["__sxx"], coef["__n"] = (
        intercept,
        slope,
        xbar,
        sxx,
        n,
    )
    fit = fit.join(coef, on=keys_g)
    fit["__res2"] = (fit["__y"] - fit["__a"] - fit["__b"] * fit["__x"]) ** 2
    rss = fit.groupby(keys_g, sort=True, dropna=False)["__res2"].sum().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.where(n > 2, np.sqrt(rss / (n - 2)), np.nan)
    coef["__s"] = sigma
    rows = []
    for p in future:
        x0 = p.midpoint
        yhat = coef["__a"] + coef["__b"] * x0
        with np.errstate(divide="ignore", invalid="ignore"):
            se = coef["__s"] * np.sqrt(
                1 + 1 / coef["__n"] + (x0 - coef["__xbar"]) ** 2 / coef["__sxx"]
            )
        frame = coef[[]].copy()
        frame[PERIOD] = str(p)
        if method == "compound":
            frame["forecast"] = np.exp(yhat)
            frame["forecast_moe"] = np.exp(yhat) * stats.Z90 * se  # delta method
        else:
            frame["forecast"] = yhat
            frame["forecast_moe"] = stats.Z90 * se
        rows.append(frame)
    out = pd.concat(rows).reset_index()
    if not keys:
        out = out.drop(columns="__k")
    out["method"] = method
    out = (
        out.merge(
            s[["n"]].rename(columns={"n": "points"}).reset_index(),
            on=keys_g if keys else None,
            how="left",
        )
        if keys
        else out.assign(points=int(n[0]) if len(n) else 0)
    )
    return out[[*keys, PERIOD, "forecast", "forecast_moe", "method", "points"]]


def turned_curve(
    series: IndicatorSeries, forecast: pd.DataFrame, *, level: float = 0.90
) -> pd.DataFrame:
    """Test whether the curve turned: observed values against the baseline forecast.

    Turning the curve means doing better than the forecast (RBA, domain.md
    §5), not merely better than the last point. A row is ``turned`` when the
    observed value beats the forecast, in the indicator's good direction, by
    more than the combined margin ``sqrt(MOE_obs² + MOE_forecast²)`` at
    ``level``; ``turned`` is NA where that margin is unknown.

    Parameters
    ----------
    series : IndicatorSeries
    forecast : pandas.DataFrame
        Output of :func:`baseline_forecast`.
    level : float

    Returns
    -------
    pandas.DataFrame
        Keys, ``period``, ``value``, ``moe``, ``forecast``, ``forecast_moe``,
        ``better_by`` (in the good direction), ``turned``.
    """
    keys = [k for k in series.keys if k != PERIOD]
    obs_cols = [*keys, PERIOD, VALUE, *([MOE] if series.has_moe else [])]
    obs = series.frame[obs_cols]
    merged = obs.merge(
        forecast[[*keys, PERIOD, "forecast", "forecast_moe"]],
        on=[*keys, PERIOD],
        how="inner",
        sort=True,
    )
    x = merged[VALUE].to_numpy(dtype=np.float64, na_value=np.nan)
    mx = (
        merged[MOE].to_numpy(dtype=np.float64, na_value=np.nan)
        if series.has_moe
        else np.zeros(len(x))
    )
    f = merged["forecast"].to_numpy(dtype=np.float64, na_value=np.nan)
    mf = merged["forecast_moe"].to_numpy(dtype=np.float64, na_value=np.nan)
    better_by = (x - f) * series.indicator.direction.sign
    margin = np.sqrt(mx**2 + mf**2) * stats.z_for_level(level) / stats.Z90
    turned = pd.array(better_by > margin, dtype="boolean")
    turned[np.isnan(margin) | np.isnan(better_by)] = pd.NA
    out = merged[[*keys, PERIOD]].copy()
    out["value"] = x
    out["moe"] = mx if series.has_moe else np.nan
    out["forecast"] = f
    out["forecast_moe"] = mf
    out["better_by"] = better_by
    out["turned"] = turned
    return out


# -------------------------------------------------------------- additivity


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
    others = _key_frame(series, dimension)
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
