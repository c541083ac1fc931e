"""Public test helpers for feedbackloop users and adapter authors.

- :class:`MemoryAdapter`: an adapter serving DataFrames held in memory.
- :class:`AdapterContractTests`: pytest checks an adapter package subclasses
  (importing it needs pytest).
- :mod:`feedbackloop.testing.strategies`: Hypothesis strategies (needs the
  ``testing`` extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from feedbackloop.testing._memory import MemoryAdapter

if TYPE_CHECKING:
    from feedbackloop.testing._contract import AdapterContractTests

__all__ = ["AdapterContractTests", "MemoryAdapter"]


def __getattr__(name: str) -> Any:
    if name == "AdapterContractTests":
        from feedbackloop.testing._contract import AdapterContractTests

        return AdapterContractTests
    raise AttributeError(f"module 'feedbackloop.testing' has no attribute {name!r}")
