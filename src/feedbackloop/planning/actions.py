"""Action plans and accountability: who does what by when, and what is late.

An :class:`ActionPlan` holds :class:`Action` rows with exactly the parts an
initiative's action-plan spreadsheet has: the action step, its deliverable,
the person(s) or group(s) responsible, start and stop dates, the date
completed, the resources needed, and the loop node(s) it serves (a strategy or
a key driver). Plans load from YAML and from a spreadsheet (CSV or XLSX) shaped
like the sheets partners already keep, section rows such as
``A) Compiling / Creating Useful Tools`` becoming groups.

:meth:`ActionPlan.status` says what is overdue, due soon, done on time or late,
per partner and per loop node; :meth:`ActionPlan.followups` is the list a data
manager sends after a meeting.

Status rules, for an action on the date ``as_of`` (``due_soon_days`` = 14 by
default):

1. It is *done* when ``completed`` is set and not after ``as_of`` (a completion
   dated after ``as_of`` had not happened yet on that day): **done on time**
   when there is no stop date or ``completed <= stop``, else **done late**. A
   completion before the start date counts as on time.
2. Otherwise, with a stop date: **overdue** when ``as_of > stop``; **due soon**
   when ``stop - as_of`` is between 0 and ``due_soon_days`` days (an action due
   today is due soon, not overdue).
3. Otherwise **not started** when ``as_of`` is before the start date, else
   **in progress** (which includes actions with no stop date).

Examples
--------
>>> import datetime as dt
>>> a = Action(task="Draft the data dictionary", responsible=["Backbone"],
...            start=dt.date(2024, 1, 8), stop=dt.date(2024, 2, 29))
>>> a.status(dt.date(2024, 2, 29)).value, a.status(dt.date(2024, 3, 1)).value
('due soon', 'overdue')
"""

from __future__ import annotations

import csv
import datetime as _dt
import enum
import html
import io
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from attrs import evolve, field, frozen

from feedbackloop._util import (
    atomic_write_bytes,
    atomic_write_text,
    import_optional,
    locate,
    neutralize_formula,
    nonblank,
    restore_formula,
    str_tuple,
    write_yaml,
)
from feedbackloop.errors import ActionPlanError, PlanningFileError, Problem
from feedbackloop.period import Period
from feedbackloop.planning._common import (
    SLUG,
    Located,
    column_letter,
    is_blank,
    normalize_header,
    opt_date,
    parse_date_cell,
    parse_plan_year,
    read_csv_document,
    read_xlsx_rows,
    read_yaml_document,
    split_names,
)

if TYPE_CHECKING:
    import os

    from feedbackloop.model import FeedbackLoop

__all__ = [
    "Action",
    "ActionPlan",
    "ActionPlanError",
    "ActionStatus",
    "Followup",
    "Followups",
    "PlanStatus",
]

_NO_ONE = "(no one responsible)"
_NO_NODE = "(no loop node)"


class ActionStatus(enum.StrEnum):
    """Where an action stands on a given date (see the module's rules).

    .. versionadded:: 0.1.0
    """

    OVERDUE = "overdue"
    DUE_SOON = "due soon"
    IN_PROGRESS = "in progress"
    NOT_STARTED = "not started"
    DONE_ON_TIME = "done on time"
    DONE_LATE = "done late"

    @property
    def done(self) -> bool:
        """Whether the action was completed."""
        return self in (ActionStatus.DONE_ON_TIME, ActionStatus.DONE_LATE)

    def __str__(self) -> str:
        return str(self.value)


#: Display order of statuses: what needs attention first.
STATUS_ORDER = (
    ActionStatus.OVERDUE,
    ActionStatus.DUE_SOON,
    ActionStatus.IN_PROGRESS,
    ActionStatus.NOT_STARTED,
    ActionStatus.DONE_LATE,
    ActionStatus.DONE_ON_TIME,
)


def _check_window(days: int) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError(f"due_soon_days must be a whole number of days >= 0 (got {days!r})")


@frozen(kw_only=True)
class Action:
    """One step of an action plan.

    Parameters
    ----------
    task : str
        The action step ("Draft the shared data dictionary").
    deliverable : str
        What it produces.
    responsible : tuple of str
        The people or groups (partners) responsible.
    start, stop : datetime.date, optional
        When the work starts and when it is due.
    completed : datetime.date, optional
        When it was done.
    resources : str
        Resources needed.
    nodes : tuple of str
        Ids of the loop nodes (strategies or key drivers) it serves.
    group : str
        The plan section it belongs to (``"A) Compiling / Creating Useful Tools"``).
    notes : str
        Free text.
    where : str
        Where it was read from (``"plan.csv, row 7"``), for messages; not
        compared.

    Raises
    ------
    ValueError
        If ``stop`` is before ``start``.

    .. versionadded:: 0.1.0
    """

    task: str = field(validator=nonblank)
    deliverable: str = ""
    responsible: tuple[str, ...] = field(default=(), converter=str_tuple)
    start: _dt.date | None = field(default=None, converter=opt_date)
    stop: _dt.date | None = field(default=None, converter=opt_date)
    completed: _dt.date | None = field(default=None, converter=opt_date)
    resources: str = ""
    nodes: tuple[str, ...] = field(default=(), converter=str_tuple)
    group: str = ""
    notes: str = ""
    where: str = field(default="", eq=False)

    def __attrs_post_init__(self) -> None:
        if self.start is not None and self.stop is not None and self.stop < self.start:
            where = f"{self.where}: " if self.where else ""
            raise ValueError(
                f"{where}action {self.task!r} stops ({self.stop}) before it starts "
                f"({self.start}); correct one of the two dates"
            )

    def is_done(self, as_of: _dt.date) -> bool:
        """Whether the action was completed on or before ``as_of``."""
        return self.completed is not None and self.completed <= as_of

    def status(self, as_of: _dt.date, *, due_soon_days: int = 14) -> ActionStatus:
        """Return the action's status on ``as_of`` (rules in :mod:`feedbackloop.planning.actions`).

        Parameters
        ----------
        as_of : datetime.date
            The day to judge on (e.g. the meeting date).
        due_soon_days : int
            How many days ahead a stop date counts as "due soon".

        Returns
        -------
        ActionStatus
        """
        _check_window(due_soon_days)
        if self.completed is not None and self.completed <= as_of:
            if self.stop is None or self.completed <= self.stop:
                return ActionStatus.DONE_ON_TIME
            return ActionStatus.DONE_LATE
        if self.stop is not None:
            if as_of > self.stop:
                return ActionStatus.OVERDUE
            if (self.stop - as_of).days <= due_soon_days:
                return ActionStatus.DUE_SOON
        if self.start is not None and as_of < self.start:
            return ActionStatus.NOT_STARTED
        return ActionStatus.IN_PROGRESS

    def days_late(self, as_of: _dt.date) -> int:
        """Days past the stop date: of completion if done by ``as_of``, else of ``as_of``.

        Zero when not late or when there is no stop date.
        """
        if self.stop is None:
            return 0
        end = self.completed if self.is_done(as_of) and self.completed is not None else as_of
        return max(0, (end - self.stop).days)

    def days_left(self, as_of: _dt.date) -> int | None:
        """Days from ``as_of`` to the stop date (negative when past); ``None`` if done or open."""
        if self.stop is None or self.is_done(as_of):
            return None
        return (self.stop - as_of).days


# ----------------------------------------------------------------- status


