"""The relational operations as Ibis expressions: one expression per operation.

Each function mirrors its in-memory counterpart in :mod:`feedbackloop.series`
formula for formula (the same Census rules, the same statuses), so that the
spec suite can compare engines to 1e-9 relative. Missing values are nulls
(NaN is turned into null when a table is scanned).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from feedbackloop import stats
from feedbackloop.series import Status

__all__ = [
    "BAD",
    "aggregate",
    "disparity",
    "fips_parent",
    "mapped_parent",
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


def fips_parent(ibis: Any, geography: Any, to: str) -> Any:
    """Each FIPS GEOID cut to its county or state; other codes marked :data:`BAD`."""
    lengths, keep = _FIPS_PARENT_LENGTHS[to]
    ok = geography.length().isin(list(lengths)) & geography.re_search("^[0-9]+$")
    marked = ibis.ifelse(geography.startswith(BAD), geography, BAD + geography)
    return ibis.ifelse(ok, geography.substr(0, keep), marked)


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
