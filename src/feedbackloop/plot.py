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
import os
import textwrap
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from feedbackloop._util import import_optional
from feedbackloop.errors import BoundaryError, BoundaryJoinWarning, SeriesError
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
    "choropleth",
    "disparity",
    "gantt",
    "heat_table",
    "loop",
    "read_boundaries",
    "small_multiples",
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
    names: Mapping[str, str] | None = None,
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
    names : mapping of str to str, optional
        Place code -> name for the title (e.g. :meth:`FeedbackLoop.place_names`).

        .. versionadded:: 0.2.0
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
    place = _place(str(df["geography"].iloc[0]), names) if len(df) else ""
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
    names: Mapping[str, str] | None = None,
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
    names : mapping of str to str, optional
        Place code -> name for place labels (e.g. :meth:`FeedbackLoop.place_names`).

        .. versionadded:: 0.2.0
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
    if names and "geography" in dims:  # label places by name; the codes stay in the data
        df = df.assign(geography=[_place(g, names) for g in df["geography"]])
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
    names: Mapping[str, str] | None = None,
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
    names : mapping of str to str, optional
        Place code -> name for the title.

        .. versionadded:: 0.2.0
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
        _wrap(
            f"{series.indicator.name}, {when}: {dimension} vs {ref} ({_place(place, names)})", 60
        ),
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
    boxes = {}
    crowded = height > 6  # 12+ nodes: larger text, so the tall figure stays readable
    for node in feedback_loop.nodes:
        x, y = pos[node.id]
        state = (status or {}).get(node.id, "no data")
        boxes[node.id] = ax.text(
            x,
            y,
            _wrap(node.title, 24 if crowded else 22),
            ha="center",
            va="center",
            fontsize=8.5 if crowded else 7.5,
            zorder=3,
            bbox={
                "boxstyle": "round,pad=0.35",
                "facecolor": STATUS_COLORS.get(state, "#DDD"),
                "edgecolor": "#444444",
                "linewidth": 0.6,
            },
        )
    # Arrows run from box edge to box edge (anchored on the boxes, whatever their size).
    for node in feedback_loop.nodes:
        for parent in node.contributes_to:
            if parent in boxes:
                ax.annotate(
                    "",
                    xy=(0.0, 0.5),
                    xycoords=boxes[parent],
                    xytext=(1.0, 0.5),
                    textcoords=boxes[node.id],
                    arrowprops={
                        "arrowstyle": "->",
                        "color": "#888888",
                        "lw": 0.8 if crowded else 1,
                        "shrinkA": 2,
                        "shrinkB": 2,
                    },
                    zorder=2,
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

    right_edge = span[1]
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
        _gantt_note(ax, y, a, marks, by, span)
    _gantt_marks(ax, bars, miles, checks)
    return shown


def _gantt_note(
    ax: Axes, y: int, a: Action, marks: list[float], by: str, span: tuple[float, float]
) -> None:
    """Write "no dates", or who is responsible beside the row's marks where there is room."""
    left_edge, right_edge = span
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


def _gantt_marks(
    ax: Axes,
    bars: list[tuple[float, float, int, str, bool]],
    miles: list[tuple[float, int, str]],
    checks: list[tuple[float, int]],
) -> None:
    """Draw the bars, milestone diamonds and completion checks in three calls."""
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


# ------------------------------------------------------- places: race x place

#: Colours of cells and areas that show no estimate (never a colour of the scale).
_NO_ESTIMATE = {"suppressed": "#d4d4d4", "no data": "#ffffff"}
_HATCH = {"suppressed": "xxx", "no data": "...", "unreliable": "///"}


def _place(code: str, names: Mapping[str, str] | None) -> str:
    """Return the place's name from ``names`` (else its code), safe to draw literally."""
    return _plain(str((names or {}).get(code, code)))


def _cells(
    series: IndicatorSeries,
    group: str,
    period: Period | str | int | None,
    where: Mapping[str, str] | None,
) -> tuple[pd.DataFrame, Period]:
    """Rows of one period by place and ``group`` (other dimensions fixed), one state each.

    Adds ``v`` (the value, NaN where none may be shown), ``m`` (the MOE) and
    ``state``: ``"ok"``, ``"unreliable"`` (CV above 40%), ``"suppressed"`` or
    ``"no data"``.
    """
    if group not in series.dimensions:
        raise SeriesError(
            f"{group!r} is not a dimension of {series.indicator.id!r} "
            f"(it has {', '.join(series.dimensions) or 'none'})"
        )
    when = Period.parse(period) if period is not None else series.periods[-1]
    df = series.frame
    df = df[df["period"] == str(when)]
    fixed = dict(where or {})
    for dim in series.dimensions:
        if dim != group:
            df = df[df[dim] == fixed.pop(dim, TOTAL)]
    if fixed:
        raise SeriesError(f"{', '.join(fixed)} is not a dimension of {series.indicator.id!r}")
    if df.empty:
        raise SeriesError(f"series {series.indicator.id!r} has no rows for {when}")
    return _estimates(df).assign(group=df[group].astype(str).to_numpy()), when


def _estimates(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``geography``, ``v`` (NaN where nothing may be shown), ``m`` and ``state``."""
    withheld = df["status"].isin(_WITHHELD).to_numpy(dtype=bool)
    value = df["value"].to_numpy(dtype=float, na_value=np.nan)
    value = np.where(withheld, np.nan, value)
    nan = np.full(len(df), np.nan)
    moe = df["moe"].to_numpy(dtype=float, na_value=np.nan) if "moe" in df else nan
    cv = _cv(df)
    state = np.where(
        withheld,
        "suppressed",
        np.where(np.isnan(value), "no data", np.where(cv > _UNRELIABLE_CV, "unreliable", "ok")),
    )
    return pd.DataFrame(
        {
            "geography": df["geography"].astype(str).to_numpy(),
            "v": value,
            "m": np.where(np.isnan(value), np.nan, moe),
            "state": state,
        }
    )


def _groups(cells: pd.DataFrame, order: Sequence[str] | None) -> list[str]:
    """Return the groups to draw: ``order`` (checked), else the data's order; never TOTAL."""
    present = [g for g in dict.fromkeys(cells["group"]) if g != TOTAL]
    if order is None:
        return present
    unknown = [g for g in order if g not in present]
    if unknown:
        raise SeriesError(
            f"order names {', '.join(map(repr, unknown))}, not a category here "
            f"(the categories are {', '.join(map(repr, present))})"
        )
    return list(dict.fromkeys(order))


def _reference_values(cells: pd.DataFrame, reference: str | None) -> dict[str, float]:
    """Return each place's reference value (the all-groups row by default); NaN if withheld."""
    if reference is None:
        return {}
    rows = cells[cells["group"] == reference]
    return dict(zip(rows["geography"], rows["v"].astype(float), strict=True))


def _reference_name(reference: str | None) -> str:
    return "all groups" if reference == TOTAL else _plain(str(reference))


def small_multiples(
    series: IndicatorSeries,
    group: str = "race",
    *,
    period: Period | str | int | None = None,
    where: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
    order: Sequence[str] | None = None,
    reference: str | None = TOTAL,
    ncols: int | None = None,
) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Draw one panel per group with the places ranked, 90% MOE whiskers and a reference.

    Each panel ranks the places by the group's value (highest at the top);
    whiskers are the 90% margins of error; a short grey bar on each row marks
    the reference for the same place: by default the value for all groups
    together, so each group is compared with everyone, not with one other
    group. Unreliable estimates (CV above 40%) are drawn hollow; suppressed
    and missing cells are listed under the ranked places as "suppressed" or
    "no data", never as values. Panels share the value axis.

    Parameters
    ----------
    series : IndicatorSeries
        Disaggregated by ``group`` and by place (its ``geography`` column).
    group : str
        The dimension of the panels (e.g. ``"race"``).
    period : Period, str or int, optional
        Default the latest.
    where : mapping, optional
        Categories of other dimensions (default :data:`~feedbackloop.TOTAL`).
    names : mapping of str to str, optional
        Place code -> name (e.g. :meth:`FeedbackLoop.place_names`); codes
        without a name are shown as they are.
    order : sequence of str, optional
        The groups to draw, in this order (default: the data's order).
    reference : str or None
        The category marked on each row: :data:`~feedbackloop.TOTAL` (all
        groups, the default), another category, or ``None`` for no reference.
    ncols : int, optional
        Panels per row (default up to 3).

    Returns
    -------
    ndarray of matplotlib.axes.Axes
        One per group, in order.

    Raises
    ------
    SeriesError
        If ``group`` or a ``where`` key is not a dimension, ``order`` names an
        unknown category, or the period has no rows.

    .. versionadded:: 0.2.0
    """
    cells, when = _cells(series, group, period, where)
    groups = _groups(cells, order)
    if not groups:
        raise SeriesError(f"series {series.indicator.id!r} has no {group!r} categories")
    ref = _reference_values(cells, reference)
    ncols = ncols or min(3, len(groups))
    nrows = -(-len(groups) // ncols)
    n_places = cells["geography"].nunique()
    figure = import_optional("matplotlib.figure", extra="plot", purpose="drawing charts")
    fig = figure.Figure(
        figsize=(3.6 * ncols + 1.2, (0.32 * n_places + 1.1) * nrows + 0.9), layout="constrained"
    )
    grid = fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel()
    for panel_ax, name in zip(grid, groups, strict=False):
        _panel(panel_ax, cells[cells["group"] == name], ref, names)
        panel_ax.set_title(_plain(_wrap(name, 34)), fontsize=9, loc="left")
    for extra in grid[len(groups) :]:
        extra.set_axis_off()
    for panel_ax in grid[len(groups) - ncols : len(groups)]:
        panel_ax.set_xlabel(_plain(series.unit), fontsize=8)
        panel_ax.tick_params(labelbottom=True)
    title = f"{series.indicator.name}, {when}: by {group} and place"
    fig.suptitle(_plain(title), fontsize=11, x=0.01, ha="left")
    fig.legend(
        handles=_panel_legend(reference, bool(ref), cells),
        loc="outside lower center",
        ncols=4,
        fontsize=8,
        frameon=False,
    )
    out: np.ndarray[Any, np.dtype[np.object_]] = grid[: len(groups)]
    return out


def _panel(
    ax: Axes, rows: pd.DataFrame, ref: Mapping[str, float], names: Mapping[str, str] | None
) -> None:
    """Draw one group's places, ranked by value, with whiskers, reference marks and notes."""
    rows = rows.assign(label=[_place(g, names) for g in rows["geography"]])
    shown = rows[rows["v"].notna()].sort_values(["v", "label"], ascending=[False, True])
    hidden = rows[rows["v"].isna()].sort_values("label")
    rows = pd.concat([shown, hidden])
    y = np.arange(len(rows), dtype=float)
    v = rows["v"].to_numpy(dtype=float)
    m = rows["m"].to_numpy(dtype=float)
    state = rows["state"].to_numpy()
    ok = np.isfinite(v) & np.isfinite(m)
    ax.errorbar(v[ok], y[ok], xerr=m[ok], fmt="none", ecolor="#555555", capsize=2, lw=1)
    sure = state == "ok"
    ax.scatter(v[sure], y[sure], color=PALETTE[0], s=28, zorder=3, gid="estimate")
    weak = state == "unreliable"
    if weak.any():
        ax.scatter(
            v[weak],
            y[weak],
            facecolors="white",
            edgecolors=PALETTE[0],
            s=30,
            zorder=3,
            gid="unreliable",
        )
    refs = np.array([ref.get(g, np.nan) for g in rows["geography"]], dtype=float)
    has_ref = np.isfinite(refs)
    if has_ref.any():
        ax.scatter(
            refs[has_ref],
            y[has_ref],
            marker="|",
            s=160,
            linewidths=2,
            color="#888888",
            zorder=2,
            gid="reference",
        )
    for yy, s in zip(y, state, strict=True):
        if s in _NO_ESTIMATE:
            ax.text(
                0.02,
                yy,
                s,
                transform=ax.get_yaxis_transform(),
                va="center",
                fontsize=8,
                fontstyle="italic",
                color="#555555",
                gid="note",
            )
    ax.set_yticks(y, list(rows["label"]), fontsize=8)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    _style(ax)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)


def _panel_legend(reference: str | None, has_ref: bool, cells: pd.DataFrame) -> list[Any]:
    """Return legend handles for what the small multiples show."""
    lines = import_optional("matplotlib.lines", extra="plot", purpose="drawing charts")
    handles = [
        lines.Line2D([], [], color=PALETTE[0], marker="o", linestyle="none", label="estimate"),
        lines.Line2D([], [], color="#555555", label="90% margin of error"),
    ]
    if has_ref:
        handles.append(
            lines.Line2D(
                [],
                [],
                color="#888888",
                marker="|",
                markersize=12,
                markeredgewidth=2,
                linestyle="none",
                label=f"{_reference_name(reference)}, same place",
            )
        )
    if (cells["state"] == "unreliable").any():
        handles.append(
            lines.Line2D(
                [],
                [],
                marker="o",
                markerfacecolor="white",
                markeredgecolor=PALETTE[0],
                linestyle="none",
                label=f"unreliable (CV > {_UNRELIABLE_CV:g}%)",
            )
        )
    return handles


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.1f}"


def heat_table(
    series: IndicatorSeries,
    group: str = "race",
    *,
    period: Period | str | int | None = None,
    where: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
    order: Sequence[str] | None = None,
    cmap: str = "YlGnBu",
    ax: Axes | None = None,
) -> Axes:
    """Draw a place x group table whose cells are coloured by value, with a legend.

    Rows are places (by name), columns the groups, led by "all groups" when
    the series has the all-groups value. Each cell shows the value and its
    90% margin of error. Suppressed cells are grey and say "suppressed",
    missing ones are white and say "no data": neither is given a colour of the
    scale or a number. Unreliable estimates (CV above 40%) are hatched and
    marked with a dagger.

    Parameters
    ----------
    series : IndicatorSeries
    group : str
        The dimension of the columns (e.g. ``"race"``).
    period : Period, str or int, optional
        Default the latest.
    where : mapping, optional
        Categories of other dimensions (default :data:`~feedbackloop.TOTAL`).
    names : mapping of str to str, optional
        Place code -> name; codes without a name are shown as they are.
    order : sequence of str, optional
        The groups, in this order (default: the data's order).
    cmap : str
        A matplotlib colormap name for the values.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    SeriesError
        As :func:`small_multiples`.

    .. versionadded:: 0.2.0
    """
    cells, when = _cells(series, group, period, where)
    columns = ([TOTAL] if (cells["group"] == TOTAL).any() else []) + _groups(cells, order)
    places = sorted(cells["geography"].unique(), key=lambda g: (_place(g, names), g))
    own = ax is None
    ax = _axes(ax, (1.5 * len(columns) + 2.6, 0.5 * len(places) + 2.4))
    colors = import_optional("matplotlib.colors", extra="plot", purpose="drawing charts")
    shown = cells[cells["group"].isin(columns) & cells["v"].notna()]["v"]
    low, high = (float(shown.min()), float(shown.max())) if len(shown) else (0.0, 1.0)
    norm = colors.Normalize(low, high if high > low else low + 1)
    scale = import_optional("matplotlib", extra="plot", purpose="drawing charts").colormaps[cmap]
    index = cells.set_index(["geography", "group"])
    for i, place in enumerate(places):
        for j, col in enumerate(columns):
            row = index.loc[(place, col)] if (place, col) in index.index else None
            _heat_cell(ax, j, i, row, scale, norm, f"{place}|{col}")
    ax.set_xlim(-0.5, len(columns) - 0.5)
    ax.set_ylim(len(places) - 0.5, -0.5)
    heads = ["all groups" if c == TOTAL else _plain(_wrap(c, 16)) for c in columns]
    ax.set_xticks(range(len(columns)), heads, fontsize=8)
    ax.set_yticks(range(len(places)), [_place(p, names) for p in places], fontsize=8)
    ax.tick_params(length=0, top=True, labeltop=True, bottom=False, labelbottom=False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    cm = import_optional("matplotlib.cm", extra="plot", purpose="drawing charts")
    fig = ax.get_figure()
    if fig is not None:
        bar = fig.colorbar(cm.ScalarMappable(norm=norm, cmap=scale), ax=ax, shrink=0.8, pad=0.02)
        bar.set_label(_plain(series.unit), fontsize=8)
    _heat_legend(ax, set(cells.loc[cells["group"].isin(columns), "state"]), own=own)
    ax.set_title(
        _plain(f"{series.indicator.name}, {when}: by place and {group}"), loc="left", fontsize=10
    )
    return ax


def _heat_cell(ax: Axes, x: int, y: int, row: Any, scale: Any, norm: Any, gid: str) -> None:
    """Draw one cell: a colour and the value, or the reason there is no number."""
    patches = import_optional("matplotlib.patches", extra="plot", purpose="drawing charts")
    state = "no data" if row is None else str(row["state"])
    if state in _NO_ESTIMATE:
        face: Any = _NO_ESTIMATE[state]
        text, ink = state, "#444444"
    else:
        value = float(row["v"])
        face = scale(norm(value))
        moe = float(row["m"])
        text = _fmt(value) + (f"\n±{_fmt(moe)}" if np.isfinite(moe) else "")
        text += " †" if state == "unreliable" else ""
        red, green, blue = face[:3]
        ink = "#111111" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.55 else "#ffffff"
    ax.add_patch(
        patches.Rectangle(
            (x - 0.5, y - 0.5),
            1,
            1,
            facecolor=face,
            edgecolor="white",
            linewidth=1.5,
            gid=f"cell:{gid}",
        )
    )
    if state in _HATCH:
        ax.add_patch(
            patches.Rectangle(
                (x - 0.46, y - 0.46),
                0.92,
                0.92,
                fill=False,
                hatch=_HATCH[state],
                edgecolor=(0.2, 0.2, 0.2, 0.35),
                linewidth=0,
                gid=f"hatch:{gid}",
            )
        )
    ax.text(
        x,
        y,
        text,
        ha="center",
        va="center",
        fontsize=8,
        color=ink,
        gid=f"text:{gid}",
        fontstyle="italic" if state in _NO_ESTIMATE else "normal",
    )


def _heat_legend(ax: Axes, states: set[str], *, own: bool) -> None:
    """Name, under the table, the cells that carry no colour of the scale.

    In a figure of its own the legend is the figure's (so the layout makes
    room for it); in a caller's axes it hangs under them.
    """
    patches = import_optional("matplotlib.patches", extra="plot", purpose="drawing charts")
    handles = [
        patches.Patch(
            facecolor=_NO_ESTIMATE.get(s, "#ffffff"),
            edgecolor="#777777",
            hatch=_HATCH[s],
            label=_STATE_LABELS[s] + (", marked †" if s == "unreliable" else ""),
        )
        for s in ("unreliable", "suppressed", "no data")
        if s in states
    ]
    fig = ax.get_figure()
    if handles and own and fig is not None:
        fig.legend(handles=handles, loc="outside lower left", ncols=3, fontsize=8, frameon=False)
    elif handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0.0, 0.0),
            ncols=3,
            fontsize=8,
            frameon=False,
        )


