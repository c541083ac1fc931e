"""Collect every problem of a document before failing, instead of stopping at the first."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from feedbackloop.errors import Problem

__all__ = ["Problems"]


class Problems:
    """An ordered collection of :class:`~feedbackloop.errors.Problem` findings.

    Examples
    --------
    >>> found = Problems()
    >>> found.add("rows[3].stop", "must be a date")
    >>> bool(found), len(found), str(found[0])
    (True, 1, 'rows[3].stop: must be a date')
    """

    __slots__ = ("_items",)

    def __init__(self, items: Sequence[Problem] = ()) -> None:
        self._items: list[Problem] = list(items)

    def add(self, where: str, message: str) -> None:
        """Record that ``where`` breaks a rule, saying what to do in ``message``."""
        self._items.append(Problem(where, message))

    def extend(self, problems: Sequence[Problem]) -> None:
        """Record several findings at once."""
        self._items.extend(problems)

    def raise_if_any(self, error: Callable[[Sequence[Problem]], Exception]) -> None:
        """Raise ``error(problems)`` when anything was recorded."""
        if self._items:
            raise error(tuple(self._items))

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._items)

    def __getitem__(self, index: int) -> Problem:
        return self._items[index]

    def __repr__(self) -> str:
        return f"Problems({self._items!r})"
