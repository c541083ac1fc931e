"""Tests for feedbackloop.period."""

from __future__ import annotations

import calendar
import datetime as dt
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from feedbackloop import period as period_module
from feedbackloop.errors import FeedbackloopError, PeriodError
from feedbackloop.period import Period, PeriodKind, parse_many, parse_period

D = dt.date
SHAPES = (
    "accepted shapes: 2020, 2013/14, 2015-2019, 2015/16 to 2017/18, 2020-Q3, 2020-05, 2020-W05, "
    "2020-05-17"
)


# --------------------------------------------------------------- accepted shapes


@pytest.mark.parametrize(
    ("value", "start", "end", "kind", "label"),
    [
        # calendar years
        (2020, D(2020, 1, 1), D(2020, 12, 31), PeriodKind.YEAR, "2020"),
        ("2020", D(2020, 1, 1), D(2020, 12, 31), PeriodKind.YEAR, "2020"),
        ("  2020\n", D(2020, 1, 1), D(2020, 12, 31), PeriodKind.YEAR, "2020"),
        # school / fiscal years (July-June by default)
        ("2013/14", D(2013, 7, 1), D(2014, 6, 30), PeriodKind.FISCAL_YEAR, "2013/14"),
        ("2013/2014", D(2013, 7, 1), D(2014, 6, 30), PeriodKind.FISCAL_YEAR, "2013/14"),
        ("2006/07", D(2006, 7, 1), D(2007, 6, 30), PeriodKind.FISCAL_YEAR, "2006/07"),
        ("1999/00", D(1999, 7, 1), D(2000, 6, 30), PeriodKind.FISCAL_YEAR, "1999/00"),
        ("1999/2000", D(1999, 7, 1), D(2000, 6, 30), PeriodKind.FISCAL_YEAR, "1999/00"),
        # ACS multi-year estimates
        ("2015-2019", D(2015, 1, 1), D(2019, 12, 31), PeriodKind.MULTI_YEAR, "2015-2019"),
        ("2005-2009", D(2005, 1, 1), D(2009, 12, 31), PeriodKind.MULTI_YEAR, "2005-2009"),
        ("2019-2021", D(2019, 1, 1), D(2021, 12, 31), PeriodKind.MULTI_YEAR, "2019-2021"),
        # spans of fiscal years
        (
            "2015/16 to 2017/18",
            D(2015, 7, 1),
            D(2018, 6, 30),
            PeriodKind.FISCAL_RANGE,
            "2015/16 to 2017/18",
        ),
        (
            "2007/08 to 2008/09",
            D(2007, 7, 1),
            D(2009, 6, 30),
            PeriodKind.FISCAL_RANGE,
            "2007/08 to 2008/09",
        ),
        (
            "2015/2016  TO  2017/2018",
            D(2015, 7, 1),
            D(2018, 6, 30),
            PeriodKind.FISCAL_RANGE,
            "2015/16 to 2017/18",
        ),
        # quarters
        ("2020-Q3", D(2020, 7, 1), D(2020, 9, 30), PeriodKind.QUARTER, "2020-Q3"),
        ("2020Q3", D(2020, 7, 1), D(2020, 9, 30), PeriodKind.QUARTER, "2020-Q3"),
        ("2020 Q3", D(2020, 7, 1), D(2020, 9, 30), PeriodKind.QUARTER, "2020-Q3"),
        ("2020-Q1", D(2020, 1, 1), D(2020, 3, 31), PeriodKind.QUARTER, "2020-Q1"),
        ("2020-Q4", D(2020, 10, 1), D(2020, 12, 31), PeriodKind.QUARTER, "2020-Q4"),
        # months: a two-digit suffix after a hyphen is always a month
        ("2020-05", D(2020, 5, 1), D(2020, 5, 31), PeriodKind.MONTH, "2020-05"),
        ("2011-12", D(2011, 12, 1), D(2011, 12, 31), PeriodKind.MONTH, "2011-12"),
        ("2020-02", D(2020, 2, 1), D(2020, 2, 29), PeriodKind.MONTH, "2020-02"),
        ("2019-02", D(2019, 2, 1), D(2019, 2, 28), PeriodKind.MONTH, "2019-02"),
        # days
        ("2020-05-17", D(2020, 5, 17), D(2020, 5, 17), PeriodKind.DAY, "2020-05-17"),
        ("2020-02-29", D(2020, 2, 29), D(2020, 2, 29), PeriodKind.DAY, "2020-02-29"),
        # ranges are classified by their dates
        ("2015 to 2019", D(2015, 1, 1), D(2019, 12, 31), PeriodKind.MULTI_YEAR, "2015-2019"),
        ("2020 to 2020", D(2020, 1, 1), D(2020, 12, 31), PeriodKind.YEAR, "2020"),
        ("2015/16 to 2015/16", D(2015, 7, 1), D(2016, 6, 30), PeriodKind.FISCAL_YEAR, "2015/16"),
        ("2020-07 to 2020-09", D(2020, 7, 1), D(2020, 9, 30), PeriodKind.QUARTER, "2020-Q3"),
        (
            "2020-03 to 2020-05-17",
            D(2020, 3, 1),
            D(2020, 5, 17),
            PeriodKind.RANGE,
            "2020-03 to 2020-05-17",
        ),
        (
            "2020-Q1 to 2020-Q2",
            D(2020, 1, 1),
            D(2020, 6, 30),
            PeriodKind.RANGE,
            "2020-01 to 2020-06",
        ),
        (
            "2015 to 2017/18",
            D(2015, 1, 1),
            D(2018, 6, 30),
            PeriodKind.RANGE,
            "2015 to 2018-06",
        ),
        (
            "2020-01-15 to 2020-01-20",
            D(2020, 1, 15),
            D(2020, 1, 20),
            PeriodKind.RANGE,
            "2020-01-15 to 2020-01-20",
        ),
        (
            "2015-2017 to 2016-2018",
            D(2015, 1, 1),
            D(2018, 12, 31),
            PeriodKind.MULTI_YEAR,
            "2015-2018",
        ),
        # extremes of datetime.date
        ("0001", D(1, 1, 1), D(1, 12, 31), PeriodKind.YEAR, "0001"),
        (9999, D(9999, 1, 1), D(9999, 12, 31), PeriodKind.YEAR, "9999"),
        ("9998/99", D(9998, 7, 1), D(9999, 6, 30), PeriodKind.FISCAL_YEAR, "9998/99"),
    ],
)
def test_parse_shapes(
    value: str | int, start: dt.date, end: dt.date, kind: PeriodKind, label: str
) -> None:
    p = Period.parse(value)
    assert (p.start, p.end, p.kind) == (start, end, kind)
    assert p.label == label
    assert str(p) == label
    assert repr(p) == f"Period({label!r})"
    assert Period.parse(label) == p


