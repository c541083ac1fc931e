"""Benchmark IndicatorSeries against the fastest peers on the same machine, in one run.

Workload (issue #3): ~10 million rows = every US census tract (about 85,000, real-shaped
11-digit GEOIDs) x 9 race groups x 13 years of one count indicator with 90% MOEs,
generated with a fixed seed. Tasks, each done the idiomatic way in every tool:

- rollup: tract -> county -> state, summing counts and combining MOEs with the Census
  rule (sqrt of the sum of squared MOEs of non-zero estimates plus the largest MOE among
  zero estimates);
- disparity: each race group's value over the reference group's value in the same tract
  and year, with the ratio MOE and the z-test of the difference at 90% (the columns
  feedbackloop's ``disparity`` returns; feedbackloop also returns its rows sorted,
  which the peers are not asked to do);
- parquet: write then read the whole table.

Peers: idiomatic pandas, pyarrow compute, polars, duckdb. Before timing, every peer's
result on a slice is checked against feedbackloop's (same rows, same numbers). Time is
the median of ``--repeat`` runs; feedbackloop gets a fresh series built from the Arrow
table for every run, so nothing it remembers (the factor codes of its key columns) is
carried over between runs. The row ``feedbackloop, keys coded`` times the same
operation on a series that has already coded its keys (as one from
``IndicatorSeries.from_frame`` has, or after any earlier grouping); it is not a
headline figure. Peak memory is the peak RSS increase of a fresh subprocess doing the
task once after loading the data (same input for every tool). Prints a table of
medians and ratios to the fastest peer.

Run: python benchmarks/bench_series.py [--rows-scale 1.0] [--repeat 3] [--no-memory]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DATA_DIR = Path(__file__).parent / ".data"
RACES = [
    "White alone",
    "Black alone",
    "AIAN alone",
    "Asian alone",
    "NHPI alone",
    "Some other race alone",
    "Two or more races",
    "White alone, not Hispanic",
    "Hispanic or Latino",
]
REFERENCE = "White alone, not Hispanic"
Z90 = 1.645  # the ACS's z for 90% margins of error


def generate(scale: float = 1.0, seed: int = 20261124) -> pa.Table:
    """Every tract x race x year; counts with ~20% zeros, MOEs 0..(count/2 + 30)."""
    rng = np.random.default_rng(seed)
    n_tracts = int(85_000 * scale)
    states = np.array(
        [
            f"{s:02d}"
            for s in (
                1,
                2,
                4,
                5,
                6,
                8,
                9,
                10,
                11,
                12,
                13,
                15,
                16,
                17,
                18,
                19,
                20,
                21,
                22,
                23,
                24,
                25,
                26,
                27,
                28,
                29,
                30,
                31,
                32,
                33,
                34,
                35,
                36,
                37,
                38,
                39,
                40,
                41,
                42,
                44,
                45,
                46,
                47,
                48,
                49,
                50,
                51,
                53,
                54,
                55,
                56,
                72,
            )
        ]
    )
    state = rng.choice(states, n_tracts)
    county = rng.integers(1, 200, n_tracts) * 2 - 1
    tract = rng.integers(100, 999_999, n_tracts)
    geoids = np.unique(
        np.char.add(
            np.char.add(state.astype("U2"), np.char.zfill(county.astype("U3"), 3)),
            np.char.zfill(tract.astype("U6"), 6),
        )
    )
    years = [str(y) for y in range(2012, 2025)]
    n = len(geoids) * len(RACES) * len(years)
    geo = np.repeat(geoids, len(RACES) * len(years))
    race = np.tile(np.repeat(np.array(RACES, dtype=object), len(years)), len(geoids))
    period = np.tile(np.array(years, dtype=object), len(geoids) * len(RACES))
    value = rng.integers(0, 3000, n).astype(np.float64)
    value[rng.random(n) < 0.2] = 0.0
    moe = np.floor(rng.random(n) * (value / 2 + 30))
    return pa.table(
        {
            "geography": pa.array(geo, pa.string()),
            "period": pa.array(period, pa.string()),
            "race": pa.array(race, pa.string()),
            "value": value,
            "moe": moe,
        }
    )


def data_path(scale: float) -> Path:
    DATA_DIR.mkdir(exist_ok=True)
    p = DATA_DIR / f"tracts_{scale:g}.parquet"
    if not p.exists():
        pq.write_table(generate(scale), p)
    return p


# ------------------------------------------------------------------ tasks


SAME_TABLE = "pyarrow, series' columns"


def fl_series(table: pa.Table) -> Any:
    from feedbackloop import Indicator
    from feedbackloop.series import IndicatorSeries, Status

    ind = Indicator(id="people", name="People", unit="people", direction="higher_is_better")
    n = table.num_rows
    full = table.append_column(
        "status",
        pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(n, np.int8)), pa.array([Status.ESTIMATE.value])
        ),
    )
    full = full.add_column(
        0,
        "indicator",
        pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array(["people"])),
    )
    full = full.select(["indicator", "geography", "period", "race", "value", "moe", "status"])
    return IndicatorSeries(indicator=ind, table=full, unit="people", dimensions=("race",))


def fl_rollup(s: Any) -> Any:
    return s.rollup(to="county").rollup(to="state")


def fl_disparity(s: Any) -> Any:
    return s.disparity("race", reference=REFERENCE)


def pandas_rollup(df: Any) -> Any:
    import pandas as pd

    def agg(d: pd.DataFrame) -> pd.DataFrame:
        zero = d["value"] == 0
        d = d.assign(sq=np.where(zero, 0.0, d["moe"] ** 2), zm=np.where(zero, d["moe"], 0.0))
        g = d.groupby(["geography", "period", "race"], sort=False, observed=True).agg(
            value=("value", "sum"), sq=("sq", "sum"), zm=("zm", "max")
        )
        g["moe"] = np.sqrt(g["sq"] + g["zm"] ** 2)
        return g[["value", "moe"]].reset_index()

    c = agg(df.assign(geography=df["geography"].str[:5]))
    return agg(c.assign(geography=c["geography"].str[:2]))


def pandas_disparity(df: Any) -> Any:
    ref = df[df["race"] == REFERENCE][["geography", "period", "value", "moe"]]
    grp = df[df["race"] != REFERENCE]
    m = grp.merge(ref, on=["geography", "period"], how="left", suffixes=("", "_ref"))
    r = m["value"] / m["value_ref"]
    m["ratio"] = r
    m["ratio_moe"] = np.sqrt(m["moe"] ** 2 + r**2 * m["moe_ref"] ** 2) / m["value_ref"]
    se = np.sqrt((m["moe"] / Z90) ** 2 + (m["moe_ref"] / Z90) ** 2)
    m["significant"] = ((m["value"] - m["value_ref"]).abs() / se) > Z90
    return m


def arrow_rollup(t: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    def agg(t: pa.Table) -> pa.Table:
        zero = pc.equal(t["value"], 0.0)
        t = t.append_column("sq", pc.if_else(zero, 0.0, pc.multiply(t["moe"], t["moe"])))
        t = t.append_column("zm", pc.if_else(zero, t["moe"], 0.0))
        g = t.group_by(["geography", "period", "race"]).aggregate(
            [("value", "sum"), ("sq", "sum"), ("zm", "max")]
        )
        moe = pc.sqrt(pc.add(g["sq_sum"], pc.multiply(g["zm_max"], g["zm_max"])))
        return pa.table(
            {
                "geography": g["geography"],
                "period": g["period"],
                "race": g["race"],
                "value": g["value_sum"],
                "moe": moe,
            }
        )

    c = agg(t.set_column(0, "geography", pc.utf8_slice_codeunits(t["geography"], 0, 5)))
    return agg(c.set_column(0, "geography", pc.utf8_slice_codeunits(c["geography"], 0, 2)))


def arrow_disparity(t: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    is_ref = pc.equal(t["race"], REFERENCE)
    ref = (
        t.filter(is_ref)
        .select(["geography", "period", "value", "moe"])
        .rename_columns(["geography", "period", "value_ref", "moe_ref"])
    )
    j = t.filter(pc.invert(is_ref)).join(ref, keys=["geography", "period"], join_type="left outer")
    r = pc.divide(j["value"], j["value_ref"])
    moe = pc.divide(
        pc.sqrt(
            pc.add(
                pc.multiply(j["moe"], j["moe"]),
                pc.multiply(pc.multiply(r, r), pc.multiply(j["moe_ref"], j["moe_ref"])),
            )
        ),
        j["value_ref"],
    )
    se = pc.sqrt(
        pc.add(pc.power(pc.divide(j["moe"], Z90), 2), pc.power(pc.divide(j["moe_ref"], Z90), 2))
    )
    sig = pc.greater(pc.divide(pc.abs(pc.subtract(j["value"], j["value_ref"])), se), Z90)
    out = j.append_column("ratio", r).append_column("ratio_moe", moe)
    return out.append_column("significant", sig)


def polars_rollup(df: Any) -> Any:
    import polars as pl

    def agg(d: pl.DataFrame) -> pl.DataFrame:
        zero = pl.col("value") == 0
        return (
            d.group_by(["geography", "period", "race"])
            .agg(
                pl.col("value").sum(),
                pl.when(zero).then(0.0).otherwise(pl.col("moe") ** 2).sum().alias("sq"),
                pl.when(zero).then(pl.col("moe")).otherwise(0.0).max().alias("zm"),
            )
            .with_columns(moe=(pl.col("sq") + pl.col("zm") ** 2).sqrt())
            .select(["geography", "period", "race", "value", "moe"])
        )

    c = agg(df.with_columns(pl.col("geography").str.slice(0, 5)))
    return agg(c.with_columns(pl.col("geography").str.slice(0, 2)))


def polars_disparity(df: Any) -> Any:
    import polars as pl

    ref = df.filter(pl.col("race") == REFERENCE).select(
        ["geography", "period", pl.col("value").alias("value_ref"), pl.col("moe").alias("moe_ref")]
    )
    j = df.filter(pl.col("race") != REFERENCE).join(ref, on=["geography", "period"], how="left")
    r = pl.col("value") / pl.col("value_ref")
    se = ((pl.col("moe") / Z90) ** 2 + (pl.col("moe_ref") / Z90) ** 2).sqrt()
    return j.with_columns(
        ratio=r,
        ratio_moe=(pl.col("moe") ** 2 + r**2 * pl.col("moe_ref") ** 2).sqrt() / pl.col("value_ref"),
        significant=((pl.col("value") - pl.col("value_ref")).abs() / se) > Z90,
    )


ROLLUP_SQL = """
WITH c AS (
  SELECT substr(geography, 1, 5) AS geography, period, race, sum(value) AS value,
         sqrt(sum(CASE WHEN value = 0 THEN 0 ELSE moe*moe END)
              + pow(max(CASE WHEN value = 0 THEN moe ELSE 0 END), 2)) AS moe
  FROM t GROUP BY ALL)
