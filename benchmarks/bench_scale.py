"""Out-of-core engines vs hand-written SQL / PySpark (issue 18).

Usage: python benchmarks/bench_scale.py [ROWS] [SPARK_ROWS]

Generates (fixed seed, outside git, in a temp folder) a pooled Parquet dataset of
tract x year x race x sex counts with MOEs and times, in one run:

- roll-up tract -> county -> state with MOE on DuckDB (memory limit 4 GB) vs the
  same work in hand-written DuckDB SQL;
- disparity against a reference race vs hand-written SQL;
- the same roll-up on Spark local[2] (at SPARK_ROWS) vs hand-written PySpark;
- the in-memory engine on the same roll-up at ROWS.

Peak RSS of this process (ru_maxrss) is printed after each step.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

import feedbackloop as fl
from feedbackloop import Indicator

PEOPLE = Indicator(id="people", name="People", unit="people", direction="higher_is_better")
RACES = ["Asian", "Black", "Hispanic", "White", "(total)"]
SEXES = ["F", "M"]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(rows: int, folder: Path) -> str:
    rng = np.random.default_rng(18)
    folder.mkdir(parents=True, exist_ok=True)
    per_tract = len(RACES) * len(SEXES) * 5  # 5 years
    tracts = max(rows // per_tract, 1)
    states = rng.integers(1, 57, tracts)
    counties = rng.integers(1, 200, tracts)
    geos = np.array(
        [f"{s:02d}{c:03d}{t:06d}" for s, c, t in zip(states, counties, range(tracts), strict=True)]
    )
    chunk = max(tracts // 8, 1)
    for i, lo in enumerate(range(0, tracts, chunk)):
        g = geos[lo : lo + chunk]
        n = len(g) * per_tract
        years, races, sexes = np.meshgrid(
            np.arange(2018, 2023).astype(str), RACES, SEXES, indexing="ij"
        )
        keys = len(years.ravel())
        value = rng.integers(0, 500, n).astype(float)
        table = pa.table(
            {
                "geography": np.repeat(g, keys),
                "period": np.tile(years.ravel(), len(g)),
                "race": np.tile(races.ravel(), len(g)),
                "sex": np.tile(sexes.ravel(), len(g)),
                "value": value,
                "moe": rng.integers(1, 80, n).astype(float),
            }
        )
        s = fl.IndicatorSeries.from_arrow(
            fl.IndicatorSeries.from_frame(
                table.slice(0, 1).to_pandas(),
                indicator=PEOPLE,
                dimensions=["race", "sex"],
                moe="moe",
            )
            .with_table(
                pa.table(
                    {
                        "indicator": pa.array(["people"] * n).dictionary_encode(),
                        **{c: table.column(c) for c in table.column_names},
                        "status": pa.array(["estimate"] * n).dictionary_encode(),
                    }
                )
            )
            .to_arrow()
        )
        s.to_parquet(folder / f"part-{i:03d}.parquet")
    return str(folder / "*.parquet")


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

DISPARITY_SQL = """
WITH t AS (SELECT * FROM read_parquet('{glob}')),
r AS (SELECT geography, period, sex, value AS rv, moe AS rm FROM t WHERE race = 'White')
SELECT t.geography, t.period, t.sex, t.race AS "group", t.value, t.moe, rv, rm,
       CASE WHEN rv = 0 THEN NULL ELSE t.value / rv END AS disparity,
       abs(sqrt(t.moe * t.moe + (abs(t.value / nullif(rv, 0)) * rm) ^ 2) / nullif(rv, 0)) AS dm,
       abs(t.value - rv) / sqrt((t.moe / 1.645) ^ 2 + (rm / 1.645) ^ 2) > 1.645 AS sig
FROM t LEFT JOIN r USING (geography, period, sex) WHERE t.race <> 'White'
ORDER BY 1, 2, 3, 4
"""


def timed(label: str, fn: Any) -> float:
    t = time.perf_counter()
    fn()
    dt = time.perf_counter() - t
    print(f"{label:45s} {dt:8.2f} s   peak RSS {rss_mb():8.0f} MB", flush=True)
    return dt


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 15_000_000
    spark_rows = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000
    import duckdb

    with tempfile.TemporaryDirectory() as tmp:
        glob = generate(rows, Path(tmp) / "pooled")
        print(f"rows {rows:,}")
        con = duckdb.connect(config={"memory_limit": "4GB", "threads": 2})
        lz = fl.scan(glob, memory_limit="4GB")
        a = timed(
            "duckdb rollup (feedbackloop)",
            lambda: lz.rollup(to="county").rollup(to="state").to_arrow(),
        )
        b = timed(
            "duckdb rollup (hand SQL)",
            lambda: con.sql(ROLLUP_SQL.format(glob=glob)).to_arrow_table(),
        )
        c = timed("duckdb disparity (feedbackloop)", lambda: lz.disparity("race", "White"))
        d = timed(
            "duckdb disparity (hand SQL)",
            lambda: con.sql(DISPARITY_SQL.format(glob=glob)).to_arrow_table(),
        )
        series = fl.scan(glob).collect()
        e = timed("in-memory rollup", lambda: series.rollup(to="county").rollup(to="state"))
        print(f"ratios: rollup {a / b:.2f}x, disparity {c / d:.2f}x; in-memory {e:.2f} s")
        # The first query pays for warm-up; a shared machine adds noise: best of 3 as well.
        a3 = min(
            timed(
                "duckdb rollup again (feedbackloop)",
                lambda: lz.rollup(to="county").rollup(to="state").to_arrow(),
            )
            for _ in range(3)
        )
        b3 = min(
            timed(
                "duckdb rollup again (hand SQL)",
                lambda: con.sql(ROLLUP_SQL.format(glob=glob)).to_arrow_table(),
            )
            for _ in range(3)
        )
        print(f"rollup, best of 3: {a3:.2f} s vs {b3:.2f} s, ratio {a3 / b3:.2f}x")
        spark_glob = generate(spark_rows, Path(tmp) / "small")
        from pyspark.sql import functions as F

        ls = fl.scan(spark_glob, engine="spark")
        session = ls.con._session
        f = timed(
            "spark rollup (feedbackloop)",
            lambda: ls.rollup(to="county").rollup(to="state").to_arrow(),
        )

        def hand() -> None:
            df = session.read.parquet(spark_glob)
            for n in (5, 2):
                df = df.withColumn("geography", F.substring("geography", 1, n))
                df = df.groupBy("geography", "period", "race", "sex").agg(
                    F.sum("value").alias("value"),
                    F.sqrt(
                        F.sum(F.when(F.col("value") != 0, F.col("moe") ** 2).otherwise(0))
                        + F.coalesce(F.max(F.when(F.col("value") == 0, F.col("moe"))), F.lit(0.0))
                        ** 2
                    ).alias("moe"),
                    F.lit("estimate").alias("status"),
                )
            df.toArrow()

        g = timed("spark rollup (hand PySpark)", hand)
        print(f"spark rows {spark_rows:,}: ratio {f / g:.2f}x")


if __name__ == "__main__":
    main()
