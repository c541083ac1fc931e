"""Keyed pseudonyms (HMAC-SHA-256) for linking client records without sharing identity."""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from feedbackloop.errors import LinkageKeyError, PseudonymizationError

__all__ = ["DELIMITER", "MIN_KEY_BYTES", "canonicalize", "pseudonymize"]

#: The shortest key accepted: 32 bytes, the SHA-256 output length (RFC 2104
#: section 3 discourages keys shorter than the hash output).
MIN_KEY_BYTES = 32
#: Joins canonical fields; it is punctuation, so it never occurs inside one.
DELIMITER = "|"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SPACES = re.compile(r"\s+")


def _key_bytes(key: bytes | str) -> bytes:
    if isinstance(key, str):
        raw = key.encode("utf-8")
    elif isinstance(key, bytes | bytearray):
        raw = bytes(key)
    else:
        raise LinkageKeyError(
            f"the linkage key must be bytes or text (got {type(key).__name__}); "
            "generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    if len(raw) < MIN_KEY_BYTES:
        what = "empty" if not raw else f"only {len(raw)} bytes long"
        raise LinkageKeyError(
            f"the linkage key is {what}; it must be at least {MIN_KEY_BYTES} bytes of secret, "
            "random data shared only by the linking agencies (one key per linkage project); "
            "generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    return raw


def _hmac_hex(key: bytes, message: bytes) -> str:
    """HMAC-SHA-256 of ``message`` under ``key``, as lowercase hex."""
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def canonicalize(value: object) -> str:
    """Return the canonical text of one identifier value.

    Dates (``datetime.date``, ``datetime.datetime``, pandas ``Timestamp``,
    ``numpy.datetime64``) and text already in ISO form (``1990-01-31``) become
    ISO dates ``YYYY-MM-DD``. Other text is Unicode-normalized (NFKC),
    case-folded, stripped of punctuation and symbols, with runs of whitespace
    collapsed and the ends trimmed. Whole numbers lose any ``.0``.

    Parameters
    ----------
    value : object
        One field of one record.

    Returns
    -------
    str

    Raises
    ------
    PseudonymizationError
        For missing values or values that canonicalize to nothing.

    Examples
    --------
    >>> canonicalize(" Smith-Jones, Jr. ")
    'smithjones jr'
    >>> canonicalize("123-45-6789")
    '123456789'
    >>> import datetime
    >>> canonicalize(datetime.date(1990, 1, 31)), canonicalize(" 1990-01-31 ")
    ('1990-01-31', '1990-01-31')

    .. versionadded:: 0.1.0
    """
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        raise PseudonymizationError("a missing identifier cannot be tokenized")
    if value is pd.NaT or value is pd.NA:
        raise PseudonymizationError("a missing identifier cannot be tokenized")
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, _dt.datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, bool | np.bool_):
        raise PseudonymizationError(f"a true/false value ({value!r}) is not an identifier")
    if isinstance(value, float | np.floating) and float(value).is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if _ISO_DATE.fullmatch(text):
        try:
            return _dt.date.fromisoformat(text).isoformat()
        except ValueError as err:
            raise PseudonymizationError(f"{text!r} looks like a date but is not one") from err
    kept = "".join(
        ch for ch in text.casefold() if not unicodedata.category(ch).startswith(("P", "S"))
    )
    out = _SPACES.sub(" ", kept).strip()
    if not out:
        raise PseudonymizationError(f"{value!r} has no letters or digits to tokenize")
    return out


def pseudonymize(
    df: pd.DataFrame,
    fields: Sequence[str],
    key: bytes | str,
    *,
    column: str = "token",
    drop: bool = True,
    dates: Sequence[str] = (),
    date_format: str | None = None,
) -> pd.DataFrame:
    """Replace direct identifiers with keyed tokens that link the same person.

    The token is HMAC-SHA-256 (RFC 2104) under ``key`` of the canonical fields
    (see :func:`canonicalize`) joined by ``|`` in the order given. Two agencies
    using the same key and fields get the same token for the same person, so
    their records link without either sharing names or numbers; without the
    key, tokens cannot be recomputed from guessed identifiers (a plain SHA-256
    of an SSN can: there are only 10⁹ of them). Use one key per linkage
    project; tokens are still personal data.

    Parameters
    ----------
    df : pandas.DataFrame
        Client-level records.
    fields : sequence of str
        Identifier columns, in a fixed order agreed by every agency (e.g.
        ``["ssn", "birth_date", "last_name"]``).
    key : bytes or str
        The secret key, at least :data:`MIN_KEY_BYTES` bytes (text is UTF-8
        encoded). It is never stored in the output.
    column : str
        Name of the token column.
    drop : bool
        Remove the identifier columns (default) from the output.
    dates : sequence of str
        Identifier columns holding dates written as text in ``date_format``.
    date_format : str, optional
        :meth:`datetime.datetime.strptime` format of the ``dates`` columns
        (e.g. ``"%m/%d/%Y"``); ISO dates need none.

    Returns
    -------
    pandas.DataFrame
        A copy with the 64-hex-digit token column (first) and without the
        identifiers; ``attrs["pseudonymization"]`` records the method and
        fields, never the key.

    Raises
    ------
    LinkageKeyError
        For a key that is not bytes/text, empty or too short.
    PseudonymizationError
        For missing columns, or rows with a missing or empty identifier
        (listed by row).

    Examples
    --------
    >>> import pandas as pd
    >>> key = "k" * 32  # use secrets.token_hex(32) in practice
    >>> a = pd.DataFrame({"ssn": ["123-45-6789"], "dob": ["1990-01-31"], "name": [" smith "],
    ...                   "completed": [True]})
    >>> b = pd.DataFrame({"ssn": ["123456789"], "dob": ["1990-01-31"], "name": ["SMITH"]})
    >>> ta = pseudonymize(a, ["ssn", "dob", "name"], key)
    >>> list(ta.columns)
    ['token', 'completed']
    >>> ta["token"][0] == pseudonymize(b, ["ssn", "dob", "name"], key)["token"][0]
    True

    .. versionadded:: 0.1.0
    """
    raw_key = _key_bytes(key)
    fields = list(fields)
    if not fields:
        raise PseudonymizationError("name at least one identifier field to tokenize")
    if len(set(fields)) != len(fields):
        raise PseudonymizationError(f"fields lists a column twice: {fields}")
    missing = [f for f in fields if f not in df.columns]
    if missing:
        raise PseudonymizationError(
            f"identifier column(s) {', '.join(map(repr, missing))} not found; columns are: "
            + ", ".join(map(str, df.columns))
        )
    unknown_dates = [d for d in dates if d not in fields]
    if unknown_dates:
        raise PseudonymizationError(f"dates names columns that are not fields: {unknown_dates}")
    if column in df.columns and not (drop and column in fields):
        raise PseudonymizationError(
            f"the output column {column!r} already exists; pass column=... to name it"
        )
    canon: dict[str, list[str | None]] = {}
    problems: list[str] = []
    for f in fields:
        col: list[str | None] = []
        for pos, val in enumerate(df[f].tolist()):
            try:
                if f in dates and isinstance(val, str) and date_format is not None:
                    val = _dt.datetime.strptime(val.strip(), date_format).date()
                col.append(canonicalize(val))
            except (PseudonymizationError, ValueError) as err:
                col.append(None)
                if len(problems) < 8:
                    problems.append(f"row {pos}, column {f!r}: {err}")
        canon[f] = col
    bad = [i for i in range(len(df)) if any(canon[f][i] is None for f in fields)]
    if bad:
        raise PseudonymizationError(
            f"{len(bad)} record(s) cannot be tokenized (rows {bad[:8]}): "
            + "; ".join(problems)
            + "; fix or remove them first (records without identifiers cannot be linked)"
        )
    tokens = [
        _hmac_hex(raw_key, DELIMITER.join(str(canon[f][i]) for f in fields).encode("utf-8"))
        for i in range(len(df))
    ]
    out = df.drop(columns=fields) if drop else df.copy()
    out.insert(0, column, pd.Series(tokens, index=df.index, dtype=object))
    info: dict[str, Any] = {
        "method": "HMAC-SHA-256",
        "fields": list(fields),
        "delimiter": DELIMITER,
        "canonicalization": "NFKC, casefold, no punctuation/symbols, ISO dates",
    }
    out.attrs = {k: v for k, v in df.attrs.items() if k != "pseudonymization"}
    out.attrs["pseudonymization"] = info
    return out
