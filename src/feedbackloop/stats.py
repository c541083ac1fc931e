"""Margins of error, significance tests, disparity and progress measures.

Every function here is a vectorized numpy formula: it takes scalars or
array-likes, broadcasts them like a numpy ufunc, and returns a
:class:`numpy.float64` (or :class:`numpy.bool_`) for scalar inputs and an
:class:`numpy.ndarray` otherwise. Missing data is NaN: a NaN input gives a NaN
output, and a result that is not defined (a division by zero, a compound path
from a non-positive baseline, ...) is NaN too, never an exception and never a
``RuntimeWarning``.

Margins of error follow the U.S. Census Bureau's approximation formulas for
American Community Survey (ACS) data (*Understanding and Using American
Community Survey Data*, ch. 8; domain.md §1). Published ACS MOEs are 90% MOEs
(``z = 1.645``); every function that needs a standard error takes the
confidence ``level`` of the MOEs it is given, 0.90 by default. A negative MOE
is not a margin of error (it is usually an undecoded Census sentinel such as
``-555555555``) and is treated as NaN. The formulas assume zero covariance
between the components, so they are approximations.

Disparity and progress measures follow Healthy People (Pearcy & Keppel 2002;
Talih & Huang 2016; domain.md §6).
"""

from __future__ import annotations

import math
import operator
import warnings
from statistics import NormalDist
from typing import Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from feedbackloop.errors import BinnedMedianError, StatisticalWarning

__all__ = [
    "Z90",
    "Z90_LEGACY",
    "Z95",
    "Z99",
    "BoolOrArray",
    "FloatOrArray",
    "annualized_change",
    "binned_median",
    "confidence_interval",
    "cv",
    "expected_compound",
    "expected_linear",
    "index_of_disparity",
    "max_rate_difference",
    "max_rate_ratio",
    "moe_diff",
    "moe_from_se",
    "moe_percent_change",
    "moe_product",
    "moe_proportion",
    "moe_ratio",
    "moe_sum",
    "moe_sum_grouped",
    "percent_change",
    "percent_of_targeted_change",
    "rate_difference",
    "rate_ratio",
    "required_annual_change",
    "rescale_moe",
    "significance",
    "significant_difference",
    "standard_error",
    "summary_rate_ratio",
    "z_for_level",
    "z_score",
]

FloatOrArray: TypeAlias = np.float64 | npt.NDArray[np.float64]
"""A float64 scalar (for scalar inputs) or a float64 array (for array inputs)."""

BoolOrArray: TypeAlias = np.bool_ | npt.NDArray[np.bool_]
"""A boolean scalar (for scalar inputs) or a boolean array (for array inputs)."""

_F64: TypeAlias = npt.NDArray[np.float64]

Z90: Final = 1.645
"""z for a 90% confidence level, the level of published ACS MOEs (ACS 2006 on)."""
Z95: Final = 1.960
"""z for a 95% confidence level, as in the Census Bureau's tables."""
Z99: Final = 2.576
"""z for a 99% confidence level, as in the Census Bureau's tables."""
Z90_LEGACY: Final = 1.65
"""z of the 90% MOEs published for ACS 2005 and earlier (pass it as ``z=``)."""

_CENSUS_Z: Final = ((0.90, Z90), (0.95, Z95), (0.99, Z99))


# --------------------------------------------------------------------- helpers


def _quiet() -> np.errstate:
    """Silence the floating-point warnings whose results are mapped to NaN."""
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def _f(x: npt.ArrayLike) -> _F64:
    """Return ``x`` as a float64 array (no copy when it already is one)."""
    return np.asarray(x, dtype=np.float64)


def _moe(x: npt.ArrayLike) -> _F64:
    """Return MOEs as float64, with negative (sentinel) values turned into NaN."""
    a = _f(x)
    return np.where(a < 0, np.nan, a)


def _out(a: npt.NDArray[np.floating]) -> FloatOrArray:
    """Return a 0-d result as a :class:`numpy.float64` scalar, otherwise the array."""
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 0:
        return np.float64(arr)
    return arr


def _out_bool(a: npt.NDArray[np.bool_]) -> BoolOrArray:
    """Return a 0-d result as a :class:`numpy.bool_` scalar, otherwise the array."""
    arr = np.asarray(a, dtype=np.bool_)
    if arr.ndim == 0:
        return np.bool_(arr)
    return arr


def _div(num: _F64, den: _F64) -> _F64:
    """Divide, with NaN (and no warning) wherever ``den`` is 0."""
    with _quiet():
        return np.where(den == 0, np.nan, num / den)


def _hypot(a: _F64, b: _F64) -> _F64:
    """Return ``sqrt(a² + b²)`` with NaN whenever either side is NaN.

    The plain formula is vectorised and several times faster than
    :func:`numpy.hypot`; the few elements where squaring could overflow or
    underflow (results outside 1e-150..1e150) are redone with ``hypot``.
    """
    with _quiet():
        out = np.sqrt(a * a + b * b)
        redo = (out > 1e150) | (out < 1e-150)
        if np.any(redo):
            aa, bb = np.broadcast_arrays(a, b)
            out = np.array(out, dtype=np.float64, copy=True)
            exact = np.hypot(aa[redo], bb[redo])
            exact[np.isnan(aa[redo]) | np.isnan(bb[redo])] = np.nan
            out[redo] = exact
        return out


def _hypot_into(a: _F64, b: _F64, out: _F64) -> _F64:
    """:func:`_hypot` of equal-length 1-d arrays written into ``out`` (not ``a`` or ``b``).

    Bit for bit the same result, with one temporary instead of four and a
    cheap range test (two reductions) before the per-element one.
    """
    with _quiet():
        np.multiply(a, a, out=out)
        square = np.multiply(b, b)
        out += square
        np.sqrt(out, out=out)
        if out.size and (np.fmax.reduce(out) > 1e150 or np.fmin.reduce(out) < 1e-150):
            redo = (out > 1e150) | (out < 1e-150)
            ar, br = a[redo], b[redo]
            exact = np.hypot(ar, br)
            exact[np.isnan(ar) | np.isnan(br)] = np.nan
            out[redo] = exact
    return out


def _ratio_into(x: _F64, y: _F64, out: _F64) -> _F64:
    """``x / y`` into ``out``, NaN where ``y`` is 0: :func:`rate_ratio` for trusted arrays."""
    with _quiet():
        np.divide(x, y, out=out)
    out[y == 0] = np.nan
    return out


def _moe_ratio_into(ratio: _F64, y: _F64, mx: _F64, my: _F64, out: _F64) -> _F64:
    """:func:`moe_ratio` into ``out`` for trusted inputs, given ``ratio = x / y``.

    ``ratio`` must be :func:`_ratio_into`'s (NaN where ``y`` is 0) and the
    MOEs already checked (no negative values: :func:`_moe` was applied once
    by the caller). Same bits as the public function.
    """
    with _quiet():
        scaled = np.abs(ratio)
        scaled *= my
        _hypot_into(mx, scaled, out)
        np.divide(out, y, out=out)
        np.abs(out, out=out)  # |h / y| is h / |y| exactly: h is not negative
    return out


def _significant_into(
    est1: _F64,
    moe1: _F64,
    est2: _F64,
    moe2: _F64,
    out: npt.NDArray[np.bool_],
    level: float = 0.90,
    moe_level: float = 0.90,
) -> npt.NDArray[np.bool_]:
    """:func:`significant_difference` (no overlap) into ``out`` for trusted inputs.

    The MOEs must already be checked (no negative values). Same result as
    the public function: False where the test cannot be computed.
    """
    z = z_for_level(moe_level)
    with _quiet():
        a = np.divide(moe1, z)
        b = np.divide(moe2, z)
        se = _hypot_into(a, b, np.empty_like(a))
        del a, b
        ratio = np.subtract(est1, est2)
        np.divide(ratio, se, out=ratio)
        np.abs(ratio, out=ratio)
        np.greater(ratio, z_for_level(level), out=out)
        out &= se != 0
    return out


def _bincount(codes: npt.NDArray[np.intp], weights: _F64, n: int) -> _F64:
    """Sum ``weights`` per group code (float64, length ``n``)."""
    return np.asarray(np.bincount(codes, weights=weights, minlength=n), dtype=np.float64)


