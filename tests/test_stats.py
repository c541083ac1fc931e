"""Tests for feedbackloop.stats: worked examples of domain.md §1.5 and §6, vectorization,
NaN handling and properties."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from feedbackloop import stats
from feedbackloop.errors import FeedbackloopWarning, StatisticalWarning


def rounds_to(value: object, expected: float, digits: int) -> bool:
    """True when ``value`` rounds to ``expected`` at ``digits`` decimals (the stated rounding)."""
    x = float(value)  # type: ignore[arg-type]
    return abs(x - expected) <= 0.5 * 10.0**-digits * (1 + 1e-9)


# ============================================================ worked examples, domain.md §1.5

FAIRFAX_ARLINGTON_ALEXANDRIA_NM_FEMALES = ([135173, 43104, 24842], [3860, 2642, 1957])
TOTAL_FEMALES_15 = ([466037, 97360, 67101], [391, 572, 459])
NM_MALES = ([156720, 44613, 25507], [4222, 2819, 2259])


def test_a1_sum_of_counts() -> None:
    est, moe = FAIRFAX_ARLINGTON_ALEXANDRIA_NM_FEMALES
    assert sum(est) == 203119
    m = stats.moe_sum(est, moe)
    assert rounds_to(m, 5070.46, 2)
    assert round(float(m)) == 5070  # handbook figure
    se = stats.standard_error(m)
    assert rounds_to(se, 3082.3, 1)
    assert rounds_to(stats.cv(203119, m), 1.52, 2)
    # the grouped version agrees, estimate included
    sums, moes = stats.moe_sum_grouped(est, moe, [0, 0, 0])
    assert sums.tolist() == [203119.0]
    assert rounds_to(moes[0], 5070.46, 2)


def test_a2_denominator_sum() -> None:
    est, moe = TOTAL_FEMALES_15
    assert sum(est) == 630498
    assert rounds_to(stats.moe_sum(est, moe), 831.1, 1)


def test_a3_proportion() -> None:
    p = 203119 / 630498
    assert rounds_to(p, 0.32216, 5)
    m = stats.moe_proportion(203119, 630498, 5070, 831)
    assert rounds_to(m, 0.00803, 5)
    assert (round(p, 3), round(float(m), 3)) == (0.322, 0.008)  # handbook 0.322 ± 0.008
    # the same from the unrounded component MOEs of A1 and A2
    num_moe = stats.moe_sum(*FAIRFAX_ARLINGTON_ALEXANDRIA_NM_FEMALES)
    den_moe = stats.moe_sum(*TOTAL_FEMALES_15)
    assert rounds_to(stats.moe_proportion(203119, 630498, num_moe, den_moe), 0.00803, 5)


def test_a4_ratio() -> None:
    est, moe = NM_MALES
    assert sum(est) == 226840
    num_moe = stats.moe_sum(est, moe)
    assert rounds_to(num_moe, 5556.5, 1)
    r = 226840 / 203119
    assert rounds_to(r, 1.1168, 4)
    m = stats.moe_ratio(226840, 203119, 5556.5, 5070)
    assert rounds_to(m, 0.0391, 4)
    assert (round(r, 3), round(float(m), 3)) == (1.117, 0.039)  # handbook 1.117 ± 0.039
    assert rounds_to(stats.moe_ratio(226840, 203119, num_moe, 5070.46), 0.0391, 4)


def test_a5_product() -> None:
    assert rounds_to(74506512 * 0.824, 61393365.9, 1)
    assert rounds_to(stats.moe_product(74506512, 0.824, 228238, 0.001), 202289, 0)
    # argument order: (a, b, a_moe, b_moe); swapping the MOEs gives a very different answer
    assert float(stats.moe_product(74506512, 0.824, 0.001, 228238)) > 1e9


def test_a6_percent_change() -> None:
    assert rounds_to(stats.percent_change(135173, 139301), 3.0539, 4)
    assert rounds_to(stats.moe_percent_change(135173, 139301, 3860, 4047), 4.1981, 4)


def test_a8_significance() -> None:
    z = stats.z_score(37.9, 0.1, 38.4, 0.1)
    assert rounds_to(z, -5.816, 3)
    assert rounds_to(stats.z_score(38.4, 0.1, 37.9, 0.1), 5.816, 3)
    assert stats.significant_difference(37.9, 0.1, 38.4, 0.1)
    # MOE form: |X1 − X2| / sqrt(MOE1² + MOE2²) = 3.536 > 1
    ratio = abs(37.9 - 38.4) / float(stats.moe_diff(0.1, 0.1))
    assert rounds_to(ratio, 3.536, 3)
    # still significant at 95% and 99% (1.960, 2.576 with SEs from 1.645)
    assert stats.significant_difference(37.9, 0.1, 38.4, 0.1, level=0.95)
    assert stats.significant_difference(37.9, 0.1, 38.4, 0.1, level=0.99)


def test_a9_zero_estimate_rule() -> None:
    m = stats.moe_sum([36, 0, 0, 0], [56, 25, 28, 31])
    assert rounds_to(m, 64.008, 3)
    assert math.isclose(float(m), math.hypot(56, 31), rel_tol=1e-12)
    naive = stats.moe_sum([36, 0, 0, 0], [56, 25, 28, 31], zero_rule=False)
    assert rounds_to(naive, 74.20, 2)
    assert not rounds_to(m, 74.20, 2)


def test_a10_all_zero_sum() -> None:
    assert float(stats.moe_sum([0, 0, 0], [27, 19, 22])) == 27.0
    sums, moes = stats.moe_sum_grouped([0, 0, 0], [27, 19, 22], [0, 0, 0])
    assert sums.tolist() == [0.0]
    assert moes.tolist() == [27.0]


def test_zero_rule_takes_max_not_unique() -> None:
    # tidycensus' unique() would keep both 25 and 31; the Census rule keeps only 31
    assert float(stats.moe_sum([0, 0], [25, 31])) == 31.0
    assert float(stats.moe_sum([0, 0, 0], [31, 31, 31])) == 31.0


def test_a12_proportion_fallback_to_ratio() -> None:
    p = 50 / 60
    radicand = 10**2 - p**2 * 40**2
    assert rounds_to(radicand, -1011.1, 1)
    m = stats.moe_proportion(50, 60, 10, 40)
    assert rounds_to(m, 0.5800, 4)
    assert float(m) == pytest.approx(float(stats.moe_ratio(50, 60, 10, 40)), rel=1e-15)


def test_radicand_exactly_zero_gives_zero() -> None:
    assert float(stats.moe_proportion(2, 2, 3, 3)) == 0.0


def test_proportion_fallback_is_elementwise() -> None:
    m = stats.moe_proportion([50, 203119], [60, 630498], [10, 5070], [40, 831])
    assert rounds_to(m[0], 0.5800, 4)
    assert rounds_to(m[1], 0.00803, 5)


def test_a13_cv() -> None:
    cvs = stats.cv([1000, 1000, 1000], [100, 400, 800])
    assert [round(float(c), 2) for c in cvs] == [6.08, 24.32, 48.63]


# ============================================================ worked examples, domain.md §6

CHESSON_POP = [200e6, 40e6, 55e6, 20e6, 3e6]
CHESSON_RATES = [35.4, 1408.1, 95.2, 22.4, 94.0]  # White NH, Black NH, Hispanic, A/PI, AI/AN


def test_chesson_table4_index_of_disparity() -> None:
    assert rounds_to(stats.index_of_disparity(CHESSON_RATES, 218.1), 166.5, 1)
    weighted = stats.index_of_disparity(CHESSON_RATES, 218.1, weights=CHESSON_POP)
    assert rounds_to(weighted, 137.2, 1)
    # the overall rate is the population-weighted mean of the group rates
    assert rounds_to(np.average(CHESSON_RATES, weights=CHESSON_POP), 218.1, 1)
    assert rounds_to(stats.rate_ratio(1408.1, 35.4), 39.8, 1)


def test_simple_rate_ratio_and_difference() -> None:
    assert rounds_to(stats.rate_ratio(9.0, 4.0), 2.25, 2)
    assert rounds_to(stats.rate_difference(9.0, 4.0), 5.0, 1)


def test_target_progress_worked_example() -> None:
    b, target, horizon, t, obs = 8.0, 7.2, 10, 4, 7.6
    assert target == pytest.approx(b * (1 - 0.10))  # "reduce by 10%" is relative
    lin = stats.expected_linear(b, target, t, horizon)
    assert rounds_to(lin, 7.68, 2)
    assert obs <= float(lin)  # on track
    assert rounds_to(stats.annualized_change(b, target, horizon), -1.0481, 4)
    comp = stats.expected_compound(b, target, t, horizon)
    assert rounds_to(comp, 7.6699, 4)
    assert obs <= float(comp)
    assert rounds_to(stats.percent_of_targeted_change(b, obs, target), 50, 6)
    assert rounds_to(stats.percent_change(b, obs), -5, 6)
    assert rounds_to(stats.annualized_change(b, obs, t), -1.274, 3)
    assert rounds_to(stats.required_annual_change(obs, target, horizon - t), -0.897, 3)


def test_expected_paths_hit_both_ends() -> None:
    for fn in (stats.expected_linear, stats.expected_compound):
        assert float(fn(8.0, 7.2, 0, 10)) == pytest.approx(8.0)
        assert float(fn(8.0, 7.2, 10, 10)) == pytest.approx(7.2)


# ================================================================ z and MOE basics


def test_z_constants_and_levels() -> None:
    assert (stats.Z90, stats.Z95, stats.Z99) == (1.645, 1.960, 2.576)
    assert stats.z_for_level(0.90) == 1.645
    assert stats.z_for_level(0.95) == 1.960
    assert stats.z_for_level(0.99) == 2.576
    assert stats.z_for_level(0.8) == pytest.approx(1.2815515655446004)
    assert stats.z_for_level(0.5) == pytest.approx(0.6744897501960817)


@pytest.mark.parametrize("level", [0.0, 1.0, 90, -0.5, float("nan")])
def test_z_for_level_rejects_bad_levels(level: float) -> None:
    with pytest.raises(ValueError, match="confidence level"):
        stats.z_for_level(level)


def test_standard_error_and_rescaling() -> None:
    assert float(stats.standard_error(1.645)) == 1.0
    assert float(stats.standard_error(1.96, level=0.95)) == 1.0
    assert float(stats.standard_error(1.65, z=stats.Z90_LEGACY)) == 1.0
    assert float(stats.moe_from_se(1.0, 0.99)) == 2.576
    assert float(stats.rescale_moe(1.645, 0.95)) == pytest.approx(1.960)
    assert float(stats.rescale_moe(1.645, 0.99)) == pytest.approx(2.576)
    assert float(stats.rescale_moe(2.576, 0.90, from_level=0.99)) == pytest.approx(1.645)
    with pytest.raises(ValueError, match="positive"):
        stats.standard_error(1.0, z=0)


def test_confidence_interval() -> None:
    lo, hi = stats.confidence_interval([100, 200], [10, 20])
    assert lo.tolist() == [90, 180]
    assert hi.tolist() == [110, 220]
    lo95, hi95 = stats.confidence_interval(100, 16.45, level=0.95)
    assert float(lo95) == pytest.approx(80.4)
    assert float(hi95) == pytest.approx(119.6)


def test_cv_is_nan_for_zero_estimate_and_uses_abs() -> None:
    out = stats.cv([0, -1000, 1000], [10, 100, 100])
    assert np.isnan(out[0])
    assert out[1] == pytest.approx(out[2])
    assert out[1] > 0


# ================================================================ vectorization & NaN

SCALAR_CALLS: list[tuple[str, Callable[[], object]]] = [
    ("standard_error", lambda: stats.standard_error(10)),
    ("moe_from_se", lambda: stats.moe_from_se(10)),
    ("rescale_moe", lambda: stats.rescale_moe(10, 0.95)),
    ("cv", lambda: stats.cv(100, 10)),
    ("moe_sum", lambda: stats.moe_sum([1, 0], [3, 4])),
    ("moe_diff", lambda: stats.moe_diff(3, 4)),
    ("moe_proportion", lambda: stats.moe_proportion(1, 2, 0.3, 0.4)),
    ("moe_ratio", lambda: stats.moe_ratio(1, 2, 0.3, 0.4)),
    ("moe_product", lambda: stats.moe_product(1, 2, 0.3, 0.4)),
    ("percent_change", lambda: stats.percent_change(1, 2)),
    ("moe_percent_change", lambda: stats.moe_percent_change(1, 2, 0.3, 0.4)),
    ("z_score", lambda: stats.z_score(1, 0.3, 2, 0.4)),
    ("significance", lambda: stats.significance(1, 0.3, 2, 0.4)),
    ("rate_difference", lambda: stats.rate_difference(2, 1)),
    ("rate_ratio", lambda: stats.rate_ratio(2, 1)),
    ("index_of_disparity", lambda: stats.index_of_disparity([1, 2, 3], 2)),
    ("summary_rate_ratio", lambda: stats.summary_rate_ratio([1, 2, 3])),
    ("max_rate_ratio", lambda: stats.max_rate_ratio([1, 2, 3])),
    ("max_rate_difference", lambda: stats.max_rate_difference([1, 2, 3])),
    ("percent_of_targeted_change", lambda: stats.percent_of_targeted_change(8, 7.6, 7.2)),
    ("expected_linear", lambda: stats.expected_linear(8, 7.2, 4, 10)),
    ("expected_compound", lambda: stats.expected_compound(8, 7.2, 4, 10)),
    ("annualized_change", lambda: stats.annualized_change(8, 7.6, 4)),
    ("required_annual_change", lambda: stats.required_annual_change(7.6, 7.2, 6)),
]


@pytest.mark.parametrize(("name", "call"), SCALAR_CALLS, ids=[n for n, _ in SCALAR_CALLS])
def test_scalar_inputs_return_float64_scalars(name: str, call: Callable[[], object]) -> None:
    out = call()
    assert type(out) is np.float64, name
    assert np.isfinite(out)


def test_boolean_results() -> None:
    s = stats.significant_difference(1, 0.3, 2, 0.4)
    assert type(s) is np.bool_
    a = stats.significant_difference([1, 1], [0.3, 0.3], [2, 1], [0.4, 0.4])
    assert isinstance(a, np.ndarray)
    assert a.dtype == np.bool_
    assert a.tolist() == [True, False]


def test_arrays_in_arrays_out_and_broadcasting() -> None:
    num = np.array([[10.0], [20.0], [30.0]])  # (3, 1)
    den = np.array([100.0, 200.0, 300.0, 400.0])  # (4,)
    out = stats.moe_ratio(num, den, 2.0, 5.0)
    assert isinstance(out, np.ndarray)
    assert out.shape == (3, 4)
    expected = np.sqrt(2.0**2 + (num / den) ** 2 * 5.0**2) / den
    np.testing.assert_allclose(out, expected, rtol=1e-14)
    # lists are accepted and give arrays
    lst = stats.cv([100, 200], [10, 10])
    assert isinstance(lst, np.ndarray)
    assert lst.dtype == np.float64
    # one-element arrays stay arrays
    assert isinstance(stats.moe_diff([3.0], 4.0), np.ndarray)
    # broadcasting of elementwise functions matches scalar calls
    pc = stats.percent_change([[1.0], [2.0]], [2.0, 4.0])
    assert pc.tolist() == [[100.0, 300.0], [0.0, 100.0]]


def test_moe_sum_axis() -> None:
    est = np.array([[36, 0, 0, 0], [1, 2, 3, 4], [0, 0, 0, 0]])
    moe = np.array([[56, 25, 28, 31], [3, 4, 0, 0], [27, 19, 22, 5]])
    rows = stats.moe_sum(est, moe, axis=1)
    np.testing.assert_allclose(rows, [math.hypot(56, 31), 5.0, 27.0])
    cols = stats.moe_sum(est, moe, axis=0)
    for j in range(4):
        assert cols[j] == pytest.approx(float(stats.moe_sum(est[:, j], moe[:, j])))
    # a scalar MOE broadcasts against the estimates
    assert float(stats.moe_sum([1, 1, 1, 1], 2.0)) == 4.0
    # an empty sum has MOE 0
    assert float(stats.moe_sum([], [])) == 0.0


def test_moe_sum_nan_only_poisons_its_own_sum() -> None:
    est = np.array([[1.0, np.nan], [1.0, 2.0], [0.0, 0.0], [1.0, 0.0]])
    moe = np.array([[3.0, 4.0], [3.0, 4.0], [np.nan, 1.0], [3.0, np.nan]])
    out = stats.moe_sum(est, moe, axis=1)
    assert np.isnan(out[0])
    assert out[1] == 5.0
    assert np.isnan(out[2])  # a NaN MOE on a zero estimate
    assert np.isnan(out[3])


NAN = float("nan")
NAN_CALLS: list[tuple[str, Callable[[], object]]] = [
    ("standard_error", lambda: stats.standard_error(NAN)),
    ("rescale_moe", lambda: stats.rescale_moe(NAN, 0.95)),
    ("cv est", lambda: stats.cv(NAN, 10)),
    ("cv moe", lambda: stats.cv(100, NAN)),
    ("moe_sum est", lambda: stats.moe_sum([1, NAN], [3, 4])),
    ("moe_sum moe", lambda: stats.moe_sum([1, 0], [3, NAN])),
    ("moe_diff", lambda: stats.moe_diff(np.inf, NAN)),
    ("moe_proportion x", lambda: stats.moe_proportion(NAN, 2, 0.3, 0.4)),
    ("moe_proportion my", lambda: stats.moe_proportion(1, 2, 0.3, NAN)),
    ("moe_ratio", lambda: stats.moe_ratio(1, NAN, 0.3, 0.4)),
    ("moe_product", lambda: stats.moe_product(1, 2, NAN, 0.4)),
    ("percent_change", lambda: stats.percent_change(NAN, 2)),
    ("moe_percent_change", lambda: stats.moe_percent_change(1, 2, 0.3, NAN)),
    ("z_score", lambda: stats.z_score(1, NAN, 2, 0.4)),
    ("significance", lambda: stats.significance(NAN, 0.3, 2, 0.4)),
    ("rate_difference", lambda: stats.rate_difference(NAN, 1)),
    ("rate_ratio", lambda: stats.rate_ratio(2, NAN)),
    ("index_of_disparity rate", lambda: stats.index_of_disparity([1, NAN, 3], 2)),
    ("index_of_disparity ref", lambda: stats.index_of_disparity([1, 2, 3], NAN)),
    ("index_of_disparity w", lambda: stats.index_of_disparity([1, 2], 2, weights=[1, NAN])),
    ("summary_rate_ratio", lambda: stats.summary_rate_ratio([1, NAN, 3])),
    ("summary_rate_ratio max", lambda: stats.summary_rate_ratio([1, NAN, 3], best="max")),
    ("max_rate_ratio", lambda: stats.max_rate_ratio([1, NAN, 3])),
    ("max_rate_difference", lambda: stats.max_rate_difference([NAN, 2, 3])),
    ("percent_of_targeted_change", lambda: stats.percent_of_targeted_change(8, NAN, 7.2)),
    ("expected_linear", lambda: stats.expected_linear(8, 7.2, NAN, 10)),
    ("expected_compound", lambda: stats.expected_compound(NAN, 7.2, 4, 10)),
    ("annualized_change", lambda: stats.annualized_change(8, 7.6, NAN)),
    ("required_annual_change", lambda: stats.required_annual_change(NAN, 7.2, 6)),
]


@pytest.mark.parametrize(("name", "call"), NAN_CALLS, ids=[n for n, _ in NAN_CALLS])
def test_nan_in_nan_out(name: str, call: Callable[[], object]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = call()
    assert np.isnan(out), name


UNDEFINED_CALLS: list[tuple[str, Callable[[], object]]] = [
    ("cv of a zero estimate", lambda: stats.cv(0, 10)),
    ("proportion over 0", lambda: stats.moe_proportion(0, 0, 1, 1)),
    ("ratio over 0", lambda: stats.moe_ratio(5, 0, 1, 1)),
    ("percent change from 0", lambda: stats.percent_change(0, 5)),
    ("percent change 0 to 0", lambda: stats.percent_change(0, 0)),
    ("moe percent change from 0", lambda: stats.moe_percent_change(0, 5, 1, 1)),
    ("z with both MOEs 0", lambda: stats.z_score(1, 0, 2, 0)),
    ("rate ratio vs 0", lambda: stats.rate_ratio(5, 0)),
    ("ID with R = 0", lambda: stats.index_of_disparity([1, 2], 0)),
    ("ID with zero weights", lambda: stats.index_of_disparity([1, 2], 1, weights=[0, 0])),
    ("ID with a negative weight", lambda: stats.index_of_disparity([1, 2], 1, weights=[2, -1])),
    ("ID without groups", lambda: stats.index_of_disparity([], 1)),
    ("SRR with best 0", lambda: stats.summary_rate_ratio([0, 1, 2])),
    ("SRR with one group", lambda: stats.summary_rate_ratio([3.0])),
    ("SRR without groups", lambda: stats.summary_rate_ratio([])),
    ("max ratio with min 0", lambda: stats.max_rate_ratio([0, 1, 2])),
    ("max difference without groups", lambda: stats.max_rate_difference([])),
    ("targeted change with T = B", lambda: stats.percent_of_targeted_change(8, 7, 8)),
    ("linear with horizon 0", lambda: stats.expected_linear(8, 7, 1, 0)),
    ("compound with horizon 0", lambda: stats.expected_compound(8, 7, 1, 0)),
    ("compound with B = 0", lambda: stats.expected_compound(0, 7, 1, 10)),
    ("compound with B < 0", lambda: stats.expected_compound(-8, 7, 1, 10)),
    ("compound with T = 0", lambda: stats.expected_compound(8, 0, 1, 10)),
    ("compound with T < 0", lambda: stats.expected_compound(8, -7, 1, 10)),
    ("annualized from 0", lambda: stats.annualized_change(0, 5, 2)),
    ("annualized to < 0", lambda: stats.annualized_change(5, -1, 2)),
    ("annualized over 0 years", lambda: stats.annualized_change(5, 6, 0)),
    ("required with 0 years left", lambda: stats.required_annual_change(5, 6, 0)),
    ("negative (sentinel) MOE", lambda: stats.standard_error(-555555555)),
    ("negative MOE in a sum", lambda: stats.moe_sum([1, 2], [3, -222222222])),
    ("negative MOE in a proportion", lambda: stats.moe_proportion(1, 2, -1, 1)),
]


@pytest.mark.parametrize(("name", "call"), UNDEFINED_CALLS, ids=[n for n, _ in UNDEFINED_CALLS])
def test_undefined_gives_nan_without_warning(name: str, call: Callable[[], object]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning (divide, invalid) fails the test
        with np.errstate(all="raise"):  # and so does any floating-point error left unsilenced
            out = call()
    assert np.isnan(out), name


def test_undefined_elements_do_not_spoil_the_others() -> None:
    out = stats.moe_proportion([0, 1, 2], [0, 2, 2], [1, 0.3, 3], [1, 0.4, 3])
    assert np.isnan(out[0])
    assert out[1] == pytest.approx(float(stats.moe_proportion(1, 2, 0.3, 0.4)))
    assert out[2] == 0.0
    pc = stats.percent_change([0, 10, np.nan], [5, 15, 1])
    assert np.isnan(pc[0])
    assert pc[1] == 50.0
    assert np.isnan(pc[2])


def test_zero_estimates_are_valid_in_proportions() -> None:
    assert float(stats.moe_proportion(0, 100, 10, 20)) == pytest.approx(0.1)
    assert float(stats.moe_ratio(0, 100, 10, 20)) == pytest.approx(0.1)


def test_extreme_magnitudes_neither_underflow_nor_overflow() -> None:
    # found by hypothesis: squaring a tiny MOE underflowed to an MOE of 0
    assert float(stats.moe_sum([0.0], [4.47e-236])) == 4.47e-236
    assert float(stats.moe_sum([1, 1], [1e200, 1e200])) == pytest.approx(math.sqrt(2) * 1e200)
    assert float(stats.moe_sum([1, 1], [3e-200, 4e-200])) == pytest.approx(5e-200, abs=0)
    _, moes = stats.moe_sum_grouped([0, 1, 1, 5], [4.47e-236, 1e200, 1e200, 3.0], [0, 1, 1, 2])
    np.testing.assert_allclose(moes, [4.47e-236, math.sqrt(2) * 1e200, 3.0], rtol=1e-14)
    assert float(stats.moe_ratio(1, 1, 3e-200, 4e-200)) == pytest.approx(5e-200, abs=0)
    # sqrt(25 − 0.5²·36)/2 = 2, at any scale
    assert float(stats.moe_proportion(1, 2, 5e-200, 6e-200)) == pytest.approx(2e-200, abs=0)
    assert float(stats.moe_proportion(1, 2, 5e200, 6e200)) == pytest.approx(2e200)
    assert float(stats.moe_proportion(1, 2, 5, 6)) == pytest.approx(2.0)
    assert float(stats.moe_sum([1, 1], [np.inf, 1.0])) == np.inf


# ================================================================ grouped sums


def _grouped_reference(
    est: np.ndarray, moe: np.ndarray, codes: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sort-based reference implementation of the grouped zero rule."""
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n + 1))
    sums, moes = np.zeros(n), np.zeros(n)
    for g in range(n):  # test-only loop over few groups
        idx = order[bounds[g] : bounds[g + 1]]
        sums[g] = est[idx].sum()
        moes[g] = float(stats.moe_sum(est[idx], moe[idx]))
    return sums, moes


