"""The ``feedbackloop`` command line.

Each subcommand is a thin layer over the library; errors print as a clear
message and a non-zero exit status, with the traceback only under ``--debug``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from feedbackloop.errors import FeedbackloopError, LoopWarning

__all__ = ["main"]

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def _loop_path(arg: str | None) -> Path:
    if arg is None:
        from feedbackloop.examples import example_path

        return example_path()
    return Path(arg)


def _cmd_validate(args: argparse.Namespace) -> int:
    from feedbackloop.io import load_loop

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
    print(
        f"{path}: OK — {loop.name!r}, {len(loop.nodes)} nodes, {len(loop.indicators)} indicators"
        + (f", {len(result.warnings)} warnings" if result.warnings else "")
    )
    return EXIT_OK


def _cmd_show(args: argparse.Namespace) -> int:
    from feedbackloop.io import load_loop

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
    from feedbackloop import adapters

    listing = adapters.available()
    width = max((len(n) for n in listing), default=4)
    for name, info in listing.items():
        print(f"{name:<{width}}  {info.distribution} {info.version}  ({info.target})")
    return EXIT_OK


def _collect(path: Path, progress: bool | None) -> tuple[object, object]:
    from feedbackloop import collect, load_loop

    loop = load_loop(path)
    result = collect(loop, base_dir=path.parent, progress=progress)
    return loop, result


def _cmd_collect(args: argparse.Namespace) -> int:
    from feedbackloop.adapters import CollectResult

    path = _loop_path(args.path)
    _, result = _collect(path, None)
    assert isinstance(result, CollectResult)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    for ind_id, series in result.items():
        series.to_parquet(out / f"{ind_id}.parquet")
    print(result.report())
    print(f"wrote {len(result)} series to {out}")
    return EXIT_OK if result.ok else EXIT_PROBLEMS


def _write_report(loop_path: Path, output: Path, *, charts: bool, illustrative: bool) -> int:
    from feedbackloop.adapters import CollectResult
    from feedbackloop.model import FeedbackLoop
    from feedbackloop.report import report

    loop, result = _collect(loop_path, None)
    assert isinstance(loop, FeedbackLoop) and isinstance(result, CollectResult)
    if not result.ok:
        print(result.report(), file=sys.stderr)
    written = report(loop, result, output, charts=charts, illustrative=illustrative)
    print(f"report written to {written.resolve()}")
    return EXIT_OK if result.ok else EXIT_PROBLEMS


def _cmd_report(args: argparse.Namespace) -> int:
    return _write_report(
        _loop_path(args.path), Path(args.output), charts=not args.no_charts, illustrative=False
    )


def _cmd_demo(args: argparse.Namespace) -> int:
    from feedbackloop.examples import example_path

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    return _write_report(example_path(), out / "report.html", charts=True, illustrative=True)


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
    p.set_defaults(func=_cmd_collect)

    p = sub.add_parser("report", help="read the sources and write the HTML progress report")
    p.add_argument("path", nargs="?", help="loop YAML file (default: the bundled example)")
    p.add_argument("-o", "--output", default="report.html", help="the HTML file to write")
    p.add_argument("--no-charts", action="store_true", help="leave the charts out")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "demo", help="write the progress report of the bundled example initiative (offline)"
    )
    p.add_argument("-o", "--output", default="feedbackloop-demo", help="folder to write into")
    p.set_defaults(func=_cmd_demo)
    return parser


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
        import feedbackloop

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
