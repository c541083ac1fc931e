"""Public functions: read series, tidycensus-style tables, variable search."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack

import numpy as np
import pandas as pd

from feedbackloop import stats
from feedbackloop.census._client import CensusClient, DataRequest
from feedbackloop.census._geo import geography_level, state_fips
from feedbackloop.census._meta import RACE_ITERATIONS, Variable
from feedbackloop.census._read import Long, Pull, acs_period, plan, run
from feedbackloop.errors import CensusError
from feedbackloop.model import Indicator
from feedbackloop.series import TOTAL, IndicatorSeries, Provenance

if TYPE_CHECKING:
    import os

    import httpx

__all__ = [
    "EXCLUSIVE_RACES",
    "RACE_NOTE",
    "ClientOptions",
    "get_acs",
    "get_decennial",
    "load_variables",
    "plan_requests",
    "read_census",
    "search_variables",
    "vintages",
]

#: Race iterations A–G: mutually exclusive and exhaustive (each includes Hispanics).
EXCLUSIVE_RACES: tuple[str, ...] = tuple(RACE_ITERATIONS[x] for x in "ABCDEFG")

#: What a ``race`` dimension read with ``by_race=True`` records about its categories.
RACE_NOTE = (
    "Census race iterations: A–G are mutually exclusive and sum to the total; "
    "H (White alone, not Hispanic or Latino) is a subset of A (White alone); "
    "I (Hispanic or Latino) overlaps A–G. Never sum across all of them."
)


class ClientOptions(TypedDict, total=False):
    """Options for the :class:`CensusClient` the functions create (see its parameters).

    ``transport`` (an :class:`httpx.BaseTransport`) sends the requests through
    it instead of the network, e.g. ``transport=CensusMock(...).transport`` in
    tests (:class:`feedbackloop.testing.CensusMock`).

    .. versionadded:: 0.1.0
    """

    key: str | None
    base_url: str | None
    cache_dir: str | os.PathLike[str] | None
    cache: bool
    offline: bool
    max_age: float | timedelta | None
    timeout: float
    retries: int
    backoff: float
    concurrency: int
    progress: bool | None
    transport: httpx.BaseTransport | None


def _client(client: CensusClient | None, options: ClientOptions) -> tuple[CensusClient, bool]:
    if client is not None:
        if options:
            raise CensusError(
                f"give either client= or client options ({', '.join(options)}), not both"
            )
        return client, False
    return CensusClient(**options), True


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "census"
    return slug if slug[0].isalpha() else "v_" + slug


def _kind(var: Variable) -> str:
    text = f"{var.label} {var.concept}".lower()
    if var.is_percent:
        return "percent"
    money = "dollar" in text
    if "aggregate" in text:
        return "usd_sum" if money else "count"
    if re.search(r"median|average|mean|per capita|quartile|ratio|index|rate\b", text):
        return "usd" if money else "other"
    return "count"


_UNITS = {
    "percent": ("percent", "none"),
    "usd": ("USD", "none"),
    "usd_sum": ("USD", "sum"),
    "count": ("count", "sum"),
    "other": ("dimensionless", "none"),
}


def default_indicator(pull: Pull, unit: str | None) -> Indicator:
    """Return an indicator describing the pull, for callers that give none."""
    kinds = {_kind(it.var) for it in pull.items}
    guessed, aggregation = _UNITS[kinds.pop()] if len(kinds) == 1 else ("dimensionless", "none")
    labels = list(dict.fromkeys(it.label for it in pull.items))
    first = pull.items[0].var
    if len(labels) == 1:
        ident = _slug(labels[0])
        name = first.clean_label or labels[0]
        if labels[0] != first.short_name:
            name = f"{labels[0]} ({first.short_name}: {name})"
    else:
        groups = list(dict.fromkeys(it.var.group for it in pull.items if it.race in (None, TOTAL)))
        ident = _slug(groups[0] if len(groups) == 1 else f"census_{pull.dataset}")
        name = (first.concept or pull.vintage).capitalize()
    return Indicator(
        id=ident,
        name=name,
        unit=unit or guessed,
        direction="higher_is_better",
        aggregation=aggregation if unit is None else None,
        description=f"Census {pull.vintage}: "
        + ", ".join(labels[:10])
        + (" ..." if len(labels) > 10 else ""),
    )


# Over 80 lines only by its docstring, which documents every option; the body is short.
def read_census(
    *,
    dataset: str,
    year: int | Sequence[int],
    geography: str,
    variables: str | Sequence[str] | Mapping[str, str] | None = None,
    table: str | Sequence[str] | None = None,
    within: Mapping[str, Any] | None = None,
    by_race: bool = False,
    race_total: bool = True,
    moe: bool = True,
    annotations: bool | Literal["auto"] = "auto",
    indicator: Indicator | None = None,
    unit: str | None = None,
    client: CensusClient | None = None,
    **options: Unpack[ClientOptions],
) -> IndicatorSeries:
    """Read Census estimates, margins of error and statuses into an IndicatorSeries.

    Parameters
    ----------
    dataset : str
        ``acs/acs5``, ``acs/acs1``, ``acs/acs5/subject``, ``acs/acs5/profile``,
        ``acs/acsse``, ``dec/pl``, ``dec/dhc``...
    year : int or sequence of int
        The vintage (for ACS 5-year 2022 the period is ``2018-2022``), or
        several vintages (``[2015, 2016, ..., 2022]``) read into one series with
        one period each, for a trend. Each vintage is checked against its own
        metadata; the requests of all of them share one client (and cache).

        .. versionchanged:: 0.1.0
           Several vintages may be given.
    geography : str
        ``us``, ``state``, ``county``, ``county subdivision``, ``place``,
        ``tract``, ``block group`` or ``zcta``, optionally with codes
        (``"state:CA,IL"``, ``"county:075"``).
    variables : str, sequence or mapping, optional
        Estimate names without suffix (``B19013_001``), or a mapping of your
        names to them (``{"median_income": "B19013_001"}``); their MOE (and
        annotations) come with them.
    table : str or sequence, optional
        Whole tables (``"B19013"``), one ``group()`` request each.
    within : mapping, optional
        Parent geographies: ``{"state": "CA", "county": "075"}``. States may be
        names, postal codes or FIPS codes.
    by_race : bool
        Read the race/ethnicity iterations A–I as a ``race`` dimension (Census
        labels; the all-races estimate as ``(total)``). The dimension is marked
        non-additive: H is inside A and I overlaps A–G.
    race_total : bool
        With ``by_race``, also read the all-races table as ``(total)``.
    moe : bool
        Request margins of error (default). ``False`` reads estimates only.
    annotations : bool or "auto"
        Request estimate/MOE annotations (``EA``/``MA``): ``"auto"`` for medians
        and quartiles (to flag top- and bottom-coded values), ``True`` for every
        variable that has them, ``False`` never.
    indicator : Indicator, optional
        What the values measure; by default one is made from the metadata.
    unit : str, optional
        Unit of the values (default: guessed from the metadata).
    client : CensusClient, optional
        A client to reuse; otherwise ``**options`` build one.
    **options
        :class:`ClientOptions`: ``key``, ``base_url``, ``cache_dir``,
        ``offline``, ``max_age``, ``timeout``, ``retries``, ``backoff``,
        ``concurrency``, ``progress``, ``cache``, ``transport``.

    Returns
    -------
    IndicatorSeries

    Raises
    ------
    CensusError
        One of its subclasses, naming the request (never the key) and a remedy.

    .. versionadded:: 0.1.0
    """
    years = vintages(year)
    cl, owned = _client(client, options)
    try:
        pulls = [
            plan(
                cl,
                dataset=dataset,
                year=y,
                variables=variables,
                table=table,
                geography=geography,
                within=within,
                by_race=by_race,
                race_total=race_total,
                moe=moe,
                annotations=annotations,
            )
            for y in years
        ]
        results = [(pull, *run(cl, pull)) for pull in pulls]
        return _series(cl, results, indicator=indicator, unit=unit, several=len(years) > 1)
    finally:
        if owned:
            cl.close()


# Over 80 lines only by its docstring, which documents every option; the body is short.
def plan_requests(
    *,
    dataset: str,
    year: int | Sequence[int],
    geography: str,
    variables: str | Sequence[str] | Mapping[str, str] | None = None,
    table: str | Sequence[str] | None = None,
    within: Mapping[str, Any] | None = None,
    by_race: bool = False,
    race_total: bool = True,
    moe: bool = True,
    annotations: bool | Literal["auto"] = "auto",
    client: CensusClient | None = None,
    **options: Unpack[ClientOptions],
) -> list[DataRequest]:
    """Return the data requests :func:`read_census` would send, without sending any.

    Everything is checked against each vintage's ``geography.json`` and
    ``variables.json`` (read from the cache when there) exactly as
    :func:`read_census` checks it, and the requests are laid out as it lays
    them out: the fewest ``get=`` lists of at most :data:`MAX_VARIABLES`
    names, each led by ``GEO_ID``, then one ``group()`` request per table. To
    count requests before a large pull, or to fill a cache folder yourself
    (:class:`ResponseCache`, named by each request's ``label``).

    Parameters
    ----------
    dataset, year, geography, variables, table, within, by_race, race_total, moe, annotations
        As in :func:`read_census`.
    client : CensusClient, optional
        A client to reuse; otherwise ``**options`` build one.
    **options
        :class:`ClientOptions`.

    Returns
    -------
    list of DataRequest
        In the order :func:`read_census` sends them, vintage after vintage.

    Examples
    --------
    The bundled example's cache holds the metadata, so nothing is downloaded:

    >>> from feedbackloop.census import plan_requests
    >>> from feedbackloop.examples import example_path
    >>> cache = example_path().parent / "census-cache"
    >>> (request,) = plan_requests(
    ...     dataset="acs/acs5",
    ...     year=2022,
    ...     variables="X23001_001",
    ...     geography="county",
    ...     within={"state": "CA"},
    ...     cache_dir=cache,
    ...     offline=True,
    ... )
    >>> request.label
    '2022/acs/acs5?get=GEO_ID,X23001_001E,X23001_001M&for=county:*&in=state:06'

    .. versionadded:: 0.1.0
    """
    cl, owned = _client(client, options)
    try:
        return [
            request
            for y in vintages(year)
            for request in plan(
                cl,
                dataset=dataset,
                year=y,
                variables=variables,
                table=table,
                geography=geography,
                within=within,
                by_race=by_race,
                race_total=race_total,
                moe=moe,
                annotations=annotations,
            ).requests
        ]
    finally:
        if owned:
            cl.close()


def vintages(year: int | Sequence[int]) -> tuple[int, ...]:
    """Return the vintage(s) ``year`` names, checked: whole years, each once, at least one.

    Examples
    --------
    >>> vintages(2022), vintages([2015, 2016])
    ((2022,), (2015, 2016))

    .. versionadded:: 0.1.0
    """
    given = [year] if isinstance(year, int | str) else list(year)
    out: list[int] = []
    for y in given:
        if isinstance(y, bool) or not isinstance(y, int | str) or not str(y).strip().isdigit():
            raise CensusError(
                f"year must be a year such as 2022 or a list of years (got {y!r} in {year!r})"
            )
        out.append(int(y))
    if not out:
        raise CensusError("year= is an empty list; give at least one vintage, e.g. [2021, 2022]")
    repeated = sorted({y for y in out if out.count(y) > 1})
    if repeated:
        raise CensusError(
            f"year= names {', '.join(map(str, repeated))} more than once; name each vintage once"
        )
    return tuple(out)


def _series(
    client: CensusClient,
    results: Sequence[tuple[Pull, Long, Mapping[str, Any]]],
    *,
    indicator: Indicator | None,
    unit: str | None,
    several: bool = False,
) -> IndicatorSeries:
    """Build one series from the pulls of one or more vintages (one period each)."""
    first = results[0][0]
    dims = [
        d
        for d, on in (
            ("variable", any(p.variable_dimension for p, _, _ in results)),
            ("race", first.race_dimension),
        )
        if on
    ]
    has_moe = first.moe and any(it.var.moe for p, _, _ in results for it in p.items)
    ind = indicator if indicator is not None else default_indicator(first, unit)
    return IndicatorSeries.from_frame(
        _series_frame(results, dims, has_moe),
        indicator=ind,
        unit=unit,
        moe="moe" if has_moe else None,
        status="status",
        dimensions=dims,
        non_additive=dims,
        provenance=_provenance(client, results, several),
    )


def _joined(parts: list[Any]) -> Any:
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _series_frame(
    results: Sequence[tuple[Pull, Long, Mapping[str, Any]]], dims: list[str], has_moe: bool
) -> pd.DataFrame:
    """Put the long rows of every vintage in one frame, in the columns ``from_frame`` expects."""
    longs = [long for _, long, _ in results]
    # Text columns stay object: a pandas "str" column would be converted to Arrow and
    # back again by from_frame, which validates every column as for any other frame.
    columns: dict[str, Any] = {
        "geography": pd.Series(_joined([x.geography for x in longs]), dtype=object),
        "period": pd.Series(
            _joined(
                [
                    np.full(len(long), acs_period(pull.year, pull.dataset), dtype=object)
                    for pull, long, _ in results
                ]
            ),
            dtype=object,
        ),
    }
    for d in dims:
        texts = [x.variable if d == "variable" else x.race for x in longs]
        columns[d] = pd.Series(_joined(texts), dtype=object)
    columns["value"] = _joined([x.value for x in longs])
    if has_moe:
        columns["moe"] = _joined([x.moe for x in longs])
    columns["status"] = pd.Series(_joined([x.status for x in longs]), dtype=object)
    return pd.DataFrame(columns)


def _provenance(
    client: CensusClient,
    results: Sequence[tuple[Pull, Long, Mapping[str, Any]]],
    several: bool,
) -> Provenance:
    """Say where the series came from: the requests' options (never the key) and counts."""
    first = results[0][0]
    variables = list(dict.fromkeys(v for p, _, _ in results for v in p.api_variables))
    options: dict[str, Any] = {
        "dataset": first.dataset,
        "year": [p.year for p, _, _ in results] if several else first.year,
        "variables": variables,
        "geography": first.geography.for_clause,
        "within": first.geography.in_clause,
        "requests": sum(int(info.get("requests", 0)) for _, _, info in results),
        "from_cache": sum(int(info.get("from_cache", 0)) for _, _, info in results),
    }
    if first.race_dimension:
        options["by_race"] = True
        options["race_note"] = RACE_NOTE
    notes = list(dict.fromkeys(n for p, _, _ in results for n in p.notes))
    if notes:
        options["notes"] = notes
    retrieved = min(
        (str(info.get("retrieved") or "") for _, _, info in results if info.get("retrieved")),
        default="",
    )
    vintage = (
        "{" + ",".join(str(p.year) for p, _, _ in results) + "}/" + first.dataset
        if several
        else first.vintage
    )
    return Provenance(
        adapter="census",
        source=f"{client.base_url}/{vintage}",
        options=options,
        **({"retrieved": retrieved} if retrieved else {}),
    )


def _acs_dataset(survey: str, names: Sequence[str]) -> str:
    prefixes = {
        "profile"
        if n.upper().startswith("DP")
        else "subject"
        if n.upper().startswith("S")
        else "cprofile"
        if n.upper().startswith("CP")
        else ""
        for n in names
    }
    if len(prefixes) > 1:
        raise CensusError(
            "variables from detailed, subject and profile tables cannot be read together "
            f"(got {', '.join(names)}); make one call per kind of table"
        )
    suffix = prefixes.pop() if prefixes else ""
    return f"acs/{survey}" + (f"/{suffix}" if suffix else "")


def _tidycensus_geography(geography: str, state: Any, county: Any) -> tuple[str, dict[str, Any]]:
    level = geography_level(geography)
    within: dict[str, Any] = {}
    states = None
    if state is not None:
        states = [state] if isinstance(state, str | int) else list(state)
    if level.name == "state":
        codes = ",".join(state_fips(s) for s in states) if states else "*"
        return f"state:{codes}", within
    if states:
        within["state"] = states if len(states) > 1 else states[0]
    if level.name == "county" and county is not None:
        counties = [county] if isinstance(county, str | int) else list(county)
        return "county:" + ",".join(str(c).zfill(3) for c in counties), within
    if county is not None:
        within["county"] = county
    return geography, within


def _tidy(long: pd.DataFrame, pull: Pull, output: str, moe_level: float) -> pd.DataFrame:
    out = long.rename(columns={"geography": "GEOID", "value": "estimate"})
    if not pull.race_dimension:
        out = out.drop(columns=["race"])
    level = float(moe_level) / (100.0 if moe_level > 1 else 1.0)
    if level not in (0.90, 0.95, 0.99):
        raise CensusError(f"moe_level must be 90, 95 or 99 (got {moe_level!r})")
    if level != 0.90:
        # Sentinels were decoded already (MOE 0 for controlled, NaN for not computable),
        # so scaling can never touch a Census code.
        out["moe"] = stats.rescale_moe(out["moe"].to_numpy(dtype=float), to_level=level)
    if output == "tidy":
        return out.reset_index(drop=True)
    if output != "wide":
        raise CensusError(f"output must be 'tidy' or 'wide' (got {output!r})")
    keys = ["GEOID", "NAME"]
    if pull.race_dimension:
        out["variable"] = out["variable"] + "_" + out["race"].astype(str)
    wide = out.pivot(index=keys, columns="variable", values=["estimate", "moe"])
    order = list(dict.fromkeys(out["variable"]))
    cols = {}
    for v in order:
        cols[f"{v}E"] = wide[("estimate", v)]
        cols[f"{v}M"] = wide[("moe", v)]
    return pd.DataFrame(cols).reset_index()


def get_acs(
    geography: str,
    variables: str | Sequence[str] | Mapping[str, str] | None = None,
    table: str | None = None,
    *,
    year: int = 2022,
    survey: Literal["acs1", "acs3", "acs5", "acsse"] = "acs5",
    state: str | int | Sequence[str | int] | None = None,
    county: str | int | Sequence[str | int] | None = None,
    output: Literal["tidy", "wide"] = "tidy",
    moe_level: float = 90,
    by_race: bool = False,
    client: CensusClient | None = None,
    **options: Unpack[ClientOptions],
) -> pd.DataFrame:
    """Read ACS estimates as tidycensus's ``get_acs`` does, into a pandas DataFrame.

    Parameters
    ----------
    geography : str
        ``us``, ``state``, ``county``, ``county subdivision``, ``place``,
        ``tract``, ``block group``, ``zcta``.
    variables : str, sequence or mapping, optional
        Variables without suffix; a mapping renames them.
    table : str, optional
        A whole table.
    year : int
        Last year of the period (2022 → 2018-2022 for ``acs5``).
    survey : {"acs5", "acs1", "acs3", "acsse"}
        Profile (``DP``), subject (``S``) and comparison (``CP``) tables are
        recognised from the variable names, as in tidycensus.
    state, county : optional
        Names, postal codes or FIPS codes (one or several).
    output : {"tidy", "wide"}
        ``tidy``: GEOID, NAME, variable, estimate, moe, status (one row per
        place and variable); ``wide``: one row per place, ``<var>E``/``<var>M``.
    moe_level : {90, 95, 99}
        Confidence level of ``moe`` (converted after the sentinel codes are
        decoded, so a controlled MOE stays 0).
    by_race : bool
        Add a ``race`` column with the A–I iterations.
    client : CensusClient, optional
    **options
        :class:`ClientOptions`.

    Returns
    -------
    pandas.DataFrame

    .. versionadded:: 0.1.0
    """
    names: list[str] = []
    if isinstance(variables, str):
        names = [variables]
    elif isinstance(variables, Mapping):
        names = [str(v) for v in variables.values()]
    elif variables is not None:
        names = [str(v) for v in variables]
    if table is not None:
        names.append(table)
    dataset = _acs_dataset(survey, names)
    return _get(
        dataset,
        year,
        geography,
        variables,
        table,
        state,
        county,
        output,
        moe_level,
        by_race,
        client,
        options,
    )


def get_decennial(
    geography: str,
    variables: str | Sequence[str] | Mapping[str, str] | None = None,
    table: str | None = None,
    *,
    year: int = 2020,
    sumfile: str = "dhc",
    state: str | int | Sequence[str | int] | None = None,
    county: str | int | Sequence[str | int] | None = None,
    output: Literal["tidy", "wide"] = "tidy",
    client: CensusClient | None = None,
    **options: Unpack[ClientOptions],
) -> pd.DataFrame:
    """Read decennial census counts as tidycensus's ``get_decennial`` does (no MOE).

    Parameters
    ----------
    geography, variables, table, state, county, output, client, options
        As in :func:`get_acs`.
    year : int
        2020 (``dec/pl``, ``dec/dhc``...) or 2010 (``dec/sf1``, ``dec/pl``).
    sumfile : str
        ``pl``, ``dhc``, ``dp``, ``sf1``...

    Returns
    -------
    pandas.DataFrame
        GEOID, NAME, variable, value, status (tidy), or one column per variable.

    .. versionadded:: 0.1.0
    """
    out = _get(
        f"dec/{sumfile}",
        year,
        geography,
        variables,
        table,
        state,
        county,
        output,
        90,
        False,
        client,
        options,
    )
    if output == "tidy":
        out = out.drop(columns=["moe"]).rename(columns={"estimate": "value"})
    else:
        out = out.drop(columns=[c for c in out.columns if str(c).endswith("M")])
    return out


def _get(
    dataset: str,
    year: int,
    geography: str,
    variables: str | Sequence[str] | Mapping[str, str] | None,
    table: str | None,
    state: Any,
    county: Any,
    output: str,
    moe_level: float,
    by_race: bool,
    client: CensusClient | None,
    options: ClientOptions,
) -> pd.DataFrame:
    geo, within = _tidycensus_geography(geography, state, county)
    cl, owned = _client(client, options)
    try:
        pull = plan(
            cl,
            dataset=dataset,
            year=year,
            variables=variables,
            table=table,
            geography=geo,
            within=within,
            by_race=by_race,
            name=True,
        )
        long, _ = run(cl, pull)
        return _tidy(long.frame(), pull, output, moe_level)
    finally:
        if owned:
            cl.close()


def load_variables(
    year: int,
    dataset: str = "acs/acs5",
    *,
    client: CensusClient | None = None,
    **options: Unpack[ClientOptions],
) -> pd.DataFrame:
    """List a vintage's estimate variables, as tidycensus's ``load_variables`` does.

    Parameters
    ----------
    year : int
    dataset : str
        ``acs/acs5``, ``acs/acs5/profile``, ``dec/pl``...
    client : CensusClient, optional
    **options
        :class:`ClientOptions` (``offline=True`` reads a cached ``variables.json``).

    Returns
    -------
    pandas.DataFrame
        ``name`` (without suffix), ``api_name``, ``label``, ``concept``, ``group``,
        ``predicate_type``, ``moe`` (its MOE variable, from ``attributes``).

    .. versionadded:: 0.1.0
    """
    cl, owned = _client(client, options)
    try:
        return cl.variables(year, dataset).frame()
    finally:
        if owned:
            cl.close()


def search_variables(
    query: str,
    *,
    year: int,
    dataset: str = "acs/acs5",
    n: int | None = 20,
    client: CensusClient | None = None,
    **options: Unpack[ClientOptions],
) -> pd.DataFrame:
    """Find variables whose label or concept contains every word of ``query``.

    Parameters
    ----------
    query : str
        Words such as ``"median household income"``.
    year : int
    dataset : str
    n : int or None
        Most rows to return (``None``: all).
    client : CensusClient, optional
    **options
        :class:`ClientOptions`.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``label``, ``concept``, ``group``, ``score`` — best match first
        (whole-phrase matches, then shorter labels).

    .. versionadded:: 0.1.0
    """
    cl, owned = _client(client, options)
    try:
        return cl.variables(year, dataset).search(query, n=n)
    finally:
        if owned:
            cl.close()