@frozen(kw_only=True)
class PlanStatus:
    """What :meth:`ActionPlan.status` found on one date.

    Attributes
    ----------
    as_of : datetime.date
        The date judged on.
    actions : pandas.DataFrame
        One row per action: ``group``, ``task``, ``deliverable``,
        ``responsible``, ``nodes``, ``start``, ``stop``, ``completed``,
        ``status``, ``days_late``, ``days_left``, ``where``.
    by_partner, by_node : pandas.DataFrame
        Count of actions in each status (columns, in :data:`STATUS_ORDER`,
        plus ``total``) per responsible partner / per loop node. An action
        with two partners counts for each.
    flags : tuple of Problem
        Strategies with no action, actions tied to no strategy or key driver,
        actions naming a node the loop does not have, actions nobody is
        responsible for.

    .. versionadded:: 0.1.0
    """

    as_of: _dt.date
    actions: pd.DataFrame = field(eq=False, repr=False)
    by_partner: pd.DataFrame = field(eq=False, repr=False)
    by_node: pd.DataFrame = field(eq=False, repr=False)
    flags: tuple[Problem, ...] = ()

    def count(self, status: ActionStatus | str) -> int:
        """Return the number of actions in ``status``."""
        value = ActionStatus(status)
        return int((self.actions["status"] == value.value).sum())

    @property
    def overdue(self) -> pd.DataFrame:
        """The overdue actions, most days late first."""
        df = self.actions[self.actions["status"] == ActionStatus.OVERDUE.value]
        return df.sort_values("days_late", ascending=False, kind="stable")

    @property
    def due_soon(self) -> pd.DataFrame:
        """The actions due within the window, soonest first."""
        df = self.actions[self.actions["status"] == ActionStatus.DUE_SOON.value]
        return df.sort_values("days_left", kind="stable")

    def __str__(self) -> str:
        counts = ", ".join(f"{self.count(s)} {s}" for s in STATUS_ORDER if self.count(s))
        lines = [
            f"action plan status as of {self.as_of}: {len(self.actions)} actions"
            + (f" ({counts})" if counts else "")
        ]
        if len(self.by_partner):
            lines += ["", "by partner:", self.by_partner.to_string()]
        if len(self.by_node):
            lines += ["", "by loop node:", self.by_node.to_string()]
        if self.flags:
            lines += ["", "flags:"] + [f"  - {p}" for p in self.flags]
        return "\n".join(lines)


def _counts(rows: list[tuple[str, str]], index_name: str) -> pd.DataFrame:
    columns = [s.value for s in STATUS_ORDER]
    keys = list(dict.fromkeys(k for k, _ in rows))
    tally = Counter(rows)
    data = [[tally[(k, c)] for c in columns] for k in keys]
    table = pd.DataFrame(data, index=pd.Index(keys, name=index_name), columns=columns)
    table = table.astype("int64")
    table["total"] = table.sum(axis=1)
    return table


# --------------------------------------------------------------- followups


@frozen(kw_only=True)
class Followup:
    """One line of a follow-up list: an action a party should hear about.

    Attributes
    ----------
    party : str
        Who is responsible (``"(no one responsible)"`` when nobody is).
    action : Action
    reason : str
        ``"overdue"``, ``"due soon"`` or ``"starts soon"``.
    days : int
        Days late (overdue), days left (due soon) or days to the start.

    .. versionadded:: 0.1.0
    """

    party: str
    action: Action
    reason: str
    days: int

    def __str__(self) -> str:
        a = self.action
        if self.reason == "overdue":
            head = f"OVERDUE by {self.days} day{'s' if self.days != 1 else ''}"
            when = f"(was due {a.stop})"
        elif self.reason == "due soon":
            head = (
                "DUE TODAY"
                if self.days == 0
                else f"due in {self.days} day" + ("s" if self.days != 1 else "")
            )
            when = f"(due {a.stop})"
        else:
            head = f"starts in {self.days} day{'s' if self.days != 1 else ''}"
            when = f"(starts {a.start}" + (f", due {a.stop})" if a.stop else ")")
        deliverable = f" — deliverable: {a.deliverable}" if a.deliverable else ""
        return f"{head}: {a.task}{deliverable} {when}"


_REASON_RANK = {"overdue": 0, "due soon": 1, "starts soon": 2}


@frozen(kw_only=True)
class Followups:
    """The follow-up list after a meeting, grouped by responsible party.

    Iterating gives every :class:`Followup`; :meth:`by_party` groups them;
    ``str()`` is the text to send.

    .. versionadded:: 0.1.0
    """

    as_of: _dt.date
    items: tuple[Followup, ...] = ()

    def __iter__(self) -> Iterator[Followup]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def by_party(self) -> dict[str, tuple[Followup, ...]]:
        """Return party → its follow-ups (overdue first, most late first; then due soon)."""
        out: dict[str, list[Followup]] = {}
        for item in self.items:
            out.setdefault(item.party, []).append(item)
        ordered = sorted(out, key=lambda p: (p == _NO_ONE, p.lower()))
        return {
            p: tuple(
                sorted(
                    out[p],
                    key=lambda f: (
                        _REASON_RANK[f.reason],
                        -f.days if f.reason == "overdue" else f.days,
                    ),
                )
            )
            for p in ordered
        }

    def to_frame(self) -> pd.DataFrame:
        """Return one row per follow-up: party, reason, days, task, deliverable, start, stop."""
        rows = [
            {
                "party": f.party,
                "reason": f.reason,
                "days": f.days,
                "task": f.action.task,
                "deliverable": f.action.deliverable,
                "start": f.action.start,
                "stop": f.action.stop,
                "where": f.action.where,
            }
            for items in self.by_party().values()
            for f in items
        ]
        columns = ["party", "reason", "days", "task", "deliverable", "start", "stop", "where"]
        return pd.DataFrame(rows, columns=columns)

    def __str__(self) -> str:
        if not self.items:
            return f"Follow-ups as of {self.as_of}: nothing overdue or due soon."
        lines = [f"Follow-ups as of {self.as_of}"]
        for party, items in self.by_party().items():
            lines += ["", party]
            lines += [f"  - {f}" for f in items]
        return "\n".join(lines)


# ------------------------------------------------------------------- plan


def _actions(value: Iterable[Action]) -> tuple[Action, ...]:
    return tuple(value)


def _plan_year(value: object) -> int | Period | None:
    return parse_plan_year(value)


_STATUS_COLUMNS = (
    "group",
    "task",
    "deliverable",
    "responsible",
    "nodes",
    "start",
    "stop",
    "completed",
    "status",
    "days_late",
    "days_left",
    "where",
)


def _status_row(a: Action, status: str, as_of: _dt.date, label: str) -> dict[str, Any]:
    """Return one row of :attr:`PlanStatus.actions` (the columns of ``_STATUS_COLUMNS``)."""
    return {
        "group": a.group,
        "task": a.task,
        "deliverable": a.deliverable,
        "responsible": "; ".join(a.responsible),
        "nodes": ", ".join(a.nodes),
        "start": a.start,
        "stop": a.stop,
        "completed": a.completed,
        "status": status,
        "days_late": a.days_late(as_of),
        "days_left": a.days_left(as_of),
        "where": label,
    }


