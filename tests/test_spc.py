"""Run charts and control charts: published worked examples, rule definitions, properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedbackloop import Indicator, IndicatorSeries
from feedbackloop.errors import FeedbackloopError, SpcError
from feedbackloop.spc import (
    charts,
    control_chart,
    crossings_limit,
    longest_run_limit,
    run_chart,
    runs_limits,
    runs_up_down,
)
from feedbackloop.spc._rules import _runs_pmf

# Montgomery, Introduction to Statistical Quality Control, Example 7.1 (6th ed.):
# nonconforming orange-juice cans in 30 samples of n = 50. p̄ = 347/1500 = 0.2313,
# UCL = 0.4102, LCL = 0.0524; samples 15 and 23 plot above the upper limit.
JUICE = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11, 20, 18, 24, 15,
         9, 12, 7, 13, 9, 6]  # fmt: skip

# Montgomery, Example 6.5 (6th ed.): 20 weekly mortgage-loan processing costs.
# x̄ = 300.5, MR̄ = 7.79, limits 321.22 and 279.78, MR chart UCL 25.45; in control.
LOAN_COSTS = [310, 288, 297, 298, 307, 303, 294, 297, 308, 306, 294, 299, 297, 299, 314, 295,
              293, 306, 301, 304]  # fmt: skip


def months(n: int, start: int = 2020) -> list[str]:
    return [f"{start + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


# ------------------------------------------------------------ worked examples


def test_montgomery_p_chart() -> None:
    y = pd.Series([d / 50 for d in JUICE], index=range(1, 31))
    chart = control_chart(y, kind="p", n=[50] * 30)
    assert chart.center.iloc[0] == pytest.approx(347 / 1500)
    assert round(chart.upper.iloc[0], 4) == 0.4102
    assert round(chart.lower.iloc[0], 4) == 0.0524
    beyond = chart.signals[chart.signals["rule"] == "beyond_limits"]
    assert beyond["start"].tolist() == [15, 23]
    assert beyond["direction"].tolist() == ["up", "up"]


def test_montgomery_xmr_chart() -> None:
    chart = control_chart(pd.Series(LOAN_COSTS, index=range(1, 21)), kind="xmr")
    assert chart.center.iloc[0] == pytest.approx(300.5)
    assert chart.moving_range_center is not None and chart.moving_range_upper is not None
    assert round(chart.moving_range_center.iloc[0], 2) == 7.79
    assert round(chart.upper.iloc[0], 2) == 321.22
    assert round(chart.lower.iloc[0], 2) == 279.78
    assert round(chart.moving_range_upper.iloc[0], 2) == 25.45
    assert chart.moving_range is not None and math.isnan(chart.moving_range.iloc[0])
    assert chart.moving_range.iloc[1] == 22
    assert not chart.has_signal


def test_duncan_runs_up_and_down() -> None:
    # Duncan, Quality Control and Industrial Statistics: the first contains a run up of 4,
    # the second a run down of 6 (a run's length counts its steps).
    assert max(r[2] for r in runs_up_down(np.array([5, 4, 6, 8, 10, 12, 11.0]))) == 4
    down = runs_up_down(np.array([7, 10, 8, 6, 5, 4, 3, 2, 4.0]))
    assert min(r[2] for r in down) == -6
    assert [r for r in down if r[2] == -6] == [(1, 7, -6)]


@pytest.mark.parametrize(
    ("n", "run", "crossings"), [(10, 6, 2), (20, 7, 6), (24, 8, 8), (30, 8, 10)]
)
def test_anhoj_published_limits(n: int, run: int, crossings: int) -> None:
    assert longest_run_limit(n) == run
    assert crossings_limit(n) == crossings


@pytest.mark.parametrize("n", range(2, 80))
def test_runs_limits_are_the_swed_eisenhart_tails(n: int) -> None:
    lower, upper = runs_limits(n)
    pmf = dict(_runs_pmf(n // 2, n - n // 2))
    below = sum(p for r, p in pmf.items() if r < lower)
    above = sum(p for r, p in pmf.items() if r > upper)
    assert below <= 0.025 < below + pmf.get(lower, 0)
    assert above <= 0.025 < above + pmf.get(upper, 0)
    assert sum(pmf.values()) == pytest.approx(1.0)


def test_runs_pmf_matches_enumeration() -> None:
    from itertools import combinations, pairwise

    n1, n2 = 4, 5
    counts: dict[int, int] = {}
    for above in combinations(range(n1 + n2), n1):
        side = [1 if i in above else -1 for i in range(n1 + n2)]
        runs = 1 + sum(a != b for a, b in pairwise(side))
        counts[runs] = counts.get(runs, 0) + 1
    total = sum(counts.values())
    assert dict(_runs_pmf(n1, n2)) == pytest.approx({r: c / total for r, c in counts.items()})


# ---------------------------------------------------------------- run charts


def test_points_on_the_median_neither_count_nor_break_a_shift() -> None:
    # median 5: three above, one on the median, three more above: a shift of 6 useful
    # points spanning 7 periods
    y = pd.Series([1, 2, 1, 6, 7, 8, 5, 9, 7, 6, 1, 5, 3, 2], index=months(14))
    chart = run_chart(y, rules=["shift"])
    assert float(chart.center.iloc[0]) == 5.0
    rows = chart.signals.values.tolist()
    assert rows == [["shift", "2020-04", "2020-10", 7, "up", 0]]
    y.iloc[9] = 5.0  # on the median: only five useful points above
    assert run_chart(y, rules=["shift"]).signals.empty


def test_five_of_one_side_is_not_a_shift() -> None:
    y = pd.Series([1, 2, 6, 7, 8, 9, 10, 1, 2, 3, 1], index=months(11))
    assert run_chart(y, rules=["shift"]).signals.empty


def test_trend_counts_equal_neighbours_once() -> None:
    # 1 2 2 3 4 5: five distinct rising values, the repeated 2 neither counts nor breaks
    y = pd.Series([3, 1, 2, 2, 3, 4, 5, 2, 3], index=months(9))
    rows = run_chart(y, rules=["trend"]).signals[["rule", "start", "end", "direction"]]
    assert rows.values.tolist() == [["trend", "2020-02", "2020-07", "up"]]
    y4 = pd.Series([3, 1, 2, 2, 3, 4, 2, 3], index=months(8))
    assert run_chart(y4, rules=["trend"]).signals.empty


def test_too_many_runs() -> None:
    y = pd.Series([1, 9] * 10, index=months(20))  # 20 runs among 20 useful points
    chart = run_chart(y, rules=["too_many_runs"])
    assert chart.signals["rule"].tolist() == ["too_many_runs"]
    assert chart.runs.loc[0, "runs"] == 20
    assert chart.runs.loc[0, "runs_upper"] == runs_limits(20)[1]


def test_runs_rule_needs_enough_useful_points() -> None:
    y = pd.Series([1, 1, 1, 9, 9, 9], index=months(6))
    assert run_chart(y, rules=["too_few_runs"]).signals.empty


def test_anhoj_rules() -> None:
    y = pd.Series([1, 2] * 5 + [8, 9] * 5, index=months(20))
    chart = run_chart(y, rules="anhoj")
    # median 5: 10 below then 10 above; the limit for 20 useful points is 7
    assert set(chart.signals["rule"]) == {"long_run", "few_crossings"}
    long = chart.signals[chart.signals["rule"] == "long_run"]
    assert long["points"].tolist() == [10, 10]
    assert long["direction"].tolist() == ["down", "up"]
    assert chart.runs.loc[0, "crossings"] == 1
    assert chart.runs.loc[0, "crossings_limit"] == 6


def test_astronomical_points_are_named_by_judgement() -> None:
    y = pd.Series([3, 4, 3, 40, 4, 3, 4, 3, 4, 3], index=months(10))
    chart = run_chart(y, astronomical=["2020-04"])
    astro = chart.signals[chart.signals["rule"] == "astronomical"]
    assert astro[["start", "end", "points"]].values.tolist() == [["2020-04", "2020-04", 1]]
    with pytest.raises(SpcError, match="2021-01"):
        run_chart(y, astronomical=["2021-01"])


def test_phases_and_freeze() -> None:
    y = pd.Series([5, 6, 5, 6, 5, 6, 9, 10, 9, 10, 9, 10], index=months(12))
    chart = run_chart(y, phases=["2020-07"], rules=["shift"])
    assert chart.phase.tolist() == [0] * 6 + [1] * 6
    assert chart.center.tolist() == [5.5] * 6 + [9.5] * 6
    frozen = run_chart(y, freeze="2020-06", rules=["shift"])
    assert frozen.center.tolist() == [5.5] * 12
    # the last baseline point (6) is above the frozen median too
    assert frozen.signals.values.tolist() == [["shift", "2020-06", "2020-12", 7, "up", 0]]
    xmr = control_chart(y, kind="xmr", phases=["2020-07"])
    assert xmr.center.tolist() == [5.5] * 6 + [9.5] * 6
    assert xmr.moving_range is not None and math.isnan(xmr.moving_range.iloc[6])
    with pytest.raises(SpcError, match="after the first phase"):
        control_chart(y, kind="xmr", phases=["2020-07"], freeze="2020-09")


# ------------------------------------------------------------ control charts


def test_u_and_c_chart_limits() -> None:
    counts = np.array([4, 6, 3, 8, 5.0])
    n = np.array([10, 12, 8, 15, 10.0])
    u = control_chart(counts / n, kind="u", n=n)
    ubar = counts.sum() / n.sum()
    assert u.center.iloc[0] == pytest.approx(ubar)
    assert u.upper.to_numpy() == pytest.approx(ubar + 3 * np.sqrt(ubar / n))
    assert u.lower.to_numpy() == pytest.approx(np.maximum(ubar - 3 * np.sqrt(ubar / n), 0))
    c = control_chart([2, 3, 1, 4, 2, 3], kind="c")
    assert c.center.iloc[0] == pytest.approx(2.5)
    assert c.upper.iloc[0] == pytest.approx(2.5 + 3 * math.sqrt(2.5))
    assert c.lower.iloc[0] == 0.0


def test_laney_p_prime_widens_by_sigma_z() -> None:
    n = np.array([5000, 5200, 4800, 5100, 4900, 5050.0])
    p = np.array([0.10, 0.12, 0.09, 0.11, 0.13, 0.10])
    pbar = (p * n).sum() / n.sum()
    sp = np.sqrt(pbar * (1 - pbar) / n)
    z = (p - pbar) / sp
    sigma_z = np.abs(np.diff(z)).mean() / 1.128
    chart = control_chart(p, kind="laney_p", n=n)
    assert chart.upper.to_numpy() == pytest.approx(pbar + 3 * sp * sigma_z)
    assert chart.lower.to_numpy() == pytest.approx(pbar - 3 * sp * sigma_z)
    plain = control_chart(p, kind="p", n=n)
    assert plain.has_signal and not chart.has_signal  # p limits are too tight here


def test_p_limits_are_clipped_to_zero_and_one() -> None:
    chart = control_chart([0.0, 0.1, 0.0, 0.05], kind="p", n=[10, 10, 10, 10])
    assert (chart.lower >= 0).all() and (chart.upper <= 1).all()


def test_western_electric_rules() -> None:
    base = [0.0] * 20
    two_of_three = [*base, 2.5, 0.0, 2.5, *base]
    sigma_y = pd.Series(two_of_three)
    # fix sigma with a long quiet stretch of alternating +-1 (mean MR 2 -> sigma 1.77)
    quiet = [1.0, -1.0] * 20
    y = pd.Series([*quiet, 4.0, 0.0, 4.0, *quiet])
    chart = control_chart(y, kind="xmr", rules="western_electric")
    assert sigma_y is not None
    rules = set(chart.signals["rule"])
    assert "we_2_of_3" in rules
    row = chart.signals[chart.signals["rule"] == "we_2_of_3"].iloc[0]
    assert (row["start"], row["end"], row["direction"]) == (40, 42, "up")
    eight = pd.Series([*quiet, *([0.5] * 8), *quiet])
    chart8 = control_chart(eight, kind="xmr", rules=["we_8_on_one_side"])
    r8 = chart8.signals[chart8.signals["rule"] == "we_8_on_one_side"]
    assert len(r8) == 1 and r8.iloc[0]["points"] >= 8


def test_nelson_rules_are_options() -> None:
    y = pd.Series([1, 2, 3, 4, 5, 6, 7, 3, 4, 2, 5, 3, 4, 2, 3, 4, 5, 3.0])
    assert "nelson_3" not in set(control_chart(y).signals["rule"])
    chart = control_chart(y, rules="nelson")
    n3 = chart.signals[chart.signals["rule"] == "nelson_3"]
    assert n3[["start", "end", "direction"]].values.tolist() == [[0, 6, "up"]]


# --------------------------------------------------------------- properties


values = st.lists(
    st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False), min_size=3, max_size=40
)


@given(values)
def test_xmr_limits_are_symmetric(ys: list[float]) -> None:
    chart = control_chart(ys, kind="xmr")
    up = (chart.upper - chart.center).to_numpy()
    down = (chart.center - chart.lower).to_numpy()
    assert up == pytest.approx(down, rel=1e-9, abs=1e-6)
    assert (up >= 0).all()


@settings(max_examples=60)
@given(st.lists(st.integers(-1000, 1000), min_size=3, max_size=40), st.integers(-(10**6), 10**6))
def test_adding_a_constant_moves_limits_not_signals(ys: list[int], k: int) -> None:
    for rules in ("limits", "western_electric", "nelson"):
        a = control_chart([float(v) for v in ys], kind="xmr", rules=rules)
        b = control_chart([float(v + k) for v in ys], kind="xmr", rules=rules)
        assert a.signals.equals(b.signals)
        assert (b.center - a.center).to_numpy() == pytest.approx(np.full(len(ys), k))
    ra, rb = run_chart([float(v) for v in ys]), run_chart([float(v + k) for v in ys])
    assert ra.signals.equals(rb.signals)


@given(st.floats(0, 1e6, allow_nan=False), st.integers(3, 40))
def test_no_signal_on_a_constant_series(v: float, size: int) -> None:
    for rules in ("ihi", "anhoj"):
        assert not run_chart([v] * size, rules=rules).has_signal
    assert not control_chart([v] * size, kind="xmr", rules="nelson").has_signal
    assert not control_chart([v] * size, kind="c").has_signal
    p = min(v, 1.0)
    assert not control_chart([p] * size, kind="p", n=[100] * size).has_signal


# ------------------------------------------------------------------ inputs


def test_periods_in_time_order_weeks_included() -> None:
    chart = run_chart(pd.Series([1.0, 2, 3], index=["2024-W52", "2025-W01", "2025-W02"]))
    assert chart.y.index.tolist() == ["2024-W52", "2025-W01", "2025-W02"]
    with pytest.raises(SpcError, match="not in time order: 2025-W01 comes before 2024-W52"):
        run_chart(pd.Series([1.0, 2, 3], index=["2025-W01", "2024-W52", "2025-W02"]))
    with pytest.raises(SpcError, match="more than once"):
        run_chart(pd.Series([1.0, 2], index=["2024-01", "2024-01"]))


def test_bad_inputs_are_typed_errors() -> None:
    with pytest.raises(SpcError, match=r"proportions .* 1.5 at 2020-02"):
        control_chart(pd.Series([0.5, 1.5], index=["2020-01", "2020-02"]), kind="p", n=[10, 10])
    with pytest.raises(SpcError, match="needs the denominators"):
        control_chart([0.5, 0.4], kind="p")
    with pytest.raises(SpcError, match="positive"):
        control_chart([0.5, 0.4], kind="u", n=[10, 0])
    with pytest.raises(SpcError, match="unknown chart kind"):
        control_chart([1.0, 2.0], kind="xbar")  # type: ignore[arg-type]
    with pytest.raises(SpcError, match="unknown control-chart rule"):
        control_chart([1.0, 2.0], rules=["nelson_9"])
    with pytest.raises(SpcError, match="numbers"):
        run_chart(["a", "b"])  # type: ignore[list-item]
    assert issubclass(SpcError, FeedbackloopError) and issubclass(SpcError, ValueError)


def test_missing_points_are_skipped() -> None:
    y = pd.Series([1.0, np.nan, 3, 4, 5, 6, 7], index=months(7))
    chart = run_chart(y, rules=["trend"])
    # six present points rising; the signal spans seven periods
    assert chart.signals.values.tolist() == [["trend", "2020-01", "2020-07", 7, "up", 0]]
    xmr = control_chart(y)
    assert xmr.moving_range is not None
    assert math.isnan(xmr.moving_range.iloc[1]) and xmr.moving_range.iloc[2] == 2


def _program_series() -> IndicatorSeries:
    ind = Indicator(id="served", name="Youth served", unit="people", direction="higher_is_better")
    rows = []
    for site, level in (("A", 20), ("B", 40)):
        for i, m in enumerate(months(14)):
            rows.append({"geography": site, "period": m, "value": level + (i % 3)})
    return IndicatorSeries.from_frame(pd.DataFrame(rows), indicator=ind)


def test_charts_per_place_of_an_indicator_series() -> None:
    series = _program_series()
    by_place = charts(series, kind="xmr")
    assert list(by_place) == [("A",), ("B",)]
    assert by_place[("B",)].center.iloc[0] == pytest.approx(41, abs=0.2)
    with pytest.raises(SpcError, match="2 places or categories"):
        run_chart(series)
    one = run_chart(series.filter(geography="A"))
    assert one.y.index[0] == "2020-01"


def test_plot_draws_points_limits_and_signals() -> None:
    pytest.importorskip("matplotlib")
    y = pd.Series([d / 50 for d in JUICE], index=months(30))
    chart = control_chart(y, kind="p", n=[50] * 30, title="Nonconforming cans")
    ax = chart.plot()
    assert "signal: beyond limits" in ax.get_title(loc="left")
    labels = [line.get_label() for line in ax.get_lines()]
    assert {"signal", "centre", "limits"} <= set(labels)
    assert "a point beyond the limits (up) at 2021-03" in chart.describe()
