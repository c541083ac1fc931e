"""Plan-Do-Study-Act cycles: a cycle log tied to the loop's strategies and indicators.

A :class:`PdsaCycle` records one test of a change to a strategy: its number and
series (cycles linked by ``previous`` / ``next``), the objective, the question
and the prediction; the plan (who, what, where, and when: ``start`` to ``end``
of the Do); the data plan; what happened; the study (the data compared with
the prediction); the act (:class:`Act`: adopt, adapt or abandon) and the day
the team decided it (``closed``). A :class:`CycleLog` holds the cycles of a
partnership, read from YAML, CSV or XLSX with every problem located, and the
A3 notes of each strategy (its background and root causes).

Status rules, for a cycle on the date ``as_of`` (:class:`CycleStatus`):

1. **closed** when ``closed`` is set and not after ``as_of``;
2. otherwise **planned** before ``start``;
3. **doing** from ``start`` to ``end`` inclusive;
4. **studying** after ``end`` up to ``study_by`` inclusive (``study_by``
   defaults to ``end``: the study is due when the Do ends);
5. **overdue** (for a study) after that.

Examples
--------
>>> import datetime as dt
>>> c = PdsaCycle(number=1, strategy="mentoring", objective="More sessions held",
...               start=dt.date(2024, 1, 8), end=dt.date(2024, 4, 30),
...               study_by=dt.date(2024, 5, 15))
>>> [c.status(dt.date(2024, m, d)).value for m, d in ((1, 7), (4, 30), (5, 15), (5, 16))]
['planned', 'doing', 'studying', 'overdue']
"""

from __future__ import annotations

import csv
import datetime as _dt
import enum
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from attrs import field, frozen

from feedbackloop._util import (
    atomic_write_text,
    locate,
    neutralize_formula,
    nonblank,
    str_tuple,
    write_yaml,
)
from feedbackloop.errors import CycleLogError, PlanningFileError, Problem, SpcError
from feedbackloop.period import Period
from feedbackloop.planning._common import (
    SLUG,
    Located,
    column_letter,
    is_blank,
    normalize_header,
    opt_date,
    parse_date_cell,
    read_csv_document,
    read_xlsx_rows,
    read_yaml_document,
    split_names,
)
from feedbackloop.series import IndicatorSeries
from feedbackloop.spc import SpcChart, points, run_chart

if TYPE_CHECKING:
    import os

    from feedbackloop.model import FeedbackLoop

__all__ = [
    "CSV_HEADER",
    "A3Notes",
    "Act",
    "CycleLog",
    "CycleLogError",
    "CycleStatus",
    "PdsaCycle",
    "study_chart",
]


class Act(enum.StrEnum):
    """What the team decided after studying a cycle.

    .. versionadded:: 0.1.0
    """

    ADOPT = "adopt"
    ADAPT = "adapt"
    ABANDON = "abandon"

    @classmethod
    def parse(cls, value: object) -> Act | None:
        """Read ``adopt``, ``adapt`` or ``abandon`` (any case); blank gives ``None``.

        Raises
        ------
        ValueError
            Naming the accepted words.
        """
        if value is None or isinstance(value, cls):
            return value
        if isinstance(value, str):
            text = value.strip().lower()
            if not text:
                return None
            for member in cls:
                if text == member.value:
                    return member
        raise ValueError(f"must be one of adopt, adapt, abandon or blank (got {value!r})")

    def __str__(self) -> str:
        return str(self.value)


class CycleStatus(enum.StrEnum):
    """Where a cycle stands on a given date (see the module's rules).

    .. versionadded:: 0.1.0
    """

    PLANNED = "planned"
    DOING = "doing"
    STUDYING = "studying"
    OVERDUE = "overdue"
    CLOSED = "closed"

    def __str__(self) -> str:
        return str(self.value)


def _opt_act(value: object) -> Act | None:
    return Act.parse(value)


def _opt_number(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"must be a cycle number (got {value!r})")
    return value