def _z(level: float, z: float | None = None) -> float:
    """Return ``z`` if given (checked), else :func:`z_for_level` of ``level``."""
    if z is None:
        return z_for_level(level)
    zf = float(z)
    if not (zf > 0 and math.isfinite(zf)):
        raise ValueError(f"z must be a positive finite number (got {z!r})")
    return zf


# ------------------------------------------------------------- MOE basics


def z_for_level(level: float) -> float:
    """Return the two-sided normal critical value for a confidence level.

    Parameters
    ----------
    level : float
        Confidence level as a fraction, strictly between 0 and 1 (``0.90``,
        not ``90``).

    Returns
    -------
    float
        1.645 for 0.90, 1.960 for 0.95 and 2.576 for 0.99, exactly as in the
        Census Bureau's tables; for any other level the exact standard normal
        quantile ``Φ⁻¹(0.5 + level/2)``.

    Raises
    ------
    ValueError
        If ``level`` is not strictly between 0 and 1.

    Notes
    -----
    Published ACS MOEs are 90% MOEs, ``z = 1.645``; ACS 2005 and earlier used
    1.65, see :data:`Z90_LEGACY` (ACS General Handbook ch. 8, domain.md §1.1).

    References
    ----------
    - U.S. Census Bureau, *Understanding and Using American Community
      Survey Data: What All Data Users Need to Know* (2018, 2020), ch. 8.

    Examples
    --------
    >>> z_for_level(0.90), z_for_level(0.95), z_for_level(0.99)
    (1.645, 1.96, 2.576)
    >>> round(z_for_level(0.80), 4)
    1.2816
    """
    lv = float(level)
    if not 0.0 < lv < 1.0:  # also rejects NaN
        raise ValueError(
            f"confidence level must be a fraction strictly between 0 and 1, e.g. 0.90 "
            f"(got {level!r})"
        )
    for census_level, z in _CENSUS_Z:
        if math.isclose(lv, census_level, rel_tol=0.0, abs_tol=1e-9):
            return z
    return NormalDist().inv_cdf(0.5 + lv / 2.0)


def standard_error(
    moe: npt.ArrayLike, level: float = 0.90, *, z: float | None = None
) -> FloatOrArray:
    """Return the standard error behind a margin of error.

    Parameters
    ----------
    moe : array_like
        Margins of error (non-negative; negative values give NaN).
    level : float, default 0.90
        Confidence level of ``moe``. Published ACS MOEs are 90% MOEs.
    z : float, optional
        Critical value to use instead of ``z_for_level(level)``, e.g.
        :data:`Z90_LEGACY` (1.65) for ACS 2005 and earlier.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``SE = MOE / z``.

    Notes
    -----
    ``SE = MOE / 1.645`` for a published 90% ACS MOE (ACS General Handbook
    ch. 8, domain.md §1.1).

    References
    ----------
    - U.S. Census Bureau, *Understanding and Using American Community
      Survey Data* (2018, 2020), ch. 8.

    Examples
    --------
    >>> round(float(standard_error(5070.46)), 1)
    3082.3
    >>> standard_error([1.645, 3.29]).tolist()
    [1.0, 2.0]
    """
    return _out(_moe(moe) / _z(level, z))


def moe_from_se(se: npt.ArrayLike, level: float = 0.90) -> FloatOrArray:
    """Return the margin of error at ``level`` for a standard error.

    Parameters
    ----------
    se : array_like
        Standard errors (non-negative; negative values give NaN).
    level : float, default 0.90
        Confidence level of the MOE wanted.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``MOE = z(level) × SE``.

    Notes
    -----
    ``MOE = 1.645 × SE`` at 90% (ACS General Handbook ch. 8, domain.md §1.1).

    References
    ----------
    - U.S. Census Bureau, *Understanding and Using American Community
      Survey Data* (2018, 2020), ch. 8.

    Examples
    --------
    >>> float(moe_from_se(2.0))
    3.29
    """
    return _out(_moe(se) * z_for_level(level))


def rescale_moe(moe: npt.ArrayLike, to_level: float, from_level: float = 0.90) -> FloatOrArray:
    """Convert a margin of error from one confidence level to another.

    Parameters
    ----------
    moe : array_like
        Margins of error at ``from_level`` (negative values give NaN).
    to_level : float
        Confidence level wanted, e.g. 0.95.
    from_level : float, default 0.90
        Confidence level of ``moe``; published ACS MOEs are 90% MOEs.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``MOE × z(to_level) / z(from_level)``.

    Notes
    -----
    ``MOE95 = MOE90 × 1.960/1.645`` and ``MOE99 = MOE90 × 2.576/1.645``
    (ACS General Handbook ch. 8, domain.md §1.1).

    References
    ----------
    - U.S. Census Bureau, *Understanding and Using American Community
      Survey Data* (2018, 2020), ch. 8.

    Examples
    --------
    >>> round(float(rescale_moe(1645, 0.95)), 6)
    1960.0
    >>> round(float(rescale_moe(1960, 0.90, from_level=0.95)), 6)
    1645.0
    """
    return _out(_moe(moe) * (z_for_level(to_level) / z_for_level(from_level)))


def cv(
    estimate: npt.ArrayLike, moe: npt.ArrayLike, level: float = 0.90, *, z: float | None = None
) -> FloatOrArray:
    """Return the coefficient of variation, in percent.

    Parameters
    ----------
    estimate : array_like
        Estimates.
    moe : array_like
        Their margins of error (negative values give NaN).
    level : float, default 0.90
        Confidence level of ``moe``.
    z : float, optional
        Critical value to use instead of ``z_for_level(level)``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``CV = SE / |estimate| × 100``; NaN where the estimate is 0 (the CV is
        not computable there).

    Notes
    -----
    ``CV = SE / est × 100`` (ACS General Handbook ch. 8, domain.md §1.1).
    There is no official Census reliability cut-off; common conventions are
    listed in domain.md §1.4 (e.g. CV > 30% "caution", > 40% "unreliable").

    References
    ----------
    - U.S. Census Bureau, *Understanding and Using American Community
      Survey Data* (2018, 2020), ch. 8.

    Examples
    --------
    >>> np.round(cv(1000, [100, 400, 800]), 2).tolist()
    [6.08, 24.32, 48.63]
    >>> bool(np.isnan(cv(0, 10)))
    True
    """
    se = _moe(moe) / _z(level, z)
    return _out(_div(se, np.abs(_f(estimate))) * 100.0)


def confidence_interval(
    estimate: npt.ArrayLike,
    moe: npt.ArrayLike,
    level: float = 0.90,
    *,
    moe_level: float = 0.90,
) -> tuple[FloatOrArray, FloatOrArray]:
    """Return the lower and upper bounds of a confidence interval.

    Parameters
    ----------
    estimate : array_like
        Estimates.
    moe : array_like
        Their margins of error at ``moe_level`` (negative values give NaN).
    level : float, default 0.90
        Confidence level of the interval wanted.
    moe_level : float, default 0.90
        Confidence level of ``moe``.

    Returns
    -------
    lower, upper : numpy.float64 or numpy.ndarray
        ``estimate ∓ MOE`` with the MOE rescaled to ``level``.

    Notes
    -----
    90% CI = ``est ± MOE`` (ACS General Handbook ch. 8, domain.md §1.1). Do
    not use overlapping intervals as a significance test (domain.md §1.3); use
    :func:`significant_difference`.

    References
    ----------
    - U.S. Census Bureau, *Understanding and Using American Community
      Survey Data* (2018, 2020), ch. 8.

    Examples
    --------
    >>> lo, hi = confidence_interval(100, 10)
    >>> float(lo), float(hi)
    (90.0, 110.0)
    """
    est = _f(estimate)
    m = _f(rescale_moe(moe, level, moe_level))
    return _out(est - m), _out(est + m)


# ----------------------------------------------------------- derived estimates


