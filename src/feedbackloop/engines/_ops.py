"""The relational operations as Ibis expressions: one expression per operation.

Each function mirrors its in-memory counterpart in :mod:`feedbackloop.series`
formula for formula (the same Census rules, the same statuses), so that the
spec suite can compare engines to 1e-9 relative. Missing values are nulls
(NaN is turned into null when a table is scanned).
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Mapping, Sequence
from typing import Any

from feedbackloop import stats
from feedbackloop.series import TOTAL, Status

__all__ = [
    "BAD",
    "aggregate",
    "change",
    "derived",
    "disparity",
    "fips_parent",
    "index_of_disparity",
    "mapped_parent",
    "not_fips",
    "reliability",
]

#: Prefix of a geography code that could not be rolled up (reported at collect).
BAD = "\x00"

_SUPPRESSED = [Status.SUPPRESSED.value, Status.SUPPRESSED_COMPLEMENTARY.value]
_WITHHELD = [s.value for s in Status if s.is_suppressed]

_FIPS_PARENT_LENGTHS = {
    "county": ((5, 10, 11, 12, 15), 5),
    "state": ((2, 5, 7, 10, 11, 12, 15), 2),
}


def _null(ibis: Any, like: Any) -> Any:
    return ibis.null().cast(like.type())


def _glob_signature(text: str, pattern: str) -> bool:
    """DuckDB's ``GLOB`` operator: only its signature, Ibis compiles the call."""
    raise NotImplementedError


@functools.cache
def _glob(ibis: Any) -> Any:
    """``text GLOB pattern`` as an Ibis function (``~~~`` is the operator's function name)."""
    return ibis.udf.scalar.builtin(_glob_signature, name="~~~")


def _digits_only(ibis: Any, code: Any, engine: str) -> Any:
    """Whether ``code`` is all ASCII digits (true for empty text: check the length too).

    DuckDB globs for a character that is not a digit (several times cheaper per
    row than its regular expressions); Spark matches a pattern (deleting the
    digits with ``translate`` and testing the length measured 1.3x slower).
    """
    if engine == "duckdb":
        return ~_glob(ibis)(code, "*[!0-9]*")
    return code.re_search("^[0-9]+$")


def fips_parent(geography: Any, to: str) -> Any:
    """Each code cut to its county or state prefix (check the codes with :func:`not_fips`)."""
    return geography.substr(0, _FIPS_PARENT_LENGTHS[to][1])


def not_fips(ibis: Any, geography: Any, to: str, engine: str) -> Any:
    """Whether a code is not a FIPS GEOID that rolls up ``to`` county or state.

    Run as its own filter (``WHERE not_fips(...)``), not inside the roll-up:
    DuckDB evaluates a filter on a Parquet column once per dictionary entry,
    so checking every code costs little more than reading the column.
    """
    lengths, _ = _FIPS_PARENT_LENGTHS[to]
    n = geography.length()
    # Equalities, not isin: DuckDB turns an IN list into a join against every row.
    fips = functools.reduce(operator.or_, [n == k for k in lengths])
    return ~(fips & _digits_only(ibis, geography, engine))


def mapped_parent(ibis: Any, table: Any, mapping: Mapping[str, str]) -> Any:
    """``table`` with ``geography`` replaced by its parent in ``mapping`` (unmapped: BAD)."""
    pairs = ibis.memtable(
        {"__child": list(mapping), "__parent": list(mapping.values())},
        schema={"__child": "string", "__parent": "string"},
    )
    joined = table.left_join(pairs, table.geography == pairs.__child)
    parent = ibis.ifelse(
        joined.__parent.isnull(),
        ibis.ifelse(joined.geography.startswith(BAD), joined.geography, BAD + joined.geography),
        joined.__parent,
    )
    return joined.mutate(geography=parent).drop("__child", "__parent")


def _sum_pair(ibis: Any, t: Any, vcol: str, mcol: str | None) -> dict[str, Any]:
    """Sum of ``vcol`` (null if any part is) and its MOE with the zero-estimate rule."""
    v = t[vcol]
    n = t.count()
    complete = v.count() == n
    out = {f"__sum_{vcol}": ibis.ifelse(complete, v.sum(), _null(ibis, v))}
    if mcol is not None:
        m = t[mcol]
        sq = ibis.ifelse(v != 0, m * m, 0.0).sum()
        zmax = m.max(where=v == 0).fill_null(0.0)
        known = complete & (m.count() == n)
        out[f"__sum_{mcol}"] = ibis.ifelse(known, (sq + zmax * zmax).sqrt(), _null(ibis, m))
    return out


