"""The fast paths behind rollup and disparity give exactly what the plain formulas give.

Factor codes (run-length and chunk-wise factorization, remembered per series),
the chunked two-thread disparity kernel and the trusted in-place statistics are
checked against straightforward references, with the size thresholds lowered so
that small inputs take the large-input paths.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedbackloop import TOTAL, Indicator, IndicatorSeries, stats
from feedbackloop.series import _groupby
from feedbackloop.series._groupby import factorize, factorize_many, group

IND = Indicator(id="people", name="People", unit="people", direction="higher_is_better")


@pytest.fixture
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make tiny inputs take the run-length, chunked and threaded paths."""
    monkeypatch.setattr(_groupby, "_PARALLEL_MIN", 8)
    monkeypatch.setattr(_groupby, "_CHUNK", 5)
    monkeypatch.setattr(_groupby, "_RUN_SAMPLE", 16)


def _check_factor(column: pa.ChunkedArray | pa.Array, values: list[str]) -> None:
    codes, labels = factorize(column)
    assert labels.to_pylist() == sorted(set(values))
    assert labels.take(pa.array(codes)).to_pylist() == values
    assert codes.dtype.itemsize <= 4


@pytest.mark.usefixtures("small_thresholds")
def test_factorize_runs_chunks_and_dictionaries() -> None:
    rng = np.random.default_rng(7)
    places = [f"{i:05d}" for i in rng.permutation(40)]
    runs = [p for p in places for _ in range(12)]  # sorted in runs: run-length path
    _check_factor(pa.chunked_array([runs[:100], runs[100:101], [], runs[101:]]), runs)
    scattered = list(rng.choice(places, 500))  # no runs: hash path, several chunks
    _check_factor(pa.chunked_array([scattered[:7], scattered[7:]]), scattered)
    # Dictionary chunks with different dictionaries and labels that never occur.
    a = pa.DictionaryArray.from_arrays(pa.array([2, 0, 2], pa.int32()), ["z", "q", "b"])
    b = pa.DictionaryArray.from_arrays(pa.array([0, 0], pa.int32()), ["c", "never"])
    _check_factor(pa.chunked_array([a, b]), ["b", "z", "b", "c", "c"])
    _check_factor(pa.chunked_array([], pa.string()), [])


@given(st.lists(st.sampled_from(["a", "b", "ab", "", "ba"]), max_size=80))
def test_factorize_many_equals_one_by_one(values: list[str]) -> None:
    cols = {"x": pa.array(values), "y": pa.array(values[::-1])}
    many = factorize_many(cols)
    for name, col in cols.items():
        codes, labels = factorize(col)
        assert np.array_equal(many[name][0], codes)
        assert many[name][1].equals(labels)


def _panel(n_places: int, *, moe: bool = True, holes: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    rows = [
        (f"{6:02d}{c:03d}{t:06d}", str(y), r)
        for c in range(1, 4)
        for t in range(n_places)
        for y in (2019, 2020)
        for r in ("A", "B", "C", TOTAL)
    ]
    df = pd.DataFrame(rows, columns=["geography", "period", "race"])
    if holes:  # some places lack the reference row, some lack categories
        gone = rng.choice(len(df), len(df) // 5, replace=False).tolist()
        df = df.drop(index=gone).reset_index(drop=True)
    n = len(df)
    value = rng.integers(0, 50, n).astype(float)
    value[rng.random(n) < 0.05] = np.nan
    df["value"] = value
    df["status"] = np.where(np.isnan(value), "missing", "estimate")
    if moe:
        m = rng.random(n) * 20
        m[rng.random(n) < 0.1] = 0.0
        m[rng.random(n) < 0.03] = 1e-170  # squares underflow: exact path
        m[rng.random(n) < 0.03] = 1e170  # squares overflow: exact path
        df["moe"] = m
    return df.sample(frac=1.0, random_state=3).reset_index(drop=True)


@pytest.mark.usefixtures("small_thresholds")
@pytest.mark.parametrize("measure", ["ratio", "difference"])
@pytest.mark.parametrize(("moe", "holes"), [(True, False), (True, True), (False, True)])
def test_disparity_kernel_equals_the_public_formulas(measure: str, moe: bool, holes: bool) -> None:
    df = _panel(6, moe=moe, holes=holes)
    s = IndicatorSeries.from_frame(df, indicator=IND, dimensions=["race"])
    got = s.disparity("race", measure=measure, level=0.95)  # type: ignore[arg-type]
    # Reference: a pandas join and the public statistics functions.
    ref = df[df["race"] == TOTAL][["geography", "period", "value", *(["moe"] if moe else [])]]
    grp = df[df["race"] != TOTAL]
    m = grp.merge(ref, on=["geography", "period"], how="left", suffixes=("", "_ref"))
    m = m.sort_values(["geography", "period", "race"]).reset_index(drop=True)
    v, r = m["value"].to_numpy(float), m["value_ref"].to_numpy(float)
    mv = m["moe"].to_numpy(float) if moe else np.full(len(m), np.nan)
    mr = m["moe_ref"].to_numpy(float) if moe else np.full(len(m), np.nan)
    if measure == "ratio":
        d, dm = stats.rate_ratio(v, r), stats.moe_ratio(v, r, mv, mr)
    else:
        d, dm = stats.rate_difference(v, r), stats.moe_diff(mv, mr)
    assert got["geography"].astype(str).tolist() == m["geography"].tolist()
    assert got["group"].astype(str).tolist() == m["race"].tolist()
    np.testing.assert_array_equal(got["value"].to_numpy(), v)
    np.testing.assert_array_equal(got["reference_value"].to_numpy(), r)
    np.testing.assert_array_equal(got["disparity"].to_numpy(), d)
    np.testing.assert_array_equal(got["disparity_moe"].to_numpy(), dm)
    unknown = np.isnan(v) | np.isnan(r) | np.isnan(mv) | np.isnan(mr)
    assert got["significant"].isna().to_numpy().tolist() == unknown.tolist()
    sig = stats.significant_difference(v, mv, r, mr, level=0.95)
    assert got["significant"].fillna(False).to_numpy(bool).tolist() == (sig & ~unknown).tolist()


floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=False, width=64),
    st.sampled_from([0.0, 1e-170, 1e170, -0.0]),
)


