"""RBA performance measures from record-level files too large for memory.

:func:`from_records` is :func:`feedbackloop.measures.from_records` run by an
engine: the records are checked and counted in SQL (distinct clients per cell,
every margin), and the result is a :class:`LazySeries` of cells, small enough
for the map-groups stage that protects it (``.suppress()``, ``.export()``).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from feedbackloop.engines._connect import connect, engine_of, ibis_module, quiet_ibis, run
from feedbackloop.engines._lazy import LazySeries, _normalize
from feedbackloop.engines._scan import backend_table, expand, is_table, unify_schemas
from feedbackloop.errors import PeriodError, Problem, SeriesValidationError
from feedbackloop.measures import FLAG_WORDS, MEASURES, Measure, measure_indicator
from feedbackloop.model import Indicator
from feedbackloop.period import Period
from feedbackloop.series import TOTAL, IndicatorSeries, Provenance, Status

__all__ = ["from_records"]

_NAMES = itertools.count()
#: Rows located (file and row) for each problem found, as the in-memory check lists 8.
_EXAMPLES = 8


def from_records(
    source: Any,
    measure: Measure = "served",
    *,
    program: str = "program",
    indicator: Indicator | None = None,
    client: str | None = None,
    period: str = "period",
    geography: str | None = None,
    dimensions: Sequence[str] = (),
    completed: str = "completed",
    better_off: str = "better_off",
    geography_total: bool = False,
    sensitive: bool = True,
    engine: str = "duckdb",
    con: Any = None,
    memory_limit: str | None = None,
    temp_directory: str | None = None,
    spark: Any = None,
) -> LazySeries:
    """Aggregate record-level files into one RBA performance measure, in an engine.

    The same cells, counts, percentages and statuses as
    :func:`feedbackloop.measures.from_records` (each client counted once per
    cell, completed or better off if any of its records is; every margin
    computed from the records, domain.md §5), computed where the records are:
    one grouped aggregate per client and cell, then one per combination of
    totalled axes. The records never come into memory; the cells (one row per
    place, period and combination of categories) stay in the engine as a
    :class:`LazySeries`, ready for ``.suppress()`` / ``.export(audience)``,
    which protect each table in the map-groups stage.

    Parameters
    ----------
    source : str, path, list of paths, or ibis Table
        Parquet files of records (a glob, a file, a folder or a list), or a
        table of an Ibis connection.
    measure, program, indicator, client, period, geography, dimensions, completed, better_off, geography_total, sensitive
        As for :func:`feedbackloop.measures.from_records`. ``period`` may hold
        labels (``2024``, ``"FY2024"``: each distinct label is parsed once) or
        dates and timestamps (binned to calendar years).
    engine : {"duckdb", "spark"}
    con : ibis connection, optional
        Run on this connection instead of a new one.
    memory_limit, temp_directory : str, optional
        DuckDB's memory limit (``"4GB"``) and where it spills.
    spark : pyspark.sql.SparkSession, optional
        Your own session (default: a local one, ``local[2]``).

    Returns
    -------
    LazySeries
        With ``numerator`` and ``denominator`` for the percentages; marked
        ``sensitive`` unless told otherwise.

    Raises
    ------
    SeriesValidationError
        Listing every problem with the records, as the in-memory function
        does: missing columns, records without a category, place, client or
        period, flags that are not true/false, and a missing ``completed``.
        On DuckDB the first records with each problem are named by file and
        row (counting from 0 within the file).
    ScanError
        A glob that matches nothing; files whose columns or types disagree.
    MissingDependencyError
        The engine's extra (``feedbackloop[duckdb]``, ``feedbackloop[spark]``) is missing.

    Examples
    --------
    >>> import os, tempfile
    >>> import pandas as pd
    >>> from feedbackloop.engines import from_records
    >>> path = os.path.join(tempfile.mkdtemp(), "records.parquet")
    >>> pd.DataFrame({"client": ["a", "a", "b", "c"], "period": 2024,
    ...               "sex": ["F", "F", "M", "F"],
    ...               "completed": [False, True, False, True]}).to_parquet(path)
    >>> lazy = from_records(path, "completed", program="tutoring", client="client",
    ...                     dimensions=["sex"])
    >>> lazy.collect().frame[["sex", "value", "numerator", "denominator"]]
           sex  value  numerator  denominator
    0  (total)   66.7        2.0          3.0
    1        F  100.0        2.0          2.0
    2        M    0.0        0.0          1.0

    .. versionadded:: 0.2.0
    """  # noqa: E501
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)} (got {measure!r})")
    ind = measure_indicator(program, measure) if indicator is None else indicator
    dims = list(dimensions)
    flag_column = {"completed": completed, "better_off": better_off}.get(measure)
    t, con, files = _open(source, engine, con, memory_limit, temp_directory, spark)
    engine = engine_of(con)
    ibis = ibis_module(engine)
    schema = t.schema().to_pyarrow()
    names = [n for n in schema.names if not n.startswith("__fl_")]
    needed = [period, *dims, geography, client, flag_column]
    missing = [
        Problem(c, "column not found; columns are: " + ", ".join(names))
        for c in needed
        if c is not None and c not in names
    ]
    if missing:
        raise SeriesValidationError(ind.id, missing)
    work, problems = _work(
        ibis,
        con,
        t,
        schema,
        ind,
        measure,
        client=client,
        period=period,
        geography=geography,
        dims=dims,
        flag_column=flag_column,
    )
    if problems:
        raise SeriesValidationError(ind.id, problems)
    axes = dims + (["geography"] if geography is not None and geography_total else [])
    keys = ["geography", "period", *dims]
    cells = _count_cells(ibis, work, keys, axes, by_client=client is not None)
    expr = _measure(ibis, cells, measure, keys)
    prov = Provenance(
        adapter="records",
        source=files[0] if len(files) == 1 else f"{len(files)} files: {files[0]}, ...",
        options={"measure": measure, "engine": engine},
    )
    template = IndicatorSeries(
        indicator=ind,
        table=_empty(dims, measure),
        unit=ind.unit,
        dimensions=dims,
        provenance=prov,
        sensitive=sensitive,
    )
    return LazySeries(_normalize(ibis, expr, template, nulls=True), con, template, engine)


def _open(
    source: Any,
    engine: str,
    con: Any,
    memory_limit: str | None,
    temp_directory: str | None,
    spark: Any,
) -> tuple[Any, Any, list[str]]:
    """Open the records as an Ibis table (on DuckDB with each record's file and row)."""
    if is_table(source):
        return source, source.get_backend(), ["table"]
    files = expand(source)
    unify_schemas(files)
    if con is None:
        con = connect(engine, memory_limit=memory_limit, temp_directory=temp_directory, spark=spark)
    name = f"feedbackloop_records_{next(_NAMES)}_{os.getpid()}"
    if engine_of(con) == "duckdb":
        # Where each record is, for error messages; DuckDB reads these only when asked.
        rel = con.con.read_parquet(list(files), filename=True, file_row_number=True)
        located = rel.select(
            "* EXCLUDE (filename, file_row_number), "
            "filename AS __fl_file, file_row_number AS __fl_row"
        )
        located.create_view(name)
        with quiet_ibis():
            return con.table(name), con, files
    return backend_table(con, engine_of(con), files, name), con, files


def _text(ibis: Any, col: Any, arrow_type: pa.DataType) -> Any:
    """Write a key column as text, as pandas' ``astype(str)`` writes it."""
    if pa.types.is_boolean(arrow_type):
        return ibis.ifelse(col, "True", "False")
    return col.cast("string")


def _flag(ibis: Any, col: Any, arrow_type: pa.DataType) -> Any:
    """1.0 / 0.0 / null from booleans, 0/1 or yes/no text; -1.0 for anything else."""
    nullf = ibis.null().cast("float64")
    if pa.types.is_boolean(arrow_type):
        return col.cast("float64")
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type):
        x = col.cast("float64")
        if pa.types.is_floating(arrow_type):
            x = ibis.ifelse(x.isnan(), nullf, x)
        return ibis.cases((x.isnull(), nullf), (x == 0, 0.0), (x == 1, 1.0), else_=-1.0)
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        word = col.strip().lower()
        truth = [w for w, v in FLAG_WORDS.items() if v == 1.0]
        false = [w for w, v in FLAG_WORDS.items() if v == 0.0]
        return ibis.cases(
            (col.isnull(), nullf),
            (word.isin(truth), 1.0),
            (word.isin(false), 0.0),
            else_=-1.0,
        )
    return ibis.ifelse(col.isnull(), nullf, ibis.literal(-1.0))


