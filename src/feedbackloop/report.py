"""One self-contained HTML progress report for a steering-committee meeting or a data walk.

The file inlines its CSS and its charts (SVG), fetches nothing, opens offline
and prints well. For every node of the loop, from the shared result down to the
strategies, it shows each indicator's latest value with its margin of error,
the change since the previous period and whether it is significant, progress to
target with a Healthy People status, a disparity table, reliability warnings
and suppressed cells, the "story behind the curve", and the Results-Based
Accountability questions for discussion (domain.md §5) prefilled with what the
data says.
"""

from __future__ import annotations

import datetime as _dt
import html
import io
import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from attrs import field, frozen

from feedbackloop import plot
from feedbackloop._util import atomic_write_text
from feedbackloop.errors import ExportRefusedError, FeedbackloopError, StatisticalWarning
from feedbackloop.model import Aggregation
from feedbackloop.period import Period
from feedbackloop.planning.actions import STATUS_ORDER
from feedbackloop.privacy import export
from feedbackloop.series import TOTAL, Status, share

if TYPE_CHECKING:
    from feedbackloop.model import FeedbackLoop, Indicator, Node, Target
    from feedbackloop.planning import ActionPlan, DataInventory, DataSharingAgreement
    from feedbackloop.series import IndicatorSeries

__all__ = ["IndicatorSummary", "for_audience", "render", "report", "summarize"]

#: Statuses of withheld rows: suppressed cells and numbers derived from them.
_WITHHELD = frozenset(s.value for s in Status if s.is_suppressed)

POPULATION_QUESTIONS = (
    (
        "What are the quality-of-life conditions (results) we want for the children, adults "
        "and families in our community?"
    ),
    "What would these conditions look like if we could see them?",
    "How can we measure these conditions?",
    "How are we doing on the most important of these measures?",
    "Who are the partners that have a role to play in doing better?",
    "What works to do better, including no-cost and low-cost ideas?",
    "What do we propose to do?",
)

PERFORMANCE_QUESTIONS = (
    "Who are our customers?",
    "How can we measure if our customers are better off?",
    "How can we measure if we are delivering services well?",
    "How are we doing on the most important of these measures?",
    "Who are the partners with a role to play in doing better?",
    "What works to do better than baseline, including no-cost and low-cost ideas?",
    "What do we propose to do?",
)


@frozen(kw_only=True)
class IndicatorSummary:
    """What the report says about one indicator (made by :func:`summarize`).

    Attributes
    ----------
    indicator : Indicator
    has_data : bool
        Whether there is a non-empty series; when not, every other field but
        ``target`` keeps its default.
    place : str or None
        The place headlined: the only one, else the one with most rows.
    period : str or None
        The latest period with a total for ``place``.
    value, moe : float or None
        Its value and 90% margin of error.
    status : str or None
        Its row status (``estimate``, ``suppressed``...).
    previous : str or None
        The period before ``period``.
    change, change_moe : float or None
        The change since ``previous`` and its margin of error.
    significant : bool or None
        Whether the change is statistically significant (``None``: unknown).
    change_status : str or None
        The change's status: ``suppressed_derived`` when it is withheld because
        one of its periods is suppressed (``change`` is then ``None``).
    progress : str or None
        The Healthy People status of progress to ``target``
        (``suppressed_derived`` when withheld).
    percent_achieved : float or None
        The share of the targeted change achieved, in percent.
    target : Target or None
        The target a loop node sets on the indicator.
    unreliable : tuple of str
        Categories of the latest period whose CV is above 40%.
    suppressed : int
        How many cells are withheld.
    disparities : pandas.DataFrame or None
        The comparison by the first dimension: for a rate or other non-count,
        each group's ratio to all (``group``, ``value``, ``moe``, ``disparity``,
        ``disparity_moe``, ``significant``, ``status``); for a count, each
        group's share of all (``group``, ``value``, ``moe``, ``share``,
        ``share_moe``, ``status``), since a count's ratio to the total is a
        share, not a disparity. Withheld comparisons have status
        ``suppressed_derived`` and no numbers.
    """

    indicator: Indicator
    has_data: bool
    place: str | None = None
    period: str | None = None
    value: float | None = None
    moe: float | None = None
    status: str | None = None
    previous: str | None = None
    change: float | None = None
    change_moe: float | None = None
    significant: bool | None = None
    progress: str | None = None
    percent_achieved: float | None = None
    target: Target | None = None
    unreliable: tuple[str, ...] = ()
    suppressed: int = 0
    disparities: pd.DataFrame | None = field(default=None, eq=False)
    change_status: str | None = None