def _action_flags(a: Action, label: str, loop: FeedbackLoop | None) -> list[Problem]:
    """Return what :meth:`ActionPlan.status` flags about one action (see its ``loop``)."""
    flags: list[Problem] = []
    if not a.responsible:
        flags.append(Problem(label, f"nobody is responsible for {a.task!r}"))
    if loop is None:
        if not a.nodes:
            flags.append(Problem(label, f"{a.task!r} serves no loop node"))
        return flags
    unknown = [n for n in a.nodes if n not in loop]
    if unknown:
        flags.append(
            Problem(
                label,
                f"{a.task!r} names {', '.join(map(repr, unknown))}, not a node of "
                f"loop {loop.name!r}",
            )
        )
    actionable = {s.id for s in loop.strategies} | {k.id for k in loop.key_drivers}
    if not any(n in actionable for n in a.nodes):
        flags.append(Problem(label, f"{a.task!r} is tied to no strategy or key driver of the loop"))
    return flags


@frozen(kw_only=True)
class ActionPlan:
    """An initiative's action plan: a list of :class:`Action` rows, in order.

    Parameters
    ----------
    actions : tuple of Action
    name : str
        The plan's title.
    description : str
        Free text (in a spreadsheet, the title rows above the last one).
    plan_year : int or Period, optional
        The year (or school/fiscal year, ``"2023/24"``) that dates written
        without a year (``2/29``) fall in.
    source : str
        The file read, for messages; not compared.

    .. versionadded:: 0.1.0
    """

    actions: tuple[Action, ...] = field(default=(), converter=_actions)
    name: str = ""
    description: str = ""
    plan_year: int | Period | None = field(default=None, converter=_plan_year)
    source: str = field(default="", eq=False)

    def __iter__(self) -> Iterator[Action]:
        return iter(self.actions)

    def __len__(self) -> int:
        return len(self.actions)

    @property
    def groups(self) -> tuple[str, ...]:
        """Section names, in order of first appearance (``""`` for ungrouped actions)."""
        return tuple(dict.fromkeys(a.group for a in self.actions))

    @property
    def partners(self) -> tuple[str, ...]:
        """Everyone responsible for some action, in order of first appearance."""
        return tuple(dict.fromkeys(p for a in self.actions for p in a.responsible))

    def for_partner(self, partner: str) -> tuple[Action, ...]:
        """Return the actions ``partner`` is responsible for."""
        return tuple(a for a in self.actions if partner in a.responsible)

    def for_node(self, node_id: str) -> tuple[Action, ...]:
        """Return the actions that serve the loop node ``node_id``."""
        return tuple(a for a in self.actions if node_id in a.nodes)

    # ------------------------------------------------------------ judging

    def status(
        self,
        as_of: _dt.date,
        *,
        loop: FeedbackLoop | None = None,
        due_soon_days: int = 14,
    ) -> PlanStatus:
        """Judge every action on ``as_of``; count per partner and per loop node.

        Parameters
        ----------
        as_of : datetime.date
            The day to judge on.
        loop : FeedbackLoop, optional
            With the loop, strategies that no action serves, actions tied to
            no strategy or key driver, and node ids the loop does not have are
            flagged; without it, actions naming no node at all are flagged.
        due_soon_days : int
            How many days ahead a stop date counts as "due soon".

        Returns
        -------
        PlanStatus
        """
        _check_window(due_soon_days)
        rows = []
        partner_rows: list[tuple[str, str]] = []
        node_rows: list[tuple[str, str]] = []
        flags: list[Problem] = []
        for i, a in enumerate(self.actions):
            label = a.where or f"action {i + 1}"
            st = a.status(as_of, due_soon_days=due_soon_days).value
            rows.append(_status_row(a, st, as_of, label))
            partner_rows += [(p, st) for p in a.responsible or (_NO_ONE,)]
            node_rows += [(n, st) for n in a.nodes or (_NO_NODE,)]
            flags += _action_flags(a, label, loop)
        if loop is not None:
            served = {n for a in self.actions for n in a.nodes}
            flags += [
                Problem(s.id, f"strategy {s.title!r} has no action in the plan")
                for s in loop.strategies
                if s.id not in served
            ]
        frame = pd.DataFrame(rows, columns=list(_STATUS_COLUMNS))
        frame["days_left"] = frame["days_left"].astype("Int64")
        frame["days_late"] = frame["days_late"].astype("int64")
        return PlanStatus(
            as_of=as_of,
            actions=frame,
            by_partner=_counts(partner_rows, "partner"),
            by_node=_counts(node_rows, "node"),
            flags=tuple(flags),
        )

    def followups(
        self, as_of: _dt.date, *, due_soon_days: int = 14, starting: bool = True
    ) -> Followups:
        """List what each responsible party should hear about after a meeting on ``as_of``.

        Parameters
        ----------
        as_of : datetime.date
            The meeting date.
        due_soon_days : int
            How far ahead "due soon" (and "starts soon") looks.
        starting : bool
            Also list actions that have not started and start within the window.

        Returns
        -------
        Followups
            Overdue and due-soon actions (and starting ones), under each party
            responsible; actions nobody is responsible for under
            ``"(no one responsible)"``.
        """
        _check_window(due_soon_days)
        items: list[Followup] = []
        for a in self.actions:
            st = a.status(as_of, due_soon_days=due_soon_days)
            if st is ActionStatus.OVERDUE:
                reason, days = "overdue", a.days_late(as_of)
            elif st is ActionStatus.DUE_SOON:
                reason, days = "due soon", (a.days_left(as_of) or 0)
            elif (
                starting
                and st is ActionStatus.NOT_STARTED
                and a.start is not None
                and (a.start - as_of).days <= due_soon_days
            ):
                reason, days = "starts soon", (a.start - as_of).days
            else:
                continue
            items += [
                Followup(party=p, action=a, reason=reason, days=days)
                for p in a.responsible or (_NO_ONE,)
            ]
        return Followups(as_of=as_of, items=tuple(items))

    # ------------------------------------------------------------ frames

    def to_frame(self) -> pd.DataFrame:
        """Return the plan as a table, one row per action (lists joined by semicolons)."""
        columns = [
            "group",
            "task",
            "deliverable",
            "responsible",
            "start",
            "stop",
            "completed",
            "resources",
            "nodes",
            "notes",
        ]
        return pd.DataFrame(
            [
                {
                    "group": a.group,
                    "task": a.task,
                    "deliverable": a.deliverable,
                    "responsible": "; ".join(a.responsible),
                    "start": a.start,
                    "stop": a.stop,
                    "completed": a.completed,
                    "resources": a.resources,
                    "nodes": ", ".join(a.nodes),
                    "notes": a.notes,
                }
                for a in self.actions
            ],
            columns=columns,
        )

    def __repr__(self) -> str:
        name = f" {self.name!r}" if self.name else ""
        return (
            f"<ActionPlan{name}: {len(self.actions)} actions in {len(self.groups)} group(s), "
            f"{len(self.partners)} partner(s)>"
        )

    def _repr_html_(self) -> str:
        return (
            f"<div><strong>{html.escape(self.name or 'Action plan')}</strong>"
            + self.to_frame().to_html(index=False, na_rep="—")
            + "</div>"
        )

    # ------------------------------------------------------------- YAML

    def to_dict(self) -> dict[str, Any]:
        """Return the plan as plain data (``name``, ``plan_year``, ``actions``)."""
        out: dict[str, Any] = {}
        if self.name:
            out["name"] = self.name
        if self.description:
            out["description"] = self.description
        if self.plan_year is not None:
            out["plan_year"] = (
                self.plan_year if isinstance(self.plan_year, int) else str(self.plan_year)
            )
        out["actions"] = [_action_to_dict(a) for a in self.actions]
        return out

    @classmethod
    def from_dict(
        cls, data: object, *, source: str = "<dict>", lines: Mapping[Any, int] | None = None
    ) -> ActionPlan:
        """Build a plan from plain data in the YAML layout, reporting every problem.

        Raises
        ------
        ActionPlanError
            Naming the document path (and line) of each problem.
        """
        return _plan_from_dict(data, source, lines or {})

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> ActionPlan:
        """Read a plan from a YAML file (see "From data to action" in the docs).

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        ActionPlanError
            Naming the path in the document and the line of each problem.
        """
        p = Path(path)
        data, lines = read_yaml_document(p, ActionPlanError, "action plan")
        return _plan_from_dict(data, str(p), lines)

    def to_yaml(self, path: str | os.PathLike[str] | None = None) -> str:
        """Return the plan as YAML, writing it atomically to ``path`` when given."""
        return write_yaml(self.to_dict(), path)

    # ------------------------------------------------------ spreadsheets

    @classmethod
    def from_rows(
        cls,
        rows: Sequence[Sequence[object]],
        *,
        plan_year: int | str | Period | None = None,
        source: str = "<rows>",
        ignore_columns: Iterable[str] = (),
    ) -> ActionPlan:
        """Build a plan from spreadsheet rows (the first row of ``rows`` is sheet row 1).

        The header row is the first row naming an action-step column and at
        least two other known columns (see :data:`COLUMNS`); rows above it
        are title rows (the first becomes the plan's name). Below it, a row
        whose only filled cell is in the first or the action-step column is a
        section heading: the actions after it belong to that group.

        Raises
        ------
        ActionPlanError
            Naming the row and column of each problem.
        """
        try:
            year = parse_plan_year(plan_year)
        except ValueError as err:
            raise ActionPlanError(source, [Problem("plan_year", str(err))]) from err
        return _plan_from_rows(rows, year, source, {normalize_header(c) for c in ignore_columns})

    @classmethod
    def from_csv(
        cls,
        path: str | os.PathLike[str],
        *,
        plan_year: int | str | Period | None = None,
        ignore_columns: Iterable[str] = (),
    ) -> ActionPlan:
        """Read a plan from a CSV file shaped like an action-plan spreadsheet.

        Parameters
        ----------
        path : path
            The CSV file (UTF-8).
        plan_year : int or str or Period, optional
            The year, or school/fiscal year (``"2023/24"``), of dates written
            without a year (``2/29``).
        ignore_columns : iterable of str
            Header names of extra columns to skip (other unknown columns are
            errors, so that nothing is dropped unnoticed).

        Returns
        -------
        ActionPlan

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        ActionPlanError
            Naming the file, row and column of each problem.
        """
        p = Path(path)
        rows = read_csv_document(p, ActionPlanError, "action plan")
        return cls.from_rows(
            rows, plan_year=plan_year, source=str(p), ignore_columns=ignore_columns
        )

    @classmethod
    def from_xlsx(
        cls,
        path: str | os.PathLike[str],
        *,
        sheet: str | int | None = None,
        plan_year: int | str | Period | None = None,
        ignore_columns: Iterable[str] = (),
    ) -> ActionPlan:
        """Read a plan from an XLSX workbook (needs the ``excel`` extra, openpyxl).

        Parameters are those of :meth:`from_csv`, plus ``sheet`` (a name or a
        0-based index; default the first sheet). Date-formatted cells are read
        as dates; the apostrophe that :meth:`to_xlsx` puts before text a
        spreadsheet would run as a formula is removed.

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        ActionPlanError
            Naming the file, sheet, row and column of each problem.
        MissingDependencyError
            If openpyxl is not installed.
        """
        p = Path(path)
        if not p.exists():
            raise FileNotFoundError(f"action plan not found: {p}")
        try:
            title, rows = read_xlsx_rows(p, sheet, "reading an action plan from an XLSX file")
        except PlanningFileError as err:
            raise ActionPlanError(err.source, err.problems) from err
        # text cells that to_xlsx (or to_csv) kept from running as formulas
        rows = [[restore_formula(c) if isinstance(c, str) else c for c in row] for row in rows]
        return cls.from_rows(
            rows,
            plan_year=plan_year,
            source=f"{p} (sheet {title!r})",
            ignore_columns=ignore_columns,
        )

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        plan_year: int | str | Period | None = None,
        sheet: str | int | None = None,
        ignore_columns: Iterable[str] = (),
    ) -> ActionPlan:
        """Read a plan from YAML, CSV or XLSX, chosen by the file's suffix.

        Raises
        ------
        ActionPlanError
            For an unknown suffix, or any problem in the file.
        """
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix in (".yaml", ".yml"):
            plan = cls.from_yaml(p)
            if plan_year is not None and plan.plan_year is None:
                plan = evolve(plan, plan_year=plan_year)
            return plan
        if suffix == ".csv":
            return cls.from_csv(p, plan_year=plan_year, ignore_columns=ignore_columns)
        if suffix in (".xlsx", ".xlsm"):
            return cls.from_xlsx(p, sheet=sheet, plan_year=plan_year, ignore_columns=ignore_columns)
        raise ActionPlanError(
            str(p), [Problem("", f"unknown file type {suffix!r}; use .yaml, .csv or .xlsx")]
        )

    def to_xlsx(
        self,
        path: str | os.PathLike[str],
        *,
        as_of: _dt.date | None = None,
        due_soon_days: int = 14,
    ) -> None:
        r"""Write the plan, a Gantt grid and a key to an XLSX workbook, atomically.

        Needs the ``excel`` extra (openpyxl). The workbook has three sheets:

        - **Action plan**: the plan in the spreadsheet layout :meth:`from_xlsx`
          reads (title rows, the header of :data:`HEADER`, a section row per
          group), header frozen, dates as Excel dates. It reads back into an
          equal plan (pass the same ``plan_year``).
        - **Gantt**: one row per action under bold section rows and one column
          per week (weeks start on Monday; per month when the plan spans more
          than 70 weeks); the cells from start to stop are filled with the
          colour of the action's status on ``as_of`` (the colours of
          :func:`feedbackloop.plot.gantt`), ``◆`` marks a stop date without a
          start, ``✓`` the week an action was completed, hatched vermillion the
          weeks an action is overdue, hatched colour a start without a stop;
          the column holding ``as_of`` is marked "today" and framed.
        - **README**: what the colours and marks mean, and the as-of date.

        Text a spreadsheet would run as a formula (starting with ``=``, ``+``,
        ``-``, ``@``, a tab or a carriage return) is written with a leading
        apostrophe, which :meth:`from_xlsx` removes again. XLSX stores line
        breaks as ``\n``: a carriage return in a text reads back as ``\n``.

        Parameters
        ----------
        path : path
            The ``.xlsx`` file to write (replaced whole, or not at all).
        as_of : datetime.date, optional
            The day the Gantt sheet's statuses are judged on (default today).
        due_soon_days : int
            How many days ahead a stop date counts as "due soon".

        Raises
        ------
        ActionPlanError
            If an action has nothing but its task (its row would read back as a
            section heading), or a text holds a control character or more
            characters than an XLSX cell can (32,767); each problem is named.
        MissingDependencyError
            If openpyxl is not installed.

        .. versionadded:: 0.2.0
        """
        _check_window(due_soon_days)
        day = _dt.date.today() if as_of is None else as_of
        if isinstance(day, _dt.datetime):
            day = day.date()
        if not isinstance(day, _dt.date):
            raise TypeError(f"as_of must be a datetime.date (got {as_of!r})")
        problems = _xlsx_problems(self)
        if problems:
            raise ActionPlanError(str(path), problems)
        openpyxl = import_optional(
            "openpyxl", extra="excel", purpose="writing an action plan to an XLSX file"
        )
        wb = openpyxl.Workbook()
        sheet = wb.active
        sheet.title = "Action plan"
        _XlsxWriter(self, day, due_soon_days).write(
            sheet, wb.create_sheet("Gantt"), wb.create_sheet("README")
        )
        buf = io.BytesIO()
        wb.save(buf)
        atomic_write_bytes(path, buf.getvalue())

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """Return the plan as CSV in the spreadsheet layout, writing it atomically to ``path``.

        Actions are written group by group (ungrouped first, then each group
        under its section row, groups in order of first appearance); dates are
        ISO 8601. Text a spreadsheet would run as a formula (starting with
        ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a
        leading apostrophe, which :meth:`from_csv` removes again: it reads the
        text back into an equal plan.

        Raises
        ------
        ActionPlanError
            If an action has nothing but its task: its row would read back as
            a section heading (give it a deliverable or a responsible party).
        """
        buf = io.StringIO()
        csv_writer = csv.writer(buf, lineterminator="\n")

        def write(row: Sequence[object]) -> None:
            csv_writer.writerow([neutralize_formula(c) for c in row])

        for line in self.description.splitlines():
            if line.strip():
                write([line])
        if self.name:
            write([self.name])
        write(HEADER)
        problems = []
        for group in self.groups:
            if group:
                write([group])
            for i, a in enumerate(self.actions):
                if a.group != group:
                    continue
                cells = _action_cells(a)
                if all(not c for c in cells[1:]):
                    problems.append(
                        Problem(
                            a.where or f"actions[{i}]",
                            f"{a.task!r} has nothing but its task, so its row would read back "
                            "as a section heading; give it a deliverable or a responsible party",
                        )
                    )
                write(cells)
        if problems:
            raise ActionPlanError(str(path) if path else "<csv>", problems)
        text = buf.getvalue()
        if path is not None:
            atomic_write_text(path, text)
        return text