def test_real_labels_all_parse_to_their_canonical_label() -> None:
    labels = [
        "2020",
        "2013/14",
        "2006/07",
        "2015-2019",
        "2005-2009",
        "2015/16 to 2017/18",
        "2007/08 to 2008/09",
        "2020-Q3",
        "2020-05",
        "2020-05-17",
    ]
    assert [str(Period.parse(x)) for x in labels] == labels


@pytest.mark.parametrize(
    ("month", "start", "end"),
    [
        (4, D(2013, 4, 1), D(2014, 3, 31)),  # UK financial year
        (10, D(2013, 10, 1), D(2014, 9, 30)),  # US federal fiscal year
        (9, D(2013, 9, 1), D(2014, 8, 31)),
        (2, D(2013, 2, 1), D(2014, 1, 31)),
        (12, D(2013, 12, 1), D(2014, 11, 30)),
        (3, D(2015, 3, 1), D(2016, 2, 29)),  # ends on a leap day
    ],
)
def test_fiscal_start_month(month: int, start: dt.date, end: dt.date) -> None:
    first = start.year
    p = Period.parse(f"{first}/{(first + 1) % 100:02d}", fiscal_start_month=month)
    assert (p.start, p.end, p.kind) == (start, end, PeriodKind.FISCAL_YEAR)
    assert str(p) == f"{first}/{(first + 1) % 100:02d}"
    assert repr(p) == f"Period({str(p)!r}, fiscal_start_month={month})"
    assert p != Period.parse(str(p))  # the label does not record the start month
    assert Period.parse(str(p), fiscal_start_month=month) == p


def test_fiscal_range_with_start_month() -> None:
    p = Period.parse("2015/16 to 2017/18", fiscal_start_month=4)
    assert (p.start, p.end, p.kind) == (D(2015, 4, 1), D(2018, 3, 31), PeriodKind.FISCAL_RANGE)
    # the same dates read with the default July start are a generic range
    q = Period.parse(str(p.start)[:7] + " to " + str(p.end)[:7])
    assert (q.start, q.end, q.kind) == (p.start, p.end, PeriodKind.RANGE)
    assert q != p
    assert str(q) == "2015-04 to 2018-03"


def test_calendar_shapes_do_not_depend_on_fiscal_start_month() -> None:
    for label in ["2020", "2015-2019", "2020-Q3", "2020-05", "2020-05-17"]:
        assert Period.parse(label, fiscal_start_month=4) == Period.parse(label)


def test_parse_returns_period_as_is() -> None:
    p = Period.parse("2013/14", fiscal_start_month=4)
    assert Period.parse(p) is p
    assert Period.parse(p, fiscal_start_month=10) is p


def test_parse_accepts_integral_like_numpy_ints() -> None:
    np = pytest.importorskip("numpy")
    assert Period.parse(np.int64(2020)) == Period.parse(2020)  # type: ignore[arg-type]
    assert parse_many([np.int32(2019)]) == [Period.parse(2019)]  # type: ignore[list-item]


def test_parse_period_is_an_alias_and_all_is_sorted() -> None:
    assert parse_period == Period.parse
    assert parse_period("2015-2019") == Period.parse("2015-2019")
    assert period_module.__all__ == sorted(period_module.__all__)
    assert set(period_module.__all__) == {"Period", "PeriodKind", "parse_many", "parse_period"}


