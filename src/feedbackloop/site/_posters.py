"""Data-walk posters: one printable page per indicator, as HTML, PDF and PNG.

A data walk puts each indicator on a wall: one big chart, one sentence of what
it shows, its source and a question for the people walking by. The posters are
rendered from an autoescaped Jinja2 template and printed by headless Chromium
(``--print-to-pdf`` and ``--screenshot``), so they look as the browser shows them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import frozen

from feedbackloop import plot
from feedbackloop._util import atomic_write_text, import_optional
from feedbackloop.errors import BrowserNotFoundError, FeedbackloopError, PosterError
from feedbackloop.model import MeasureKind
from feedbackloop.report import (
    PERFORMANCE_QUESTIONS,
    POPULATION_QUESTIONS,
    IndicatorSummary,
    build_model,
    environment,
    for_audience,
)
from feedbackloop.report import svg as chart_svg
from feedbackloop.series import Status

if TYPE_CHECKING:
    from feedbackloop.model import FeedbackLoop
    from feedbackloop.planning import DataSharingAgreement
    from feedbackloop.series import IndicatorSeries

__all__ = ["CHROMIUM_NAMES", "PAPERS", "find_chromium", "posters"]

_WITHHELD = frozenset(s.value for s in Status if s.is_suppressed)

#: Executables looked for on ``PATH``, in order (after ``$FEEDBACKLOOP_CHROMIUM``).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

#: Paper sizes (landscape): the page, its margins and the type sizes.
PAPERS: Mapping[str, Mapping[str, Any]] = {
    "A3": {
        "width": "420mm",
        "height": "297mm",
        "margin": "14mm 16mm 10mm",
        "gap": "12mm",
        "title": "54pt",
        "body": "26pt",
        "small": "15pt",
        "chart_height": "200mm",
    },
    "letter": {
        "width": "11in",
        "height": "8.5in",
        "margin": "0.4in 0.5in 0.3in",
        "gap": "0.35in",
        "title": "36pt",
        "body": "17pt",
        "small": "10pt",
        "chart_height": "5.6in",
    },
}

_FORMATS = ("pdf", "png")
_TIMEOUT = 120.0
#: PNG pixels per PDF point: 96 dpi, the size a screen shows the poster at.
_PNG_SCALE = 96 / 72


@frozen(kw_only=True)
class _Poster:
    id: str
    name: str
    unit: str
    sentence: str
    question: str
    source: str
    target: str = ""
    svg: str = ""
    alt: str = ""
    problem: str = ""
    withheld: bool = False


def find_chromium(chromium: str | os.PathLike[str] | None = None) -> str:
    """Return the headless Chromium to print with.

    Parameters
    ----------
    chromium : path, optional
        An executable to use; default ``$FEEDBACKLOOP_CHROMIUM``, else the first
        of :data:`CHROMIUM_NAMES` on ``PATH``.

    Returns
    -------
    str
        The executable's path.

    Raises
    ------
    feedbackloop.errors.BrowserNotFoundError
        None was found; the message says how to install one.

    .. versionadded:: 0.1.0
    """
    asked = chromium or os.environ.get("FEEDBACKLOOP_CHROMIUM")
    if asked:
        found = shutil.which(os.fspath(asked))
        if found is None:
            raise BrowserNotFoundError(
                f"Chromium {os.fspath(asked)!r} was asked for but is not an executable; "
                "give the path of chromium (Debian: apt-get install chromium)"
            )
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserNotFoundError(
        "posters are printed to PDF and PNG by headless Chromium, and none is on PATH "
        f"(looked for {', '.join(CHROMIUM_NAMES)}); install it (Debian/Ubuntu: "
        "apt-get install chromium), point $FEEDBACKLOOP_CHROMIUM at one, or pass "
        "formats=() (CLI: --format html) to write the HTML posters only"
    )


def _whole(fmt: Callable[..., str]) -> Callable[..., str]:
    """Wrap the report's number format so that whole numbers read without decimals."""

    def say(value: float, unit: str = "") -> str:
        if float(value).is_integer():
            return f"{value:,.0f} {unit}".strip()
        return fmt(value, unit)

    return say


def _sentence(s: IndicatorSummary, fmt: Callable[..., str], place: str) -> str:
    """Say in one sentence what the poster's chart shows; withheld numbers are never said."""
    name = s.indicator.name
    if not s.has_data or s.period is None:
        return f"There is no data yet for {name[:1].lower()}{name[1:]}."
    where = f"In {place}, {s.period}" if place else f"In {s.period}"
    if s.status in _WITHHELD or s.value is None:
        return f"{where}: the latest value is withheld to protect privacy."
    text = f"{where}: {fmt(s.value, s.indicator.unit)}"
    if s.moe is not None:
        text += f" (± {fmt(s.moe)})"
    if s.change is not None and s.previous is not None and s.change_status not in _WITHHELD:
        way = "up" if s.change > 0 else "down" if s.change < 0 else "no change"
        amount = f" {fmt(abs(s.change))}" if s.change else ""
        text += f", {way}{amount} since {s.previous}"
        if s.significant is True:
            text += ", a real change"
        elif s.significant is False:
            text += ", within the margin of error"
    return text + "."


