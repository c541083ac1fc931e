"""Small-cell suppression: the policy, and primary and complementary suppression.

:class:`SuppressionPolicy` (the rule) lives beside :func:`suppress` (what the
rule does), so that :meth:`SuppressionPolicy.apply` calls it without importing
upward. Complementary suppression is verified by linear programming
(:class:`_LinearProgram`, HiGHS through scipy, imported when a table needs it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
from attrs import field, frozen
from attrs import validators as v

from feedbackloop._util import import_optional
from feedbackloop.errors import SuppressionError
from feedbackloop.privacy._fields import int_at_least
from feedbackloop.privacy._tables import Layers, Table, layers, tables
from feedbackloop.series import IndicatorSeries, Status

__all__ = ["SuppressionPolicy", "audit", "suppress"]

F64 = npt.NDArray[np.float64]
_TOL = 1e-7
#: Candidates tried (by LP) when a withheld cell is still too narrowly bounded.
_MAX_CANDIDATES = 16
#: Tables with more complementary cells than this skip the pruning pass.
_MAX_PRUNE = 30
#: Columns that carry (or derive from) a withheld value.
_NUMERIC = (
    "value",
    "moe",
    "numerator",
    "numerator_moe",
    "denominator",
    "denominator_moe",
    "cv",
    "n_unweighted",
)

# A protected quantity: (local row, coefficients over layers, name).
_Quantity = tuple[int, tuple[float, ...], str]


@frozen(kw_only=True)
class SuppressionPolicy:
    """Small-cell suppression: withhold small counts and whatever would reveal them.

    Primary suppression withholds every count in ``1 .. threshold - 1`` (and 0
    when ``allow_zero`` is false); for rates and percentages the counts are the
    numerator, the denominator and, with ``protect_complement``, their
    difference (98% of 50 reveals that 1 person did not complete). Complementary
    suppression then withholds the fewest, smallest extra cells so that no
    withheld count can be narrowed down by subtraction from published cells and
    totals: for every withheld cell, the range of values consistent with
    everything published is at least ``threshold`` wide (see
    :func:`feedbackloop.privacy.suppress`).

    Parameters
    ----------
    threshold : int
        The smallest count that may be published (11 follows the CMS cell-size
        policy: 1-10 withheld).
    allow_zero : bool
        Publish zeros (CMS allows them). Set false when a zero is itself
        sensitive (e.g. "no one in this group completed").
    complementary : bool
        Add complementary suppressions. Only turn this off for tables whose
        totals are never published.
    protect_complement : bool
        For rates, also treat ``denominator - numerator`` as a count.

    Examples
    --------
    >>> SuppressionPolicy(threshold=11).to_dict()
    {'method': 'suppress', 'threshold': 11, 'allow_zero': True, 'complementary': True, \
'protect_complement': True}

    .. versionadded:: 0.1.0
    """

    method: ClassVar[str] = "suppress"

    threshold: int = field(default=11, validator=int_at_least(1))
    allow_zero: bool = field(default=True, validator=v.instance_of(bool))
    complementary: bool = field(default=True, validator=v.instance_of(bool))
    protect_complement: bool = field(default=True, validator=v.instance_of(bool))

    def is_small(self, count: float) -> bool:
        """Return whether ``count`` must be withheld by primary suppression.

        Examples
        --------
        >>> p = SuppressionPolicy(threshold=11)
        >>> [p.is_small(x) for x in (0, 1, 10, 11)]
        [False, True, True, False]
        """
        return (0 < count < self.threshold) or (count == 0 and not self.allow_zero)

    def apply(
        self,
        series: IndicatorSeries,
        *,
        geography_parents: Mapping[str, str] | None = None,
    ) -> IndicatorSeries:
        """Return ``series`` with this policy applied (see :func:`suppress`)."""
        return suppress(series, self, geography_parents=geography_parents)

    def to_dict(self) -> dict[str, Any]:
        """Return the policy as plain data (the inverse of :func:`policy_from_dict`)."""
        return {
            "method": self.method,
            "threshold": self.threshold,
            "allow_zero": self.allow_zero,
            "complementary": self.complementary,
            "protect_complement": self.protect_complement,
        }


class _LinearProgram:
    """One table's suppression problem as linear programs: values, sum relations, the rule."""

    def __init__(
        self,
        table: Table,
        values: F64,
        is_rate: bool,
        policy: SuppressionPolicy,
        known: npt.NDArray[np.bool_],
    ) -> None:
        self.table = table
        self.values = values  # (L, m)
        self.v0 = np.nan_to_num(values, nan=0.0)
        self.is_rate = is_rate
        self.policy = policy
        self.t = float(policy.threshold)
        self.known = known
        self.m = values.shape[1]
        self.valued: npt.NDArray[np.bool_] = np.asarray(~np.isnan(values).any(axis=0))
        self.members: list[tuple[tuple[int, float], ...]] = [
            ((p, 1.0), *((c, -1.0) for c in ch)) for p, ch in table.constraints
        ]
        self.by_row: list[list[int]] = [[] for _ in range(self.m)]
        for ci, mem in enumerate(self.members):
            for r, _ in mem:
                self.by_row[r].append(ci)
        size = self.v0.sum(axis=0)
        self.sort_key = [
            (bool(size[i] == 0), int(table.level[i]), float(size[i]), i) for i in range(self.m)
        ]
        self._linprog: Any = None

    # ------------------------------------------------------------------ rules

    def primaries(self) -> set[int]:
        small = self.policy.is_small
        out: set[int] = set()
        for i in range(self.m):
            if self.known[i] or not self.valued[i]:
                continue
            if self.is_rate:
                n, d = self.values[0, i], self.values[1, i]
                hit = small(n) or small(d)
                hit = hit or (self.policy.protect_complement and small(max(d - n, 0.0)))
                hit = hit or (not self.policy.allow_zero and d - n == 0 and d > 0)
            else:
                hit = small(self.values[0, i])
            if hit:
                out.add(i)
        return out

    def quantities(self, suppressed: Iterable[int], primaries: set[int]) -> list[_Quantity]:
        """List what must stay hidden: every withheld count, primaries first."""
        small = self.policy.is_small
        out: list[_Quantity] = []
        for i in sorted(suppressed, key=lambda r: (r not in primaries, r)):
            if not self.is_rate:
                out.append((i, (1.0,), "count"))
                continue
            n, d = self.values[0, i], self.values[1, i]
            out.append((i, (1.0, 0.0), "numerator"))
            if small(d):
                out.append((i, (0.0, 1.0), "denominator"))
            if self.policy.protect_complement and small(max(d - n, 0.0)):
                out.append((i, (-1.0, 1.0), "denominator - numerator"))
        return out

    # -------------------------------------------------------------------- LP

    def _lp(self) -> Any:
        if self._linprog is None:
            optimize = import_optional(
                "scipy.optimize", extra="privacy", purpose="complementary suppression"
            )
            self._linprog = optimize.linprog
        return self._linprog

    def system(self, hidden: Sequence[int]) -> tuple[dict[int, int], Any, Any, Any, Any]:
        """Linear system an intruder knows about the hidden cells (known slack is assumed)."""
        pos = {r: k for k, r in enumerate(hidden)}
        n_layers = self.values.shape[0]
        nv = n_layers * len(hidden)
        touched = sorted({ci for r in hidden for ci in self.by_row[r]})
        a_eq = np.zeros((len(touched) * n_layers, nv))
        b_eq = np.zeros(len(touched) * n_layers)
        for j, ci in enumerate(touched):
            for r, coef in self.members[ci]:
                k = pos.get(r)
                if k is None:
                    continue
                for layer in range(n_layers):
                    a_eq[j * n_layers + layer, layer * len(hidden) + k] = coef
                    b_eq[j * n_layers + layer] += coef * self.v0[layer, r]
        a_ub = b_ub = None
        if self.is_rate and hidden:
            a_ub = np.zeros((len(hidden), nv))
            for k in range(len(hidden)):
                a_ub[k, k] = 1.0
                a_ub[k, len(hidden) + k] = -1.0
            b_ub = np.zeros(len(hidden))
        return pos, a_eq, b_eq, a_ub, b_ub

    def range_of(self, q: _Quantity, hidden: Sequence[int], sys: Any = None) -> tuple[float, float]:
        pos, a_eq, b_eq, a_ub, b_ub = sys if sys is not None else self.system(hidden)
        row, coefs, _ = q
        c = np.zeros(a_eq.shape[1])
        for layer, w in enumerate(coefs):
            c[layer * len(hidden) + pos[row]] = w
        if not a_eq.shape[0] and a_ub is None:
            return (0.0, math.inf)
        lo = self._solve(c, a_eq, b_eq, a_ub, b_ub)
        hi = self._solve(-c, a_eq, b_eq, a_ub, b_ub)
        return (lo, -hi)

    def _solve(self, c: F64, a_eq: Any, b_eq: Any, a_ub: Any, b_ub: Any) -> float:
        res = self._lp()(
            c,
            A_ub=a_ub,
            b_ub=b_ub,
            A_eq=a_eq if a_eq.shape[0] else None,
            b_eq=b_eq if a_eq.shape[0] else None,
            bounds=(0, None),
            method="highs",
        )
        if res.status == 3:  # unbounded
            return -math.inf
        if res.status != 0:  # pragma: no cover - the true values are always feasible
            raise SuppressionError(
                f"table {self.table.label}: the audit LP failed ({res.message}); "
                "please report this with the data's shape"
            )
        return float(res.fun)

    def first_failure(
        self, suppressed: set[int], primaries: set[int]
    ) -> tuple[_Quantity, float] | None:
        hidden = sorted(suppressed)
        sys = self.system(hidden)
        for q in self.quantities(suppressed, primaries):
            lo, hi = self.range_of(q, hidden, sys)
            if hi - lo < self.t - _TOL:
                return q, hi - lo
        return None

    def width(self, q: _Quantity, suppressed: set[int]) -> float:
        lo, hi = self.range_of(q, sorted(suppressed))
        return hi - lo

    # --------------------------------------------------------------- choosing

    def _candidate(self, r: int, suppressed: set[int]) -> bool:
        return bool(self.valued[r] and not self.known[r] and r not in suppressed)

    def fix_singletons(self, suppressed: set[int]) -> None:
        """Give every relation holding exactly one withheld cell a second one."""
        changed = True
        while changed:
            changed = False
            for mem in self.members:
                rows = [r for r, _ in mem]
                if sum(r in suppressed for r in rows) != 1:
                    continue
                options = [r for r in rows if self._candidate(r, suppressed)]
                if options:
                    suppressed.add(min(options, key=self.sort_key.__getitem__))
                    changed = True

    def choose(self, suppressed: set[int], primaries: set[int]) -> set[int]:
        if not primaries:
            return suppressed
        if not self.policy.complementary:
            return suppressed
        for _ in range(self.m + 1):
            self.fix_singletons(suppressed)
            failure = self.first_failure(suppressed, primaries)
            if failure is None:
                break
            q, _ = failure
            near = {r for ci in self.by_row[q[0]] for r, _ in self.members[ci]}
            linked = {r for s in suppressed for ci in self.by_row[s] for r, _ in self.members[ci]}
            options = [r for r in near | linked if self._candidate(r, suppressed)]
            if not options:
                raise SuppressionError(
                    f"table {self.table.label}: row {int(self.table.rows[q[0]])} "
                    f"({q[2]}) cannot be protected, because every cell that could hide it is "
                    "already withheld or known to the audience; collapse categories first"
                )
            options.sort(key=lambda r: (r not in near, self.sort_key[r]))
            best, best_width = options[0], -1.0
            for r in options[:_MAX_CANDIDATES]:
                w = self.width(q, suppressed | {r})
                if w >= self.t - _TOL:
                    best = r
                    break
                if w > best_width + _TOL:
                    best, best_width = r, w
            suppressed.add(best)
        else:  # pragma: no cover - each step withholds one more cell
            raise SuppressionError(f"table {self.table.label}: suppression did not converge")
        return self.prune(suppressed, primaries)

    def prune(self, suppressed: set[int], primaries: set[int]) -> set[int]:
        """Release complementary cells that turn out not to be needed, largest first."""
        extra = sorted(suppressed - primaries, key=lambda r: self.sort_key[r], reverse=True)
        if len(extra) > _MAX_PRUNE:
            return suppressed
        for r in extra:
            trial = suppressed - {r}
            if self.first_failure(trial, primaries) is None:
                suppressed = trial
        return suppressed