def _place(series: IndicatorSeries) -> str:
    """Return the place the report headlines: the only one, else the one with most rows."""
    places = series.geographies
    if len(places) == 1:
        return places[0]
    counts = series.frame["geography"].value_counts()
    return str(counts.index[0])


def _headline(series: IndicatorSeries, place: str) -> pd.DataFrame:
    df = series.frame
    df = df[df["geography"] == place]
    for dim in series.dimensions:
        df = df[df[dim] == TOTAL]
    return df


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    mag = abs(value)
    text = f"{value:,.0f}" if mag >= 1000 else f"{value:,.1f}" if mag >= 10 else f"{value:,.2f}"
    return f"{text} {unit}".strip()


def _target_for(loop: FeedbackLoop, indicator: Indicator) -> Target | None:
    for node in loop.nodes:
        for t in node.targets:
            if t.indicator == indicator.id:
                return t
    return None


def summarize(
    loop: FeedbackLoop, indicator: Indicator, series: IndicatorSeries | None
) -> IndicatorSummary:
    """Compute what the report shows for one indicator.

    Returns
    -------
    IndicatorSummary
        Fields ``indicator``, ``has_data``, ``place``, ``period``, ``value``,
        ``moe``, ``status`` (row status), ``previous``, ``change``,
        ``change_moe``, ``significant``, ``progress`` (Healthy People status or
        ``None``), ``percent_achieved``, ``target``, ``unreliable`` (categories
        with CV above 40%), ``suppressed`` (count of withheld cells),
        ``disparities`` (DataFrame or ``None``).
    """
    target = _target_for(loop, indicator)
    if series is None or len(series) == 0:
        return IndicatorSummary(indicator=indicator, has_data=False, target=target)
    place = _place(series)
    last, prev = _last_two(series, place)
    period = None if last is None else str(last["period"])
    change: _Change = (None, None, None, None)
    if prev is not None and period is not None:
        change = _change(series, place, str(prev["period"]), period)
    progress, achieved = (None, None) if target is None else _progress(series, place, target)
    return IndicatorSummary(
        indicator=indicator,
        has_data=True,
        place=place,
        period=period,
        value=None if last is None else _num(last["value"]),
        moe=_num(last["moe"]) if last is not None and "moe" in last else None,
        status=None if last is None else str(last["status"]),
        previous=None if prev is None else str(prev["period"]),
        change=change[0],
        change_moe=change[1],
        significant=change[2],
        change_status=change[3],
        progress=progress,
        percent_achieved=achieved,
        target=target,
        unreliable=_unreliable(series, place, period) if period is not None else (),
        suppressed=int(series.frame["status"].isin(_WITHHELD).sum()),
        disparities=_disparities(series, place, period) if period is not None else None,
    )


def _at_total(series: IndicatorSeries, place: str) -> IndicatorSeries:
    """Return ``series`` at ``place``, with the total of every dimension."""
    sub = series.filter(geography=place)
    for dim in series.dimensions:
        sub = sub.filter(**{dim: TOTAL})
    return sub


def _last_two(series: IndicatorSeries, place: str) -> tuple[pd.Series | None, pd.Series | None]:
    """Return the latest headline row at ``place`` and the one before (``None`` when absent)."""
    head = _headline(series, place).copy()
    head["__mid"] = [_mid(p) for p in head["period"]]
    head = head.sort_values("__mid")
    last = head.iloc[-1] if len(head) else None
    prev = head.iloc[-2] if len(head) >= 2 else None
    return last, prev


