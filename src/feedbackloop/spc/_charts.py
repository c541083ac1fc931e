"""Run charts and Shewhart control charts: :func:`run_chart`, :func:`control_chart`, :func:`charts`.

Formulas (``shared/docs/domain.md`` section 7; Montgomery, *Introduction to
Statistical Quality Control*; Provost & Murray, *The Health Care Data Guide*;
Laney 2002, *Quality Engineering* 14(4)):

* XmR: centre ``mean(x)``; ``MR_i = |x_i - x_(i-1)|``; limits
  ``mean ± 2.66 · mean(MR)`` (``2.66 = 3 / d2``, ``d2 = 1.128``); moving-range
  upper limit ``3.267 · mean(MR)``.
* p: ``p̄ = Σ events / Σ n``; limits ``p̄ ± 3 · sqrt(p̄ (1 - p̄) / n_i)``, clipped to [0, 1].
* u: ``ū = Σ events / Σ n``; limits ``ū ± 3 · sqrt(ū / n_i)``, the lower clipped at 0.
* c: ``c̄ ± 3 · sqrt(c̄)``, the lower clipped at 0.
* Laney p′ / u′: ``z_i = (y_i - centre) / σ_i``; ``σ_z = mean(|z_i - z_(i-1)|) / 1.128``;
  limits ``centre ± 3 · σ_i · σ_z``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from attrs import field, frozen

from feedbackloop.errors import SpcError
from feedbackloop.period import Period
from feedbackloop.series import IndicatorSeries
from feedbackloop.spc import _rules
from feedbackloop.spc._rules import Hit

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["KINDS", "RULE_SETS", "SpcChart", "charts", "control_chart", "points", "run_chart"]

ChartKind = Literal["run", "xmr", "p", "u", "c", "laney_p", "laney_u"]
#: The kinds of chart :func:`control_chart` draws (``run`` is :func:`run_chart`).
KINDS: tuple[str, ...] = ("xmr", "p", "u", "c", "laney_p", "laney_u")
#: Named sets of control-chart rules; ``limits`` (points beyond the limits) is always applied.
RULE_SETS: Mapping[str, tuple[str, ...]] = {
    "limits": (),
    "western_electric": ("we_2_of_3", "we_4_of_5", "we_8_on_one_side"),
    "nelson": tuple(f"nelson_{i}" for i in range(2, 9)),
}
_RUN_RULES: Mapping[str, tuple[str, ...]] = {
    "ihi": ("shift", "trend", "too_few_runs", "too_many_runs", "astronomical"),
    "anhoj": ("long_run", "few_crossings"),
}
_D2 = 1.128
_E2 = 3 / _D2  # 2.66
_D4 = 3.267
_SIGNAL_COLUMNS = ["rule", "start", "end", "points", "direction", "phase"]


@frozen(kw_only=True)
class SpcChart:
    """A run chart or control chart: the points, the limits and the signals found.

    Attributes
    ----------
    kind : str
        ``run``, ``xmr``, ``p``, ``u``, ``c``, ``laney_p`` or ``laney_u``.
    y : pandas.Series
        The points, in time order, indexed as given (periods become their labels).
    n : pandas.Series or None
        The denominators (p, u and Laney charts).
    center, lower, upper : pandas.Series
        One value per point: the centre line and the control limits (``NaN``
        where a limit does not exist: a run chart has none).
    sigma : pandas.Series
        The standard deviation behind each point's limits (``NaN`` for run charts).
    moving_range : pandas.Series or None
        XmR charts: ``|x_i - x_(i-1)|`` within a phase (``NaN`` for a phase's first point).
    moving_range_center, moving_range_upper : pandas.Series or None
        XmR charts: the average moving range and ``3.267`` times it, per point.
    phase : pandas.Series
        The phase of each point (0, 1, ...); limits are computed within a phase.
    signals : pandas.DataFrame
        One row per signal: ``rule``, ``start`` and ``end`` (index labels of
        the first and last point), ``points`` (how many points it spans:
        the periods it spans, from ``start`` to ``end`` inclusive: missing points
        and points on the centre line inside it count), ``direction`` (``up``,
        ``down`` or empty for a pattern) and ``phase``.
    rules : tuple of str
        The rules that were applied.
    runs : pandas.DataFrame
        Per phase: ``useful`` observations (not on the centre line), ``runs``,
        ``crossings``, ``longest_run`` and the limits the run rules used
        (``runs_lower``, ``runs_upper``, ``longest_run_limit``, ``crossings_limit``).
    """

    kind: str
    y: pd.Series = field(eq=False)
    n: pd.Series | None = field(eq=False)
    center: pd.Series = field(eq=False)
    lower: pd.Series = field(eq=False)
    upper: pd.Series = field(eq=False)
    sigma: pd.Series = field(eq=False)
    phase: pd.Series = field(eq=False)
    signals: pd.DataFrame = field(eq=False)
    rules: tuple[str, ...]
    runs: pd.DataFrame = field(eq=False)
    moving_range: pd.Series | None = field(default=None, eq=False)
    moving_range_center: pd.Series | None = field(default=None, eq=False)
    moving_range_upper: pd.Series | None = field(default=None, eq=False)
    title: str = ""

    @property
    def has_signal(self) -> bool:
        """Whether any rule found a signal ("a signal, not noise")."""
        return not self.signals.empty

    def signal_points(self) -> pd.Series:
        """Return, per point, whether it belongs to any signal."""
        inside = np.zeros(len(self.y), dtype=bool)
        labels = list(self.y.index)
        at = {label: i for i, label in enumerate(labels)}
        for start, end in zip(self.signals["start"], self.signals["end"], strict=True):
            inside[at[start] : at[end] + 1] = True
        return pd.Series(inside, index=self.y.index, name="signal")

    def to_frame(self) -> pd.DataFrame:
        """Return the points with their centre, limits, phase and signal flag."""
        out = pd.DataFrame(
            {
                "y": self.y,
                "center": self.center,
                "lower": self.lower,
                "upper": self.upper,
                "phase": self.phase,
                "signal": self.signal_points(),
            }
        )
        if self.n is not None:
            out.insert(1, "n", self.n)
        return out

    def describe(self) -> str:
        """Say in one sentence what the chart shows (for reports and discussion)."""
        name = _NAMES[self.kind]
        if not self.has_signal:
            return f"{name}: no signal; the variation looks like common-cause noise."
        parts = []
        for row in self.signals.to_dict("records"):
            start, end, rule = str(row["start"]), str(row["end"]), str(row["rule"])
            where = start if start == end else f"{start} to {end}"
            way = f" ({row['direction']})" if row["direction"] else ""
            parts.append(f"{_RULE_TEXT.get(rule, rule)}{way} at {where}")
        return f"{name}: a signal, not noise: " + "; ".join(parts) + "."

    def plot(self, ax: Axes | None = None) -> Axes:
        """Draw the chart with :func:`feedbackloop.plot.spc_chart` (matplotlib)."""
        from feedbackloop.plot import spc_chart

        return spc_chart(self, ax=ax)

    def __repr__(self) -> str:
        found = f"{len(self.signals)} signal(s)" if self.has_signal else "no signal"
        return f"<SpcChart {self.kind}: {len(self.y)} points, {found}>"


_NAMES = {
    "run": "Run chart",
    "xmr": "XmR chart",
    "p": "p chart",
    "u": "u chart",
    "c": "c chart",
    "laney_p": "Laney p′ chart",
    "laney_u": "Laney u′ chart",
}
_RULE_TEXT = {
    "shift": "a shift",
    "trend": "a trend",
    "too_few_runs": "too few runs",
    "too_many_runs": "too many runs",
    "astronomical": "an astronomical point",
    "long_run": "an unusually long run",
    "few_crossings": "too few crossings of the median",
    "beyond_limits": "a point beyond the limits",
    "we_2_of_3": "2 of 3 points beyond 2 sigma",
    "we_4_of_5": "4 of 5 points beyond 1 sigma",
    "we_8_on_one_side": "8 points on one side",
}


# ------------------------------------------------------------------- inputs


def _index_labels(index: pd.Index) -> pd.Index:
    """Check the points are in time order; periods (and their labels) become labels."""
    if index.has_duplicates:
        dup = index[index.duplicated()][0]
        raise SpcError(f"the points are indexed by {dup!r} more than once; one point per period")
    values = list(index)
    if values and all(isinstance(v, (str, Period)) for v in values):
        try:
            periods = [v if isinstance(v, Period) else Period.parse(v) for v in values]
        except ValueError as err:
            raise SpcError(f"the index is not a time order of periods: {err}") from err
        for a, b, pa_, pb in zip(values, values[1:], periods, periods[1:], strict=False):
            if not pa_ < pb:
                raise SpcError(
                    f"the points are not in time order: {a!s} comes before {b!s}; "
                    "sort them by period (y.sort_index(key=...)) first"
                )
        return pd.Index([str(p) for p in periods], name=index.name)
    if values and not (index.is_monotonic_increasing and index.is_unique):
        raise SpcError("the points are not in time order: sort the index first")
    return index


def _as_series(y: Any, what: str) -> pd.Series:
    if isinstance(y, pd.Series):
        s = y
    elif isinstance(y, Mapping):
        s = pd.Series(dict(y))
    else:
        s = pd.Series(list(y))
    try:
        values = pd.to_numeric(s, errors="raise").astype("float64")
    except (TypeError, ValueError) as err:
        raise SpcError(f"{what} must be numbers: {err}") from err
    return values


def _prepare(y: Any, n: Any, kind: str) -> tuple[pd.Series, pd.Series | None]:
    ys = _as_series(y, "y")
    ys.index = _index_labels(ys.index)
    ns = None
    if kind in ("p", "u", "laney_p", "laney_u"):
        if n is None:
            raise SpcError(f"a {kind} chart needs the denominators: pass n=")
        ns = _as_series(n, "n")
        if len(ns) != len(ys):
            raise SpcError(f"n has {len(ns)} values for {len(ys)} points")
        ns.index = ys.index
        bad = ys.notna() & ~(ns > 0)
        if bad.any():
            raise SpcError(f"n must be positive where there is a point; not at {_first(bad)}")
    elif n is not None:
        raise SpcError(f"a {kind} chart takes no denominators (n=); use a p or u chart")
    _check_range(ys, kind)
    return ys, ns


def _first(mask: pd.Series) -> str:
    return str(mask.index[np.flatnonzero(mask.to_numpy())[0]])


def _check_range(y: pd.Series, kind: str) -> None:
    if np.isinf(y.to_numpy()).any():
        raise SpcError(f"y holds an infinite value at {_first(pd.Series(np.isinf(y), y.index))}")
    if kind in ("p", "laney_p"):
        bad = (y < 0) | (y > 1)
        if bad.any():
            raise SpcError(
                f"a p chart plots proportions (events / n) in [0, 1]; {float(y[bad].iloc[0])!r} at "
                f"{_first(bad)} is not one (divide percentages by 100)"
            )
    elif kind in ("u", "c", "laney_u"):
        bad = y < 0
        if bad.any():
            raise SpcError(f"a {kind} chart plots counts or rates >= 0; not at {_first(bad)}")


def _phases(
    index: pd.Index, phases: Iterable[Hashable] | None, freeze: Hashable | None
) -> tuple[np.ndarray[Any, np.dtype[np.int64]], int | None]:
    """Phase number per point, and the position of the last baseline point."""
    labels = [str(x) for x in index] if index.dtype == object else list(index)
    at = {label: i for i, label in enumerate(labels)}

    def position(label: Hashable, what: str) -> int:
        key = str(label) if isinstance(label, (str, Period)) else label
        if key not in at:
            raise SpcError(f"{what} {label!r} is not one of the points' periods")
        return at[key]

    phase = np.zeros(len(labels), dtype=np.int64)
    starts = sorted(position(p, "phase start") for p in (phases or ()))
    for s in starts:
        if s == 0:
            raise SpcError("a phase cannot start at the first point (it already starts one)")
        phase[s:] += 1
    last = None
    if freeze is not None:
        last = position(freeze, "freeze")
        if starts and last >= starts[0]:
            raise SpcError(f"freeze={freeze!r} falls after the first phase ends; freeze within it")
    return phase, last


# -------------------------------------------------------------------- limits


def _limits(
    kind: str, y: np.ndarray[Any, Any], n: np.ndarray[Any, Any] | None, base: np.ndarray[Any, Any]
) -> tuple[float, np.ndarray[Any, Any], float]:
    """Centre, per-point sigma and average moving range from the baseline points ``base``."""
    ok = base & ~np.isnan(y)
    yb = y[ok]
    if not len(yb):
        return math.nan, np.full(len(y), math.nan), math.nan
    same = bool((yb == yb[0]).all())  # a constant baseline: its centre is exact, not a rounded mean
    if kind == "xmr":
        center = float(yb[0]) if same else float(yb.mean())
        amr = float(np.abs(np.diff(yb)).mean()) if len(yb) > 1 else math.nan
        return center, np.full(len(y), amr / _D2), amr
    if kind == "c":
        center = float(yb[0]) if same else float(yb.mean())
        return center, np.full(len(y), math.sqrt(center)), math.nan
    assert n is not None
    center = float(yb[0]) if same else float((yb * n[ok]).sum() / n[ok].sum())
    spread = center * (1 - center) if kind in ("p", "laney_p") else center
    sigma = np.sqrt(spread / n)
    if kind in ("laney_p", "laney_u"):
        z = (yb - center) / sigma[ok]
        sigma_z = float(np.abs(np.diff(z)).mean()) / _D2 if len(z) > 1 else math.nan
        sigma = sigma * sigma_z
    return center, sigma, math.nan


def _clip(kind: str, lower: np.ndarray[Any, Any], upper: np.ndarray[Any, Any]) -> None:
    if kind in ("p", "laney_p"):
        np.clip(upper, None, 1.0, out=upper)
        np.clip(lower, 0.0, None, out=lower)
    elif kind in ("u", "c", "laney_u"):
        np.clip(lower, 0.0, None, out=lower)


# ------------------------------------------------------------------- signals


def _hits_frame(
    hits: list[tuple[int, Hit]], index: pd.Index, phase_start: list[int]
) -> pd.DataFrame:
    rows = []
    for ph, h in hits:
        a, b = phase_start[ph] + h.start, phase_start[ph] + h.end
        rows.append((h.rule, index[a], index[b], b - a + 1, h.direction, ph))
    frame = pd.DataFrame(rows, columns=_SIGNAL_COLUMNS)
    frame["points"] = frame["points"].astype("int64")
    frame["phase"] = frame["phase"].astype("int64")
    return frame.sort_values(["phase", "start"], kind="stable", key=None).reset_index(drop=True)


def _run_stats(y: np.ndarray[Any, Any], center: float, wanted: Sequence[str]) -> dict[str, Any]:
    useful, runs = _rules.number_of_runs(y, center)
    _, side = _rules.useful_points(y, center)
    longest = max((b - a + 1 for a, b, _ in _rules.side_runs(side)), default=0)
    return {
        "useful": useful,
        "runs": runs,
        "crossings": max(runs - 1, 0),
        "longest_run": longest,
        "runs_lower": _rules.runs_limits(useful)[0]
        if useful >= 10 and "too_few_runs" in wanted
        else None,
        "runs_upper": _rules.runs_limits(useful)[1]
        if useful >= 10 and "too_many_runs" in wanted
        else None,
        "longest_run_limit": _rules.longest_run_limit(useful)
        if useful and "long_run" in wanted
        else None,
        "crossings_limit": _rules.crossings_limit(useful)
        if useful >= 2 and "few_crossings" in wanted
        else None,
    }


def _run_hits(
    y: np.ndarray[Any, Any], center: float, wanted: Sequence[str], minimum: int
) -> list[Hit]:
    hits: list[Hit] = []
    if "shift" in wanted:
        hits += _rules.shift(y, center)
    if "trend" in wanted:
        hits += _rules.trend(y)
    if "too_few_runs" in wanted or "too_many_runs" in wanted:
        hits += [h for h in _rules.runs_count(y, center, minimum=minimum) if h.rule in wanted]
    if "long_run" in wanted:
        hits += _rules.long_run(y, center)
    if "few_crossings" in wanted:
        hits += _rules.few_crossings(y, center)
    return hits


def _astronomical(index: pd.Index, points: Iterable[Hashable]) -> list[int]:
    at = {label: i for i, label in enumerate(index)}
    out = []
    for p in points:
        key = str(p) if isinstance(p, (str, Period)) else p
        if key not in at:
            raise SpcError(f"astronomical point {p!r} is not one of the points' periods")
        out.append(at[key])
    return out


def _run_rules(rules: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(rules, str):
        if rules not in _RUN_RULES:
            raise SpcError(f"unknown run-chart rules {rules!r}; use 'ihi' or 'anhoj'")
        return _RUN_RULES[rules]
    known = {r for rs in _RUN_RULES.values() for r in rs}
    unknown = [r for r in rules if r not in known]
    if unknown:
        raise SpcError(f"unknown run-chart rule(s) {unknown}; known: {sorted(known)}")
    return tuple(rules)


def run_chart(
    y: pd.Series | IndicatorSeries | Sequence[float],
    *,
    rules: str | Sequence[str] = "ihi",
    phases: Iterable[Hashable] | None = None,
    freeze: Hashable | None = None,
    astronomical: Iterable[Hashable] = (),
    min_useful: int = 10,
    title: str = "",
) -> SpcChart:
    """Draw up a run chart: the points around their median, and the runs rules' signals.

    Points on the median are skipped: they neither add to nor break a run
    (``shared/docs/domain.md`` section 7).

    - ``rules="ihi"`` (Provost & Murray, *The Health Care Data Guide*; Perla,
      Provost & Murray 2011): a **shift** is 6 or more consecutive points on one
      side of the median; a **trend** is 5 or more points all going up or all
      going down (equal neighbours count once); **too few or too many runs**
      for the number of useful observations (:func:`runs_limits`; applied from
      ``min_useful`` useful observations on); an **astronomical point** is a
      matter of judgement, so it is reported only for the periods you name in
      ``astronomical``.
    - ``rules="anhoj"`` (Anhøj & Olesen 2014): an unusually long run, longer than
      ``round(log2(n) + 3)`` (:func:`longest_run_limit`), or too few crossings of
      the median, fewer than the lower 5% quantile of Binomial(n - 1, 0.5)
      (:func:`crossings_limit`).

    Parameters
    ----------
    y : pandas.Series, IndicatorSeries or sequence of float
        The points in time order, indexed by period (labels such as
        ``"2024-05"``, ``"2024-W19"`` or :class:`~feedbackloop.Period` objects,
        which must be increasing) or by anything ordered. An ``IndicatorSeries``
        must hold one place and category (use :func:`charts` for several).
        Missing values are skipped.
    rules : {"ihi", "anhoj"} or sequence of str
        A rule set, or rule names from both (``"shift"``, ``"trend"``,
        ``"too_few_runs"``, ``"too_many_runs"``, ``"astronomical"``,
        ``"long_run"``, ``"few_crossings"``).
    phases : iterable, optional
        Periods where a new phase starts (after a change was adopted): the
        median and the rules are taken within each phase.
    freeze : optional
        The last period of the baseline: the first phase's median comes from the
        points up to it, and is extended to the rest of the phase.
    astronomical : iterable, optional
        Periods you judge to be astronomical points.
    min_useful : int
        Useful observations needed before the number-of-runs rule applies (10).
    title : str
        A title for the plot.

    Returns
    -------
    SpcChart

    Raises
    ------
    SpcError
        Points out of time order or repeated, values that are not numbers,
        phases or ``freeze`` naming periods that are not points, unknown rules.

    Examples
    --------
    >>> import pandas as pd
    >>> y = pd.Series([3, 4, 3, 5, 4, 3, 4, 8, 9, 8, 9, 10, 9, 8],
    ...               index=[f"2024-{m:02d}" for m in range(1, 13)] + ["2025-01", "2025-02"])
    >>> chart = run_chart(y)
    >>> float(chart.center.iloc[0])
    6.5
    >>> for row in chart.signals[["rule", "start", "end", "points", "direction"]].values.tolist():
    ...     print(row)
    ['shift', '2024-01', '2024-07', 7, 'down']
    ['too_few_runs', '2024-01', '2025-02', 14, '']
    ['shift', '2024-08', '2025-02', 7, 'up']
    >>> chart.describe()[:46]
    'Run chart: a signal, not noise: a shift (down)'

    """
    ys, _ = _prepare(_values_of(y), None, "run")
    wanted = _run_rules(rules)
    phase, last = _phases(ys.index, phases, freeze)
    values = ys.to_numpy()
    center = np.full(len(values), math.nan)
    hits: list[tuple[int, Hit]] = []
    stats = []
    starts = (
        [int(np.flatnonzero(phase == p)[0]) for p in range(int(phase.max()) + 1)]
        if len(phase)
        else []
    )
    for ph, s in enumerate(starts):
        sel = phase == ph
        seg = values[sel]
        base = seg[: last - s + 1] if (ph == 0 and last is not None) else seg
        base = base[~np.isnan(base)]
        med = float(np.median(base)) if len(base) else math.nan
        center[sel] = med
        hits += [(ph, h) for h in _run_hits(seg, med, wanted, min_useful)]
        stats.append({"phase": ph, **_run_stats(seg, med, wanted)})
    frame = _hits_frame(hits, ys.index, starts)
    if "astronomical" in wanted:
        extra = [
            ("astronomical", ys.index[i], ys.index[i], 1, "", int(phase[i]))
            for i in _astronomical(ys.index, astronomical)
        ]
        frame = pd.concat([frame, pd.DataFrame(extra, columns=_SIGNAL_COLUMNS)], ignore_index=True)
        frame = frame.astype({"points": "int64", "phase": "int64"})
    nan = pd.Series(np.full(len(values), math.nan), index=ys.index)
    return SpcChart(
        kind="run",
        y=ys,
        n=None,
        center=pd.Series(center, index=ys.index, name="center"),
        lower=nan.rename("lower"),
        upper=nan.rename("upper"),
        sigma=nan.rename("sigma"),
        phase=pd.Series(phase, index=ys.index, name="phase"),
        signals=frame,
        rules=wanted,
        runs=pd.DataFrame(stats),
        title=title,
    )


def _control_rules(rules: str | Sequence[str]) -> tuple[str, ...]:
    names = [rules] if isinstance(rules, str) else list(rules)
    out: list[str] = ["beyond_limits"]
    for name in names:
        if name in RULE_SETS:
            out += RULE_SETS[name]
        elif name in _rules.CONTROL_RULES or name in _RUN_RULES["anhoj"]:
            out.append(name)
        elif name == "anhoj":
            out += _RUN_RULES["anhoj"]
        elif name != "beyond_limits":
            known = sorted([*RULE_SETS, "anhoj", *_rules.CONTROL_RULES, *_RUN_RULES["anhoj"]])
            raise SpcError(f"unknown control-chart rule {name!r}; known: {known}")
    return tuple(dict.fromkeys(out))


def control_chart(
    y: pd.Series | IndicatorSeries | Sequence[float],
    *,
    kind: ChartKind = "xmr",
    n: pd.Series | Sequence[float] | None = None,
    rules: str | Sequence[str] = "limits",
    phases: Iterable[Hashable] | None = None,
    freeze: Hashable | None = None,
    title: str = "",
) -> SpcChart:
    """Draw up a Shewhart control chart and find the points that signal special causes.

    Parameters
    ----------
    y : pandas.Series, IndicatorSeries or sequence of float
        The points in time order (see :func:`run_chart`). For ``p`` and
        ``laney_p`` charts each point is a proportion, events / n, in [0, 1]
        (a percentage is refused: divide by 100); for ``u`` and ``laney_u`` a
        rate per unit, events / n; for ``c`` a count; for ``xmr`` any measure.
        An ``IndicatorSeries`` gives its values, and for p and u charts its
        ``numerator`` / ``denominator`` columns (or a percent value and its
        ``denominator``).
    kind : {"xmr", "p", "u", "c", "laney_p", "laney_u"}
        The chart (formulas in the module docstring and ``domain.md`` section 7).
        Laney's p′ and u′ widen p and u limits by the between-point variation
        ``σ_z``, for large denominators whose p limits are too tight.
    n : pandas.Series or sequence, optional
        Denominators, one per point (p, u and Laney charts).
    rules : str or sequence of str
        Points beyond the limits always signal. Add ``"western_electric"``
        (2 of 3 beyond 2σ, 4 of 5 beyond 1σ, 8 on one side), ``"nelson"``
        (Nelson's rules 2-8), ``"anhoj"`` (the run rules about the centre line)
        or single rule names. Each added rule raises the false-alarm rate.
    phases : iterable, optional
        Periods where a new phase starts: limits are recomputed from each
        phase's own points.
    freeze : optional
        The last period of the baseline: the first phase's limits come from the
        points up to it and are extended to the rest of the phase.
    title : str
        A title for the plot.

    Returns
    -------
    SpcChart

    Raises
    ------
    SpcError
        A proportion outside [0, 1], negative counts, missing or non-positive
        denominators, points out of time order, unknown rules.

    Examples
    --------
    XmR limits are the mean ± 2.66 times the average moving range:

    >>> chart = control_chart([10, 12, 11, 13, 12, 30, 11, 12], kind="xmr")
    >>> float(chart.center.iloc[0]), round(float(chart.upper.iloc[0]), 3)
    (13.875, 30.592)
    >>> chart.has_signal  # the moving ranges around 30 widen the limits
    False
    """
    if kind not in KINDS:
        raise SpcError(f"unknown chart kind {kind!r}; use one of {', '.join(KINDS)} or run_chart()")
    values_in, n_in = _values_and_n(y, n, kind)
    ys, ns = _prepare(values_in, n_in, kind)
    wanted = _control_rules(rules)
    phase, last = _phases(ys.index, phases, freeze)
    values = ys.to_numpy()
    nv = None if ns is None else ns.to_numpy()
    size = len(values)
    center, sigma = np.full(size, math.nan), np.full(size, math.nan)
    mr, amr = np.full(size, math.nan), np.full(size, math.nan)
    hits: list[tuple[int, Hit]] = []
    starts = (
        [int(np.flatnonzero(phase == p)[0]) for p in range(int(phase.max()) + 1)] if size else []
    )
    stats = []
    for ph in range(len(starts)):
        sel = phase == ph
        base = sel.copy()
        if ph == 0 and last is not None:
            base[last + 1 :] = False
        c, sg, a = _limits(kind, values, nv, base)
        center[sel], sigma[sel], amr[sel] = c, sg[sel], a
        if kind == "xmr":
            mr[sel] = _moving_range(values[sel])
        seg = values[sel]
        z = _standardized(seg, c, sigma[sel])
        hits += [(ph, h) for h in _control_hits(seg, z, c, center[sel], sigma[sel], kind, wanted)]
        stats.append({"phase": ph, **_run_stats(seg, c, wanted)})
    lower, upper = center - 3 * sigma, center + 3 * sigma
    _clip(kind, lower, upper)
    frame = _hits_frame(hits, ys.index, starts)
    idx = ys.index
    return SpcChart(
        kind=kind,
        y=ys,
        n=ns,
        center=pd.Series(center, index=idx, name="center"),
        lower=pd.Series(lower, index=idx, name="lower"),
        upper=pd.Series(upper, index=idx, name="upper"),
        sigma=pd.Series(sigma, index=idx, name="sigma"),
        phase=pd.Series(phase, index=idx, name="phase"),
        signals=frame,
        rules=wanted,
        runs=pd.DataFrame(stats),
        moving_range=pd.Series(mr, index=idx, name="moving_range") if kind == "xmr" else None,
        moving_range_center=pd.Series(amr, index=idx) if kind == "xmr" else None,
        moving_range_upper=pd.Series(_D4 * amr, index=idx) if kind == "xmr" else None,
        title=title,
    )


def _standardized(
    seg: np.ndarray[Any, Any], center: float, sigma: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """``(y - centre) / sigma``; with no spread (sigma 0) a point off the centre is infinite."""
    diff = seg - center
    with np.errstate(divide="ignore", invalid="ignore"):
        z: np.ndarray[Any, Any] = diff / sigma
    flat = sigma == 0
    z[flat] = 0.0
    z[flat & (diff > 0)] = np.inf
    z[flat & (diff < 0)] = -np.inf
    return z


def _moving_range(seg: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """``|x_i - x_(i-1)|`` over the present points of a phase, at the later point."""
    out = np.full(len(seg), math.nan)
    pos = np.flatnonzero(~np.isnan(seg))
    if len(pos) > 1:
        out[pos[1:]] = np.abs(np.diff(seg[pos]))
    return out


def _control_hits(
    seg: np.ndarray[Any, Any],
    z: np.ndarray[Any, Any],
    c: float,
    center: np.ndarray[Any, Any],
    sigma: np.ndarray[Any, Any],
    kind: str,
    wanted: Sequence[str],
) -> list[Hit]:
    lower, upper = center - 3 * sigma, center + 3 * sigma
    _clip(kind, lower, upper)
    hits = _rules.beyond_limits(seg, lower, upper)
    # zone rules need a spread: with none (sigma 0) "within 1 sigma" means nothing
    ok = ~np.isnan(seg) & ~np.isnan(z) & (sigma > 0)
    for name in wanted:
        if name in _rules.CONTROL_RULES:
            hits += _rules.CONTROL_RULES[name](np.where(ok, z, 0.0), ok)
    hits += _run_hits(seg, c, [w for w in wanted if w in _RUN_RULES["anhoj"]], 10)
    return hits


# ------------------------------------------------------------ IndicatorSeries


def _values_of(y: Any) -> Any:
    if isinstance(y, IndicatorSeries):
        return points(y)
    return y


def points(series: IndicatorSeries) -> pd.Series:
    """Return the values of a series holding one place and category, by period, in time order.

    Raises
    ------
    SpcError
        If the series holds several places or categories (chart one with
        ``series.filter(...)``, or each with :func:`charts`).
    """
    values: pd.Series = _one_cell(series)["value"].astype(float)
    values.index = values.index.astype(str)
    return values


def _one_cell(series: IndicatorSeries) -> pd.DataFrame:
    frame = series.frame
    others = [k for k in series.keys if k != "period"]
    groups = frame.groupby(others, sort=False, observed=True).ngroups if others else 1
    if groups > 1:
        raise SpcError(
            f"{series.indicator.id!r} holds {groups} places or categories; chart one with "
            "series.filter(...) or chart each with feedbackloop.spc.charts(series)"
        )
    order = sorted(range(len(frame)), key=lambda i: Period.parse(frame["period"].iloc[i]))
    return frame.iloc[order].set_index("period")


def _values_and_n(y: Any, n: Any, kind: str) -> tuple[Any, Any]:
    if not isinstance(y, IndicatorSeries):
        return y, n
    frame = _one_cell(y)
    if kind not in ("p", "u", "laney_p", "laney_u") or n is not None:
        return frame["value"], n
    if "numerator" in frame and "denominator" in frame:
        return frame["numerator"] / frame["denominator"], frame["denominator"]
    if "denominator" in frame:
        scale = 100.0 if y.unit in ("percent", "%") else 1.0
        return frame["value"] / scale, frame["denominator"]
    raise SpcError(
        f"a {kind} chart of {y.indicator.id!r} needs denominators: the series has no "
        "denominator column; pass n="
    )


def charts(
    series: IndicatorSeries, *, kind: ChartKind = "run", **options: Any
) -> dict[tuple[str, ...], SpcChart]:
    """Chart every place and category of a series: one chart per place and category.

    Parameters
    ----------
    series : IndicatorSeries
    kind : {"run", "xmr", "p", "u", "c", "laney_p", "laney_u"}
        ``run`` uses :func:`run_chart`, the others :func:`control_chart`.
    **options
        Passed to :func:`run_chart` or :func:`control_chart`.

    Returns
    -------
    dict
        Keyed by ``(geography, *dimension values)``, in the series' order.
    """
    keys = [k for k in series.keys if k != "period"]
    out: dict[tuple[str, ...], SpcChart] = {}
    for key, _ in series.frame.groupby(keys, sort=False, observed=True):
        cell = key if isinstance(key, tuple) else (key,)
        where = {k: str(v) for k, v in zip(keys, cell, strict=True)}
        one = series.filter(**where)
        if kind == "run":
            out[tuple(map(str, cell))] = run_chart(one, **options)
        else:
            out[tuple(map(str, cell))] = control_chart(one, kind=kind, **options)
    return out