def moe_sum(
    estimates: npt.ArrayLike,
    moes: npt.ArrayLike,
    axis: int | tuple[int, ...] | None = None,
    *,
    zero_rule: bool = True,
) -> FloatOrArray:
    """Return the MOE of a sum (or difference) of estimates.

    Parameters
    ----------
    estimates : array_like
        Component estimates; only whether each one is exactly 0 (or NaN)
        matters.
    moes : array_like
        Their margins of error, broadcast against ``estimates``.
    axis : int or tuple of int, optional
        Axis or axes to sum over; ``None`` (default) sums all components.
    zero_rule : bool, default True
        Apply the Census zero-estimate rule. ``False`` gives the plain
        ``sqrt(Σ MOEᵢ²)``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``sqrt(Σ_{estᵢ≠0} MOEᵢ² + (max_{estᵢ=0} MOEᵢ)²)``; NaN for every sum
        with a NaN estimate or MOE; 0 for an empty sum.

    Notes
    -----
    ``MOE(Σ Xᵢ) = sqrt(Σ MOEᵢ²)`` (ACS General Handbook ch. 8, domain.md §1.2).
    Zero-estimate rule (Census 2016 MOE training slides, slide 26; domain.md
    §1.2): among components whose estimate is 0, only the **largest** MOE is
    included, once; all non-zero components keep their MOEs. If every
    component is 0 the result is the largest zero-estimate MOE. (Unlike
    ``tidycensus::moe_sum``, which de-duplicates equal MOEs, this takes the
    maximum.) The same MOE applies to a difference ``X1 − X2``; see also
    :func:`moe_diff`.

    References
    ----------
    - U.S. Census Bureau, *Understanding and Using American Community
      Survey Data* (2018, 2020), ch. 8.
    - U.S. Census Bureau, ACS training "Using American Community Survey
      Estimates and Margins of Error" (2016), slide 26.

    Examples
    --------
    Handbook tri-county sum (example A1) and the zero-estimate rule (A9, A10):

    >>> round(float(moe_sum([135173, 43104, 24842], [3860, 2642, 1957])), 2)
    5070.46
    >>> round(float(moe_sum([36, 0, 0, 0], [56, 25, 28, 31])), 3)
    64.008
    >>> float(moe_sum([0, 0, 0], [27, 19, 22]))
    27.0

    Sum each row of a table:

    >>> np.round(moe_sum([[1, 2], [0, 0]], [[3, 4], [3, 4]], axis=1), 6).tolist()
    [5.0, 4.0]
    """
    est, moe = np.broadcast_arrays(_f(estimates), _moe(moes))
    bad = np.any(np.isnan(est) | np.isnan(moe), axis=axis)
    with _quiet():
        # Scale each sum by its largest MOE so that squaring neither underflows
        # nor overflows (as math.hypot does).
        top = np.max(moe, axis=axis, keepdims=True, initial=0.0)
        scale = np.where((top > 0) & np.isfinite(top), top, 1.0)
        scaled = moe / scale
        if zero_rule:
            is_zero = est == 0
            total = np.sum(np.where(is_zero, 0.0, scaled * scaled), axis=axis)
            zmax = np.max(np.where(is_zero, scaled, 0.0), axis=axis, initial=0.0)
            total = total + zmax * zmax
        else:
            total = np.sum(scaled * scaled, axis=axis)
        result = np.sqrt(total) * scale.reshape(np.shape(total))
    return _out(np.where(bad, np.nan, result))


def moe_sum_grouped(
    estimates: npt.ArrayLike,
    moes: npt.ArrayLike,
    groups: npt.ArrayLike,
    n_groups: int | None = None,
    *,
    zero_rule: bool = True,
) -> tuple[_F64, _F64]:
    """Return the sums of estimates and their MOEs, group by group.

    Parameters
    ----------
    estimates : array_like
        One-dimensional component estimates.
    moes : array_like
        Their margins of error (broadcast against ``estimates``).
    groups : array_like of int
        Group code of each component, ``0 .. n_groups - 1`` (e.g. the codes of
        :func:`pandas.factorize`). Components coded ``-1`` (a missing key) are
        left out.
    n_groups : int, optional
        Number of groups; default ``max(groups) + 1``. Groups without
        components get a sum of 0 and an MOE of 0.
    zero_rule : bool, default True
        Apply the Census zero-estimate rule within each group (see
        :func:`moe_sum`).

    Returns
    -------
    sums : numpy.ndarray
        Sum of the estimates of each group (length ``n_groups``).
    moes : numpy.ndarray
        MOE of each sum: ``sqrt(Σ_{est≠0} MOE² + (max_{est=0} MOE)²)`` within
        the group; NaN for a group with any NaN estimate or MOE.

    Raises
    ------
    TypeError
        If ``groups`` is not an integer array.
    ValueError
        If the arrays are not one-dimensional with equal lengths, or a code is
        below -1 or not below ``n_groups``.

    Notes
    -----
    The rule is that of :func:`moe_sum` (ACS General Handbook ch. 8; Census
    2016 MOE training slide 26; domain.md §1.2), computed for all groups at
    once with :func:`numpy.bincount` and :data:`numpy.maximum.at`: linear in
    the number of rows, with no Python loop over groups (10 million rows take
    well under a second). MOEs beyond ``1e±150``, whose squares would
    underflow or overflow, are scaled by their group's largest MOE first.

    References
    ----------
    - U.S. Census Bureau, *Understanding and Using American Community
      Survey Data* (2018, 2020), ch. 8.
    - U.S. Census Bureau, ACS training "Using American Community Survey
      Estimates and Margins of Error" (2016), slide 26.

    Examples
    --------
    >>> sums, moes = moe_sum_grouped([36, 0, 0, 0, 5, 0], [56, 25, 28, 31, 3, 4],
    ...                              [0, 0, 0, 0, 1, 1])
    >>> sums.tolist(), np.round(moes, 3).tolist()
    ([36.0, 5.0], [64.008, 5.0])
    """
    est, moe = np.broadcast_arrays(_f(estimates), _moe(moes))
    codes = np.asarray(groups)
    if codes.dtype.kind not in "iu":
        raise TypeError(f"groups must be an integer array of group codes (got {codes.dtype})")
    if est.ndim != 1 or codes.shape != est.shape:
        raise ValueError(
            "estimates, moes and groups must be one-dimensional with the same length "
            f"(got shapes {est.shape} and {codes.shape})"
        )
    codes = codes.astype(np.intp, copy=False)
    if n_groups is None:
        n = max(int(codes.max()) + 1, 0) if codes.size else 0
    else:
        n = operator.index(n_groups)
        if n < 0:
            raise ValueError(f"n_groups must be non-negative (got {n_groups!r})")
    if codes.size:
        lo, hi = int(codes.min()), int(codes.max())
        if lo < -1 or hi >= n:
            raise ValueError(
                f"group codes must lie in 0..{n - 1} (or be -1 for a missing key); "
                f"found codes from {lo} to {hi}"
            )
        if lo == -1:
            keep = codes >= 0
            est, moe, codes = est[keep], moe[keep], codes[keep]
    sums = _bincount(codes, est, n)
    with _quiet():
        # Squares of MOEs outside 1e-150..1e150 would underflow or overflow: then
        # scale each group by its largest MOE (as math.hypot does).
        hi = np.max(moe, initial=0.0)
        lo = np.min(moe, where=moe > 0, initial=np.inf)
        if hi < 1e150 and lo > 1e-150:
            scale = None
            scaled = moe
        else:
            top = np.zeros(n, dtype=np.float64)
            np.maximum.at(top, codes, moe)
            scale = np.where((top > 0) & np.isfinite(top), top, 1.0)
            scaled = moe / scale[codes]
        sq = scaled * scaled
        if zero_rule:
            is_zero = est == 0
            total = _bincount(codes, np.where(is_zero, 0.0, sq), n)
            zmax = np.zeros(n, dtype=np.float64)
            np.maximum.at(zmax, codes[is_zero], scaled[is_zero])
            total = total + zmax * zmax
        else:
            total = _bincount(codes, sq, n)
        out = np.sqrt(total)
        if scale is not None:
            out = out * scale
    bad = np.isnan(est) | np.isnan(moe)
    if bad.any():
        out[np.bincount(codes[bad], minlength=n) > 0] = np.nan
    return sums, out


def moe_diff(moe1: npt.ArrayLike, moe2: npt.ArrayLike) -> FloatOrArray:
    """Return the MOE of a difference (or sum) of two estimates.

    Parameters
    ----------
    moe1, moe2 : array_like
        Margins of error of the two estimates (negative values give NaN).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``sqrt(MOE1² + MOE2²)``.

    Notes
    -----
    ``MOE(X1 − X2) = sqrt(MOE1² + MOE2²)`` (ACS General Handbook ch. 8,
    domain.md §1.2). Without estimates, no zero-estimate rule can apply; use
    :func:`moe_sum` when components may be 0.

    References
    ----------
    - U.S. Census Bureau, *Understanding and Using American Community
      Survey Data* (2018, 2020), ch. 8.

    Examples
    --------
    >>> float(moe_diff(3, 4))
    5.0
    """
    return _out(_hypot(_moe(moe1), _moe(moe2)))


