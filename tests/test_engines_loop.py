"""A loop names a pooled dataset as a source; collect and the CLI scan it on an engine."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import feedbackloop as fl
from feedbackloop.cli import main
from feedbackloop.errors import (
    AdapterOptionError,
    EngineError,
    LoopFileError,
    PathNotAllowedError,
    ScanError,
)
from feedbackloop.model import Indicator, SourceSpec

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

pytest.importorskip("ibis", reason="pooled sources need the duckdb extra: feedbackloop[duckdb]")
pytest.importorskip("duckdb", reason="pooled sources need the duckdb extra: feedbackloop[duckdb]")

PEOPLE = Indicator(id="people", name="People", unit="people", direction="higher_is_better")


def _series() -> fl.IndicatorSeries:
    rng = np.random.default_rng(5)
    rows = [
        (f"06{c}{t:06d}", y, r, float(rng.integers(0, 80)), float(rng.integers(1, 20)))
        for c in ("001", "075")
        for t in (100, 200)
        for y in ("2021", "2022")
        for r in ("A", "B")
    ]
    df = pd.DataFrame(rows, columns=["geography", "period", "race", "value", "moe"])
    return fl.IndicatorSeries.from_frame(df, indicator=PEOPLE, dimensions=["race"], moe="moe")


def _loop(folder: Path, source: str) -> Path:
    text = f"""
        name: Pooled network
        indicators:
          - id: people
            name: People
            unit: people
            direction: higher_is_better
            dimensions: [race]
            source: {source}
        shared_result:
          id: result
          title: More people
          indicators: [people]
        """
    path = folder / "loop.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def _pooled(folder: Path) -> fl.IndicatorSeries:
    series = _series()
    (folder / "pooled").mkdir(parents=True)
    series.filter(period=2021).to_parquet(folder / "pooled" / "a.parquet")
    series.filter(period=2022).to_parquet(folder / "pooled" / "b.parquet")
    return series


def _same(a: fl.IndicatorSeries, b: fl.IndicatorSeries) -> None:
    fa, fb = (s.frame.astype({"status": str, "race": str}) for s in (a, b))
    keys = ["geography", "period", "race"]
    fa, fb = (f.sort_values(keys).reset_index(drop=True) for f in (fa, fb))
    pd.testing.assert_frame_equal(fa, fb, check_categorical=False, rtol=1e-12)


def test_yaml_names_a_pooled_dataset_and_collect_scans_it(tmp_path: Path) -> None:
    series = _pooled(tmp_path)
    loop = fl.load_loop(_loop(tmp_path, '{engine: duckdb, path: "pooled/*.parquet"}'))
    spec = loop.indicator("people").source
    assert spec == SourceSpec(engine="duckdb", path="pooled/*.parquet")
    assert spec.adapter is None
    result = fl.collect(loop).raise_for_failures()
    _same(series, result["people"])
    assert result["people"].indicator == loop.indicator("people")
    # a folder works as well as a glob, and the codec round-trips the form
    assert type(loop).from_dict(loop.to_dict()) == loop
    assert loop.to_dict()["indicators"][0]["source"] == {
        "engine": "duckdb",
        "path": "pooled/*.parquet",
    }


def test_a_folder_and_duckdb_options(tmp_path: Path) -> None:
    series = _pooled(tmp_path)
    source = "{engine: duckdb, path: pooled, options: {memory_limit: 1GB, temp_directory: spill}}"
    result = fl.collect(fl.load_loop(_loop(tmp_path, source))).raise_for_failures()
    _same(series, result["people"])


def test_engine_override_runs_on_spark(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="PySpark is not installed: feedbackloop[spark]")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime: apt-get install openjdk-17-jre-headless")
    series = _pooled(tmp_path)
    loop = fl.load_loop(_loop(tmp_path, '{engine: duckdb, path: "pooled/*.parquet"}'))
    result = fl.collect(loop, engine="spark").raise_for_failures()
    _same(series, result["people"])


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('{adapter: csv, engine: duckdb, path: "x/*.parquet"}', "exactly one of adapter"),
        ("{engine: duckdb}", "needs exactly one of a path"),
        ('{engine: duckdb, path: "x/*.parquet", table: acs}', "needs exactly one of a path"),
        ("{adapter: csv, path: x.csv, table: acs}", "an adapter reads path"),
        ('{engine: polars, path: "x/*.parquet"}', "polars"),
        ('{path: "x/*.parquet"}', "adapter"),
    ],
)
def test_malformed_pooled_sources_are_located(tmp_path: Path, source: str, message: str) -> None:
    with pytest.raises(LoopFileError, match=message) as err:
        fl.load_loop(_loop(tmp_path, source))
    assert "indicators[0].source" in str(err.value)


def _database(folder: Path, series: fl.IndicatorSeries) -> Path:
    import duckdb

    path = folder / "network.duckdb"
    con = duckdb.connect(str(path))
    arrow = series.to_arrow().drop_columns(["indicator"])
    con.register("series", arrow)
    con.execute("CREATE TABLE acs AS SELECT * FROM series")
    con.close()
    return path


def test_a_table_of_a_duckdb_database(tmp_path: Path) -> None:
    series = _series()
    _database(tmp_path, series)
    source = "{engine: duckdb, table: acs, options: {database: network.duckdb, memory_limit: 1GB}}"
    loop = fl.load_loop(_loop(tmp_path, source))
    assert loop.indicator("people").source == SourceSpec(
        engine="duckdb", table="acs", options={"database": "network.duckdb", "memory_limit": "1GB"}
    )
    assert type(loop).from_dict(loop.to_dict()) == loop
    assert loop.to_dict()["indicators"][0]["source"]["table"] == "acs"
    _same(series, fl.collect(loop).raise_for_failures()["people"])
    # a table the database lacks, a database that is not there: kept per indicator, named
    loop = fl.load_loop(
        _loop(tmp_path, "{engine: duckdb, table: nope, options: {database: network.duckdb}}")
    )
    err = fl.collect(loop).failures["people"]
    assert isinstance(err, ScanError) and "no table 'nope' in" in str(err)
    assert "tables: acs" in str(err)
    loop = fl.load_loop(
        _loop(tmp_path, "{engine: duckdb, table: acs, options: {database: gone.duckdb}}")
    )
    err = fl.collect(loop).failures["people"]
    assert isinstance(err, EngineError) and "gone.duckdb" in str(err)
    # DuckDB tables live in a database file, which is confined like any path
    loop = fl.load_loop(_loop(tmp_path, "{engine: duckdb, table: acs}"))
    err = fl.collect(loop).failures["people"]
    assert isinstance(err, AdapterOptionError) and "database" in str(err)
    loop = fl.load_loop(
        _loop(tmp_path, "{engine: duckdb, table: acs, options: {database: ../elsewhere.duckdb}}")
    )
    with pytest.raises(PathNotAllowedError, match=r"indicators\[0\]\.source\.options\.database"):
        fl.collect(loop)
    # a DuckDB file's table cannot be moved to Spark by --engine
    loop = fl.load_loop(
        _loop(tmp_path, "{engine: duckdb, table: acs, options: {database: network.duckdb}}")
    )
    err = fl.collect(loop, engine="spark").failures["people"]
    assert isinstance(err, AdapterOptionError) and "cannot move a duckdb table" in str(err)


def test_a_table_of_sparks_catalog(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="PySpark is not installed: feedbackloop[spark]")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime: apt-get install openjdk-17-jre-headless")
    from feedbackloop.engines import spark_session

    series = _series()
    arrow = series.to_arrow().drop_columns(["indicator"])
    spark_session().createDataFrame(arrow).createOrReplaceTempView("pooled_people")
    loop = fl.load_loop(_loop(tmp_path, "{engine: spark, table: pooled_people}"))
    _same(series, fl.collect(loop).raise_for_failures()["people"])
    loop = fl.load_loop(_loop(tmp_path, "{engine: spark, table: no_such_view}"))
    err = fl.collect(loop).failures["people"]
    assert isinstance(err, ScanError) and "no table 'no_such_view'" in str(err)


def test_pooled_paths_are_confined(tmp_path: Path) -> None:
    folder = tmp_path / "loop"
    folder.mkdir()
    _pooled(tmp_path / "outside")
    loop = fl.load_loop(_loop(folder, '{engine: duckdb, path: "../outside/pooled/*.parquet"}'))
    with pytest.raises(PathNotAllowedError, match=r"indicators\[0\]\.source\.path"):
        fl.collect(loop)
    # allowed explicitly, it reads
    got = fl.collect(loop, allow_paths=[tmp_path / "outside"]).raise_for_failures()
    assert len(got["people"]) == len(_series())
    # a symbolic link inside the folder that leads outside is refused, file by file
    (folder / "pooled").mkdir()
    os.symlink(tmp_path / "outside" / "pooled" / "a.parquet", folder / "pooled" / "a.parquet")
    loop = fl.load_loop(_loop(folder, '{engine: duckdb, path: "pooled/*.parquet"}'))
    with pytest.raises(PathNotAllowedError):
        fl.collect(loop)


def test_pooled_failures_are_kept_per_indicator(tmp_path: Path) -> None:
    loop = fl.load_loop(_loop(tmp_path, '{engine: duckdb, path: "nothing/*.parquet"}'))
    result = fl.collect(loop)
    err = result.failures["people"]
    assert isinstance(err, ScanError) and "no files match" in str(err)
    assert err.path == "nothing/*.parquet"
    _pooled(tmp_path)
    bad = '{engine: duckdb, path: "pooled/*.parquet", options: {threads: 2}}'
    result = fl.collect(fl.load_loop(_loop(tmp_path, bad)))
    assert isinstance(result.failures["people"], AdapterOptionError)
    assert "'threads'" in str(result.failures["people"])
    with pytest.raises(EngineError, match="'duckdb' or 'spark'"):
        fl.collect(loop, engine="polars")


def test_cli_collect_and_report_take_engine(tmp_path: Path, capsys: Any) -> None:
    series = _pooled(tmp_path)
    path = _loop(tmp_path, '{engine: spark, path: "pooled/*.parquet"}')
    out = tmp_path / "data"
    assert main(["collect", str(path), "--engine", "duckdb", "-o", str(out)]) == 0
    _same(series, fl.read_parquet(out / "people.parquet"))
    assert "ok      people: 16 rows" in capsys.readouterr().out
    html = tmp_path / "report.html"
    code = main(["report", str(path), "--engine", "duckdb", "--no-charts", "-o", str(html)])
    assert code == 0 and "People" in html.read_text()
    with pytest.raises(SystemExit):
        main(["collect", str(path), "--engine", "polars"])