def _proportion_moe(ibis: Any, x: Any, y: Any, mx: Any, my: Any) -> Any:
    """:func:`feedbackloop.stats.moe_proportion` as an expression (NaN -> null)."""
    ysafe = ibis.ifelse(y == 0, _null(ibis, y), y)
    pm = (x / ysafe).abs() * my
    factored = ibis.greatest(mx - pm, 0.0).sqrt() * (mx + pm).sqrt()
    hyp = (mx * mx + pm * pm).sqrt()
    return ibis.ifelse(mx < pm, hyp, factored) / ysafe.abs()


def aggregate(
    ibis: Any,
    t: Any,
    keys: Sequence[str],
    *,
    rate_scale: float | None,
) -> Any:
    """Group ``t`` by ``keys`` and sum under the Census rules, with the honest status.

    ``rate_scale`` None sums counts (value, and numerator/denominator when
    present); a number recomputes the rate from summed numerator and
    denominator (times the scale, 100 for percent).
    """
    names = set(t.columns)
    pairs: list[tuple[str, str | None]] = []
    if rate_scale is None:
        pairs.append(("value", "moe" if "moe" in names else None))
    for col, mcol in (("numerator", "numerator_moe"), ("denominator", "denominator_moe")):
        if col in names:
            pairs.append((col, mcol if mcol in names else None))
    metrics: dict[str, Any] = {
        "__n_suppressed": ibis.ifelse(t.status.isin(_SUPPRESSED), 1, 0).sum()
    }
    for vcol, pmoe in pairs:
        metrics.update(_sum_pair(ibis, t, vcol, pmoe))
    agg = t.group_by(list(keys)).aggregate(**metrics)
    cols: dict[str, Any] = {k: agg[k] for k in keys}
    for vcol, pmoe in pairs:
        cols[vcol] = agg[f"__sum_{vcol}"]
        if pmoe is not None:
            cols[pmoe] = agg[f"__sum_{pmoe}"]
    has_moe = "moe" in cols
    if rate_scale is not None:
        num, den = cols["numerator"], cols["denominator"]
        cols["value"] = ibis.ifelse(den == 0, _null(ibis, den), num / den) * rate_scale
        has_moe = "numerator_moe" in cols and "denominator_moe" in cols
        if has_moe:
            moe = _proportion_moe(ibis, num, den, cols["numerator_moe"], cols["denominator_moe"])
            cols["moe"] = moe * rate_scale
    status = ibis.ifelse(cols["value"].isnull(), Status.MISSING.value, Status.ESTIMATE.value)
    if has_moe:
        status = ibis.ifelse(
            cols["value"].notnull() & cols["moe"].isnull(),
            Status.MOE_NOT_COMPUTABLE.value,
            status,
        )
    cols["status"] = ibis.ifelse(agg.__n_suppressed > 0, Status.SUPPRESSED.value, status)
    return agg.select(**cols)


def reliability(ibis: Any, t: Any, caution: float, unreliable: float) -> Any:
    """Add ``cv`` (:func:`feedbackloop.stats.cv`) and its class, as the in-memory one does."""
    m = ibis.ifelse(t.moe < 0, _null(ibis, t.moe), t.moe)
    se = m / stats.z_for_level(0.90)
    v = t.value.abs()
    cv = ibis.ifelse(v == 0, _null(ibis, t.value), se / v) * 100.0
    klass = ibis.cases(
        (cv.isnull(), "not_computable"),
        (cv > unreliable, "unreliable"),
        (cv > caution, "caution"),
        else_="reliable",
    )
    base = t.drop(*[c for c in ("cv", "reliability") if c in t.columns])
    return base.mutate(cv=cv, reliability=klass)


def _hypot(a: Any, b: Any) -> Any:
    return (a * a + b * b).sqrt()


