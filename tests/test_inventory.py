"""Data inventory: from the loop, CSV/YAML round trips, row/column errors, gaps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedbackloop import TOTAL, DataSharingAgreement, Indicator, IndicatorSeries, SourceSpec
from feedbackloop.examples import example_path, load_example
from feedbackloop.inventory import (
    CSV_COLUMNS,
    Acquisition,
    Availability,
    DataInventory,
    DataNeed,
    Importance,
    InventoryError,
)
from feedbackloop.series import Provenance

D = dt.date


def test_from_loop_makes_one_need_per_indicator() -> None:
    loop = load_example()
    inv = DataInventory.from_loop(loop)
    assert len(inv) == len({i for n in loop.nodes for i in n.indicators}) == 14
    u = inv.need("youth_unemployment_rate")
    assert u.disaggregations == (("race",), ("sex",), ("geography",))
    assert u.importance is Importance.HIGH  # carries a target
    assert inv.need("fafsa_completion_rate").importance is Importance.MEDIUM
    assert inv.need("credential_attainment").proxy == "college_enrollment_rate"
    # An indicator with a declared source is available; one without is not known to be.
    assert inv.need("mentees_served").availability is Availability.AVAILABLE
    assert inv.need("fafsa_completion_rate").availability is Availability.UNKNOWN
    with pytest.raises(KeyError, match="no data need for indicator 'nope'"):
        inv.need("nope")


def test_the_bundled_inventory_loads() -> None:
    inv = DataInventory.from_csv(example_path().parent / "opportunity_youth_inventory.csv")
    u = inv.need("youth_unemployment_rate")
    assert ("race", "sex") in u.disaggregations
    assert u.lag_days == 350 and u.cadence is not None and u.cadence.value == "annual"
    assert inv.need("youth_work_experience").availability is Availability.NOT_COLLECTED
    assert inv.need("chronic_absence_rate").agreement == "usd_student_data"


def test_csv_and_yaml_round_trip(tmp_path: Path) -> None:
    inv = DataInventory.from_csv(example_path().parent / "opportunity_youth_inventory.csv")
    extra = DataNeed(
        indicator="jobs",
        disaggregations="race x sex; geography",
        source=SourceSpec(adapter="csv", path="jobs.csv", options={"value": "n", "skip": 2}),
        acquisition="data partner",
    )
    pooled = DataNeed(
        indicator="pooled_people",
        source=SourceSpec(
            engine="duckdb", path="pooled/*.parquet", options={"memory_limit": "4GB"}
        ),
    )
    table = DataNeed(
        indicator="acs_people",
        source=SourceSpec(engine="duckdb", table="acs", options={"database": "net.duckdb"}),
    )
    inv = DataInventory(needs=[*inv.needs, extra, pooled, table])
    inv.to_csv(tmp_path / "inv.csv")
    assert DataInventory.load(tmp_path / "inv.csv") == inv
    inv.to_yaml(tmp_path / "inv.yaml")
    assert DataInventory.load(tmp_path / "inv.yaml") == inv
    assert (tmp_path / "inv.csv").read_text().splitlines()[0] == ",".join(CSV_COLUMNS)
    assert inv.to_frame().columns.tolist() == list(CSV_COLUMNS)


needs = st.builds(
    DataNeed,
    indicator=st.sampled_from(["a", "b_rate", "c2"]),
    name=st.sampled_from(["", "Rate, ages 16–24", 'A "quoted" name']),
    disaggregations=st.lists(
        st.lists(
            st.sampled_from(["race", "sex", "geography"]), min_size=1, max_size=2, unique=True
        ).map(tuple),
        max_size=3,
    ).map(tuple),
    owner=st.sampled_from(["", "USD", "Youth Works; Board"]),
    availability=st.sampled_from(list(Availability)),
    importance=st.sampled_from(list(Importance)),
    acquisition=st.sampled_from(list(Acquisition)),
    lag_days=st.integers(0, 400),
    notes=st.sampled_from(["", "line one\nline two"]),
)


@given(st.lists(needs, max_size=3, unique_by=lambda n: n.indicator))
def test_csv_round_trip_property(items: list[DataNeed]) -> None:
    import csv

    inv = DataInventory(needs=items)
    rows = list(csv.reader(inv.to_csv().splitlines(keepends=True)))
    assert DataInventory.from_rows(rows) == inv


def test_csv_errors_name_file_row_and_column(tmp_path: Path) -> None:
    p = tmp_path / "inv.csv"
    p.write_text(
        "Indicator,Availability,Lag days,Colour\njobs,available,10,\nBad Id,sometimes,ten,\n",
        encoding="utf-8",
    )
    with pytest.raises(InventoryError, match=r"row 1, column 'Colour' \(D\): unknown column"):
        DataInventory.from_csv(p)
    p.write_text(
        "Indicator,Availability,Lag days\njobs,available,10\n\nBad Id,sometimes,ten\n"
        "jobs,available,\n",
        encoding="utf-8",
    )
    with pytest.raises(InventoryError) as info:
        DataInventory.from_csv(p)
    msg = str(info.value)
    assert str(p) in msg
    assert "row 4, column 'indicator' (A): must be an indicator id" in msg
    assert "row 4, column 'availability' (B): must be one of" in msg
    assert "row 4, column 'lag_days' (C)" in msg
    assert "appears twice" in msg


def test_yaml_errors_name_path_and_line(tmp_path: Path) -> None:
    p = tmp_path / "inv.yaml"
    p.write_text(
        "needs:\n  - indicator: jobs\n    importance: huge\n  - indicator: x\n    colour: red\n",
        encoding="utf-8",
    )
    with pytest.raises(InventoryError) as info:
        DataInventory.from_yaml(p)
    wheres = [q.where for q in info.value.problems]
    assert wheres == ["needs[0].importance (line 3)", "needs[1].colour (line 5)"]


# ------------------------------------------------------------------ gaps


def series(
    ind_id: str, rows: list[dict[str, object]], dims: tuple[str, ...], **prov: str
) -> IndicatorSeries:
    loop = load_example()
    return IndicatorSeries.from_frame(
        pd.DataFrame(rows),
        indicator=loop.indicator(ind_id),
        dimensions=dims,
        provenance=Provenance(adapter="test", source="x", **prov),
    )


def test_gaps_kinds() -> None:
    loop = load_example()
    inv = DataInventory.from_loop(loop)
    u = inv.need("youth_unemployment_rate")
    needs = [n for n in inv.needs if n.indicator != "fafsa_night_attendance"]
    needs[needs.index(u)] = DataNeed(
        indicator=u.indicator,
        name=u.name,
        disaggregations="race x sex; sex; geography",
        cadence="annual",
        lag_days=350,
        importance="high",
    )
    needs.append(DataNeed(indicator="ghost", importance="low"))
    inv = DataInventory(needs=needs)
    by_sex = [
        {"geography": "06075", "period": "2018-2022", "sex": s, "value": v}
        for s, v in ((TOTAL, 9.0), ("Female", 8.0), ("Male", 10.0))
    ]
    data = {
        "youth_unemployment_rate": series(
            "youth_unemployment_rate", by_sex, ("sex",), retrieved="2023-01-05T00:00:00+00:00"
        ),
        "college_enrollment_rate": series(
            "college_enrollment_rate",
            [{"geography": "06075", "period": "2022/23", "value": 61.0}],
            (),
        ),
    }
    gaps = inv.gaps(loop, data, as_of=D(2025, 3, 1))
    got = {(r.indicator, r.gap) for r in gaps.itertuples()}
    assert ("youth_unemployment_rate", "missing disaggregation") in got
    detail = gaps[(gaps["indicator"] == "youth_unemployment_rate")]["detail"].tolist()
    assert any("wanted race x sex; the data have no race" in d for d in detail)
    assert any("wanted geography; the data cover one place only" in d for d in detail)
    assert not any("wanted sex;" in d for d in detail)
    stale = next(d for d in detail if d.startswith("retrieved"))
    assert "retrieved 2023-01-05" in stale
    assert "next was expected by 2024-12-15" in stale  # 2022-12-31 + 1 year + 350 days
    assert ("credential_attainment", "proxy in use") in got
    assert ("hs_graduation_rate", "no data") in got
    assert ("fafsa_night_attendance", "not in inventory") in got
    assert ("ghost", "not in loop") in got
    assert gaps["importance"].tolist()[0] == "high"
    assert list(gaps.columns[:4]) == ["indicator", "name", "gap", "detail"]
    fresh = inv.gaps(loop, data, as_of=D(2023, 6, 1))
    assert "not refreshed" not in set(fresh["gap"])


def test_crossing_needs_rows_with_both_dimensions() -> None:
    loop = load_example()
    rows = [
        {"geography": "06075", "period": "2020", "race": r, "sex": s, "value": 1.0}
        for r, s in ((TOTAL, TOTAL), ("Asian", TOTAL), (TOTAL, "Male"))
    ]
    s = series("youth_unemployment_rate", rows, ("race", "sex"))
    inv = DataInventory(
        needs=[DataNeed(indicator="youth_unemployment_rate", disaggregations="race x sex")]
    )
    gaps = inv.gaps(loop, {"youth_unemployment_rate": s}, as_of=D(2021, 1, 1))
    assert "no rows broken down by race x sex" in gaps["detail"].iloc[0]
    rows.append(
        {"geography": "06075", "period": "2020", "race": "Asian", "sex": "Male", "value": 1.0}
    )
    s = series("youth_unemployment_rate", rows, ("race", "sex"))
    gaps = inv.gaps(loop, {"youth_unemployment_rate": s}, as_of=D(2021, 1, 1))
    assert "missing disaggregation" not in set(gaps["gap"])


def test_need_validation() -> None:
    with pytest.raises(ValueError, match="own proxy"):
        DataNeed(indicator="a", proxy="a")
    with pytest.raises(ValueError, match="names a dimension twice"):
        DataNeed(indicator="a", disaggregations="race x race")
    with pytest.raises(ValueError, match="must be one of available"):
        DataNeed(indicator="a", availability="maybe")
    with pytest.raises(ValueError, match="appears twice"):
        DataInventory(needs=[DataNeed(indicator="a"), DataNeed(indicator="a")])


@pytest.mark.parametrize(
    "slug", ["a", "a1_b", "youth_2", "A", "1a", "a-b", "_a", "a b", "a\n", "é"]
)
def test_planning_ids_follow_the_models_rule(slug: str) -> None:
    # planning keeps its own copy of the id pattern (the model's is private); they must agree
    def accepts(make: Callable[[], object]) -> bool:
        try:
            make()
        except ValueError:
            return False
        return True

    model = accepts(
        lambda: Indicator(id=slug, name="x", unit="people", direction="lower_is_better")
    )
    assert accepts(lambda: DataNeed(indicator=slug)) is model
    assert accepts(lambda: DataNeed(indicator="x", proxy=slug)) is model
    assert accepts(lambda: DataSharingAgreement(id=slug, parties=["A", "B"], format="csv")) is model
