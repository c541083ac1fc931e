"""Catalogue: malformed and hostile loop YAML files and planning files.

Loop files go through :func:`feedbackloop.load_loop`; inventories, agreements
and action plans through their ``load``/``from_*`` readers. Every error must be
of the library's tree and name the file and the line (or row and column).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import feedbackloop as fl
from feedbackloop import load_loop
from feedbackloop.errors import (
    ActionPlanError,
    AgreementError,
    InventoryError,
    LoopFileError,
    LoopValidationError,
    LoopWarning,
    PathNotAllowedError,
)
from feedbackloop.planning import ActionPlan, DataInventory, load_agreements
from reliability._catalogue import Raises, case

LOOP = """\
name: Opportunity Youth Employment
indicators:
  - id: unemployment_rate
    name: Unemployment rate
    unit: percent
    direction: lower_is_better
  - id: credential_rate
    name: Credential attainment
    unit: percent
    direction: higher_is_better
  - id: mentored
    name: Youth mentored
    unit: people
    direction: higher_is_better
    kind: performance
    quadrant: how_much
shared_result:
  id: employment
  title: Reduce youth unemployment
  indicators: [unemployment_rate]
outcomes:
  - id: credentials
    title: More credentials
    horizon: 6-10
    indicators: [credential_rate]
    contributes_to: [employment]
strategies:
  - id: mentoring
    title: Mentoring
    partners: [Youth Works]
    indicators: [mentored]
    contributes_to: [credentials]
