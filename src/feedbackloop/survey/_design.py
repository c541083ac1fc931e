"""A declared survey design, checked against the records it describes.

:class:`SurveyDesign` says which columns carry the weights, strata, PSUs,
finite population counts or replicate weights; :func:`prepare` checks them
against a frame (weights present and not negative, replicate weights that fit
the method, strata with more than one PSU) and returns the arrays the
variance kernels need. Every refusal is a typed error naming the column, the
rows and what to do.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd
from attrs import field, frozen

from feedbackloop.errors import LonelyPsuError, SurveyDesignError

__all__ = ["LonelyPsu", "PreparedDesign", "ReplicateMethod", "SurveyDesign", "prepare"]

ReplicateMethod = Literal["sdr", "jk1", "brr", "fay"]
LonelyPsu = Literal["fail", "certainty", "adjust"]
F64 = np.ndarray[Any, np.dtype[np.float64]]
I64 = np.ndarray[Any, np.dtype[np.int64]]

_METHODS = ("sdr", "jk1", "brr", "fay")
_LONELY = ("fail", "certainty", "adjust")
_SHOWN = 20


def _names(value: str | Sequence[str] | None) -> str | tuple[str, ...] | None:
    if value is None or isinstance(value, str):
        return value
    return tuple(str(v) for v in value)


@frozen(kw_only=True)
class SurveyDesign:
    """How a survey's records were drawn: the columns that carry the design.

    Parameters
    ----------
    weights : str, optional
        The full-sample weight column (default: every record weighs 1).
    strata : str, optional
        The stratum column.
    clusters : str, optional
        The PSU column; PSUs are nested in strata. Without it each record is
        its own PSU.
    fpc : str, optional
        A column holding each stratum's population count (of PSUs, or of
        records without ``clusters``): the finite population correction.
    replicate_weights : str or sequence of str, optional
        A column prefix (``"PWGTP"`` finds ``PWGTP1`` ... ``PWGTP80``) or the
        replicate weight columns in order. Replicate weights replace
        ``strata``/``clusters``/``fpc``.
    replicate_method : {"sdr", "jk1", "brr", "fay"}, optional
        Successive difference (ACS: 4/R), delete-one jackknife ((R-1)/R),
        balanced repeated replication (1/R) or Fay's BRR (1/(R(1-ρ)²)).
    fay_rho : float, optional
        Fay's ρ (0 < ρ < 1), for ``replicate_method="fay"`` only.
    replicate_scale : float, optional
        The variance multiplier, replacing the method's own (R ``svrepdesign``'s
        ``scale`` × ``rscales``): e.g. ``(1 - n/N) · (n-1)/n`` for JK1 replicates
        of a cluster sample drawn without replacement, as R's
        ``as.svrepdesign`` makes them with an fpc.
    lonely_psu : {"fail", "certainty", "adjust"}
        A stratum with one PSU: refuse (default), treat it as taken with
        certainty (no variance), or centre it at the grand mean (R
        ``survey.lonely.psu = "adjust"``). Collapsing strata is the other
        documented fix: recode the stratum column.

    .. versionadded:: 0.1.0
    """

    weights: str | None = None
    strata: str | None = None
    clusters: str | None = None
    fpc: str | None = None
    replicate_weights: str | tuple[str, ...] | None = field(default=None, converter=_names)
    replicate_method: ReplicateMethod | None = None
    fay_rho: float | None = None
    replicate_scale: float | None = None
    lonely_psu: LonelyPsu = "fail"

    def __attrs_post_init__(self) -> None:
        replicated = self.replicate_weights is not None
        if self.replicate_method is not None and self.replicate_method not in _METHODS:
            raise SurveyDesignError(
                f"replicate_method={self.replicate_method!r} is not one of {', '.join(_METHODS)}"
            )
        if replicated != (self.replicate_method is not None):
            raise SurveyDesignError(
                "replicate_weights= and replicate_method= go together: give both "
                '(e.g. replicate_weights="PWGTP", replicate_method="sdr" for ACS PUMS) or neither'
            )
        if replicated and (self.strata or self.clusters or self.fpc):
            raise SurveyDesignError(
                "replicate weights already carry the design: give replicate_weights= or "
                "strata=/clusters=/fpc=, not both"
            )
        if (self.replicate_method == "fay") != (self.fay_rho is not None):
            raise SurveyDesignError(
                "fay_rho= is needed with replicate_method='fay' and only with it"
            )
        if self.fay_rho is not None and not 0.0 < self.fay_rho < 1.0:
            raise SurveyDesignError(
                f"fay_rho must lie strictly between 0 and 1, not {self.fay_rho}"
            )
        if self.replicate_scale is not None and (
            self.replicate_method is None
            or not math.isfinite(self.replicate_scale)
            or self.replicate_scale <= 0
        ):
            raise SurveyDesignError(
                f"replicate_scale={self.replicate_scale!r}: it must be a positive number, "
                "given with replicate_weights= and replicate_method="
            )
        if self.lonely_psu not in _LONELY:
            raise SurveyDesignError(f"lonely_psu={self.lonely_psu!r} is not one of {_LONELY}")

    def columns(self) -> tuple[str, ...]:
        """Return the design columns named directly (not a replicate prefix)."""
        named = (self.weights, self.strata, self.clusters, self.fpc)
        reps = self.replicate_weights
        listed = reps if isinstance(reps, tuple) else ()
        return tuple(c for c in (*named, *listed) if c is not None)


@frozen(kw_only=True)
class PreparedDesign:
    """The checked design as arrays (see :func:`prepare`)."""

    weight: F64 = field(eq=False)
    replicates: tuple[str, ...] = ()
    coefficient: float = 0.0
    psu: I64 | None = field(default=None, eq=False)
    psu_stratum: I64 | None = field(default=None, eq=False)
    scale: F64 | None = field(default=None, eq=False)
    lonely: F64 | None = field(default=None, eq=False)


def _rows(mask: np.ndarray[Any, Any]) -> tuple[int, ...]:
    return tuple(int(i) + 1 for i in np.flatnonzero(mask)[:_SHOWN])


def _need(frame: pd.DataFrame, column: str, role: str, source: str) -> pd.Series[Any]:
    if column not in frame.columns:
        raise SurveyDesignError(
            f"the {role} column {column!r} is not in the data (columns: "
            f"{', '.join(map(str, list(frame.columns)[:30]))})",
            source=source,
            column=column,
        )
    return frame[column]


def check_weights(values: pd.Series[Any], column: str, source: str) -> F64:
    """Return weights as float64, refusing missing, non-numeric or negative ones (with rows)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        num = np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    else:
        num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(num)
    if bad.any():
        raise SurveyDesignError(
            f"weight column {column!r} has {int(bad.sum())} missing or non-numeric values "
            f"(rows {', '.join(map(str, _rows(bad)))}); every record needs a weight: fix or "
            "remove those records before reading",
            source=source,
            column=column,
            rows=_rows(bad),
        )
    neg = num < 0
    if neg.any():
        raise SurveyDesignError(
            f"weight column {column!r} has {int(neg.sum())} negative values "
            f"(rows {', '.join(map(str, _rows(neg)))}); weights must be 0 or more",
            source=source,
            column=column,
            rows=_rows(neg),
        )
    return num