def test_moe_sum_grouped_rules() -> None:
    est = [36, 0, 0, 0, 5, 0, 1, np.nan, 0, 0, 7]
    moe = [56, 25, 28, 31, 3, 4, 1, 1, 27, 19, 2]
    codes = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, -1]
    sums, moes = stats.moe_sum_grouped(est, moe, codes, n_groups=5)
    assert sums[[0, 1, 3, 4]].tolist() == [36.0, 5.0, 0.0, 0.0]
    assert np.isnan(sums[2])
    assert moes[0] == pytest.approx(64.00781, abs=5e-6)
    assert moes[1] == 5.0
    assert np.isnan(moes[2])  # NaN propagates per group only
    assert moes[3] == 27.0
    assert moes[4] == 0.0  # empty group; code -1 (missing key) left out
    assert sums.dtype == moes.dtype == np.float64


def test_moe_sum_grouped_default_n_groups_and_errors() -> None:
    sums, moes = stats.moe_sum_grouped([1, 2, 3], [3, 4, 12], np.array([2, 2, 0]))
    assert sums.tolist() == [3.0, 0.0, 3.0]
    assert moes.tolist() == [12.0, 0.0, 5.0]
    assert stats.moe_sum_grouped([], [], np.array([], dtype=int))[0].shape == (0,)
    with pytest.raises(ValueError, match="group codes"):
        stats.moe_sum_grouped([1, 2], [1, 1], [0, 3], n_groups=2)
    with pytest.raises(ValueError, match="group codes"):
        stats.moe_sum_grouped([1, 2], [1, 1], [0, -2])
    with pytest.raises(TypeError, match="integer"):
        stats.moe_sum_grouped([1, 2], [1, 1], [0.0, 1.0])
    with pytest.raises(ValueError, match="same length"):
        stats.moe_sum_grouped([1, 2], [1, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="non-negative"):
        stats.moe_sum_grouped([1, 2], [1, 1], [0, 1], n_groups=-1)


def test_moe_sum_grouped_large_matches_reference_and_is_fast() -> None:
    rng = np.random.default_rng(20240601)
    n_rows, n_groups = 2_000_000, 50
    codes = rng.integers(0, n_groups, n_rows)
    est = np.where(rng.random(n_rows) < 0.3, 0.0, rng.integers(1, 1000, n_rows).astype(float))
    moe = rng.random(n_rows) * 100
    est[123] = np.nan
    start = time.perf_counter()
    sums, moes = stats.moe_sum_grouped(est, moe, codes, n_groups)
    elapsed = time.perf_counter() - start
    ref_sums, ref_moes = _grouped_reference(est, moe, codes, n_groups)
    np.testing.assert_allclose(sums, ref_sums, rtol=1e-9)
    np.testing.assert_allclose(moes, ref_moes, rtol=1e-9)
    assert np.isnan(moes[codes[123]])
    assert np.isfinite(np.delete(moes, codes[123])).all()
    assert elapsed < 5.0  # ~0.1 s expected; a Python loop over rows would take far longer


# ================================================================ significance


def test_significance_levels_and_moe_level() -> None:
    # |diff| = 1.8, SE(diff) = 1 → Z = 1.8: significant at 90%, not at 95%
    moe = 1.645 / math.sqrt(2)
    assert float(stats.z_score(1.8, moe, 0.0, moe)) == pytest.approx(1.8)
    assert stats.significant_difference(1.8, moe, 0.0, moe, level=0.90)
    assert not stats.significant_difference(1.8, moe, 0.0, moe, level=0.95)
    assert float(stats.significance(1.8, moe, 0.0, moe, level=0.95)) == 0.0
    # the same test with MOEs published at 95%
    moe95 = 1.960 / math.sqrt(2)
    assert float(stats.z_score(1.8, moe95, 0.0, moe95, level=0.95)) == pytest.approx(1.8)
    assert stats.significant_difference(1.8, moe95, 0.0, moe95, moe_level=0.95)
    assert not stats.significant_difference(1.8, moe95, 0.0, moe95, 0.95, moe_level=0.95)
    # the MOE form of the 90% test
    for diff in (0.9, 1.1):
        expected = diff > math.hypot(1, 1) / math.sqrt(2)  # |X1 − X2| > sqrt(MOE1² + MOE2²)
        m = 1 / math.sqrt(2)
        assert bool(stats.significant_difference(diff, m, 0, m)) is expected


def test_significance_not_computable() -> None:
    sig = stats.significant_difference([1, np.nan, 1, 1], [1, 1, 0, np.nan], [5, 5, 2, 5], 0)
    assert sig.tolist() == [True, False, False, False]
    flag = stats.significance([1, np.nan, 1, 1], [1, 1, 0, np.nan], [5, 5, 2, 5], 0)
    assert flag[0] == 1.0
    assert np.isnan(flag[1:]).all()


def test_overlap_warns_and_shrinks_se() -> None:
    plain = float(stats.z_score(10, 4, 14, 3))
    with pytest.warns(StatisticalWarning, match="non-overlapping"):
        legacy = float(stats.z_score(10, 4, 14, 3, overlap=0.8))
    assert legacy == pytest.approx(plain / math.sqrt(1 - 0.8))
    with pytest.warns(StatisticalWarning, match="non-overlapping"):
        assert stats.significant_difference(10, 4, 14, 3, overlap=0.8)
    assert not stats.significant_difference(10, 4, 14, 3)
    with pytest.warns(FeedbackloopWarning):
        stats.significance(10, 4, 14, 3, overlap=0.8)
    with pytest.raises(ValueError, match="overlap"):
        stats.z_score(1, 1, 2, 1, overlap=1.0)
    with pytest.raises(ValueError, match="overlap"):
        stats.significant_difference(1, 1, 2, 1, overlap=-0.1)


def test_no_warning_without_overlap() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z = stats.z_score(10, 4, 14, 3)
        sig = stats.significant_difference(10, 4, 14, 3, overlap=0.0)
    # |10 - 14| = 4 < sqrt(4² + 3²) = 5: Z = -4 / (5 / 1.645), not significant at 90%.
    assert float(z) == pytest.approx(-4 * 1.645 / 5)
    assert not bool(sig)


# ================================================================ disparities


def test_index_of_disparity_vectorized_over_rows() -> None:
    rates = np.array([CHESSON_RATES, [10.0, 20.0, 30.0, 40.0, 50.0]])
    out = stats.index_of_disparity(rates, [218.1, 30.0], weights=CHESSON_POP)
    assert out.shape == (2,)
    assert rounds_to(out[0], 137.2, 1)
    assert out[1] == pytest.approx(
        float(stats.index_of_disparity(rates[1], 30.0, weights=CHESSON_POP))
    )
    # groups along axis 0
    by_col = stats.index_of_disparity(rates.T, [218.1, 30.0], axis=0)
    np.testing.assert_allclose(by_col, stats.index_of_disparity(rates, [218.1, 30.0]))
    by_col_w = stats.index_of_disparity(rates.T, [218.1, 30.0], weights=CHESSON_POP, axis=0)
    np.testing.assert_allclose(by_col_w, out)
    # weights are normalized: shares and counts give the same index
    shares = np.array(CHESSON_POP) / sum(CHESSON_POP)
    assert float(stats.index_of_disparity(CHESSON_RATES, 218.1, weights=shares)) == pytest.approx(
        float(stats.index_of_disparity(CHESSON_RATES, 218.1, weights=CHESSON_POP))
    )
    with pytest.raises(ValueError, match="dimension"):
        stats.index_of_disparity(5.0, 2.0)


def test_summary_and_maximal_measures() -> None:
    rates = [2.0, 4.0, 6.0]
    assert float(stats.summary_rate_ratio(rates)) == 2.5  # mean(4, 6) / 2
    assert float(stats.summary_rate_ratio(rates, best="max")) == 0.5  # mean(2, 4) / 6
    # HP2010 ID relative to the best group = (SRR − 1) × 100
    hp2010 = np.mean(np.abs(np.array([4.0, 6.0]) - 2.0)) / 2.0 * 100
    assert (float(stats.summary_rate_ratio(rates)) - 1) * 100 == pytest.approx(hp2010)
    # ties: only one best group is excluded
    assert float(stats.summary_rate_ratio([2.0, 2.0, 8.0])) == 2.5
    assert float(stats.max_rate_ratio(rates)) == 3.0
    assert float(stats.max_rate_difference(rates)) == 4.0
    table = np.array([[2.0, 4.0, 6.0], [1.0, 1.0, 4.0]])
    np.testing.assert_allclose(stats.summary_rate_ratio(table), [2.5, 2.5])
    np.testing.assert_allclose(stats.max_rate_ratio(table.T, axis=0), [3.0, 4.0])
    np.testing.assert_allclose(stats.max_rate_difference(table, axis=1), [4.0, 3.0])
    with pytest.raises(ValueError, match="best"):
        stats.summary_rate_ratio(rates, best="median")  # type: ignore[arg-type]


# ================================================================ module surface


def test_public_api() -> None:
    assert len(stats.__all__) == len(set(stats.__all__))
    for name in stats.__all__:
        assert hasattr(stats, name), name
    expected = {
        "z_for_level", "standard_error", "rescale_moe", "cv", "moe_sum", "moe_sum_grouped",
        "moe_diff", "moe_proportion", "moe_ratio", "moe_product", "percent_change",
        "moe_percent_change", "z_score", "significant_difference", "rate_difference",
        "rate_ratio", "index_of_disparity", "summary_rate_ratio", "max_rate_ratio",
        "max_rate_difference", "percent_of_targeted_change", "expected_linear",
        "expected_compound", "annualized_change", "required_annual_change",
        "Z90", "Z95", "Z99",
    }  # fmt: skip
    assert expected <= set(stats.__all__)


# ================================================================ properties

finite_moe = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_subnormal=False)
estimate = st.one_of(
    st.just(0.0),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_subnormal=False),
)
positive = st.floats(min_value=1e-3, max_value=1e6, allow_subnormal=False)
nonneg = st.floats(min_value=0.0, max_value=1e6, allow_subnormal=False)
level = st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.975, 0.99, 0.999])


