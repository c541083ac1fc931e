"""The same indicator work beyond one machine: DuckDB (embedded, out of core) and Spark.

:func:`scan` reads a pooled dataset (Parquet files or a table of an Ibis
connection) as a :class:`LazySeries`, and :meth:`IndicatorSeries.lazy
<feedbackloop.series.IndicatorSeries.lazy>` hands an in-memory series to an
engine. Relational operations (roll-ups with margins of error, collapses,
disparities, reliability, filters) are Ibis expressions that compile to the
engine; what is not relational (complementary suppression, an audience's
export) runs as a map-groups stage that hands whole tables to
:mod:`feedbackloop.privacy`; keyed pseudonyms of record-level files
(:func:`pseudonymize`) run batch by batch. Ibis, DuckDB and PySpark are optional extras
(``feedbackloop[duckdb]``, ``feedbackloop[spark]``), imported on first use.

The package's floors, bottom up: ``_connect`` (connections, the local Spark
session, typed errors), ``_scan`` (files and their schemas), ``_ops`` (one
Ibis expression per operation), ``_maps`` (the map-groups stage per engine)
and ``_lazy`` (:class:`LazySeries`, :func:`scan`, :func:`lazy`); ``_records``
(:func:`pseudonymize`, record batches) stands beside ``_maps``.
"""

from feedbackloop.engines._connect import Engine, connect, spark_session
from feedbackloop.engines._lazy import LazySeries, lazy, scan
from feedbackloop.engines._measures import from_records
from feedbackloop.engines._records import pseudonymize
from feedbackloop.engines._scan import table

__all__ = [
    "Engine",
    "LazySeries",
    "connect",
    "from_records",
    "lazy",
    "pseudonymize",
    "scan",
    "spark_session",
    "table",
]
