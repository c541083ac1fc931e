"""Small-cell suppression, controlled rounding, policies and audiences."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from feedbackloop import TOTAL, Indicator, IndicatorSeries, Status
from feedbackloop.errors import FeedbackloopError
from feedbackloop.privacy import (
    DEFAULT_AUDIENCES,
    ExportRefusedError,
    NoDisclosureControl,
    PolicyError,
    RoundingPolicy,
    RoundingWarning,
    SuppressionError,
    SuppressionPolicy,
    UnknownAudienceError,
    audiences_from_dict,
    audit,
    export,
    policy_from_dict,
    round_counts,
    suppress,
)
from feedbackloop.series import read_parquet

COUNT = Indicator(id="served", name="Served", unit="people", direction="higher_is_better")
RATE = Indicator(id="completion", name="Completion", unit="percent", direction="higher_is_better")
WITHHELD = {Status.SUPPRESSED.value, Status.SUPPRESSED_COMPLEMENTARY.value}


def domain_table() -> IndicatorSeries:
    """domain.md §4: Black/White by tract A-C, with every margin."""
    data = {"Black": [8, 25, 30], "White": [40, 12, 50]}
    rows = []
    for race, vals in data.items():
        rows += [(g, race, v) for g, v in zip("ABC", vals, strict=True)]
        rows.append((TOTAL, race, sum(vals)))
    for i, g in enumerate("ABC"):
        rows.append((g, TOTAL, data["Black"][i] + data["White"][i]))
    rows.append((TOTAL, TOTAL, 165))
    df = pd.DataFrame(rows, columns=["geography", "race", "value"])
    df["period"] = "2023"
    return IndicatorSeries.from_frame(df, indicator=COUNT, dimensions=["race"])


def status_of(s: IndicatorSeries) -> dict[tuple[str, ...], str]:
    f = s.frame
    return {tuple(r[k] for k in s.keys): r["status"] for _, r in f.iterrows()}


# --------------------------------------------------------------------- the LP oracle


def feasible_ranges(
    original: IndicatorSeries, published: IndicatorSeries, axes: list[str]
) -> dict[int, tuple[float, float]]:
    """Independent audit: min/max of every withheld count given what is published.

    Relations are rebuilt from scratch: a row with TOTAL in axis ``a`` equals the
    sum of the rows that differ from it only in ``a`` (which is not TOTAL).
    """
    keys = original.frame[axes].astype(str).to_numpy()
    true = original.frame["value"].to_numpy(dtype=float)
    hidden = [i for i, s in enumerate(published.frame["status"]) if s in WITHHELD]
    pub = published.frame["value"].to_numpy(dtype=float)
    assert all(np.isnan(pub[i]) for i in hidden)
    pos = {r: k for k, r in enumerate(hidden)}
    a_eq, b_eq = [], []
    for r in range(len(keys)):
        for a in range(len(axes)):
            if keys[r, a] != TOTAL:
                continue
            same = np.all(np.delete(keys, a, axis=1) == np.delete(keys[r], a), axis=1)
            kids = [c for c in np.flatnonzero(same) if keys[c, a] != TOTAL]
            row = np.zeros(len(hidden))
            rhs = 0.0
            for c, coef in [(r, 1.0), *((k, -1.0) for k in kids)]:
                if c in pos:
                    row[pos[c]] += coef
                else:
                    rhs -= coef * pub[c]
            if row.any():
                a_eq.append(row)
                b_eq.append(rhs)
    out = {}
    for r, k in pos.items():
        c = np.zeros(len(hidden))
        c[k] = 1.0
        kw = {"A_eq": np.array(a_eq), "b_eq": np.array(b_eq)} if a_eq else {}
        lo = linprog(c, bounds=(0, None), method="highs", **kw)
        hi = linprog(-c, bounds=(0, None), method="highs", **kw)
        assert lo.status == 0
        upper = np.inf if hi.status == 3 else -hi.fun
        out[r] = (lo.fun, upper)
        assert lo.fun - 1e-6 <= true[r] <= upper + 1e-6
    return out


# ------------------------------------------------------------- domain.md example


def test_domain_example_gives_the_documented_minimal_complementary_set() -> None:
    s = domain_table()
    out = suppress(s, SuppressionPolicy(threshold=11))
    st_ = status_of(out)
    assert st_[("A", "2023", "Black")] == Status.SUPPRESSED
    comp = {k for k, v in st_.items() if v == Status.SUPPRESSED_COMPLEMENTARY}
    assert comp == {("B", "2023", "Black"), ("A", "2023", "White"), ("B", "2023", "White")}
    # marginals stay published
    assert all(v == Status.ESTIMATE for k, v in st_.items() if TOTAL in k)
    ranges = feasible_ranges(s, out, ["geography", "race"])
    black_a = s.frame.index[(s.frame["geography"] == "A") & (s.frame["race"] == "Black")][0]
    assert ranges[black_a] == pytest.approx((0.0, 33.0))
    assert all(hi - lo >= 11 for lo, hi in ranges.values())


def test_suppressing_only_the_primary_is_recoverable_by_subtraction() -> None:
    s = domain_table()
    out = suppress(s, SuppressionPolicy(threshold=11, complementary=False))
    assert sum(v in WITHHELD for v in out.frame["status"]) == 1
    (rng,) = feasible_ranges(s, out, ["geography", "race"]).values()
    assert rng == pytest.approx((8.0, 8.0))  # 8 = 63 - 25 - 30


def test_audit_reports_the_domain_interval() -> None:
    s = domain_table()
    report = audit(s, s.suppress(SuppressionPolicy(threshold=11)), threshold=11)
    row = report[(report["geography"] == "A") & (report["race"] == "Black")].iloc[0]
    assert (row["true"], row["lower"], row["upper"]) == (8.0, 0.0, 33.0)
    assert report["protected"].all() and len(report) == 4


def test_suppressed_values_are_removed_from_the_arrow_data() -> None:
    df = domain_table().frame.drop(columns=["indicator", "status"])
    df["moe"] = 3.0
    s = IndicatorSeries.from_frame(df, indicator=COUNT, dimensions=["race"])
    out = s.suppress(SuppressionPolicy(threshold=11))
    withheld = np.isin(np.asarray(out.frame["status"], dtype=object), list(WITHHELD))
    for col in ("value", "moe"):
        arr = out.table.column(col).combine_chunks()
        assert arr.null_count == withheld.sum()
        data = np.frombuffer(arr.buffers()[1], dtype=np.float64)[: len(arr)]
        assert (data[withheld] == 0).all()  # the bytes are gone, not only flagged
    assert set(out.frame["value"][withheld].isna()) == {True}
    assert s.frame["value"].notna().all()  # the input is untouched


def test_output_is_deterministic_and_round_trips_through_parquet(tmp_path: Path) -> None:
    s = domain_table()
    a = s.suppress(SuppressionPolicy(threshold=11))
    assert a == s.suppress(SuppressionPolicy(threshold=11))
    a.to_parquet(tmp_path / "x.parquet")
    assert read_parquet(tmp_path / "x.parquet") == a


def test_zero_is_allowed_by_default_and_configurable() -> None:
    df = pd.DataFrame(
        {
            "geography": "g",
            "period": "2024",
            "sex": ["F", "M", "X", TOTAL],
            "value": [0, 30, 40, 70],
        }
    )
    s = IndicatorSeries.from_frame(df, indicator=COUNT, dimensions=["sex"])
    assert (s.suppress(SuppressionPolicy()).frame["status"] == "estimate").all()
    out = s.suppress(SuppressionPolicy(allow_zero=False))
    assert out.frame["status"].tolist()[:2] == ["suppressed", "suppressed_complementary"]


def test_periods_and_indicators_are_independent_tables() -> None:
    df = pd.DataFrame(
        {
            "geography": "g",
            "period": ["2023"] * 3 + ["2024"] * 3,
            "sex": ["F", "M", TOTAL] * 2,
            "value": [5, 30, 35, 20, 30, 50],
        }
    )
    s = IndicatorSeries.from_frame(df, indicator=COUNT, dimensions=["sex"])
    out = s.suppress()
    assert out.frame["status"].tolist() == [
        "suppressed",
        "suppressed_complementary",
        "estimate",
        "estimate",
        "estimate",
        "estimate",
    ]


def test_geographies_without_totals_are_separate_tables_and_parents_link_them() -> None:
    df = pd.DataFrame(
        {
            "geography": ["06075000100", "06075000200", "06075"],
            "period": "2024",
            "value": [4, 30, 34],
        }
    )
    s = IndicatorSeries.from_frame(df, indicator=COUNT)
    # without a hierarchy, the county is not known to be the sum of the tracts
    assert s.suppress().frame["status"].tolist() == ["suppressed", "estimate", "estimate"]
    parents = {"06075000100": "06075", "06075000200": "06075"}
    out = s.suppress(geography_parents=parents)
    assert out.frame["status"].tolist() == [
        "suppressed",
        "suppressed_complementary",
        "estimate",
    ]


def test_a_total_is_withheld_when_nothing_else_can_hide_a_cell() -> None:
    df = pd.DataFrame(
        {"geography": "g", "period": "2024", "sex": ["F", "M", TOTAL], "value": [3, 0, 3]}
    )
    s = IndicatorSeries.from_frame(df, indicator=COUNT, dimensions=["sex"])
    out = s.suppress()
    assert out.frame["status"].tolist() == ["suppressed", "estimate", "suppressed"]
    df["value"] = [4, 0, 40]  # not additive: the gap is assumed known to an intruder
    s = IndicatorSeries.from_frame(df, indicator=COUNT, dimensions=["sex"])
    out = s.suppress()
    assert out.frame["status"].tolist() == ["suppressed", "estimate", "suppressed_complementary"]


def rate_series(num: list[float], den: list[float]) -> IndicatorSeries:
    df = pd.DataFrame(
        {
            "geography": "g",
            "period": "2024",
            "race": ["A", "B", "C", TOTAL],
            "numerator": num,
            "denominator": den,
        }
    )
    df["value"] = 100 * df["numerator"] / df["denominator"]
    return IndicatorSeries.from_frame(df, indicator=RATE, dimensions=["race"])


def test_rates_are_suppressed_on_their_numerators_and_denominators() -> None:
    s = rate_series([3, 40, 50, 93], [20, 60, 80, 160])
    out = s.suppress()
    f = out.frame
    assert f["status"][0] == "suppressed"
    assert f.loc[0, ["value", "numerator", "denominator"]].isna().all()
    assert (f["status"] != "estimate").sum() >= 2  # and a complement
    assert f["status"][3] == "estimate"


def test_small_complement_of_a_rate_is_a_disclosure() -> None:
    # 48 of 50 completed: 2 did not
    s = rate_series([48, 40, 50, 138], [50, 60, 80, 190])
    assert s.suppress().frame["status"][0] == "suppressed"
    loose = s.suppress(SuppressionPolicy(protect_complement=False))
    assert (loose.frame["status"] == "estimate").all()


def test_rates_without_counts_cannot_be_suppressed() -> None:
    df = pd.DataFrame({"geography": "g", "period": "2024", "value": [12.5]})
    s = IndicatorSeries.from_frame(df, indicator=RATE)
    with pytest.raises(SuppressionError, match="numerator= and denominator="):
        s.suppress()


def test_known_rows_are_never_relied_on() -> None:
    df = pd.DataFrame(
        {
            "geography": "g",
            "period": "2024",
            "org": ["X", "P", "Q", TOTAL],
            "value": [30, 5, 40, 75],
        }
    )
    s = IndicatorSeries.from_frame(df, indicator=COUNT, dimensions=["org"])
    plain = s.suppress()
    assert plain.frame["status"].tolist()[:2] == ["suppressed_complementary", "suppressed"]
    out = suppress(s, SuppressionPolicy(), known=[True, False, False, False])
    assert out.frame["status"].tolist() == [
        "estimate",
        "suppressed",
        "suppressed_complementary",
        "estimate",
    ]


# ------------------------------------------------------------ hypothesis tables


@st.composite
def count_tables(draw: st.DrawFn, max_dims: int = 3) -> tuple[IndicatorSeries, list[str]]:
    k = draw(st.integers(1, max_dims))
    sizes = [draw(st.integers(2, 4 if k < 3 else 3)) for _ in range(k)]
    cell = st.one_of(st.integers(0, 12), st.integers(10, 60))
    interior = {combo: draw(cell) for combo in itertools.product(*[range(n) for n in sizes])}
    names = [f"d{i}" for i in range(k)]
    rows = []
    for mask in itertools.product([False, True], repeat=k):
        for combo in itertools.product(*[range(n) for n in sizes]):
            if any(mask[i] and combo[i] for i in range(k)):
                continue  # one representative per margin
            total = sum(
                v for c, v in interior.items() if all(mask[i] or c[i] == combo[i] for i in range(k))
            )
            labels = [TOTAL if mask[i] else f"c{combo[i]}" for i in range(k)]
            rows.append((*labels, total))
    df = pd.DataFrame(rows, columns=[*names, "value"])
    df["geography"], df["period"] = "g", "2024"
    return IndicatorSeries.from_frame(df, indicator=COUNT, dimensions=names), names


@settings(max_examples=25, deadline=None)
@given(table=count_tables(), threshold=st.sampled_from([5, 11]))
def test_property_every_withheld_cell_has_a_wide_feasible_range(
    table: tuple[IndicatorSeries, list[str]], threshold: int
) -> None:
    s, names = table
    policy = SuppressionPolicy(threshold=threshold)
    out = s.suppress(policy)
    f, o = s.frame, out.frame
    small = (f["value"] > 0) & (f["value"] < threshold)
    assert (o["status"][small] == "suppressed").all()  # every primary
    withheld = o["status"].isin(WITHHELD)
    assert o.loc[withheld, "value"].isna().all()  # no value in a withheld row
    assert (o.loc[~withheld, "value"] == f.loc[~withheld, "value"]).all()
    for lo, hi in feasible_ranges(s, out, names).values():
        assert hi - lo >= threshold - 1e-6  # nothing derivable
    assert s.suppress(policy) == out  # deterministic


@given(
    table=count_tables(),
    threshold=st.sampled_from([5, 11]),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_suppression_does_not_depend_on_row_order(
    table: tuple[IndicatorSeries, list[str]], threshold: int, seed: int
) -> None:
    """Engines deliver a table's rows in any order: the same cells must be withheld."""
    s, _ = table
    policy = SuppressionPolicy(threshold=threshold)
    order = np.random.default_rng(seed).permutation(len(s))
    shuffled = s.with_table(s.table.take(order))
    want = s.suppress(policy).frame.iloc[order].reset_index(drop=True)
    got = shuffled.suppress(policy).frame
    assert got["status"].astype(str).tolist() == want["status"].astype(str).tolist()
    assert got["value"].isna().tolist() == want["value"].isna().tolist()


