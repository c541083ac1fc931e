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

from feedbackloop.census._errors import CensusResponseError
from feedbackloop.series._status import Status

__all__ = ["ESTIMATE_SENTINELS", "MOE_SENTINELS", "decode", "decode_numbers", "to_numbers"]

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
    null = np.asarray(pd.isna(cells), dtype=bool)
    filled = np.where(null, "nan", cells)
    try:
        out = np.array(filled.astype(np.float64), dtype=np.float64)
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
                f"column {column!r} holds values that are not numbers (rows "
                f"{', '.join(map(str, rows[:5]))}: {examples}); the response is not what the "
                "API documents; report it, or read the variable with another tool",
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
    n = len(value)
    status = np.full(n, Status.ESTIMATE.value, dtype=object)
    status[np.isnan(value)] = Status.MISSING.value
    for code, st in ESTIMATE_SENTINELS.items():
        hit = value == code
        if hit.any():
            status[hit] = st.value
            value[hit] = np.nan
    if margin is not None:
        has_value = ~np.isnan(value)
        moe_status = np.full(n, "", dtype=object)
        moe_status[has_value & np.isnan(margin)] = Status.MOE_NOT_COMPUTABLE.value
        for code, (replacement, st) in MOE_SENTINELS.items():
            hit = margin == code
            if hit.any():
                margin[hit] = replacement
                moe_status[hit & has_value] = st.value
        negative = margin < 0
        if negative.any():
            rows = np.flatnonzero(negative)
            raise CensusResponseError(
                f"column {names[1]!r} holds negative margins of error that are not Census "
                f"codes (rows {', '.join(map(str, rows[:5]))}: "
                f"{', '.join(str(x) for x in margin[rows[:3]])}); report it",
                request=where,
            )
        margin[~has_value] = np.nan
        set_moe = moe_status != ""
        status[set_moe] = moe_status[set_moe]
    if moe_annotation is not None and margin is not None:
        has_value = ~np.isnan(value)
        for text, (replacement, st) in _MOE_ANNOTATIONS.items():
            hit = (moe_annotation == text) & has_value
            if hit.any():
                margin[hit] = replacement
                status[hit] = st.value
    if estimate_annotation is not None:
        ea = pd.Series(estimate_annotation, dtype=object).fillna("").astype(str).to_numpy()
        has_value = ~np.isnan(value)
        top = np.fromiter((bool(_TOP.match(x)) for x in ea), dtype=bool, count=n) & has_value
        bottom = np.fromiter((bool(_BOTTOM.match(x)) for x in ea), dtype=bool, count=n)
        bottom &= has_value
        status[top] = Status.TOP_CODED.value
        status[bottom] = Status.BOTTOM_CODED.value
        for text, st in _ESTIMATE_ANNOTATIONS.items():
            hit = ea == text
            if hit.any():
                status[hit] = st.value
                value[hit] = np.nan
                if margin is not None:
                    margin[hit] = np.nan
    return value, margin, status