def _period_map(ibis: Any, con: Any, t: Any, column: str, problems: list[Problem]) -> Any:
    """Parse each distinct period label once; return raw value -> label as a table."""
    distinct = run(con, t.group_by(column).aggregate(__n=t.count()), "from_records")
    raws = distinct.column(column)
    labels: list[str | None] = []
    for raw, n in zip(raws.to_pylist(), distinct.column("__n").to_pylist(), strict=True):
        try:
            labels.append(str(Period.parse(raw)))
        except (PeriodError, TypeError) as err:
            labels.append(None)
            what = "no period" if raw is None else f"{raw!r}"
            problems.append(Problem(column, f"{n} records have {what}: {err}"))
    table = pa.table(
        {"__fl_raw": raws.combine_chunks(), "__fl_label": pa.array(labels, pa.string())}
    )
    return ibis.memtable(table)


def _work(
    ibis: Any,
    con: Any,
    t: Any,
    schema: pa.Schema,
    ind: Indicator,
    measure: Measure,
    *,
    client: str | None,
    period: str,
    geography: str | None,
    dims: list[str],
    flag_column: str | None,
) -> tuple[Any, list[Problem]]:
    """Return the records as keys, a client id and a 1/0/null flag, and every problem found.

    Reads the records twice before any counting: once for the distinct
    period labels, once for one row of problem counts.
    """
    problems: list[Problem] = []
    ptype = schema.field(period).type
    dated = pa.types.is_timestamp(ptype) or pa.types.is_date(ptype)
    src = t
    if not dated:
        periods = _period_map(ibis, con, t, period, problems)
        src = t.left_join(periods, t[period] == periods.__fl_raw)
    cols: dict[str, Any] = {
        "period": src[period].year().cast("string") if dated else src.__fl_label,
        "geography": ibis.literal(TOTAL)
        if geography is None
        else _text(ibis, src[geography], schema.field(geography).type),
    }
    for d in dims:
        cols[d] = _text(ibis, src[d], schema.field(d).type)
    if client is not None:
        cols["__client"] = src[client].cast("string")
    cols["__flag"] = (
        ibis.literal(1.0)
        if flag_column is None
        else _flag(ibis, src[flag_column], schema.field(flag_column).type)
    )
    conditions = _conditions(
        ibis,
        t,
        schema,
        measure,
        client=client,
        period=period if dated else None,
        geography=geography,
        dims=dims,
        flag_column=flag_column,
    )
    checks = {"__records": t.count()}
    checks.update({name: cond.cast("int64").sum() for name, (_, cond, _) in conditions.items()})
    counts = run(con, t.aggregate(**checks), "from_records")
    row = {k: counts.column(k)[0].as_py() for k in counts.column_names}
    if not row["__records"]:
        problems.append(Problem("", "there are no records"))
    for name, (column, cond, message) in conditions.items():
        n = row.get(name) or 0
        if n:
            problems.append(Problem(column, f"{n} records {message}{_where(con, t, cond)}"))
    return src.select(**cols), problems


