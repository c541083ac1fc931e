"""Controlled rounding: the policy, and counts to multiples of a base, totals still adding up.

:class:`RoundingPolicy` (the rule) lives beside :func:`round_counts` (what the
rule does), so that :meth:`RoundingPolicy.apply` calls it without importing
upward. The joint rounding is a small mixed-integer program (HiGHS through
scipy, imported when a table needs it).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from attrs import field, frozen

from feedbackloop._util import import_optional
from feedbackloop.errors import RoundingWarning
from feedbackloop.privacy._fields import int_at_least
from feedbackloop.privacy._tables import Table, layers, tables
from feedbackloop.series import IndicatorSeries, Status, ratio_scale

__all__ = ["RoundingPolicy", "round_counts"]

F64 = npt.NDArray[np.float64]
_EPS = 1e-9


@frozen(kw_only=True)
class RoundingPolicy:
    """Controlled rounding of counts to a multiple of ``base``.

    Every count moves to one of the two multiples of ``base`` around it (a
    multiple stays put; a zero stays zero), and the choice is made jointly so
    that published totals still equal the sum of their published parts
    (see :func:`feedbackloop.privacy.round_counts`).

    Parameters
    ----------
    base : int
        The rounding base (5 by default; 3 and 10 are also common).

    Examples
    --------
    >>> RoundingPolicy(base=5).to_dict()
    {'method': 'round', 'base': 5}

    .. versionadded:: 0.1.0
    """

    method: ClassVar[str] = "round"

    base: int = field(default=5, validator=int_at_least(2))

    def apply(
        self,
        series: IndicatorSeries,
        *,
        geography_parents: Mapping[str, str] | None = None,
    ) -> IndicatorSeries:
        """Return ``series`` with this policy applied (see :func:`round_counts`)."""
        return round_counts(series, self, geography_parents=geography_parents)

    def to_dict(self) -> dict[str, Any]:
        """Return the policy as plain data (the inverse of :func:`policy_from_dict`)."""
        return {"method": self.method, "base": self.base}


def _round_table(table: Table, values: F64, base: float, is_rate: bool) -> F64 | None:
    """Round one table's counts jointly; ``None`` when no additive rounding exists.

    Each count ``x = b·f + r`` (``0 <= r < b``) becomes ``b·f`` or ``b·(f + 1)``
    (``y = 0/1``; ``y = 0`` when ``r = 0``). Every exactly additive relation
    ``parent = Σ children`` must still hold, and for rates ``numerator <=
    denominator``; the objective, the total absolute rounding error, is linear
    in ``y``. Solved as a small mixed-integer program (HiGHS).
    """
    n_layers, m = values.shape
    valued = ~np.isnan(values)
    v = np.nan_to_num(values, nan=0.0)
    floor = np.floor(v / base + _EPS)
    resid = v / base - floor
    resid[resid < _EPS] = 0.0
    upper = (resid > 0).astype(np.float64)
    rows: list[F64] = []
    rhs: list[float] = []
    for p, children in table.constraints:
        members = (p, *children)
        if not all(valued[:, r].all() for r in members):
            continue
        for layer in range(n_layers):
            slack = v[layer, p] - sum(v[layer, c] for c in children)
            if abs(slack) > 1e-6 * max(1.0, abs(v[layer, p])):
                continue  # not additive in the source: nothing to preserve
            a = np.zeros(n_layers * m)
            a[layer * m + p] = 1.0
            for c in children:
                a[layer * m + c] -= 1.0
            rows.append(a)
            rhs.append(-(floor[layer, p] - sum(floor[layer, c] for c in children)))
    lo_rows: list[F64] = []
    lo_rhs: list[float] = []
    if is_rate:
        for i in range(m):
            if valued[:, i].all():
                a = np.zeros(n_layers * m)
                a[i], a[m + i] = 1.0, -1.0  # b(f_n + y_n) <= b(f_d + y_d)
                lo_rows.append(a)
                lo_rhs.append(floor[1, i] - floor[0, i])
    if not rows and not lo_rows:
        return np.where(resid >= 0.5, floor + 1, floor) * base
    opt = import_optional("scipy.optimize", extra="privacy", purpose="controlled rounding")
    cons = []
    if rows:
        a_eq = np.vstack(rows)
        cons.append(opt.LinearConstraint(a_eq, np.asarray(rhs), np.asarray(rhs)))
    if lo_rows:
        cons.append(opt.LinearConstraint(np.vstack(lo_rows), -np.inf, np.asarray(lo_rhs)))
    cost = (1.0 - 2.0 * resid).ravel()
    # a tiny, position-based tie-break keeps the choice deterministic and documented
    cost = cost + 1e-7 * np.arange(cost.size) / max(cost.size, 1)
    res = opt.milp(
        cost,
        constraints=cons,
        integrality=np.ones(cost.size),
        bounds=opt.Bounds(np.zeros(cost.size), upper.ravel()),
    )
    if res.status != 0 or res.x is None:
        return None
    y = np.round(res.x).reshape(n_layers, m)
    out: F64 = (floor + y) * base
    return out


def round_counts(
    series: IndicatorSeries,
    policy: RoundingPolicy | None = None,
    *,
    geography_parents: Mapping[str, str] | None = None,
) -> IndicatorSeries:
    """Round every count to a multiple of ``policy.base``, keeping totals additive.

    Tables are formed as for :func:`suppress`. Each count moves to one of the
    two multiples of the base around it (multiples, zeros included, stay put),
    chosen jointly so that every total that equalled the sum of its parts still
    does, with the smallest total rounding error.

    **Guarantee.** Every rounded count is within ``base`` of the true count.
    For one-way tables (categories and their total) and two-way tables with all
    margins, a controlled rounding always exists (Cox & Ernst) and is found. For
    three-way and larger tables one may not exist: then that table is rounded
    cell by cell to the nearest multiple (additivity is lost there) and a
    :class:`RoundingWarning` names it. For rates, numerator and denominator are
    rounded (numerator never above denominator) and the value is recomputed;
    margins of error are kept.

    Parameters
    ----------
    series : IndicatorSeries
        The data.
    policy : RoundingPolicy, optional
        Default: base 5.
    geography_parents : mapping, optional
        As for :func:`suppress`.

    Returns
    -------
    IndicatorSeries

    Examples
    --------
    >>> import pandas as pd
    >>> from feedbackloop import Indicator, IndicatorSeries, TOTAL
    >>> ind = Indicator(id="served", name="Served", unit="people",
    ...                 direction="higher_is_better")
    >>> df = pd.DataFrame({"geography": "x", "period": "2024",
    ...                    "sex": ["F", "M", TOTAL], "value": [4, 7, 11]})
    >>> s = IndicatorSeries.from_frame(df, indicator=ind, dimensions=["sex"])
    >>> round_counts(s, RoundingPolicy(base=5)).frame["value"].tolist()
    [5.0, 5.0, 10.0]

    .. versionadded:: 0.1.0
    """
    policy = RoundingPolicy() if policy is None else policy
    if not isinstance(policy, RoundingPolicy):
        raise TypeError(f"policy must be a RoundingPolicy (got {policy!r})")
    lay = layers(series)
    base = float(policy.base)
    rounded = lay.values.copy()
    for tab in tables(series, geography_parents):
        vals = lay.values[:, tab.rows]
        out = _round_table(tab, vals, base, lay.is_rate)
        if out is None:
            warnings.warn(
                f"series {series.indicator.id!r}, table {tab.label}: no controlled rounding "
                f"to base {policy.base} exists (possible for tables of three or more "
                "dimensions); its cells were rounded to the nearest multiple, so its totals "
                "may not add up",
                RoundingWarning,
                stacklevel=2,
            )
            out = np.floor(vals / base + 0.5) * base
        rounded[:, tab.rows] = np.where(np.isnan(vals), np.nan, out)
    table = series.table
    names = ["numerator", "denominator"] if lay.is_rate else ["value"]
    for layer, name in enumerate(names):
        arr = pa.array(rounded[layer], type=pa.float64(), from_pandas=True)
        table = table.set_column(table.column_names.index(name), name, arr)
    if lay.is_rate:
        table = _recompute_rates(series, table, rounded)
    return series.with_table(table)


def _recompute_rates(series: IndicatorSeries, table: pa.Table, rounded: F64) -> pa.Table:
    scale = ratio_scale(series.unit)
    num, den = rounded
    value = series.table.column("value").to_numpy().astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        new = np.where(den > 0, num / den * scale, np.nan)
    has = ~np.isnan(value) & ~np.isnan(num) & ~np.isnan(den)
    value = np.where(has, new, value)
    status: list[Any] = table.column("status").to_pylist()
    lost = has & np.isnan(new)
    for i in np.flatnonzero(lost):
        status[i] = Status.NOT_COMPUTABLE.value
    table = table.set_column(
        table.column_names.index("value"),
        "value",
        pa.array(value, type=pa.float64(), from_pandas=True),
    )
    if lost.any() and "moe" in table.column_names:
        moe = table.column("moe").to_numpy().astype(np.float64)
        moe[lost] = np.nan
        table = table.set_column(
            table.column_names.index("moe"), "moe", pa.array(moe, from_pandas=True)
        )
    return table.set_column(
        table.column_names.index("status"),
        "status",
        pa.array(status, type=pa.string()).dictionary_encode(),
    )
