"""Floor 7: plan the work around the loop.

The data inventory (what data each indicator needs, who has it, how to get it),
data-sharing agreements (who may see what, deliveries and their checks) and
action plans (who does what by when), with the readers they share and the
loading of the files a loop attaches.
"""

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
    "CSV_COLUMNS",
    "Acquisition",
    "Action",
    "ActionPlan",
    "ActionPlanError",
    "ActionStatus",
    "AgreementError",
    "Attachments",
    "Availability",
    "Cadence",
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
    "PlanStatus",
    "ScheduledDelivery",
    "UnknownAudienceError",
    "load_agreements",
    "load_attachments",
]
