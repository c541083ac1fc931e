"""Source adapters: how data gets from files and APIs into indicator series.

Adapters are classes declared under the ``feedbackloop.adapters`` entry-point
group, by feedbackloop itself (``csv``, ``excel``, ...) and by third-party
packages alike. :func:`available` lists them without importing them,
:func:`get` imports one on demand, :func:`register` adds one at run time.
:func:`read`, :func:`discover` and :func:`collect` are also at the top level
of :mod:`feedbackloop`.
"""

from __future__ import annotations

from feedbackloop.adapters._api import CollectResult, collect, discover, read
from feedbackloop.adapters._base import ADAPTER_API, Source, SourceAdapter, SourceInfo
from feedbackloop.adapters._registry import (
    GROUP,
    AdapterInfo,
    available,
    contract_problems,
    get,
    refresh,
    register,
    unregister,
)

__all__ = [
    "ADAPTER_API",
    "GROUP",
    "AdapterInfo",
    "CollectResult",
    "Source",
    "SourceAdapter",
    "SourceInfo",
    "available",
    "collect",
    "contract_problems",
    "discover",
    "get",
    "read",
    "refresh",
    "register",
    "unregister",
]
