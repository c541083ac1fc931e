"""Performance measures from record-level files on the engines: the in-memory cells, exactly.

:func:`feedbackloop.engines.from_records` must give the cells, counts, values and
statuses :func:`feedbackloop.measures.from_records` gives on the same records,
refuse the same bad records (naming file and row on DuckDB), and its
suppressed output must be the in-memory one and pass the LP audit.
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

from feedbackloop.errors import ScanError, SeriesValidationError
from feedbackloop.measures import from_records
from feedbackloop.privacy import SuppressionPolicy, audit, suppress
from feedbackloop.series import IndicatorSeries

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

pytest.importorskip("duckdb", reason="the engines need the duckdb extra: feedbackloop[duckdb]")
pytest.importorskip("ibis", reason="the engines need the duckdb extra: feedbackloop[duckdb]")

from feedbackloop import engines  # noqa: E402


@pytest.fixture(params=["duckdb", "spark"])
def engine(request: pytest.FixtureRequest) -> str:
    if request.param == "spark":
        pytest.importorskip("pyspark", reason="PySpark is not installed: feedbackloop[spark]")
        if shutil.which("java") is None:
            pytest.skip("no Java runtime: apt-get install openjdk-17-jre-headless")
    return str(request.param)


def _records(n: int = 3000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    better = np.where(rng.random(n) < 0.2, None, rng.random(n) < 0.5)
    return pd.DataFrame(
        {
            "client": [f"c{i}" for i in rng.integers(0, n // 3, n)],
            "school": rng.choice(["360007700001", "360007700002", "360008100003"], n),
            "race": rng.choice(["Asian", "Black", "White", "AIAN"], n, p=[0.3, 0.3, 0.38, 0.02]),
            "sex": rng.choice(["F", "M", "X"], n, p=[0.49, 0.49, 0.02]),
            "year": rng.choice([2022, 2023], n),
            "completed": rng.random(n) < 0.6,
            "better_off": pd.array(better, dtype="boolean"),
        }
    )


def _write(tmp_path: Path, df: pd.DataFrame, parts: int = 3) -> str:
    folder = tmp_path / "records"
    folder.mkdir(exist_ok=True)
    step = -(-len(df) // parts)
    for i in range(parts):
        chunk = df.iloc[i * step : (i + 1) * step]
        pq.write_table(pa.Table.from_pandas(chunk, preserve_index=False), folder / f"{i}.parquet")
    return str(folder / "*.parquet")


def _canon(series: IndicatorSeries) -> pd.DataFrame:
    df = series.frame
    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype) or df[c].dtype == object:
            df[c] = df[c].astype(str)
    return df.sort_values(list(series.keys)).reset_index(drop=True)


def assert_same(want: IndicatorSeries, got: IndicatorSeries) -> None:
    """The same cells, counts, values and statuses; the same series metadata."""
    a, b = _canon(want), _canon(got)
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for c in a.columns:
        if pd.api.types.is_float_dtype(a[c]):
            np.testing.assert_array_equal(a[c].to_numpy(float), b[c].to_numpy(float), err_msg=c)
        else:
            assert a[c].tolist() == b[c].tolist(), c
    assert got.indicator == want.indicator
    assert got.dimensions == want.dimensions
    assert got.sensitive == want.sensitive
    assert got.unit == want.unit


CASES = [
    {"client": "client", "geography": "school", "dimensions": ["race", "sex"]},
    {"geography": "school", "dimensions": ["race"], "geography_total": True},
    {"client": "client", "geography": "school", "dimensions": ["race"], "geography_total": True},
    {"client": "client", "dimensions": ["sex"]},
]


@pytest.mark.parametrize("measure", ["served", "completed", "better_off"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_the_in_memory_cells_on_every_engine(
    tmp_path: Path, engine: str, measure: Any, case: int
) -> None:
    df = _records()
    kwargs: dict[str, Any] = {"program": "tutoring", "period": "year", **CASES[case]}
    want = from_records(df, measure, **kwargs)
    got = engines.from_records(_write(tmp_path, df), measure, engine=engine, **kwargs)
    assert got.engine == engine
    assert_same(want, got.collect())


def test_flags_and_keys_of_every_type(tmp_path: Path) -> None:
    """Text and 0/1 flags, NaN as not assessed, boolean and integer categories, dates."""
    df = _records(800, seed=4)
    df["completed"] = np.where(df["completed"], " Yes", "n")
    ba = df["better_off"]
    df["better_off"] = np.where(ba.isna(), np.nan, ba.fillna(False).astype(float))
    df["sex"] = df["sex"] == "F"
    df["race"] = df["race"].map({"Asian": 1, "Black": 2, "White": 3, "AIAN": 4})
    df["year"] = pd.to_datetime(df["year"].astype(str) + "-03-01")
    path = _write(tmp_path, df, parts=1)
    for measure in ("completed", "better_off"):
        kwargs: dict[str, Any] = {
            "client": "client",
            "period": "year",
            "dimensions": ["race", "sex"],
        }
        want = from_records(df, measure, **kwargs)  # type: ignore[arg-type]
        assert_same(want, engines.from_records(path, measure, **kwargs).collect())  # type: ignore[arg-type]


def test_period_labels_are_parsed_once_each(tmp_path: Path) -> None:
    df = _records(400)
    df["year"] = df["year"].map({2022: "2021/22", 2023: "2022/23"})
    path = _write(tmp_path, df)
    want = from_records(df, "served", period="year", dimensions=["race"])
    got = engines.from_records(path, "served", period="year", dimensions=["race"]).collect()
    assert_same(want, got)
    assert set(got.frame["period"].astype(str)) == {"2021/22", "2022/23"}


def test_rounding_is_the_in_memory_rounding(tmp_path: Path) -> None:
    """Half-way percentages (1/16 = 6.25%) round to even, as numpy rounds them."""
    n = 16 * 3
    df = pd.DataFrame(
        {
            "year": [2024] * n,
            "race": ["A"] * 16 + ["B"] * 32,
            "completed": [True] + [False] * 15 + [True] * 5 + [False] * 27,
        }
    )
    want = from_records(df, "completed", period="year", dimensions=["race"])
    got = engines.from_records(
        _write(tmp_path, df, 1), "completed", period="year", dimensions=["race"]
    )
    assert_same(want, got.collect())
    assert sorted(want.frame["value"].tolist()) == [6.2, 12.5, 15.6]


def test_suppressed_cells_are_identical_and_pass_the_audit(tmp_path: Path, engine: str) -> None:
    df = _records(1500, seed=7)
    kwargs: dict[str, Any] = {"client": "client", "period": "year", "geography": "school"}
    kwargs["dimensions"] = ["race", "sex"]
    policy = SuppressionPolicy(threshold=10)
    original = from_records(df, "served", **kwargs)
    want = suppress(original, policy)
    lazy = engines.from_records(_write(tmp_path, df), "served", engine=engine, **kwargs)
    got = lazy.suppress(policy).collect()
    assert_same(want, got)
    status = got.frame["status"].astype(str)
    assert (status == "suppressed").any() and (status == "suppressed_complementary").any()
    assert got.frame.loc[status.str.startswith("suppressed"), "value"].isna().all()
    # The LP over every published table finds no withheld count narrower than the threshold.
    report = audit(lazy.collect(), got, threshold=10)
    assert len(report) > 0 and report["protected"].all()


def test_tables_protected_on_a_pool_of_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs of whole tables go to two threads; the output is the sequential one."""
    from feedbackloop.engines import _maps

    df = _records(1500, seed=7)
    kwargs: dict[str, Any] = {"client": "client", "period": "year", "geography": "school"}
    kwargs["dimensions"] = ["race", "sex"]
    policy = SuppressionPolicy(threshold=10)
    want = suppress(from_records(df, "served", **kwargs), policy)
    monkeypatch.setattr(_maps, "POOL_ROWS", 40)  # about one table a run: ~6 runs
    monkeypatch.setattr(_maps, "_workers", lambda: 2)
    calls: list[int] = []
    real = _maps._pooled
    monkeypatch.setattr(_maps, "_pooled", lambda *a: calls.append(1) or real(*a))
    lazy = engines.from_records(_write(tmp_path, df), "served", **kwargs)
    assert_same(want, lazy.suppress(policy).collect())
    assert calls == [1]


