from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import feedbackloop as fl
from feedbackloop import TOTAL, Indicator, IndicatorSeries, Status
from feedbackloop.errors import (
    NotAdditiveError,
    SeriesError,
    SeriesValidationError,
    StatisticalWarning,
    UnitError,
)
from feedbackloop.series import Provenance, assemble, proportion, ratio, read_parquet
from feedbackloop.testing.strategies import count_series

COUNT = Indicator(
    id="never_married", name="Never-married women 15+", unit="people", direction="lower_is_better"
)
RATE = Indicator(
    id="unemployment",
    name="Unemployment",
    unit="percent",
    direction="lower_is_better",
    dimensions=("race",),
)


def tri_county() -> IndicatorSeries:
    """ACS handbook example A1/A2 (Fairfax, Arlington, Alexandria; never-married women)."""
    df = pd.DataFrame(
        {
            "geography": ["51059", "51013", "51510"],
            "period": ["2015-2019"] * 3,
            "value": [135173, 43104, 24842],
            "moe": [3860, 2642, 1957],
        }
    )
    return IndicatorSeries.from_frame(df, indicator=COUNT)


def rates_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "geography": ["06075"] * 6,
            "period": ["2020"] * 3 + ["2022"] * 3,
            "race": ["White", "Black", TOTAL] * 2,
            "value": [4.0, 9.0, 6.0, 3.8, 7.0, 5.0],
            "moe": [0.3, 0.8, 0.2, 0.3, 0.7, 0.2],
        }
    )


# ----------------------------------------------------------------- building


def test_from_frame_builds_arrow_table_with_contract() -> None:
    s = tri_county()
    assert s.table.column_names == ["indicator", "geography", "period", "value", "moe", "status"]
    assert s.table.schema.field("geography").type == pa.string()
    assert set(s.frame["status"]) == {"estimate"}
    assert s.unit == "people"
    assert len(s) == 3
    assert "3 rows" in repr(s) and "<table" in s._repr_html_()


def test_validation_collects_every_problem() -> None:
    df = pd.DataFrame(
        {
            "geography": [6075, 6075, 6001],
            "period": ["2020", "2020", "20x0"],
            "race": ["White", None, "Black"],
            "value": ["4.0", "n/a", 3],
            "moe": [0.1, -555555555, 0.2],
        }
    )
    with pytest.raises(SeriesValidationError) as info:
        IndicatorSeries.from_frame(df, indicator=RATE, dimensions=["race"])
    text = str(info.value)
    assert "geography: geography values are numbers" in text
    assert "period: row 2" in text and "'20x0'" in text
    assert "race: row 1 have no dimension value" in text
    assert "value: row 1 are not numbers (e.g. 'n/a')" in text
    assert "moe: row 1 are negative; Census sentinel codes" in text
    assert isinstance(info.value, ValueError)


def test_missing_columns_and_unknown_unit() -> None:
    with pytest.raises(SeriesValidationError) as info:
        IndicatorSeries.from_frame(
            pd.DataFrame({"x": [1]}), indicator=RATE, unit="blorps", dimensions=["race", "value"]
        )
    text = str(info.value)
    for needle in (
        "unknown unit 'blorps'",
        "no 'geography' column",
        "no 'period' column",
        "race: dimension column not found",
        "'value' is a reserved column",
    ):
        assert needle in text


def test_duplicate_keys_are_rejected() -> None:
    df = rates_frame()
    df.loc[1, "race"] = "White"
    with pytest.raises(SeriesValidationError, match="row 1 repeat a key"):
        IndicatorSeries.from_frame(df, indicator=RATE, dimensions=["race"])