SELECT substr(geography, 1, 2) AS geography, period, race, sum(value) AS value,
       sqrt(sum(CASE WHEN value = 0 THEN 0 ELSE moe*moe END)
            + pow(max(CASE WHEN value = 0 THEN moe ELSE 0 END), 2)) AS moe
FROM c GROUP BY ALL
"""

DISPARITY_SQL = f"""
WITH r AS (SELECT geography, period, value AS value_ref, moe AS moe_ref FROM t
           WHERE race = '{REFERENCE}')
SELECT g.*, r.value_ref, r.moe_ref, g.value / r.value_ref AS ratio,
       sqrt(g.moe*g.moe + pow(g.value / r.value_ref, 2) * r.moe_ref*r.moe_ref) / r.value_ref
         AS ratio_moe,
       abs(g.value - r.value_ref)
         / sqrt(pow(g.moe / {Z90}, 2) + pow(r.moe_ref / {Z90}, 2)) > {Z90} AS significant
FROM t g LEFT JOIN r USING (geography, period) WHERE g.race <> '{REFERENCE}'
"""


def duckdb_run(sql: str) -> Callable[[pa.Table], Any]:
    def run(t: pa.Table) -> Any:
        import duckdb

        con = duckdb.connect()
        con.register("t", t)
        out = con.sql(sql).to_arrow_table()
        con.close()
        return out

    return run


# ------------------------------------------------------------- harness


def prepare(tool: str, table: pa.Table) -> Any:
    if tool == "feedbackloop":
        return fl_series(table)
    if tool == SAME_TABLE:
        return fl_series(table).table
    if tool == "pandas":
        return table.to_pandas()
    if tool == "polars":
        import polars as pl

        return pl.from_arrow(table)
    return table


TASKS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "rollup": {
        "feedbackloop": fl_rollup,
        "pandas": pandas_rollup,
        "pyarrow": arrow_rollup,
        "polars": polars_rollup,
        "duckdb": duckdb_run(ROLLUP_SQL),
    },
    "disparity": {
        "feedbackloop": fl_disparity,
        "pandas": pandas_disparity,
        "pyarrow": arrow_disparity,
        "polars": polars_disparity,
        "duckdb": duckdb_run(DISPARITY_SQL),
    },
}


def parquet_task(tool: str) -> Callable[[Any], Any]:
    def run(obj: Any) -> Any:
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "x.parquet"
            if tool == "feedbackloop":
                from feedbackloop.series import read_parquet

                obj.to_parquet(p)
                return read_parquet(p)
            pq.write_table(obj, p)
            return pq.read_table(p)

    return run


TASKS["parquet"] = {
    "feedbackloop": parquet_task("feedbackloop"),
    "pyarrow": parquet_task("pyarrow"),
    # For reference: plain pyarrow writing the series' own table (with its
    # indicator and status columns), which is what feedbackloop writes.
    SAME_TABLE: parquet_task("pyarrow"),
}


def _as_frame(result: Any) -> Any:
    import pandas as pd

    if isinstance(result, pd.DataFrame):
        return result
    if isinstance(result, pa.Table):
        return result.to_pandas()
    if hasattr(result, "frame"):
        return result.frame
    return result.to_pandas()  # polars


def check_same_work(table: pa.Table) -> None:
    """Fail loudly unless every peer computes what feedbackloop computes (on a slice)."""
    import pandas as pd

    part = table.slice(0, min(table.num_rows, 117 * 400))  # 400 whole tracts
    keys = ["geography", "period", "race"]
    for task, cols in (
        ("rollup", {"value": "value", "moe": "moe"}),
        ("disparity", {"ratio": "disparity", "ratio_moe": "disparity_moe"}),
    ):
        fl = _as_frame(TASKS[task]["feedbackloop"](prepare("feedbackloop", part)))
        if task == "disparity":
            fl = fl.rename(columns={"group": "race"})
        fl = fl.astype(dict.fromkeys(keys, str)).sort_values(keys).reset_index(drop=True)
        for tool, fn in TASKS[task].items():
            if tool == "feedbackloop":
                continue
            got = _as_frame(fn(prepare(tool, part)))
            got = got.astype(dict.fromkeys(keys, str)).sort_values(keys).reset_index(drop=True)
            assert got[keys].equals(fl[keys]), f"{task}: {tool} has other rows"
            for theirs, ours in cols.items():
                a = got[theirs].to_numpy(float)
                b = fl[ours].to_numpy(float)
                a = np.where(np.isinf(a), np.nan, a)  # x/0: inf for the peers, NaN for us
                assert np.allclose(a, b, rtol=1e-12, equal_nan=True), f"{task}: {tool} {theirs}"
            if task == "disparity":
                # Both margins 0: the peers divide by 0 (inf > z, "significant"); the
                # statistics functions say a test is not appropriate (False).
                both_zero = (fl["moe"] == 0) & (fl["reference_moe"] == 0)
                known = (fl["significant"].notna() & ~both_zero).to_numpy()
                sig = got["significant"].to_numpy(bool)[known]
                ours_sig = fl["significant"].to_numpy(bool, na_value=False)[known]
                assert (sig == ours_sig).all(), f"disparity: {tool} significance"
    del pd


def time_task(fn: Callable[[Any], Any], make: Callable[[], Any], repeat: int) -> float:
    """Median time of ``fn`` over ``repeat`` runs, each on the object ``make()`` returns."""
    times = []
    for _ in range(repeat):
        obj = make()
        gc.collect()
        t0 = time.perf_counter()
        fn(obj)
        times.append(time.perf_counter() - t0)
        del obj
    return statistics.median(times)


def rss_mb() -> float:
    """Current resident set size (Linux /proc; falls back to the peak elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_child(path: str, task: str, tool: str) -> None:
    """Peak RSS above the loaded input while the task runs, sampled every 2 ms."""
    import threading

    table = pq.read_table(path)
    obj = prepare(tool, table)
    del table
    gc.collect()
    before = rss_mb()
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_mb())
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    result = TASKS[task][tool](obj)
    peak = max(peak, rss_mb())
    done.set()
    sampler.join()
    del result
    print(json.dumps({"peak_increase_mb": peak - before}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        memory_child(*args.child)
        return
    path = data_path(args.rows_scale)
    table = pq.read_table(path)
    print(f"{table.num_rows:,} rows; {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    check_same_work(table)
    print("checked: every peer returns the same rows and numbers as feedbackloop")
    results: dict[str, dict[str, dict[str, float]]] = {}
    for task, tools in TASKS.items():
        results[task] = {}
        for tool, fn in tools.items():
            obj = prepare(tool, table)
            fn(obj)  # warm-up (imports)
            if tool == "feedbackloop":
                # A fresh series for every run: nothing remembered from an earlier one.
                t = time_task(fn, lambda: prepare("feedbackloop", table), args.repeat)
            else:
                t = time_task(fn, lambda o=obj: o, args.repeat)
            results[task][tool] = {"seconds": t}
            del obj
            gc.collect()
            if not args.no_memory:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", str(path), task, tool],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                results[task][tool]["peak_mb"] = json.loads(out.stdout)["peak_increase_mb"]
            if tool == "feedbackloop" and task in ("rollup", "disparity"):
                # The same operation again on a series that already grouped its keys once
                # (also what a series from IndicatorSeries.from_frame starts with).
                def warmed() -> Any:
                    s = prepare("feedbackloop", table)
                    s._key_factors(s.keys)
                    return s

                t = time_task(fn, warmed, args.repeat)
                results[task]["feedbackloop, keys coded"] = {"seconds": t}
    print()
    print(
        f"{'task':<10} {'tool':<25} {'median s':>9} {'x fastest peer':>15} {'peak MB':>9} "
        f"{'x pyarrow mem':>14}"
    )
    for task, tools in results.items():
        peers = {k: v for k, v in tools.items() if not k.startswith("feedbackloop")}
        fastest = min(v["seconds"] for v in peers.values())
        arrow_mem = tools.get("pyarrow", {}).get("peak_mb")
        for tool, r in tools.items():
            mem = r.get("peak_mb")
            mem_ratio = f"{mem / arrow_mem:.2f}" if mem is not None and arrow_mem else ""
            print(
                f"{task:<10} {tool:<25} {r['seconds']:>9.3f} {r['seconds'] / fastest:>15.2f} "
                f"{'' if mem is None else f'{mem:.0f}':>9} {mem_ratio:>14}"
            )
    print()
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