# -------------------------------------------------------------------- rounding


def additive_violations(s: IndicatorSeries, names: list[str]) -> int:
    f = s.frame
    keys = f[names].astype(str).to_numpy()
    vals = f["value"].to_numpy(dtype=float)
    bad = 0
    for r in range(len(f)):
        for a in range(len(names)):
            if keys[r, a] != TOTAL:
                continue
            same = np.all(np.delete(keys, a, axis=1) == np.delete(keys[r], a), axis=1)
            kids = [c for c in np.flatnonzero(same) if keys[c, a] != TOTAL]
            bad += abs(vals[r] - vals[kids].sum()) > 1e-9
    return bad


@settings(max_examples=25, deadline=None)
@given(table=count_tables(max_dims=2), base=st.sampled_from([3, 5, 10]))
def test_property_controlled_rounding_keeps_1d_and_2d_tables_additive(
    table: tuple[IndicatorSeries, list[str]], base: int
) -> None:
    s, names = table
    out = round_counts(s, RoundingPolicy(base=base))
    before = s.frame["value"].to_numpy(dtype=float)
    after = out.frame["value"].to_numpy(dtype=float)
    assert (after % base == 0).all()
    assert (np.abs(after - before) < base).all()
    assert (after[before % base == 0] == before[before % base == 0]).all()  # zeros stay
    assert additive_violations(out, names) == 0
    assert round_counts(s, RoundingPolicy(base=base)) == out


