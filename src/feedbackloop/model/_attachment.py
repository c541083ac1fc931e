"""A file a loop attaches (data inventory, agreement, action plan), by path and options."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from attrs import field, frozen
from attrs import validators as v

__all__ = ["Attachment", "as_attachment", "as_attachments"]


def _options(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(value or {})


@frozen
class Attachment:
    """A file attached to a loop: its data inventory, an agreement, its action plan.

    Parameters
    ----------
    path : str
        The file, relative paths being resolved against the loop file's folder.
    options : mapping
        Options for reading it (for an action plan: ``plan_year``, ``sheet``).

    .. versionadded:: 0.1.0
    """

    path: str = field(validator=v.min_len(1))
    options: Mapping[str, Any] = field(factory=dict, converter=_options, hash=False)


def as_attachment(value: Attachment | str | None) -> Attachment | None:
    if value is None or isinstance(value, Attachment):
        return value
    return Attachment(str(value))


def as_attachments(value: Iterable[Attachment | str] | str | None) -> tuple[Attachment, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = (value,)
    return tuple(a if isinstance(a, Attachment) else Attachment(str(a)) for a in value)
