"""Disaggregated indicator series with honest statistics.

:class:`IndicatorSeries` holds one indicator's values by geography, period and
disaggregation category, on Arrow, with margins of error and row status; the
functions here combine and compare series under the Census Bureau's rules, and
:func:`assemble` builds a series from columns an adapter has already checked.

The package's floors, bottom up: ``_status`` and ``_columns`` (the column
contract), ``_groupby`` (grouping kernels), ``_arrays``, ``_checks``
(validation), ``_assemble`` (the one place a series' table is laid out),
``_provenance``, the operations ``_aggregate``, ``_compare`` and ``_targets``
(which know :class:`IndicatorSeries` only as an annotation), and ``_frame``
(the class itself, whose methods call the operations).
"""

from feedbackloop.series._aggregate import check_additivity, collapse, ratio_scale, rollup
from feedbackloop.series._columns import COLUMNS
from feedbackloop.series._compare import (
    change,
    disparity,
    index_of_disparity,
    proportion,
    ratio,
    reliability,
    share,
)
from feedbackloop.series._frame import IndicatorSeries, assemble, read_parquet
from feedbackloop.series._medians import median_from_bins
from feedbackloop.series._provenance import Provenance
from feedbackloop.series._status import TOTAL, Status
from feedbackloop.series._targets import baseline_forecast, progress, turned_curve

__all__ = [
    "COLUMNS",
    "TOTAL",
    "IndicatorSeries",
    "Provenance",
    "Status",
    "assemble",
    "baseline_forecast",
    "change",
    "check_additivity",
    "collapse",
    "disparity",
    "index_of_disparity",
    "median_from_bins",
    "progress",
    "proportion",
    "ratio",
    "ratio_scale",
    "read_parquet",
    "reliability",
    "rollup",
    "share",
    "turned_curve",
]