#: A change, its margin of error, its significance and its status.
_Change = tuple[float | None, float | None, bool | None, str | None]


def _change(series: IndicatorSeries, place: str, before: str, after: str) -> _Change:
    """Return the headline's change from ``before`` to ``after``: MOE, significance, status."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        ch = _at_total(series, place).change(before, after)
    if not len(ch):
        return None, None, None, None
    row = ch.iloc[0]
    status = str(row["status"])
    if status in _WITHHELD:
        return None, None, None, status
    sig = row.get("significant")
    significant = None if sig is None or pd.isna(sig) else bool(sig)
    return _num(row["difference"]), _num(row.get("difference_moe")), significant, status


def _progress(
    series: IndicatorSeries, place: str, target: Target
) -> tuple[str | None, float | None]:
    """Return the Healthy People status of progress to ``target`` and the percent achieved."""
    try:
        p = _at_total(series, place).progress(target)
    except FeedbackloopError:
        return None, None
    if not len(p):
        return None, None
    return str(p.iloc[0]["status"]), _num(p.iloc[0].get("percent_of_targeted_change"))


def _unreliable(series: IndicatorSeries, place: str, period: str) -> tuple[str, ...]:
    """Return the categories of ``period`` at ``place`` whose CV is above 40%."""
    if not series.has_moe:
        return ()
    rel = series.filter(period=period, geography=place).reliability().frame
    bad = rel[rel["reliability"] == "unreliable"]
    return tuple(
        " / ".join(str(r[d]) for d in series.dimensions) or "total" for _, r in bad.iterrows()
    )


def _disparities(series: IndicatorSeries, place: str, period: str) -> pd.DataFrame | None:
    """Return the comparison by the first dimension (``None`` when there is none).

    Counts get each group's share of all; other indicators their ratio to all.
    """
    if not series.dimensions:
        return None
    dim = series.dimensions[0]
    sub = series.filter(geography=place, period=period)
    if TOTAL not in sub.categories(dim) or len(sub.categories(dim)) <= 1:
        return None
    if series.indicator.effective_aggregation is Aggregation.SUM:
        table = share(sub, dim)
        columns = ["group", "value", "moe", "share", "share_moe", "status"]
    else:
        table = sub.disparity(dim)
        columns = ["group", "value", "moe", "disparity", "disparity_moe", "significant"]
        columns.append("status")
    for other in series.dimensions[1:]:
        table = table[table[other].astype(str) == TOTAL]
    return table[columns].reset_index(drop=True)


def _yes_no(value: Any) -> str:
    # pd.isna, not "is pd.NA": a row taken out of a frame may turn NA into NaN.
    if value is None or pd.isna(value):
        return "—"
    return "yes" if bool(value) else "no"


def _num(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _mid(label: str) -> float:
    return Period.parse(label).midpoint


# ------------------------------------------------------------------- render

_CSS = """
:root { --ink:#1d1d1f; --muted:#5f6368; --line:#e3e3e3; --met:#009E73; --imp:#56B4E9;
        --flat:#999; --worse:#D55E00; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       max-width: 1100px; margin: 2rem auto; padding: 0 1.2rem; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid
var(--line); padding-bottom: .3rem; } h3 { margin: 1.2rem 0 .3rem; }
.muted { color: var(--muted); } .tier { text-transform: uppercase; letter-spacing: .05em;
font-size: .75rem; color: var(--muted); }
.node { border: 1px solid var(--line); border-radius: 8px; padding: .8rem 1rem; margin: 1rem 0;
        break-inside: avoid; page-break-inside: avoid; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .9rem; }
th, td { border-bottom: 1px solid var(--line); padding: .25rem .6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .8rem;
         color: white; background: var(--flat); }
.badge.met { background: var(--met); } .badge.improving { background: var(--imp); }
.badge.getting-worse { background: var(--worse); }
.warn { color: #8a4b00; } .story { border-left: 3px solid var(--line); padding-left: .7rem;
        font-style: italic; }
