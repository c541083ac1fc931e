"""Charts (structure, not pixels) and the self-contained HTML report."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import feedbackloop as fl
from feedbackloop import TOTAL, IndicatorSeries
from feedbackloop.examples import example_path, load_example

pytest.importorskip("matplotlib", reason="charts need the plot extra")

from feedbackloop import plot
from feedbackloop.report import render, report, summarize

DATA = example_path().parent / "data"


def example_data() -> dict[str, IndicatorSeries]:
    loop = load_example()
    out = {}
    for ind in loop.indicators:
        path = DATA / f"{ind.id}.csv"
        if path.exists():
            df = pd.read_csv(path, dtype={"geography": str, "period": str, "race": str})
            out[ind.id] = IndicatorSeries.from_frame(
                df, indicator=ind, moe="moe" if "moe" in df else None, dimensions=["race"]
            )
    return out


@pytest.fixture(scope="module")
def data() -> dict[str, IndicatorSeries]:
    return example_data()


def test_trend_draws_line_band_forecast_and_target(data: dict[str, IndicatorSeries]) -> None:
    loop = load_example()
    s = data["youth_unemployment_rate"]
    ax = plot.trend(
        s,
        geography="06075",
        target=loop.shared_result.targets[0],
        forecast_until="2022-2026",
        baseline_before="2015-2019",
    )
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    for expected in (
        "observed",
        "90% margin of error",
        "baseline forecast",
        "path to target",
        "target",
    ):
        assert expected in labels
    observed = next(line for line in ax.get_lines() if line.get_label() == "observed")
    assert len(observed.get_xdata()) == 8
    assert ax.get_ylabel() == "percent"
    assert ax.collections  # MOE band present
    with pytest.raises(fl.errors.SeriesError, match="covers 4 places"):
        plot.trend(s)


def test_suppressed_points_are_marked_not_plotted() -> None:
    ind = fl.Indicator(id="n", name="Served", unit="people", direction="higher_is_better")
    df = pd.DataFrame(
        {
            "geography": "06075",
            "period": ["2020", "2021", "2022"],
            "value": [40.0, None, 55.0],
            "status": ["estimate", "suppressed", "estimate"],
        }
    )
    s = IndicatorSeries.from_frame(df, indicator=ind, status="status")
    ax = plot.trend(s)
    observed = next(line for line in ax.get_lines() if line.get_label() == "observed")
    assert list(observed.get_xdata()) == [2020.5, 2022.5]
    assert "suppressed or missing" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_breakdown_small_multiples_and_disparity(data: dict[str, IndicatorSeries]) -> None:
    s = data["youth_unemployment_rate"]
    axes = plot.breakdown(s, ["race", "geography"])
    assert len(axes) == 4
    assert {a.get_title() for a in axes} == {"06001", "06013", "06075", "06081"}
    one = plot.breakdown(s, "race", geography="06075", reference="Asian alone")
    assert len(one.patches) == 4
    ax = plot.disparity(s, "race", geography="06075")
    assert any(line.get_xdata()[0] == 1.0 for line in ax.get_lines())  # parity line
    assert len(ax.get_yticklabels()) == 4


def test_loop_diagram_colors_nodes(tmp_path: Path) -> None:
    loop = load_example()
    ax = plot.loop(loop, status={"youth_employment": "met"})
    texts = {t.get_text().replace("\n", " "): t for t in ax.texts}
    assert any("Reduce youth" in k for k in texts)
    box = next(t for k, t in texts.items() if "Reduce youth" in k).get_bbox_patch()
    assert box is not None
    ax.figure.savefig(tmp_path / "loop.png")
    assert (tmp_path / "loop.png").stat().st_size > 1000


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("src", "href") and value and not value.startswith("#"):
                self.urls.append(value)


def test_report_shows_every_node_and_indicator_offline(
    data: dict[str, IndicatorSeries], tmp_path: Path
) -> None:
    loop = load_example()
    path = report(loop, data, tmp_path / "r.html", illustrative=True)
    text = path.read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(text)
    for node in loop.nodes:
        assert f"node-{node.id}" in parser.ids
    for ind in loop.indicators:
        assert f"ind-{ind.id}" in parser.ids
    assert parser.urls == []  # nothing fetched: no src/href to the outside
    assert not re.search(r"url\(\s*['\"]?https?:|@import|<script[^>]+src=", text)
    assert "Illustrative data" in text
    assert "How are we doing on the most important of these measures?" in text
    assert "<svg" in text
    assert "No data yet for this indicator" in text  # indicators without data are said so


def test_summary_says_progress_change_and_disparities(data: dict[str, IndicatorSeries]) -> None:
    loop = load_example()
    ind = next(i for i in loop.indicators if i.id == "youth_unemployment_rate")
    s = summarize(loop, ind, data[ind.id])
    assert s.period == "2018-2022"
    assert s.progress in {"met", "improving", "little or no detectable change", "getting worse"}
    assert s.disparities is not None and len(s.disparities) == 4
    assert TOTAL not in set(s.disparities["group"].astype(str))
    html = render(loop, {}, charts=False)
    assert html.count("No data yet for this indicator") == sum(
        len(n.indicators) for n in loop.nodes
    )