def moe_proportion(
    numerator: npt.ArrayLike,
    denominator: npt.ArrayLike,
    numerator_moe: npt.ArrayLike,
    denominator_moe: npt.ArrayLike,
) -> FloatOrArray:
    """Return the MOE of a proportion whose numerator is a subset of its denominator.

    Parameters
    ----------
    numerator, denominator : array_like
        Estimates ``X`` (a subset of ``Y``) and ``Y``.
    numerator_moe, denominator_moe : array_like
        Their margins of error (negative values give NaN).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``sqrt(MOE_X² − P²·MOE_Y²) / Y`` with ``P = X/Y``; where the radicand
        is negative, the ratio formula ``sqrt(MOE_X² + P²·MOE_Y²) / Y``
        (element-wise). NaN where ``Y`` is 0. A radicand of exactly 0 gives an
        MOE of 0 (which should be flagged as unreliable).

    Notes
    -----
    Proportion formula and its fallback to the ratio formula (ACS General
    Handbook ch. 8, domain.md §1.2). The MOE of a percentage ``100·P`` is
    ``100 × MOE(P)``. Averages (aggregate ÷ count) use :func:`moe_ratio`.

    References
    ----------
    - U.S. Census Bureau, *Understanding and Using American Community
      Survey Data* (2018, 2020), ch. 8.

    Examples
    --------
    Handbook example A3 and the fallback of example A12:

    >>> round(float(moe_proportion(203119, 630498, 5070, 831)), 5)
    0.00803
    >>> round(float(moe_proportion(50, 60, 10, 40)), 4)
    0.58
    """
    x, y = _f(numerator), _f(denominator)
    mx, my = _moe(numerator_moe), _moe(denominator_moe)
    with _quiet():
        pm = np.abs(x / y) * my  # P·MOE_Y
        # radicand MOE_X² − (P·MOE_Y)² = (MOE_X − P·MOE_Y)(MOE_X + P·MOE_Y) < 0
        # exactly when MOE_X < P·MOE_Y; the factored form neither underflows nor
        # overflows.
        proportion = np.sqrt(mx - pm) * np.sqrt(mx + pm)
        result = np.where(mx < pm, np.hypot(mx, pm), proportion) / np.abs(y)
    return _out(np.where(np.isnan(pm) | (y == 0), np.nan, result))


def moe_ratio(
    numerator: npt.ArrayLike,
    denominator: npt.ArrayLike,
    numerator_moe: npt.ArrayLike,
    denominator_moe: npt.ArrayLike,
) -> FloatOrArray:
    """Return the MOE of a ratio whose numerator is not a subset of its denominator.

    Parameters
    ----------
    numerator, denominator : array_like
        Estimates ``X`` and ``Y``.
    numerator_moe, denominator_moe : array_like
        Their margins of error (negative values give NaN).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``sqrt(MOE_X² + R²·MOE_Y²) / Y`` with ``R = X/Y``; NaN where ``Y`` is 0.

    Notes
    -----
    Ratio formula (ACS General Handbook ch. 8, domain.md §1.2); also the right
    formula for averages (aggregate ÷ count) and rate ratios.

    References
    ----------
    - U.S. Census Bureau, *Understanding and Using American Community
      Survey Data* (2018, 2020), ch. 8.

    Examples
    --------
    Handbook example A4 (never-married men per never-married woman):

    >>> round(float(moe_ratio(226840, 203119, 5556.5, 5070)), 4)
    0.0391
    """
    x, y = _f(numerator), _f(denominator)
    mx, my = _moe(numerator_moe), _moe(denominator_moe)
    with _quiet():
        result = _hypot(mx, np.abs(x / y) * my) / np.abs(y)
    return _out(np.where(y == 0, np.nan, result))


def moe_product(
    a: npt.ArrayLike, b: npt.ArrayLike, a_moe: npt.ArrayLike, b_moe: npt.ArrayLike
) -> FloatOrArray:
    """Return the MOE of a product of two estimates.

    Parameters
    ----------
    a, b : array_like
        Estimates ``A`` and ``B``.
    a_moe, b_moe : array_like
        Their margins of error (negative values give NaN).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``sqrt(A²·MOE_B² + B²·MOE_A²)``.

    Notes
    -----
    Product formula (ACS General Handbook ch. 8, domain.md §1.2).

    References
    ----------
    - U.S. Census Bureau, *Understanding and Using American Community
      Survey Data* (2018, 2020), ch. 8.

    Examples
    --------
    Handbook example A5 (owner-occupied units × a proportion):

    >>> round(float(moe_product(74506512, 0.824, 228238, 0.001)))
    202289
    """
    av, bv = _f(a), _f(b)
    return _out(_hypot(av * _moe(b_moe), bv * _moe(a_moe)))


def percent_change(old: npt.ArrayLike, new: npt.ArrayLike) -> FloatOrArray:
    """Return the percent change from ``old`` to ``new``.

    Parameters
    ----------
    old, new : array_like
        Estimates at the start (``X1``) and at the end (``X2``).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``100·(new − old)/old``; NaN where ``old`` is 0.

    Notes
    -----
    Percent change (ACS General Handbook ch. 8, domain.md §1.2); with
    ``old = baseline`` it is Healthy People's "percentage change from
    baseline" (domain.md §6).

    References
    ----------
    - U.S. Census Bureau, *Understanding and Using American Community
      Survey Data* (2018, 2020), ch. 8.

    Examples
    --------
    >>> round(float(percent_change(135173, 139301)), 4)
    3.0539
    >>> round(float(percent_change(8.0, 7.6)), 6)
    -5.0
    """
    o, n = _f(old), _f(new)
    return _out(_div(n - o, o) * 100.0)


def moe_percent_change(
    old: npt.ArrayLike,
    new: npt.ArrayLike,
    old_moe: npt.ArrayLike,
    new_moe: npt.ArrayLike,
) -> FloatOrArray:
    """Return the MOE of a percent change, in percentage points.

    Parameters
    ----------
    old, new : array_like
        Estimates at the start (``X1``) and at the end (``X2``).
    old_moe, new_moe : array_like
        Their margins of error (negative values give NaN).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``100·sqrt(MOE_2² + (X2/X1)²·MOE_1²) / |X1|``, i.e. 100 times the ratio
        MOE of ``X2/X1``; NaN where ``old`` is 0.

    Notes
    -----
    Percent change as 100 × the ratio ``X2/X1`` minus 100 (ACS General
    Handbook ch. 8, domain.md §1.2).

    References
    ----------
    - U.S. Census Bureau, *Understanding and Using American Community
      Survey Data* (2018, 2020), ch. 8.

    Examples
    --------
    Example A6:

    >>> round(float(moe_percent_change(135173, 139301, 3860, 4047)), 4)
    4.1981
    """
    return _out(_f(moe_ratio(new, old, new_moe, old_moe)) * 100.0)


# ----------------------------------------------------------------- significance


def _check_overlap(overlap: float) -> float:
    c = float(overlap)
    if not 0.0 <= c < 1.0:  # also rejects NaN
        raise ValueError(
            f"overlap must be the share of overlapping years, 0 <= overlap < 1 (got {overlap!r})"
        )
    return c


def _warn_overlap(c: float) -> None:
    warnings.warn(
        f"comparing estimates from overlapping periods (overlap share C = {c:g}): the "
        "sqrt(1 - C) correction is legacy guidance; the Census Bureau now advises comparing "
        "only non-overlapping multi-year periods (e.g. 2015-2019 with 2020-2024)",
        StatisticalWarning,
        stacklevel=3,
    )


def _z_score(
    est1: npt.ArrayLike,
    moe1: npt.ArrayLike,
    est2: npt.ArrayLike,
    moe2: npt.ArrayLike,
    moe_level: float,
    overlap: float,
) -> _F64:
    z = z_for_level(moe_level)
    se = _hypot(_moe(moe1) / z, _moe(moe2) / z) * math.sqrt(1.0 - overlap)
    return _div(_f(est1) - _f(est2), se)


