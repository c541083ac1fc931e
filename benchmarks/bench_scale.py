"""Out-of-core engines vs hand-written SQL / PySpark (issue 18), in one run.

Usage::

    python benchmarks/bench_scale.py --rows 150000000 --small-rows 15000000 \\
        --spark-rows 20000000 --records 20000000 --memory-rows 10000000 --data /work/benchdata

Data (fixed seed, outside git, under ``--data``; a temporary folder by default)
is generated once and reused while its marker (``dataset.json``) matches:

- pooled datasets of tract x year x race x sex counts with MOEs (real-shaped
  11-digit GEOIDs, about 3,200 counties in 52 states), one per row count
  asked for, written by ``IndicatorSeries.to_parquet`` (metadata in every file);
- a record-level microdata file set: client, school (12-digit NCES-like id),
  race (7 categories, some small), sex (F/M, X rare), year, completed,
  better_off (~20% null).

Steps (skip groups with ``--skip rollup,disparity,spark,records,memory``):

a. roll-up tract -> county -> state with MOE on DuckDB (memory limit 4 GB) at
   ``--rows`` and ``--small-rows`` vs hand-written SQL: rows/s and linearity;
b. disparity against 'White' at ``--rows`` written out of core
   (``disparity_table(...).to_parquet``, a ``COPY ... TO``) vs a hand-written
   ``COPY``, and collected to a DataFrame at ``--small-rows`` vs ``.df()``;
c. the same roll-up on Spark ``local[2]`` at ``--spark-rows`` vs hand-written PySpark;
d. ``feedbackloop.engines.from_records`` over ``--records`` records: counts,
   then with complementary suppression (the map-groups stage's share; minutes a
   run, so timed ``--suppress-repeat`` times, default once, after the counts'
   warm-up), and a hand-written DuckDB count for information;
e. the in-memory engine at ``--memory-rows`` (roll-up, disparity).

Fairness: each step runs in a fresh process (``spawn``), so no step inherits
another's memory or warm caches. Within a step both sides share one engine
(the same DuckDB database, the same Spark session) and its settings; each side
runs once untimed (warm-up), then the sides alternate for ``--repeat`` timed
runs (the order flips every round); medians are compared, minima shown.
Feedbackloop's side includes ``scan`` (reading the file footers), as the
hand-written side reads the files in its query. Peak RSS is measured per run:
the kernel's high-water mark (VmHWM) is reset before each run
(``/proc/self/clear_refs``) and read after it; on Spark the JVM's (a child
process) is added. Each side's figure is the largest over its runs, warm-up
included. Results of the two sides are checked against each other.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import gc
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import feedbackloop as fl
from feedbackloop import Indicator, stats
from feedbackloop.series import Status

SEED = 18
FORMAT = 1  # bump when the generators change: markers then no longer match

PEOPLE = Indicator(id="people", name="People", unit="people", direction="higher_is_better")
YEARS = [str(y) for y in range(2018, 2023)]
RACES = ["Asian", "Black", "Hispanic", "White", "(total)"]
RACE_SHARE = [0.06, 0.13, 0.19, 0.58]  # of the population; the rest is in (total) only
SEXES = ["F", "M"]
PER_TRACT = len(YEARS) * len(RACES) * len(SEXES)
TRACTS_PER_FILE = 60_000  # 3M rows a file

# Real state FIPS codes (50 states, DC, Puerto Rico).
STATES = [1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26]
STATES += [27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 44, 45, 46, 47]
STATES += [48, 49, 50, 51, 53, 54, 55, 56, 72]

REC_RACES = ["White", "Hispanic", "Black", "Asian", "Two or more", "AIAN", "NHPI"]
REC_RACE_P = [0.46, 0.27, 0.15, 0.06, 0.04, 0.013, 0.007]
REC_SEXES = ["F", "M", "X"]
REC_SEX_P = [0.49, 0.495, 0.015]
REC_YEARS = (2019, 2024)
SCHOOLS = 1_000  # x 6 years = 6,000 tables for complementary suppression
RECORDS_PER_FILE = 4_000_000

GROUPS = ("rollup", "disparity", "spark", "records", "memory")
WITHHELD = [s.value for s in Status if s.is_suppressed]
Z90 = stats.z_for_level(0.90)

# ----------------------------------------------------------------- hand-written

ROLLUP_SQL = """
WITH c AS (
  SELECT substr(geography, 1, 5) AS geography, period, race, sex,
         CASE WHEN count(value) = count(*) THEN sum(value) END AS value,
         sqrt(sum(CASE WHEN value <> 0 THEN moe * moe ELSE 0 END)
              + coalesce(max(CASE WHEN value = 0 THEN moe END), 0) ^ 2) AS moe,
         sum(CASE WHEN status IN ('suppressed', 'suppressed_complementary') THEN 1 ELSE 0 END)
           AS n_sup
  FROM read_parquet('{glob}') GROUP BY ALL)