def _opt_positive(_inst: object, attr: Any, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{attr.name} must be a whole number >= 1 (got {value!r})")


def _positive(inst: object, attr: Any, value: int) -> None:
    _opt_positive(inst, attr, value)


def _req_date(value: object) -> _dt.date:
    day = opt_date(value)
    if day is None:
        raise TypeError("must be a date (got None)")
    return day


@frozen(kw_only=True)
class PdsaCycle:
    """One Plan-Do-Study-Act cycle testing a change to a strategy.

    Parameters
    ----------
    number : int
        The cycle's number, unique in its log (>= 1).
    strategy : str
        Id of the loop strategy whose change it tests.
    objective : str
        What the cycle is for.
    start, end : datetime.date
        When the Do starts and ends (the plan's "when").
    series : str
        The name of the series of linked cycles it belongs to ("reminders").
    indicators : tuple of str
        Ids of the loop indicators it watches.
    question, prediction : str
        The question the cycle answers, and what the team predicts.
    who : tuple of str
        The people or partners carrying it out.
    what, where : str
        What is done, and where (the rest of the plan).
    data_plan : str
        What data are collected, by whom, how.
    study_by : datetime.date, optional
        When the study is due (default: ``end``).
    happened : str
        What happened during the Do (observations, problems).
    study : str
        The data compared with the prediction.
    act : Act, optional
        Adopt, adapt or abandon; ``None`` while the cycle is open.
    act_notes : str
        What the act means in practice.
    closed : datetime.date, optional
        The day the team studied the data and decided the act.
    previous, next : int, optional
        Numbers of the cycle this one follows and of the cycle that follows it.
    origin : str
        Where it was read from (``"log.csv, row 3"``), for messages; not compared.

    Raises
    ------
    ValueError
        If ``end`` is before ``start``, ``study_by`` before ``end`` or
        ``closed`` before ``start``.

    .. versionadded:: 0.1.0
    """

    number: int = field(validator=_positive)
    strategy: str = field(validator=nonblank)
    objective: str = field(validator=nonblank)
    start: _dt.date = field(converter=_req_date)
    end: _dt.date = field(converter=_req_date)
    series: str = ""
    indicators: tuple[str, ...] = field(default=(), converter=str_tuple)
    question: str = ""
    prediction: str = ""
    who: tuple[str, ...] = field(default=(), converter=str_tuple)
    what: str = ""
    where: str = ""
    data_plan: str = ""
    study_by: _dt.date | None = field(default=None, converter=opt_date)
    happened: str = ""
    study: str = ""
    act: Act | None = field(default=None, converter=_opt_act)
    act_notes: str = ""
    closed: _dt.date | None = field(default=None, converter=opt_date)
    previous: int | None = field(default=None, converter=_opt_number, validator=_opt_positive)
    next: int | None = field(default=None, converter=_opt_number, validator=_opt_positive)
    origin: str = field(default="", eq=False)

    def __attrs_post_init__(self) -> None:
        at = f"{self.origin}: " if self.origin else ""
        if self.end < self.start:
            raise ValueError(
                f"{at}{self.label} ends ({self.end}) before it starts ({self.start}); "
                "correct one of the two dates"
            )
        if self.study_by is not None and self.study_by < self.end:
            raise ValueError(
                f"{at}{self.label}: its study is due ({self.study_by}) before the Do ends "
                f"({self.end}); correct study_by or end"
            )
        if self.closed is not None and self.closed < self.start:
            raise ValueError(
                f"{at}{self.label} was closed ({self.closed}) before it started "
                f"({self.start}); correct closed or start"
            )

    @property
    def label(self) -> str:
        """``"cycle 2"``, or ``"cycle 2 (reminders)"`` with a series name."""
        return f"cycle {self.number}" + (f" ({self.series})" if self.series else "")

    @property
    def study_due(self) -> _dt.date:
        """The day the study is due: ``study_by``, else ``end``."""
        return self.study_by if self.study_by is not None else self.end

    def is_closed(self, as_of: _dt.date) -> bool:
        """Whether the cycle was closed (studied and decided) on or before ``as_of``."""
        return self.closed is not None and self.closed <= as_of

    def status(self, as_of: _dt.date) -> CycleStatus:
        """Return the cycle's status on ``as_of`` (rules in :mod:`feedbackloop.planning.cycles`)."""
        if self.is_closed(as_of):
            return CycleStatus.CLOSED
        if as_of < self.start:
            return CycleStatus.PLANNED
        if as_of <= self.end:
            return CycleStatus.DOING
        if as_of <= self.study_due:
            return CycleStatus.STUDYING
        return CycleStatus.OVERDUE

    def days_overdue(self, as_of: _dt.date) -> int:
        """Days past the study's due date on ``as_of`` (0 unless overdue)."""
        if self.status(as_of) is not CycleStatus.OVERDUE:
            return 0
        return (as_of - self.study_due).days

    def __str__(self) -> str:
        act = f", act: {self.act}" if self.act is not None else ""
        return f"{self.label} [{self.strategy}] {self.start} to {self.end}: {self.objective}{act}"


@frozen(kw_only=True)
class A3Notes:
    """A strategy's A3 text kept in the cycle log: background and root causes.

    .. versionadded:: 0.1.0
    """

    background: str = ""
    root_causes: str = ""


def _cycles(value: Iterable[PdsaCycle]) -> tuple[PdsaCycle, ...]:
    return tuple(value)


def _notes(value: Mapping[str, A3Notes] | None) -> dict[str, A3Notes]:
    return dict(value or {})


@frozen(kw_only=True)
class CycleLog:
    """A partnership's log of PDSA cycles, with the A3 notes of its strategies.

    Parameters
    ----------
    cycles : tuple of PdsaCycle
        In the order written; numbers are unique.
    name, description : str
        The log's title and free text.
    a3 : mapping of str to A3Notes
        Strategy id -> its A3 background and root causes.
    source : str
        The file read, for messages; not compared.

    Raises
    ------
    ValueError
        If two cycles have the same number.

    .. versionadded:: 0.1.0
    """

    cycles: tuple[PdsaCycle, ...] = field(default=(), converter=_cycles)
    name: str = ""
    description: str = ""
    a3: Mapping[str, A3Notes] = field(factory=dict, converter=_notes, hash=False)
    source: str = field(default="", eq=False)

    def __attrs_post_init__(self) -> None:
        seen: set[int] = set()
        for c in self.cycles:
            if c.number in seen:
                raise ValueError(f"two cycles are numbered {c.number}; number each cycle once")
            seen.add(c.number)

    def __iter__(self) -> Iterator[PdsaCycle]:
        return iter(self.cycles)

    def __len__(self) -> int:
        return len(self.cycles)

    def cycle(self, number: int) -> PdsaCycle:
        """Return the cycle numbered ``number``.

        Raises
        ------
        KeyError
            Naming the numbers the log has.
        """
        for c in self.cycles:
            if c.number == number:
                return c
        have = ", ".join(str(c.number) for c in self.cycles) or "none"
        raise KeyError(f"no cycle numbered {number} in the log (cycles: {have})")

    def for_strategy(self, strategy_id: str) -> tuple[PdsaCycle, ...]:
        """Return the cycles that test a change to ``strategy_id``, in log order."""
        return tuple(c for c in self.cycles if c.strategy == strategy_id)

    def open(self, as_of: _dt.date) -> tuple[PdsaCycle, ...]:
        """Return the cycles not closed on ``as_of`` (planned, doing, studying, overdue)."""
        return tuple(c for c in self.cycles if not c.is_closed(as_of))

    def overdue(self, as_of: _dt.date) -> tuple[PdsaCycle, ...]:
        """Return the cycles overdue for a study on ``as_of``, most days overdue first."""
        late = [c for c in self.cycles if c.status(as_of) is CycleStatus.OVERDUE]
        return tuple(sorted(late, key=lambda c: -c.days_overdue(as_of)))

    def series_of(self, cycle: PdsaCycle | int) -> tuple[PdsaCycle, ...]:
        """Return the chain of linked cycles ``cycle`` belongs to, first to last.

        Links are read both ways (``previous`` of a cycle, ``next`` of the one
        before it); links to numbers the log does not have end the chain, and a
        circle of links is followed once (:meth:`check` reports both).
        """
        number = cycle if isinstance(cycle, int) else cycle.number
        self.cycle(number)
        by_number = {c.number: c for c in self.cycles}
        before: dict[int, int] = {}
        after: dict[int, int] = {}
        for c in self.cycles:
            if c.next is not None and c.next in by_number and c.next != c.number:
                after.setdefault(c.number, c.next)
                before.setdefault(c.next, c.number)
            if c.previous is not None and c.previous in by_number and c.previous != c.number:
                before.setdefault(c.number, c.previous)
                after.setdefault(c.previous, c.number)
        first, seen = number, {number}
        while first in before and before[first] not in seen:
            first = before[first]
            seen.add(first)
        chain, seen = [first], {first}
        while chain[-1] in after and after[chain[-1]] not in seen:
            chain.append(after[chain[-1]])
            seen.add(chain[-1])
        return tuple(by_number[n] for n in chain)

    # ------------------------------------------------------------ checks

    def check(self, loop: FeedbackLoop | None = None) -> tuple[Problem, ...]:
        """Return every problem of the log; with ``loop``, also against the loop.

        Reported: ``next`` / ``previous`` naming a cycle the log lacks, the cycle
        itself, or disagreeing with the other cycle's link; links running in a
        circle; a cycle starting before the cycle it follows starts; a closed
        cycle without a study or an act; an act without a ``closed`` date. With
        the loop: strategies and indicators it does not have, cycles watching no
        indicator, A3 notes for strategies it does not have.

        Returns
        -------
        tuple of Problem
            ``where`` names the cycle's file and row or document path.
        """
        by_number = {c.number: c for c in self.cycles}
        problems: list[Problem] = []
        for c in self.cycles:
            problems += _link_problems(c, by_number)
            problems += _closing_problems(c)
            if loop is not None:
                problems += _loop_problems(c, loop)
        problems += _order_problems(self.cycles, by_number)
        problems += _circle_problems(self.cycles, by_number)
        if loop is not None:
            strategies = {s.id for s in loop.strategies}
            problems += [
                Problem(
                    f"a3.{sid}",
                    f"{sid!r} is not a strategy of loop {loop.name!r}; "
                    f"strategies: {', '.join(sorted(strategies)) or 'none'}",
                )
                for sid in self.a3
                if sid not in strategies
            ]
        return tuple(problems)

    def validate(self, loop: FeedbackLoop | None = None) -> CycleLog:
        """Return the log unchanged if :meth:`check` finds nothing.

        Raises
        ------
        CycleLogError
            Listing every problem :meth:`check` found.
        """
        problems = self.check(loop)
        if problems:
            raise CycleLogError(self.source or "<cycle log>", problems)
        return self

    # ------------------------------------------------------------ frames

    def to_frame(self) -> pd.DataFrame:
        """Return one row per cycle, the columns of :data:`CSV_HEADER` (lists joined)."""
        rows = [_cycle_row(c) for c in self.cycles]
        frame = pd.DataFrame(rows, columns=list(_FIELDS))
        for key in ("number", "previous", "next"):
            frame[key] = frame[key].astype("Int64")
        return frame

    def __repr__(self) -> str:
        name = f" {self.name!r}" if self.name else ""
        strategies = len({c.strategy for c in self.cycles})
        return f"<CycleLog{name}: {len(self.cycles)} cycles, {strategies} strategy(ies)>"

    # ------------------------------------------------------------- YAML

    def to_dict(self) -> dict[str, Any]:
        """Return the log as plain data in the YAML layout."""
        out: dict[str, Any] = {}
        if self.name:
            out["name"] = self.name
        if self.description:
            out["description"] = self.description
        if self.a3:
            out["a3"] = {
                sid: {
                    k: v
                    for k, v in (("background", n.background), ("root_causes", n.root_causes))
                    if v
                }
                for sid, n in self.a3.items()
            }
        out["cycles"] = [_cycle_to_dict(c) for c in self.cycles]
        return out

    @classmethod
    def from_dict(
        cls, data: object, *, source: str = "<dict>", lines: Mapping[Any, int] | None = None
    ) -> CycleLog:
        """Build a log from plain data in the YAML layout, reporting every problem.

        Raises
        ------
        CycleLogError
            Naming the document path (and line) of each problem.
        """
        return _log_from_dict(data, source, lines or {})

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> CycleLog:
        """Read a log from a YAML file (see "Improving programs" in the docs).

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        CycleLogError
            Naming the path in the document and the line of each problem.
        """
        p = Path(path)
        try:
            data, lines = read_yaml_document(p, CycleLogError, "cycle log")
        except PlanningFileError:
            raise
        except ValueError as err:  # PyYAML building a date such as 2024-02-30
            raise CycleLogError(
                str(p), [Problem("", f"not readable as YAML: {err}; check the dates written")]
            ) from err
        return _log_from_dict(data, str(p), lines)

    def to_yaml(self, path: str | os.PathLike[str] | None = None) -> str:
        """Return the log as YAML, writing it atomically to ``path`` when given."""
        return write_yaml(self.to_dict(), path)

    # ------------------------------------------------------ spreadsheets

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[object]], *, source: str = "<rows>") -> CycleLog:
        """Build a log from spreadsheet rows (the first of ``rows`` is sheet row 1).

        The header row is the first of the first 30 rows naming the ``number``,
        ``strategy`` and ``objective`` columns (see :data:`CSV_HEADER`); rows
        above it are title rows (the last one becomes the log's name, the others
        its description). A spreadsheet holds no A3 notes.

        Raises
        ------
        CycleLogError
            Naming the row and column of each problem.
        """
        return _log_from_rows(rows, source)

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str]) -> CycleLog:
        """Read a log from a CSV file (UTF-8) with the columns of :data:`CSV_HEADER`.

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        CycleLogError
            Naming the file, row and column of each problem.
        """
        p = Path(path)
        return _log_from_rows(read_csv_document(p, CycleLogError, "cycle log"), str(p))

    @classmethod
    def from_xlsx(cls, path: str | os.PathLike[str], *, sheet: str | int | None = None) -> CycleLog:
        """Read a log from an XLSX workbook (needs the ``excel`` extra, openpyxl).

        ``sheet`` is a name or a 0-based index (default: the first sheet).

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        CycleLogError
            Naming the file, sheet, row and column of each problem.
        MissingDependencyError
            If openpyxl is not installed.
        """
        p = Path(path)
        if not p.exists():
            raise FileNotFoundError(f"cycle log not found: {p}")
        try:
            title, rows = read_xlsx_rows(p, sheet, "reading a cycle log from an XLSX file")
        except PlanningFileError as err:
            raise CycleLogError(err.source, err.problems) from err
        return _log_from_rows(rows, f"{p} (sheet {title!r})")

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, sheet: str | int | None = None) -> CycleLog:
        """Read a log from YAML, CSV or XLSX, chosen by the file's suffix.

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        CycleLogError
            For an unknown suffix, or any problem in the file.
        """
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix in (".yaml", ".yml"):
            return cls.from_yaml(p)
        if suffix == ".csv":
            return cls.from_csv(p)
        if suffix in (".xlsx", ".xlsm"):
            return cls.from_xlsx(p, sheet=sheet)
        raise CycleLogError(
            str(p), [Problem("", f"unknown file type {suffix!r}; use .yaml, .csv or .xlsx")]
        )

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """Return the log as CSV (:data:`CSV_HEADER`), writing it atomically to ``path``.

        Title rows (the description's lines, then the name) come first; dates
        are ISO 8601, lists are joined with ``"; "``. Text a spreadsheet would
        run as a formula gets a leading apostrophe, which :meth:`from_csv`
        removes again. The A3 notes are not written (they live in YAML).
        """
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        for line in [*self.description.splitlines(), self.name]:
            if line.strip():
                writer.writerow([neutralize_formula(line)])
        writer.writerow(CSV_HEADER)
        for c in self.cycles:
            row = _cycle_row(c)
            writer.writerow([neutralize_formula(_csv_cell(row[k])) for k in _FIELDS])
        text = buf.getvalue()
        if path is not None:
            atomic_write_text(path, text)
        return text