def z_score(
    est1: npt.ArrayLike,
    moe1: npt.ArrayLike,
    est2: npt.ArrayLike,
    moe2: npt.ArrayLike,
    level: float = 0.90,
    overlap: float = 0.0,
) -> FloatOrArray:
    """Return the Z statistic of the difference between two estimates.

    Parameters
    ----------
    est1, moe1 : array_like
        First estimate and its MOE.
    est2, moe2 : array_like
        Second estimate and its MOE.
    level : float, default 0.90
        Confidence level of the **given** MOEs (published ACS MOEs are 90%
        MOEs, so the standard errors are ``MOE / 1.645``). This is not the
        level of the test; see :func:`significant_difference`.
    overlap : float, default 0.0
        Legacy correction for overlapping multi-year periods: the share ``C``
        of overlapping years (4/5 for consecutive 5-year releases), giving
        ``SE(diff) = sqrt(1 − C)·sqrt(SE1² + SE2²)``. Issues a
        :class:`~feedbackloop.errors.StatisticalWarning` when positive.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``Z = (est1 − est2) / SE(diff)``; NaN where an input is NaN or where
        ``SE(diff)`` is 0 (e.g. two controlled estimates, for which a
        statistical test is not appropriate).

    Raises
    ------
    ValueError
        If ``overlap`` is not in ``[0, 1)``.

    Warns
    -----
    feedbackloop.errors.StatisticalWarning
        If ``overlap > 0``: the Census Bureau now advises comparing only
        non-overlapping periods.

    Notes
    -----
    ``Z = (X1 − X2) / sqrt(SE1² + SE2²)`` (Census, *Instructions for Applying
    Statistical Testing to ACS Data*; ACS General Handbook ch. 8; domain.md
    §1.3).

    References
    ----------
    - U.S. Census Bureau, *Instructions for Applying Statistical Testing
      to the American Community Survey Data*.
    - U.S. Census Bureau, *Understanding and Using American Community
      Survey Data* (2018, 2020), ch. 8.

    Examples
    --------
    Example A8:

    >>> round(float(z_score(37.9, 0.1, 38.4, 0.1)), 3)
    -5.816
    """
    c = _check_overlap(overlap)
    if c > 0:
        _warn_overlap(c)
    return _out(_z_score(est1, moe1, est2, moe2, level, c))


def significant_difference(
    est1: npt.ArrayLike,
    moe1: npt.ArrayLike,
    est2: npt.ArrayLike,
    moe2: npt.ArrayLike,
    level: float = 0.90,
    *,
    moe_level: float = 0.90,
    overlap: float = 0.0,
) -> BoolOrArray:
    """Test whether two estimates differ significantly.

    Parameters
    ----------
    est1, moe1 : array_like
        First estimate and its MOE.
    est2, moe2 : array_like
        Second estimate and its MOE.
    level : float, default 0.90
        Confidence level of the test: ``|Z|`` is compared with 1.645, 1.960 or
        2.576 for 0.90, 0.95 or 0.99.
    moe_level : float, default 0.90
        Confidence level of the given MOEs (90% for published ACS MOEs).
    overlap : float, default 0.0
        Legacy overlapping-period share ``C``; see :func:`z_score`.

    Returns
    -------
    numpy.bool_ or numpy.ndarray of bool
        ``|Z| > z(level)``. **False** where the test cannot be computed (a NaN
        input, or both MOEs 0); use :func:`significance` to tell "not
        significant" from "not computable".

    Raises
    ------
    ValueError
        If ``overlap`` is not in ``[0, 1)``.

    Warns
    -----
    feedbackloop.errors.StatisticalWarning
        If ``overlap > 0``.

    Notes
    -----
    Significant at 90% iff ``|Z| > 1.645``, equivalently iff
    ``|X1 − X2| > sqrt(MOE1² + MOE2²)``; 95% and 99% tests use 1.960 and
    2.576 with standard errors still derived with 1.645 (ACS General Handbook
    ch. 8; domain.md §1.3). Overlapping confidence intervals are not the test.

    References
    ----------
    - U.S. Census Bureau, *Instructions for Applying Statistical Testing
      to the American Community Survey Data*.
    - U.S. Census Bureau, *Understanding and Using American Community
      Survey Data* (2018, 2020), ch. 8.

    Examples
    --------
    Example A8 (Z = 5.816):

    >>> bool(significant_difference(37.9, 0.1, 38.4, 0.1))
    True
    >>> significant_difference([10, 10, np.nan], [1, 1, 1], [11, 13, 11], [1, 1, 1]).tolist()
    [False, True, False]
    """
    c = _check_overlap(overlap)
    if c > 0:
        _warn_overlap(c)
    z = _z_score(est1, moe1, est2, moe2, moe_level, c)
    return _out_bool(np.abs(z) > z_for_level(level))


def significance(
    est1: npt.ArrayLike,
    moe1: npt.ArrayLike,
    est2: npt.ArrayLike,
    moe2: npt.ArrayLike,
    level: float = 0.90,
    *,
    moe_level: float = 0.90,
    overlap: float = 0.0,
) -> FloatOrArray:
    """Test whether two estimates differ significantly, keeping "not computable".

    Parameters
    ----------
    est1, moe1 : array_like
        First estimate and its MOE.
    est2, moe2 : array_like
        Second estimate and its MOE.
    level : float, default 0.90
        Confidence level of the test.
    moe_level : float, default 0.90
        Confidence level of the given MOEs.
    overlap : float, default 0.0
        Legacy overlapping-period share ``C``; see :func:`z_score`.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        1.0 where ``|Z| > z(level)``, 0.0 where not, NaN where the test cannot
        be computed (a NaN input, or both MOEs 0).

    Raises
    ------
    ValueError
        If ``overlap`` is not in ``[0, 1)``.

    Warns
    -----
    feedbackloop.errors.StatisticalWarning
        If ``overlap > 0``.

    Notes
    -----
    Same test as :func:`significant_difference` (ACS General Handbook ch. 8;
    domain.md §1.3).

    References
    ----------
    - U.S. Census Bureau, *Instructions for Applying Statistical Testing
      to the American Community Survey Data*.

    Examples
    --------
    >>> significance([10, 10, np.nan], [1, 1, 1], [11, 13, 11], [1, 1, 1]).tolist()
    [0.0, 1.0, nan]
    """
    c = _check_overlap(overlap)
    if c > 0:
        _warn_overlap(c)
    z = _z_score(est1, moe1, est2, moe2, moe_level, c)
    flag = (np.abs(z) > z_for_level(level)).astype(np.float64)
    return _out(np.where(np.isnan(z), np.nan, flag))


# ------------------------------------------------------------------ disparities


def rate_difference(rate: npt.ArrayLike, reference: npt.ArrayLike) -> FloatOrArray:
    """Return the absolute disparity of a group rate from a reference rate.

    Parameters
    ----------
    rate : array_like
        Group rates ``r_g``.
    reference : array_like
        Reference rate ``R`` (best group, total population or a chosen group;
        record which).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``RD = r_g − R`` (percentage points for percentages).

    Notes
    -----
    Rate difference (Healthy People 2030 "About Disparities Data"; Keppel et
    al. 2005; domain.md §6). Its MOE is :func:`moe_diff`.

    References
    ----------
    - Keppel K. et al., *Methodological Issues in Measuring Health
      Disparities*, NCHS Vital Health Stat 2(141), 2005.

    Examples
    --------
    >>> round(float(rate_difference(9.0, 4.0)), 6)
    5.0
    """
    return _out(_f(rate) - _f(reference))


def rate_ratio(rate: npt.ArrayLike, reference: npt.ArrayLike) -> FloatOrArray:
    """Return the relative disparity of a group rate against a reference rate.

    Parameters
    ----------
    rate : array_like
        Group rates ``r_g``.
    reference : array_like
        Reference rate ``R``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``RR = r_g / R``; NaN where ``R`` is 0.

    Notes
    -----
    Rate ratio (Healthy People 2030 "About Disparities Data"; domain.md §6).
    Relative measures depend on whether the adverse or the favorable event is
    measured; NCHS recommends expressing them for adverse events (Keppel &
    Pearcy 2005). Its MOE is :func:`moe_ratio`.

    References
    ----------
    - Keppel K.G., Pearcy J.N., "Measuring relative disparities in terms
      of adverse events", J Public Health Manag Pract 2005.

    Examples
    --------
    >>> float(rate_ratio(9.0, 4.0))
    2.25
    """
    return _out(_div(_f(rate), _f(reference)))


def _along_last(x: npt.ArrayLike, axis: int) -> _F64:
    """Return ``x`` as float64 with the group axis moved last."""
    a = _f(x)
    if a.ndim == 0:
        raise ValueError("rates must have at least one dimension (one rate per group)")
    return np.moveaxis(a, axis, -1)


