"""The A3: one page per strategy, from the loop, its data, its cycle log and its action plan.

Toyota's A3 (a sheet of A3 paper) tells one improvement story on one page. Here
it is assembled from what the partnership already keeps:

- **background**: the strategy's A3 notes in the cycle log, else its description
  (else its title);
- **current condition**: the latest value of each watched indicator (the
  strategy's indicators and those its cycles watch) with its run chart;
- **target condition**: the loop's targets on the strategy and on the nodes it
  contributes to;
- **root causes**: free text from the cycle log's ``a3:`` section;
- **countermeasures**: the strategy's PDSA cycles;
- **follow-up**: the actions of the action plan that serve the strategy.
"""

from __future__ import annotations

import datetime as _dt
import math
import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from feedbackloop.errors import LoopError, SpcError
from feedbackloop.model import Strategy
from feedbackloop.period import Period
from feedbackloop.planning.actions import Action, ActionPlan
from feedbackloop.planning.cycles import CycleLog, PdsaCycle
from feedbackloop.series import TOTAL, IndicatorSeries
from feedbackloop.spc import SpcChart, run_chart

if TYPE_CHECKING:
    from feedbackloop.model import FeedbackLoop

__all__ = ["A3", "A3Metric", "A3Target", "a3"]

_WIDTH = 88


@frozen(kw_only=True)
class A3Metric:
    """A watched indicator in an A3's current condition.

    Attributes
    ----------
    indicator, name, unit : str
        The indicator's id, name and unit.
    period : str or None
        The latest period with a value (``None`` without data).
    value : float or None
        Its value (for one place and category: the series' only cell, or its
        total when it has one place).
    chart : SpcChart or None
        The run chart of every period (``None`` without a chartable cell).
    note : str
        Why there is no value or chart, or which cell is shown.

    .. versionadded:: 0.1.0
    """

    indicator: str
    name: str
    unit: str
    period: str | None = None
    value: float | None = None
    chart: SpcChart | None = field(default=None, eq=False, repr=False)
    note: str = ""

    def __str__(self) -> str:
        if self.value is None:
            head = f"{self.name}: no value"
        else:
            head = f"{self.name}: {self.value:g} {self.unit} in {self.period}"
        if self.note:
            head += f" ({self.note})"
        if self.chart is not None:
            head += f". {self.chart.describe()}"
        return head


@frozen(kw_only=True)
class A3Target:
    """A target in an A3's target condition: a node's target on one indicator.

    .. versionadded:: 0.1.0
    """

    node: str
    node_title: str
    indicator: str
    indicator_name: str
    unit: str
    baseline_period: str
    baseline_value: float
    level: float
    period: str

    def __str__(self) -> str:
        return (
            f"{self.node_title}: {self.indicator_name} {self.level:g} {self.unit} by "
            f"{self.period} (baseline {self.baseline_value:g} in {self.baseline_period})"
        )


