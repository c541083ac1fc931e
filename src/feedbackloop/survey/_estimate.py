"""Proportions, means and totals by disaggregation, with design-based MOEs, into a series.

:func:`estimate` turns a frame of survey records and a :class:`SurveyDesign`
into an :class:`~feedbackloop.series.IndicatorSeries`: one row per geography ×
category combination (and each margin, ``(total)``), with the 90% MOE, the
unweighted count ``n_unweighted`` and a status: ``small_sample`` below
``min_n``, ``suppressed`` below the privacy policy's threshold and
``suppressed_complementary`` where a published total would otherwise give a
suppressed count away. Every cell is a domain of the whole design; no record is
ever dropped from the variance.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from attrs import frozen

from feedbackloop.errors import CodebookError, SurveyError
from feedbackloop.model import Indicator
from feedbackloop.period import Period
from feedbackloop.privacy import SuppressionPolicy, suppress
from feedbackloop.series import TOTAL, IndicatorSeries, Provenance, Status, assemble
from feedbackloop.survey._design import PreparedDesign, SurveyDesign, prepare
from feedbackloop.survey._variance import (
    replicate_sums,
    replicate_variance,
    taylor_variance,
)

__all__ = ["ANSWER", "Measure", "estimate"]

Measure = Literal["proportion", "mean", "total"]
#: The dimension holding the answers of a Likert or multi-select item.
ANSWER = "answer"
Z90 = 1.645
F64 = np.ndarray[Any, np.dtype[np.float64]]
I64 = np.ndarray[Any, np.dtype[np.int64]]
_SHOWN = 20
_DEFAULT_POLICY = SuppressionPolicy()


@frozen
class _Estimands:
    """What to estimate: ``num``/``den`` columns, a label each, ratio or total."""

    num: F64
    den: F64
    den_of: tuple[int, ...]
    labels: tuple[str, ...]
    ratio: bool


def _rows(mask: np.ndarray[Any, Any]) -> tuple[int, ...]:
    return tuple(int(i) + 1 for i in np.flatnonzero(mask)[:_SHOWN])


def _present(values: pd.Series[Any], column: str, missing: str, source: str) -> F64:
    """Return 1 where the answer is present; refuse missing answers unless ``missing="exclude"``."""
    absent = values.isna().to_numpy()
    if absent.any() and missing != "exclude":
        raise SurveyError(
            f"{column!r} is missing for {int(absent.sum())} records (rows "
            f'{", ".join(map(str, _rows(absent)))}); give missing="exclude" to leave them '
            "out of every cell's universe (they stay in the design), or fill them",
            source=source,
            column=column,
            rows=_rows(absent),
        )
    return (~absent).astype(np.float64)


def _numbers(values: pd.Series[Any], column: str, source: str) -> F64:
    num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(num) & values.notna().to_numpy()
    if bad.any():
        raise SurveyError(
            f"{column!r} has values that are not numbers (rows "
            f"{', '.join(map(str, _rows(bad)))}); a mean or total needs numbers",
            source=source,
            column=column,
            rows=_rows(bad),
        )
    return np.asarray(np.nan_to_num(num), dtype=np.float64)


def _is_flag(values: pd.Series[Any]) -> bool:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return False
    if pd.api.types.is_bool_dtype(values):
        return True
    if not pd.api.types.is_numeric_dtype(values):
        return False
    return bool(values.dropna().isin([0, 1]).all())


def _answers(
    values: pd.Series[Any],
    success: Sequence[str] | None,
    recode: Mapping[str, Sequence[str]] | None,
    column: str,
    source: str,
) -> tuple[pd.Series[Any], list[str]]:
    """Return the (recoded) answers as text and the answer categories in order."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = [str(c) for c in values.cat.categories]
    else:
        cats = sorted(map(str, values.dropna().unique()))
    text = values.astype(object).where(values.notna(), None)
    text = text.map(lambda x: None if x is None else str(x))
    named = list(success or ()) + [a for group in (recode or {}).values() for a in group]
    unknown = [a for a in named if a not in cats]
    if unknown:
        raise CodebookError(
            f"{column!r} has no answer {', '.join(map(repr, unknown))}; its answers are "
            f"{', '.join(map(repr, cats))}",
            source=source,
            column=column,
        )
    if recode:
        to = {a: new for new, group in recode.items() for a in group}
        text = text.map(lambda x: None if x is None else to.get(x, x))
        kept = [c for c in cats if c not in to]
        cats = list(dict.fromkeys([*(to.get(c, c) for c in cats)]))
        cats = [c for c in cats if c in recode or c in kept]
    return text, cats


