"""LazySeries: an indicator series held by an engine, built up as one Ibis expression."""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from attrs import evolve, field, frozen

from feedbackloop.engines import _ops
from feedbackloop.engines._connect import batches, connect, engine_of, ibis_module, run
from feedbackloop.engines._maps import from_arrow, map_tables, to_plain
from feedbackloop.engines._scan import (
    backend_table,
    expand,
    is_table,
    template_for,
    unify_schemas,
)
from feedbackloop.errors import NotAdditiveError, SeriesError, StatisticalWarning
from feedbackloop.model import Aggregation, FeedbackLoop, Indicator
from feedbackloop.period import Period
from feedbackloop.privacy import Policy, SuppressionPolicy, export, suppress
from feedbackloop.series import TOTAL, IndicatorSeries, proportion, ratio, ratio_scale

__all__ = ["LazySeries", "lazy", "scan"]

_NAMES = itertools.count()
_FLOATS = ("value", "moe", "numerator", "numerator_moe", "denominator", "denominator_moe", "cv")
_DERIVED = ("estimate", "missing", "not_computable", "suppressed_derived")
#: Codes named in an error.
_SHOWN = 5


def _normalize(ibis: Any, t: Any, template: IndicatorSeries, *, nulls: bool = False) -> Any:
    """Keys and statuses as text, numbers as float64 with NaN as null.

    ``nulls`` says the rows already keep the series contract (missing numbers
    are null, never NaN: files written by ``to_parquet``, in-memory series,
    the map-groups stage), so the per-row NaN test is left out.
    """
    cols: dict[str, Any] = {}
    for name in t.columns:
        col = t[name]
        if name in _FLOATS or name == "n_unweighted":
            col = col.cast("float64")
            if not nulls:
                col = ibis.ifelse(col.isnan(), ibis.null().cast("float64"), col)
        elif name != "indicator":
            col = col.cast("string")
        cols[name] = col
    if "status" not in cols:  # files from elsewhere: a number is an estimate, none is missing
        cols["status"] = ibis.ifelse(cols["value"].isnull(), "missing", "estimate")
    return t.select(**{k: v for k, v in cols.items() if k != "indicator"})