@frozen(kw_only=True)
class A3:
    """A strategy's A3 one-pager (see :func:`a3`).

    ``str()`` gives the printable page; :meth:`to_dict` plain data for reports.

    .. versionadded:: 0.1.0
    """

    strategy: str
    title: str
    partners: tuple[str, ...]
    as_of: _dt.date
    background: str
    current: tuple[A3Metric, ...]
    targets: tuple[A3Target, ...]
    contributes_to: tuple[str, ...]
    root_causes: str
    countermeasures: tuple[PdsaCycle, ...]
    follow_up: tuple[Action, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the A3 as plain data (dates as ISO text; charts as their description)."""
        return {
            "strategy": self.strategy,
            "title": self.title,
            "partners": list(self.partners),
            "as_of": self.as_of.isoformat(),
            "background": self.background,
            "current_condition": [_metric_dict(m) for m in self.current],
            "target_condition": [_target_dict(t) for t in self.targets],
            "contributes_to": list(self.contributes_to),
            "root_causes": self.root_causes,
            "countermeasures": [_cycle_dict(c, self.as_of) for c in self.countermeasures],
            "follow_up": [_action_dict(a, self.as_of) for a in self.follow_up],
        }

    def __str__(self) -> str:
        rule = "=" * _WIDTH
        lines = [rule, _wrap(f"A3 — {self.title} [{self.strategy}]"), f"as of {self.as_of}"]
        if self.partners:
            lines.append(_wrap("Partners: " + ", ".join(self.partners)))
        lines.append(rule)
        lines += _section("1. Background", [self.background or "(none written)"])
        lines += _section(
            "2. Current condition", [str(m) for m in self.current] or ["(no watched indicator)"]
        )
        targets = [str(t) for t in self.targets]
        if not targets:
            moves = ", ".join(self.contributes_to) or "no node"
            targets = [f"(no target set on the strategy or on {moves})"]
        lines += _section("3. Target condition", targets)
        lines += _section("4. Root causes", [self.root_causes or "(none written)"])
        lines += _section(
            "5. Countermeasures (PDSA cycles)",
            [_cycle_line(c, self.as_of) for c in self.countermeasures] or ["(no cycle yet)"],
        )
        lines += _section(
            "6. Follow-up (action plan)",
            [_action_line(a, self.as_of) for a in self.follow_up] or ["(no action in the plan)"],
        )
        return "\n".join(lines)


def _wrap(text: str, indent: str = "") -> str:
    return "\n".join(
        textwrap.fill(p, _WIDTH, initial_indent=indent, subsequent_indent=indent) or indent
        for p in text.splitlines() or [""]
    )


def _section(heading: str, items: list[str]) -> list[str]:
    out = ["", heading, "-" * len(heading)]
    for item in items:
        out.append(_wrap(item, "  "))
    return out


def _cycle_line(c: PdsaCycle, as_of: _dt.date) -> str:
    act = f"; act: {c.act}" if c.act is not None and c.is_closed(as_of) else ""
    return f"{c.label}, {c.start} to {c.end} [{c.status(as_of)}]: {c.objective}{act}"


def _action_line(a: Action, as_of: _dt.date) -> str:
    who = f" ({'; '.join(a.responsible)})" if a.responsible else ""
    due = f", due {a.stop}" if a.stop else ""
    return f"{a.task}{who}{due} [{a.status(as_of)}]"


def _metric_dict(m: A3Metric) -> dict[str, Any]:
    chart = None
    if m.chart is not None:
        chart = {
            "kind": m.chart.kind,
            "points": len(m.chart.y),
            "center": _number(m.chart.center.iloc[-1]) if len(m.chart.center) else None,
            "signals": m.chart.signals.astype({"start": str, "end": str}).to_dict("records"),
            "describe": m.chart.describe(),
        }
    return {
        "indicator": m.indicator,
        "name": m.name,
        "unit": m.unit,
        "period": m.period,
        "value": m.value,
        "chart": chart,
        "note": m.note,
    }


def _number(value: object) -> float | None:
    x = float(value)  # type: ignore[arg-type]
    return None if math.isnan(x) else x


def _target_dict(t: A3Target) -> dict[str, Any]:
    return {
        "node": t.node,
        "node_title": t.node_title,
        "indicator": t.indicator,
        "indicator_name": t.indicator_name,
        "unit": t.unit,
        "baseline": {"period": t.baseline_period, "value": t.baseline_value},
        "level": t.level,
        "period": t.period,
    }


def _cycle_dict(c: PdsaCycle, as_of: _dt.date) -> dict[str, Any]:
    return {
        "number": c.number,
        "series": c.series,
        "objective": c.objective,
        "start": c.start.isoformat(),
        "end": c.end.isoformat(),
        "status": c.status(as_of).value,
        "act": c.act.value if c.act is not None and c.is_closed(as_of) else None,
        "indicators": list(c.indicators),
    }


def _action_dict(a: Action, as_of: _dt.date) -> dict[str, Any]:
    return {
        "task": a.task,
        "responsible": list(a.responsible),
        "start": a.start.isoformat() if a.start else None,
        "stop": a.stop.isoformat() if a.stop else None,
        "status": a.status(as_of).value,
    }


# ----------------------------------------------------------------- assembly


def _strategy(loop: FeedbackLoop, strategy_id: str) -> Strategy:
    node = loop.node(strategy_id)
    if not isinstance(node, Strategy):
        ids = ", ".join(s.id for s in loop.strategies) or "none"
        raise LoopError(
            f"{strategy_id!r} is a {node.kind.replace('_', ' ')}, not a strategy; an A3 is "
            f"about a strategy (strategies: {ids})"
        )
    return node


def _chartable(series: IndicatorSeries) -> tuple[IndicatorSeries | None, str]:
    """Return the one cell of ``series`` to chart, and a note on the choice (or why none)."""
    others = [k for k in series.keys if k not in ("period", "geography")]
    one = series
    note = ""
    if others:
        where = dict.fromkeys(others, TOTAL)
        if all((series.frame[k] == TOTAL).any() for k in others):
            one = series.filter(**where)
            note = "all groups (total)"
    places = one.geographies
    if len(places) > 1:
        return None, f"{len(places)} places: chart one with feedbackloop.spc.charts"
    cells = [k for k in one.keys if k != "period"]
    if cells and one.frame.groupby(cells, observed=True).ngroups > 1:
        return None, "several categories and no total: chart them with feedbackloop.spc.charts"
    return one, note


def _metric(loop: FeedbackLoop, ind_id: str, data: Mapping[str, IndicatorSeries]) -> A3Metric:
    ind = loop.indicator(ind_id)
    series = data.get(ind_id)
    if series is None or not len(series.frame):
        return A3Metric(indicator=ind.id, name=ind.name, unit=ind.unit, note="no data collected")
    one, note = _chartable(series)
    if one is None:
        return A3Metric(indicator=ind.id, name=ind.name, unit=ind.unit, note=note)
    frame = one.frame[one.frame["value"].notna()]
    if not len(frame):
        note = "no value published (suppressed or missing)"
        return A3Metric(indicator=ind.id, name=ind.name, unit=ind.unit, note=note)
    order = sorted(range(len(frame)), key=lambda i: Period.parse(frame["period"].iloc[i]))
    last = frame.iloc[order[-1]]
    try:
        chart: SpcChart | None = run_chart(one, title=ind.name)
    except SpcError as err:
        chart, note = None, f"{note}; no chart: {err}" if note else f"no chart: {err}"
    return A3Metric(
        indicator=ind.id,
        name=ind.name,
        unit=ind.unit,
        period=str(last["period"]),
        value=float(last["value"]),
        chart=chart,
        note=note,
    )


def _targets(loop: FeedbackLoop, strategy: Strategy) -> tuple[A3Target, ...]:
    out = []
    for node_id in (strategy.id, *strategy.contributes_to):
        if node_id not in loop:
            continue
        node = loop.node(node_id)
        for t in node.targets:
            ind = loop.indicator(t.indicator)
            out.append(
                A3Target(
                    node=node.id,
                    node_title=node.title,
                    indicator=ind.id,
                    indicator_name=ind.name,
                    unit=ind.unit,
                    baseline_period=str(t.baseline.period),
                    baseline_value=t.baseline.value,
                    level=t.level,
                    period=str(t.period),
                )
            )
    return tuple(out)


def a3(
    loop: FeedbackLoop,
    strategy_id: str,
    *,
    data: Mapping[str, IndicatorSeries] | None = None,
    cycles: CycleLog | None = None,
    plan: ActionPlan | None = None,
    as_of: _dt.date | None = None,
) -> A3:
    """Assemble the A3 one-pager of one strategy.

    Parameters
    ----------
    loop : FeedbackLoop
    strategy_id : str
        The strategy's id.
    data : mapping of str to IndicatorSeries, optional
        The loop's data (a :class:`~feedbackloop.adapters.CollectResult`, or
        any mapping of indicator id to series).
    cycles : CycleLog, optional
        The cycle log: the strategy's cycles and its A3 notes.
    plan : ActionPlan, optional
        The action plan: the actions that serve the strategy.
    as_of : datetime.date, optional
        The date cycles and actions are judged on (default: today).

    Returns
    -------
    A3

    Raises
    ------
    UnknownNodeError
        If the loop has no node ``strategy_id``.
    LoopError
        If the node is not a strategy.
    KeyError
        If a cycle watches an indicator the loop does not define.
    """
    strategy = _strategy(loop, strategy_id)
    day = as_of if as_of is not None else _dt.date.today()
    mine = cycles.for_strategy(strategy.id) if cycles is not None else ()
    notes = cycles.a3.get(strategy.id) if cycles is not None else None
    watched = list(dict.fromkeys([*strategy.indicators, *(i for c in mine for i in c.indicators)]))
    background = (notes.background if notes else "") or strategy.description or strategy.title
    titles = [loop.node(n).title for n in strategy.contributes_to if n in loop]
    return A3(
        strategy=strategy.id,
        title=strategy.title,
        partners=strategy.partners,
        as_of=day,
        background=background,
        current=tuple(_metric(loop, i, data or {}) for i in watched),
        targets=_targets(loop, strategy),
        contributes_to=tuple(titles),
        root_causes=notes.root_causes if notes else "",
        countermeasures=mine,
        follow_up=plan.for_node(strategy.id) if plan is not None else (),
    )
