"""Reporting periods: years, school and fiscal years, ACS multi-year spans and more.

Indicator data arrive labelled with periods of many shapes. :class:`Period`
turns each label into an inclusive span of dates with a :class:`PeriodKind`
and a canonical label, so that periods can be ordered, measured in years and
tested for overlap (the Census Bureau advises comparing only non-overlapping
multi-year ACS periods).

Accepted shapes (surrounding whitespace is ignored):

==========================  ===============  ======================================
label                       kind             span
==========================  ===============  ======================================
``2020`` (or int ``2020``)  YEAR             2020-01-01 .. 2020-12-31
``2013/14``, ``2013/2014``  FISCAL_YEAR      2013-07-01 .. 2014-06-30 (by default)
``2015-2019``               MULTI_YEAR       2015-01-01 .. 2019-12-31
``2015/16 to 2017/18``      FISCAL_RANGE     2015-07-01 .. 2018-06-30 (by default)
``2020-Q3``, ``2020Q3``     QUARTER          2020-07-01 .. 2020-09-30
``2020-05``                 MONTH            2020-05-01 .. 2020-05-31
``2020-W05``, ``2020W05``   WEEK             2020-01-27 .. 2020-02-02 (ISO 8601 week)
``2020-05-17``              DAY              2020-05-17 .. 2020-05-17
``A to B``                  (by its dates)   A.start .. B.end
==========================  ===============  ======================================

Rules worth knowing:

- A two-digit suffix after a hyphen is always an ISO **month**: ``2011-12`` is
  December 2011, never the school year 2011/12 (write that with a slash), and
  ``2013-14`` is an error.
- A fiscal or school year ``YYYY/YY`` starts on the 1st of
  ``fiscal_start_month`` (default 7, July) of ``YYYY`` and ends the day before
  that date in ``YYYY + 1``; ``YY`` must be the last two digits of ``YYYY + 1``.
  The label does not record the start month, so pass the same
  ``fiscal_start_month`` when reading a label back.
- In ``A to B`` (``to`` in any case, with spaces around it) each end is one of
  the other shapes; ``B`` must not start or end before ``A`` does. ``q`` may
  be lower case in quarters.
- The kind (and so the canonical label) follows from the dates alone: a range
  ``A to B`` spanning whole calendar years is a MULTI_YEAR (``2015 to 2019`` is
  ``2015-2019``), one spanning whole fiscal years is a FISCAL_RANGE, and any
  other span is a RANGE labelled by its ends (``2020-03 to 2020-05-17``).

Examples
--------
>>> from feedbackloop.period import Period
>>> p = Period.parse("2015-2019")
>>> p.start, p.end, p.midpoint
(datetime.date(2015, 1, 1), datetime.date(2019, 12, 31), 2017.5)
>>> sorted([Period.parse("2020"), Period.parse("2013/14"), p])
[Period('2013/14'), Period('2015-2019'), Period('2020')]
>>> Period.parse("2010-2014").overlaps("2015-2019")
False
"""

from __future__ import annotations

import calendar
import datetime
import enum
import functools
import numbers
import operator
import re
from collections.abc import Iterable

import attrs

from feedbackloop._util import shorten
from feedbackloop.errors import PeriodError

__all__ = ["Period", "PeriodKind", "parse_many", "parse_period"]

# The shapes listed in every parse error.
_ACCEPTED_SHAPES = (
    "2020, 2013/14, 2015-2019, 2015/16 to 2017/18, 2020-Q3, 2020-05, 2020-W05, 2020-05-17"
)

_DEFAULT_FISCAL_START_MONTH = 7
_MULTI_YEAR_TOLERANCE = 0.01
_PARSE_CACHE_SIZE = 65_536

_ONE_DAY = datetime.timedelta(days=1)