@st.composite
def components(draw: st.DrawFn, min_size: int = 0) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(min_value=min_size, max_value=12))
    est = draw(hnp.arrays(np.float64, n, elements=estimate))
    moe = draw(hnp.arrays(np.float64, n, elements=finite_moe))
    return est, moe


@given(components())
def test_prop_moe_sum_is_finite_and_nonnegative(c: tuple[np.ndarray, np.ndarray]) -> None:
    m = float(stats.moe_sum(*c))
    assert np.isfinite(m)
    assert m >= 0


@given(
    hnp.arrays(np.float64, 5, elements=nonneg),
    hnp.arrays(np.float64, 5, elements=positive),
    hnp.arrays(np.float64, 5, elements=finite_moe),
    hnp.arrays(np.float64, 5, elements=finite_moe),
)
def test_prop_derived_moes_finite_and_nonnegative(
    x: np.ndarray, y: np.ndarray, mx: np.ndarray, my: np.ndarray
) -> None:
    for out in (
        stats.moe_proportion(x, y, mx, my),
        stats.moe_ratio(x, y, mx, my),
        stats.moe_product(x, y, mx, my),
        stats.moe_percent_change(y, x, my, mx),
        stats.moe_diff(mx, my),
        stats.standard_error(mx),
        stats.rescale_moe(mx, 0.99),
    ):
        assert isinstance(out, np.ndarray)
        assert np.isfinite(out).all()
        assert (out >= 0).all()