_STATE_LABELS = {
    "unreliable": f"unreliable (CV > {_UNRELIABLE_CV:g}%)",
    "suppressed": "suppressed (withheld to protect privacy)",
    "no data": "no data",
}


# ------------------------------------------------------------------- maps

_KEY_COLUMNS = ("GEOID", "geoid", "GEOID20", "GEOID10", "GEO_ID", "code", "id")
_NAME_COLUMNS = ("NAME", "name", "NAMELSAD", "Name")
_SCHEMES = {
    "quantiles": ("Quantiles", "quantiles"),
    "natural_breaks": ("FisherJenks", "natural breaks (Fisher-Jenks)"),
    "equal_interval": ("EqualInterval", "equal intervals"),
}


def read_boundaries(
    source: str | os.PathLike[str] | Any, *, key: str | None = None, name: str | None = None
) -> Any:
    """Read map boundaries and key them by place code: GeoJSON, TopoJSON, shapefile, GeoPackage.

    Everything is read from the file (geopandas with pyogrio; no network, no
    tile server).

    Parameters
    ----------
    source : str, path-like or geopandas.GeoDataFrame
        The file, or boundaries already read.
    key : str, optional
        The property holding the place codes, as in the data's ``geography``
        column (default the first of ``GEOID``, ``geoid``, ``GEOID20``,
        ``GEOID10``, ``GEO_ID``, ``code``, ``id`` present).
    name : str, optional
        The property holding place names (default ``NAME``, ``name``,
        ``NAMELSAD`` or ``Name`` if present).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code`` (text), ``name`` (text, or missing) and ``geometry``.

    Raises
    ------
    BoundaryError
        If the file cannot be read, has no key column, stores codes as
        numbers (which lose leading zeros), or gives one code two shapes.
    MissingDependencyError
        Without the ``maps`` extra.

    .. versionadded:: 0.2.0
    """
    gpd = import_optional("geopandas", extra="maps", purpose="reading map boundaries")
    where = str(source) if isinstance(source, str | os.PathLike) else "the boundaries given"
    if isinstance(source, gpd.GeoDataFrame):
        frame = source
    else:
        try:
            frame = gpd.read_file(source)
        except Exception as err:  # pyogrio raises its own DataSourceError, OSError...
            raise BoundaryError(
                f"cannot read map boundaries from {where}: {err} (GeoJSON, TopoJSON, "
                "shapefile and GeoPackage files are read)"
            ) from err
    found = key or next((c for c in _KEY_COLUMNS if c in frame.columns), None)
    if found is None or found not in frame.columns:
        looked = repr(key) if key else f"any of {', '.join(_KEY_COLUMNS)}"
        others = [str(c) for c in frame.columns if c != frame.geometry.name]
        raise BoundaryError(
            f"{where}: no column {looked} holding place codes; pass key= naming the one "
            f"that does (the columns are {', '.join(others) or 'none'})"
        )
    key = found
    codes = frame[key]
    if not all(isinstance(c, str) for c in codes):
        bad = next(c for c in codes if not isinstance(c, str))
        raise BoundaryError(
            f"{where}: the codes in {key!r} must be text, like the data's geography codes "
            f"(found {bad!r}); store them as quoted text so that leading zeros survive"
        )
    repeated = sorted(codes[codes.duplicated()].unique())
    if repeated:
        raise BoundaryError(
            f"{where}: codes given to more than one shape: {', '.join(repeated)}; "
            "dissolve them first (GeoDataFrame.dissolve(by=...))"
        )
    name = name or next((c for c in _NAME_COLUMNS if c in frame.columns), None)
    names = frame[name].astype(object) if name else pd.Series([None] * len(frame))
    return gpd.GeoDataFrame(
        {"code": list(codes), "name": list(names)}, geometry=list(frame.geometry), crs=frame.crs
    )