figure { margin: .5rem 0; } figure svg { max-width: 100%; height: auto; }
.illustrative { background: #fff4ce; padding: .4rem .7rem; border-radius: 6px; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-before: auto; } }
"""


def _svg(ax: Any) -> str:
    fig = ax.figure if hasattr(ax, "figure") else ax.flat[0].figure
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


#: What the report shows instead of a number derived from a suppressed cell.
_WITHHELD_NOTE = "<em>withheld</em> (derived from a suppressed cell)"


def _badge(status: str | None) -> str:
    if status is None:
        return '<span class="badge">no target</span>'
    if status in _WITHHELD:
        return f'<span class="badge">withheld</span> {_WITHHELD_NOTE}'
    cls = status.replace(" ", "-")
    return f'<span class="badge {html.escape(cls)}">{html.escape(status)}</span>'


def _indicator_html(s: IndicatorSummary, series: IndicatorSeries | None, charts: bool) -> str:
    ind: Indicator = s.indicator
    e = html.escape
    parts = [
        f'<h3 id="ind-{e(ind.id)}">{e(ind.name)} <span class="muted">({e(ind.unit)})</span></h3>'
    ]
    if ind.description:
        parts.append(f'<p class="muted">{e(ind.description)}</p>')
    if not s.has_data:
        parts.append('<p class="warn">No data yet for this indicator (see the data inventory).</p>')
        return "\n".join(parts)
    parts.append(
        "<table>"
        + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in _fact_rows(s))
        + "</table>"
    )
    if s.unreliable:
        parts.append(
            f'<p class="warn">Unreliable estimates (CV above 40%): '
            f"{e(', '.join(s.unreliable))}. Read them with care.</p>"
        )
    if s.suppressed:
        parts.append(
            f'<p class="warn">{s.suppressed} cell(s) suppressed to protect privacy; '
            "they are marked, never shown.</p>"
        )
    if charts and series is not None:
        parts.append(_trend_html(s, series))
    if s.disparities is not None and len(s.disparities):
        parts.append(_disparity_html(s.disparities))
    if ind.story:
        parts.append(f'<p class="story">{e(ind.story)}</p>')
    return "\n".join(parts)


def _fact_rows(s: IndicatorSummary) -> list[tuple[str, str]]:
    """Return the indicator's facts table as (header, cell) pairs of escaped HTML."""
    e = html.escape
    moe = f" ± {_fmt(s.moe)}" if s.moe is not None else ""
    rows = [
        ("Place", e(str(s.place))),
        (
            "Latest",
            f"{e(_fmt(s.value, s.indicator.unit))}{e(moe)} ({e(str(s.period))})"
            + (" <em>— withheld</em>" if s.status in _WITHHELD else ""),
        ),
    ]
    if s.change_status in _WITHHELD:
        rows.append(("Change since " + e(str(s.previous)), _WITHHELD_NOTE))
    elif s.change is not None:
        sig = {True: "significant", False: "not significant", None: "significance unknown"}[
            s.significant
        ]
        cm = f" ± {_fmt(s.change_moe)}" if s.change_moe is not None else ""
        rows.append(("Change since " + e(str(s.previous)), f"{e(_fmt(s.change))}{e(cm)} ({sig})"))
    if s.target is not None:
        ach = (
            f", {s.percent_achieved:.0f}% of targeted change"
            if s.percent_achieved is not None
            else ""
        )
        rows.append(("Progress to target", f"{_badge(s.progress)}{e(ach)}"))
    return rows


def _trend_html(s: IndicatorSummary, series: IndicatorSeries) -> str:
    """Return the trend chart as an inline SVG figure, or why there is none."""
    try:
        ax = plot.trend(
            series if len(series.geographies) == 1 else series.filter(geography=str(s.place)),
            target=s.target,
        )
    except FeedbackloopError as err:
        return f'<p class="muted">No chart: {html.escape(str(err))}</p>'
    return f"<figure>{_svg(ax)}</figure>"


def _disparity_html(d: pd.DataFrame) -> str:
    """Return the comparison table: shares of all (counts) or ratios to all (rates)."""
    e = html.escape
    shares = "share" in d.columns
    rows = []
    for r in d.to_dict("records"):
        cells = [e(str(r["group"])), e(_fmt(_num(r["value"])))]
        if str(r["status"]) in _WITHHELD:
            cells += ["<em>withheld</em>"] if shares else ["<em>withheld</em>", "—"]
        elif shares:
            cells.append(e(_percent(_num(r["share"]), _num(r["share_moe"]))))
        else:
            moe = _num(r["disparity_moe"])
            ratio = _fmt(_num(r["disparity"])) + ("" if moe is None else f" ± {_fmt(moe)}")
            cells += [e(ratio), _yes_no(r["significant"])]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = ["Group", "Value", "Share of all"] if shares else ["Group", "Value", "Ratio to all"]
    if not shares:
        head.append("Differs significantly")
    note = ""
    if (d["status"].astype(str).isin(_WITHHELD)).any():
        note = '<p class="muted">Withheld: derived from a suppressed cell.</p>'
    return (
        "<table><tr>"
        + "".join(f"<th>{h}</th>" for h in head)
        + "</tr>"
        + "".join(rows)
        + "</table>"
        + note
    )


def _percent(share_: float | None, moe: float | None) -> str:
    """Format a share (a fraction) as a percentage, with its margin when known."""
    if share_ is None:
        return "—"
    text = f"{100 * share_:.1f}%"
    return text if moe is None else f"{text} ± {100 * moe:.1f} pp"


def _node_html(
    node: Node,
    summaries: Mapping[str, IndicatorSummary],
    data: Mapping[str, IndicatorSeries],
    charts: bool,
) -> str:
    e = html.escape
    partners = getattr(node, "partners", ())
    bits = [
        f'<section class="node" id="node-{e(node.id)}">',
        f'<div class="tier">{e(node.tier.label)}</div><h2>{e(node.title)}</h2>',
    ]
    if partners:
        bits.append(f'<p class="muted">Partners: {e(", ".join(partners))}</p>')
    if getattr(node, "story", ""):
        bits.append(f'<p class="story">{e(node.story)}</p>')
    if not node.indicators:
        bits.append('<p class="warn">No indicator yet: how will we know it moved?</p>')
    for ind_id in node.indicators:
        bits.append(_indicator_html(summaries[ind_id], data.get(ind_id), charts))
    bits.append("</section>")
    return "\n".join(bits)


def _discussion(loop: FeedbackLoop, summaries: Mapping[str, IndicatorSummary]) -> str:
    e = html.escape
    worse = [s.indicator.name for s in summaries.values() if s.progress == "getting worse"]
    better = [s.indicator.name for s in summaries.values() if s.progress in ("met", "improving")]
    missing = [s.indicator.name for s in summaries.values() if not s.has_data]
    unreliable = [s.indicator.name for s in summaries.values() if s.unreliable]
    facts = []
    if better:
        facts.append(f"Moving the right way: {', '.join(better)}.")
    if worse:
        facts.append(f"Getting worse: {', '.join(worse)}. What is the story behind these curves?")
    if missing:
        facts.append(f"No data yet: {', '.join(missing)} (a data development agenda item).")
    if unreliable:
        facts.append(f"Unreliable for some groups: {', '.join(unreliable)}.")
    partners = sorted({p for n in loop.strategies for p in n.partners})
    hints = {
        3: "Indicators in this report: " + ", ".join(i.name for i in loop.indicators) + ".",
        4: " ".join(facts) or "Not enough data to say yet.",
        5: ("Partners named in the loop: " + ", ".join(partners) + ".") if partners else "",
    }
    items = "".join(
        f"<li>{e(q)}"
        + (f'<br><span class="muted">{e(hints[i])}</span>' if hints.get(i) else "")
        + "</li>"
        for i, q in enumerate(POPULATION_QUESTIONS, start=1)
    )
    perf = "".join(f"<li>{e(q)}</li>" for q in PERFORMANCE_QUESTIONS)
    return (
        "<h2>Questions for discussion</h2><p>Results-Based Accountability, population "
        f"accountability:</p><ol>{items}</ol><p>For each strategy (performance accountability):"
        f"</p><ol>{perf}</ol>"
    )


def _table(frame: pd.DataFrame, *, index: bool = False) -> str:
    return str(frame.to_html(index=index, na_rep="—", border=0, escape=True))


def _gaps_html(gaps: pd.DataFrame, day: _dt.date) -> str:
    head = f'<h3 id="data-gaps">Data gaps as of {day.isoformat()}</h3>'
    if not len(gaps):
        return head + "<p>No gaps: every indicator has the data and breakdowns wanted.</p>"
    counts = gaps["gap"].value_counts()
    summary = ", ".join(f"{n} {html.escape(str(k))}" for k, n in counts.items())
    cols = ["indicator", "gap", "detail", "importance", "owner", "acquisition"]
    return head + f"<p>{summary}.</p>" + _table(gaps[cols])


def _agreements_html(agreements: Sequence[DataSharingAgreement], day: _dt.date) -> str:
    rows = []
    for a in agreements:
        nxt = a.next_due(day)
        due = "—" if nxt is None else f"{nxt.due}" + (f" ({nxt.period})" if nxt.period else "")
        keep = a.retention_until(None) if isinstance(a.retention, _dt.date) else a.retention
        rows.append(
            {
                "agreement": a.title or a.id,
                "parties": ", ".join(a.parties),
                "format": a.format.value.upper(),
                "cadence": a.cadence.value,
                "next due": due,
                "audiences": ", ".join(a.audiences) or "—",
                "retention": "—" if keep is None else str(keep),
            }
        )
    return '<h3 id="agreements">Data-sharing agreements</h3>' + _table(pd.DataFrame(rows))


def _plan_html(plan: ActionPlan, loop: FeedbackLoop, day: _dt.date) -> str:
    e = html.escape
    st = plan.status(day, loop=loop)
    title = e(plan.name) if plan.name else "Action plan"
    parts = [f'<h3 id="action-plan">{title}: status as of {day.isoformat()}</h3>']
    counts = ", ".join(f"{st.count(s)} {s}" for s in STATUS_ORDER if st.count(s))
    parts.append(f"<p>{len(plan)} actions: {e(counts) or 'none'}.</p>")
    parts.append("<h4>By partner</h4>" + _table(st.by_partner, index=True))
    parts.append("<h4>By loop node</h4>" + _table(st.by_node, index=True))
    overdue = st.overdue
    parts.append('<h4 id="overdue">Overdue</h4>')
    if len(overdue):
        cols = ["task", "deliverable", "responsible", "stop", "days_late"]
        parts.append(_table(overdue[cols]))
    else:
        parts.append("<p>Nothing overdue.</p>")
    follow = plan.followups(day)
    parts.append('<h4 id="followups">Follow-ups</h4>')
    if len(follow):
        for party, items in follow.by_party().items():
            lis = "".join(f"<li>{e(str(f))}</li>" for f in items)
            parts.append(f"<p><strong>{e(party)}</strong></p><ul>{lis}</ul>")
    else:
        parts.append("<p>Nothing overdue or due soon.</p>")
    if st.flags:
        lis = "".join(f'<li class="warn">{e(str(p))}</li>' for p in st.flags)
        parts.append(f"<h4>Flags</h4><ul>{lis}</ul>")
    return "\n".join(parts)


def render(
    loop: FeedbackLoop,
    data: Mapping[str, IndicatorSeries],
    *,
    title: str | None = None,
    charts: bool = True,
    extra_sections: Mapping[str, str] | None = None,
    illustrative: bool = False,
    inventory: DataInventory | None = None,
    agreements: Sequence[DataSharingAgreement] = (),
    action_plan: ActionPlan | None = None,
    as_of: _dt.date | None = None,
) -> str:
    """Return the report as one HTML string (see :func:`report`)."""
    summaries = {i.id: summarize(loop, i, data.get(i.id)) for i in loop.indicators}
    parts = _page_head(loop, title, illustrative)
    if charts:
        status = _node_status(loop, summaries)
        parts.append(f"<figure>{_svg(plot.loop(loop, status=status))}</figure>")
    for node in loop.nodes:
        parts.append(_node_html(node, summaries, data, charts))
    parts.append(_discussion(loop, summaries))
    parts += _data_to_action(
        loop,
        data,
        day=as_of or _dt.date.today(),
        inventory=inventory,
        agreements=agreements,
        action_plan=action_plan,
        sections=extra_sections or {},
    )
    parts.append(_sources_html(data))
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)