SELECT substr(geography, 1, 2) AS geography, period, race, sex,
       sum(value) AS value,
       sqrt(sum(CASE WHEN value <> 0 THEN moe * moe ELSE 0 END)
            + coalesce(max(CASE WHEN value = 0 THEN moe END), 0) ^ 2) AS moe,
       sum(n_sup) AS n_sup
FROM c GROUP BY ALL
"""

# The same table, column for column, as LazySeries.disparity_table (ratio, level 0.90):
# statuses, withheld cells and significance included, so both sides do the same work.
# NOT MATERIALIZED: DuckDB would otherwise materialize t (used twice), ~13% slower.
DISPARITY_SQL = """
WITH t AS NOT MATERIALIZED (
  SELECT geography, period, race, sex, value,
         CASE WHEN moe < 0 THEN NULL ELSE moe END AS moe, status
  FROM read_parquet('{glob}')),
r AS (SELECT geography, period, sex, value AS rv, moe AS rm, status AS rs
      FROM t WHERE race = 'White'),
j AS (
  SELECT t.geography, t.period, t.sex, t.race AS "group", t.value, t.moe, rv, rm,
         t.status IN {withheld} OR coalesce(rs, '') IN {withheld} AS hidden,
         t.value / nullif(rv, 0) AS d,
         sqrt((t.moe / {z}) ^ 2 + (rm / {z}) ^ 2) AS se
  FROM t LEFT JOIN r USING (geography, period, sex) WHERE t.race <> 'White')
SELECT geography, period, sex, "group", 'White' AS reference, value, moe,
       rv AS reference_value, rm AS reference_moe, 'ratio' AS measure,
       CASE WHEN NOT hidden THEN d END AS disparity,
       CASE WHEN NOT hidden THEN abs(sqrt(moe * moe + (abs(d) * rm) ^ 2) / nullif(rv, 0))
       END AS disparity_moe,
       CASE WHEN value IS NULL OR rv IS NULL OR moe IS NULL OR rm IS NULL OR hidden THEN NULL
            WHEN se = 0 THEN false
            ELSE abs(value - rv) / se > {z} END AS significant,
       CASE WHEN hidden THEN 'suppressed_derived'
            WHEN d IS NULL AND (value IS NULL OR rv IS NULL) THEN 'missing'
            WHEN d IS NULL THEN 'not_computable'
            ELSE 'estimate' END AS status
FROM j
"""

# Distinct clients per cell and per margin (race and/or sex totalled), then counts.
RECORDS_SQL = """
WITH cells AS (
  SELECT school, year, race, sex, client, max(completed::INTEGER) AS hit
  FROM read_parquet('{glob}')
  GROUP BY GROUPING SETS ((school, year, race, sex, client), (school, year, race, client),
                          (school, year, sex, client), (school, year, client)))
SELECT school AS geography, CAST(year AS VARCHAR) AS period,
       coalesce(race, '(total)') AS race, coalesce(sex, '(total)') AS sex,
       sum(hit) AS numerator, count(*) AS denominator, 100.0 * sum(hit) / count(*) AS value