def index_of_disparity(
    rates: npt.ArrayLike,
    reference: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    axis: int = -1,
) -> FloatOrArray:
    """Return Pearcy and Keppel's index of disparity, in percent.

    Parameters
    ----------
    rates : array_like
        Group rates ``r_j``, groups along ``axis``.
    reference : array_like
        Reference rate ``R``, usually the total-population rate; broadcast
        against ``rates`` without the group axis.
    weights : array_like, optional
        Group weights ``w_j``, e.g. population sizes; normalized to sum to 1
        over the groups. A one-dimensional ``weights`` is taken along
        ``axis``; otherwise it must broadcast against ``rates``.
    axis : int, default -1
        Axis of ``rates`` that holds the groups.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``ID = [(1/J)·Σ |r_j − R|] / R × 100``, or with weights
        ``Σ w_j·|r_j − R| / R × 100``. NaN where ``R`` is 0, where there are no
        groups, where weights sum to 0 or any weight is negative, and where any
        input is NaN.

    Notes
    -----
    Index of disparity: the mean absolute deviation of the group rates from
    the total rate as a percentage of it (Pearcy & Keppel 2002); weighted by
    population share (Chesson et al. 2017). Healthy People 2010's variant uses
    the best group as ``R`` and averages over the other ``J − 1`` groups;
    for an adverse outcome it equals ``(SRR − 1) × 100``, see
    :func:`summary_rate_ratio` (domain.md §6).

    References
    ----------
    - Pearcy J.N., Keppel K.G., "A summary measure of health disparity",
      Public Health Rep 2002;117:273-280.
    - Chesson H.W. et al., Sex Transm Dis 2017;44(9):513-518, Table 4.

    Examples
    --------
    Chesson et al. (2017), Table 4 (1992 rates per 100,000):

    >>> rates = [35.4, 1408.1, 95.2, 22.4, 94.0]
    >>> round(float(index_of_disparity(rates, 218.1)), 1)
    166.5
    >>> pop = [200e6, 40e6, 55e6, 20e6, 3e6]
    >>> round(float(index_of_disparity(rates, 218.1, weights=pop)), 1)
    137.2
    """
    r = _f(rates)
    if r.ndim == 0:
        raise ValueError("rates must have at least one dimension (one rate per group)")
    ax = axis % r.ndim
    ref = _f(reference)[..., np.newaxis]
    with _quiet():
        if weights is None:
            dev = np.abs(np.moveaxis(r, ax, -1) - ref)
            mean_dev = np.sum(dev, axis=-1) / dev.shape[-1]
        else:
            w = _f(weights)
            if w.ndim == 1 and r.ndim > 1:
                shape = [1] * r.ndim
                shape[ax] = -1
                w = w.reshape(shape)
            w = np.moveaxis(np.broadcast_to(w, np.broadcast_shapes(w.shape, r.shape)), ax, -1)
            rm = np.moveaxis(r, ax, -1)
            dev = np.abs(rm - ref)
            wsum = np.sum(w, axis=-1)
            mean_dev = np.sum(w * dev, axis=-1) / wsum
            invalid = np.any(w < 0, axis=-1) | (wsum == 0)
            mean_dev = np.where(invalid, np.nan, mean_dev)
        result = _div(mean_dev, ref[..., 0]) * 100.0
    return _out(result)


def summary_rate_ratio(
    rates: npt.ArrayLike, best: Literal["min", "max"] = "min", *, axis: int = -1
) -> FloatOrArray:
    """Return Healthy People's summary rate ratio: the others' mean over the best rate.

    Parameters
    ----------
    rates : array_like
        Group rates, groups along ``axis``.
    best : {"min", "max"}, default "min"
        Which rate is the best group's: the lowest (``"min"``, for adverse
        outcomes such as mortality) or the highest (``"max"``).
    axis : int, default -1
        Axis of ``rates`` that holds the groups.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``SRR = mean(other groups' rates) / best rate``, the best group being
        excluded once; NaN where the best rate is 0, where there are fewer
        than two groups, or where any rate is NaN.

    Raises
    ------
    ValueError
        If ``best`` is not ``"min"`` or ``"max"``.

    Notes
    -----
    Summary rate ratio of Healthy People 2020/2030 (Talih & Huang 2016;
    domain.md §6). For adverse outcomes with ``best="min"``, Healthy People
    2010's index of disparity is ``(SRR − 1) × 100``. NCHS recommends
    expressing relative disparities in terms of adverse events; convert a
    favorable percentage ``p`` to its adverse complement ``100 − p`` rather
    than using ``best="max"`` when comparing with Healthy People figures.

    References
    ----------
    - Talih M., Huang D.T., *Measuring Progress Toward Target Attainment
      and the Elimination of Health Disparities in Healthy People 2020*,
      Healthy People Statistical Notes No. 27, 2016.

    Examples
    --------
    >>> float(summary_rate_ratio([2.0, 4.0, 6.0]))
    2.5
    """
    if best not in ("min", "max"):
        raise ValueError(f"best must be 'min' or 'max' (got {best!r})")
    r = _along_last(rates, axis)
    j = r.shape[-1]
    with _quiet():
        if best == "min":
            b = np.min(r, axis=-1, initial=np.inf)
        else:
            b = np.max(r, axis=-1, initial=-np.inf)
        others = (np.sum(r, axis=-1) - b) / (j - 1) if j > 1 else np.full(np.shape(b), np.nan)
        result = _div(others, b)
    return _out(np.where(np.isfinite(b), result, np.nan))


def max_rate_ratio(rates: npt.ArrayLike, *, axis: int = -1) -> FloatOrArray:
    """Return the maximal rate ratio, highest rate over lowest rate.

    Parameters
    ----------
    rates : array_like
        Group rates, groups along ``axis``.
    axis : int, default -1
        Axis of ``rates`` that holds the groups.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``Rmax / Rmin``; NaN where ``Rmin`` is 0, where there are no groups or
        where any rate is NaN.

    Notes
    -----
    Maximal rate ratio (Healthy People 2030 "About Disparities Data";
    domain.md §6).

    References
    ----------
    - Healthy People 2030, "About Disparities Data".

    Examples
    --------
    >>> float(max_rate_ratio([2.0, 4.0, 6.0]))
    3.0
    """
    r = _along_last(rates, axis)
    hi = np.max(r, axis=-1, initial=-np.inf)
    lo = np.min(r, axis=-1, initial=np.inf)
    with _quiet():
        return _out(np.where(np.isfinite(lo) & np.isfinite(hi), _div(hi, lo), np.nan))


def max_rate_difference(rates: npt.ArrayLike, *, axis: int = -1) -> FloatOrArray:
    """Return the maximal rate difference, highest rate minus lowest rate.

    Parameters
    ----------
    rates : array_like
        Group rates, groups along ``axis``.
    axis : int, default -1
        Axis of ``rates`` that holds the groups.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``Rmax − Rmin``; NaN where there are no groups or any rate is NaN.

    Notes
    -----
    Maximal rate difference (Healthy People 2030 "About Disparities Data";
    domain.md §6).

    References
    ----------
    - Healthy People 2030, "About Disparities Data".

    Examples
    --------
    >>> float(max_rate_difference([2.0, 4.0, 6.0]))
    4.0
    """
    r = _along_last(rates, axis)
    hi = np.max(r, axis=-1, initial=-np.inf)
    lo = np.min(r, axis=-1, initial=np.inf)
    with _quiet():
        return _out(np.where(np.isfinite(lo) & np.isfinite(hi), hi - lo, np.nan))


# --------------------------------------------------------------------- progress


def percent_of_targeted_change(
    baseline: npt.ArrayLike, current: npt.ArrayLike, target: npt.ArrayLike
) -> FloatOrArray:
    """Return the percentage of the targeted change achieved.

    Parameters
    ----------
    baseline, current, target : array_like
        Baseline value ``B``, current value and target value ``T``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``100·(current − B)/(T − B)``: 100 when the target is reached,
        negative when moving away from it; NaN where ``T == B``.

    Notes
    -----
    Healthy People 2020/2030 "percentage of targeted change achieved"
    (Talih & Huang 2016; domain.md §6). Healthy People calls an objective
    "improving" without standard errors when it reaches at least 10%.

    References
    ----------
    - Talih M., Huang D.T., Healthy People Statistical Notes No. 27, 2016.
    - NCHS, Healthy People 2030 methods,
      https://www.cdc.gov/nchs/healthy-people/hp2030/methods.html

    Examples
    --------
    >>> round(float(percent_of_targeted_change(8.0, 7.6, 7.2)), 6)
    50.0
    """
    b = _f(baseline)
    return _out(_div(_f(current) - b, _f(target) - b) * 100.0)


