"""Floor 7: plan the work around the loop.

The data inventory (what data each indicator needs, who has it, how to get it),
data-sharing agreements (who may see what, deliveries and their checks),
action plans (who does what by when), PDSA cycle logs and the A3 one-pager of a
strategy, with the readers they share and the loading of the files a loop
attaches.
"""

from feedbackloop.planning._a3 import A3, A3Metric, A3Target, a3
from feedbackloop.planning._attachments import Attachments, load_attachments
from feedbackloop.planning.actions import (
    Action,
    ActionPlan,
    ActionPlanError,
    ActionStatus,
    Followup,
    Followups,
    PlanStatus,
)
from feedbackloop.planning.agreements import (
    AgreementError,
    DataSharingAgreement,
    Delivery,
    DeliveryCheck,
    DeliveryCheckItem,
    DeliveryFormat,
    ScheduledDelivery,
    UnknownAudienceError,
    load_agreements,
)
from feedbackloop.planning.cycles import (
    A3Notes,
    Act,
    CycleLog,
    CycleLogError,
    CycleStatus,
    PdsaCycle,
    study_chart,
)
from feedbackloop.planning.inventory import (
    CSV_COLUMNS,
    Acquisition,
    Availability,
    Cadence,
    DataInventory,
    DataNeed,
    Importance,
    InventoryError,
)

__all__ = [
    "A3",
    "CSV_COLUMNS",
    "A3Metric",
    "A3Notes",
    "A3Target",
    "Acquisition",
    "Act",
    "Action",
    "ActionPlan",
    "ActionPlanError",
    "ActionStatus",
    "AgreementError",
    "Attachments",
    "Availability",
    "Cadence",
    "CycleLog",
    "CycleLogError",
    "CycleStatus",
    "DataInventory",
    "DataNeed",
    "DataSharingAgreement",
    "Delivery",
    "DeliveryCheck",
    "DeliveryCheckItem",
    "DeliveryFormat",
    "Followup",
    "Followups",
    "Importance",
    "InventoryError",
    "PdsaCycle",
    "PlanStatus",
    "ScheduledDelivery",
    "UnknownAudienceError",
    "a3",
    "load_agreements",
    "load_attachments",
    "study_chart",
]