def test_rounding_three_way_tables_is_additive_or_says_so() -> None:
    rng = np.random.default_rng(3)
    rows = []
    interior = {c: int(rng.integers(0, 30)) for c in itertools.product(range(3), repeat=3)}
    for mask in itertools.product([False, True], repeat=3):
        for combo in itertools.product(range(3), repeat=3):
            if any(mask[i] and combo[i] for i in range(3)):
                continue
            total = sum(
                v for c, v in interior.items() if all(mask[i] or c[i] == combo[i] for i in range(3))
            )
            rows.append((*[TOTAL if mask[i] else f"c{combo[i]}" for i in range(3)], total))
    df = pd.DataFrame(rows, columns=["a", "b", "c", "value"])
    df["geography"], df["period"] = "g", "2024"
    s3 = IndicatorSeries.from_frame(df, indicator=COUNT, dimensions=["a", "b", "c"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = round_counts(s3)
    if caught:
        assert all(issubclass(w.category, RoundingWarning) for w in caught)
    else:
        assert additive_violations(out, ["a", "b", "c"]) == 0
    assert (out.frame["value"] % 5 == 0).all()


def test_rounding_rates_recomputes_values() -> None:
    s = rate_series([3, 40, 50, 93], [20, 60, 80, 160])
    out = s.export("public", {"public": {"method": "round", "base": 5}})
    f = out.frame
    assert (f["numerator"] % 5 == 0).all() and (f["denominator"] % 5 == 0).all()
    assert f["numerator"].iloc[:3].sum() == f["numerator"].iloc[3]
    assert f["value"].tolist() == pytest.approx((100 * f["numerator"] / f["denominator"]).tolist())


# ---------------------------------------------------------- policies & audiences


def test_policy_from_dict() -> None:
    assert policy_from_dict({"threshold": 11}) == SuppressionPolicy(threshold=11)
    assert policy_from_dict({"method": "round", "base": 5}) == RoundingPolicy(base=5)
    assert policy_from_dict({"method": "none"}) == NoDisclosureControl()
    p = SuppressionPolicy(threshold=16, allow_zero=False)
    assert policy_from_dict(p.to_dict()) == p
    with pytest.raises(PolicyError, match="unknown disclosure-control method 'blur'"):
        policy_from_dict({"method": "blur"})
    with pytest.raises(PolicyError, match="does not take 'treshold'"):
        policy_from_dict({"treshold": 11})
    with pytest.raises(PolicyError, match="threshold must be a whole number >= 1"):
        policy_from_dict({"threshold": 0})
    with pytest.raises(PolicyError, match="base must be"):
        RoundingPolicy(base=1)


def test_default_audiences() -> None:
    assert set(DEFAULT_AUDIENCES) == {"backbone", "partners", "public"}
    assert DEFAULT_AUDIENCES["public"] == SuppressionPolicy(threshold=11)
    assert isinstance(DEFAULT_AUDIENCES["backbone"], NoDisclosureControl)
    with pytest.raises(PolicyError, match="audience 'board'"):
        audiences_from_dict({"board": {"method": "?"}})


def test_export_honours_audiences_and_refuses_sensitive_data() -> None:
    s = domain_table()
    sensitive = s.with_table(s.table, sensitive=True)
    with pytest.raises(ExportRefusedError, match="marked sensitive") as info:
        sensitive.export(None)
    assert isinstance(info.value, PermissionError)
    assert isinstance(info.value, FeedbackloopError)
    with pytest.raises(UnknownAudienceError, match="unknown audience 'press'") as info2:
        sensitive.export("press")
    assert isinstance(info2.value, ValueError)
    assert s.export(None) is s  # not sensitive: allowed
    assert sensitive.export("backbone") == sensitive
    public = sensitive.export("public")
    assert not public.sensitive
    assert public.frame["status"].isin(WITHHELD).sum() == 4
    # the agreement can override the defaults
    loose = sensitive.export("public", {"public": {"threshold": 5}})
    assert not loose.frame["status"].isin(WITHHELD).any()
    assert (
        export(sensitive, "board", {"board": {"method": "round", "base": 10}})
        .frame["value"]
        .mod(10)
        .eq(0)
        .all()
    )