def estimands(
    frame: pd.DataFrame,
    value: str | Sequence[str],
    measure: Measure,
    *,
    success: Sequence[str] | None = None,
    recode: Mapping[str, Sequence[str]] | None = None,
    missing: str = "error",
    source: str = "",
) -> _Estimands:
    """Build the ``y`` and universe columns of each estimand from the value column(s)."""
    if not isinstance(value, str):  # multi-select: one 0/1 column per answer
        num, den = [], []
        for c in value:
            d = _present(frame[c], c, missing, source)
            if not _is_flag(frame[c]):
                raise SurveyError(
                    f"multi-select column {c!r} must hold 0/1 (or true/false)",
                    source=source,
                    column=c,
                )
            num.append(_numbers(frame[c], c, source) * d)
            den.append(d)
        return _Estimands(
            np.column_stack(num), np.column_stack(den), tuple(range(len(num))), tuple(value), True
        )
    col = frame[value]
    d = _present(col, value, missing, source)
    if measure != "proportion":
        y = _numbers(col, value, source) * d
        one = d if measure == "mean" else np.ones_like(d)
        return _Estimands(y[:, None], one[:, None], (0,), ("",), measure == "mean")
    if _is_flag(col) and success is None and recode is None:
        return _Estimands(
            (_numbers(col, value, source) * d)[:, None], d[:, None], (0,), ("",), True
        )
    text, cats = _answers(col, success, recode, value, source)
    if success is not None:
        y = text.isin(list(success)).to_numpy(dtype=np.float64) * d
        return _Estimands(y[:, None], d[:, None], (0,), ("",), True)
    num_cols = [(text == c).to_numpy(dtype=np.float64) for c in cats]
    return _Estimands(
        np.column_stack(num_cols), d[:, None], tuple(0 for _ in cats), tuple(cats), True
    )


def _factor(values: pd.Series[Any], column: str, source: str) -> tuple[I64, list[str]]:
    """Return a key column's codes and labels; a missing key is refused with its rows."""
    absent = values.isna().to_numpy()
    if absent.any():
        raise SurveyError(
            f"{column!r} is missing for {int(absent.sum())} records (rows "
            f"{', '.join(map(str, _rows(absent)))}); recode them to a category of their own "
            "(e.g. 'Not reported') so that they stay in the estimates",
            source=source,
            column=column,
            rows=_rows(absent),
        )
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = np.asarray(values.cat.codes.to_numpy(), dtype=np.int64)
        return codes, [str(c) for c in values.cat.categories]
    codes, uniques = pd.factorize(values, sort=True)
    labels = [
        str(int(u)) if isinstance(u, float) and float(u).is_integer() else str(u) for u in uniques
    ]
    return np.asarray(codes, dtype=np.int64), labels


@frozen
class _Cells:
    """The cells of every grouping: ``codes (records, groupings)`` and each cell's keys."""

    codes: I64
    keys: dict[str, list[str]]
    groupings: tuple[tuple[str, ...], ...]

    @property
    def size(self) -> int:
        return len(next(iter(self.keys.values())))


def cells(
    frame: pd.DataFrame,
    geography: str | None,
    geography_code: str,
    dimensions: Sequence[str],
    totals: bool,
    source: str,
) -> _Cells:
    """Return the observed geography x category cells of each grouping (margins with totals)."""
    n = len(frame)
    factors = {d: _factor(frame[d], d, source) for d in dimensions}
    geo_codes, geo_labels = (
        _factor(frame[geography], geography, source)
        if geography is not None
        else (np.zeros(n, dtype=np.int64), [geography_code])
    )
    dims = tuple(dimensions)
    sizes = [len(dims) - i for i in range(len(dims) + 1)] if totals else [len(dims)]
    groupings = tuple(g for size in sizes for g in itertools.combinations(dims, size))
    columns: list[I64] = []
    keys: dict[str, list[str]] = {"geography": [], **{d: [] for d in dims}}
    offset = 0
    for group in groupings:
        key = geo_codes.copy()
        for d in group:
            key = key * len(factors[d][1]) + factors[d][0]
        uniq, inv = np.unique(key, return_inverse=True)
        columns.append(np.asarray(inv, dtype=np.int64) + offset)
        offset += uniq.size
        rest = uniq
        for d in reversed(group):
            rest, code = np.divmod(rest, len(factors[d][1]))
            keys[d].extend(factors[d][1][c] for c in code)
        keys["geography"].extend(geo_labels[c] for c in rest)
        for d in dims:
            if d not in group:
                keys[d].extend([TOTAL] * uniq.size)
    return _Cells(np.column_stack(columns), keys, groupings)


