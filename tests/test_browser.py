"""The report and the site in a real browser: headless Chromium opens them offline."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from feedbackloop.cli import main

pytest.importorskip("matplotlib", reason="the report's charts need the plot extra")
Image = pytest.importorskip("PIL.Image", reason="reading the screenshot needs Pillow")

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
WIDTH, HEIGHT = 1200, 1600


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "-o", str(out)]) == 0
    path = out / "report.html"
    assert path.is_file()
    return path


needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (CI installs Debian's)"
)


def _screenshot(page: Path, tmp_path: Path, name: str) -> Path:
    """Open ``page`` offline in headless Chromium; return the screenshot's path."""
    shot = tmp_path / f"{name}.png"
    assert CHROMIUM is not None
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        # Any attempt to reach the network fails instead of hanging: the pages are offline.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--window-size={WIDTH},{HEIGHT}",
        f"--screenshot={shot}",
        page.as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert shot.is_file(), f"no screenshot; chromium said:\n{done.stderr[-2000:]}"
    return shot


def _assert_not_blank(shot: Path) -> None:
    with Image.open(shot) as img:
        assert img.size == (WIDTH, HEIGHT)
        rgb = img.convert("RGB")
        colors = rgb.getcolors(maxcolors=1 << 20)
        # A blank or error page has a handful of colours; ours have text, tables and charts.
        assert colors is not None and len(colors) > 50
        # Most of the page is not one flat colour.
        top = max(count for count, _ in colors)
        assert top < 0.95 * WIDTH * HEIGHT
        # Something dark (text) is drawn in the top part, where the title and summary are.
        head = rgb.crop((0, 0, WIDTH, HEIGHT // 4)).convert("L")
        assert head.getextrema()[0] < 80


@needs_chromium
def test_report_renders_in_headless_chromium(demo_report: Path, tmp_path: Path) -> None:
    _assert_not_blank(_screenshot(demo_report, tmp_path, "report"))


@needs_chromium
@pytest.mark.parametrize("page", ["index.html", "indicators/mentor_sessions_held.html"])
def test_site_pages_render_in_headless_chromium(
    demo_report: Path, tmp_path: Path, page: str
) -> None:
    path = demo_report.parent / "site" / page
    assert path.is_file()
    _assert_not_blank(_screenshot(path, tmp_path, page.replace("/", "-")))