# ------------------------------------------------------------------- checks


def _at(c: PdsaCycle) -> str:
    return c.origin or c.label


def _link_problems(c: PdsaCycle, by_number: Mapping[int, PdsaCycle]) -> list[Problem]:
    out: list[Problem] = []
    for key, other in (("next", c.next), ("previous", c.previous)):
        if other is None:
            continue
        if other == c.number:
            out.append(Problem(_at(c), f"{key}: {c.label} is linked to itself; name another cycle"))
        elif other not in by_number:
            have = ", ".join(str(n) for n in by_number)
            out.append(
                Problem(_at(c), f"{key}: there is no cycle {other} in the log (cycles: {have})")
            )
    if c.next is not None and c.next in by_number and c.next != c.number:
        after = by_number[c.next]
        if after.previous is not None and after.previous != c.number:
            out.append(
                Problem(
                    _at(c),
                    f"next: {c.label} names cycle {c.next} as next, but cycle {c.next} follows "
                    f"cycle {after.previous}; make the two links agree",
                )
            )
    if c.previous is not None and c.previous in by_number and c.previous != c.number:
        before = by_number[c.previous]
        if before.next is not None and before.next != c.number:
            out.append(
                Problem(
                    _at(c),
                    f"previous: {c.label} follows cycle {c.previous}, but cycle {c.previous} "
                    f"names cycle {before.next} as next; make the two links agree",
                )
            )
    return out