def test_status_rules_never_hide_or_leak() -> None:
    df = rates_frame()
    df["status"] = "estimate"
    df.loc[0, "status"] = "suppressed"
    with pytest.raises(SeriesValidationError, match="row 0 carry a value although"):
        IndicatorSeries.from_frame(df, indicator=RATE, dimensions=["race"])
    df.loc[0, "value"] = np.nan
    df.loc[1, "status"] = "bogus"
    with pytest.raises(SeriesValidationError, match="unknown statuses \\('bogus'\\)"):
        IndicatorSeries.from_frame(df, indicator=RATE, dimensions=["race"])
    df.loc[1, "status"] = "estimate"
    s = IndicatorSeries.from_frame(df, indicator=RATE, dimensions=["race"])
    assert s.frame.loc[0, "status"] == Status.SUPPRESSED
    assert pd.isna(s.frame.loc[0, "value"])


def test_missing_values_get_missing_status_never_zero() -> None:
    df = rates_frame()
    df.loc[2, "value"] = np.nan
    s = IndicatorSeries.from_frame(df, indicator=RATE, dimensions=["race"])
    assert s.frame.loc[2, "status"] == "missing"
    assert pd.isna(s.frame.loc[2, "value"])


def test_periods_are_canonicalized() -> None:
    df = rates_frame()
    df["period"] = [2020, 2020, 2020, "2022", "2022", "2022"]
    s = IndicatorSeries.from_frame(df, indicator=RATE, dimensions=["race"])
    assert [str(p) for p in s.periods] == ["2020", "2022"]


# ----------------------------------------------------------------- assemble


def _adapter_status(codes: np.ndarray) -> pa.Array:
    """The status column as the tabular adapter hand-builds it today (int8 codes)."""
    enc = pa.array(codes, type=pa.int8()).dictionary_encode()
    labels = pa.array([list(Status)[i].value for i in enc.dictionary.to_pylist()], pa.string())
    return pa.DictionaryArray.from_arrays(enc.indices, labels)


def test_assemble_makes_the_table_from_frame_makes() -> None:
    df = rates_frame()
    df["status"] = ["estimate", "controlled", "estimate", "estimate", "estimate", "missing"]
    df.loc[5, "value"] = np.nan
    df["numerator"] = [4.0, 9.0, 6.0, 3.8, 7.0, np.nan]
    df["denominator"] = 100.0
    prov = Provenance(adapter="csv", source="x.csv")
    built = IndicatorSeries.from_frame(
        df, indicator=RATE, dimensions=["race"], provenance=prov, sensitive=True
    )
    # Columns in any order, as numpy or Arrow arrays.
    columns = {
        "denominator": df["denominator"].to_numpy(),
        "value": pa.array(df["value"].to_numpy(), from_pandas=True),
        "race": df["race"].to_numpy(dtype=object),
        "moe": df["moe"].to_numpy(),
        "numerator": df["numerator"].to_numpy(),
        "period": pa.chunked_array([df["period"].tolist()[:2], df["period"].tolist()[2:]]),
        "geography": pa.array(df["geography"].tolist()),
    }
    by_text = assemble(
        columns,
        indicator=RATE,
        status=df["status"].to_numpy(dtype=object),
        dimensions=["race"],
        provenance=prov,
        sensitive=True,
    )
    assert by_text.table.equals(built.table)
    assert by_text == built
    codes = np.array([list(Status).index(Status(x)) for x in df["status"]], dtype=np.int8)
    by_code = assemble(
        columns,
        indicator=RATE,
        status=codes,
        dimensions=["race"],
        provenance=prov,
        sensitive=True,
    )
    assert by_code == built
    assert by_code.table.column("status").type == pa.dictionary(pa.int32(), pa.string())
    # ... which is what the tabular adapter builds by hand.
    assert by_code.table.column("status").combine_chunks().equals(_adapter_status(codes))
    assert by_code.table.column_names == [
        "indicator",
        "geography",
        "period",
        "race",
        "value",
        "moe",
        "numerator",
        "denominator",
        "status",
    ]


