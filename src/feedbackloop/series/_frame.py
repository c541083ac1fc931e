"""IndicatorSeries: disaggregated indicator data in long form, on Arrow."""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from attrs import evolve, field, frozen

from feedbackloop._util import atomic_path, str_tuple
from feedbackloop.errors import Problem, SeriesError, SeriesValidationError
from feedbackloop.model import Indicator, indicator_from_dict, indicator_to_dict
from feedbackloop.period import Period
from feedbackloop.series import _aggregate, _compare, _targets
from feedbackloop.series._assemble import series_table
from feedbackloop.series._checks import check_frame, check_unit
from feedbackloop.series._columns import (
    COLUMNS,
    DENOMINATOR,
    DENOMINATOR_MOE,
    GEOGRAPHY,
    INDICATOR,
    MOE,
    NUMERATOR,
    NUMERATOR_MOE,
    PERIOD,
    STATUS,
    VALUE,
)
from feedbackloop.series._groupby import Factor, factorize_many
from feedbackloop.series._provenance import Provenance
from feedbackloop.series._status import TOTAL
from feedbackloop.units import conversion_factor

if TYPE_CHECKING:
    from feedbackloop.model import Target
    from feedbackloop.privacy import Policy, SuppressionPolicy

__all__ = [
    "COLUMNS",
    "IndicatorSeries",
    "Provenance",
    "assemble",
    "read_parquet",
]

_META_KEY = b"feedbackloop"
_FORMAT_VERSION = 1