@given(st.lists(st.tuples(floats, floats, floats, floats), min_size=1, max_size=30))
def test_trusted_statistics_match_public_functions_bit_for_bit(
    rows: list[tuple[float, float, float, float]],
) -> None:
    x, y, mx, my = (np.array(c, dtype=np.float64) for c in zip(*rows, strict=True))
    mx, my = np.abs(mx), np.abs(my)  # trusted callers pass checked (non-negative) MOEs
    with np.errstate(all="ignore"):
        ratio = stats._ratio_into(x, y, np.empty_like(x))
        np.testing.assert_array_equal(ratio, stats.rate_ratio(x, y))
        moe = stats._moe_ratio_into(ratio, y, mx, my, np.empty_like(x))
        np.testing.assert_array_equal(moe, stats.moe_ratio(x, y, mx, my))
        np.testing.assert_array_equal(
            stats._hypot_into(mx, my, np.empty_like(x)), stats.moe_diff(mx, my)
        )
        for level in (0.90, 0.99):
            sig = stats._significant_into(x, mx, y, my, np.empty(len(x), bool), level=level)
            assert (
                sig.tolist()
                == np.asarray(stats.significant_difference(x, mx, y, my, level=level)).tolist()
            )


@pytest.mark.usefixtures("small_thresholds")
def test_remembered_factor_codes_match_a_fresh_factorization() -> None:
    s = IndicatorSeries.from_frame(_panel(5, holes=True), indicator=IND, dimensions=["race"])
    checked = [s, s.rollup(to="county"), s.rollup(to="state"), s.collapse("race")]
    checked.append(checked[1].rollup(to="state"))
    for series in checked:
        kept = series._key_factors(series.keys)
        for col in series.keys:
            codes, labels = factorize(series.table.column(col))
            assert np.array_equal(kept[col][0], codes), col
            assert kept[col][1].equals(labels), col
    # A new table never inherits codes; operations with remembered codes equal fresh ones.
    assert s._factors and s.with_table(s.table.slice(1))._factors == {}
    assert s.filter(race="A")._factors == {}
    fresh = IndicatorSeries.from_arrow(s.to_arrow())
    assert fresh._factors == {}
    assert s.rollup(to="county") == fresh.rollup(to="county")
    pd.testing.assert_frame_equal(s.disparity("race"), fresh.disparity("race"))
    one, two = s.rollup(to="state"), s.rollup(to="county").rollup(to="state")
    assert one.table.select(one.keys).equals(two.table.select(two.keys))
    np.testing.assert_allclose(one.frame["value"], two.frame["value"], rtol=1e-12)


def test_duplicate_keys_are_still_reported_with_their_rows() -> None:
    df = _panel(2)
    df = pd.concat([df, df.iloc[[3, 5]]], ignore_index=True)
    with pytest.raises(Exception, match=r"rows? .*repeat a key") as err:
        IndicatorSeries.from_frame(df, indicator=IND, dimensions=["race"])
    assert str(len(df) - 2) in str(err.value) and str(len(df) - 1) in str(err.value)


def test_group_reports_sizes_and_key_codes() -> None:
    table = pa.table({"k": ["b", "a", "b", "c"], "j": ["x", "x", "x", "y"]})
    g = group(table, ["k", "j"])
    assert g.keys.to_pylist() == [
        {"k": "a", "j": "x"},
        {"k": "b", "j": "x"},
        {"k": "c", "j": "y"},
    ]
    assert g.sizes.tolist() == [1, 2, 1]
    assert [c.tolist() for c in g.key_codes] == [[0, 1, 2], [0, 0, 1]]
    assert g.factors()["j"][1].to_pylist() == ["x", "y"]
