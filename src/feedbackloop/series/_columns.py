"""The column contract of a series: names, storage order, types and status codes.

A series' Arrow table holds, in this order: ``indicator``, ``geography``,
``period``, one column per dimension, ``value``, the optional numeric columns
present (:data:`NUMERIC_OPTIONAL`), ``status``, then ``cv`` and ``reliability``
when :func:`~feedbackloop.series.reliability` added them. The table itself is
made in one place, :mod:`feedbackloop.series._assemble`.
"""

from __future__ import annotations

import pyarrow as pa

from feedbackloop.series._status import Status

__all__ = [
    "COLUMNS",
    "CV",
    "DENOMINATOR",
    "DENOMINATOR_MOE",
    "ESTIMATE_CODE",
    "GEOGRAPHY",
    "INDICATOR",
    "INDICATOR_TYPE",
    "MISSING_CODE",
    "MOE",
    "NUMERATOR",
    "NUMERATOR_MOE",
    "NUMERIC_OPTIONAL",
    "N_UNWEIGHTED",
    "PERIOD",
    "RELIABILITY",
    "STATUS",
    "STATUS_LABELS",
    "STATUS_TYPE",
    "STATUS_VALUES",
    "TRAILING",
    "VALUE",
    "VALUE_STATUSES",
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
#: The unweighted count of sample records behind a survey estimate.
N_UNWEIGHTED = "n_unweighted"
CV = "cv"
RELIABILITY = "reliability"

#: Optional numeric columns, in storage order.
NUMERIC_OPTIONAL = (MOE, NUMERATOR, NUMERATOR_MOE, DENOMINATOR, DENOMINATOR_MOE, N_UNWEIGHTED)
#: Columns stored after ``status`` (added by ``reliability``), in storage order.
TRAILING = (CV, RELIABILITY)
#: Every column name with a fixed meaning; none of them may be a dimension.
COLUMNS = (INDICATOR, GEOGRAPHY, PERIOD, VALUE, *NUMERIC_OPTIONAL, STATUS, *TRAILING)

#: Status labels by code: code ``i`` is ``list(Status)[i]``.
STATUS_LABELS: tuple[str, ...] = tuple(s.value for s in Status)
STATUS_VALUES = frozenset(STATUS_LABELS)
#: The statuses of rows that carry a value.
VALUE_STATUSES: tuple[str, ...] = tuple(s.value for s in Status if s.has_value)
ESTIMATE_CODE = STATUS_LABELS.index(Status.ESTIMATE.value)
MISSING_CODE = STATUS_LABELS.index(Status.MISSING.value)

#: ``indicator``: one dictionary entry (the indicator id), int32 indices.
INDICATOR_TYPE = pa.dictionary(pa.int32(), pa.string())
#: ``status``: the statuses that occur, in order of first appearance, int32 indices.
STATUS_TYPE = pa.dictionary(pa.int32(), pa.string())
