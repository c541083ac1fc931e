"""The action plan as a Gantt chart (plot.gantt) and as an XLSX workbook (ActionPlan.to_xlsx)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedbackloop.examples import example_path, load_example
from feedbackloop.planning import Action, ActionPlan, ActionPlanError, ActionStatus
from feedbackloop.planning.actions import _XLSX_COLORS

pytest.importorskip("matplotlib", reason="charts need the plot extra")

from matplotlib import cbook
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba

from feedbackloop import plot
from feedbackloop.plot import _ACTION_COLORS, PALETTE, gantt

D = dt.date
AS_OF = D(2025, 3, 3)


@pytest.fixture(scope="module")
def example_plan() -> ActionPlan:
    plan = load_example().attachments(example_path().parent).action_plan
    assert plan is not None
    return plan


def bars(ax: Axes) -> list[Any]:
    return [p for p in ax.patches if p.get_gid() == "gantt-bar"]


def row_of(ax: Axes, label: str) -> float:
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels.count(label) == 1, labels
    return float(ax.get_yticks()[labels.index(label)])


def bar_at(ax: Axes, label: str) -> Any:
    y = row_of(ax, label)
    (bar,) = [b for b in bars(ax) if abs(b.get_y() + b.get_height() / 2 - y) < 1e-9]
    return bar


def num(d: dt.date) -> float:
    return float(mdates.date2num(d))


def drawn(ax: Axes) -> Any:
    """Draw the axes' figure on an Agg canvas and return the renderer."""
    fig = ax.get_figure()
    assert fig is not None
    canvas = FigureCanvasAgg(fig)  # type: ignore[arg-type]
    canvas.draw()
    return canvas.get_renderer()


# ------------------------------------------------------------------- chart


def test_example_plan_bars_colours_marks_and_today(example_plan: ActionPlan) -> None:
    ax = gantt(example_plan, as_of=AS_OF)
    assert isinstance(ax, Axes)
    assert len(bars(ax)) == sum(a.start is not None for a in example_plan) == 10
    # overdue: vermillion, from the start through the stop day, with a dotted tail to today
    dashboard = bar_at(ax, "Set up the attendance dashboard")
    assert dashboard.get_facecolor() == to_rgba(PALETTE[5])
    assert dashboard.get_x() == num(D(2024, 11, 1))
    assert dashboard.get_width() == num(D(2025, 2, 28)) + 1 - num(D(2024, 11, 1))
    late = [ln for ln in ax.lines if ln.get_gid() == "gantt-late"]
    assert len(late) == 2  # the dashboard and the Q4 extract
    assert {tuple(ln.get_xdata()) for ln in late} >= {(num(D(2025, 3, 1)), num(AS_OF))}
    # done on time: green, with a check mark on the day it was completed
    inventory = bar_at(ax, "Build the data inventory with every partner")
    assert inventory.get_facecolor() == to_rgba(PALETTE[2])
    (checks,) = [c for c in ax.collections if c.get_gid() == "gantt-done"]
    y = row_of(ax, "Build the data inventory with every partner")
    assert [num(D(2024, 9, 26)) + 0.5, y] in checks.get_offsets().tolist()
    assert len(checks.get_offsets()) == 4  # two on time, two late
    # due soon: orange; done late: purple; not started: sky blue
    assert bar_at(ax, "Present the baseline at the steering committee").get_facecolor() == (
        to_rgba(PALETTE[1])
    )
    assert bar_at(ax, "Draft the shared data dictionary").get_facecolor() == to_rgba(PALETTE[3])
    assert bar_at(ax, "Hold a community data walk").get_facecolor() == to_rgba(PALETTE[4])
    # the today line, dashed, at as_of
    (today,) = [ln for ln in ax.lines if ln.get_gid() == "gantt-today"]
    assert list(today.get_xdata()) == [num(AS_OF), num(AS_OF)]
    assert today.get_linestyle() == "--"
    # group headers in bold, in plan order, each above its actions
    labels = [t.get_text() for t in ax.get_yticklabels()]
    heads = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert heads == list(example_plan.groups)
    assert labels.index("B) Data-Sharing Agreements") == 4
    assert len(labels) == len(example_plan) + 3
    # a legend that names the colours shown, and the title's counts
    legend = ax.get_legend()
    assert legend is not None
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[:6] == [
        "overdue",
        "due soon",
        "not started",
        "done late",
        "done on time",
        "day completed",
    ]
    assert "today (3 Mar 2025)" in texts
    assert "in progress" not in texts  # not in this plan on that day
    assert "2 overdue, 2 due soon" in ax.get_title(loc="left")
    # month ticks, first of each month
    ticks = [mdates.num2date(t).date() for t in ax.get_xticks()]
    assert all(t.day == 1 for t in ticks)
    assert D(2024, 8, 1) in ticks and D(2025, 6, 1) in ticks


