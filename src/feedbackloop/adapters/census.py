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

import os
import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, urlsplit

import attrs
from attrs import field, frozen

from feedbackloop.adapters._base import ADAPTER_API, Source, SourceInfo, source_label
from feedbackloop.adapters._options import option, parse_options, with_options
from feedbackloop.census import CensusClient, acs_period, read_census, vintages
from feedbackloop.errors import CensusError
from feedbackloop.model import Indicator
from feedbackloop.series import IndicatorSeries

__all__ = ["CensusAdapter", "CensusOptions"]

_PATH = re.compile(r"^(?P<year>[0-9]{4})/(?P<dataset>(?:acs|dec)(?:/[a-z0-9]+)+)$")
_URL_PATH = re.compile(
    r"^(?P<prefix>.*?)/(?P<year>[0-9]{4})/(?P<dataset>[a-z0-9]+(?:/[a-z0-9]+)*)/?$"
)
_NOT_ESTIMATE = re.compile(r"(?:M|MA|EA|NA)$")
_DEFAULT_MAX_AGE = timedelta(days=30)


def _parse_source(source: Source | None) -> dict[str, Any]:
    """Options a source string carries (base_url, year, dataset, get/for/in, key)."""
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


def _discover(doc: str) -> dict[str, Any]:
    return option(doc, discover=True)


@frozen(kw_only=True)
class CensusOptions:
    """Every option of the ``census`` adapter.

    They are those of :func:`feedbackloop.census.read_census` and
    :class:`feedbackloop.census.CensusClient`.

    A URL or ``year/dataset`` source supplies ``dataset``, ``year`` (and from a URL
    ``variables``, ``geography``, ``within``, ``key`` and ``base_url``) unless
    they are given.

    .. versionadded:: 0.1.0
    """

    dataset: str | None = field(
        default=None,
        metadata=_discover("acs/acs5, acs/acs1, acs/acs5/subject, acs/acs5/profile, dec/pl..."),
    )
    year: int | Sequence[int] | None = field(
        default=None,
        metadata=_discover(
            "The vintage (for ACS 5-year 2022 the period is 2018-2022), or several "
            "vintages ([2015, ..., 2022]) read into one series, one period each."
        ),
    )
    variables: str | Sequence[str] | Mapping[str, str] | None = field(
        default=None,
        metadata=_discover(
            "Estimate names without suffix (B19013_001), or a mapping of your names to them "
            '({"median_income": "B19013_001"}); their MOEs come with them.'
        ),
    )
    table: str | Sequence[str] | None = field(
        default=None, metadata=_discover('Whole tables ("B19013"), one group() request each.')
    )
    geography: str | None = field(
        default=None,
        metadata=_discover(
            "us, state, county, county subdivision, place, tract, block group or zcta, "
            'optionally with codes ("county:075").'
        ),
    )
    within: Mapping[str, Any] | None = field(
        default=None,
        metadata=_discover('Parent geographies: {"state": "CA", "county": "075"}.'),
    )
    by_race: bool = field(
        default=False,
        metadata=option(
            "Read the race/ethnicity iterations A-I as a race dimension (non-additive)."
        ),
    )
    race_total: bool = field(
        default=True, metadata=option("With by_race, also read the all-races table as (total).")
    )
    moe: bool = field(
        default=True, metadata=option("Request margins of error; False reads estimates only.")
    )
    annotations: bool | Literal["auto"] = field(
        default="auto",
        metadata=option(
            'Request estimate/MOE annotations: "auto" for medians and quartiles, True for '
            "every variable that has them, False never."
        ),
    )
    indicator: Indicator | None = field(
        default=None,
        metadata=option("What the values measure; by default one is made from the metadata."),
    )
    unit: str | None = field(
        default=None,
        metadata=option("Unit of the values (default: guessed from the metadata)."),
    )
    key: str | None = field(
        default=None,
        metadata=_discover("Census API key (default: the CENSUS_API_KEY environment variable)."),
    )
    base_url: str | None = field(
        default=None, metadata=_discover("The API's address (default: api.census.gov/data).")
    )
    cache_dir: str | os.PathLike[str] | None = field(
        default=None,
        metadata=option(
            "Folder of the response cache (default: the user cache folder).",
            path=True,
            discover=True,
        ),
    )
    cache: bool = field(default=True, metadata=option("Cache responses on disk."))
    offline: bool = field(
        default=False, metadata=_discover("Answer from the cache only; never send a request.")
    )
    max_age: float | timedelta | None = field(
        default=_DEFAULT_MAX_AGE,
        metadata=_discover("How old a cached response may be (seconds or a timedelta)."),
    )
    timeout: float = field(default=30.0, metadata=_discover("Seconds to wait for a response."))
    retries: int = field(default=3, metadata=_discover("Retries of a failed request."))
    backoff: float = field(default=0.5, metadata=option("Seconds before the first retry."))
    concurrency: int = field(default=4, metadata=option("Requests in flight at once."))
    progress: bool | None = field(
        default=None,
        metadata=option("Show a progress bar (needs tqdm); default on a terminal."),
    )

    def with_source(self, source: Source | None) -> CensusOptions:
        """Fill what the options leave unset from what the source says."""
        parsed = _parse_source(source)
        picked = {k: v for k, v in parsed.items() if getattr(self, k) is None}
        return attrs.evolve(self, **picked) if picked else self

    def need_dataset(self) -> tuple[str, tuple[int, ...]]:
        """Return the dataset and the vintages, which the adapter cannot do without."""
        if self.dataset is None or self.year is None:
            raise CensusError(
                "the census adapter needs dataset= (e.g. 'acs/acs5') and year= (e.g. 2022), "
                "or a source such as '2022/acs/acs5' or a Census API URL"
            )
        return str(self.dataset), vintages(self.year)

    def client(self) -> CensusClient:
        """Return a client for ``discover`` (its metadata requests)."""
        return CensusClient(
            key=self.key,
            base_url=self.base_url,
            cache_dir=self.cache_dir,
            offline=self.offline,
            max_age=self.max_age,
            timeout=self.timeout,
            retries=self.retries,
        )