# ------------------------------------------------------------ reading YAML

_ACTION_KEYS = (
    "task",
    "deliverable",
    "responsible",
    "start",
    "stop",
    "completed",
    "resources",
    "nodes",
    "group",
    "notes",
)


def _text(value: object) -> str | None:
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, str | int | float):
        return str(value).strip()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return None


def _plan_from_dict(data: object, source: str, lines: Mapping[Any, int]) -> ActionPlan:
    problems: list[Problem] = []

    def fail(path: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(locate(path, lines), message))

    if not isinstance(data, Mapping):
        raise ActionPlanError(source, [Problem("(document)", "must be a mapping with 'actions'")])
    for key in data:
        if key not in ("name", "description", "plan_year", "actions"):
            fail((str(key),), "unknown key; expected one of name, description, plan_year, actions")
    plan_year: int | Period | None = None
    try:
        plan_year = parse_plan_year(data.get("plan_year"))
    except ValueError as err:
        fail(("plan_year",), str(err))
    raw = data.get("actions")
    if not isinstance(raw, list):
        fail(("actions",), "is required: a list of actions")
        raw = []
    actions: list[Action] = []
    for i, item in enumerate(raw):
        path: tuple[str | int, ...] = ("actions", i)
        if not isinstance(item, Mapping):
            fail(path, "must be a mapping with at least 'task'")
            continue
        n_before = len(problems)
        for key in item:
            if key not in _ACTION_KEYS:
                fail((*path, str(key)), f"unknown key; expected one of {', '.join(_ACTION_KEYS)}")
        kwargs: dict[str, Any] = {}
        for key in ("task", "deliverable", "resources", "group", "notes"):
            text = _text(item.get(key))
            if text is None:
                fail((*path, key), f"must be text (got {item.get(key)!r})")
            else:
                kwargs[key] = text
        if not kwargs.get("task"):
            fail((*path, "task"), "is required: what is to be done")
        kwargs["responsible"] = split_names(item.get("responsible"))
        nodes = split_names(item.get("nodes"))
        for node in nodes:
            if not SLUG.match(node):
                fail((*path, "nodes"), f"must be loop node ids (got {node!r})")
        kwargs["nodes"] = nodes
        for key in ("start", "stop", "completed"):
            try:
                kwargs[key] = parse_date_cell(item.get(key), plan_year=plan_year)
            except (ValueError, TypeError) as err:
                fail((*path, key), str(err))
        if len(problems) > n_before:
            continue
        where = f"{Path(source).name}, actions[{i}]" if source != "<dict>" else f"actions[{i}]"
        try:
            actions.append(Action(where=where, **kwargs))
        except ValueError as err:
            fail(path, str(err))
    if problems:
        raise ActionPlanError(source, problems)
    return ActionPlan(
        actions=actions,
        name=_text(data.get("name")) or "",
        description=_text(data.get("description")) or "",
        plan_year=plan_year,
        source=source,
    )


