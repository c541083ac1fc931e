"""Row status: why a value is what it is (or why it is missing)."""

from __future__ import annotations

import enum

__all__ = ["TOTAL", "Status"]

#: A dimension value meaning "all categories of this dimension". It is never a
#: missing value: a missing category is null, a total is ``TOTAL``.
TOTAL = "(total)"


class Status(enum.StrEnum):
    """Why a row's value and margin of error are what they are.

    The Census sentinel codes map onto these (domain.md §2.3): −666666666 and
    −999999999 give :attr:`NOT_COMPUTABLE` / :attr:`NOT_AVAILABLE`, −888888888
    gives :attr:`NOT_APPLICABLE`, −222222222 and −333333333 give
    :attr:`MOE_NOT_COMPUTABLE`, −555555555 gives :attr:`CONTROLLED` (MOE 0).
    """

    #: An ordinary value (with a margin of error when sampled).
    ESTIMATE = "estimate"
    #: Controlled to independent totals: the margin of error is 0 by definition.
    CONTROLLED = "controlled"
    #: The value is known but its margin of error is not (test not appropriate).
    MOE_NOT_COMPUTABLE = "moe_not_computable"
    #: The value lies in the lowest open-ended interval (e.g. ``2,500-``).
    BOTTOM_CODED = "bottom_coded"
    #: The value lies in the highest open-ended interval (e.g. ``250,000+``).
    TOP_CODED = "top_coded"
    #: Too few sample observations to compute the value.
    NOT_COMPUTABLE = "not_computable"
    #: Not available / not displayed (too few cases, not collected).
    NOT_AVAILABLE = "not_available"
    #: Not applicable (the concept does not apply here).
    NOT_APPLICABLE = "not_applicable"
    #: Missing from the source with no reason given.
    MISSING = "missing"
    #: Withheld by primary small-cell suppression.
    SUPPRESSED = "suppressed"
    #: Withheld so that a suppressed cell cannot be recovered by subtraction.
    SUPPRESSED_COMPLEMENTARY = "suppressed_complementary"
    #: Withheld because it is derived from a suppressed cell (a ratio, share,
    #: difference, change or significance test with a suppressed input).
    SUPPRESSED_DERIVED = "suppressed_derived"
    #: Too few unweighted sample records for a reliable estimate (a survey cell
    #: below its ``min_n``): the value is shown, to be read with caution.
    SMALL_SAMPLE = "small_sample"

    @property
    def has_value(self) -> bool:
        """Whether rows with this status carry a value."""
        return self in _WITH_VALUE

    @property
    def is_suppressed(self) -> bool:
        """Whether the value was withheld for privacy (suppressed or derived from it)."""
        return self in (
            Status.SUPPRESSED,
            Status.SUPPRESSED_COMPLEMENTARY,
            Status.SUPPRESSED_DERIVED,
        )


_WITH_VALUE = frozenset(
    {
        Status.ESTIMATE,
        Status.CONTROLLED,
        Status.MOE_NOT_COMPUTABLE,
        Status.BOTTOM_CODED,
        Status.TOP_CODED,
        Status.SMALL_SAMPLE,
    }
)