@given(components(), st.randoms(use_true_random=False))
def test_prop_moe_sum_permutation_invariant(c: tuple[np.ndarray, np.ndarray], rnd: object) -> None:
    est, moe = c
    perm = np.arange(est.size)
    rnd.shuffle(perm)  # type: ignore[attr-defined]
    assert float(stats.moe_sum(est[perm], moe[perm])) == pytest.approx(
        float(stats.moe_sum(est, moe)), rel=1e-12, abs=0
    )


@given(
    hnp.arrays(
        np.float64,
        st.integers(1, 12),
        elements=st.floats(min_value=1e-6, max_value=1e6, allow_subnormal=False)
        | st.floats(min_value=-1e6, max_value=-1e-6, allow_subnormal=False),
    ),
    st.data(),
)
def test_prop_moe_sum_without_zeros_is_root_sum_of_squares(
    est: np.ndarray, data: st.DataObject
) -> None:
    moe = data.draw(hnp.arrays(np.float64, est.size, elements=finite_moe))
    assert float(stats.moe_sum(est, moe)) == pytest.approx(
        math.hypot(*moe.tolist()), rel=1e-12, abs=1e-300
    )


@given(components(min_size=1))
def test_prop_moe_sum_at_least_max_component(c: tuple[np.ndarray, np.ndarray]) -> None:
    est, moe = c
    assert float(stats.moe_sum(est, moe)) >= moe.max() * (1 - 1e-15)
    # and never more than including every component
    assert float(stats.moe_sum(est, moe)) <= float(stats.moe_sum(est, moe, zero_rule=False)) * (
        1 + 1e-15
    )


