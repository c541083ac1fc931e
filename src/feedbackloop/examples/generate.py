"""Generate the bundled, ILLUSTRATIVE data of the example initiative (fixed seed).

The numbers are made up but shaped like the real thing: real county GEOIDs of
the San Francisco Bay Area, OMB race groups plus Hispanic or Latino (with the
overlap recorded), ACS-like 5-year periods with 90% margins of error, school
years for school measures, and a few small cells that a privacy policy would
suppress. Run ``python -m feedbackloop.examples.generate [DIR]`` to rebuild the
files; the library itself never needs to run it (they ship with the package).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from feedbackloop.series._status import TOTAL

__all__ = ["COUNTIES", "RACES", "generate", "main"]

SEED = 20261124

#: Real county GEOIDs (California, state 06).
COUNTIES = {
    "06001": "Alameda",
    "06013": "Contra Costa",
    "06075": "San Francisco",
    "06081": "San Mateo",
}

#: OMB minimum race categories (alone) and Hispanic or Latino, as the ACS reports them.
RACES = (
    "White alone, not Hispanic or Latino",
    "Black or African American alone",
    "Asian alone",
    "Hispanic or Latino",
)

_ACS_PERIODS = (
    "2011-2015",
    "2012-2016",
    "2013-2017",
    "2014-2018",
    "2015-2019",
    "2016-2020",
    "2017-2021",
    "2018-2022",
)
_SCHOOL_YEARS = ("2016/17", "2017/18", "2018/19", "2019/20", "2020/21", "2021/22", "2022/23")


def _rate_frame(
    rng: np.random.Generator,
    base: float,
    trend: float,
    race_gap: dict[str, float],
    periods: tuple[str, ...],
    moe_scale: float,
) -> pd.DataFrame:
    rows = []
    for geo in COUNTIES:
        geo_shift = rng.normal(0, base * 0.08)
        for t, period in enumerate(periods):
            values = {}
            for race in RACES:
                v = base + geo_shift + trend * t + race_gap.get(race, 0.0) + rng.normal(0, 0.4)
                values[race] = max(v, 0.5)
            values[TOTAL] = float(np.mean(list(values.values())))
            for race, v in values.items():
                small = race != TOTAL and race.startswith("Black") and geo == "06081"
                moe = moe_scale * (3.0 if small else 1.0) * (0.6 if race == TOTAL else 1.0)
                rows.append(
                    {
                        "geography": geo,
                        "period": period,
                        "race": race,
                        "value": round(v, 1),
                        "moe": round(moe * rng.uniform(0.8, 1.2), 1),
                    }
                )
    return pd.DataFrame(rows)


def generate(folder: str | Path) -> list[Path]:
    """Write the example CSV files into ``folder``; return their paths."""
    rng = np.random.default_rng(SEED)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    unemployment = _rate_frame(
        rng,
        base=15.5,
        trend=-0.35,
        race_gap={
            "Black or African American alone": 7.0,
            "Hispanic or Latino": 3.5,
            "Asian alone": -2.0,
            "White alone, not Hispanic or Latino": -3.0,
        },
        periods=_ACS_PERIODS,
        moe_scale=1.4,
    )
    disconnected = _rate_frame(
        rng,
        base=11.0,
        trend=-0.2,
        race_gap={
            "Black or African American alone": 6.0,
            "Hispanic or Latino": 2.5,
            "Asian alone": -3.0,
            "White alone, not Hispanic or Latino": -2.5,
        },
        periods=_ACS_PERIODS,
        moe_scale=1.6,
    )
    graduation = _rate_frame(
        rng,
        base=84.0,
        trend=0.6,
        race_gap={
            "Black or African American alone": -9.0,
            "Hispanic or Latino": -6.0,
            "Asian alone": 6.0,
            "White alone, not Hispanic or Latino": 4.0,
        },
        periods=_SCHOOL_YEARS,
        moe_scale=0.0,
    )
    graduation = graduation.drop(columns=["moe"])
    for name, frame in (
        ("youth_unemployment_rate", unemployment),
        ("disconnected_youth_rate", disconnected),
        ("hs_graduation_rate", graduation),
    ):
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    # A program's count measure, with small cells.
    served: list[dict[str, str | int]] = []
    for year in ("2019", "2020", "2021", "2022", "2023"):
        for race in RACES:
            n = (
                int(rng.integers(4, 90))
                if not race.startswith("Asian")
                else int(rng.integers(2, 9))
            )
            served.append({"geography": "06075", "period": year, "race": race, "value": n})
        served.append(
            {
                "geography": "06075",
                "period": year,
                "race": TOTAL,
                "value": sum(int(r["value"]) for r in served[-len(RACES) :]),
            }
        )
    path = out / "mentees_served.csv"
    pd.DataFrame(served).to_csv(path, index=False, lineterminator="\n")
    written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m feedbackloop.examples.generate [DIR]``."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path(__file__).parent / "data"
    for p in generate(folder):
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
