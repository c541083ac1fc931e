"""The match-quality report: is the link good, and equally good for every group."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import pandas as pd
from attrs import field, frozen

from feedbackloop.errors import StatisticalWarning

__all__ = ["LinkageQuality", "MatchRateWarning", "quality_report"]


class MatchRateWarning(StatisticalWarning):
    """Match rates that differ between groups enough to bias disaggregated results.

    .. versionadded:: 0.1.0
    """


@frozen(kw_only=True)
class LinkageQuality:
    """The match-quality report of one linkage.

    Attributes
    ----------
    method : str
        ``"probabilistic"`` or ``"deterministic"``.
    threshold : float
        Match probability at or above which a pair is accepted.
    overall_match_rate : float
        Share of all records linked to a record of another agency.
    match_rates : pandas.DataFrame
        ``agency``, ``column``, ``group``, ``records``, ``matched``,
        ``match_rate``: overall (``column`` is ``"all"``) and per group.
    precision, recall : float
        Model-based estimates: the mean match probability of accepted pairs,
        and the expected true matches accepted over those scored (pairs below
        ``review_floor`` and pairs never blocked together are not counted, so
        recall is an upper bound). NaN for deterministic linkage.
    review : pandas.DataFrame
        A clerical-review sample of borderline pairs (ids, scores, comparison
        levels; no names or dates).
    warnings : tuple of str
        The groups whose match rates differ from their agency's (also issued
        as :class:`MatchRateWarning`).

    .. versionadded:: 0.1.0
    """

    method: str
    threshold: float
    overall_match_rate: float
    match_rates: pd.DataFrame = field(eq=False, repr=False)
    precision: float
    recall: float
    review: pd.DataFrame = field(eq=False, repr=False)
    warnings: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [
            (
                f"{self.method} linkage at threshold {self.threshold:g}: "
                f"{self.overall_match_rate:.1%} of records linked across agencies"
            ),
            f"estimated precision {self.precision:.3f}, recall {self.recall:.3f}",
            f"{len(self.review)} borderline pair(s) sampled for clerical review",
            *(f"warning: {w}" for w in self.warnings),
        ]
        return "\n".join(lines)


def _rates(records: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    parts = []
    for agency, recs in records.groupby("agency", sort=True):
        parts.append(("all", "all", agency, recs))
        for col in by:
            for group, sub in recs.groupby(recs[col].fillna("(missing)"), sort=True):
                parts.append((col, str(group), agency, sub))
    rows = [
        {
            "agency": a,
            "column": c,
            "group": g,
            "records": len(s),
            "matched": int(s["matched"].sum()),
            "match_rate": float(s["matched"].mean()),
        }
        for c, g, a, s in parts
    ]
    return pd.DataFrame(
        rows, columns=["agency", "column", "group", "records", "matched", "match_rate"]
    )


def _biased(rates: pd.DataFrame, tolerance: float, min_records: int) -> list[str]:
    """Name the groups whose rate is off the typical group's by > tolerance, beyond chance.

    The typical rate is the median of the column's groups (those with at least
    ``min_records`` records) within the agency; "beyond chance" is a binomial
    z of more than 3 against it.
    """
    found = []
    groups = rates[(rates["column"] != "all") & (rates["records"] >= min_records)]
    for (agency, column), sub in groups.groupby(["agency", "column"], sort=True):
        if len(sub) < 2:
            continue
        typical = float(sub["match_rate"].median())
        if not 0 < typical < 1:
            continue
        for group, rate, n in zip(sub["group"], sub["match_rate"], sub["records"], strict=True):
            diff = float(rate) - typical
            z = diff / math.sqrt(typical * (1 - typical) / int(n))
            if abs(diff) / typical > tolerance and abs(z) > 3:
                found.append(
                    f"agency {agency!r}: {column} = {group!r} links at "
                    f"{rate:.1%} of records against {typical:.1%} for the typical "
                    f"{column} group ({diff / typical:+.0%}); results disaggregated by "
                    f"{column} will be biased unless the gap is real (fewer of that group "
                    "in both files); see the clerical-review sample"
                )
    return found


def quality_report(
    *,
    method: str,
    records: pd.DataFrame,
    pairs: pd.DataFrame,
    threshold: float,
    by: Sequence[str],
    tolerance: float,
    min_records: int,
    review_size: int,
    review_band: float,
    seed: int,
) -> LinkageQuality:
    """Build the report; ``records`` has ``agency``, a bool ``matched`` and the ``by`` columns."""
    rates = _rates(records, by)
    accepted = pairs[pairs["match_probability"] >= threshold]
    if method == "probabilistic" and len(pairs):
        precision = float(accepted["match_probability"].mean()) if len(accepted) else math.nan
        total = float(pairs["match_probability"].sum())
        recall = float(accepted["match_probability"].sum()) / total if total else math.nan
    else:
        precision = recall = math.nan
    lo, hi = threshold - review_band, threshold + review_band
    border = pairs[(pairs["match_probability"] >= lo) & (pairs["match_probability"] < hi)]
    review = border.sample(n=min(review_size, len(border)), random_state=seed)
    found = _biased(rates, tolerance, min_records)
    for message in found:
        warnings.warn(message, MatchRateWarning, stacklevel=3)
    return LinkageQuality(
        method=method,
        threshold=threshold,
        overall_match_rate=float(records["matched"].mean()) if len(records) else math.nan,
        match_rates=rates,
        precision=precision,
        recall=recall,
        review=review.sort_values("match_probability").reset_index(drop=True),
        warnings=tuple(found),
    )
