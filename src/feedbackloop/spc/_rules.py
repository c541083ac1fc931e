"""Signal rules on one phase of a chart: pure functions of numpy arrays.

Every function takes the values of one phase in time order (``NaN`` for a
missing point, which is skipped) and returns :class:`Hit` objects: the rule, the
first and last position (indexes into the phase) and the direction. Rule
definitions follow ``shared/docs/domain.md`` section 7:

* run charts, IHI rules (Provost & Murray, *The Health Care Data Guide*; Perla,
  Provost & Murray 2011): shift, trend, too few / too many runs;
* run charts, Anhøj rules (Anhøj & Olesen 2014, PLoS ONE 9(11): e113825):
  unusually long runs, too few crossings;
* Shewhart charts: points beyond the limits, and the Western Electric (1956)
  and Nelson (1984) zone rules as options.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from attrs import frozen

__all__ = [
    "CONTROL_RULES",
    "Hit",
    "crossings_limit",
    "longest_run_limit",
    "runs_limits",
    "runs_up_down",
]

Array = np.ndarray[Any, np.dtype[np.float64]]


@frozen
class Hit:
    """A signal found in one phase: ``start``/``end`` index the phase's points."""

    rule: str
    start: int
    end: int
    direction: str  # "up", "down" or "" (neither: a pattern, not a side)


# ------------------------------------------------------------------ run limits