def _conditions(
    ibis: Any,
    t: Any,
    schema: pa.Schema,
    measure: Measure,
    *,
    client: str | None,
    period: str | None,
    geography: str | None,
    dims: list[str],
    flag_column: str | None,
) -> dict[str, tuple[str, Any, str]]:
    """List what makes a record unusable: check -> (its column, the condition, what to say)."""
    out: dict[str, tuple[str, Any, str]] = {}
    for i, c in enumerate([*dims, *([geography] if geography is not None else [])]):
        out[f"__null_{i}"] = (
            c,
            t[c].isnull(),
            (
                "have no value; give them a category such as 'Unknown' (dropping them would "
                "undercount)"
            ),
        )
    if client is not None:
        out["__null_client"] = (client, t[client].isnull(), "have no client id")
    if period is not None:
        out["__null_period"] = (period, t[period].isnull(), "have no date")
    if flag_column is not None:
        flag = _flag(ibis, t[flag_column], schema.field(flag_column).type)
        out["__bad_flag"] = (
            flag_column,
            flag == -1.0,
            "are not true/false; use booleans, 0/1 or yes/no",
        )
        if measure == "completed":
            out["__null_flag"] = (
                flag_column,
                flag.isnull(),
                (
                    "are missing; record whether each client completed (e.g. fill blanks "
                    "with False if blank means no)"
                ),
            )
    return out


