"""Record linkage across agencies: accuracy on synthetic truth, bias warnings, bad input."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedbackloop.errors import LinkageKeyError
from feedbackloop.linkage import (
    BlockingError,
    DuplicateRecordError,
    IdentifierExportError,
    Linkage,
    LinkageInputError,
    MatchRateWarning,
    link,
    tokenize,
)
from feedbackloop.measures import from_records
from feedbackloop.series import TOTAL
from feedbackloop.testing.linkage import BIASED, STANDARD, CorruptionProfile, make_agencies

pytest.importorskip("splink", reason="the linkage extra (splink) is not installed")

KEY = "k" * 32
NO_GAPS = CorruptionProfile(missing=0.0)  # deterministic tokens need every field
OTHER_KEY = "z" * 32


def _pairs_by_truth(crosswalk: pd.DataFrame, truth: pd.DataFrame) -> tuple[set, set]:
    cw = crosswalk.merge(truth, on=["agency", "record_id"])
    a, b = cw[cw["agency"] == "a"], cw[cw["agency"] == "b"]
    true = set(zip(*a.merge(b, on="person")[["record_id_x", "record_id_y"]].T.values, strict=True))
    found = set(
        zip(*a.merge(b, on="person_id")[["record_id_x", "record_id_y"]].T.values, strict=True)
    )
    return true, found


@pytest.fixture(scope="module")
def standard() -> tuple[Linkage, pd.DataFrame]:
    syn = make_agencies(2000, profile=STANDARD, seed=1)
    return link(syn.files, key=KEY), syn.truth


def test_precision_and_recall_at_the_default_threshold(standard) -> None:  # type: ignore[no-untyped-def]
    lk, truth = standard
    true, found = _pairs_by_truth(lk.crosswalk, truth)
    precision = len(true & found) / len(found)
    recall = len(true & found) / len(true)
    assert len(true) > 1000
    assert precision >= 0.95
    assert recall >= 0.95


def test_crosswalk_is_pseudonymous_and_complete(standard) -> None:  # type: ignore[no-untyped-def]
    lk, truth = standard
    cw = lk.crosswalk
    assert list(cw.columns) == ["agency", "record_id", "person_id"]
    assert len(cw) == len(truth)
    assert cw["person_id"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert not set(lk.pairs.columns) & {"first", "last", "dob", "first_l", "dob_r"}


def test_even_profile_reports_quality_without_warning(standard) -> None:  # type: ignore[no-untyped-def]
    lk, _ = standard
    with warnings.catch_warnings():
        warnings.simplefilter("error", MatchRateWarning)
        q = lk.quality()
    assert q.warnings == ()
    assert q.threshold == 0.8
    assert 0.95 <= q.precision <= 1 and 0.9 <= q.recall <= 1
    rates = q.match_rates
    assert set(rates["column"]) == {"all", "race", "sex"}
    overall_a = rates[(rates["agency"] == "a") & (rates["column"] == "all")]["match_rate"].item()
    assert 0.6 < overall_a < 0.8  # coverage 0.75 of the other agency
    assert len(q.review) == 20
    lo, hi = q.threshold - 0.15, q.threshold + 0.15
    assert q.review["match_probability"].between(lo, hi).all()
    assert "threshold 0.8" in str(q)


def test_biased_profile_warns_naming_the_group() -> None:
    syn = make_agencies(1600, profile=BIASED, seed=2)
    lk = link(syn.files, key=KEY)
    with pytest.warns(MatchRateWarning, match="race = 'hispanic'") as record:
        q = lk.quality(by=["race"])
    assert any("hispanic" in w for w in q.warnings)
    assert not any("'white'" in str(w.message) for w in record)


def test_identifiers_are_refused_unless_the_agreement_allows(standard, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lk, _ = standard
    analysis = lk.analysis()
    assert {"first", "last", "dob", "zip", "record_id"}.isdisjoint(analysis.columns)
    assert {"person_id", "agency", "race", "sex"} <= set(analysis.columns)
    with pytest.raises(IdentifierExportError, match="identifiers_allowed=False"):
        lk.analysis(include_identifiers=True)
    with pytest.raises(IdentifierExportError):
        lk.to_parquet(tmp_path / "x.parquet", include_identifiers=True)
    out = lk.to_parquet(tmp_path / "linked.parquet")
    assert set(pd.read_parquet(out).columns) == set(analysis.columns)
    cw = pd.read_parquet(lk.to_parquet(tmp_path / "cw.parquet", table="crosswalk"))
    assert list(cw.columns) == ["agency", "record_id", "person_id"]


def test_identifiers_allowed_keeps_them() -> None:
    syn = make_agencies(300, profile=NO_GAPS, seed=3)
    lk = link(syn.files, key=KEY, method="deterministic", identifiers_allowed=True)
    assert {"first", "dob", "record_id"} <= set(lk.analysis(include_identifiers=True).columns)


# ----------------------------------------------------------------- deterministic

_SPELLINGS = st.sampled_from(
    [
        lambda s: s,
        str.upper,
        str.lower,
        str.title,
        lambda s: f"  {s} ",
        lambda s: s[:1] + "-" + s[1:],
        lambda s: s[:1] + "'" + s[1:],
    ]
)


@settings(max_examples=40, deadline=None)
@given(
    first=st.sampled_from(["Robert", "Bob", "Rob", "robert", "BOBBY"]),
    last=st.sampled_from(["O'Brien", "obrien", "O BRIEN", "Óbrien"]),
    spell=_SPELLINGS,
    date_style=st.sampled_from(["iso", "us", "date"]),
)
def test_same_person_gets_the_same_token_under_every_spelling(
    first: str,
    last: str,
    spell,
    date_style: str,  # type: ignore[no-untyped-def]
) -> None:
    born = dt.date(2005, 3, 7)
    dob: object = {"iso": "2005-03-07", "us": "03/07/2005", "date": born}[date_style]
    fmt = "%m/%d/%Y" if date_style == "us" else None
    df = pd.DataFrame(
        {"record_id": [1], "first": [spell(first)], "last": [spell(last)], "dob": [dob]}
    )
    ref = pd.DataFrame(
        {"record_id": [1], "first": ["Robert"], "last": ["OBrien"], "dob": ["2005-03-07"]}
    )
    assert tokenize(df, KEY, date_format=fmt)["token"][0] == tokenize(ref, KEY)["token"][0]


@settings(max_examples=25, deadline=None)
@given(
    names=st.lists(
        st.text(alphabet="abcdefghij", min_size=2, max_size=8), min_size=1, max_size=6, unique=True
    )
)
def test_different_keys_are_unlinkable(names: list[str]) -> None:
    df = pd.DataFrame(
        {
            "record_id": range(len(names)),
            "first": names,
            "last": names,
            "dob": ["2001-01-01"] * len(names),
        }
    )
    a, b = tokenize(df, KEY), tokenize(df, OTHER_KEY)
    assert set(a["token"]).isdisjoint(b["token"])
    assert a["token"].is_unique


def test_deterministic_link_joins_agencies_sending_only_tokens() -> None:
    a = pd.DataFrame(
        {
            "record_id": ["p1", "p2"],
            "first": ["Bob", "Ann"],
            "last": ["Smith", "Lee"],
            "dob": ["2005-03-07", "2004-01-02"],
            "program": ["mentoring", "tutoring"],
        }
    )
    b = pd.DataFrame(
        {
            "record_id": ["s9", "s8"],
            "first": ["ROBERT", "Anne"],
            "last": ["smith", "Lee"],
            "dob": ["03/07/2005", "01/02/2004"],
        }
    )
    lk = link(
        {"program": tokenize(a, KEY), "schools": tokenize(b, KEY, date_format="%m/%d/%Y")},
        key=KEY,
        method="deterministic",
    )
    cw = lk.crosswalk.set_index(["agency", "record_id"])["person_id"]
    assert cw[("program", "p1")] == cw[("schools", "s9")]
    assert cw[("program", "p2")] != cw[("schools", "s8")]  # Ann != Anne: exact tokens
    assert lk.quality(by=[]).overall_match_rate == 0.5


# ----------------------------------------------------------------------- bad input


def _two() -> dict[str, pd.DataFrame]:
    syn = make_agencies(120, profile=NO_GAPS, seed=4)
    return {k: v.copy() for k, v in syn.files.items()}


def test_duplicate_ids_are_refused_by_name() -> None:
    files = _two()
    files["b"].loc[3, "record_id"] = files["b"].loc[5, "record_id"]
    with pytest.raises(DuplicateRecordError, match="agency 'b'") as err:
        link(files, key=KEY)
    assert err.value.ids == (files["b"].loc[5, "record_id"],)


def test_dates_in_another_format_name_the_column() -> None:
    syn = make_agencies(120, profile=NO_GAPS, date_formats={"b": "%m/%d/%Y"}, seed=5)
    with pytest.raises(LinkageInputError, match=r"agency 'b', column 'dob', row 0.*date_formats"):
        link(syn.files, key=KEY)
    lk = link(syn.files, key=KEY, method="deterministic", date_formats={"b": "%m/%d/%Y"})
    assert lk.quality(by=[]).overall_match_rate > 0.3


def test_text_in_the_wrong_encoding_is_refused() -> None:
    files = _two()
    files["a"].loc[7, "last"] = "JosÃ©"
    with pytest.raises(LinkageInputError, match=r"agency 'a', column 'last', row 7.*encoding"):
        link(files, key=KEY)
    files = _two()
    files["b"].loc[2, "first"] = "Jos\xe9".encode("latin-1")
    with pytest.raises(LinkageInputError, match=r"column 'first', row 2: .*not UTF-8"):
        link(files, key=KEY)


def test_empty_blocking_rule_is_named_with_a_suggestion() -> None:
    files = _two()
    files["b"]["zip"] = None
    with pytest.raises(BlockingError, match=r"'zip & last'.*use another") as err:
        link(files, key=KEY, blocking=[("dob",), ("zip", "last")])
    assert err.value.rule == "zip & last"


def test_short_keys_and_other_mistakes_are_refused() -> None:
    files = _two()
    with pytest.raises(LinkageKeyError, match="only 5 bytes"):
        link(files, key="short")
    with pytest.raises(LinkageKeyError):
        tokenize(files["a"], b"")
    with pytest.raises(LinkageInputError, match="two or more"):
        link({"a": files["a"]}, key=KEY)
    with pytest.raises(LinkageInputError, match="unknown standard column"):
        link(files, key=KEY, columns={"given": "first"})
    renamed = {k: v.rename(columns={"first": "given"}) for k, v in files.items()}
    with pytest.raises(LinkageInputError, match=r"column\(s\) 'first' not found"):
        link(renamed, key=KEY)
    assert link(renamed, key=KEY, columns={"first": "given"}, method="deterministic")


# ---------------------------------------------------------------- Hartford example


def _hartford() -> dict[str, pd.DataFrame]:
    syn = make_agencies(
        2400,
        ("program", "schools", "nsc"),
        coverage={"program": 0.5, "schools": 0.95, "nsc": 0.6},
        seed=6,
    )
    rng = np.random.default_rng(6)
    files = syn.files
    files["program"]["program"] = rng.choice(["mentoring", "tutoring"], len(files["program"]))
    files["program"]["cohort"] = "2023"
    files["schools"]["graduated"] = pd.Timestamp("2023-06-15")
    days = rng.integers(60, 600, len(files["nsc"]))
    files["nsc"]["enrolled_on"] = pd.Timestamp("2023-06-15") + pd.to_timedelta(days, unit="D")
    return files


def test_hartford_example_end_to_end() -> None:
    files = _hartford()
    lk = link(files, key=KEY)
    data = lk.analysis()
    prog = data[data["agency"] == "program"][["person_id", "program", "race", "sex", "cohort"]]
    grad = data[data["agency"] == "schools"].groupby("person_id")["graduated"].min()
    enr = data[data["agency"] == "nsc"].groupby("person_id")["enrolled_on"].min()
    prog = prog.assign(
        graduated=prog["person_id"].map(grad), enrolled_on=prog["person_id"].map(enr)
    )
    prog["sex"] = prog["sex"].fillna("Unknown")
    prog["found_in_schools"] = prog["graduated"].notna()
    within = (prog["enrolled_on"] - prog["graduated"]).dt.days.le(365)
    prog["college_within_year"] = within.where(prog["found_in_schools"], None).astype(object)
    series = from_records(
        prog,
        "better_off",
        program="college_access",
        client="person_id",
        period="cohort",
        dimensions=["program", "race", "sex"],
        completed="found_in_schools",
        better_off="college_within_year",
    )
    assert series.indicator.id == "college_access_better_off"
    f = series.frame
    top = f[(f["program"] == TOTAL) & (f["race"] == TOTAL) & (f["sex"] == TOTAL)]
    assert len(f) > 20 and len(top) == 1
    # truth: 60% of people are in the enrolment file, enrolled on day 60..600 after
    # graduating, so 0.6 * (365 - 60) / 540 = 34% enrol within a year
    assert 0.28 < float(top["value"].iloc[0]) / 100 < 0.40
    public = series.export("public")
    shown = public.frame.dropna(subset=["value"])
    assert (shown["denominator"] >= 11).all()
    assert public.frame["value"].isna().any()  # small cells are withheld