@given(components(), st.data())
def test_prop_grouped_equals_per_group(
    c: tuple[np.ndarray, np.ndarray], data: st.DataObject
) -> None:
    est, moe = c
    n_groups = data.draw(st.integers(1, 4))
    codes = data.draw(hnp.arrays(np.int64, est.size, elements=st.integers(-1, n_groups - 1)))
    sums, moes = stats.moe_sum_grouped(est, moe, codes, n_groups)
    assert sums.shape == moes.shape == (n_groups,)
    for g in range(n_groups):
        sel = codes == g
        assert sums[g] == pytest.approx(est[sel].sum(), rel=1e-12, abs=1e-9)
        assert moes[g] == pytest.approx(float(stats.moe_sum(est[sel], moe[sel])), rel=1e-12)


@given(hnp.arrays(np.float64, st.integers(0, 8), elements=finite_moe), level, level)
def test_prop_rescale_round_trips(moe: np.ndarray, a: float, b: float) -> None:
    back = stats.rescale_moe(stats.rescale_moe(moe, a, from_level=b), b, from_level=a)
    np.testing.assert_allclose(back, moe, rtol=1e-12)
    np.testing.assert_allclose(
        stats.moe_from_se(stats.standard_error(moe, level=a), level=a), moe, rtol=1e-12
    )


@given(
    st.floats(-1e6, 1e6, allow_subnormal=False),
    finite_moe,
    st.floats(-1e6, 1e6, allow_subnormal=False),
    finite_moe,
    level,
    st.sampled_from([0.0, 0.5, 0.8]),
)
def test_prop_significant_difference_is_symmetric(
    e1: float, m1: float, e2: float, m2: float, lv: float, overlap: float
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        ab = stats.significant_difference(e1, m1, e2, m2, lv, overlap=overlap)
        ba = stats.significant_difference(e2, m2, e1, m1, lv, overlap=overlap)
        z_ab = stats.z_score(e1, m1, e2, m2, overlap=overlap)
        z_ba = stats.z_score(e2, m2, e1, m1, overlap=overlap)
    assert bool(ab) is bool(ba)
    assert (np.isnan(z_ab) and np.isnan(z_ba)) or float(z_ab) == -float(z_ba)


@given(finite_moe.filter(lambda m: m > 0), positive)
def test_prop_cv_scales_with_moe(moe: float, est: float) -> None:
    c = float(stats.cv(est, moe))
    assert c >= 0
    assert float(stats.cv(est, 2 * moe)) == pytest.approx(2 * c, rel=1e-12)