def _where(con: Any, t: Any, cond: Any) -> str:
    """Name the first records matching ``cond`` by file and row (DuckDB), or nothing."""
    if "__fl_file" not in t.columns:
        return ""
    found = run(
        con, t.filter(cond).select("__fl_file", "__fl_row").limit(_EXAMPLES), "from_records"
    )
    places = [
        f"{os.path.basename(f)} row {r}"
        for f, r in zip(
            found.column("__fl_file").to_pylist(), found.column("__fl_row").to_pylist(), strict=True
        )
    ]
    return f" (first: {', '.join(places)})" if places else ""


def _count_cells(ibis: Any, work: Any, keys: list[str], axes: list[str], *, by_client: bool) -> Any:
    """Clients in every cell and every margin: ``served``, ``hits`` (flagged), ``assessed``.

    With a client column, clients are made distinct per cell first (a client
    is flagged if any of its records is); each margin regroups those
    client-cells, so a client in two cells counts once in their total.
    """
    if by_client:
        work = work.group_by([*keys, "__client"]).aggregate(__flag=work.__flag.max())
    parts = []
    for r in range(len(axes) + 1):
        for totalled in itertools.combinations(axes, r):
            view = work.mutate(**{a: ibis.literal(TOTAL) for a in totalled}) if totalled else work
            if by_client and totalled:
                view = view.group_by([*keys, "__client"]).aggregate(__flag=view.__flag.max())
            parts.append(
                view.group_by(keys).aggregate(
                    served=view.count(),
                    hits=view.__flag.sum().fill_null(0.0),
                    assessed=view.__flag.count(),
                )
            )
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def _round1(ibis: Any, x: Any) -> Any:
    """``numpy.round(x, 1)``: ``rint(10 x) / 10`` with ties to even, as the in-memory value."""
    y = x * 10.0
    f = y.floor().cast("float64")
    d = y - f
    tie = f + (f - (f / 2.0).floor().cast("float64") * 2.0)
    return ibis.cases((d > 0.5, f + 1.0), (d < 0.5, f), else_=tie) / 10.0


def _measure(ibis: Any, cells: Any, measure: Measure, keys: list[str]) -> Any:
    """Turn counts into the measure: clients served, or a percentage with its counts."""
    if measure == "served":
        return cells.select(
            *keys, value=cells.served.cast("float64"), status=ibis.literal(Status.ESTIMATE.value)
        )
    den = (cells.served if measure == "completed" else cells.assessed).cast("float64")
    num = cells.hits.cast("float64")
    nullf = ibis.null().cast("float64")
    value = ibis.ifelse(
        den > 0, _round1(ibis, (100.0 * num) / ibis.ifelse(den > 0, den, nullf)), nullf
    )
    status = ibis.ifelse(den > 0, Status.ESTIMATE.value, Status.NOT_COMPUTABLE.value)
    return cells.select(*keys, value=value, numerator=num, denominator=den, status=status)


def _empty(dims: list[str], measure: Measure) -> pa.Table:
    columns: dict[str, pa.Array] = {
        n: pa.array([], pa.string()) for n in ("geography", "period", *dims)
    }
    columns["value"] = pa.array([], pa.float64())
    if measure != "served":
        columns["numerator"] = pa.array([], pa.float64())
        columns["denominator"] = pa.array([], pa.float64())
    return pa.table(columns)