def test_assemble_default_status_is_estimate_or_missing_as_from_frame() -> None:
    df = rates_frame()
    df.loc[[1, 4], "value"] = np.nan
    built = IndicatorSeries.from_frame(df, indicator=RATE, dimensions=["race"])
    s = assemble(
        {c: df[c].to_numpy() for c in ("geography", "period", "race", "value", "moe")},
        indicator=RATE,
        dimensions=["race"],
    )
    assert s == built
    assert s.frame["status"].tolist()[:2] == ["estimate", "missing"]
    whole = assemble(
        {c: df[c].to_numpy() for c in ("geography", "period", "race", "moe")}
        | {"value": np.arange(6.0)},
        indicator=RATE,
        dimensions=["race"],
    )
    assert set(whole.frame["status"]) == {"estimate"}
    assert whole.unit == "percent" and whole.provenance is None and not whole.sensitive


@given(count_series())
def test_property_assemble_rebuilds_any_series(s: IndicatorSeries) -> None:
    t = s.table
    columns = {c: t.column(c) for c in t.column_names if c not in ("indicator", "status")}
    status = t.column("status").combine_chunks()
    again = assemble(
        dict(reversed(columns.items())),
        indicator=s.indicator,
        status=status.dictionary_decode(),
        dimensions=s.dimensions,
    )
    assert again.table.equals(t)
    codes = np.array([list(Status).index(Status(x)) for x in status.to_pylist()], np.int8)
    by_code = assemble(columns, indicator=s.indicator, status=codes, dimensions=s.dimensions)
    assert by_code.table.equals(t)
    assert by_code.rollup(to="state") == s.rollup(to="state")


def test_assemble_refuses_what_is_not_a_series() -> None:
    base = {
        "geography": np.array(["06075", "06001"], dtype=object),
        "period": np.array(["2020", "2020"], dtype=object),
        "value": np.array([1.0, 2.0]),
    }
    with pytest.raises(SeriesValidationError) as info:
        assemble(
            {"geography": base["geography"], "value": np.zeros(3), "flavour": np.zeros(2)},
            indicator=COUNT,
            unit="people",
            dimensions=["value"],
        )
    text = str(info.value)
    for needle in (
        "no 'period' column",
        "'value' is a reserved column",
        "flavour: not a series column",
        "columns differ in length",
    ):
        assert needle in text
    with pytest.raises(SeriesValidationError, match="unknown statuses \\('bogus'\\)"):
        assemble(base, indicator=COUNT, status=np.array(["estimate", "bogus"]))
    with pytest.raises(SeriesValidationError, match=f"status codes {len(Status)} are not indexes"):
        assemble(base, indicator=COUNT, status=np.array([0, len(Status)], np.int8))
    with pytest.raises(SeriesValidationError, match="statuses must be integer codes or text"):
        assemble(base, indicator=COUNT, status=np.zeros(2))
    with pytest.raises(SeriesValidationError, match="1 rows have no status"):
        assemble(base, indicator=COUNT, status=pa.array([0, None], pa.int8()))
    with pytest.raises(SeriesValidationError, match="3 statuses for 2 rows"):
        assemble(base, indicator=COUNT, status=np.zeros(3, np.int8))
    with pytest.raises(SeriesValidationError, match="1 rows have no geography"):
        assemble(base | {"geography": np.array(["06075", None], dtype=object)}, indicator=COUNT)
    with pytest.raises(SeriesValidationError, match="unknown unit 'blorps'"):
        assemble(base, indicator=COUNT, unit="blorps")
    with pytest.raises(SeriesValidationError, match="give 'status' with the status= keyword"):
        assemble(base | {"status": np.zeros(2, np.int8)}, indicator=COUNT)


# ------------------------------------------------------------ views & units


def test_parquet_round_trip_keeps_metadata(tmp_path: Path) -> None:
    s = IndicatorSeries.from_frame(
        rates_frame(),
        indicator=RATE,
        dimensions=["race"],
        provenance=Provenance(
            adapter="csv", source="x.csv", options={"api_key": "SECRET", "sep": ","}
        ),
        sensitive=True,
    )
    path = tmp_path / "s.parquet"
    s.to_parquet(path)
    back = read_parquet(path)
    assert back == s
    assert back.provenance is not None and "api_key" not in back.provenance.options
    assert b"SECRET" not in path.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["s.parquet"]
    assert IndicatorSeries.from_arrow(s.to_arrow()) == s


