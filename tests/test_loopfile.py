from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given

from feedbackloop import FeedbackLoop, Horizon, load_loop
from feedbackloop.errors import LoopFileError, LoopValidationError
from feedbackloop.examples import example_path, load_example
from feedbackloop.testing.strategies import loops

ISSUE_EXAMPLE = """\
name: Opportunity Youth Employment
indicators:
  - id: unemployment_rate
    name: Unemployment rate, ages 16–24
    unit: percent
    direction: lower_is_better        # or higher_is_better
    kind: population                  # or performance (with quadrant)
    dimensions: [race, sex, geography]
  - id: credential_rate
    name: Credential attainment
    unit: percent
    direction: higher_is_better
  - id: completion_rate
    name: Completion
    unit: percent
    direction: higher_is_better
  - id: attendance_rate
    name: Attendance
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
  title: Reduce youth unemployment by 10% in 10 years
  indicators: [unemployment_rate]
  target: {indicator: unemployment_rate, baseline: {period: 2020, value: 8.0},
           relative_change: -0.10, period: 2030}
outcomes:
  - {id: credentials, title: More credentials, horizon: 6-10, indicators: [credential_rate],
     contributes_to: [employment]}
  - {id: completion, title: More completion, horizon: 3-6, indicators: [completion_rate],
     contributes_to: [credentials]}
key_drivers:
  - {id: attendance, title: Attendance, indicators: [attendance_rate],
     contributes_to: [completion]}
strategies:
  - {id: mentoring, title: Mentoring, partners: [Youth Works], indicators: [mentored],
     contributes_to: [attendance]}
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "loop.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_issue_example_loads(tmp_path: Path) -> None:
    loop = load_loop(write(tmp_path, ISSUE_EXAMPLE))
    assert loop.name == "Opportunity Youth Employment"
    assert loop.shared_result.targets[0].level == pytest.approx(7.2)
    assert loop.node("completion").horizon is Horizon.YEARS_3_6  # type: ignore[attr-defined]
    assert loop.node("mentoring").partners == ("Youth Works",)  # type: ignore[attr-defined]


def test_round_trip_of_the_bundled_example(tmp_path: Path) -> None:
    loop = load_example()
    out = tmp_path / "copy.yaml"
    loop.to_yaml(out)
    assert load_loop(out) == loop
    assert FeedbackLoop.from_dict(loop.to_dict()) == loop


@given(loops())
def test_dict_and_yaml_round_trip(loop: FeedbackLoop) -> None:
    assert FeedbackLoop.from_dict(loop.to_dict()) == loop
    assert FeedbackLoop.from_dict(yaml.safe_load(loop.to_yaml())) == loop


def test_bad_horizon_names_path_and_line(tmp_path: Path) -> None:
    text = ISSUE_EXAMPLE.replace("horizon: 3-6", 'horizon: "5-8"')
    with pytest.raises(LoopFileError) as info:
        load_loop(write(tmp_path, text))
    msg = str(info.value)
    assert "loop.yaml" in msg
    assert "outcomes[1].horizon (line 36): must be one of 3-6, 6-10 (got '5-8')" in msg


def test_every_problem_is_reported(tmp_path: Path) -> None:
    text = textwrap.dedent("""\
        name: Broken
        colour: blue
        indicators:
          - id: Rate
            name: Rate
            unit: percent
            direction: sideways
          - id: ok
            name: OK
            unit: blorps
            direction: higher_is_better
        shared_result:
          id: r
          title: R
          target: {baseline: {period: 20x0, value: high}, period: 2030, value: 1}
        outcomes:
          - {id: o, title: O, horizon: 3-6, contributes_to: r}
          - just a string
        """)
    with pytest.raises(LoopFileError) as info:
        load_loop(write(tmp_path, text))
    wheres = [p.where for p in info.value.problems]
    joined = "\n".join(str(p) for p in info.value.problems)
    assert "colour (line 2)" in wheres
    assert "indicators[0].id (line 4)" in wheres
    assert "indicators[0].direction (line 7)" in wheres
    assert any(w.startswith("indicators[1].unit") for w in wheres)
    assert "blorps" in joined
    assert any(w.startswith("shared_result.target.indicator") for w in wheres)
    assert any(w.startswith("shared_result.target.baseline.period") for w in wheres)
    assert any(w.startswith("shared_result.target.baseline.value") for w in wheres)
    assert "outcomes[1] (line 18)" in wheres
    assert len(info.value.problems) >= 8


def test_missing_shared_result_and_wrong_types() -> None:
    with pytest.raises(LoopFileError, match="shared_result: is required"):
        FeedbackLoop.from_dict({"name": "x"})
    with pytest.raises(LoopFileError, match=r"\(document\): must be a mapping"):
        FeedbackLoop.from_dict(["not", "a", "mapping"])  # type: ignore[arg-type]
    with pytest.raises(LoopFileError, match="exactly one shared result"):
        FeedbackLoop.from_dict({"name": "x", "shared_result": [{"id": "a", "title": "A"}]})


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    with pytest.raises(LoopFileError, match=r"line 3, column 1: not valid YAML"):
        load_loop(write(tmp_path, "name: x\nshared_result: {id: a, title: [\n"))


def test_graph_errors_raised_after_parsing(tmp_path: Path) -> None:
    text = ISSUE_EXAMPLE.replace("contributes_to: [completion]", "contributes_to: [nowhere]")
    with pytest.raises(LoopValidationError, match="'nowhere', which is not a node"):
        load_loop(write(tmp_path, text))
    assert load_loop(write(tmp_path, text), validate=False).name


def test_missing_file() -> None:
    with pytest.raises(FileNotFoundError, match="loop file not found"):
        load_loop("/no/such/loop.yaml")


def test_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    load_example().to_yaml(tmp_path / "out.yaml")
    assert [p.name for p in tmp_path.iterdir()] == ["out.yaml"]
    assert example_path().read_text(encoding="utf-8").startswith("# ILLUSTRATIVE")


def test_atomic_write_gives_a_shareable_mode(tmp_path: Path) -> None:
    import os
    import stat

    from feedbackloop.io._loopfile import atomic_write_text

    new = tmp_path / "report.html"
    atomic_write_text(new, "x")
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~mask
    new.chmod(0o640)
    atomic_write_text(new, "y")  # replacing keeps the file's own mode
    assert stat.S_IMODE(new.stat().st_mode) == 0o640
    assert new.read_text() == "y"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary left


def test_an_impossible_date_is_a_located_error() -> None:
    from feedbackloop._util import parse_yaml

    with pytest.raises(
        LoopFileError, match=r"line 2, column 4: .*'2024-02-30' is not a valid date"
    ):
        parse_yaml("a: 1\nb: 2024-02-30\n", "loop.yaml")
