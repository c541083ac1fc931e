"""Benchmark a Census pull: every tract of a state, many variables, 50 ms per request.

Workload (issue #5): 1,500 tracts (real-shaped 11-digit GEOIDs in 20 counties of state
06, fixed seed) served by the local fake Census API (tests/census_server.py, a real
ThreadingHTTPServer on 127.0.0.1, run in a child process, answers rendered once and
kept, so that what is timed is the client plus the latency) that sleeps ``--latency``
(50 ms) before every answer.
Two pulls:

- ``120 api vars``: 60 estimates with their MOEs (120 names in ``get=``);
- ``120 estimates``: 120 estimates with their MOEs (240 names in ``get=``).

For each: data requests made versus the minimum (``ceil(names / 49)``: GEO_ID rides in
every chunk so chunks can be joined), wall time of a cold pull (metadata already
cached, as after the first pull of a vintage) against the floor
``ceil(requests / concurrency) x latency``, and a cached re-run (zero requests).

Peer: a hand-written client doing what a script would do: ``httpx.Client``, one
request per chunk in turn, pandas merge on GEO_ID, ``pd.to_numeric`` (no sentinel
decoding, no statuses, no series). Prints times and ratios to the fastest.

Run: python benchmarks/bench_census.py [--tracts 1500] [--latency 0.05] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from census_server import CensusServer, geo_row, modern_geography, variables_doc
from feedbackloop import census

KEY = "bench-key"


class Remote:
    """The fake API running in a child process (so it does not share our GIL)."""

    def __init__(self, n_tracts: int, n_vars: int, latency: float) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, n_tracts, n_vars, latency), daemon=True)
        self.proc.start()
        self.url, self.names = parent.recv()

    def _get(self, path: str) -> dict[str, int]:
        import httpx

        root = self.url.rsplit("/data", 1)[0]
        result: dict[str, int] = httpx.get(root + path).json()
        return result

    def reset(self) -> None:
        self._get("/_reset")

    def count(self, kind: str = "data") -> int:
        return self._get("/_stats")[kind]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.join()


def _serve(conn: Any, n_tracts: int, n_vars: int, latency: float) -> None:
    server = build_server(n_tracts, n_vars, latency)
    names = [
        v
        for v in server.datasets[(2022, "acs/acs5")].variables["variables"]
        if v.endswith("E") and v.startswith("B")
    ]
    conn.send((server.url, names))
    while True:
        time.sleep(3600)


def build_server(n_tracts: int, n_vars: int, latency: float) -> CensusServer:
    rng = np.random.default_rng(5)
    specs = {
        f"B{90000 + i // 40:05d}_{i % 40 + 1:03d}E": (
            f"Estimate!!Total:!!Line {i}",
            "SYNTHETIC COUNTS",
            f"B{90000 + i // 40:05d}",
        )
        for i in range(n_vars)
    }
    counties = [f"{c:03d}" for c in range(1, 41, 2)]
    rows = []
    for t in range(n_tracts):
        county = counties[t % len(counties)]
        row = geo_row(
            "140",
            f"Census Tract {t}",
            state="06",
            county=county,
            tract=f"{100 + t:04d}{t % 100:02d}",
        )
        est = rng.integers(0, 5000, size=n_vars)
        moe = rng.integers(1, 400, size=n_vars)
        for (name, _), e, m in zip(specs.items(), est, moe, strict=True):
            row[name] = str(e)
            row[name[:-1] + "M"] = str(m)
        rows.append(row)
    server = CensusServer(key=KEY, latency=latency, memo=True).start()
    server.add(
        2022,
        "acs/acs5",
        variables=variables_doc(specs, annotations=False),
        geography=modern_geography(),
        rows=rows,
    )
    return server


def peer_pull(server: Remote, names: list[str]) -> Any:
    """A hand-written sequential pull: chunk, GET each, merge on GEO_ID, to_numeric."""
    import httpx
    import pandas as pd

    get = [n for v in names for n in (v, v[:-1] + "M")]
    frames = []
    with httpx.Client(timeout=30) as client:
        for i in range(0, len(get), 49):
            chunk = ["GEO_ID", *get[i : i + 49]]
            r = client.get(
                f"{server.url}/2022/acs/acs5",
                params={"get": ",".join(chunk), "for": "tract:*", "in": "state:06", "key": KEY},
            )
            rows = r.json()
            frames.append(pd.DataFrame(rows[1:], columns=rows[0]).set_index("GEO_ID"))
    out = frames[0]
    for f in frames[1:]:
        out = out.join(f[[c for c in f.columns if c not in out.columns]])
    for c in get:
        out[c] = pd.to_numeric(out[c])
    return out


def timed(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tracts", type=int, default=1500)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=4)
    args = ap.parse_args()
    server = Remote(args.tracts, 120, args.latency)
    all_names = server.names
    print(
        f"{args.tracts} tracts, latency {args.latency * 1000:.0f} ms/request, "
        f"concurrency {args.concurrency}, median of {args.repeat}\n"
    )
    header = (
        f"{'pull':<15} {'tool':<24} {'data req':>8} {'min req':>7} {'median s':>9} "
        f"{'floor s':>8} {'x fastest':>9}"
    )
    print(header)
    print("-" * len(header))
    try:
        for label, n_est in (("120 api vars", 60), ("120 estimates", 120)):
            names = all_names[:n_est]
            minimum = census.minimum_requests(2 * n_est)
            with tempfile.TemporaryDirectory() as tmp:
                common = {
                    "dataset": "acs/acs5",
                    "year": 2022,
                    "variables": names,
                    "geography": "tract",
                    "within": {"state": "06"},
                    "key": KEY,
                    "base_url": server.url,
                    "progress": False,
                }
                # fill the metadata cache once (a vintage's first pull); the server keeps
                # its rendered answers, so what is timed is the client and the latency
                census.read_census(**common, cache_dir=Path(tmp) / "warm")
                peer_pull(server, names)
                results: dict[str, tuple[int, float]] = {}
                for conc in (args.concurrency, 1):
                    server.reset()

                    def cold(conc: int = conc, common: dict[str, Any] = common) -> None:
                        census.read_census(
                            **common, cache_dir=Path(tmp) / "warm", max_age=0, concurrency=conc
                        )

                    t = timed(cold, args.repeat)
                    results[f"feedbackloop (conc {conc})"] = (
                        server.count("data") // args.repeat,
                        t,
                    )
                server.reset()
                t = timed(lambda names=names: peer_pull(server, names), args.repeat)
                results["peer httpx sequential"] = (server.count("data") // args.repeat, t)
                server.reset()
                t = timed(
                    lambda common=common: census.read_census(
                        **common, cache_dir=Path(tmp) / "warm"
                    ),
                    args.repeat,
                )
                results["feedbackloop cached"] = (server.count("data") // args.repeat, t)
                fastest = min(t for _, t in results.values())
                for tool, (n, t) in results.items():
                    conc = 1 if "conc 1" in tool or "peer" in tool else args.concurrency
                    floor = 0.0 if "cached" in tool else math.ceil(minimum / conc) * args.latency
                    print(
                        f"{label:<15} {tool:<24} {n:>8} {minimum:>7} {t:>9.3f} "
                        f"{floor:>8.3f} {t / fastest:>9.2f}"
                    )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
