from __future__ import annotations

import pickle

import attrs
import pytest
from hypothesis import given

from feedbackloop import (
    Baseline,
    Direction,
    FeedbackLoop,
    Horizon,
    Indicator,
    KeyDriver,
    MeasureKind,
    Outcome,
    SharedResult,
    Strategy,
    Target,
    Tier,
)
from feedbackloop.errors import (
    FeedbackloopError,
    LoopValidationError,
    LoopWarning,
    TargetError,
    UnitError,
    UnknownNodeError,
)
from feedbackloop.examples import load_example
from feedbackloop.model import Aggregation, Quadrant
from feedbackloop.testing.strategies import loops


def ind(id: str, unit: str = "percent", **kw: object) -> Indicator:
    return Indicator(id=id, name=id.title(), unit=unit, direction="lower_is_better", **kw)


def small_loop(**changes: object) -> FeedbackLoop:
    parts: dict[str, object] = dict(
        name="Test",
        indicators=(
            ind("u"),
            ind("g"),
            ind("a"),
            ind("m", "people", kind="performance", quadrant="how_much"),
        ),
        shared_result=SharedResult(id="result", title="R", indicators=("u",)),
        outcomes=(
            Outcome(
                id="long", title="L", horizon="6-10", indicators=("g",), contributes_to=("result",)
            ),
            Outcome(
                id="short", title="S", horizon="3-6", indicators=("g",), contributes_to=("long",)
            ),
        ),
        key_drivers=(KeyDriver(id="drv", title="D", indicators=("a",), contributes_to=("short",)),),
        strategies=(
            Strategy(
                id="strat", title="St", indicators=("m",), partners=("P",), contributes_to=("drv",)
            ),
        ),
    )
    parts.update(changes)
    return FeedbackLoop(**parts)  # type: ignore[arg-type]


# ------------------------------------------------------------------ indicator


def test_indicator_fields_and_enums() -> None:
    i = Indicator(
        id="mentored",
        name="Mentored",
        unit="students",
        direction="higher_is_better",
        kind="performance",
        quadrant="better_off",
        dimensions=["race", "sex"],
    )
    assert i.direction is Direction.HIGHER_IS_BETTER
    assert i.kind is MeasureKind.PERFORMANCE
    assert i.quadrant is Quadrant.BETTER_OFF
    assert i.dimensions == ("race", "sex")
    assert hash(i) == hash(attrs.evolve(i))


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"id": "Bad Id"}, "id"),
        ({"unit": "furlongs per fortnight squared zorp"}, "unknown unit"),
        ({"direction": "up"}, "higher_is_better, lower_is_better"),
        ({"kind": "performance"}, "needs a quadrant"),
        ({"quadrant": "how_much"}, "cannot have a quadrant"),
        ({"dimensions": ("race", "race")}, "dimension twice"),
        ({"name": "   "}, "non-empty"),
    ],
)
def test_indicator_rejects_bad_values(kw: dict[str, object], match: str) -> None:
    base: dict[str, object] = dict(id="x", name="X", unit="percent", direction="lower_is_better")
    base.update(kw)
    with pytest.raises(ValueError, match=match):
        Indicator(**base)  # type: ignore[arg-type]


def test_unknown_unit_is_unit_error() -> None:
    with pytest.raises(UnitError) as err:
        Indicator(id="x", name="X", unit="blorps", direction="lower_is_better")
    assert isinstance(err.value, FeedbackloopError)
    assert "blorps" in str(err.value)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("people", Aggregation.SUM),
        ("households", Aggregation.SUM),
        ("percent", Aggregation.NONE),
        ("per 1000 people", Aggregation.NONE),
        ("USD", Aggregation.NONE),
        ("days", Aggregation.NONE),
    ],
)
def test_default_aggregation_from_unit(unit: str, expected: Aggregation) -> None:
    assert ind("x", unit).effective_aggregation is expected
    assert ind("x", unit, aggregation="ratio").effective_aggregation is Aggregation.RATIO


# --------------------------------------------------------------------- target


