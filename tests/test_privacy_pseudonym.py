"""Keyed pseudonyms: RFC 4231 vector, canonicalization, key handling."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedbackloop.privacy import (
    MIN_KEY_BYTES,
    LinkageKeyError,
    PseudonymizationError,
    canonicalize,
    pseudonymize,
)
from feedbackloop.privacy._pseudonym import _hmac_hex

KEY = "correct horse battery staple, 32+ bytes of secret"


def test_rfc4231_case_2() -> None:
    assert _hmac_hex(b"Jefe", b"what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_domain_canonicalization_case() -> None:
    a = ["123-45-6789", "1990-01-31", " smith "]
    b = ["123456789", "1990-01-31", "SMITH"]
    cols = ["ssn", "dob", "last"]
    ta = pseudonymize(pd.DataFrame([a], columns=cols), cols, KEY)["token"][0]
    tb = pseudonymize(pd.DataFrame([b], columns=cols), cols, KEY)["token"][0]
    assert ta == tb
    # and it is exactly HMAC-SHA-256 of the canonical fields joined by "|"
    expected = hmac.new(KEY.encode(), b"123456789|1990-01-31|smith", hashlib.sha256).hexdigest()
    assert ta == expected


def test_dates_in_any_form_give_the_same_token() -> None:
    cols = ["id", "dob"]
    forms = [
        dt.date(1990, 1, 31),
        dt.datetime(1990, 1, 31, 8, 30),
        pd.Timestamp("1990-01-31"),
        np.datetime64("1990-01-31"),
        " 1990-01-31 ",
    ]
    tokens = {
        pseudonymize(pd.DataFrame({"id": ["A1"], "dob": [f]}), cols, KEY)["token"][0] for f in forms
    }
    us = pseudonymize(
        pd.DataFrame({"id": ["a-1"], "dob": ["01/31/1990"]}),
        cols,
        KEY,
        dates=["dob"],
        date_format="%m/%d/%Y",
    )["token"][0]
    assert tokens == {us}


def test_field_order_and_key_matter() -> None:
    df = pd.DataFrame({"a": ["x"], "b": ["y"]})
    t1 = pseudonymize(df, ["a", "b"], KEY)["token"][0]
    assert pseudonymize(df, ["b", "a"], KEY)["token"][0] != t1
    assert pseudonymize(df, ["a", "b"], KEY + "!")["token"][0] != t1
    assert pseudonymize(df, ["a", "b"], KEY.encode())["token"][0] == t1


@pytest.mark.parametrize("key", ["", b"", "Jefe", b"x" * (MIN_KEY_BYTES - 1)])
def test_short_or_empty_keys_are_refused(key: str | bytes) -> None:
    with pytest.raises(LinkageKeyError, match=r"secrets\.token_hex"):
        pseudonymize(pd.DataFrame({"a": ["x"]}), ["a"], key)


def test_key_of_wrong_type_is_refused() -> None:
    with pytest.raises(LinkageKeyError, match="bytes or text"):
        pseudonymize(pd.DataFrame({"a": ["x"]}), ["a"], 12345)  # type: ignore[arg-type]


def test_key_and_identifiers_never_appear_in_the_output() -> None:
    df = pd.DataFrame({"ssn": ["123-45-6789"], "name": ["Smith"], "served": [3]})
    out = pseudonymize(df, ["ssn", "name"], KEY)
    assert list(out.columns) == ["token", "served"]
    assert out.attrs["pseudonymization"]["fields"] == ["ssn", "name"]
    blob = pickle.dumps(out) + repr(out.attrs).encode()
    buf = io.BytesIO()
    out.to_parquet(buf)
    for secret in (KEY.encode(), b"6789", b"Smith", b"smith"):
        assert secret not in blob
        assert secret not in buf.getvalue()
    assert list(df.columns) == ["ssn", "name", "served"]  # input untouched


def test_missing_identifiers_are_reported_by_row() -> None:
    df = pd.DataFrame({"ssn": ["1", None, "3", "---"]})
    with pytest.raises(PseudonymizationError, match=r"rows \[1, 3\]"):
        pseudonymize(df, ["ssn"], KEY)
    with pytest.raises(PseudonymizationError, match="'dob' not found"):
        pseudonymize(df, ["dob"], KEY)


@given(st.text(min_size=1, max_size=20))
def test_property_canonical_text_is_idempotent(text: str) -> None:
    try:
        once = canonicalize(text)
    except PseudonymizationError:
        return
    assert canonicalize(once) == once
    assert canonicalize(f"  {text}\t") == once
    assert "|" not in once
