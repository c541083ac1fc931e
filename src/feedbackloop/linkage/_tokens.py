"""Deterministic linkage on keyed pseudonyms of canonical identifiers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from feedbackloop.errors import LinkageInputError
from feedbackloop.linkage._prepare import (
    DEFAULT_COLUMNS,
    IDENTIFIERS,
    NICKNAMES,
    check_ids,
    check_key,
    standardize,
)
from feedbackloop.privacy import pseudonymize

__all__ = ["TOKEN_FIELDS", "tokenize", "tokens_for"]

#: The default token fields: formal first name, last name, date of birth.
TOKEN_FIELDS = ("first", "last", "dob")
_TOKENIZABLE = ("first", "last", "dob", "sex", "zip", "ssn")


def tokens_for(
    agency: str,
    df: pd.DataFrame,
    key: bytes,
    cols: Mapping[str, str],
    fields: Sequence[str],
    date_format: str | None,
    nicknames: Mapping[str, str],
) -> pd.Series:
    """Return one agency's tokens indexed by record id (a ``token`` column is used as is)."""
    bad = [f for f in fields if f not in _TOKENIZABLE]
    if bad or not fields:
        raise LinkageInputError(f"token fields must be some of {_TOKENIZABLE}, got {list(fields)}")
    id_col = cols["record_id"]
    if "token" in df.columns:
        if id_col not in df.columns:
            raise LinkageInputError(f"agency {agency!r}: column {id_col!r} not found")
        check_ids(agency, df[id_col], id_col)
        ids = df[id_col].astype(str).str.strip()
        return pd.Series(df["token"].astype(str).to_numpy(), index=ids.to_numpy(), name="token")
    std = standardize(agency, df, cols, date_format=date_format, nicknames=nicknames)
    canon = std.rename(columns={"first": "first_as_written", "first_formal": "first"})
    missing = [f for f in fields if f not in canon.columns or canon[f].isna().all()]
    if missing:
        raise LinkageInputError(
            f"agency {agency!r} has no values for token field(s) {missing}; choose fields "
            "every agency records (fields=...)"
        )
    out = pseudonymize(canon, list(fields), key, column="token")
    return pd.Series(out["token"].to_numpy(), index=std["record_id"], name="token")


def tokenize(
    df: pd.DataFrame,
    key: bytes | str,
    *,
    fields: Sequence[str] = TOKEN_FIELDS,
    columns: Mapping[str, str] | None = None,
    date_format: str | None = None,
    nicknames: Mapping[str, str] = NICKNAMES,
) -> pd.DataFrame:
    """Replace one agency's identifiers by keyed tokens, ready to send for linking.

    The token is :func:`feedbackloop.privacy.pseudonymize` (HMAC-SHA-256 under
    ``key``) of the canonical ``fields``: names lowercased, stripped of
    accents, spaces and punctuation (``"O'Brien-Díaz"`` -> ``obriendiaz``),
    first names made formal (``Bob`` -> ``robert``), dates of birth as ISO
    dates, sex as ``f``/``m``, ZIP codes as five digits. Records of one person
    written any of those ways get the same token; under another key, none do.

    Parameters
    ----------
    df : pandas.DataFrame
        The agency's records (standard column names, or ``columns``).
    key : bytes or str
        The project key (at least 32 bytes), shared by the agencies only.
    fields : sequence of str
        Which identifiers make the token (``first``, ``last``, ``dob``,
        ``sex``, ``zip``, ``ssn``).
    columns : mapping of str to str, optional
        Standard name -> the file's column.
    date_format : str, optional
        :meth:`~datetime.datetime.strptime` format of ``dob`` when not ISO.
    nicknames : mapping of str to str
        Nickname -> formal first name.

    Returns
    -------
    pandas.DataFrame
        ``record_id``, ``token`` and the non-identifier columns.

    Raises
    ------
    LinkageKeyError
        For a key that is too short.
    PseudonymizationError
        For records missing a token field (listed by row).

    Examples
    --------
    >>> import pandas as pd
    >>> key = "k" * 32  # use secrets.token_hex(32) in practice
    >>> a = pd.DataFrame({"record_id": [1], "first": ["Bob"], "last": ["O'Brien"],
    ...                   "dob": ["2005-03-07"], "program": ["mentoring"]})
    >>> b = pd.DataFrame({"record_id": [9], "first": [" ROBERT"], "last": ["obrien"],
    ...                   "dob": ["03/07/2005"]})
    >>> ta = tokenize(a, key)
    >>> list(ta.columns)
    ['record_id', 'token', 'program']
    >>> ta["token"][0] == tokenize(b, key, date_format="%m/%d/%Y")["token"][0]
    True

    .. versionadded:: 0.1.0
    """
    raw = check_key(key)
    cols = {c: c for c in (*DEFAULT_COLUMNS, "ssn")}
    cols.update(columns or {})
    tokens = tokens_for("(this file)", df, raw, cols, fields, date_format, nicknames)
    names = {cols[c] for c in IDENTIFIERS if c in cols} | set(IDENTIFIERS) | {cols["record_id"]}
    rest = df.drop(columns=[c for c in df.columns if c in names])
    out = pd.DataFrame({"record_id": tokens.index, "token": tokens.to_numpy()})
    return pd.concat([out, rest.reset_index(drop=True)], axis=1)