def _closing_problems(c: PdsaCycle) -> list[Problem]:
    out: list[Problem] = []
    if c.closed is not None and not c.study.strip():
        out.append(
            Problem(
                _at(c),
                f"{c.label} was closed on {c.closed} without a study; write what the data "
                "showed against the prediction",
            )
        )
    if c.closed is not None and c.act is None:
        out.append(
            Problem(
                _at(c),
                f"{c.label} was closed on {c.closed} without an act; write adopt, adapt or abandon",
            )
        )
    if c.act is not None and c.closed is None:
        out.append(
            Problem(
                _at(c),
                f"{c.label} has the act {c.act!s} but no closed date; give the day the team "
                "studied the data and decided",
            )
        )
    return out


def _loop_problems(c: PdsaCycle, loop: FeedbackLoop) -> list[Problem]:
    out: list[Problem] = []
    strategies = [s.id for s in loop.strategies]
    if c.strategy not in strategies:
        out.append(
            Problem(
                _at(c),
                f"strategy: {c.strategy!r} is not a strategy of loop {loop.name!r}; "
                f"strategies: {', '.join(strategies) or 'none'}",
            )
        )
    known = {i.id for i in loop.indicators}
    for ind in c.indicators:
        if ind not in known:
            out.append(
                Problem(
                    _at(c),
                    f"indicators: {ind!r} is not an indicator of loop {loop.name!r}; add it to "
                    "the loop's indicators or correct the id",
                )
            )
    if not c.indicators:
        out.append(
            Problem(
                _at(c),
                f"{c.label} watches no indicator; name the indicators its data plan reads",
            )
        )
    return out


