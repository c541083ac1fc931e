"""IndicatorSeries: disaggregated indicator data in long form, on Arrow."""

from __future__ import annotations

import datetime as _dt
import html
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from attrs import evolve, field, frozen

from feedbackloop._util import atomic_path, str_tuple
from feedbackloop.errors import (
    PeriodError,
    Problem,
    SeriesError,
    SeriesValidationError,
    UnitError,
)
from feedbackloop.model import Indicator, indicator_from_dict, indicator_to_dict
from feedbackloop.period import Period
from feedbackloop.series._groupby import Factor, factorize_many, group
from feedbackloop.series._status import TOTAL, Status

if TYPE_CHECKING:
    from feedbackloop.model import Target
    from feedbackloop.privacy import Policy, SuppressionPolicy

__all__ = [
    "COLUMNS",
    "IndicatorSeries",
    "Provenance",
    "read_parquet",
]

INDICATOR = "indicator"
GEOGRAPHY = "geography"
PERIOD = "period"
VALUE = "value"
MOE = "moe"
NUMERATOR = "numerator"
DENOMINATOR = "denominator"
NUMERATOR_MOE = "numerator_moe"
DENOMINATOR_MOE = "denominator_moe"
STATUS = "status"
CV = "cv"
RELIABILITY = "reliability"

#: Optional numeric columns, in storage order.
NUMERIC_OPTIONAL = (MOE, NUMERATOR, NUMERATOR_MOE, DENOMINATOR, DENOMINATOR_MOE)
#: Every column name with a fixed meaning; none of them may be a dimension.
COLUMNS = (INDICATOR, GEOGRAPHY, PERIOD, VALUE, *NUMERIC_OPTIONAL, STATUS, CV, RELIABILITY)

_META_KEY = b"feedbackloop"
_FORMAT_VERSION = 1
_SECRET_WORDS = ("key", "token", "secret", "password", "passwd", "credential", "auth")
_MAX_ROWS_SHOWN = 8
_STATUS_VALUES = frozenset(s.value for s in Status)
_STATUS_TYPE = pa.dictionary(pa.int8(), pa.string())
_INDICATOR_TYPE = pa.dictionary(pa.int32(), pa.string())


def _is_secret(name: str) -> bool:
    low = name.lower()
    return any(w in low for w in _SECRET_WORDS)