def choropleth(
    series: IndicatorSeries,
    boundaries: str | os.PathLike[str] | Any,
    *,
    period: Period | str | int | None = None,
    where: Mapping[str, str] | None = None,
    key: str | None = None,
    scheme: Literal["quantiles", "natural_breaks", "equal_interval"] = "quantiles",
    k: int = 5,
    names: Mapping[str, str] | None = None,
    labels: bool | None = None,
    cmap: str = "YlGnBu",
    ax: Axes | None = None,
) -> Axes:
    """Draw a map of one period's values, classified, from boundaries you supply.

    Areas are coloured by class (mapclassify: quantiles, natural breaks or
    equal intervals; the legend says which and gives each class's range).
    Unreliable estimates (CV above 40%) keep their class colour and are
    hatched; suppressed areas are grey and cross-hatched; areas with a shape
    but no value are white and dotted. No tile server and no network: the
    shapes come from ``boundaries`` only. A roll-up to custom areas
    (``series.rollup(mapping={tract: neighborhood})``) maps with boundaries
    keyed by the same area names.

    Parameters
    ----------
    series : IndicatorSeries
    boundaries : str, path-like or geopandas.GeoDataFrame
        GeoJSON, TopoJSON, shapefile or GeoPackage; see :func:`read_boundaries`.
    period : Period, str or int, optional
        Default the latest.
    where : mapping, optional
        Categories to map, e.g. ``{"race": "Asian alone"}``; other dimensions
        use :data:`~feedbackloop.TOTAL`.
    key : str, optional
        The boundaries' property holding the place codes.
    scheme : {"quantiles", "natural_breaks", "equal_interval"}
    k : int
        Number of classes (fewer when there are fewer distinct values).
    names : mapping of str to str, optional
        Place code -> name for labels (default the boundaries' names, else codes).
    labels : bool, optional
        Write place names on the map (default: when there are 12 areas or fewer).
    cmap : str
        A matplotlib colormap name.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Warns
    -----
    BoundaryJoinWarning
        Listing the codes of the data with no shape and of shapes with no data
        (with a hint when the codes look like another level or vintage).

    Raises
    ------
    BoundaryError
        See :func:`read_boundaries`.
    SeriesError
        If ``scheme`` or ``k`` is not valid, or the period has no rows.

    .. versionadded:: 0.2.0
    """
    if scheme not in _SCHEMES:
        raise SeriesError(f"scheme must be one of {', '.join(_SCHEMES)} (got {scheme!r})")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise SeriesError(f"k must be a whole number of classes, 1 or more (got {k!r})")
    shapes = read_boundaries(boundaries, key=key)
    values, when = _map_values(series, period, where)
    _check_join(list(values["geography"]), list(shapes["code"]))
    merged = shapes.merge(values, how="left", left_on="code", right_on="geography")
    merged["state"] = merged["state"].fillna("no data")
    classes, legend_title, ranges = _classify(merged, scheme, k, series.unit)
    scale = import_optional("matplotlib", extra="plot", purpose="drawing maps").colormaps[cmap]
    palette = (
        [scale(x) for x in np.linspace(0.15, 0.9, len(ranges))] if len(ranges) > 1 else [scale(0.6)]
    )
    own = ax is None
    ax = _axes(ax, (7.5, 5.5))
    _draw_areas(ax, merged, classes, palette)
    _frame_map(ax, shapes)
    if labels if labels is not None else len(shapes) <= 12:
        _label_areas(ax, merged, names)
    _map_legend(ax, legend_title, ranges, palette, set(merged["state"]), own=own)
    what = ", ".join(str(v) for v in (where or {}).values())
    ax.set_title(
        _plain(f"{series.indicator.name}" + (f" — {what}" if what else "") + f", {when}"),
        loc="left",
        fontsize=11,
    )
    return ax


