"""feedbackloop: data-driven feedback loops for collective-impact initiatives.

The typed core (:class:`FeedbackLoop` and its nodes, indicators and targets)
imports with attrs alone; data-heavy parts (series, statistics, adapters) are
imported on first use, so ``import feedbackloop`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from feedbackloop import errors
from feedbackloop.io import load_loop
from feedbackloop.model import (
    Aggregation,
    Baseline,
    Direction,
    FeedbackLoop,
    Horizon,
    Indicator,
    KeyDriver,
    MeasureKind,
    Outcome,
    Quadrant,
    SharedResult,
    SourceSpec,
    Strategy,
    Target,
    Tier,
)
from feedbackloop.period import Period

if TYPE_CHECKING:
    from feedbackloop import adapters, census, measures, privacy, stats, units
    from feedbackloop.adapters import collect, discover, read
    from feedbackloop.benchmarking import benchmark
    from feedbackloop.engines import scan
    from feedbackloop.planning.actions import ActionPlan
    from feedbackloop.planning.agreements import DataSharingAgreement
    from feedbackloop.planning.inventory import DataInventory
    from feedbackloop.series import (
        TOTAL,
        IndicatorSeries,
        Provenance,
        Status,
        proportion,
        ratio,
        read_parquet,
    )

__all__ = [
    "TOTAL",
    "ActionPlan",
    "Aggregation",
    "Baseline",
    "DataInventory",
    "DataSharingAgreement",
    "Direction",
    "FeedbackLoop",
    "Horizon",
    "Indicator",
    "IndicatorSeries",
    "KeyDriver",
    "MeasureKind",
    "Outcome",
    "Period",
    "Provenance",
    "Quadrant",
    "SharedResult",
    "SourceSpec",
    "Status",
    "Strategy",
    "Target",
    "Tier",
    "__version__",
    "adapters",
    "benchmark",
    "census",
    "collect",
    "discover",
    "errors",
    "load_loop",
    "measures",
    "privacy",
    "proportion",
    "ratio",
    "read",
    "read_parquet",
    "scan",
    "stats",
    "units",
]

# name -> module that defines it; imported on first attribute access
_LAZY: dict[str, str] = {
    "ActionPlan": "feedbackloop.planning.actions",
    "DataInventory": "feedbackloop.planning.inventory",
    "DataSharingAgreement": "feedbackloop.planning.agreements",
    "adapters": "feedbackloop.adapters",
    "benchmark": "feedbackloop.benchmarking",
    "census": "feedbackloop.census",
    "collect": "feedbackloop.adapters",
    "discover": "feedbackloop.adapters",
    "read": "feedbackloop.adapters",
    "IndicatorSeries": "feedbackloop.series",
    "measures": "feedbackloop.measures",
    "privacy": "feedbackloop.privacy",
    "Provenance": "feedbackloop.series",
    "Status": "feedbackloop.series",
    "TOTAL": "feedbackloop.series",
    "proportion": "feedbackloop.series",
    "ratio": "feedbackloop.series",
    "read_parquet": "feedbackloop.series",
    "scan": "feedbackloop.engines",
    "stats": "feedbackloop.stats",
    "units": "feedbackloop.units",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("feedbackloop")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            return "0+unknown"
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'feedbackloop' has no attribute {name!r}")
    mod = importlib.import_module(module)
    value = mod if module.endswith("." + name) else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