def _page_head(loop: FeedbackLoop, title: str | None, illustrative: bool) -> list[str]:
    """Return the document's head and the report's opening paragraphs."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title or loop.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(title or loop.name)}</h1>",
        (
            f'<p class="muted">Progress report generated {_dt.date.today().isoformat()} by '
            "feedbackloop. Values are 90% margins of error where shown.</p>"
        ),
    ]
    if illustrative:
        parts.append(
            '<p class="illustrative"><strong>Illustrative data.</strong> The numbers '
            "in this report are generated, not real.</p>"
        )
    if loop.description:
        parts.append(f"<p>{e(loop.description)}</p>")
    return parts


_WORST_FIRST = ["getting worse", "little or no detectable change", "improving", "met"]


def _node_status(loop: FeedbackLoop, summaries: Mapping[str, IndicatorSummary]) -> dict[str, str]:
    """Return each node's status in the loop chart: its indicators' worst progress status."""
    status = {}
    for node in loop.nodes:
        states = [p for i in node.indicators if (p := summaries[i].progress)]
        if states:
            status[node.id] = min(
                states, key=lambda s: _WORST_FIRST.index(s) if s in _WORST_FIRST else 1
            )
    return status


def _data_to_action(
    loop: FeedbackLoop,
    data: Mapping[str, IndicatorSeries],
    *,
    day: _dt.date,
    inventory: DataInventory | None,
    agreements: Sequence[DataSharingAgreement],
    action_plan: ActionPlan | None,
    sections: Mapping[str, str],
) -> list[str]:
    """Return the section on the data inventory, agreements, action plan and extra sections.

    The values of ``sections`` are HTML fragments the caller made, inserted
    as they are; their titles are escaped.
    """
    e = html.escape
    parts = ['<h2 id="data-to-action">Data inventory, agreements and action plan</h2>']
    if inventory is not None:
        parts.append(_gaps_html(inventory.gaps(loop, data, as_of=day), day))
    if agreements:
        parts.append(_agreements_html(agreements, day))
    if action_plan is not None:
        parts.append(_plan_html(action_plan, loop, day))
    parts.extend(f"<h3>{e(k)}</h3>{v}" for k, v in sections.items())
    if inventory is None and not agreements and action_plan is None and not sections:
        parts.append(
            '<p class="muted">No data inventory, agreement or action plan attached to this '
            "loop yet (see the loop file's inventory, agreements and action_plan keys).</p>"
        )
    return parts


def _sources_html(data: Mapping[str, IndicatorSeries]) -> str:
    """Return the list of sources the data were read from ("" when none is known)."""
    sources = sorted(
        {
            f"{s.provenance.adapter}: {s.provenance.source}"
            for s in data.values()
            if s.provenance is not None
        }
    )
    if not sources:
        return ""
    e = html.escape
    return "<h2>Sources</h2><ul>" + "".join(f"<li>{e(x)}</li>" for x in sources) + "</ul>"


def for_audience(
    data: Mapping[str, IndicatorSeries],
    audience: str | None,
    agreements: Sequence[DataSharingAgreement] = (),
) -> dict[str, IndicatorSeries]:
    """Return ``data`` as ``audience`` may see it, under the data-sharing agreements.

    A series is sensitive when it is marked so (e.g. built from client records
    by :func:`feedbackloop.measures.from_records`) or when a data-sharing
    agreement covers its indicator. Sensitive series go through
    :func:`feedbackloop.privacy.export` with the audience table of the first
    agreement that covers the indicator (over
    :data:`feedbackloop.privacy.DEFAULT_AUDIENCES`); other series are public
    data (e.g. ACS estimates) and pass unchanged.

    Parameters
    ----------
    data : mapping of indicator id to IndicatorSeries
    audience : str or None
        ``"backbone"``, ``"partners"``, ``"public"`` or an audience an agreement
        defines. ``None`` is refused when any series is sensitive.
    agreements : sequence of DataSharingAgreement
        The loop's agreements (see :meth:`FeedbackLoop.attachments`).

    Returns
    -------
    dict of str to IndicatorSeries

    Raises
    ------
    feedbackloop.privacy.ExportRefusedError
        A sensitive series and no audience, or an audience that an
        agreement covering a sensitive series does not define.

    .. versionadded:: 0.1.0
    """
    out: dict[str, IndicatorSeries] = {}
    for ind_id, series in data.items():
        covering = [a for a in agreements if ind_id in a.indicators]
        if not (series.sensitive or covering):
            out[ind_id] = series
            continue
        if audience is None:
            why = (
                f"data-sharing agreement {covering[0].id!r} covers it"
                if covering
                else "it is marked sensitive"
            )
            known = sorted(
                {"backbone", "partners", "public"}.union(*(a.audiences for a in covering))
            )
            raise ExportRefusedError(
                f"indicator {ind_id!r} cannot be shared without an audience: {why}; "
                f"choose one of {', '.join(known)} (e.g. --audience public)"
            )
        policies = covering[0].audiences if covering else None
        out[ind_id] = export(series, audience, policies)
    return out


def report(
    loop: FeedbackLoop,
    data: Mapping[str, IndicatorSeries],
    path: str | Path,
    *,
    title: str | None = None,
    charts: bool = True,
    extra_sections: Mapping[str, str] | None = None,
    illustrative: bool = False,
    inventory: DataInventory | None = None,
    agreements: Sequence[DataSharingAgreement] = (),
    action_plan: ActionPlan | None = None,
    as_of: _dt.date | None = None,
    audience: str | None = None,
) -> Path:
    """Write the progress report to ``path`` as one self-contained HTML file.

    Parameters
    ----------
    loop : FeedbackLoop
    data : mapping of indicator id to IndicatorSeries
        E.g. the result of :func:`feedbackloop.collect`.
    path : path
        Where to write (atomically).
    title : str, optional
        Default the loop's name.
    charts : bool
        Draw charts (needs the ``plot`` extra).
    extra_sections : mapping of str to str, optional
        More titled HTML fragments for the inventory and action-plan section.
    illustrative : bool
        Mark the report as made from illustrative data.
    inventory : DataInventory, optional
        Shown as a table of data gaps (:meth:`DataInventory.gaps`).
    agreements : sequence of DataSharingAgreement
        Shown with their next due date and retention.
    action_plan : ActionPlan, optional
        Shown as status per partner and per loop node, overdue items,
        follow-ups and flags (:meth:`ActionPlan.status`).
    as_of : datetime.date, optional
        The day gaps, due dates and statuses are judged on (default today).
    audience : str, optional
        Who the report is for (``"backbone"``, ``"partners"``, ``"public"`` or an
        audience of an agreement): sensitive series are suppressed or rounded
        for it first (:func:`for_audience`). Required when any series is sensitive.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    feedbackloop.privacy.ExportRefusedError
        Sensitive data and no (or an unknown) audience.
    """
    out = Path(path)
    text = render(
        loop,
        for_audience(data, audience, agreements),
        title=title,
        charts=charts,
        extra_sections=extra_sections,
        illustrative=illustrative,
        inventory=inventory,
        agreements=agreements,
        action_plan=action_plan,
        as_of=as_of,
    )
    atomic_write_text(out, text)
    return out
