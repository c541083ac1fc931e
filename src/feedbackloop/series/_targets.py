"""Progress toward targets, baseline forecasts and turned curves (RBA, Healthy People).

domain.md §5 (baselines and turning the curve) and §6 (progress measures);
formulas from :mod:`feedbackloop.stats`. Progress derived from a suppressed
cell is withheld, as in :mod:`feedbackloop.series._compare`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from feedbackloop import stats
from feedbackloop.errors import SeriesError
from feedbackloop.period import Period
from feedbackloop.series._arrays import F64
from feedbackloop.series._columns import MOE, PERIOD, STATUS, VALUE
from feedbackloop.series._compare import rows_at, withheld
from feedbackloop.series._status import Status

if TYPE_CHECKING:
    from feedbackloop.model import Target
    from feedbackloop.series._frame import IndicatorSeries

__all__ = ["baseline_forecast", "progress", "turned_curve"]

Mask = np.ndarray[Any, np.dtype[np.bool_]]


# ---------------------------------------------------------------- progress


def _current_and_baseline(
    series: IndicatorSeries,
    target: Target,
    current: Period,
    periods: tuple[Period, ...],
    keys: list[str],
) -> tuple[pd.DataFrame, F64, F64, F64, F64, Mask, Mask]:
    """Each key's current value and baseline, with margins (an exact target baseline: 0).

    Also whether each current row, and each baseline row, is withheld: a
    withheld baseline stays unknown (it is not replaced by the target's).
    """
    cur = rows_at(series, current)
    base_p = target.baseline.period
    if base_p in periods:
        base = rows_at(series, base_p)
        merged = cur.merge(base, on=keys, how="left", suffixes=("", "_b"), sort=True)
    else:
        merged = cur.copy()
        merged["value_b"] = np.nan
        merged["status_b"] = None
        if series.has_moe:
            merged["moe_b"] = np.nan
    hidden_x, hidden_b = withheld(merged[STATUS]), withheld(merged["status_b"])
    x = merged[VALUE].to_numpy(dtype=np.float64, na_value=np.nan)
    b = merged["value_b"].to_numpy(dtype=np.float64, na_value=np.nan)
    b = np.where(np.isnan(b) & ~hidden_b, target.baseline.value, b)
    mx = (
        merged[MOE].to_numpy(dtype=np.float64, na_value=np.nan)
        if series.has_moe
        else np.full(len(x), np.nan)
    )
    mb = (
        merged["moe_b"].to_numpy(dtype=np.float64, na_value=np.nan)
        if series.has_moe
        else np.full(len(x), np.nan)
    )
    # The target's own baseline is exact.
    mb = np.where(np.isnan(mb) & ~np.isnan(mx) & ~hidden_b, 0.0, mb)
    return merged, x, b, mx, mb, hidden_x, hidden_b


def _target_levels(target: Target, b: F64) -> F64:
    """Return each row's target level: shared, or relative / added to its own baseline."""
    if target.value is not None:
        return np.full(len(b), target.value)
    if target.relative_change is not None:
        return b * (1 + target.relative_change)
    assert target.absolute_change is not None
    return b + target.absolute_change


def _movement(
    out: pd.DataFrame, x: F64, b: F64, t: F64, mx: F64, mb: F64, sign: int, level: float
) -> tuple[np.ndarray[Any, Any], pd.arrays.BooleanArray]:
    """Healthy People's status of each row, and whether it is on the linear path.

    A row whose current value or baseline is unknown has status ``no data``;
    :func:`progress` then marks the withheld ones.
    """
    z = stats.z_for_level(level)
    moe_change = np.sqrt(mx**2 + mb**2) * z / stats.Z90
    moved = (x - b) * sign  # positive = better
    has_moe = ~np.isnan(moe_change)
    pct = out["percent_of_targeted_change"].to_numpy(dtype=np.float64)
    toward_target = np.sign(t - b) * sign >= 0  # the target asks for improvement
    better = np.where(has_moe, moved > moe_change, np.where(toward_target, pct >= 10, moved > 0))
    worse = np.where(has_moe, moved < -moe_change, np.where(toward_target, pct <= -10, moved < 0))
    met = (x - t) * sign >= 0
    status = np.select(
        [np.isnan(x) | np.isnan(b), met, better, worse],
        ["no data", "met", "improving", "getting worse"],
        default="little or no detectable change",
    )
    exp_lin = out["expected_linear"].to_numpy(dtype=np.float64)
    gap = (x - exp_lin) * sign  # negative = behind schedule
    tol = np.where(np.isnan(mx), 0.0, mx * z / stats.Z90)
    on_track = pd.array(gap >= -tol, dtype="boolean")
    on_track[np.isnan(x) | np.isnan(exp_lin)] = pd.NA
    return status, on_track


def progress(
    series: IndicatorSeries,
    target: Target,
    *,
    period: Period | str | int | None = None,
    level: float = 0.90,
) -> pd.DataFrame:
    """Progress toward a target for every place and category.

    For each key: the baseline (the series' value in the target's baseline
    period, else the target's own baseline value), the current value (at
    ``period``, default the latest), the target level (a ``level`` target is
    shared; relative and absolute changes apply to each row's own baseline),
    the percentage of targeted change achieved and the percentage change from
    baseline (Healthy People 2030 methods), and the expected values on linear
    and compound paths (domain.md §6).

    ``status`` follows Healthy People: ``met`` (on the desired side of the
    target), ``improving`` / ``getting worse`` (movement toward / away from
    the target that exceeds its margin of error at ``level``; without margins,
    at least 10% of the targeted change), else ``little or no detectable
    change``. ``on_track`` is False only when the value is worse than the
    linear path by more than its margin of error.

    Where the current value or the series' baseline is suppressed, everything
    derived from it is withheld: null numbers, ``on_track`` NA and status
    ``suppressed_derived`` (a target level set as a change from a suppressed
    baseline is withheld too).

    Returns
    -------
    pandas.DataFrame
    """
    if target.indicator != series.indicator.id:
        raise SeriesError(
            f"target is for {target.indicator!r} but the series is {series.indicator.id!r}"
        )
    periods = series.periods
    if not periods:
        raise SeriesError(f"series {series.indicator.id!r} is empty")
    current_p = Period.parse(period) if period is not None else periods[-1]
    keys = [k for k in series.keys if k != PERIOD]
    merged, x, b, mx, mb, hidden_x, hidden_b = _current_and_baseline(
        series, target, current_p, periods, keys
    )
    t = _target_levels(target, b)
    elapsed = target.elapsed(current_p)
    horizon = target.horizon
    out = merged[keys].copy()
    out["baseline_period"] = str(target.baseline.period)
    out["baseline"] = b
    out["baseline_moe"] = mb
    out["period"] = str(current_p)
    out["value"] = x
    out["moe"] = mx
    out["target_period"] = str(target.period)
    out["target"] = t
    out["percent_of_targeted_change"] = np.asarray(stats.percent_of_targeted_change(b, x, t))
    out["percent_change"] = np.asarray(stats.percent_change(b, x))
    out["expected_linear"] = np.asarray(
        stats.expected_linear(b, t, elapsed, horizon), dtype=np.float64
    )
    out["expected_compound"] = np.asarray(stats.expected_compound(b, t, elapsed, horizon))
    sign = series.indicator.direction.sign
    out["status"], out["on_track"] = _movement(out, x, b, t, mx, mb, sign, level)
    hidden = hidden_x | hidden_b
    out.loc[hidden, "status"] = Status.SUPPRESSED_DERIVED.value
    out.loc[hidden, "on_track"] = pd.NA
    return out


# --------------------------------------------------------- forecast, curve


def _fit_points(
    series: IndicatorSeries, keys: list[str], cutoff: Period | None, method: str
) -> pd.DataFrame:
    """Select the points to fit: ``__x`` (period midpoint), ``__y`` (value or its log)."""
    df = series.frame[[*keys, PERIOD, VALUE]].copy()
    label_mid = {str(p): p.midpoint for p in series.periods}
    df["__x"] = df[PERIOD].map(label_mid).astype(float)
    fit_mask = df[VALUE].notna()
    if cutoff is not None:
        fit_mask &= df["__x"] <= cutoff.midpoint
    fit = df[fit_mask].copy()
    fit["__y"] = fit[VALUE].astype(float)
    if method == "compound":
        if (fit["__y"] <= 0).any():
            raise SeriesError("a compound forecast needs positive values; use method='linear'")
        fit["__y"] = np.log(fit["__y"])
    return fit


def _fit_lines(fit: pd.DataFrame, keys_g: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Least-squares lines per key: the sums (``n`` points...) and the coefficients.

    The coefficients frame holds ``__a`` (intercept), ``__b`` (slope),
    ``__xbar``, ``__sxx``, ``__n`` and ``__s`` (residual standard error, NaN
    with fewer than three points).
    """
    fit["__xy"] = fit["__x"] * fit["__y"]
    fit["__xx"] = fit["__x"] ** 2
    g = fit.groupby(keys_g, sort=True, dropna=False)
    s = g.agg(
        n=("__x", "size"),
        sx=("__x", "sum"),
        sy=("__y", "sum"),
        sxx=("__xx", "sum"),
        sxy=("__xy", "sum"),
    )
    n = s["n"].to_numpy(dtype=np.float64)
    xbar = s["sx"].to_numpy() / n
    ybar = s["sy"].to_numpy() / n
    sxx = s["sxx"].to_numpy() - n * xbar**2
    sxy = s["sxy"].to_numpy() - n * xbar * ybar
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(sxx > 0, sxy / sxx, np.nan)
    intercept = ybar - slope * xbar
    coef = s[[]].copy()
    coef["__a"], coef["__b"], coef["__xbar"], coef["__sxx"], coef["__n"] = (
        intercept,
        slope,
        xbar,
        sxx,
        n,
    )
    fit = fit.join(coef, on=keys_g)
    fit["__res2"] = (fit["__y"] - fit["__a"] - fit["__b"] * fit["__x"]) ** 2
    rss = fit.groupby(keys_g, sort=True, dropna=False)["__res2"].sum().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.where(n > 2, np.sqrt(rss / (n - 2)), np.nan)
    coef["__s"] = sigma
    return s, coef


def _forecasts(coef: pd.DataFrame, future: list[Period], method: str) -> pd.DataFrame:
    """Each line's forecast and 90% prediction margin at each future period."""
    rows = []
    for p in future:
        x0 = p.midpoint
        yhat = coef["__a"] + coef["__b"] * x0
        with np.errstate(divide="ignore", invalid="ignore"):
            se = coef["__s"] * np.sqrt(
                1 + 1 / coef["__n"] + (x0 - coef["__xbar"]) ** 2 / coef["__sxx"]
            )
        frame = coef[[]].copy()
        frame[PERIOD] = str(p)
        if method == "compound":
            frame["forecast"] = np.exp(yhat)
            frame["forecast_moe"] = np.exp(yhat) * stats.Z90 * se  # delta method
        else:
            frame["forecast"] = yhat
            frame["forecast_moe"] = stats.Z90 * se
        rows.append(frame)
    return pd.concat(rows).reset_index()


def baseline_forecast(
    series: IndicatorSeries,
    until: Period | str | int,
    *,
    method: str = "linear",
    before: Period | str | int | None = None,
) -> pd.DataFrame:
    """Forecast each curve forward from its history: the RBA baseline.

    A baseline is the history plus a forecast of where it goes if nothing
    changes (domain.md §5). For every key, an ordinary least-squares line is
    fitted to the values of the periods up to ``before`` (default: all), by
    period midpoint (``method="linear"``), or to their logarithms
    (``method="compound"``, a constant rate of change). Forecasts are given
    for every later period of the series and for ``until``, with a 90%
    prediction margin ``1.645·s·sqrt(1 + 1/n + (x₀ − x̄)²/Sxx)`` (NaN with
    fewer than three points, where the scatter is unknown).

    Returns
    -------
    pandas.DataFrame
        Keys without period, ``period``, ``forecast``, ``forecast_moe``,
        ``method``, ``points`` (n used).
    """
    if method not in ("linear", "compound"):
        raise SeriesError(f"method must be 'linear' or 'compound' (got {method!r})")
    end = Period.parse(until)
    cutoff = Period.parse(before) if before is not None else None
    keys = [k for k in series.keys if k != PERIOD]
    fit = _fit_points(series, keys, cutoff, method)
    last_fit = fit["__x"].max() if len(fit) else -np.inf
    future = sorted({p for p in series.periods if p.midpoint > last_fit and p <= end} | {end})
    if not keys:
        fit["__k"] = 0
        keys_g = ["__k"]
    else:
        keys_g = keys
    s, coef = _fit_lines(fit, keys_g)
    out = _forecasts(coef, future, method)
    if not keys:
        out = out.drop(columns="__k")
    out["method"] = method
    n = s["n"].to_numpy(dtype=np.float64)
    out = (
        out.merge(
            s[["n"]].rename(columns={"n": "points"}).reset_index(),
            on=keys_g if keys else None,
            how="left",
        )
        if keys
        else out.assign(points=int(n[0]) if len(n) else 0)
    )
    return out[[*keys, PERIOD, "forecast", "forecast_moe", "method", "points"]]


def turned_curve(
    series: IndicatorSeries, forecast: pd.DataFrame, *, level: float = 0.90
) -> pd.DataFrame:
    """Test whether the curve turned: observed values against the baseline forecast.

    Turning the curve means doing better than the forecast (RBA, domain.md
    §5), not merely better than the last point. A row is ``turned`` when the
    observed value beats the forecast, in the indicator's good direction, by
    more than the combined margin ``sqrt(MOE_obs² + MOE_forecast²)`` at
    ``level``; ``turned`` is NA where that margin is unknown.

    Parameters
    ----------
    series : IndicatorSeries
    forecast : pandas.DataFrame
        Output of :func:`baseline_forecast`.
    level : float

    Returns
    -------
    pandas.DataFrame
        Keys, ``period``, ``value``, ``moe``, ``forecast``, ``forecast_moe``,
        ``better_by`` (in the good direction), ``turned``.
    """
    keys = [k for k in series.keys if k != PERIOD]
    obs_cols = [*keys, PERIOD, VALUE, *([MOE] if series.has_moe else [])]
    obs = series.frame[obs_cols]
    merged = obs.merge(
        forecast[[*keys, PERIOD, "forecast", "forecast_moe"]],
        on=[*keys, PERIOD],
        how="inner",
        sort=True,
    )
    x = merged[VALUE].to_numpy(dtype=np.float64, na_value=np.nan)
    mx = (
        merged[MOE].to_numpy(dtype=np.float64, na_value=np.nan)
        if series.has_moe
        else np.zeros(len(x))
    )
    f = merged["forecast"].to_numpy(dtype=np.float64, na_value=np.nan)
    mf = merged["forecast_moe"].to_numpy(dtype=np.float64, na_value=np.nan)
    better_by = (x - f) * series.indicator.direction.sign
    margin = np.sqrt(mx**2 + mf**2) * stats.z_for_level(level) / stats.Z90
    turned = pd.array(better_by > margin, dtype="boolean")
    turned[np.isnan(margin) | np.isnan(better_by)] = pd.NA
    out = merged[[*keys, PERIOD]].copy()
    out["value"] = x
    out["moe"] = mx if series.has_moe else np.nan
    out["forecast"] = f
    out["forecast_moe"] = mf
    out["better_by"] = better_by
    out["turned"] = turned
    return out
