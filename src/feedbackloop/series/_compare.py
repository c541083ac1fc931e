"""Comparisons that carry margins of error: disparities, shares, change, reliability, ratios.

Every formula comes from :mod:`feedbackloop.stats` (ACS General Handbook ch. 8,
domain.md §1 and §6); this module aligns rows and keeps statuses honest. A
number derived from a suppressed cell (domain.md §4: "no cell may be derivable")
is withheld: null, with the status
:attr:`~feedbackloop.series.Status.SUPPRESSED_DERIVED`, and never tested for
significance.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

from feedbackloop import stats
from feedbackloop.errors import SeriesError, StatisticalWarning
from feedbackloop.model import Aggregation, Indicator
from feedbackloop.period import Period
from feedbackloop.series._arrays import f64, nan_to_null
from feedbackloop.series._columns import (
    CV,
    DENOMINATOR,
    DENOMINATOR_MOE,
    MOE,
    NUMERATOR,
    NUMERATOR_MOE,
    PERIOD,
    RELIABILITY,
    STATUS,
    VALUE,
)
from feedbackloop.series._groupby import Codes, Groups, group, in_slices
from feedbackloop.series._status import TOTAL, Status

if TYPE_CHECKING:
    from feedbackloop.series._frame import IndicatorSeries

__all__ = [
    "change",
    "disparity",
    "index_of_disparity",
    "proportion",
    "ratio",
    "reliability",
    "rows_at",
    "share",
    "withheld",
    "withheld_rows",
]

#: Row numbers: int32 or int64.
Rows = np.ndarray[Any, np.dtype[np.signedinteger[Any]]]
Mask = np.ndarray[Any, np.dtype[np.bool_]]

#: The statuses of rows withheld for privacy (suppressed, or derived from a suppressed cell).
WITHHELD: tuple[str, ...] = tuple(s.value for s in Status if s.is_suppressed)
_WITHHELD_ARROW = pa.array(WITHHELD, pa.string())


def withheld_rows(table: pa.Table) -> Mask:
    """Return whether each row of a series table is withheld for privacy.

    Dictionary-encoded status chunks (the normal case) are tested on their
    dictionary only, so a table without withheld rows costs next to nothing.
    """
    parts: list[Mask] = []
    for chunk in table.column(STATUS).chunks:
        if pa.types.is_dictionary(chunk.type):
            hit = pc.is_in(chunk.dictionary.cast(pa.string()), value_set=_WITHHELD_ARROW)
            if not pc.any(hit).as_py():
                parts.append(np.zeros(len(chunk), dtype=bool))
                continue
            chunk = pc.take(hit, chunk.indices)
        else:
            chunk = pc.is_in(chunk.cast(pa.string()), value_set=_WITHHELD_ARROW)
        parts.append(np.asarray(pc.fill_null(chunk, False).to_numpy(zero_copy_only=False)))
    return np.concatenate(parts) if parts else np.zeros(table.num_rows, dtype=bool)


def withheld(status: pd.Series[Any]) -> Mask:
    """Return whether each status of a frame's column is withheld (null: not withheld)."""
    return np.asarray(status.astype("string").isin(WITHHELD).fillna(False), dtype=bool)


def _status_codes(
    result: np.ndarray[Any, np.dtype[np.float64]],
    inputs_missing: Mask,
    inputs_withheld: Mask,
) -> pd.Categorical:
    """Each derived row's status: estimate, missing, not computable, or withheld."""
    codes = np.zeros(len(result), dtype=np.int8)
    codes[np.isnan(result)] = 2
    codes[inputs_missing & (codes == 2)] = 1
    codes[inputs_withheld] = 3
    return pd.Categorical.from_codes(codes, categories=pd.Index(_DERIVED_STATUSES, dtype="str"))


_DERIVED_STATUSES = (
    Status.ESTIMATE.value,
    Status.MISSING.value,
    Status.NOT_COMPUTABLE.value,
    Status.SUPPRESSED_DERIVED.value,
)


# --------------------------------------------------------- proportion, ratio


