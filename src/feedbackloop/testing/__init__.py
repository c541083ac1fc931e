"""Public test helpers for feedbackloop users and adapter authors.

- :class:`MemoryAdapter`: an adapter serving DataFrames held in memory.
- :class:`CensusMock`: a stand-in for the Census Data API behind an httpx
  transport (no sockets), with :class:`CensusFault` to inject failures,
  :class:`CensusRequest` records of what was asked, and the fixture builders
  :func:`census_variables`, :func:`census_geography` and :func:`census_row`
  (its transport needs the ``census`` extra).
- :class:`AdapterContractTests`: pytest checks an adapter package subclasses
  (needs pytest).
- :mod:`feedbackloop.testing.strategies`: Hypothesis strategies (needs the
  ``testing`` extra).
"""

from __future__ import annotations

from typing import Any

from feedbackloop._util import import_optional, module_available
from feedbackloop.testing._census import (
    CensusAnswer,
    CensusFault,
    CensusMock,
    CensusRequest,
    census_geography,
    census_row,
    census_variables,
)
from feedbackloop.testing._memory import MemoryAdapter

# AdapterContractTests is made of pytest fixtures, so its module imports pytest, an
# optional third-party package (the ``testing`` extra). It is imported here when pytest
# is installed, and otherwise its name raises MissingDependencyError with the extra to
# install, so that MemoryAdapter and CensusMock work without pytest.
if module_available("pytest"):
    from feedbackloop.testing._contract import AdapterContractTests

__all__ = [
    "AdapterContractTests",
    "CensusAnswer",
    "CensusFault",
    "CensusMock",
    "CensusRequest",
    "MemoryAdapter",
    "census_geography",
    "census_row",
    "census_variables",
]


def __getattr__(name: str) -> Any:
    if name == "AdapterContractTests":  # only reached when pytest is not installed
        import_optional("pytest", extra="testing", purpose="AdapterContractTests")
    raise AttributeError(f"module 'feedbackloop.testing' has no attribute {name!r}")
