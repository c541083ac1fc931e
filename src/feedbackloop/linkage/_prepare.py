"""Check and standardise each agency's record file before linking."""

from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from feedbackloop.errors import DuplicateRecordError, LinkageInputError, LinkageKeyError
from feedbackloop.privacy import MIN_KEY_BYTES

__all__ = [
    "DEFAULT_COLUMNS",
    "IDENTIFIERS",
    "NICKNAMES",
    "canonical_first",
    "canonical_name",
    "check_ids",
    "check_key",
    "standardize",
]

#: The columns :func:`~feedbackloop.linkage.link` reads, by their default names.
DEFAULT_COLUMNS = ("record_id", "first", "last", "dob", "sex", "race", "zip")
#: UTF-8 read as Latin-1 / cp1252: "JosÃ©", "â€™".
_MOJIBAKE = re.compile("Ã[\u0080-\u00bf]|â€")
_REQUIRED = ("record_id", "first", "last", "dob")
#: Columns that identify a person directly; they never leave the linkage unasked.
IDENTIFIERS = ("first", "last", "dob", "zip", "ssn", "address")

#: Nickname -> formal first name (a small, common-English table; extend it with
#: ``nicknames=``). Ambiguous nicknames (``alex``, ``sam``) map to one name.
NICKNAMES: Mapping[str, str] = {
    "bob": "robert",
    "rob": "robert",
    "bobby": "robert",
    "robbie": "robert",
    "bill": "william",
    "will": "william",
    "billy": "william",
    "liam": "william",
    "jim": "james",
    "jimmy": "james",
    "jamie": "james",
    "mike": "michael",
    "mikey": "michael",
    "chris": "christopher",
    "tony": "anthony",
    "joe": "joseph",
    "joey": "joseph",
    "dan": "daniel",
    "danny": "daniel",
    "pepe": "jose",
    "alex": "alexander",
    "jon": "jonathan",
    "johnny": "john",
    "jack": "john",
    "nick": "nicholas",
    "sam": "samuel",
    "ben": "benjamin",
    "matt": "matthew",
    "dave": "david",
    "steve": "steven",
    "tom": "thomas",
    "tommy": "thomas",
    "liz": "elizabeth",
    "beth": "elizabeth",
    "betty": "elizabeth",
    "lizzie": "elizabeth",
    "jen": "jennifer",
    "jenny": "jennifer",
    "kate": "katherine",
    "katie": "katherine",
    "kathy": "katherine",
    "maggie": "margaret",
    "meg": "margaret",
    "peggy": "margaret",
    "patty": "patricia",
    "trish": "patricia",
    "vicky": "victoria",
    "tori": "victoria",
    "sasha": "alexandra",
    "jess": "jessica",
    "becky": "rebecca",
    "lupe": "guadalupe",
    "gabby": "gabriela",
    "sue": "susan",
    "mandy": "amanda",
    "abby": "abigail",
}


