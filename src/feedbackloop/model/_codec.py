"""The loop document codec: plain data (as parsed from YAML) <-> the typed loop.

Every problem is collected with its document path and line before failing,
so one :class:`~feedbackloop.errors.LoopFileError` lists them all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from feedbackloop._util import DocPath, locate, shorten
from feedbackloop.errors import (
    FeedbackloopError,
    LoopFileError,
    PeriodError,
    Problem,
    TargetError,
    UnitError,
)
from feedbackloop.model._attachment import Attachment
from feedbackloop.model._indicator import (
    SLUG_PATTERN,
    Aggregation,
    Baseline,
    Direction,
    Indicator,
    MeasureKind,
    Quadrant,
    SourceSpec,
    Target,
)
from feedbackloop.model._nodes import Horizon, KeyDriver, Node, Outcome, SharedResult, Strategy
from feedbackloop.period import Period
from feedbackloop.units import parse_unit

if TYPE_CHECKING:
    from feedbackloop.model._loop import FeedbackLoop

__all__ = [
    "indicator_from_dict",
    "indicator_to_dict",
    "loop_from_dict",
    "loop_to_dict",
]

T = TypeVar("T")
L = TypeVar("L", bound="FeedbackLoop")
_SLUG = re.compile(SLUG_PATTERN + r"\Z")
_Path = DocPath


class _Reader:
    """Walks a loop document, collecting problems instead of stopping at the first."""

    def __init__(self, lines: Mapping[_Path, int] | None = None) -> None:
        self.problems: list[Problem] = []
        self.lines = lines or {}

    def fail(self, path: _Path, message: str) -> None:
        self.problems.append(Problem(locate(path, self.lines), message))

    # -- primitive fields -------------------------------------------------

    def mapping(self, value: object, path: _Path) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.fail(path, f"must be a mapping of keys to values (got {_show(value)})")
            return None
        return value

    def unknown_keys(self, data: Mapping[str, Any], allowed: Sequence[str], path: _Path) -> None:
        for key in data:
            if key not in allowed:
                self.fail((*path, str(key)), f"unknown key; expected one of {', '.join(allowed)}")

    def text(
        self,
        data: Mapping[str, Any],
        key: str,
        path: _Path,
        *,
        required: bool = False,
        default: str = "",
    ) -> str:
        if key not in data or data[key] is None:
            if required:
                self.fail((*path, key), "is required")
            return default
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail((*path, key), f"must be text (got {_show(value)})")
            return default
        out = str(value)
        if required and not out.strip():
            self.fail((*path, key), "must not be empty")
        return out

    def slug(self, data: Mapping[str, Any], key: str, path: _Path) -> str:
        value = self.text(data, key, path, required=True)
        if value and not _SLUG.match(value):
            self.fail(
                (*path, key),
                f"must be an id made of lower-case letters, digits and _ "
                f"starting with a letter (got {_show(value)})",
            )
        return value

    def slugs(self, data: Mapping[str, Any], key: str, path: _Path) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail((*path, key), f"must be a list of ids (got {_show(value)})")
            return ()
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not _SLUG.match(item):
                self.fail((*path, key, i), f"must be an id (got {_show(item)})")
            else:
                out.append(item)
        return tuple(out)

    def texts(self, data: Mapping[str, Any], key: str, path: _Path) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            self.fail((*path, key), f"must be a list of text (got {_show(value)})")
            return ()
        return tuple(value)

    def choice(
        self,
        data: Mapping[str, Any],
        key: str,
        path: _Path,
        parse: Callable[[object], T],
        *,
        required: bool = False,
    ) -> T | None:
        if key not in data or data[key] is None:
            if required:
                self.fail((*path, key), "is required")
            return None
        try:
            return parse(data[key])
        except ValueError as err:
            self.fail((*path, key), str(err))
            return None

    def boolean(self, data: Mapping[str, Any], key: str, path: _Path) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.fail((*path, key), f"must be true or false (got {_show(value)})")
            return False
        return value

    def number(self, data: Mapping[str, Any], key: str, path: _Path) -> float | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail((*path, key), f"must be a number (got {_show(value)})")
            return None
        return float(value)

    def period(self, data: Mapping[str, Any], key: str, path: _Path) -> Period | None:
        if data.get(key) is None:
            self.fail((*path, key), "is required (a period such as 2020, 2013/14 or 2015-2019)")
            return None
        try:
            return Period.parse(data[key])
        except PeriodError as err:
            self.fail((*path, key), str(err))
            return None

    def items(self, data: Mapping[str, Any], key: str, path: _Path) -> list[tuple[_Path, Any]]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail((*path, key), f"must be a list (got {_show(value)})")
            return []
        return [((*path, key, i), item) for i, item in enumerate(value)]

    def build(self, where: _Path, factory: Callable[..., T], /, **kwargs: Any) -> T | None:
        try:
            return factory(**kwargs)
        except (ValueError, TypeError, FeedbackloopError) as err:
            self.fail(where, str(err))
            return None


def _show(value: object) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return shorten(value)


# ---------------------------------------------------------------- from dict

_INDICATOR_KEYS = (
    "id",
    "name",
    "unit",
    "direction",
    "kind",
    "quadrant",
    "description",
    "dimensions",
    "proxy_for",
    "aggregation",
    "source",
    "story",
    "signed",
)
_NODE_KEYS = (
    "id",
    "title",
    "description",
    "indicators",
    "target",
    "targets",
    "contributes_to",
    "story",
)
_TARGET_KEYS = ("indicator", "baseline", "period", "value", "relative_change", "absolute_change")
_TOP_KEYS = (
    "name",
    "description",
    "indicators",
    "shared_result",
    "outcomes",
    "key_drivers",
    "strategies",
    "inventory",
    "agreements",
    "action_plan",
    "cycles",
    "data_roots",
    "places",
)
_ATTACHMENT_OPTIONS = {
    "inventory": (),
    "agreements": (),
    "action_plan": ("plan_year", "sheet", "ignore_columns"),
    "cycles": ("sheet",),
}


def _source(r: _Reader, value: object, path: _Path) -> SourceSpec | None:
    data = r.mapping(value, path)
    if data is None:
        return None
    r.unknown_keys(data, ("adapter", "engine", "path", "table", "options"), path)
    engine = r.text(data, "engine", path) or None
    table = r.text(data, "table", path) or None
    adapter = r.text(data, "adapter", path, required=engine is None) or None
    src_path = r.text(data, "path", path) or None
    options = data.get("options") or {}
    if not isinstance(options, Mapping):
        r.fail((*path, "options"), f"must be a mapping of adapter options (got {_show(options)})")
        options = {}
    return r.build(
        path,
        SourceSpec,
        adapter=adapter,
        path=src_path,
        options=dict(options),
        engine=engine,
        table=table,
    )


def _indicator(r: _Reader, value: object, path: _Path) -> Indicator | None:
    data = r.mapping(value, path)
    if data is None:
        return None
    r.unknown_keys(data, _INDICATOR_KEYS, path)
    ident = r.slug(data, "id", path)
    name = r.text(data, "name", path, required=True)
    unit = r.text(data, "unit", path, required=True)
    n_before = len(r.problems)
    if unit:
        try:
            parse_unit(unit)
        except UnitError as err:
            r.fail((*path, "unit"), str(err))
    direction = r.choice(data, "direction", path, Direction.parse, required=True)
    kind = r.choice(data, "kind", path, MeasureKind.parse) or MeasureKind.POPULATION
    quadrant = r.choice(data, "quadrant", path, Quadrant.parse)
    aggregation = r.choice(data, "aggregation", path, Aggregation.parse)
    source = _source(r, data["source"], (*path, "source")) if data.get("source") else None
    proxy = data.get("proxy_for")
    if proxy is not None and (not isinstance(proxy, str) or not _SLUG.match(proxy)):
        r.fail((*path, "proxy_for"), f"must be an indicator id (got {_show(proxy)})")
        proxy = None
    if len(r.problems) > n_before or not (ident and name and unit and direction):
        return None
    return r.build(
        path,
        Indicator,
        id=ident,
        name=name,
        unit=unit,
        direction=direction,
        kind=kind,
        quadrant=quadrant,
        description=r.text(data, "description", path),
        dimensions=r.texts(data, "dimensions", path),
        proxy_for=proxy,
        aggregation=aggregation,
        source=source,
        story=r.text(data, "story", path),
        signed=r.boolean(data, "signed", path),
    )


def _target(
    r: _Reader, value: object, path: _Path, node_indicators: tuple[str, ...]
) -> Target | None:
    data = r.mapping(value, path)
    if data is None:
        return None
    r.unknown_keys(data, _TARGET_KEYS, path)
    n_before = len(r.problems)
    indicator = data.get("indicator")
    if indicator is None and len(node_indicators) == 1:
        indicator = node_indicators[0]
    if not isinstance(indicator, str) or not _SLUG.match(indicator):
        r.fail((*path, "indicator"), "is required: the id of the indicator the target is about")
        indicator = None
    baseline = None
    bdata = r.mapping(data.get("baseline"), (*path, "baseline")) if "baseline" in data else None
    if "baseline" not in data:
        r.fail((*path, "baseline"), "is required: {period: ..., value: ...}")
    if bdata is not None:
        r.unknown_keys(bdata, ("period", "value"), (*path, "baseline"))
        bperiod = r.period(bdata, "period", (*path, "baseline"))
        bvalue = r.number(bdata, "value", (*path, "baseline"))
        if bvalue is None and "value" not in bdata:
            r.fail((*path, "baseline", "value"), "is required")
        if bperiod is not None and bvalue is not None:
            baseline = Baseline(period=bperiod, value=bvalue)
    period = r.period(data, "period", path)
    amounts = {k: r.number(data, k, path) for k in ("value", "relative_change", "absolute_change")}
    if len(r.problems) > n_before or baseline is None or period is None or indicator is None:
        return None
    try:
        return Target(indicator=indicator, baseline=baseline, period=period, **amounts)
    except TargetError as err:
        r.fail(path, str(err))
    except (ValueError, TypeError) as err:
        r.fail(path, str(err))
    return None


def _node(r: _Reader, value: object, path: _Path, cls: type[Node], **extra: Any) -> Node | None:
    data = r.mapping(value, path)
    if data is None:
        return None
    allowed = _NODE_KEYS + tuple(k for k in ("horizon", "partners") if k in extra)
    r.unknown_keys(data, allowed, path)
    n_before = len(r.problems)
    ident = r.slug(data, "id", path)
    title = r.text(data, "title", path, required=True)
    indicators = r.slugs(data, "indicators", path)
    targets: list[Target] = []
    if "target" in data and "targets" in data:
        r.fail(path, "give either target (one) or targets (a list), not both")
    if data.get("target") is not None:
        t = _target(r, data["target"], (*path, "target"), indicators)
        if t is not None:
            targets.append(t)
    for tpath, tval in r.items(data, "targets", path):
        t = _target(r, tval, tpath, indicators)
        if t is not None:
            targets.append(t)
    kwargs: dict[str, Any] = {}
    if "horizon" in extra:
        kwargs["horizon"] = r.choice(data, "horizon", path, Horizon.parse, required=True)
    if "partners" in extra:
        kwargs["partners"] = r.texts(data, "partners", path)
    contributes = r.slugs(data, "contributes_to", path)
    if len(r.problems) > n_before:
        return None
    return r.build(
        path,
        cls,
        id=ident,
        title=title,
        description=r.text(data, "description", path),
        indicators=indicators,
        targets=tuple(targets),
        contributes_to=contributes,
        story=r.text(data, "story", path),
        **kwargs,
    )


def _attachment(r: _Reader, value: object, path: _Path, key: str) -> Attachment | None:
    """Read ``file.yaml`` or ``{path: file.csv, plan_year: 2024}``."""
    if isinstance(value, str) and value.strip():
        return Attachment(value)
    data = r.mapping(value, path) if not isinstance(value, str) else None
    if data is None:
        if isinstance(value, str):
            r.fail(path, "must be a file path")
        return None
    r.unknown_keys(data, ("path", *_ATTACHMENT_OPTIONS[key]), path)
    file = r.text(data, "path", path, required=True)
    if not file.strip():
        return None
    return Attachment(file, {k: v for k, v in data.items() if k != "path"})


def _attached(r: _Reader, doc: Mapping[str, Any]) -> dict[str, Any]:
    """Read the top-level ``inventory``, ``agreements``, ``action_plan`` and ``cycles`` keys."""
    out: dict[str, Any] = {}
    for key in ("inventory", "action_plan", "cycles"):
        if doc.get(key) is not None:
            out[key] = _attachment(r, doc[key], (key,), key)
    value = doc.get("agreements")
    if value is not None:
        items = [value] if isinstance(value, str | Mapping) else value
        if not isinstance(items, list):
            r.fail(("agreements",), "must be a file path or a list of file paths")
            items = []
        path_of = (lambda i: ("agreements",)) if not isinstance(value, list) else None
        found = []
        for i, item in enumerate(items):
            where: _Path = path_of(i) if path_of else ("agreements", i)
            att = _attachment(r, item, where, "agreements")
            if att is not None:
                found.append(att)
        out["agreements"] = tuple(found)
    return out


def _places(r: _Reader, doc: Mapping[str, Any]) -> dict[str, Any]:
    """Read ``places:``: a mapping of place codes to names, or the path of a CSV file."""
    value = doc.get("places")
    if value is None:
        return {}
    if isinstance(value, str):
        if not value.strip():
            r.fail(("places",), "must not be empty: a CSV file path or a mapping of codes to names")
            return {}
        return {"places_file": value}
    data = r.mapping(value, ("places",))
    if data is None:
        return {}
    out: dict[str, str] = {}
    keys: list[object] = list(data)  # YAML keys may be numbers, whatever the annotation says
    for code, name in zip(keys, data.values(), strict=True):
        where: _Path = ("places", str(code))
        if not isinstance(code, str):
            r.fail(
                where,
                f"a place code must be quoted text (YAML read {code!r} as a number, which "
                "loses leading zeros); write it in quotes, e.g. '06001'",
            )
        elif not code.strip():
            r.fail(where, "a place code must not be blank")
        elif isinstance(name, bool) or not isinstance(name, str) or not name.strip():
            r.fail(where, f"must be the place's name as text (got {_show(name)})")
        else:
            out[code] = name
    return {"places": out}


def _attachment_to_yaml(att: Attachment) -> str | dict[str, Any]:
    if not att.options:
        return att.path
    return {"path": att.path, **dict(att.options)}


def loop_from_dict(
    data: object,
    *,
    loop_type: type[L],
    source: str = "<dict>",
    lines: Mapping[_Path, int] | None = None,
) -> L:
    """Build a :class:`FeedbackLoop` from plain data, reporting every problem at once.

    Parameters
    ----------
    data : mapping
        A document in the loop format.
    loop_type : type
        The loop class to build (:class:`FeedbackLoop` or a subclass).
    source : str
        Name used in error messages (the file name).
    lines : mapping, optional
        Document path → line number, from the YAML parser.

    Returns
    -------
    FeedbackLoop
        The loop (not yet graph-validated).

    Raises
    ------
    LoopFileError
        If any part of the document is malformed.
    """
    r = _Reader(lines)
    doc = r.mapping(data, ())
    if doc is None:
        raise LoopFileError(source, r.problems)
    r.unknown_keys(doc, _TOP_KEYS, ())
    name = r.text(doc, "name", (), required=True)
    indicators = [i for p, v in r.items(doc, "indicators", ()) if (i := _indicator(r, v, p))]
    shared = None
    if doc.get("shared_result") is None:
        r.fail(("shared_result",), "is required: every loop has exactly one shared result")
    elif isinstance(doc["shared_result"], list):
        r.fail(("shared_result",), "must be a single node (a loop has exactly one shared result)")
    else:
        shared = _node(r, doc["shared_result"], ("shared_result",), SharedResult)
    outcomes = [
        o for p, v in r.items(doc, "outcomes", ()) if (o := _node(r, v, p, Outcome, horizon=True))
    ]
    drivers = [d for p, v in r.items(doc, "key_drivers", ()) if (d := _node(r, v, p, KeyDriver))]
    strategies = [
        s
        for p, v in r.items(doc, "strategies", ())
        if (s := _node(r, v, p, Strategy, partners=True))
    ]
    attached = _attached(r, doc)
    places = _places(r, doc)
    if r.problems or shared is None:
        raise LoopFileError(source, r.problems)
    loop = r.build(
        (),
        loop_type,
        name=name,
        description=r.text(doc, "description", ()),
        shared_result=shared,
        indicators=indicators,
        outcomes=outcomes,
        key_drivers=drivers,
        strategies=strategies,
        data_roots=r.texts(doc, "data_roots", ()),
        **attached,
        **places,
    )
    if loop is None:
        raise LoopFileError(source, r.problems)
    return loop


# ------------------------------------------------------------------ to dict


def _number(x: float) -> int | float:
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def _target_to_dict(t: Target) -> dict[str, Any]:
    out: dict[str, Any] = {
        "indicator": t.indicator,
        "baseline": {"period": str(t.baseline.period), "value": _number(t.baseline.value)},
        "period": str(t.period),
    }
    for key in ("value", "relative_change", "absolute_change"):
        amount = getattr(t, key)
        if amount is not None:
            out[key] = _number(amount)
    return out


def _node_to_dict(n: Node) -> dict[str, Any]:
    out: dict[str, Any] = {"id": n.id, "title": n.title}
    if n.description:
        out["description"] = n.description
    if isinstance(n, Outcome):
        out["horizon"] = n.horizon.value
    if isinstance(n, Strategy) and n.partners:
        out["partners"] = list(n.partners)
    if n.indicators:
        out["indicators"] = list(n.indicators)
    if len(n.targets) == 1:
        out["target"] = _target_to_dict(n.targets[0])
    elif n.targets:
        out["targets"] = [_target_to_dict(t) for t in n.targets]
    if n.contributes_to:
        out["contributes_to"] = list(n.contributes_to)
    if n.story:
        out["story"] = n.story
    return out


def indicator_to_dict(i: Indicator) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": i.id,
        "name": i.name,
        "unit": i.unit,
        "direction": i.direction.value,
        "kind": i.kind.value,
    }
    if i.quadrant is not None:
        out["quadrant"] = i.quadrant.value
    if i.description:
        out["description"] = i.description
    if i.dimensions:
        out["dimensions"] = list(i.dimensions)
    if i.proxy_for:
        out["proxy_for"] = i.proxy_for
    if i.aggregation is not None:
        out["aggregation"] = i.aggregation.value
    if i.source is not None:
        src: dict[str, Any] = {}
        if i.source.adapter is not None:
            src["adapter"] = i.source.adapter
        if i.source.engine is not None:
            src["engine"] = i.source.engine
        if i.source.path is not None:
            src["path"] = i.source.path
        if i.source.table is not None:
            src["table"] = i.source.table
        if i.source.options:
            src["options"] = dict(i.source.options)
        out["source"] = src
    if i.story:
        out["story"] = i.story
    if i.signed:
        out["signed"] = True
    return out


def indicator_from_dict(data: object, *, source: str = "<dict>") -> Indicator:
    """Build one :class:`Indicator` from plain data (as in a loop file's ``indicators``)."""
    r = _Reader()
    ind = _indicator(r, data, ())
    if ind is None or r.problems:
        raise LoopFileError(source, r.problems)
    return ind


def loop_to_dict(loop: FeedbackLoop) -> dict[str, Any]:
    """Return ``loop`` as plain data that :func:`loop_from_dict` reads back equal."""
    out: dict[str, Any] = {"name": loop.name}
    if loop.description:
        out["description"] = loop.description
    out["indicators"] = [indicator_to_dict(i) for i in loop.indicators]
    out["shared_result"] = _node_to_dict(loop.shared_result)
    for key in ("outcomes", "key_drivers", "strategies"):
        nodes = getattr(loop, key)
        if nodes:
            out[key] = [_node_to_dict(n) for n in nodes]
    if loop.inventory is not None:
        out["inventory"] = _attachment_to_yaml(loop.inventory)
    if loop.agreements:
        out["agreements"] = [_attachment_to_yaml(a) for a in loop.agreements]
    if loop.action_plan is not None:
        out["action_plan"] = _attachment_to_yaml(loop.action_plan)
    if loop.cycles is not None:
        out["cycles"] = _attachment_to_yaml(loop.cycles)
    if loop.data_roots:
        out["data_roots"] = list(loop.data_roots)
    if loop.places_file is not None:
        out["places"] = loop.places_file
    elif loop.places:
        out["places"] = dict(loop.places)
    return out
