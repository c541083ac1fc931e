"""Action plans: the public home of :mod:`feedbackloop.planning.actions`.

Kept so that ``import feedbackloop.actions`` and its names keep working.
"""

from feedbackloop.planning.actions import (
    Action,
    ActionPlan,
    ActionPlanError,
    ActionStatus,
    Followup,
    Followups,
    PlanStatus,
)

__all__ = [
    "Action",
    "ActionPlan",
    "ActionPlanError",
    "ActionStatus",
    "Followup",
    "Followups",
    "PlanStatus",
]
