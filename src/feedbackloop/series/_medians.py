"""Medians of combined areas, recomputed from binned counts (domain.md §8).

Medians do not add up, but the counts they come from do: roll the bins of a
distribution (ACS table B19001, households by income) up to the combined
area, then recompute the median and its margin of error from the summed
bins with :func:`feedbackloop.stats.binned_median`, as the Census Bureau does.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from feedbackloop import stats
from feedbackloop.errors import BinnedMedianError, SeriesError
from feedbackloop.model import Aggregation, Indicator
from feedbackloop.series._aggregate import status_mask
from feedbackloop.series._arrays import F64, f64
from feedbackloop.series._assemble import series_table
from feedbackloop.series._columns import GEOGRAPHY, MOE, PERIOD, STATUS, STATUS_LABELS, VALUE
from feedbackloop.series._groupby import Groups, group
from feedbackloop.series._status import TOTAL, Status

if TYPE_CHECKING:
    from feedbackloop.series._frame import IndicatorSeries

__all__ = ["median_from_bins"]

_WITHHELD = [s.value for s in Status if s.is_suppressed]


def _bin_order(lower_bounds: Mapping[str, float]) -> tuple[list[str], list[float]]:
    """Return the bin labels sorted by lower bound, and the bounds, each bound used once."""
    if not lower_bounds:
        raise BinnedMedianError("lower_bounds is empty: give each bin label its lower bound")
    pairs: list[tuple[float, str]] = []
    for label, bound in lower_bounds.items():
        value = float(bound)
        if not math.isfinite(value):
            raise BinnedMedianError(f"bin {label!r} has lower bound {bound!r}, not a number")
        pairs.append((value, str(label)))
    pairs.sort()
    for (b1, l1), (b2, l2) in itertools.pairwise(pairs):
        if b1 == b2:
            raise BinnedMedianError(
                f"bins {l1!r} and {l2!r} both start at {b1:g}; each bin needs its own lower bound"
            )
    return [label for _, label in pairs], [bound for bound, _ in pairs]


def _result_indicator(
    series: IndicatorSeries, dimension: str, unit: str | None, indicator: Indicator | None
) -> Indicator:
    """Return the indicator of the medians: the one given, or one derived from the counts'."""
    if indicator is not None:
        return indicator
    if unit is None:
        raise SeriesError(
            "give unit= (the unit of the bins' bounds, e.g. 'USD') or indicator= for the medians"
        )
    source = series.indicator
    return Indicator(
        id=f"median_{source.id}"[:60],
        name=f"Median from {source.name} by {dimension}",
        unit=unit,
        direction=source.direction,
        kind=source.kind,
        quadrant=source.quadrant,
        dimensions=tuple(d for d in source.dimensions if d != dimension),
        aggregation=Aggregation.NONE,
    )


def _where(groups: Groups, g: int) -> str:
    """Name group ``g`` by its keys: ``geography '06037', period '2013'``."""
    return ", ".join(f"{c} {groups.keys.column(c)[g].as_py()!r}" for c in groups.keys.column_names)


def _bin_matrix(
    table: pa.Table, dimension: str, labels: list[str], keys: list[str]
) -> tuple[Groups, F64, np.ndarray[Any, np.dtype[np.bool_]]]:
    """Group the bins' rows by ``keys``: counts ``(groups, bins)`` and which groups are withheld."""
    index = pc.index_in(table.column(dimension), value_set=pa.array(labels, pa.string()))
    if index.null_count:
        unknown = pc.unique(pc.filter(table.column(dimension), pc.is_null(index))).to_pylist()
        raise BinnedMedianError(
            f"{dimension!r} has bins without a lower bound: {', '.join(map(repr, unknown[:8]))}; "
            "give every bin a bound in lower_bounds, or filter those rows out first"
        )
    bins = np.asarray(index.to_numpy(zero_copy_only=False), dtype=np.intp)
    groups = group(table, keys)
    counts = np.full((groups.n, len(labels)), np.nan)
    seen = np.zeros((groups.n, len(labels)), dtype=bool)
    counts[groups.codes, bins] = f64(table.column(VALUE))
    seen[groups.codes, bins] = True
    if not seen.all():
        g, b = (int(x) for x in np.argwhere(~seen)[0])
        raise BinnedMedianError(
            f"{_where(groups, g)} has no row for bin {labels[b]!r} (of {dimension!r}); every "
            "place needs every bin (a bin with no units is a row with value 0)"
        )
    if (counts < 0).any():
        g, b = (int(x) for x in np.argwhere(counts < 0)[0])
        raise BinnedMedianError(
            f"{_where(groups, g)}, bin {labels[b]!r}: count {counts[g, b]:g} is negative"
        )
    mask = status_mask(table.column(STATUS), _WITHHELD)
    withheld = np.zeros(groups.n, dtype=bool)
    if mask is not None:
        withheld = groups.count(np.asarray(mask.to_numpy(), dtype=bool)) > 0
    return groups, counts, withheld