def test_target_relative_change_domain_example() -> None:
    """domain.md §6: baseline 8.0, −10% in 10 years, observed 7.6 at year 4."""
    t = Target(
        indicator="u", baseline=Baseline(period=2020, value=8.0), period=2030, relative_change=-0.10
    )
    assert t.kind == "relative"
    assert t.level == pytest.approx(7.2)
    assert t.horizon == 10
    assert t.expected(2024) == pytest.approx(7.68)
    assert t.expected(2024, "compound") == pytest.approx(7.6699, abs=1e-4)
    assert t.percent_achieved(7.6) == pytest.approx(50.0)
    assert not t.is_met(7.6, Direction.LOWER_IS_BETTER)
    assert t.is_met(7.1, Direction.LOWER_IS_BETTER)


def test_target_absolute_points_vs_relative() -> None:
    """domain.md §6: +10 pp on 70% is 80%, +10% is 77%."""
    b = Baseline(period=2020, value=70.0)
    assert Target(indicator="g", baseline=b, period=2025, absolute_change=10).level == 80
    assert Target(indicator="g", baseline=b, period=2025, relative_change=0.10).level == (
        pytest.approx(77.0)
    )
    assert Target(indicator="g", baseline=b, period=2025, value=85).level == 85


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({}, "exactly one of"),
        ({"value": 1, "relative_change": -0.1}, "exactly one of"),
        ({"value": 1, "period": 2019}, "must come after"),
        ({"relative_change": -1.5}, "zero or below"),
    ],
)
def test_target_rejects(kw: dict[str, object], match: str) -> None:
    base: dict[str, object] = {
        "indicator": "u",
        "baseline": Baseline(period=2020, value=8.0),
        "period": 2030,
    }
    base.update(kw)
    with pytest.raises(TargetError, match=match):
        Target(**base)  # type: ignore[arg-type]


def test_target_over_multi_year_periods_uses_midpoints() -> None:
    t = Target(
        indicator="u",
        baseline=Baseline(period="2015-2019", value=14.6),
        period="2025-2029",
        relative_change=-0.1,
    )
    assert t.horizon == 10
    assert t.expected("2020-2024") == pytest.approx(14.6 - 0.73)


# ------------------------------------------------------------------ the graph


def test_small_loop_is_valid_and_queryable() -> None:
    loop = small_loop().validate()
    assert [n.id for n in loop.by_tier(Tier.OUTCOME_3_6Y)] == ["short"]
    assert [n.id for n in loop.contributors("result")] == ["long", "short", "drv", "strat"]
    assert loop.path("strat", "result") == ("strat", "drv", "short", "long", "result")
    assert loop.path("result", "strat") is None
    assert loop.unmeasured() == ()
    assert "strat" in loop and "nope" not in loop
    assert loop["drv"].title == "D"
    with pytest.raises(UnknownNodeError, match="known ids: drv, long, result, short, strat"):
        loop.node("nope")
    with pytest.raises(KeyError):
        loop.node("nope")


def test_validate_lists_every_problem_at_once() -> None:
    loop = small_loop(
        key_drivers=(
            KeyDriver(id="drv", title="D", indicators=("a", "ghost"), contributes_to=("short",)),
            KeyDriver(id="drv", title="Dup", indicators=("a",), contributes_to=("nowhere",)),
            KeyDriver(id="side", title="Side", indicators=("a",), contributes_to=("drv",)),
        ),
        strategies=(
            Strategy(id="strat", title="St", indicators=("m",), contributes_to=("strat2",)),
            Strategy(id="strat2", title="St2", indicators=("m",), contributes_to=("strat",)),
        ),
    )
    with pytest.raises(LoopValidationError) as info:
        loop.validate()
    err = info.value
    text = str(err)
    messages = [str(p) for p in err.problems]
    assert any("drv: duplicate node id" in m for m in messages)
    assert any("'ghost' is referenced but not defined" in m for m in messages)
    assert any("'nowhere', which is not a node" in m for m in messages)
    assert any("side: link to 'drv' points sideways" in m for m in messages)
    assert any("cycle: strat → strat2 → strat" in m for m in messages)
    assert any(m.startswith("strat: strategy has no path to the shared result") for m in messages)
    assert "problems" in text and isinstance(err, ValueError)
    assert pickle.loads(pickle.dumps(err)).problems == err.problems


