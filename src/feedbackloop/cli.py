"""The ``feedbackloop`` command line.

Each subcommand is a thin layer over the library; errors print as a clear
message and a non-zero exit status, with the traceback only under ``--debug``.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd
from attrs import frozen

import feedbackloop
from feedbackloop import adapters
from feedbackloop.adapters import CollectResult, collect
from feedbackloop.errors import BrowserNotFoundError, FeedbackloopError, LoopWarning
from feedbackloop.examples import example_path
from feedbackloop.io import load_loop
from feedbackloop.model import FeedbackLoop
from feedbackloop.planning import Attachments, CycleLog, DataInventory
from feedbackloop.report import for_audience, report
from feedbackloop.series import IndicatorSeries
from feedbackloop.site import build as build_site
from feedbackloop.site import find_chromium
from feedbackloop.site import posters as write_posters
from feedbackloop.workbook import write_workbook

__all__ = ["main"]

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def _loop_path(arg: str | None) -> Path:
    if arg is None:
        return example_path()
    return Path(arg)


def _allowed(args: argparse.Namespace) -> tuple[str, ...]:
    """Return the ``--allow-path`` folders given (none for commands without the option)."""
    return tuple(getattr(args, "allow_path", None) or ())


def _cmd_validate(args: argparse.Namespace) -> int:
    path = _loop_path(args.path)
    loop = load_loop(path, validate=False)
    result = loop.check()
    for w in result.warnings:
        print(f"warning: {w}")
    if result.errors:
        n = len(result.errors)
        print(f"{path}: {n} problem{'s' if n != 1 else ''}:", file=sys.stderr)
        for e in result.errors:
            print(f"  - {e}", file=sys.stderr)
        return EXIT_PROBLEMS
    att = loop.attachments(path.parent, allow_paths=_allowed(args))
    attached = []
    if att.inventory is not None:
        attached.append(f"inventory of {len(att.inventory)} needs")
    if att.agreements:
        attached.append(f"{len(att.agreements)} agreement(s)")
    if att.action_plan is not None:
        attached.append(f"action plan of {len(att.action_plan)} actions")
    if att.cycles is not None:
        attached.append(f"cycle log of {len(att.cycles)} cycles")
    print(
        f"{path}: OK — {loop.name!r}, {len(loop.nodes)} nodes, {len(loop.indicators)} indicators"
        + (f", {len(result.warnings)} warnings" if result.warnings else "")
        + (f"; {', '.join(attached)}" if attached else "")
    )
    return EXIT_OK


def _cmd_show(args: argparse.Namespace) -> int:
    path = _loop_path(args.path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LoopWarning)
        loop = load_loop(path, validate=not args.no_validate)
    if args.format == "mermaid":
        print(loop.to_mermaid())
    elif args.format == "yaml":
        print(loop.to_yaml(), end="")
    else:
        print(loop.tree())
    return EXIT_OK


def _cmd_adapters(args: argparse.Namespace) -> int:
    listing = adapters.available()
    width = max((len(n) for n in listing), default=4)
    for name, info in listing.items():
        print(f"{name:<{width}}  {info.distribution} {info.version}  ({info.target})")
    return EXIT_OK


def _collect(
    path: Path,
    progress: bool | None,
    allow_paths: Sequence[str] = (),
    engine: str | None = None,
) -> tuple[FeedbackLoop, CollectResult]:
    loop = load_loop(path)
    result = collect(
        loop, base_dir=path.parent, progress=progress, allow_paths=allow_paths, engine=engine
    )
    return loop, result


def _cmd_collect(args: argparse.Namespace) -> int:
    path = _loop_path(args.path)
    allowed = _allowed(args)
    loop, result = _collect(path, None, allowed, args.engine)
    data: Mapping[str, IndicatorSeries] = result
    if args.audience is not None:
        agreements = loop.attachments(path.parent, allow_paths=allowed).agreements
        data = for_audience(result, args.audience, agreements)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    for ind_id, series in data.items():
        series.to_parquet(out / f"{ind_id}.parquet")
    print(result.report())
    print(f"wrote {len(result)} series to {out}")
    return EXIT_OK if result.ok else EXIT_PROBLEMS


@frozen
class _Read:
    """A loop read once for every output written from it: its data and attached files."""

    path: Path
    loop: FeedbackLoop
    result: CollectResult
    att: Attachments

    @property
    def status(self) -> int:
        return EXIT_OK if self.result.ok else EXIT_PROBLEMS


def _read(loop_path: Path, allow_paths: Sequence[str] = (), engine: str | None = None) -> _Read:
    """Collect the loop's data and read its attachments, saying once what failed."""
    loop, result = _collect(loop_path, None, allow_paths, engine)
    if not result.ok:
        print(result.report(), file=sys.stderr)
    att = loop.attachments(loop_path.parent, allow_paths=allow_paths)
    return _Read(loop_path, loop, result, att)


