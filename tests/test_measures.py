"""Client records to RBA performance measures."""

from __future__ import annotations

import pandas as pd
import pytest

from feedbackloop import TOTAL, MeasureKind, Quadrant
from feedbackloop.errors import SeriesValidationError
from feedbackloop.measures import from_records, performance_measures
from feedbackloop.privacy import ExportRefusedError


def records() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "client": ["a", "a", "b", "c", "d", "e", "f"],
            "site": ["N", "N", "N", "S", "S", "S", "S"],
            "period": ["2024"] * 7,
            "race": ["Black", "Black", "White", "Black", "White", "White", "Black"],
            "completed": [False, True, False, True, True, "no", "yes"],
            "better_off": [None, True, False, True, None, False, True],
        }
    )


def rows(s, **where):  # type: ignore[no-untyped-def]
    f = s.frame
    for k, v in where.items():
        f = f[f[k] == v]
    return f


def test_served_counts_distinct_clients_with_every_margin() -> None:
    s = from_records(
        records(),
        "served",
        program="mentoring",
        client="client",
        geography="site",
        dimensions=["race"],
        geography_total=True,
    )
    assert s.indicator.id == "mentoring_served"
    assert s.indicator.kind is MeasureKind.PERFORMANCE
    assert s.indicator.quadrant is Quadrant.HOW_MUCH
    assert s.sensitive
    assert rows(s, geography="N", race="Black")["value"].item() == 1  # a counted once
    assert rows(s, geography="N", race=TOTAL)["value"].item() == 2
    assert rows(s, geography=TOTAL, race=TOTAL)["value"].item() == 6
    assert rows(s, geography=TOTAL, race="White")["value"].item() == 3
    assert len(s) == 9  # (2 sites + total) x (2 races + total)


def test_percent_completing_keeps_numerator_and_denominator() -> None:
    s = from_records(records(), "completed", client="client", dimensions=["race"])
    black = rows(s, race="Black")
    assert (black["numerator"].item(), black["denominator"].item()) == (3, 3)
    assert black["value"].item() == 100.0
    white = rows(s, race="White")
    assert (white["numerator"].item(), white["denominator"].item()) == (1, 3)
    assert white["value"].item() == pytest.approx(33.3)
    assert s.indicator.quadrant is Quadrant.HOW_WELL and s.unit == "percent"


def test_better_off_counts_only_assessed_clients() -> None:
    s = from_records(records(), "better_off", client="client")
    total = s.frame.iloc[0]
    # a: better off on one of its records; b, e: not; c, f: yes; d: not assessed
    assert (total["numerator"], total["denominator"]) == (3, 5)
    assert s.indicator.quadrant is Quadrant.BETTER_OFF


def test_without_client_ids_every_record_is_a_client() -> None:
    s = from_records(records(), "served")
    assert s.frame["value"].tolist() == [7]
    assert s.frame["geography"].tolist() == [TOTAL]


def test_dates_are_binned_to_years() -> None:
    df = records()
    df["period"] = pd.to_datetime(["2023-05-01"] * 3 + ["2024-02-01"] * 4)
    s = from_records(df, "served", client="client")
    assert s.frame["period"].tolist() == ["2023", "2024"]
    assert s.frame["value"].tolist() == [2, 4]


def test_problems_are_reported_together() -> None:
    df = records()
    df.loc[1, "race"] = None
    df.loc[2, "completed"] = "maybe"
    df.loc[3, "completed"] = None
    with pytest.raises(SeriesValidationError) as info:
        from_records(df, "completed", dimensions=["race"])
    text = str(info.value)
    assert "race: rows [1] have no value" in text
    assert "'maybe'" in text and "rows [3] are missing" in text
    with pytest.raises(SeriesValidationError, match="column not found"):
        from_records(df, "served", dimensions=["sex"])


def test_measures_are_ready_for_suppression() -> None:
    m = performance_measures(records(), client="client", dimensions=["race"])
    assert set(m) == {"served", "completed", "better_off"}
    with pytest.raises(ExportRefusedError):
        m["completed"].export(None)
    public = m["completed"].export("public")
    # every count is below 11: nothing may be shown
    assert public.frame["value"].isna().all()
    assert public.frame["numerator"].isna().all()