def expected_linear(
    baseline: npt.ArrayLike,
    target: npt.ArrayLike,
    elapsed: npt.ArrayLike,
    horizon: npt.ArrayLike,
) -> FloatOrArray:
    """Return the value expected on a straight-line path from baseline to target.

    Parameters
    ----------
    baseline, target : array_like
        Baseline value ``B`` and target value ``T``.
    elapsed : array_like
        Time since the baseline ``t`` (e.g. years).
    horizon : array_like
        Time from baseline to target ``T_h``, in the same unit.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``E_t = B + (T − B)·t/T_h`` (extrapolated beyond the horizon); NaN
        where ``T_h`` is 0.

    Notes
    -----
    Linear on-track test (domain.md §6, "Progress toward a target").

    References
    ----------
    - Friedman M., *Trying Hard Is Not Good Enough* (baselines and
      turning the curve).

    Examples
    --------
    >>> round(float(expected_linear(8.0, 7.2, 4, 10)), 6)
    7.68
    """
    b = _f(baseline)
    return _out(b + (_f(target) - b) * _div(_f(elapsed), _f(horizon)))


def expected_compound(
    baseline: npt.ArrayLike,
    target: npt.ArrayLike,
    elapsed: npt.ArrayLike,
    horizon: npt.ArrayLike,
) -> FloatOrArray:
    """Return the value expected on a constant-rate path from baseline to target.

    Parameters
    ----------
    baseline, target : array_like
        Baseline value ``B`` and target value ``T``; both must be positive.
    elapsed : array_like
        Time since the baseline ``t``.
    horizon : array_like
        Time from baseline to target ``T_h``, in the same unit.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``E_t = B·(T/B)^(t/T_h) = B·(1 + g)^t`` with the annual rate
        ``g = (T/B)^(1/T_h) − 1``; NaN where ``B ≤ 0``, ``T ≤ 0`` or
        ``T_h`` is 0.

    Notes
    -----
    Compound on-track test (domain.md §6, "Progress toward a target"). The
    rate ``g`` in percent is ``annualized_change(B, T, T_h)``.

    References
    ----------
    - Friedman M., *Trying Hard Is Not Good Enough* (baselines and
      turning the curve).

    Examples
    --------
    >>> round(float(expected_compound(8.0, 7.2, 4, 10)), 4)
    7.6699
    """
    b, t = _f(baseline), _f(target)
    with _quiet():
        value = b * np.power(_div(t, b), _div(_f(elapsed), _f(horizon)))
    return _out(np.where((b > 0) & (t > 0), value, np.nan))


def annualized_change(
    start_value: npt.ArrayLike, end_value: npt.ArrayLike, years: npt.ArrayLike
) -> FloatOrArray:
    """Return the compound annual rate of change, in percent per year.

    Parameters
    ----------
    start_value, end_value : array_like
        Values at the start and at the end; ``start_value`` must be positive
        and ``end_value`` non-negative.
    years : array_like
        Time between them, in years (positive).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``((end/start)^(1/years) − 1)·100``; NaN where ``start ≤ 0``,
        ``end < 0`` or ``years ≤ 0``.

    Notes
    -----
    Observed annualized change (domain.md §6, "Progress toward a target");
    with ``start = B``, ``end = T`` and ``years = T_h`` it is the annual rate
    of the compound path, :func:`expected_compound`.

    References
    ----------
    - Friedman M., *Trying Hard Is Not Good Enough* (baselines and
      turning the curve).

    Examples
    --------
    >>> round(float(annualized_change(8.0, 7.6, 4)), 3)
    -1.274
    >>> round(float(annualized_change(8.0, 7.2, 10)), 4)
    -1.0481
    """
    s, e, y = _f(start_value), _f(end_value), _f(years)
    with _quiet():
        value = (np.power(e / s, 1.0 / y) - 1.0) * 100.0
    return _out(np.where((s > 0) & (e >= 0) & (y > 0), value, np.nan))


def required_annual_change(
    current: npt.ArrayLike, target: npt.ArrayLike, years_left: npt.ArrayLike
) -> FloatOrArray:
    """Return the annual rate of change needed to reach the target, in percent per year.

    Parameters
    ----------
    current : array_like
        Current value (positive).
    target : array_like
        Target value (non-negative).
    years_left : array_like
        Years left until the target date (positive).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``((T/current)^(1/years_left) − 1)·100``; NaN where ``current ≤ 0``,
        ``T < 0`` or ``years_left ≤ 0``.

    Notes
    -----
    Required change from now (domain.md §6, "Progress toward a target").

    References
    ----------
    - Friedman M., *Trying Hard Is Not Good Enough* (baselines and
      turning the curve).

    Examples
    --------
    >>> round(float(required_annual_change(7.6, 7.2, 6)), 3)
    -0.897
    """
    return annualized_change(current, target, years_left)


# ------------------------------------------------------- medians of binned counts


def _check_bins(
    lower_bounds: npt.ArrayLike, counts: npt.ArrayLike, upper_bound: float | None
) -> tuple[_F64, _F64]:
    """Return the bins' edges (``k + 1``; the last NaN when open) and the counts as ``(m, k)``."""
    lb = _f(lower_bounds)
    if lb.ndim != 1 or lb.size == 0:
        raise BinnedMedianError(
            f"lower_bounds must be a non-empty list of numbers, one per bin (got shape {lb.shape})"
        )
    if not np.isfinite(lb).all():
        i = int(np.flatnonzero(~np.isfinite(lb))[0])
        raise BinnedMedianError(f"lower_bounds[{i}] is {lb[i]}, not a finite number")
    down = np.flatnonzero(np.diff(lb) <= 0)
    if down.size:
        i = int(down[0]) + 1
        raise BinnedMedianError(
            f"lower_bounds must increase strictly: bin {i} starts at {lb[i]:g}, not above bin "
            f"{i - 1}'s {lb[i - 1]:g}; list the bins from lowest to highest, each once"
        )
    top = np.nan
    if upper_bound is not None:
        top = float(upper_bound)
        if not (math.isfinite(top) and top > lb[-1]):
            raise BinnedMedianError(
                f"upper_bound must be a finite number above the last lower bound {lb[-1]:g} "
                f"(got {upper_bound!r}); leave it out for an open-ended top bin"
            )
    n = _f(counts)
    if n.ndim == 0 or n.shape[-1] != lb.size:
        raise BinnedMedianError(
            f"counts must have one count per bin on their last axis: {lb.size} bins in "
            f"lower_bounds, counts of shape {n.shape}"
        )
    bad = np.isinf(n) | (n < 0)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise BinnedMedianError(
            f"counts must be non-negative numbers (NaN for unknown): counts{list(where)} is "
            f"{n[where]:g}"
        )
    return np.append(lb, top), n.reshape(-1, lb.size)


def _check_design(design_factor: float, sampling_rate: float) -> tuple[float, float]:
    """Return the design factor and sampling rate (percent) after checking their ranges."""
    df, f = float(design_factor), float(sampling_rate)
    if not (math.isfinite(df) and df > 0):
        raise BinnedMedianError(
            f"design_factor must be a positive number (got {design_factor!r}); the Census "
            "Bureau publishes one per state and characteristic with the PUMS (1 for none)"
        )
    if not (math.isfinite(f) and 0 < f <= 100):
        raise BinnedMedianError(
            f"sampling_rate is the percent of units sampled, above 0 and at most 100 (got "
            f"{sampling_rate!r}); e.g. 12.5 for ACS 5-year data (2.5% a year), 2.5 for 1-year"
        )
    return df, f


def _cumulative_percent(counts: _F64) -> tuple[_F64, _F64]:
    """Return each row's total and the percent of units below each edge, ``(m, k + 1)``.

    The last column is exactly 100 (and so is every edge above the last
    non-empty bin); a row with no units, or a NaN count, is NaN throughout.
    """
    below = np.zeros((counts.shape[0], counts.shape[1] + 1))
    np.cumsum(counts, axis=1, out=below[:, 1:])
    total = below[:, -1].copy()
    with _quiet():
        cum = below * (100.0 / total)[:, None]
    cum[below >= total[:, None]] = 100.0
    cum[~(total > 0)] = np.nan
    return total, cum


