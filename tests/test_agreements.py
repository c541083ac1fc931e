"""Data-sharing agreements: schedules, retention, YAML, and checking deliveries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedbackloop import Indicator, IndicatorSeries, adapters
from feedbackloop.adapters import ADAPTER_API, SourceInfo
from feedbackloop.agreements import (
    AgreementError,
    DataSharingAgreement,
    Delivery,
    DeliveryCheck,
    DeliveryCheckItem,
    UnknownAudienceError,
    load_agreements,
)
from feedbackloop.errors import PolicyError, SourceReadError
from feedbackloop.examples import example_path
from feedbackloop.series import Provenance

D = dt.date


class PlainCsv:
    """A minimal test adapter: a tidy CSV with geography, period, value (+ dimensions)."""

    name: ClassVar[str] = "plain_csv_test"
    api_version: ClassVar[int] = ADAPTER_API
    description: ClassVar[str] = "tidy CSV for the agreement tests"

    def can_read(self, source: str) -> bool:
        return False

    def discover(self, source: str) -> SourceInfo:
        cols = pd.read_csv(source, nrows=0).columns
        return SourceInfo(adapter=self.name, source=str(source), columns=tuple(cols))

    def read(self, source: str, *, dimensions: tuple[str, ...] = ()) -> IndicatorSeries:
        try:
            df = pd.read_csv(source, dtype=str)
            df["value"] = df["value"].astype(float)
        except Exception as err:
            raise SourceReadError(str(err), adapter=self.name, source=str(source)) from err
        ind = Indicator(
            id="absent", name="Chronically absent", unit="people", direction="lower_is_better"
        )
        keep = ["geography", "period", "value", *dimensions]
        return IndicatorSeries.from_frame(
            df[keep],
            indicator=ind,
            dimensions=dimensions,
            provenance=Provenance(adapter=self.name, source=str(source)),
        )


@pytest.fixture(autouse=True)
def plain_csv() -> Iterator[None]:
    adapters.register(PlainCsv, replace=True)
    yield
    adapters.unregister(PlainCsv.name)


def agreement(**changes: object) -> DataSharingAgreement:
    base: dict[str, object] = dict(
        id="usd_attendance",
        parties=["Unified School District", "Backbone"],
        fields=["geography", "period", "grade", "value"],
        format="csv",
        adapter="plain_csv_test",
        read_options={"dimensions": ["grade"]},
        cadence="quarterly",
        first_period="2024-Q1",
        days_after_period_end=45,
        audiences={"steering_committee": {"threshold": 11}},
        retention="P3Y",
    )
    base.update(changes)
    return DataSharingAgreement(**base)  # type: ignore[arg-type]


GOOD = "geography,period,grade,value\n06075,2024-Q1,9,120\n06075,2024-Q1,10,98\n"


def deliver(tmp_path: Path, text: str | bytes, name: str = "q1.csv") -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


# ---------------------------------------------------------------- schedule


def test_quarterly_45_days_after_quarter_end() -> None:
    dues = [(str(s.period), s.due) for s in agreement().schedule(until=D(2025, 3, 1))]
    assert dues == [
        ("2024-Q1", D(2024, 5, 15)),
        ("2024-Q2", D(2024, 8, 14)),
        ("2024-Q3", D(2024, 11, 14)),
        ("2024-Q4", D(2025, 2, 14)),
    ]
    nxt = agreement().next_due(D(2024, 5, 16))
    assert nxt is not None and nxt.due == D(2024, 8, 14)


def test_first_due_monthly_clips_without_drift_and_stops_at_expiry() -> None:
    a = agreement(
        cadence="monthly",
        first_period=None,
        days_after_period_end=None,
        first_due="2024-01-31",
        expires="2024-05-30",
    )
    assert [s.due for s in a.schedule(until=D(2030, 1, 1))] == [
        D(2024, 1, 31),
        D(2024, 2, 29),
        D(2024, 3, 31),
        D(2024, 4, 30),
    ]
    once = agreement(
        cadence="once", first_period=None, days_after_period_end=None, first_due="2024-06-01"
    )
    assert [s.due for s in once.schedule(until=D(2030, 1, 1))] == [D(2024, 6, 1)]


@given(st.integers(0, 40), st.sampled_from(["monthly", "quarterly", "semiannual", "annual"]))
def test_due_dates_follow_the_period_ends(k: int, cadence: str) -> None:
    a = agreement(cadence=cadence, first_period="2024-01", days_after_period_end=30)
    items = a.schedule(until=D(2070, 1, 1))
    item = items[k]
    assert item.period is not None
    assert item.due == item.period.end + dt.timedelta(days=30)
    if k:
        assert items[k - 1].period.end + dt.timedelta(days=1) <= item.period.start  # type: ignore[union-attr]


def test_agreement_validation() -> None:
    with pytest.raises(ValueError, match="at least two parties"):
        agreement(parties=["Only me"])
    with pytest.raises(ValueError, match="needs first_period"):
        agreement(first_period=None)
    with pytest.raises(ValueError, match="give first_due or days_after_period_end"):
        agreement(days_after_period_end=None)
    with pytest.raises(ValueError, match="must be one of csv, xlsx, pdf"):
        agreement(format="docx")


# --------------------------------------------------------- retention, policy


def test_retention_date_and_duration() -> None:
    a = agreement()
    assert a.retention_until(D(2024, 2, 29)) == D(2027, 2, 28)
    assert not a.retention_due(D(2027, 2, 27), received=D(2024, 2, 29))
    assert a.retention_due(D(2027, 2, 28), received=D(2024, 2, 29))  # the day itself counts
    with pytest.raises(ValueError, match="pass received="):
        a.retention_until()
    fixed = agreement(retention="2026-06-30")
    assert fixed.retention_until() == D(2026, 6, 30)
    assert fixed.retention_due(D(2026, 6, 30)) and not fixed.retention_due(D(2026, 6, 29))
    assert agreement(retention="18 months").retention_until(D(2024, 1, 1)) == D(2025, 7, 1)
    assert not agreement(retention=None).retention_due(D(2100, 1, 1))


def test_policy_unknown_audience() -> None:
    with pytest.raises(UnknownAudienceError, match="audiences: steering_committee"):
        agreement().policy("press")


def test_policy_built_by_the_privacy_module() -> None:
    privacy = pytest.importorskip("feedbackloop.privacy")
    policy = agreement().policy("steering_committee")
    assert policy == privacy.policy_from_dict({"threshold": 11})
    (bundled,) = load_agreements(example_path().parent / "opportunity_youth_agreement.yaml")
    assert bundled.policy("public") == privacy.policy_from_dict(
        {"threshold": 20, "complementary": True}
    )


# ------------------------------------------------------------------- check


def rows(report: DeliveryCheck) -> dict[str, object]:
    return {c.check: c.ok for c in report}


def test_delivery_that_meets_the_agreement(tmp_path: Path) -> None:
    report = agreement().check(Delivery(path=deliver(tmp_path, GOOD), received=D(2024, 5, 15)))
    assert isinstance(report, DeliveryCheck)
    assert all(isinstance(c, DeliveryCheckItem) for c in report) and len(report) == 7
    assert report.passed, str(report)
    assert rows(report) == {
        "file": True,
        "on time": True,
        "format": True,
        "readable": True,
        "columns": True,
        "extra columns": True,
        "periods": True,
    }
    assert report.days_late == 0 and report.due == D(2024, 5, 15)
    assert report.agreement == "usd_attendance" and report.received == D(2024, 5, 15)
    text = str(report)
    assert "result: met the agreement" in text and "on the due date" in text


def test_late_wrong_columns_and_missing_period(tmp_path: Path) -> None:
    text = "geography,period,value,student_name\n06075,2024-Q2,120,Ana\n"
    d = Delivery(path=deliver(tmp_path, text), received=D(2024, 5, 20), period="2024-Q1")
    report = agreement(read_options={}).check(d)
    got = rows(report)
    assert got["on time"] is False and report.days_late == 5
    assert got["columns"] is False and got["extra columns"] is False and got["periods"] is False
    detail = {c.check: c.detail for c in report}
    assert detail["on time"] == "5 days late"
    assert detail["columns"] == "missing: grade"
    assert "student_name" in detail["extra columns"]
    assert detail["periods"] == "2024-Q1 missing (the file has 2024-Q2)"
    printed = str(report)
    assert "FAIL  on time" in printed and "result: 4 problems" in printed
    assert len(report.failures) == 4
    assert [c.check for c in report.failures] == ["on time", "columns", "extra columns", "periods"]


def test_adapter_failure_is_a_row_not_a_crash(tmp_path: Path) -> None:
    d = Delivery(path=deliver(tmp_path, "no,header,we,expect\n1,2,3,4\n"), received=D(2024, 5, 1))
    report = agreement().check(d)
    got = rows(report)
    assert got["readable"] is False and got["periods"] is None
    assert "SourceReadError" in report.item("readable").found
    unknown = agreement(adapter="no_such_adapter").check(d)
    assert rows(unknown)["readable"] is False
    assert "no adapter named 'no_such_adapter'" in str(unknown)


def test_wrong_format_and_missing_file(tmp_path: Path) -> None:
    pdf = deliver(tmp_path, b"%PDF-1.7\n%binary", name="q1.csv")
    report = agreement().check(Delivery(path=pdf, received=D(2024, 5, 1)))
    assert rows(report)["format"] is False
    assert "named .csv but the content is PDF" in str(report)
    xlsx = agreement(format="xlsx").check(
        Delivery(path=deliver(tmp_path, GOOD), received=D(2024, 5, 1))
    )
    assert "agreed XLSX, got CSV" in str(xlsx)
    gone = agreement().check(Delivery(path=tmp_path / "gone.csv", received=D(2024, 5, 1)))
    assert rows(gone)["file"] is False and rows(gone)["readable"] is False
    assert not gone.passed


def test_nearest_due_date_and_explicit_due(tmp_path: Path) -> None:
    a = agreement()
    path = deliver(tmp_path, GOOD)
    early = a.check(Delivery(path=path, received=D(2024, 4, 1)))  # nearest: 2024-05-15
    assert early.due == D(2024, 5, 15)
    assert "44 days early" in str(early)
    explicit = a.check(Delivery(path=path, received=D(2024, 4, 1), due="2024-03-31"))
    assert explicit.days_late == 1
    none = agreement(first_period=None, days_after_period_end=None, cadence="once")
    assert rows(none.check(Delivery(path=path, received=D(2024, 4, 1))))["on time"] is None


def test_check_as_a_frame_and_in_a_notebook(tmp_path: Path) -> None:
    text = "geography,period,value,<b>name</b>\n06075,2024-Q1,120,Ana\n"
    d = Delivery(path=deliver(tmp_path, text, name="q1 <x>.csv"), received=D(2024, 5, 20))
    report = agreement(read_options={}).check(d)
    frame = report.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["check", "ok", "expected", "found", "detail"]
    assert frame["check"].tolist() == [c.check for c in report]
    assert frame["ok"].tolist() == [c.ok for c in report] and frame["ok"].dtype == object
    assert frame.attrs["days_late"] == 5 and frame.attrs["due"] == D(2024, 5, 15)
    assert frame.attrs["agreement"] == "usd_attendance"
    assert repr(report) == str(report)
    html = report._repr_html_()
    assert "<b>" not in html and "&lt;b&gt;name&lt;/b&gt;" in html
    assert "q1 &lt;x&gt;.csv" in html and "result: 3 problems" in html
    assert report.item("on time") == DeliveryCheckItem(
        "on time", False, "by 2024-05-15", "received 2024-05-20", "5 days late"
    )
    with pytest.raises(KeyError, match="no check 'speed'"):
        report.item("speed")


# -------------------------------------------------------------------- YAML


def test_bundled_agreement_and_round_trip(tmp_path: Path) -> None:
    (a,) = load_agreements(example_path().parent / "opportunity_youth_agreement.yaml")
    assert a.id == "usd_student_data" and a.reader == "csv"
    assert a.audiences["public"] == {"threshold": 20, "complementary": True}
    a.to_yaml(tmp_path / "a.yaml")
    assert DataSharingAgreement.from_yaml(tmp_path / "a.yaml") == a
    both = tmp_path / "both.yaml"
    both.write_text(
        "agreements:\n"
        + "".join(
            "  - " + line + "\n" if i == 0 else "    " + line + "\n"
            for i, line in enumerate(a.to_yaml().splitlines())
        )
        + "  - {id: Bad Id, parties: [A, B], format: csv, cadence: weekly}\n",
        encoding="utf-8",
    )
    with pytest.raises(AgreementError) as info:
        load_agreements(both)
    wheres = [p.where for p in info.value.problems]
    assert any(w.startswith("agreements[1].cadence (line") for w in wheres)
    assert "must be one of annual" in str(info.value)


def test_yaml_errors_name_key_and_line(tmp_path: Path) -> None:
    p = tmp_path / "a.yaml"
    p.write_text(
        "id: x\nparties: [A, B]\nformat: csv\nfirst_due: soon\ncolour: red\n", encoding="utf-8"
    )
    with pytest.raises(AgreementError) as info:
        load_agreements(p)
    assert [q.where for q in info.value.problems] == ["first_due (line 4)", "colour (line 5)"]


def test_audience_specs_are_checked_when_the_file_loads(tmp_path: Path) -> None:
    p = tmp_path / "a.yaml"
    p.write_text(
        "id: x\nparties: [A, B]\nformat: csv\naudiences:\n"
        "  public: {threshold: many}\n"
        "  partners:\n    threshold: 0\n"
        "  staff: {method: blur}\n"
        "  board: 5\n"
        "  backbone: {method: none}\n",
        encoding="utf-8",
    )
    with pytest.raises(AgreementError) as info:
        load_agreements(p)
    problems = dict(info.value.problems)
    assert list(problems) == [
        "audiences.public.threshold (line 5)",
        "audiences.partners.threshold (line 7)",
        "audiences.staff (line 8)",
        "audiences.board (line 9)",
    ]
    assert "whole number >= 1 (got 'many')" in problems["audiences.public.threshold (line 5)"]
    assert "suppress, round, none" in problems["audiences.staff (line 8)"]


def test_audience_spec_checked_when_built_in_python() -> None:
    with pytest.raises(PolicyError, match="audience 'public': threshold must be"):
        agreement(audiences={"public": {"threshold": "many"}})
    assert agreement(audiences={"public": {"method": "round", "base": 5}}).policy("public")