def _order_problems(
    cycles: Sequence[PdsaCycle], by_number: Mapping[int, PdsaCycle]
) -> list[Problem]:
    """Report a cycle that starts before the cycle it follows (each link judged once)."""
    pairs: dict[tuple[int, int], None] = {}
    for c in cycles:
        if c.previous is not None and c.previous in by_number and c.previous != c.number:
            pairs[(c.previous, c.number)] = None
        if c.next is not None and c.next in by_number and c.next != c.number:
            pairs[(c.number, c.next)] = None
    out = []
    for a, b in pairs:
        first, then = by_number[a], by_number[b]
        if then.start < first.start:
            out.append(
                Problem(
                    _at(then),
                    f"dates out of order: {then.label} starts ({then.start}) before "
                    f"{first.label}, which it follows, starts ({first.start})",
                )
            )
    return out


def _circle_problems(
    cycles: Sequence[PdsaCycle], by_number: Mapping[int, PdsaCycle]
) -> list[Problem]:
    out: list[Problem] = []
    reported: set[int] = set()
    for c in cycles:
        path, n = [c.number], c.next
        while n is not None and n in by_number and n not in path and n != c.number:
            path.append(n)
            n = by_number[n].next
        if n == c.number and len(path) > 1 and not reported & set(path):
            reported.update(path)
            ring = " -> ".join(str(x) for x in [*path, c.number])
            out.append(
                Problem(_at(c), f"the next links run in a circle ({ring}); break the circle")
            )
    return out


# ------------------------------------------------------------- study charts


