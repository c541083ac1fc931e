"""The operations' former home, kept only for code that still imports it.

The operations now live in ``_aggregate``, ``_compare`` and ``_targets``;
import them from :mod:`feedbackloop.series`. This module re-exports them so
that ``feedbackloop.privacy`` (which imports ``ratio_scale`` from here) keeps
working until it uses the public name; delete it then.
"""

from feedbackloop.series._aggregate import check_additivity, collapse, ratio_scale, rollup
from feedbackloop.series._compare import (
    change,
    disparity,
    index_of_disparity,
    proportion,
    ratio,
    reliability,
)
from feedbackloop.series._targets import baseline_forecast, progress, turned_curve

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
    "ratio_scale",
    "reliability",
    "rollup",
    "turned_curve",
]
