"""Benchmark: all tables of the 16-page WARN report, feedbackloop.pdf vs pdfplumber.

Run ``python benchmarks/bench_pdf.py [path/to/WARN-Report.pdf]``. Both sides parse
every page from a freshly opened file in the same run; the best of ``--repeat``
runs is compared. pdfplumber's ``extract_tables()`` (lines strategy, no number
parsing, no stitching) is the peer; the target is a ratio of at most 1.2.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

DEFAULT = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "realdata"
    / "pdf"
    / "WARN-Report-for-7-1-2015-to-03-25-2016.pdf"
)


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def pdfplumber_tables(path: Path) -> int:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return sum(len(page.extract_tables()) for page in pdf.pages)


def feedbackloop_tables(path: Path) -> int:
    from feedbackloop.pdf import read_tables

    return len(read_tables(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.path.is_file():
        raise SystemExit(f"{args.path} not found (pass the WARN report's path)")
    pdfplumber_tables(args.path)  # warm imports
    feedbackloop_tables(args.path)
    peer = best_of(lambda: pdfplumber_tables(args.path), args.repeat)
    ours = best_of(lambda: feedbackloop_tables(args.path), args.repeat)
    print(f"pdfplumber extract_tables (16 pages): {peer:.3f} s")
    print(f"feedbackloop.pdf.read_tables:         {ours:.3f} s  (2 tables, parsed and stitched)")
    print(f"ratio: {ours / peer:.2f}x (target <= 1.20x)")


if __name__ == "__main__":
    main()