# [0-9] rather than \d: \d also matches non-ASCII digits such as "٢٠٢٠".
_YEAR_RE = re.compile(r"([0-9]{4})")
_FISCAL_RE = re.compile(r"([0-9]{4})/([0-9]{2}|[0-9]{4})")
_MULTI_RE = re.compile(r"([0-9]{4})-([0-9]{4})")
_QUARTER_RE = re.compile(r"([0-9]{4})(?:-|\s*)[Qq]([0-9]+)")
_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")
_DAY_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_WEEK_RE = re.compile(r"([0-9]{4})-?[Ww]([0-9]{2})")
_RANGE_RE = re.compile(r"(.+?)\s+to\s+(.+)", re.IGNORECASE)


class PeriodKind(enum.Enum):
    """The shape of a :class:`Period`.

    The kind follows from the period's dates (and, for fiscal periods, from the
    month the fiscal year starts in); see :meth:`Period.from_dates`.
    """

    #: A calendar year, ``2020``.
    YEAR = "year"
    #: A school or fiscal year, ``2013/14``.
    FISCAL_YEAR = "fiscal_year"
    #: Several whole calendar years, such as an ACS 5-year estimate, ``2015-2019``.
    MULTI_YEAR = "multi_year"
    #: Several whole fiscal years, ``2015/16 to 2017/18``.
    FISCAL_RANGE = "fiscal_range"
    #: A calendar quarter, ``2020-Q3``.
    QUARTER = "quarter"
    #: A calendar month, ``2020-05``.
    MONTH = "month"
    #: An ISO 8601 week, Monday to Sunday, ``2020-W05`` (week 1 holds the year's first Thursday).
    WEEK = "week"
    #: A single day, ``2020-05-17``.
    DAY = "day"
    #: Any other span of days, ``2020-03 to 2020-05-17``.
    RANGE = "range"


# Tie-break for periods with the same dates but different kinds (declaration order).
_KIND_RANK: dict[PeriodKind, int] = {k: i for i, k in enumerate(PeriodKind)}


class _Bad(Exception):
    """Internal: why a label does not parse (wrapped into a PeriodError)."""


# ------------------------------------------------------------------ date helpers


def _days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def _day_of_year(d: datetime.date) -> int:
    return d.toordinal() - datetime.date(d.year, 1, 1).toordinal() + 1


def _decimal_year(d: datetime.date) -> float:
    """Decimal year at the start of day ``d``: ``year + (day_of_year - 1) / days``."""
    return d.year + (_day_of_year(d) - 1) / _days_in_year(d.year)


def _decimal_year_after(d: datetime.date) -> float:
    """Decimal year at the end of day ``d`` (the start of the next day).

    Computed without building ``d + 1 day``, so that 9999-12-31 works; the end
    of December 31 is exactly ``year + 1``.
    """
    return d.year + _day_of_year(d) / _days_in_year(d.year)


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def _is_year_start(d: datetime.date) -> bool:
    return d.month == 1 and d.day == 1


def _is_year_end(d: datetime.date) -> bool:
    return d.month == 12 and d.day == 31


def _is_month_end(d: datetime.date) -> bool:
    return d.day == calendar.monthrange(d.year, d.month)[1]


def _fiscal_years(start: datetime.date, end: datetime.date) -> int:
    """How many whole fiscal years ``start..end`` spans (0 if it is not such a span).

    A fiscal span starts on the 1st of a month other than January and ends the
    day before the same date one or more years later.
    """
    if start.day != 1 or start.month == 1:
        return 0
    n = end.year - start.year
    if n < 1 or end != datetime.date(end.year, start.month, 1) - _ONE_DAY:
        return 0
    return n


def _fits(kind: PeriodKind, start: datetime.date, end: datetime.date) -> bool:
    """Whether the inclusive span ``start..end`` has the shape of ``kind``."""
    if kind is PeriodKind.DAY:
        return start == end
    if kind is PeriodKind.YEAR:
        return _is_year_start(start) and _is_year_end(end) and start.year == end.year
    if kind is PeriodKind.MULTI_YEAR:
        return _is_year_start(start) and _is_year_end(end) and end.year > start.year
    if kind is PeriodKind.MONTH:
        return start.day == 1 and end == _month_end(start.year, start.month)
    if kind is PeriodKind.WEEK:
        return start.isoweekday() == 1 and (end - start).days == 6
    if kind is PeriodKind.QUARTER:
        return (
            start.day == 1
            and start.month % 3 == 1
            and end == _month_end(start.year, start.month + 2)
        )
    if kind is PeriodKind.FISCAL_YEAR:
        return _fiscal_years(start, end) == 1
    if kind is PeriodKind.FISCAL_RANGE:
        return _fiscal_years(start, end) > 1
    # RANGE: any span that is not a calendar shape (a fiscal shape may be a
    # RANGE when it does not start in the fiscal start month in use).
    return not any(_fits(k, start, end) for k in _CALENDAR_KINDS)