def replicate_columns(frame: pd.DataFrame, design: SurveyDesign, source: str) -> tuple[str, ...]:
    """Return the replicate weight columns: those listed, or ``PREFIX1 .. PREFIXR`` in order."""
    reps = design.replicate_weights
    if isinstance(reps, tuple):
        for c in reps:
            _need(frame, c, "replicate weight", source)
        return reps
    assert reps is not None
    pattern = re.compile(rf"^{re.escape(reps)}([0-9]+)$", re.IGNORECASE)
    found = [(int(m[1]), str(c)) for c in frame.columns if (m := pattern.match(str(c)))]
    if not found:
        raise SurveyDesignError(
            f"no replicate weight columns start with {reps!r} followed by a number "
            f"({reps}1, {reps}2 ...)",
            source=source,
            column=reps,
        )
    return tuple(c for _, c in sorted(found))


def coefficient(design: SurveyDesign, n_reps: int, n_psu: int | None, source: str) -> float:
    """Return the variance coefficient of the method, refusing a count that does not fit it."""
    method = design.replicate_method
    if method in ("sdr", "brr", "fay") and (n_reps < 4 or n_reps % 4):
        raise SurveyDesignError(
            f"{n_reps} replicate weights do not fit replicate_method={method!r}: it needs a "
            "multiple of 4 (the order of a Hadamard matrix; ACS PUMS has 80); check that no "
            "replicate column is missing or extra",
            source=source,
        )
    if method == "jk1" and n_reps < 2:
        raise SurveyDesignError("JK1 needs at least 2 replicate weights", source=source)
    if design.replicate_scale is not None:
        return float(design.replicate_scale)
    if method == "sdr":
        return 4.0 / n_reps
    if method == "jk1":
        return (n_reps - 1) / n_reps
    if method == "brr":
        return 1.0 / n_reps
    rho = float(design.fay_rho or 0.0)
    return 1.0 / (n_reps * (1.0 - rho) ** 2)


def _codes(values: pd.Series[Any], column: str, role: str, source: str) -> I64:
    missing = values.isna().to_numpy()
    if missing.any():
        raise SurveyDesignError(
            f"{role} column {column!r} is missing for {int(missing.sum())} records "
            f"(rows {', '.join(map(str, _rows(missing)))}); every record needs one",
            source=source,
            column=column,
            rows=_rows(missing),
        )
    codes, _ = pd.factorize(values, sort=True)
    return np.asarray(codes, dtype=np.int64)