def _value_at_percent(edges: _F64, cum: _F64, p: _F64) -> _F64:
    """Return the value below which ``p`` percent of each row's units lie.

    The bin holding ``p`` is the one with ``C1 <= p < C2`` (``C`` the percent
    below its lower and upper edges ``A1``, ``A2``): linear inside it,
    ``A1 + (p - C1) / (C2 - C1) * (A2 - A1)``. In an open-ended top bin the
    Pareto curve through the bin below is extended: with ``S = 100 - C``,
    ``theta = ln(S0 / S1) / ln(A1 / A0)`` and ``A1 * (S1 / (100 - p))**(1 / theta)``,
    NaN when that bin is empty or starts at or below 0. NaN outside ``[0, 100)``.
    """
    m, k = cum.shape[0], cum.shape[1] - 1
    ok = (p >= 0) & (p < 100) & ~np.isnan(cum[:, 0])
    q = np.where(ok, p, 0.0)[:, None]
    i = np.sum(cum[:, :k] <= q, axis=1) - 1
    rows = np.arange(m)
    i = np.clip(i, 0, k - 1)
    c1, c2 = cum[rows, i], cum[rows, i + 1]
    a1, a2 = edges[i], edges[i + 1]
    q = q[:, 0]
    with _quiet():
        value = a1 + (q - c1) / (c2 - c1) * (a2 - a1)
        if np.isnan(edges[-1]) and k >= 2:
            a0, c0 = edges[k - 2], cum[:, k - 2]
            theta = np.log((100.0 - c0) / (100.0 - c1)) / np.log(a1 / a0)
            pareto = a1 * ((100.0 - c1) / (100.0 - q)) ** (1.0 / theta)
            fits = (a0 > 0) & (c0 < c1)
            value = np.where(i == k - 1, np.where(fits, pareto, np.nan), value)
    return np.where(ok, value, np.nan)


def binned_median(
    lower_bounds: npt.ArrayLike,
    counts: npt.ArrayLike,
    *,
    design_factor: float,
    sampling_rate: float,
    upper_bound: float | None = None,
    level: float = 0.90,
) -> tuple[FloatOrArray, FloatOrArray]:
    """Return the median of binned counts and its margin of error, as the Census Bureau does.

    The way to get the median of a combined area (tracts into a
    neighborhood): add up each bin's counts, which are additive, then
    recompute the median from the summed distribution; medians themselves
    never add up.

    Parameters
    ----------
    lower_bounds : array_like
        Lower bound of each bin, strictly increasing (``0, 10000, 15000, ...``
        for the ACS household income bins of table B19001). A bin runs from its
        lower bound to the next bin's.
    counts : array_like
        Count in each bin, on the last axis (shape ``(..., k)`` for ``k``
        bins): one distribution, or one per place, period... at once. Counts
        must be non-negative; a NaN count makes that distribution's result NaN.
    design_factor : float
        The design factor of the characteristic (positive; published by the
        Census Bureau with the PUMS, by state and characteristic). Use 1 when
        none applies, as census-data-aggregator does for summary tables.
    sampling_rate : float
        Percent of units sampled, ``0 < rate <= 100``: 2.5 for ACS 1-year data,
        12.5 for 5-year data (2.5% a year for five years).
    upper_bound : float, optional
        Upper end of the top bin. Leave it out when the top bin is open-ended
        (``$200,000 or more``).
    level : float, default 0.90
        Confidence level of the returned margin of error (0.90: ``z = 1.645``).

    Returns
    -------
    median : numpy.float64 or numpy.ndarray
        Shape ``counts.shape[:-1]``; NaN for an empty distribution, a NaN
        count, or a median in an open-ended top bin that the Pareto rule
        cannot reach (see Notes).
    moe : numpy.float64 or numpy.ndarray
        Its margin of error; also NaN when ``50 ± SE`` leaves ``[0, 100)``
        (fewer than a handful of units).

    Raises
    ------
    BinnedMedianError
        For lower bounds that are not finite or do not increase strictly, an
        ``upper_bound`` not above the last lower bound, counts without one
        count per bin, negative or infinite counts, a non-positive design
        factor, or a sampling rate outside ``(0, 100]``.

    Notes
    -----
    The procedure of the Census Bureau's *PUMS Accuracy of the Data*
    ("Standard errors of medians"; domain.md §8), with ``N`` the total count,
    ``f`` the sampling rate and ``DF`` the design factor:

    1. ``C(x)``: the percent of units below ``x``. The median is the value at
       50%, interpolated linearly in the bin holding it, between its lower
       bound ``A1`` and the next bin's ``A2``:
       ``A1 + (50 − C(A1)) / (C(A2) − C(A1)) · (A2 − A1)``.
    2. ``SE(50%) = DF · sqrt((100 − f) / (N · f) · 50²)``, in percent.
    3. The values at ``50 − SE(50%)`` and ``50 + SE(50%)``, interpolated the
       same way, bound a confidence range; ``SE(median)`` is half its width
       and ``MOE = 1.645 · SE(median)`` at 90%.

    A percent falling exactly on a bin edge takes the higher bin, so a run of
    empty bins at the 50% point gives the top of the gap.

    *Open-ended top bin.* Linear interpolation needs an upper end. When the
    median (or a confidence bound) falls in an open top bin, the Pareto
    curve fitted through the bin below is extended into it: with
    ``S = 100 − C`` at that bin's bounds ``A0 < A1``,
    ``θ = ln(S(A0) / S(A1)) / ln(A1 / A0)`` and the value at ``p`` is
    ``A1 · (S(A1) / (100 − p))^(1/θ)``. This is the Pareto interpolation the
    Census Bureau documents for wide income intervals (decennial census,
    CPS), carried one bin further; the ACS itself publishes such a median
    top-coded (``250,000+``), which is why
    :func:`feedbackloop.series.median_from_bins` marks it ``top_coded``. It
    is NaN when the bin below is empty or starts at or below 0.

    census-data-aggregator interpolates the median over each bin's own
    ``max − min`` (9,999 for ``$50,000 to $59,999``), hence 56,363.59 rather
    than 56,364.22 for Los Angeles County below; its confidence bounds use
    the next bin's minimum, as here, so the MOEs agree.

    References
    ----------
    - U.S. Census Bureau, *American Community Survey Public Use Microdata
      Sample (PUMS): Accuracy of the Data* (e.g. 2013-2017, 2017-2021),
      "Calculating standard errors of medians".
    - U.S. Census Bureau, ACS Subject Definitions, "Median" and
      "Interpolation".
    - datadesk/census-data-aggregator, ``approximate_median`` and its tests.

    Examples
    --------
    Household income in Los Angeles County (ACS 2013 5-year, table B19001):

    >>> bounds = [0, 10000, 15000, 20000, 25000, 30000, 35000, 40000, 45000,
    ...           50000, 60000, 75000, 100000, 125000, 150000, 200000]
    >>> households = [209050, 190300, 173380, 167740, 154347, 155834, 143103,
    ...               140946, 126807, 241482, 303887, 384881, 268689, 169129,
    ...               189195, 211613]
    >>> median, moe = binned_median(bounds, households, design_factor=1, sampling_rate=12.5)
    >>> round(float(median), 2), round(float(moe), 2)
    (56364.22, 161.97)

    Two places at once (one row each):

    >>> m, e = binned_median([0, 10, 20], [[5, 5, 0], [0, 4, 6]], design_factor=1,
    ...                      sampling_rate=100, upper_bound=30)
    >>> np.round(m, 2).tolist(), e.tolist()
    ([10.0, 21.67], [0.0, 0.0])
    """
    edges, n = _check_bins(lower_bounds, counts, upper_bound)
    df, f = _check_design(design_factor, sampling_rate)
    z = z_for_level(level)
    total, cum = _cumulative_percent(n)
    median = _value_at_percent(edges, cum, np.full(total.shape, 50.0))
    with _quiet():
        se50 = df * np.sqrt((100.0 - f) / (total * f) * 50.0**2)
        low = _value_at_percent(edges, cum, 50.0 - se50)
        high = _value_at_percent(edges, cum, 50.0 + se50)
        moe = np.where(np.isnan(median), np.nan, z * (high - low) / 2.0)
    shape = np.shape(counts)[:-1]
    return _out(median.reshape(shape)), _out(moe.reshape(shape))