def _replicated(
    frame: pd.DataFrame, design: PreparedDesign, est: _Estimands, cell: _Cells
) -> tuple[F64, F64, F64, F64, F64, F64]:
    """Values, variances, numerators and denominators (with variances) by replicate weights."""
    positions = np.asarray([frame.columns.get_loc(c) for c in design.replicates], dtype=np.int64)
    weight = design.weight

    def block(start: int, stop: int) -> F64:
        reps = np.asarray(frame.iloc[start:stop, positions], dtype=np.float64)
        return np.column_stack([weight[start:stop], reps])

    sums = replicate_sums(
        cell.codes, cell.size, est.num, est.den, block, 1 + len(design.replicates)
    )
    den = sums.den[list(est.den_of)]
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = sums.num / den if est.ratio else sums.num
    coef = design.coefficient
    return (
        theta[..., 0],
        replicate_variance(theta, coef),
        sums.num[..., 0],
        replicate_variance(sums.num, coef),
        den[..., 0],
        replicate_variance(den, coef),
    )


def _linearised(
    design: PreparedDesign, est: _Estimands, cell: _Cells
) -> tuple[F64, F64, F64, F64, F64, F64]:
    """Values, variances, numerators and denominators by Taylor linearisation."""
    assert design.psu is not None and design.psu_stratum is not None
    assert design.scale is not None and design.lonely is not None
    w = design.weight
    k, c = est.num.shape[1], cell.size
    out = np.zeros((6, k, c))
    for j in range(k):
        y, d = est.num[:, j], est.den[:, est.den_of[j]]
        for g in range(cell.codes.shape[1]):
            codes = cell.codes[:, g]
            size = int(codes.max()) + 1
            nsum = np.bincount(codes, weights=w * y, minlength=size)
            dsum = np.bincount(codes, weights=w * d, minlength=size)
            with np.errstate(divide="ignore", invalid="ignore"):
                theta = nsum / dsum if est.ratio else nsum
                z = w * (y - theta[codes] * d) / dsum[codes] if est.ratio else w * y
            kernel = (codes, size, design.psu, design.psu_stratum, design.scale, design.lonely)
            lo = int(codes.min())
            sl = slice(lo, size)
            out[0, j, sl], out[2, j, sl], out[4, j, sl] = theta[lo:], nsum[lo:], dsum[lo:]
            out[1, j, sl] = taylor_variance(z, *kernel)[lo:]
            out[3, j, sl] = taylor_variance(w * y, *kernel)[lo:]
            out[5, j, sl] = taylor_variance(w * d, *kernel)[lo:]
    return out[0], out[1], out[2], out[3], out[4], out[5]


def _counts(est: _Estimands, cell: _Cells) -> F64:
    """Unweighted records in each estimand's universe, by cell: ``(estimands, cells)``."""
    out = np.zeros((len(est.den_of), cell.size))
    for j in range(len(est.den_of)):
        inside = est.den[:, est.den_of[j]] > 0
        for g in range(cell.codes.shape[1]):
            out[j] += np.bincount(cell.codes[inside, g], minlength=cell.size)
    return out


def _statuses(n: F64, value: F64, var: F64, min_n: int) -> I64:
    """Status codes (indexes of ``list(Status)``) from the unweighted n and the estimates."""
    order = list(Status)
    code = np.full(n.shape, order.index(Status.ESTIMATE), dtype=np.int64)
    code[~np.isfinite(var)] = order.index(Status.MOE_NOT_COMPUTABLE)
    code[n < min_n] = order.index(Status.SMALL_SAMPLE)
    code[~np.isfinite(value)] = order.index(Status.NOT_COMPUTABLE)
    return code


#: The unweighted counts, as a summable indicator that disclosure control can protect.
_COUNTS = Indicator(
    id="n_unweighted",
    name="Unweighted sample records",
    unit="count",
    direction="higher_is_better",
    aggregation="sum",
)