FROM cells GROUP BY ALL
"""


def disparity_sql(glob: str, *, ordered: bool) -> str:
    withheld = "(" + ", ".join(f"'{s}'" for s in WITHHELD) + ")"
    sql = DISPARITY_SQL.format(glob=glob, withheld=withheld, z=repr(Z90))
    return sql + ("ORDER BY 1, 2, 3, 4\n" if ordered else "")


# ------------------------------------------------------------------- the data


def _ready(folder: Path, marker: dict[str, Any]) -> bool:
    path = folder / "dataset.json"
    if not path.exists():
        return False
    try:
        return bool(json.loads(path.read_text()) == marker)
    except ValueError:
        return False


def _start(folder: Path) -> None:
    """Empty ``folder`` of an earlier (other or unfinished) dataset."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def _counties() -> np.ndarray:
    """About 3,200 real-shaped 5-digit county codes (state FIPS x odd county numbers)."""
    rng = np.random.default_rng(SEED)
    per_state = rng.integers(5, 120, len(STATES))
    codes = [s * 1000 + 2 * np.arange(n) + 1 for s, n in zip(STATES, per_state, strict=True)]
    return np.concatenate(codes)


def _template() -> fl.IndicatorSeries:
    import pandas as pd

    one = pd.DataFrame(
        {
            "geography": ["01001020100"],
            "period": ["2020"],
            "race": ["White"],
            "sex": ["F"],
            "value": [1.0],
            "moe": [2.0],
        }
    )
    s = fl.IndicatorSeries.from_frame(one, indicator=PEOPLE, dimensions=["race", "sex"], moe="moe")
    return s.with_table(s.table.slice(0, 0))


def _constant(label: str, n: int) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(np.zeros(n, np.int32), pa.array([label]))