def _known_mask(n: int, known: npt.NDArray[np.bool_] | None) -> npt.NDArray[np.bool_]:
    return np.zeros(n, dtype=bool) if known is None else np.asarray(known, dtype=bool)


def _plan(
    series: IndicatorSeries,
    policy: SuppressionPolicy,
    geography_parents: Mapping[str, str] | None,
    known: npt.NDArray[np.bool_] | None,
) -> tuple[set[int], set[int]]:
    """Return (primary, complementary) row positions for the whole series."""
    lay: Layers = layers(series)
    knw = _known_mask(len(series), known)
    primary: set[int] = set()
    complementary: set[int] = set()
    for tab in tables(series, geography_parents):
        prob = _LinearProgram(tab, lay.values[:, tab.rows], lay.is_rate, policy, knw[tab.rows])
        prim = prob.primaries()
        chosen = prob.choose(set(prim), prim)
        primary.update(int(tab.rows[i]) for i in prim)
        complementary.update(int(tab.rows[i]) for i in chosen - prim)
    if lay.is_rate:  # rows whose counts are unknown cannot be checked: withhold them
        unknown = np.isnan(lay.values).any(axis=0) & ~np.isnan(
            series.table.column("value").to_numpy().astype(np.float64)
        )
        primary.update(int(i) for i in np.flatnonzero(unknown & ~knw))
    return primary, complementary