def _action_to_dict(a: Action) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if a.group:
        out["group"] = a.group
    out["task"] = a.task
    if a.deliverable:
        out["deliverable"] = a.deliverable
    if a.responsible:
        out["responsible"] = list(a.responsible)
    for key in ("start", "stop", "completed"):
        value = getattr(a, key)
        if value is not None:
            out[key] = value.isoformat()
    if a.resources:
        out["resources"] = a.resources
    if a.nodes:
        out["nodes"] = list(a.nodes)
    if a.notes:
        out["notes"] = a.notes
    return out


# ----------------------------------------------------- reading spreadsheets

#: Header words recognised in action-plan spreadsheets (compared after
#: lower-casing and dropping punctuation; ``(s)`` counts as ``s``).
COLUMNS: dict[str, tuple[str, ...]] = {
    "task": ("action steps", "action step", "actions", "action", "task", "tasks", "steps"),
    "deliverable": ("deliverable", "deliverables", "product", "products", "output"),
    "responsible": (
        "persons or groups responsible",
        "person or group responsible",
        "persons responsible",
        "person responsible",
        "responsible",
        "responsible parties",
        "responsible party",
        "who",
        "lead",
    ),
    "start": ("start", "start date", "begin"),
    "stop": ("stop", "stop date", "end", "end date", "due", "due date", "deadline"),
    "completed": ("date completed", "completed", "completion date", "done", "date done"),
    "resources": ("resources needed", "resources", "resources required"),
    "nodes": ("loop nodes", "loop node", "nodes", "node", "serves", "strategy", "strategies"),
    "notes": ("notes", "comments", "note"),
}
_ALIASES = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}

#: Header written by :meth:`ActionPlan.to_csv` (the seeds' sample's words).
HEADER = (
    "Action Steps",
    "Deliverable",
    "Person(s) or Group(s) Responsible",
    "Start",
    "Stop",
    "Date Completed",
    "Resources Needed",
    "Loop Node(s)",
    "Notes",
)


