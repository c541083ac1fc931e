"""Disaggregated indicator series with honest statistics.

:class:`IndicatorSeries` holds one indicator's values by geography, period and
disaggregation category, on Arrow, with margins of error and row status; the
functions here combine and compare series under the Census Bureau's rules.
"""

from feedbackloop.series._frame import COLUMNS, IndicatorSeries, Provenance, read_parquet
from feedbackloop.series._ops import (
    baseline_forecast,
    change,
    check_additivity,
    collapse,
    disparity,
    index_of_disparity,
    progress,
    proportion,
    ratio,
    ratio_scale,
    reliability,
    rollup,
    turned_curve,
)
from feedbackloop.series._status import TOTAL, Status

__all__ = [
    "COLUMNS",
    "TOTAL",
    "IndicatorSeries",
    "Provenance",
    "Status",
    "baseline_forecast",
    "change",
    "check_additivity",
    "collapse",
    "disparity",
    "index_of_disparity",
    "progress",
    "proportion",
    "ratio",
    "ratio_scale",
    "read_parquet",
    "reliability",
    "rollup",
    "turned_curve",
]
