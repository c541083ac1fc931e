"""Draw the pictures of the "Presenting your data" and "Improving programs" pages.

Run from the repository root: ``python docs/make_figures.py`` (needs the plot and maps extras).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from feedbackloop import FeedbackLoop, IndicatorSeries, plot, spc
from feedbackloop.examples import example_data_dir, example_path, load_example

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
    spc_figures()
    place_figures(loop, series)


def place_figures(loop: FeedbackLoop, series: IndicatorSeries) -> None:
    """Write the race-by-place small multiples, heat table and map of "Presenting your data"."""
    names = loop.place_names()
    df = series.frame.astype({"status": str})
    # one withheld cell and one thin estimate, to show how each is drawn
    small = (df["geography"] == "06013") & (df["race"] == "Asian alone")
    df.loc[small, ["value", "moe"]] = None
    df.loc[small, "status"] = "suppressed"
    thin = (df["geography"] == "06081") & (df["race"] == "Asian alone")
    df.loc[thin, "moe"] = df.loc[thin, "value"] * 0.9
    shown = IndicatorSeries.from_frame(
        df, indicator=series.indicator, moe="moe", status="status", dimensions=["race"]
    )
    axes = plot.small_multiples(shown, "race", names=names)
    axes[0].figure.savefig(OUT / "small_multiples.png", dpi=80)
    ax = plot.heat_table(shown, "race", names=names)
    ax.figure.savefig(OUT / "heat_table.png", dpi=80)
    boundaries = example_path().parent / "opportunity_youth_counties.geojson"
    ax = plot.choropleth(series, boundaries, names=names, k=4)
    ax.figure.savefig(OUT / "choropleth.png", dpi=80)


def spc_figures() -> None:
    """Write the run chart and p chart of the "Improving programs" page."""
    sessions = pd.Series(
        [41, 44, 39, 42, 40, 43, 38, 42, 41, 52, 55, 53, 56, 54, 57, 55],
        index=[f"2024-{m:02d}" for m in range(1, 13)] + [f"2025-{m:02d}" for m in range(1, 5)],
    )
    chart = spc.run_chart(sessions, freeze="2024-09", title="Mentoring sessions held per month")
    chart.plot().figure.savefig(OUT / "run_chart.png", dpi=90)
    bad = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11,
           20, 18, 24, 15, 9, 12, 7, 13, 9, 6]  # fmt: skip
    cans = spc.control_chart(
        pd.Series([b / 50 for b in bad], index=range(1, 31)),
        kind="p",
        n=[50] * 30,
        title="Nonconforming cans per sample of 50 (Montgomery, Example 7.1)",
    )
    cans.plot().figure.savefig(OUT / "p_chart.png", dpi=90)


if __name__ == "__main__":
    main()
