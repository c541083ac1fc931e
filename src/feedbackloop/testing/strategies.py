"""Hypothesis strategies for feedbackloop objects (needs the ``testing`` extra).

Use them in your own property tests::

    from hypothesis import given
    from feedbackloop.testing.strategies import loops

    @given(loops())
    def test_my_report_handles_any_loop(loop): ...
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from hypothesis import strategies as st

from feedbackloop.model import (
    Baseline,
    Direction,
    FeedbackLoop,
    Horizon,
    Indicator,
    KeyDriver,
    MeasureKind,
    Outcome,
    Quadrant,
    SharedResult,
    Strategy,
    Target,
)
from feedbackloop.period import Period
from feedbackloop.series import IndicatorSeries

__all__ = ["count_series", "indicators", "loops", "slugs", "targets"]

UNITS = ("percent", "people", "students", "households", "USD", "per 1000 people", "days")
DIMENSIONS = ("race", "sex", "age", "geography", "school_district", "grade")

_TEXT = st.text(
    alphabet=st.characters(
        whitelist_categories=("Lu", "Ll", "Nd", "Zs", "Pd", "Po"),
        whitelist_characters="–é'&()",
        max_codepoint=0x2FFF,
    ),
    min_size=1,
    max_size=30,
).filter(lambda s: bool(s.strip()))


def slugs() -> st.SearchStrategy[str]:
    """Ids such as ``ab_3`` (lower-case letter, then letters, digits, underscores)."""
    return st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)


@st.composite
def indicators(draw: st.DrawFn, id: str | None = None) -> Indicator:
    """Generate a valid :class:`Indicator`."""
    kind = draw(st.sampled_from(MeasureKind))
    return Indicator(
        id=id or draw(slugs()),
        name=draw(_TEXT),
        unit=draw(st.sampled_from(UNITS)),
        direction=draw(st.sampled_from(Direction)),
        kind=kind,
        quadrant=draw(st.sampled_from(Quadrant)) if kind is MeasureKind.PERFORMANCE else None,
        description=draw(st.one_of(st.just(""), _TEXT)),
        dimensions=tuple(draw(st.lists(st.sampled_from(DIMENSIONS), unique=True, max_size=3))),
    )


_finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def targets(draw: st.DrawFn, indicator: str | None = None) -> Target:
    """Generate a valid :class:`Target` with yearly periods."""
    start = draw(st.integers(min_value=1990, max_value=2030))
    length = draw(st.integers(min_value=1, max_value=15))
    which = draw(st.sampled_from(("value", "relative_change", "absolute_change")))
    amount: dict[str, Any] = {}
    if which == "relative_change":
        amount[which] = draw(st.floats(min_value=-0.9, max_value=2.0, allow_nan=False))
    else:
        amount[which] = draw(_finite)
    return Target(
        indicator=indicator or draw(slugs()),
        baseline=Baseline(period=Period.parse(start), value=draw(_finite)),
        period=Period.parse(start + length),
        **amount,
    )


@st.composite
def loops(draw: st.DrawFn, max_nodes_per_tier: int = 3) -> FeedbackLoop:
    """Generate a :class:`FeedbackLoop` that passes :meth:`FeedbackLoop.validate`.

    Every node links to at least one node on a higher rung, so every node has
    a path to the shared result; links may skip rungs (a warning, not an error).
    """
    n = max_nodes_per_tier
    ids = draw(st.lists(slugs(), min_size=1 + 4 * n + 12, max_size=1 + 4 * n + 12, unique=True))
    ind_ids = ids[-12:]
    node_ids = iter(ids[:-12])
    inds = [draw(indicators(id=i)) for i in ind_ids[: draw(st.integers(1, 12))]]
    ind_pool = [i.id for i in inds]

    def measured() -> tuple[tuple[str, ...], tuple[Target, ...]]:
        chosen = tuple(draw(st.lists(st.sampled_from(ind_pool), unique=True, max_size=2)))
        tgts = tuple(draw(targets(indicator=c)) for c in chosen if draw(st.booleans()))
        return chosen, tgts

    def common() -> dict[str, Any]:
        chosen, tgts = measured()
        return {
            "title": draw(_TEXT),
            "description": draw(st.one_of(st.just(""), _TEXT)),
            "indicators": chosen,
            "targets": tgts,
            "story": draw(st.one_of(st.just(""), _TEXT)),
        }

    shared = SharedResult(id=next(node_ids), **common())
    higher: list[str] = [shared.id]

    def links() -> tuple[str, ...]:
        return tuple(draw(st.lists(st.sampled_from(higher), min_size=1, max_size=2, unique=True)))

    long_ = [
        Outcome(id=next(node_ids), horizon=Horizon.YEARS_6_10, contributes_to=links(), **common())
        for _ in range(draw(st.integers(0, n)))
    ]
    higher += [o.id for o in long_]
    short = [
        Outcome(id=next(node_ids), horizon=Horizon.YEARS_3_6, contributes_to=links(), **common())
        for _ in range(draw(st.integers(0, n)))
    ]
    higher += [o.id for o in short]
    drivers = [
        KeyDriver(id=next(node_ids), contributes_to=links(), **common())
        for _ in range(draw(st.integers(0, n)))
    ]
    higher += [d.id for d in drivers]
    strategies = [
        Strategy(
            id=next(node_ids),
            contributes_to=links(),
            partners=tuple(draw(st.lists(_TEXT, max_size=2))),
            **common(),
        )
        for _ in range(draw(st.integers(0, n)))
    ]
    return FeedbackLoop(
        name=draw(_TEXT),
        description=draw(st.one_of(st.just(""), _TEXT)),
        shared_result=shared,
        indicators=tuple(inds),
        outcomes=(*long_, *short),
        key_drivers=tuple(drivers),
        strategies=tuple(strategies),
    )


@st.composite
def count_series(
    draw: st.DrawFn,
    *,
    with_moe: bool | None = None,
    max_tracts: int = 6,
    races: tuple[str, ...] = ("Black", "White", "Asian"),
) -> Any:
    """Generate a tract-level count :class:`~feedbackloop.IndicatorSeries` by race.

    GEOIDs are real-shaped 11-digit tract codes in one or two states and a few
    counties; counts are non-negative integers with plenty of zeros; margins
    of error (when present) are non-negative.
    """
    states = draw(
        st.lists(st.sampled_from(["06", "36", "48"]), min_size=1, max_size=2, unique=True)
    )
    tracts = draw(
        st.lists(
            st.tuples(
                st.sampled_from(states),
                st.sampled_from(["001", "037", "075"]),
                st.integers(100, 999999),
            ),
            min_size=1,
            max_size=max_tracts,
            unique=True,
        )
    )
    geoids = [f"{s}{c}{t:06d}" for s, c, t in tracts]
    years = draw(st.lists(st.integers(2015, 2024), min_size=1, max_size=3, unique=True))
    moe = draw(st.booleans()) if with_moe is None else with_moe
    rows = []
    for g in geoids:
        for y in years:
            for r in races:
                v = draw(st.one_of(st.just(0), st.integers(0, 5000)))
                row = {"geography": g, "period": str(y), "race": r, "value": float(v)}
                if moe:
                    row["moe"] = float(draw(st.integers(0, 900)))
                rows.append(row)
    ind = Indicator(
        id="people_count", name="People", unit="people", direction=Direction.HIGHER_IS_BETTER
    )
    return IndicatorSeries.from_frame(pd.DataFrame(rows), indicator=ind, dimensions=("race",))