# ------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2020-13", "month must be 01-12"),
        ("2020-00", "month must be 01-12"),
        ("2013-14", "a two-digit suffix after a hyphen is a month"),
        ("2020-Q5", "quarter must be Q1-Q4"),
        ("2020-Q0", "quarter must be Q1-Q4"),
        ("2020Q12", "quarter must be Q1-Q4"),
        ("2013/15", "2013/15 should be 2013/14"),
        ("2013/13", "should be 2013/14"),
        ("2013/2015", "should be 2013/14"),
        ("1999/99", "should be 1999/00"),
        ("2019-2015", "must be after the first"),
        ("2015-2015", "must be after the first"),
        ("2018 to 2015", "the range ends (2015-12-31) before it starts (2018-01-01)"),
        ("2017/18 to 2015/16", "before it starts"),
        ("2020 to 2020-06", "must not start or end before the first"),
        ("2016 to 2015-2019", "must not start or end before the first"),
        ("2015/16 to 2017/19", "in '2017/19'"),
        ("2015 to 2016 to 2017", "in '2016 to 2017'"),
        ("2020-02-30", "not a valid date"),
        ("2019-02-29", "not a valid date"),
        ("2020-13-01", "not a valid date"),
        ("0000", "out of range"),
        ("9999/00", "year 10000 is out of range"),
        ("hello", "not a recognised period shape"),
        ("FY2014", "not a recognised period shape"),
        ("2015–2019", "not a recognised period shape"),  # en dash
        ("2020-5", "not a recognised period shape"),
        ("20", "not a recognised period shape"),
        ("20201", "not a recognised period shape"),
        ("2020 to", "not a recognised period shape"),
        ("to 2020", "not a recognised period shape"),
        ("２０２０", "not a recognised period shape"),  # fullwidth digits
        ("", "the label is empty"),
        ("   ", "the label is empty"),
        ("2020 to  ", "not a recognised period shape"),
        (2020.0, "not float"),
        (2020.5, "not float"),
        (None, "not NoneType"),
        (True, "not bool"),
        (b"2020", "not bytes"),
        (0, "year 0 is out of range"),
        (-5, "out of range"),
        (10_000, "out of range"),
    ],
)
def test_parse_errors_name_the_value(value: object, reason: str) -> None:
    with pytest.raises(PeriodError) as info:
        Period.parse(value)  # type: ignore[arg-type]
    message = str(info.value)
    assert message.startswith(f"cannot parse period {value!r}: ")
    assert reason in message
    assert message.endswith(SHAPES)
    # PeriodError is also a ValueError and a FeedbackloopError, and pickles
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, FeedbackloopError)
    assert str(pickle.loads(pickle.dumps(info.value))) == message


def test_error_message_exact() -> None:
    with pytest.raises(PeriodError) as info:
        Period.parse("2020-13")
    assert str(info.value) == (
        "cannot parse period '2020-13': month must be 01-12 (a two-digit suffix after a hyphen "
        "is a month; write a school or fiscal year as 2013/14); " + SHAPES
    )


@pytest.mark.parametrize("month", [0, 1, 13, -7, True, 7.0, "7", None])
def test_bad_fiscal_start_month(month: object) -> None:
    with pytest.raises(PeriodError, match="fiscal_start_month must be an int from 2 to 12"):
        Period.parse("2013/14", fiscal_start_month=month)  # type: ignore[arg-type]
    with pytest.raises(PeriodError, match="fiscal_start_month"):
        Period.from_dates(D(2020, 1, 1), D(2020, 2, 1), fiscal_start_month=month)  # type: ignore[arg-type]
    with pytest.raises(PeriodError, match="fiscal_start_month"):
        parse_many(["2020"], fiscal_start_month=month)  # type: ignore[arg-type]


# ---------------------------------------------------------------- construction


def test_constructor_fills_the_canonical_label() -> None:
    p = Period(D(2015, 7, 1), D(2018, 6, 30), PeriodKind.FISCAL_RANGE)
    assert p.label == "2015/16 to 2017/18"
    assert p == Period.parse("2015/16 to 2017/18")


def test_label_does_not_count_for_equality_or_hash() -> None:
    a = Period.parse("2013/14")
    b = Period(a.start, a.end, a.kind, "SY 2013-14")
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert str(b) == "SY 2013-14"
    assert repr(b) == "Period('2013/14', label='SY 2013-14')"


def test_kind_counts_for_equality() -> None:
    fy = Period.parse("2020/21", fiscal_start_month=4)
    rng = Period.parse("2020-04 to 2021-03")
    assert (fy.start, fy.end) == (rng.start, rng.end)
    assert fy != rng
    assert len({fy, rng}) == 2
    # ties on dates are broken by kind, so the order stays total
    assert (fy < rng) != (rng < fy)
    assert fy <= rng or rng <= fy


