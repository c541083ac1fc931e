"""Indicators, targets and data sources: what the loop measures and aims for."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from typing import Any, Literal

from attrs import field, frozen
from attrs import validators as v

from feedbackloop import stats
from feedbackloop._util import nonblank, str_tuple
from feedbackloop.errors import IndicatorError, TargetError, UnitError
from feedbackloop.period import Period
from feedbackloop.units import parse_unit

__all__ = [
    "Aggregation",
    "Baseline",
    "Direction",
    "Indicator",
    "MeasureKind",
    "Quadrant",
    "SourceSpec",
    "Target",
    "TargetPath",
]

SLUG_PATTERN = r"[a-z][a-z0-9_]*"
_slug = v.matches_re(SLUG_PATTERN)

#: The engines a pooled source may name (see :mod:`feedbackloop.engines`).
ENGINES = ("duckdb", "spark")


TargetPath = Literal["linear", "compound"]


class _ValueEnum(enum.StrEnum):
    """An enum whose values are the words written in loop files."""

    @classmethod
    def parse(cls, value: object) -> Any:
        """Return the member for ``value`` (a member, its value or its name)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            key = value.strip()
            for member in cls:
                if key in (member.value, member.name) or key.lower() == member.value:
                    return member
        choices = ", ".join(m.value for m in cls)
        raise ValueError(f"must be one of {choices} (got {value!r})")

    def __str__(self) -> str:
        return str(self.value)


class Direction(_ValueEnum):
    """Whether a higher or a lower value of an indicator is better."""

    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"

    @property
    def sign(self) -> int:
        """``+1`` when higher is better, ``-1`` when lower is better."""
        return 1 if self is Direction.HIGHER_IS_BETTER else -1


class MeasureKind(_ValueEnum):
    """Results-Based Accountability's two kinds of measure.

    A *population* indicator describes the well-being of a whole population
    (no single program is accountable for it); a *performance* measure
    describes a program's customers (domain.md §5).
    """

    POPULATION = "population"
    PERFORMANCE = "performance"


class Quadrant(_ValueEnum):
    """The RBA performance-measure quadrant (domain.md §5, raguide.org 3.8).

    ``how_much``: how much did we do (effort, quantity); ``how_well``: how well
    did we do it (effort, quality); ``better_off``: is anyone better off
    (effect, the most important).
    """

    HOW_MUCH = "how_much"
    HOW_WELL = "how_well"
    BETTER_OFF = "better_off"


class Aggregation(_ValueEnum):
    """How values of an indicator combine across places or groups.

    ``sum``: counts, which add up (with the Census MOE sum rule); ``ratio``:
    rates and percentages that are recomputed from summed numerators and
    denominators; ``none``: never aggregated (medians, averages without their
    parts, indices).
    """

    SUM = "sum"
    RATIO = "ratio"
    NONE = "none"


def _parse_unit_text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"unit must be a string such as 'percent' (got {value!r})")
    return value.strip()


def _check_unit(_inst: object, _attr: object, value: str) -> None:
    parse_unit(value)  # raises UnitError naming the unit


