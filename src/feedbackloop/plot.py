"""Charts that show the trend, the target, who is left behind and how sure we are.

Every function draws with matplotlib's object-oriented API (no global
``pyplot`` state), returns the :class:`~matplotlib.axes.Axes` it drew on, and
accepts ``ax=`` to draw into an existing figure. Margins of error are drawn as
bands or error bars; suppressed and missing values are marked as such and never
plotted as numbers; unreliable estimates (CV above 40%) are drawn hollow.
matplotlib is the optional ``plot`` extra.
"""

from __future__ import annotations

import datetime as _dt
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from feedbackloop._util import import_optional
from feedbackloop.errors import SeriesError
from feedbackloop.model import Tier
from feedbackloop.period import Period
from feedbackloop.planning import Action, ActionPlan, ActionStatus
from feedbackloop.series import TOTAL, Status

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from feedbackloop.model import FeedbackLoop, Target
    from feedbackloop.series import IndicatorSeries
    from feedbackloop.spc import SpcChart

__all__ = [
    "PALETTE",
    "STATUS_COLORS",
    "breakdown",
    "disparity",
    "gantt",
    "loop",
    "spc_chart",
    "trend",
]

#: Okabe–Ito colour-blind-safe palette.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # green
    "#CC79A7",  # purple
    "#56B4E9",  # sky
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",
)

#: Colours of progress statuses (Healthy People wording) in charts and the report.
STATUS_COLORS: Mapping[str, str] = {
    "met": "#009E73",
    "improving": "#56B4E9",
    "little or no detectable change": "#999999",
    "getting worse": "#D55E00",
    "no data": "#DDDDDD",
}

_WITHHELD = frozenset(s.value for s in Status if s.is_suppressed)
_UNRELIABLE_CV = 40.0
_Z90 = 1.6448536269514722


def _axes(ax: Axes | None, figsize: tuple[float, float] = (7.0, 4.0)) -> Axes:
    if ax is not None:
        return ax
    figure = import_optional("matplotlib.figure", extra="plot", purpose="drawing charts")
    fig = figure.Figure(figsize=figsize, layout="constrained")
    new: Axes = fig.add_subplot()
    return new


def _style(ax: Axes) -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)


def _one_place(series: IndicatorSeries, geography: str | None) -> str:
    places = series.geographies
    if geography is not None:
        if geography not in places:
            raise SeriesError(
                f"geography {geography!r} is not in series {series.indicator.id!r} "
                f"(it has {', '.join(places[:8])}{'...' if len(places) > 8 else ''})"
            )
        return geography
    if len(places) != 1:
        raise SeriesError(
            f"series {series.indicator.id!r} covers {len(places)} places; pick one with "
            "geography=... (or roll it up first)"
        )
    return places[0]


def _select(
    series: IndicatorSeries, geography: str | None, where: Mapping[str, str] | None
) -> pd.DataFrame:
    """Rows of one place, with TOTAL for every dimension not fixed by ``where``."""
    place = _one_place(series, geography)
    df = series.frame
    df = df[df["geography"] == place]
    fixed = dict(where or {})
    for dim in series.dimensions:
        df = df[df[dim] == fixed.pop(dim, TOTAL)]
    if fixed:
        raise SeriesError(f"{', '.join(fixed)} is not a dimension of {series.indicator.id!r}")
    return df


