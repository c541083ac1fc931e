"""The source-adapter contract: what every adapter, built in or third party, provides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from attrs import field, frozen

if TYPE_CHECKING:
    from feedbackloop.series import IndicatorSeries

__all__ = ["ADAPTER_API", "Source", "SourceAdapter", "SourceInfo", "source_label"]

#: Version of the adapter contract. An adapter declares the version it was
#: written for in ``api_version``; the registry refuses other versions.
ADAPTER_API = 1

#: What an adapter reads: a path, a URL or a dataset identifier.
Source = str | os.PathLike[str]


def source_label(source: Source) -> str:
    """Return ``source`` as text for messages and provenance (``os.fspath`` of paths)."""
    return os.fspath(source)


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value)


def _frozen_dict(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(value)


@frozen(kw_only=True)
class SourceInfo:
    """What :meth:`SourceAdapter.discover` found in a source, without reading all of it.

    Parameters
    ----------
    adapter : str
        The adapter that looked.
    source : str
        The source looked at.
    columns : tuple of str
        Column (or variable) names found.
    dimensions : tuple of str
        Columns the adapter would read as disaggregation dimensions.
    periods : tuple of str
        Periods seen (possibly from a sample of the rows).
    units : tuple of str
        Units named by the source, if any.
    rows : int or None
        Row count if known cheaply.
    notes : tuple of str
        Anything a user should know (layout recognised, options suggested).
    extra : mapping
        Adapter-specific details.

    .. versionadded:: 0.1.0
    """

    adapter: str
    source: str
    columns: tuple[str, ...] = field(default=(), converter=_tuple)
    dimensions: tuple[str, ...] = field(default=(), converter=_tuple)
    periods: tuple[str, ...] = field(default=(), converter=_tuple)
    units: tuple[str, ...] = field(default=(), converter=_tuple)
    rows: int | None = None
    notes: tuple[str, ...] = field(default=(), converter=_tuple)
    extra: Mapping[str, Any] = field(factory=dict, converter=_frozen_dict, hash=False)


@runtime_checkable
class SourceAdapter(Protocol):
    """The contract for source adapters (API version :data:`ADAPTER_API`).

    Entry points in the ``feedbackloop.adapters`` group name a class that
    implements it; the registry instantiates the class without arguments.

    * ``name`` equals the entry-point name: short, lower case, identifier-safe.
    * ``can_read(source)`` is a cheap guess (file suffix, URL scheme, a peek at
      the first bytes) and never raises for a source it cannot read.
    * ``discover(source, **options)`` reports columns, dimensions, periods and
      units without reading everything.
    * ``read(source, *, indicator=None, **options)`` returns an
      :class:`~feedbackloop.IndicatorSeries` whose provenance names the adapter.

    ``read`` and ``discover`` take the source positionally (API adapters may
    default it to ``None`` and take everything as options). Options are declared
    once, optionally, as ``options: ClassVar[type]``: an attrs class whose fields
    (with :func:`~feedbackloop.adapters.option` metadata) are the options; the
    methods then take ``**options`` and :func:`~feedbackloop.adapters.with_options`
    makes their signatures. Without ``options``, every option is a keyword-only
    parameter and there is no ``**kwargs``. Either way no ``*args``, so that
    :func:`feedbackloop.read` can reject a misspelt option by name.

    .. versionadded:: 0.1.0
    """

    name: ClassVar[str]
    api_version: ClassVar[int]
    description: ClassVar[str]

    def can_read(self, source: Source) -> bool:
        """Guess cheaply whether this adapter reads ``source``."""
        ...

    def discover(self, source: Source) -> SourceInfo:
        """Describe ``source`` without reading all of it."""
        ...

    def read(self, source: Source) -> IndicatorSeries:
        """Read ``source`` into a validated series."""
        ...