def _align(a: IndicatorSeries, b: IndicatorSeries, what: str) -> pd.DataFrame:
    if set(a.dimensions) != set(b.dimensions):
        raise SeriesError(
            f"cannot compute a {what} of {a.indicator.id!r} (dimensions "
            f"{a.dimensions or 'none'}) and {b.indicator.id!r} (dimensions "
            f"{b.dimensions or 'none'}): both need the same dimensions"
        )
    keys = list(a.keys)
    left = a.frame[[*keys, VALUE, *([MOE] if a.has_moe else []), STATUS]]
    right = b.frame[[*keys, VALUE, *([MOE] if b.has_moe else []), STATUS]]
    return left.merge(right, on=keys, how="outer", suffixes=("_a", "_b"), sort=True)


def _derived_indicator(a: IndicatorSeries, b: IndicatorSeries, per: float) -> Indicator:
    """Make the indicator of ``a / b`` scaled by ``per``, named after both."""
    unit = {1: "fraction", 100: "percent", 1000: "permille"}.get(int(per), f"per {per:g}")
    if per not in (1, 100, 1000):
        unit = f"per {per:g}"
    return Indicator(
        id=f"{a.indicator.id}_per_{b.indicator.id}"[:60],
        name=f"{a.indicator.name} per {b.indicator.name}",
        unit=unit,
        direction=a.indicator.direction,
        kind=a.indicator.kind,
        quadrant=a.indicator.quadrant,
        dimensions=a.indicator.dimensions,
        aggregation=Aggregation.RATIO,
    )


