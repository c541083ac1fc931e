"""The bundled example reads its sources through the real adapters, offline and reproducibly."""

from __future__ import annotations

import json
import shutil
import socket
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pdfplumber", reason="the example's PDF source needs the pdf extra")

import feedbackloop as fl
from feedbackloop import TOTAL, IndicatorSeries, Status
from feedbackloop.adapters import CollectResult
from feedbackloop.census import RACE_ITERATIONS, ResponseCache
from feedbackloop.errors import PathNotAllowedError
from feedbackloop.examples import example_path, load_example
from feedbackloop.examples import generate as gen
from feedbackloop.testing import CensusMock

EXAMPLES = example_path().parent
ACS_PERIODS = [f"{y - 4}-{y}" for y in gen.CENSUS_YEARS]
#: The fpdf2 version the shipped PDF was made with (its bytes depend on it).
PDF_MADE_WITH = "2.8.9"


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def no_network(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    route_census: Callable[[httpx.BaseTransport], None],
) -> CensusMock:
    """Point the Census client at a closed local port, and record any attempt to send.

    Every client is routed to an empty :class:`CensusMock`, which records each
    request made (and answers 404); a test checks that ``requests`` stays empty.
    """
    monkeypatch.setenv("FEEDBACKLOOP_CENSUS_URL", f"http://127.0.0.1:{_closed_port()}/data")
    monkeypatch.setenv("FEEDBACKLOOP_CENSUS_CACHE", str(tmp_path / "user-cache"))
    monkeypatch.delenv("CENSUS_API_KEY", raising=False)
    mock = CensusMock()
    route_census(mock.transport)
    return mock


@pytest.fixture
def collected(no_network: CensusMock, tmp_path: Path) -> Iterator[CollectResult]:
    result = fl.collect(load_example(), base_dir=EXAMPLES, progress=False)
    yield result
    assert no_network.requests == []  # zero HTTP requests, not even attempted
    assert not (tmp_path / "user-cache").exists()  # the user's Census cache is not touched


def test_every_declared_source_is_read_offline(collected: CollectResult) -> None:
    assert collected.ok, collected.report()
    loop = load_example()
    declared = {i.id for i in loop.indicators if i.source is not None}
    assert set(collected) == declared
    adapters = {k: s.provenance.adapter for k, s in collected.items() if s.provenance}
    assert adapters == {
        "youth_unemployment_rate": "census",
        "disconnected_youth_rate": "csv",
        "hs_graduation_rate": "csv",
        "mentees_served": "pdf",
        "mentor_sessions_held": "csv",
        "youth_paid_job_rate": "survey",
    }


def test_census_series_has_vintages_moes_races_and_statuses(collected: CollectResult) -> None:
    s = collected["youth_unemployment_rate"]
    assert s.indicator.name == "Unemployment rate, ages 16–24"  # the loop's indicator
    assert [str(p) for p in s.periods] == ACS_PERIODS
    assert s.geographies == tuple(gen.COUNTIES)
    assert s.has_moe and s.dimensions == ("race",) and s.non_additive == ("race",)
    assert set(s.categories("race")) == {TOTAL, *RACE_ITERATIONS.values()}
    df = s.frame.set_index(["geography", "period", "race"])
    # the Census answer's sentinel codes and nulls are statuses, never numbers
    nhpi = RACE_ITERATIONS["E"]
    assert (df.xs(nhpi, level="race").loc["06013", "status"] == Status.NOT_COMPUTABLE).all()
    assert df.loc[("06081", "2011-2015", RACE_ITERATIONS["C"]), "status"] == Status.MISSING
    white = df.loc[("06075", "2011-2015", RACE_ITERATIONS["A"])]
    assert white["status"] == Status.MOE_NOT_COMPUTABLE and np.isnan(white["moe"])
    assert (s.frame["value"].dropna() < 100).all() and (s.frame["value"].dropna() > 0).all()
    prov = s.provenance
    assert prov is not None
    assert prov.options["year"] == list(gen.CENSUS_YEARS)
    assert prov.options["requests"] == prov.options["from_cache"] == len(gen.CENSUS_YEARS)
    assert prov.retrieved.startswith("2024-01-15")


def test_census_headline_matches_the_target_and_the_flat_csv(collected: CollectResult) -> None:
    s = collected["youth_unemployment_rate"]
    loop = load_example()
    target = loop.shared_result.targets[0]
    head = s.frame.set_index(["geography", "period", "race"])
    assert head.loc[("06001", "2015-2019", TOTAL), "value"] == target.baseline.value == 17.6
    # The flat CSV holds the same numbers for its groups.
    flat = pd.read_csv(
        EXAMPLES / "data" / "youth_unemployment_rate.csv",
        dtype={"geography": str, "period": str, "race": str},
    ).set_index(["geography", "period", "race"])
    got = head.loc[flat.index, ["value", "moe"]]
    assert np.array_equal(got["value"].to_numpy(), flat["value"].to_numpy())
    assert np.array_equal(got["moe"].to_numpy(), flat["moe"].to_numpy())