def _map_values(
    series: IndicatorSeries, period: Period | str | int | None, where: Mapping[str, str] | None
) -> tuple[pd.DataFrame, Period]:
    """Return one row per place (``geography``, ``v``, ``m``, ``state``) and the period."""
    when = Period.parse(period) if period is not None else series.periods[-1]
    df = series.frame
    df = df[df["period"] == str(when)]
    fixed = dict(where or {})
    for dim in series.dimensions:
        df = df[df[dim] == fixed.pop(dim, TOTAL)]
    if fixed:
        raise SeriesError(f"{', '.join(fixed)} is not a dimension of {series.indicator.id!r}")
    if df.empty:
        raise SeriesError(f"series {series.indicator.id!r} has no rows to map for {when}")
    return _estimates(df), when


def _check_join(data: Sequence[str], shapes: Sequence[str]) -> None:
    """Warn, listing the codes, about data without shapes and shapes without data."""
    data_only = sorted(set(data) - set(shapes))
    shapes_only = sorted(set(shapes) - set(data))
    if not data_only and not shapes_only:
        return
    parts = []
    if data_only:
        parts.append(f"{len(data_only)} place(s) in the data have no shape: {', '.join(data_only)}")
    if shapes_only:
        parts.append(
            f"{len(shapes_only)} shape(s) have no data (drawn as 'no data'): "
            + ", ".join(shapes_only)
        )
    widths = sorted({len(c) for c in data}), sorted({len(c) for c in shapes})
    if data_only and shapes_only and widths[0] != widths[1]:
        parts.append(
            f"the data's codes have {'/'.join(map(str, widths[0]))} characters and the "
            f"shapes' {'/'.join(map(str, widths[1]))}: are they the same geographic level?"
        )
    elif data_only and shapes_only:
        parts.append(
            "codes of the same kind differ: are the boundaries of the data's vintage? "
            "(tracts and block groups are redrawn every census, 2010 and 2020 differ)"
        )
    warning = BoundaryJoinWarning("map join: " + "; ".join(parts))
    warning.data_only, warning.shapes_only = tuple(data_only), tuple(shapes_only)
    warnings.warn(warning, stacklevel=3)


