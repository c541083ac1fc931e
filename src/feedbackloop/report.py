"""One self-contained HTML progress report for a steering-committee meeting or a data walk.

The file inlines its CSS and its charts (SVG), fetches nothing, opens offline
and prints well. Its HTML comes from the Jinja2 templates in
``feedbackloop/templates`` (autoescaped: text from loops and data is never
markup), the same templates :mod:`feedbackloop.site` builds a site from; Jinja2
is the optional ``report`` extra. For every node of the loop, from the shared result down to the
strategies, it shows each indicator's latest value with its margin of error,
the change since the previous period and whether it is significant, progress to
target with a Healthy People status, a disparity table, reliability warnings
and suppressed cells, the "story behind the curve", and the Results-Based
Accountability questions for discussion (domain.md §5) prefilled with what the
data says.
"""

from __future__ import annotations

import datetime as _dt
import functools
import io
import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from attrs import field, frozen

from feedbackloop import plot
from feedbackloop._util import atomic_write_text, import_optional
from feedbackloop.errors import (
    ExportRefusedError,
    FeedbackloopError,
    SpcError,
    StatisticalWarning,
)
from feedbackloop.model import Aggregation, MeasureKind
from feedbackloop.period import Period, PeriodKind
from feedbackloop.planning import A3, CycleLog, a3
from feedbackloop.planning.actions import STATUS_ORDER
from feedbackloop.privacy import export
from feedbackloop.series import TOTAL, Status, share
from feedbackloop.spc import run_chart

if TYPE_CHECKING:
    import jinja2

    from feedbackloop.model import FeedbackLoop, Indicator, Target
    from feedbackloop.planning import ActionPlan, DataInventory, DataSharingAgreement
    from feedbackloop.series import IndicatorSeries, Provenance

__all__ = [
    "Chart",
    "IndicatorSummary",
    "ReportModel",
    "Table",
    "build_model",
    "environment",
    "for_audience",
    "render",
    "report",
    "source_text",
    "summarize",
    "svg",
]

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
    place_name : str or None
        Its name from the loop's ``places:`` table (the code when it has none).
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
    place_name: str | None = None
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
        place_name=loop.place_name(place),
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
    """Return the latest headline row at ``place`` and the latest one it may be compared with.

    That is the latest earlier period that does not overlap the latest one: multi-year ACS
    estimates are compared only across non-overlapping periods (2013-2017 with 2018-2022,
    never 2017-2021 with 2018-2022; ``shared/docs/domain.md`` 1.3, ACS General Handbook).
    ``None`` when there is no such period.
    """
    head = _headline(series, place).copy()
    head["__mid"] = [_mid(p) for p in head["period"]]
    head = head.sort_values("__mid")
    if not len(head):
        return None, None
    last = head.iloc[-1]
    latest = Period.parse(str(last["period"]))
    for i in range(len(head) - 2, -1, -1):
        candidate = head.iloc[i]
        if not Period.parse(str(candidate["period"])).overlaps(latest):
            return last, candidate
    return last, None


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


# ------------------------------------------------------------------- the model

#: Footnotes of chart and table rows.
_NOTE_WITHHELD = "withheld to protect privacy"
_NOTE_UNRELIABLE = "unreliable: coefficient of variation above 40%"
_NOTE_MISSING = "no value"

#: Periods short enough for a run chart of a program metric.
_RUN_CHART_KINDS = frozenset({PeriodKind.MONTH, PeriodKind.WEEK, PeriodKind.QUARTER})
_RUN_CHART_MIN = 10
_Z90 = 1.6448536269514722


