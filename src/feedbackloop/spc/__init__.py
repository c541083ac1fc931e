"""Statistical process control: run charts, Shewhart control charts and their signals.

The improvement methods partners already use (Plan-Do-Study-Act cycles, the A3,
Six Sigma) read program metrics on run and control charts to tell a signal
from noise. :func:`run_chart` applies the IHI or Anhøj run rules;
:func:`control_chart` draws XmR, p, u, c and Laney p′/u′ charts with phases, a
frozen baseline and optional Western Electric / Nelson rules; :func:`charts`
makes one chart per place and category of an
:class:`~feedbackloop.IndicatorSeries`. Every result is an :class:`SpcChart`
with ``center``, ``lower``, ``upper``, a tidy ``signals`` table and ``plot()``.

The rules and formulas, with their sources, are in ``shared/docs/domain.md``
section 7 and the docs page "Improving programs".

.. versionadded:: 0.1.0
"""

from feedbackloop.errors import SpcError
from feedbackloop.spc._charts import (
    KINDS,
    RULE_SETS,
    SpcChart,
    charts,
    control_chart,
    points,
    run_chart,
)
from feedbackloop.spc._rules import (
    crossings_limit,
    longest_run_limit,
    runs_limits,
    runs_up_down,
)

__all__ = [
    "KINDS",
    "RULE_SETS",
    "SpcChart",
    "SpcError",
    "charts",
    "control_chart",
    "crossings_limit",
    "longest_run_limit",
    "points",
    "run_chart",
    "runs_limits",
    "runs_up_down",
]