def test_pdf_series_has_races_school_years_and_a_total(collected: CollectResult) -> None:
    s = collected["mentees_served"]
    assert s.indicator.id == "mentees_served" and s.geographies == ("06075",)
    assert set(s.categories("race")) == {*gen.RACES, TOTAL}
    assert [str(p) for p in s.periods] == list(gen.SCHOOL_YEARS)
    wide = s.frame.pivot(index="race", columns="period", values="value")
    assert (wide.loc[list(gen.RACES)].sum() == wide.loc[TOTAL]).all()
    assert wide.loc[TOTAL].tolist() == [62, 88, 71, 118, 154]
    assert (wide.loc["Asian alone"] < 11).all()  # small cells a public report must withhold
    assert s.provenance is not None and s.provenance.source.endswith(gen.MENTORING_PDF)


def test_public_report_suppresses_small_cells_the_backbone_sees_them(
    collected: CollectResult,
) -> None:
    from feedbackloop.report import for_audience, render

    loop = load_example()
    att = loop.attachments(EXAMPLES)
    assert {a.id for a in att.agreements} == {"usd_student_data", "youth_works_mentoring"}
    public = for_audience(collected, "public", att.agreements)
    backbone = for_audience(collected, "backbone", att.agreements)
    pub = public["mentees_served"].frame
    withheld = pub["status"].isin([Status.SUPPRESSED, Status.SUPPRESSED_COMPLEMENTARY])
    assert (pub.loc[pub["race"] == "Asian alone", "status"] == Status.SUPPRESSED).all()
    assert withheld.sum() > 5 and pub.loc[withheld, "value"].isna().all()
    assert backbone["mentees_served"].frame["value"].notna().all()
    # public data (the Census estimates) pass unchanged
    assert public["youth_unemployment_rate"] is collected["youth_unemployment_rate"]
    kw: dict[str, Any] = {"charts": False, "illustrative": True, "agreements": att.agreements}
    public_html = render(loop, public, **kw)
    backbone_html = render(loop, backbone, **kw)
    assert f"{int(withheld.sum())} cell(s) suppressed" in public_html
    # The youth survey's small cells are withheld at the source (the survey adapter's
    # policy), for every audience; nothing else is withheld from the backbone.
    survey = collected["youth_paid_job_rate"].frame
    at_source = int(survey["status"].str.startswith("suppressed").sum())
    assert at_source == 4 and survey.loc[survey["race"] == "Asian alone", "value"].isna().all()
    assert backbone_html.count("suppressed to protect privacy") == 1
    assert f"{at_source} cell(s) suppressed to protect privacy" in backbone_html


def test_census_options_in_the_loop_are_those_generate_plans_with() -> None:
    spec = next(i for i in load_example().indicators if i.id == "youth_unemployment_rate").source
    assert spec is not None and spec.adapter == "census"
    options = dict(spec.options)
    assert options.pop("year") == list(gen.CENSUS_YEARS)
    assert options.pop("offline") is True and options.pop("cache_dir") == "census-cache"
    assert options == dict(gen.CENSUS_OPTIONS)