def _action_cells(a: Action) -> list[str]:
    return [
        a.task,
        a.deliverable,
        "; ".join(a.responsible),
        a.start.isoformat() if a.start else "",
        a.stop.isoformat() if a.stop else "",
        a.completed.isoformat() if a.completed else "",
        a.resources,
        ", ".join(a.nodes),
        a.notes,
    ]


def _find_header(rows: Sequence[Sequence[object]]) -> tuple[int, dict[int, str]] | None:
    for r, row in enumerate(rows[:30]):
        found = {
            c: _ALIASES[h]
            for c, cell in enumerate(row)
            if (h := normalize_header(cell)) in _ALIASES
        }
        if "task" in found.values() and len(set(found.values())) >= 3:
            return r, found
    return None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _plan_from_rows(
    rows: Sequence[Sequence[object]],
    plan_year: int | Period | None,
    source: str,
    ignore: set[str],
) -> ActionPlan:
    name_of_file = Path(source.split(" (sheet ")[0]).name if source != "<rows>" else ""
    header_index, columns = _header_of(rows, source)
    header = rows[header_index]
    problems = _header_problems(header, header_index, columns, ignore)
    title, description = _titles(rows[:header_index])
    task_col = next(c for c, k in columns.items() if k == "task")
    sheet = _Sheet(header=header, columns=columns, task_col=task_col, plan_year=plan_year)
    actions: list[Action] = []
    group = ""
    for r in range(header_index + 1, len(rows)):
        row = rows[r]
        filled = [c for c, v in enumerate(row) if not is_blank(v)]
        if not filled:
            continue
        if len(filled) == 1 and filled[0] in (0, task_col):
            group = _cell_text(row[filled[0]])
            continue
        rownum = r + 1
        where = f"{name_of_file}, row {rownum}" if name_of_file else f"row {rownum}"
        action, found = sheet.action(row, rownum, filled, group=group, where=where)
        problems += found
        if action is not None:
            actions.append(action)
    if problems:
        raise ActionPlanError(source, problems)
    return ActionPlan(
        actions=actions,
        name=title,
        description=description,
        plan_year=plan_year,
        source=source,
    )


def _header_of(rows: Sequence[Sequence[object]], source: str) -> tuple[int, dict[int, str]]:
    """Return the header row's index and column index -> field, or raise naming the columns."""
    found = _find_header(rows)
    if found is None:
        expected = ", ".join(repr(h) for h in HEADER[:7])
        raise ActionPlanError(
            source,
            [
                Problem(
                    "header",
                    f"no header row found in the first 30 rows; expected columns such as "
                    f"{expected}",
                )
            ],
        )
    return found


def _header_problems(
    header: Sequence[object], header_index: int, columns: Mapping[int, str], ignore: set[str]
) -> list[Problem]:
    """Columns that hold the same field twice, and columns with an unknown header."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for c, key in sorted(columns.items()):
        if key in seen:
            problems.append(
                Problem(
                    f"row {header_index + 1}",
                    f"columns {column_letter(seen[key])} and {column_letter(c)} both hold "
                    f"{key!r} ({header[seen[key]]!r}, {header[c]!r}); keep one",
                )
            )
        seen[key] = c
    for c, cell in enumerate(header):
        h = normalize_header(cell)
        if h and c not in columns and h not in ignore:
            problems.append(
                Problem(
                    str(Located(header_index + 1, str(cell).strip(), column_letter(c))),
                    "unknown column; rename it to one of "
                    + ", ".join(repr(x) for x in HEADER)
                    + " or pass ignore_columns=[...] to skip it",
                )
            )
    return problems


def _titles(rows: Sequence[Sequence[object]]) -> tuple[str, str]:
    """Return the plan's name (the last title row above the header) and description."""
    titles = [
        " ".join(_cell_text(c) for c in row if not is_blank(c))
        for row in rows
        if any(not is_blank(c) for c in row)
    ]
    return (titles[-1] if titles else ""), "\n".join(titles[:-1])


@frozen(kw_only=True)
class _Sheet:
    """An action-plan sheet's header, read once; :meth:`action` reads each row under it."""

    header: Sequence[object]
    columns: Mapping[int, str]
    task_col: int
    plan_year: int | Period | None

    def loc(self, c: int, rownum: int) -> str:
        return str(Located(rownum, _cell_text(self.header[c]), column_letter(c)))

    def col(self, key: str) -> int | None:
        return next((c for c, k in self.columns.items() if k == key), None)

    def action(
        self, row: Sequence[object], rownum: int, filled: list[int], *, group: str, where: str
    ) -> tuple[Action | None, list[Problem]]:
        """Return the row's action (``None`` when it has problems) and its problems."""
        problems = self._headless_values(row, rownum, filled)
        values: dict[str, object] = {
            key: (row[c] if c < len(row) else None) for c, key in self.columns.items()
        }
        kwargs: dict[str, Any] = {
            key: _cell_text(values.get(key))
            for key in ("task", "deliverable", "resources", "notes")
        }
        if not kwargs["task"]:
            problems.append(
                Problem(
                    self.loc(self.task_col, rownum),
                    "no action step, but other cells of the row are filled; write the step "
                    "or clear the row",
                )
            )
        kwargs["responsible"] = split_names(_cell_text(values.get("responsible")))
        kwargs["nodes"] = split_names(_cell_text(values.get("nodes")))
        for node in kwargs["nodes"]:
            if not SLUG.match(node):
                node_col = self.col("nodes")
                assert node_col is not None
                problems.append(
                    Problem(
                        self.loc(node_col, rownum),
                        f"{node!r} is not a loop node id (lower-case letters, digits and _)",
                    )
                )
        for c, key in self.columns.items():
            if key in ("start", "stop", "completed"):
                cell = row[c] if c < len(row) else None
                try:
                    kwargs[key] = parse_date_cell(cell, plan_year=self.plan_year)
                except (ValueError, TypeError) as err:
                    problems.append(Problem(self.loc(c, rownum), str(err)))
        if problems:
            return None, problems
        if kwargs.get("start") and kwargs.get("stop") and kwargs["stop"] < kwargs["start"]:
            return None, [self._stop_before_start(rownum, kwargs["start"], kwargs["stop"])]
        return Action(group=group, where=where, **kwargs), []

    def _headless_values(
        self, row: Sequence[object], rownum: int, filled: list[int]
    ) -> list[Problem]:
        return [
            Problem(
                f"row {rownum}, column {column_letter(c)}",
                f"a value ({_cell_text(row[c])!r}) in a column without a header; "
                "add a header or move the value",
            )
            for c in filled
            if c not in self.columns and (c >= len(self.header) or is_blank(self.header[c]))
        ]

    def _stop_before_start(self, rownum: int, start: _dt.date, stop: _dt.date) -> Problem:
        start_col, stop_col = self.col("start"), self.col("stop")
        assert start_col is not None and stop_col is not None
        return Problem(
            f"row {rownum}, columns {self.header[start_col]!r} ({column_letter(start_col)}) "
            f"and {self.header[stop_col]!r} ({column_letter(stop_col)})",
            f"stop {stop} is before start {start}; correct one of the two dates",
        )


# ------------------------------------------------------------ writing XLSX

