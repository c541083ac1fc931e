"""Design-based variance kernels: replicate weights and Taylor linearisation (domain.md §8).

Both kernels take *estimands* as columns of a record-level matrix: ``num`` holds
``y_i`` for each estimand (0 outside its universe) and ``den`` the universe
indicator ``d_i`` (1 when the record counts in the denominator). A cell is a
domain of the whole design: records outside it contribute zeros, never get
dropped, so PSUs and strata keep their full counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from feedbackloop._util import import_optional

__all__ = ["CellSums", "replicate_sums", "replicate_variance", "taylor_variance"]

F64 = np.ndarray[Any, np.dtype[np.float64]]
I64 = np.ndarray[Any, np.dtype[np.int64]]

#: Rows per block of replicate weights (about 65 MB of float64 with 81 columns).
CHUNK = 100_000


class CellSums:
    """Weighted sums by cell: ``num[k, c, r]`` and ``den[j, c, r]``, replicate 0 the full sample.

    Attributes
    ----------
    num, den : numpy.ndarray
        Shapes ``(estimands, cells, 1 + replicates)`` and ``(universes, cells, 1 + replicates)``.
    """

    def __init__(self, num: F64, den: F64) -> None:
        self.num = num
        self.den = den


def replicate_sums(
    cells: I64,
    n_cells: int,
    num: F64,
    den: F64,
    weights: Callable[[int, int], F64],
    n_columns: int,
) -> CellSums:
    """Sum ``w_r * y`` and ``w_r * d`` by cell for the full weight and every replicate.

    One pass over the weights, a block of rows at a time: each block's
    estimand columns become one sparse (cell x estimand) by record matrix,
    multiplied by the block's weights.

    Parameters
    ----------
    cells : numpy.ndarray
        ``(records, groupings)``: the cell of each record in each grouping
        (cells numbered across groupings; ``-1``: in no cell).
    n_cells : int
        The number of cells.
    num, den : numpy.ndarray
        ``(records, estimands)`` ``y`` columns and ``(records, universes)``
        universe indicators.
    weights : callable
        ``weights(start, stop)`` returns the rows' weights, full weight first,
        as a float64 ``(stop - start, n_columns)`` block, so that no copy of
        every replicate weight is ever made.
    n_columns : int
        Weight columns (1 + replicates).
    """
    sparse = import_optional("scipy.sparse", extra="survey", purpose="survey estimates")
    n_records = cells.shape[0]
    k = num.shape[1] + den.shape[1]
    out = np.zeros((k * n_cells, n_columns))
    for start in range(0, n_records, CHUNK):
        stop = min(start + CHUNK, n_records)
        values = np.concatenate([num[start:stop], den[start:stop]], axis=1)  # (b, k)
        cell = cells[start:stop]  # (b, m)
        rows = np.arange(k)[None, :, None] * n_cells + cell[:, None, :]  # (b, k, m)
        data = np.broadcast_to(values[:, :, None], rows.shape)
        keep = (data != 0) & (cell[:, None, :] >= 0)
        if not keep.any():
            continue
        cols = np.broadcast_to(np.arange(stop - start)[:, None, None], rows.shape)
        mat = sparse.csr_matrix(
            (data[keep], (rows[keep], cols[keep])), shape=(k * n_cells, stop - start)
        )
        out += mat @ weights(start, stop)
    sums = out.reshape(k, n_cells, n_columns)
    return CellSums(sums[: num.shape[1]], sums[num.shape[1] :])


def replicate_variance(theta: F64, coefficient: float) -> F64:
    """``coefficient * Σ_r (θ_r - θ)²`` around the full-sample estimate (R ``mse=TRUE``).

    Parameters
    ----------
    theta : numpy.ndarray
        ``(..., 1 + replicates)``: the full-sample estimate first.
    coefficient : float
        4/R (successive difference), (R-1)/R (JK1), 1/R (BRR), 1/(R(1-ρ)²) (Fay).
    """
    dev = theta[..., 1:] - theta[..., :1]
    return np.asarray(coefficient * np.einsum("...r,...r->...", dev, dev), dtype=np.float64)


def taylor_variance(
    z: F64,
    cells: I64,
    n_cells: int,
    psu: I64,
    psu_stratum: I64,
    scale: F64,
    lonely: F64,
) -> F64:
    """Σ_h scale_h Σ_i (z_hi - z̄_h)² from record scores ``z``, by cell (PSUs with replacement).

    Parameters
    ----------
    z : numpy.ndarray
        The linearised score of each record for its cell (0 outside it).
    cells : numpy.ndarray
        Each record's cell (``-1``: in none).
    n_cells : int
        The number of cells.
    psu : numpy.ndarray
        Each record's PSU code, ``0 .. P-1`` (PSUs nested in strata).
    psu_stratum : numpy.ndarray
        The stratum code of each PSU.
    scale : numpy.ndarray
        Per stratum: ``n_h / (n_h - 1) · (1 - f_h)``, 0 for a certainty stratum.
    lonely : numpy.ndarray
        Per stratum: 1 where a single-PSU stratum is centred at the grand mean
        of PSU totals ("adjust"), else 0.
    """
    n_psu = int(psu_stratum.size)
    n_strata = int(scale.size)
    inside = cells >= 0
    key = cells[inside].astype(np.int64) * n_psu + psu[inside]
    uniq, inv = np.unique(key, return_inverse=True)
    tot = np.bincount(inv, weights=z[inside], minlength=uniq.size)
    cell_of, psu_of = np.divmod(uniq, n_psu)
    h = psu_stratum[psu_of]
    sk = cell_of * n_strata + h
    size = n_cells * n_strata
    s1 = np.bincount(sk, weights=tot, minlength=size).reshape(n_cells, n_strata)
    n_h = np.bincount(psu_stratum, minlength=n_strata).astype(np.float64)
    mean = s1 / n_h
    # Σ (z - z̄)² over every PSU of the stratum: those in the cell, and those
    # without a record in it (total 0), computed around the mean for accuracy.
    dev = tot - mean.ravel()[sk]
    present = np.bincount(sk, minlength=size).reshape(n_cells, n_strata)
    spread = np.bincount(sk, weights=dev * dev, minlength=size).reshape(n_cells, n_strata)
    within: F64 = spread + (n_h - present) * mean * mean
    if lonely.any():
        grand = s1.sum(axis=1, keepdims=True) / n_psu
        adjusted = (s1 - grand) ** 2  # one PSU: its total less the grand mean
        within = np.where(lonely[None, :] > 0, adjusted, within)
    return np.asarray((within * scale[None, :]).sum(axis=1), dtype=np.float64)
