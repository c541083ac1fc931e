"""The report and the CLI share sensitive data only for a named audience."""

from __future__ import annotations

import pandas as pd
import pytest

pytest.importorskip("scipy", reason="suppression needs the privacy extra")

from feedbackloop import TOTAL, Indicator, IndicatorSeries, Status
from feedbackloop.agreements import DataSharingAgreement
from feedbackloop.privacy import ExportRefusedError
from feedbackloop.report import for_audience

MENTEES = Indicator(
    id="mentees",
    name="Students matched with a mentor",
    unit="students",
    direction="higher_is_better",
)


def _counts(*, sensitive: bool = False) -> IndicatorSeries:
    rows = {"A": 4, "B": 40, "C": 35, TOTAL: 79}
    df = pd.DataFrame(
        {
            "geography": "06075",
            "period": "2023",
            "race": list(rows),
            "value": list(rows.values()),
        }
    )
    return IndicatorSeries.from_frame(
        df, indicator=MENTEES, dimensions=["race"], sensitive=sensitive
    )


def _agreement(indicators: list[str]) -> DataSharingAgreement:
    return DataSharingAgreement(
        id="mentoring_data",
        parties=["Mentoring nonprofit", "Backbone"],
        format="pdf",
        indicators=indicators,
        audiences={"steering_committee": {"threshold": 3}, "public": {"threshold": 11}},
    )


def test_public_data_passes_unchanged_without_audience() -> None:
    series = _counts()
    assert for_audience({"mentees": series}, None)["mentees"] is series


def test_sensitive_series_needs_an_audience() -> None:
    with pytest.raises(ExportRefusedError, match=r"'mentees'.*marked sensitive.*--audience"):
        for_audience({"mentees": _counts(sensitive=True)}, None)


def test_agreement_makes_an_indicator_sensitive_and_names_its_audiences() -> None:
    with pytest.raises(ExportRefusedError, match=r"agreement 'mentoring_data'.*steering_committee"):
        for_audience({"mentees": _counts()}, None, [_agreement(["mentees"])])


def test_agreement_audience_policy_is_applied() -> None:
    data = {"mentees": _counts()}
    agreements = [_agreement(["mentees"])]
    public = for_audience(data, "public", agreements)["mentees"].frame.set_index("race")
    # 4 is below 11: withheld, and with it a complementary cell so it cannot be recovered.
    assert public.loc["A", "status"] == Status.SUPPRESSED
    assert pd.isna(public.loc["A", "value"])
    assert (public["status"] == Status.SUPPRESSED_COMPLEMENTARY).sum() >= 1
    committee = for_audience(data, "steering_committee", agreements)["mentees"].frame
    assert committee["value"].notna().all()  # threshold 3: nothing to withhold


def test_unknown_audience_is_refused() -> None:
    with pytest.raises(ExportRefusedError, match="board"):
        for_audience({"mentees": _counts()}, "board", [_agreement(["mentees"])])