def _derived(
    a: IndicatorSeries, b: IndicatorSeries, per: float, kind: str, indicator: Indicator | None
) -> IndicatorSeries:
    df = _align(a, b, kind)
    hidden = withheld(df["status_a"]) | withheld(df["status_b"])
    x = df["value_a"].to_numpy(dtype=np.float64, na_value=np.nan)
    y = df["value_b"].to_numpy(dtype=np.float64, na_value=np.nan)
    # A withheld row keeps neither part: the published part and the result give the other.
    x = np.where(hidden, np.nan, x)
    y = np.where(hidden, np.nan, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(y == 0, np.nan, x / y) * per
    out = df[list(a.keys)].copy()
    out[VALUE] = value
    out[NUMERATOR] = x
    out[DENOMINATOR] = y
    if a.has_moe and b.has_moe:
        mx = df["moe_a"].to_numpy(dtype=np.float64, na_value=np.nan)
        my = df["moe_b"].to_numpy(dtype=np.float64, na_value=np.nan)
        mx = np.where(hidden, np.nan, mx)
        my = np.where(hidden, np.nan, my)
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
    out[STATUS] = np.where(hidden, Status.SUPPRESSED_DERIVED.value, status)
    # Built by the inputs' class, so this module needs IndicatorSeries only for annotations.
    return type(a).from_frame(
        out,
        indicator=_derived_indicator(a, b, per) if indicator is None else indicator,
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


@frozen
class _Pairs:
    """Each non-reference row of a disparity and the reference row of its cell.

    ``rows`` are in output order (by place-period cell, then category);
    ``refs`` holds each one's reference row (-1 where its cell has none);
    ``per_cell`` counts the output rows of each cell.
    """

    cells: Groups
    dim_codes: Codes
    dim_labels: pa.Array
    rows: Rows
    refs: Rows
    per_cell: np.ndarray[Any, np.dtype[np.int64]]
    complete: bool


def _cell_order(
    cells: Groups, dim_codes: Codes, n_dim: int, index: np.dtype[np.signedinteger[Any]]
) -> Rows:
    """Rows in (cell, category) order: a counting sort on the unique full key."""
    n = len(dim_codes)
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
        return order
    if space <= 4 * n + 1024:
        slot = np.full(space, -1, dtype=index)
        slot[full_key] = np.arange(n, dtype=index)
        return slot[slot >= 0]
    return np.argsort(full_key, kind="stable").astype(index, copy=False)


def _pair_rows(
    series: IndicatorSeries, others: list[str], dimension: str, reference: str
) -> _Pairs:
    """Find every row's cell and its cell's reference row (keys are unique)."""
    table = series.table
    n = table.num_rows
    factors = series._key_factors([*others, dimension])
    dim_codes, dim_labels = factors[dimension]
    ref_at = pc.index(dim_labels, reference).as_py()
    if ref_at < 0:
        raise SeriesError(
            f"reference {reference!r} is not a category of {dimension!r}; categories: "
            + ", ".join(map(repr, series.categories(dimension)))
        )
    cells = group(table, others, factors)
    is_ref = dim_codes == ref_at
    ref_rows = np.flatnonzero(is_ref)
    # Row numbers in the smallest type that holds them: less memory to touch.
    index: np.dtype[np.signedinteger[Any]] = np.dtype(
        np.int32 if n < np.iinfo(np.int32).max else np.int64
    )
    ref_row = np.full(cells.n, -1, dtype=index)
    ref_row[cells.codes[ref_rows]] = ref_rows
    order = _cell_order(cells, dim_codes, max(len(dim_labels), 1), index)
    rows = order[~is_ref[order]]
    del order
    # Output rows are sorted by cell: each cell's rows but its reference, in a run.
    has_ref_cell = ref_row >= 0
    per_cell = cells.sizes - has_ref_cell
    return _Pairs(
        cells=cells,
        dim_codes=dim_codes,
        dim_labels=dim_labels,
        rows=rows,
        refs=np.repeat(ref_row, per_cell),
        per_cell=per_cell,
        complete=bool(has_ref_cell.all()),
    )


def _disparity_numbers(
    series: IndicatorSeries, pairs: _Pairs, measure: str, level: float
) -> tuple[np.ndarray[Any, np.dtype[np.float64]], pd.arrays.BooleanArray]:
    """Fill value, moe, reference value and moe, disparity and its moe; test significance.

    One float block (6 × rows) is filled in place, in chunks on both cores;
    pandas keeps it as one block.
    """
    table = series.table
    has_moe = series.has_moe
    all_v = f64(table.column(VALUE))
    if has_moe:
        all_m = f64(table.column(MOE))
        if (all_m < 0).any():  # checked once here, not in every formula below
            all_m = np.where(all_m < 0, np.nan, all_m)
    else:
        all_m = np.full(1, np.nan)
    rows, refs, complete = pairs.rows, pairs.refs, pairs.complete
    m = len(rows)
    block = np.empty((6, m), dtype=np.float64)
    sig = np.zeros(m, dtype=bool)
    unknown = np.ones(m, dtype=bool)

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
        if has_moe:
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
        elif measure == "share":
            stats._ratio_into(v, r, d)
            dm[:] = stats.moe_proportion(v, r, mv, mr)
        else:
            np.subtract(v, r, out=d)
            stats._hypot_into(mv, mr, dm)
        if has_moe:
            stats._significant_into(v, mv, r, mr, sig[lo:hi], level=level)
            nan = np.isnan(v)
            nan |= np.isnan(r)
            nan |= np.isnan(mv)
            nan |= np.isnan(mr)
            unknown[lo:hi] = nan
            sig[lo:hi] &= ~nan

    in_slices(m, work)
    return block, pd.arrays.BooleanArray(sig, unknown)


def _pair_status(
    series: IndicatorSeries,
    pairs: _Pairs,
    block: np.ndarray[Any, np.dtype[np.float64]],
    significant: pd.arrays.BooleanArray,
) -> pd.Categorical:
    """Withhold each comparison with a withheld row or reference; return every row's status.

    The comparison (``block`` rows 4 and 5) and its significance are nulled in
    place; the row's own published value and the reference's stay.
    """
    rows, refs = pairs.rows, pairs.refs
    hidden_rows = withheld_rows(series.table)
    if hidden_rows.any():
        hidden = hidden_rows[rows]
        hidden |= (refs >= 0) & hidden_rows[np.maximum(refs, 0)]
        block[4:, hidden] = np.nan
        significant[hidden] = pd.NA
    else:
        hidden = np.zeros(len(rows), dtype=bool)
    missing = np.isnan(block[0]) | np.isnan(block[2])
    return _status_codes(block[4], missing, hidden)


def _categorical(labels: pa.Array, codes: np.ndarray[Any, Any]) -> pd.Categorical:
    """Text labels for factor codes, as a pandas categorical (labels sorted, no copy)."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(labels.to_pylist(), dtype="str"))


def _disparity_frame(
    pairs: _Pairs,
    others: list[str],
    block: np.ndarray[Any, np.dtype[np.float64]],
    significant: pd.arrays.BooleanArray,
    reference: str,
    measure: str,
    status: pd.Categorical,
) -> pd.DataFrame:
    """Build the output frame around the float block; key columns as categoricals."""
    floats = ["value", "moe", "reference_value", "reference_moe", "disparity", "disparity_moe"]
    out = pd.DataFrame(block.T, columns=floats, copy=False)
    cells = pairs.cells
    for i, c in enumerate(others):
        codes, labels = cells.key_codes[i], cells.labels[i]
        out.insert(
            i, c, pd.Series(_categorical(labels, np.repeat(codes, pairs.per_cell)), copy=False)
        )
    groups = _categorical(pairs.dim_labels, pairs.dim_codes[pairs.rows])
    out.insert(len(others), "group", pd.Series(groups, copy=False))
    constant = np.zeros(len(pairs.rows), dtype=np.int8)
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
    out["status"] = pd.Series(status, copy=False)
    return out


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
    recorded in every row. A comparison with a suppressed row or reference is
    withheld: null disparity, margin and significance, status
    ``suppressed_derived``.

    For counts, the ratio of a group to the total is a share, not a disparity:
    use :func:`share`.

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
        ``significant`` (nullable boolean: NA where a margin is unknown),
        ``status`` (``estimate``, ``missing``, ``not_computable`` or
        ``suppressed_derived``). One
        row per place, period and non-reference category, sorted by those keys;
        the text columns are categoricals with sorted categories (cheap for
        millions of rows; ``.astype(str)`` gives plain text).
    """
    series._check_dimension(dimension)
    if measure not in ("ratio", "difference"):
        raise SeriesError(f"measure must be 'ratio' or 'difference' (got {measure!r})")
    others = [k for k in series.keys if k != dimension]
    pairs = _pair_rows(series, others, dimension, reference)
    block, significant = _disparity_numbers(series, pairs, measure, level)
    status = _pair_status(series, pairs, block, significant)
    return _disparity_frame(pairs, others, block, significant, reference, measure, status)


def share(series: IndicatorSeries, dimension: str) -> pd.DataFrame:
    """Each category's share of the total count, for every place and period.

    ``P = X/Y`` with ``Y`` the :data:`TOTAL` row (the group is a subset of the
    total) and the proportion MOE ``sqrt(MOE_X² − P²·MOE_Y²)/Y``, falling back
    to the ratio formula where the radicand is negative (domain.md §1.2). A
    share of a suppressed cell, or of a suppressed total, is withheld (null,
    status ``suppressed_derived``).

    Parameters
    ----------
    series : IndicatorSeries
        Counts (an indicator that sums); rates and averages have no shares.
    dimension : str
        The dimension whose categories share the total (``race``).

    Returns
    -------
    pandas.DataFrame
        Keys without ``dimension``, ``group``, ``value``, ``moe``,
        ``total_value``, ``total_moe``, ``share`` (a fraction), ``share_moe``,
        ``status``; rows and text columns as in :func:`disparity`.

    Raises
    ------
    SeriesError
        If the indicator is not a count, or ``dimension`` has no total.
    """
    series._check_dimension(dimension)
    if series.indicator.effective_aggregation is not Aggregation.SUM:
        raise SeriesError(
            f"series {series.indicator.id!r} ({series.indicator.unit}) is not a count, so its "
            "categories have no shares of the total; compare them with disparity()"
        )
    others = [k for k in series.keys if k != dimension]
    pairs = _pair_rows(series, others, dimension, TOTAL)
    block, significant = _disparity_numbers(series, pairs, "share", 0.90)
    status = _pair_status(series, pairs, block, significant)
    out = _disparity_frame(pairs, others, block, significant, TOTAL, "share", status)
    names = {"reference_value": "total_value", "reference_moe": "total_moe"}
    names |= {"disparity": "share", "disparity_moe": "share_moe"}
    return out.drop(columns=["reference", "measure", "significant"]).rename(columns=names)


def index_of_disparity(
    series: IndicatorSeries, dimension: str, reference: str = "total", *, weighted: bool = False
) -> pd.DataFrame:
    """Pearcy & Keppel's index of disparity for each place and period.

    ``ID = [(1/J)·Σ|r_j − R|] / R × 100`` with ``R`` the total-population rate
    (``reference="total"``, the :data:`TOTAL` row); with a group as reference
    (HP2010 variant) the mean runs over the other ``J − 1`` groups. Weighted:
    ``Σ w_j·|r_j − R| / R × 100`` with ``w_j`` each group's share of the
    denominators (domain.md §6; Pearcy & Keppel 2002; Chesson et al. 2017).

    An index with a suppressed group or reference is withheld (null, status
    ``suppressed_derived``): every group enters it.

    Returns
    -------
    pandas.DataFrame
        Keys without the dimension, ``reference``, ``groups`` (J),
        ``index_of_disparity``, ``status`` (``estimate``, ``missing``,
        ``not_computable`` or ``suppressed_derived``).
    """
    series._check_dimension(dimension)
    ref_label = TOTAL if reference == "total" else reference
    if weighted and DENOMINATOR not in series.table.column_names:
        raise SeriesError(
            "a weighted index of disparity needs each group's population: give the series a "
            "denominator column"
        )
    df = series.frame
    others = [k for k in series.keys if k != dimension]
    ref = df[df[dimension] == ref_label][[*others, VALUE, STATUS]]
    ref = ref.rename(columns={VALUE: "__R", STATUS: "__Rs"})
    if ref.empty:
        raise SeriesError(
            f"reference {ref_label!r} is not a category of {dimension!r}; categories: "
            + ", ".join(map(repr, series.categories(dimension)))
        )
    groups = df[(df[dimension] != TOTAL) & (df[dimension] != ref_label)]
    merged = (
        groups.merge(ref, on=others, how="inner")
        if others
        else groups.assign(__R=ref["__R"].iloc[0], __Rs=ref["__Rs"].iloc[0])
    )
    merged["__hid"] = withheld(merged[STATUS]) | withheld(merged["__Rs"])
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
        __hid=("__hid", "any"),
    )
    if weighted:
        sums = g[["__wdev", "__w"]].sum()
        out["__mean"] = sums["__wdev"] / sums["__w"]
    with np.errstate(divide="ignore", invalid="ignore"):
        idx = out["__mean"] / out["__R"] * 100.0
    hidden = out["__hid"].to_numpy(dtype=bool)
    idx[out["__nan"] | (out["__R"] == 0) | hidden] = np.nan
    result = out[["groups"]].copy()
    result.insert(0, "reference", ref_label)
    result["index_of_disparity"] = idx
    missing = out["__nan"].to_numpy(dtype=bool) | out["__R"].isna().to_numpy()
    result["status"] = _status_codes(idx.to_numpy(dtype=np.float64), missing, hidden)
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
    v = f64(series.table.column(VALUE))
    m = f64(series.table.column(MOE))
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
    table = table.append_column(CV, nan_to_null(cv))
    table = table.append_column(RELIABILITY, pa.array(klass, pa.string()).dictionary_encode())
    return series.with_table(table)


# ------------------------------------------------------------------ change


def rows_at(series: IndicatorSeries, period: Period) -> pd.DataFrame:
    """Return the keys (without period), values, margins and statuses of one period."""
    label = str(period)
    sub = series.filter(period=label)
    if len(sub) == 0:
        raise SeriesError(
            f"series {series.indicator.id!r} has no data for period {label}; periods: "
            + ", ".join(map(str, series.periods))
        )
    cols = [k for k in series.keys if k != PERIOD]
    keep = [*cols, VALUE, *([MOE] if series.has_moe else []), STATUS]
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
    A change with a suppressed start or end is withheld: null difference,
    percent change, margins and significance, status ``suppressed_derived``.

    Returns
    -------
    pandas.DataFrame
        Keys without period, ``start``, ``end``, ``start_value``, ``start_moe``,
        ``end_value``, ``end_moe``, ``difference``, ``difference_moe``,
        ``percent_change``, ``percent_change_moe``, ``significant``, ``status``
        (``estimate``, ``missing``, ``not_computable`` or ``suppressed_derived``).
    """
    p1, p2 = Period.parse(start), Period.parse(end)
    overlap = _check_comparable(p1, p2)
    a, b = rows_at(series, p1), rows_at(series, p2)
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
    hidden = withheld(merged["status_1"]) | withheld(merged["status_2"])
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
    out = out[order]
    derived = ["difference", "difference_moe", "percent_change", "percent_change_moe"]
    out.loc[hidden, derived] = np.nan
    out.loc[hidden, "significant"] = pd.NA
    diff = out["difference"].to_numpy(dtype=np.float64)
    out["status"] = _status_codes(diff, np.isnan(x1) | np.isnan(x2), hidden)
    return out
