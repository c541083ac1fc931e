"""The map-batches stage over record-level tables: keyed pseudonyms, batch by batch.

:func:`pseudonymize` reads client records lazily (Parquet files) and hands each
Arrow batch's identifier columns to :func:`feedbackloop.privacy.pseudonymize`;
the other columns pass through untouched, as Arrow. DuckDB streams record
batches; Spark runs ``mapInArrow``. Every record's token is the in-memory
function's, because it is the in-memory function that computes it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

from feedbackloop._util import import_optional
from feedbackloop.engines._connect import Engine, connect, spark_session
from feedbackloop.engines._scan import expand, unify_schemas
from feedbackloop.errors import PseudonymizationError
from feedbackloop.privacy import pseudonymize as _pseudonymize_frame

__all__ = ["pseudonymize"]


def _tokens(
    batch: pa.RecordBatch,
    *,
    fields: Sequence[str],
    key: bytes | str,
    column: str,
    drop: bool,
    dates: Sequence[str],
    date_format: str | None,
    first_row: int | None,
) -> pa.RecordBatch:
    """One batch: the identifiers tokenized in pandas, every other column kept as Arrow."""
    schema = _output_schema(batch.schema, fields, column, drop)
    ids = pa.Table.from_batches([batch]).select(list(fields)).to_pandas()
    try:
        out = _pseudonymize_frame(
            ids, fields, key, column=column, dates=dates, date_format=date_format
        )
    except PseudonymizationError as err:
        where = (
            f"the batch starting at record {first_row} (rows below count from there)"
            if first_row is not None
            else "one of the engine's batches (rows below count within it)"
        )
        raise PseudonymizationError(f"in {where}: {err}") from err
    arrays = [pa.array(out[column].tolist(), type=pa.string())]
    arrays += [batch.column(f.name) for f in schema if f.name != column]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _output_schema(schema: pa.Schema, fields: Sequence[str], column: str, drop: bool) -> pa.Schema:
    kept = [f for f in schema if not (drop and f.name in fields)]
    return pa.schema([pa.field(column, pa.string()), *kept])


def _spark_batches(batches: Iterable[pa.RecordBatch], **kwargs: Any) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        yield _tokens(batch, first_row=None, **kwargs)


def pseudonymize(
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    fields: Sequence[str],
    key: bytes | str,
    out: str | os.PathLike[str],
    *,
    column: str = "token",
    drop: bool = True,
    dates: Sequence[str] = (),
    date_format: str | None = None,
    engine: Engine = "duckdb",
    batch_rows: int = 200_000,
) -> list[str]:
    """Tokenize the identifiers of record-level Parquet files too large for memory.

    The same tokens as :func:`feedbackloop.privacy.pseudonymize` (HMAC-SHA-256
    of the canonical fields under ``key``), computed batch by batch: on DuckDB
    the records stream through as Arrow batches, on Spark each partition runs
    ``mapInArrow``. The token column comes first; the other columns keep their
    Arrow types; the key is never written.

    Parameters
    ----------
    source : str, path or sequence of paths
        A glob, a Parquet file, a folder of them or a list of files.
    fields, key, column, drop, dates, date_format
        As for :func:`feedbackloop.privacy.pseudonymize`.
    out : str or path
        Folder for the tokenized Parquet files (created; anything already in it is deleted).
    engine : {"duckdb", "spark"}
        Where the batches run.
    batch_rows : int
        Records per DuckDB batch (Spark sizes its own Arrow batches).

    Returns
    -------
    list of str
        The Parquet files written, in order; read them with pyarrow or an engine.

    Raises
    ------
    ScanError
        If nothing matches ``source``.
    LinkageKeyError
        For a key that is not bytes/text, empty or too short.
    PseudonymizationError
        For missing identifier columns, an existing output column, or records
        without an identifier (named by their row in the batch and where the
        batch starts).
    """
    files = expand(source)
    schema = unify_schemas(files)
    # Checks fields, dates, the key and the output column once, before any batch runs.
    _pseudonymize_frame(
        schema.empty_table().to_pandas(),
        fields,
        key,
        column=column,
        drop=drop,
        dates=dates,
        date_format=date_format,
    )
    out_schema = _output_schema(schema, fields, column, drop)
    options: dict[str, Any] = {
        "fields": list(fields),
        "key": key,
        "column": column,
        "drop": drop,
        "dates": list(dates),
        "date_format": date_format,
    }
    folder = os.fspath(out)
    os.makedirs(folder, exist_ok=True)
    if engine == "spark":
        return _on_spark(files, folder, out_schema.names, options)
    return _on_duckdb(files, folder, options, batch_rows)


def _on_duckdb(
    files: Sequence[str], folder: str, options: dict[str, Any], batch_rows: int
) -> list[str]:
    con = connect("duckdb")
    reader = con.con.read_parquet(list(files)).to_arrow_reader(batch_rows)
    out_schema = _output_schema(
        reader.schema, options["fields"], options["column"], options["drop"]
    )

    def tokenized() -> Iterator[pa.RecordBatch]:
        first = 0
        for batch in reader:
            yield _tokens(batch, first_row=first, **options)
            first += batch.num_rows

    ds.write_dataset(
        pa.RecordBatchReader.from_batches(out_schema, tokenized()),
        folder,
        format="parquet",
        basename_template="part-{i}.parquet",
        existing_data_behavior="delete_matching",
    )
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".parquet"))


def _on_spark(
    files: Sequence[str], folder: str, names: Sequence[str], options: dict[str, Any]
) -> list[str]:
    session = spark_session()
    frame = session.read.parquet(*files)
    types = {f.name: f for f in frame.schema.fields}
    sql_types = import_optional("pyspark.sql.types", extra="spark", purpose="the spark engine")
    struct = sql_types.StructType(
        [sql_types.StructField(names[0], sql_types.StringType(), True)]
        + [types[name] for name in names[1:]]
    )
    func = functools.partial(_spark_batches, **options)
    frame.mapInArrow(func, struct).write.mode("overwrite").parquet(folder)
    return sorted(
        os.path.join(folder, f)
        for f in os.listdir(folder)
        if f.endswith(".parquet") and not f.startswith(".")
    )