def _files(root: Path) -> dict[str, Path]:
    return {
        p.relative_to(root).as_posix(): p
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_generate_reproduces_the_shipped_files(tmp_path: Path) -> None:
    pytest.importorskip("fpdf", reason="generate.py writes the PDF with fpdf2")
    import fpdf

    from feedbackloop.pdf import read_tables

    written = gen.generate(tmp_path)
    made = _files(tmp_path)
    assert set(made) == {p.relative_to(tmp_path).as_posix() for p in written}
    shipped = {
        k: v for k, v in _files(EXAMPLES).items() if k.startswith(("data/", "census-cache/"))
    }
    assert set(made) == set(shipped)  # nothing missing, nothing stale
    for name, path in made.items():
        if name == gen.MENTORING_PDF and fpdf.__version__ != PDF_MADE_WITH:
            # other fpdf2 versions lay out bytes differently: compare the data it holds
            (new,) = read_tables(path)
            (old,) = read_tables(shipped[name])
            pd.testing.assert_frame_equal(new.frame, old.frame)
            continue
        assert path.read_bytes() == shipped[name].read_bytes(), name


def test_cache_files_are_what_the_census_client_writes(tmp_path: Path) -> None:
    data_files = sorted((EXAMPLES / "census-cache").rglob("data/*.json"))
    assert len(data_files) == len(gen.CENSUS_YEARS)
    for path in data_files:
        shipped = json.loads(path.read_bytes())
        cache = ResponseCache(tmp_path, None)
        body = json.dumps(shipped["body"]).encode()
        where = cache.data_path(2015, "acs/acs5", shipped["request"])
        cache.store_data(where, shipped["request"], 200, body)
        written = json.loads(where.read_bytes())
        assert written.keys() == shipped.keys()
        assert {k: v for k, v in written.items() if k != "retrieved"} == {
            k: v for k, v in shipped.items() if k != "retrieved"
        }
        assert path.name == where.name  # named by the request's hash
        header, *rows = shipped["body"]
        assert header[0] == "GEO_ID" and header[-2:] == ["state", "county"]
        assert all(c is None or isinstance(c, str) for row in rows for c in row)
        assert [r[0] for r in rows] == [f"0500000US{g}" for g in gen.COUNTIES]


def test_collect_resolves_path_options_against_the_loop_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: CensusMock
) -> None:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLES / "census-cache", project / "cache")
    loop_file = project / "loop.yaml"
    options = {**gen.CENSUS_OPTIONS, "year": [2021, 2022], "offline": True}
    loop_file.write_text(
        textwrap.dedent(f"""\
        name: Census from a shipped cache
        indicators:
          - id: youth_unemployment_rate
            name: Unemployment rate, ages 16-24
            unit: percent
            direction: lower_is_better
            source:
              adapter: census
              options: {json.dumps(options)}
        shared_result:
          id: jobs
          title: Youth have jobs
          indicators: [youth_unemployment_rate]
        """).replace("options: {", 'options: {"cache_dir": "cache", ', 1),
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    loop = fl.load_loop(loop_file)
    # Relative to the loop file's folder: found.
    s = fl.collect(loop, base_dir=project, progress=False).raise_for_failures()[
        "youth_unemployment_rate"
    ]
    assert [str(p) for p in s.periods] == ["2017-2021", "2018-2022"]
    assert s.geographies == tuple(gen.COUNTIES)
    # Without base_dir, a loaded loop resolves against its own folder too.
    assert fl.collect(loop, progress=False).ok
    # A loop built in memory has no folder: relative to the current one, with no cache.
    failed = fl.collect(fl.FeedbackLoop.from_dict(loop.to_dict()), progress=False)
    err = failed.failures["youth_unemployment_rate"]
    assert "offline" in str(err) and "2021/acs/acs5/geography.json" in str(err)
    # ... and confined to it: a path option outside is refused before anything is read,
    # unless the folder is allowed.
    doc = loop.to_dict()
    doc["indicators"][0]["source"]["options"]["cache_dir"] = str(project / "cache")
    outside = fl.FeedbackLoop.from_dict(doc)
    with pytest.raises(PathNotAllowedError, match=r"indicators\[0\]\.source\.options\.cache_dir"):
        fl.collect(outside, progress=False)
    assert fl.collect(outside, allow_paths=[project], progress=False).ok
    # Absolute paths are kept as they are, when inside an allowed folder.
    text = loop_file.read_text(encoding="utf-8").replace(
        '"cache_dir": "cache"', f'"cache_dir": {json.dumps(str(project / "cache"))}'
    )
    loop_file.write_text(text, encoding="utf-8")
    absolute = fl.load_loop(loop_file)
    assert fl.collect(absolute, progress=False).ok
    with pytest.raises(PathNotAllowedError):
        fl.collect(absolute, base_dir=tmp_path / "nowhere", progress=False)
    assert no_network.requests == []


def test_the_series_survive_parquet(collected: CollectResult, tmp_path: Path) -> None:
    for ind_id, series in collected.items():
        series.to_parquet(tmp_path / f"{ind_id}.parquet")
        back = fl.read_parquet(tmp_path / f"{ind_id}.parquet")
        assert isinstance(back, IndicatorSeries) and back == series, ind_id


def test_a_loaded_loop_resolves_its_paths_against_its_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``collect(load_loop(path))`` works from any working directory."""
    monkeypatch.chdir(tmp_path)
    loop = fl.load_loop(example_path())
    assert loop.base_dir == str(example_path().parent.resolve())
    assert loop == load_example()  # where it was loaded from is not part of its value
    assert "base_dir" not in loop.to_dict()
    result = fl.collect(loop, progress=False)
    assert result.ok and "mentees_served" in result
    assert loop.attachments().action_plan is not None