"""

LAUGHS = "lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9)
)


def edit(old: str, new: str) -> bytes:
    assert old in LOOP
    return LOOP.replace(old, new, 1).encode("utf-8")


def loop_with_source(path: str) -> bytes:
    return edit(
        "    direction: lower_is_better\n",
        f"    direction: lower_is_better\n    source: {{adapter: csv, path: {path!r}}}\n",
    )


LOOP_CASES = [
    case(
        "yaml",
        "python-object-apply",
        edit("Opportunity Youth Employment", "!!python/object/apply:os.system ['echo owned']"),
        Raises(LoopFileError, "{name}", "line 1", "python/object/apply"),
    ),
    case(
        "yaml",
        "python-name",
        edit("title: Mentoring", "title: !!python/name:os.system"),
        Raises(LoopFileError, "{name}", "line 29", "python/name"),
    ),
    case(
        "yaml",
        "python-module",
        b"name: !!python/module:os\n",
        Raises(LoopFileError, "{name}", "line 1", "python/module"),
    ),
    case(
        "yaml",
        "billion-laughs",
        LOOP.encode() + LAUGHS.encode(),
        Raises(LoopFileError, "{name}", "line 39", "aliases"),
    ),
    case(
        "yaml",
        "billion-laughs-alone",
        LAUGHS.encode(),
        Raises(LoopFileError, "{name}", "at most 1,000,000"),
    ),
    case(
        "yaml",
        "recursive-alias",
        edit("partners: [Youth Works]", "partners: &p [*p]"),
        Raises(LoopFileError, "{name}", "strategies[0].partners", "line 30", "cycle"),
    ),
    case(
        "yaml",
        "recursive-mapping-alias",
        b"name: x\nnotes: &n {self: *n}\n",
        Raises(LoopFileError, "{name}", "line 2", "cycle"),
    ),
    case(
        "yaml",
        "duplicate-top-level-key",
        edit("name: Opportunity", "name: Other\nname: Opportunity"),
        Raises(LoopFileError, "{name}", "'name' appears twice", "lines 1 and 2"),
    ),
    case(
        "yaml",
        "duplicate-nested-key",
        edit("    title: Mentoring\n", "    title: Mentoring\n    title: Tutoring\n"),
        Raises(LoopFileError, "{name}", "strategies[0].title", "line 30", "twice"),
    ),
    case(
        "yaml",
        "wrong-type-list",
        edit("partners: [Youth Works]", "partners: 5"),
        Raises(LoopFileError, "{name}", "strategies[0].partners (line 30)", "list of text"),
    ),
    case(
        "yaml",
        "wrong-type-name",
        edit("name: Opportunity Youth Employment", "name: no"),
        Raises(LoopFileError, "{name}", "name (line 1)", "text"),
    ),
    case(
        "yaml",
        "indicators-not-a-list",
        b"name: x\nindicators: 5\n",
        Raises(LoopFileError, "{name}", "indicators (line 2)"),
    ),
    case(
        "yaml",
        "unknown-top-level-key",
        edit("name: Opportunity Youth Employment", "name: X\nnmae: Y"),
        Raises(LoopFileError, "{name}", "nmae (line 2)", "unknown key"),
    ),
    case(
        "yaml",
        "unknown-node-key",
        edit("    horizon: 6-10\n", "    horizon: 6-10\n    horizn: 3-6\n"),
        Raises(LoopFileError, "{name}", "outcomes[0].horizn (line 25)", "unknown key"),
    ),
    case(
        "yaml",
        "bad-horizon",
        edit("horizon: 6-10", "horizon: 5-8"),
        Raises(LoopFileError, "{name}", "outcomes[0].horizon (line 24)", "5-8"),
    ),
    case(
        "yaml",
        "bad-direction",
        edit("direction: higher_is_better", "direction: up"),
        Raises(LoopFileError, "{name}", "indicators[1].direction (line 10)"),
    ),
    case(
        "yaml",
        "deep-nesting-flow",
        b"name: " + b"[" * 5000 + b"]" * 5000 + b"\n",
        Raises(LoopFileError, "{name}", "nested too deeply"),
    ),
    case(
        "yaml",
        "deep-nesting-block",
        "".join("  " * i + f"k{i}:\n" for i in range(3000)).encode(),
        Raises(LoopFileError, "{name}", "nested too deeply"),
    ),
    case(
        "yaml",
        "latin1-bytes",
        LOOP.replace("Mentoring", "Mentorée").encode("latin-1"),
        Raises(LoopFileError, "{name}", "not UTF-8"),
    ),
    case("yaml", "utf16", LOOP.encode("utf-16"), Raises(LoopFileError, "{name}", "not UTF-8")),
    case(
        "yaml",
        "nul-byte",
        edit("title: Mentoring", "title: Men\x00toring"),
        Raises(LoopFileError, "{name}", "line 29", "unacceptable character"),
    ),
    case("yaml", "empty-file", b"", Raises(LoopFileError, "{name}", "mapping")),
    case(
        "yaml",
        "top-level-list",
        b"- a\n- b\n",
        Raises(LoopFileError, "{name}", "line 1", "mapping"),
    ),
    case("yaml", "top-level-scalar", b"just text\n", Raises(LoopFileError, "{name}", "mapping")),
    case(
        "yaml",
        "tab-indentation",
        b"name: x\nindicators:\n\t- id: a\n",
        Raises(LoopFileError, "{name}", "line 3, column 1"),
    ),
    case(
        "yaml",
        "unclosed-flow",
        edit("partners: [Youth Works]", "partners: [Youth Works"),
        Raises(LoopFileError, "{name}", "not valid YAML", "line 3"),
    ),
    case(
        "yaml",
        "two-documents",
        LOOP.encode() + b"---\nname: again\n",
        Raises(LoopFileError, "{name}", "line 33", "another document"),
    ),
    case(
        "yaml",
        "graph-cycle",
        edit("contributes_to: [credentials]", "contributes_to: [mentoring]"),
        Raises(LoopValidationError, "mentoring"),
    ),
    case(
        "yaml",
        "link-to-unknown-node",
        edit("contributes_to: [credentials]", "contributes_to: [credentialz]"),
        Raises(LoopValidationError, "mentoring", "'credentialz'"),
    ),
    case(
        "yaml",
        "duplicate-node-id",
        edit("  - id: mentoring", "  - id: credentials"),
        Raises(LoopValidationError, "credentials: duplicate node id"),
    ),
    case(
        "yaml",
        "unknown-indicator",
        edit("indicators: [mentored]", "indicators: [mentord]"),
        Raises(LoopValidationError, "mentoring", "'mentord'"),
    ),
]

PATH_CASES = [
    case(
        "yaml",
        "source-parent-dir",
        loop_with_source("../secret.csv"),
        "collect",
        Raises(PathNotAllowedError, "../secret.csv", "indicators[0].source.path"),
    ),
    case(
        "yaml",
        "source-absolute",
        loop_with_source("/etc/passwd"),
        "collect",
        Raises(PathNotAllowedError, "/etc/passwd"),
    ),
    case(
        "yaml",
        "source-dotdot-inside",
        loop_with_source("data/../../secret.csv"),
        "collect",
        Raises(PathNotAllowedError, "secret.csv"),
    ),
    case(
        "yaml",
        "attachment-parent-dir",
        LOOP.encode() + b"action_plan: {path: ../plan.csv}\n",
        "attachments",
        Raises(PathNotAllowedError, "../plan.csv", "action_plan"),
    ),
]


def _write(tmp_path: Path, data: bytes, name: str = "loop.yaml") -> Path:
    folder = tmp_path / "loop"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("data", "expect"), LOOP_CASES)
def test_bad_loop_file_raises_a_located_error(tmp_path: Path, data: bytes, expect: Raises) -> None:
    path = _write(tmp_path, data)
    t0 = time.perf_counter()
    expect.check(lambda: load_loop(path), name=path.name)
    assert time.perf_counter() - t0 < 5  # hostile input is refused, not chewed on


@pytest.mark.parametrize(("data", "how", "expect"), PATH_CASES)
def test_paths_outside_the_loop_folder_are_refused(
    tmp_path: Path, data: bytes, how: str, expect: Raises
) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("geography,period,value\n06,2020,1\n")
    (tmp_path / "plan.csv").write_text("Action Steps,Deliverable\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LoopWarning)  # the example loop skips a rung
        loop = load_loop(_write(tmp_path, data))
    if how == "collect":
        expect.check(lambda: fl.collect(loop, progress=False))
    else:
        expect.check(lambda: loop.attachments())


# -------------------------------------------------------------------- planning

INVENTORY = (
    "indicator,name,disaggregations,owner,availability,importance,acquisition,proxy,cadence,"
    "lag_days,agreement,source_adapter,source_path,source_options,source_notes,notes\n"
    "rate,Rate,race,Census,available,high,public,,annual,350,,,,,,\n"
)
AGREEMENT = """\
id: usd
title: Student data
parties: [District, Backbone]
datasets: [Extract]
fields: [school, students]
indicators: [absence]
format: csv
cadence: quarterly
first_period: 2024-Q3
days_after_period_end: 45
audiences:
  public: {threshold: 20}