def test_milestone_open_ended_and_undated_actions() -> None:
    plan = ActionPlan(
        actions=[
            Action(task="Board vote", responsible=["Chair"], stop=D(2025, 3, 10)),
            Action(task="Ongoing outreach", responsible=["Youth Works"], start=D(2025, 1, 6)),
            Action(task="Someday", responsible=["Backbone"]),
            Action(
                task="Signed MOU", responsible=["USD"], stop=D(2025, 2, 1), completed=D(2025, 1, 30)
            ),
        ]
    )
    ax = gantt(plan, as_of=AS_OF)
    assert len(bars(ax)) == 1
    open_bar = bars(ax)[0]
    assert open_bar.get_hatch() == "///"
    assert open_bar.get_facecolor() == to_rgba(PALETTE[0])  # in progress
    assert open_bar.get_x() + open_bar.get_width() == pytest.approx(ax.get_xlim()[1])
    (miles,) = [c for c in ax.collections if c.get_gid() == "gantt-milestone"]
    assert miles.get_offsets().tolist() == [
        [num(D(2025, 3, 10)) + 0.5, row_of(ax, "Board vote")],
        [num(D(2025, 2, 1)) + 0.5, row_of(ax, "Signed MOU")],
    ]
    # due soon (orange) and done on time (green)
    assert [tuple(c) for c in miles.get_facecolors()] == [to_rgba(PALETTE[1]), to_rgba(PALETTE[2])]
    assert any(t.get_text() == "no dates" for t in ax.texts)
    assert not [t for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]  # no groups
    texts = [t.get_text() for t in ax.get_legend().get_texts()]  # type: ignore[union-attr]
    assert "milestone (stop date only)" in texts and "no stop date" in texts


def test_by_node_uses_the_loops_titles_and_by_partner_repeats_shared_actions(
    example_plan: ActionPlan,
) -> None:
    loop = load_example()
    ax = gantt(example_plan, by="node", as_of=AS_OF, loop=loop)
    heads = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert heads[0] == loop["attendance"].title
    assert heads[-1] == "(no loop node)"
    assert len(bars(ax)) == sum(max(1, len(a.nodes)) for a in example_plan if a.start)
    bare = gantt(example_plan, by="node", as_of=AS_OF)
    assert "mentoring" in [t.get_text() for t in bare.get_yticklabels()]
    ax = gantt(example_plan, by="partner", as_of=AS_OF)
    heads = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert heads == list(example_plan.partners)
    assert len(bars(ax)) == sum(len(a.responsible) for a in example_plan if a.start)


def test_bad_arguments_are_named() -> None:
    plan = ActionPlan(actions=[Action(task="A", responsible=["X"], start=D(2025, 1, 1))])
    with pytest.raises(ValueError, match="by must be 'group', 'node' or 'partner'"):
        gantt(plan, by="week")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="gantt draws an ActionPlan"):
        gantt([plan])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"as_of must be a datetime\.date"):
        gantt(plan, as_of="2025-03-03")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="due_soon_days"):
        gantt(plan, as_of=AS_OF, due_soon_days=-1)


def test_an_empty_plan_says_so() -> None:
    ax = gantt(ActionPlan(name="Nothing yet"), as_of=AS_OF)
    assert [t.get_text() for t in ax.texts] == ["no actions in the plan"]
    assert not bars(ax)
    assert ax.get_title(loc="left").endswith("\n0 actions")


def test_draws_into_a_given_axes() -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3))
    mine = fig.add_subplot()
    plan = ActionPlan(actions=[Action(task="A", responsible=["X"], start=D(2025, 1, 1))])
    assert gantt(plan, as_of=AS_OF, ax=mine) is mine
    assert fig.get_size_inches().tolist() == [6.0, 3.0]


