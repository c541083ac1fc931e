"""Benchmark a Census pull: every tract of a state, many variables, 50 ms per request.

Workload (issue #5): 1,500 tracts (real-shaped 11-digit GEOIDs in 20 counties of state
06, fixed seed) served by the local fake Census API (tests/census_server.py: a real
ThreadingHTTPServer on 127.0.0.1 in front of feedbackloop.testing.CensusMock, run in a
child process, answers rendered once and kept, so that what is timed is the client plus
the latency) that sleeps ``--latency`` (50 ms) before every answer.
Two pulls:

- ``120 api vars``: 60 estimates with their MOEs (120 names in ``get=``);
- ``120 estimates``: 120 estimates with their MOEs (240 names in ``get=``).

For each: requests made versus the minimum (``ceil(names / 49)``: GEO_ID rides in every
chunk so chunks can be joined) and wall time against the floor
``ceil(requests / concurrency) x latency``, for

- a cold pull: the data cache emptied before each run (untimed), the metadata cached, as
  after a vintage's first pull;
- a first pull: nothing cached (the 2 metadata requests add one latency to the floor);
- a cached re-run (zero requests).

Peer: a hand-written client doing what a script would do: ``httpx.Client``, one request
per chunk (in turn, or on 4 threads), pandas merge on GEO_ID, ``pd.to_numeric`` (no
sentinel decoding, no statuses, no cache, no series). Prints times, ratios to the floor and
to the fastest.

Run: python benchmarks/bench_census.py [--tracts 1500] [--latency 0.05] [--repeat 5]
"""

from __future__ import annotations

import argparse
import math
import shutil
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
    server, names = build_server(n_tracts, n_vars, latency)
    conn.send((server.url, names))
    while True:
        time.sleep(3600)


def build_server(n_tracts: int, n_vars: int, latency: float) -> tuple[CensusServer, list[str]]:
    """The fake API serving the workload, started, and the estimates it offers."""
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
    return server, list(specs)


def peer_pull(server: Remote, names: list[str], workers: int = 1) -> Any:
    """A hand-written pull: chunk, GET each (``workers`` threads), merge on GEO_ID, to_numeric."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx
    import pandas as pd

    get = [n for v in names for n in (v, v[:-1] + "M")]
    chunks = [["GEO_ID", *get[i : i + 49]] for i in range(0, len(get), 49)]
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    with httpx.Client(timeout=30, limits=limits) as client:

        def one(chunk: list[str]) -> Any:
            r = client.get(
                f"{server.url}/2022/acs/acs5",
                params={"get": ",".join(chunk), "for": "tract:*", "in": "state:06", "key": KEY},
            )
            rows = r.json()
            return pd.DataFrame(rows[1:], columns=rows[0]).set_index("GEO_ID")

        if workers == 1:
            frames = [one(c) for c in chunks]
        else:
            with ThreadPoolExecutor(workers) as pool:
                frames = list(pool.map(one, chunks))
    out = frames[0]
    for f in frames[1:]:
        out = out.join(f[[c for c in f.columns if c not in out.columns]])
    for c in get:
        out[c] = pd.to_numeric(out[c])
    return out


def timed(fn: Any, repeat: int, setup: Any = None) -> float:
    """Median wall time of ``fn()`` over ``repeat`` runs; ``setup()`` runs untimed before each."""
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tracts", type=int, default=1500)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=4)
    args = ap.parse_args()
    server = Remote(args.tracts, 120, args.latency)
    all_names = server.names
    conc_n = args.concurrency
    print(
        f"{args.tracts} tracts, latency {args.latency * 1000:.0f} ms/request, "
        f"concurrency {conc_n}, median of {args.repeat}\n"
        "cold: data not cached, metadata cached (as after a vintage's first pull); "
        "first pull: nothing cached\n"
    )
    header = (
        f"{'pull':<15} {'tool':<29} {'requests':>8} {'min req':>7} {'median s':>9} "
        f"{'floor s':>8} {'x floor':>7} {'x fastest':>9}"
    )
    print(header)
    print("-" * len(header))
    try:
        for label, n_est in (("120 api vars", 60), ("120 estimates", 120)):
            names = all_names[:n_est]
            minimum = census.minimum_requests(2 * n_est)
            with tempfile.TemporaryDirectory() as tmp:
                cache = Path(tmp) / "cache"
                data_dir = cache / "2022" / "acs" / "acs5" / "data"
                common = {
                    "dataset": "acs/acs5",
                    "year": 2022,
                    "variables": names,
                    "geography": "tract",
                    "within": {"state": "06"},
                    "key": KEY,
                    "base_url": server.url,
                    "progress": False,
                    "cache_dir": cache,
                }
                # one pull to fill the metadata cache and warm the server's rendered answers
                census.read_census(**common)
                peer_pull(server, names)
                # (tool, data requests, metadata requests, seconds, floor in latencies)
                results: list[tuple[str, int, int, float, float]] = []

                def drop_data(data_dir: Path = data_dir) -> None:
                    shutil.rmtree(data_dir, ignore_errors=True)

                def drop_all(cache: Path = cache) -> None:
                    shutil.rmtree(cache, ignore_errors=True)

                for conc in (conc_n, 1):
                    server.reset()

                    def cold(conc: int = conc, common: dict[str, Any] = common) -> None:
                        census.read_census(**common, concurrency=conc)

                    t = timed(cold, args.repeat, setup=drop_data)
                    results.append(
                        (
                            f"feedbackloop cold (conc {conc})",
                            server.count("data") // args.repeat,
                            server.count("meta") // args.repeat,
                            t,
                            math.ceil(minimum / conc),
                        )
                    )
                server.reset()
                t = timed(
                    lambda common=common: census.read_census(**common, concurrency=conc_n),
                    args.repeat,
                    setup=drop_all,
                )
                results.append(
                    (
                        f"feedbackloop first (conc {conc_n})",
                        server.count("data") // args.repeat,
                        server.count("meta") // args.repeat,
                        t,
                        1 + math.ceil(minimum / conc_n),
                    )
                )
                for workers in (conc_n, 1):
                    server.reset()
                    t = timed(
                        lambda names=names, w=workers: peer_pull(server, names, w), args.repeat
                    )
                    results.append(
                        (
                            f"peer httpx ({workers} thread{'s' if workers > 1 else ''})",
                            server.count("data") // args.repeat,
                            0,
                            t,
                            math.ceil(minimum / workers),
                        )
                    )
                server.reset()
                t = timed(lambda common=common: census.read_census(**common), args.repeat)
                results.append(
                    ("feedbackloop cached", server.count("data") // args.repeat, 0, t, 0)
                )
                fastest = min(r[3] for r in results if r[4])
                for tool, n_data, n_meta, t, lat in results:
                    floor = lat * args.latency
                    req = f"{n_data}+{n_meta}m" if n_meta else str(n_data)
                    x_floor = f"{t / floor:7.2f}" if floor else f"{'-':>7}"
                    print(
                        f"{label:<15} {tool:<29} {req:>8} {minimum:>7} {t:>9.3f} "
                        f"{floor:>8.3f} {x_floor} {t / fastest:>9.2f}"
                    )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