def _question(s: IndicatorSummary) -> str:
    """Pick the Results-Based Accountability question the poster asks."""
    qs = PERFORMANCE_QUESTIONS if s.indicator.kind is MeasureKind.PERFORMANCE else None
    qs = qs or POPULATION_QUESTIONS
    if not s.has_data:
        return qs[2]  # how can we measure ...
    if s.progress == "getting worse":
        return qs[4]  # who are the partners ...
    return qs[5]  # what works to do better ...


def _target(s: IndicatorSummary, fmt: Callable[..., str]) -> str:
    t = s.target
    if t is None:
        return ""
    text = f"Target: {fmt(t.level, s.indicator.unit)} by {t.period.label}"
    if s.progress in _WITHHELD:
        return text + " (progress withheld: derived from a suppressed cell)."
    return text + (f"; progress: {s.progress}." if s.progress else ".")


def _chart(series: IndicatorSeries, s: IndicatorSummary, names: Mapping[str, str]) -> str:
    """Draw the trend at the poster's scale: small figure, big type, no title."""
    mfig = import_optional("matplotlib.figure", extra="plot", purpose="drawing posters")
    fig = mfig.Figure(figsize=(7.2, 4.8), layout="constrained")
    ax = fig.add_subplot()
    one = series if len(series.geographies) == 1 else series.filter(geography=str(s.place))
    plot.trend(one, target=s.target, names=names, ax=ax)
    ax.set_title("", loc="left")
    ax.tick_params(labelsize=15)
    ax.xaxis.label.set_size(15)
    ax.yaxis.label.set_size(15)
    legend = ax.get_legend()
    if legend is not None:
        for text in legend.get_texts():
            text.set_fontsize(13)
    return chart_svg(ax)


def _poster(
    s: IndicatorSummary, series: IndicatorSeries | None, source: str, names: Mapping[str, str]
) -> _Poster:
    fmt = _whole(environment().filters["fmt"])
    ind = s.indicator
    place = names.get(s.place, s.place) if s.place else ""
    image, problem = "", ""
    if series is not None and s.has_data:
        try:
            image = _chart(series, s, names)
        except FeedbackloopError as err:
            problem = f"No chart: {err}"
    return _Poster(
        id=ind.id,
        name=ind.name,
        unit=ind.unit,
        sentence=_sentence(s, fmt, place),
        question=_question(s),
        source=source,
        target=_target(s, fmt),
        svg=image,
        alt=f"Line chart of {ind.name} ({ind.unit}) over time in {place}",
        problem=problem,
        withheld=s.suppressed > 0,
    )


def _chromium_cmd(browser: str, profile: Path) -> list[str]:
    return [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        # Posters are self-contained: any attempt to reach the network fails at once.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
    ]


def _print(browser: str, page: Path, out: Path) -> None:
    """Print ``page`` to the PDF ``out`` (written whole or not at all)."""
    partial = out.with_name(f".{out.stem}.partial{out.suffix}")
    partial.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="feedbackloop-chromium-") as profile:
        cmd = _chromium_cmd(browser, Path(profile))
        cmd += ["--no-pdf-header-footer", f"--print-to-pdf={partial}", page.resolve().as_uri()]
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired as err:
            partial.unlink(missing_ok=True)
            raise PosterError(
                f"Chromium ({browser}) took more than {_TIMEOUT:.0f} s to print {page.name}; "
                "try again on a less busy machine"
            ) from err
    if not partial.is_file() or partial.stat().st_size == 0:
        raise PosterError(
            f"Chromium ({browser}) printed nothing for {page.name} (exit status "
            f"{done.returncode}); it said: {done.stderr.strip()[-800:] or '(nothing)'}"
        )
    partial.replace(out)


def _split(every: Path, ids: Sequence[str], wanted: Sequence[str]) -> list[Path]:
    """Write each page of the printed ``every`` as ``<id>.pdf`` and/or ``<id>.png``."""
    pdfium = import_optional("pypdfium2", extra="pdf", purpose="splitting and rasterizing posters")
    doc = pdfium.PdfDocument(every)
    written: list[Path] = []
    try:
        if len(doc) != len(ids):
            raise PosterError(
                f"Chromium printed {len(doc)} pages for {len(ids)} posters in {every.name}; "
                "a poster overflowed its page (report this with the loop file)"
            )
        for i, ind_id in enumerate(ids):
            if "pdf" in wanted:
                one = pdfium.PdfDocument.new()
                one.import_pages(doc, [i])
                path = every.with_name(f"{ind_id}.pdf")
                one.save(path)
                one.close()
                written.append(path)
            if "png" in wanted:
                path = every.with_name(f"{ind_id}.png")
                doc[i].render(scale=_PNG_SCALE).to_pil().save(path, optimize=True)
                written.append(path)
    finally:
        doc.close()
    return written


