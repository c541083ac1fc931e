"""Medians from binned counts, with the Census Bureau's MOE rule (domain.md §8)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from attrs import evolve
from hypothesis import assume, given
from hypothesis import strategies as st

import feedbackloop as fl
from feedbackloop.errors import BinnedMedianError, NotAdditiveError, SeriesError
from feedbackloop.series import TOTAL, median_from_bins
from feedbackloop.stats import binned_median

# ACS household income bins (table B19001): lower bounds of "Less than $10,000" ...
# "$200,000 or more" (open-ended).
B19001_BOUNDS = [
    0, 10000, 15000, 20000, 25000, 30000, 35000, 40000,
    45000, 50000, 60000, 75000, 100000, 125000, 150000, 200000,
]  # fmt: skip

# Households by income in Los Angeles County, ACS 2013 5-year, 3-year and 1-year estimates
# (table B19001; public Census data). Typed in from the test suite of
# datadesk/census-data-aggregator (test.py, test_median), where they are the reference case.
LA_2013_ACS5 = [
    209050, 190300, 173380, 167740, 154347, 155834, 143103, 140946,
    126807, 241482, 303887, 384881, 268689, 169129, 189195, 211613,
]  # fmt: skip
LA_2013_ACS3 = [
    222966, 197354, 178836, 177895, 155399, 156869, 145396, 141772,
    125984, 237511, 303531, 371986, 264049, 164391, 179788, 209815,
]  # fmt: skip
LA_CITY_2013_ACS1 = [
    1382, 2377, 1332, 3129, 1927, 1825, 1567, 1996,
    1757, 3523, 4360, 6424, 5257, 3485, 2926, 4215,
]  # fmt: skip


# ------------------------------------------------------------------ the LA case


def test_los_angeles_county_to_the_cent() -> None:
    median, moe = binned_median(B19001_BOUNDS, LA_2013_ACS5, design_factor=1, sampling_rate=12.5)
    assert isinstance(median, np.float64)
    assert round(float(median), 2) == 56364.22
    assert round(float(moe), 2) == 161.97


def test_los_angeles_county_step_by_step() -> None:
    n = sum(LA_2013_ACS5)
    assert n == 3_230_383
    below = sum(LA_2013_ACS5[:9])  # households under $50,000
    # Linear interpolation over the whole $50,000-$59,999 bin: width 10,000 (the next bin's
    # lower bound), where census-data-aggregator uses max - min = 9,999 and gets 56,363.59.
    assert 50000 + (n / 2 - below) / LA_2013_ACS5[9] * 10000 == pytest.approx(56364.2217639)
    assert 50000 + (n / 2 - below) / LA_2013_ACS5[9] * 9999 == pytest.approx(56363.5853418)
    se50 = math.sqrt((100 - 12.5) / (n * 12.5) * 50**2)
    assert se50 == pytest.approx(0.0736024068)


@pytest.mark.parametrize(
    ("counts", "rate", "moe"),
    [
        # census-data-aggregator's MOEs: its confidence bounds use the next bin's minimum too.
        (LA_2013_ACS5, 12.5, 161.96723586588095),
        (LA_2013_ACS3, 7.5, 218.6913805834877),
        (LA_CITY_2013_ACS1, 2.5, 3850.680465234964),
    ],
)
def test_moe_agrees_with_census_data_aggregator(counts: list[int], rate: float, moe: float) -> None:
    _, got = binned_median(B19001_BOUNDS, counts, design_factor=1, sampling_rate=rate)
    assert float(got) == pytest.approx(moe, rel=1e-10)


# ------------------------------------------------------------ small hand cases


def test_hand_computed_median_and_moe() -> None:
    # N = 100, f = 50%: SE(50%) = sqrt(50 / 5000 * 2500) = 5 points; 45% and 55% lie in the
    # middle bin (25%..75%): 10 + 20/50 * 10 = 14 and 16, so SE = 1, MOE = 1.645.
    median, moe = binned_median(
        [0, 10, 20], [25, 50, 25], design_factor=1, sampling_rate=50, upper_bound=30
    )
    assert float(median) == pytest.approx(15.0)
    assert float(moe) == pytest.approx(1.645)
    # A design factor of 2 doubles SE(50%): 40%..60% -> 13..17, SE 2.
    _, moe2 = binned_median(
        [0, 10, 20], [25, 50, 25], design_factor=2, sampling_rate=50, upper_bound=30
    )
    assert float(moe2) == pytest.approx(3.29)
    # At 95% the MOE uses z = 1.960.
    _, moe95 = binned_median(
        [0, 10, 20], [25, 50, 25], design_factor=1, sampling_rate=50, upper_bound=30, level=0.95
    )
    assert float(moe95) == pytest.approx(1.960)


def test_median_on_a_bin_edge_and_across_empty_bins() -> None:
    # Half the units below 10: the median is 10 (the edge, taken from the higher bin).
    median, _ = binned_median(
        [0, 10, 20], [5, 5, 0], design_factor=1, sampling_rate=100, upper_bound=30
    )
    assert float(median) == 10.0
    # Empty bins at the 50% point: the top of the gap (20, where the next units start).
    median, _ = binned_median(
        [0, 10, 20, 30], [5, 0, 5, 0], design_factor=1, sampling_rate=100, upper_bound=40
    )
    assert float(median) == 20.0
    # 0 + 4 units below 20, 6 in [20, 30): 20 + (50 - 40) / 60 * 10.
    median, moe = binned_median(
        [0, 10, 20], [0, 4, 6], design_factor=1, sampling_rate=100, upper_bound=30
    )
    assert float(median) == pytest.approx(20 + 10 / 60 * 10)
    assert float(moe) == 0.0  # a census (100% sampled) has no sampling error


def test_open_top_bin_uses_the_pareto_curve_of_the_bin_below() -> None:
    # Percent below 10: 20, below 20: 40; the median lies in the open bin "20 or more".
    median, _ = binned_median([0, 10, 20], [100, 100, 300], design_factor=1, sampling_rate=100)
    theta = math.log((100 - 20) / (100 - 40)) / math.log(20 / 10)
    assert float(median) == pytest.approx(20 * ((100 - 40) / (100 - 50)) ** (1 / theta))
    assert float(median) == pytest.approx(31.0320838)
    # The same counts with a closed top bin interpolate linearly.
    closed, _ = binned_median(
        [0, 10, 20], [100, 100, 300], design_factor=1, sampling_rate=100, upper_bound=30
    )
    assert float(closed) == pytest.approx(20 + 10 / 60 * 10)


def test_confidence_bound_in_the_open_top_bin() -> None:
    # Median in the closed bin, 50 + SE in the open one: the upper bound is Pareto.
    counts = [10, 10, 10, 25, 45]  # percent below 10, 20, 30, 40: 10, 20, 30, 55
    median, moe = binned_median([0, 10, 20, 30, 40], counts, design_factor=1, sampling_rate=10)
    se50 = math.sqrt(90 / (100 * 10) * 2500)  # 15 points: 35% .. 65%
    assert se50 == pytest.approx(15)
    low = 30 + (35 - 30) / 25 * 10
    theta = math.log((100 - 30) / (100 - 55)) / math.log(40 / 30)
    high = 40 * ((100 - 55) / (100 - 65)) ** (1 / theta)
    assert float(median) == pytest.approx(30 + 20 / 25 * 10)
    assert float(moe) == pytest.approx(1.645 * (high - low) / 2)


@pytest.mark.parametrize(
    ("bounds", "counts"),
    [
        ([0, 10, 20], [10, 0, 30]),  # the bin below the open one is empty: no curve
        ([0, 10], [1, 3]),  # the bin below starts at 0: ln(A1 / A0) is undefined
        ([5], [4]),  # a single open bin
    ],
)
def test_pareto_not_reachable_gives_nan(bounds: list[int], counts: list[int]) -> None:
    median, moe = binned_median(bounds, counts, design_factor=1, sampling_rate=12.5)
    assert math.isnan(median) and math.isnan(moe)


def test_undefined_results_are_nan_not_errors() -> None:
    empty = binned_median([0, 10], [0, 0], design_factor=1, sampling_rate=12.5, upper_bound=20)
    assert all(math.isnan(x) for x in empty)
    unknown = binned_median(
        [0, 10], [3, np.nan], design_factor=1, sampling_rate=12.5, upper_bound=20
    )
    assert all(math.isnan(x) for x in unknown)
    # 5 units at 12.5%: SE(50%) = sqrt(87.5 / 62.5 * 2500) = 59 points, beyond 0..100.
    median, moe = binned_median(
        [0, 10], [2, 3], design_factor=1, sampling_rate=12.5, upper_bound=20
    )
    assert float(median) == pytest.approx(10 + 0.5 / 3 * 10)
    assert math.isnan(moe)


def test_many_distributions_at_once() -> None:
    rows = np.array([LA_2013_ACS5, LA_2013_ACS3, LA_CITY_2013_ACS1, [0] * 16], dtype=float)
    cube = np.stack([rows, rows[::-1]])  # shape (2, 4, 16)
    median, moe = binned_median(B19001_BOUNDS, cube, design_factor=1.2, sampling_rate=12.5)
    assert isinstance(median, np.ndarray) and median.shape == moe.shape == (2, 4)
    for i in range(2):
        for j in range(4):
            m, e = binned_median(B19001_BOUNDS, cube[i, j], design_factor=1.2, sampling_rate=12.5)
            np.testing.assert_equal([median[i, j], moe[i, j]], [m, e])
    assert np.isnan(median[0, 3]) and np.isnan(median[1, 0])


# ----------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lower_bounds": [0, 10, 10]}, r"increase strictly: bin 2 starts at 10"),
        ({"lower_bounds": [0, 20, 10]}, r"bin 2 starts at 10, not above bin 1's 20"),
        ({"lower_bounds": [0, np.nan, 20]}, r"lower_bounds\[1\] is nan"),
        ({"lower_bounds": []}, "non-empty"),
        ({"counts": [1, 2]}, r"3 bins in lower_bounds, counts of shape \(2,\)"),
        ({"counts": 5}, "one count per bin"),
        ({"counts": [1, -2, 3]}, r"counts\[1\] is -2"),
        ({"counts": [[1, 2, 3], [1, 2, np.inf]]}, r"counts\[1, 2\] is inf"),
        ({"design_factor": 0}, "design_factor must be a positive number"),
        ({"design_factor": float("nan")}, "design_factor"),
        ({"sampling_rate": 0}, r"above 0 and at most 100 \(got 0\)"),
        ({"sampling_rate": 250}, "sampling_rate"),
        ({"upper_bound": 20}, "above the last lower bound 20"),
    ],
)
def test_bad_input_raises_a_typed_error(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {
        "lower_bounds": [0, 10, 20],
        "counts": [1, 2, 3],
        "design_factor": 1,
        "sampling_rate": 12.5,
        "upper_bound": None,
    }
    args.update(kwargs)
    with pytest.raises(BinnedMedianError, match=match) as info:
        binned_median(
            args["lower_bounds"],  # type: ignore[arg-type]
            args["counts"],  # type: ignore[arg-type]
            design_factor=args["design_factor"],  # type: ignore[arg-type]
            sampling_rate=args["sampling_rate"],  # type: ignore[arg-type]
            upper_bound=args["upper_bound"],  # type: ignore[arg-type]
        )
    assert isinstance(info.value, ValueError)


# ------------------------------------------------------------------- properties

_counts = st.lists(st.integers(0, 10_000), min_size=1, max_size=8).filter(lambda c: sum(c) > 0)
_design = {"design_factor": 1.3, "sampling_rate": 12.5}


def _bounds(k: int) -> list[float]:
    return [1000.0 * i**1.5 for i in range(k)]


@given(_counts, st.booleans())
def test_median_lies_within_the_bins(counts: list[int], open_top: bool) -> None:
    bounds = _bounds(len(counts))
    top = None if open_top else bounds[-1] + 500.0
    median, moe = binned_median(bounds, counts, upper_bound=top, **_design)
    if open_top and math.isnan(median):
        return  # the Pareto curve was not defined
    assert bounds[0] <= median
    if top is not None:
        assert median <= top
    assert math.isnan(moe) or moe >= 0


@given(_counts, st.data())
def test_moving_units_up_never_lowers_the_median(counts: list[int], data: st.DataObject) -> None:
    assume(len(counts) >= 2)
    bounds = _bounds(len(counts))
    src = data.draw(st.sampled_from([i for i, c in enumerate(counts) if c > 0]))
    dst = data.draw(st.integers(src, len(counts) - 1))
    moved = list(counts)
    amount = data.draw(st.integers(1, counts[src]))
    moved[src] -= amount
    moved[dst] += amount
    top = bounds[-1] + 500.0
    before, _ = binned_median(bounds, counts, upper_bound=top, **_design)
    after, _ = binned_median(bounds, moved, upper_bound=top, **_design)
    assert after >= before - 1e-9 * abs(before)


@given(_counts, st.integers(2, 1000))
def test_scaling_counts_keeps_the_median_and_shrinks_the_se(counts: list[int], k: int) -> None:
    bounds = _bounds(len(counts))
    top = bounds[-1] + 500.0
    median, moe = binned_median(bounds, counts, upper_bound=top, **_design)
    scaled, moe_k = binned_median(bounds, [c * k for c in counts], upper_bound=top, **_design)
    assert scaled == pytest.approx(median, rel=1e-12, abs=1e-9)
    # Both confidence ranges inside the median's bin: SE(median) is linear in SE(50%).
    n = sum(counts)
    cum = np.concatenate([[0.0], np.cumsum(counts)]) / n * 100
    i = int(np.sum(cum[:-1] <= 50) - 1)
    se50 = 1.3 * math.sqrt(87.5 / (n * 12.5) * 2500)
    assume(cum[i] < 50 - se50 and 50 + se50 < cum[i + 1])
    assert moe_k * math.sqrt(k) == pytest.approx(moe, rel=1e-9)


# ------------------------------------------------------------------------ series

_HOUSEHOLDS = fl.Indicator(
    id="households_by_income",
    name="Households by income",
    unit="households",
    direction="higher_is_better",
    dimensions=("income_bin",),
)
_LABELS = [f"b19001_{i:03d}" for i in range(2, 18)]
_BOUNDS = dict(zip(_LABELS, B19001_BOUNDS, strict=True))


def _bins_frame(counts: dict[str, list[float]], period: str = "2009-2013") -> pd.DataFrame:
    rows = [
        {"geography": geo, "period": period, "income_bin": label, "value": n}
        for geo, values in counts.items()
        for label, n in zip(_LABELS, values, strict=True)
    ]
    return pd.DataFrame(rows)


def _series(df: pd.DataFrame, **kwargs: object) -> fl.IndicatorSeries:
    return fl.IndicatorSeries.from_frame(
        df, indicator=_HOUSEHOLDS, dimensions=["income_bin"], **kwargs
    )


def _medians(series: fl.IndicatorSeries, **kwargs: object) -> fl.IndicatorSeries:
    args: dict[str, object] = {
        "lower_bounds": _BOUNDS,
        "design_factor": 1,
        "sampling_rate": 12.5,
        "unit": "USD",
    }
    args.update(kwargs)
    return median_from_bins(series, "income_bin", **args)  # type: ignore[arg-type]


def test_series_median_of_los_angeles_county() -> None:
    out = _medians(_series(_bins_frame({"06037": LA_2013_ACS5})))
    assert out.indicator.id == "median_households_by_income"
    assert out.unit == "USD" and out.dimensions == ()
    row = out.frame.iloc[0]
    assert (row["geography"], row["period"], row["status"]) == ("06037", "2009-2013", "estimate")
    assert round(row["value"], 2) == 56364.22
    assert round(row["moe"], 2) == 161.97


# Three made-up tracts (scaled-down shapes of real B19001 rows) and two neighborhoods.
_TRACTS = {
    "06037101110": [120, 80, 60, 70, 55, 60, 40, 45, 30, 70, 90, 110, 60, 30, 25, 15],
    "06037101122": [300, 150, 120, 90, 80, 85, 60, 50, 40, 60, 70, 60, 30, 10, 5, 5],
    "06037101210": [20, 15, 10, 12, 15, 14, 18, 20, 22, 60, 95, 160, 140, 100, 120, 190],
}
_NEIGHBORHOODS = {"06037101110": "sunland", "06037101122": "sunland", "06037101210": "tujunga"}


def test_tract_to_neighborhood_rollup() -> None:
    tracts = _series(_bins_frame(_TRACTS))
    out = _medians(tracts.rollup(mapping=_NEIGHBORHOODS), design_factor=1.5)
    frame = out.frame.set_index("geography")
    assert frame.index.tolist() == ["sunland", "tujunga"]
    sunland = np.add(_TRACTS["06037101110"], _TRACTS["06037101122"])
    expected = binned_median(B19001_BOUNDS, sunland, design_factor=1.5, sampling_rate=12.5)
    assert frame.loc["sunland", "value"] == pytest.approx(float(expected[0]))
    assert frame.loc["sunland", "moe"] == pytest.approx(float(expected[1]))
    # By hand: 2,175 households, 990 of them under $25,000 and 135 at $25,000-$29,999, so the
    # 1,087.5th lies 97.5/135 of the way into that bin.
    assert sunland.sum() == 2175 and sunland[:4].sum() == 990 and sunland[4] == 135
    assert frame.loc["sunland", "value"] == pytest.approx(25000 + 97.5 / 135 * 5000)
    # The median of the tracts' medians is not the neighborhood's median.
    by_tract = _medians(tracts).frame.set_index("geography")["value"]
    assert frame.loc["sunland", "value"] != pytest.approx(by_tract.iloc[:2].mean())
    # tujunga (one tract of 1,011 households, 461 under $100,000) keeps its tract's median.
    assert frame.loc["tujunga", "status"] == "estimate"
    assert frame.loc["tujunga", "value"] == pytest.approx(100000 + 44.5 / 140 * 25000)


def test_rolling_up_a_median_points_to_median_from_bins() -> None:
    income = fl.Indicator(
        id="median_income", name="Median household income", unit="USD", direction="higher_is_better"
    )
    df = pd.DataFrame(
        {
            "geography": ["06037101110", "06037101122"],
            "period": "2013",
            "value": [52000.0, 41000.0],
            "moe": [4000.0, 5000.0],
        }
    )
    medians = fl.IndicatorSeries.from_frame(df, indicator=income)
    with pytest.raises(NotAdditiveError, match=r"feedbackloop\.series\.median_from_bins"):
        medians.rollup(mapping={"06037101110": "sunland", "06037101122": "sunland"})


def test_other_dimensions_and_total_rows_are_kept_apart() -> None:
    df = _bins_frame({"06037": LA_2013_ACS5})
    owners = df.assign(tenure="owner")
    renters = df.assign(tenure="renter", value=df["value"] // 2 + 1)
    total_row = pd.DataFrame(
        [
            {
                "geography": "06037",
                "period": "2009-2013",
                "tenure": "owner",
                "income_bin": TOTAL,
                "value": 3230383.0,
            }
        ]
    )
    frame = pd.concat([owners, renters, total_row], ignore_index=True)
    ind = fl.Indicator(
        id="households_by_income",
        name="Households",
        unit="households",
        direction="higher_is_better",
        dimensions=("tenure", "income_bin"),
    )
    series = fl.IndicatorSeries.from_frame(
        frame, indicator=ind, dimensions=["tenure", "income_bin"]
    )
    out = _medians(series)
    assert out.dimensions == ("tenure",)
    got = out.frame.set_index("tenure")
    assert round(got.loc["owner", "value"], 2) == 56364.22
    renters_median = binned_median(
        B19001_BOUNDS, renters["value"].to_numpy(), design_factor=1, sampling_rate=12.5
    )[0]
    assert got.loc["renter", "value"] == pytest.approx(float(renters_median))


def test_statuses_of_the_medians() -> None:
    rich = [0] * 15 + [50]
    rich[14] = 10  # 10 households at $150,000-$199,999, 50 at $200,000 or more
    tiny = [1, 1, 1] + [0] * 13  # 3 households: the confidence range leaves the data
    empty = [0] * 16
    unknown: list[float] = list(LA_2013_ACS5)
    unknown[3] = np.nan
    df = _bins_frame({"a": rich, "b": tiny, "c": empty, "d": unknown, "e": LA_2013_ACS5})
    out = _medians(_series(df)).frame.set_index("geography")
    assert out["status"].to_dict() == {
        "a": "top_coded",
        "b": "moe_not_computable",
        "c": "missing",
        "d": "missing",
        "e": "estimate",
    }
    assert out.loc["a", "value"] > 200000  # the Pareto extrapolation, flagged
    assert out.loc["b", "value"] == pytest.approx(10000 + 0.5 * 5000)
    assert np.isnan(out.loc["b", "moe"])
    # With a closed top bin nothing is top-coded.
    closed = _medians(_series(df), upper_bound=250000).frame.set_index("geography")
    assert closed.loc["a", "status"] == "estimate"
    assert closed.loc["a", "value"] == pytest.approx(200000 + (30 - 10) / 50 * 50000)


def test_a_suppressed_bin_withholds_the_median() -> None:
    df = _bins_frame({"a": LA_2013_ACS5, "b": LA_2013_ACS5})
    df["status"] = "estimate"
    df.loc[3, ["value", "status"]] = [np.nan, "suppressed"]
    out = _medians(_series(df, status="status")).frame.set_index("geography")
    assert out.loc["a", "status"] == "suppressed_derived"
    assert np.isnan(out.loc["a", "value"]) and np.isnan(out.loc["a", "moe"])
    assert out.loc["b", "status"] == "estimate"


def test_series_errors_name_the_place_and_bin() -> None:
    df = _bins_frame({"06037": LA_2013_ACS5, "06059": LA_2013_ACS5})
    with pytest.raises(
        BinnedMedianError,
        match=r"geography '06059', period '2009-2013' has no "
        r"row for bin 'b19001_005'",
    ):
        _medians(_series(df.drop(index=16 + 3)))
    extra = dict(_BOUNDS)
    del extra["b19001_017"]
    with pytest.raises(BinnedMedianError, match=r"without a lower bound: 'b19001_017'"):
        _medians(_series(df), lower_bounds=extra)
    same = dict(_BOUNDS, b19001_017=150000)
    with pytest.raises(BinnedMedianError, match=r"both start at 150000"):
        _medians(_series(df), lower_bounds=same)
    negative = df.copy()
    negative.loc[20, "value"] = -5.0  # only a signed indicator (net changes) may hold this
    signed = fl.IndicatorSeries.from_frame(
        negative, indicator=evolve(_HOUSEHOLDS, signed=True), dimensions=["income_bin"]
    )
    with pytest.raises(BinnedMedianError, match=r"geography '06059'.*'b19001_006': count -5"):
        _medians(signed)
    with pytest.raises(BinnedMedianError, match="sampling_rate"):
        _medians(_series(df), sampling_rate=0)
    with pytest.raises(SeriesError, match="no dimension 'income'"):
        median_from_bins(
            _series(df),
            "income",
            lower_bounds=_BOUNDS,
            design_factor=1,
            sampling_rate=12.5,
            unit="USD",
        )
    with pytest.raises(SeriesError, match="give unit="):
        _medians(_series(df), unit=None)


def test_values_that_are_not_counts_are_refused() -> None:
    pct = fl.Indicator(
        id="income_share",
        name="Share by income",
        unit="percent",
        direction="higher_is_better",
        dimensions=("income_bin",),
    )
    df = _bins_frame({"06037": [100 / 16] * 16})
    series = fl.IndicatorSeries.from_frame(df, indicator=pct, dimensions=["income_bin"])
    with pytest.raises(SeriesError, match="needs counts in each bin"):
        _medians(series)


def test_an_indicator_can_be_given() -> None:
    income = fl.Indicator(
        id="median_income", name="Median household income", unit="USD", direction="higher_is_better"
    )
    out = _medians(_series(_bins_frame({"06037": LA_2013_ACS5})), unit=None, indicator=income)
    assert out.indicator is income and out.unit == "USD"
    assert out.frame["indicator"].tolist() == ["median_income"]
