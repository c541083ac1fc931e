"""Field validators shared by the policy classes (the bottom of the package)."""

from __future__ import annotations

from typing import Any

from feedbackloop.errors import PolicyError

__all__ = ["int_at_least"]


def int_at_least(minimum: int) -> Any:
    """Return an attrs validator: a whole number (not a bool) of at least ``minimum``."""

    def check(_inst: object, attr: Any, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise PolicyError(f"{attr.name} must be a whole number >= {minimum} (got {value!r})")

    return check