def _classify(
    merged: pd.DataFrame, scheme: str, k: int, unit: str
) -> tuple[np.ndarray[Any, np.dtype[np.int_]], str, list[tuple[float, float]]]:
    """Return each area's class (-1 for none), the legend title and each class's range."""
    shown = merged["state"].isin(["ok", "unreliable"]).to_numpy(dtype=bool)
    y = merged["v"].to_numpy(dtype=float)[shown]
    classes = np.full(len(merged), -1)
    cls_name, label = _SCHEMES[scheme]
    if not len(y):
        return classes, f"{unit}\nno values to classify", []
    n = min(k, len(np.unique(y)))
    if n == 1:
        classes[shown] = 0
        return classes, f"{unit}\none class", [(float(y.min()), float(y.max()))]
    mapclassify = import_optional("mapclassify", extra="maps", purpose="classifying map values")
    with warnings.catch_warnings():  # a class merged for ties: the bins below say so
        warnings.simplefilter("ignore", UserWarning)
        result = getattr(mapclassify, cls_name)(y, k=n)
    bins = [float(b) for b in result.bins]
    classes[shown] = np.asarray(result.yb, dtype=int)
    lows = [float(y.min()), *bins[:-1]]
    return classes, f"{unit}\n{label}, {len(bins)} classes", list(zip(lows, bins, strict=True))