def _write_report(
    r: _Read,
    output: Path,
    *,
    charts: bool,
    illustrative: bool,
    as_of: datetime.date | None = None,
    audience: str | None = None,
) -> int:
    written = report(
        r.loop,
        r.result,
        output,
        charts=charts,
        illustrative=illustrative,
        inventory=r.att.inventory,
        agreements=r.att.agreements,
        action_plan=r.att.action_plan,
        as_of=as_of,
        audience=audience,
        cycles=r.att.cycles,
        base_dir=r.path.parent,
    )
    print(f"report written to {written.resolve()}")
    return r.status


def _cmd_report(args: argparse.Namespace) -> int:
    return _write_report(
        _read(_loop_path(args.path), _allowed(args), args.engine),
        Path(args.output),
        charts=not args.no_charts,
        illustrative=False,
        as_of=args.as_of,
        audience=args.audience,
    )


#: The date the bundled example's action plan is judged on in ``feedbackloop demo``
#: (a steering-committee meeting in its illustrative 2024/25 plan year).
DEMO_AS_OF = datetime.date(2025, 3, 3)


def _cmd_demo(args: argparse.Namespace) -> int:
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    r = _read(example_path())
    as_of = args.as_of or DEMO_AS_OF
    _write_report(
        r, out / "report.html", charts=True, illustrative=True, as_of=as_of, audience=args.audience
    )
    _write_site(r, out / "site", illustrative=True, as_of=as_of, audience=args.audience)
    _write_workbook(r, out / "workbook.xlsx", audience=args.audience, as_of=as_of)
    formats: tuple[str, ...] = ("pdf", "png")
    try:
        find_chromium()
    except BrowserNotFoundError as err:
        print(f"posters: HTML only ({err})", file=sys.stderr)
        formats = ()
    _write_posters(r, out / "posters", audience=args.audience, formats=formats, illustrative=True)
    return r.status


def _write_site(
    r: _Read,
    output: Path,
    *,
    illustrative: bool,
    as_of: datetime.date | None,
    audience: str,
    partner: str | None = None,
    charts: bool = True,
) -> int:
    index = build_site(
        r.loop,
        r.result,
        output,
        audience=audience,
        partner=partner,
        charts=charts,
        illustrative=illustrative,
        inventory=r.att.inventory,
        agreements=r.att.agreements,
        action_plan=r.att.action_plan,
        cycles=r.att.cycles,
        as_of=as_of,
        base_dir=r.path.parent,
    )
    print(f"site written to {index.parent.resolve()} (open {index.name})")
    return r.status


def _cmd_site(args: argparse.Namespace) -> int:
    return _write_site(
        _read(_loop_path(args.path), _allowed(args)),
        Path(args.output),
        illustrative=False,
        as_of=args.as_of,
        audience=args.audience,
        partner=args.partner,
        charts=not args.no_charts,
    )


def _write_workbook(
    r: _Read, output: Path, *, audience: str | None, as_of: datetime.date | None
) -> int:
    written = write_workbook(
        r.loop,
        r.result,
        output,
        audience=audience,
        as_of=as_of,
        agreements=r.att.agreements,
        base_dir=r.path.parent,
    )
    print(f"workbook written to {written.resolve()}")
    return r.status