def _suppressed(
    n: F64, est: _Estimands, cell: _Cells, period: str, policy: SuppressionPolicy
) -> I64:
    """Primary and complementary suppression of the unweighted counts, as status codes.

    The counts of a grouping's categories add up to its ``(total)`` row, so a
    small count withheld alone could be recovered by subtraction (and with it
    the weighted totals). :func:`feedbackloop.privacy.suppress` withholds it
    together with the complementary cells that keep every withheld count at
    least ``threshold`` wide given everything published. Each estimand (answer)
    is its own table; ``-1``: published.
    """
    k = len(est.labels)
    cols: dict[str, Any] = {
        key: np.tile(np.asarray(labels, dtype=object), k) for key, labels in cell.keys.items()
    }
    dims = [d for d in cell.keys if d != "geography"]
    if est.labels != ("",):
        cols[ANSWER] = np.repeat(np.asarray(est.labels, dtype=object), cell.size)
        dims.append(ANSWER)
    cols["value"] = n.ravel()
    cols["period"] = np.full(n.size, period, dtype=object)
    counts = assemble(cols, indicator=_COUNTS, unit="count", dimensions=dims)
    status = np.asarray(suppress(counts, policy).table.column("status").to_pylist())
    order = list(Status)
    out = np.full(n.size, -1, dtype=np.int64)
    for s in (Status.SUPPRESSED, Status.SUPPRESSED_COMPLEMENTARY):
        out[status == s.value] = order.index(s)
    return out


def _indicator(value: str | Sequence[str], measure: Measure, unit: str) -> Indicator:
    name = value if isinstance(value, str) else "_".join(value)
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "survey"
    slug = slug if slug[0].isalpha() else f"q_{slug}"
    return Indicator(
        id=f"{slug}_{measure}",
        name=f"{measure.capitalize()} of {name}",
        unit=unit,
        direction="higher_is_better",
        aggregation="ratio" if measure != "total" else "sum",
        description="Design-based survey estimate with a 90% margin of error.",
    )


def _columns(
    results: tuple[F64, ...], n: F64, est: _Estimands, cell: _Cells, scale: float, ratio: bool
) -> dict[str, Any]:
    """Lay the (estimand, cell) results out as series columns, estimand-major."""
    value, var, num, num_var, den, den_var = results
    k = len(est.labels)
    cols: dict[str, Any] = {
        key: np.tile(np.asarray(labels, dtype=object), k) for key, labels in cell.keys.items()
    }
    if est.labels != ("",):
        cols[ANSWER] = np.repeat(np.asarray(est.labels, dtype=object), cell.size)
    cols["value"] = value.ravel() * scale
    cols["moe"] = Z90 * np.sqrt(var.ravel()) * scale
    if ratio:
        cols["numerator"] = num.ravel()
        cols["numerator_moe"] = Z90 * np.sqrt(num_var.ravel())
        cols["denominator"] = den.ravel()
        cols["denominator_moe"] = Z90 * np.sqrt(den_var.ravel())
    cols["n_unweighted"] = n.ravel()
    return cols


def _withhold(cols: dict[str, Any], status: I64) -> None:
    """Null what a row's status says it does not carry (suppressed rows carry nothing)."""
    order = list(Status)
    no_value = np.isin(status, [order.index(s) for s in Status if not s.has_value])
    no_moe = no_value | (status == order.index(Status.MOE_NOT_COMPUTABLE))
    suppressed = np.isin(
        status, [order.index(Status.SUPPRESSED), order.index(Status.SUPPRESSED_COMPLEMENTARY)]
    )
    for name in ("value", "numerator", "denominator", "numerator_moe", "denominator_moe"):
        if name in cols:
            cols[name] = np.where(no_value, np.nan, cols[name])
    cols["moe"] = np.where(no_moe, np.nan, cols["moe"])
    cols["n_unweighted"] = np.where(suppressed, np.nan, cols["n_unweighted"])


