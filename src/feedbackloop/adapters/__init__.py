"""Source adapters: how data gets from files and APIs into indicator series.

Adapters are classes declared under the ``feedbackloop.adapters`` entry-point
group, by feedbackloop itself (``csv``, ``excel``, ...) and by third-party
packages alike. :func:`available` lists them without importing them,
:func:`get` imports one on demand, :func:`register` adds one at run time.
:func:`read`, :func:`discover` and :func:`collect` are also at the top level
of :mod:`feedbackloop`.

An adapter declares its options once, as an attrs class whose fields carry
:func:`option` metadata; :func:`with_options` makes ``read``'s signature and
docs from it, :func:`parse_options` checks the keywords received, and
:func:`options_of` says what any adapter (declaring or not) accepts. See the
docs page "Writing an adapter".
"""

from __future__ import annotations

from feedbackloop.adapters._api import CollectResult, collect, discover, read
from feedbackloop.adapters._base import ADAPTER_API, Source, SourceAdapter, SourceInfo
from feedbackloop.adapters._options import (
    Option,
    option,
    options_of,
    parse_options,
    with_options,
)
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
    "Option",
    "Source",
    "SourceAdapter",
    "SourceInfo",
    "available",
    "collect",
    "contract_problems",
    "discover",
    "get",
    "option",
    "options_of",
    "parse_options",
    "read",
    "refresh",
    "register",
    "unregister",
    "with_options",
]