def generate_pooled(rows: int, folder: Path) -> tuple[str, int]:
    """Write (or reuse) ``rows`` rows of tract x year x race x sex counts; return glob, rows."""
    tracts = max(rows // PER_TRACT, 1)
    marker = {"kind": "pooled", "rows": rows, "tracts": tracts, "seed": SEED, "format": FORMAT}
    glob = str(folder / "*.parquet")
    if _ready(folder, marker):
        print(f"reusing {tracts * PER_TRACT:,} pooled rows in {folder}", flush=True)
        return glob, tracts * PER_TRACT
    _start(folder)
    t0 = time.perf_counter()
    rng = np.random.default_rng([SEED, rows])
    counties = _counties()
    county_of = np.sort(rng.integers(0, len(counties), tracts))
    first = np.searchsorted(county_of, county_of, side="left")
    rank = np.arange(tracts) - first
    if rank.max() >= 9_999:
        raise SystemExit(f"{rows:,} rows is more tracts per county than 6-digit codes hold")
    codes = counties[county_of] * 1_000_000 + 100 * (rank + 1)
    geoids = pc.utf8_lpad(pa.array(codes).cast(pa.string()), 11, "0")
    del county_of, first, rank, codes
    pattern = np.meshgrid(
        np.arange(len(YEARS)), np.arange(len(RACES)), np.arange(len(SEXES)), indexing="ij"
    )
    year_i, race_i, sex_i = (p.ravel().astype(np.int32) for p in pattern)
    share = np.array(RACE_SHARE)[None, None, :, None]
    growth = (1 + 0.01 * np.arange(len(YEARS)))[None, :, None, None]
    template = _template()
    for part, lo in enumerate(range(0, tracts, TRACTS_PER_FILE)):
        hi = min(lo + TRACTS_PER_FILE, tracts)
        k = hi - lo
        crng = np.random.default_rng([SEED, rows, part])
        people = crng.lognormal(7.9, 0.45, k)[:, None, None, None]  # ~4,000 a tract
        races = crng.poisson(people * share * growth * 0.5 * np.ones((1, 1, 1, len(SEXES))))
        other = crng.poisson(people * 0.04 * growth * 0.5 * np.ones((1, 1, 1, len(SEXES))))
        value = np.concatenate([races, races.sum(axis=2, keepdims=True) + other], axis=2)
        value = value.reshape(-1).astype(np.float64)
        moe = np.round(Z90 * np.sqrt(4 * value + 60) * crng.uniform(0.8, 1.25, len(value)))
        n = k * PER_TRACT
        table = pa.table(
            {
                "indicator": _constant(PEOPLE.id, n),
                "geography": geoids.take(np.repeat(np.arange(lo, hi), PER_TRACT)),
                "period": pa.array(YEARS).take(np.tile(year_i, k)),
                "race": pa.array(RACES).take(np.tile(race_i, k)),
                "sex": pa.array(SEXES).take(np.tile(sex_i, k)),
                "value": value,
                "moe": moe,
                "status": _constant(Status.ESTIMATE.value, n),
            },
            schema=template.table.schema,
        )
        template.with_table(table).to_parquet(folder / f"part-{part:04d}.parquet")
    (folder / "dataset.json").write_text(json.dumps(marker))
    dt = time.perf_counter() - t0
    print(f"generated {tracts * PER_TRACT:,} pooled rows in {dt:.1f} s -> {folder}", flush=True)
    return glob, tracts * PER_TRACT


def generate_records(records: int, folder: Path) -> str:
    """Write (or reuse) ``records`` client records; return their glob."""
    marker = {"kind": "records", "rows": records, "seed": SEED, "format": FORMAT}
    glob = str(folder / "*.parquet")
    if _ready(folder, marker):
        print(f"reusing {records:,} records in {folder}", flush=True)
        return glob
    _start(folder)
    t0 = time.perf_counter()
    rng = np.random.default_rng([SEED, records])
    states = rng.choice(STATES, SCHOOLS)
    districts = rng.integers(10_000, 99_999, SCHOOLS)
    ids = states * 10**10 + districts * 10**5 + np.arange(SCHOOLS) + 1
    schools = pc.utf8_lpad(pa.array(ids).cast(pa.string()), 12, "0")
    clients = max(records * 2 // 5, 1)  # 2.5 records a client on average
    c_race = rng.choice(len(REC_RACES), clients, p=REC_RACE_P).astype(np.int32)
    c_sex = rng.choice(len(REC_SEXES), clients, p=REC_SEX_P).astype(np.int32)
    c_school = rng.integers(0, SCHOOLS, clients)
    c_year = rng.integers(REC_YEARS[0], REC_YEARS[1] + 1, clients)
    c_done = rng.uniform(0.5, 0.9, clients)  # each client's chance of completing
    for part, lo in enumerate(range(0, records, RECORDS_PER_FILE)):
        n = min(RECORDS_PER_FILE, records - lo)
        crng = np.random.default_rng([SEED, records, part])
        who = crng.integers(0, clients, n)
        year = np.minimum(c_year[who] + crng.integers(0, 2, n), REC_YEARS[1])
        client = pc.binary_join_element_wise(
            "S", pc.utf8_lpad(pa.array(who).cast(pa.string()), 9, "0"), ""
        )
        table = pa.table(
            {
                "client": client,
                "school": schools.take(c_school[who]),
                "race": pa.array(REC_RACES).take(c_race[who]),
                "sex": pa.array(REC_SEXES).take(c_sex[who]),
                "year": year.astype(np.int32),
                "completed": crng.random(n) < c_done[who],
                "better_off": pa.array(crng.random(n) < 0.6, mask=crng.random(n) < 0.2),
            }
        )
        pq.write_table(table, folder / f"records-{part:04d}.parquet")
    (folder / "dataset.json").write_text(json.dumps(marker))
    dt = time.perf_counter() - t0
    print(f"generated {records:,} records in {dt:.1f} s -> {folder}", flush=True)
    return glob


# ------------------------------------------------------------ measuring a run


def _vm_hwm_mb(pid: int | str = "self") -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _descendants() -> list[int]:
    """Process ids below this one (Spark's JVM and its Python workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [os.getpid()]
    while todo:
        kids = children.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def _reset_peak(pids: list[int]) -> bool:
    """Reset the high-water marks of this process and ``pids``; False where the kernel refuses."""
    ok = True
    for pid in ["self", *pids]:
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            ok = False
    return ok


class Side:
    """One contender of a comparison: its runs' seconds and peak RSS."""

    def __init__(self, name: str, fn: Callable[[], Any], summary: Callable[[Any], Any]) -> None:
        self.name, self.fn, self.summary = name, fn, summary
        self.times: list[float] = []
        self.peaks: list[float] = []
        self.checked: Any = None

    def run(self, label: str, *, warm: bool, children: bool, exact: bool) -> None:
        gc.collect()
        pids = _descendants() if children else []
        exact = _reset_peak(pids) and exact
        t0 = time.perf_counter()
        result = self.fn()
        dt = time.perf_counter() - t0
        peak = _vm_hwm_mb() + sum(_vm_hwm_mb(p) for p in (_descendants() if children else []))
        if not exact:  # monotonic fallback: the process's peak so far
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if warm or self.checked is None:
            self.checked = self.summary(result)
        if not warm:
            self.times.append(dt)
        self.peaks.append(peak)
        del result
        what = "warm-up" if warm else f"run {len(self.times)}"
        print(f"  {label:34s} {self.name:13s} {what:8s} {dt:8.2f} s  peak {peak:7.0f} MB")
        sys.stdout.flush()

    def result(self) -> dict[str, float]:
        return {
            "median": statistics.median(self.times),
            "min": min(self.times),
            "peak_mb": max(self.peaks),
        }


def compare(label: str, sides: list[Side], repeat: int, *, children: bool = False) -> None:
    """Warm each side up once, then alternate them ``repeat`` times (order flips each round)."""
    exact = _reset_peak([])
    if not exact:
        print("  (no /proc/self/clear_refs here: peaks are the process's so far)")
    for side in sides:
        side.run(label, warm=True, children=children, exact=exact)
    for i in range(repeat):
        for side in sides if i % 2 == 0 else sides[::-1]:
            side.run(label, warm=False, children=children, exact=exact)


def check(label: str, a: Side, b: Side) -> str:
    """Compare the two sides' result summaries (numbers to 1e-9 relative)."""
    x, y = a.checked, b.checked
    same = len(x) == len(y) and all(
        np.isclose(p, q, rtol=1e-9, equal_nan=True) for p, q in zip(x, y, strict=True)
    )
    note = "results agree" if same else f"RESULTS DIFFER: {x} vs {y}"
    print(f"  {label}: {note}", flush=True)
    return "" if same else "results differ!"


def row(step: str, ours: Side, hand: Side | None, note: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "step": step,
        "ours": ours.result(),
        "hand": hand.result() if hand is not None else None,
        "note": note,
        **extra,
    }


# --------------------------------------------------------------------- steps


def _duckdb(spill: str) -> Any:
    from feedbackloop.engines import connect

    con = connect("duckdb", memory_limit="4GB", temp_directory=spill, threads=2)
    raw = con.con
    # fetchall, not fetchone: DuckDB 2 refuses other work while a result is unfinished
    version, limit, threads = raw.execute(
        "SELECT version(), current_setting('memory_limit'), current_setting('threads')"
    ).fetchall()[0]
    print(f"  duckdb {version}: memory_limit {limit}, threads {threads}")
    return con


def _sum_table(t: pa.Table, count: str, *cols: str) -> tuple[float, ...]:
    """Rows and column sums of an Arrow table or DataFrame, as a comparable summary."""
    if not isinstance(t, pa.Table):
        t = pa.Table.from_pandas(t, preserve_index=False)
    out = [float(t.num_rows)]
    for c in cols:
        col = t.column(c)
        if pa.types.is_boolean(col.type):
            col = col.cast(pa.int64())
        out.append(float(pc.sum(col).as_py() or 0))
    out.append(float(pc.count(t.column(count)).as_py()))
    return tuple(out)


def _rollup_summary(t: pa.Table) -> tuple[float, ...]:
    return _sum_table(t, "moe", "value", "moe")


def step_rollup(glob: str, rows: int, spill: str, repeat: int, size: str) -> dict[str, Any]:
    con = _duckdb(spill)
    raw = con.con

    def ours() -> pa.Table:
        lz = fl.scan(glob, con=con)
        return lz.rollup(to="county").rollup(to="state").to_arrow()

    def hand() -> pa.Table:
        return raw.sql(ROLLUP_SQL.format(glob=glob)).to_arrow_table()

    summary = _rollup_summary
    a, b = Side("feedbackloop", ours, summary), Side("hand SQL", hand, summary)
    label = f"rollup {size} ({rows / 1e6:g}M)"
    compare(label, [a, b], repeat)
    bad = check(label, a, b)
    speed = rows / a.result()["median"]
    return row(
        f"DuckDB roll-up tract→county→state, {rows / 1e6:g}M rows",
        a,
        b,
        f"{speed / 1e6:.2f}M rows/s {bad}".strip(),
        rows_per_s=speed,
        hand_rows_per_s=rows / b.result()["median"],
        size=size,
    )


def step_disparity_out(glob: str, rows: int, spill: str, repeat: int) -> dict[str, Any]:
    con = _duckdb(spill)
    raw = con.con
    out = Path(spill).parent / "disparity-out"
    out.mkdir(exist_ok=True)
    ours_path, hand_path = out / "feedbackloop.parquet", out / "hand.parquet"

    def ours() -> Path:
        lz = fl.scan(glob, con=con)
        lz.disparity_table("race", "White").to_parquet(ours_path)
        return ours_path

    def hand() -> Path:
        sql = disparity_sql(glob, ordered=False)
        raw.execute(f"COPY ({sql}) TO '{hand_path}' (FORMAT parquet)").fetchall()
        return hand_path

    def summary(path: Path) -> tuple[float, ...]:
        s = raw.execute(
            f"SELECT count(*), sum(disparity), sum(disparity_moe), sum(significant::INT), "
            f"count(DISTINCT status) FROM read_parquet('{path}')"
        ).fetchall()
        return tuple(float(v) for v in s[0])

    a, b = Side("feedbackloop", ours, summary), Side("hand SQL", hand, summary)
    label = f"disparity to Parquet ({rows / 1e6:g}M)"
    compare(label, [a, b], repeat)
    bad = check(label, a, b)
    shutil.rmtree(out)
    return row(f"DuckDB disparity vs White → Parquet, {rows / 1e6:g}M rows", a, b, bad)


def step_disparity_frame(glob: str, rows: int, spill: str, repeat: int) -> dict[str, Any]:
    con = _duckdb(spill)
    raw = con.con

    def ours() -> Any:
        return fl.scan(glob, con=con).disparity("race", "White")

    def hand() -> Any:
        return raw.sql(disparity_sql(glob, ordered=True)).df()

    def summary(df: Any) -> tuple[float, ...]:
        sig = df["significant"].astype("boolean").fillna(False).astype(bool)
        head = df["disparity"].head(1000).to_numpy(dtype=float, na_value=np.nan)
        return (float(len(df)), float(df["disparity"].sum()), float(sig.sum()), *head.tolist())

    a, b = Side("feedbackloop", ours, summary), Side("hand SQL .df()", hand, summary)
    label = f"disparity DataFrame ({rows / 1e6:g}M)"
    compare(label, [a, b], repeat)
    bad = check(label, a, b)
    return row(f"DuckDB disparity vs White → DataFrame, {rows / 1e6:g}M rows", a, b, bad)


def step_spark(glob: str, rows: int, repeat: int) -> dict[str, Any]:
    from pyspark.sql import functions as F

    from feedbackloop.engines import spark_session

    # No progress bars in the log (read when the JVM starts, before the session exists).
    os.environ.setdefault(
        "PYSPARK_SUBMIT_ARGS", "--conf spark.ui.showConsoleProgress=false pyspark-shell"
    )
    session = spark_session()
    print(f"  spark {session.version}, master {session.sparkContext.master}")

    def ours() -> pa.Table:
        lz = fl.scan(glob, engine="spark")
        return lz.rollup(to="county").rollup(to="state").to_arrow()

    def hand() -> pa.Table:
        df = session.read.parquet(glob)
        for n in (5, 2):
            df = df.withColumn("geography", F.substring("geography", 1, n))
            df = df.groupBy("geography", "period", "race", "sex").agg(
                F.sum("value").alias("value"),
                F.sqrt(
                    F.sum(F.when(F.col("value") != 0, F.col("moe") ** 2).otherwise(0))
                    + F.coalesce(F.max(F.when(F.col("value") == 0, F.col("moe"))), F.lit(0.0)) ** 2
                ).alias("moe"),
                F.lit("estimate").alias("status"),
            )
        return df.toArrow()

    summary = _rollup_summary
    a, b = Side("feedbackloop", ours, summary), Side("hand PySpark", hand, summary)
    label = f"spark rollup ({rows / 1e6:g}M)"
    compare(label, [a, b], repeat, children=True)
    bad = check(label, a, b)
    note = f"peak: driver + JVM {bad}".strip()
    return row(f"Spark local[2] roll-up, {rows / 1e6:g}M rows", a, b, note)


def step_records(
    glob: str, records: int, spill: str, repeat: int, suppress_repeat: int
) -> list[dict[str, Any]]:
    from feedbackloop import engines
    from feedbackloop.privacy import SuppressionPolicy

    con = _duckdb(spill)
    raw = con.con
    from_records: Any = engines.from_records
    args: dict[str, Any] = {
        "client": "client",
        "period": "year",
        "geography": "school",
        "dimensions": ["race", "sex"],
        "con": con,
    }

    def counts() -> pa.Table:
        return from_records(glob, "completed", **args).to_arrow()

    def suppressed() -> pa.Table:
        lz = from_records(glob, "completed", **args)
        return lz.suppress(SuppressionPolicy(threshold=10)).to_arrow()

    def hand() -> pa.Table:
        return raw.sql(RECORDS_SQL.format(glob=glob)).to_arrow_table()

    def summary(t: pa.Table) -> tuple[float, ...]:
        return _sum_table(t, "value", "numerator", "denominator")

    def summary_sup(t: pa.Table) -> tuple[float, ...]:
        hidden = pc.sum(pc.is_in(t.column("status").cast(pa.string()), pa.array(WITHHELD)))
        return (float(t.num_rows), float(hidden.as_py() or 0))

    a, b = Side("feedbackloop", counts, summary), Side("hand SQL", hand, summary)
    c = Side("+ suppression", suppressed, summary_sup)
    label = f"from_records ({records / 1e6:g}M)"
    compare(label, [a, b], repeat)
    # Minutes a run (an LP audit per table): timed suppress_repeat times, no warm-up of its
    # own; its relational half is the query just warmed, and scipy is imported beforehand.
    import scipy.optimize  # noqa: F401

    for _ in range(suppress_repeat):
        c.run(label, warm=False, children=False, exact=_reset_peak([]))
    bad = check(label + " counts", a, b)
    print(f"  suppression: {c.checked[1]:.0f} of {c.checked[0]:.0f} cells withheld")
    whole, part = c.result()["median"], a.result()["median"]
    share = (whole - part) / whole
    n = f"{records / 1e6:g}M"
    return [
        row(f"from_records counts (school×year×race×sex), {n} records", a, b, bad),
        row(
            f"from_records + complementary suppression, {n} records",
            c,
            None,
            f"map-groups stage {share:.0%} of the time",
            map_share=share,
        ),
    ]


def step_memory(glob: str, rows: int, repeat: int) -> list[dict[str, Any]]:
    t0 = time.perf_counter()
    series = fl.scan(glob).collect()
    print(f"  collected {len(series):,} rows in {time.perf_counter() - t0:.1f} s")

    def rollup() -> Any:
        return series.rollup(to="county").rollup(to="state")

    def disparity() -> Any:
        return series.disparity("race", "White")

    out = []
    for name, fn in (("roll-up", rollup), ("disparity", disparity)):
        side = Side("in-memory", fn, len)
        compare(f"{name} ({rows / 1e6:g}M)", [side], repeat)
        what = "roll-up tract→county→state" if name == "roll-up" else "disparity vs White"
        out.append(row(f"in-memory {what}, {rows / 1e6:g}M rows", side, None))
    return out


def in_fresh_process(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)`` in a new interpreter (``spawn``): its own memory, caches and peak."""
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx) as pool:
        return pool.submit(fn, *args).result()


# ---------------------------------------------------------------------- main


def _seconds(r: dict[str, float] | None) -> str:
    if r is None:
        return "—"
    return f"{r['median']:.2f} (min {r['min']:.2f})"


def _gb(mb: float) -> str:
    return f"{mb / 1024:.2f}"


def table(rows: list[dict[str, Any]], repeat: int) -> str:
    lines = [
        (
            f"| step | feedbackloop s (median of {repeat}) | hand-written s | ratio "
            "| peak RSS GB (ours / hand) | notes |"
        ),
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        ours, hand = r["ours"], r["hand"]
        ratio = f"{ours['median'] / hand['median']:.2f}x" if hand else "—"
        peak = _gb(ours["peak_mb"]) + (f" / {_gb(hand['peak_mb'])}" if hand else "")
        lines.append(
            f"| {r['step']} | {_seconds(ours)} | {_seconds(hand)} | {ratio} | {peak} "
            f"| {r['note']} |"
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=15_000_000, help="pooled rows (DuckDB)")
    p.add_argument("--small-rows", type=int, default=1_500_000, help="for linearity")
    p.add_argument("--spark-rows", type=int, default=2_000_000)
    p.add_argument("--records", type=int, default=2_000_000)
    p.add_argument("--memory-rows", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3, help="timed runs per side")
    p.add_argument(
        "--suppress-repeat", type=int, default=1, help="timed runs of from_records + suppress"
    )
    p.add_argument("--data", type=Path, help="data folder, kept and reused (default: temporary)")
    p.add_argument("--skip", default="", help="comma-separated groups: " + ",".join(GROUPS))
    opts = p.parse_args()
    skip = {s.strip() for s in opts.skip.split(",") if s.strip()}
    if skip - set(GROUPS):
        p.error(f"--skip takes {', '.join(GROUPS)} (got {', '.join(sorted(skip - set(GROUPS)))})")
    if opts.repeat < 1 or opts.suppress_repeat < 1:
        p.error("--repeat and --suppress-repeat must be at least 1")
    tmp = None
    if opts.data is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench_scale_")
        opts.data = Path(tmp.name)
    try:
        run(opts, skip)
    finally:
        if tmp is not None:
            tmp.cleanup()


def run(opts: argparse.Namespace, skip: set[str]) -> None:
    import duckdb
    import ibis

    data: Path = opts.data.resolve()
    data.mkdir(parents=True, exist_ok=True)
    spill = str(data / "duckdb_spill")
    print(
        f"bench_scale: {os.cpu_count()} cores, duckdb {duckdb.__version__}, ibis "
        f"{ibis.__version__}, pyarrow {pa.__version__}, data in {data}",
        flush=True,
    )

    def pooled(n: int) -> tuple[str, int]:
        return generate_pooled(n, data / f"pooled-{n}")

    results: list[dict[str, Any]] = []
    if "rollup" not in skip:
        for size, n in (("small", opts.small_rows), ("big", opts.rows)):
            glob, actual = pooled(n)
            results.append(in_fresh_process(step_rollup, glob, actual, spill, opts.repeat, size))
    if "disparity" not in skip:
        glob, actual = pooled(opts.rows)
        results.append(in_fresh_process(step_disparity_out, glob, actual, spill, opts.repeat))
        glob, actual = pooled(opts.small_rows)
        results.append(in_fresh_process(step_disparity_frame, glob, actual, spill, opts.repeat))
    if "spark" not in skip:
        glob, actual = pooled(opts.spark_rows)
        results.append(in_fresh_process(step_spark, glob, actual, opts.repeat))
    if "records" not in skip:
        import feedbackloop.engines

        glob = generate_records(opts.records, data / f"records-{opts.records}")
        if hasattr(feedbackloop.engines, "from_records"):
            results += in_fresh_process(
                step_records, glob, opts.records, spill, opts.repeat, opts.suppress_repeat
            )
        else:
            print("from_records: skipped: from_records not available", flush=True)
    if "memory" not in skip:
        glob, actual = pooled(opts.memory_rows)
        results += in_fresh_process(step_memory, glob, actual, opts.repeat)

    print()
    print(table(results, opts.repeat))
    sizes = {r["size"]: r for r in results if "size" in r}
    if {"small", "big"} <= set(sizes):
        big, small = sizes["big"], sizes["small"]
        print(
            f"\nlinearity (rows/s at big / rows/s at small): feedbackloop "
            f"{big['rows_per_s'] / small['rows_per_s']:.2f}, hand-written SQL "
            f"{big['hand_rows_per_s'] / small['hand_rows_per_s']:.2f} (target >= 0.8)"
        )


if __name__ == "__main__":
    main()