def _geometry_path(geom: Any) -> Any:
    """Return a matplotlib Path of a (multi)polygon, holes included."""
    mpath = import_optional("matplotlib.path", extra="plot", purpose="drawing maps")
    polygons = list(getattr(geom, "geoms", [geom]))
    rings = [
        np.asarray(ring.coords)[:, :2]
        for poly in polygons
        if poly.geom_type == "Polygon"
        for ring in (poly.exterior, *poly.interiors)
    ]
    return mpath.Path.make_compound_path(*(mpath.Path(r, closed=True) for r in rings))


def _draw_areas(
    ax: Axes, merged: pd.DataFrame, classes: np.ndarray[Any, np.dtype[np.int_]], palette: list[Any]
) -> None:
    """Draw each area as its own patch (gid ``area:<code>``), hatched when it shows no class."""
    patches = import_optional("matplotlib.patches", extra="plot", purpose="drawing maps")
    for code, geom, state, cls in zip(
        merged["code"], merged.geometry, merged["state"], classes, strict=True
    ):
        if geom is None or geom.is_empty:
            continue
        path = _geometry_path(geom)
        face = palette[cls] if cls >= 0 else _NO_ESTIMATE.get(str(state), "#ffffff")
        ax.add_patch(
            patches.PathPatch(
                path, facecolor=face, edgecolor="#555555", linewidth=0.6, gid=f"area:{code}"
            )
        )
        if state in _HATCH:
            ax.add_patch(
                patches.PathPatch(
                    path,
                    fill=False,
                    hatch=_HATCH[str(state)],
                    edgecolor=(0.2, 0.2, 0.2, 0.45),
                    linewidth=0,
                    gid=f"hatch:{code}",
                )
            )