# Over 80 lines only for its documented keywords; the body is: estimands, cells,
# variances (replicates or linearisation), statuses, the series.
def estimate(
    frame: pd.DataFrame,
    *,
    value: str | Sequence[str],
    measure: Measure = "proportion",
    design: SurveyDesign | None = None,
    dimensions: Sequence[str] = (),
    geography: str | None = None,
    geography_code: str = "sample",
    period: str,
    indicator: Indicator | None = None,
    unit: str | None = None,
    success: str | Sequence[str] | None = None,
    recode: Mapping[str, Sequence[str]] | None = None,
    missing: Literal["error", "exclude"] = "error",
    totals: bool = True,
    min_n: int = 30,
    policy: SuppressionPolicy | None = _DEFAULT_POLICY,
    source: str = "<frame>",
) -> IndicatorSeries:
    """Estimate a proportion, mean or total by disaggregation, with design-based 90% MOEs.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per respondent (person or household record).
    value : str or sequence of str
        The item: a 0/1 (or true/false) column, a categorical answer (shares
        per answer in an ``answer`` dimension), a number (mean, total), or
        several 0/1 columns of a multi-select item (a share each).
    measure : {"proportion", "mean", "total"}
        Proportions are in percent (``numerator``/``denominator`` are the
        weighted counts); the SE of any row is ``moe / 1.645``.
    design : SurveyDesign, optional
        Weights, strata, PSUs, fpc or replicate weights (default: unweighted,
        each record its own PSU).
    dimensions : sequence of str
        Disaggregation columns (race, sex, age group...).
    geography : str, optional
        A column of place codes (PUMA); without it every row has ``geography_code``.
    geography_code : str
        The place code when ``geography`` is not given.
    period : str
        The period the survey covers (``"2022"``, ``"2018-2022"``).
    indicator : Indicator, optional
        What the values measure (default: made from ``value`` and ``measure``).
    unit : str, optional
        The unit of a mean or total (default ``"count"``; proportions are percent).
    success : str or sequence of str, optional
        For a categorical item, the answers that count (top-two box:
        ``["Agree", "Strongly agree"]``): one proportion instead of shares.
    recode : mapping, optional
        New answer -> the answers it groups (``{"Agree (top two)": ["Agree",
        "Strongly agree"]}``); answers not named keep their own share.
    missing : {"error", "exclude"}
        A missing answer is refused (default) or left out of every cell's
        universe, the records staying in the design.
    totals : bool
        Add the margins (``(total)``) of every dimension.
    min_n : int
        Cells with fewer unweighted records are ``small_sample``.
    policy : SuppressionPolicy or None
        Disclosure control of the unweighted counts: cells whose count the
        policy calls small are ``suppressed``, and (with the policy's
        ``complementary``, the default) enough other cells
        ``suppressed_complementary`` that no small count, nor its weighted
        totals, can be worked out from the ``(total)`` rows; value, MOE,
        numerator, denominator and count of each are removed. ``None``: none.
    source : str
        Named in errors and the provenance.

    Returns
    -------
    IndicatorSeries
        With ``moe``, ``n_unweighted`` (and for proportions numerator and
        denominator with MOEs).

    Raises
    ------
    SurveyError, SurveyDesignError, LonelyPsuError, CodebookError
        Located (column, rows), saying what to do.
    """
    design = design or SurveyDesign()
    prepared = prepare(frame, design, source)
    wanted = [success] if isinstance(success, str) else success
    est = estimands(
        frame, value, measure, success=wanted, recode=recode, missing=missing, source=source
    )
    cell = cells(frame, geography, geography_code, dimensions, totals, source)
    results = (
        _replicated(frame, prepared, est, cell)
        if prepared.replicates
        else _linearised(prepared, est, cell)
    )
    n = _counts(est, cell)
    label = Period.parse(period).label
    status = _statuses(n, results[0], results[1], min_n).ravel()
    if policy is not None:
        withheld = _suppressed(n, est, cell, label, policy)
        status = np.where(withheld >= 0, withheld, status)
    ratio = measure == "proportion"
    unit = "percent" if ratio else (unit or (indicator.unit if indicator else "count"))
    cols = _columns(results, n, est, cell, 100.0 if ratio else 1.0, ratio)
    _withhold(cols, status)
    cols["period"] = np.full(status.size, label, dtype=object)
    dims = [*dimensions, *([ANSWER] if ANSWER in cols else [])]
    return assemble(
        cols,
        indicator=indicator or _indicator(value, measure, unit),
        status=status.astype(np.int8),
        unit=unit,
        dimensions=dims,
        provenance=Provenance(adapter="survey", source=source, options={"measure": measure}),
    )