def test_link_pointing_down_is_an_error() -> None:
    loop = small_loop(
        outcomes=(
            Outcome(
                id="long",
                title="L",
                horizon="6-10",
                indicators=("g",),
                contributes_to=("result", "short"),
            ),
            Outcome(
                id="short", title="S", horizon="3-6", indicators=("g",), contributes_to=("long",)
            ),
        )
    )
    problems = [str(p) for p in loop.check().errors]
    assert any("long: link to 'short' points down" in p for p in problems)


def test_target_indicator_must_be_listed() -> None:
    t = Target(indicator="g", baseline=Baseline(period=2020, value=1.0), period=2025, value=2.0)
    loop = small_loop(
        shared_result=SharedResult(id="result", title="R", indicators=("u",), targets=(t,))
    )
    assert any("not among the node's indicators" in str(p) for p in loop.check().errors)


def test_warnings_for_unmeasured_nodes_and_skipped_rungs() -> None:
    loop = small_loop(strategies=(Strategy(id="strat", title="St", contributes_to=("short",)),))
    result = loop.check()
    assert result.ok
    assert any("strategy has no indicator" in str(w) for w in result.warnings)
    assert any("skips a rung" in str(w) for w in result.warnings)
    expected = "skips a rung|has no indicator|measures no node"
    with pytest.warns(LoopWarning, match=expected) as record:
        loop.validate()
    assert any("skips a rung" in str(w.message) for w in record)
    assert [n.id for n in loop.unmeasured()] == ["strat"]


def test_mermaid_tree_and_html() -> None:
    loop = small_loop()
    mermaid = loop.to_mermaid()
    assert mermaid.startswith("flowchart LR")
    assert "strat --> drv" in mermaid
    tree = loop.tree()
    assert tree.splitlines()[1].startswith("shared result: result")
    assert "partners: P" in tree
    html = loop._repr_html_()
    assert "<table>" in html and "strat" in html
    assert "1 strategy" in repr(loop)


def test_to_networkx() -> None:
    pytest.importorskip("networkx")
    g = small_loop().to_networkx()
    assert set(g.successors("strat")) == {"drv"}
    assert g.nodes["result"]["tier"] is Tier.SHARED_RESULT


def test_bundled_example_is_valid() -> None:
    loop = load_example()
    assert loop.shared_result.targets[0].level == pytest.approx(15.84)
    assert {o.horizon for o in loop.outcomes} == {Horizon.YEARS_3_6, Horizon.YEARS_6_10}
    assert loop.check().warnings == ()


@given(loops())
def test_generated_loops_validate(loop: FeedbackLoop) -> None:
    assert loop.check().errors == ()
    reach = {n.id for n in loop.contributors(loop.shared_result.id)}
    assert reach == {n.id for n in loop.nodes} - {loop.shared_result.id}
    for n in loop.nodes:
        if n is not loop.shared_result:
            path = loop.path(n.id, loop.shared_result.id)
            assert path is not None and path[0] == n.id and path[-1] == loop.shared_result.id


@given(loops())
def test_breaking_a_link_is_detected(loop: FeedbackLoop) -> None:
    """Pointing any non-result node at an unknown id is always reported for that node."""
    victims = [n for n in loop.nodes if n.contributes_to]
    if not victims:
        return
    victim = victims[0]
    broken = attrs.evolve(victim, contributes_to=("zz_missing",))
    field = {Tier.KEY_DRIVER: "key_drivers", Tier.STRATEGY: "strategies"}.get(
        victim.tier, "outcomes"
    )
    nodes = tuple(broken if n is victim else n for n in getattr(loop, field))
    errors = attrs.evolve(loop, **{field: nodes}).check().errors
    assert any(p.where == victim.id and "zz_missing" in p.message for p in errors)