def test_from_arrow_without_metadata_is_a_clear_error() -> None:
    with pytest.raises(SeriesError, match="no feedbackloop metadata"):
        IndicatorSeries.from_arrow(pa.table({"a": [1]}))


def test_unit_conversions() -> None:
    s = IndicatorSeries.from_frame(rates_frame(), indicator=RATE, dimensions=["race"])
    frac = s.to_unit("fraction")
    assert frac.unit == "fraction"
    assert frac.frame["value"].tolist()[:2] == pytest.approx([0.04, 0.09])
    assert frac.frame["moe"].tolist()[1] == pytest.approx(0.008)
    assert frac.to_unit("percent").frame["value"].tolist() == pytest.approx(
        s.frame["value"].tolist()
    )
    with pytest.raises(UnitError, match="cannot convert 'percent' to 'USD'"):
        s.to_unit("USD")
    per1k = Indicator(
        id="births", name="Births", unit="per 1000 people", direction="higher_is_better"
    )
    b = IndicatorSeries.from_frame(
        pd.DataFrame({"geography": ["06"], "period": ["2020"], "value": [12.5]}), indicator=per1k
    )
    assert b.to_unit("per 100,000 people").frame["value"][0] == pytest.approx(1250)


# ------------------------------------------------------------------ rollup


def test_rollup_uses_census_sum_rule() -> None:
    """domain.md A1: 203,119 ± 5,070.46 for the three-county sum."""
    s = tri_county()
    out = s.rollup(to="state")
    row = out.frame.iloc[0]
    assert row["geography"] == "51"
    assert row["value"] == 203119
    assert row["moe"] == pytest.approx(5070.46, abs=0.01)
    assert row["status"] == "estimate"


def test_rollup_zero_rule_example_a9() -> None:
    df = pd.DataFrame(
        {
            "geography": ["06075000100", "06075000200", "06075000300", "06075000400"],
            "period": "2020",
            "value": [36, 0, 0, 0],
            "moe": [56, 25, 28, 31],
        }
    )
    out = IndicatorSeries.from_frame(df, indicator=COUNT).rollup(to="county")
    assert out.frame["moe"][0] == pytest.approx(64.008, abs=1e-3)
    assert out.frame["geography"][0] == "06075"


def test_rollup_refuses_rates_without_parts() -> None:
    s = IndicatorSeries.from_frame(rates_frame(), indicator=RATE, dimensions=["race"])
    with pytest.raises(NotAdditiveError, match="not additive"):
        s.rollup(to="state")
    with pytest.raises(NotAdditiveError):
        s.collapse("race")


def test_rollup_rejects_non_nesting_codes_and_unmapped() -> None:
    df = pd.DataFrame(
        {"geography": ["0644000", "06075000100"], "period": "2020", "value": [1.0, 2.0]}
    )
    s = IndicatorSeries.from_frame(df, indicator=COUNT)
    with pytest.raises(SeriesError, match="'0644000' are not FIPS GEOIDs that nest in a county"):
        s.rollup(to="county")
    assert s.rollup(to="state").frame["value"].tolist() == [3.0]
    with pytest.raises(SeriesError, match="no parent for geography codes '0644000'"):
        s.rollup(mapping={"06075000100": "mission"})
    out = s.rollup(mapping={"06075000100": "mission", "0644000": "mission"})
    assert out.frame["geography"].tolist() == ["mission"]


