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

import atexit
import collections
import concurrent.futures
import functools
import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
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
#: Rows read from the engine at once.
CHUNK_ROWS = 500_000
#: Rows handed to the in-memory function at once (whole groups, never split); runs of
#: this size go to a pool of threads when there are several.
POOL_ROWS = 2_000


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


def _workers() -> int:
    """Count the threads for the map-groups stage: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _chunks(reader: Any, by: Sequence[str], rows: int) -> Iterator[pa.Table]:
    """Cut a stream sorted by ``by`` into runs of whole groups of about ``rows`` rows."""
    buffer: pa.Table | None = None
    for batch in reader:
        if batch.num_rows == 0:
            continue
        piece = pa.Table.from_batches([batch])
        buffer = piece if buffer is None else pa.concat_tables([buffer, piece])
        while buffer.num_rows >= rows:
            cut = _split_last_group(buffer.slice(0, rows), by)
            if cut <= 0:  # the first group is longer than rows: cut after it
                cut = _split_last_group(buffer, by)
            if cut <= 0:
                break  # one group fills the buffer: read on until it ends
            yield buffer.slice(0, cut)
            buffer = buffer.slice(cut)
    if buffer is not None and buffer.num_rows:
        yield buffer


def _duckdb_stream(
    con: Any, expr: Any, by: Sequence[str], template: IndicatorSeries, fn: TableFunction
) -> str:
    """Sort by ``by``, stream batches, run ``fn`` on runs of whole groups; write Parquet.

    With more than one core and more than one run of groups, the runs go to
    a pool of threads (the tables are independent, and the suppression audit's
    solver, HiGHS, releases the GIL while it solves); results are written in
    the input's order, so the output does not depend on the pool.
    """
    folder = tempfile.mkdtemp(prefix="feedbackloop-map-")
    atexit.register(shutil.rmtree, folder, True)  # DuckDB reads the file until then
    path = os.path.join(folder, "part-0.parquet")
    reader = batches(con, expr.order_by(list(by)), CHUNK_ROWS, "map-groups")
    writer: pq.ParquetWriter | None = None

    def write(out: pa.Table) -> None:
        nonlocal writer
        if writer is None:
            writer = pq.ParquetWriter(path, out.schema)
        writer.write_table(out.cast(writer.schema))

    chunks = _chunks(reader, by, POOL_ROWS)
    head = list(itertools.islice(chunks, 2))
    workers = _workers()
    if len(head) < 2 or workers == 1:
        for chunk in itertools.chain(head, chunks):
            write(_apply(chunk, template, fn))
    else:
        _pooled(itertools.chain(head, chunks), template, fn, workers, write)
    if writer is None:  # no rows at all: the input's (empty) shape
        pq.write_table(to_plain(template), path)
    else:
        writer.close()
    return path


def _pooled(
    chunks: Iterable[pa.Table],
    template: IndicatorSeries,
    fn: TableFunction,
    workers: int,
    write: Callable[[pa.Table], None],
) -> None:
    """Apply ``fn`` to each chunk on ``workers`` threads, writing results in order."""
    pending: collections.deque[concurrent.futures.Future[pa.Table]] = collections.deque()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for chunk in chunks:
            pending.append(pool.submit(_apply, chunk, template, fn))
            while len(pending) > 2 * workers:  # bounded memory: a few chunks in flight
                write(pending.popleft().result())
        while pending:
            write(pending.popleft().result())


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