def _cv(df: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
    if "moe" not in df:
        return np.full(len(df), np.nan)
    value = df["value"].to_numpy(dtype=float, na_value=np.nan)
    moe = df["moe"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: np.ndarray[Any, np.dtype[np.float64]] = moe / _Z90 / np.abs(value) * 100
    return out


def _unit_label(series: IndicatorSeries) -> str:
    return f"{series.indicator.name} ({series.unit})"


def trend(
    series: IndicatorSeries,
    *,
    geography: str | None = None,
    where: Mapping[str, str] | None = None,
    target: Target | None = None,
    forecast_until: Period | str | int | None = None,
    baseline_before: Period | str | int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Values over periods, with 90% MOE bands, baseline forecast and target path.

    Parameters
    ----------
    series : IndicatorSeries
    geography : str, optional
        The place to draw (required when the series has several).
    where : mapping, optional
        Categories to draw, e.g. ``{"race": "Black alone"}``; other dimensions
        use :data:`~feedbackloop.TOTAL`.
    target : Target, optional
        Draws the straight path from the target's baseline to its level.
    forecast_until : Period, str or int, optional
        Draws the baseline forecast (the curve if nothing changes) to this
        period, fitted on the periods up to ``baseline_before``.
    baseline_before : Period, str or int, optional
        Last period of the pre-strategy history used for the forecast.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    df = _select(series, geography, where).copy()
    df["x"] = [Period.parse(p).midpoint for p in df["period"]]
    df = df.sort_values("x")
    withheld = df["status"].isin(_WITHHELD) | df["value"].isna()
    shown = df[~withheld]
    _draw_observed(ax, shown)
    if withheld.any():
        _draw_withheld(ax, df.loc[withheld, "x"].to_numpy(dtype=float), any_shown=len(shown) > 0)
    if forecast_until is not None and len(shown) >= 2:
        place = str(df["geography"].iloc[0])
        _draw_forecast(ax, series, place, where, forecast_until, baseline_before)
    if target is not None:
        _draw_target_path(ax, target)
    place = str(df["geography"].iloc[0]) if len(df) else ""
    what = ", ".join(f"{v}" for v in (where or {}).values())
    ax.set_title(
        f"{series.indicator.name}" + (f" — {what}" if what else "") + f" ({place})",
        loc="left",
        fontsize=11,
    )
    ax.set_ylabel(series.unit)
    ax.set_xlabel("period")
    ticker = import_optional("matplotlib.ticker", extra="plot", purpose="drawing charts")
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    _style(ax)
    ax.legend(frameon=False, fontsize=8)
    return ax


def _draw_observed(ax: Axes, shown: pd.DataFrame) -> None:
    """Draw the observed line, its 90% MOE band and its points (hollow when unreliable)."""
    x = shown["x"].to_numpy(dtype=float)
    y = shown["value"].to_numpy(dtype=float, na_value=np.nan)
    color = PALETTE[0]
    ax.plot(x, y, color=color, linewidth=2, label="observed", zorder=3)
    if "moe" in shown and shown["moe"].notna().any():
        m = shown["moe"].to_numpy(dtype=float, na_value=np.nan)
        ax.fill_between(
            x, y - m, y + m, color=color, alpha=0.18, linewidth=0, label="90% margin of error"
        )
    unreliable = _cv(shown) > _UNRELIABLE_CV
    ax.scatter(x[~unreliable], y[~unreliable], color=color, zorder=4, s=24)
    if unreliable.any():
        ax.scatter(
            x[unreliable],
            y[unreliable],
            facecolors="white",
            edgecolors=color,
            zorder=4,
            s=30,
            label="unreliable (CV > 40%)",
        )


def _draw_withheld(ax: Axes, xs: np.ndarray[Any, np.dtype[np.float64]], *, any_shown: bool) -> None:
    """Mark suppressed or missing periods on the bottom edge (never as values)."""
    low = ax.get_ylim()[0] if any_shown else 0.0
    ax.scatter(
        xs,
        np.full(len(xs), low),
        marker="x",
        color="#555555",
        zorder=4,
        label="suppressed or missing",
        clip_on=False,
    )


def _draw_forecast(
    ax: Axes,
    series: IndicatorSeries,
    place: str,
    where: Mapping[str, str] | None,
    until: Period | str | int,
    before: Period | str | int | None,
) -> None:
    """Draw the baseline forecast (the curve if nothing changes), with its band."""
    sub = series.filter(geography=place)
    for dim in series.dimensions:
        sub = sub.filter(**{dim: (where or {}).get(dim, TOTAL)})
    fc = sub.baseline_forecast(until, before=before)
    fc = fc.assign(x=[Period.parse(p).midpoint for p in fc["period"]]).sort_values("x")
    fx = fc["x"].to_numpy(dtype=float)
    fy = fc["forecast"].to_numpy(dtype=float, na_value=np.nan)
    ax.plot(fx, fy, color="#777777", linestyle=":", linewidth=1.5, label="baseline forecast")
    fm = fc["forecast_moe"].to_numpy(dtype=float, na_value=np.nan)
    if np.isfinite(fm).any():
        ax.fill_between(fx, fy - fm, fy + fm, color="#777777", alpha=0.1, linewidth=0)


def _draw_target_path(ax: Axes, target: Target) -> None:
    """Draw the straight path from the target's baseline to its level, ending in a star."""
    start = target.baseline.period.midpoint
    end = target.period.midpoint
    level = float(target.level)
    ax.plot(
        [start, end],
        [target.baseline.value, level],
        color=PALETTE[2],
        linestyle="--",
        linewidth=1.5,
        label="path to target",
    )
    ax.scatter([end], [level], marker="*", s=140, color=PALETTE[2], zorder=5, label="target")


def breakdown(
    series: IndicatorSeries,
    by: str | Sequence[str],
    *,
    period: Period | str | int | None = None,
    geography: str | None = None,
    reference: str | None = None,
    ax: Axes | None = None,
) -> Axes | np.ndarray[Any, np.dtype[np.object_]]:
    """Disaggregated values as sorted bars with 90% error bars.

    With one dimension in ``by``: one panel of horizontal bars. With two
    (``["race", "geography"]``): small multiples, one panel per category of the
    second, sharing the value axis — the view that shows what a regional
    average hides.

    Parameters
    ----------
    series : IndicatorSeries
    by : str or sequence of str
        One or two dimensions (``"geography"`` counts as one).
    period : Period, str or int, optional
        Default the latest.
    geography : str, optional
        The place, when ``geography`` is not in ``by`` and the series has several.
    reference : str, optional
        A category of the first dimension to mark (e.g. the reference group).
    ax : matplotlib.axes.Axes, optional
        Only for one dimension.

    Returns
    -------
    matplotlib.axes.Axes or ndarray of Axes
    """
    dims = [by] if isinstance(by, str) else list(by)
    if not 1 <= len(dims) <= 2:
        raise SeriesError("breakdown draws one dimension, or two as small multiples")
    for d in dims:
        if d != "geography" and d not in series.dimensions:
            raise SeriesError(f"{d!r} is not a dimension of {series.indicator.id!r}")
    when = Period.parse(period) if period is not None else series.periods[-1]
    df = series.frame
    df = df[df["period"] == str(when)]
    if "geography" not in dims:
        df = df[df["geography"] == _one_place(series, geography)]
    for d in series.dimensions:
        if d not in dims:
            df = df[df[d] == TOTAL]
    df = df[df[dims[0]] != TOTAL] if dims[0] != "geography" else df
    if len(dims) == 1:
        ax = _axes(ax, (7.0, 0.45 * max(len(df), 3) + 1.2))
        _bars(ax, df, dims[0], series, reference)
        ax.set_title(f"{series.indicator.name}, {when}, by {dims[0]}", loc="left", fontsize=11)
        return ax
    panels = sorted(df[dims[1]].unique(), key=lambda v: (v == TOTAL, v))
    figure = import_optional("matplotlib.figure", extra="plot", purpose="drawing charts")
    n_rows = max(len(df[dims[0]].unique()), 3)
    fig = figure.Figure(
        figsize=(2.2 * len(panels) + 2.5, 0.45 * n_rows + 1.5), layout="constrained"
    )
    axes = fig.subplots(1, len(panels), sharex=True, squeeze=False)[0]
    for i, (panel_ax, panel) in enumerate(zip(axes, panels, strict=True)):
        _bars(panel_ax, df[df[dims[1]] == panel], dims[0], series, reference, sort=False)
        panel_ax.set_title("all" if panel == TOTAL else str(panel), fontsize=10)
        if i:  # the categories are the same in every panel: label them once
            panel_ax.tick_params(labelleft=False)
    fig.suptitle(f"{series.indicator.name}, {when}: {dims[0]} within {dims[1]}", fontsize=11)
    out: np.ndarray[Any, np.dtype[np.object_]] = axes
    return out


def _bars(
    ax: Axes,
    df: pd.DataFrame,
    dim: str,
    series: IndicatorSeries,
    reference: str | None,
    *,
    sort: bool = True,
) -> None:
    df = df.copy()
    withheld = df["status"].isin(_WITHHELD) | df["value"].isna()
    df["__v"] = df["value"].astype(float).where(~withheld, np.nan)
    df = df.sort_values(["__v", dim] if sort else [dim], na_position="first")
    labels = [str(v) for v in df[dim]]
    values = df["__v"].to_numpy(dtype=float, na_value=np.nan)
    ypos = np.arange(len(df))
    cv = _cv(df)
    colors = [
        PALETTE[1] if reference is not None and lab == reference else PALETTE[0] for lab in labels
    ]
    bars = ax.barh(ypos, np.nan_to_num(values), color=colors)
    for bar, c in zip(bars, cv, strict=True):
        if c > _UNRELIABLE_CV:  # unreliable: drawn pale and hatched, never as if sure
            bar.set_alpha(0.45)
            bar.set_hatch("//")
    if "moe" in df:
        err = df["moe"].to_numpy(dtype=float, na_value=np.nan)
        ok = np.isfinite(values) & np.isfinite(err)
        ax.errorbar(
            values[ok], ypos[ok], xerr=err[ok], fmt="none", ecolor="#333333", capsize=3, linewidth=1
        )
    for yy, v, w in zip(ypos, values, withheld.loc[df.index], strict=True):
        if w:
            note = "  suppressed / missing"
        elif not np.isfinite(v):
            note = "  no value"
        else:
            continue
        ax.text(0, float(yy), note, va="center", fontsize=8, color="#555555")
    ax.set_yticks(ypos, labels)
    ax.set_xlabel(series.unit)
    _style(ax)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    ax.grid(axis="y", visible=False)


def disparity(
    series: IndicatorSeries,
    dimension: str,
    reference: str = TOTAL,
    *,
    measure: str = "ratio",
    period: Period | str | int | None = None,
    geography: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Each group's ratio to (or gap from) the reference, with 90% intervals and parity line.

    Parameters
    ----------
    series : IndicatorSeries
    dimension : str
    reference : str
        A category or :data:`~feedbackloop.TOTAL`.
    measure : {"ratio", "difference"}
    period : Period, str or int, optional
        Default the latest.
    geography : str, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    when = Period.parse(period) if period is not None else series.periods[-1]
    place = _one_place(series, geography)
    sub = series.filter(geography=place, period=when)
    table = sub.disparity(dimension, reference, measure=measure)  # type: ignore[arg-type]
    for other in series.dimensions:
        if other != dimension:
            table = table[table[other].astype(str) == TOTAL]
    table = table.sort_values("disparity", na_position="first")
    ax = _axes(ax, (7.0, 0.45 * max(len(table), 3) + 1.2))
    y = np.arange(len(table))
    d = table["disparity"].to_numpy(dtype=float, na_value=np.nan)
    m = table["disparity_moe"].to_numpy(dtype=float, na_value=np.nan)
    sig = table["significant"].fillna(False).to_numpy(dtype=bool)
    ax.errorbar(d, y, xerr=np.where(np.isfinite(m), m, 0), fmt="none", ecolor="#555555", capsize=3)
    ax.scatter(d[sig], y[sig], color=PALETTE[5], zorder=3, label="differs from reference")
    ax.scatter(
        d[~sig],
        y[~sig],
        facecolors="white",
        edgecolors=PALETTE[0],
        zorder=3,
        label="no significant difference",
    )
    ax.axvline(1.0 if measure == "ratio" else 0.0, color="#333333", linewidth=1)
    ax.set_yticks(y, [str(g) for g in table["group"]])
    ref = "all" if reference == TOTAL else reference
    what = "ratio to" if measure == "ratio" else f"difference ({series.unit}) from"
    ax.set_xlabel(f"{what} {ref}")
    ax.set_title(
        _wrap(f"{series.indicator.name}, {when}: {dimension} vs {ref} ({place})", 60),
        loc="left",
        fontsize=11,
    )
    _style(ax)
    ax.legend(frameon=False, fontsize=8)
    return ax


def loop(
    feedback_loop: FeedbackLoop,
    *,
    status: Mapping[str, str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw the loop: tiers left to right (strategies → shared result), nodes coloured by status.

    Parameters
    ----------
    feedback_loop : FeedbackLoop
    status : mapping of node id to status, optional
        Progress statuses (keys of :data:`STATUS_COLORS`); others are grey.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    tiers = sorted(Tier)
    columns = {t: [n for n in feedback_loop.nodes if n.tier is t] for t in tiers}
    height = max((len(v) for v in columns.values()), default=1)
    ax = _axes(ax, (2.4 * len(tiers) + 1, 0.9 * height + 1.4))
    pos: dict[str, tuple[float, float]] = {}
    for i, tier in enumerate(tiers):
        nodes = columns[tier]
        for j, node in enumerate(nodes):
            pos[node.id] = (
                float(i),
                (height - 1) / 2 - j + (len(nodes) - 1) / 2 - (height - 1) / 2,
            )
        ax.text(
            i,
            height / 2 + 0.35,
            tier.label,
            ha="center",
            fontsize=9,
            color="#333333",
            fontweight="bold",
        )
    for node in feedback_loop.nodes:
        for parent in node.contributes_to:
            if parent in pos:
                (x0, y0), (x1, y1) = pos[node.id], pos[parent]
                ax.annotate(
                    "",
                    xy=(x1 - 0.42, y1),
                    xytext=(x0 + 0.42, y0),
                    arrowprops={"arrowstyle": "->", "color": "#888888", "lw": 1},
                )
    for node in feedback_loop.nodes:
        x, y = pos[node.id]
        state = (status or {}).get(node.id, "no data")
        ax.text(
            x,
            y,
            _wrap(node.title, 22),
            ha="center",
            va="center",
            fontsize=7.5,
            bbox={
                "boxstyle": "round,pad=0.35",
                "facecolor": STATUS_COLORS.get(state, "#DDD"),
                "edgecolor": "#444444",
                "linewidth": 0.6,
            },
        )
    ax.set_xlim(-0.6, len(tiers) - 0.4)
    ax.set_ylim(-height / 2 - 0.2, height / 2 + 0.7)
    ax.set_axis_off()
    ax.set_title(feedback_loop.name, loc="left", fontsize=11)
    return ax


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)[:3])


def spc_chart(chart: SpcChart, *, ax: Axes | None = None) -> Axes:
    """Draw a run or control chart: points, centre line, limits, phases and signals.

    Points that belong to a signal are drawn in vermillion and the rules that
    fired are listed under the title; limits that vary with the denominator
    are drawn as steps; a new phase starts a new centre line and new limits.

    Parameters
    ----------
    chart : SpcChart
        From :func:`feedbackloop.spc.run_chart` or :func:`~feedbackloop.spc.control_chart`.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, figsize=(8.0, 4.0))
    labels = [str(x) for x in chart.y.index]
    x = np.arange(len(labels), dtype=float)
    y = chart.y.to_numpy(dtype=float)
    ok = ~np.isnan(y)
    ax.plot(x[ok], y[ok], color=PALETTE[0], linewidth=1.5, marker="o", markersize=4, zorder=3)
    # points on the centre line neither count in a run nor break it: not drawn as signal
    hot = chart.signal_points().to_numpy() & ok & (y != chart.center.to_numpy())
    if hot.any():
        ax.plot(
            x[hot],
            y[hot],
            linestyle="none",
            marker="o",
            markersize=6,
            color=PALETTE[5],
            zorder=4,
            label="signal",
        )
    phase = chart.phase.to_numpy()
    centre_name = "median" if chart.kind == "run" else "centre"
    for ph in np.unique(phase):
        sel = phase == ph
        xs = x[sel]
        ax.step(
            xs,
            chart.center.to_numpy()[sel],
            where="mid",
            color="#333333",
            linewidth=1,
            label=centre_name if ph == 0 else None,
        )
        for limit in (chart.lower, chart.upper):
            values = limit.to_numpy()[sel]
            if not np.isnan(values).all():
                ax.step(
                    xs,
                    values,
                    where="mid",
                    color="#777777",
                    linewidth=1,
                    linestyle="--",
                    label="limits" if ph == 0 and limit is chart.upper else None,
                )
        if ph > 0:
            ax.axvline(xs[0] - 0.5, color="#999999", linewidth=0.8, linestyle=":")
    step = max(1, len(labels) // 12)
    ax.set_xticks(x[::step], labels[::step], rotation=45, ha="right", fontsize=8)
    rules = sorted(set(chart.signals["rule"])) if chart.has_signal else []
    kind = {"run": "Run chart", "xmr": "XmR chart"}.get(chart.kind, f"{chart.kind} chart")
    title = chart.title or kind
    note = ("signal: " + ", ".join(r.replace("_", " ") for r in rules)) if rules else "no signal"
    ax.set_title(f"{title}\n{note}", loc="left", fontsize=10)
    _style(ax)
    ax.legend(frameon=False, fontsize=8)
    return ax


# ------------------------------------------------------------------ gantt

#: Colours of action statuses in the Gantt chart (and, the same hex codes, in
#: :meth:`~feedbackloop.planning.ActionPlan.to_xlsx`'s Gantt sheet).
_ACTION_COLORS: Mapping[ActionStatus, str] = {
    ActionStatus.OVERDUE: PALETTE[5],  # vermillion
    ActionStatus.DUE_SOON: PALETTE[1],  # orange
    ActionStatus.IN_PROGRESS: PALETTE[0],  # blue
    ActionStatus.NOT_STARTED: PALETTE[4],  # sky
    ActionStatus.DONE_LATE: PALETTE[3],  # reddish purple
    ActionStatus.DONE_ON_TIME: PALETTE[2],  # green
}
_GANTT_LABEL = 46  # characters of a row label before the ellipsis
_GANTT_WHO = 34  # characters of the "who" note beside a bar
_GANTT_ROW = 0.27  # inches of figure height per row
_NO_GROUP = "(no group)"


def _plain(text: str) -> str:
    """Return user text so that matplotlib draws it literally (``$`` is not mathtext)."""
    return text.replace("$", r"\$")


def _clip(text: str, width: int) -> str:
    """Return ``text`` on one line, cut to ``width`` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def _gantt_sections(
    plan: ActionPlan, by: str, loop: FeedbackLoop | None
) -> list[tuple[str | None, list[Action]]]:
    """Return (section title, its actions) in drawing order; a ``None`` title has no header."""
    if by == "group":
        if plan.groups in ((), ("",)):
            return [(None, list(plan.actions))]
        return [(g or _NO_GROUP, [a for a in plan.actions if a.group == g]) for g in plan.groups]
    if by == "partner":
        sections: list[tuple[str | None, list[Action]]] = [
            (p, list(plan.for_partner(p))) for p in plan.partners
        ]
        nobody = [a for a in plan.actions if not a.responsible]
        return sections + ([("(no one responsible)", nobody)] if nobody else [])
    used = list(dict.fromkeys(n for a in plan.actions for n in a.nodes))
    if loop is not None:
        used = [n.id for n in loop.nodes if n.id in used] + [n for n in used if n not in loop]

    def title(node_id: str) -> str:
        if loop is None:
            return node_id
        return loop[node_id].title if node_id in loop else f"{node_id} (not in the loop)"

    sections = [(title(n), list(plan.for_node(n))) for n in used]
    unserved = [a for a in plan.actions if not a.nodes]
    return sections + ([("(no loop node)", unserved)] if unserved else [])


def _gantt_span(plan: ActionPlan, as_of: _dt.date) -> tuple[_dt.date, _dt.date]:
    """Return the first day of the first month and of the month after the last one shown."""
    one = _dt.timedelta(days=1)
    days = [as_of]
    for a in plan.actions:
        days += [d for d in (a.start,) if d is not None]
        days += [d + one for d in (a.stop, a.completed) if d is not None]
    lo, hi = min(days) - 7 * one, max(days) + 7 * one
    hi_month = _dt.date(hi.year + hi.month // 12, hi.month % 12 + 1, 1)
    return _dt.date(lo.year, lo.month, 1), hi_month


def _month_step(lo: _dt.date, hi: _dt.date) -> int:
    months = (hi.year - lo.year) * 12 + hi.month - lo.month
    return next(
        (step for limit, step in ((15, 1), (30, 2), (48, 3), (96, 6)) if months <= limit), 12
    )


def gantt(
    plan: ActionPlan,
    *,
    by: Literal["group", "node", "partner"] = "group",
    as_of: _dt.date | None = None,
    loop: FeedbackLoop | None = None,
    due_soon_days: int = 14,
    ax: Axes | None = None,
) -> Axes:
    """Draw an action plan as a Gantt chart, coloured by where each action stands.

    One row per action, under bold section headers on a grey band: the plan's
    groups, the loop nodes the actions serve, or the partners responsible (an
    action with two partners or two nodes is drawn under each). Bars run from
    the start date through the stop date (both days included); an action with a
    stop date but no start is a milestone diamond on its stop date; an action
    with a start but no stop runs, hatched, to the chart's right edge. Colours
    follow :meth:`Action.status <feedbackloop.planning.Action.status>` on
    ``as_of``: overdue in vermillion (with a dotted line from the stop date to
    today), due soon in orange, in progress in blue, not started in sky blue,
    done on time in green, done late in purple; completed actions get a check
    mark on the day they were done. A dashed line marks ``as_of``; the legend
    names only what the chart shows. Who is responsible is written beside each
    bar (except with ``by="partner"``).

    The figure grows by about a quarter inch per row, and labels are kept to
    one line (cut with an ellipsis), so plans of 40 actions and more stay
    readable. Text from the plan is drawn literally: a ``$`` never starts math.

    Parameters
    ----------
    plan : ActionPlan
    by : {"group", "node", "partner"}
        How rows are grouped.
    as_of : datetime.date, optional
        The day to judge on (default today).
    loop : FeedbackLoop, optional
        With ``by="node"``, sections are titled with the loop's node titles, in
        the loop's order (ids the loop does not have come last, marked).
    due_soon_days : int
        How many days ahead a stop date counts as "due soon".
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``by`` is not one of the three choices or ``due_soon_days`` is negative.
    TypeError
        If ``plan`` is not an :class:`~feedbackloop.planning.ActionPlan` or
        ``as_of`` is not a date.

    .. versionadded:: 0.2.0
    """
    if not isinstance(plan, ActionPlan):
        raise TypeError(f"gantt draws an ActionPlan (got {type(plan).__name__})")
    if by not in ("group", "node", "partner"):
        raise ValueError(f"by must be 'group', 'node' or 'partner' (got {by!r})")
    if isinstance(as_of, _dt.datetime):
        as_of = as_of.date()
    day = _dt.date.today() if as_of is None else as_of
    if not isinstance(day, _dt.date):
        raise TypeError(f"as_of must be a datetime.date (got {as_of!r})")
    statuses = [a.status(day, due_soon_days=due_soon_days) for a in plan.actions]
    mdates = import_optional("matplotlib.dates", extra="plot", purpose="drawing charts")
    rows: list[tuple[str, Action | None]] = []
    for title, actions in _gantt_sections(plan, by, loop):
        if title is not None:
            rows.append((title, None))
        rows += [(a.task, a) for a in actions]
    ax = _axes(ax, (10.0, _GANTT_ROW * max(len(rows), 4) + 2.4))
    lo, hi = _gantt_span(plan, day)
    span = (float(mdates.date2num(lo)), float(mdates.date2num(hi)))
    shown = _draw_gantt_rows(ax, rows, day, due_soon_days, span, by)
    _gantt_axes(ax, rows, lo, hi, mdates)
    ax.axvline(
        float(mdates.date2num(day)),
        color="#222222",
        linestyle="--",
        linewidth=1.2,
        zorder=5,
        gid="gantt-today",
    )
    counts = ", ".join(
        f"{n} {s.value}" for s in _ACTION_COLORS if (n := sum(x is s for x in statuses))
    )
    name = _plain(_clip(plan.name, 80)) if plan.name else "Action plan"
    ax.set_title(
        f"{name}, as of {day.day} {day:%b %Y}\n{len(plan)} actions"
        + (f": {counts}" if counts else ""),
        loc="left",
        fontsize=10,
    )
    _gantt_legend(ax, shown, day)
    return ax


def _draw_gantt_rows(
    ax: Axes,
    rows: Sequence[tuple[str, Action | None]],
    day: _dt.date,
    due_soon_days: int,
    span: tuple[float, float],
    by: str,
) -> set[Any]:
    """Draw bars, milestones, check marks and notes; return what the legend should name."""
    mdates = import_optional("matplotlib.dates", extra="plot", purpose="drawing charts")

    def num(d: _dt.date) -> float:
        return float(mdates.date2num(d))

    left_edge, right_edge = span
    shown: set[Any] = set()
    bars: list[tuple[float, float, int, str, bool]] = []  # left, width, row, colour, open
    miles: list[tuple[float, int, str]] = []
    checks: list[tuple[float, int]] = []
    today = num(day)
    for y, (_, a) in enumerate(rows):
        if a is None:
            ax.axhspan(y - 0.5, y + 0.5, color="#ececec", linewidth=0, zorder=0)
            continue
        status = a.status(day, due_soon_days=due_soon_days)
        color = _ACTION_COLORS[status]
        marks: list[float] = []  # x of everything drawn on the row, for the "who" note
        if a.start is not None:
            x0 = num(a.start)
            x1 = num(a.stop) + 1 if a.stop is not None else right_edge
            bars.append((x0, x1 - x0, y, color, a.stop is None))
            shown |= {status, "open"} if a.stop is None else {status}
            marks += [x0, x1]
        elif a.stop is not None:
            miles.append((num(a.stop) + 0.5, y, color))
            shown |= {status, "milestone"}
            marks += [num(a.stop) - 3, num(a.stop) + 4]
        if status.done and a.completed is not None:
            checks.append((num(a.completed) + 0.5, y))
            shown.add("done")
            marks += [num(a.completed) - 3, num(a.completed) + 4]
        if status is ActionStatus.OVERDUE and a.stop is not None:
            ax.plot(
                [num(a.stop) + 1, today],
                [y, y],
                color=_ACTION_COLORS[status],
                linestyle=":",
                linewidth=1.6,
                zorder=3,
                gid="gantt-late",
            )
            shown.add("late")
            marks.append(today)
        if not marks:
            ax.text(
                0.005,
                y,
                "no dates",
                transform=ax.get_yaxis_transform(),
                fontsize=7,
                fontstyle="italic",
                color="#777777",
                va="center",
            )
        elif by != "partner" and a.responsible:
            who = _plain(_clip("; ".join(a.responsible), _GANTT_WHO))
            room = 0.24 * (right_edge - left_edge)  # about what the note needs
            fits_right = max(marks) + room < right_edge or min(marks) - room < left_edge
            ax.text(
                max(marks) + 2 if fits_right else min(marks) - 2,
                y,
                who,
                fontsize=6.5,
                color="#555555",
                va="center",
                ha="left" if fits_right else "right",
                clip_on=True,
            )
    if bars:
        drawn = ax.barh(
            [b[2] for b in bars],
            [b[1] for b in bars],
            left=[b[0] for b in bars],
            height=0.62,
            color=[b[3] for b in bars],
            edgecolor="white",
            linewidth=0.5,
            zorder=2,
        )
        for rect, (*_, is_open) in zip(drawn, bars, strict=True):
            rect.set_gid("gantt-bar")
            if is_open:  # no stop date: hatched white, running to the right edge
                rect.set_hatch("///")
                rect.set_edgecolor("white")
    if miles:
        ax.scatter(
            [m[0] for m in miles],
            [m[1] for m in miles],
            marker="D",
            s=46,
            c=[m[2] for m in miles],
            edgecolors="#333333",
            linewidths=0.6,
            zorder=3,
            gid="gantt-milestone",
        )
    if checks:
        ax.scatter(
            [c[0] for c in checks],
            [c[1] for c in checks],
            marker=r"$\checkmark$",
            s=70,
            color="#1a1a1a",
            zorder=4,
            gid="gantt-done",
        )
    return shown


def _gantt_axes(
    ax: Axes, rows: Sequence[tuple[str, Action | None]], lo: _dt.date, hi: _dt.date, mdates: Any
) -> None:
    """Row labels (section headers bold), month ticks on top and bottom, limits, grid."""
    labels = [_plain(_clip(label, _GANTT_LABEL)) for label, _ in rows]
    ax.set_yticks(range(len(rows)), labels)
    for tick, (_, a) in zip(ax.get_yticklabels(), rows, strict=True):
        if a is None:
            tick.set_fontweight("bold")
    ax.set_ylim(max(len(rows), 1) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0, labelsize=8)
    ax.set_xlim(float(mdates.date2num(lo)), float(mdates.date2num(hi)))
    locator = mdates.MonthLocator(interval=_month_step(lo, hi))
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
    ax.tick_params(axis="x", labelsize=8, top=True, labeltop=True)
    _style(ax)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    if not rows:
        ax.text(
            0.5,
            0.5,
            "no actions in the plan",
            transform=ax.transAxes,
            ha="center",
            color="#777777",
        )


def _gantt_legend(ax: Axes, shown: set[Any], day: _dt.date) -> None:
    """Draw a legend under the chart naming the colours and marks shown, and the today line."""
    patches = import_optional("matplotlib.patches", extra="plot", purpose="drawing charts")
    lines = import_optional("matplotlib.lines", extra="plot", purpose="drawing charts")
    transforms = import_optional("matplotlib.transforms", extra="plot", purpose="drawing charts")
    handles = [
        patches.Patch(facecolor=color, label=status.value)
        for status, color in _ACTION_COLORS.items()
        if status in shown
    ]
    if "open" in shown:
        handles.append(
            patches.Patch(facecolor="#999999", edgecolor="white", hatch="///", label="no stop date")
        )
    if "milestone" in shown:
        handles.append(
            lines.Line2D(
                [],
                [],
                marker="D",
                linestyle="none",
                color="#999999",
                markeredgecolor="#333333",
                label="milestone (stop date only)",
            )
        )
    if "done" in shown:
        handles.append(
            lines.Line2D(
                [],
                [],
                marker=r"$\checkmark$",
                linestyle="none",
                color="#1a1a1a",
                markersize=9,
                label="day completed",
            )
        )
    if "late" in shown:
        handles.append(
            lines.Line2D(
                [],
                [],
                color=_ACTION_COLORS[ActionStatus.OVERDUE],
                linestyle=":",
                linewidth=1.6,
                label="days overdue",
            )
        )
    handles.append(
        lines.Line2D(
            [],
            [],
            color="#222222",
            linestyle="--",
            linewidth=1.2,
            label=f"today ({day.day} {day:%b %Y})",
        )
    )
    fig = ax.get_figure()
    below = transforms.ScaledTranslation(0, -0.45, fig.dpi_scale_trans) if fig else None
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=ax.transAxes + below if below is not None else ax.transAxes,
        ncols=min(len(handles), 4),
        fontsize=8,
        frameon=False,
    )