#: Fill colours (RGB hex) of action statuses in the XLSX Gantt sheet: the colours
#: of :func:`feedbackloop.plot.gantt` (Okabe–Ito), in :data:`STATUS_ORDER`.
_XLSX_COLORS: Mapping[ActionStatus, str] = {
    ActionStatus.OVERDUE: "D55E00",
    ActionStatus.DUE_SOON: "E69F00",
    ActionStatus.IN_PROGRESS: "0072B2",
    ActionStatus.NOT_STARTED: "56B4E9",
    ActionStatus.DONE_LATE: "CC79A7",
    ActionStatus.DONE_ON_TIME: "009E73",
}
_STATUS_MEANING: Mapping[ActionStatus, str] = {
    ActionStatus.OVERDUE: "not completed, and the stop date is past",
    ActionStatus.DUE_SOON: "not completed; the stop date is today or within {days} days",
    ActionStatus.IN_PROGRESS: "started, not completed, the stop date further off (or none)",
    ActionStatus.NOT_STARTED: "the start date is still to come",
    ActionStatus.DONE_LATE: "completed after the stop date",
    ActionStatus.DONE_ON_TIME: "completed on or before the stop date (or with no stop date)",
}
#: Characters no XLSX cell can hold (XML 1.0 forbids them).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XLSX_MAX_CHARS = 32_767
_WEEKLY_LIMIT = 70  # weeks; a plan spanning more gets one Gantt column per month
_PLAN_WIDTHS = (48, 30, 30, 12, 12, 14, 24, 22, 30)
_GANTT_FIXED = ("Action step", "Responsible", "Status", "Start", "Stop", "Completed")
_GANTT_WIDTHS = (46, 28, 13, 11, 11, 11)


def _xlsx_problems(plan: ActionPlan) -> list[Problem]:
    """Return what keeps ``plan`` from being written to XLSX and read back equal."""
    problems: list[Problem] = []

    def check(where: str, name: str, text: str) -> None:
        if (bad := _CONTROL.search(text)) is not None:
            problems.append(
                Problem(
                    f"{where}, {name}",
                    f"holds the control character {bad.group()!r}, which an XLSX cell cannot "
                    "hold; remove it",
                )
            )
        if len(text) >= _XLSX_MAX_CHARS:
            problems.append(
                Problem(
                    f"{where}, {name}",
                    f"is {len(text):,} characters long; an XLSX cell holds at most "
                    f"{_XLSX_MAX_CHARS - 1:,} (with the apostrophe that keeps it from running "
                    "as a formula); shorten it",
                )
            )

    check("plan", "name", plan.name)
    check("plan", "description", plan.description)
    if plan.description.strip() and not plan.name:
        problems.append(
            Problem(
                "plan",
                "has a description but no name; the last title row above the header reads "
                "back as the name, so give the plan a name",
            )
        )
    for i, a in enumerate(plan.actions):
        where = a.where or f"actions[{i}]"
        for name in ("task", "deliverable", "resources", "group", "notes"):
            check(where, name, getattr(a, name))
        check(where, "responsible", "; ".join(a.responsible))
        if all(not c for c in _action_cells(a)[1:]):
            problems.append(
                Problem(
                    where,
                    f"{a.task!r} has nothing but its task, so its row would read back as a "
                    "section heading; give it a deliverable or a responsible party",
                )
            )
    return problems


def _xlsx_text(value: object) -> object:
    r"""Return a cell value as written: line breaks as ``\n``, formulas neutralised."""
    if isinstance(value, str):
        return neutralize_formula(value.replace("\r\n", "\n").replace("\r", "\n"))
    return value