@frozen
class LazySeries:
    """An :class:`~feedbackloop.series.IndicatorSeries` that lives in an engine.

    The same column contract and the same operations where they make sense;
    nothing runs until :meth:`collect`, :meth:`to_parquet` or a method that
    returns a DataFrame (:meth:`disparity`). Made by :func:`feedbackloop.scan`
    or :meth:`IndicatorSeries.lazy`.

    Attributes
    ----------
    expr : ibis.expr.types.Table
        The Ibis expression that computes the rows.
    con : ibis.BaseBackend
        The connection it runs on.
    template : IndicatorSeries
        An empty series with the metadata (indicator, unit, dimensions...).
    engine : str
        ``"duckdb"``, ``"spark"`` or another Ibis backend's name.
    checks : tuple of ibis.expr.types.Table
        Queries listing codes a roll-up cannot place; each runs (and must find
        nothing) before any result of the series is computed.
    fips : bool
        Whether the geographies are codes a FIPS roll-up made from checked
        codes (a further roll-up needs no check).

    .. versionadded:: 0.1.0
    """

    expr: Any
    con: Any
    template: IndicatorSeries
    engine: str
    #: Queries whose rows are codes that cannot be rolled up (run before any result).
    checks: tuple[Any, ...] = field(default=(), repr=False)
    #: Whether every geography is a FIPS code a roll-up made (its inputs checked).
    fips: bool = field(default=False, repr=False)

    # ---------------------------------------------------------------- views

    @property
    def ibis(self) -> Any:
        """The Ibis module (imported on first use)."""
        return ibis_module(self.engine)

    @property
    def indicator(self) -> Indicator:
        """What the values measure."""
        return self.template.indicator

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The disaggregation columns."""
        return self.template.dimensions

    @property
    def keys(self) -> tuple[str, ...]:
        """The key columns: geography, period and the dimensions."""
        return ("geography", "period", *self.dimensions)

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the rows will have (``indicator`` is added at collect)."""
        return tuple(self.expr.columns)

    @property
    def has_moe(self) -> bool:
        """Whether the series carries margins of error."""
        return "moe" in self.expr.columns

    def _with(self, expr: Any) -> LazySeries:
        return evolve(self, expr=expr)

    def __repr__(self) -> str:
        return f"<LazySeries {self.indicator.id!r} on {self.engine}: {', '.join(self.columns)}>"

    # -------------------------------------------------------------- relational

    def filter(self, **where: str | Iterable[str] | Period | int) -> LazySeries:
        """Keep the rows whose key columns match (see :meth:`IndicatorSeries.filter`)."""
        t = self.expr
        for col, want in where.items():
            if col not in self.keys:
                raise SeriesError(
                    f"cannot filter on {col!r}: key columns are " + ", ".join(self.keys)
                )
            wanted = [want] if isinstance(want, str | int | Period) else list(want)
            if col == "period":
                wanted = [str(Period.parse(w)) for w in wanted]
            t = t.filter(t[col].isin([str(w) for w in wanted]))
        return self._with(t)

    def select(self, *columns: str) -> LazySeries:
        """Keep the keys, ``value``, ``status`` and the optional ``columns`` named."""
        unknown = [c for c in columns if c not in self.expr.columns]
        if unknown:
            raise SeriesError(f"no column {unknown[0]!r}; columns: {', '.join(self.expr.columns)}")
        keep = [*self.keys, "value", *(c for c in columns if c not in self.keys), "status"]
        return self._with(self.expr.select(*dict.fromkeys(keep)))

    def _rate_scale(self, what: str) -> float | None:
        rule = self.indicator.effective_aggregation
        names = set(self.expr.columns)
        if rule is Aggregation.SUM:
            return None
        if not {"numerator", "denominator"} <= names:
            raise NotAdditiveError(
                f"cannot {what} indicator {self.indicator.id!r} ({self.template.unit}): its "
                "values are not additive; give the series numerator and denominator columns "
                "so the rate can be recomputed, or set the indicator's aggregation to 'sum'"
            )
        return ratio_scale(self.template.unit)

    def rollup(
        self,
        *,
        to: Literal["county", "state"] | None = None,
        mapping: Mapping[str, str] | None = None,
    ) -> LazySeries:
        """Aggregate to larger geographies with the Census MOE rule (one grouped aggregate).

        See :func:`feedbackloop.series.rollup`; codes that are not FIPS GEOIDs
        (or not in ``mapping``) are reported when the result is collected.
        """
        if (to is None) == (mapping is None):
            raise SeriesError("give exactly one of to='county'|'state' or mapping={code: parent}")
        scale = self._rate_scale("roll up")
        ibis, t = self.ibis, self.expr
        if to is None:
            assert mapping is not None
            t = _ops.mapped_parent(ibis, t, mapping)
            return evolve(
                self, expr=_ops.aggregate(ibis, t, self.keys, rate_scale=scale), fips=False
            )
        if to not in ("county", "state"):
            raise SeriesError(f"to must be 'county' or 'state' (got {to!r})")
        checks = self.checks
        if not self.fips:  # codes a roll-up made from checked codes need no check
            bad = t.filter(_ops.not_fips(ibis, t.geography, to, self.engine))
            checks = (*checks, bad.select("geography"))
        t = t.mutate(geography=_ops.fips_parent(t.geography, to))
        out = _ops.aggregate(ibis, t, self.keys, rate_scale=scale)
        return evolve(self, expr=out, checks=checks, fips=True)

    def _verify(self) -> None:
        """Run the pending code checks; raise for codes a roll-up could not place."""
        for check in self.checks:
            found = run(self.con, check.limit(_SHOWN), "rollup").column("geography")
            _refuse([c.lstrip(_ops.BAD) for c in found.to_pylist()])

    def collapse(self, dimension: str) -> LazySeries:
        """Sum the categories of ``dimension`` into ``TOTAL`` (see :func:`~feedbackloop.series.collapse`)."""  # noqa: E501
        self._check_dimension(dimension)
        if dimension in self.template.non_additive:
            raise NotAdditiveError(
                f"the categories of {dimension!r} overlap, so summing them would count people "
                "twice; use a total published by the source"
            )
        scale = self._rate_scale("collapse")
        t = self.expr.filter(self.expr[dimension] != TOTAL)
        t = t.mutate(**{dimension: self.ibis.literal(TOTAL)})
        return self._with(_ops.aggregate(self.ibis, t, self.keys, rate_scale=scale))

    def reliability(self, caution: float = 30.0, unreliable: float = 40.0) -> LazySeries:
        """Add ``cv`` and ``reliability`` (see :func:`feedbackloop.series.reliability`)."""
        if not self.has_moe:
            raise SeriesError(
                f"series {self.indicator.id!r} has no margins of error, so its reliability "
                "cannot be assessed"
            )
        if not 0 <= caution <= unreliable:
            raise SeriesError(f"need 0 <= caution <= unreliable (got {caution}, {unreliable})")
        return self._with(_ops.reliability(self.ibis, self.expr, caution, unreliable))

    def _check_dimension(self, dimension: str) -> None:
        if dimension not in self.dimensions:
            raise SeriesError(
                f"series {self.indicator.id!r} has no dimension {dimension!r} "
                f"(dimensions: {', '.join(self.dimensions) or 'none'})"
            )

    def disparity(
        self,
        dimension: str,
        reference: str = TOTAL,
        *,
        measure: Literal["ratio", "difference"] = "ratio",
        level: float = 0.90,
    ) -> pd.DataFrame:
        """Compare each category with a reference, collected as :meth:`IndicatorSeries.disparity` makes it.

        The join and every formula run in the engine; the result (one row per
        place, period and non-reference category) comes back as the same
        DataFrame, with the same columns and types, as the in-memory one.
        For results too large for memory, write :meth:`disparity_table` out
        instead.
        """  # noqa: E501
        expr = self.disparity_table(dimension, reference, measure=measure, level=level)
        others = [k for k in self.keys if k != dimension]
        # Sorted by the engine (binary string order, as Arrow and Python sort).
        table = run(self.con, expr.order_by([*others, "group"]), "disparity")
        return _disparity_frame(table, others, reference, measure)

    def disparity_table(
        self,
        dimension: str,
        reference: str = TOTAL,
        *,
        measure: Literal["ratio", "difference"] = "ratio",
        level: float = 0.90,
    ) -> Any:
        """Return :meth:`disparity` as an Ibis table expression, not run.

        The same columns as :meth:`disparity` (keys and ``group`` as text,
        ``significant`` a nullable boolean), unsorted: write it where it is
        computed (``.to_parquet("gaps/")`` on DuckDB streams it to disk),
        join it with other tables of the connection, or run it yourself.

        Raises
        ------
        SeriesError
            For a dimension the series lacks, a reference that is not one of its
            categories (checked with one small query), or an unknown ``measure``.
        """
        self._check_dimension(dimension)
        if measure not in ("ratio", "difference"):
            raise SeriesError(f"measure must be 'ratio' or 'difference' (got {measure!r})")
        self._verify()
        t = self.expr
        probe = run(
            self.con, t.filter(t[dimension] == reference).select("period").limit(1), "disparity"
        )
        if probe.num_rows == 0:
            raise SeriesError(f"reference {reference!r} is not a category of {dimension!r}")
        others = [k for k in self.keys if k != dimension]
        return _ops.disparity(
            self.ibis,
            t,
            others,
            dimension,
            reference,
            measure=measure,
            level=level,
            has_moe=self.has_moe,
        )

    def _aligned(self, other: LazySeries | IndicatorSeries) -> LazySeries:
        """``other`` on this connection (an in-memory series is handed to it)."""
        if isinstance(other, IndicatorSeries):
            return lazy(other, self.engine, con=self.con)
        if other.con is not self.con:
            raise SeriesError(
                f"{other.indicator.id!r} lives on another connection than {self.indicator.id!r}; "
                "scan both with the same con= (or collect one and pass the series)"
            )
        return other

    def _derived(
        self,
        other: LazySeries | IndicatorSeries,
        per: float,
        kind: Literal["proportion", "ratio"],
        indicator: Indicator | None,
    ) -> LazySeries:
        b = self._aligned(other)
        fn = proportion if kind == "proportion" else ratio
        # The in-memory function on one-row stand-ins checks the inputs and makes the metadata.
        one = fn(_one_row(self.template), _one_row(b.template), per, indicator=indicator)
        template = one.with_table(one.table.slice(0, 0))
        has_moe = self.has_moe and b.has_moe
        expr = _ops.derived(
            self.ibis, self.expr, b.expr, self.keys, per=per, kind=kind, has_moe=has_moe
        )
        return LazySeries(
            expr,
            self.con,
            template,
            self.engine,
            checks=(*self.checks, *b.checks),
            fips=self.fips and b.fips,
        )

    def proportion(
        self,
        denominator: LazySeries | IndicatorSeries,
        per: float = 1,
        *,
        indicator: Indicator | None = None,
    ) -> LazySeries:
        """Divide by the universe row by row with the proportion MOE (see :func:`feedbackloop.series.proportion`).

        ``denominator`` is a lazy series on the same connection, or an
        in-memory one (handed to the engine). Rows are outer-aligned: a key in
        only one series gives a ``missing`` row, never a dropped one.
        """  # noqa: E501
        return self._derived(denominator, per, "proportion", indicator)

    def ratio(
        self,
        denominator: LazySeries | IndicatorSeries,
        per: float = 1,
        *,
        indicator: Indicator | None = None,
    ) -> LazySeries:
        """Divide row by row with the ratio MOE (see :func:`feedbackloop.series.ratio`)."""
        return self._derived(denominator, per, "ratio", indicator)

    def _periods_present(self, wanted: Sequence[str]) -> None:
        t = self.expr
        seen = run(
            self.con, t.filter(t.period.isin(list(wanted))).select("period").distinct(), "change"
        )
        have = set(seen.column("period").to_pylist())
        for p in wanted:
            if p not in have:
                every = run(self.con, t.select("period").distinct(), "change").column("period")
                raise SeriesError(
                    f"series {self.indicator.id!r} has no data for period {p}; periods: "
                    + ", ".join(sorted(every.to_pylist()))
                )

    def change(
        self, start: Period | str | int, end: Period | str | int, *, level: float = 0.90
    ) -> pd.DataFrame:
        """Change between two periods, collected as :meth:`IndicatorSeries.change` makes it.

        Differences, percent changes, their MOEs and significance run in the
        engine; overlapping or mixed 1-year/5-year periods warn as in memory.
        """
        p1, p2 = Period.parse(start), Period.parse(end)
        self._verify()
        overlap = _overlap(p1, p2)
        labels = (str(p1), str(p2))
        self._periods_present(labels)
        keys = [k for k in self.keys if k != "period"]
        expr = _ops.change(
            self.ibis, self.expr, keys, labels, overlap=overlap, level=level, has_moe=self.has_moe
        )
        table = run(self.con, expr, "change").sort_by([(k, "ascending") for k in keys])
        df: pd.DataFrame = table.to_pandas()
        df["significant"] = df["significant"].astype("boolean")
        df["status"] = pd.Categorical(df["status"], categories=pd.Index(_DERIVED, dtype="str"))
        return df

    def index_of_disparity(
        self, dimension: str, reference: str = "total", *, weighted: bool = False
    ) -> pd.DataFrame:
        """Pearcy & Keppel's index per place and period (see :meth:`IndicatorSeries.index_of_disparity`)."""  # noqa: E501
        self._check_dimension(dimension)
        self._verify()
        label = TOTAL if reference == "total" else reference
        if weighted and "denominator" not in self.expr.columns:
            raise SeriesError(
                "a weighted index of disparity needs each group's population: give the series "
                "a denominator column"
            )
        t = self.expr
        probe = run(self.con, t.filter(t[dimension] == label).select("period").limit(1), "index")
        if probe.num_rows == 0:
            cats = run(self.con, t.select(dimension).distinct(), "index").column(dimension)
            raise SeriesError(
                f"reference {label!r} is not a category of {dimension!r}; categories: "
                + ", ".join(map(repr, sorted(cats.to_pylist())))
            )
        others = [k for k in self.keys if k != dimension]
        expr = _ops.index_of_disparity(self.ibis, t, others, dimension, label, weighted=weighted)
        table = run(self.con, expr, "index_of_disparity")
        df: pd.DataFrame = table.sort_by([(k, "ascending") for k in others]).to_pandas()
        df["groups"] = df["groups"].astype("int64")
        df["status"] = pd.Categorical(df["status"], categories=pd.Index(_DERIVED, dtype="str"))
        return df

    # --------------------------------------------------------- map-groups stage

    def _table_keys(self, geography_parents: Mapping[str, str] | None) -> list[str]:
        """Return the keys of independent tables: period, and geography unless it has totals."""
        if geography_parents is not None:
            return ["period"]
        t = self.expr
        totals = run(self.con, t.filter(t.geography == TOTAL).select("period").limit(1), "suppress")
        return ["period"] if totals.num_rows else ["period", "geography"]

    def map_tables(self, fn: Any, *, by: Sequence[str]) -> LazySeries:
        """Run ``fn`` (series -> series) on each group of rows sharing ``by`` (whole tables)."""
        self._verify()
        schema = self.expr.schema().to_pyarrow()
        out = map_tables(self.con, self.engine, self.expr, by, self.template, fn, schema)
        return evolve(self, expr=_normalize(self.ibis, out, self.template, nulls=True), checks=())

    def suppress(
        self,
        policy: SuppressionPolicy | None = None,
        *,
        geography_parents: Mapping[str, str] | None = None,
    ) -> LazySeries:
        """Small-cell suppression per independent table (see :func:`feedbackloop.privacy.suppress`).

        Runs as a map-groups stage: identical to the in-memory result, table by table.
        """
        fn = _Suppress(policy, geography_parents)
        return self.map_tables(fn, by=self._table_keys(geography_parents))

    def export(
        self,
        audience: str | None,
        policies: Mapping[str, Mapping[str, Any] | Policy] | None = None,
        *,
        geography_parents: Mapping[str, str] | None = None,
    ) -> LazySeries:
        """Return the series as ``audience`` may see it (:func:`feedbackloop.privacy.export`)."""
        fn = _Export(audience, policies, geography_parents)
        return self.map_tables(fn, by=self._table_keys(geography_parents))

    # ------------------------------------------------------------- results

    def to_arrow(self) -> pa.Table:
        """Run the expression; rows sorted by the keys, as the engine holds them."""
        self._verify()
        table = run(self.con, self.expr, "collect")
        _check_geographies(table)
        return table.sort_by([(k, "ascending") for k in self.keys])

    def collect(self) -> IndicatorSeries:
        """Run the expression and return the in-memory series (rows sorted by the keys)."""
        return from_arrow(self.to_arrow(), self.template)

    def to_parquet(
        self, path: str | os.PathLike[str], *, partition_by: Sequence[str] = ("period",)
    ) -> None:
        """Write the rows as a partitioned Parquet dataset (series metadata in every file).

        The dataset reads back with :func:`feedbackloop.scan`.
        """
        self._verify()
        reader = batches(self.con, self.expr, 1_000_000, "to_parquet")
        meta = self.template.to_arrow().schema.metadata
        schema = reader.schema.with_metadata(meta)

        def checked() -> Iterable[pa.RecordBatch]:
            for batch in reader:
                table = pa.Table.from_batches([batch])
                _check_geographies(table)
                yield from table.replace_schema_metadata(meta).to_batches()

        ds.write_dataset(
            pa.RecordBatchReader.from_batches(schema, checked()),
            os.fspath(path),
            format="parquet",
            partitioning=list(partition_by),
            partitioning_flavor="hive",
            existing_data_behavior="overwrite_or_ignore",
        )