@frozen(kw_only=True, eq=False)
class IndicatorSeries:
    """Disaggregated values of one indicator, with margins of error and row status.

    The data is an Arrow table in long ("tidy") form, one row per geography ×
    period × disaggregation category:

    ``indicator``, ``geography`` (GEOID or other place code, always text),
    ``period`` (a canonical :class:`~feedbackloop.Period` label), one column per
    dimension (``race``, ``sex``...; :data:`~feedbackloop.TOTAL` means "all
    categories"), ``value``, and optionally ``moe`` (90% margin of error),
    ``numerator``/``denominator`` (with ``numerator_moe``/``denominator_moe``),
    ``cv``/``reliability`` (from :meth:`reliability`) and ``status``
    (:class:`~feedbackloop.Status`).

    Build one with :meth:`from_frame` (which validates everything) or
    :meth:`from_arrow`; the object is immutable and every operation returns a
    new series or a :class:`pandas.DataFrame`.

    Attributes
    ----------
    indicator : Indicator
        What the values measure.
    unit : str
        The unit of ``value`` and ``moe`` (defaults to the indicator's unit).
    dimensions : tuple of str
        The disaggregation columns.
    provenance : Provenance or None
        Where the data came from.
    non_additive : tuple of str
        Dimensions whose categories overlap (e.g. Census race iterations, where
        "White alone, not Hispanic" is inside "White alone"): never summed.
    sensitive : bool
        Whether exporting the series requires an audience (privacy policy).

    .. versionadded:: 0.1.0
    """

    indicator: Indicator
    table: pa.Table = field(repr=False)
    unit: str
    dimensions: tuple[str, ...] = field(default=(), converter=str_tuple)
    provenance: Provenance | None = None
    non_additive: tuple[str, ...] = field(default=(), converter=str_tuple)
    sensitive: bool = False
    # Sorted factor codes of key columns, computed once (the table is immutable).
    _factors: dict[str, Factor] = field(factory=dict, init=False, repr=False)

    # ----------------------------------------------------------- construction

    # Over 80 lines only for its 16 documented keywords; the body is four steps: name
    # the columns, check_frame (every problem at once), series_table, the series.
    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        indicator: Indicator,
        unit: str | None = None,
        value: str = VALUE,
        moe: str | None = None,
        geography: str | None = None,
        period: str | None = None,
        dimensions: Sequence[str] = (),
        numerator: str | None = None,
        denominator: str | None = None,
        numerator_moe: str | None = None,
        denominator_moe: str | None = None,
        status: str | None = None,
        provenance: Provenance | None = None,
        non_additive: Sequence[str] = (),
        sensitive: bool = False,
    ) -> IndicatorSeries:
        """Build a validated series from a pandas DataFrame.

        Every problem is collected and raised together: missing columns, values
        that are not numbers (with their row numbers), negative margins of
        error, unknown statuses, suppressed rows that still carry a value,
        period labels that do not parse, geography codes stored as numbers,
        empty dimension values, duplicate keys and unknown units. Nothing is
        silently dropped or coerced.

        Parameters
        ----------
        df : pandas.DataFrame
            The data, one row per key.
        indicator : Indicator
            What the values measure.
        unit : str, optional
            Unit of the values (default: the indicator's unit).
        value, moe, geography, period, numerator, denominator, numerator_moe, \
denominator_moe, status : str, optional
            Column names. ``geography``, ``period``, ``moe``, ``status`` and the
            numerator/denominator columns default to their standard names when
            present in ``df``.
        dimensions : sequence of str
            Disaggregation columns, kept under their own names.
        provenance : Provenance, optional
            Where the data came from.
        non_additive : sequence of str
            Dimensions whose categories overlap and must never be summed.
        sensitive : bool
            Mark the series as needing an audience to export.

        Returns
        -------
        IndicatorSeries

        Raises
        ------
        SeriesValidationError
            Listing every problem found, with columns and row numbers.
        """
        unit = indicator.unit if unit is None else unit
        dims = tuple(dimensions)
        given = {
            GEOGRAPHY: geography,
            PERIOD: period,
            VALUE: value,
            MOE: moe,
            NUMERATOR: numerator,
            NUMERATOR_MOE: numerator_moe,
            DENOMINATOR: denominator,
            DENOMINATOR_MOE: denominator_moe,
            STATUS: status,
        }
        checked = check_frame(
            df,
            indicator_id=indicator.id,
            unit=unit,
            given=given,
            dimensions=dims,
            non_additive=non_additive,
            signed=indicator.signed,
        )
        table = series_table(
            checked.columns, indicator_id=indicator.id, dimensions=dims, status=checked.status
        )
        series = cls(
            indicator=indicator,
            table=table,
            unit=unit,
            dimensions=dims,
            provenance=provenance,
            non_additive=tuple(non_additive),
            sensitive=sensitive,
        )
        # The factor codes that found duplicate keys are kept for later grouping.
        series._factors.update(checked.factors)
        return series

    @classmethod
    def from_arrow(cls, table: pa.Table, *, indicator: Indicator | None = None) -> IndicatorSeries:
        """Rebuild a series from :meth:`to_arrow` output (metadata in the schema).

        Parameters
        ----------
        table : pyarrow.Table
            A table written by :meth:`to_arrow` (or read from Parquet).
        indicator : Indicator, optional
            Override the indicator stored in the metadata.

        Raises
        ------
        SeriesError
            If the table carries no feedbackloop metadata.
        """
        meta = (table.schema.metadata or {}).get(_META_KEY)
        if meta is None:
            raise SeriesError(
                "this Arrow table has no feedbackloop metadata; build the series with "
                "IndicatorSeries.from_frame(table.to_pandas(), indicator=...)"
            )
        info = json.loads(meta)
        if info.get("version") != _FORMAT_VERSION:
            raise SeriesError(
                f"unsupported series format version {info.get('version')!r}; "
                f"this feedbackloop reads version {_FORMAT_VERSION}"
            )
        if indicator is None:
            indicator = indicator_from_dict(info["indicator"])
        prov = info.get("provenance")
        return cls(
            indicator=indicator,
            table=table.replace_schema_metadata(None),
            unit=info["unit"],
            dimensions=tuple(info["dimensions"]),
            provenance=Provenance(**prov) if prov else None,
            non_additive=tuple(info.get("non_additive", ())),
            sensitive=bool(info.get("sensitive", False)),
        )

    # ------------------------------------------------------------------ views

    def _metadata(self) -> dict[str, Any]:
        return {
            "version": _FORMAT_VERSION,
            "indicator": indicator_to_dict(self.indicator),
            "unit": self.unit,
            "dimensions": list(self.dimensions),
            "provenance": None if self.provenance is None else self.provenance.to_dict(),
            "non_additive": list(self.non_additive),
            "sensitive": self.sensitive,
        }

    def to_arrow(self) -> pa.Table:
        """Return the data as an Arrow table with the series metadata in its schema."""
        meta = {_META_KEY: json.dumps(self._metadata(), sort_keys=True).encode()}
        return self.table.replace_schema_metadata(meta)

    @property
    def frame(self) -> pd.DataFrame:
        """The data as a pandas DataFrame (a new copy on each access)."""
        df: pd.DataFrame = self.table.to_pandas()
        return df

    def to_parquet(self, path: str | os.PathLike[str], **kwargs: Any) -> None:
        """Write the series to a Parquet file atomically, metadata and units included.

        Parameters
        ----------
        path : str or path-like
            Destination; written to a temporary file first, then renamed.
        **kwargs
            Passed to :func:`pyarrow.parquet.write_table` (e.g. ``compression``).
            By default every column but ``indicator`` (one value) and ``status``
            (a handful of labels) gets min/max statistics, which engines use to
            skip row groups; theirs would cost ~10% of the write and skip nothing.
        """
        table = self.to_arrow()
        if "write_statistics" not in kwargs:
            skip = {INDICATOR, STATUS}
            kwargs["write_statistics"] = [c for c in table.column_names if c not in skip]
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp, **kwargs)

    # ------------------------------------------------------------- accessors

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IndicatorSeries):
            return NotImplemented
        return (
            self.indicator == other.indicator
            and self.unit == other.unit
            and self.dimensions == other.dimensions
            and self.provenance == other.provenance
            and self.non_additive == other.non_additive
            and self.sensitive == other.sensitive
            and self.table.equals(other.table)
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def keys(self) -> tuple[str, ...]:
        """The key columns: geography, period and the dimensions."""
        return (GEOGRAPHY, PERIOD, *self.dimensions)

    @property
    def has_moe(self) -> bool:
        """Whether the series carries margins of error."""
        return MOE in self.table.column_names

    @property
    def periods(self) -> tuple[Period, ...]:
        """The distinct periods, in time order."""
        labels = self.table.column(PERIOD).unique().to_pylist()
        return tuple(sorted(Period.parse(x) for x in labels if x is not None))

    @property
    def geographies(self) -> tuple[str, ...]:
        """The distinct geography codes, sorted."""
        return tuple(sorted(x for x in self.table.column(GEOGRAPHY).unique().to_pylist() if x))

    def categories(self, dimension: str) -> tuple[str, ...]:
        """Return the distinct categories of ``dimension`` (``TOTAL`` last)."""
        self._check_dimension(dimension)
        values = {x for x in self.table.column(dimension).unique().to_pylist() if x is not None}
        return (*sorted(values - {TOTAL}), *((TOTAL,) if TOTAL in values else ()))

    def _check_dimension(self, dimension: str) -> None:
        if dimension not in self.dimensions:
            raise SeriesError(
                f"series {self.indicator.id!r} has no dimension {dimension!r} "
                f"(dimensions: {', '.join(self.dimensions) or 'none'})"
            )

    def _key_factors(self, columns: Iterable[str]) -> dict[str, Factor]:
        """Sorted factor codes and labels of key columns, computed once per series.

        Grouping by text keys starts with a hash of every row's label; the
        series is immutable, so that is done once per column (on two threads
        for several long columns) and reused by every later operation.
        """
        wanted = list(columns)
        missing = {c: self.table.column(c) for c in wanted if c not in self._factors}
        if missing:
            self._factors.update(factorize_many(missing))
        return {c: self._factors[c] for c in wanted}

    def with_table(self, table: pa.Table, **changes: Any) -> IndicatorSeries:
        """Return a copy with a new table (and metadata changes), unvalidated.

        For adapters and operations that already produced a valid table.
        """
        return evolve(self, table=table, **changes)

    def filter(self, **where: str | Iterable[str] | Period | int) -> IndicatorSeries:
        """Keep the rows whose key columns match.

        Parameters
        ----------
        **where
            Column name to one value or a collection of values, e.g.
            ``geography="06075"``, ``race=["Black", "White"]``, ``period=2020``.

        Returns
        -------
        IndicatorSeries
        """
        mask = None
        for col, want in where.items():
            if col not in self.keys:
                raise SeriesError(
                    f"cannot filter on {col!r}: key columns are " + ", ".join(self.keys)
                )
            wanted = [want] if isinstance(want, str | int | Period) else list(want)
            if col == PERIOD:
                wanted = [str(Period.parse(w)) for w in wanted]
            cond = pc.is_in(self.table.column(col), value_set=pa.array(wanted, pa.string()))
            mask = cond if mask is None else pc.and_(mask, cond)
        return self if mask is None else self.with_table(self.table.filter(mask))

    # -------------------------------------------------------------- units

    def to_unit(self, unit: str) -> IndicatorSeries:
        """Express values and margins of error in another unit.

        Parameters
        ----------
        unit : str
            Any compatible unit: ``percent`` ↔ ``fraction``, ``per 1000 people``
            ↔ ``per 100,000 people``, ``USD`` ↔ ``kUSD``...

        Returns
        -------
        IndicatorSeries
            With ``value`` and ``moe`` scaled (numerators and denominators,
            which are counts, unchanged).

        Raises
        ------
        UnitError
            If the units measure different things.
        """
        factor = conversion_factor(self.unit, unit)
        table = self.table
        for col in (VALUE, MOE):
            if col in table.column_names:
                i = table.column_names.index(col)
                table = table.set_column(i, col, pc.multiply(table.column(col), factor))
        return self.with_table(table, unit=unit)

    # ------------------------------------------------------------- display

    def __repr__(self) -> str:
        periods = self.periods
        span = (
            f"{periods[0]} … {periods[-1]}"
            if len(periods) > 1
            else (str(periods[0]) if periods else "no periods")
        )
        dims = ", ".join(self.dimensions) or "none"
        return (
            f"<IndicatorSeries {self.indicator.id!r} [{self.unit}]: {len(self)} rows, "
            f"{len(self.geographies)} places, {span}; dimensions: {dims}"
            f"{'; with MOE' if self.has_moe else ''}>"
        )

    def _repr_html_(self) -> str:
        head: pd.DataFrame = self.table.slice(0, 10).to_pandas()
        return (
            f"<div class='feedbackloop-series'><strong>{html.escape(self.indicator.name)}</strong>"
            f" <code>{html.escape(self.indicator.id)}</code> [{html.escape(self.unit)}] — "
            f"{len(self)} rows{'; 90% margins of error' if self.has_moe else ''}"
            + head.to_html(index=False, na_rep="—", max_rows=10)
            + "</div>"
        )

    # ------------------------------------------------------------- operations

    def rollup(
        self,
        to: Literal["county", "state"] | None = None,
        *,
        mapping: Mapping[str, str] | None = None,
    ) -> IndicatorSeries:
        """Aggregate to larger geographies, carrying margins of error.

        Parameters
        ----------
        to : {"county", "state"}, optional
            Cut FIPS GEOIDs down (tract 11 → county 5 → state 2 digits).
        mapping : mapping, optional
            Custom geographies: each code → its parent (tract → neighborhood).
            Every code in the series must be mapped.

        Returns
        -------
        IndicatorSeries

        Raises
        ------
        NotAdditiveError
            When the indicator's values do not add up (rates, medians,
            percentages) and there are no numerators and denominators to re-sum.
        """
        return _aggregate.rollup(self, to=to, mapping=mapping)

    def collapse(self, dimension: str) -> IndicatorSeries:
        """Sum a dimension's categories into :data:`~feedbackloop.TOTAL`.

        Existing ``TOTAL`` rows are ignored (never summed into themselves).

        Raises
        ------
        NotAdditiveError
            For non-additive indicators or overlapping categories.
        """
        return _aggregate.collapse(self, dimension)

    def disparity(
        self,
        dimension: str,
        reference: str = TOTAL,
        *,
        measure: Literal["ratio", "difference"] = "ratio",
        level: float = 0.90,
    ) -> pd.DataFrame:
        """Compare each group with a reference group, with MOE and significance.

        See :func:`feedbackloop.series.disparity`.
        """
        return _compare.disparity(self, dimension, reference, measure=measure, level=level)

    def index_of_disparity(
        self, dimension: str, reference: str = "total", *, weighted: bool = False
    ) -> pd.DataFrame:
        """Pearcy & Keppel's index of disparity per place and period.

        See :func:`feedbackloop.series.index_of_disparity`.
        """
        return _compare.index_of_disparity(self, dimension, reference, weighted=weighted)

    def reliability(self, caution: float = 30.0, unreliable: float = 40.0) -> IndicatorSeries:
        """Add ``cv`` (percent) and a ``reliability`` class to every row.

        See :func:`feedbackloop.series.reliability`.
        """
        return _compare.reliability(self, caution=caution, unreliable=unreliable)

    def change(
        self, start: Period | str | int, end: Period | str | int, *, level: float = 0.90
    ) -> pd.DataFrame:
        """Difference and percent change between two periods, with MOE and significance.

        See :func:`feedbackloop.series.change`.
        """
        return _compare.change(self, start, end, level=level)

    def progress(
        self, target: Target, *, period: Period | str | int | None = None, level: float = 0.90
    ) -> pd.DataFrame:
        """Progress toward ``target`` for every place and category.

        See :func:`feedbackloop.series.progress`.
        """
        return _targets.progress(self, target, period=period, level=level)

    def baseline_forecast(
        self,
        until: Period | str | int,
        *,
        method: str = "linear",
        before: Period | str | int | None = None,
    ) -> pd.DataFrame:
        """Forecast where each curve goes if nothing changes.

        See :func:`feedbackloop.series.baseline_forecast`.
        """
        return _targets.baseline_forecast(self, until, method=method, before=before)

    def turned_curve(self, forecast: pd.DataFrame, *, level: float = 0.90) -> pd.DataFrame:
        """Test whether observed values beat the baseline forecast beyond uncertainty.

        See :func:`feedbackloop.series.turned_curve`.
        """
        return _targets.turned_curve(self, forecast, level=level)

    def check_additivity(self, dimension: str, *, level: float = 0.90) -> pd.DataFrame:
        """Find where the categories of ``dimension`` fail to add up to the total.

        See :func:`feedbackloop.series.check_additivity`.
        """
        return _aggregate.check_additivity(self, dimension, level=level)

    # ---------------------------------------------------------------- privacy

    def suppress(
        self,
        policy: SuppressionPolicy | None = None,
        *,
        geography_parents: Mapping[str, str] | None = None,
    ) -> IndicatorSeries:
        """Withhold small counts and every cell that would reveal them.

        See :func:`feedbackloop.privacy.suppress`.

        .. versionadded:: 0.1.0
        """
        from feedbackloop.privacy import suppress

        return suppress(self, policy, geography_parents=geography_parents)

    def export(
        self,
        audience: str | None,
        policies: Mapping[str, Mapping[str, Any] | Policy] | None = None,
        *,
        geography_parents: Mapping[str, str] | None = None,
    ) -> IndicatorSeries:
        """Return the series as ``audience`` may see it.

        A series marked ``sensitive`` cannot be exported without an audience.
        See :func:`feedbackloop.privacy.export`.

        .. versionadded:: 0.1.0
        """
        from feedbackloop.privacy import export

        return export(self, audience, policies, geography_parents=geography_parents)

    def lazy(self, engine: str = "duckdb", *, con: Any = None, spark: Any = None) -> Any:
        """Hand the series to an engine: a :class:`~feedbackloop.engines.LazySeries`.

        ``engine`` is ``"duckdb"`` (in-process) or ``"spark"`` (a local session
        unless ``spark=`` gives yours); ``con`` runs on an Ibis connection you
        already have. See :func:`feedbackloop.engines.lazy`.

        .. versionadded:: 0.2.0
        """
        from feedbackloop.engines import lazy

        return lazy(self, engine, con=con, spark=spark)

    def to_excel(
        self,
        path: str | os.PathLike[str],
        *,
        audience: str | None = None,
        policies: Mapping[str, Mapping[str, Any] | Policy] | None = None,
        sheet: str | None = None,
        places: Mapping[str, str] | None = None,
    ) -> Path:
        """Write the series to an Excel workbook partners open: a data sheet and a README.

        Withheld values are blank with their status, text is kept from running
        as a formula, and the sheet reads back through the ``excel`` adapter.
        See :func:`feedbackloop.workbook.write_series`.

        .. versionadded:: 0.2.0
        """
        from feedbackloop.workbook import write_series

        return write_series(
            self, path, audience=audience, policies=policies, sheet=sheet, places=places
        )


# Over 80 lines only for its docstring (the public contract, with examples); the body
# checks the unit, lays out the table (series_table) and makes the series.
def assemble(
    columns: Mapping[str, pa.Array | pa.ChunkedArray | np.ndarray[Any, Any]],
    *,
    indicator: Indicator,
    status: pa.Array | pa.ChunkedArray | np.ndarray[Any, Any] | None = None,
    unit: str | None = None,
    dimensions: Sequence[str] = (),
    provenance: Provenance | None = None,
    non_additive: Sequence[str] = (),
    sensitive: bool = False,
) -> IndicatorSeries:
    """Build a series from columns that are already clean, without a DataFrame.

    For adapters and engines that have checked their data themselves (keys
    present and unique, periods canonical, margins not negative, statuses
    consistent with values): the columns are put in the contract's order and
    types, the ``indicator`` column is written and ``status`` is
    dictionary-encoded in order of first appearance, exactly as
    :meth:`IndicatorSeries.from_frame` does (it builds its table with the same
    code). Only the layout, the statuses and the unit are checked here; use
    :meth:`IndicatorSeries.from_frame` for data that still needs validating.

    Parameters
    ----------
    columns : mapping of str to array
        ``geography``, ``period``, each dimension and ``value``, and any of
        ``moe``, ``numerator``, ``numerator_moe``, ``denominator``,
        ``denominator_moe``, ``cv`` and ``reliability``, in any order, as
        Arrow arrays, chunked arrays or NumPy arrays of one length. Key
        columns become Arrow ``string``; numeric ones ``float64``, with NaN
        stored as null.
    indicator : Indicator
        What the values measure; its id fills the ``indicator`` column.
    status : array, optional
        One status per row: ``int8`` (or any integer) codes indexing
        ``list(Status)``, or :class:`~feedbackloop.Status` strings. A
        dictionary-encoded array of status strings is stored as it is. By
        default every row with a value is ``"estimate"`` and every row
        without one ``"missing"``.
    unit : str, optional
        Unit of the values (default: the indicator's unit).
    dimensions : sequence of str
        The disaggregation columns, in storage order.
    provenance : Provenance, optional
        Where the data came from.
    non_additive : sequence of str
        Dimensions whose categories overlap and must never be summed.
    sensitive : bool
        Mark the series as needing an audience to export.

    Returns
    -------
    IndicatorSeries

    Raises
    ------
    SeriesValidationError
        For an unknown unit, missing, unknown or reserved columns, columns of
        different lengths, missing keys (nulls), or unknown statuses.

    Examples
    --------
    >>> import numpy as np
    >>> from feedbackloop import Indicator
    >>> from feedbackloop.series import assemble
    >>> people = Indicator(id="people", name="People", unit="people", direction="higher_is_better")
    >>> columns = {
    ...     "value": np.array([120.0, np.nan]),
    ...     "geography": np.array(["06075", "06001"], dtype=object),
    ...     "period": np.array(["2022", "2022"], dtype=object),
    ... }
    >>> s = assemble(columns, indicator=people)
    >>> s.table.column_names
    ['indicator', 'geography', 'period', 'value', 'status']
    >>> s.table.column("status").to_pylist()
    ['estimate', 'missing']
    >>> codes = np.array([1, 6], dtype=np.int8)  # list(Status)[1], list(Status)[6]
    >>> assemble(columns, indicator=people, status=codes).table.column("status").to_pylist()
    ['controlled', 'not_available']
    """
    unit = indicator.unit if unit is None else unit
    problems: list[Problem] = []
    check_unit(unit, problems)
    if problems:
        raise SeriesValidationError(indicator.id, problems)
    dims = tuple(dimensions)
    table = series_table(
        columns,
        indicator_id=indicator.id,
        dimensions=dims,
        status=status,
        non_additive=non_additive,
    )
    return IndicatorSeries(
        indicator=indicator,
        table=table,
        unit=unit,
        dimensions=dims,
        provenance=provenance,
        non_additive=tuple(non_additive),
        sensitive=sensitive,
    )


def read_parquet(path: str | os.PathLike[str]) -> IndicatorSeries:
    """Read a series written by :meth:`IndicatorSeries.to_parquet`.

    Parameters
    ----------
    path : str or path-like
        The Parquet file.

    Returns
    -------
    IndicatorSeries
        Equal to the series that was written (metadata and units included).
    """
    return IndicatorSeries.from_arrow(pq.read_table(path))