def disparity(
    ibis: Any,
    t: Any,
    others: Sequence[str],
    dimension: str,
    reference: str,
    *,
    measure: str,
    level: float,
    has_moe: bool,
) -> Any:
    """Each non-reference row beside its cell's reference row, compared (see series.disparity)."""
    nullf = ibis.null().cast("float64")
    moe = (ibis.ifelse(t.moe < 0, nullf, t.moe)) if has_moe else nullf
    rows = t.mutate(__m=moe)
    ref = rows.filter(rows[dimension] == reference).select(
        *[rows[k].name(f"__r_{k}") for k in others],
        __r=rows.value,
        __rm=rows.__m,
        __rs=rows.status,
    )
    body = rows.filter(rows[dimension] != reference)
    # others always holds geography and period: every row has a cell.
    j = body.left_join(ref, [body[k] == ref[f"__r_{k}"] for k in others])
    v, r, mv, mr = j.value, j.__r, j.__m, j.__rm
    if measure == "ratio":
        rsafe = ibis.ifelse(r == 0, nullf, r)
        d = v / rsafe
        dm = (_hypot(mv, d.abs() * mr) / rsafe).abs()
    else:
        d = v - r
        dm = _hypot(mv, mr)
    z = stats.z_for_level(0.90)
    se = _hypot(mv / z, mr / z)
    zscore = ((v - r) / ibis.ifelse(se == 0, nullf, se)).abs()
    sig = ibis.ifelse(se == 0, False, zscore > stats.z_for_level(level))
    hidden = j.status.isin(_WITHHELD) | j.__rs.fill_null("").isin(_WITHHELD)
    unknown = v.isnull() | r.isnull() | mv.isnull() | mr.isnull() | hidden
    status = ibis.cases(
        (hidden, Status.SUPPRESSED_DERIVED.value),
        (d.isnull() & (v.isnull() | r.isnull()), Status.MISSING.value),
        (d.isnull(), Status.NOT_COMPUTABLE.value),
        else_=Status.ESTIMATE.value,
    )
    return j.select(
        *[j[k] for k in others],
        group=j[dimension],
        reference=ibis.literal(reference),
        value=v,
        moe=mv,
        reference_value=r,
        reference_moe=mr,
        measure=ibis.literal(measure),
        disparity=ibis.ifelse(hidden, nullf, d),
        disparity_moe=ibis.ifelse(hidden, nullf, dm),
        significant=ibis.ifelse(unknown, ibis.null().cast("boolean"), sig),
        status=status,
    )


def _positive(ibis: Any, moe: Any) -> Any:
    """Turn negative (sentinel) margins of error into null, as :mod:`stats` reads them."""
    return ibis.ifelse(moe < 0, ibis.null().cast("float64"), moe)


def _outer(
    ibis: Any, a: Any, b: Any, keys: Sequence[str], suffixes: tuple[str, str]
) -> tuple[Any, dict[str, Any]]:
    """Full outer join of ``a`` and ``b`` on ``keys``; the keys coalesced, the rest suffixed."""
    s1, s2 = suffixes
    left = a.select(
        **{f"__k_{k}": a[k] for k in keys}, **{f"{c}{s1}": a[c] for c in a.columns if c not in keys}
    )
    right = b.select(
        **{f"__j_{k}": b[k] for k in keys}, **{f"{c}{s2}": b[c] for c in b.columns if c not in keys}
    )
    j = left.outer_join(right, [left[f"__k_{k}"] == right[f"__j_{k}"] for k in keys])
    key_cols = {k: ibis.coalesce(j[f"__k_{k}"], j[f"__j_{k}"]) for k in keys}
    return j, key_cols


def _derived_status(ibis: Any, result: Any, missing: Any, hidden: Any) -> Any:
    """As ``series._compare._status_codes``: estimate, missing, not computable or withheld."""
    return ibis.cases(
        (hidden, Status.SUPPRESSED_DERIVED.value),
        (result.isnull() & missing, Status.MISSING.value),
        (result.isnull(), Status.NOT_COMPUTABLE.value),
        else_=Status.ESTIMATE.value,
    )


def derived(
    ibis: Any, a: Any, b: Any, keys: Sequence[str], *, per: float, kind: str, has_moe: bool
) -> Any:
    """Divide ``a`` by ``b`` row by row (outer-aligned), as ``series.proportion``/``ratio``."""
    a = a.select(*keys, "value", *(["moe"] if has_moe else []), "status")
    b = b.select(*keys, "value", *(["moe"] if has_moe else []), "status")
    j, cols = _outer(ibis, a, b, keys, ("_a", "_b"))
    nullf = ibis.null().cast("float64")
    hidden = j.status_a.fill_null("").isin(_WITHHELD) | j.status_b.fill_null("").isin(_WITHHELD)
    x = ibis.ifelse(hidden, nullf, j.value_a)
    y = ibis.ifelse(hidden, nullf, j.value_b)
    value = ibis.ifelse(y == 0, nullf, x / y) * per
    cols |= {"value": value, "numerator": x, "denominator": y}
    if has_moe:
        mx = ibis.ifelse(hidden, nullf, _positive(ibis, j.moe_a))
        my = ibis.ifelse(hidden, nullf, _positive(ibis, j.moe_b))
        ysafe = ibis.ifelse(y == 0, nullf, y)
        if kind == "proportion":
            moe = _proportion_moe(ibis, x, y, mx, my)
        else:
            moe = _hypot(mx, (x / ysafe).abs() * my) / ysafe.abs()
        cols |= {"moe": moe * per, "numerator_moe": mx, "denominator_moe": my}
    status = ibis.cases(
        (x.isnull() | y.isnull(), Status.MISSING.value),
        (y == 0, Status.NOT_COMPUTABLE.value),
        (value.isnull(), Status.MISSING.value),
        else_=Status.ESTIMATE.value,
    )
    if has_moe:
        status = ibis.ifelse(
            (status == Status.ESTIMATE.value) & cols["moe"].isnull(),
            Status.MOE_NOT_COMPUTABLE.value,
            status,
        )
    cols["status"] = ibis.ifelse(hidden, Status.SUPPRESSED_DERIVED.value, status)
    return j.select(**cols)