def _withhold(
    series: IndicatorSeries, primary: set[int], complementary: set[int]
) -> IndicatorSeries:
    """Remove withheld values from the Arrow table (the data, not only a flag)."""
    n = len(series)
    mask = np.zeros(n, dtype=bool)
    mask[list(primary | complementary)] = True
    if not mask.any():
        return series
    table = series.table
    for name in _NUMERIC:
        if name not in table.column_names:
            continue
        data = table.column(name).to_numpy().astype(np.float64, copy=True)
        nulls = np.isnan(data) | mask
        data[nulls] = 0.0
        arr = pa.array(data, type=pa.float64(), mask=nulls)
        table = table.set_column(table.column_names.index(name), name, arr)
    if "reliability" in table.column_names:
        rel = table.column("reliability").to_pylist()
        arr = pa.array([None if mask[i] else rel[i] for i in range(n)], type=pa.string())
        if pa.types.is_dictionary(table.schema.field("reliability").type):
            arr = arr.dictionary_encode()
        table = table.set_column(table.column_names.index("reliability"), "reliability", arr)
    status = np.asarray(table.column("status").to_pylist(), dtype=object)
    status[list(primary)] = Status.SUPPRESSED.value
    status[list(complementary)] = Status.SUPPRESSED_COMPLEMENTARY.value
    arr = pa.array(status.tolist(), type=pa.string()).dictionary_encode()
    table = table.set_column(table.column_names.index("status"), "status", arr)
    return series.with_table(table)


