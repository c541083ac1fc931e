"""The ``census`` adapter: the Census Data API (ACS, decennial) into indicator series.

Everything is an option, so the source may be left out::

    feedbackloop.read("census", dataset="acs/acs5", year=2022,
                      variables={"median_income": "B19013_001"},
                      geography="tract", within={"state": "06", "county": "075"})

A source may also be a Census API URL (``https://api.census.gov/data/2019/acs/acs1?
get=NAME,B02015_009E&for=state:*``; its key, if any, is used and never kept) or a
``year/dataset`` path (``"2022/acs/acs5"``). The work is done by
:mod:`feedbackloop.census`; httpx is imported only when a request is made.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import parse_qsl, urlsplit

from feedbackloop.adapters._base import ADAPTER_API, Source, SourceInfo, source_label

if TYPE_CHECKING:
    import os

    from feedbackloop.model import Indicator
    from feedbackloop.series import IndicatorSeries

__all__ = ["CensusAdapter"]

_PATH = re.compile(r"^(?P<year>[0-9]{4})/(?P<dataset>(?:acs|dec)(?:/[a-z0-9]+)+)$")
_URL_PATH = re.compile(
    r"^(?P<prefix>.*?)/(?P<year>[0-9]{4})/(?P<dataset>[a-z0-9]+(?:/[a-z0-9]+)*)/?$"
)
_NOT_ESTIMATE = re.compile(r"(?:M|MA|EA|NA)$")
_DEFAULT_MAX_AGE = timedelta(days=30)


def _parse_source(source: Source | None) -> dict[str, Any]:
    """Options a source string carries (base_url, year, dataset, get/for/in, key)."""
    from feedbackloop.errors import CensusError

    if source is None:
        return {}
    text = source_label(source).strip()
    m = _PATH.match(text.strip("/"))
    if m:
        return {"year": int(m["year"]), "dataset": m["dataset"]}
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.netloc:
        p = _URL_PATH.match(parts.path)
        if p:
            out: dict[str, Any] = {
                "base_url": f"{parts.scheme}://{parts.netloc}{p['prefix']}",
                "year": int(p["year"]),
                "dataset": p["dataset"],
            }
            within: dict[str, str] = {}
            for name, value in parse_qsl(parts.query, keep_blank_values=True):
                if name == "get":
                    names = [v.strip() for v in value.split(",") if v.strip()]
                    keep = [
                        v
                        for v in names
                        if v not in ("NAME", "GEO_ID") and not _NOT_ESTIMATE.search(v)
                    ]
                    if keep:
                        out["variables"] = keep
                elif name == "for":
                    out["geography"] = value
                elif name == "in":
                    for clause in value.split():
                        level, _, codes = clause.partition(":")
                        within[level.replace("+", " ")] = codes
                elif name == "key":
                    out["key"] = value
            if within:
                out["within"] = within
            return out
    shown = re.sub(r"([?&]key=)[^&]*", r"\1***", text)
    raise CensusError(
        f"{shown!r} is not a Census source: give a Census API URL "
        "(https://api.census.gov/data/2022/acs/acs5?get=...&for=...), a 'year/dataset' path "
        "('2022/acs/acs5'), or no source and dataset=/year= options",
        source=shown,
    )


def _pick(given: Any, parsed: Mapping[str, Any], name: str) -> Any:
    return given if given is not None else parsed.get(name)


class CensusAdapter:
    """Read the Census Data API (ACS 1/5-year, subject, profile, decennial) into a series.

    Values come with 90% margins of error and a status decoded from the
    Census sentinel codes; ``geography`` is the zero-padded GEOID and
    ``period`` the span the estimates cover (``2018-2022`` for ACS 5-year
    2022). Several variables give a ``variable`` dimension, ``by_race=True`` a
    ``race`` dimension (A–I iterations, non-additive). See
    :func:`feedbackloop.census.read_census` for every option.

    .. versionadded:: 0.1.0
    """

    name: ClassVar[str] = "census"
    api_version: ClassVar[int] = ADAPTER_API
    description: ClassVar[str] = (
        "US Census Bureau Data API: ACS and decennial estimates with margins of error"
    )

    def can_read(self, source: Source | None = None) -> bool:
        """Whether ``source`` is a Census API URL or a ``year/dataset`` path (never raises)."""
        if source is None:
            return False
        try:
            text = source_label(source)
        except TypeError:
            return False
        if _PATH.match(text.strip().strip("/")):
            return True
        parts = urlsplit(text.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False
        if parts.netloc.lower() == "api.census.gov":
            return True
        return bool(_URL_PATH.match(parts.path)) and "/data/" in parts.path

    def discover(
        self,
        source: Source | None = None,
        *,
        dataset: str | None = None,
        year: int | Sequence[int] | None = None,
        variables: str | Sequence[str] | Mapping[str, str] | None = None,
        table: str | Sequence[str] | None = None,
        geography: str | None = None,
        within: Mapping[str, Any] | None = None,
        key: str | None = None,
        base_url: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        offline: bool = False,
        max_age: float | timedelta | None = _DEFAULT_MAX_AGE,
        timeout: float = 30.0,
        retries: int = 3,
    ) -> SourceInfo:
        """Describe a vintage from its metadata alone (no data request).

        With several vintages (``year=[2015, ..., 2022]``) the latest one's
        metadata describe the source and ``periods`` lists them all.

        Returns
        -------
        SourceInfo
            ``columns``: the variables asked for (or every estimate of the
            vintage), ``periods``: the span covered, ``extra``: geographies
            offered, MOE names, number of tables.
        """
        from feedbackloop.census._api import vintages
        from feedbackloop.census._client import CensusClient
        from feedbackloop.census._read import acs_period

        parsed = _parse_source(source)
        ds, given = _pick(dataset, parsed, "dataset"), _pick(year, parsed, "year")
        self._need(ds, given)
        years = vintages(given)
        yr = years[-1]  # the metadata of the latest vintage describes the source
        with CensusClient(
            key=_pick(key, parsed, "key"),
            base_url=_pick(base_url, parsed, "base_url"),
            cache_dir=cache_dir,
            offline=offline,
            max_age=max_age,
            timeout=timeout,
            retries=retries,
        ) as client:
            meta = client.variables(yr, str(ds))
            hierarchy = client.hierarchy(yr, str(ds))
            wanted = _pick(variables, parsed, "variables")
            chosen = []
            if wanted is not None:
                names = (
                    [wanted]
                    if isinstance(wanted, str)
                    else list(wanted.values())
                    if isinstance(wanted, Mapping)
                    else list(wanted)
                )
                chosen = [meta.resolve(n) for n in names]
            for t in [table] if isinstance(table, str) else list(table or ()):
                chosen += meta.table(t)
            if not chosen:
                chosen = list(meta.estimates.values())
            geo = _pick(geography, parsed, "geography")
            notes = []
            if geo is not None:
                q = hierarchy.resolve(str(geo), _pick(within, parsed, "within"))
                notes.append(f"for={q.for_clause}" + (f" in={q.in_clause}" if q.in_clause else ""))
            return SourceInfo(
                adapter=self.name,
                source=f"{client.base_url}/{yr}/{ds}",
                columns=tuple(v.short_name for v in chosen),
                dimensions=("variable",) if len(chosen) > 1 else (),
                periods=tuple(acs_period(y, str(ds)) for y in years),
                notes=tuple(notes),
                extra={
                    "geographies": hierarchy.offered(),
                    "moe": {v.short_name: v.moe for v in chosen},
                    "tables": len(meta.groups),
                    "labels": {v.short_name: v.clean_label for v in chosen[:200]},
                },
            )

    @staticmethod
    def _need(dataset: Any, year: Any) -> None:
        from feedbackloop.errors import CensusError

        if dataset is None or year is None:
            raise CensusError(
                "the census adapter needs dataset= (e.g. 'acs/acs5') and year= (e.g. 2022), "
                "or a source such as '2022/acs/acs5' or a Census API URL"
            )

    def read(
        self,
        source: Source | None = None,
        *,
        dataset: str | None = None,
        year: int | Sequence[int] | None = None,
        variables: str | Sequence[str] | Mapping[str, str] | None = None,
        table: str | Sequence[str] | None = None,
        geography: str | None = None,
        within: Mapping[str, Any] | None = None,
        by_race: bool = False,
        race_total: bool = True,
        moe: bool = True,
        annotations: bool | Literal["auto"] = "auto",
        indicator: Indicator | None = None,
        unit: str | None = None,
        key: str | None = None,
        base_url: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        cache: bool = True,
        offline: bool = False,
        max_age: float | timedelta | None = _DEFAULT_MAX_AGE,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        concurrency: int = 4,
        progress: bool | None = None,
    ) -> IndicatorSeries:
        """Read estimates, MOEs and statuses into an IndicatorSeries.

        Options are those of :func:`feedbackloop.census.read_census` and
        :class:`feedbackloop.census.CensusClient`; a URL or ``year/dataset``
        source supplies ``dataset``, ``year`` (and from a URL ``variables``,
        ``geography``, ``within`` and ``base_url``) unless given as options.
        ``year`` may list several vintages (``[2015, 2016, ..., 2022]``): they
        are read into one series, one period each.

        Returns
        -------
        IndicatorSeries

        Raises
        ------
        feedbackloop.census.CensusError
            (a :class:`~feedbackloop.errors.SourceReadError`) naming the request
            without the key, and what to do.
        """
        from feedbackloop.census._api import read_census, vintages

        parsed = _parse_source(source)
        ds, yr = _pick(dataset, parsed, "dataset"), _pick(year, parsed, "year")
        self._need(ds, yr)
        geo = _pick(geography, parsed, "geography")
        if geo is None:
            from feedbackloop.errors import CensusError

            raise CensusError(
                "the census adapter needs geography= (us, state, county, county subdivision, "
                "place, tract, block group or zcta)"
            )
        return read_census(
            dataset=str(ds),
            year=vintages(yr),
            geography=str(geo),
            variables=_pick(variables, parsed, "variables"),
            table=table,
            within=_pick(within, parsed, "within"),
            by_race=by_race,
            race_total=race_total,
            moe=moe,
            annotations=annotations,
            indicator=indicator,
            unit=unit,
            key=_pick(key, parsed, "key"),
            base_url=_pick(base_url, parsed, "base_url"),
            cache_dir=cache_dir,
            cache=cache,
            offline=offline,
            max_age=max_age,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            concurrency=concurrency,
            progress=progress,
        )
