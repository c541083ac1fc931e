"""The sorted grouping behind rollup, collapse and disparity, checked against pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from feedbackloop import TOTAL, Indicator, IndicatorSeries
from feedbackloop.series._groupby import factorize, group, relabel

labels = st.text(alphabet="ab01 ", min_size=0, max_size=3)


@st.composite
def key_tables(draw: st.DrawFn) -> pa.Table:
    n = draw(st.integers(0, 60))
    k = draw(st.integers(1, 3))
    cols = {f"k{j}": draw(st.lists(labels, min_size=n, max_size=n)) for j in range(k)}
    cols["v"] = draw(
        st.lists(
            st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False), min_size=n, max_size=n
        )
    )
    return pa.table(
        {
            **{c: pa.array(v, pa.string()) for c, v in cols.items() if c != "v"},
            "v": pa.array(cols["v"], pa.float64()),
        }
    )


@given(key_tables())
def test_group_matches_sorted_pandas_groupby(table: pa.Table) -> None:
    keys = [c for c in table.column_names if c != "v"]
    g = group(table, keys)
    df = table.to_pandas()
    expected = df.groupby(keys, sort=True)["v"].sum().reset_index()
    got = g.keys.to_pandas()
    got["v"] = g.sum(table.column("v").to_numpy())
    assert g.n == len(expected)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9, atol=1e-6)
    # each row's code points at its own key
    for c in keys:
        assert g.keys.column(c).take(pa.array(g.codes)).to_pylist() == table.column(c).to_pylist()


@given(st.lists(labels, max_size=40))
def test_factorize_codes_follow_sorted_labels(values: list[str]) -> None:
    codes, uniques = factorize(pa.chunked_array([pa.array(values, pa.string())]))
    assert uniques.to_pylist() == sorted(set(values))
    assert uniques.take(pa.array(codes)).to_pylist() == values
    dict_codes, dict_uniques = factorize(pa.array(values, pa.string()).dictionary_encode())
    assert dict_uniques.to_pylist() == sorted(set(values))
    assert np.array_equal(dict_codes, codes)


def test_relabel_maps_distinct_labels_to_sorted_parents() -> None:
    codes, uniques = factorize(pa.array(["06075", "06001", "36061", "06075"]))
    parents = pa.array(["06", "06", "36"])  # one per sorted label: 06001, 06075, 36061
    new_codes, new_labels = relabel(codes, uniques, parents)
    assert new_labels.to_pylist() == ["06", "36"]
    assert new_labels.take(pa.array(new_codes)).to_pylist() == ["06", "06", "36", "06"]


def test_many_dimension_categories_use_the_row_sort_fallback() -> None:
    n = 2000
    rng = np.random.default_rng(1)
    cols = {f"k{j}": [f"x{i}" for i in rng.integers(0, 5000, n)] for j in range(6)}
    table = pa.table({**cols, "v": np.ones(n)})
    g = group(table, list(cols))
    expected = pd.DataFrame(cols).groupby(list(cols), sort=True).size()
    assert g.n == len(expected)
    assert g.sum(np.ones(n)).tolist() == expected.astype(float).tolist()


def test_disparity_rows_are_sorted_categoricals_in_key_order() -> None:
    ind = Indicator(id="rate", name="Rate", unit="percent", direction="lower_is_better")
    df = pd.DataFrame(
        {
            "geography": ["2", "2", "2", "1", "1", "1"],
            "period": "2020",
            "race": ["C", "A", TOTAL, "B", TOTAL, "A"],
            "value": [5.0, 3.0, 4.0, 8.0, 6.0, 2.0],
            "moe": [1.0] * 6,
        }
    )
    s = IndicatorSeries.from_frame(df, indicator=ind, dimensions=["race"])
    d = s.disparity("race")
    assert d[["geography", "group"]].astype(str).values.tolist() == [
        ["1", "A"],
        ["1", "B"],
        ["2", "A"],
        ["2", "C"],
    ]
    assert isinstance(d["group"].dtype, pd.CategoricalDtype)
    assert d["disparity"].tolist() == [2 / 6, 8 / 6, 3 / 4, 5 / 4]
    assert d["significant"].dtype == "boolean"


def test_disparity_without_a_reference_row_is_missing_not_dropped() -> None:
    ind = Indicator(id="rate", name="Rate", unit="percent", direction="lower_is_better")
    df = pd.DataFrame(
        {
            "geography": ["1", "1", "2"],
            "period": "2020",
            "race": ["A", TOTAL, "A"],
            "value": [2.0, 4.0, 3.0],
            "moe": [0.5, 0.5, 0.5],
        }
    )
    d = IndicatorSeries.from_frame(df, indicator=ind, dimensions=["race"]).disparity("race")
    assert len(d) == 2
    last = d.iloc[1]
    assert last["geography"] == "2" and np.isnan(last["reference_value"])
    assert np.isnan(last["disparity"]) and pd.isna(last["significant"])