def big_plan(n: int = 45) -> ActionPlan:
    acts = []
    for i in range(n):
        start = D(2024, 8, 1) + dt.timedelta(days=7 * i)
        acts.append(
            Action(
                task=f"Step {i}: convene the partners and agree on a long list of things "
                "that takes many words to describe",
                responsible=["Backbone Staff", "Unified School District"][: 1 + i % 2],
                start=start if i % 9 else None,
                stop=start + dt.timedelta(days=30 + i),
                completed=start + dt.timedelta(days=20) if i % 4 == 0 else None,
                group=f"{'ABCD'[i // 12]}) Section {i // 12}",
            )
        )
    return ActionPlan(actions=acts, name="A long plan")


def test_45_actions_stay_readable() -> None:
    plan = big_plan(45)
    ax = gantt(plan, as_of=AS_OF)
    fig = ax.get_figure()
    assert fig is not None
    rows = len(plan) + len(plan.groups)
    height = fig.get_size_inches()[1]
    assert height >= 0.25 * rows
    assert len(bars(ax)) == sum(a.start is not None for a in plan) == 40
    renderer = drawn(ax)
    labels = list(ax.get_yticklabels())
    assert len(labels) == rows
    boxes = [t.get_window_extent(renderer) for t in labels]
    for upper, lower in itertools.pairwise(boxes):
        assert upper.y0 >= lower.y1, "row labels overlap"
    long = [t.get_text() for t in labels if t.get_text().startswith("Step")]
    assert all(len(t) <= 46 and t.endswith("…") for t in long)
    # month labels on the bottom do not overlap either
    xboxes = sorted(
        (
            t.label1.get_window_extent(renderer)
            for t in ax.xaxis.get_major_ticks()
            if t.label1.get_visible() and t.label1.get_text()
        ),
        key=lambda b: b.x0,
    )
    for left, right in itertools.pairwise(xboxes):
        assert left.x1 <= right.x0, "month labels overlap"
    # everything, the legend and the labels included, is inside the figure
    figbox = fig.bbox
    legend = ax.get_legend()
    assert legend is not None
    for box in [legend.get_window_extent(renderer), *boxes]:
        assert figbox.x0 - 1 <= box.x0 and box.x1 <= figbox.x1 + 1
        assert figbox.y0 - 1 <= box.y0 and box.y1 <= figbox.y1 + 1
    small = gantt(big_plan(5), as_of=AS_OF).get_figure()
    assert small is not None
    assert small.get_size_inches()[1] < height


def test_dollar_signs_in_plan_text_stay_literal() -> None:
    plan = ActionPlan(
        name="Budget $x$ plan",
        actions=[
            Action(
                task="Pay the $50 stipends to $x$ youths",
                responsible=["Fund $1$"],
                start=D(2025, 1, 6),
                stop=D(2025, 2, 1),
                group="Money $ and $ more",
            )
        ],
    )
    ax = gantt(plan, as_of=AS_OF)
    drawn(ax)
    texts = [t.get_text() for t in ax.get_yticklabels()]
    texts += [ax.get_title(loc="left"), *(t.get_text() for t in ax.texts)]
    assert r"Pay the \$50 stipends to \$x\$ youths" in texts
    for text in texts:
        assert not cbook.is_math_text(text), text
    label = ax.get_yticklabels()[1]
    assert label._preprocess_math(label.get_text()) == (  # type: ignore[attr-defined]
        "Pay the $50 stipends to $x$ youths",
        False,
    )


def test_colours_agree_between_chart_and_workbook() -> None:
    assert {s: c.lstrip("#").upper() for s, c in _ACTION_COLORS.items()} == dict(_XLSX_COLORS)
    assert _ACTION_COLORS[ActionStatus.OVERDUE] == PALETTE[5]  # vermillion
    assert "gantt" in plot.__all__


# ------------------------------------------------------------- properties

texts = st.sampled_from(
    ["Draft", "=SUM(A1:A9)", "+1 call", "-list", "@here", "Meet, review", "'=quoted", "$5 fee"]
)
dates = st.dates(min_value=D(2023, 1, 1), max_value=D(2026, 12, 31))


@st.composite
def actions(draw: st.DrawFn, group: str) -> Action:
    start = draw(st.none() | dates)
    stop = draw(st.none() | dates)
    if start is not None and stop is not None and stop < start:
        start, stop = stop, start
    return Action(
        task=draw(texts),
        deliverable=draw(st.sampled_from(["", "Report", "=cmd|' /C calc'!A0"])),
        responsible=draw(
            st.lists(
                st.sampled_from(["Backbone", "Youth Works", "@team", "USD"]),
                min_size=1,
                max_size=2,
                unique=True,
            )
        ),
        start=start,
        stop=stop,
        completed=draw(st.none() | dates),
        resources=draw(st.sampled_from(["", "-5", "Time"])),
        nodes=draw(st.lists(st.sampled_from(["mentoring", "attendance"]), max_size=2, unique=True)),
        notes=draw(st.sampled_from(["", "+ see notes", "line one\nline two"])),
        group=group,
    )