def study_chart(
    cycle: PdsaCycle,
    series: IndicatorSeries | pd.Series,
    *,
    method: Literal["phases", "baseline"] = "phases",
    baseline_points: int | None = None,
    through: _dt.date | None = None,
    rules: str | Sequence[str] = "ihi",
) -> SpcChart:
    """Return the run chart of a watched indicator over a cycle's dates.

    The chart holds the points before the cycle (its baseline: all of them,
    or the last ``baseline_points``) and the points of periods that start on
    or before ``through`` (default: the cycle's ``end``). The cycle's first
    point is the first period that ends on or after its ``start``.

    Parameters
    ----------
    cycle : PdsaCycle
    series : IndicatorSeries or pandas.Series
        The indicator's values: one place and category, indexed by period label
        (a pandas Series) or an ``IndicatorSeries`` holding one cell.
    method : {"phases", "baseline"}
        ``"phases"``: a new phase (median) starts at the cycle's first point.
        ``"baseline"``: the median of the points before the cycle is frozen and
        extended over the cycle, so that a shift the change caused is signalled.
    baseline_points : int, optional
        How many points before the cycle to show (default: all).
    through : datetime.date, optional
        The last day whose period is shown (default: the cycle's ``end``).
    rules : str or sequence of str
        Passed to :func:`feedbackloop.spc.run_chart`.

    Returns
    -------
    SpcChart

    Raises
    ------
    SpcError
        If the series holds several places or categories, or no point falls in
        the cycle's dates.
    """
    values = points(series) if isinstance(series, IndicatorSeries) else series.copy()
    periods = [Period.parse(p) for p in values.index]
    last = through or cycle.end
    keep = [p.start <= last for p in periods]
    in_cycle = [p.end >= cycle.start and k for p, k in zip(periods, keep, strict=True)]
    if not any(in_cycle):
        raise SpcError(
            f"{cycle.label}: no point of the series falls in its dates ({cycle.start} to {last})"
        )
    first = in_cycle.index(True)
    lo = 0 if baseline_points is None else max(0, first - baseline_points)
    window = values.iloc[lo : max(i for i, k in enumerate(keep) if k) + 1]
    label = str(values.index[first])
    title = f"{cycle.label}: {cycle.start} to {cycle.end}"
    if first == lo:
        return run_chart(window, rules=rules, title=title)
    if method == "phases":
        return run_chart(window, rules=rules, phases=[label], title=title)
    if method == "baseline":
        return run_chart(window, rules=rules, freeze=str(values.index[first - 1]), title=title)
    raise ValueError(f"method must be 'phases' or 'baseline' (got {method!r})")


# --------------------------------------------------------------- reading

#: Columns of a cycle log spreadsheet, in order (:meth:`CycleLog.to_csv` writes them).
CSV_HEADER = (
    "Number",
    "Series",
    "Strategy",
    "Indicators",
    "Objective",
    "Question",
    "Prediction",
    "Who",
    "What",
    "Where",
    "Start",
    "End",
    "Data plan",
    "Study by",
    "What happened",
    "Study",
    "Act",
    "Act notes",
    "Closed",
    "Previous",
    "Next",
)
_FIELDS = (
    "number",
    "series",
    "strategy",
    "indicators",
    "objective",
    "question",
    "prediction",
    "who",
    "what",
    "where",
    "start",
    "end",
    "data_plan",
    "study_by",
    "happened",
    "study",
    "act",
    "act_notes",
    "closed",
    "previous",
    "next",
)
_ALIASES = {normalize_header(h): f for h, f in zip(CSV_HEADER, _FIELDS, strict=True)}
_ALIASES.update(
    {
        "cycle": "number",
        "cycle number": "number",
        "no": "number",
        "watched indicators": "indicators",
        "indicator": "indicators",
        "happened": "happened",
        "closed on": "closed",
        "decided": "closed",
        "follows": "previous",
    }
)
_TEXT_FIELDS = (
    "series",
    "strategy",
    "objective",
    "question",
    "prediction",
    "what",
    "where",
    "data_plan",
    "happened",
    "study",
    "act_notes",
)
_PLAN_KEYS = ("who", "what", "where", "start", "end")
_CYCLE_KEYS = (*(f for f in _FIELDS if f not in _PLAN_KEYS), "plan")
_REQUIRED = {
    "number": "the cycle's number",
    "strategy": "the id of the strategy it tests a change to",
    "objective": "what the cycle is for",
    "start": "the day the Do starts",
    "end": "the day the Do ends",
}


def _text(value: object) -> str | None:
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | int | float):
        return str(value).strip()
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return None


def _number(value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"must be a cycle number, a whole number >= 1 (got {value!r})")
    return value


def _cycle_from_cells(
    cells: Mapping[str, object], loc: Callable[[str], str], origin: str
) -> tuple[PdsaCycle | None, list[Problem]]:
    """Build one cycle from its raw values (keys of ``_FIELDS``); collect every problem."""
    problems: list[Problem] = []
    kw: dict[str, Any] = {}
    for key in _TEXT_FIELDS:
        text = _text(cells.get(key))
        if text is None:
            problems.append(Problem(loc(key), f"must be text (got {cells.get(key)!r})"))
        else:
            kw[key] = text
    for key in ("number", "previous", "next"):
        try:
            kw[key] = _number(cells.get(key))
        except ValueError as err:
            problems.append(Problem(loc(key), str(err)))
    for key in ("indicators", "who"):
        kw[key] = split_names(cells.get(key))
    for ind in kw["indicators"]:
        if not SLUG.match(ind):
            problems.append(
                Problem(loc("indicators"), f"{ind!r} is not an indicator id (a-z, 0-9 and _)")
            )
    if kw.get("strategy") and not SLUG.match(kw["strategy"]):
        problems.append(
            Problem(loc("strategy"), f"{kw['strategy']!r} is not a strategy id (a-z, 0-9 and _)")
        )
    for key in ("start", "end", "study_by", "closed"):
        try:
            kw[key] = parse_date_cell(cells.get(key))
        except (ValueError, TypeError) as err:
            problems.append(Problem(loc(key), str(err)))
    try:
        kw["act"] = Act.parse(cells.get("act"))
    except ValueError as err:
        problems.append(Problem(loc("act"), str(err)))
    for key, what in _REQUIRED.items():
        if key in kw and kw[key] in (None, ""):
            problems.append(Problem(loc(key), f"is required: {what}"))
    if problems:
        return None, problems
    try:
        return PdsaCycle(origin=origin, **kw), []
    except ValueError as err:
        return None, [Problem(loc(""), str(err).removeprefix(f"{origin}: "))]


