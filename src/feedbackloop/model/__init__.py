"""The typed core: the feedback loop as a graph of nodes, indicators and targets.

Importing this package needs attrs only (no pandas).
"""

from feedbackloop.model._attachment import Attachment
from feedbackloop.model._codec import indicator_from_dict, indicator_to_dict
from feedbackloop.model._indicator import (
    Aggregation,
    Baseline,
    Direction,
    Indicator,
    MeasureKind,
    Quadrant,
    SourceSpec,
    Target,
)
from feedbackloop.model._loop import FeedbackLoop, LoopCheck
from feedbackloop.model._nodes import (
    Horizon,
    KeyDriver,
    Node,
    Outcome,
    SharedResult,
    Strategy,
    Tier,
)

__all__ = [
    "Aggregation",
    "Attachment",
    "Baseline",
    "Direction",
    "FeedbackLoop",
    "Horizon",
    "Indicator",
    "KeyDriver",
    "LoopCheck",
    "MeasureKind",
    "Node",
    "Outcome",
    "Quadrant",
    "SharedResult",
    "SourceSpec",
    "Strategy",
    "Target",
    "Tier",
    "indicator_from_dict",
    "indicator_to_dict",
]
