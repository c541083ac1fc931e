"""Survey microdata into indicator series, with design-based margins of error.

:class:`SurveyDesign` declares weights, strata, PSUs, a finite population
correction or replicate weights (successive difference as ACS PUMS uses it,
JK1, BRR, Fay's BRR); :func:`estimate` turns records into proportions, means
or totals by disaggregation with 90% MOEs, unweighted counts and statuses;
:func:`read_survey` does the same from a CSV, XLSX, SPSS or Stata export, value
labels becoming categories. domain.md §8 has the formulas.

The package's floors, bottom up: ``_variance`` (the kernels, numpy and
scipy.sparse), ``_design`` (the declared design, checked), ``_files`` (survey
exports), ``_estimate`` (estimands, cells, the series) and ``_read``.
"""

from feedbackloop.survey._design import LonelyPsu, ReplicateMethod, SurveyDesign
from feedbackloop.survey._estimate import ANSWER, Measure, estimate
from feedbackloop.survey._files import FORMATS, Codebook, read_header
from feedbackloop.survey._read import read_survey

__all__ = [
    "ANSWER",
    "FORMATS",
    "Codebook",
    "LonelyPsu",
    "Measure",
    "ReplicateMethod",
    "SurveyDesign",
    "estimate",
    "read_header",
    "read_survey",
]