def test_an_ibis_table_is_a_source(tmp_path: Path) -> None:
    import ibis

    df = _records(500)
    con = ibis.duckdb.connect()
    con.con.register("records", pa.Table.from_pandas(df, preserve_index=False))
    with warnings.catch_warnings():  # Ibis 12 calls DuckDB 2's deprecated fetch_arrow_table
        warnings.simplefilter("ignore", DeprecationWarning)
        table = con.table("records")
    want = from_records(df, "completed", client="client", period="year", dimensions=["race"])
    got = engines.from_records(
        table, "completed", client="client", period="year", dimensions=["race"]
    )
    assert got.con is con
    assert_same(want, got.collect())


def _problems(err: pytest.ExceptionInfo[SeriesValidationError]) -> dict[str, str]:
    return dict(err.value.problems)


def test_bad_records_are_named_by_file_and_row(tmp_path: Path) -> None:
    df = _records(300)
    df["race"] = df["race"].astype(object)
    df.loc[[5, 250], "race"] = None
    df["completed"] = np.where(df["completed"], "yes", "no").astype(object)
    df.loc[17, "completed"] = "maybe"
    df.loc[18, "completed"] = None
    df["client"] = df["client"].astype(object)
    df.loc[101, "client"] = None
    path = _write(tmp_path, df, parts=3)  # 100 records a file
    with pytest.raises(SeriesValidationError) as err:
        engines.from_records(path, "completed", client="client", period="year", dimensions=["race"])
    found = err.value.problems
    text = " | ".join(f"{w}: {m}" for w, m in found)
    assert "race: 2 records have no value" in text
    assert "0.parquet row 5" in text and "2.parquet row 50" in text
    assert "completed: 1 records are not true/false" in text and "0.parquet row 17" in text
    assert "completed: 1 records are missing" in text and "0.parquet row 18" in text
    assert "client: 1 records have no client id" in text and "1.parquet row 1" in text
    # The in-memory function refuses the same columns.
    with pytest.raises(SeriesValidationError) as mem:
        from_records(df, "completed", client="client", period="year", dimensions=["race"])
    assert {w for w, _ in found} == {w for w, _ in mem.value.problems}


