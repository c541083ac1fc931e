"""Small converters and validators shared by the attrs classes of every floor."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["nonblank", "shorten", "str_tuple"]


def str_tuple(value: Iterable[str] | str | None) -> tuple[str, ...]:
    """Convert ``None``, one string or an iterable of strings to a tuple.

    Examples
    --------
    >>> str_tuple(None), str_tuple("race"), str_tuple(["race", "sex"])
    ((), ('race',), ('race', 'sex'))
    """
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def nonblank(_inst: object, attr: Any, value: str) -> None:
    """Attrs validator: ``value`` must be text with something other than blanks."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{attr.name} must be non-empty text (got {value!r})")


def shorten(value: object, limit: int = 80) -> str:
    """Quote ``value`` for a message, cut to about ``limit`` characters with an ellipsis.

    Examples
    --------
    >>> shorten("x" * 100, 10)
    "'xxxxxxxx…'"
    >>> shorten(12)
    '12'
    """
    text = repr(value) if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return text
    return text[: limit - 1] + ("…'" if isinstance(value, str) else "…")