def _fpc_factor(
    frame: pd.DataFrame, design: SurveyDesign, stratum: I64, n_h: F64, source: str
) -> F64:
    """Return ``1 - n_h / N_h`` per stratum (1 without ``fpc``)."""
    if design.fpc is None:
        return np.ones(n_h.size)
    col = design.fpc
    pop = check_weights(_need(frame, col, "fpc", source), col, source)
    lo = np.full(n_h.size, np.inf)
    hi = np.full(n_h.size, -np.inf)
    np.minimum.at(lo, stratum, pop)
    np.maximum.at(hi, stratum, pop)
    if (lo != hi).any():
        h = int(np.flatnonzero(lo != hi)[0])
        raise SurveyDesignError(
            f"fpc column {col!r} differs within a stratum (stratum code {h}): it must hold "
            "the stratum's population count, the same on every record of the stratum",
            source=source,
            column=col,
            rows=_rows(stratum == h),
        )
    if (lo < n_h).any():
        raise SurveyDesignError(
            f"fpc column {col!r} is below the number of sampled units in some stratum: it "
            "holds population counts (N_h), not sampling fractions",
            source=source,
            column=col,
        )
    return np.asarray(1.0 - n_h / lo, dtype=np.float64)


def _lonely(design: SurveyDesign, frame: pd.DataFrame, n_h: F64, source: str) -> tuple[F64, F64]:
    """Return the stratum scale and the "adjust" flags; refuse lonely PSUs under "fail"."""
    single = n_h == 1
    scale = np.where(single, 1.0, n_h / np.maximum(n_h - 1.0, 1.0))
    if single.any() and design.lonely_psu == "fail":
        assert design.strata is not None or n_h.size == 1
        labels = (
            [str(u) for u in pd.factorize(frame[design.strata], sort=True)[1]]
            if design.strata is not None
            else ["(all)"]
        )
        names = tuple(labels[i] for i in np.flatnonzero(single))
        raise LonelyPsuError(
            f"strata with a single PSU have no variance estimate: {', '.join(names[:_SHOWN])} "
            f"(column {design.strata!r}). Collapse each with a similar stratum (recode the "
            'stratum column), or declare lonely_psu="certainty" (no variance from them) or '
            'lonely_psu="adjust" (centre them at the grand mean, as R survey does)',
            source=source,
            column=design.strata or "",
            strata=names,
        )
    if design.lonely_psu == "certainty":
        scale = np.where(single, 0.0, scale)
    lonely = (single & (design.lonely_psu == "adjust")).astype(np.float64)
    return scale, lonely


def _linearisation(frame: pd.DataFrame, design: SurveyDesign, source: str) -> dict[str, Any]:
    n = len(frame)
    if design.strata is not None:
        stratum = _codes(
            _need(frame, design.strata, "strata", source), design.strata, "strata", source
        )
    else:
        stratum = np.zeros(n, dtype=np.int64)
    if design.clusters is not None:
        cl = _codes(
            _need(frame, design.clusters, "clusters", source), design.clusters, "PSU", source
        )
        pairs = stratum * (int(cl.max()) + 1) + cl
        _, psu = np.unique(pairs, return_inverse=True)
        psu = np.asarray(psu, dtype=np.int64)
    else:
        psu = np.arange(n, dtype=np.int64)
    psu_stratum = np.zeros(int(psu.max()) + 1 if n else 0, dtype=np.int64)
    psu_stratum[psu] = stratum
    size = int(stratum.max()) + 1 if n else 0
    n_h: F64 = np.bincount(psu_stratum, minlength=size).astype(np.float64)
    scale, lonely = _lonely(design, frame, n_h, source)
    scale = np.asarray(scale * _fpc_factor(frame, design, stratum, n_h, source), np.float64)
    return {"psu": psu, "psu_stratum": psu_stratum, "scale": scale, "lonely": lonely}


def prepare(frame: pd.DataFrame, design: SurveyDesign, source: str = "") -> PreparedDesign:
    """Check ``design`` against ``frame`` and return the arrays the estimates need.

    Raises
    ------
    SurveyDesignError
        A design column that is missing; weights or replicate weights missing,
        non-numeric or negative (with rows); a replicate count the method
        cannot use; an fpc that varies within a stratum.
    LonelyPsuError
        A stratum with one PSU under ``lonely_psu="fail"``, naming the strata
        and the fixes.
    """
    if design.weights is None:
        weight = np.ones(len(frame))
    else:
        weight = check_weights(
            _need(frame, design.weights, "weights", source), design.weights, source
        )
    if design.replicate_weights is None:
        return PreparedDesign(weight=weight, **_linearisation(frame, design, source))
    reps = replicate_columns(frame, design, source)
    for c in reps:
        check_weights(frame[c], c, source)
    coef = coefficient(design, len(reps), None, source)
    return attrs.evolve(PreparedDesign(weight=weight), replicates=reps, coefficient=coef)
