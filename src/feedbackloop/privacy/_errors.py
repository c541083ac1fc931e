"""Errors and warnings of :mod:`feedbackloop.privacy`.

::

    FeedbackloopError
    └── PrivacyError
        ├── PolicyError(ValueError)              a policy or audience table that is malformed
        ├── ExportRefusedError(PermissionError)  a sensitive series exported without audience
        │   └── UnknownAudienceError(ValueError) an audience the agreement does not define
        ├── SuppressionError(ValueError)         a series that cannot be protected as asked
        ├── LinkageKeyError(ValueError)          a missing, empty or too short linkage key
        ├── PseudonymizationError(ValueError)    identifiers that cannot be tokenized
        └── BenchmarkError(ValueError)           a benchmark that would expose a partner

    FeedbackloopWarning
    └── RoundingWarning                          a table that could not be rounded additively
"""

from __future__ import annotations

from collections.abc import Sequence

from feedbackloop.errors import FeedbackloopError, FeedbackloopWarning

__all__ = [
    "BenchmarkError",
    "ExportRefusedError",
    "LinkageKeyError",
    "PolicyError",
    "PrivacyError",
    "PseudonymizationError",
    "RoundingWarning",
    "SuppressionError",
    "UnknownAudienceError",
]


class PrivacyError(FeedbackloopError):
    """Root of the errors raised by :mod:`feedbackloop.privacy`.

    .. versionadded:: 0.1.0
    """


class PolicyError(PrivacyError, ValueError):
    """A disclosure-control policy (or table of audiences) that is malformed.

    .. versionadded:: 0.1.0
    """


class ExportRefusedError(PrivacyError, PermissionError):
    """An export that would share data its audience may not see.

    Raised when a series marked ``sensitive`` is exported without an audience.

    .. versionadded:: 0.1.0
    """


class UnknownAudienceError(ExportRefusedError, ValueError):
    """An audience that the data-sharing agreement does not define.

    Attributes
    ----------
    audience : str
        The audience asked for.
    known : tuple of str
        The audiences that are defined.

    .. versionadded:: 0.1.0
    """

    def __init__(self, audience: str, known: Sequence[str]) -> None:
        super().__init__(audience, tuple(known))
        self.audience = audience
        self.known = tuple(known)

    def __str__(self) -> str:
        return (
            f"unknown audience {self.audience!r}; the agreement defines: "
            f"{', '.join(self.known) or 'none'} (pass policies={{{self.audience!r}: ...}} "
            "to define it)"
        )


class SuppressionError(PrivacyError, ValueError):
    """A series that cannot be protected as asked (no counts, negative counts...).

    .. versionadded:: 0.1.0
    """


class LinkageKeyError(PrivacyError, ValueError):
    """A linkage key that is missing, empty or too short to resist guessing.

    .. versionadded:: 0.1.0
    """


class PseudonymizationError(PrivacyError, ValueError):
    """Identifiers that cannot be turned into tokens (missing fields or values).

    .. versionadded:: 0.1.0
    """


class BenchmarkError(PrivacyError, ValueError):
    """A benchmark that was refused because it could expose a partner.

    .. versionadded:: 0.1.0
    """


class RoundingWarning(FeedbackloopWarning):
    """A table for which no controlled (additive) rounding was found.

    .. versionadded:: 0.1.0
    """
