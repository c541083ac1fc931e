"""Survey SDR estimates on PUMS-shaped records: feedbackloop against plain pandas/numpy.

    python benchmarks/bench_survey.py [--records 3500000] [--indicators 20] [--pumas 2400]

Records carry a person weight and 80 replicate weights (float64, as pandas reads PUMS),
race (9 groups), sex (2) and a PUMA; each indicator is a 0/1 column. Both sides compute
the same thing: for each indicator, the weighted proportion by PUMA x race x sex with the
ACS successive-difference variance 4/80 Σ (θr - θ)² around the full-sample estimate.
feedbackloop also counts records per cell, sets statuses and builds a validated series.
Peak memory is traced with tracemalloc (numpy and pandas buffers included), beside the
input frame's size.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd

from feedbackloop.survey import SurveyDesign, estimate

R = 80


def make(records: int, indicators: int, pumas: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    w = rng.integers(1, 200, records).astype(np.float64)
    cols = {
        "PUMA": pd.Categorical(rng.integers(0, pumas, records).astype(str).astype(object)).astype(
            str
        ),
        "RAC1P": rng.integers(1, 10, records).astype(str),
        "SEX": rng.integers(1, 3, records).astype(str),
        "PWGTP": w,
    }
    frame = pd.DataFrame(cols)
    reps = w[:, None] * rng.uniform(0.5, 1.5, (records, R)).round(2)
    frame = pd.concat(
        [frame, pd.DataFrame(reps, columns=[f"PWGTP{r}" for r in range(1, R + 1)])], axis=1
    )
    for i in range(indicators):
        frame[f"y{i}"] = (rng.random(records) < 0.1 + 0.04 * i).astype(np.int8)
    return frame


def baseline(frame: pd.DataFrame, items: list[str]) -> dict[str, pd.DataFrame]:
    """Straightforward pandas: weighted sums of every weight column by cell, then SDR."""
    keys = ["PUMA", "RAC1P", "SEX"]
    wcols = ["PWGTP", *[f"PWGTP{r}" for r in range(1, R + 1)]]
    den = frame.groupby(keys, sort=True)[wcols].sum()
    out = {}
    for item in items:
        num = frame[wcols].mul(frame[item], axis=0).groupby([frame[k] for k in keys]).sum()
        theta = (num / den).to_numpy()
        var = 4 / R * ((theta[:, 1:] - theta[:, :1]) ** 2).sum(axis=1)
        out[item] = pd.DataFrame(
            {"value": theta[:, 0] * 100, "moe": 1.645 * np.sqrt(var) * 100}, index=den.index
        )
    return out


def ours(frame: pd.DataFrame, items: list[str]) -> dict[str, pd.DataFrame]:
    design = SurveyDesign(weights="PWGTP", replicate_weights="PWGTP", replicate_method="sdr")
    out = {}
    for item in items:
        s = estimate(
            frame,
            value=item,
            design=design,
            dimensions=["RAC1P", "SEX"],
            geography="PUMA",
            period="2022",
            totals=False,
            policy=None,
        )
        out[item] = s.frame
    return out


def timed(fn, *args):  # type: ignore[no-untyped-def]
    tracemalloc.start()
    t = time.perf_counter()
    result = fn(*args)
    elapsed = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, elapsed, peak


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=3_500_000)
    ap.add_argument("--indicators", type=int, default=20)
    ap.add_argument("--pumas", type=int, default=2400)
    a = ap.parse_args()
    frame = make(a.records, a.indicators, a.pumas)
    size = frame.memory_usage(deep=True).sum()
    items = [f"y{i}" for i in range(a.indicators)]
    small = frame.iloc[:50_000]
    want, got = baseline(small, items[:2]), ours(small, items[:2])
    for item in items[:2]:  # same numbers before timing
        g = got[item].set_index(["geography", "RAC1P", "SEX"]).sort_index()
        w = want[item].sort_index()
        assert np.allclose(g["value"].to_numpy(), w["value"].to_numpy(), rtol=1e-9)
        assert np.allclose(g["moe"].to_numpy(), w["moe"].to_numpy(), rtol=1e-9)
    print(
        f"records {a.records:,}  indicators {a.indicators}  PUMAs {a.pumas}  "
        f"input {size / 2**30:.2f} GiB"
    )
    for name, fn in (("pandas/numpy", baseline), ("feedbackloop", ours)):
        _, secs, peak = timed(fn, frame, items)
        print(f"{name:14s} {secs:8.1f} s   peak +{peak / 2**30:.2f} GiB ({peak / size:.2f}x input)")


if __name__ == "__main__":
    main()