def _check(formats: Sequence[str], paper: str) -> tuple[str, ...]:
    if isinstance(formats, str):
        formats = (formats,)
    bad = [f for f in formats if f not in _FORMATS]
    if bad:
        msg = f"poster formats must be among {', '.join(_FORMATS)} (got {', '.join(bad)})"
        raise ValueError(msg)
    if paper not in PAPERS:
        msg = f"paper must be one of {', '.join(PAPERS)} (got {paper!r})"
        raise ValueError(msg)
    return tuple(dict.fromkeys(formats))


def posters(
    loop: FeedbackLoop,
    data: Mapping[str, IndicatorSeries],
    out_dir: str | Path,
    *,
    audience: str | None = None,
    formats: Sequence[str] = ("pdf", "png"),
    agreements: Sequence[DataSharingAgreement] = (),
    paper: str = "A3",
    illustrative: bool = False,
    base_dir: str | Path | None = None,
    chromium: str | os.PathLike[str] | None = None,
) -> tuple[Path, ...]:
    """Write one data-walk poster per indicator of ``loop`` into ``out_dir``.

    Each poster is one landscape page: the indicator's name, its trend chart,
    one sentence of what it shows (latest value, margin of error, change and
    whether it is significant), progress to target, a Results-Based
    Accountability question for discussion, room for notes, and the source.
    Numbers withheld for ``audience`` are never shown: the chart marks them and
    the sentence says they are withheld.

    Files: ``<indicator>.html`` for every indicator and ``posters.html`` with
    them all; when ``formats`` is not empty, ``posters.pdf`` (one page per
    indicator, printed by headless Chromium), and with ``"pdf"`` each page as
    ``<indicator>.pdf``, with ``"png"`` as ``<indicator>.png`` (96 dpi). Splitting
    and rasterizing use pypdfium2 (the ``pdf`` extra).

    Parameters
    ----------
    loop : FeedbackLoop
    data : mapping of indicator id to IndicatorSeries
        As read; the audience is applied here (:func:`feedbackloop.report.for_audience`).
    out_dir : path
        The folder to write into (created if needed).
    audience : str, optional
        Who the posters are for; required when any series is sensitive.
    formats : sequence of {"pdf", "png"}
        What to print besides the HTML; ``()`` needs no Chromium.
    agreements : sequence of DataSharingAgreement
        The loop's agreements, for the audience.
    paper : {"A3", "letter"}
        Landscape paper size.
    illustrative : bool
        Say on every poster that the data are generated, not real.
    base_dir : path, optional
        The loop's folder, which sources are named relative to.
    chromium : path, optional
        The Chromium executable (see :func:`find_chromium`).

    Returns
    -------
    tuple of pathlib.Path
        The files written, HTML first.

    Raises
    ------
    feedbackloop.errors.BrowserNotFoundError
        A PDF or PNG is asked for and there is no Chromium.
    feedbackloop.errors.PosterError
        Chromium ran but printed nothing, timed out, or a poster overflowed its page.
    feedbackloop.errors.MissingDependencyError
        A PDF or PNG is asked for and pypdfium2 (the ``pdf`` extra) is missing.
    feedbackloop.privacy.ExportRefusedError
        Sensitive data and no (or an unknown) audience.
    ValueError
        An unknown format or paper size.

    .. versionadded:: 0.1.0
    """
    wanted = _check(formats, paper)
    browser = find_chromium(chromium) if wanted else ""
    shown = for_audience(data, audience, agreements)
    m = build_model(loop, shown, charts=False, illustrative=illustrative, base_dir=base_dir)
    names = loop.place_names()
    made = [_poster(s, shown.get(k), m.sources.get(k, ""), names) for k, s in m.summaries.items()]
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    page = environment().get_template("site/poster.html")
    context = {
        "paper": PAPERS[paper],
        "title": m.title,
        "audience": audience or "everyone",
        "illustrative": illustrative,
    }
    written: list[Path] = []
    for p in made:
        written.append(folder / f"{p.id}.html")
        atomic_write_text(written[-1], page.render(posters=[p], page_title=p.name, **context))
    every = folder / "posters.html"
    atomic_write_text(every, page.render(posters=made, page_title=m.title, **context))
    written.append(every)
    if wanted and made:
        _print(browser, every, every.with_suffix(".pdf"))
        written.append(every.with_suffix(".pdf"))
        written += _split(every.with_suffix(".pdf"), [p.id for p in made], wanted)
    return tuple(written)