@pytest.mark.parametrize(
    ("start", "end", "kind", "message"),
    [
        (D(2020, 1, 2), D(2020, 1, 1), PeriodKind.DAY, "before it starts"),
        (D(2020, 1, 1), D(2020, 12, 31), PeriodKind.MONTH, "is not a MONTH period; it is a YEAR"),
        (D(2020, 1, 1), D(2020, 12, 31), PeriodKind.RANGE, "is not a RANGE period"),
        (D(2020, 1, 1), D(2020, 12, 30), PeriodKind.YEAR, "is not a YEAR period"),
        (D(2020, 2, 1), D(2020, 4, 30), PeriodKind.QUARTER, "is not a QUARTER period"),
        (D(2020, 1, 1), D(2022, 12, 31), PeriodKind.FISCAL_RANGE, "is not a FISCAL_RANGE"),
        (D(2020, 7, 1), D(2022, 6, 30), PeriodKind.FISCAL_YEAR, "is not a FISCAL_YEAR"),
        (D(2020, 7, 1), D(2021, 6, 30), PeriodKind.MULTI_YEAR, "is not a MULTI_YEAR"),
        (D(2020, 7, 1), D(2020, 7, 2), PeriodKind.DAY, "is not a DAY period"),
    ],
)
def test_constructor_checks_kind_fits_dates(
    start: dt.date, end: dt.date, kind: PeriodKind, message: str
) -> None:
    with pytest.raises(PeriodError, match=message):
        Period(start, end, kind)


def test_constructor_checks_types() -> None:
    with pytest.raises(PeriodError, match=r"Period\.start must be a datetime\.date"):
        Period("2020-01-01", D(2020, 1, 1), PeriodKind.DAY)  # type: ignore[arg-type]
    with pytest.raises(PeriodError, match=r"Period\.end must be a datetime\.date"):
        Period(D(2020, 1, 1), dt.datetime(2020, 1, 1), PeriodKind.DAY)
    with pytest.raises(PeriodError, match=r"Period\.kind must be a PeriodKind"):
        Period(D(2020, 1, 1), D(2020, 1, 1), "day")  # type: ignore[arg-type]
    with pytest.raises(PeriodError, match=r"Period\.label must be non-empty text"):
        Period(D(2020, 1, 1), D(2020, 1, 1), PeriodKind.DAY, " ")


def test_period_is_frozen() -> None:
    p = Period.parse(2020)
    with pytest.raises(AttributeError):
        p.start = D(2021, 1, 1)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("start", "end", "kind", "label"),
    [
        (D(2020, 1, 1), D(2020, 12, 31), PeriodKind.YEAR, "2020"),
        (D(2015, 1, 1), D(2019, 12, 31), PeriodKind.MULTI_YEAR, "2015-2019"),
        (D(2013, 7, 1), D(2014, 6, 30), PeriodKind.FISCAL_YEAR, "2013/14"),
        (D(2015, 7, 1), D(2018, 6, 30), PeriodKind.FISCAL_RANGE, "2015/16 to 2017/18"),
        (D(2020, 10, 1), D(2020, 12, 31), PeriodKind.QUARTER, "2020-Q4"),
        (D(2020, 2, 1), D(2020, 2, 29), PeriodKind.MONTH, "2020-02"),
        (D(2020, 2, 29), D(2020, 2, 29), PeriodKind.DAY, "2020-02-29"),
        (D(2020, 1, 1), D(2020, 3, 15), PeriodKind.RANGE, "2020-01 to 2020-03-15"),
        (D(2020, 1, 1), D(2021, 3, 15), PeriodKind.RANGE, "2020 to 2021-03-15"),
        (D(2020, 1, 2), D(2021, 12, 31), PeriodKind.RANGE, "2020-01-02 to 2021"),
        (D(2020, 1, 2), D(2020, 12, 31), PeriodKind.RANGE, "2020-01-02 to 2020-12"),
        (D(2020, 2, 1), D(2020, 3, 31), PeriodKind.RANGE, "2020-02 to 2020-03"),
        (D(2020, 3, 31), D(2020, 4, 1), PeriodKind.RANGE, "2020-03-31 to 2020-04-01"),
        (D(2014, 7, 1), D(2015, 6, 30), PeriodKind.FISCAL_YEAR, "2014/15"),
    ],
)
def test_from_dates(start: dt.date, end: dt.date, kind: PeriodKind, label: str) -> None:
    p = Period.from_dates(start, end)
    assert (p.start, p.end, p.kind, p.label) == (start, end, kind, label)
    assert Period.parse(label) == p


def test_from_dates_fiscal_start_month_and_label() -> None:
    p = Period.from_dates(D(2013, 4, 1), D(2014, 3, 31), fiscal_start_month=4)
    assert p.kind is PeriodKind.FISCAL_YEAR
    assert Period.from_dates(D(2013, 4, 1), D(2014, 3, 31)).kind is PeriodKind.RANGE
    q = Period.from_dates(D(2020, 1, 1), D(2020, 12, 31), "CY 2020")
    assert str(q) == "CY 2020"
    assert q == Period.parse(2020)
    r = Period.from_dates(dt.datetime(2020, 5, 17, 13, 45), dt.datetime(2020, 5, 17, 8))
    assert r == Period.parse("2020-05-17")


def test_from_dates_errors() -> None:
    with pytest.raises(PeriodError, match=r"ends \(2019-12-31\) before it starts \(2020-01-01\)"):
        Period.from_dates(D(2020, 1, 1), D(2019, 12, 31))
    with pytest.raises(PeriodError, match=r"expected a datetime\.date, got str '2020-01-01'"):
        Period.from_dates("2020-01-01", D(2020, 1, 1))  # type: ignore[arg-type]


