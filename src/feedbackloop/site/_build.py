"""Build the static site: pages per node and indicator, plan, data, benchmarks and A3s."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from attrs import field, frozen

from feedbackloop import plot
from feedbackloop._util import atomic_write_text
from feedbackloop.benchmarking import MIN_PEERS, benchmark
from feedbackloop.errors import BenchmarkError
from feedbackloop.report import Chart, ReportModel, build_model, environment, for_audience
from feedbackloop.report import svg as chart_svg
from feedbackloop.series import TOTAL, Status
from feedbackloop.site._downloads import write_csv, write_xlsx

if TYPE_CHECKING:
    from feedbackloop.model import FeedbackLoop
    from feedbackloop.planning import ActionPlan, CycleLog, DataInventory, DataSharingAgreement
    from feedbackloop.series import IndicatorSeries

__all__ = ["build"]

_WITHHELD = frozenset(s.value for s in Status if s.is_suppressed)

_NOTES = {
    "public": "Only what the data-sharing agreements allow the public to see: small cells "
    "and the cells that would give them away are withheld.",
    "backbone": "The backbone's view: every number the partnership holds.",
    "partners": "The partners' view under the data-sharing agreements.",
}


@frozen(kw_only=True)
class _Bench:
    partner: str
    n_peers: int = 0
    chart: Chart | None = None
    refused: str = ""


@frozen(kw_only=True)
class _Build:
    audience: str
    partner: str | None
    audience_label: str
    audience_note: str
    withheld: tuple[str, ...] = ()
    benchmarks: Mapping[str, _Bench] = field(factory=dict)
    charts: tuple[Chart, ...] = ()


def _bench_chart(view: IndicatorSeries, by: str, partner: str, charts: bool) -> Chart:
    """Return the benchmark's bars (latest period) and exactly the rows they draw."""
    when = str(view.periods[-1])
    place = view.geographies[0]
    df = view.frame
    df = df[(df["period"] == when) & (df["geography"] == place) & (df[by] != TOTAL)]
    for d in view.dimensions:
        if d != by:
            df = df[df[d] == TOTAL]
    hidden = df["status"].astype(str).isin(_WITHHELD)
    data = pd.DataFrame(
        {
            by: df[by].astype(str),
            "geography": place,
            "period": when,
            "value": df["value"].where(~hidden),
            "moe": df["moe"].where(~hidden) if "moe" in df else None,
            "unit": view.unit,
            "status": df["status"].astype(str),
            "source": "benchmark of partners' data (peers anonymized)",
            "footnote": ["withheld to protect privacy" if h else "" for h in hidden],
        }
    ).reset_index(drop=True)
    ind = view.indicator
    svg = ""
    if charts:
        ax = plot.breakdown(view, by, period=when, geography=place, reference=partner)
        svg = chart_svg(ax)
    return Chart(
        id=f"{ind.id}-benchmark",
        title=f"{ind.name}, {when}: {partner} and peers",
        data=data,
        svg=svg,
    )


def _partner_data(
    data: Mapping[str, IndicatorSeries],
    audience: str,
    partner: str,
    agreements: Sequence[DataSharingAgreement],
    *,
    by: str,
    min_peers: int,
    key: bytes | str | None,
    charts: bool,
) -> tuple[dict[str, IndicatorSeries], dict[str, _Bench], list[str]]:
    """Split ``data`` for one partner: shown as is, benchmarked, or not shared with it."""
    shown: dict[str, IndicatorSeries] = {}
    benches: dict[str, _Bench] = {}
    withheld: list[str] = []
    for ind_id, series in data.items():
        covering = [a for a in agreements if ind_id in a.indicators]
        if by in series.dimensions:
            try:
                b = benchmark(series, partner, by=by, min_peers=min_peers, key=key)
            except BenchmarkError as err:
                benches[ind_id] = _Bench(partner=partner, refused=str(err))
                continue
            chart = _bench_chart(b.series, by, partner, charts)
            benches[ind_id] = _Bench(partner=partner, n_peers=b.n_peers, chart=chart)
        elif not (series.sensitive or covering):
            shown[ind_id] = series
        elif any(partner in a.parties for a in covering):
            shown.update(for_audience({ind_id: series}, audience, covering))
        else:
            withheld.append(series.indicator.name)
    return shown, benches, withheld


def _page(path: Path, template: str, **context: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, environment().get_template(template).render(**context))


def _write_pages(out: Path, m: ReportModel, b: _Build) -> None:
    loop = m.loop
    base = {"m": m, "b": b}
    _page(out / "index.html", "site/index.html", root="", page_title="Overview", **base)
    a3_ids = {a.strategy for a in m.a3s}
    for node in loop.nodes:
        parents = [loop.node(p) for p in node.contributes_to if p in loop]
        children = [n for n in loop.nodes if node.id in n.contributes_to]
        link = f"../a3/{node.id}.html" if node.id in a3_ids else ""
        _page(
            out / "nodes" / f"{node.id}.html",
            "site/node.html",
            root="../",
            page_title=node.title,
            node=node,
            parents=parents,
            children=children,
            a3_link=link,
            **base,
        )
    for ind_id, s in m.summaries.items():
        nodes = [n for n in loop.nodes if ind_id in n.indicators]
        _page(
            out / "indicators" / f"{ind_id}.html",
            "site/indicator.html",
            root="../",
            page_title=s.indicator.name,
            s=s,
            nodes=nodes,
            bench=b.benchmarks.get(ind_id),
            **base,
        )
    _page(out / "plan.html", "site/plan.html", root="", page_title="Action plan", **base)
    _page(out / "data.html", "site/data.html", root="", page_title="Data", **base)
    if b.benchmarks:
        _page(
            out / "benchmarks.html",
            "site/benchmarks.html",
            root="",
            page_title="Benchmarks",
            **base,
        )
    for a in m.a3s:
        _page(
            out / "a3" / f"{a.strategy}.html",
            "site/a3.html",
            root="../",
            page_title=f"A3: {a.title}",
            a=a,
            body_class="a3-page",
            **base,
        )


