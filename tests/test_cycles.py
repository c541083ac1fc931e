"""PDSA cycle logs, study charts, the A3 and ``feedbackloop cycles``."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from attrs import evolve
from hypothesis import given
from hypothesis import strategies as st

import feedbackloop as fl
from feedbackloop.cli import main
from feedbackloop.errors import CycleLogError, LoopError, PlanningFileError, SpcError
from feedbackloop.examples import example_path, load_example
from feedbackloop.planning import (
    A3Notes,
    Act,
    CycleLog,
    CycleStatus,
    PdsaCycle,
    a3,
    study_chart,
)

D = dt.date
EXAMPLES = example_path().parent


def _cycle(**kw: object) -> PdsaCycle:
    base: dict[str, object] = {
        "number": 1,
        "strategy": "mentoring",
        "objective": "More sessions held",
        "indicators": ["mentor_sessions_held"],
        "start": D(2024, 1, 8),
        "end": D(2024, 4, 30),
    }
    base.update(kw)
    return PdsaCycle(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def example_log() -> CycleLog:
    log = load_example().attachments().cycles
    assert log is not None
    return log


# ------------------------------------------------------------------ status


def test_status_on_edge_dates() -> None:
    c = _cycle(study_by=D(2024, 5, 15), closed=D(2024, 5, 20), act="adopt", study="x")
    assert c.status(D(2024, 1, 7)) is CycleStatus.PLANNED
    assert c.status(D(2024, 1, 8)) is CycleStatus.DOING
    assert c.status(D(2024, 4, 30)) is CycleStatus.DOING
    assert c.status(D(2024, 5, 1)) is CycleStatus.STUDYING
    assert c.status(D(2024, 5, 15)) is CycleStatus.STUDYING
    assert c.status(D(2024, 5, 16)) is CycleStatus.OVERDUE
    assert c.days_overdue(D(2024, 5, 19)) == 4
    assert c.status(D(2024, 5, 20)) is CycleStatus.CLOSED
    assert c.days_overdue(D(2024, 5, 20)) == 0
    # without study_by the study is due when the Do ends
    assert _cycle().status(D(2024, 5, 1)) is CycleStatus.OVERDUE


@given(
    start=st.dates(D(2020, 1, 1), D(2030, 1, 1)),
    do=st.integers(0, 200),
    grace=st.integers(0, 60),
    closed_after=st.none() | st.integers(0, 400),
    as_of=st.dates(D(2019, 1, 1), D(2032, 1, 1)),
)
def test_status_follows_the_rules(
    start: dt.date, do: int, grace: int, closed_after: int | None, as_of: dt.date
) -> None:
    end = start + dt.timedelta(days=do)
    study_by = end + dt.timedelta(days=grace)
    closed = None if closed_after is None else start + dt.timedelta(days=closed_after)
    c = _cycle(start=start, end=end, study_by=study_by, closed=closed)
    status = c.status(as_of)
    if closed is not None and closed <= as_of:
        assert status is CycleStatus.CLOSED
    elif as_of < start:
        assert status is CycleStatus.PLANNED
    elif as_of <= end:
        assert status is CycleStatus.DOING
    elif as_of <= study_by:
        assert status is CycleStatus.STUDYING
    else:
        assert status is CycleStatus.OVERDUE
        assert c.days_overdue(as_of) == (as_of - study_by).days > 0
    log = CycleLog(cycles=[c])
    assert (c in log.open(as_of)) == (status is not CycleStatus.CLOSED)
    assert (c in log.overdue(as_of)) == (status is CycleStatus.OVERDUE)


def test_constructor_refuses_dates_out_of_order() -> None:
    with pytest.raises(ValueError, match=r"cycle 1 ends \(2024-01-01\) before it starts"):
        _cycle(end=D(2024, 1, 1))
    with pytest.raises(ValueError, match="study is due"):
        _cycle(study_by=D(2024, 4, 1))
    with pytest.raises(ValueError, match="closed"):
        _cycle(closed=D(2023, 12, 1))
    with pytest.raises(ValueError, match="two cycles are numbered 1"):
        CycleLog(cycles=[_cycle(), _cycle()])
    assert Act.parse(" Adopt ") is Act.ADOPT and Act.parse("") is None


# ------------------------------------------------------------- round trips


def test_example_log_round_trips_through_yaml_csv_and_xlsx(
    example_log: CycleLog, tmp_path: Path
) -> None:
    assert [c.number for c in example_log] == [1, 2]
    assert example_log.cycle(2).act is Act.ADOPT and example_log.cycle(1).next == 2
    assert example_log.a3["mentoring"].root_causes.startswith("Mentors (volunteers")
    example_log.to_yaml(tmp_path / "log.yaml")
    assert CycleLog.load(tmp_path / "log.yaml") == example_log
    csv_log = evolve(example_log, a3={})
    csv_log.to_csv(tmp_path / "log.csv")
    assert CycleLog.load(tmp_path / "log.csv") == csv_log
    pytest.importorskip("openpyxl")
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for row in _csv_rows(tmp_path / "log.csv"):
        ws.append([_xlsx_cell(v) for v in row])
    wb.save(tmp_path / "log.xlsx")
    assert CycleLog.load(tmp_path / "log.xlsx") == csv_log
    frame = example_log.to_frame()
    assert list(frame["number"]) == [1, 2] and frame.loc[1, "previous"] == 1


def _csv_rows(path: Path) -> list[list[str]]:
    import csv

    with path.open(encoding="utf-8") as f:
        return list(csv.reader(f))


def _xlsx_cell(value: str) -> object:
    try:  # dates as date cells, numbers as numbers: what a spreadsheet holds
        return dt.date.fromisoformat(value)
    except ValueError:
        return int(value) if value.isdigit() else (value or None)


def test_csv_neutralises_formulas(tmp_path: Path) -> None:
    log = CycleLog(cycles=[_cycle(objective="=HYPERLINK(1)", what="+sum")])
    text = log.to_csv()
    assert "'=HYPERLINK(1)" in text and "'+sum" in text
    log.to_csv(tmp_path / "f.csv")
    assert CycleLog.from_csv(tmp_path / "f.csv") == log


# --------------------------------------------------------- located errors


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_yaml_errors_name_the_path_and_line(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "bad.yaml",
        """\
        cycles:
          - number: 1
            strategy: mentoring
            objective: x
            plan: {start: "2024-02-30", end: 2024-03-01, when: soon}
            act: maybe
          - number: 1
            objective: y
            plan: {start: 2024-01-01, end: 2023-01-01}
          - number: 0
            strategy: Mentoring
            objective: z
            plan: {start: 2024-01-01, end: 2024-02-01}
            colour: red
          - number: 4
            strategy: mentoring
            objective: w
            plan: {start: 2024-01-01, end: 2023-01-01}
        """,
    )
    with pytest.raises(CycleLogError) as info:
        CycleLog.load(p)
    err = info.value
    assert isinstance(err, PlanningFileError) and isinstance(err, ValueError)
    wheres = [pr.where for pr in err.problems]
    assert "cycles[0].plan.start (line 5)" in wheres
    assert "cycles[0].plan.when (line 5)" in wheres
    assert "cycles[0].act (line 6)" in wheres
    assert "cycles[1].strategy (line 7)" in wheres  # required, located at the cycle
    assert "cycles[2].number (line 10)" in wheres
    assert "cycles[2].strategy (line 11)" in wheres
    assert "cycles[2].colour (line 14)" in wheres
    (order,) = [pr for pr in err.problems if pr.where == "cycles[3] (line 15)"]
    assert order.message.startswith("cycle 4 ends (2023-01-01) before it starts (2024-01-01)")
    assert len(err.problems) == 8
    assert str(err).startswith(f"{p}: ")
    assert "in the cycle log" in str(err)


def test_spreadsheet_errors_name_row_and_column(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "bad.csv",
        """\
        ILLUSTRATIVE test log
        Number,Strategy,Objective,Start,End,Act,Colour
        1,mentoring,x,2024-01-01,2024-02-01,adopt,
        2,mentoring,,2024-01-01,someday,,
        2,mentoring,z,2024-03-01,2024-02-01,,,extra
        """,
    )
    with pytest.raises(CycleLogError) as info:
        CycleLog.load(p)
    wheres = {pr.where: pr.message for pr in info.value.problems}
    assert "unknown column" in wheres["row 2, column 'Colour' (G)"]
    assert "is required" in wheres["row 4, column 'Objective' (C)"]
    assert "must be a date" in wheres["row 4, column 'End' (E)"]
    assert "ends (2024-02-01) before it starts" in wheres["row 5"]
    assert "without a header" in wheres["row 5, column H"]
    with pytest.raises(CycleLogError, match=r"unknown file type '\.txt'"):
        CycleLog.load(_write(tmp_path, "x.txt", "x"))
    with pytest.raises(CycleLogError, match="no header row"):
        CycleLog.load(_write(tmp_path, "h.csv", "a,b\n1,2\n"))


def test_duplicate_numbers_are_located(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "dup.csv",
        "Number,Strategy,Objective,Start,End\n"
        "3,mentoring,x,2024-01-01,2024-02-01\n"
        "3,mentoring,y,2024-03-01,2024-04-01\n",
    )
    with pytest.raises(
        CycleLogError, match=r"row 3: cycle number 3 is used again \(first at row 2\)"
    ):
        CycleLog.load(p)


# ------------------------------------------------------------------ check


def test_check_names_every_broken_rule() -> None:
    loop = load_example()
    log = CycleLog(
        cycles=[
            _cycle(number=1, next=2, closed=D(2024, 5, 1)),  # no study, no act
            _cycle(number=2, previous=3, start=D(2023, 1, 1), end=D(2023, 2, 1)),
            _cycle(number=3, next=9, strategy="knitting", indicators=["vibes"], act="adapt"),
            _cycle(number=4, next=4, indicators=[]),
            _cycle(number=5, next=6),
            _cycle(number=6, next=5),
        ],
        a3={"nope": A3Notes(root_causes="x")},
        source="log.yaml",
    )
    messages = [str(p) for p in log.check(loop)]
    expect = [
        "cycle 1: next: cycle 1 names cycle 2 as next, but cycle 2 follows cycle 3",
        "cycle 1: cycle 1 was closed on 2024-05-01 without a study",
        "cycle 1: cycle 1 was closed on 2024-05-01 without an act",
        "cycle 2: previous: cycle 2 follows cycle 3, but cycle 3 names cycle 9 as next",
        "cycle 3: next: there is no cycle 9 in the log",
        "cycle 3: cycle 3 has the act adapt but no closed date",
        "cycle 3: strategy: 'knitting' is not a strategy of loop",
        "cycle 3: indicators: 'vibes' is not an indicator of loop",
        "cycle 4: next: cycle 4 is linked to itself",
        "cycle 4: cycle 4 watches no indicator",
        "cycle 2: dates out of order: cycle 2 starts (2023-01-01) before cycle 1",
        "cycle 5: the next links run in a circle (5 -> 6 -> 5)",
        "a3.nope: 'nope' is not a strategy of loop",
    ]
    for e in expect:
        assert any(m.startswith(e) for m in messages), (e, messages)
    assert len(messages) == len(expect) + 1  # + cycle 2 -> cycle 3's date order
    assert any(m.startswith("cycle 3: dates out of order") for m in messages) is False
    with pytest.raises(CycleLogError, match=r"log\.yaml: 14 problems in the cycle log"):
        log.validate(loop)


def test_example_log_is_clean_and_linked(example_log: CycleLog) -> None:
    loop = load_example()
    assert example_log.check(loop) == ()
    assert example_log.validate(loop) is example_log
    assert [c.number for c in example_log.series_of(2)] == [1, 2]
    assert [c.number for c in example_log.series_of(example_log.cycle(1))] == [1, 2]
    assert [c.number for c in example_log.for_strategy("mentoring")] == [1, 2]
    assert example_log.for_strategy("summer_jobs") == ()
    with pytest.raises(KeyError, match="no cycle numbered 7"):
        example_log.cycle(7)


def test_series_of_survives_a_circle() -> None:
    log = CycleLog(cycles=[_cycle(number=1, next=2), _cycle(number=2, next=1)])
    assert [c.number for c in log.series_of(1)] in ([1, 2], [2, 1])


# ----------------------------------------------------------- study charts


@pytest.fixture(scope="module")
def sessions() -> fl.IndicatorSeries:
    loop = load_example()
    result = fl.collect(
        loop.__class__(
            name=loop.name,
            shared_result=loop.shared_result,
            indicators=[loop.indicator("mentor_sessions_held")],
        ),
        base_dir=EXAMPLES,
        progress=False,
    )
    return result["mentor_sessions_held"]


def test_study_chart_splits_or_freezes_at_the_cycle_start(
    example_log: CycleLog, sessions: fl.IndicatorSeries
) -> None:
    c2 = example_log.cycle(2)
    phases = study_chart(c2, sessions)
    assert list(phases.y.index[[0, -1]]) == ["2023-01", "2024-12"]
    assert phases.phase["2024-08"] == 0 and phases.phase["2024-09"] == 1
    assert float(phases.center["2024-09"]) == 161.0
    base = study_chart(c2, sessions, method="baseline")
    assert float(base.center["2024-12"]) == float(base.center["2023-01"]) == 143.5
    shifts = base.signals[(base.signals["rule"] == "shift") & (base.signals["direction"] == "up")]
    assert ("2024-07", "2024-12") in list(zip(shifts["start"], shifts["end"], strict=True))
    short = study_chart(c2, sessions, baseline_points=3, through=D(2025, 6, 30))
    assert list(short.y.index[[0, -1]]) == ["2024-06", "2025-06"]
    late = evolve(c2, start=D(2026, 1, 1), end=D(2026, 2, 1), study_by=None, closed=None)
    with pytest.raises(SpcError, match="no point of the series falls in its dates"):
        study_chart(late, sessions)
    with pytest.raises(ValueError, match="method must be"):
        study_chart(c2, sessions, method="both")  # type: ignore[arg-type]
    plain = pd.Series([1.0, 2, 3], index=["2024-01", "2024-02", "2024-03"])
    assert study_chart(_cycle(start=D(2023, 1, 1), end=D(2024, 2, 1)), plain).phase.max() == 0


# --------------------------------------------------------------------- A3


def test_a3_of_the_example(example_log: CycleLog) -> None:
    loop = load_example()
    att = loop.attachments()
    data = fl.collect(loop, base_dir=EXAMPLES, progress=False)
    page = a3(
        loop, "mentoring", data=data, cycles=example_log, plan=att.action_plan, as_of=D(2025, 3, 3)
    )
    assert page.background.startswith("Students with chronic absence")
    ids = [m.indicator for m in page.current]
    assert ids == ["mentees_served", "mentee_attendance_improved", "mentor_sessions_held"]
    sessions = page.current[2]
    assert (sessions.period, sessions.value) == ("2025-06", 184.0)
    assert sessions.chart is not None and sessions.chart.has_signal
    assert page.current[1].value is None and page.current[1].note == "no data collected"
    assert page.current[0].note == "all groups (total)"
    (target,) = page.targets
    assert (target.node, target.level, target.period) == ("attendance", 15.0, "2024/25")
    assert [c.number for c in page.countermeasures] == [1, 2]
    assert page.follow_up[0].task == "Build the data inventory with every partner"
    text = str(page)
    for heading in ("1. Background", "3. Target condition", "5. Countermeasures", "6. Follow-up"):
        assert heading in text
    assert "cycle 2 (reminders), 2024-09-03 to 2024-12-20 [closed]" in text
    d = page.to_dict()
    assert d["as_of"] == "2025-03-03" and d["countermeasures"][1]["act"] == "adopt"
    assert d["current_condition"][2]["chart"]["kind"] == "run"
    bare = a3(loop, "summer_jobs", as_of=D(2025, 3, 3))
    assert "(no cycle yet)" in str(bare) and bare.root_causes == ""
    with pytest.raises(LoopError, match="'attendance' is a key driver, not a strategy"):
        a3(loop, "attendance")


# -------------------------------------------------------------------- CLI


def test_cli_cycles_lists_open_overdue_and_uncovered(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cycles", "--as-of", "2024-10-01"]) == 0
    out = capsys.readouterr().out
    assert "Open cycles (1):\n  - cycle 2 (reminders) [mentoring] doing: 2024-09-03" in out
    assert "Overdue for a study (0):\n  none" in out
    assert "Strategies with no cycle (2):\n  - summer_jobs:" in out
    assert main(["cycles", "--as-of", "2025-03-03"]) == 0
    assert "Open cycles (0):\n  none" in capsys.readouterr().out


def test_cli_cycles_overdue_and_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = load_example()
    log = CycleLog(cycles=[_cycle(study_by=D(2024, 5, 15)), _cycle(number=2, strategy="nope")])
    log.to_yaml(tmp_path / "log.yaml")
    moved = evolve(loop, cycles="log.yaml", inventory=None, agreements=(), action_plan=None)
    moved.to_yaml(tmp_path / "loop.yaml")
    assert main(["cycles", str(tmp_path / "loop.yaml"), "--as-of", "2024-05-20"]) == 1
    captured = capsys.readouterr()
    assert (
        "Overdue for a study (2):\n  - cycle 2 [nope]: study was due 2024-04-30, 20 days ago\n"
        "  - cycle 1 [mentoring]: study was due 2024-05-15, 5 days ago\n" in captured.out
    )
    assert "strategy: 'nope' is not a strategy" in captured.err
    bare = evolve(moved, cycles=None)
    bare.to_yaml(tmp_path / "bare.yaml")
    assert main(["cycles", str(tmp_path / "bare.yaml")]) == 1
    assert "attaches no cycle log" in capsys.readouterr().err


def test_cli_allow_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = tmp_path / "shared"
    elsewhere.mkdir()
    CycleLog(cycles=[_cycle()]).to_yaml(elsewhere / "log.yaml")
    home = tmp_path / "loop"
    home.mkdir()
    loop = evolve(
        load_example(),
        cycles=str(elsewhere / "log.yaml"),
        inventory=None,
        agreements=(),
        action_plan=None,
    )
    loop.to_yaml(home / "loop.yaml")
    assert main(["cycles", str(home / "loop.yaml"), "--as-of", "2024-02-01"]) == 1
    assert "outside" in capsys.readouterr().err.lower()
    argv = ["cycles", str(home / "loop.yaml"), "--as-of", "2024-02-01", "--allow-path"]
    assert main([*argv, str(elsewhere)]) == 0
    assert "cycle 1 [mentoring] doing" in capsys.readouterr().out
    assert main(["validate", str(home / "loop.yaml"), "--allow-path", str(elsewhere)]) == 0
    assert "cycle log of 1 cycles" in capsys.readouterr().out


def test_loop_yaml_cycles_key_round_trips() -> None:
    loop = load_example()
    assert loop.cycles is not None and loop.cycles.path == "opportunity_youth_cycles.yaml"
    again = fl.FeedbackLoop.from_dict(loop.to_dict())
    assert again.cycles == loop.cycles
    with pytest.raises(fl.errors.LoopFileError, match=r"cycles\.plan_year.*unknown key"):
        fl.FeedbackLoop.from_dict({**loop.to_dict(), "cycles": {"path": "x.yaml", "plan_year": 1}})
