"""The boxes of the results graph: shared result, outcomes, key drivers, strategies."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import ClassVar

from attrs import field, frozen
from attrs import validators as v

from feedbackloop._util import nonblank, str_tuple
from feedbackloop.model._indicator import (
    SLUG_PATTERN,
    Target,
    _ValueEnum,
)

__all__ = ["Horizon", "KeyDriver", "Node", "Outcome", "SharedResult", "Strategy", "Tier"]

_slug = v.matches_re(SLUG_PATTERN)


class Tier(enum.IntEnum):
    """The rungs of the feedback-loop ladder, lowest first.

    Links between nodes must point up the ladder: strategies move key drivers,
    which move 3–6 year outcomes, then 6–10 year outcomes, then the shared result.
    """

    STRATEGY = 1
    KEY_DRIVER = 2
    OUTCOME_3_6Y = 3
    OUTCOME_6_10Y = 4
    SHARED_RESULT = 5

    @property
    def label(self) -> str:
        """A human label: ``"3–6 year outcome"``."""
        return _TIER_LABELS[self]

    @property
    def plural(self) -> str:
        """The label in the plural: ``"strategies"``."""
        return "strategies" if self is Tier.STRATEGY else _TIER_LABELS[self] + "s"


_TIER_LABELS = {
    Tier.STRATEGY: "strategy",
    Tier.KEY_DRIVER: "key driver",
    Tier.OUTCOME_3_6Y: "3–6 year outcome",
    Tier.OUTCOME_6_10Y: "6–10 year outcome",
    Tier.SHARED_RESULT: "shared result",
}


class Horizon(_ValueEnum):
    """The time horizon of an outcome: 3–6 years or 6–10 years."""

    YEARS_3_6 = "3-6"
    YEARS_6_10 = "6-10"

    @classmethod
    def parse(cls, value: object) -> Horizon:
        """Accept ``"3-6"``, ``"3–6"`` (en dash), ``"YEARS_3_6"`` or a member."""
        if isinstance(value, str):
            value = value.strip().replace("–", "-").replace("—", "-").replace(" ", "")
        result: Horizon = super().parse(value)
        return result

    @property
    def tier(self) -> Tier:
        """The ladder rung of outcomes with this horizon."""
        return Tier.OUTCOME_3_6Y if self is Horizon.YEARS_3_6 else Tier.OUTCOME_6_10Y


def _horizon(value: object) -> Horizon:
    out: Horizon = Horizon.parse(value)
    return out


def _targets(value: Iterable[Target]) -> tuple[Target, ...]:
    return tuple(value)


@frozen(kw_only=True)
class Node:
    """One box of the results graph (abstract; use a concrete node type).

    Parameters
    ----------
    id : str
        Slug, unique within the loop.
    title : str
        Short statement, e.g. "Reduce youth unemployment by 10% in 10 years".
    description : str
        Longer text.
    indicators : tuple of str
        Ids of the indicators that measure this node.
    targets : tuple of Target
        Targets on those indicators.
    contributes_to : tuple of str
        Ids of the higher nodes this one moves.
    story : str
        Notes on the story behind the curve, shown in reports.

    .. versionadded:: 0.1.0
    """

    kind: ClassVar[str] = "node"

    id: str = field(validator=_slug)
    title: str = field(validator=nonblank)
    description: str = ""
    indicators: tuple[str, ...] = field(default=(), converter=str_tuple)
    targets: tuple[Target, ...] = field(default=(), converter=_targets)
    contributes_to: tuple[str, ...] = field(default=(), converter=str_tuple)
    story: str = ""

    @property
    def tier(self) -> Tier:
        """The node's rung on the ladder."""
        raise NotImplementedError

    def target_for(self, indicator: str) -> Target | None:
        """Return the target on ``indicator``, if the node has one."""
        return next((t for t in self.targets if t.indicator == indicator), None)


@frozen(kw_only=True)
class SharedResult(Node):
    """The shared result: the population-level condition the whole initiative serves.

    Exactly one per loop; it contributes to nothing.

    .. versionadded:: 0.1.0
    """

    kind: ClassVar[str] = "shared_result"

    @property
    def tier(self) -> Tier:
        """Always :attr:`Tier.SHARED_RESULT`."""
        return Tier.SHARED_RESULT


@frozen(kw_only=True)
class Outcome(Node):
    """A population outcome expected in 3–6 or 6–10 years.

    Parameters
    ----------
    horizon : Horizon
        ``Horizon.YEARS_3_6`` or ``Horizon.YEARS_6_10`` (``"3-6"``/``"6-10"``).

    .. versionadded:: 0.1.0
    """

    kind: ClassVar[str] = "outcome"

    horizon: Horizon = field(converter=_horizon)

    @property
    def tier(self) -> Tier:
        """The rung given by the horizon."""
        return self.horizon.tier


@frozen(kw_only=True)
class KeyDriver(Node):
    """A program or system condition that moves the 3–6 year outcomes.

    .. versionadded:: 0.1.0
    """

    kind: ClassVar[str] = "key_driver"

    @property
    def tier(self) -> Tier:
        """Always :attr:`Tier.KEY_DRIVER`."""
        return Tier.KEY_DRIVER


@frozen(kw_only=True)
class Strategy(Node):
    """Something partners do to move key drivers (performance accountability).

    Parameters
    ----------
    partners : tuple of str
        The organizations carrying the strategy out.

    .. versionadded:: 0.1.0
    """

    kind: ClassVar[str] = "strategy"

    partners: tuple[str, ...] = field(default=(), converter=str_tuple)

    @property
    def tier(self) -> Tier:
        """Always :attr:`Tier.STRATEGY`."""
        return Tier.STRATEGY
