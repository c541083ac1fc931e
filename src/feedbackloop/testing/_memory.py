"""An in-memory adapter for tests and notebooks."""

from __future__ import annotations

import os
import threading
from typing import ClassVar

import pandas as pd

from feedbackloop.adapters import ADAPTER_API, Source, SourceInfo
from feedbackloop.errors import SourceReadError
from feedbackloop.model import Indicator
from feedbackloop.series import IndicatorSeries, Provenance

__all__ = ["MemoryAdapter"]

_PREFIX = "memory://"


class MemoryAdapter:
    """Serve tidy DataFrames put in memory under ``memory://<key>`` sources.

    Meant for tests and notebooks: ``MemoryAdapter.put("jobs", df)`` then
    ``feedbackloop.read("memory", "memory://jobs", indicator=...)`` (after
    ``feedbackloop.adapters.register(MemoryAdapter)``). Frames use the column
    names :meth:`IndicatorSeries.from_frame` expects by default.

    .. versionadded:: 0.1.0
    """

    name: ClassVar[str] = "memory"
    api_version: ClassVar[int] = ADAPTER_API
    description: ClassVar[str] = "Tidy pandas DataFrames held in memory (for tests)"

    _frames: ClassVar[dict[str, pd.DataFrame]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def put(cls, key: str, frame: pd.DataFrame) -> str:
        """Store ``frame`` under ``key``; return its source, ``memory://<key>``."""
        with cls._lock:
            cls._frames[key] = frame.copy()
        return _PREFIX + key

    @classmethod
    def clear(cls) -> None:
        """Forget every stored frame."""
        with cls._lock:
            cls._frames.clear()

    def _frame(self, source: Source) -> pd.DataFrame:
        label = os.fspath(source)
        key = label.removeprefix(_PREFIX)
        with self._lock:
            frame = self._frames.get(key) if label.startswith(_PREFIX) else None
        if frame is None:
            known = ", ".join(sorted(self._frames)) or "none"
            raise SourceReadError(
                f"nothing stored under {label!r} (stored: {known}); call "
                "MemoryAdapter.put(key, frame) first",
                adapter=self.name,
                source=label,
            )
        return frame

    def can_read(self, source: Source) -> bool:
        """Whether ``source`` is a ``memory://`` key."""
        return isinstance(source, str) and source.startswith(_PREFIX)

    def discover(self, source: Source) -> SourceInfo:
        """Describe the stored frame (columns, dimensions, periods)."""
        frame = self._frame(source)
        known = {"geography", "period", "value", "moe", "status", "numerator", "denominator"}
        periods = tuple(sorted(map(str, frame["period"].unique()))) if "period" in frame else ()
        return SourceInfo(
            adapter=self.name,
            source=os.fspath(source),
            columns=tuple(map(str, frame.columns)),
            dimensions=tuple(str(c) for c in frame.columns if c not in known),
            periods=periods,
            rows=len(frame),
        )

    def read(
        self,
        source: Source,
        *,
        indicator: Indicator | None = None,
        dimensions: tuple[str, ...] | list[str] | None = None,
    ) -> IndicatorSeries:
        """Build a series from the stored frame.

        Parameters
        ----------
        source : str
            ``memory://<key>``.
        indicator : Indicator, optional
            Defaults to a count indicator named after the key.
        dimensions : sequence of str, optional
            Defaults to every column that is not a standard series column.
        """
        frame = self._frame(source)
        info = self.discover(source)
        if indicator is None:
            key = os.fspath(source).removeprefix(_PREFIX)
            slug = "".join(c if c.isalnum() else "_" for c in key.lower()).strip("_") or "data"
            if not slug[0].isalpha():
                slug = "x_" + slug
            indicator = Indicator(id=slug, name=key, unit="count", direction="higher_is_better")
        dims = tuple(dimensions) if dimensions is not None else info.dimensions
        return IndicatorSeries.from_frame(
            frame,
            indicator=indicator,
            moe="moe" if "moe" in frame else None,
            status="status" if "status" in frame else None,
            dimensions=dims,
            provenance=Provenance(adapter=self.name, source=os.fspath(source)),
        )
