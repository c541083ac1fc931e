"""The map-groups stage: what is not relational, run per independent table on each engine.

Complementary suppression (and an audience's export) works on whole tables: each
indicator x period is one (and each geography too, unless geography totals are
published), see :func:`feedbackloop.privacy.suppress`. Rows are grouped by
those keys, each group is made an :class:`~feedbackloop.series.IndicatorSeries`
and handed to the in-memory function, and the results are the new dataset.
DuckDB streams Arrow batches sorted by the group key; Spark runs
``applyInPandas`` on each group.
"""

from __future__ import annotations

import functools
import itertools
import os
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from feedbackloop.engines._connect import batches, quiet_ibis, spark_frame
from feedbackloop.series import IndicatorSeries, assemble

__all__ = ["TableFunction", "from_arrow", "map_tables", "to_plain"]

TableFunction = Callable[[IndicatorSeries], IndicatorSeries]

_NUMERIC = ("value", "moe", "numerator", "numerator_moe", "denominator", "denominator_moe")
_COUNTER = itertools.count()
#: Rows handed to the in-memory function at once (whole groups, never split).
CHUNK_ROWS = 500_000


def from_arrow(table: pa.Table, template: IndicatorSeries) -> IndicatorSeries:
    """Make a series with ``template``'s metadata from a plain engine table (status as text)."""
    wanted = [
        c
        for c in ("geography", "period", *template.dimensions, *_NUMERIC, "n_unweighted", "cv")
        if c in table.column_names
    ]
    columns: dict[str, Any] = {c: table.column(c) for c in wanted}
    if "reliability" in table.column_names:
        columns["reliability"] = table.column("reliability").cast(pa.string())
    status = table.column("status").cast(pa.string())
    return assemble(
        columns,
        indicator=template.indicator,
        status=status.combine_chunks() if status.num_chunks != 1 else status.chunk(0),
        unit=template.unit,
        dimensions=template.dimensions,
        provenance=template.provenance,
        non_additive=template.non_additive,
        sensitive=template.sensitive,
    )


def to_plain(series: IndicatorSeries) -> pa.Table:
    """Return a series' table as engines hold it: text, not dictionaries; no metadata."""
    table = series.table
    cols = []
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_dictionary(col.type):
            col = col.cast(pa.string())
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def _apply(chunk: pa.Table, template: IndicatorSeries, fn: TableFunction) -> pa.Table:
    return to_plain(fn(from_arrow(chunk, template)))


def _split_last_group(buffer: pa.Table, by: Sequence[str]) -> int:
    """Where the last (possibly unfinished) group of a buffer sorted by ``by`` starts."""
    mask = None
    for c in by:
        last = buffer.column(c)[-1]
        eq = pc.equal(buffer.column(c), last)
        mask = eq if mask is None else pc.and_(mask, eq)
    assert mask is not None
    equal: int = pc.sum(mask).as_py() or 0
    return int(buffer.num_rows) - equal


def _duckdb_stream(
    con: Any, expr: Any, by: Sequence[str], template: IndicatorSeries, fn: TableFunction
) -> str:
    """Sort by ``by``, stream batches, run ``fn`` on runs of whole groups; write Parquet."""
    folder = tempfile.mkdtemp(prefix="feedbackloop-map-")
    path = os.path.join(folder, "part-0.parquet")
    reader = batches(con, expr.order_by(list(by)), CHUNK_ROWS, "map-groups")
    writer: pq.ParquetWriter | None = None
    buffer: pa.Table | None = None

    def emit(part: pa.Table) -> None:
        nonlocal writer
        out = _apply(part, template, fn)
        if writer is None:
            writer = pq.ParquetWriter(path, out.schema)
        writer.write_table(out.cast(writer.schema))

    for batch in reader:
        if batch.num_rows == 0:
            continue
        piece = pa.Table.from_batches([batch])
        buffer = piece if buffer is None else pa.concat_tables([buffer, piece])
        if buffer.num_rows >= CHUNK_ROWS:
            cut = _split_last_group(buffer, by)
            if cut > 0:
                emit(buffer.slice(0, cut))
                buffer = buffer.slice(cut)
    if buffer is not None and buffer.num_rows:
        emit(buffer)
    if writer is None:  # no rows at all: the input's (empty) shape
        empty = to_plain(template)
        pq.write_table(empty, path)
    else:
        writer.close()
    return path


def _pandas_group(
    frame: pd.DataFrame, *, template: IndicatorSeries, fn: TableFunction, schema: pa.Schema
) -> pd.DataFrame:
    """One Spark group: pandas in, the function applied, pandas out in ``schema``."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    out = _apply(table, template, fn)
    out = out.select(schema.names).cast(schema)
    result: pd.DataFrame = out.to_pandas()
    return result


def _spark_groups(
    con: Any,
    expr: Any,
    by: Sequence[str],
    template: IndicatorSeries,
    fn: TableFunction,
    schema: pa.Schema,
) -> Any:
    """``applyInPandas`` per group; the result registered as a temporary view."""
    frame = spark_frame(con, expr)
    ddl = ", ".join(f"`{f.name}` {_spark_type(f.type)}" for f in schema)
    func = functools.partial(_pandas_group, template=template, fn=fn, schema=schema)
    out = frame.groupBy(*by).applyInPandas(func, schema=ddl)
    name = f"feedbackloop_map_{next(_COUNTER)}_{os.getpid()}"
    out.createOrReplaceTempView(name)
    return con.table(name)


def _spark_type(t: pa.DataType) -> str:
    if pa.types.is_floating(t):
        return "double"
    if pa.types.is_integer(t):
        return "bigint"
    if pa.types.is_boolean(t):
        return "boolean"
    return "string"


def map_tables(
    con: Any,
    engine: str,
    expr: Any,
    by: Sequence[str],
    template: IndicatorSeries,
    fn: TableFunction,
    schema: pa.Schema,
) -> Any:
    """Run ``fn`` on every group of rows sharing ``by``; return the result as an Ibis table."""
    if engine == "spark":
        return _spark_groups(con, expr, by, template, fn, schema)
    path = _duckdb_stream(con, expr, by, template, fn)
    with quiet_ibis():
        return con.read_parquet(path, table_name=f"feedbackloop_map_{next(_COUNTER)}")
