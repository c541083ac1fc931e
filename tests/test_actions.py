"""Action plans: loading (YAML, CSV, XLSX), exact status rules, follow-ups, report, CLI."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedbackloop import load_loop
from feedbackloop.actions import Action, ActionPlan, ActionPlanError, ActionStatus
from feedbackloop.cli import DEMO_AS_OF, main
from feedbackloop.examples import example_path, load_example
from feedbackloop.period import Period
from feedbackloop.report import render

SAMPLE = Path(__file__).parent / "data" / "sample_action_plan.csv"
HEADER = (
    "Action Steps,Deliverable,Person(s) or Group(s) Responsible,Start,Stop,Date Completed,"
    "Resources Needed\n"
)
D = dt.date


def write(tmp_path: Path, text: str, name: str = "plan.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# ------------------------------------------------------------------ fixture


def test_sample_plan_transcribed_from_the_seeds() -> None:
    plan = ActionPlan.from_csv(SAMPLE, plan_year=2024)
    assert plan.name == "Data Team Action Plan"
    assert plan.description.startswith("ILLUSTRATIVE")
    assert plan.groups == (
        "A) Compiling / Creating Useful Tools",
        "B) Data-Sharing Agreements",
        "C) Communicating Results",
    )
    assert len(plan) == 8
    first = plan.actions[0]
    assert first.task == "Inventory the data each partner already collects"
    assert first.responsible == ("Data Team", "Backbone Staff")
    assert (first.start, first.stop, first.completed) == (
        D(2024, 1, 8),
        D(2024, 2, 2),
        D(2024, 1, 31),
    )
    assert first.resources == "Partner survey template"
    leap = plan.actions[1]
    assert leap.stop == D(2024, 2, 29)
    assert plan.actions[2].completed is None  # N/A
    assert first.where == "sample_action_plan.csv, row 5"
    assert [len(plan.for_partner("Backbone Staff"))] == [4]


def test_sample_plan_status_on_a_meeting_date() -> None:
    plan = ActionPlan.from_csv(SAMPLE, plan_year=2024)
    st_ = plan.status(D(2024, 3, 6))
    assert list(st_.actions["status"]) == [
        "done on time",
        "done late",
        "due soon",
        "in progress",
        "not started",
        "due soon",
        "not started",
        "not started",
    ]
    assert st_.actions["days_late"].tolist()[1] == 4  # completed 3/4, due 2/29
    row = st_.by_partner.loc["Backbone Staff"]
    assert (row["done on time"], row["done late"], row["in progress"], row["total"]) == (1, 1, 1, 4)
    assert st_.by_node.index.tolist() == ["(no loop node)"]
    assert len(st_.flags) == 8 and "serves no loop node" in str(st_.flags[0])
    text = str(st_)
    assert "2 due soon" in text and "by partner:" in text


# ------------------------------------------------------------- date errors


def test_leap_day_in_a_non_leap_plan_year_names_file_row_and_column(tmp_path: Path) -> None:
    p = write(tmp_path, HEADER + "Draft the dictionary,Dictionary,Backbone,1/15,2/29,N/A,Time\n")
    assert ActionPlan.from_csv(p, plan_year=2024).actions[0].stop == D(2024, 2, 29)
    with pytest.raises(ActionPlanError) as info:
        ActionPlan.from_csv(p, plan_year=2023)
    msg = str(info.value)
    assert str(p) in msg
    assert "row 2, column 'Stop' (E)" in msg
    assert "2023 is not a leap year" in msg


def test_date_without_year_needs_a_plan_year(tmp_path: Path) -> None:
    p = write(tmp_path, HEADER + "Task,Thing,Backbone,1/15,2/20,,\n")
    with pytest.raises(ActionPlanError, match=r"row 2, column 'Start' \(D\): '1/15' has no year"):
        ActionPlan.from_csv(p)


def test_bad_cells_are_all_reported(tmp_path: Path) -> None:
    text = HEADER + (
        "Task one,Thing,Backbone,13/45/2024,2/20/2024,,\n"
        ",Orphan deliverable,Backbone,,,,\n"
        "Task three,Thing,Backbone,3/1/2024,2/1/2024,,\n"
    )
    with pytest.raises(ActionPlanError) as info:
        ActionPlan.from_csv(write(tmp_path, text), plan_year=2024)
    wheres = [p.where for p in info.value.problems]
    assert "row 2, column 'Start' (D)" in wheres
    assert "row 3, column 'Action Steps' (A)" in wheres
    assert "row 4, columns 'Start' (D) and 'Stop' (E)" in wheres
    assert len(wheres) == 3


def test_unknown_columns_are_errors_unless_ignored(tmp_path: Path) -> None:
    text = HEADER.rstrip("\n") + ",Status\nTask,Thing,Backbone,2024-01-02,2024-02-01,,,green\n"
    p = write(tmp_path, text)
    with pytest.raises(ActionPlanError, match=r"row 1, column 'Status' \(H\): unknown column"):
        ActionPlan.from_csv(p)
    plan = ActionPlan.from_csv(p, ignore_columns=["status"])
    assert plan.actions[0].stop == D(2024, 2, 1)


def test_no_header_row(tmp_path: Path) -> None:
    with pytest.raises(ActionPlanError, match="no header row found"):
        ActionPlan.from_csv(write(tmp_path, "a,b\n1,2\n"))


def test_fiscal_plan_year(tmp_path: Path) -> None:
    p = write(tmp_path, HEADER + "Task,Thing,Backbone,9/15,2/29,,\n")
    plan = ActionPlan.from_csv(p, plan_year="2023/24")
    assert (plan.actions[0].start, plan.actions[0].stop) == (D(2023, 9, 15), D(2024, 2, 29))
    with pytest.raises(ActionPlanError, match="plan year 2022/23"):
        ActionPlan.from_csv(p, plan_year="2022/23")


@given(st.integers(1990, 2100))
def test_leap_day_parses_exactly_in_leap_years(year: int) -> None:
    rows = [HEADER.rstrip("\n").split(","), ["Task", "Thing", "Team", "", "2/29", "", ""]]
    if calendar.isleap(year):
        plan = ActionPlan.from_rows(rows, plan_year=year)
        assert plan.actions[0].stop == D(year, 2, 29)
    else:
        with pytest.raises(ActionPlanError) as info:
            ActionPlan.from_rows(rows, plan_year=year)
        assert "row 2, column 'Stop' (E)" in str(info.value)
        assert f"{year} is not a leap year" in str(info.value)


# ------------------------------------------------------------- status rules


def test_status_edge_cases() -> None:
    a = Action(task="T", start=D(2024, 1, 10), stop=D(2024, 2, 29))
    assert a.status(D(2024, 1, 9)) is ActionStatus.NOT_STARTED
    assert a.status(D(2024, 1, 10)) is ActionStatus.IN_PROGRESS
    assert a.status(D(2024, 2, 15)) is ActionStatus.DUE_SOON  # 14 days ahead
    assert a.status(D(2024, 2, 14)) is ActionStatus.IN_PROGRESS  # 15 days ahead
    assert a.status(D(2024, 2, 29)) is ActionStatus.DUE_SOON  # due today
    assert a.status(D(2024, 3, 1)) is ActionStatus.OVERDUE
    assert a.days_late(D(2024, 3, 1)) == 1
    assert a.status(D(2024, 2, 29), due_soon_days=0) is ActionStatus.DUE_SOON
    late = Action(task="T", start=D(2024, 1, 10), stop=D(2024, 2, 29), completed=D(2024, 3, 4))
    assert late.status(D(2024, 3, 3)) is ActionStatus.OVERDUE  # not done yet on 3/3
    assert late.status(D(2024, 3, 4)) is ActionStatus.DONE_LATE
    assert late.days_late(D(2030, 1, 1)) == 4
    early = Action(task="T", start=D(2024, 5, 1), stop=D(2024, 6, 1), completed=D(2024, 4, 2))
    assert early.status(D(2024, 4, 2)) is ActionStatus.DONE_ON_TIME
    assert early.status(D(2024, 4, 1)) is ActionStatus.NOT_STARTED
    open_ended = Action(task="T", start=D(2024, 5, 1))
    assert open_ended.status(D(2030, 1, 1)) is ActionStatus.IN_PROGRESS
    assert open_ended.days_late(D(2030, 1, 1)) == 0
    assert Action(task="T", completed=D(2024, 1, 1)).status(D(2024, 1, 1)).done
    with pytest.raises(ValueError, match=r"stops .* before it starts"):
        Action(task="T", start=D(2024, 2, 1), stop=D(2024, 1, 31))
    with pytest.raises(ValueError, match="due_soon_days"):
        a.status(D(2024, 1, 1), due_soon_days=-1)


dates = st.dates(D(2023, 1, 1), D(2025, 12, 31))


@st.composite
def actions(draw: st.DrawFn) -> Action:
    start = draw(st.none() | dates)
    stop = draw(st.none() | dates)
    if start is not None and stop is not None and stop < start:
        start, stop = stop, start
    return Action(task="T", start=start, stop=stop, completed=draw(st.none() | dates))


@given(actions(), dates, st.integers(0, 60))
def test_status_rules_hold_for_any_dates(a: Action, as_of: dt.date, window: int) -> None:
    s = a.status(as_of, due_soon_days=window)
    done = a.completed is not None and a.completed <= as_of
    assert s.done == done
    if done:
        assert a.completed is not None
        late = a.stop is not None and a.completed > a.stop
        assert s is (ActionStatus.DONE_LATE if late else ActionStatus.DONE_ON_TIME)
        return
    # judged as if the future completion had not happened
    from attrs import evolve

    assert evolve(a, completed=None).status(as_of, due_soon_days=window) is s
    if a.stop is None:
        assert s in (ActionStatus.IN_PROGRESS, ActionStatus.NOT_STARTED)
    elif as_of > a.stop:
        assert s is ActionStatus.OVERDUE
        assert a.days_late(as_of) == (as_of - a.stop).days > 0
    elif (a.stop - as_of).days <= window:
        assert s is ActionStatus.DUE_SOON
        assert a.days_left(as_of) == (a.stop - as_of).days >= 0
    if s is ActionStatus.NOT_STARTED:
        assert a.start is not None and as_of < a.start


@given(actions(), dates)
def test_overdue_only_grows_until_completion(a: Action, as_of: dt.date) -> None:
    if a.status(as_of) is ActionStatus.OVERDUE:
        later = as_of + dt.timedelta(days=1)
        assert a.status(later) in (ActionStatus.OVERDUE, ActionStatus.DONE_LATE)


# ---------------------------------------------------------- plans and loops


def example_plan() -> ActionPlan:
    loop = load_example()
    att = loop.attachments(example_path().parent)
    assert att.action_plan is not None
    return att.action_plan


def test_status_per_partner_and_node_with_flags() -> None:
    loop = load_example()
    plan = example_plan()
    s = plan.status(DEMO_AS_OF, loop=loop)
    assert s.count("overdue") == 2
    assert s.by_node.loc["attendance", "overdue"] == 2
    assert s.by_partner.loc["Unified School District", "total"] == 4
    flags = [str(p) for p in s.flags]
    assert any("Publish the annual progress report" in f and "no strategy" in f for f in flags)
    assert not any("has no action" in f for f in flags)  # every strategy has actions
    fewer = ActionPlan(actions=[a for a in plan if "mentoring" not in a.nodes])
    flags = [str(p) for p in fewer.status(DEMO_AS_OF, loop=loop).flags]
    assert any(f.startswith("mentoring: strategy") and "has no action" in f for f in flags)
    odd = ActionPlan(actions=[Action(task="T", responsible=["X"], nodes=["nowhere"])])
    assert "not a node of loop" in str(odd.status(DEMO_AS_OF, loop=loop).flags[0])


def test_followups_grouped_by_party() -> None:
    f = example_plan().followups(DEMO_AS_OF)
    groups = f.by_party()
    assert list(groups) == ["Backbone Staff", "County Workforce Board", "Unified School District"]
    usd = groups["Unified School District"]
    assert [x.reason for x in usd] == ["overdue", "overdue"]
    assert [x.days for x in usd] == [17, 3]  # most late first
    text = str(f)
    assert text.startswith("Follow-ups as of 2025-03-03")
    assert "OVERDUE by 17 days: Deliver the Q4 attendance extract" in text
    assert f.to_frame()["party"].tolist()[0] == "Backbone Staff"
    nobody = ActionPlan(actions=[Action(task="T", stop=D(2025, 3, 1))]).followups(DEMO_AS_OF)
    assert list(nobody.by_party()) == ["(no one responsible)"]
    starting = ActionPlan(
        actions=[Action(task="T", responsible=["A"], start=D(2025, 3, 10), stop=D(2025, 6, 1))]
    )
    assert [x.reason for x in starting.followups(DEMO_AS_OF)] == ["starts soon"]
    assert len(starting.followups(DEMO_AS_OF, starting=False)) == 0


def test_yaml_round_trip_and_errors(tmp_path: Path) -> None:
    plan = example_plan()
    out = tmp_path / "plan.yaml"
    plan.to_yaml(out)
    assert ActionPlan.from_yaml(out) == plan
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "plan_year: 2023\nactions:\n  - task: A\n    stop: 2/29\n  - deliverable: x\n"
        "    colour: red\n",
        encoding="utf-8",
    )
    with pytest.raises(ActionPlanError) as info:
        ActionPlan.from_yaml(bad)
    wheres = [p.where for p in info.value.problems]
    assert "actions[0].stop (line 4)" in wheres
    assert "actions[1].colour (line 6)" in wheres
    assert "actions[1].task (line 5)" in wheres


names = st.sampled_from(["Backbone", "Youth Works", "County Board", "USD"])


@st.composite
def plans(draw: st.DrawFn) -> ActionPlan:
    groups = draw(
        st.lists(
            st.sampled_from(["A) Tools", "B) Agreements", "C) Results"]), unique=True, max_size=3
        )
    )
    acts = []
    for g in ["", *groups]:
        for _ in range(draw(st.integers(0 if g == "" else 1, 3))):
            a = draw(actions())
            acts.append(
                Action(
                    task=draw(st.sampled_from(["Draft, review", 'Call "partners"', "Meet"])),
                    deliverable=draw(st.sampled_from(["", "Report"])),
                    responsible=draw(st.lists(names, min_size=1, max_size=2, unique=True)),
                    start=a.start,
                    stop=a.stop,
                    completed=a.completed,
                    nodes=draw(
                        st.lists(
                            st.sampled_from(["mentoring", "attendance"]), max_size=2, unique=True
                        )
                    ),
                    group=g,
                )
            )
    return ActionPlan(actions=acts, name=draw(st.sampled_from(["", "Plan"])))


@given(plans())
def test_csv_round_trip(plan: ActionPlan) -> None:
    rows = list(csv.reader(plan.to_csv().splitlines()))
    assert ActionPlan.from_rows(rows) == plan


def test_csv_writer_refuses_rows_that_would_read_as_sections(tmp_path: Path) -> None:
    with pytest.raises(ActionPlanError, match="read back as a section heading"):
        ActionPlan(actions=[Action(task="Lonely")]).to_csv()


def test_xlsx_with_date_cells_and_sections(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Plan"
    ws.append(["Action Plan 2024"])
    ws.append(HEADER.rstrip("\n").split(","))
    ws.append(["A) Compiling / Creating Useful Tools"])
    ws.append(["Draft", "Doc", "Backbone", dt.datetime(2024, 1, 2), "2/29", "N/A", "Time"])
    ws.append(["Count", "Table", "USD", dt.datetime(2024, 3, 1), 45, None, ""])
    path = tmp_path / "plan.xlsx"
    wb.save(path)
    with pytest.raises(ActionPlanError) as info:
        ActionPlan.load(path, plan_year=2024)
    assert "plan.xlsx (sheet 'Plan')" in str(info.value)
    assert "row 5, column 'Stop' (E)" in str(info.value)
    ws["E5"] = dt.datetime(2024, 4, 1)
    wb.save(path)
    plan = ActionPlan.load(path, plan_year=2024)
    assert plan.name == "Action Plan 2024"
    assert plan.actions[0].group == "A) Compiling / Creating Useful Tools"
    assert (plan.actions[0].start, plan.actions[0].stop) == (D(2024, 1, 2), D(2024, 2, 29))
    assert plan.actions[1].stop == D(2024, 4, 1)
    with pytest.raises(ActionPlanError, match="no sheet 'Other'"):
        ActionPlan.from_xlsx(path, sheet="Other")


# ------------------------------------------------------------ loop, report, CLI


def test_loop_file_attachments_round_trip(tmp_path: Path) -> None:
    loop = load_example()
    assert loop.action_plan is not None and loop.action_plan.options == {"plan_year": "2024/25"}
    out = tmp_path / "copy.yaml"
    loop.to_yaml(out)
    assert load_loop(out) == loop
    assert (
        "action_plan:\n  path: opportunity_youth_plan.csv\n  plan_year: 2024/25" in out.read_text()
    )
    with pytest.raises(
        FileNotFoundError, match=r"inventory: 'opportunity_youth_inventory\.csv' not found"
    ):
        load_loop(out).attachments(tmp_path)


def test_loop_file_attachment_errors(tmp_path: Path) -> None:
    from feedbackloop import FeedbackLoop
    from feedbackloop.errors import LoopFileError

    doc = load_example().to_dict()
    doc["action_plan"] = {"path": "p.csv", "colour": "red"}
    doc["agreements"] = 3
    with pytest.raises(LoopFileError) as info:
        FeedbackLoop.from_dict(doc)
    wheres = [p.where for p in info.value.problems]
    assert "action_plan.colour" in wheres and "agreements" in wheres
    doc["action_plan"] = "plan.yaml"
    doc["agreements"] = "one.yaml"
    loop = FeedbackLoop.from_dict(doc)
    assert [a.path for a in loop.agreements] == ["one.yaml"]
    assert FeedbackLoop.from_dict(loop.to_dict()) == loop


def test_report_shows_gaps_agreements_plan_and_followups() -> None:
    loop = load_example()
    att = loop.attachments(example_path().parent)
    html = render(
        loop,
        {},
        charts=False,
        inventory=att.inventory,
        agreements=att.agreements,
        action_plan=att.action_plan,
        as_of=DEMO_AS_OF,
    )
    for anchor in (
        'id="data-gaps"',
        'id="agreements"',
        'id="action-plan"',
        'id="overdue"',
        'id="followups"',
    ):
        assert anchor in html
    assert "Data gaps as of 2025-03-03" in html
    assert "Deliver the Q4 attendance extract" in html
    assert "2025-05-15 (2025-Q1)" in html  # next due delivery of the agreement
    assert "Unified School District" in html
    assert "No data inventory" not in html
    assert "No data inventory, agreement or action plan" in render(loop, {}, charts=False)


def test_cli_followups_gaps_and_validate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["followups", "--as-of", "2025-03-03", "--status"]) == 0
    out = capsys.readouterr().out
    assert "OVERDUE by 17 days" in out and "by loop node:" in out
    assert main(["gaps", "--as-of", "2025-03-03"]) == 1
    assert "youth_unemployment_rate" in capsys.readouterr().out
    assert main(["validate"]) == 0
    assert "action plan of 10 actions" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["followups", "--as-of", "3/3/2025"])
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_period_plan_year_type() -> None:
    plan = ActionPlan(plan_year="2023/24")
    assert plan.plan_year == Period.parse("2023/24")
    assert ActionPlan(plan_year="2024").plan_year == 2024
