"""The spec suite across engines: in-memory, DuckDB and PySpark (local mode) agree.

Counts and statuses compare exactly, floats to 1e-9 relative. Spark starts once
per test run (a session-scoped fixture) and its tests skip, with the reason,
only where PySpark or Java cannot be had.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import feedbackloop as fl
from feedbackloop import Indicator
from feedbackloop.errors import (
    JavaNotFoundError,
    MissingDependencyError,
    NotAdditiveError,
    ScanError,
    SeriesError,
)
from feedbackloop.privacy import SuppressionPolicy

# PySpark's py4j leaves sockets to the JVM for the garbage collector to close.
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

pytest.importorskip("ibis", reason="the engines need the duckdb extra: feedbackloop[duckdb]")
pytest.importorskip("duckdb", reason="the engines need the duckdb extra: feedbackloop[duckdb]")

PEOPLE = Indicator(id="people", name="People", unit="people", direction="higher_is_better")
RATE = Indicator(id="poverty", name="Poverty rate", unit="percent", direction="lower_is_better")
KEYS = ["geography", "period", "race"]


def _series(seed: int = 1, *, zeros: bool = True, small: bool = False) -> fl.IndicatorSeries:
    rng = np.random.default_rng(seed)
    rows = []
    for county in ("001", "075", "081"):
        for tract in range(100, 104):
            for year in ("2021", "2022"):
                for race in ("Asian", "Black", "White", "(total)"):
                    v = float(rng.integers(0 if zeros else 1, 9 if small else 60))
                    rows.append(
                        (f"06{county}{tract:06d}", year, race, v, float(rng.integers(1, 25)))
                    )
    df = pd.DataFrame(rows, columns=["geography", "period", "race", "value", "moe"])
    df.loc[3, ["value", "moe"]] = np.nan  # one missing cell
    df.loc[7, "moe"] = np.nan  # one unknown margin
    return fl.IndicatorSeries.from_frame(df, indicator=PEOPLE, dimensions=["race"], moe="moe")


def _rates() -> fl.IndicatorSeries:
    rng = np.random.default_rng(7)
    rows = []
    for g in ("06001000100", "06001000200", "06075000100"):
        for race in ("A", "B"):
            den = float(rng.integers(50, 500))
            num = float(rng.integers(0, int(den)))
            rows.append((g, "2022", race, 100 * num / den, num, 9.0, den, 20.0))
    df = pd.DataFrame(
        rows, columns=["geography", "period", "race", "value", "num", "num_moe", "den", "den_moe"]
    )
    return fl.IndicatorSeries.from_frame(
        df,
        indicator=RATE,
        dimensions=["race"],
        numerator="num",
        numerator_moe="num_moe",
        denominator="den",
        denominator_moe="den_moe",
    )


@pytest.fixture(scope="session")
def spark() -> Any:
    pytest.importorskip("pyspark", reason="PySpark is not installed: feedbackloop[spark]")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime: apt-get install openjdk-17-jre-headless")
    from feedbackloop.engines import spark_session

    return spark_session()


@pytest.fixture(params=["memory", "duckdb", "spark"])
def engine(request: pytest.FixtureRequest) -> str:
    if request.param == "spark":
        request.getfixturevalue("spark")
    return str(request.param)


def _run(series: fl.IndicatorSeries, engine: str, op: Any) -> fl.IndicatorSeries:
    if engine == "memory":
        result: fl.IndicatorSeries = op(series)
        return result
    return op(series.lazy(engine)).collect()  # type: ignore[no-any-return]


def _canon(series: fl.IndicatorSeries) -> pd.DataFrame:
    df = series.frame
    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype) or df[c].dtype == object:
            df[c] = df[c].astype(str)
    return df.sort_values(list(series.keys)).reset_index(drop=True)


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for c in a.columns:
        if pd.api.types.is_float_dtype(a[c]):
            np.testing.assert_allclose(
                a[c].to_numpy(float), b[c].to_numpy(float), rtol=1e-9, atol=0, equal_nan=True
            )
        else:
            assert a[c].astype(str).tolist() == b[c].astype(str).tolist(), c


OPS = {
    "rollup_county": lambda s: s.rollup(to="county"),
    "rollup_state": lambda s: s.rollup(to="state"),
    "rollup_mapping": lambda s: s.rollup(
        mapping={g: ("bay" if g[2:5] != "081" else "peninsula") for g in s_geos()}
    ),
    "collapse": lambda s: s.collapse("race"),
    "reliability": lambda s: s.reliability(),
    "filter": lambda s: s.filter(race=["Asian", "Black"], period=2022),
    "county_then_state": lambda s: s.rollup(to="county").rollup(to="state"),
}


def s_geos() -> list[str]:
    return list(_series().geographies)


@pytest.mark.parametrize("name", sorted(OPS))
def test_operations_agree_across_engines(engine: str, name: str) -> None:
    series = _series()
    want = _canon(_run(series, "memory", OPS[name]))
    got = _canon(_run(series, engine, OPS[name]))
    assert_same(want, got)


def test_rollup_statuses_and_moe_rule_by_hand() -> None:
    got = _canon(_series().lazy("duckdb").rollup(to="state").collect())
    assert set(got["status"]) <= {"estimate", "missing", "moe_not_computable"}
    assert "missing" in set(got["status"])  # the missing cell makes its sum missing
    assert "moe_not_computable" in set(got["status"])


def test_rates_recomputed_on_every_engine(engine: str) -> None:
    series = _rates()
    want = _canon(_run(series, "memory", lambda s: s.rollup(to="county")))
    got = _canon(_run(series, engine, lambda s: s.rollup(to="county")))
    assert_same(want, got)
    assert got["value"].notna().all()


@pytest.mark.parametrize("measure", ["ratio", "difference"])
@pytest.mark.parametrize("reference", ["(total)", "White"])
def test_disparity_collects_the_same_dataframe(engine: str, measure: str, reference: str) -> None:
    series = _series()
    want = series.disparity("race", reference, measure=measure)  # type: ignore[arg-type]
    if engine == "memory":
        return
    got = series.lazy(engine).disparity("race", reference, measure=measure)  # type: ignore[arg-type]
    assert list(got.columns) == list(want.columns)
    assert list(got.dtypes.astype(str)) == list(want.dtypes.astype(str))
    assert_same(want, got)
    assert got["significant"].tolist() == want["significant"].tolist()


def test_disparity_table_streams_to_parquet(tmp_path: Path) -> None:
    series = _series()
    want = series.disparity("race", "White")
    expr = series.lazy("duckdb").disparity_table("race", "White")
    out = tmp_path / "gaps.parquet"
    expr.to_parquet(out)
    got = pq.read_table(out).to_pandas()
    got = got.sort_values(["geography", "period", "group"]).reset_index(drop=True)
    assert len(got) == len(want)
    assert got["group"].tolist() == want["group"].astype(str).tolist()
    np.testing.assert_allclose(
        got["disparity"].to_numpy(float), want["disparity"].to_numpy(float), rtol=1e-9
    )
    assert got["status"].tolist() == want["status"].astype(str).tolist()
    with pytest.raises(SeriesError, match="not a category"):
        series.lazy("duckdb").disparity_table("race", "Martian")


def test_suppression_identical_across_engines(engine: str) -> None:
    series = _series(3, small=True)
    policy = SuppressionPolicy(threshold=5)
    want = _canon(series.suppress(policy))
    if engine == "memory":
        return
    got = _canon(series.lazy(engine).suppress(policy).collect())
    assert_same(want, got)
    assert (got["status"] == "suppressed_complementary").any()
    assert got["status"].tolist() == want["status"].tolist()


def test_scan_roundtrip_and_partitioned_write(tmp_path: Path) -> None:
    series = _series()
    (tmp_path / "pooled").mkdir()
    series.filter(period=2021).to_parquet(tmp_path / "pooled" / "a.parquet")
    series.filter(period=2022).to_parquet(tmp_path / "pooled" / "b.parquet")
    lz = fl.scan(str(tmp_path / "pooled" / "*.parquet"), engine="duckdb")
    assert lz.indicator == PEOPLE and lz.dimensions == ("race",)
    assert_same(_canon(series), _canon(lz.collect()))
    out = tmp_path / "by_period"
    lz.rollup(to="county").to_parquet(out)
    assert sorted(p.name for p in out.iterdir()) == ["period=2021", "period=2022"]
    back = fl.scan(out).collect()
    assert_same(_canon(series.rollup(to="county")), _canon(back))


def test_scan_over_an_ibis_table() -> None:
    import ibis

    con = ibis.duckdb.connect()
    con.con.register("pooled", _series().to_arrow().drop_columns(["indicator"]))
    with warnings.catch_warnings():  # Ibis 12 calls DuckDB 2's deprecated fetch_arrow_table
        warnings.simplefilter("ignore", DeprecationWarning)
        table = con.table("pooled")
    got = fl.scan(table, indicator=PEOPLE).rollup(to="county").collect()
    assert_same(_canon(_series().rollup(to="county")), _canon(got))


def test_scan_errors_name_what_and_where(tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="no files match") as err:
        fl.scan(str(tmp_path / "nothing" / "*.parquet"))
    assert err.value.path is not None
    series = _series()
    series.to_parquet(tmp_path / "a.parquet")
    table = series.to_arrow().drop_columns(["moe"])
    pq.write_table(table, tmp_path / "b.parquet")
    with pytest.raises(ScanError, match=r"b\.parquet has no column 'moe'") as err:
        fl.scan(str(tmp_path / "*.parquet"))
    assert err.value.column == "moe"
    with pytest.raises(SeriesError, match="pass loop="):
        fl.scan(str(tmp_path / "a.parquet"), indicator="people")


def test_bad_geographies_and_rules_are_refused() -> None:
    lz = _series().lazy("duckdb")
    with pytest.raises(SeriesError, match="no parent"):
        lz.rollup(mapping={"06001000100": "x"}).collect()
    with pytest.raises(SeriesError, match="exactly one"):
        lz.rollup()
    with pytest.raises(SeriesError, match="not a category"):
        lz.disparity("race", "Martian")
    no_counts = fl.IndicatorSeries.from_frame(
        pd.DataFrame({"geography": ["06001"], "period": ["2022"], "value": [5.0]}),
        indicator=RATE,
    )
    with pytest.raises(NotAdditiveError):
        no_counts.lazy("duckdb").rollup(to="state")


def test_memory_limit_too_small_is_a_typed_error() -> None:
    from feedbackloop.engines._connect import run
    from feedbackloop.errors import EngineMemoryError

    class Boom:
        name = "other"

        def to_pyarrow(self, expr: Any) -> Any:
            raise RuntimeError("Out of Memory Error: could not allocate block of size 256 KiB")

    with pytest.raises(EngineMemoryError, match="raise the memory limit") as err:
        run(Boom(), None, "rollup")
    assert err.value.operation == "rollup"


def test_missing_java_and_extras_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from feedbackloop.engines import _connect

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(_connect.shutil, "which", lambda _: None)
    with pytest.raises(JavaNotFoundError, match="openjdk-17-jre-headless"):
        _connect._check_java()
    with pytest.raises(MissingDependencyError, match=r"feedbackloop\[spark\]"):
        _connect.import_optional("no_such_pyspark", extra="spark", purpose="the spark engine")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(st.one_of(st.none(), st.integers(0, 40).map(float)), min_size=24, max_size=24),
    moes=st.lists(st.one_of(st.none(), st.integers(0, 30).map(float)), min_size=24, max_size=24),
)
def test_hypothesis_memory_and_duckdb_agree(
    values: list[float | None], moes: list[float | None]
) -> None:
    geos = [f"06{c}{t:06d}" for c in ("001", "075") for t in range(100, 106)]
    df = pd.DataFrame(
        {
            "geography": [g for g in geos for _ in range(2)],
            "period": "2022",
            "sex": ["F", "M"] * len(geos),
            "value": values,
            "moe": [m if v is not None else None for v, m in zip(values, moes, strict=True)],
        }
    )
    df["value"] = df["value"].astype(float)
    df["moe"] = df["moe"].astype(float)
    s = fl.IndicatorSeries.from_frame(df, indicator=PEOPLE, dimensions=["sex"], moe="moe")
    for op in (lambda x: x.rollup(to="county"), lambda x: x.collapse("sex")):
        assert_same(_canon(op(s)), _canon(op(s.lazy("duckdb")).collect()))
    want = s.disparity("sex", "F", measure="ratio")
    got = s.lazy("duckdb").disparity("sex", "F", measure="ratio")
    assert_same(want, got)


def _counts(seed: int, *, scale: int = 1) -> fl.IndicatorSeries:
    """Counts with MOEs (some zero, one missing, one withheld), keyed like _series."""
    s = _series(seed)
    df = s.frame
    df["value"] = df["value"] * scale
    return fl.IndicatorSeries.from_frame(df, indicator=PEOPLE, dimensions=["race"], moe="moe")


@pytest.mark.parametrize("kind", ["proportion", "ratio"])
def test_proportion_and_ratio_agree_across_engines(engine: str, kind: str) -> None:
    part = _counts(11)
    whole = _counts(12, scale=3)
    frame = whole.frame
    frame = frame[~((frame["geography"] == "06081000103") & (frame["period"] == "2022"))].copy()
    frame["status"] = frame["status"].astype(str)
    frame.loc[frame.index[5], "status"] = "suppressed"
    frame.loc[frame.index[5], ["value", "moe"]] = np.nan
    whole = fl.IndicatorSeries.from_frame(
        frame, indicator=PEOPLE, dimensions=["race"], moe="moe", status="status"
    )
    want = getattr(fl.series, kind)(part, whole, 100)
    got = want if engine == "memory" else getattr(part.lazy(engine), kind)(whole, 100).collect()
    assert got.indicator == want.indicator and got.unit == want.unit == "percent"
    assert_same(_canon(want), _canon(got))
    statuses = set(_canon(got)["status"])
    assert {"estimate", "missing", "suppressed_derived"} <= statuses
    # the result rolls up (numerator and denominator kept), on every engine alike
    up = _run(got, engine, lambda s: s.rollup(to="county"))
    assert_same(_canon(want.rollup(to="county")), _canon(up))


def test_lazy_proportion_of_two_lazy_series_needs_one_connection() -> None:
    a, b = _counts(11).lazy("duckdb"), _counts(12, scale=3).lazy("duckdb")
    with pytest.raises(SeriesError, match="another connection"):
        a.proportion(b)
    b = _counts(12, scale=3).lazy(con=a.con)
    got = a.proportion(b, 100).collect()
    assert_same(_canon(fl.series.proportion(_counts(11), _counts(12, scale=3), 100)), _canon(got))


def _withheld(series: fl.IndicatorSeries) -> fl.IndicatorSeries:
    df = series.frame
    df["status"] = df["status"].astype(str)
    df.loc[9, "status"] = "suppressed"
    df.loc[9, ["value", "moe"]] = np.nan
    return fl.IndicatorSeries.from_frame(
        df, indicator=PEOPLE, dimensions=["race"], moe="moe", status="status"
    )


def _same_frame(want: pd.DataFrame, got: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert list(got.dtypes.astype(str)) == list(want.dtypes.astype(str))
    assert_same(want, got)
    for c in want.columns:
        if str(want[c].dtype) == "boolean":
            assert got[c].tolist() == want[c].tolist(), c


@pytest.mark.parametrize("level", [0.90, 0.95])
def test_change_collects_the_same_dataframe(engine: str, level: float) -> None:
    series = _withheld(_series(4))
    want = series.change(2021, 2022, level=level)
    if engine == "memory":
        return
    got = series.lazy(engine).change(2021, 2022, level=level)
    _same_frame(want, got)
    assert set(got["status"]) >= {"estimate", "missing", "suppressed_derived"}
    assert got["significant"].notna().any()


def test_change_errors_and_warnings_match_memory() -> None:
    lz = _series().lazy("duckdb")
    with pytest.raises(SeriesError, match="no data for period 2030; periods: 2021, 2022"):
        lz.change(2021, 2030)
    df = _series().frame
    df["period"] = df["period"].map({"2021": "2015-2019", "2022": "2016-2020"})
    s = fl.IndicatorSeries.from_frame(df, indicator=PEOPLE, dimensions=["race"], moe="moe")
    with pytest.warns(fl.errors.StatisticalWarning, match="overlap"):
        want = s.change("2015-2019", "2016-2020")
    with pytest.warns(fl.errors.StatisticalWarning, match="overlap"):
        got = s.lazy("duckdb").change("2015-2019", "2016-2020")
    _same_frame(want, got)


@pytest.mark.parametrize("reference", ["total", "White"])
def test_index_of_disparity_collects_the_same_dataframe(engine: str, reference: str) -> None:
    series = _withheld(_series(6))
    want = series.index_of_disparity("race", reference)
    if engine == "memory":
        return
    got = series.lazy(engine).index_of_disparity("race", reference)
    _same_frame(want, got)
    assert set(got["status"]) >= {"estimate", "suppressed_derived"}


def test_weighted_index_of_disparity_agrees(engine: str) -> None:
    series = _rates()
    want = series.index_of_disparity("race", "A", weighted=True)
    if engine == "memory":
        return
    _same_frame(want, series.lazy(engine).index_of_disparity("race", "A", weighted=True))
    with pytest.raises(SeriesError, match="denominator"):
        _series().lazy("duckdb").index_of_disparity("race", weighted=True)
    with pytest.raises(SeriesError, match="not a category"):
        _series().lazy("duckdb").index_of_disparity("race", "Martian")


def test_foreign_files_with_nan_are_read_as_missing(tmp_path: Path) -> None:
    # A file without feedbackloop metadata may hold NaN: it is a missing number, as in memory.
    table = _series().to_arrow().drop_columns(["indicator", "status"]).replace_schema_metadata()
    value = table.column("value").to_numpy(zero_copy_only=False)
    table = table.set_column(table.schema.get_field_index("value"), "value", pa.array(value))
    assert np.isnan(table.column("value").to_numpy(zero_copy_only=False)).any()
    assert table.column("value").null_count == 0
    pq.write_table(table, tmp_path / "foreign.parquet")
    lz = fl.scan(str(tmp_path / "foreign.parquet"), indicator=PEOPLE, dimensions=["race"])
    got = _canon(lz.rollup(to="county").collect())
    assert_same(_canon(_series().rollup(to="county")), got)
    assert "missing" in set(got["status"])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    nums=st.lists(st.one_of(st.none(), st.integers(0, 40).map(float)), min_size=12, max_size=12),
    dens=st.lists(st.one_of(st.none(), st.integers(0, 60).map(float)), min_size=12, max_size=12),
    moes=st.lists(st.integers(0, 30).map(float), min_size=24, max_size=24),
)
def test_hypothesis_proportion_and_change_agree(
    nums: list[float | None], dens: list[float | None], moes: list[float]
) -> None:
    def make(values: list[float | None], m: list[float]) -> fl.IndicatorSeries:
        df = pd.DataFrame(
            {
                "geography": [f"06001{t:06d}" for t in range(100, 106) for _ in range(2)],
                "period": ["2021", "2022"] * 6,
                "value": pd.array(values, dtype="float64"),
                "moe": [mm if v is not None else np.nan for v, mm in zip(values, m, strict=True)],
            }
        )
        return fl.IndicatorSeries.from_frame(df, indicator=PEOPLE, moe="moe")

    a, b = make(nums, moes[:12]), make(dens, moes[12:])
    for kind in ("proportion", "ratio"):
        want = getattr(fl.series, kind)(a, b, 100)
        got = getattr(a.lazy("duckdb"), kind)(b, 100).collect()
        assert_same(_canon(want), _canon(got))
    _same_frame(a.change(2021, 2022), a.lazy("duckdb").change(2021, 2022))


def test_every_result_of_a_rollup_checks_the_codes_first(tmp_path: Path) -> None:
    """A bad code in a scanned file stops collect, to_parquet, disparity, suppress, change."""
    series = _series()
    frame = series.frame
    frame["geography"] = frame["geography"].astype(str)
    frame.loc[5, "geography"] = "06001OOO100"  # letters O, not zeros
    bad = fl.IndicatorSeries.from_frame(
        frame, indicator=PEOPLE, dimensions=["race"], moe="moe", status="status"
    )
    bad.to_parquet(tmp_path / "bad.parquet")
    county = fl.scan(tmp_path / "bad.parquet").rollup(to="county")
    attempts = [
        county.collect,
        lambda: county.to_parquet(tmp_path / "out"),
        lambda: county.disparity("race", "White"),
        lambda: county.suppress(SuppressionPolicy(threshold=3)),
        lambda: county.change(2021, 2022),
        lambda: county.index_of_disparity("race"),
        lambda: county.rollup(to="state").collect(),  # carried through the next roll-up
        lambda: county.proportion(county).collect(),  # and into derived series
    ]
    for attempt in attempts:
        with pytest.raises(SeriesError, match="'06001OOO100'"):
            attempt()
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("code", ["0600A000100", "06001 00100", "060010001", "６０００１"])
def test_rollup_refuses_codes_that_are_not_geoids(engine: str, code: str) -> None:
    """Letters, spaces, a wrong length or non-ASCII digits: named, never rolled up."""
    df = pd.DataFrame(
        {"geography": ["06001000100", code], "period": ["2022"] * 2, "value": [5.0, 7.0]}
    )
    series = fl.IndicatorSeries.from_frame(df, indicator=PEOPLE)
    with pytest.raises(SeriesError, match=repr(code).replace("(", r"\(")):
        _run(series, engine, lambda s: s.rollup(to="county").rollup(to="state"))