def _frame_map(ax: Axes, shapes: Any) -> None:
    """Fit the axes to the shapes, with the right aspect, and hide the frame."""
    x0, y0, x1, y1 = (float(b) for b in shapes.total_bounds)
    pad = 0.03 * max(x1 - x0, y1 - y0, 1e-9)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    geographic = shapes.crs is not None and shapes.crs.is_geographic
    ax.set_aspect(1 / np.cos(np.radians((y0 + y1) / 2)) if geographic else "equal")
    ax.set_axis_off()


def _label_areas(ax: Axes, merged: pd.DataFrame, names: Mapping[str, str] | None) -> None:
    """Write each area's name at a point inside it, with a white halo."""
    effects = import_optional("matplotlib.patheffects", extra="plot", purpose="drawing maps")
    halo = [effects.withStroke(linewidth=2.5, foreground="white")]
    for code, own, geom in zip(merged["code"], merged["name"], merged.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        label = (names or {}).get(code) or (own if isinstance(own, str) and own else code)
        point = geom.representative_point()
        ax.text(
            point.x,
            point.y,
            _plain(_wrap(label, 16)),
            ha="center",
            va="center",
            fontsize=7,
            color="#222222",
            path_effects=halo,
            gid=f"label:{code}",
        )


def _map_legend(
    ax: Axes,
    title: str,
    ranges: list[tuple[float, float]],
    palette: list[Any],
    states: set[str],
    *,
    own: bool,
) -> None:
    """Name each class's range, then the areas drawn without a class colour."""
    patches = import_optional("matplotlib.patches", extra="plot", purpose="drawing maps")
    edges = sorted({x for pair in ranges for x in pair})
    digits = next((d for d in (1, 2, 3) if len({f"{x:.{d}f}" for x in edges}) == len(edges)), 4)
    handles = [
        patches.Patch(
            facecolor=c,
            edgecolor="#555555",
            label=f"{lo:,.{digits}f}" + (f" – {hi:,.{digits}f}" if hi > lo else ""),
        )
        for c, (lo, hi) in zip(palette, ranges, strict=False)
    ]
    handles += [
        patches.Patch(
            facecolor=_NO_ESTIMATE.get(s, "#ffffff"),
            edgecolor="#777777",
            hatch=_HATCH[s],
            label=_STATE_LABELS[s],
        )
        for s in ("unreliable", "suppressed", "no data")
        if s in states
    ]
    style: dict[str, Any] = {"fontsize": 8, "title_fontsize": 8, "frameon": False}
    fig = ax.get_figure()
    if own and fig is not None:  # a figure-level legend: the layout makes room for it
        fig.legend(
            handles=handles,
            title=_plain(title),
            loc="outside right upper",
            alignment="left",
            **style,
        )
    else:
        ax.legend(
            handles=handles,
            title=_plain(title),
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            alignment="left",
            **style,
        )