def _cmd_workbook(args: argparse.Namespace) -> int:
    return _write_workbook(
        _read(_loop_path(args.path), _allowed(args)),
        Path(args.output),
        audience=args.audience,
        as_of=args.as_of,
    )


def _write_posters(
    r: _Read,
    output: Path,
    *,
    audience: str | None,
    formats: Sequence[str] = ("pdf", "png"),
    paper: str = "A3",
    illustrative: bool = False,
) -> int:
    written = write_posters(
        r.loop,
        r.result,
        output,
        audience=audience,
        formats=formats,
        agreements=r.att.agreements,
        paper=paper,
        illustrative=illustrative,
        base_dir=r.path.parent,
    )
    kinds = ", ".join(sorted({f.suffix[1:] for f in written}))
    print(f"{len(r.loop.indicators)} posters ({kinds}) written to {output.resolve()}")
    return r.status


def _cmd_posters(args: argparse.Namespace) -> int:
    return _write_posters(
        _read(_loop_path(args.path), _allowed(args)),
        Path(args.output),
        audience=args.audience,
        formats=[f for f in args.format if f != "html"],
        paper=args.paper,
    )


def _as_of(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date: {text!r}; write it as YYYY-MM-DD, e.g. 2025-03-03"
        ) from None


def _cmd_gaps(args: argparse.Namespace) -> int:
    r = _read(_loop_path(args.path), _allowed(args))
    inventory = r.att.inventory
    if inventory is None:
        print(f"{r.path}: no inventory attached; starting from the loop's indicators")
        inventory = DataInventory.from_loop(r.loop)
    gaps = inventory.gaps(r.loop, r.result, as_of=args.as_of)
    if not len(gaps):
        print("no data gaps")
        return EXIT_OK
    with pd.option_context("display.max_colwidth", 80, "display.width", 200):
        print(gaps[["indicator", "gap", "detail", "importance", "owner"]].to_string(index=False))
    return EXIT_PROBLEMS