@frozen
class _Suppress:
    policy: SuppressionPolicy | None
    geography_parents: Mapping[str, str] | None

    def __call__(self, series: IndicatorSeries) -> IndicatorSeries:
        return suppress(series, self.policy, geography_parents=self.geography_parents)


@frozen
class _Export:
    audience: str | None
    policies: Mapping[str, Mapping[str, Any] | Policy] | None
    geography_parents: Mapping[str, str] | None

    def __call__(self, series: IndicatorSeries) -> IndicatorSeries:
        return export(
            series, self.audience, self.policies, geography_parents=self.geography_parents
        )


def _one_row(template: IndicatorSeries) -> IndicatorSeries:
    """Return ``template`` with one placeholder row (pandas cannot merge empty Arrow keys)."""
    placeholders = {"period": "2020", "status": "estimate", "indicator": template.indicator.id}
    columns = []
    for f in template.table.schema:
        plain = f.type.value_type if pa.types.is_dictionary(f.type) else f.type
        if pa.types.is_floating(plain) or pa.types.is_integer(plain):
            columns.append(pa.array([1], pa.int64()).cast(f.type))
        else:
            columns.append(pa.array([placeholders.get(f.name, "x")]).cast(f.type))
    return template.with_table(pa.table(columns, schema=template.table.schema))