"""
PLAN = (
    "Action Steps,Deliverable,Person(s) or Group(s) Responsible,Start,Stop,Date Completed,"
    "Resources Needed\n"
    "A) Tools,,,,,,\n"
    "Build a tracker,Tracker,Data team,2024-09-01,2024-12-31,,None\n"
)


def _inventory(tmp_path: Path, data: bytes) -> Callable[[], Any]:
    path = _write(tmp_path, data, "inventory.csv")
    return lambda: DataInventory.load(path)


def _inventory_yaml(tmp_path: Path, data: bytes) -> Callable[[], Any]:
    path = _write(tmp_path, data, "inventory.yaml")
    return lambda: DataInventory.load(path)


def _agreement(tmp_path: Path, data: bytes) -> Callable[[], Any]:
    path = _write(tmp_path, data, "agreement.yaml")
    return lambda: load_agreements(path)


def _plan(name: str) -> Callable[[Path, bytes], Callable[[], Any]]:
    def make(tmp_path: Path, data: bytes) -> Callable[[], Any]:
        path = _write(tmp_path, data, name)
        return lambda: ActionPlan.load(path, plan_year="2024/25")

    return make


PLANNING_CASES = [
    case(
        "planning",
        "inventory-bad-availability",
        _inventory,
        INVENTORY.replace("available,high", "maybe,high").encode(),
        Raises(InventoryError, "{name}", "row 2", "availability"),
    ),
    case(
        "planning",
        "inventory-bad-lag",
        _inventory,
        INVENTORY.replace(",350,", ",soon,").encode(),
        Raises(InventoryError, "{name}", "row 2", "lag_days"),
    ),
    case(
        "planning",
        "inventory-missing-column",
        _inventory,
        b"nme,owner\nRate,Census\n",
        Raises(InventoryError, "{name}", "row 1", "'indicator'"),
    ),
    case(
        "planning",
        "inventory-not-utf8",
        _inventory,
        INVENTORY.replace("Rate", "Taux é").encode("latin-1"),
        Raises(InventoryError, "{name}", "not UTF-8"),
    ),
    case("planning", "inventory-empty", _inventory, b"", Raises(InventoryError, "{name}")),
    case(
        "planning",
        "inventory-huge-field",
        _inventory,
        INVENTORY.replace("Rate,race", "R" * 200_000 + ",race").encode(),
        Raises(InventoryError, "{name}", "row 2"),
    ),
    case(
        "planning",
        "inventory-yaml-python-tag",
        _inventory_yaml,
        b"needs: !!python/object/apply:os.system [ls]\n",
        Raises(InventoryError, "{name}", "line 1"),
    ),
    case(
        "planning",
        "agreement-wrong-threshold",
        _agreement,
        AGREEMENT.replace("threshold: 20", "threshold: many").encode(),
        Raises(AgreementError, "{name}", "line 12", "threshold"),
    ),
    case(
        "planning",
        "agreement-duplicate-key",
        _agreement,
        AGREEMENT.replace("format: csv\n", "format: csv\nformat: xlsx\n").encode(),
        Raises(AgreementError, "{name}", "twice", "lines 7 and 8"),
    ),
    case(
        "planning",
        "agreement-billion-laughs",
        _agreement,
        AGREEMENT.encode() + LAUGHS.encode(),
        Raises(AgreementError, "{name}", "aliases"),
    ),
    case(
        "planning",
        "agreement-bad-period",
        _agreement,
        AGREEMENT.replace("2024-Q3", "2024-Q5").encode(),
        Raises(AgreementError, "{name}", "first_period", "line 9"),
    ),
    case(
        "planning",
        "plan-bad-stop-date",
        _plan("plan.csv"),
        PLAN.replace("2024-12-31", "31/31/2024").encode(),
        Raises(ActionPlanError, "{name}", "row 3", "'Stop' (E)"),
    ),
    case(
        "planning",
        "plan-unknown-suffix",
        _plan("plan.txt"),
        PLAN.encode(),
        Raises(ActionPlanError, "{name}"),
    ),
    case(
        "planning",
        "plan-xlsx-that-is-csv",
        _plan("plan.xlsx"),
        PLAN.encode(),
        Raises(ActionPlanError, "{name}", "XLSX"),
    ),
    case(
        "planning",
        "plan-yaml-python-tag",
        _plan("plan.yaml"),
        b"actions:\n  - step: !!python/object/apply:os.system [ls]\n",
        Raises(ActionPlanError, "{name}", "line 2"),
    ),
]


@pytest.mark.parametrize(("make", "data", "expect"), PLANNING_CASES)
def test_bad_planning_file_raises_a_located_error(
    tmp_path: Path,
    make: Callable[[Path, bytes], Callable[[], Any]],
    data: bytes,
    expect: Raises,
) -> None:
    call = make(tmp_path, data)
    name = next(p.name for p in (tmp_path / "loop").iterdir())
    expect.check(call, name=name)


@pytest.mark.catalogue("yaml")
def test_a_loop_with_a_bom_and_crlf_loads(tmp_path: Path) -> None:
    path = _write(tmp_path, b"\xef\xbb\xbf" + LOOP.replace("\n", "\r\n").encode())
    loop = load_loop(path, validate=False)
    assert loop.name == "Opportunity Youth Employment"
    assert loop.node("mentoring").partners == ("Youth Works",)  # type: ignore[attr-defined]


@pytest.mark.catalogue("yaml")
def test_anchors_that_stay_small_still_work(tmp_path: Path) -> None:
    text = LOOP.replace("partners: [Youth Works]", "partners: &p [Youth Works, Mentors]")
    text = text.replace(
        "    title: More credentials\n", "    title: More credentials\n    description: x\n"
    )
    path = _write(tmp_path, text.encode())
    loop = load_loop(path, validate=False)
    assert loop.node("mentoring").partners == ("Youth Works", "Mentors")  # type: ignore[attr-defined]