def test_rate_rollup_recomputes_from_numerators() -> None:
    ind = Indicator(
        id="poverty",
        name="Poverty rate",
        unit="percent",
        direction="lower_is_better",
        aggregation="ratio",
    )
    df = pd.DataFrame(
        {
            "geography": ["06075000100", "06075000200"],
            "period": "2020",
            "value": [10.0, 30.0],
            "numerator": [10, 60],
            "denominator": [100, 200],
            "numerator_moe": [5, 9],
            "denominator_moe": [20, 25],
            "moe": [5, 4.0],
        }
    )
    out = IndicatorSeries.from_frame(df, indicator=ind).rollup(to="county")
    row = out.frame.iloc[0]
    assert row["value"] == pytest.approx(70 / 300 * 100)
    expected = fl.stats.moe_proportion(70, 300, np.hypot(5, 9), np.hypot(20, 25)) * 100
    assert row["moe"] == pytest.approx(expected)


def test_suppressed_parts_suppress_the_aggregate() -> None:
    df = pd.DataFrame(
        {
            "geography": ["06075000100", "06075000200"],
            "period": "2020",
            "value": [np.nan, 40.0],
            "status": ["suppressed", "estimate"],
        }
    )
    out = IndicatorSeries.from_frame(df, indicator=COUNT).rollup(to="county")
    assert out.frame["status"][0] == "suppressed"
    assert pd.isna(out.frame["value"][0])


def test_collapse_sums_categories_and_ignores_existing_totals() -> None:
    df = pd.DataFrame(
        {
            "geography": "06075",
            "period": "2020",
            "race": ["A", "B", TOTAL],
            "value": [3.0, 4.0, 999.0],
            "moe": [1.0, 1.0, 1.0],
        }
    )
    s = IndicatorSeries.from_frame(df, indicator=COUNT, dimensions=["race"])
    out = s.collapse("race").frame
    assert out["race"].tolist() == [TOTAL]
    assert out["value"].tolist() == [7.0]
    assert out["moe"][0] == pytest.approx(np.sqrt(2))


def test_non_additive_dimension_refuses_collapse() -> None:
    df = pd.DataFrame(
        {
            "geography": "06075",
            "period": "2020",
            "race": ["White alone", "White alone, not Hispanic"],
            "value": [5.0, 4.0],
        }
    )
    s = IndicatorSeries.from_frame(df, indicator=COUNT, dimensions=["race"], non_additive=["race"])
    with pytest.raises(NotAdditiveError, match="count people twice"):
        s.collapse("race")


@given(count_series())
def test_property_rollup_then_collapse_equals_collapse_then_rollup(s: IndicatorSeries) -> None:
    a = s.rollup(to="county").collapse("race")
    b = s.collapse("race").rollup(to="county")
    fa, fb = a.frame, b.frame
    pd.testing.assert_frame_equal(
        fa.drop(columns=["moe"], errors="ignore"), fb.drop(columns=["moe"], errors="ignore")
    )
    if s.has_moe:
        assert (fa["moe"].to_numpy() >= 0).all()
        assert (fb["moe"].to_numpy() >= 0).all()


@given(count_series())
def test_property_counts_are_additive(s: IndicatorSeries) -> None:
    total = s.frame["value"].sum()
    state = s.rollup(to="state").collapse("race")
    assert state.frame["value"].sum() == pytest.approx(total)
    assert (state.frame["status"] == "estimate").all()


@given(count_series(with_moe=True))
def test_property_moe_never_negative_nor_below_largest_part(s: IndicatorSeries) -> None:
    out = s.rollup(to="state")
    assert (out.frame["moe"] >= 0).all()
    biggest = (
        s.frame.assign(st=s.frame["geography"].str[:2])
        .groupby(["st", "period", "race"])["moe"]
        .max()
        .to_numpy()
    )
    assert (out.frame["moe"].to_numpy() >= biggest - 1e-9).all()