def _overlap(a: Period, b: Period) -> float:
    """Warn about comparisons Census advises against; return the overlap share C.

    The same warnings as :meth:`IndicatorSeries.change` gives in memory.
    """
    if abs(a.years - b.years) > 0.05:
        warnings.warn(
            f"comparing {a} ({a.years:g} years) with {b} ({b.years:g} years): do not mix "
            "1-year and multi-year estimates in one comparison (domain.md §1.3)",
            StatisticalWarning,
            stacklevel=3,
        )
    if not a.overlaps(b):
        return 0.0
    share = a.overlap_years(b) / a.years
    warnings.warn(
        f"periods {a} and {b} overlap; the Census Bureau now advises comparing only "
        "non-overlapping periods. The test uses the legacy overlap correction "
        f"sqrt(1 − C) with C = {share:.2f} (domain.md §1.3)",
        StatisticalWarning,
        stacklevel=3,
    )
    return min(share, 1.0)


def _check_geographies(table: pa.Table) -> None:
    """Raise for codes a roll-up by ``mapping=`` could not place (marked by the engine)."""
    if "geography" not in table.column_names or table.num_rows == 0:
        return
    bad = pc.starts_with(table.column("geography"), _ops.BAD)
    if pc.any(bad).as_py():
        _refuse([c.lstrip(_ops.BAD) for c in table.filter(bad).column("geography").to_pylist()])