def _write_downloads(out: Path, charts: Sequence[Chart]) -> None:
    folder = out / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    for c in charts:
        write_csv(c.data, folder / f"{c.id}.csv")
        write_xlsx(c.data, folder / f"{c.id}.xlsx", title=c.title)


def _all_charts(m: ReportModel, benches: Mapping[str, _Bench]) -> tuple[Chart, ...]:
    found = [m.loop_chart, m.gantt, *(c for cs in m.charts.values() for c in cs)]
    found += [b.chart for b in benches.values()]
    return tuple(c for c in found if c is not None)


def build(
    loop: FeedbackLoop,
    data: Mapping[str, IndicatorSeries],
    out: str | Path,
    *,
    audience: str,
    partner: str | None = None,
    title: str | None = None,
    charts: bool = True,
    illustrative: bool = False,
    inventory: DataInventory | None = None,
    agreements: Sequence[DataSharingAgreement] = (),
    action_plan: ActionPlan | None = None,
    cycles: CycleLog | None = None,
    as_of: _dt.date | None = None,
    base_dir: str | Path | None = None,
    benchmark_by: str = "partner",
    min_peers: int = MIN_PEERS,
    key: bytes | str | None = None,
) -> Path:
    """Build the loop's static site for one audience into the folder ``out``.

    Pages: ``index.html`` (the loop, every indicator's latest value, the
    questions for discussion), ``nodes/<id>.html``, ``indicators/<id>.html``,
    ``plan.html`` (action plan, Gantt chart, PDSA cycles), ``data.html``
    (inventory, agreements, sources, downloads), ``a3/<strategy>.html`` (with
    a cycle log) and, in a partner's build, ``benchmarks.html``. Every chart
    has a table alternative and ``downloads/<chart>.csv`` and ``.xlsx`` files
    of exactly what it plots. Pages link to each other relatively, inline their
    styles and charts, and fetch nothing: the site works from a folder, offline.

    Parameters
    ----------
    loop : FeedbackLoop
    data : mapping of indicator id to IndicatorSeries
        As read (e.g. :func:`feedbackloop.collect`); the site applies the audience.
    out : path
        The folder to write into (created if needed).
    audience : str
        ``"public"``, ``"backbone"``, ``"partners"`` or an audience an agreement
        defines (see :func:`feedbackloop.report.for_audience`).
    partner : str, optional
        Build for one partner: public data, the sensitive data of agreements it
        is a party to (for ``audience``), and, for series with a
        ``benchmark_by`` dimension, its anonymized benchmark
        (:func:`feedbackloop.benchmarking.benchmark`) instead of the series.
    title, charts, illustrative, inventory, agreements, action_plan, cycles, as_of, base_dir
        As for :func:`feedbackloop.report.report`.
    benchmark_by : str
        The dimension that names partners.
    min_peers : int
        Fewer peers than this and a benchmark is refused (the page says why).
    key : bytes or str, optional
        The backbone's secret for stable peer labels.

    Returns
    -------
    pathlib.Path
        The site's ``index.html``.

    Raises
    ------
    feedbackloop.privacy.ExportRefusedError
        An audience an agreement covering a sensitive series does not define.

    .. versionadded:: 0.1.0
    """
    folder = Path(out)
    benches: dict[str, _Bench] = {}
    withheld: list[str] = []
    if partner is None:
        shown = for_audience(data, audience, agreements)
        label = audience
    else:
        shown, benches, withheld = _partner_data(
            data,
            audience,
            partner,
            agreements,
            by=benchmark_by,
            min_peers=min_peers,
            key=key,
            charts=charts,
        )
        label = f"{partner} ({audience})"
    m = build_model(
        loop,
        shown,
        title=title,
        charts=charts,
        illustrative=illustrative,
        inventory=inventory,
        agreements=agreements,
        action_plan=action_plan,
        cycles=cycles,
        as_of=as_of,
        base_dir=base_dir,
    )
    charts_all = _all_charts(m, benches)
    b = _Build(
        audience=audience,
        partner=partner,
        audience_label=label,
        audience_note=_NOTES.get(audience, "Shared as the data-sharing agreements say."),
        withheld=tuple(withheld),
        benchmarks=benches,
        charts=charts_all,
    )
    folder.mkdir(parents=True, exist_ok=True)
    _write_pages(folder, m, b)
    _write_downloads(folder, charts_all)
    return folder / "index.html"