def _duplicates(found: list[tuple[PdsaCycle, str]]) -> list[Problem]:
    first: dict[int, str] = {}
    out = []
    for c, where in found:
        if c.number in first:
            out.append(
                Problem(
                    where,
                    f"cycle number {c.number} is used again (first at {first[c.number]}); "
                    "number each cycle once",
                )
            )
        else:
            first[c.number] = where
    return out


def _notes_from_dict(
    raw: object, fail: Callable[[tuple[str | int, ...], str], None]
) -> dict[str, A3Notes]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        fail(("a3",), "must map strategy ids to {background: ..., root_causes: ...}")
        return {}
    out: dict[str, A3Notes] = {}
    for sid, entry in raw.items():
        path: tuple[str | int, ...] = ("a3", str(sid))
        if not isinstance(sid, str) or not SLUG.match(sid):
            fail(path, f"{sid!r} is not a strategy id (a-z, 0-9 and _)")
            continue
        if not isinstance(entry, Mapping):
            fail(path, "must be a mapping with background and/or root_causes")
            continue
        texts: dict[str, str] = {}
        for key, value in entry.items():
            text = _text(value)
            if key not in ("background", "root_causes"):
                fail((*path, str(key)), "unknown key; expected background or root_causes")
            elif text is None:
                fail((*path, key), f"must be text (got {value!r})")
            else:
                texts[key] = text
        out[sid] = A3Notes(**texts)
    return out


def _cycle_cells(
    item: Mapping[Any, Any], path: tuple[str | int, ...], fail: Callable[..., None]
) -> tuple[dict[str, object], dict[str, tuple[str | int, ...]]]:
    """Flatten one YAML cycle (its ``plan`` mapping too); return values and their paths."""
    cells: dict[str, object] = {}
    paths: dict[str, tuple[str | int, ...]] = {}
    for key, value in item.items():
        if key not in _CYCLE_KEYS:
            fail((*path, str(key)), f"unknown key; expected one of {', '.join(_CYCLE_KEYS)}")
        elif key != "plan":
            cells[key], paths[key] = value, (*path, key)
    plan = item.get("plan")
    if plan is not None and not isinstance(plan, Mapping):
        fail((*path, "plan"), "must be a mapping with who, what, where, start and end")
    elif plan is not None:
        for key, value in plan.items():
            if key not in _PLAN_KEYS:
                fail((*path, "plan", str(key)), f"unknown key; expected {', '.join(_PLAN_KEYS)}")
            else:
                cells[key], paths[key] = value, (*path, "plan", key)
    for key in _PLAN_KEYS:
        paths.setdefault(key, (*path, "plan", key))
    return cells, paths


def _log_from_dict(data: object, source: str, lines: Mapping[Any, int]) -> CycleLog:
    problems: list[Problem] = []

    def fail(path: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(locate(path, lines), message))

    if not isinstance(data, Mapping):
        raise CycleLogError(source, [Problem("(document)", "must be a mapping with 'cycles'")])
    for key in data:
        if key not in ("name", "description", "a3", "cycles"):
            fail((str(key),), "unknown key; expected one of name, description, a3, cycles")
    notes = _notes_from_dict(data.get("a3"), fail)
    raw = data.get("cycles")
    if not isinstance(raw, list):
        fail(("cycles",), "is required: a list of cycles")
        raw = []
    found: list[tuple[PdsaCycle, str]] = []
    for i, item in enumerate(raw):
        path: tuple[str | int, ...] = ("cycles", i)
        if not isinstance(item, Mapping):
            fail(path, "must be a mapping with number, strategy, objective and plan")
            continue
        cells, paths = _cycle_cells(item, path, fail)

        def loc(
            key: str,
            paths: Mapping[str, tuple[str | int, ...]] = paths,
            path: tuple[str | int, ...] = path,
        ) -> str:
            return locate(paths.get(key, (*path, key)) if key else path, lines)

        name = Path(source).name if source != "<dict>" else ""
        origin = f"{name}, cycles[{i}]" if name else f"cycles[{i}]"
        cycle, found_problems = _cycle_from_cells(cells, loc, origin)
        problems += found_problems
        if cycle is not None:
            found.append((cycle, locate((*path, "number"), lines)))
    problems += _duplicates(found)
    if problems:
        raise CycleLogError(source, problems)
    return CycleLog(
        cycles=[c for c, _ in found],
        name=_text(data.get("name")) or "",
        description=_text(data.get("description")) or "",
        a3=notes,
        source=source,
    )