def _chosen(meta: Any, variables: Any, table: str | Sequence[str] | None) -> list[Any]:
    """Return the variables ``discover`` describes: those asked for, or every estimate."""
    chosen = []
    if variables is not None:
        names = (
            [variables]
            if isinstance(variables, str)
            else list(variables.values())
            if isinstance(variables, Mapping)
            else list(variables)
        )
        chosen = [meta.resolve(n) for n in names]
    for t in [table] if isinstance(table, str) else list(table or ()):
        chosen += meta.table(t)
    return chosen or list(meta.estimates.values())


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
    options: ClassVar[type[CensusOptions]] = CensusOptions

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

    @with_options(CensusOptions, discover=True)
    def discover(self, source: Source | None = None, **options: Any) -> SourceInfo:
        """Describe a vintage from its metadata alone (no data request).

        With several vintages (``year=[2015, ..., 2022]``) the latest one's
        metadata describe the source and ``periods`` lists them all.

        Parameters
        ----------
        source : str, optional
            A Census API URL or a ``year/dataset`` path.
        {options}

        Returns
        -------
        SourceInfo
            ``columns``: the variables asked for (or every estimate of the
            vintage), ``periods``: the span covered, ``extra``: geographies
            offered, MOE names, number of tables.
        """
        given = parse_options(CensusOptions, options, adapter=self.name, method="discover")
        opts = given.with_source(source)
        ds, years = opts.need_dataset()
        yr = years[-1]  # the metadata of the latest vintage describes the source
        with opts.client() as client:
            meta = client.variables(yr, ds)
            hierarchy = client.hierarchy(yr, ds)
            chosen = _chosen(meta, opts.variables, opts.table)
            notes = []
            if opts.geography is not None:
                q = hierarchy.resolve(str(opts.geography), opts.within)
                notes.append(f"for={q.for_clause}" + (f" in={q.in_clause}" if q.in_clause else ""))
            return SourceInfo(
                adapter=self.name,
                source=f"{client.base_url}/{yr}/{ds}",
                columns=tuple(v.short_name for v in chosen),
                dimensions=("variable",) if len(chosen) > 1 else (),
                periods=tuple(acs_period(y, ds) for y in years),
                notes=tuple(notes),
                extra={
                    "geographies": hierarchy.offered(),
                    "moe": {v.short_name: v.moe for v in chosen},
                    "tables": len(meta.groups),
                    "labels": {v.short_name: v.clean_label for v in chosen[:200]},
                },
            )

    @with_options(CensusOptions)
    def read(self, source: Source | None = None, **options: Any) -> IndicatorSeries:
        """Read estimates, MOEs and statuses into an IndicatorSeries.

        ``year`` may list several vintages (``[2015, 2016, ..., 2022]``): they
        are read into one series, one period each.

        Parameters
        ----------
        source : str, optional
            A Census API URL or a ``year/dataset`` path; it supplies
            ``dataset``, ``year`` (and from a URL ``variables``, ``geography``,
            ``within`` and ``base_url``) unless given as options.
        {options}

        Returns
        -------
        IndicatorSeries

        Raises
        ------
        feedbackloop.census.CensusError
            (a :class:`~feedbackloop.errors.SourceReadError`) naming the request
            without the key, and what to do.
        """
        given = parse_options(CensusOptions, options, adapter=self.name, method="read")
        opts = given.with_source(source)
        ds, years = opts.need_dataset()
        if opts.geography is None:
            raise CensusError(
                "the census adapter needs geography= (us, state, county, county subdivision, "
                "place, tract, block group or zcta)"
            )
        return read_census(
            dataset=ds,
            year=years,
            geography=str(opts.geography),
            variables=opts.variables,
            table=opts.table,
            within=opts.within,
            by_race=opts.by_race,
            race_total=opts.race_total,
            moe=opts.moe,
            annotations=opts.annotations,
            indicator=opts.indicator,
            unit=opts.unit,
            key=opts.key,
            base_url=opts.base_url,
            cache_dir=opts.cache_dir,
            cache=opts.cache,
            offline=opts.offline,
            max_age=opts.max_age,
            timeout=opts.timeout,
            retries=opts.retries,
            backoff=opts.backoff,
            concurrency=opts.concurrency,
            progress=opts.progress,
        )
