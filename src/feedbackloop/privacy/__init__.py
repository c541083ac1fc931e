"""Share safely: small-cell suppression, rounding, audiences and keyed pseudonyms.

- :class:`SuppressionPolicy`, :class:`RoundingPolicy`,
  :class:`NoDisclosureControl` and :func:`policy_from_dict`: disclosure-control
  rules, as written in a data-sharing agreement;
- :func:`suppress` (primary and complementary suppression, verified by linear
  programming), :func:`round_counts` (controlled rounding) and :func:`audit`;
- :data:`DEFAULT_AUDIENCES`, :func:`audiences_from_dict` and :func:`export`:
  who may see what;
- :func:`pseudonymize`: HMAC-SHA-256 tokens for linking client records across
  agencies without sharing identities.

scipy (the ``privacy`` extra) is imported only when a table needs it.

The package's floors, bottom up: ``_fields`` (policy field validators) and
``_tables`` (a series split into independent additive tables); ``_suppress``
(:class:`SuppressionPolicy` with :func:`suppress` and :func:`audit`) and
``_round`` (:class:`RoundingPolicy` with :func:`round_counts`), each policy
beside the function its ``apply`` runs; ``_audiences`` (the no-op policy,
:func:`policy_from_dict`, the audience table and :func:`export`) on top.
``_pseudonym`` stands alone.
"""

from feedbackloop.errors import (
    BenchmarkError,
    ExportRefusedError,
    LinkageKeyError,
    PolicyError,
    PrivacyError,
    PseudonymizationError,
    RoundingWarning,
    SuppressionError,
    UnknownAudienceError,
)
from feedbackloop.privacy._audiences import (
    DEFAULT_AUDIENCES,
    NoDisclosureControl,
    Policy,
    audiences_from_dict,
    export,
    policy_from_dict,
)
from feedbackloop.privacy._pseudonym import (
    MIN_KEY_BYTES,
    canonicalize,
    pseudonymize,
)
from feedbackloop.privacy._round import RoundingPolicy, round_counts
from feedbackloop.privacy._suppress import SuppressionPolicy, audit, suppress

__all__ = [
    "DEFAULT_AUDIENCES",
    "MIN_KEY_BYTES",
    "BenchmarkError",
    "ExportRefusedError",
    "LinkageKeyError",
    "NoDisclosureControl",
    "Policy",
    "PolicyError",
    "PrivacyError",
    "PseudonymizationError",
    "RoundingPolicy",
    "RoundingWarning",
    "SuppressionError",
    "SuppressionPolicy",
    "UnknownAudienceError",
    "audiences_from_dict",
    "audit",
    "canonicalize",
    "export",
    "policy_from_dict",
    "pseudonymize",
    "round_counts",
    "suppress",
]
