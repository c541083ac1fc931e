"""Find the files of a pooled dataset, check that they agree, and read their metadata."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from feedbackloop.engines._connect import connect, quiet_ibis
from feedbackloop.errors import ScanError
from feedbackloop.model import Indicator
from feedbackloop.series import COLUMNS, IndicatorSeries

__all__ = ["expand", "is_table", "table", "template_for", "unify_schemas"]


def is_table(source: object) -> bool:
    """Whether ``source`` is a table of an Ibis connection (not files to scan)."""
    return hasattr(source, "schema") and hasattr(source, "get_backend")


def expand(source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str]:
    """List the Parquet files of a glob, a file, a folder (its ``*.parquet``) or a list.

    Raises
    ------
    ScanError
        If nothing matches.
    """
    if isinstance(source, str | os.PathLike):
        text = os.fspath(source)
        if Path(text).is_dir():
            text = os.path.join(text, "**", "*.parquet")
        files = sorted(glob.glob(text, recursive=True))
        if not files:
            raise ScanError(
                f"no files match {text!r}; check the path (globs such as 'pooled/*.parquet' "
                "are expanded relative to the working directory)",
                path=text,
            )
        return files
    files = [os.fspath(f) for f in source]
    missing = [f for f in files if not os.path.exists(f)]
    if missing or not files:
        where = missing[0] if missing else None
        raise ScanError(f"no such file: {where!r}" if where else "no files given", path=where)
    return files


def _plain(t: pa.DataType) -> pa.DataType:
    """Return the type a column is read as: dictionaries as values, large strings as strings."""
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_large_string(t):
        return pa.string()
    return t


def unify_schemas(files: Sequence[str]) -> pa.Schema:
    """Return the first file's schema after checking that every other file has the same columns.

    Raises
    ------
    ScanError
        Naming the file and the column that is missing, extra or of another type.
    """
    first = pq.read_schema(files[0])
    want = {f.name: _plain(f.type) for f in first}
    for path in files[1:]:
        schema = pq.read_schema(path)
        have = {f.name: _plain(f.type) for f in schema}
        for name, t in want.items():
            if name not in have:
                raise ScanError(
                    f"{path} has no column {name!r}, which {files[0]} has; every file of a "
                    "pooled dataset needs the same columns",
                    path=path,
                    column=name,
                )
            if have[name] != t:
                raise ScanError(
                    f"column {name!r} is {have[name]} in {path} but {t} in {files[0]}; "
                    "write every file with the same types",
                    path=path,
                    column=name,
                )
        extra = sorted(set(have) - set(want))
        if extra:
            raise ScanError(
                f"{path} has a column {extra[0]!r} that {files[0]} lacks",
                path=path,
                column=extra[0],
            )
    return first


def template_for(
    schema: pa.Schema,
    indicator: Indicator | None,
    *,
    unit: str | None = None,
    dimensions: Sequence[str] | None = None,
    where: str,
) -> IndicatorSeries:
    """Make an empty series carrying the dataset's metadata (from the schema, or as given)."""
    if schema.metadata and b"feedbackloop" in schema.metadata:
        template = IndicatorSeries.from_arrow(schema.empty_table(), indicator=indicator)
        if unit is not None:
            template = template.with_table(template.table, unit=unit)
        return template
    if indicator is None:
        raise ScanError(
            f"{where} carries no feedbackloop metadata: pass indicator= (an Indicator, or the "
            "id of one in loop=)",
            path=where,
        )
    dims = (
        tuple(dimensions)
        if dimensions is not None
        else tuple(n for n in schema.names if n not in COLUMNS)
    )
    for required in ("geography", "period", "value"):
        if required not in schema.names:
            raise ScanError(f"{where} has no column {required!r}", path=where, column=required)
    empty = {n: pa.array([], pa.string()) for n in ("geography", "period", *dims)}
    empty["value"] = pa.array([], pa.float64())
    return IndicatorSeries(
        indicator=indicator,
        table=pa.table(empty),
        unit=indicator.unit if unit is None else unit,
        dimensions=dims,
    )


def backend_table(con: Any, engine: str, files: Sequence[str], name: str) -> Any:
    """Open the files as an Ibis table on ``con`` (DuckDB reads them; Spark gets a temp view)."""
    if engine == "spark":
        session = con._session
        session.read.parquet(*files).createOrReplaceTempView(name)
        return con.table(name)
    with quiet_ibis():
        return con.read_parquet(list(files), table_name=name)


def table(
    name: str,
    *,
    engine: str = "duckdb",
    database: str | os.PathLike[str] | None = None,
    memory_limit: str | None = None,
    temp_directory: str | None = None,
    spark: Any = None,
) -> Any:
    """Open a table of an engine as an Ibis table, for :func:`feedbackloop.scan`.

    Parameters
    ----------
    name : str
        The table: of DuckDB's ``database`` file, or of Spark's catalog (``db.table``).
    engine : {"duckdb", "spark"}
    database : str or path, optional
        The DuckDB database file (opened read-only); required on DuckDB.
    memory_limit, temp_directory, spark
        As for :func:`feedbackloop.scan`.

    Raises
    ------
    ScanError
        If there is no such table (``path`` names the database or the catalog).
    EngineError
        For a database file that is missing or not DuckDB's, or one given to Spark.
    """
    if engine == "duckdb" and database is None:
        raise ScanError(f"table {name!r} on DuckDB: give database= (the DuckDB file that holds it)")
    con = connect(
        engine,
        database=database,
        memory_limit=memory_limit,
        temp_directory=temp_directory,
        spark=spark,
    )
    where = os.fspath(database) if database is not None else f"{engine}'s catalog"
    try:
        with quiet_ibis():
            return con.table(name)
    except Exception as err:  # each backend raises its own "table not found"
        tables = _table_names(con, engine)
        raise ScanError(
            f"no table {name!r} in {where}; tables: {', '.join(tables[:20]) or 'none'}",
            path=where,
        ) from err


def _table_names(con: Any, engine: str) -> list[str]:
    """Name the tables a connection has (for an error message; empty if it cannot tell)."""
    try:
        if engine == "duckdb":
            rows = con.con.execute("SELECT table_name FROM information_schema.tables").fetchall()
            return sorted(str(r[0]) for r in rows)
        return sorted(str(t) for t in con.list_tables())
    except Exception:  # noqa: BLE001 - only decorates an error being raised
        return []
