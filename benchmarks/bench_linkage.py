"""Benchmark ``feedbackloop.linkage.link`` against Splink used directly with the same settings.

Workload: two agencies of ``--n`` person records each (synthetic, standard corruption
profile of ``feedbackloop.testing.linkage``: typos, nicknames, swapped day and month,
moves, missing fields; 75% of each agency's people are in the other), generated with a
fixed seed into ``benchmarks/.data/``.

- **splink**: ``DuckDBAPI`` + ``Linker`` with ``feedbackloop.linkage.splink_settings()``
  on already-standardised records; the same training calls as ``link`` (probability
  two records match from a deterministic rule, u by random sampling, two EM passes),
  ``predict`` above 0.5 and ``cluster_pairwise_predictions_at_threshold`` at 0.8;
- **feedbackloop**: ``link(files, key=...)`` on the raw files: it also checks and
  standardises them (ids, encodings, dates, names, nicknames), counts each blocking
  rule's pairs, clusters and makes HMAC person ids.

Each tool runs in a fresh subprocess; time is wall clock of each phase, peak memory is
the resident high-water mark (``VmHWM``) added after loading the input.

Run: python benchmarks/bench_linkage.py [--n 100000] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

DATA_DIR = Path(__file__).parent / ".data"
KEY = "benchmark-key-" + "x" * 32


def _hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return float("nan")


def generate(n: int, seed: int) -> dict[str, Path]:
    from feedbackloop.testing.linkage import make_agencies

    paths = {a: DATA_DIR / f"linkage_{n}_{seed}_{a}.parquet" for a in ("a", "b")}
    if all(p.exists() for p in paths.values()):
        return paths
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    syn = make_agencies(int(n / 0.75), coverage=0.75, seed=seed)
    for a, p in paths.items():
        syn.files[a].astype("string").to_parquet(p)
    return paths


def _load(paths: dict[str, str]) -> dict[str, pd.DataFrame]:
    return {
        a: pd.read_parquet(p).astype(object).where(lambda d: d.notna(), None)
        for a, p in paths.items()
    }


def run_feedbackloop(paths: dict[str, str]) -> dict[str, float]:
    from feedbackloop.linkage import link

    files = _load(paths)
    base = _hwm_mb()
    t0 = time.perf_counter()
    lk = link(files, key=KEY)
    total = time.perf_counter() - t0
    return {
        "total": total,
        "peak_mb": _hwm_mb() - base,
        "pairs": len(lk.pairs),
        "people": lk.crosswalk["person_id"].nunique(),
    }


def run_splink(paths: dict[str, str]) -> dict[str, float]:
    import splink

    from feedbackloop.linkage import _prepare, _splink, splink_settings  # bench only

    files = _load(paths)
    std = {
        a: _prepare.standardize(a, df, {c: c for c in _prepare.DEFAULT_COLUMNS})[
            list(_splink.ENGINE_COLUMNS)
        ]
        for a, df in files.items()
    }
    base = _hwm_mb()
    t0 = time.perf_counter()
    db = splink.DuckDBAPI()
    tables = [db.register(df, dataset_display_name=a) for a, df in std.items()]
    linker = splink.Linker(tables, splink_settings(), log_level=None)
    tr = linker.training
    tr.estimate_probability_two_random_records_match(
        [splink.block_on("first_formal", "last", "dob")], recall=0.7
    )
    tr.estimate_u_using_random_sampling(max_pairs=2e6, seed=0)
    tr.estimate_parameters_using_expectation_maximisation(splink.block_on("dob"))
    tr.estimate_parameters_using_expectation_maximisation(splink.block_on("first_formal", "last"))
    t1 = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, 0.8)
    people = clusters.as_pandas_dataframe()["cluster_id"].nunique()
    t2 = time.perf_counter()
    return {
        "train": t1 - t0,
        "predict": t2 - t1,
        "total": t2 - t0,
        "peak_mb": _hwm_mb() - base,
        "people": people,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tool", choices=["feedbackloop", "splink"])
    parser.add_argument("--paths")
    args = parser.parse_args()
    if args.tool:
        fn = run_feedbackloop if args.tool == "feedbackloop" else run_splink
        print(json.dumps(fn(json.loads(args.paths))))
        return
    t = time.perf_counter()
    paths = {a: str(p) for a, p in generate(args.n, args.seed).items()}
    print(f"data: {args.n:,} x {args.n:,} records ({time.perf_counter() - t:.1f} s to make/load)")
    results = {}
    for tool in ("splink", "feedbackloop"):
        out = subprocess.run(
            [sys.executable, __file__, "--tool", tool, "--paths", json.dumps(paths)],
            check=True,
            capture_output=True,
            text=True,
        )
        results[tool] = json.loads(out.stdout.strip().splitlines()[-1])
        print(tool, results[tool], flush=True)
    s, f = results["splink"], results["feedbackloop"]
    print("\n| tool | train s | predict+cluster s | total s | x splink | peak MB |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| splink | {s['train']:.1f} | {s['predict']:.1f} | {s['total']:.1f} | 1.00 | "
        f"{s['peak_mb']:.0f} |"
    )
    print(
        f"| feedbackloop link() | | | {f['total']:.1f} | {f['total'] / s['total']:.2f} | "
        f"{f['peak_mb']:.0f} |"
    )


if __name__ == "__main__":
    main()
