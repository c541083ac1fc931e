"""Data-sharing agreements: the public home of :mod:`feedbackloop.planning.agreements`.

Kept so that ``import feedbackloop.agreements`` and its names keep working.
"""

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

__all__ = [
    "AgreementError",
    "DataSharingAgreement",
    "Delivery",
    "DeliveryCheck",
    "DeliveryCheckItem",
    "DeliveryFormat",
    "ScheduledDelivery",
    "UnknownAudienceError",
    "load_agreements",
]
