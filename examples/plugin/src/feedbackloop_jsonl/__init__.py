"""A feedbackloop source adapter for JSON Lines files of indicator records."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, ClassVar

from attrs import field, frozen

from feedbackloop import Indicator, IndicatorSeries, Provenance
from feedbackloop.adapters import (
    ADAPTER_API,
    Source,
    SourceInfo,
    option,
    parse_options,
    with_options,
)
from feedbackloop.errors import Problem, SourceReadError

__all__ = ["JsonLinesAdapter", "JsonLinesOptions"]
__version__ = "0.1.0"

_STANDARD = {"geography", "period", "value", "moe", "status", "numerator", "denominator"}


@frozen(kw_only=True)
class JsonLinesOptions:
    """The options of the ``jsonl`` adapter, declared once (``read`` takes them all)."""

    indicator: Indicator | None = field(
        default=None, metadata=option("Defaults to a count indicator named after the file.")
    )
    unit: str | None = field(
        default=None, metadata=option("The unit of the values, if not the indicator's.")
    )


class JsonLinesAdapter:
    """Read ``.jsonl`` files whose lines are ``{"geography", "period", ..., "value"}`` records."""

    name: ClassVar[str] = "jsonl"
    api_version: ClassVar[int] = ADAPTER_API
    description: ClassVar[str] = "Indicator records in JSON Lines files (one object per line)"
    options: ClassVar[type[JsonLinesOptions]] = JsonLinesOptions

    def can_read(self, source: Source) -> bool:
        """Guess from the file suffix."""
        return Path(os.fspath(source)).suffix.lower() in {".jsonl", ".ndjson"}

    def _records(self, source: Source, limit: int | None = None) -> list[dict[str, Any]]:
        path = Path(os.fspath(source))
        try:
            fh = path.open(encoding="utf-8")
        except OSError as err:
            raise SourceReadError(
                f"cannot open the file: {err.strerror}", adapter=self.name, source=str(path)
            ) from err
        records: list[dict[str, Any]] = []
        problems: list[Problem] = []
        with fh:
            for number, line in enumerate(fh, start=1):
                if limit is not None and len(records) >= limit:
                    break
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    problems.append(Problem(f"line {number}", f"not JSON: {err.msg}"))
                    continue
                if not isinstance(record, dict):
                    problems.append(Problem(f"line {number}", "must be a JSON object"))
                    continue
                records.append(record)
        if problems:
            listing = "; ".join(map(str, problems[:10]))
            raise SourceReadError(
                f"{len(problems)} bad line(s): {listing}; fix or remove them",
                adapter=self.name,
                source=str(path),
            )
        return records

    def discover(self, source: Source) -> SourceInfo:
        """Look at the first 100 records."""
        records = self._records(source, limit=100)
        columns = sorted({k for r in records for k in r})
        return SourceInfo(
            adapter=self.name,
            source=os.fspath(source),
            columns=columns,
            dimensions=[c for c in columns if c not in _STANDARD],
            periods=sorted({str(r["period"]) for r in records if "period" in r}),
        )

    @with_options(JsonLinesOptions)
    def read(self, source: Source, **options: Any) -> IndicatorSeries:
        """Read every record into a validated series.

        Parameters
        ----------
        source : path
            The ``.jsonl`` file.
        {options}
        """
        import pandas as pd

        opts = parse_options(JsonLinesOptions, options, adapter=self.name)
        records = self._records(source)
        frame = pd.DataFrame.from_records(records)
        indicator = opts.indicator
        if indicator is None:
            stem = Path(os.fspath(source)).stem.lower().replace("-", "_")
            indicator = Indicator(id=stem, name=stem, unit="count", direction="higher_is_better")
        dims = [c for c in frame.columns if c not in _STANDARD]
        return IndicatorSeries.from_frame(
            frame,
            indicator=indicator,
            unit=opts.unit,
            moe="moe" if "moe" in frame else None,
            dimensions=dims,
            provenance=Provenance(adapter=self.name, source=os.fspath(source)),
        )
