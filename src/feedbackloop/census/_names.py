"""Place names from the Census ``NAME`` column, for charts' ``names=``."""

from __future__ import annotations

import pandas as pd

from feedbackloop.errors import CensusError

__all__ = ["place_names"]


def place_names(frame: pd.DataFrame) -> dict[str, str]:
    """Return GEOID -> NAME from a table :func:`get_acs` or :func:`get_decennial` returned.

    The Census API sends each place's name (``"Alameda County, California"``)
    with its codes; the tables keep it in ``NAME`` beside ``GEOID``. This
    mapping is what the charts take as ``names=`` (and what a loop's
    ``places:`` table holds), so places are shown by name while the codes stay
    in the data.

    Parameters
    ----------
    frame : pandas.DataFrame
        With the columns ``GEOID`` and ``NAME`` (tidy or wide).

    Returns
    -------
    dict of str to str
        In the table's order, each GEOID once.

    Raises
    ------
    CensusError
        If a column is missing or a GEOID has two different names.

    Examples
    --------
    >>> import pandas as pd
    >>> from feedbackloop.census import place_names
    >>> table = pd.DataFrame({"GEOID": ["06001", "06001"],
    ...                       "NAME": ["Alameda County, California"] * 2})
    >>> place_names(table)
    {'06001': 'Alameda County, California'}

    .. versionadded:: 0.2.0
    """
    missing = [c for c in ("GEOID", "NAME") if c not in frame.columns]
    if missing:
        raise CensusError(
            f"place_names needs the columns GEOID and NAME (missing {', '.join(missing)}); "
            "pass the table get_acs() or get_decennial() returned"
        )
    out: dict[str, str] = {}
    for geoid, name in zip(frame["GEOID"], frame["NAME"], strict=True):
        if pd.isna(name):
            continue
        code, text = str(geoid), str(name)
        if out.setdefault(code, text) != text:
            raise CensusError(f"GEOID {code!r} has two names: {out[code]!r} and {text!r}")
    return out