# -------------------------------------------------------------------- ordering


def test_ordering_of_a_mixed_list() -> None:
    labels = [
        "2020-05-17",
        "2015-2019",
        "2020",
        "2013/14",
        "2020-Q3",
        "2015/16 to 2017/18",
        "2014-2018",
        "2015",
        "2020-05",
        "2010-2014",
        "2019/20",
        "2020-Q2",
    ]
    ordered = [str(p) for p in sorted(Period.parse(x) for x in labels)]
    assert ordered == [
        "2010-2014",  # 2010-01-01
        "2013/14",  # 2013-07-01
        "2014-2018",  # 2014-01-01
        "2015",  # 2015-01-01 .. 2015-12-31
        "2015-2019",  # 2015-01-01 .. 2019-12-31: same start, later end
        "2015/16 to 2017/18",  # 2015-07-01
        "2019/20",  # 2019-07-01
        "2020",  # 2020-01-01 .. 2020-12-31
        "2020-Q2",  # 2020-04-01
        "2020-05",  # 2020-05-01
        "2020-05-17",  # 2020-05-17
        "2020-Q3",  # 2020-07-01
    ]


def test_comparisons() -> None:
    y, acs = Period.parse(2015), Period.parse("2015-2019")
    assert y < acs
    assert y <= acs
    assert acs > y
    assert acs >= y
    assert not acs < y
    assert y <= Period.parse("2015")
    assert y >= Period.parse("2015")
    assert not y < Period.parse("2015")
    assert max(Period.parse("2021"), Period.parse("2020-Q4")) == Period.parse("2021")


def test_comparison_with_other_types_is_refused() -> None:
    p = Period.parse(2020)
    with pytest.raises(TypeError):
        _ = p < "2021"  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = p >= 2021  # type: ignore[operator]
    assert p != "2020"
    assert p != 2020


# ---------------------------------------------------------------- measurements


@pytest.mark.parametrize(
    ("label", "years", "midpoint"),
    [
        ("2020", 1.0, 2020.5),  # leap year
        ("2019", 1.0, 2019.5),
        ("2015-2019", 5.0, 2017.5),
        ("2005-2009", 5.0, 2007.5),
        ("2019-2021", 3.0, 2020.5),
        ("2020-01", 31 / 366, 2020 + 15.5 / 366),
        ("2020-Q1", 91 / 366, 2020 + 45.5 / 366),
        ("2019-Q2", 91 / 365, 2019 + (90 + 45.5) / 365),
        ("2020-05-17", 1 / 366, 2020 + 137.5 / 366),
        ("2019-12-31", 1 / 365, 2019 + 364.5 / 365),
    ],
)
def test_years_and_midpoint(label: str, years: float, midpoint: float) -> None:
    p = Period.parse(label)
    assert p.years == pytest.approx(years, abs=1e-12)
    assert p.midpoint == pytest.approx(midpoint, abs=1e-12)


def test_midpoints_are_exact_for_whole_years() -> None:
    assert Period.parse(2020).midpoint == 2020.5
    assert Period.parse("2015-2019").midpoint == 2017.5
    assert Period.parse(2020).years == 1.0
    assert Period.parse("2015-2019").years == 5.0


def test_fiscal_year_midpoint() -> None:
    p = Period.parse("2013/14")
    # from 2013 + 181/365 to 2014 + 181/365
    assert p.midpoint == pytest.approx(2013.5 + 181 / 365, abs=1e-12)
    assert p.years == pytest.approx(1.0, abs=1e-12)
    leap = Period.parse("2015/16")  # 2015-07-01 .. 2016-06-30
    assert leap.years == pytest.approx(2016 + 182 / 366 - 2015 - 181 / 365, abs=1e-12)


def test_years_between() -> None:
    assert Period.parse(2020).years_between(2024) == 4.0
    assert Period.parse(2024).years_between("2020") == -4.0
    assert Period.parse("2015-2019").years_between("2025-2029") == 10.0
    assert Period.parse("2015-2019").years_between(2017) == 0.0
    assert Period.parse(2020).years_between(Period.parse(2020)) == 0.0
    assert Period.parse("2013/14").years_between("2014/15") == pytest.approx(1.0, abs=0.01)
    assert Period.parse("2020-Q1").years_between("2020-Q3") == pytest.approx(0.5, abs=0.01)


def test_is_multi_year() -> None:
    assert Period.parse("2015-2019").is_multi_year
    assert Period.parse("2007/08 to 2008/09").is_multi_year
    assert Period.parse("2020 to 2021-01").is_multi_year
    for label in ["2020", "2015/16", "2013/14", "2020-Q3", "2020-05", "2020-05-17"]:
        assert not Period.parse(label).is_multi_year, label


@pytest.mark.parametrize(
    ("label", "year"),
    [
        ("2020", 2020),
        ("2013/14", 2014),
        ("2015-2019", 2019),
        ("2015/16 to 2017/18", 2018),
        ("2020-Q3", 2020),
        ("2011-12", 2011),
        ("2020-05-17", 2020),
        ("2020-12 to 2021-01", 2021),
    ],
)
def test_year(label: str, year: int) -> None:
    assert Period.parse(label).year == year