def _find_header(rows: Sequence[Sequence[object]]) -> tuple[int, dict[int, str]] | None:
    for r, row in enumerate(rows[:30]):
        found = {
            c: _ALIASES[h]
            for c, cell in enumerate(row)
            if (h := normalize_header(cell)) in _ALIASES
        }
        if {"number", "strategy", "objective"} <= set(found.values()):
            return r, found
    return None


def _header_problems(
    header: Sequence[object], hr: int, columns: Mapping[int, str]
) -> list[Problem]:
    problems = []
    seen: dict[str, int] = {}
    for c, cell in enumerate(header):
        key = columns.get(c)
        if key is None and not is_blank(cell):
            problems.append(
                Problem(
                    str(Located(hr + 1, str(cell).strip(), column_letter(c))),
                    "unknown column; rename it to one of " + ", ".join(CSV_HEADER),
                )
            )
        elif key is not None and key in seen:
            problems.append(
                Problem(
                    f"row {hr + 1}",
                    f"columns {column_letter(seen[key])} and {column_letter(c)} both hold "
                    f"{key!r}; keep one",
                )
            )
        elif key is not None:
            seen[key] = c
    return problems


def _log_from_rows(rows: Sequence[Sequence[object]], source: str) -> CycleLog:
    found_header = _find_header(rows)
    if found_header is None:
        raise CycleLogError(
            source,
            [
                Problem(
                    "header",
                    "no header row naming the Number, Strategy and Objective columns in the "
                    f"first 30 rows; expected the columns {', '.join(CSV_HEADER)}",
                )
            ],
        )
    hr, columns = found_header
    header = rows[hr]
    problems = _header_problems(header, hr, columns)
    titles = [
        " ".join(_text(c) or "" for c in row if not is_blank(c))
        for row in rows[:hr]
        if any(not is_blank(c) for c in row)
    ]
    file = Path(source.split(" (sheet ")[0]).name if source != "<rows>" else ""
    found: list[tuple[PdsaCycle, str]] = []
    for r in range(hr + 1, len(rows)):
        row = rows[r]
        filled = [c for c, v in enumerate(row) if not is_blank(v)]
        if not filled:
            continue
        for c in filled:
            if c >= len(header) or is_blank(header[c]):
                problems.append(
                    Problem(
                        f"row {r + 1}, column {column_letter(c)}",
                        f"a value ({_text(row[c])!r}) in a column without a header; add a "
                        "header or move the value",
                    )
                )
        cells = {key: row[c] for c, key in columns.items() if c < len(row)}
        col_of = {key: c for c, key in columns.items()}

        def loc(key: str, r: int = r, col_of: Mapping[str, int] = col_of) -> str:
            if key not in col_of:
                return f"row {r + 1}" + (f" (no {key!r} column)" if key else "")
            c = col_of[key]
            return str(Located(r + 1, str(header[c]).strip(), column_letter(c)))

        origin = f"{file}, row {r + 1}" if file else f"row {r + 1}"
        cycle, found_problems = _cycle_from_cells(cells, loc, origin)
        problems += found_problems
        if cycle is not None:
            found.append((cycle, f"row {r + 1}"))
    problems += _duplicates(found)
    if problems:
        raise CycleLogError(source, problems)
    return CycleLog(
        cycles=[c for c, _ in found],
        name=titles[-1] if titles else "",
        description="\n".join(titles[:-1]),
        source=source,
    )


# --------------------------------------------------------------- writing


def _cycle_row(c: PdsaCycle) -> dict[str, Any]:
    return {
        "number": c.number,
        "series": c.series,
        "strategy": c.strategy,
        "indicators": "; ".join(c.indicators),
        "objective": c.objective,
        "question": c.question,
        "prediction": c.prediction,
        "who": "; ".join(c.who),
        "what": c.what,
        "where": c.where,
        "start": c.start,
        "end": c.end,
        "data_plan": c.data_plan,
        "study_by": c.study_by,
        "happened": c.happened,
        "study": c.study,
        "act": c.act.value if c.act is not None else "",
        "act_notes": c.act_notes,
        "closed": c.closed,
        "previous": c.previous,
        "next": c.next,
    }


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


def _cycle_to_dict(c: PdsaCycle) -> dict[str, Any]:
    out: dict[str, Any] = {"number": c.number}
    for key in ("series", "strategy"):
        if getattr(c, key):
            out[key] = getattr(c, key)
    if c.indicators:
        out["indicators"] = list(c.indicators)
    for key in ("objective", "question", "prediction"):
        if getattr(c, key):
            out[key] = getattr(c, key)
    plan: dict[str, Any] = {}
    if c.who:
        plan["who"] = list(c.who)
    for key in ("what", "where"):
        if getattr(c, key):
            plan[key] = getattr(c, key)
    plan["start"], plan["end"] = c.start.isoformat(), c.end.isoformat()
    out["plan"] = plan
    for key in ("data_plan", "study_by", "happened", "study", "act", "act_notes", "closed"):
        value = getattr(c, key)
        if isinstance(value, _dt.date):
            out[key] = value.isoformat()
        elif isinstance(value, Act):
            out[key] = value.value
        elif value:
            out[key] = value
    for key in ("previous", "next"):
        if getattr(c, key) is not None:
            out[key] = getattr(c, key)
    return out