def _refuse(codes: Sequence[str]) -> None:
    """Raise naming codes that cannot be rolled up (nothing to say for none)."""
    if not codes:
        return
    shown = sorted(set(codes))[:_SHOWN]
    raise SeriesError(
        f"cannot roll up: codes {', '.join(map(repr, shown))} are not FIPS GEOIDs that "
        "nest (or have no parent in mapping=); use mapping= for custom geographies and map "
        "every code (nothing is dropped silently)"
    )


def _categorical(
    column: pa.ChunkedArray, extra: Sequence[str] = (), *, labels: Sequence[str] | None = None
) -> pd.Categorical:
    """Return a text column as a categorical (its sorted values, or ``labels``), coded in Arrow."""
    if labels is None:
        labels = sorted(set(pc.unique(column).to_pylist()) | set(extra))
    codes = pc.index_in(column, value_set=pa.array(labels, pa.string()))
    return pd.Categorical.from_codes(
        codes.to_numpy(zero_copy_only=False), categories=pd.Index(list(labels), dtype="str")
    )


def _disparity_frame(
    table: pa.Table, others: Sequence[str], reference: str, measure: str
) -> pd.DataFrame:
    """Turn the engine's rows into the in-memory disparity DataFrame (categoricals)."""
    n = table.num_rows
    constant = np.zeros(n, dtype=np.int8)
    columns: dict[str, Any] = {}
    for c in table.column_names:
        col = table.column(c)
        if c in others:
            columns[c] = _categorical(col)
        elif c == "group":
            columns[c] = _categorical(col, [reference])
        elif c in ("reference", "measure"):
            value = reference if c == "reference" else measure
            columns[c] = pd.Categorical.from_codes(constant, categories=pd.Index([value]))
        elif c == "significant":
            values = pc.fill_null(col, False).to_numpy(zero_copy_only=False)
            mask = pc.is_null(col).to_numpy(zero_copy_only=False)
            columns[c] = pd.arrays.BooleanArray(values.astype(bool), mask.astype(bool))
        elif c == "status":
            columns[c] = _categorical(col, labels=_DERIVED)
        else:
            columns[c] = col.cast(pa.float64()).to_numpy()
    return pd.DataFrame(columns, index=pd.RangeIndex(n))


