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