# ------------------------------------------------------------------- relations


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2015/16 to 2017/18", "2017/18 to 2019/20", True),
        ("2010-2014", "2015-2019", False),
        ("2014-2018", "2015-2019", True),
        ("2011-2015", "2016-2020", False),
        ("2015-2019", "2019", True),
        ("2015-2019", "2020", False),
        ("2013/14", "2014", True),
        ("2013/14", "2014-07", False),
        ("2013/14", "2014-06-30", True),
        ("2013/14", "2013-06-30", False),
        ("2020-Q3", "2020-09", True),
        ("2020-Q3", "2020-10-01", False),
        ("2020", "2020", True),
    ],
)
def test_overlaps(a: str, b: str, expected: bool) -> None:
    pa, pb = Period.parse(a), Period.parse(b)
    assert pa.overlaps(pb) is expected
    assert pb.overlaps(pa) is expected
    assert pa.overlaps(b) is expected  # text is parsed


@pytest.mark.parametrize(
    ("a", "b", "years"),
    [
        ("2014-2018", "2015-2019", 4.0),
        ("2010-2014", "2015-2019", 0.0),
        ("2015-2019", "2019", 1.0),
        ("2015-2019", "2015-2019", 5.0),
        ("2015/16 to 2017/18", "2017/18 to 2019/20", 1.0),
        ("2020", "2020-Q3", 92 / 366),
    ],
)
def test_overlap_years(a: str, b: str, years: float) -> None:
    pa, pb = Period.parse(a), Period.parse(b)
    assert pa.overlap_years(pb) == pytest.approx(years, abs=1e-12)
    assert pb.overlap_years(a) == pytest.approx(years, abs=1e-12)


def test_overlap_share_of_consecutive_acs_periods_is_exact() -> None:
    a = Period.parse("2014-2018")
    assert a.overlap_years("2015-2019") / a.years == 0.8


def test_contains() -> None:
    fy = Period.parse("2013/14")
    assert fy.contains(D(2013, 7, 1))
    assert fy.contains(D(2014, 6, 30))
    assert not fy.contains(D(2013, 6, 30))
    assert not fy.contains(D(2014, 7, 1))
    assert fy.contains(dt.datetime(2014, 6, 30, 23, 59))
    assert fy.contains("2014-Q2")
    assert fy.contains("2013-07-01")
    assert not fy.contains("2014-Q3")
    assert not fy.contains("2014")  # only partly inside
    assert fy.contains(fy)
    assert Period.parse("2015-2019").contains(2017)
    assert Period.parse("2015-2019").contains("2016-2018")
    assert not Period.parse("2016-2018").contains("2015-2019")
    with pytest.raises(PeriodError, match="cannot parse period 'x'"):
        fy.contains("x")


# ---------------------------------------------------------------- parse_many


def test_parse_many() -> None:
    values = ["2020", "2013/14", " 2020 ", 2020, "2020", Period.parse("2015-2019")]
    out = parse_many(values)
    assert out == [Period.parse(v) for v in values]
    assert out[0] is out[4]
    assert parse_many(x for x in ["2015/16", "2015/16"]) == [Period.parse("2015/16")] * 2
    assert parse_many([]) == []


def test_parse_many_fiscal_start_month() -> None:
    (p,) = parse_many(["2013/14"], fiscal_start_month=4)
    assert p.start == D(2013, 4, 1)


def test_parse_many_is_fast_for_few_distinct_values() -> None:
    values = ["2020", "2013/14", "2015-2019", "2020-Q3", "2020-05"] * 200_000
    out = parse_many(values)
    assert len(out) == 1_000_000
    assert len({id(p) for p in out}) == 5


@pytest.mark.parametrize(
    ("values", "bad"),
    [
        (["2020", "2020-13"], "'2020-13'"),
        ([2020, 2020.0], "2020.0"),  # equal to 2020 as a key, still refused
        ([1, True], "True"),
        (["2020", None], "None"),
        (["2020", ["2020"]], "['2020']"),  # unhashable
    ],
)
def test_parse_many_errors(values: list[object], bad: str) -> None:
    with pytest.raises(PeriodError, match=rf"^cannot parse period {re.escape(bad)}:"):
        parse_many(values)  # type: ignore[arg-type]


# ------------------------------------------------------------------- misc


def test_pickle_and_copy_round_trip() -> None:
    import copy

    for label in ["2020", "2013/14", "2015/16 to 2017/18", "2020-03 to 2020-05-17"]:
        p = Period.parse(label)
        assert pickle.loads(pickle.dumps(p)) == p
        assert copy.deepcopy(p) == p
    b = Period.from_dates(D(2020, 1, 1), D(2020, 12, 31), "CY 2020")
    assert str(pickle.loads(pickle.dumps(b))) == "CY 2020"


