"""Draw the pictures of the "Presenting your data" page from the bundled example.

Run from the repository root: ``python docs/make_figures.py`` (needs the plot extra).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from feedbackloop import IndicatorSeries, plot
from feedbackloop.examples import example_data_dir, load_example

OUT = Path(__file__).parent / "images"


def main() -> None:
    """Write the PNG files into docs/images."""
    loop = load_example()
    ind = next(i for i in loop.indicators if i.id == "youth_unemployment_rate")
    df = pd.read_csv(example_data_dir() / f"{ind.id}.csv", dtype={"geography": str, "period": str})
    series = IndicatorSeries.from_frame(df, indicator=ind, moe="moe", dimensions=["race"])
    OUT.mkdir(exist_ok=True)
    ax = plot.trend(
        series,
        geography="06075",
        target=loop.shared_result.targets[0],
        forecast_until="2022-2026",
        baseline_before="2015-2019",
    )
    ax.figure.savefig(OUT / "trend.png", dpi=90)
    axes = plot.breakdown(series, ["race", "geography"])
    axes[0].figure.savefig(OUT / "breakdown.png", dpi=80)
    ax = plot.disparity(series, "race", geography="06075")
    ax.figure.savefig(OUT / "disparity.png", dpi=90)
    ax = plot.loop(loop, status={"youth_employment": "improving", "graduation": "getting worse"})
    ax.figure.savefig(OUT / "loop.png", dpi=80)


if __name__ == "__main__":
    main()