_CALENDAR_KINDS = (
    PeriodKind.DAY,
    PeriodKind.YEAR,
    PeriodKind.MULTI_YEAR,
    PeriodKind.MONTH,
    PeriodKind.QUARTER,
    PeriodKind.WEEK,
)


def _classify(start: datetime.date, end: datetime.date, fiscal_start_month: int) -> PeriodKind:
    for kind in _CALENDAR_KINDS:
        if _fits(kind, start, end):
            return kind
    if start.month == fiscal_start_month:
        n = _fiscal_years(start, end)
        if n == 1:
            return PeriodKind.FISCAL_YEAR
        if n > 1:
            return PeriodKind.FISCAL_RANGE
    return PeriodKind.RANGE


# ----------------------------------------------------------------------- labels


def _fiscal_label(first_year: int) -> str:
    return f"{first_year:04d}/{(first_year + 1) % 100:02d}"


def _range_start_label(start: datetime.date, end: datetime.date) -> str:
    """Label ``start`` by the coarsest unit (year, month, day) that ends by ``end``."""
    if _is_year_start(start) and datetime.date(start.year, 12, 31) <= end:
        return f"{start.year:04d}"
    if start.day == 1 and _month_end(start.year, start.month) <= end:
        return f"{start.year:04d}-{start.month:02d}"
    return start.isoformat()


def _range_end_label(start: datetime.date, end: datetime.date) -> str:
    """Label ``end`` by the coarsest unit (year, month, day) that starts from ``start``."""
    if _is_year_end(end) and datetime.date(end.year, 1, 1) >= start:
        return f"{end.year:04d}"
    if _is_month_end(end) and datetime.date(end.year, end.month, 1) >= start:
        return f"{end.year:04d}-{end.month:02d}"
    return end.isoformat()


def _canonical_label(start: datetime.date, end: datetime.date, kind: PeriodKind) -> str:
    if kind is PeriodKind.YEAR:
        return f"{start.year:04d}"
    if kind is PeriodKind.MULTI_YEAR:
        return f"{start.year:04d}-{end.year:04d}"
    if kind is PeriodKind.FISCAL_YEAR:
        return _fiscal_label(start.year)
    if kind is PeriodKind.FISCAL_RANGE:
        return f"{_fiscal_label(start.year)} to {_fiscal_label(end.year - 1)}"
    if kind is PeriodKind.QUARTER:
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    if kind is PeriodKind.MONTH:
        return f"{start.year:04d}-{start.month:02d}"
    if kind is PeriodKind.WEEK:
        iso_year, week, _ = start.isocalendar()
        return f"{iso_year:04d}-W{week:02d}"
    if kind is PeriodKind.DAY:
        return start.isoformat()
    return f"{_range_start_label(start, end)} to {_range_end_label(start, end)}"


# ----------------------------------------------------------------------- Period


def _check_fiscal_start_month(fiscal_start_month: object) -> int:
    if (
        isinstance(fiscal_start_month, bool)
        or not isinstance(fiscal_start_month, int)
        or not 2 <= fiscal_start_month <= 12
    ):
        raise PeriodError(
            f"fiscal_start_month must be an int from 2 to 12 (got {fiscal_start_month!r}); "
            "a fiscal year starting in January is the calendar year"
        )
    return fiscal_start_month