def suppress(
    series: IndicatorSeries,
    policy: SuppressionPolicy | None = None,
    *,
    geography_parents: Mapping[str, str] | None = None,
    known: npt.ArrayLike | None = None,
) -> IndicatorSeries:
    """Withhold small counts and every cell that would reveal them.

    **Tables.** Each indicator × period is an independent table; so is each
    geography, unless geography totals are published (rows whose geography is
    :data:`~feedbackloop.TOTAL`, or ``geography_parents``), in which case
    geography is one more dimension. A row with ``TOTAL`` in a dimension is the
    sum of the rows that replace it with each category, so every margin and
    every crossing of margins is a published relation.

    **Counts.** Counts are the values of summable indicators; for rates and
    percentages, the ``numerator`` and ``denominator`` columns (a rate whose
    counts are unknown is withheld).

    **Primary suppression** withholds every count that
    :meth:`SuppressionPolicy.is_small`; **complementary suppression** then adds
    cells, preferring interior cells to margins, zeros last, smaller first
    (ties by row order, so the result is deterministic): first a second cell in
    every relation holding only one withheld cell, then, while an exact linear
    program (HiGHS via :func:`scipy.optimize.linprog`) finds a withheld count
    that an intruder could pin down, the neighbouring cell that widens it most;
    finally complementary cells that are not needed are released again.

    **Guarantee.** For every withheld row, each withheld count (the value; for
    rates the numerator, and the denominator and ``denominator - numerator``
    when those are small) can take any value in an interval at least
    ``threshold`` wide, given every published cell, every published total, and
    non-negativity. The intruder is assumed to know how far each published
    total is from the sum of its published and unpublished parts, so
    non-additive tables are protected as if they were exactly additive. The
    check is the linear relaxation, which is exact for one- and two-way tables.

    Parameters
    ----------
    series : IndicatorSeries
        The data; never modified.
    policy : SuppressionPolicy, optional
        The rule (default: ``SuppressionPolicy()``, threshold 11).
    geography_parents : mapping, optional
        Child geography code to the code of the geography that totals it
        (tract to county), when both are in the series.
    known : array of bool, optional
        Rows the audience already knows (e.g. its own): never withheld, and
        never relied on to hide anything.

    Returns
    -------
    IndicatorSeries
        Withheld rows have no value, margin of error, numerator or denominator
        (they are removed from the Arrow table) and the status
        :attr:`~feedbackloop.Status.SUPPRESSED` (primary) or
        :attr:`~feedbackloop.Status.SUPPRESSED_COMPLEMENTARY`.

    Raises
    ------
    SuppressionError
        For values that are not counts and have no numerators/denominators, for
        negative counts, or when a cell cannot be protected.
    MissingDependencyError
        When complementary suppression is needed and scipy is not installed.

    Examples
    --------
    >>> import pandas as pd
    >>> from feedbackloop import Indicator, IndicatorSeries, TOTAL
    >>> ind = Indicator(id="served", name="Served", unit="people",
    ...                 direction="higher_is_better")
    >>> df = pd.DataFrame({"geography": "x", "period": "2024",
    ...                    "sex": ["F", "M", TOTAL], "value": [4, 30, 34]})
    >>> s = IndicatorSeries.from_frame(df, indicator=ind, dimensions=["sex"])
    >>> suppress(s, SuppressionPolicy(threshold=11)).frame[["sex", "value", "status"]]
           sex  value                    status
    0        F    NaN                suppressed
    1        M    NaN  suppressed_complementary
    2  (total)   34.0                  estimate

    .. versionadded:: 0.1.0
    """
    policy = SuppressionPolicy() if policy is None else policy
    if not isinstance(policy, SuppressionPolicy):
        raise TypeError(f"policy must be a SuppressionPolicy (got {policy!r})")
    knw = None if known is None else np.asarray(known, dtype=bool)
    if knw is not None and knw.shape != (len(series),):
        raise ValueError(f"known must have one entry per row ({len(series)}), got {knw.shape}")
    primary, complementary = _plan(series, policy, geography_parents, knw)
    return _withhold(series, primary, complementary)


