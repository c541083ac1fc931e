"""Data-walk posters: one printable page per indicator, as PDF and PNG, from headless Chromium."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from feedbackloop import FeedbackLoop, IndicatorSeries
from feedbackloop.errors import BrowserNotFoundError
from feedbackloop.series import Provenance
from feedbackloop.site import PAPERS, find_chromium, posters

pytest.importorskip("matplotlib", reason="charts need the plot extra")
pytest.importorskip("jinja2", reason="posters need the report extra")
pytest.importorskip("scipy", reason="suppression needs the privacy extra")
pdfplumber = pytest.importorskip("pdfplumber", reason="reading the posters needs the pdf extra")
Image = pytest.importorskip("PIL.Image", reason="reading the PNGs needs Pillow")

XSS = "<script>alert('x')</script>"
CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (CI installs Debian's)"
)

LOOP = FeedbackLoop.from_dict(
    {
        "name": "Youth jobs",
        "places": {"06001": "Alameda County"},
        "indicators": [
            {
                "id": "unemployment",
                "name": f"Youth unemployment {XSS}",
                "unit": "percent",
                "direction": "lower_is_better",
            },
            {
                "id": "served",
                "name": "Youth placed",
                "unit": "students",
                "direction": "higher_is_better",
            },
            {
                "id": "missing",
                "name": "Credentials earned",
                "unit": "students",
                "direction": "higher_is_better",
            },
        ],
        "shared_result": {
            "id": "jobs",
            "title": "Youth have jobs",
            "indicators": ["unemployment", "served", "missing"],
        },
    }
)

#: What the unemployment poster says (a fall of 2.5 with MOE 2.12: significant).
SENTENCE = "In Alameda County, 2023: 12.5 percent (± 1.50), down 2.50 since 2022, a real change."


def _data(base: Path) -> dict[str, IndicatorSeries]:
    ind = {i.id: i for i in LOOP.indicators}
    rate = IndicatorSeries.from_frame(
        pd.DataFrame(
            {
                "geography": "06001",
                "period": ["2021", "2022", "2023"],
                "value": [15.5, 15.0, 12.5],
                "moe": [1.5, 1.5, 1.5],
            }
        ),
        indicator=ind["unemployment"],
        provenance=Provenance(adapter="csv", source=str(base / "data" / "rates.csv")),
    )
    served = IndicatorSeries.from_frame(
        pd.DataFrame({"geography": "06001", "period": ["2022", "2023"], "value": [48, 9]}),
        indicator=ind["served"],
        sensitive=True,
        provenance=Provenance(adapter="csv", source=str(base / "data" / "served.csv")),
    )
    return {"unemployment": rate, "served": served}


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (CI installs Debian's)")
    base = tmp_path_factory.mktemp("loop")
    out = base / "posters"
    written = posters(LOOP, _data(base), out, audience="public", base_dir=base)
    names = {p.name for p in written}
    for ind in ("unemployment", "served", "missing"):
        assert {f"{ind}.html", f"{ind}.pdf", f"{ind}.png"} <= names
    assert {"posters.html", "posters.pdf"} <= names
    return out


def _text(pdf: Path) -> list[str]:
    with pdfplumber.open(pdf) as doc:
        # A line broken after a hyphen ("low-|cost") reads as one word again.
        raw = [re.sub(r"-\n", "-", page.extract_text() or "") for page in doc.pages]
    return [" ".join(text.split()) for text in raw]


@needs_chromium
def test_one_a3_page_per_indicator_with_title_sentence_and_source(printed: Path) -> None:
    with pdfplumber.open(printed / "posters.pdf") as doc:
        assert len(doc.pages) == len(LOOP.indicators) == 3
        for page in doc.pages:  # A3 landscape: 420 x 297 mm in points
            assert page.width == pytest.approx(1190.55, abs=1.5)
            assert page.height == pytest.approx(841.89, abs=1.5)
    first, second, third = _text(printed / "posters.pdf")
    assert f"Youth unemployment {XSS}" in first  # the label is shown as text
    assert SENTENCE in first
    assert "Source: csv: data/rates.csv" in first
    assert "What works to do better, including no-cost and low-cost ideas?" in first
    assert "Youth placed" in second and "Source: csv: data/served.csv" in second
    assert "There is no data yet for credentials earned." in third
    assert "How can we measure these conditions?" in third
    for ind in ("unemployment", "served", "missing"):
        assert len(_text(printed / f"{ind}.pdf")) == 1


@needs_chromium
def test_withheld_values_never_appear_as_numbers(printed: Path) -> None:
    (text,) = _text(printed / "served.pdf")
    html = (printed / "served.html").read_text(encoding="utf-8")
    for shown in (text, html):
        assert "In Alameda County, 2023: the latest value is withheld to protect privacy." in shown
        assert "9 students" not in shown
        assert "up " not in shown and "down " not in shown  # no change from a withheld cell
    assert "small cells withheld" in text


@needs_chromium
def test_pngs_are_posters_not_blank_pages(printed: Path) -> None:
    for ind in ("unemployment", "served", "missing"):
        with Image.open(printed / f"{ind}.png") as img:
            assert img.size[0] == pytest.approx(1587, abs=3)
            assert img.size[1] == pytest.approx(1123, abs=3)
            rgb = img.convert("RGB")
            colors = rgb.getcolors(maxcolors=1 << 20)
            assert colors is not None and len(colors) > 50
            width, height = rgb.size
            assert max(n for n, _ in colors) < 0.97 * width * height
            # The big title is dark ink in the top fifth.
            assert rgb.crop((0, 0, width, height // 5)).convert("L").getextrema()[0] < 60


@needs_chromium
def test_a_script_label_stays_inert(printed: Path) -> None:
    for page in ("unemployment.html", "posters.html"):
        html = (printed / page).read_text(encoding="utf-8")
        assert "<script" not in html
        assert "Youth unemployment &lt;script&gt;" in html


def test_html_only_needs_no_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("FEEDBACKLOOP_CHROMIUM", raising=False)
    written = posters(LOOP, _data(tmp_path), tmp_path / "p", audience="public", formats=())
    assert sorted(p.name for p in written) == [
        "missing.html",
        "posters.html",
        "served.html",
        "unemployment.html",
    ]
    html = (tmp_path / "p" / "unemployment.html").read_text(encoding="utf-8")
    assert SENTENCE in html
    assert 'role="img" aria-label="Line chart of Youth unemployment &lt;script&gt;' in html
    assert f"size: {PAPERS['A3']['width']} {PAPERS['A3']['height']}" in html


def test_no_chromium_is_a_typed_error_saying_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("FEEDBACKLOOP_CHROMIUM", raising=False)
    with pytest.raises(BrowserNotFoundError, match="apt-get install chromium") as err:
        posters(LOOP, _data(tmp_path), tmp_path / "p", audience="public")
    assert isinstance(err.value, ImportError)
    assert not (tmp_path / "p").exists()  # refused before writing anything
    with pytest.raises(BrowserNotFoundError, match="no-such-browser"):
        find_chromium("no-such-browser")


def test_sensitive_data_needs_an_audience(tmp_path: Path) -> None:
    from feedbackloop.privacy import ExportRefusedError

    with pytest.raises(ExportRefusedError, match="served"):
        posters(LOOP, _data(tmp_path), tmp_path / "p", formats=())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"formats": ("pdf", "svg")}, "svg"), ({"paper": "A0"}, "A0"), ({"formats": "gif"}, "gif")],
)
def test_unknown_format_or_paper_is_refused(
    tmp_path: Path, kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        posters(LOOP, _data(tmp_path), tmp_path / "p", audience="public", **kwargs)  # type: ignore[arg-type]