@frozen(kw_only=True)
class Table:
    """A table ready for a template: column headers and rows of display text.

    Attributes
    ----------
    columns : tuple of str
    rows : tuple of tuple of str
        Missing values read ``—``.

    .. versionadded:: 0.1.0
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, index: bool = False) -> Table:
        """Return ``frame`` (with its index when ``index``) as display text."""
        df = frame.reset_index() if index else frame
        rows = tuple(
            tuple(_cell_text(v) for v in rec) for rec in df.itertuples(index=False, name=None)
        )
        return cls(columns=tuple(str(c) for c in df.columns), rows=rows)


def _cell_text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and bool(np.all(pd.isna(value)))):
        return "—"
    if isinstance(value, float):
        return _fmt(value)
    return str(value)


@frozen(kw_only=True)
class Chart:
    """A chart as the report and the site show it, with exactly what it plots.

    Attributes
    ----------
    id : str
        A name unique in one build, used for anchors and download file names
        (``"<indicator>-trend"``, ``"<indicator>-run"``, ``"loop"``, ``"action-plan"``).
    title : str
    svg : str
        The chart as inline SVG (``""`` when charts are off or it could not be drawn).
    data : pandas.DataFrame
        One row per thing drawn, with its ``unit``, ``moe``, ``status``,
        ``source`` and ``footnote`` where they apply. Withheld values are blank.
    note : str
        A sentence said under the chart (a run chart's signal or noise).
    problem : str
        Why there is no chart, when there is none.

    .. versionadded:: 0.1.0
    """

    id: str
    title: str
    data: pd.DataFrame = field(eq=False, repr=False)
    svg: str = field(default="", repr=False)
    note: str = ""
    problem: str = ""

    @property
    def table(self) -> Table:
        """The chart's table alternative (its source is said once, under the chart)."""
        return Table.from_frame(self.data.drop(columns=["source"], errors="ignore"))


@frozen(kw_only=True)
class ReportModel:
    """Everything the report and the site show, computed once (see :func:`build_model`).

    Attributes
    ----------
    loop : FeedbackLoop
    title : str
    as_of, generated : datetime.date
        The day plans and gaps are judged on; the day the model was made.
    illustrative : bool
    summaries : mapping of indicator id to IndicatorSummary
    charts : mapping of indicator id to tuple of Chart
        Each indicator's trend (and run chart for a program metric).
    loop_chart, gantt : Chart or None
        The loop diagram and the action plan's Gantt chart.
    sources : mapping of indicator id to str
        Where each series was read, relative to the loop's folder.
    discussion : tuple of (str, str)
        The population-accountability questions and what the data says.
    gaps, agreements : Table or None
        The data inventory's gaps and the data-sharing agreements.
    gaps_summary : str
    plan : mapping or None
        The action plan's status: ``title``, ``counts``, ``by_partner``,
        ``by_node``, ``overdue`` (Tables), ``followups``, ``flags``.
    cycles : Table or None
        The PDSA cycle log.
    a3s : tuple of A3
        One A3 per strategy when a cycle log is given.
    sections : mapping of str to str
        Extra titled HTML fragments, inserted as they are.

    .. versionadded:: 0.1.0
    """

    loop: FeedbackLoop
    title: str
    as_of: _dt.date
    generated: _dt.date
    illustrative: bool
    summaries: Mapping[str, IndicatorSummary]
    charts: Mapping[str, tuple[Chart, ...]]
    loop_chart: Chart | None
    gantt: Chart | None
    sources: Mapping[str, str]
    discussion: tuple[tuple[str, str], ...]
    gaps: Table | None = None
    gaps_summary: str = ""
    agreements: Table | None = None
    plan: Mapping[str, Any] | None = None
    cycles: Table | None = None
    a3s: tuple[A3, ...] = ()
    sections: Mapping[str, str] = field(factory=dict)

    @property
    def has_data_to_action(self) -> bool:
        """Whether any inventory, agreement, plan, cycle log or extra section is attached."""
        return any((self.gaps is not None, self.agreements, self.plan, self.cycles, self.sections))


def source_text(provenance: Provenance | None, base_dir: str | Path | None = None) -> str:
    """Say where a series came from, without naming a local absolute path.

    Files are named relative to ``base_dir`` (the loop's folder) when inside
    it, else by their file name; a census read served from the cache says so.

    Parameters
    ----------
    provenance : Provenance or None
    base_dir : path, optional

    Returns
    -------
    str
        E.g. ``"csv: data/rates.csv"`` or ``"census: https://... (from cache)"``;
        ``""`` without provenance.

    Examples
    --------
    >>> from feedbackloop.series import Provenance
    >>> source_text(Provenance(adapter="csv", source="/home/me/loop/data/x.csv"), "/home/me/loop")
    'csv: data/x.csv'
    >>> source_text(Provenance(adapter="csv", source="/tmp/elsewhere/x.csv"))
    'csv: x.csv'

    .. versionadded:: 0.1.0
    """
    if provenance is None:
        return ""
    where = _relative_source(provenance.source, base_dir)
    text = f"{provenance.adapter}: {where}" if provenance.adapter else where
    opts = provenance.options
    cached, asked = _count(opts.get("from_cache")), _count(opts.get("requests"))
    if cached and cached >= asked:
        text += " (from cache)"
    elif cached:
        text += f" ({cached} of {asked} requests from cache)"
    return text


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _relative_source(source: str, base_dir: str | Path | None) -> str:
    if "://" in source or not source:
        return source
    path = Path(source)
    if not path.is_absolute():
        return PurePosixPath(*path.parts).as_posix()
    if base_dir is not None:
        try:
            return path.relative_to(Path(base_dir).absolute()).as_posix()
        except ValueError:
            pass
    return path.name


def svg(ax: Any) -> str:
    """Return the figure of ``ax`` (an Axes or an array of them) as inline SVG text.

    .. versionadded:: 0.1.0
    """
    fig = ax.figure if hasattr(ax, "figure") else ax.flat[0].figure
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def _footnote(status: str, value: float | None, moe: float | None) -> str:
    if status in _WITHHELD:
        return f"{_NOTE_WITHHELD} ({status})"
    if value is None:
        return _NOTE_MISSING
    if moe is not None and value != 0 and moe / _Z90 / abs(value) * 100 > 40:
        return _NOTE_UNRELIABLE
    return ""


def _trend_data(
    series: IndicatorSeries, place: str, target: Target | None, source: str
) -> pd.DataFrame:
    """Return what :func:`plot.trend` draws at ``place``: the observed line and the target path."""
    head = _headline(series, place).copy()
    head["__mid"] = [_mid(p) for p in head["period"]]
    head = head.sort_values("__mid")
    rows = []
    for rec in head.to_dict("records"):
        status = str(rec["status"])
        hidden = status in _WITHHELD
        value = None if hidden else _num(rec["value"])
        moe = None if hidden or "moe" not in rec else _num(rec["moe"])
        rows.append(
            {
                "line": "observed",
                "geography": place,
                "period": str(rec["period"]),
                "value": value,
                "moe": moe,
                "unit": series.unit,
                "status": status,
                "source": source,
                "footnote": _footnote(status, value, moe),
            }
        )
    if target is not None:
        for period, value in (
            (target.baseline.period.label, target.baseline.value),
            (target.period.label, target.level),
        ):
            rows.append(
                {
                    "line": "path to target",
                    "geography": place,
                    "period": period,
                    "value": float(value),
                    "moe": None,
                    "unit": series.unit,
                    "status": "target",
                    "source": "loop file",
                    "footnote": "",
                }
            )
    return _frame(rows, ["line", "geography", "period", "value", "moe", "unit", "status"])


def _frame(rows: list[dict[str, Any]], first: list[str]) -> pd.DataFrame:
    cols = [*first, "source", "footnote"]
    return pd.DataFrame(rows, columns=cols) if rows else pd.DataFrame(columns=cols)


def _trend_chart(
    s: IndicatorSummary,
    series: IndicatorSeries,
    charts: bool,
    source: str,
    names: Mapping[str, str],
) -> Chart:
    place = str(s.place)
    ind = s.indicator
    data = _trend_data(series, place, s.target, source)
    title = f"{ind.name} over time ({names.get(place, place)})"
    if not charts:
        return Chart(id=f"{ind.id}-trend", title=title, data=data)
    try:
        one = series if len(series.geographies) == 1 else series.filter(geography=place)
        image = svg(plot.trend(one, target=s.target, names=names))
    except FeedbackloopError as err:
        return Chart(id=f"{ind.id}-trend", title=title, data=data, problem=str(err))
    return Chart(id=f"{ind.id}-trend", title=title, data=data, svg=image)


def _run_chart(
    s: IndicatorSummary,
    series: IndicatorSeries,
    charts: bool,
    source: str,
    names: Mapping[str, str],
) -> Chart | None:
    """Return a program metric's run chart (10+ monthly, weekly or quarterly periods)."""
    ind = s.indicator
    if ind.kind is not MeasureKind.PERFORMANCE or s.place is None:
        return None
    head = _headline(series, s.place)
    periods = [Period.parse(str(p)) for p in head["period"]]
    if len(periods) < _RUN_CHART_MIN or any(p.kind not in _RUN_CHART_KINDS for p in periods):
        return None
    head = head.assign(__p=[p.start for p in periods]).sort_values("__p")
    withheld = head["status"].astype(str).isin(_WITHHELD)
    y = pd.Series(
        np.where(withheld, np.nan, head["value"].to_numpy(dtype=float, na_value=np.nan)),
        index=[str(p) for p in head["period"]],
    )
    try:
        chart = run_chart(y, title=f"{ind.name} ({names.get(s.place, s.place)})")
    except SpcError as err:
        return Chart(id=f"{ind.id}-run", title=ind.name, data=_frame([], []), problem=str(err))
    frame = chart.to_frame()
    data = pd.DataFrame(
        {
            "period": [str(i) for i in frame.index],
            "value": frame["y"].to_numpy(),
            "median": frame["center"].to_numpy(),
            "signal": frame["signal"].to_numpy(),
            "unit": series.unit,
            "status": head["status"].astype(str).to_numpy(),
            "source": source,
        }
    )
    data["footnote"] = [
        _footnote(st, _num(v), None) for st, v in zip(data["status"], data["value"], strict=True)
    ]
    image = svg(chart.plot()) if charts else ""
    title = f"Run chart: {ind.name} ({names.get(s.place, s.place)})"
    return Chart(id=f"{ind.id}-run", title=title, data=data, svg=image, note=chart.describe())


def _loop_chart(loop: FeedbackLoop, status: Mapping[str, str], charts: bool) -> Chart:
    rows = [
        {
            "node": n.id,
            "title": n.title,
            "tier": n.tier.label,
            "contributes_to": ", ".join(n.contributes_to),
            "status": status.get(n.id, "no data"),
        }
        for n in loop.nodes
    ]
    data = pd.DataFrame(rows, columns=["node", "title", "tier", "contributes_to", "status"])
    image = svg(plot.loop(loop, status=status)) if charts else ""
    return Chart(id="loop", title=f"The loop: {loop.name}", data=data, svg=image)


def _gantt_chart(plan: ActionPlan, loop: FeedbackLoop, day: _dt.date, charts: bool) -> Chart:
    rows = [
        {
            "task": a.task,
            "group": a.group,
            "responsible": ", ".join(a.responsible),
            "nodes": ", ".join(a.nodes),
            "start": a.start.isoformat() if a.start else None,
            "stop": a.stop.isoformat() if a.stop else None,
            "completed": a.completed.isoformat() if a.completed else None,
            "status": str(a.status(day)),
        }
        for a in plan.actions
    ]
    data = pd.DataFrame(rows, columns=["task", "group", "responsible", "nodes", "start", "stop"])
    if rows:
        data = pd.DataFrame(rows)
    image = svg(plot.gantt(plan, as_of=day, loop=loop)) if charts and len(plan) else ""
    title = f"{plan.name or 'Action plan'} as of {day.isoformat()}"
    return Chart(id="action-plan", title=title, data=data, svg=image)


def _indicator_charts(
    s: IndicatorSummary,
    series: IndicatorSeries | None,
    charts: bool,
    source: str,
    names: Mapping[str, str],
) -> tuple[Chart, ...]:
    if series is None or not s.has_data or s.place is None:
        return ()
    out = [_trend_chart(s, series, charts, source, names)]
    run = _run_chart(s, series, charts, source, names)
    if run is not None:
        out.append(run)
    return tuple(out)


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


def _discussion(
    loop: FeedbackLoop, summaries: Mapping[str, IndicatorSummary]
) -> tuple[tuple[str, str], ...]:
    """Return the population-accountability questions, each with what the data says."""
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
    return tuple((q, hints.get(i, "")) for i, q in enumerate(POPULATION_QUESTIONS, start=1))


def _gaps(
    inventory: DataInventory, loop: FeedbackLoop, data: Mapping[str, IndicatorSeries], day: _dt.date
) -> tuple[Table, str]:
    gaps = inventory.gaps(loop, data, as_of=day)
    cols = ["indicator", "gap", "detail", "importance", "owner", "acquisition"]
    if not len(gaps):
        return Table.from_frame(pd.DataFrame(columns=cols)), ""
    counts = gaps["gap"].value_counts()
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    return Table.from_frame(gaps[cols]), summary


def _agreements(agreements: Sequence[DataSharingAgreement], day: _dt.date) -> Table:
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
    return Table.from_frame(pd.DataFrame(rows))


def _plan(plan: ActionPlan, loop: FeedbackLoop, day: _dt.date) -> dict[str, Any]:
    """Return the action plan's status for the templates."""
    st = plan.status(day, loop=loop)
    overdue = st.overdue
    cols = ["task", "deliverable", "responsible", "stop", "days_late"]
    return {
        "title": plan.name or "Action plan",
        "size": len(plan),
        "counts": ", ".join(f"{st.count(s)} {s}" for s in STATUS_ORDER if st.count(s)),
        "by_partner": Table.from_frame(st.by_partner, index=True),
        "by_node": Table.from_frame(st.by_node, index=True),
        "overdue": Table.from_frame(overdue[cols]) if len(overdue) else None,
        "followups": [
            (party, [str(f) for f in items])
            for party, items in plan.followups(day).by_party().items()
        ],
        "flags": [str(p) for p in st.flags],
    }


def _cycles(log: CycleLog, day: _dt.date) -> Table:
    rows = [
        {
            "cycle": c.label,
            "strategy": c.strategy,
            "objective": c.objective,
            "start": c.start.isoformat(),
            "end": c.end.isoformat(),
            "study due": c.study_due.isoformat(),
            "status": str(c.status(day)),
        }
        for c in log.cycles
    ]
    return Table.from_frame(pd.DataFrame(rows))


def build_model(
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
    cycles: CycleLog | None = None,
    as_of: _dt.date | None = None,
    base_dir: str | Path | None = None,
) -> ReportModel:
    """Compute what the report and the site show (see :func:`report` for the parameters).

    ``data`` is shown as given: pass it through :func:`for_audience` first.
    ``base_dir`` is the loop's folder, which sources are named relative to.

    Returns
    -------
    ReportModel

    .. versionadded:: 0.1.0
    """
    day = as_of or _dt.date.today()
    summaries = {i.id: summarize(loop, i, data.get(i.id)) for i in loop.indicators}
    sources = {k: source_text(s.provenance, base_dir) for k, s in data.items()}
    names = loop.place_names()
    ind_charts = {
        i: _indicator_charts(summaries[i], data.get(i), charts, sources.get(i, ""), names)
        for i in summaries
    }
    gaps, gaps_summary = (None, "")
    if inventory is not None:
        gaps, gaps_summary = _gaps(inventory, loop, data, day)
    a3s = tuple(
        a3(loop, s.id, data=data, cycles=cycles, plan=action_plan, as_of=day)
        for s in (loop.strategies if cycles is not None else ())
    )
    return ReportModel(
        loop=loop,
        title=title or loop.name,
        as_of=day,
        generated=_dt.date.today(),
        illustrative=illustrative,
        summaries=summaries,
        charts=ind_charts,
        loop_chart=_loop_chart(loop, _node_status(loop, summaries), charts),
        gantt=None if action_plan is None else _gantt_chart(action_plan, loop, day, charts),
        sources=sources,
        discussion=_discussion(loop, summaries),
        gaps=gaps,
        gaps_summary=gaps_summary,
        agreements=_agreements(agreements, day) if agreements else None,
        plan=None if action_plan is None else _plan(action_plan, loop, day),
        cycles=None if cycles is None else _cycles(cycles, day),
        a3s=a3s,
        sections=dict(extra_sections or {}),
    )


# ------------------------------------------------------------------- templates


def _percent(share_: Any, moe: Any = None) -> str:
    """Format a share (a fraction) as a percentage, with its margin when known."""
    s, m = _num(share_), _num(moe)
    if s is None:
        return "—"
    text = f"{100 * s:.1f}%"
    return text if m is None else f"{text} ± {100 * m:.1f} pp"


def _fmt_filter(value: Any, unit: str = "") -> str:
    return _fmt(_num(value), unit)


@functools.cache
def environment() -> jinja2.Environment:
    """Return the Jinja2 environment of the report and site templates.

    Autoescaping is on for every template: text from loop files and data
    (titles, labels, stories) is always shown as text, never run as markup.

    Returns
    -------
    jinja2.Environment

    Raises
    ------
    MissingDependencyError
        Jinja2 (the ``report`` extra) is not installed.

    .. versionadded:: 0.1.0
    """
    j2 = import_optional("jinja2", extra="report", purpose="writing HTML reports")
    env: jinja2.Environment = j2.Environment(
        loader=j2.PackageLoader("feedbackloop", "templates"),
        autoescape=j2.select_autoescape(("html", "svg", "xml"), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=j2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters.update(
        fmt=_fmt_filter, percent=_percent, yes_no=_yes_no, num=_num, badge=_badge_class
    )
    env.globals.update(WITHHELD=_WITHHELD, TOTAL=TOTAL, PERFORMANCE_QUESTIONS=PERFORMANCE_QUESTIONS)
    return env


def _badge_class(status: str | None) -> str:
    return "" if status is None else status.replace(" ", "-")


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
    cycles: CycleLog | None = None,
    base_dir: str | Path | None = None,
) -> str:
    """Return the report as one HTML string (see :func:`report`)."""
    model = build_model(
        loop,
        data,
        title=title,
        charts=charts,
        extra_sections=extra_sections,
        illustrative=illustrative,
        inventory=inventory,
        agreements=agreements,
        action_plan=action_plan,
        cycles=cycles,
        as_of=as_of,
        base_dir=base_dir,
    )
    return environment().get_template("report.html").render(m=model, site=False)


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
    cycles: CycleLog | None = None,
    base_dir: str | Path | None = None,
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
    cycles : CycleLog, optional
        Shown as the PDSA cycles, and one A3 page per strategy.
    base_dir : path, optional
        The loop's folder: sources are named relative to it (never by an
        absolute local path; see :func:`source_text`).

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
        cycles=cycles,
        base_dir=base_dir,
    )
    atomic_write_text(out, text)
    return out