def _indicator(indicator: Indicator | str | None, loop: FeedbackLoop | None) -> Indicator | None:
    if isinstance(indicator, str):
        if loop is None:
            raise SeriesError(f"indicator={indicator!r} is an id: pass loop= to look it up")
        return loop.indicator(indicator)
    return indicator


def scan(
    source: Any,
    *,
    indicator: Indicator | str | None = None,
    loop: FeedbackLoop | None = None,
    engine: str = "duckdb",
    con: Any = None,
    unit: str | None = None,
    dimensions: Sequence[str] | None = None,
    memory_limit: str | None = None,
    temp_directory: str | None = None,
    spark: Any = None,
) -> LazySeries:
    """Scan a pooled dataset (Parquet files, or a table of an Ibis connection) lazily.

    Parameters
    ----------
    source : str, path, list of paths, or ibis Table
        A glob (``"pooled/*.parquet"``), a file, a folder (every ``*.parquet``
        below it, e.g. a partitioned dataset), a list of files, or a table of
        an Ibis connection (Postgres, Trino, BigQuery...).
    indicator : Indicator or str, optional
        What the values measure, or the id of an indicator of ``loop``;
        default: the metadata the files carry (written by ``to_parquet``).
    loop : FeedbackLoop, optional
        Where to look ``indicator`` up when it is an id.
    engine : {"duckdb", "spark"}
    con : ibis connection, optional
        Run on this connection instead of a new one. Scanning files without
        feedbackloop metadata turns DuckDB's ``statistics_propagation``
        optimizer off on it: Parquet statistics leave NaN out, and with them
        DuckDB would not see a NaN value (read as missing).
    unit, dimensions : optional
        For files without metadata (default: the indicator's unit; every
        column not in the contract).
    memory_limit, temp_directory : str, optional
        DuckDB's memory limit (``"4GB"``) and where it spills.
    spark : pyspark.sql.SparkSession, optional
        Your own session (default: a local one, ``local[2]``).

    Returns
    -------
    LazySeries

    Raises
    ------
    ScanError
        A glob that matches nothing; files whose columns or types disagree
        (the file and the column are named).
    MissingDependencyError
        The engine's extra (``feedbackloop[duckdb]``, ``feedbackloop[spark]``) is missing.
    """
    ind = _indicator(indicator, loop)
    if is_table(source):
        con = source.get_backend()
        schema = source.schema().to_pyarrow()
        template = template_for(schema, ind, unit=unit, dimensions=dimensions, where="table")
        name = engine_of(con)
        ibis = ibis_module(name if name in ("duckdb", "spark") else "duckdb")
        return LazySeries(_normalize(ibis, source, template), con, template, name)
    files = expand(source)
    schema = unify_schemas(files)
    template = template_for(schema, ind, unit=unit, dimensions=dimensions, where=files[0])
    if con is None:
        con = connect(engine, memory_limit=memory_limit, temp_directory=temp_directory, spark=spark)
    engine = engine_of(con)
    t = backend_table(con, engine, files, f"feedbackloop_scan_{next(_NAMES)}_{os.getpid()}")
    # Files written by to_parquet (they carry the metadata) keep nulls, never NaN.
    written = bool(schema.metadata and b"feedbackloop" in schema.metadata)
    if not written and engine == "duckdb":
        # Parquet statistics leave NaN out, and DuckDB 2 then folds isnan() to false on
        # rows that hold NaN: without that optimizer, NaN is found (and read as missing).
        con.con.execute("SET disabled_optimizers = 'statistics_propagation'")
    expr = _normalize(ibis_module(engine), t, template, nulls=written)
    return LazySeries(expr, con, template, engine)


def lazy(
    series: IndicatorSeries, engine: str = "duckdb", *, con: Any = None, spark: Any = None
) -> LazySeries:
    """Hand an in-memory series to an engine (see :meth:`IndicatorSeries.lazy`)."""
    if con is None:
        con = connect(engine, spark=spark)
    engine = engine_of(con)
    ibis = ibis_module(engine)
    plain = to_plain(series).drop_columns(["indicator"])
    template = series.with_table(series.table.slice(0, 0))
    if engine == "spark":
        name = f"feedbackloop_series_{next(_NAMES)}_{os.getpid()}"
        con._session.createDataFrame(plain).createOrReplaceTempView(name)
        t = con.table(name)
    else:
        t = ibis.memtable(plain)
    return LazySeries(_normalize(ibis, t, template, nulls=True), con, template, engine)