def _periods(plan: ActionPlan, as_of: _dt.date) -> tuple[list[_dt.date], bool]:
    """Return the start of each Gantt column (weeks from Monday, or months) and whether weekly."""
    days = [as_of] + [
        d for a in plan.actions for d in (a.start, a.stop, a.completed) if d is not None
    ]
    lo, hi = min(days), max(days)
    if (hi - lo).days <= 7 * _WEEKLY_LIMIT:
        first = lo - _dt.timedelta(days=lo.weekday())
        count = (hi - first).days // 7 + 1
        return [first + _dt.timedelta(weeks=k) for k in range(count)], True
    starts = [_dt.date(lo.year, lo.month, 1)]
    while (last := starts[-1]) <= hi:
        starts.append(_dt.date(last.year + last.month // 12, last.month % 12 + 1, 1))
    starts.pop()  # the month after hi's
    return starts, False


class _XlsxWriter:
    """Writes the three sheets of :meth:`ActionPlan.to_xlsx` (openpyxl, imported lazily)."""

    def __init__(self, plan: ActionPlan, as_of: _dt.date, due_soon_days: int) -> None:
        self.plan = plan
        self.as_of = as_of
        self.due_soon_days = due_soon_days
        self.styles = import_optional(
            "openpyxl.styles", extra="excel", purpose="writing an action plan to an XLSX file"
        )
        self.letter = import_optional(
            "openpyxl.utils", extra="excel", purpose="writing an action plan to an XLSX file"
        ).get_column_letter

    def write(self, plan_sheet: Any, gantt_sheet: Any, readme_sheet: Any) -> None:
        self.plan_sheet(plan_sheet)
        weekly = self.gantt_sheet(gantt_sheet)
        self.readme_sheet(readme_sheet, weekly)

    # -------------------------------------------------------------- helpers

    def put(self, ws: Any, row: int, col: int, value: object, **style: Any) -> Any:
        cell = ws.cell(row=row, column=col, value=_xlsx_text(value))
        for key, val in style.items():
            setattr(cell, key, val)
        return cell

    def fill(self, color: str, pattern: str = "solid") -> Any:
        return self.styles.PatternFill(fill_type=pattern, fgColor=color, bgColor=color)

    def bold(self, size: float | None = None, color: str | None = None) -> Any:
        return self.styles.Font(bold=True, size=size, color=color)

    # --------------------------------------------------------------- sheets

    def plan_sheet(self, ws: Any) -> None:
        """Write the plan in the layout :meth:`ActionPlan.from_xlsx` reads (that of ``to_csv``)."""
        plan = self.plan
        row = 1
        if plan.description.strip():
            wrap = self.styles.Alignment(wrap_text=True, vertical="top")
            self.put(ws, row, 1, plan.description, alignment=wrap)
            row += 1
        if plan.name:
            self.put(ws, row, 1, plan.name, font=self.bold(13))
            row += 1
        header_row = row
        for c, head in enumerate(HEADER, 1):
            self.put(ws, row, c, head, font=self.bold(), fill=self.fill("D9D9D9"))
        wrap = self.styles.Alignment(wrap_text=True, vertical="top")
        for group in plan.groups:
            if group:
                row += 1
                self.put(ws, row, 1, group, font=self.bold())
                for c in range(1, len(HEADER) + 1):
                    ws.cell(row=row, column=c).fill = self.fill("EEEEEE")
            for a in plan.actions:
                if a.group != group:
                    continue
                row += 1
                cells: list[object] = [
                    a.task,
                    a.deliverable,
                    "; ".join(a.responsible),
                    a.start,
                    a.stop,
                    a.completed,
                    a.resources,
                    ", ".join(a.nodes),
                    a.notes,
                ]
                for c, value in enumerate(cells, 1):
                    if value is None or value == "":
                        continue
                    if isinstance(value, _dt.date):
                        self.put(ws, row, c, value, number_format="yyyy-mm-dd")
                    else:
                        self.put(ws, row, c, value, alignment=wrap)
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        for c, width in enumerate(_PLAN_WIDTHS, 1):
            ws.column_dimensions[self.letter(c)].width = width

    def gantt_sheet(self, ws: Any) -> bool:
        """Write the timeline grid; return whether its columns are weeks (else months)."""
        plan, day = self.plan, self.as_of
        starts, weekly = _periods(plan, day)
        first = len(_GANTT_FIXED) + 1

        def col(d: _dt.date) -> int:
            return first + bisect_right(starts, d) - 1

        last_col = first + len(starts) - 1
        today = col(day)
        name = plan.name or "Action plan"
        unit = "week (from Monday)" if weekly else "month"
        self.put(
            ws,
            1,
            1,
            f"{name}: Gantt as of {day.isoformat()}, one column per {unit}",
            font=self.bold(12),
        )
        self.put(ws, 2, today, "today", font=self.bold(color="222222"))
        center = self.styles.Alignment(horizontal="center", vertical="center")
        for c, head in enumerate(_GANTT_FIXED, 1):
            self.put(ws, 3, c, head, font=self.bold(), fill=self.fill("D9D9D9"))
        rotated = self.styles.Alignment(text_rotation=90, horizontal="center")
        for k, start in enumerate(starts):
            self.put(
                ws,
                3,
                first + k,
                start,
                number_format="d mmm yy" if weekly else "mmm yyyy",
                alignment=rotated,
                font=self.styles.Font(size=8, bold=first + k == today),
                fill=self.fill("FFE699" if first + k == today else "D9D9D9"),
            )
        row = 3
        for group in plan.groups:
            if group:
                row += 1
                self.put(ws, row, 1, group, font=self.bold())
                for c in range(1, last_col + 1):
                    ws.cell(row=row, column=c).fill = self.fill("EEEEEE")
            for a in plan.actions:
                if a.group == group:
                    row += 1
                    self.gantt_row(ws, row, a, col, last_col, center)
        dashed = self.styles.Side(style="mediumDashed", color="222222")
        for r in range(3, row + 1):
            ws.cell(row=r, column=today).border = self.styles.Border(left=dashed, right=dashed)
        ws.freeze_panes = ws.cell(row=4, column=first)
        for c, width in enumerate(_GANTT_WIDTHS, 1):
            ws.column_dimensions[self.letter(c)].width = width
        for c in range(first, last_col + 1):
            ws.column_dimensions[self.letter(c)].width = 3.6 if weekly else 6
        ws.row_dimensions[3].height = 48
        return weekly

    def gantt_row(self, ws: Any, row: int, a: Action, col: Any, last_col: int, center: Any) -> None:
        status = a.status(self.as_of, due_soon_days=self.due_soon_days)
        color = _XLSX_COLORS[status]
        white = status in (ActionStatus.OVERDUE, ActionStatus.IN_PROGRESS)
        self.put(ws, row, 1, a.task)
        self.put(ws, row, 2, "; ".join(a.responsible))
        self.put(
            ws,
            row,
            3,
            status.value,
            fill=self.fill(color),
            font=self.bold(color="FFFFFF" if white else "000000"),
        )
        for c, d in ((4, a.start), (5, a.stop), (6, a.completed)):
            if d is not None:
                self.put(ws, row, c, d, number_format="yyyy-mm-dd")
        if a.start is not None:
            end = col(a.stop) if a.stop is not None else last_col
            pattern = "solid" if a.stop is not None else "lightUp"
            for c in range(col(a.start), end + 1):
                ws.cell(row=row, column=c).fill = self.fill(color, pattern)
        elif a.stop is not None:
            self.put(ws, row, col(a.stop), "◆", font=self.bold(color=color), alignment=center)
        if status is ActionStatus.OVERDUE and a.stop is not None:
            for c in range(col(a.stop) + 1, col(self.as_of) + 1):
                ws.cell(row=row, column=c).fill = self.fill(color, "lightDown")
        if status.done and a.completed is not None:
            on_dark = (
                a.start is not None
                and a.stop is not None
                and (col(a.start) <= col(a.completed) <= col(a.stop))
            )
            self.put(
                ws,
                row,
                col(a.completed),
                "✓",
                font=self.bold(color="FFFFFF" if on_dark else "000000"),
                alignment=center,
            )

    # A little over 80 lines: one cell-writing statement per line of the README sheet's text.
    def readme_sheet(self, ws: Any, weekly: bool) -> None:
        """Write what the colours and marks mean, and the as-of date."""
        plan, unit = self.plan, "week" if weekly else "month"
        wrap = self.styles.Alignment(wrap_text=True, vertical="top")
        self.put(ws, 1, 1, "About this workbook", font=self.bold(13))
        rows: list[tuple[object, object]] = [
            ("Plan", plan.name or "(no name)"),
            ("As of", self.as_of),
            (
                "Due soon",
                f"a stop date today or within {self.due_soon_days} days of the as-of date",
            ),
            (
                "Action plan sheet",
                (
                    "the plan in the layout feedbackloop reads back "
                    "(ActionPlan.from_xlsx, ActionPlan.load); edit the plan there"
                ),
            ),
            (
                "Gantt sheet",
                f"one row per action, one column per {unit}"
                + (" (weeks start on Monday)" if weekly else "")
                + "; cells from the start to the stop date are filled with the action's "
                "status on the as-of date",
            ),
            (
                "Text cells",
                (
                    "text beginning with = + - @ (or a tab) is written with a leading "
                    "apostrophe so that no spreadsheet runs it as a formula; feedbackloop "
                    "removes the apostrophe when it reads the file back"
                ),
            ),
        ]
        r = 2
        for label, text in rows:
            self.put(ws, r, 1, label, font=self.bold())
            cell = self.put(ws, r, 2, text, alignment=wrap)
            if isinstance(text, _dt.date):
                cell.number_format = "yyyy-mm-dd"
                cell.alignment = self.styles.Alignment(horizontal="left")
            r += 1
        r += 1
        self.put(ws, r, 1, "Colours and marks in the Gantt sheet", font=self.bold(12))
        for status in STATUS_ORDER:
            r += 1
            white = status in (ActionStatus.OVERDUE, ActionStatus.IN_PROGRESS)
            self.put(
                ws,
                r,
                1,
                status.value,
                fill=self.fill(_XLSX_COLORS[status]),
                font=self.bold(color="FFFFFF" if white else "000000"),
            )
            self.put(ws, r, 2, _STATUS_MEANING[status].format(days=self.due_soon_days))
        vermillion = _XLSX_COLORS[ActionStatus.OVERDUE]
        marks: list[tuple[str, str, dict[str, Any]]] = [
            ("◆", "a stop date without a start date (a milestone), in its status colour", {}),
            ("✓", f"the {unit} the action was completed", {"font": self.bold()}),
            (
                "",
                f"hatched vermillion: the {unit}s since an overdue action's stop date",
                {"fill": self.fill(vermillion, "lightDown")},
            ),
            (
                "",
                "hatched colour: a start date without a stop date (open-ended)",
                {"fill": self.fill(_XLSX_COLORS[ActionStatus.IN_PROGRESS], "lightUp")},
            ),
            (
                "today",
                f"the {unit} holding the as-of date, framed with dashes",
                {"font": self.bold(), "fill": self.fill("FFE699")},
            ),
        ]
        for mark, meaning, style in marks:
            r += 1
            self.put(ws, r, 1, mark, alignment=self.styles.Alignment(horizontal="center"), **style)
            self.put(ws, r, 2, meaning)
        ws.column_dimensions["A"].width = 22
        ws.column_dimensions["B"].width = 100
