"""Decode API cells (strings, nulls, sentinel codes, annotations) into value, MOE and status.

The API sends every value as a string or ``null``. Negative "jam" values in
estimate and MOE columns are not numbers but reasons (domain.md §2.3); they are
turned into a :class:`~feedbackloop.Status` and a missing value here, before
anything could scale them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from feedbackloop.errors import CensusResponseError
from feedbackloop.series import Status

__all__ = [
    "ESTIMATE_SENTINELS",
    "MOE_SENTINELS",
    "annotate",
    "decode",
    "decode_block",
    "decode_numbers",
    "status_text",
    "to_numbers",
]

F64 = np.ndarray[Any, np.dtype[np.float64]]
Obj = np.ndarray[Any, np.dtype[np.object_]]

#: Estimate-column codes and the status they mean (the value becomes missing).
ESTIMATE_SENTINELS: dict[int, Status] = {
    -666666666: Status.NOT_COMPUTABLE,
    -999999999: Status.NOT_AVAILABLE,
    -888888888: Status.NOT_APPLICABLE,
    # MOE codes should not appear in an estimate column; if they do the value is unusable.
    -222222222: Status.NOT_COMPUTABLE,
    -333333333: Status.NOT_COMPUTABLE,
    -555555555: Status.NOT_AVAILABLE,
}

#: MOE-column codes: (MOE to store, status of a row whose estimate is a number).
MOE_SENTINELS: dict[int, tuple[float, Status]] = {
    -555555555: (0.0, Status.CONTROLLED),
    -222222222: (np.nan, Status.MOE_NOT_COMPUTABLE),
    -333333333: (np.nan, Status.MOE_NOT_COMPUTABLE),
    -666666666: (np.nan, Status.MOE_NOT_COMPUTABLE),
    -888888888: (np.nan, Status.MOE_NOT_COMPUTABLE),
    -999999999: (np.nan, Status.MOE_NOT_COMPUTABLE),
}

_ESTIMATE_ANNOTATIONS = {
    "-": Status.NOT_COMPUTABLE,
    "N": Status.NOT_AVAILABLE,
    "(X)": Status.NOT_APPLICABLE,
}
_MOE_ANNOTATIONS: dict[str, tuple[float, Status]] = {
    "*****": (0.0, Status.CONTROLLED),
    "**": (np.nan, Status.MOE_NOT_COMPUTABLE),
    "***": (np.nan, Status.MOE_NOT_COMPUTABLE),
    "N": (np.nan, Status.MOE_NOT_COMPUTABLE),
    "(X)": (np.nan, Status.MOE_NOT_COMPUTABLE),
    "-": (np.nan, Status.MOE_NOT_COMPUTABLE),
}
_TOP = re.compile(r"^[0-9][0-9,.]*\+$")
_BOTTOM = re.compile(r"^[0-9][0-9,.]*-$")
_BLANK = frozenset({"", "null", "NULL"})


def to_numbers(cells: Obj, columns: Sequence[str], where: str) -> F64:
    """Convert API cells (text or None; 1-D, or 2-D with one column per name) to float64.

    Anything that is not a number is an error, never coerced: text such as
    ``"n/a"`` or ``"1,234"``, and also ``"nan"``/``"inf"``, which the API never sends.
    """
    try:
        # The usual case, no nulls: one C-level pass (None raises TypeError).
        out: F64 | None = np.asarray(cells.astype(np.float64), dtype=np.float64)
    except (TypeError, ValueError):
        out = None
    if out is not None and np.isfinite(out).all():
        return out
    null = np.asarray(pd.isna(cells), dtype=bool)
    if out is None:
        filled = np.where(null, "nan", cells)
        try:
            out = np.asarray(filled.astype(np.float64), dtype=np.float64)
        except (ValueError, TypeError):
            out = None
    if out is not None and not (~np.isfinite(out) & ~null).any():
        return out
    grid = cells.reshape(len(cells), -1)
    for j, column in enumerate(columns):
        s = pd.Series(grid[:, j], dtype=object)
        nums = pd.to_numeric(s, errors="coerce")
        bad = (nums.isna() | ~np.isfinite(nums.to_numpy(dtype=float, na_value=0.0))) & s.notna()
        if bad.any():
            rows = np.flatnonzero(bad.to_numpy())
            examples = ", ".join(repr(x) for x in pd.unique(s[bad])[:3])
            raise CensusResponseError(
                f"in the answer to {where}, column {column!r} holds values that are not numbers "
                f"(data rows {', '.join(str(r + 1) for r in rows[:5])}: {examples}); the "
                "response is not what the API documents; report it, or read the variable with "
                "another tool",
                request=where,
            )
    raise CensusResponseError(f"cells that are not numbers in {where}", request=where)


def decode(
    estimate: Obj,
    moe: Obj | None,
    *,
    estimate_annotation: Obj | None = None,
    moe_annotation: Obj | None = None,
    names: tuple[str, str | None] = ("estimate", None),
    where: str = "",
) -> tuple[F64, F64 | None, Obj]:
    """Decode one variable's cells into ``(value, moe, status)`` arrays.

    Parameters
    ----------
    estimate : numpy.ndarray of object
        The estimate cells (str or None).
    moe : numpy.ndarray of object, optional
        The MOE cells; ``None`` for variables without one (decennial counts).
    estimate_annotation, moe_annotation : numpy.ndarray of object, optional
        Annotation cells (``EA``/``MA``), which win over the numbers.
    names : (str, str or None)
        Column names, for messages.
    where : str
        The request (key-free), for messages.

    Returns
    -------
    value, moe, status
        float64 arrays (NaN when missing) and an object array of status values.

    Examples
    --------
    >>> import numpy as np
    >>> v, m, s = decode(
    ...     np.array(["100", "-666666666", "5", None], dtype=object),
    ...     np.array(["-555555555", "-222222222", "-222222222", None], dtype=object),
    ... )
    >>> v.tolist()[0], m.tolist()[0], list(s)
    (100.0, 0.0, ['controlled', 'not_computable', 'moe_not_computable', 'missing'])

    .. versionadded:: 0.1.0
    """
    value = to_numbers(estimate, [names[0]], where)
    margin = None if moe is None else to_numbers(moe, [names[1] or "moe"], where)
    return decode_numbers(
        value,
        margin,
        estimate_annotation=estimate_annotation,
        moe_annotation=moe_annotation,
        names=names,
        where=where,
    )


def decode_numbers(
    value: F64,
    margin: F64 | None,
    *,
    estimate_annotation: Obj | None = None,
    moe_annotation: Obj | None = None,
    names: tuple[str, str | None] = ("estimate", None),
    where: str = "",
) -> tuple[F64, F64 | None, Obj]:
    """Decode converted cells (see :func:`decode`); ``value``/``margin`` are changed in place."""
    values = value.reshape(1, -1)
    margins = None if margin is None else margin.reshape(1, -1)
    codes = decode_block(values, margins, moe_names=[names[1]], where=where)
    annotate(
        values[0],
        None if margins is None else margins[0],
        codes[0],
        estimate_annotation=estimate_annotation,
        moe_annotation=moe_annotation,
    )
    return value, margin, status_text(codes[0])


# Status codes: int8 positions in _STATUS (decoding works on small integers and
# turns them into the status strings once, at the end).
_STATUS: tuple[Status, ...] = tuple(Status)
_CODE: dict[Status, int] = {s: i for i, s in enumerate(_STATUS)}
_TEXT: Obj = np.array([s.value for s in _STATUS], dtype=object)
_ESTIMATE_CODES = [(float(code), _CODE[st]) for code, st in ESTIMATE_SENTINELS.items()]
_MOE_CODES = [(float(code), rep, _CODE[st]) for code, (rep, st) in MOE_SENTINELS.items()]
I8 = np.ndarray[Any, np.dtype[np.int8]]


def status_text(codes: I8) -> Obj:
    """Turn status codes from :func:`decode_block` into status values (object array of str)."""
    out: Obj = _TEXT[codes]
    return out


def decode_block(
    values: F64,
    margins: F64 | None,
    *,
    moe_names: Sequence[str | None],
    has_margin: np.ndarray[Any, np.dtype[np.bool_]] | None = None,
    where: str = "",
) -> I8:
    """Decode the sentinel codes of many variables at once, in place; return status codes.

    Parameters
    ----------
    values : numpy.ndarray of float64, shape (k, n)
        One row per variable: its estimates. Sentinels become NaN.
    margins : numpy.ndarray of float64, shape (k, n), optional
        The matching MOEs (a row of NaN for a variable without one, marked in
        ``has_margin``). Sentinels become 0 (controlled) or NaN.
    moe_names : sequence of str or None
        The MOE column of each row, for messages.
    has_margin : numpy.ndarray of bool, shape (k,), optional
        Which rows have an MOE column (default: all when ``margins`` is given).
    where : str
        The request or vintage, for messages.

    Returns
    -------
    numpy.ndarray of int8, shape (k, n)
        Status codes; :func:`status_text` turns them into status values.
    """
    missing = np.isnan(values)
    codes: I8 = np.where(missing, _CODE[Status.MISSING], _CODE[Status.ESTIMATE]).astype(np.int8)
    # Every sentinel is negative: look for them only if a negative value is present.
    if (values < 0).any():
        for code, st in _ESTIMATE_CODES:
            hit = values == code
            if hit.any():
                codes[hit] = st
                values[hit] = np.nan
        missing = np.isnan(values)
    if margins is None:
        return codes
    has_value = ~missing
    moe_missing = has_value & np.isnan(margins)
    if has_margin is not None and not has_margin.all():
        moe_missing &= has_margin[:, None]
    codes[moe_missing] = _CODE[Status.MOE_NOT_COMPUTABLE]
    negative = margins < 0
    if negative.any():
        for code, replacement, st in _MOE_CODES:
            hit = margins == code
            if hit.any():
                margins[hit] = replacement
                codes[hit & has_value] = st
        negative = margins < 0
        if negative.any():
            j = int(np.flatnonzero(negative.any(axis=1))[0])
            rows = np.flatnonzero(negative[j])
            raise CensusResponseError(
                f"column {moe_names[j]!r} holds negative margins of error that are not Census "
                f"codes (rows {', '.join(map(str, rows[:5]))}: "
                f"{', '.join(str(x) for x in margins[j, rows[:3]])}); report it",
                request=where,
            )
    margins[missing] = np.nan
    return codes


def annotate(
    value: F64,
    margin: F64 | None,
    codes: I8,
    *,
    estimate_annotation: Obj | None = None,
    moe_annotation: Obj | None = None,
) -> None:
    """Apply one variable's annotation cells (``EA``/``MA``), which win over the numbers.

    ``value``, ``margin`` and ``codes`` (from :func:`decode_block`) are changed in place.
    """
    if moe_annotation is not None and margin is not None:
        has_value = ~np.isnan(value)
        for text, (replacement, st) in _MOE_ANNOTATIONS.items():
            hit = (moe_annotation == text) & has_value
            if hit.any():
                margin[hit] = replacement
                codes[hit] = _CODE[st]
    if estimate_annotation is not None:
        n = len(value)
        ea = pd.Series(estimate_annotation, dtype=object).fillna("").astype(str).to_numpy()
        has_value = ~np.isnan(value)
        top = np.fromiter((bool(_TOP.match(x)) for x in ea), dtype=bool, count=n) & has_value
        bottom = np.fromiter((bool(_BOTTOM.match(x)) for x in ea), dtype=bool, count=n)
        bottom &= has_value
        codes[top] = _CODE[Status.TOP_CODED]
        codes[bottom] = _CODE[Status.BOTTOM_CODED]
        for text, st in _ESTIMATE_ANNOTATIONS.items():
            hit = ea == text
            if hit.any():
                codes[hit] = _CODE[st]
                value[hit] = np.nan
                if margin is not None:
                    margin[hit] = np.nan