def audit(
    original: IndicatorSeries,
    published: IndicatorSeries,
    *,
    threshold: int | None = None,
    geography_parents: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Compute what an intruder can learn about every withheld count.

    For each row withheld in ``published`` (and valued in ``original``), solves
    two linear programs per withheld count: its smallest and largest value
    consistent with everything ``published`` shows. For the data holder only:
    the result contains the true values.

    Parameters
    ----------
    original, published : IndicatorSeries
        The series before and after disclosure control, row for row.
    threshold : int, optional
        Adds a ``protected`` column: interval width >= threshold.
    geography_parents : mapping, optional
        As for :func:`suppress`.

    Returns
    -------
    pandas.DataFrame
        Key columns, ``quantity``, ``true``, ``lower``, ``upper`` (and
        ``protected``).

    .. versionadded:: 0.1.0
    """
    if len(original) != len(published):
        raise ValueError("original and published must have the same rows")
    lay = layers(original)
    status = np.asarray(published.table.column("status").to_pylist(), dtype=object)
    withheld = np.isin(status, [Status.SUPPRESSED.value, Status.SUPPRESSED_COMPLEMENTARY.value])
    policy = SuppressionPolicy(threshold=threshold or 1)
    keys: pd.DataFrame = original.table.select(list(original.keys)).to_pandas()
    records: list[dict[Any, Any]] = []
    for tab in tables(original, geography_parents):
        prob = _LinearProgram(
            tab, lay.values[:, tab.rows], lay.is_rate, policy, np.zeros(len(tab.rows), bool)
        )
        hidden = sorted(int(i) for i in np.flatnonzero(withheld[tab.rows] & prob.valued))
        if not hidden:
            continue
        sys = prob.system(hidden)
        for q in prob.quantities(hidden, set()):
            lo, hi = prob.range_of(q, hidden, sys)
            row = int(tab.rows[q[0]])
            true = float(np.dot(q[1], prob.v0[:, q[0]]))
            rec = {**keys.iloc[row].to_dict(), "quantity": q[2], "true": true}
            rec.update(lower=lo, upper=hi)
            if threshold is not None:
                rec["protected"] = hi - lo >= threshold - _TOL
            records.append(rec)
    cols = [*original.keys, "quantity", "true", "lower", "upper"]
    return pd.DataFrame.from_records(
        records, columns=cols + (["protected"] if threshold is not None else [])
    )