def test_module_import_does_not_load_numpy_or_pandas() -> None:
    src = Path(period_module.__file__).resolve().parents[1]
    code = (
        "import sys, types\n"
        # a bare package object, so that feedbackloop/__init__.py (and what it imports) is skipped
        f"pkg = types.ModuleType('feedbackloop'); pkg.__path__ = [{str(src / 'feedbackloop')!r}]\n"
        "sys.modules['feedbackloop'] = pkg\n"
        "import feedbackloop.period as m\n"
        "assert m.Period.parse('2015-2019').midpoint == 2017.5\n"
        "print(sorted(k for k in ('numpy', 'pandas') if k in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


# ------------------------------------------------------------------ properties

years = st.integers(min_value=1, max_value=9998)
fiscal_months = st.integers(min_value=2, max_value=12)
dates = st.dates(min_value=D(1, 1, 1), max_value=D(9999, 12, 31))


def _fy(first: int) -> str:
    return f"{first:04d}/{(first + 1) % 100:02d}"


@st.composite
def labelled(draw: st.DrawFn) -> tuple[str, int, dt.date, dt.date, PeriodKind]:
    """A label written by hand, with the fiscal start month and the dates it must give."""
    kind = draw(st.sampled_from(list(PeriodKind)))
    fm = draw(fiscal_months)
    if kind is PeriodKind.YEAR:
        y = draw(years)
        return f"{y:04d}", fm, D(y, 1, 1), D(y, 12, 31), kind
    if kind is PeriodKind.MULTI_YEAR:
        a = draw(st.integers(1, 9998))
        b = draw(st.integers(a + 1, 9999))
        return f"{a:04d}-{b:04d}", fm, D(a, 1, 1), D(b, 12, 31), kind
    if kind is PeriodKind.FISCAL_YEAR:
        y = draw(years)
        long = draw(st.booleans())
        text = f"{y:04d}/{y + 1:04d}" if long else _fy(y)
        return text, fm, D(y, fm, 1), D(y + 1, fm, 1) - dt.timedelta(days=1), kind
    if kind is PeriodKind.FISCAL_RANGE:
        a = draw(st.integers(1, 9997))
        n = draw(st.integers(2, min(30, 9999 - a)))
        end = D(a + n, fm, 1) - dt.timedelta(days=1)
        return f"{_fy(a)} to {_fy(a + n - 1)}", fm, D(a, fm, 1), end, kind
    if kind is PeriodKind.QUARTER:
        y, q = draw(years), draw(st.integers(1, 4))
        sep = draw(st.sampled_from(["-", "", " "]))
        last = 3 * q
        end = D(y, last, calendar.monthrange(y, last)[1])
        return f"{y:04d}{sep}Q{q}", fm, D(y, last - 2, 1), end, kind
    if kind is PeriodKind.MONTH:
        y, m = draw(years), draw(st.integers(1, 12))
        return f"{y:04d}-{m:02d}", fm, D(y, m, 1), D(y, m, calendar.monthrange(y, m)[1]), kind
    if kind is PeriodKind.DAY:
        d = draw(dates)
        return d.isoformat(), fm, d, d, kind
    if kind is PeriodKind.WEEK:
        d = draw(st.dates(min_value=D(1, 1, 8), max_value=D(9999, 12, 20)))
        monday = d - dt.timedelta(days=d.weekday())
        iso_year, week, _ = monday.isocalendar()
        sep = draw(st.sampled_from(["-", ""]))
        return f"{iso_year:04d}{sep}W{week:02d}", fm, monday, monday + dt.timedelta(days=6), kind
    # RANGE: two days; the kind is whatever the dates make (usually RANGE)
    a, b = sorted([draw(dates), draw(dates)])
    return f"{a.isoformat()} to {b.isoformat()}", fm, a, b, kind


@st.composite
def periods(draw: st.DrawFn) -> tuple[Period, int]:
    """A period of any kind, with the fiscal start month it was built with."""
    text, fm, _start, _end, _kind = draw(labelled())
    if draw(st.booleans()):
        # a span with coarse ends, to exercise the RANGE labels
        other, _, _, _, _ = draw(labelled())
        a, b = Period.parse(text, fiscal_start_month=fm), Period.parse(other, fiscal_start_month=fm)
        first, second = sorted([a, b], key=lambda p: (p.start, p.end))
        assume(second.end >= first.end)
        return Period.from_dates(first.start, second.end, fiscal_start_month=fm), fm
    return Period.parse(text, fiscal_start_month=fm), fm


@given(labelled())
def test_hand_written_labels_parse_to_their_dates(
    case: tuple[str, int, dt.date, dt.date, PeriodKind],
) -> None:
    text, fm, start, end, kind = case
    p = Period.parse(text, fiscal_start_month=fm)
    assert (p.start, p.end) == (start, end)
    if kind is not PeriodKind.RANGE:
        assert p.kind is kind
    assert p.start <= p.end


@given(periods())
def test_round_trip_through_the_label(case: tuple[Period, int]) -> None:
    p, fm = case
    q = Period.parse(str(p), fiscal_start_month=fm)
    assert q == p
    assert q.label == p.label
    assert Period.parse(f"  {p}  ", fiscal_start_month=fm) == p
    assert Period.from_dates(p.start, p.end, fiscal_start_month=fm) == p
    assert Period(p.start, p.end, p.kind) == p
    calendar_kinds = {
        PeriodKind.YEAR,
        PeriodKind.MULTI_YEAR,
        PeriodKind.QUARTER,
        PeriodKind.MONTH,
        PeriodKind.WEEK,
        PeriodKind.DAY,
    }
    if p.kind in calendar_kinds:  # their labels do not depend on the fiscal start month
        assert Period.parse(str(p)) == p


@given(st.lists(periods().map(lambda c: c[0]), min_size=2, max_size=8))
def test_order_is_total_and_follows_start_then_end(ps: list[Period]) -> None:
    s = sorted(ps)
    keys = [(p.start, p.end) for p in s]
    assert keys == sorted(keys)
    for a in ps:
        for b in ps:
            assert sum([a < b, a == b, a > b]) == 1  # trichotomy
            assert (a <= b) == (a < b or a == b)
            assert (a >= b) == (a > b or a == b)
            if (a.start, a.end) != (b.start, b.end):
                assert (a < b) == ((a.start, a.end) < (b.start, b.end))


@given(periods().map(lambda c: c[0]), periods().map(lambda c: c[0]))
def test_overlaps_is_symmetric(a: Period, b: Period) -> None:
    assert a.overlaps(b) == b.overlaps(a)
    # another way to say it: one of them starts inside the other
    assert a.overlaps(b) == (a.contains(b.start) or b.contains(a.start))
    if a.contains(b):
        assert a.overlaps(b)
    shared = a.overlap_years(b)
    assert (shared > 0) == a.overlaps(b)
    assert shared <= min(a.years, b.years) + 1e-9


@given(periods().map(lambda c: c[0]))
def test_period_overlaps_and_contains_itself(p: Period) -> None:
    assert p.overlaps(p)
    assert p.contains(p)
    assert p.contains(p.start)
    assert p.contains(p.end)


@given(periods().map(lambda c: c[0]))
def test_measures(p: Period) -> None:
    assert p.years > 0
    days = (p.end - p.start).days + 1
    assert p.years == pytest.approx(days / 365.25, rel=0.01, abs=2 / 365)
    start_year = p.start.year + (p.start.timetuple().tm_yday - 1) / (
        366 if calendar.isleap(p.start.year) else 365
    )
    assert start_year < p.midpoint < start_year + p.years
    assert p.midpoint == pytest.approx(start_year + p.years / 2, abs=1e-9)
    assert p.is_multi_year == (p.years > 1.01)
    assert p.year in (p.start.year, p.end.year)


@given(periods().map(lambda c: c[0]), periods().map(lambda c: c[0]))
def test_years_between_is_antisymmetric(a: Period, b: Period) -> None:
    assert a.years_between(b) == -b.years_between(a)
    assert a.years_between(a) == 0.0
    if a.midpoint < b.midpoint:
        assert a.years_between(b) > 0


@given(st.integers(min_value=1, max_value=9999), st.integers(min_value=1, max_value=9999))
def test_years_between_whole_years_is_exact(a: int, b: int) -> None:
    assert Period.parse(a).years_between(b) == float(b - a)


@given(st.text(max_size=20))
def test_arbitrary_text_parses_or_raises_period_error(text: str) -> None:
    try:
        p = Period.parse(text)
    except PeriodError as err:
        message = str(err)
    else:
        assert Period.parse(str(p)) == p
        return
    quoted = repr(text) if len(repr(text)) <= 80 else repr(text)[:79] + "…'"
    assert message.startswith(f"cannot parse period {quoted}: ")  # at most ~80 characters
    assert message.endswith(SHAPES)


# ---------------------------------------------------------------- ISO weeks


@pytest.mark.parametrize(
    ("label", "start", "end", "canonical"),
    [
        ("2020-W05", dt.date(2020, 1, 27), dt.date(2020, 2, 2), "2020-W05"),
        ("2020W01", dt.date(2019, 12, 30), dt.date(2020, 1, 5), "2020-W01"),
        ("2020-w53", dt.date(2020, 12, 28), dt.date(2021, 1, 3), "2020-W53"),
        ("2015-W53", dt.date(2015, 12, 28), dt.date(2016, 1, 3), "2015-W53"),
        ("2021-W01", dt.date(2021, 1, 4), dt.date(2021, 1, 10), "2021-W01"),
    ],
)
def test_iso_weeks(label: str, start: dt.date, end: dt.date, canonical: str) -> None:
    p = Period.parse(label)
    assert (p.start, p.end, p.kind, str(p)) == (start, end, PeriodKind.WEEK, canonical)
    assert Period.from_dates(start, end) == p
    assert Period.parse(str(p)) == p


@pytest.mark.parametrize(("label", "weeks"), [("2021-W53", 52), ("2020-W54", 53), ("2020-W00", 53)])
def test_iso_week_out_of_range_names_the_years_weeks(label: str, weeks: int) -> None:
    with pytest.raises(PeriodError, match=f"week must be W01-W{weeks}"):
        Period.parse(label)


@given(st.dates(min_value=dt.date(1, 1, 8), max_value=dt.date(9999, 12, 20)))
def test_every_week_round_trips(day: dt.date) -> None:
    monday = day - dt.timedelta(days=day.weekday())
    p = Period.from_dates(monday, monday + dt.timedelta(days=6))
    assert p.kind is PeriodKind.WEEK
    assert Period.parse(str(p)) == p
    assert p.start.isocalendar()[:2] == tuple(int(x) for x in str(p).split("-W"))