@st.composite
def plans(draw: st.DrawFn) -> ActionPlan:
    groups = draw(st.lists(st.sampled_from(["A) Tools", "=B) Deals", "C) Results"]), unique=True))
    acts = []
    for g in ["", *groups]:
        acts += draw(st.lists(actions(g), min_size=0 if g == "" else 1, max_size=4))
    name = draw(st.sampled_from(["Plan", "=Plan", "-"]))
    return ActionPlan(actions=acts, name=name, description=draw(st.sampled_from(["", "Why\nHow"])))


@settings(max_examples=25)
@given(plans(), dates, st.sampled_from(["group", "node", "partner"]))
def test_any_plan_draws_one_bar_per_dated_action_row(
    plan: ActionPlan, day: dt.date, by: Any
) -> None:
    ax = gantt(plan, as_of=day, by=by)
    dated = [a for a in plan if a.start is not None]
    if by == "group":
        expected = len(dated)
    elif by == "partner":
        expected = sum(len(a.responsible) for a in dated)
    else:
        expected = sum(max(1, len(a.nodes)) for a in dated)
    assert len(bars(ax)) == expected
    ticks = ax.get_yticklabels()
    assert (
        len([t for t in ticks if t.get_fontweight() != "bold"])
        == {
            "group": len(plan),
            "partner": sum(len(a.responsible) for a in plan),
            "node": sum(max(1, len(a.nodes)) for a in plan),
        }[by]
    )
    for bar in bars(ax):
        assert bar.get_width() >= 1  # a bar lasts at least its one day


# ------------------------------------------------------------------- XLSX

openpyxl = pytest.importorskip("openpyxl")