def _plain_date(value: object) -> datetime.date:
    """``value`` as a plain date (a datetime loses its time of day)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if not isinstance(value, datetime.date):
        raise PeriodError(f"expected a datetime.date, got {type(value).__name__} {value!r}")
    return value


@attrs.frozen(repr=False)
class Period:
    """An inclusive span of days with a kind and a canonical label.

    Build one with :meth:`parse` (or :func:`parse_period`) from a label, or with
    :meth:`from_dates` from two dates. The constructor checks that ``kind``
    fits the dates and fills ``label`` with the canonical label when omitted.

    Periods are equal (and hash alike) when their ``start``, ``end`` and
    ``kind`` are equal; ``label`` does not count. They order by ``(start, end)``
    (then by kind, declaration order of :class:`PeriodKind`, for the rare
    periods with the same dates and different kinds), so a YEAR sorts before a
    MULTI_YEAR that starts with it.

    Parameters
    ----------
    start : datetime.date
        First day of the period.
    end : datetime.date
        Last day of the period (inclusive), not before ``start``.
    kind : PeriodKind
        The period's shape; it must fit the dates (a YEAR runs from January 1
        to December 31 of one year, ...).
    label : str, optional
        Defaults to the canonical label. A different label is kept verbatim as
        the text of ``str(period)``; only canonical labels parse back.

    Examples
    --------
    >>> import datetime
    >>> p = Period(datetime.date(2020, 1, 1), datetime.date(2020, 12, 31), PeriodKind.YEAR)
    >>> p
    Period('2020')
    >>> p == Period.parse(2020), str(p), p.years, p.midpoint
    (True, '2020', 1.0, 2020.5)
    >>> Period.parse("2020") < Period.parse("2020-2024") < Period.parse("2021")
    True
    """

    start: datetime.date
    end: datetime.date
    kind: PeriodKind
    label: str = attrs.field(eq=False)

    @label.default
    def _default_label(self) -> str:
        self._check_types()
        return _canonical_label(self.start, self.end, self.kind)

    def _check_types(self) -> None:
        values: tuple[object, ...] = (self.start, self.end)
        for name, value in zip(("start", "end"), values, strict=True):
            if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
                raise PeriodError(
                    f"Period.{name} must be a datetime.date, got {type(value).__name__} {value!r}"
                )
        kind: object = self.kind
        if not isinstance(kind, PeriodKind):
            raise PeriodError(f"Period.kind must be a PeriodKind, got {kind!r}")

    def __attrs_post_init__(self) -> None:
        self._check_types()
        if not isinstance(self.label, str) or not self.label.strip():
            raise PeriodError(f"Period.label must be non-empty text, got {self.label!r}")
        if self.end < self.start:
            raise PeriodError(f"period ends ({self.end}) before it starts ({self.start})")
        if not _fits(self.kind, self.start, self.end):
            raise PeriodError(
                f"{self.start}..{self.end} is not a {self.kind.name} period; "
                f"it is a {_classify(self.start, self.end, self.start.month).name}"
            )

    # ---------------------------------------------------------------- builders

    @classmethod
    def parse(
        cls,
        value: Period | str | int,
        *,
        fiscal_start_month: int = _DEFAULT_FISCAL_START_MONTH,
    ) -> Period:
        """Parse a period label, a year or a period.

        Parameters
        ----------
        value : Period, str or int
            A label in one of the accepted shapes (``2020``, ``2013/14`` or
            ``2013/2014``, ``2015-2019``, ``2015/16 to 2017/18``, ``2020-Q3``
            or ``2020Q3`` or ``2020 Q3``, ``2020-05``, ``2020-05-17``, or
            ``A to B`` for any two of these), an int year, or a
            :class:`Period` (returned as is). Surrounding whitespace is ignored.
            Floats are refused (``2020.0`` is more likely a value than a year).
        fiscal_start_month : int, default 7
            Month (2-12) a fiscal or school year starts in: 7 for July-June
            school years, 4 for the UK financial year, 10 for the US federal
            fiscal year.

        Returns
        -------
        Period
            The parsed period; ``str()`` of it is the canonical label.

        Raises
        ------
        PeriodError
            If the value does not parse; the message quotes the value, says
            why, and lists the accepted shapes.

        Examples
        --------
        >>> Period.parse(" 2013/2014 ")
        Period('2013/14')
        >>> p = Period.parse("2013/14", fiscal_start_month=4)
        >>> p.start, p.end
        (datetime.date(2013, 4, 1), datetime.date(2014, 3, 31))
        >>> Period.parse("2020 Q3").label, Period.parse("2011-12").kind
        ('2020-Q3', <PeriodKind.MONTH: 'month'>)
        >>> Period.parse("2015 to 2019")
        Period('2015-2019')
        >>> Period.parse("2020-13")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        feedbackloop.errors.PeriodError: cannot parse period '2020-13': month must be 01-12 ...
        """
        if isinstance(value, Period):
            return value
        fiscal_start_month = _check_fiscal_start_month(fiscal_start_month)
        if isinstance(value, str):
            return _parse_text(value, fiscal_start_month)
        obj: object = value  # callers also pass numpy ints, floats, None, ...
        if not isinstance(obj, bool) and isinstance(obj, numbers.Integral):
            try:
                start, end = _year_span(operator.index(obj))
            except _Bad as bad:
                raise _error(obj, str(bad)) from None
            return Period(start, end, PeriodKind.YEAR)
        hint = " (write the year as an int or text, e.g. 2020)" if isinstance(obj, float) else ""
        raise _error(
            obj,
            "a period must be a text label, an int year or a Period, "
            f"not {type(obj).__name__}{hint}",
        )

    @classmethod
    def from_dates(
        cls,
        start: datetime.date,
        end: datetime.date,
        label: str | None = None,
        *,
        fiscal_start_month: int = _DEFAULT_FISCAL_START_MONTH,
    ) -> Period:
        """Build the period running from ``start`` to ``end`` (inclusive).

        The kind follows from the dates: January 1 to December 31 of one year
        is a YEAR, of several years a MULTI_YEAR; a whole month, quarter or day
        is a MONTH, QUARTER or DAY; whole fiscal years starting in
        ``fiscal_start_month`` are a FISCAL_YEAR or FISCAL_RANGE; anything else
        is a RANGE.

        Parameters
        ----------
        start, end : datetime.date
            First and last day; a ``datetime`` is reduced to its date.
        label : str, optional
            A label to show instead of the canonical one (kept verbatim; it
            does not take part in equality and need not parse).
        fiscal_start_month : int, default 7
            Month (2-12) fiscal years start in, to recognise fiscal spans.

        Returns
        -------
        Period

        Raises
        ------
        PeriodError
            If ``end`` is before ``start`` or an argument has the wrong type.

        Examples
        --------
        >>> import datetime
        >>> Period.from_dates(datetime.date(2015, 7, 1), datetime.date(2018, 6, 30))
        Period('2015/16 to 2017/18')
        >>> Period.from_dates(datetime.date(2020, 3, 1), datetime.date(2020, 5, 17))
        Period('2020-03 to 2020-05-17')
        >>> str(Period.from_dates(datetime.date(2020, 1, 1), datetime.date(2020, 12, 31), "CY20"))
        'CY20'
        """
        fiscal_start_month = _check_fiscal_start_month(fiscal_start_month)
        start, end = _plain_date(start), _plain_date(end)
        if end < start:
            raise PeriodError(f"period ends ({end}) before it starts ({start})")
        kind = _classify(start, end, fiscal_start_month)
        if label is None:
            return cls(start, end, kind)
        return cls(start, end, kind, label)

    # -------------------------------------------------------------- measures

    @property
    def years(self) -> float:
        """Length in decimal years (from the start of ``start`` to the end of ``end``).

        Examples
        --------
        >>> Period.parse("2015-2019").years, Period.parse(2020).years
        (5.0, 1.0)
        >>> round(Period.parse("2020-Q1").years, 4)
        0.2486
        """
        return _decimal_year_after(self.end) - _decimal_year(self.start)

    @property
    def midpoint(self) -> float:
        """Middle of the period in decimal years.

        The mean of the decimal year at the start of ``start`` and at the end
        of ``end``, where a day's decimal year is
        ``year + (day_of_year - 1) / days_in_that_year``.

        Examples
        --------
        >>> Period.parse(2020).midpoint, Period.parse("2015-2019").midpoint
        (2020.5, 2017.5)
        >>> round(Period.parse("2013/14").midpoint, 3)  # about New Year's Eve 2013
        2013.996
        """
        return (_decimal_year(self.start) + _decimal_year_after(self.end)) / 2

    def years_between(self, other: Period | str | int) -> float:
        """Years from this period's midpoint to ``other``'s (negative if earlier).

        Parameters
        ----------
        other : Period, str or int
            Parsed with :meth:`parse` if not a Period.

        Returns
        -------
        float
            ``other.midpoint - self.midpoint``.

        Examples
        --------
        >>> Period.parse(2020).years_between(2024)
        4.0
        >>> Period.parse("2015-2019").years_between("2025-2029")
        10.0
        """
        return Period.parse(other).midpoint - self.midpoint

    @property
    def is_multi_year(self) -> bool:
        """Whether the period is longer than a year (by more than 0.01 years).

        Examples
        --------
        >>> Period.parse("2015-2019").is_multi_year, Period.parse("2013/14").is_multi_year
        (True, False)
        """
        return self.years > 1 + _MULTI_YEAR_TOLERANCE

    @property
    def year(self) -> int:
        """A single year that stands for the period.

        For a YEAR its calendar year; for every other kind the year of its last
        day, so ``2013/14`` is 2014 (as in "FY2014") and the ACS ``2015-2019``
        is 2019 (its release year).

        Examples
        --------
        >>> Period.parse(2020).year, Period.parse("2013/14").year, Period.parse("2015-2019").year
        (2020, 2014, 2019)
        """
        if self.kind is PeriodKind.YEAR:
            return self.start.year
        return self.end.year

    # -------------------------------------------------------------- relations

    def overlaps(self, other: Period | str | int) -> bool:
        """Whether the two periods share at least one day.

        Parameters
        ----------
        other : Period, str or int
            Parsed with :meth:`parse` if not a Period.

        Returns
        -------
        bool

        Examples
        --------
        >>> Period.parse("2014-2018").overlaps("2015-2019")
        True
        >>> Period.parse("2010-2014").overlaps("2015-2019")
        False
        """
        o = Period.parse(other)
        return self.start <= o.end and o.start <= self.end

    def overlap_years(self, other: Period | str | int) -> float:
        """Length, in decimal years (as :attr:`years`), of the days both periods share.

        Divide by :attr:`years` for the overlap share ``C`` of the Census
        overlapping-period correction; whole calendar years give exact ratios.

        Parameters
        ----------
        other : Period, str or int
            Parsed with :meth:`parse` if not a Period.

        Returns
        -------
        float
            0.0 when the periods do not overlap.

        Examples
        --------
        >>> a = Period.parse("2014-2018")
        >>> a.overlap_years("2015-2019"), a.overlap_years("2015-2019") / a.years
        (4.0, 0.8)
        >>> a.overlap_years("2019-2023")
        0.0
        """
        o = Period.parse(other)
        first, last = max(self.start, o.start), min(self.end, o.end)
        if last < first:
            return 0.0
        return _decimal_year_after(last) - _decimal_year(first)

    def contains(self, item: datetime.date | Period | str | int) -> bool:
        """Whether a day, or every day of a period, falls within this period.

        Parameters
        ----------
        item : datetime.date, Period, str or int
            A date (a ``datetime`` counts by its date) or a period; text and
            ints are parsed as periods (``"2020-05-17"`` is that day).

        Returns
        -------
        bool

        Examples
        --------
        >>> import datetime
        >>> fy = Period.parse("2013/14")
        >>> fy.contains(datetime.date(2014, 6, 30)), fy.contains("2014-Q3")
        (True, False)
        >>> Period.parse("2015-2019").contains(2017)
        True
        """
        if isinstance(item, datetime.date):
            day = _plain_date(item)
            return self.start <= day <= self.end
        p = Period.parse(item)
        return self.start <= p.start and p.end <= self.end

    # ------------------------------------------------------------- dunders

    def _key(self) -> tuple[datetime.date, datetime.date, int]:
        return (self.start, self.end, _KIND_RANK[self.kind])

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._key() < other._key()

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._key() <= other._key()

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._key() > other._key()

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._key() >= other._key()

    def __str__(self) -> str:
        return self.label

    def __repr__(self) -> str:
        canonical = _canonical_label(self.start, self.end, self.kind)
        extra = ""
        fiscal = self.kind in (PeriodKind.FISCAL_YEAR, PeriodKind.FISCAL_RANGE)
        if fiscal and self.start.month != _DEFAULT_FISCAL_START_MONTH:
            extra += f", fiscal_start_month={self.start.month}"
        if self.label != canonical:
            extra += f", label={self.label!r}"
        return f"Period({canonical!r}{extra})"


parse_period = Period.parse


def parse_many(
    values: Iterable[Period | str | int],
    *,
    fiscal_start_month: int = _DEFAULT_FISCAL_START_MONTH,
) -> list[Period]:
    """Parse many labels, each distinct label once.

    Meant for columns of labels with few distinct values (10 million rows of a
    dozen periods parse in about a second): labels are looked up in a
    per-call table before falling back to :meth:`Period.parse`, which itself
    keeps a bounded cache of recently parsed labels.

    Parameters
    ----------
    values : iterable of Period, str or int
        The labels, in any iterable (a list, a pandas Series, a generator).
    fiscal_start_month : int, default 7
        As for :meth:`Period.parse`.

    Returns
    -------
    list of Period
        One period per value, in order; equal labels give the same object.

    Raises
    ------
    PeriodError
        At the first value that does not parse.

    Examples
    --------
    >>> ps = parse_many(["2020", "2013/14", "2020", 2020])
    >>> ps
    [Period('2020'), Period('2013/14'), Period('2020'), Period('2020')]
    >>> ps[0] is ps[2]
    True
    """
    fiscal_start_month = _check_fiscal_start_month(fiscal_start_month)
    memo = _Memo(fiscal_start_month)
    out: list[Period] = []
    append = out.append
    for value in values:
        try:
            append(memo[value])
        except TypeError:  # unhashable: let parse say what is wrong with it
            append(Period.parse(value, fiscal_start_month=fiscal_start_month))
    return out


class _Memo(dict[object, Period]):
    """Per-call table of parsed labels; only text keys are stored.

    Ints are not stored: ``2020.0`` and ``True`` are equal to ints as dict keys
    and must still be refused by :meth:`Period.parse`.
    """

    def __init__(self, fiscal_start_month: int) -> None:
        super().__init__()
        self.fiscal_start_month = fiscal_start_month

    def __missing__(self, key: object) -> Period:
        period = Period.parse(key, fiscal_start_month=self.fiscal_start_month)  # type: ignore[arg-type]
        if type(key) is str:
            self[key] = period
        return period


# ---------------------------------------------------------------------- parsing


def _error(value: object, reason: str) -> PeriodError:
    return PeriodError(
        f"cannot parse period {shorten(value)}: {reason}; accepted shapes: {_ACCEPTED_SHAPES}"
    )


@functools.lru_cache(maxsize=_PARSE_CACHE_SIZE)
def _parse_text(value: str, fiscal_start_month: int) -> Period:
    try:
        start, end = _span(value.strip(), fiscal_start_month, allow_range=True)
    except _Bad as bad:
        raise _error(value, str(bad)) from None
    return Period(start, end, _classify(start, end, fiscal_start_month))


def _year(text: str) -> int:
    year = int(text)
    if year < 1:
        raise _Bad(f"year {text} is out of range (0001-9999)")
    return year


def _year_span(year: int) -> tuple[datetime.date, datetime.date]:
    if not 1 <= year <= 9999:
        raise _Bad(f"year {year} is out of range (0001-9999)")
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def _span(
    text: str, fiscal_start_month: int, *, allow_range: bool
) -> tuple[datetime.date, datetime.date]:
    """Return the inclusive dates a (stripped) label covers; raise _Bad if none."""
    if not text:
        raise _Bad("the label is empty")
    if m := _YEAR_RE.fullmatch(text):
        return _year_span(_year(m[1]))
    if m := _MONTH_RE.fullmatch(text):
        year, month = _year(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise _Bad(
                "month must be 01-12 (a two-digit suffix after a hyphen is a month; "
                "write a school or fiscal year as 2013/14)"
            )
        return datetime.date(year, month, 1), _month_end(year, month)
    if m := _MULTI_RE.fullmatch(text):
        first, last = _year(m[1]), _year(m[2])
        if last <= first:
            raise _Bad(
                f"the second year of a multi-year period must be after the first ({m[1]}-{m[2]})"
            )
        return datetime.date(first, 1, 1), datetime.date(last, 12, 31)
    if m := _FISCAL_RE.fullmatch(text):
        return _fiscal_span(m[1], m[2], fiscal_start_month)
    if m := _QUARTER_RE.fullmatch(text):
        year, quarter = _year(m[1]), int(m[2])
        if not 1 <= quarter <= 4:
            raise _Bad(f"quarter must be Q1-Q4 (got Q{m[2]})")
        first_month = 3 * quarter - 2
        return datetime.date(year, first_month, 1), _month_end(year, first_month + 2)
    if m := _WEEK_RE.fullmatch(text):
        return _week_span(_year(m[1]), int(m[2]))
    if m := _DAY_RE.fullmatch(text):
        try:
            day = datetime.date(_year(m[1]), int(m[2]), int(m[3]))
        except ValueError as err:
            raise _Bad(f"not a valid date ({err})") from None
        return day, day
    if allow_range and (m := _RANGE_RE.fullmatch(text)):
        return _range_span(m[1], m[2], fiscal_start_month)
    raise _Bad("not a recognised period shape")


def _week_span(iso_year: int, week: int) -> tuple[datetime.date, datetime.date]:
    """Monday to Sunday of ISO week ``week`` of ``iso_year`` (ISO 8601)."""
    try:
        monday = datetime.date.fromisocalendar(iso_year, week, 1)
    except ValueError:
        weeks = datetime.date(iso_year, 12, 28).isocalendar()[1]
        raise _Bad(f"week must be W01-W{weeks:02d} in ISO year {iso_year:04d}") from None
    return monday, monday + datetime.timedelta(days=6)


def _fiscal_span(
    first_text: str, second_text: str, fiscal_start_month: int
) -> tuple[datetime.date, datetime.date]:
    first = _year(first_text)
    expected = _fiscal_label(first)
    if len(second_text) == 4:
        ok = int(second_text) == first + 1
    else:
        ok = int(second_text) == (first + 1) % 100
    if not ok:
        raise _Bad(
            f"the second year of a school or fiscal year must follow the first "
            f"({first_text}/{second_text} should be {expected})"
        )
    if first + 1 > 9999:
        raise _Bad(f"year {first + 1} is out of range (0001-9999)")
    start = datetime.date(first, fiscal_start_month, 1)
    end = datetime.date(first + 1, fiscal_start_month, 1) - _ONE_DAY
    return start, end


def _range_span(
    first_text: str, second_text: str, fiscal_start_month: int
) -> tuple[datetime.date, datetime.date]:
    ends = []
    for text in (first_text, second_text):
        try:
            ends.append(_span(text.strip(), fiscal_start_month, allow_range=False))
        except _Bad as bad:
            raise _Bad(f"in {shorten(text)}: {bad}") from None
    (a_start, a_end), (b_start, b_end) = ends
    if b_end < a_start:
        raise _Bad(f"the range ends ({b_end}) before it starts ({a_start})")
    if b_start < a_start or b_end < a_end:
        raise _Bad(f"the second end ({second_text}) must not start or end before the first")
    return a_start, b_end