def _load_quietly(path: Path) -> FeedbackLoop:
    """Load a loop without its LoopWarnings (``validate`` is the command that shows them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LoopWarning)
        return load_loop(path)


def _cmd_followups(args: argparse.Namespace) -> int:
    path = _loop_path(args.path)
    loop = _load_quietly(path)
    plan = loop.attachments(path.parent, allow_paths=_allowed(args)).action_plan
    if plan is None:
        print(f"error: {path} attaches no action plan (add action_plan: to it)", file=sys.stderr)
        return EXIT_PROBLEMS
    as_of = args.as_of or datetime.date.today()
    print(plan.followups(as_of, due_soon_days=args.days))
    if args.status:
        print()
        print(plan.status(as_of, loop=loop, due_soon_days=args.days))
    return EXIT_OK


def _cycle_lines(log: CycleLog, loop: FeedbackLoop, as_of: datetime.date) -> list[str]:
    """Return the lines ``feedbackloop cycles`` prints: open, overdue, strategies uncovered."""
    head = f"{log.name or 'Cycle log'}: {len(log)} cycle{'s' if len(log) != 1 else ''}"
    lines = [f"{head}, as of {as_of}"]
    opened = log.open(as_of)
    lines += ["", f"Open cycles ({len(opened)}):"]
    lines += [
        f"  - {c.label} [{c.strategy}] {c.status(as_of)}: {c.start} to {c.end}, study due "
        f"{c.study_due}: {c.objective}"
        for c in opened
    ] or ["  none"]
    late = log.overdue(as_of)
    lines += ["", f"Overdue for a study ({len(late)}):"]
    lines += [
        f"  - {c.label} [{c.strategy}]: study was due {c.study_due}, "
        f"{c.days_overdue(as_of)} day{'s' if c.days_overdue(as_of) != 1 else ''} ago"
        for c in late
    ] or ["  none"]
    bare = [s for s in loop.strategies if not log.for_strategy(s.id)]
    lines += ["", f"Strategies with no cycle ({len(bare)}):"]
    lines += [f"  - {s.id}: {s.title}" for s in bare] or ["  none"]
    return lines


def _cmd_cycles(args: argparse.Namespace) -> int:
    path = _loop_path(args.path)
    loop = _load_quietly(path)
    log = loop.attachments(path.parent, allow_paths=_allowed(args)).cycles
    if log is None:
        print(f"error: {path} attaches no cycle log (add cycles: to it)", file=sys.stderr)
        return EXIT_PROBLEMS
    as_of = args.as_of or datetime.date.today()
    print("\n".join(_cycle_lines(log, loop, as_of)))
    problems = log.check(loop)
    if problems:
        n = len(problems)
        print(
            f"{log.source}: {n} problem{'s' if n != 1 else ''} in the cycle log:", file=sys.stderr
        )
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


def _allow_path_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-path",
        action="append",
        metavar="DIR",
        default=[],
        help="a folder, besides the loop's own and its data_roots, that data sources and "
        "attached files may be read from (repeatable)",
    )


def _engine_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        help="scan the loop's pooled sources (source: {engine: ..., path: ...}) on this engine "
        "instead of the one each names (needs feedbackloop[duckdb] or feedbackloop[spark])",
    )


# Longer than ~80 lines on purpose: one declaration per subcommand and option, read top to
# bottom like the help it prints; splitting it would scatter the command line over helpers.
def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="feedbackloop",
        description="Data-driven feedback loops for collective-impact initiatives.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="check a loop file and list every problem")
    p.add_argument("path", nargs="?", help="loop YAML file (default: the bundled example)")
    _allow_path_option(p)
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("show", help="print a loop as a tree, Mermaid diagram or YAML")
    p.add_argument("path", nargs="?", help="loop YAML file (default: the bundled example)")
    p.add_argument("--format", choices=("tree", "mermaid", "yaml"), default="tree")
    p.add_argument("--no-validate", action="store_true", help="show even if the graph is invalid")
    p.set_defaults(func=_cmd_show)

    p = sub.add_parser("adapters", help="list the installed source adapters")
    p.set_defaults(func=_cmd_adapters)

    p = sub.add_parser("collect", help="read every indicator's source; write Parquet files")
    p.add_argument("path", nargs="?", help="loop YAML file (default: the bundled example)")
    p.add_argument("-o", "--output", default="data", help="folder for the Parquet files")
    p.add_argument(
        "--audience",
        help="write the data as this audience may see it (backbone, partners, public or an "
        "audience of a data-sharing agreement); default: as read, for the backbone's storage",
    )
    _engine_option(p)
    _allow_path_option(p)
    p.set_defaults(func=_cmd_collect)

    p = sub.add_parser("report", help="read the sources and write the HTML progress report")
    p.add_argument("path", nargs="?", help="loop YAML file (default: the bundled example)")
    p.add_argument("-o", "--output", default="report.html", help="the HTML file to write")
    p.add_argument("--no-charts", action="store_true", help="leave the charts out")
    p.add_argument("--as-of", type=_as_of, help="judge plans and gaps on this date (YYYY-MM-DD)")
    p.add_argument(
        "--audience",
        help="who the report is for: backbone, partners, public or an audience of a "
        "data-sharing agreement (required when any data is sensitive)",
    )
    _engine_option(p)
    _allow_path_option(p)
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("site", help="read the sources and build a static site for one audience")
    p.add_argument("path", nargs="?", help="loop YAML file (default: the bundled example)")
    p.add_argument("-o", "--output", default="site", help="the folder to build the site in")
    p.add_argument(
        "--audience",
        required=True,
        help="who the site is for: backbone, partners, public or an audience of a "
        "data-sharing agreement",
    )
    p.add_argument(
        "--partner",
        help="build one partner's site: its own data and its anonymized benchmarks",
    )
    p.add_argument("--no-charts", action="store_true", help="leave the charts out (tables stay)")
    p.add_argument("--as-of", type=_as_of, help="judge plans and gaps on this date (YYYY-MM-DD)")
    _allow_path_option(p)
    p.set_defaults(func=_cmd_site)

    p = sub.add_parser(
        "demo",
        help="write the progress report and site of the bundled example initiative (offline)",
    )
    p.add_argument("-o", "--output", default="feedbackloop-demo", help="folder to write into")
    p.add_argument(
        "--as-of", type=_as_of, help=f"judge the example plan on this date (default {DEMO_AS_OF})"
    )
    p.add_argument(
        "--audience",
        default="public",
        help="who the report is for (default public: small cells suppressed)",
    )
    p.set_defaults(func=_cmd_demo)
    p = sub.add_parser("workbook", help="read the sources and write an Excel workbook")
    p.add_argument("path", nargs="?", help="loop YAML file (default: the bundled example)")
    p.add_argument("-o", "--output", default="feedbackloop.xlsx", help="the .xlsx file to write")
    p.add_argument(
        "--audience",
        help="who the workbook is for: backbone, partners, public or an audience of a "
        "data-sharing agreement (required when any data is sensitive)",
    )
    p.add_argument("--as-of", type=_as_of, help="the date the README gives (YYYY-MM-DD)")
    _allow_path_option(p)
    p.set_defaults(func=_cmd_workbook)
    p = sub.add_parser("posters", help="data-walk posters: one printable page per indicator")
    p.add_argument("path", nargs="?", help="loop YAML file (default: the bundled example)")
    p.add_argument("-o", "--output", default="posters", help="the folder to write them in")
    p.add_argument(
        "--audience",
        help="who the posters are for: backbone, partners, public or an audience of a "
        "data-sharing agreement (required when any data is sensitive)",
    )
    p.add_argument(
        "--format",
        nargs="+",
        choices=["pdf", "png", "html"],
        default=["pdf", "png"],
        help="what to write besides the HTML (default: pdf png; html alone needs no Chromium)",
    )
    p.add_argument("--paper", choices=["A3", "letter"], default="A3", help="landscape paper")
    _allow_path_option(p)
    p.set_defaults(func=_cmd_posters)
    _add_planning_commands(sub)
    return parser


def _add_planning_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``gaps``, ``followups`` and ``cycles``: the commands on a loop's planning files."""
    p = sub.add_parser("gaps", help="list data gaps: missing data, breakdowns, stale sources")
    p.add_argument("path", nargs="?", help="loop YAML file (default: the bundled example)")
    p.add_argument("--as-of", type=_as_of, help="judge freshness on this date (YYYY-MM-DD)")
    _allow_path_option(p)
    p.set_defaults(func=_cmd_gaps)

    p = sub.add_parser(
        "followups", help="print the action plan's follow-ups, grouped by responsible party"
    )
    p.add_argument("path", nargs="?", help="loop YAML file (default: the bundled example)")
    p.add_argument("--as-of", type=_as_of, help="the meeting date, YYYY-MM-DD (default today)")
    p.add_argument("--days", type=int, default=14, help="days ahead that count as due soon")
    p.add_argument("--status", action="store_true", help="also print status per partner and node")
    _allow_path_option(p)
    p.set_defaults(func=_cmd_followups)

    p = sub.add_parser(
        "cycles",
        help="list open PDSA cycles, cycles overdue for a study and strategies with no cycle",
    )
    p.add_argument("path", nargs="?", help="loop YAML file (default: the bundled example)")
    p.add_argument("--as-of", type=_as_of, help="judge the cycles on this date (default today)")
    _allow_path_option(p)
    p.set_defaults(func=_cmd_cycles)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 when the input has problems, 2 on usage errors.
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.version:
        print(f"feedbackloop {feedbackloop.__version__}")
        return EXIT_OK
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return func(args)
    except (FeedbackloopError, FileNotFoundError) as err:
        if args.debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        return EXIT_PROBLEMS


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