def cells(path: Path) -> list[tuple[str, Any]]:
    wb = openpyxl.load_workbook(path)
    return [(ws.title, c) for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def test_example_plan_round_trips_through_xlsx(tmp_path: Path, example_plan: ActionPlan) -> None:
    path = tmp_path / "plan.xlsx"
    example_plan.to_xlsx(path, as_of=AS_OF)
    back = ActionPlan.from_xlsx(path, plan_year=example_plan.plan_year)
    assert back == example_plan
    assert back.actions[0].where == "plan.xlsx, row 5"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Action plan", "Gantt", "README"]
    sheet = wb["Action plan"]
    assert sheet.freeze_panes == "A4"
    assert [c.value for c in sheet[3]][:3] == [
        "Action Steps",
        "Deliverable",
        "Person(s) or Group(s) Responsible",
    ]
    assert sheet["D5"].is_date and sheet["D5"].value.date() == D(2024, 8, 1)
    assert sheet.column_dimensions["A"].width == 48


def test_gantt_sheet_colours_today_and_readme(tmp_path: Path, example_plan: ActionPlan) -> None:
    path = tmp_path / "plan.xlsx"
    example_plan.to_xlsx(path, as_of=AS_OF)
    wb = openpyxl.load_workbook(path)
    ws = wb["Gantt"]
    assert ws.freeze_panes == "G4"
    weeks = [c.value.date() for c in ws[3][6:]]
    assert weeks[0] == D(2024, 7, 29)  # the Monday of the earliest date's week
    assert all(b - a == dt.timedelta(weeks=1) for a, b in itertools.pairwise(weeks))
    today_col = 7 + weeks.index(D(2025, 3, 3))
    assert ws.cell(2, today_col).value == "today"
    assert ws.cell(3, today_col).fill.fgColor.rgb.endswith("FFE699")
    assert ws.cell(6, today_col).border.left.style == "mediumDashed"
    rows = {ws.cell(r, 1).value: r for r in range(4, ws.max_row + 1)}
    r = rows["Set up the attendance dashboard"]
    assert ws.cell(r, 3).value == "overdue"
    filled = [c for c in range(7, ws.max_column + 1) if ws.cell(r, c).fill.fill_type == "solid"]
    assert filled == list(
        range(7 + weeks.index(D(2024, 10, 28)), 7 + weeks.index(D(2025, 2, 24)) + 1)
    )
    assert all(ws.cell(r, c).fill.fgColor.rgb.endswith("D55E00") for c in filled)
    assert ws.cell(r, today_col).fill.fill_type == "lightDown"  # overdue since 28 Feb
    r = rows["Build the data inventory with every partner"]
    assert ws.cell(r, 3).value == "done on time"
    done = [c for c in range(7, ws.max_column + 1) if ws.cell(r, c).value == "✓"]
    assert done == [7 + weeks.index(D(2024, 9, 23))]
    assert ws.cell(r, done[0]).fill.fgColor.rgb.endswith("009E73")
    readme = {
        row[0].value: row[1].value for row in wb["README"].iter_rows(min_row=2) if row[0].value
    }
    assert readme["As of"].date() == AS_OF
    for status in ActionStatus:
        assert status.value in readme
    assert "14 days" in readme["due soon"]


def test_long_plans_get_one_column_per_month(tmp_path: Path) -> None:
    plan = ActionPlan(
        name="Ten-year plan",
        actions=[
            Action(task="Start", responsible=["X"], start=D(2024, 1, 15), stop=D(2024, 3, 1)),
            Action(task="Finish", responsible=["X"], start=D(2026, 5, 2), stop=D(2026, 7, 31)),
        ],
    )
    path = tmp_path / "plan.xlsx"
    plan.to_xlsx(path, as_of=D(2025, 3, 3))
    ws = openpyxl.load_workbook(path)["Gantt"]
    months = [c.value.date() for c in ws[3][6:]]
    assert months[0] == D(2024, 1, 1) and months[-1] == D(2026, 7, 1)
    assert len(months) == 31
    assert ws.cell(2, 7 + months.index(D(2025, 3, 1))).value == "today"


def test_formulas_are_neutralised_in_every_sheet(tmp_path: Path) -> None:
    plan = ActionPlan(
        name='=HYPERLINK("http://x","plan")',
        actions=[
            Action(
                task="=cmd|' /C calc'!A0",
                deliverable="@SUM(1)",
                responsible=["+Team", "-Ops"],
                resources="\tTab",
                notes="-5",
                start=D(2025, 1, 6),
                stop=D(2025, 2, 1),
                group="=Group",
            )
        ],
    )
    path = tmp_path / "plan.xlsx"
    plan.to_xlsx(path, as_of=AS_OF)
    found = cells(path)
    assert all(c.data_type != "f" for _, c in found)
    for sheet, c in found:
        if isinstance(c.value, str) and c.value != "-5":  # a number as text cannot run
            assert not c.value.startswith(("=", "+", "-", "@", "\t", "\r")), (sheet, c.value)
    values = {c.value for _, c in found}
    assert "'=cmd|' /C calc'!A0" in values and "'=Group" in values and "'+Team; -Ops" in values
    back = ActionPlan.from_xlsx(path)
    assert back.actions[0].task == "=cmd|' /C calc'!A0"
    assert back.actions[0].resources == "Tab"  # surrounding whitespace is not kept, as in CSV
    assert back.name == plan.name and back.actions[0].group == "=Group"


@settings(max_examples=15)
@given(plans(), dates)
def test_any_plan_round_trips_through_xlsx(
    tmp_path_factory: Any, plan: ActionPlan, day: dt.date
) -> None:
    path = tmp_path_factory.mktemp("xlsx") / "plan.xlsx"
    plan.to_xlsx(path, as_of=day)
    assert ActionPlan.from_xlsx(path) == plan


def test_unwritable_plans_are_refused_and_nothing_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"old")
    lonely = ActionPlan(actions=[Action(task="Lonely")])
    with pytest.raises(ActionPlanError, match="read back as a section heading"):
        lonely.to_xlsx(path, as_of=AS_OF)
    bell = ActionPlan(
        name="P", actions=[Action(task="Ring\x07", responsible=["X"], where="plan.csv, row 4")]
    )
    with pytest.raises(ActionPlanError) as info:
        bell.to_xlsx(path, as_of=AS_OF)
    assert "plan.csv, row 4, task: holds the control character '\\x07'" in str(info.value)
    nameless = ActionPlan(description="Why", actions=[Action(task="A", responsible=["X"])])
    with pytest.raises(ActionPlanError, match="has a description but no name"):
        nameless.to_xlsx(path, as_of=AS_OF)
    assert path.read_bytes() == b"old"
    ok = ActionPlan(name="P", actions=[Action(task="A", responsible=["X"])])
    ok.to_xlsx(path, as_of=AS_OF)
    assert ActionPlan.from_xlsx(path) == ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.xlsx"]  # no temporary left
