"""Connections to the engines: an in-process DuckDB, or a local (or the user's own) Spark.

Ibis, DuckDB and PySpark are optional (the ``duckdb`` and ``spark`` extras) and
imported here on first use, never when ``feedbackloop`` is imported.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any, Literal

from feedbackloop._util import import_optional
from feedbackloop.errors import EngineError, EngineMemoryError, JavaNotFoundError

__all__ = [
    "Engine",
    "batches",
    "connect",
    "duckdb_relation",
    "engine_of",
    "ibis_module",
    "quiet_ibis",
    "run",
    "spark_frame",
    "spark_session",
]

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")

# One local Spark session per process, started on first use.
_SPARK: dict[str, Any] = {}


def ibis_module(engine: str) -> ModuleType:
    """Import Ibis (with the engine's backend) or name the extra to install."""
    extra = "spark" if engine == "spark" else "duckdb"
    ibis = import_optional("ibis", extra=extra, purpose=f"the {engine} engine")
    import_optional(
        "pyspark" if engine == "spark" else "duckdb", extra=extra, purpose=f"the {engine} engine"
    )
    return ibis


def _check_java() -> None:
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return
    raise JavaNotFoundError(
        "Spark needs a Java runtime (17 or newer) and none was found (no 'java' on PATH, no "
        "JAVA_HOME); install one, e.g. on Debian or Ubuntu: "
        "apt-get install openjdk-17-jre-headless"
    )


def spark_session(spark: Any = None) -> Any:
    """Return ``spark`` or the process's local session (``local[2]``), started once.

    The workers run this interpreter (``spark.pyspark.python`` and
    ``PYSPARK_PYTHON`` are ``sys.executable``): a system Python lacks pyarrow.
    """
    if spark is not None:
        return spark
    if "session" in _SPARK:
        return _SPARK["session"]
    sql = import_optional("pyspark.sql", extra="spark", purpose="the spark engine")
    _check_java()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        sql.SparkSession.builder.master("local[2]")
        .appName("feedbackloop")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.pyspark.driver.python", sys.executable)
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    try:
        session = builder.getOrCreate()
    except Exception as err:  # py4j raises plain exceptions when the JVM does not start
        if "JAVA_GATEWAY_EXITED" in str(err) or "Java gateway" in str(err):
            raise JavaNotFoundError(
                f"Spark's JVM did not start ({err}); install Java 17, e.g. "
                "apt-get install openjdk-17-jre-headless"
            ) from err
        raise
    session.sparkContext.setLogLevel("ERROR")
    _SPARK["session"] = session
    return session


def connect(
    engine: str = "duckdb",
    *,
    memory_limit: str | None = None,
    temp_directory: str | None = None,
    threads: int | None = None,
    spark: Any = None,
    database: str | os.PathLike[str] | None = None,
) -> Any:
    """Return an Ibis connection to ``engine``.

    Parameters
    ----------
    engine : {"duckdb", "spark"}
    memory_limit : str, optional
        DuckDB's memory limit (``"4GB"``); past it DuckDB spills to ``temp_directory``.
    temp_directory : str, optional
        Where DuckDB spills.
    threads : int, optional
        DuckDB's threads.
    spark : pyspark.sql.SparkSession, optional
        Your own session; by default a local one is started (``local[2]``).
    database : str or path, optional
        A DuckDB database file to open, read-only (default: in memory).

    Raises
    ------
    MissingDependencyError
        If the engine's extra is not installed (``feedbackloop[duckdb]`` or ``[spark]``).
    JavaNotFoundError
        If Spark has no Java to run on.
    EngineError
        For an unknown engine, a ``database`` on Spark, or a database file that
        does not exist or is not DuckDB's.
    """
    if engine not in ENGINES:
        raise EngineError(f"engine must be 'duckdb' or 'spark' (got {engine!r})")
    ibis = ibis_module(engine)
    if engine == "spark":
        if database is not None:
            raise EngineError(
                "database= is a DuckDB database file; Spark reads tables of its own catalog"
            )
        return ibis.pyspark.connect(spark_session(spark))
    config: dict[str, Any] = {}
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    if temp_directory is not None:
        config["temp_directory"] = temp_directory
    if threads is not None:
        config["threads"] = threads
    if database is None:
        return ibis.duckdb.connect(**config)
    path = os.fspath(database)
    if not os.path.isfile(path):
        raise EngineError(f"no DuckDB database file {path!r}")
    try:
        return ibis.duckdb.connect(path, read_only=True, **config)
    except Exception as err:  # duckdb raises its own IOException for a foreign file
        raise EngineError(
            f"{path!r} is not a DuckDB database DuckDB {_duckdb_version()} can open "
            f"({str(err).splitlines()[0]})"
        ) from err


def _duckdb_version() -> str:
    duckdb = import_optional("duckdb", extra="duckdb", purpose="the duckdb engine")
    return str(getattr(duckdb, "__version__", "?"))


def engine_of(con: Any) -> str:
    """Name the engine behind an Ibis connection (``duckdb``, ``spark`` or Ibis' name)."""
    name = str(getattr(con, "name", "duckdb"))
    return "spark" if name == "pyspark" else name


@contextlib.contextmanager
def quiet_ibis() -> Iterator[None]:
    """Silence DuckDB 2's deprecation of ``fetch_arrow_table``, which Ibis 12 still calls."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "fetch_arrow_table", DeprecationWarning)
        yield


def spark_frame(con: Any, expr: Any) -> Any:
    """Return the Spark DataFrame of an Ibis expression (its in-memory tables registered first)."""
    con._run_pre_execute_hooks(expr)
    return con._session.sql(con.compile(expr))


def duckdb_relation(con: Any, expr: Any) -> Any:
    """Return the DuckDB relation of an Ibis expression (straight to Arrow, no pandas)."""
    con._run_pre_execute_hooks(expr)
    return con.con.sql(con.compile(expr))


def batches(con: Any, expr: Any, rows: int, operation: str) -> Any:
    """Return a ``pyarrow.RecordBatchReader`` over the rows of ``expr``."""
    if engine_of(con) == "duckdb":
        return duckdb_relation(con, expr).to_arrow_reader(rows)
    return run(con, expr, operation).to_reader(max_chunksize=rows)


def run(con: Any, expr: Any, operation: str) -> Any:
    """Execute ``expr`` on ``con`` to an Arrow table, turning out-of-memory into a typed error."""
    try:
        if engine_of(con) == "spark":
            # toArrow, not Ibis' toPandas route (noisy with pandas 3)
            return spark_frame(con, expr).toArrow()
        if engine_of(con) == "duckdb":
            return duckdb_relation(con, expr).to_arrow_table()
        return con.to_pyarrow(expr)
    except Exception as err:
        text = str(err)
        if "Out of Memory" in text or "OutOfMemory" in text or "out of memory" in text:
            raise EngineMemoryError(
                f"{operation} ran out of memory on {engine_of(con)} ({text.splitlines()[0]}); "
                "raise the memory limit (feedbackloop.scan(..., memory_limit='8GB') or "
                "SET memory_limit) or give a temp_directory with room to spill",
                operation=operation,
            ) from err
        raise