def _frozen_mapping(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(value or {})


@frozen(kw_only=True)
class SourceSpec:
    """Where an indicator's data comes from: an adapter and its options, or a pooled dataset.

    Parameters
    ----------
    adapter : str, optional
        Name of a source adapter (``csv``, ``census``, ``pdf`` or a plugin's).
    path : str, optional
        A file path or URL, relative paths being resolved against the loop file;
        for a pooled dataset, a glob (``pooled/*.parquet``), a file or a folder.
    options : mapping
        Keyword options passed to the adapter's ``read`` (for a pooled dataset:
        ``memory_limit`` and ``temp_directory``; for a DuckDB table, the
        ``database`` file that holds it).
    engine : {"duckdb", "spark"}, optional
        Instead of an adapter: ``path`` (or ``table``) is a pooled dataset,
        scanned and collected on this engine (see :func:`feedbackloop.scan`).
        Exactly one of ``adapter`` and ``engine`` is given.
    table : str, optional
        Instead of ``path``, for a pooled source: a table of the engine (of
        DuckDB's ``database`` file, or of Spark's catalog, ``db.table``).

    .. versionchanged:: 0.2.0
       ``engine`` and ``table``: pooled datasets.

    .. versionadded:: 0.1.0
    """

    adapter: str | None = field(default=None, validator=v.optional(v.min_len(1)))
    path: str | None = None
    options: Mapping[str, Any] = field(factory=dict, converter=_frozen_mapping, hash=False)
    engine: str | None = field(default=None, validator=v.optional(v.in_(ENGINES)))
    table: str | None = field(default=None, validator=v.optional(v.min_len(1)))

    def __attrs_post_init__(self) -> None:
        if (self.adapter is None) == (self.engine is None):
            raise IndicatorError(
                "a source names exactly one of adapter (csv, census, ...) and engine "
                "(duckdb or spark, for a pooled Parquet dataset at path)"
            )
        if self.engine is not None and (not self.path) == (self.table is None):
            raise IndicatorError(
                f"a pooled source on {self.engine} needs exactly one of a path (a glob such "
                "as 'pooled/*.parquet', a file or a folder) and a table"
            )
        if self.adapter is not None and self.table is not None:
            raise IndicatorError(
                "table names a pooled source's engine table; an adapter reads path"
            )


def _direction(value: object) -> Direction:
    out: Direction = Direction.parse(value)
    return out


def _kind(value: object) -> MeasureKind:
    out: MeasureKind = MeasureKind.parse(value)
    return out


def _quadrant(value: object) -> Quadrant | None:
    if value is None:
        return None
    out: Quadrant = Quadrant.parse(value)
    return out


def _aggregation(value: object) -> Aggregation | None:
    if value is None:
        return None
    out: Aggregation = Aggregation.parse(value)
    return out


@frozen(kw_only=True)
class Indicator:
    """A measure the loop tracks: a population indicator or a performance measure.

    Parameters
    ----------
    id : str
        Slug (``[a-z][a-z0-9_]*``) used to reference the indicator.
    name : str
        Human-readable name, shown in reports.
    unit : str
        A unit label pint can parse through :func:`feedbackloop.units.parse_unit`
        (``percent``, ``USD``, ``people``, ``per 1000 people``).
    direction : Direction
        Whether higher or lower values are better.
    kind : MeasureKind
        Population indicator (default) or performance measure.
    quadrant : Quadrant, optional
        Required for performance measures, forbidden for population indicators.
    description : str
        The technical definition (numerator, denominator, universe).
    dimensions : tuple of str
        Disaggregations the data should support (``race``, ``sex``, ``geography``).
    proxy_for : str, optional
        Id of the indicator this one stands in for while that has no data.
    aggregation : Aggregation, optional
        How values combine; by default counts (a counting unit such as
        ``people``) sum and everything else is never summed.
    source : SourceSpec, optional
        Where the data comes from.
    story : str
        The "story behind the curve": causes, forces at work.
    signed : bool
        Whether values may be negative although the unit counts (a net change
        such as "net new jobs"). By default a negative count is refused when
        data is read.

    .. versionadded:: 0.1.0
    """

    id: str = field(validator=_slug)
    name: str = field(validator=nonblank)
    unit: str = field(converter=_parse_unit_text, validator=_check_unit)
    direction: Direction = field(converter=_direction)
    kind: MeasureKind = field(default=MeasureKind.POPULATION, converter=_kind)
    quadrant: Quadrant | None = field(default=None, converter=_quadrant)
    description: str = ""
    dimensions: tuple[str, ...] = field(default=(), converter=str_tuple)
    proxy_for: str | None = None
    aggregation: Aggregation | None = field(default=None, converter=_aggregation)
    source: SourceSpec | None = None
    story: str = ""
    signed: bool = field(default=False, validator=v.instance_of(bool))

    def __attrs_post_init__(self) -> None:
        if self.kind is MeasureKind.PERFORMANCE and self.quadrant is None:
            raise IndicatorError(
                f"indicator {self.id!r} is a performance measure and needs a quadrant "
                "(how_much, how_well or better_off)"
            )
        if self.kind is MeasureKind.POPULATION and self.quadrant is not None:
            raise IndicatorError(
                f"indicator {self.id!r} is a population indicator and cannot have a quadrant "
                f"(got {self.quadrant.value!r}); set kind: performance or drop the quadrant"
            )
        if len(set(self.dimensions)) != len(self.dimensions):
            raise IndicatorError(
                f"indicator {self.id!r} lists a dimension twice: {self.dimensions}"
            )
        if self.proxy_for == self.id:
            raise IndicatorError(f"indicator {self.id!r} cannot be a proxy for itself")

    @property
    def effective_aggregation(self) -> Aggregation:
        """The aggregation rule, inferred from the unit when not given.

        A unit that counts things (``people``, ``households``, ``jobs``) sums;
        anything else (percentages, rates, money, durations) is never summed.
        """
        if self.aggregation is not None:
            return self.aggregation
        dims = parse_unit(self.unit).dimensionality
        counting = (
            len(dims) == 1
            and next(iter(dims.values())) == 1
            and next(iter(dims)) != "[currency]"
            and not next(iter(dims)).startswith(("[time", "[length", "[mass"))
        )
        return Aggregation.SUM if counting else Aggregation.NONE


def _parse_period(value: object) -> Period:
    return Period.parse(value)  # type: ignore[arg-type]


def _finite(_inst: object, attr: Any, value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"{attr.name} must be a finite number (got {value!r})")


def _finite_value(inst: object, attr: Any, value: float) -> None:
    _finite(inst, attr, value)


def _opt_float(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"must be a number (got {value!r})")
    return float(value)


def _float(value: object) -> float:
    out = _opt_float(value)
    if out is None:
        raise TypeError("must be a number (got None)")
    return out


@frozen(kw_only=True)
class Baseline:
    """The starting point of a target: a period and the value observed in it.

    .. versionadded:: 0.1.0
    """

    period: Period = field(converter=_parse_period)
    value: float = field(converter=_float, validator=_finite_value)


@frozen(kw_only=True)
class Target:
    """Where an indicator should be by a given period.

    Exactly one of ``value``, ``relative_change`` and ``absolute_change`` is
    given (domain.md §6, "Progress toward a target"):

    - ``value``: a level (reach 85%);
    - ``relative_change``: a fraction of the baseline, ``-0.10`` meaning
      "reduce by 10%" (8.0 becomes 7.2);
    - ``absolute_change``: in the indicator's unit, ``+10`` on a 70% rate
      meaning 80% (percentage points).

    Parameters
    ----------
    indicator : str
        Id of the indicator the target is about.
    baseline : Baseline
        Period and value the change is measured from.
    period : Period
        When the target should be met (after the baseline).

    .. versionadded:: 0.1.0
    """

    indicator: str = field(validator=_slug)
    baseline: Baseline
    period: Period = field(converter=_parse_period)
    value: float | None = field(default=None, converter=_opt_float, validator=_finite)
    relative_change: float | None = field(default=None, converter=_opt_float, validator=_finite)
    absolute_change: float | None = field(default=None, converter=_opt_float, validator=_finite)

    def __attrs_post_init__(self) -> None:
        given = [
            n
            for n in ("value", "relative_change", "absolute_change")
            if getattr(self, n) is not None
        ]
        if len(given) != 1:
            raise TargetError(
                f"target for {self.indicator!r} needs exactly one of value, relative_change, "
                f"absolute_change (got {', '.join(given) or 'none'})"
            )
        if self.period <= self.baseline.period or self.horizon <= 0:
            raise TargetError(
                f"target for {self.indicator!r}: target period {self.period} must come after "
                f"the baseline period {self.baseline.period}"
            )
        if self.relative_change is not None and self.relative_change <= -1:
            raise TargetError(
                f"target for {self.indicator!r}: relative_change {self.relative_change} would "
                "take the value to zero or below; write it as a fraction (-0.10 = reduce by 10%)"
            )

    @property
    def kind(self) -> Literal["level", "relative", "absolute"]:
        """``"level"``, ``"relative"`` or ``"absolute"``: how the target was stated."""
        if self.value is not None:
            return "level"
        return "relative" if self.relative_change is not None else "absolute"

    @property
    def level(self) -> float:
        """The target value, in the indicator's unit.

        Examples
        --------
        >>> t = Target(indicator="unemployment", baseline=Baseline(period=2020, value=8.0),
        ...            period=2030, relative_change=-0.10)
        >>> round(t.level, 10)
        7.2
        """
        b = self.baseline.value
        if self.value is not None:
            return self.value
        if self.relative_change is not None:
            return b * (1.0 + self.relative_change)
        assert self.absolute_change is not None
        return b + self.absolute_change

    @property
    def horizon(self) -> float:
        """Years from the baseline period to the target period (midpoint to midpoint)."""
        return self.baseline.period.years_between(self.period)

    def elapsed(self, period: Period | str | int) -> float:
        """Years from the baseline to ``period`` (midpoint to midpoint).

        Parameters
        ----------
        period : Period, str or int
            Any period label.

        Returns
        -------
        float
            Elapsed years; negative before the baseline.
        """
        return self.baseline.period.years_between(Period.parse(period))

    def expected(self, period: Period | str | int, path: TargetPath = "linear") -> float:
        """Return the value expected at ``period`` if progress runs on schedule.

        The linear path is ``B + (T − B)·t/H``; the compound path is
        ``B·(T/B)^(t/H)``, a constant annual rate of change (domain.md §6,
        "On-track tests").

        Parameters
        ----------
        period : Period, str or int
            The period to evaluate.
        path : {"linear", "compound"}
            The shape of the path from baseline to target.

        Returns
        -------
        float
            The on-schedule value (NaN on a compound path when the baseline or
            target is not positive).

        Examples
        --------
        >>> t = Target(indicator="unemployment", baseline=Baseline(period=2020, value=8.0),
        ...            period=2030, relative_change=-0.10)
        >>> round(t.expected(2024), 4), round(t.expected(2024, "compound"), 4)
        (7.68, 7.6699)
        """
        t = self.elapsed(period)
        if path == "linear":
            return float(stats.expected_linear(self.baseline.value, self.level, t, self.horizon))
        if path == "compound":
            return float(stats.expected_compound(self.baseline.value, self.level, t, self.horizon))
        raise TargetError(f"path must be 'linear' or 'compound' (got {path!r})")

    def percent_achieved(self, current: float) -> float:
        """Percentage of the targeted change achieved by ``current`` (HP2030 method)."""
        return float(stats.percent_of_targeted_change(self.baseline.value, current, self.level))

    def is_met(self, current: float, direction: Direction) -> bool:
        """Whether ``current`` is on the desired side of the target level."""
        return (current - self.level) * direction.sign >= 0


def unit_ok(text: str) -> str | None:
    """Return ``None`` if ``text`` is a known unit, else the error message."""
    try:
        parse_unit(text)
    except UnitError as err:
        return str(err)
    return None
