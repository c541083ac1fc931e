"""Benchmark the csv adapter against a plain ``pyarrow.csv.read_csv`` of the same file.

Workload (issue #4): a tidy CSV of ``--rows`` rows (default 10 million) = census tracts
(real-shaped 11-digit GEOIDs) x 9 race groups x years, with value and 90% MOE columns,
generated with a fixed seed into ``benchmarks/.data/``.

- **pyarrow**: ``pyarrow.csv.read_csv(path)`` with type inference (the floor: no
  validation, GEOIDs come back as int64 and lose their leading zeros);
- **feedbackloop**: ``CsvAdapter().read(path, unit="people")`` into a validated
  IndicatorSeries (text GEOIDs, parsed periods, status column, duplicate-key check).

Time is the median of ``--repeat`` runs in this process. Peak memory is measured in a
fresh subprocess per tool: the kernel's resident-memory high-water mark (``VmHWM`` in
``/proc/self/status``) after the read minus the same after the imports, i.e. the peak
resident memory the read added. (``ru_maxrss`` is not used: Linux carries it over
from the parent process across ``exec``.)

Run: python benchmarks/bench_csv.py [--rows 10000000] [--repeat 3] [--no-memory]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

DATA_DIR = Path(__file__).parent / ".data"
RACES = ["White", "Black", "AIAN", "Asian", "NHPI", "Other", "Two+", "White NH", "Hispanic"]


def generate(rows: int, seed: int = 20261124) -> Path:
    path = DATA_DIR / f"tidy-{rows}.csv"
    if path.exists():
        return path
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    years = 13
    tracts = max(1, rows // (len(RACES) * years))
    n = tracts * len(RACES) * years
    t = np.arange(n)
    tract = t // (len(RACES) * years)
    state = 1 + tract % 56
    geo = np.char.add(
        np.char.zfill(state.astype(str), 2), np.char.zfill((tract % 10**9).astype(str), 9)
    )
    table = pa.table(
        {
            "geography": geo,
            "period": (2010 + (t // len(RACES)) % years).astype(str),
            "race": np.array(RACES)[t % len(RACES)],
            "value": np.round(rng.gamma(2.0, 400.0, n), 1),
            "moe": np.round(rng.gamma(2.0, 40.0, n), 1),
        }
    )
    tmp = path.with_suffix(".tmp")
    pcsv.write_csv(table, tmp)
    tmp.replace(path)
    return path


def run_pyarrow(path: Path) -> int:
    return int(pcsv.read_csv(path).num_rows)


def run_feedbackloop(path: Path) -> int:
    from feedbackloop.adapters.csv import CsvAdapter

    return len(CsvAdapter().read(path, unit="people"))


TOOLS = {"pyarrow": run_pyarrow, "feedbackloop": run_feedbackloop}


def _hwm_mb() -> float:
    """Peak resident memory of this process so far (VmHWM; Linux), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_memory(tool: str, path: Path) -> float:
    here = str(Path(__file__).resolve().parent)
    code = (
        f"import sys, json; sys.path.insert(0, {here!r}); import bench_csv as b; "
        "import feedbackloop.adapters.csv, feedbackloop.series; "
        f"before = b._hwm_mb(); b.TOOLS[{tool!r}](b.Path({str(path)!r})); "
        "print(json.dumps(b._hwm_mb() - before))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(json.loads(out.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args()
    path = generate(args.rows)
    n = run_pyarrow(path)
    print(f"{path.name}: {n:,} rows, {path.stat().st_size / 2**20:,.0f} MiB")
    times: dict[str, float] = {}
    for tool, fn in TOOLS.items():
        fn(path)  # warm the page cache and imports
        samples = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fn(path)
            samples.append(time.perf_counter() - t0)
        times[tool] = statistics.median(samples)
    mem = {} if args.no_memory else {tool: peak_memory(tool, path.resolve()) for tool in TOOLS}
    print(f"{'tool':<13}{'median s':>10}{'x pyarrow':>11}{'peak MB':>10}{'x pyarrow':>11}")
    for tool in TOOLS:
        line = f"{tool:<13}{times[tool]:>10.3f}{times[tool] / times['pyarrow']:>11.2f}"
        if mem:
            line += f"{mem[tool]:>10.0f}{mem[tool] / mem['pyarrow']:>11.2f}"
        print(line)


if __name__ == "__main__":
    main()