def _scrub(options: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, val in options.items():
        if _is_secret(str(k)):
            continue
        out[str(k)] = _scrub(val) if isinstance(val, Mapping) else val
    return out


@frozen(kw_only=True)
class Provenance:
    """Where a series came from. Never holds a secret.

    Options whose names look like credentials (``key``, ``api_key``, ``token``,
    ``password``...) are dropped on construction.

    Parameters
    ----------
    adapter : str
        The adapter that read the data (``csv``, ``census``...), or ``""``.
    source : str
        The file, URL (without credentials) or dataset.
    options : mapping
        The read options, JSON-serializable.
    retrieved : str
        ISO 8601 UTC timestamp of the read.

    .. versionadded:: 0.1.0
    """

    adapter: str = ""
    source: str = ""
    options: Mapping[str, Any] = field(factory=dict, converter=_scrub, hash=False)
    retrieved: str = field(
        factory=lambda: _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    )

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON-ready data."""
        return {
            "adapter": self.adapter,
            "source": self.source,
            "options": dict(self.options),
            "retrieved": self.retrieved,
        }


def _rows(mask: np.ndarray[Any, np.dtype[np.bool_]]) -> str:
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in idx[:_MAX_ROWS_SHOWN])
    more = f" (+{len(idx) - _MAX_ROWS_SHOWN} more)" if len(idx) > _MAX_ROWS_SHOWN else ""
    return f"row{'s' if len(idx) != 1 else ''} {shown}{more}"


def _numeric(
    series: pd.Series[Any], column: str, problems: list[Problem]
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Convert a column to float64, reporting (never hiding) values that are not numbers."""
    if pd.api.types.is_bool_dtype(series.dtype):
        problems.append(Problem(column, "holds true/false values, not numbers"))
        return np.full(len(series), np.nan)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    coerced = pd.to_numeric(series, errors="coerce")
    bad = (coerced.isna() & series.notna()).to_numpy()
    if bad.any():
        examples = ", ".join(repr(x) for x in pd.unique(series[bad])[:3])
        problems.append(
            Problem(
                column,
                f"{_rows(bad)} are not numbers (e.g. {examples}); clean them or map them to "
                "missing before building the series",
            )
        )
    return coerced.to_numpy(dtype=np.float64, na_value=np.nan)


def _labels(series: pd.Series[Any], column: str, problems: list[Problem], what: str) -> pa.Array:
    """Convert a key column to Arrow strings, refusing numbers that may have lost zeros."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        problems.append(
            Problem(
                column,
                f"{what} values are numbers ({series.dtype}); codes such as FIPS GEOIDs must "
                "be strings to keep leading zeros (read the file with dtype=str)",
            )
        )
        return pa.array(series.astype(str).to_numpy(dtype=object), type=pa.string())
    missing = series.isna().to_numpy()
    if missing.any():
        hint = (
            f"; use feedbackloop.TOTAL ({TOTAL!r}) for 'all categories' or a label such as "
            "'Unknown'"
            if what == "dimension"
            else ""
        )
        problems.append(Problem(column, f"{_rows(missing)} have no {what} value{hint}"))
    try:
        return pa.array(series.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        bad = ~series.map(lambda x: isinstance(x, str) or bool(pd.isna(x))).to_numpy(bool)
        problems.append(Problem(column, f"{_rows(bad)} are not text"))
        return pa.array(series.astype(str).to_numpy(dtype=object), type=pa.string())


def _periods(series: pd.Series[Any], column: str, problems: list[Problem]) -> pa.Array:
    """Parse period labels (once per distinct label) into canonical labels."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    canon: list[str | None] = []
    bad_codes: list[int] = []
    messages: list[str] = []
    for i, raw in enumerate(uniques):
        try:
            canon.append(str(Period.parse(raw.item() if hasattr(raw, "item") else raw)))
        except PeriodError as err:
            canon.append(None)
            bad_codes.append(i)
            if len(messages) < 3:
                messages.append(str(err))
    if bad_codes:
        mask = np.isin(codes, bad_codes)
        problems.append(Problem(column, f"{_rows(mask)}: " + "; ".join(messages)))
    if (codes < 0).any():
        problems.append(Problem(column, f"{_rows(codes < 0)} have no period"))
    labels = pa.array(canon, type=pa.string())
    safe = np.where(codes < 0, 0, codes) if len(canon) else codes
    if not len(canon):
        return pa.nulls(len(series), type=pa.string())
    out = labels.take(pa.array(safe))
    if (codes < 0).any():
        out = pa.compute.if_else(pa.array(codes < 0), pa.scalar(None, pa.string()), out)
    return out


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
        problems: list[Problem] = []
        unit = indicator.unit if unit is None else unit
        try:
            from feedbackloop.units import parse_unit

            parse_unit(unit)
        except UnitError as err:
            problems.append(Problem("unit", str(err)))

        def pick(given: str | None, default: str, *, required: bool) -> str | None:
            if given is not None:
                if given not in df.columns:
                    problems.append(
                        Problem(
                            given,
                            "column not found; columns are: " + ", ".join(map(str, df.columns)),
                        )
                    )
                    return None
                return given
            if default in df.columns:
                return default
            if required:
                problems.append(
                    Problem(default, f"no {default!r} column; name it with {default}=...")
                )
            return None

        cols = {
            GEOGRAPHY: pick(geography, GEOGRAPHY, required=True),
            PERIOD: pick(period, PERIOD, required=True),
            VALUE: pick(value, VALUE, required=True),
            MOE: pick(moe, MOE, required=False),
            NUMERATOR: pick(numerator, NUMERATOR, required=False),
            NUMERATOR_MOE: pick(numerator_moe, NUMERATOR_MOE, required=False),
            DENOMINATOR: pick(denominator, DENOMINATOR, required=False),
            DENOMINATOR_MOE: pick(denominator_moe, DENOMINATOR_MOE, required=False),
            STATUS: pick(status, STATUS, required=False),
        }
        dims = tuple(dimensions)
        for d in dims:
            if d in COLUMNS:
                problems.append(
                    Problem(
                        d, f"{d!r} is a reserved column name and cannot be a dimension; rename it"
                    )
                )
            elif d not in df.columns:
                problems.append(Problem(d, "dimension column not found"))
        if len(set(dims)) != len(dims):
            problems.append(Problem("dimensions", f"listed twice: {dims}"))
        for d in non_additive:
            if d not in dims:
                problems.append(Problem(d, "non_additive names a column that is not a dimension"))
        if problems:
            raise SeriesValidationError(indicator.id, problems)

        n = len(df)
        arrays: dict[str, pa.Array] = {}
        arrays[INDICATOR] = pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(n, dtype=np.int32)), pa.array([indicator.id])
        )
        geo_col = cols[GEOGRAPHY]
        per_col = cols[PERIOD]
        assert geo_col is not None and per_col is not None
        arrays[GEOGRAPHY] = _labels(df[geo_col], GEOGRAPHY, problems, "geography")
        arrays[PERIOD] = _periods(df[per_col], PERIOD, problems)
        for d in dims:
            arrays[d] = _labels(df[d], d, problems, "dimension")

        val_col = cols[VALUE]
        assert val_col is not None
        values = _numeric(df[val_col], VALUE, problems)
        arrays[VALUE] = pa.array(values, from_pandas=True)
        has_value = ~np.isnan(values)
        for name in NUMERIC_OPTIONAL:
            col = cols[name]
            if col is None:
                continue
            nums = _numeric(df[col], name, problems)
            negative = nums < 0
            if negative.any():
                hint = (
                    "; Census sentinel codes (-555555555, -222222222...) must be decoded first"
                    if name.endswith("moe")
                    else ""
                )
                problems.append(Problem(name, f"{_rows(negative)} are negative{hint}"))
            arrays[name] = pa.array(nums, from_pandas=True)

        if cols[STATUS] is not None:
            raw = df[cols[STATUS]]
            texts = raw.astype(object).where(raw.notna(), None)
            unknown = ~texts.isin(list(_STATUS_VALUES)).to_numpy()
            if unknown.any():
                examples = ", ".join(repr(x) for x in pd.unique(texts[unknown])[:3])
                problems.append(
                    Problem(
                        STATUS,
                        f"{_rows(unknown)} have unknown statuses "
                        f"({examples}); use one of: " + ", ".join(s.value for s in Status),
                    )
                )
            status_arr = texts.to_numpy(dtype=object)
            allowed_value = np.isin(status_arr, [s.value for s in Status if s.has_value])
            leak = has_value & ~allowed_value & ~unknown
            if leak.any():
                problems.append(
                    Problem(
                        STATUS,
                        f"{_rows(leak)} carry a value although their "
                        "status says there is none (e.g. suppressed); remove "
                        "the value",
                    )
                )
            lacking = ~has_value & allowed_value
            if lacking.any():
                problems.append(
                    Problem(
                        VALUE,
                        f"{_rows(lacking)} have no value although their "
                        "status says there is one; give a status such as "
                        "'missing' or 'not_available'",
                    )
                )
            status_list = status_arr
        else:
            status_list = np.where(has_value, Status.ESTIMATE.value, Status.MISSING.value)
        arrays[STATUS] = pa.array(status_list, type=pa.string()).dictionary_encode()

        factors: dict[str, Factor] = {}
        if not problems:
            key_cols = [GEOGRAPHY, PERIOD, *dims]
            keys = pa.table({c: arrays[c] for c in key_cols})
            # The factor codes that find duplicate keys are kept for later grouping.
            factors = factorize_many({c: keys.column(c) for c in key_cols})
            dup = _duplicate_mask(keys, factors)
            if dup.any():
                problems.append(
                    Problem(
                        ", ".join(key_cols),
                        f"{_rows(dup)} repeat a key "
                        "(same geography, period and categories); each key "
                        "must appear once",
                    )
                )
        if problems:
            raise SeriesValidationError(indicator.id, problems)
        order = [
            INDICATOR,
            GEOGRAPHY,
            PERIOD,
            *dims,
            VALUE,
            *(c for c in NUMERIC_OPTIONAL if c in arrays),
            STATUS,
        ]
        table = pa.table({c: arrays[c] for c in order})
        series = cls(
            indicator=indicator,
            table=table,
            unit=unit,
            dimensions=dims,
            provenance=provenance,
            non_additive=tuple(non_additive),
            sensitive=sensitive,
        )
        series._factors.update(factors)
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
        """
        import pyarrow.parquet as pq

        with atomic_path(path) as tmp:
            pq.write_table(self.to_arrow(), tmp, **kwargs)

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
        import pyarrow.compute as pc

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
        import pyarrow.compute as pc

        from feedbackloop.units import conversion_factor

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
        from feedbackloop.series._ops import rollup

        return rollup(self, to=to, mapping=mapping)

    def collapse(self, dimension: str) -> IndicatorSeries:
        """Sum a dimension's categories into :data:`~feedbackloop.TOTAL`.

        Existing ``TOTAL`` rows are ignored (never summed into themselves).

        Raises
        ------
        NotAdditiveError
            For non-additive indicators or overlapping categories.
        """
        from feedbackloop.series._ops import collapse

        return collapse(self, dimension)

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
        from feedbackloop.series._ops import disparity

        return disparity(self, dimension, reference, measure=measure, level=level)

    def index_of_disparity(
        self, dimension: str, reference: str = "total", *, weighted: bool = False
    ) -> pd.DataFrame:
        """Pearcy & Keppel's index of disparity per place and period.

        See :func:`feedbackloop.series.index_of_disparity`.
        """
        from feedbackloop.series._ops import index_of_disparity

        return index_of_disparity(self, dimension, reference, weighted=weighted)

    def reliability(self, caution: float = 30.0, unreliable: float = 40.0) -> IndicatorSeries:
        """Add ``cv`` (percent) and a ``reliability`` class to every row.

        See :func:`feedbackloop.series.reliability`.
        """
        from feedbackloop.series._ops import reliability

        return reliability(self, caution=caution, unreliable=unreliable)

    def change(
        self, start: Period | str | int, end: Period | str | int, *, level: float = 0.90
    ) -> pd.DataFrame:
        """Difference and percent change between two periods, with MOE and significance.

        See :func:`feedbackloop.series.change`.
        """
        from feedbackloop.series._ops import change

        return change(self, start, end, level=level)

    def progress(
        self, target: Target, *, period: Period | str | int | None = None, level: float = 0.90
    ) -> pd.DataFrame:
        """Progress toward ``target`` for every place and category.

        See :func:`feedbackloop.series.progress`.
        """
        from feedbackloop.series._ops import progress

        return progress(self, target, period=period, level=level)

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
        from feedbackloop.series._ops import baseline_forecast

        return baseline_forecast(self, until, method=method, before=before)

    def turned_curve(self, forecast: pd.DataFrame, *, level: float = 0.90) -> pd.DataFrame:
        """Test whether observed values beat the baseline forecast beyond uncertainty.

        See :func:`feedbackloop.series.turned_curve`.
        """
        from feedbackloop.series._ops import turned_curve

        return turned_curve(self, forecast, level=level)

    def check_additivity(self, dimension: str, *, level: float = 0.90) -> pd.DataFrame:
        """Find where the categories of ``dimension`` fail to add up to the total.

        See :func:`feedbackloop.series.check_additivity`.
        """
        from feedbackloop.series._ops import check_additivity

        return check_additivity(self, dimension, level=level)

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


def _duplicate_mask(
    keys: pa.Table, factors: Mapping[str, Factor]
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Rows whose key repeats an earlier row's key."""
    if keys.num_rows == 0:
        return np.zeros(0, dtype=bool)
    groups = group(keys, keys.column_names, factors)
    dup = np.ones(keys.num_rows, dtype=bool)
    if groups.n == keys.num_rows:
        return ~dup
    _, first = np.unique(groups.codes, return_index=True)
    dup[first] = False
    return dup


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
    import pyarrow.parquet as pq

    return IndicatorSeries.from_arrow(pq.read_table(path))
