"""Link records across agencies: pseudonymous person ids and a match-quality report.

- :func:`link`: two or more agencies' record files -> a :class:`Linkage`
  (``crosswalk`` of keyed pseudonymous person ids, scored ``pairs``,
  :meth:`~Linkage.quality`, :meth:`~Linkage.analysis`,
  :meth:`~Linkage.to_parquet`), probabilistic (Splink, Fellegi-Sunter, on
  DuckDB in process) or deterministic on keyed tokens;
- :func:`tokenize`: one agency's identifiers -> keyed tokens, for agencies that
  may not share identifiers at all;
- :class:`LinkageQuality` and :class:`MatchRateWarning`: match rates overall
  and by group, estimated precision and recall, a clerical-review sample, and
  a warning naming groups whose match rates would bias disaggregated results;
- :func:`splink_settings`: the Splink settings :func:`link` uses, to run or
  inspect Splink directly.

Splink (the ``linkage`` extra) is imported only when a probabilistic link runs.

The package's floors, bottom up: ``_prepare`` (checks and standardises each
file; nicknames; the key check) and ``_quality`` (the report); ``_splink`` (the
engine) and ``_tokens`` (deterministic tokens) on ``_prepare``; ``_linkage``
(:func:`link`, :class:`Linkage`) on top.
"""

from feedbackloop.errors import (
    BlockingError,
    DuplicateRecordError,
    IdentifierExportError,
    LinkageError,
    LinkageInputError,
)
from feedbackloop.linkage._linkage import GROUP_COLUMNS, Linkage, link
from feedbackloop.linkage._prepare import (
    DEFAULT_COLUMNS,
    NICKNAMES,
    canonical_first,
    canonical_name,
)
from feedbackloop.linkage._quality import LinkageQuality, MatchRateWarning
from feedbackloop.linkage._splink import DEFAULT_BLOCKING, splink_settings
from feedbackloop.linkage._tokens import TOKEN_FIELDS, tokenize

__all__ = [
    "DEFAULT_BLOCKING",
    "DEFAULT_COLUMNS",
    "GROUP_COLUMNS",
    "NICKNAMES",
    "TOKEN_FIELDS",
    "BlockingError",
    "DuplicateRecordError",
    "IdentifierExportError",
    "Linkage",
    "LinkageError",
    "LinkageInputError",
    "LinkageQuality",
    "MatchRateWarning",
    "canonical_first",
    "canonical_name",
    "link",
    "splink_settings",
    "tokenize",
]
