"""Plan, fetch and decode a Census pull into a long table (internal)."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from attrs import field, frozen

from feedbackloop.census._client import MAX_VARIABLES, CensusClient, DataRequest, Fetched
from feedbackloop.census._decode import annotate, decode_block, status_text, to_numbers
from feedbackloop.census._geo import GEOGRAPHIES, GeographyQuery
from feedbackloop.census._meta import RACE_ITERATIONS, Variable, VariableTable
from feedbackloop.errors import CensusError, CensusResponseError, UnknownVariableError
from feedbackloop.series import TOTAL

__all__ = ["Chunk", "Item", "Long", "Pull", "acs_period", "decode_chunk", "plan", "run"]

F64 = np.ndarray[Any, np.dtype[np.float64]]
Obj = np.ndarray[Any, np.dtype[np.object_]]

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
    dataset = _checked_dataset(dataset, annotations)
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
    client.prefetch(year, dataset, ("geography.json", "variables.json"))
    geo = client.hierarchy(year, dataset).resolve(geography, within)
    meta = client.variables(year, dataset)
    items, group_tables, notes = _table_items(
        _variable_items(meta, names, by_race, race_total), meta, tables, by_race, race_total
    )
    _check_unique(items, vintage)
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


def _checked_dataset(dataset: str, annotations: Annotations) -> str:
    """Return the dataset path, stripped, after checking it and ``annotations``."""
    dataset = dataset.strip().strip("/")
    if not re.fullmatch(r"[a-z0-9]+(?:/[a-z0-9]+)*", dataset):
        raise CensusError(
            f"dataset {dataset!r} is not a Census API dataset path such as 'acs/acs5', "
            "'acs/acs5/profile' or 'dec/pl'"
        )
    if annotations not in (True, False, "auto"):
        raise CensusError(f"annotations must be True, False or 'auto' (got {annotations!r})")
    return dataset


def _variable_items(
    meta: VariableTable, names: list[tuple[str | None, str]], by_race: bool, race_total: bool
) -> list[Item]:
    """Return the items of the variables asked for (with their race iterations, by_race)."""
    items: list[Item] = []
    for label, raw in names:
        var = meta.resolve(raw)
        shown = label or var.short_name
        if by_race:
            items += _race_items(meta, var, shown, race_total)
        else:
            items.append(Item(label=shown, race=None, var=var))
    return items


def _table_items(
    items: list[Item], meta: VariableTable, tables: list[str], by_race: bool, race_total: bool
) -> tuple[list[Item], list[str], list[str]]:
    """Add the items of whole tables to ``items``; return them, the ``group()`` tables, notes.

    With ``by_race``, a table's all-races lines (its total), when they match the
    iterations', go first of all the items, and the table first of the requests.
    """
    group_tables: list[str] = []
    notes: list[str] = []
    for t in tables:
        base_vars = meta.table(t)
        if not by_race:
            items += [Item(label=v.short_name, race=None, var=v, table=t) for v in base_vars]
            group_tables.append(t)
            continue
        iterations, total = _race_table_items(meta, t, base_vars, race_total)
        items += iterations
        group_tables += [t + letter for letter in RACE_ITERATIONS]
        if total is not None:
            items = total + items
            group_tables.insert(0, t)
        elif race_total:
            notes.append(
                f"no {TOTAL} rows for {t}: its lines do not match those of {t}A (other layout)"
            )
    return items, group_tables, notes


def _race_table_items(
    meta: VariableTable, t: str, base_vars: list[Variable], race_total: bool
) -> tuple[list[Item], list[Item] | None]:
    """Items of table ``t``'s race iterations A–I, and of ``t`` as their total (or None).

    The total is read only if every line of ``tA`` has a line of ``t`` with the same label.
    """
    first = meta.table(t + "A")
    by_short = {v.short_name: v for v in base_vars}
    total_ok = race_total and all(
        (b := by_short.get(v.short_name.replace(t + "A", t, 1))) is not None and _same_label(v, b)
        for v in first
    )
    items = [
        Item(label=v.short_name.replace(t + letter, t, 1), race=race_label, var=v, table=t + letter)
        for letter, race_label in RACE_ITERATIONS.items()
        for v in meta.table(t + letter)
    ]
    if not total_ok:
        return items, None
    wanted = {v.short_name.replace(t + "A", t, 1) for v in first}
    total = [
        Item(label=v.short_name, race=TOTAL, var=v, table=t)
        for v in base_vars
        if v.short_name in wanted
    ]
    return items, total


def _check_unique(items: list[Item], vintage: str) -> None:
    labels = [(it.label, it.race) for it in items]
    if len(set(labels)) != len(labels):
        dup = min({x for x in labels if labels.count(x) > 1}, key=str)
        raise CensusError(f"{dup[0]!r} is asked for twice; name each variable once", source=vintage)


def minimum_requests(n_variables: int, *, key: bool = True, name: bool = False) -> int:
    """Return the fewest ``get=`` requests that can carry ``n_variables`` plus the join key."""
    room = MAX_VARIABLES - (1 if key else 0)
    return max(1, math.ceil((n_variables + (1 if name else 0)) / room))


_WIDTHS = {g.name: g.width for g in GEOGRAPHIES.values()}
_WIDTHS["zip code tabulation area (or part)"] = 5


@frozen
class Chunk:
    """One response, decoded: join keys, GEOIDs, names and numbers, one row per place."""

    keys: list[str]
    geoid: list[str]
    names: list[str | None] | None
    numeric: list[str]
    numbers: F64  # (len(numeric), rows)
    text: dict[str, Obj]


def decode_chunk(
    fetched: Fetched, pull: Pull, numeric: Sequence[str], text: Sequence[str]
) -> Chunk | None:
    """Decode one response: GEOIDs, the join key and the ``numeric`` columns as float64.

    ``None`` for an empty result (204 No Content, or a header without rows).
    """
    rows = fetched.rows
    if rows is None or len(rows) <= 1:
        return None
    header = [str(h) for h in rows[0]]
    col: dict[str, int] = {}
    for j, h in enumerate(header):
        col.setdefault(h, j)
    level = pull.geography.level
    where = fetched.request.label
    geo_cols = [c for c in pull.geo_columns if c in col]
    if level.name not in geo_cols:
        raise CensusResponseError(
            f"the response has no {level.name!r} column (columns: {', '.join(header[:8])}...)",
            request=where,
            source=pull.vintage,
        )
    grid: Obj = np.array(rows[1:], dtype=object)
    n = grid.shape[0]
    parts = [level.name] if level.sumlevel in ("860", "871") else geo_cols
    codes: list[list[str]] = []
    for c in parts:
        cells = grid[:, col[c]].tolist()
        if None in cells:
            raise CensusResponseError(
                f"row {cells.index(None) + 1} of the response has no {c!r} code; the places "
                "cannot be identified",
                request=where,
                source=pull.vintage,
            )
        width = _WIDTHS.get(c, 0)
        if any(len(v) < width for v in cells):
            cells = [v.zfill(width) for v in cells]
        codes.append(cells)
    geoid = codes[0] if len(codes) == 1 else list(map("".join, zip(*codes, strict=True)))
    keys = geoid
    if pull.use_geo_id and "GEO_ID" in col:
        ids: list[str | None] = grid[:, col["GEO_ID"]].tolist()
        # a row without GEO_ID (never seen) is joined on its GEOID instead
        keys = [k if k is not None else "\0" + g for k, g in zip(ids, geoid, strict=True)]
    if len(set(keys)) != n:
        seen: set[str] = set()
        dup = ""
        for k in keys:
            if k in seen:
                dup = k
                break
            seen.add(k)
        raise CensusResponseError(
            f"the response repeats geography {dup.lstrip(chr(0))!r}; it cannot be joined",
            request=where,
            source=pull.vintage,
        )
    names = grid[:, col["NAME"]].tolist() if "NAME" in col else None
    here = [c for c in numeric if c in col]
    if here:
        cells = grid[:, [col[c] for c in here]]
        numbers = to_numbers(cells, here, where).T.copy()
    else:
        numbers = np.empty((0, n))
    return Chunk(
        keys=keys,
        geoid=geoid,
        names=names,
        numeric=here,
        numbers=numbers,
        text={c: grid[:, col[c]].copy() for c in text if c in col},
    )


@frozen
class Long:
    """A pull in long form, as numpy arrays (one row per place and item)."""

    geography: Obj
    name: Obj
    variable: Obj
    race: Obj
    value: F64
    moe: F64
    status: Obj

    def __len__(self) -> int:
        return len(self.value)

    def frame(self) -> pd.DataFrame:
        """Return the rows as a DataFrame (``geography``, ``NAME``, ``variable``, ...)."""
        return pd.DataFrame(
            {
                "geography": self.geography,
                "NAME": self.name,
                "variable": self.variable,
                "race": self.race,
                "value": self.value,
                "moe": self.moe,
                "status": self.status,
            }
        )


def _assemble(
    chunks: Sequence[Chunk], numeric: Sequence[str], text: Sequence[str]
) -> tuple[list[str], list[str | None] | None, F64, dict[str, Obj]]:
    """Outer-join the chunks on their keys, sorted by GEOID.

    Returns the GEOIDs, names, a (len(numeric) + 1, places) block (missing
    columns and cells are NaN; the last row is all NaN) and the text columns.
    """
    first = chunks[0]
    if all(c.keys == first.keys for c in chunks[1:]):
        n = len(first.keys)
        geoid: list[str] = first.geoid
        positions: list[Any] = [slice(None)] * len(chunks)
        names = next((c.names for c in chunks if c.names is not None), None)
    else:
        index: dict[str, int] = {}
        for c in chunks:
            for k in c.keys:
                index.setdefault(k, len(index))
        n = len(index)
        positions = [np.fromiter((index[k] for k in c.keys), np.intp, len(c.keys)) for c in chunks]
        slots: list[str | None] = [None] * n
        named: list[str | None] = [None] * n
        any_names = False
        for c, pos in zip(chunks, positions, strict=True):
            for p, g in zip(pos.tolist(), c.geoid, strict=True):
                if slots[p] is None:
                    slots[p] = g
            if c.names is not None:
                any_names = True
                for p, nm in zip(pos.tolist(), c.names, strict=True):
                    if named[p] is None:
                        named[p] = nm
        geoid = [g for g in slots if g is not None]
        names = named if any_names else None
    where = {c: j for j, c in enumerate(numeric)}
    block = np.full((len(numeric) + 1, n), np.nan)
    filled: set[str] = set()
    for c, pos in zip(chunks, positions, strict=True):
        take = [(j, where[name]) for j, name in enumerate(c.numeric) if name not in filled]
        if take:
            src, dst = zip(*take, strict=True)
            if isinstance(pos, slice):
                block[list(dst)] = c.numbers[list(src)]
            else:
                block[np.ix_(list(dst), pos)] = c.numbers[list(src)]
            filled.update(c.numeric)
    texts: dict[str, Obj] = {}
    for name in text:
        for c, pos in zip(chunks, positions, strict=True):
            if name in c.text:
                if isinstance(pos, slice):
                    texts[name] = c.text[name]
                else:
                    cells = np.full(n, None, dtype=object)
                    cells[pos] = c.text[name]
                    texts[name] = cells
                break
    if any(a > b for a, b in itertools.pairwise(geoid)):
        order = sorted(range(n), key=geoid.__getitem__)
        geoid = [geoid[i] for i in order]
        names = None if names is None else [names[i] for i in order]
        block = block[:, order]
        texts = {k: v[order] for k, v in texts.items()}
    return geoid, names, block, texts


def run(client: CensusClient, pull: Pull, *, desc: str = "census") -> tuple[Long, Any]:
    """Fetch the pull's requests, join them on GEO_ID and decode every cell.

    Each response is decoded as it arrives, while the others are still in flight.

    Returns
    -------
    (Long, dict)
        Long rows: ``geography``, ``NAME`` (if read), ``variable``, ``race``,
        ``value``, ``moe`` (NaN when no variable has one), ``status``; and facts
        for provenance (retrieval time, request counts).
    """
    meta = client.variables(pull.year, pull.dataset)
    has_moe = pull.moe and any(it.var.moe for it in pull.items)
    numeric, text = _columns(pull, has_moe)
    decoded: dict[int, Chunk | None] = {}

    def on_result(i: int, fetched: Fetched) -> None:
        decoded[i] = decode_chunk(fetched, pull, numeric, text)

    fetched = client.fetch(
        pull.requests, suggest=lambda n: meta.suggestions(n), desc=desc, on_result=on_result
    )
    info = {
        "requests": len(fetched),
        "from_cache": sum(1 for f in fetched if f.from_cache),
        "retrieved": min((f.retrieved for f in fetched if f.retrieved), default=""),
    }
    chunks = [c for _, c in sorted(decoded.items()) if c is not None]
    if not chunks:
        empty_obj = np.empty(0, dtype=object)
        return Long(
            geography=empty_obj,
            name=empty_obj,
            variable=empty_obj,
            race=empty_obj,
            value=np.empty(0),
            moe=np.empty(0),
            status=empty_obj,
        ), info
    return _long(pull, has_moe, numeric, *_assemble(chunks, numeric, text)), info


def _columns(pull: Pull, has_moe: bool) -> tuple[list[str], list[str]]:
    """Return the numeric columns (estimates, MOEs) and text columns (annotations)."""
    numeric = list(
        dict.fromkeys(
            c
            for it in pull.items
            for c in (it.var.name, it.var.moe if has_moe else None)
            if c is not None
        )
    )
    text = list(
        dict.fromkeys(
            c
            for it in pull.items
            for c in (it.var.estimate_annotation, it.var.moe_annotation)
            if c is not None
        )
    )
    return numeric, text


def _long(
    pull: Pull,
    has_moe: bool,
    numeric: Sequence[str],
    geoid: list[str],
    names: list[str | None] | None,
    block: F64,
    texts: dict[str, Obj],
) -> Long:
    """Decode the joined block (sentinels, then annotations) into long rows, item by item."""
    n = len(geoid)
    k = len(pull.items)
    where = {c: j for j, c in enumerate(numeric)}
    nan_row = len(numeric)
    values = block[[where.get(it.var.name, nan_row) for it in pull.items]]
    margins: F64 | None = None
    has_margin = np.array([bool(has_moe and it.var.moe) for it in pull.items], dtype=bool)
    if has_moe:
        margins = block[
            [where.get(it.var.moe, nan_row) if it.var.moe else nan_row for it in pull.items]
        ]
    codes = decode_block(
        values,
        margins,
        moe_names=[it.var.moe for it in pull.items],
        has_margin=has_margin,
        where=pull.vintage,
    )
    for j, it in enumerate(pull.items):
        ea = texts.get(it.var.estimate_annotation) if it.var.estimate_annotation else None
        ma = texts.get(it.var.moe_annotation) if it.var.moe_annotation else None
        if ea is not None or ma is not None:
            annotate(
                values[j],
                margins[j] if margins is not None and has_margin[j] else None,
                codes[j],
                estimate_annotation=ea,
                moe_annotation=ma,
            )
    geo = np.array(geoid, dtype=object)
    return Long(
        geography=np.tile(geo, k),
        name=np.tile(np.array(names, dtype=object), k)
        if names is not None
        else np.full(n * k, None, object),
        variable=np.repeat(np.array([it.label for it in pull.items], dtype=object), n),
        race=np.repeat(np.array([it.race for it in pull.items], dtype=object), n),
        value=values.ravel(),
        moe=margins.ravel() if margins is not None else np.full(n * k, np.nan),
        status=status_text(codes.ravel()),
    )
