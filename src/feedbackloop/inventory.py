"""The data inventory: the public home of :mod:`feedbackloop.planning.inventory`.

Kept so that ``import feedbackloop.inventory`` and its names keep working.
"""

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
    "Availability",
    "Cadence",
    "DataInventory",
    "DataNeed",
    "Importance",
    "InventoryError",
]