def test_bad_periods_missing_columns_and_no_records(tmp_path: Path) -> None:
    df = _records(60)
    df["year"] = df["year"].astype(str)
    df.loc[3, "year"] = "next year"
    path = _write(tmp_path, df, 1)
    with pytest.raises(SeriesValidationError, match="1 records have 'next year'"):
        engines.from_records(path, "served", period="year")
    with pytest.raises(SeriesValidationError) as err:
        engines.from_records(path, "served", period="year", dimensions=["ethnicity"])
    assert _problems(err)["ethnicity"].startswith("column not found; columns are: client, ")
    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.Table.from_pandas(df.iloc[:0], preserve_index=False), empty)
    with pytest.raises(SeriesValidationError, match="there are no records"):
        engines.from_records(empty, "served", period="year")
    with pytest.raises(ScanError, match="no files match"):
        engines.from_records(tmp_path / "nothing" / "*.parquet", "served")
    with pytest.raises(ValueError, match="measure must be one of"):
        engines.from_records(path, "happy")  # type: ignore[arg-type]


_CATEGORY = st.sampled_from(["A", "B", "C"])


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 6),
            _CATEGORY,
            st.sampled_from(["F", "M"]),
            st.sampled_from([2022, 2023]),
            st.booleans(),
            st.none() | st.booleans(),
        ),
        min_size=1,
        max_size=60,
    ),
    measure=st.sampled_from(["served", "completed", "better_off"]),
    by_client=st.booleans(),
    total=st.booleans(),
)
def test_duckdb_agrees_with_memory_on_any_records(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[tuple[Any, ...]],
    measure: Any,
    by_client: bool,
    total: bool,
) -> None:
    df = pd.DataFrame(
        rows, columns=["client", "race", "sex", "year", "completed", "better_off"]
    ).astype({"client": str, "better_off": "boolean"})
    df["school"] = np.where(df["client"].astype(int) % 2 == 0, "S1", "S2")
    kwargs: dict[str, Any] = {
        "client": "client" if by_client else None,
        "period": "year",
        "geography": "school",
        "dimensions": ["race", "sex"],
        "geography_total": total,
    }
    path = _write(tmp_path_factory.mktemp("records"), df, parts=2)
    assert_same(
        from_records(df, measure, **kwargs), engines.from_records(path, measure, **kwargs).collect()
    )