def _statuses(
    median: F64, moe: F64, withheld: np.ndarray[Any, np.dtype[np.bool_]], top: float | None
) -> np.ndarray[Any, np.dtype[np.int8]]:
    """Status codes: estimate, top-coded, MOE not computable, missing, or withheld."""
    codes = np.full(len(median), STATUS_LABELS.index(Status.ESTIMATE.value), dtype=np.int8)
    codes[np.isnan(moe)] = STATUS_LABELS.index(Status.MOE_NOT_COMPUTABLE.value)
    if top is not None:
        codes[median >= top] = STATUS_LABELS.index(Status.TOP_CODED.value)
    codes[np.isnan(median)] = STATUS_LABELS.index(Status.MISSING.value)
    codes[withheld] = STATUS_LABELS.index(Status.SUPPRESSED_DERIVED.value)
    return codes


def median_from_bins(
    series: IndicatorSeries,
    dimension: str,
    *,
    lower_bounds: Mapping[str, float],
    design_factor: float,
    sampling_rate: float,
    upper_bound: float | None = None,
    unit: str | None = None,
    indicator: Indicator | None = None,
) -> IndicatorSeries:
    """Recompute medians, with margins of error, from counts in bins.

    ``series`` holds counts (households, people) whose ``dimension`` holds the
    bins of a distribution, as ACS table B19001 does for household income.
    Each place × period × other category gets the median of its bins by the
    Census Bureau's rule (:func:`feedbackloop.stats.binned_median`: linear
    interpolation in the bin holding the 50% point, MOE from the standard
    error of a 50% proportion). Counts add up and medians do not, so the
    median of a combined area is ``median_from_bins(counts.rollup(mapping=...),
    ...)``.

    Parameters
    ----------
    series : IndicatorSeries
        Counts (an indicator whose values sum), one row per bin.
    dimension : str
        The dimension whose categories are the bins. Its :data:`TOTAL` rows
        (the table's total) are not a bin and are left out.
    lower_bounds : mapping of str to float
        Each bin's lower bound, by category label (``{"b19001_002": 0,
        "b19001_003": 10000, ...}``); the bins are ordered by these bounds
        and a bin runs up to the next one's bound.
    design_factor : float
        The Census Bureau's design factor for the characteristic (1 if none).
    sampling_rate : float
        Percent of units sampled: 12.5 for ACS 5-year data, 2.5 for 1-year.
    upper_bound : float, optional
        Upper end of the top bin; leave it out when the top bin is open-ended.
    unit : str, optional
        Unit of the bounds and so of the medians (``"USD"``), for the derived
        indicator ``median_<id>``.
    indicator : Indicator, optional
        The indicator of the result instead (its unit is the medians').

    Returns
    -------
    IndicatorSeries
        Without ``dimension``: ``value`` the median and ``moe`` its 90% MOE.
        Status ``top_coded`` for a median in an open-ended top bin (its value
        is a Pareto extrapolation; the ACS would publish ``200,000+``),
        ``moe_not_computable`` when ``50 ± SE`` leaves the distribution,
        ``missing`` when a bin's count is missing or there are no units, and
        ``suppressed_derived`` (no value) when any bin was suppressed.

    Raises
    ------
    SeriesError
        For an unknown dimension, values that are not counts, or neither
        ``unit`` nor ``indicator``.
    BinnedMedianError
        For bins without a bound, two bins with one bound, a place without a
        row for some bin, negative counts, or a design factor or sampling
        rate out of range.

    Notes
    -----
    The counts' own margins of error are not used: the Census procedure
    approximates the median's error from the total count, the sampling rate
    and the design factor (PUMS *Accuracy of the Data*; domain.md §8).
    """
    series._check_dimension(dimension)
    rule = series.indicator.effective_aggregation
    if rule is not Aggregation.SUM:
        raise SeriesError(
            f"median_from_bins needs counts in each bin, but {series.indicator.id!r} is in "
            f"{series.unit!r} (aggregation {rule.value!r}); use the bins' counts (e.g. ACS "
            "B19001), or set the indicator's aggregation to 'sum' if its values are counts"
        )
    result_indicator = _result_indicator(series, dimension, unit, indicator)
    labels, bounds = _bin_order(lower_bounds)
    table = series.table.filter(pc.not_equal(series.table.column(dimension), TOTAL))
    others = [d for d in series.dimensions if d != dimension]
    keys = [GEOGRAPHY, PERIOD, *others]
    groups, counts, withheld = _bin_matrix(table, dimension, labels, keys)
    median, moe = stats.binned_median(
        bounds,
        counts,
        design_factor=design_factor,
        sampling_rate=sampling_rate,
        upper_bound=upper_bound,
    )
    median = np.where(withheld, np.nan, median)
    moe = np.where(withheld, np.nan, moe)
    columns: dict[str, Any] = {c: groups.keys.column(c) for c in keys}
    columns[VALUE] = median
    columns[MOE] = moe
    status = _statuses(median, moe, withheld, bounds[-1] if upper_bound is None else None)
    out = series_table(columns, indicator_id=result_indicator.id, dimensions=others, status=status)
    return series.with_table(
        out,
        indicator=result_indicator,
        unit=result_indicator.unit,
        dimensions=tuple(others),
        non_additive=tuple(d for d in series.non_additive if d != dimension),
    )