@given(count_series(), st.sampled_from(["snappy", "zstd", "none"]))
def test_property_parquet_round_trip(s: IndicatorSeries, compression: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.parquet"
        s.to_parquet(p, compression=compression)
        assert read_parquet(p) == s


# ------------------------------------------------------- proportion, ratio


def test_proportion_matches_handbook_a3() -> None:
    num = tri_county().rollup(to="state")
    den_df = pd.DataFrame(
        {
            "geography": ["51059", "51013", "51510"],
            "period": "2015-2019",
            "value": [466037, 97360, 67101],
            "moe": [391, 572, 459],
        }
    )
    den_ind = Indicator(id="women", name="Women 15+", unit="people", direction="higher_is_better")
    den = IndicatorSeries.from_frame(den_df, indicator=den_ind).rollup(to="state")
    assert den.frame["moe"][0] == pytest.approx(831.1, abs=0.1)  # A2
    p = proportion(num, den)
    row = p.frame.iloc[0]
    assert row["value"] == pytest.approx(0.32216, abs=1e-5)
    assert row["moe"] == pytest.approx(0.00803, abs=1e-5)
    pct = proportion(num, den, per=100)
    assert pct.unit == "percent"
    assert pct.frame["value"][0] == pytest.approx(32.216, abs=1e-3)


def test_ratio_matches_handbook_a4() -> None:
    males = pd.DataFrame(
        {
            "geography": ["51059", "51013", "51510"],
            "period": "2015-2019",
            "value": [156720, 44613, 25507],
            "moe": [4222, 2819, 2259],
        }
    )
    m_ind = Indicator(
        id="never_married_men", name="Men", unit="people", direction="lower_is_better"
    )
    m = IndicatorSeries.from_frame(males, indicator=m_ind).rollup(to="state")
    r = ratio(m, tri_county().rollup(to="state"))
    assert r.frame["value"][0] == pytest.approx(1.1168, abs=1e-4)
    assert r.frame["moe"][0] == pytest.approx(0.0391, abs=1e-4)


def test_proportion_keeps_unmatched_keys_as_missing() -> None:
    a = tri_county()
    b = IndicatorSeries.from_frame(
        pd.DataFrame(
            {"geography": ["51059"], "period": "2015-2019", "value": [466037.0], "moe": [391.0]}
        ),
        indicator=COUNT,
    )
    p = proportion(a, b)
    assert len(p) == 3
    assert (p.frame["status"] == "missing").sum() == 2


# ------------------------------------------------------ disparity & friends


def test_disparity_ratio_and_difference() -> None:
    """domain.md §6: White 4.0%, Black 9.0% → RR 2.25, RD 5.0 pp."""
    s = IndicatorSeries.from_frame(rates_frame(), indicator=RATE, dimensions=["race"])
    d = s.disparity("race", reference="White")
    row = d[(d["group"] == "Black") & (d["period"] == "2020")].iloc[0]
    assert row["disparity"] == pytest.approx(2.25)
    assert row["reference"] == "White"
    assert row["disparity_moe"] == pytest.approx(fl.stats.moe_ratio(9.0, 4.0, 0.8, 0.3))
    assert bool(row["significant"])
    diff = s.disparity("race", reference="White", measure="difference")
    row = diff[(diff["group"] == "Black") & (diff["period"] == "2020")].iloc[0]
    assert row["disparity"] == pytest.approx(5.0)
    assert row["disparity_moe"] == pytest.approx(np.hypot(0.8, 0.3))
    with pytest.raises(SeriesError, match="'Purple' is not a category"):
        s.disparity("race", reference="Purple")


def test_index_of_disparity_chesson_table_4() -> None:
    """domain.md §6 (Chesson et al. 2017, Table 4): ID 166.5, weighted ID 137.2."""
    pops = [200e6, 40e6, 55e6, 20e6, 3e6]
    rates = [35.4, 1408.1, 95.2, 22.4, 94.0]
    ind = Indicator(
        id="gonorrhea", name="Gonorrhea rate", unit="per 100000 people", direction="lower_is_better"
    )
    df = pd.DataFrame(
        {
            "geography": "US",
            "period": "1992",
            "race": ["White NH", "Black NH", "Hispanic", "A/PI", "AI/AN", TOTAL],
            "value": [*rates, 218.1],
            "denominator": [*pops, sum(pops)],
        }
    )
    s = IndicatorSeries.from_frame(df, indicator=ind, dimensions=["race"])
    out = s.index_of_disparity("race")
    assert out["index_of_disparity"][0] == pytest.approx(166.5, abs=0.05)
    assert out["groups"][0] == 5
    w = s.index_of_disparity("race", weighted=True)
    assert w["index_of_disparity"][0] == pytest.approx(137.2, abs=0.05)


def test_reliability_classes() -> None:
    """domain.md A13: CVs 6.08 / 24.32 / 48.63 %."""
    df = pd.DataFrame(
        {
            "geography": ["a", "b", "c", "d", "e"],
            "period": "2020",
            "value": [1000, 1000, 1000, 0, 1000],
            "moe": [100, 400, 800, 10, 0],
        }
    )
    out = IndicatorSeries.from_frame(df, indicator=COUNT).reliability().frame
    assert out["cv"][:3].tolist() == pytest.approx([6.08, 24.32, 48.63], abs=0.01)
    assert out["reliability"].tolist() == [
        "reliable",
        "reliable",
        "unreliable",
        "not_computable",
        "reliable",
    ]
    strict = IndicatorSeries.from_frame(df, indicator=COUNT).reliability(caution=12, unreliable=40)
    assert strict.frame["reliability"][1] == "caution"


def test_change_with_significance_and_overlap_warning() -> None:
    """domain.md A6 (percent change) and A8 (significance)."""
    df = pd.DataFrame(
        {
            "geography": "x",
            "period": ["2010-2014", "2015-2019"],
            "value": [135173, 139301],
            "moe": [3860, 4047],
        }
    )
    s = IndicatorSeries.from_frame(df, indicator=COUNT)
    c = s.change("2010-2014", "2015-2019").iloc[0]
    assert c["percent_change"] == pytest.approx(3.0539, abs=1e-4)
    assert c["percent_change_moe"] == pytest.approx(4.1981, abs=1e-4)
    assert c["difference"] == 4128
    df2 = pd.DataFrame(
        {
            "geography": "x",
            "period": ["2014-2018", "2015-2019"],
            "value": [37.9, 38.4],
            "moe": [0.1, 0.1],
        }
    )
    s2 = IndicatorSeries.from_frame(
        df2,
        indicator=RATE.__class__(
            id="age", name="Median age", unit="years", direction="higher_is_better"
        ),
    )
    with pytest.warns(StatisticalWarning, match="overlap"):
        c2 = s2.change("2014-2018", "2015-2019").iloc[0]
    assert c2["difference_moe"] == pytest.approx(np.hypot(0.1, 0.1) * np.sqrt(1 - 0.8))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df3 = df2.assign(period=["2010-2014", "2015-2019"])
        c3 = (
            IndicatorSeries.from_frame(df3, indicator=s2.indicator)
            .change("2010-2014", "2015-2019")
            .iloc[0]
        )
    assert bool(c3["significant"])  # A8: Z = 3.536 > 1.645


def test_progress_domain_example() -> None:
    """domain.md §6: baseline 8.0 (2020), −10% by 2030, observed 7.6 in 2024."""
    ind = Indicator(id="unemployment", name="U", unit="percent", direction="lower_is_better")
    df = pd.DataFrame({"geography": "x", "period": ["2020", "2024"], "value": [8.0, 7.6]})
    s = IndicatorSeries.from_frame(df, indicator=ind)
    t = fl.Target(
        indicator="unemployment",
        baseline=fl.Baseline(period=2020, value=8.0),
        period=2030,
        relative_change=-0.10,
    )
    row = s.progress(t).iloc[0]
    assert row["target"] == pytest.approx(7.2)
    assert row["percent_of_targeted_change"] == pytest.approx(50.0)
    assert row["percent_change"] == pytest.approx(-5.0)
    assert row["expected_linear"] == pytest.approx(7.68)
    assert row["expected_compound"] == pytest.approx(7.6699, abs=1e-4)
    assert row["status"] == "improving"
    assert bool(row["on_track"])


def test_progress_only_calls_movement_beyond_moe() -> None:
    ind = Indicator(id="unemployment", name="U", unit="percent", direction="lower_is_better")
    df = pd.DataFrame(
        {"geography": "x", "period": ["2020", "2024"], "value": [8.0, 7.6], "moe": [0.5, 0.5]}
    )
    s = IndicatorSeries.from_frame(df, indicator=ind)
    t = fl.Target(
        indicator="unemployment",
        baseline=fl.Baseline(period=2020, value=8.0),
        period=2030,
        relative_change=-0.10,
    )
    row = s.progress(t).iloc[0]
    assert row["status"] == "little or no detectable change"
    worse = IndicatorSeries.from_frame(df.assign(value=[8.0, 9.6]), indicator=ind)
    assert worse.progress(t).iloc[0]["status"] == "getting worse"
    assert not bool(worse.progress(t).iloc[0]["on_track"])
    met = IndicatorSeries.from_frame(df.assign(value=[8.0, 7.0]), indicator=ind)
    assert met.progress(t).iloc[0]["status"] == "met"


def test_baseline_forecast_and_turned_curve() -> None:
    ind = Indicator(id="unemployment", name="U", unit="percent", direction="lower_is_better")
    years = list(range(2014, 2025))
    history = [10.0, 10.1, 9.9, 10.0, 10.1, 9.9, 10.0]  # flat before the strategy (2020)
    after = [9.6, 9.0, 8.6, 8.1]
    df = pd.DataFrame(
        {"geography": "x", "period": [str(y) for y in years], "value": history + after, "moe": 0.1}
    )
    s = IndicatorSeries.from_frame(df, indicator=ind)
    fc = s.baseline_forecast(2026, before=2020)
    assert fc["period"].tolist() == ["2021", "2022", "2023", "2024", "2026"]
    assert fc["forecast"].to_numpy() == pytest.approx(10.0, abs=0.1)
    assert (fc["forecast_moe"] > 0).all()
    assert (fc["points"] == 7).all()
    turned = s.turned_curve(fc)
    assert turned["turned"].tolist() == [True, True, True, True]
    assert (turned["better_by"] > 0).all()


def test_linear_forecast_is_exact_on_a_line() -> None:
    ind = Indicator(id="grad", name="G", unit="percent", direction="higher_is_better")
    df = pd.DataFrame(
        {
            "geography": "x",
            "period": ["2016", "2017", "2018", "2019"],
            "value": [70.0, 72.0, 74.0, 76.0],
        }
    )
    fc = IndicatorSeries.from_frame(df, indicator=ind).baseline_forecast(2022)
    assert fc["forecast"].tolist() == pytest.approx([82.0])
    assert fc["forecast_moe"][0] == pytest.approx(0.0, abs=1e-9)


def test_check_additivity() -> None:
    df = pd.DataFrame(
        {
            "geography": ["a"] * 3 + ["b"] * 3,
            "period": "2020",
            "race": ["A", "B", TOTAL] * 2,
            "value": [3.0, 4.0, 7.0, 3.0, 4.0, 20.0],
            "moe": [1.0] * 6,
        }
    )
    s = IndicatorSeries.from_frame(df, indicator=COUNT, dimensions=["race"])
    out = s.check_additivity("race")
    assert out["adds_up"].tolist() == [True, False]
    assert out["difference"].tolist() == [0.0, 13.0]
    assert out["parts"].tolist() == [2, 2]


def test_filter_and_categories() -> None:
    s = IndicatorSeries.from_frame(rates_frame(), indicator=RATE, dimensions=["race"])
    assert s.categories("race") == ("Black", "White", TOTAL)
    assert len(s.filter(race=["Black", "White"], period=2020)) == 2
    with pytest.raises(SeriesError, match="key columns are"):
        s.filter(value="1")