def check_key(key: bytes | str) -> bytes:
    """Return the project key as bytes, refusing one that is not long enough."""
    raw = key.encode("utf-8") if isinstance(key, str) else key
    if not isinstance(raw, bytes | bytearray):
        raise LinkageKeyError(
            f"the linkage key must be bytes or text (got {type(key).__name__}); generate "
            "one with: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    if len(raw) < MIN_KEY_BYTES:
        what = "empty" if not raw else f"only {len(raw)} bytes long"
        raise LinkageKeyError(
            f"the linkage key is {what}; it must be at least {MIN_KEY_BYTES} bytes of secret, "
            "random data shared only by the linking agencies (one key per linkage project); "
            "generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    return bytes(raw)


def _missing(value: object) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
    )


def canonical_name(value: object) -> str | None:
    """Return a name as lowercase ASCII letters only (accents, spaces, punctuation dropped).

    ``"O'Brien-Díaz "`` and ``"OBRIEN DIAZ"`` both give ``"obriendiaz"``;
    missing values and names with no letters give None.
    """
    if _missing(value):
        return None
    text = unicodedata.normalize("NFKD", str(value)).casefold()
    kept = "".join(ch for ch in text if ch.isalpha() and not unicodedata.combining(ch))
    return kept or None


def canonical_first(value: object, nicknames: Mapping[str, str] = NICKNAMES) -> str | None:
    """Return :func:`canonical_name` of a first name with nicknames made formal (bob -> robert)."""
    name = canonical_name(value)
    return None if name is None else nicknames.get(name, name)


def _text_problem(value: object) -> str | None:
    if isinstance(value, bytes | bytearray):
        try:
            bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return "bytes that are not UTF-8"
        return "undecoded bytes"
    if isinstance(value, str) and ("\ufffd" in value or _MOJIBAKE.search(value)):
        return "text decoded with the wrong encoding (a replacement character or mojibake)"
    return None


def _check_text(agency: str, df: pd.DataFrame, cols: Sequence[str]) -> None:
    for col in cols:
        for row, value in enumerate(df[col].tolist()):
            problem = _text_problem(value)
            if problem is not None:
                raise LinkageInputError(
                    f"agency {agency!r}, column {col!r}, row {row}: {value!r} is {problem}; "
                    "read the file with its real encoding (e.g. pandas.read_csv(path, "
                    "encoding='cp1252') or 'latin-1') so every agency's text is Unicode"
                )


def _parse_dob(agency: str, col: str, values: list[Any], fmt: str | None) -> list[str | None]:
    out: list[str | None] = []
    for row, value in enumerate(values):
        if _missing(value) or (isinstance(value, str) and not value.strip()):
            out.append(None)
            continue
        if isinstance(value, _dt.datetime | pd.Timestamp):
            out.append(value.date().isoformat())
            continue
        if isinstance(value, _dt.date):
            out.append(value.isoformat())
            continue
        text = str(value).strip()
        parsed: _dt.date | None
        try:
            if fmt is not None:
                parsed = _dt.datetime.strptime(text, fmt).date()
            else:
                parsed = _dt.date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            parsed = None
        if parsed is None:
            expected = f"the format {fmt!r}" if fmt else "an ISO date (YYYY-MM-DD)"
            raise LinkageInputError(
                f"agency {agency!r}, column {col!r}, row {row}: {value!r} is not {expected}; "
                f"pass date_formats={{{agency!r}: '%m/%d/%Y'}} (or that file's real format) "
                "to link(); dates are never guessed, since 03/04 is ambiguous"
            )
        out.append(parsed.isoformat())
    return out


def check_ids(agency: str, ids: pd.Series, col: str) -> None:
    missing = [i for i, v in enumerate(ids.tolist()) if _missing(v) or str(v).strip() == ""]
    if missing:
        raise LinkageInputError(
            f"agency {agency!r}: column {col!r} is missing in rows {missing[:10]}; every "
            "record needs an id so the crosswalk can point back to it"
        )
    text = ids.astype(str).str.strip()
    dup = text[text.duplicated(keep=False)]
    if len(dup):
        names = sorted(set(dup.tolist()))
        raise DuplicateRecordError(
            f"agency {agency!r}: {len(names)} record id(s) in column {col!r} appear more than "
            f"once ({', '.join(map(repr, names[:10]))}"
            + (", ..." if len(names) > 10 else "")
            + "); records are never merged silently: give each record its own id, or remove "
            "the duplicates, before linking",
            agency,
            names,
        )


def _zip(value: object) -> str | None:
    if _missing(value):
        return None
    digits = "".join(ch for ch in str(value) if ch.isdigit())[:5]
    return digits.zfill(5) if digits else None


def _sex(value: object) -> str | None:
    name = canonical_name(value)
    if name is None:
        return None
    return {"female": "f", "male": "m", "woman": "f", "man": "m"}.get(name, name)


def standardize(
    agency: str,
    df: pd.DataFrame,
    columns: Mapping[str, str],
    *,
    date_format: str | None = None,
    nicknames: Mapping[str, str] = NICKNAMES,
) -> pd.DataFrame:
    """Return one agency's records in the linkage's standard form.

    ``columns`` maps a standard name (``first``) to the agency's column; the
    result has ``agency``, ``record_id`` (text) and the standardised ``first``,
    ``first_formal`` (nicknames made formal), ``last``, ``dob`` (ISO text),
    ``sex``, ``zip`` and ``ssn`` where present, plus ``race`` as given.
    """
    if not isinstance(df, pd.DataFrame):
        raise LinkageInputError(
            f"agency {agency!r}: expected a pandas DataFrame of records, got {type(df).__name__}"
        )
    absent = [columns[c] for c in _REQUIRED if columns[c] not in df.columns]
    if absent:
        raise LinkageInputError(
            f"agency {agency!r}: column(s) {', '.join(map(repr, absent))} not found (columns "
            f"are: {', '.join(map(str, df.columns))}); name yours with columns={{'first': "
            "'given_name', ...}}"
        )
    present = {c: columns[c] for c in (*DEFAULT_COLUMNS, "ssn") if columns.get(c) in df.columns}
    check_ids(agency, df[present["record_id"]], present["record_id"])
    _check_text(agency, df, [present[c] for c in ("first", "last", "race") if c in present])
    out = pd.DataFrame(index=range(len(df)))
    out["agency"] = agency
    out["record_id"] = df[present["record_id"]].astype(str).str.strip().to_numpy()
    first = df[present["first"]].tolist()
    out["first"] = [canonical_name(v) for v in first]
    out["first_formal"] = [canonical_first(v, nicknames) for v in first]
    out["last"] = [canonical_name(v) for v in df[present["last"]].tolist()]
    out["dob"] = _parse_dob(agency, present["dob"], df[present["dob"]].tolist(), date_format)
    out["sex"] = [_sex(v) for v in df[present["sex"]]] if "sex" in present else None
    out["zip"] = [_zip(v) for v in df[present["zip"]]] if "zip" in present else None
    if "ssn" in present:
        digits = df[present["ssn"]].astype("string").str.replace(r"\D", "", regex=True)
        out["ssn"] = digits.where(digits.str.len() == 9, None).astype(object).to_numpy()
    return out
