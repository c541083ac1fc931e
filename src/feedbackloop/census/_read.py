"""Plan, fetch and decode a Census pull into a long table (internal)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from attrs import field, frozen

from feedbackloop.census._client import MAX_VARIABLES, CensusClient, DataRequest, Fetched
from feedbackloop.census._decode import decode_numbers, to_numbers
from feedbackloop.census._errors import CensusError, CensusResponseError, UnknownVariableError
from feedbackloop.census._geo import GEOGRAPHIES, GeographyQuery
from feedbackloop.census._meta import RACE_ITERATIONS, Variable, VariableTable
from feedbackloop.series._status import TOTAL

__all__ = ["Item", "Pull", "acs_period", "plan", "run"]

Annotations = bool | str

_SURVEY_YEARS = {"acs1": 1, "acsse": 1, "acs3": 3, "acs5": 5}


def acs_period(year: int, dataset: str) -> str:
    """Return the period a vintage's estimates cover: ``2018-2022`` for ACS 5-year 2022.

    Examples
    --------
    >>> acs_period(2022, "acs/acs5/profile"), acs_period(2019, "acs/acs1")
    ('2018-2022', '2019')
    >>> acs_period(2020, "dec/pl")
    '2020'

    .. versionadded:: 0.1.0
    """
    parts = dataset.split("/")
    span = _SURVEY_YEARS.get(parts[1], 1) if len(parts) > 1 and parts[0] == "acs" else 1
    return str(year) if span == 1 else f"{year - span + 1}-{year}"


@frozen
class Item:
    """One estimate to read, and the dimension labels its rows get."""

    label: str
    race: str | None
    var: Variable
    table: str | None = None  # read through get=group(table)


@frozen
class Pull:
    """A checked plan: which requests to make and how to turn columns into rows."""

    year: int
    dataset: str
    geography: GeographyQuery
    items: tuple[Item, ...]
    requests: tuple[DataRequest, ...]
    geo_columns: tuple[str, ...]
    use_geo_id: bool
    variable_dimension: bool
    race_dimension: bool
    moe: bool = True
    notes: tuple[str, ...] = field(default=())

    @property
    def vintage(self) -> str:
        """``year/dataset``."""
        return f"{self.year}/{self.dataset}"

    @property
    def api_variables(self) -> tuple[str, ...]:
        """Every variable named in ``get=`` lists (tables as ``group(T)``)."""
        out: list[str] = []
        for r in self.requests:
            out += [g for g in r.get if g not in ("GEO_ID", "NAME") and g not in out]
        return tuple(out)


def _names(
    variables: str | Sequence[str] | Mapping[str, str] | None,
) -> list[tuple[str | None, str]]:
    """(user label or None, variable) pairs."""
    if variables is None:
        return []
    if isinstance(variables, str):
        return [(None, variables)]
    if isinstance(variables, Mapping):
        return [(str(k), str(v)) for k, v in variables.items()]
    return [(None, str(v)) for v in variables]


def _tables(table: str | Sequence[str] | None) -> list[str]:
    if table is None:
        return []
    if isinstance(table, str):
        return [t.strip().upper() for t in table.split(",") if t.strip()]
    return [str(t).strip().upper() for t in table]


def _same_label(a: Variable, b: Variable) -> bool:
    return a.clean_label.lower() == b.clean_label.lower()


_RACE_LETTER = re.compile(r"^([A-Z]+[0-9]+)([A-I])((?:PR)?)$")


def _race_items(meta: VariableTable, base: Variable, label: str, race_total: bool) -> list[Item]:
    out: list[Item] = []
    if _RACE_LETTER.match(base.group):
        raise UnknownVariableError(
            f"{base.short_name} is already a race iteration ({base.group}); with by_race=True "
            "name the all-races variable (without the letter)",
            variable=base.name,
            source=meta.vintage,
        )
    missing: list[str] = []
    for letter, race_label in RACE_ITERATIONS.items():
        var = meta.race_iteration(base, letter)
        if var is None:
            missing.append(letter)
            continue
        if not _same_label(var, base):
            raise UnknownVariableError(
                f"{var.short_name} is {var.clean_label!r} but {base.short_name} is "
                f"{base.clean_label!r}: the race iterations of {base.group} have another "
                "layout; name the line of the iteration table instead (see "
                "feedbackloop.census.load_variables)",
                variable=var.name,
                source=meta.vintage,
            )
        out.append(Item(label=label, race=race_label, var=var))
    if missing:
        raise UnknownVariableError(
            f"{meta.vintage} has no race iteration {', '.join(missing)} of {base.short_name} "
            f"(looked for {', '.join(base.group + x for x in missing)}); by_race=True needs "
            "all of A–I",
            variable=base.name,
            source=meta.vintage,
        )
    if race_total:
        out.insert(0, Item(label=label, race=TOTAL, var=base))
    return out


def _wanted(var: Variable, annotations: Annotations, moe: bool) -> list[str]:
    names = [var.name]
    if moe and var.moe:
        names.append(var.moe)
    ask = annotations is True or (annotations == "auto" and var.may_be_coded)
    if ask and var.estimate_annotation:
        names.append(var.estimate_annotation)
    if ask and moe and var.moe_annotation:
        names.append(var.moe_annotation)
    return names


def _chunks(names: Sequence[str], *, key: str | None, name: bool) -> list[tuple[str, ...]]:
    """Split ``names`` into ``get`` lists of at most MAX_VARIABLES, each led by the join key."""
    lead = ([key] if key else []) + (["NAME"] if name else [])
    out: list[tuple[str, ...]] = []
    rest = list(names)
    first = True
    while rest or first:
        head = lead if first else lead[:1]
        room = MAX_VARIABLES - len(head)
        out.append((*head, *rest[:room]))
        rest = rest[room:]
        first = False
    return out


def plan(
    client: CensusClient,
    *,
    dataset: str,
    year: int,
    variables: str | Sequence[str] | Mapping[str, str] | None,
    table: str | Sequence[str] | None,
    geography: str,
    within: Mapping[str, Any] | None,
    by_race: bool,
    race_total: bool = True,
    moe: bool = True,
    annotations: Annotations = "auto",
    name: bool = False,
) -> Pull:
    """Check everything against the vintage's metadata and lay out the requests.

    No data request is made: geography.json and variables.json only.
    """
    dataset = dataset.strip().strip("/")
    if not re.fullmatch(r"[a-z0-9]+(?:/[a-z0-9]+)*", dataset):
        raise CensusError(
            f"dataset {dataset!r} is not a Census API dataset path such as 'acs/acs5', "
            "'acs/acs5/profile' or 'dec/pl'"
        )
    if annotations not in (True, False, "auto"):
        raise CensusError(f"annotations must be True, False or 'auto' (got {annotations!r})")
    year = int(year)
    vintage = f"{year}/{dataset}"
    names = _names(variables)
    tables = _tables(table)
    if not names and not tables:
        raise CensusError(
            "name what to read: variables=['B19013_001', ...] (or a dict of your names) or "
            "table='B19013'",
            source=vintage,
        )
    geo = client.hierarchy(year, dataset).resolve(geography, within)
    meta = client.variables(year, dataset)
    items: list[Item] = []
    notes: list[str] = []
    for label, raw in names:
        var = meta.resolve(raw)
        shown = label or var.short_name
        if by_race:
            items += _race_items(meta, var, shown, race_total)
        else:
            items.append(Item(label=shown, race=None, var=var))
    group_tables: list[str] = []
    for t in tables:
        base_vars = meta.table(t)
        if not by_race:
            items += [Item(label=v.short_name, race=None, var=v, table=t) for v in base_vars]
            group_tables.append(t)
            continue
        first = meta.table(t + "A")
        by_short = {v.short_name: v for v in base_vars}
        total_ok = race_total and all(
            (b := by_short.get(v.short_name.replace(t + "A", t, 1))) is not None
            and _same_label(v, b)
            for v in first
        )
        for letter, race_label in RACE_ITERATIONS.items():
            iteration = meta.table(t + letter)
            items += [
                Item(
                    label=v.short_name.replace(t + letter, t, 1),
                    race=race_label,
                    var=v,
                    table=t + letter,
                )
                for v in iteration
            ]
            group_tables.append(t + letter)
        if total_ok:
            wanted = {v.short_name.replace(t + "A", t, 1) for v in first}
            items = [
                Item(label=v.short_name, race=TOTAL, var=v, table=t)
                for v in base_vars
                if v.short_name in wanted
            ] + items
            group_tables.insert(0, t)
        elif race_total:
            notes.append(
                f"no {TOTAL} rows for {t}: its lines do not match those of {t}A (other layout)"
            )
    labels = [(it.label, it.race) for it in items]
    if len(set(labels)) != len(labels):
        dup = min({x for x in labels if labels.count(x) > 1}, key=str)
        raise CensusError(f"{dup[0]!r} is asked for twice; name each variable once", source=vintage)
    key = "GEO_ID" if meta.has_geo_id else None
    loose: list[str] = []
    for it in items:
        if it.table is None:
            for n in _wanted(it.var, annotations, moe):
                if n not in loose:
                    loose.append(n)
    requests = [
        DataRequest(year, dataset, get, geo.for_clause, geo.in_clause)
        for get in (_chunks(loose, key=key, name=name) if loose else [])
    ]
    requests += [
        DataRequest(year, dataset, (f"group({t})",), geo.for_clause, geo.in_clause)
        for t in group_tables
    ]
    entry = client.hierarchy(year, dataset).entries[geo.level.sumlevel]
    return Pull(
        year=year,
        dataset=dataset,
        geography=geo,
        items=tuple(items),
        requests=tuple(requests),
        geo_columns=(*entry.requires, geo.level.name),
        use_geo_id=key is not None,
        variable_dimension=len({it.label for it in items}) > 1 or bool(tables),
        race_dimension=by_race,
        moe=moe,
        notes=tuple(notes),
    )


def minimum_requests(n_variables: int, *, key: bool = True, name: bool = False) -> int:
    """Return the fewest ``get=`` requests that can carry ``n_variables`` plus the join key."""
    room = MAX_VARIABLES - (1 if key else 0)
    return max(1, math.ceil((n_variables + (1 if name else 0)) / room))


def _frame(fetched: Fetched, pull: Pull) -> pd.DataFrame | None:
    rows = fetched.rows
    if rows is None or len(rows) <= 1:
        return None
    header = [str(h) for h in rows[0]]
    df = pd.DataFrame(rows[1:], columns=header, dtype=object)
    geo_cols = [c for c in pull.geo_columns if c in df.columns]
    if pull.geography.level.name not in geo_cols:
        raise CensusResponseError(
            f"the response has no {pull.geography.level.name!r} column (columns: "
            f"{', '.join(header[:8])}...)",
            request=fetched.request.label,
            source=pull.vintage,
        )
    widths = {g.name: g.width for g in GEOGRAPHIES.values()}
    widths["zip code tabulation area (or part)"] = 5
    if pull.geography.level.sumlevel in ("860", "871"):
        parts = [pull.geography.level.name]
    else:
        parts = geo_cols
    geoid = pd.Series("", index=df.index, dtype=object)
    for c in parts:
        geoid = geoid + df[c].astype(str).str.zfill(widths.get(c, 0))
    df["__geoid"] = geoid
    join = "GEO_ID" if pull.use_geo_id and "GEO_ID" in df.columns else "__geoid"
    if df[join].duplicated().any():
        dup = df.loc[df[join].duplicated(), join].iloc[0]
        raise CensusResponseError(
            f"the response repeats geography {dup!r}; it cannot be joined",
            request=fetched.request.label,
            source=pull.vintage,
        )
    return df.set_index(join, drop=False)


def _join(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    out: pd.DataFrame | None = None
    for df in frames:
        if out is None:
            out = df
            continue
        new = [c for c in df.columns if c not in out.columns]
        out = out.join(df[new], how="outer")
    assert out is not None
    return out


def run(client: CensusClient, pull: Pull, *, desc: str = "census") -> tuple[pd.DataFrame, Any]:
    """Fetch the pull's requests, join them on GEO_ID and decode every cell.

    Returns
    -------
    (pandas.DataFrame, dict)
        Long rows: ``geography``, ``NAME`` (if read), ``variable``, ``race``,
        ``value``, ``moe`` (when any variable has one), ``status``; and facts
        for provenance (retrieval time, request counts).
    """
    meta = client.variables(pull.year, pull.dataset)
    fetched = client.fetch(pull.requests, suggest=lambda n: meta.suggestions(n), desc=desc)
    frames = [f for f in (_frame(x, pull) for x in fetched) if f is not None]
    info = {
        "requests": len(fetched),
        "from_cache": sum(1 for f in fetched if f.from_cache),
        "retrieved": min((f.retrieved for f in fetched if f.retrieved), default=""),
    }
    has_moe = pull.moe and any(it.var.moe for it in pull.items)
    columns = ["geography", "NAME", "variable", "race", "value", "moe", "status"]
    if not frames:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        empty["value"] = empty["value"].astype(float)
        empty["moe"] = empty["moe"].astype(float)
        return empty, info
    wide = _join(frames)
    wide = wide.sort_values("__geoid", kind="stable")
    geoid = wide["__geoid"].to_numpy(dtype=object)
    names = wide["NAME"].to_numpy(dtype=object) if "NAME" in wide.columns else None
    n = len(wide)
    numeric = list(
        dict.fromkeys(
            c
            for it in pull.items
            for c in (it.var.name, it.var.moe if has_moe else None)
            if c is not None and c in wide.columns
        )
    )
    block = to_numbers(wide[numeric].to_numpy(dtype=object), numeric, pull.vintage)
    where = {c: j for j, c in enumerate(numeric)}

    def numbers(col: str | None, *, fill: bool) -> np.ndarray[Any, np.dtype[np.float64]] | None:
        if col is not None and col in where:
            return block[:, where[col]].copy()
        return np.full(n, np.nan) if fill else None

    def cells(col: str | None) -> np.ndarray[Any, np.dtype[np.object_]] | None:
        if col is None or col not in wide.columns:
            return None
        return wide[col].to_numpy(dtype=object)

    values, margins, statuses = [], [], []
    for it in pull.items:
        value = numbers(it.var.name, fill=True)
        assert value is not None
        margin = numbers(it.var.moe, fill=True) if has_moe and it.var.moe else None
        value, margin, status = decode_numbers(
            value,
            margin,
            estimate_annotation=cells(it.var.estimate_annotation),
            moe_annotation=cells(it.var.moe_annotation),
            names=(it.var.name, it.var.moe),
            where=pull.vintage,
        )
        values.append(value)
        margins.append(margin if margin is not None else np.full(n, np.nan))
        statuses.append(status)
    k = len(pull.items)
    long = pd.DataFrame(
        {
            "geography": np.tile(geoid, k),
            "NAME": np.tile(names, k) if names is not None else np.full(n * k, None, object),
            "variable": np.repeat(np.array([it.label for it in pull.items], dtype=object), n),
            "race": np.repeat(np.array([it.race for it in pull.items], dtype=object), n),
            "value": np.concatenate(values),
            "moe": np.concatenate(margins),
            "status": np.concatenate(statuses),
        }
    )
    return long, info