@functools.lru_cache(maxsize=4096)
def _runs_pmf(n1: int, n2: int) -> tuple[tuple[int, float], ...]:
    """Return the exact distribution of the number of runs of ``n1`` and ``n2`` points.

    Swed & Eisenhart (1943), Annals of Mathematical Statistics 14(1): with ``k``
    runs of each kind an even total ``2k`` has ``2·C(n1-1, k-1)·C(n2-1, k-1)``
    arrangements and an odd total ``2k+1`` has
    ``C(n1-1, k-1)·C(n2-1, k) + C(n1-1, k)·C(n2-1, k-1)``, out of ``C(n1+n2, n1)``.
    """
    total = math.comb(n1 + n2, n1)
    out = []
    for r in range(2, n1 + n2 + 1):
        k, odd = divmod(r, 2)
        if odd:
            c = math.comb(n1 - 1, k - 1) * math.comb(n2 - 1, k) + math.comb(n1 - 1, k) * math.comb(
                n2 - 1, k - 1
            )
        else:
            c = 2 * math.comb(n1 - 1, k - 1) * math.comb(n2 - 1, k - 1)
        if c:
            out.append((r, c / total))
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def runs_limits(n: int, alpha: float = 0.05) -> tuple[int, int]:
    """Return the fewest and most runs expected among ``n`` useful observations.

    IHI's "too few or too many runs" rule (Perla, Provost & Murray 2011, Table 1;
    Provost & Murray 2011) takes its limits from the Swed–Eisenhart distribution
    of the number of runs when half the points lie on each side of the median.
    Here the limits are computed from that exact distribution, not transcribed:
    with ``n // 2`` and ``n - n // 2`` points on the two sides, the lower limit
    is the smallest number of runs ``L`` with ``P(R < L) <= alpha / 2`` and
    ``P(R <= L) > alpha / 2``, the upper limit the largest ``U`` with
    ``P(R > U) <= alpha / 2``. Fewer runs than ``L`` or more than ``U`` is a
    signal.

    Parameters
    ----------
    n : int
        Useful observations: points not on the median (at least 2).
    alpha : float
        Two-sided risk of a false signal for random data (default 5%).

    Returns
    -------
    (int, int)
        ``(lower, upper)``.

    Examples
    --------
    >>> runs_limits(10), runs_limits(20), runs_limits(30)
    ((3, 9), (7, 15), (11, 21))
    """
    if n < 2:
        raise ValueError(f"runs limits need at least 2 useful observations, got {n}")
    pmf = _runs_pmf(n // 2, n - n // 2)
    tail = alpha / 2
    below = 0.0
    lower = pmf[0][0]
    for r, p in pmf:
        if below + p > tail:
            lower = r
            break
        below += p
    above = 0.0
    upper = pmf[-1][0]
    for r, p in reversed(pmf):
        if above + p > tail:
            upper = r
            break
        above += p
    return lower, upper


def longest_run_limit(n: int) -> int:
    """Return the longest run expected among ``n`` useful observations (Anhøj).

    ``round(log2(n) + 3)`` (Anhøj & Olesen 2014, after Schilling 2012); a
    longer run is a signal.

    Examples
    --------
    >>> [longest_run_limit(n) for n in (10, 20, 24, 30)]
    [6, 7, 8, 8]
    """
    if n < 1:
        raise ValueError(f"needs at least one useful observation, got {n}")
    return math.floor(math.log2(n) + 3 + 0.5)


@functools.lru_cache(maxsize=4096)
def crossings_limit(n: int) -> int:
    """Return the fewest median crossings expected among ``n`` useful observations.

    The lower 5% quantile of Binomial(n - 1, 0.5) (Anhøj & Olesen 2014): the
    smallest ``c`` with ``P(X <= c) >= 0.05``, R's ``qbinom(0.05, n - 1, 0.5)``;
    fewer crossings than that is a signal. Computed exactly in integers.

    Examples
    --------
    >>> [crossings_limit(n) for n in (10, 20, 24, 30)]
    [2, 6, 8, 10]
    """
    if n < 2:
        raise ValueError(f"crossings need at least 2 useful observations, got {n}")
    trials = n - 1
    need = 2**trials  # P(X <= c) >= 0.05  <=>  20 * sum(C(trials, k)) >= 2**trials
    acc = 0
    for c in range(trials + 1):
        acc += math.comb(trials, c)
        if 20 * acc >= need:
            return c
    return trials  # pragma: no cover - the loop always returns


# ------------------------------------------------------------------- helpers


def side_runs(side: np.ndarray[Any, Any]) -> Iterator[tuple[int, int, int]]:
    """Yield ``(start, end, sign)`` for runs of equal non-zero signs (positions into ``side``)."""
    start = 0
    for i in range(1, len(side) + 1):
        if i == len(side) or side[i] != side[start]:
            yield start, i - 1, int(side[start])
            start = i


def _direction(sign: int) -> str:
    return "up" if sign > 0 else "down"


def runs_up_down(values: Array) -> list[tuple[int, int, int]]:
    """Return the runs up and down of a sequence, equal neighbours counted once.

    A run up of length ``k`` is ``k`` successive increases (``k + 1`` points), as
    Duncan counts them (*Quality Control and Industrial Statistics*); a value
    equal to the one before it neither continues nor breaks a run, and
    missing values are skipped.

    Returns
    -------
    list of (start, end, steps)
        Positions (into ``values``) of each run's first and last point, and its
        length in steps, positive up and negative down.

    Examples
    --------
    >>> import numpy as np
    >>> [r[2] for r in runs_up_down(np.array([5, 4, 6, 8, 10, 12, 11.0]))]
    [-1, 4, -1]
    >>> max(-r[2] for r in runs_up_down(np.array([7, 10, 8, 6, 5, 4, 3, 2, 4.0])))
    6
    """
    pos = np.flatnonzero(~np.isnan(values))
    if len(pos) < 2:
        return []
    kept = pos[np.concatenate(([True], np.diff(values[pos]) != 0))]
    if len(kept) < 2:
        return []
    steps = np.sign(np.diff(values[kept])).astype(np.int8)
    out = []
    for a, b, sign in side_runs(steps):
        out.append((int(kept[a]), int(kept[b + 1]), sign * (b - a + 1)))
    return out


def useful_points(
    values: Array, center: float
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Positions of points off the centre line, and their sides (+1 above, -1 below)."""
    ok = ~np.isnan(values) & (values != center)
    pos = np.flatnonzero(ok)
    return pos, np.sign(values[pos] - center).astype(np.int8)


# ---------------------------------------------------------------- run charts


def shift(values: Array, center: float, *, length: int = 6) -> list[Hit]:
    """IHI shift: ``length`` or more consecutive useful points on one side."""
    pos, side = useful_points(values, center)
    return [
        Hit("shift", int(pos[a]), int(pos[b]), _direction(s))
        for a, b, s in side_runs(side)
        if b - a + 1 >= length
    ]


def trend(values: Array, *, points: int = 5) -> list[Hit]:
    """IHI trend: ``points`` or more points all rising or all falling."""
    return [
        Hit("trend", a, b, _direction(steps))
        for a, b, steps in runs_up_down(values)
        if abs(steps) + 1 >= points
    ]


def number_of_runs(values: Array, center: float) -> tuple[int, int]:
    """Return ``(useful observations, runs)`` about the centre line."""
    pos, side = useful_points(values, center)
    if not len(pos):
        return 0, 0
    return len(pos), int(np.count_nonzero(np.diff(side))) + 1


def runs_count(values: Array, center: float, *, minimum: int = 10) -> list[Hit]:
    """IHI too few / too many runs, with at least ``minimum`` useful observations."""
    n, runs = number_of_runs(values, center)
    if n < max(minimum, 2):
        return []
    lower, upper = runs_limits(n)
    pos, _ = useful_points(values, center)
    first, last = int(pos[0]), int(pos[-1])
    if runs < lower:
        return [Hit("too_few_runs", first, last, "")]
    if runs > upper:
        return [Hit("too_many_runs", first, last, "")]
    return []


def long_run(values: Array, center: float) -> list[Hit]:
    """Anhøj: any run longer than ``round(log2(n) + 3)`` useful observations."""
    pos, side = useful_points(values, center)
    if not len(pos):
        return []
    limit = longest_run_limit(len(pos))
    return [
        Hit("long_run", int(pos[a]), int(pos[b]), _direction(s))
        for a, b, s in side_runs(side)
        if b - a + 1 > limit
    ]


def few_crossings(values: Array, center: float) -> list[Hit]:
    """Anhøj: fewer median crossings than the lower 5% binomial quantile."""
    pos, side = useful_points(values, center)
    if len(pos) < 2:
        return []
    crossings = int(np.count_nonzero(np.diff(side)))
    if crossings < crossings_limit(len(pos)):
        return [Hit("few_crossings", int(pos[0]), int(pos[-1]), "")]
    return []


# ------------------------------------------------------------ Shewhart charts


def _windows(
    flags: np.ndarray[Any, Any], ok: np.ndarray[Any, Any], need: int, window: int
) -> list[tuple[int, int]]:
    """Spans where at least ``need`` of ``window`` consecutive points are flagged.

    Windows run over the present points (``ok``); overlapping windows merge into
    one span from the first to the last flagged point.
    """
    pos = np.flatnonzero(ok)
    f = flags[pos].astype(np.int64)
    if len(f) < window:
        return []
    counts = np.convolve(f, np.ones(window, dtype=np.int64), mode="valid")
    spans: list[tuple[int, int]] = []
    for i in np.flatnonzero(counts >= need):
        hit = np.flatnonzero(f[i : i + window]) + i
        a, b = int(pos[hit[0]]), int(pos[hit[-1]])
        if spans and a <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], b))
        else:
            spans.append((a, b))
    return spans


def _zone(
    name: str, z: Array, ok: np.ndarray[Any, Any], beyond: float, need: int, window: int
) -> list[Hit]:
    hits = []
    for sign in (1, -1):
        flags = ok & (sign * z > beyond)
        hits += [Hit(name, a, b, _direction(sign)) for a, b in _windows(flags, ok, need, window)]
    return sorted(hits, key=lambda h: h.start)


def beyond_limits(y: Array, lower: Array, upper: Array) -> list[Hit]:
    """Shewhart's rule: each point above the upper or below the lower limit."""
    hits = []
    for i in np.flatnonzero(~np.isnan(y)):
        if not np.isnan(upper[i]) and y[i] > upper[i]:
            hits.append(Hit("beyond_limits", int(i), int(i), "up"))
        elif not np.isnan(lower[i]) and y[i] < lower[i]:
            hits.append(Hit("beyond_limits", int(i), int(i), "down"))
    return hits


def _same_side(name: str, z: Array, ok: np.ndarray[Any, Any], length: int) -> list[Hit]:
    pos = np.flatnonzero(ok)
    side = np.sign(z[pos]).astype(np.int8)
    return [
        Hit(name, int(pos[a]), int(pos[b]), _direction(s))
        for a, b, s in side_runs(side)
        if s != 0 and b - a + 1 >= length
    ]


def _trending(z: Array, ok: np.ndarray[Any, Any], points: int) -> list[Hit]:
    """Nelson 3: ``points`` in a row steadily increasing or decreasing (ties break)."""
    pos = np.flatnonzero(ok)
    steps = np.sign(np.diff(z[pos])).astype(np.int8)
    return [
        Hit("nelson_3", int(pos[a]), int(pos[b + 1]), _direction(s))
        for a, b, s in side_runs(steps)
        if s != 0 and b - a + 2 >= points
    ]


def _alternating(z: Array, ok: np.ndarray[Any, Any], points: int) -> list[Hit]:
    """Nelson 4: ``points`` in a row alternating up and down."""
    pos = np.flatnonzero(ok)
    steps = np.sign(np.diff(z[pos])).astype(np.int8)
    alt = (steps[1:] * steps[:-1]) < 0  # step i+1 reverses step i
    hits = []
    for a, b, s in side_runs(alt.astype(np.int8)):
        if s and b - a + 3 >= points:  # k reversals: k + 1 steps, k + 2 points
            hits.append(Hit("nelson_4", int(pos[a]), int(pos[b + 2]), ""))
    return hits


def _hugging(z: Array, ok: np.ndarray[Any, Any], points: int) -> list[Hit]:
    """Nelson 7: ``points`` in a row within one sigma of the centre line."""
    pos = np.flatnonzero(ok)
    inside = (np.abs(z[pos]) < 1).astype(np.int8)
    return [
        Hit("nelson_7", int(pos[a]), int(pos[b]), "")
        for a, b, s in side_runs(inside)
        if s and b - a + 1 >= points
    ]


def _avoiding(z: Array, ok: np.ndarray[Any, Any], points: int) -> list[Hit]:
    """Nelson 8: ``points`` in a row beyond one sigma, on either side."""
    pos = np.flatnonzero(ok)
    outside = (np.abs(z[pos]) > 1).astype(np.int8)
    return [
        Hit("nelson_8", int(pos[a]), int(pos[b]), "")
        for a, b, s in side_runs(outside)
        if s and b - a + 1 >= points
    ]


ZoneRule = Callable[[Array, np.ndarray[Any, Any]], list[Hit]]

#: Zone rules on ``z = (y - centre) / sigma`` of the present points (``ok``).
CONTROL_RULES: dict[str, ZoneRule] = {
    # Western Electric Statistical Quality Control Handbook (1956), rules 2-4.
    "we_2_of_3": lambda z, ok: _zone("we_2_of_3", z, ok, 2.0, 2, 3),
    "we_4_of_5": lambda z, ok: _zone("we_4_of_5", z, ok, 1.0, 4, 5),
    "we_8_on_one_side": lambda z, ok: _same_side("we_8_on_one_side", z, ok, 8),
    # Nelson, Journal of Quality Technology 16(4), 1984: rules 2-8.
    "nelson_2": lambda z, ok: _same_side("nelson_2", z, ok, 9),
    "nelson_3": lambda z, ok: _trending(z, ok, 6),
    "nelson_4": lambda z, ok: _alternating(z, ok, 14),
    "nelson_5": lambda z, ok: _zone("nelson_5", z, ok, 2.0, 2, 3),
    "nelson_6": lambda z, ok: _zone("nelson_6", z, ok, 1.0, 4, 5),
    "nelson_7": lambda z, ok: _hugging(z, ok, 15),
    "nelson_8": lambda z, ok: _avoiding(z, ok, 8),
}