def change(
    ibis: Any,
    t: Any,
    keys: Sequence[str],
    periods: tuple[str, str],
    *,
    overlap: float,
    level: float,
    has_moe: bool,
) -> Any:
    """Change between two periods per place and category, as ``series.change``."""
    parts = []
    for p in periods:
        rows = t.filter(t.period == p)
        parts.append(rows.select(*keys, "value", *(["moe"] if has_moe else []), "status"))
    j, cols = _outer(ibis, parts[0], parts[1], keys, ("_1", "_2"))
    nullf = ibis.null().cast("float64")
    x1, x2 = j.value_1, j.value_2
    hidden = j.status_1.fill_null("").isin(_WITHHELD) | j.status_2.fill_null("").isin(_WITHHELD)
    x1safe = ibis.ifelse(x1 == 0, nullf, x1)
    cols |= {"start": ibis.literal(periods[0]), "end": ibis.literal(periods[1])}
    cols |= {"start_value": x1, "start_moe": nullf, "end_value": x2, "end_moe": nullf}
    diff = x2 - x1
    cols |= {"difference": diff, "difference_moe": nullf}
    cols |= {"percent_change": (x2 - x1) / x1safe * 100.0, "percent_change_moe": nullf}
    sig = ibis.null().cast("boolean")
    if has_moe:
        m1, m2 = _positive(ibis, j.moe_1), _positive(ibis, j.moe_2)
        cols |= {"start_moe": j.moe_1, "end_moe": j.moe_2}
        cols["difference_moe"] = _hypot(m1, m2) * math.sqrt(1 - overlap)
        pc_moe = _hypot(m2, (x2 / x1safe).abs() * m1) / x1safe.abs() * 100.0
        cols["percent_change_moe"] = pc_moe
        z90 = stats.z_for_level(0.90)
        se = _hypot(m2 / z90, m1 / z90) * math.sqrt(1.0 - overlap)
        z = (x2 - x1) / ibis.ifelse(se == 0, nullf, se)
        sig = ibis.ifelse(z.isnull(), sig, z.abs() > stats.z_for_level(level))
    for c in ("difference", "difference_moe", "percent_change", "percent_change_moe"):
        cols[c] = ibis.ifelse(hidden, nullf, cols[c])
    cols["significant"] = ibis.ifelse(hidden, ibis.null().cast("boolean"), sig)
    cols["status"] = _derived_status(ibis, cols["difference"], x1.isnull() | x2.isnull(), hidden)
    return j.select(**cols)


def index_of_disparity(
    ibis: Any, t: Any, others: Sequence[str], dimension: str, reference: str, *, weighted: bool
) -> Any:
    """Pearcy & Keppel's index per place and period, as ``series.index_of_disparity``."""
    ref = t.filter(t[dimension] == reference).select(
        *[t[k].name(f"__r_{k}") for k in others], __R=t.value, __Rs=t.status
    )
    rows = t.filter((t[dimension] != TOTAL) & (t[dimension] != reference))
    j = rows.inner_join(ref, [rows[k] == ref[f"__r_{k}"] for k in others])
    hid = j.status.fill_null("").isin(_WITHHELD) | j.__Rs.fill_null("").isin(_WITHHELD)
    dev = (j.value - j.__R).abs()
    metrics: dict[str, Any] = {
        "groups": j.count(),
        "__R": j.__R.max(),
        "__mean": dev.mean(),
        "__nan": (j.value.count() < j.count()),
        "__hid": hid.any(),
    }
    if weighted:
        w = j.denominator
        metrics["__mean"] = (dev * w).sum() / w.sum()
    g = j.group_by([j[k] for k in others]).aggregate(**metrics)
    nullf = ibis.null().cast("float64")
    R = g.__R
    bad = g.__nan | (R == 0) | g.__hid
    idx = ibis.ifelse(bad | R.isnull(), nullf, g.__mean / ibis.ifelse(R == 0, nullf, R) * 100.0)
    return g.select(
        *others,
        reference=ibis.literal(reference),
        groups=g.groups.cast("int64"),
        index_of_disparity=idx,
        status=_derived_status(ibis, idx, g.__nan | R.isnull(), g.__hid),
    )
