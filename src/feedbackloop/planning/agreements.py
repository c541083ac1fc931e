"""Data-sharing agreements, and checking a delivered file against one.

A :class:`DataSharingAgreement` records what partners agreed: the parties, the
datasets and fields covered, the delivery format (CSV, XLSX or PDF), the
cadence and due dates, the permitted uses, who may see what (audiences, each
with a privacy-policy spec), and how long the data may be kept.
:meth:`DataSharingAgreement.check` takes a delivered file and its date and says
whether the delivery met the agreement: on time, in the agreed format,
readable by the named adapter, with the expected columns and periods. The
report, a :class:`DeliveryCheck`, holds one :class:`DeliveryCheckItem` per
check, prints as a checklist and turns into a DataFrame with
:meth:`DeliveryCheck.to_frame`.

Examples
--------
>>> import datetime as dt
>>> dsa = DataSharingAgreement(
...     id="usd_attendance", parties=["Unified School District", "Backbone"],
...     format="csv", cadence="quarterly", first_period="2024-Q1",
...     days_after_period_end=45)
>>> [str(d.due) for d in dsa.schedule(until=dt.date(2024, 12, 31))]
['2024-05-15', '2024-08-14', '2024-11-14']
"""

from __future__ import annotations

import datetime as _dt
import enum
import html
import inspect
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from attrs import field, frozen

from feedbackloop._util import locate, str_tuple, write_yaml
from feedbackloop.adapters import discover, get, read
from feedbackloop.errors import (
    AgreementError,
    PeriodError,
    PolicyError,
    Problem,
    UnknownAudienceError,
)
from feedbackloop.period import Period
from feedbackloop.planning._common import (
    SLUG,
    Cadence,
    Duration,
    add_months,
    opt_date,
    read_yaml_document,
    shift_period,
)
from feedbackloop.privacy import Policy, policy_from_dict

if TYPE_CHECKING:
    from feedbackloop.series import IndicatorSeries

__all__ = [
    "AgreementError",
    "DataSharingAgreement",
    "Delivery",
    "DeliveryCheck",
    "DeliveryCheckItem",
    "DeliveryFormat",
    "ScheduledDelivery",
    "UnknownAudienceError",
    "load_agreements",
]


class DeliveryFormat(enum.StrEnum):
    """The file format agreed for deliveries.

    .. versionadded:: 0.1.0
    """

    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"

    @classmethod
    def parse(cls, value: object) -> DeliveryFormat:
        """Accept a member or its name in any case (``"CSV"``, ``".xlsx"``, ``"excel"``)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            key = value.strip().lower().lstrip(".")
            key = {"excel": "xlsx", "xlsm": "xlsx"}.get(key, key)
            for member in cls:
                if key == member.value:
                    return member
        raise ValueError(f"must be one of csv, xlsx, pdf (got {value!r})")

    @property
    def default_adapter(self) -> str:
        """The built-in adapter that reads this format."""
        return {"csv": "csv", "xlsx": "excel", "pdf": "pdf"}[self.value]

    def __str__(self) -> str:
        return str(self.value)


def _format(value: object) -> DeliveryFormat:
    return DeliveryFormat.parse(value)


def _cadence(value: object) -> Cadence:
    return Cadence.parse(value)


def _opt_period(value: object) -> Period | None:
    if value is None:
        return None
    return Period.parse(value)  # type: ignore[arg-type]


def _mapping(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(value or {})


def _audience_spec(name: object, spec: object) -> dict[str, Any]:
    """Return one audience's privacy-policy spec, checked by ``policy_from_dict``.

    Raises
    ------
    PolicyError
        If the spec is not a mapping, or would not build a policy (an unknown
        method or field, a threshold that is not a whole number >= 1...).
    """
    if not isinstance(spec, Mapping):
        raise PolicyError(
            f"audience {name!r} must map to a privacy-policy spec such as "
            f"{{threshold: 11}} (got {spec!r})"
        )
    try:
        policy_from_dict(spec)
    except PolicyError as err:
        raise PolicyError(
            f"audience {name!r}: {err}; an audience's spec is a privacy policy such as "
            "{threshold: 11} or {method: round, base: 5}"
        ) from err
    return dict(spec)


def _audiences(value: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    if value is not None and not isinstance(value, Mapping):
        raise PolicyError(
            f"audiences must map each audience to a privacy-policy spec (got {value!r})"
        )
    return {str(name): _audience_spec(name, spec) for name, spec in (value or {}).items()}


def _audience_problems(value: object, where: Callable[..., str]) -> list[Problem]:
    """Every malformed audience of an agreement document, each at its own line.

    A problem about one field of a spec (``threshold must be ...``) is placed
    at that field's line when the document maps it.
    """
    if not isinstance(value, Mapping):
        return [Problem(where("audiences"), "must map each audience to a privacy-policy spec")]
    problems = []
    for name, spec in value.items():
        try:
            _audience_spec(name, spec)
        except PolicyError as err:
            cause = str(err.__cause__ or err)
            fields = (
                [k for k in spec if cause.startswith(str(k))] if isinstance(spec, Mapping) else []
            )
            problems.append(Problem(where("audiences", name, *fields[:1]), str(err)))
    return problems


def _retention(value: object) -> _dt.date | Duration | None:
    if value is None or isinstance(value, Duration):
        return value
    if isinstance(value, _dt.date):
        return value.date() if isinstance(value, _dt.datetime) else value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            return Duration.parse(value)
    raise TypeError(f"retention must be a date or a duration such as P3Y (got {value!r})")


def _slug(_inst: object, attr: Any, value: str) -> None:
    if not isinstance(value, str) or not SLUG.match(value):
        raise ValueError(
            f"{attr.name} must be an id of lower-case letters, digits and _ (got {value!r})"
        )


@frozen
class ScheduledDelivery:
    """One delivery the agreement expects: the period it covers (if known) and its due date.

    .. versionadded:: 0.1.0
    """

    due: _dt.date
    period: Period | None = None


@frozen(kw_only=True)
class Delivery:
    """A file a partner delivered.

    Parameters
    ----------
    path : str or path
        The file.
    received : datetime.date
        When it arrived.
    period : Period, optional
        The period it covers, if known (``"2024-Q1"``); otherwise the
        schedule's delivery nearest to ``received`` is assumed.
    due : datetime.date, optional
        The due date it answers, overriding the schedule.

    .. versionadded:: 0.1.0
    """

    path: str = field(converter=os.fspath)
    received: _dt.date = field(converter=opt_date)
    period: Period | None = field(default=None, converter=_opt_period)
    due: _dt.date | None = field(default=None, converter=opt_date)


@frozen(kw_only=True)
class DataSharingAgreement:
    """A data-sharing agreement between partners.

    Parameters
    ----------
    id : str
        Slug naming the agreement (data needs refer to it).
    title : str
        Its title.
    parties : tuple of str
        The organizations that signed it (at least two).
    datasets : tuple of str
        The datasets covered.
    fields : tuple of str
        The columns each delivery must have (and the only ones it may have).
    indicators : tuple of str
        Ids of the loop indicators the data feed.
    format : DeliveryFormat
        ``csv``, ``xlsx`` or ``pdf``.
    adapter : str, optional
        The adapter that reads deliveries (default by format: ``csv``,
        ``excel``, ``pdf``).
    read_options : mapping
        Options for the adapter's ``read`` (and ``discover``, where accepted).
    cadence : Cadence
        ``annual``, ``semiannual``, ``quarterly``, ``monthly`` or ``once``.
    first_due : datetime.date, optional
        The first due date; later ones follow the cadence.
    first_period : Period, optional
        The first period delivered (``2024-Q1``); later ones follow the cadence.
    days_after_period_end : int, optional
        With ``first_period`` and no ``first_due``: each delivery is due this
        many days after its period ends (quarterly, 45 days after quarter end).
    expires : datetime.date, optional
        The agreement's end; no delivery is due after it.
    permitted_uses : tuple of str
        What the data may be used for.
    audiences : mapping of str to mapping
        Who may see what: audience name → privacy-policy spec (plain data,
        e.g. ``{"threshold": 11}``), built by :meth:`policy`.
    retention : datetime.date or Duration, optional
        Keep the data until a date, or for a duration after each delivery
        (``P3Y``, ``"18 months"``).
    notes : str
        Free text.

    .. versionadded:: 0.1.0
    """

    id: str = field(validator=_slug)
    title: str = ""
    parties: tuple[str, ...] = field(converter=str_tuple)
    datasets: tuple[str, ...] = field(default=(), converter=str_tuple)
    fields: tuple[str, ...] = field(default=(), converter=str_tuple)
    indicators: tuple[str, ...] = field(default=(), converter=str_tuple)
    format: DeliveryFormat = field(converter=_format)
    adapter: str | None = None
    read_options: Mapping[str, Any] = field(factory=dict, converter=_mapping, hash=False)
    cadence: Cadence = field(default=Cadence.ONCE, converter=_cadence)
    first_due: _dt.date | None = field(default=None, converter=opt_date)
    first_period: Period | None = field(default=None, converter=_opt_period)
    days_after_period_end: int | None = None
    expires: _dt.date | None = field(default=None, converter=opt_date)
    permitted_uses: tuple[str, ...] = field(default=(), converter=str_tuple)
    audiences: Mapping[str, Mapping[str, Any]] = field(
        factory=dict, converter=_audiences, hash=False
    )
    retention: _dt.date | Duration | None = field(default=None, converter=_retention)
    notes: str = ""
    source: str = field(default="", eq=False)

    def __attrs_post_init__(self) -> None:
        who = f"agreement {self.id!r}"
        if len(self.parties) < 2:
            raise ValueError(f"{who} needs at least two parties (got {list(self.parties)})")
        days = self.days_after_period_end
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 0):
            raise ValueError(f"{who}: days_after_period_end must be a whole number >= 0")
        if days is not None and self.first_period is None:
            raise ValueError(
                f"{who}: days_after_period_end needs first_period (the first period delivered)"
            )
        if self.first_period is not None and self.first_due is None and days is None:
            raise ValueError(
                f"{who}: with first_period, give first_due or days_after_period_end so that "
                "due dates can be computed"
            )
        if len(set(self.fields)) != len(self.fields):
            raise ValueError(f"{who} lists a field twice: {list(self.fields)}")

    # -------------------------------------------------------------- schedule

    @property
    def reader(self) -> str:
        """The adapter that reads deliveries: ``adapter``, else the format's default."""
        return self.adapter or self.format.default_adapter

    def _nth(self, k: int) -> ScheduledDelivery:
        months = self.cadence.months * k
        period = shift_period(self.first_period, months) if self.first_period else None
        if self.first_due is not None:
            return ScheduledDelivery(due=add_months(self.first_due, months), period=period)
        assert period is not None and self.days_after_period_end is not None
        return ScheduledDelivery(
            due=period.end + _dt.timedelta(days=self.days_after_period_end), period=period
        )

    def schedule(
        self, *, until: _dt.date, since: _dt.date | None = None
    ) -> tuple[ScheduledDelivery, ...]:
        """Return the deliveries due from ``since`` (default: the first) to ``until``, inclusive.

        Due dates are computed from the first one by whole cadence steps (a
        31st becomes the month's last day, without drifting), and stop at
        ``expires``.
        """
        if self.first_due is None and self.first_period is None:
            return ()
        out = []
        k = 0
        while True:
            item = self._nth(k)
            if item.due > until or (self.expires is not None and item.due > self.expires):
                break
            if since is None or item.due >= since:
                out.append(item)
            if self.cadence is Cadence.ONCE:
                break
            k += 1
        return tuple(out)

    def next_due(self, as_of: _dt.date) -> ScheduledDelivery | None:
        """Return the first delivery due on or after ``as_of`` (``None`` when none is left)."""
        horizon = as_of + _dt.timedelta(days=31 * max(self.cadence.months, 1) + 366)
        items = self.schedule(until=horizon, since=as_of)
        return items[0] if items else None

    def expected(self, delivery: Delivery) -> ScheduledDelivery | None:
        """Return the scheduled delivery ``delivery`` answers.

        Its ``due`` if given; else the scheduled one for its ``period``; else
        the scheduled one whose due date is nearest ``received`` (the earlier
        on a tie).
        """
        if delivery.due is not None:
            return ScheduledDelivery(due=delivery.due, period=delivery.period)
        horizon = delivery.received + _dt.timedelta(days=31 * max(self.cadence.months, 1) + 366)
        if delivery.period is not None and delivery.period.end >= delivery.received:
            horizon = max(horizon, delivery.period.end + _dt.timedelta(days=3 * 366))
        items = self.schedule(until=horizon)
        if not items:
            return None
        if delivery.period is not None and self.first_period is not None:
            for item in items:
                p = item.period
                if p is not None and (p.start, p.end) == (
                    delivery.period.start,
                    delivery.period.end,
                ):
                    return item
            return None
        return min(items, key=lambda i: (abs((i.due - delivery.received).days), i.due))

    # --------------------------------------------------------- privacy, retention

    def policy(self, audience: str) -> Policy:
        """Build the privacy policy ``audience`` gets, from its spec.

        Uses :func:`feedbackloop.privacy.policy_from_dict`.

        Raises
        ------
        UnknownAudienceError
            If the agreement names no such audience.
        """
        if audience not in self.audiences:
            raise UnknownAudienceError(audience, list(self.audiences), agreement=self.id)
        return policy_from_dict(dict(self.audiences[audience]))

    def retention_until(self, received: _dt.date | None = None) -> _dt.date | None:
        """Return the day by which the data must be destroyed (``None``: no limit set).

        Parameters
        ----------
        received : datetime.date, optional
            When the delivery arrived; needed when retention is a duration.

        Raises
        ------
        ValueError
            If retention is a duration and ``received`` is not given.
        """
        if self.retention is None or isinstance(self.retention, _dt.date):
            return self.retention
        if received is None:
            raise ValueError(
                f"agreement {self.id!r} keeps data for {self.retention} after each delivery; "
                "pass received= (the delivery date)"
            )
        return self.retention.after(received)

    def retention_due(self, as_of: _dt.date, received: _dt.date | None = None) -> bool:
        """Whether, on ``as_of``, the data must already be destroyed (the day itself counts).

        Parameters
        ----------
        as_of : datetime.date
        received : datetime.date, optional
            The delivery date, when retention is a duration.
        """
        until = self.retention_until(received)
        return until is not None and as_of >= until

    # ---------------------------------------------------------------- check

    def check(self, delivery: Delivery) -> DeliveryCheck:
        """Check a delivered file against the agreement.

        Checks, in order: ``file`` (exists), ``on time``, ``format``,
        ``readable`` (by :attr:`reader` through :func:`feedbackloop.read`),
        ``columns`` (every field present), ``extra columns`` (none beyond the
        fields covered), ``periods`` (the expected period present). Each one's
        ``ok`` is ``True``, ``False`` or ``None`` (could not be checked). An
        adapter that fails is reported in its check, never raised.

        Returns
        -------
        DeliveryCheck
            The checks (:class:`DeliveryCheckItem`), with the delivery's
            ``agreement``, ``path``, ``received``, ``due`` and ``days_late``;
            ``str()`` is the checklist, :meth:`DeliveryCheck.to_frame` the
            table (columns ``check``, ``ok``, ``expected``, ``found``,
            ``detail``).
        """
        path = Path(delivery.path)
        exists = path.is_file()
        expected = self.expected(delivery)
        days_late = None if expected is None else (delivery.received - expected.due).days
        checks = [
            DeliveryCheckItem(
                "file",
                exists,
                "a file",
                str(path),
                "found" if exists else "no such file; nothing to read",
            ),
            _on_time_item(delivery, expected, days_late),
            self._format_item(path, exists),
        ]
        readable, series = self._read_item(path, exists)
        checks.append(readable)
        checks += self._column_items(path, exists, series)
        period = delivery.period or (expected.period if expected else None)
        checks.append(_period_item(period, series))
        return DeliveryCheck(
            agreement=self.id,
            path=str(path),
            received=delivery.received,
            due=expected.due if expected else None,
            days_late=max(days_late, 0) if days_late is not None else None,
            checks=tuple(checks),
        )

    def _format_item(self, path: Path, exists: bool) -> DeliveryCheckItem:
        agreed = self.format.value.upper()
        detected = _sniff(path) if exists else None
        if detected is None:
            return DeliveryCheckItem("format", None, agreed, "", "no file to look at")
        kind, note = detected
        ok = kind == self.format.value and not note
        detail = note or ("as agreed" if ok else f"agreed {agreed}, got {kind.upper()}")
        return DeliveryCheckItem("format", ok, agreed, kind.upper(), detail)

    def _read_item(
        self, path: Path, exists: bool
    ) -> tuple[DeliveryCheckItem, IndicatorSeries | None]:
        by = f"by adapter {self.reader!r}"
        if not exists:
            return DeliveryCheckItem("readable", False, by, "", "no file"), None
        try:
            series = read(self.reader, str(path), **dict(self.read_options))
        except Exception as err:  # noqa: BLE001 - a failing adapter is a finding, not a crash
            name = type(err).__name__
            detail = str(err).splitlines()[0] if str(err) else name
            return DeliveryCheckItem("readable", False, by, name, detail), None
        n = len(series)
        detail = f"{n} rows, {len(series.periods)} period(s)"
        return DeliveryCheckItem("readable", True, by, f"{n} rows", detail), series

    def _discovered_columns(
        self, path: Path, series: IndicatorSeries | None
    ) -> tuple[tuple[str, ...] | None, str]:
        """Return the file's columns (by the adapter's ``discover``) and how they were found."""
        try:
            impl = get(self.reader)
            accepted = set(list(inspect.signature(impl.discover).parameters)[1:])
            opts = {k: v for k, v in self.read_options.items() if k in accepted}
            return tuple(discover(self.reader, str(path), **opts).columns), ""
        except Exception as err:  # noqa: BLE001 - a failing adapter is a finding
            how = f"discover failed ({type(err).__name__})"
            if series is None:
                return None, how
            return tuple(map(str, series.frame.columns)), how + "; compared with the columns read"

    def _column_items(
        self, path: Path, exists: bool, series: IndicatorSeries | None
    ) -> list[DeliveryCheckItem]:
        if not self.fields:
            return [DeliveryCheckItem("columns", None, "", "", "the agreement lists no fields")]
        columns, how = self._discovered_columns(path, series) if exists else (None, "")
        if columns is None:
            detail = how or "no file"
            return [
                DeliveryCheckItem("columns", None, ", ".join(self.fields), "", detail),
                DeliveryCheckItem("extra columns", None, "none", "", detail),
            ]
        wanted = {f.casefold(): f for f in self.fields}
        have = {c.casefold(): c for c in columns}
        missing = [f for k, f in wanted.items() if k not in have]
        extra = [c for k, c in have.items() if k not in wanted]
        suffix = f" ({how})" if how else ""
        return [
            DeliveryCheckItem(
                "columns",
                not missing,
                ", ".join(self.fields),
                ", ".join(columns),
                (f"missing: {', '.join(missing)}" if missing else "all present") + suffix,
            ),
            DeliveryCheckItem(
                "extra columns",
                not extra,
                "none",
                ", ".join(extra) or "none",
                (
                    f"not covered by the agreement: {', '.join(extra)}; ask the sender to "
                    "drop them and delete them here"
                    if extra
                    else "none"
                )
                + suffix,
            ),
        ]

    # ----------------------------------------------------------------- YAML

    def to_dict(self) -> dict[str, Any]:
        """Return the agreement as plain data (the YAML layout)."""
        out: dict[str, Any] = {"id": self.id}
        if self.title:
            out["title"] = self.title
        out["parties"] = list(self.parties)
        for key in ("datasets", "fields", "indicators"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        out["format"] = self.format.value
        if self.adapter:
            out["adapter"] = self.adapter
        if self.read_options:
            out["read_options"] = dict(self.read_options)
        out["cadence"] = self.cadence.value
        if self.first_due:
            out["first_due"] = self.first_due.isoformat()
        if self.first_period:
            out["first_period"] = str(self.first_period)
        if self.days_after_period_end is not None:
            out["days_after_period_end"] = self.days_after_period_end
        if self.expires:
            out["expires"] = self.expires.isoformat()
        if self.permitted_uses:
            out["permitted_uses"] = list(self.permitted_uses)
        if self.audiences:
            out["audiences"] = {k: dict(v) for k, v in self.audiences.items()}
        if self.retention is not None:
            out["retention"] = (
                self.retention.isoformat()
                if isinstance(self.retention, _dt.date)
                else str(self.retention)
            )
        if self.notes:
            out["notes"] = self.notes
        return out

    @classmethod
    def from_dict(
        cls,
        data: object,
        *,
        source: str = "<dict>",
        path: str = "",
        lines: Mapping[Any, int] | None = None,
    ) -> DataSharingAgreement:
        """Build an agreement from plain data, reporting every problem with its path.

        Raises
        ------
        AgreementError
        """
        lines = lines or {}
        prefix: tuple[str | int, ...] = tuple(p for p in path.split(".") if p) if path else ()
        prefix = tuple(int(p) if isinstance(p, str) and p.isdigit() else p for p in prefix)
        problems: list[Problem] = []

        def where(*parts: str | int) -> str:
            return locate((*prefix, *parts), lines)

        if not isinstance(data, Mapping):
            raise AgreementError(source, [Problem(where(), "must be a mapping")])
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in _KEYS:
                problems.append(
                    Problem(where(str(key)), f"unknown key; expected one of {', '.join(_KEYS)}")
                )
                continue
            if key == "audiences" and value is not None:
                found = _audience_problems(value, where)
                if found:
                    problems += found
                    continue
            converter = _CONVERTERS.get(key)
            try:
                kwargs[key] = converter(value) if converter and value is not None else value
            except (ValueError, TypeError, PeriodError) as err:
                problems.append(Problem(where(key), str(err)))
        for key in ("id", "parties", "format"):
            if data.get(key) is None:
                problems.append(Problem(where(key), "is required"))
        if problems:
            raise AgreementError(source, problems)
        try:
            return cls(source=source, **kwargs)
        except (ValueError, TypeError, PeriodError) as err:
            raise AgreementError(source, [Problem(where(), str(err))]) from err

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> DataSharingAgreement:
        """Read one agreement from a YAML file (see :func:`load_agreements` for several).

        Raises
        ------
        AgreementError
            If the file holds no agreement or more than one, or any problem.
        """
        found = load_agreements(path)
        if len(found) != 1:
            raise AgreementError(
                str(path),
                [Problem("", f"holds {len(found)} agreements; use load_agreements() instead")],
            )
        return found[0]

    def to_yaml(self, path: str | os.PathLike[str] | None = None) -> str:
        """Return the agreement as YAML, writing it atomically to ``path`` when given."""
        return write_yaml(self.to_dict(), path)

    def __repr__(self) -> str:
        return (
            f"<DataSharingAgreement {self.id!r}: {' & '.join(self.parties)}; "
            f"{self.format.value.upper()}, {self.cadence.value}>"
        )


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"must be a whole number (got {value!r})")
    return value


def _text_value(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"must be text (got {value!r})")
    return value


def _list_of_text(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"must be a list of text (got {value!r})")
    return tuple(value)


def _yaml_date(value: object) -> _dt.date | None:
    if isinstance(value, _dt.date | str) or value is None:
        return opt_date(value)
    raise TypeError(f"must be a date such as 2024-05-15 (got {value!r})")


def _options(value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"must be a mapping of adapter options (got {value!r})")
    return dict(value)


_CONVERTERS: dict[str, Any] = {
    "id": _text_value,
    "title": _text_value,
    "notes": _text_value,
    "adapter": _text_value,
    "parties": _list_of_text,
    "datasets": _list_of_text,
    "fields": _list_of_text,
    "indicators": _list_of_text,
    "permitted_uses": _list_of_text,
    "format": DeliveryFormat.parse,
    "cadence": Cadence.parse,
    "first_due": _yaml_date,
    "expires": _yaml_date,
    "first_period": _opt_period,
    "days_after_period_end": _int,
    "read_options": _options,
    "audiences": _audiences,
    "retention": _retention,
}
_KEYS = (
    "id",
    "title",
    "parties",
    "datasets",
    "fields",
    "indicators",
    "format",
    "adapter",
    "read_options",
    "cadence",
    "first_due",
    "first_period",
    "days_after_period_end",
    "expires",
    "permitted_uses",
    "audiences",
    "retention",
    "notes",
)


def load_agreements(path: str | os.PathLike[str]) -> tuple[DataSharingAgreement, ...]:
    """Read the agreements in a YAML file: one agreement, or ``agreements:`` a list of them.

    Raises
    ------
    FileNotFoundError
    AgreementError
        Naming the path in the document and the line of every problem.

    .. versionadded:: 0.1.0
    """
    p = Path(path)
    data, lines = read_yaml_document(p, AgreementError, "agreement file")
    if isinstance(data, Mapping) and "agreements" in data:
        items = data["agreements"]
        if not isinstance(items, list) or set(data) != {"agreements"}:
            raise AgreementError(
                str(p), [Problem("agreements", "must be the only key, holding a list")]
            )
        problems: list[Problem] = []
        out = []
        for i, item in enumerate(items):
            try:
                out.append(
                    DataSharingAgreement.from_dict(
                        item, source=str(p), path=f"agreements.{i}", lines=lines
                    )
                )
            except AgreementError as err:
                problems.extend(err.problems)
        if problems:
            raise AgreementError(str(p), problems)
        return tuple(out)
    return (DataSharingAgreement.from_dict(data, source=str(p), lines=lines),)


def _sniff(path: Path) -> tuple[str, str] | None:
    """Return (format found in the content, note if the name disagrees), or None."""
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError:
        return None
    suffix = path.suffix.lower().lstrip(".")
    if head.startswith(b"%PDF"):
        kind = "pdf"
    elif head.startswith(b"PK\x03\x04"):
        kind = "xlsx"
    elif b"\x00" in head or head.startswith(b"\xd0\xcf\x11\xe0"):
        return "binary", "not a CSV, XLSX or PDF file (an old .xls workbook?)"
    else:
        kind = "csv"
    named = {"xlsm": "xlsx", "txt": "csv"}.get(suffix, suffix)
    if named and named != kind and named in ("csv", "xlsx", "pdf"):
        return kind, f"named .{suffix} but the content is {kind.upper()}"
    return kind, ""


def _on_time_item(
    delivery: Delivery, expected: ScheduledDelivery | None, days_late: int | None
) -> DeliveryCheckItem:
    if expected is None or days_late is None:
        return DeliveryCheckItem(
            "on time",
            None,
            "",
            str(delivery.received),
            "no due date: the agreement has no schedule matching this delivery; "
            "give the delivery's due date or period",
        )
    if days_late > 0:
        detail = f"{days_late} day{'s' if days_late != 1 else ''} late"
    elif days_late == 0:
        detail = "on the due date"
    else:
        detail = f"{-days_late} day{'s' if days_late != -1 else ''} early"
    return DeliveryCheckItem(
        "on time", days_late <= 0, f"by {expected.due}", f"received {delivery.received}", detail
    )


def _period_item(expected: Period | None, series: IndicatorSeries | None) -> DeliveryCheckItem:
    if expected is None:
        return DeliveryCheckItem(
            "periods", None, "", "", "no period expected: give the delivery's period"
        )
    if series is None:
        return DeliveryCheckItem("periods", None, str(expected), "", "the file could not be read")
    found = series.periods
    present = [p for p in found if expected.start <= p.start and p.end <= expected.end]
    shown = ", ".join(str(p) for p in found) or "none"
    detail = "present" if present else f"{expected} missing (the file has {shown})"
    return DeliveryCheckItem("periods", bool(present), str(expected), shown, detail)


# The columns of DeliveryCheck.to_frame(): the fields of DeliveryCheckItem.
_CHECK_COLUMNS = ("check", "ok", "expected", "found", "detail")
_MARKS = {True: "ok  ", False: "FAIL", None: "  - "}


@frozen
class DeliveryCheckItem:
    """One check of a delivery: a row of the :class:`DeliveryCheck` checklist.

    Attributes
    ----------
    check : str
        Which check: ``file``, ``on time``, ``format``, ``readable``,
        ``columns``, ``extra columns`` or ``periods``.
    ok : bool or None
        Whether it passed; ``None`` when it could not be checked.
    expected, found : str
        What the agreement asks for and what the delivery has.
    detail : str
        The finding in words (the checklist's text).

    .. versionadded:: 0.1.0
    """

    check: str
    ok: bool | None
    expected: str = ""
    found: str = ""
    detail: str = ""


def _items(value: Iterable[DeliveryCheckItem]) -> tuple[DeliveryCheckItem, ...]:
    return tuple(value)


@frozen(kw_only=True, repr=False)
class DeliveryCheck:
    """The report of :meth:`DataSharingAgreement.check`: the checks of one delivery.

    Iterating gives each :class:`DeliveryCheckItem` in order; ``str()`` (and
    ``repr()``) is the checklist; :meth:`to_frame` is the same as a DataFrame.

    Attributes
    ----------
    agreement : str
        The agreement's id.
    path : str
        The file checked.
    received : datetime.date
        When it arrived.
    due : datetime.date or None
        The due date it answers (``None``: no schedule matched).
    days_late : int or None
        Days after the due date (0 when on time or early; ``None`` without a due date).
    checks : tuple of DeliveryCheckItem

    .. versionadded:: 0.1.0
    """

    agreement: str
    path: str
    received: _dt.date
    due: _dt.date | None = None
    days_late: int | None = None
    checks: tuple[DeliveryCheckItem, ...] = field(default=(), converter=_items)

    def __iter__(self) -> Iterator[DeliveryCheckItem]:
        return iter(self.checks)

    def __len__(self) -> int:
        return len(self.checks)

    def item(self, check: str) -> DeliveryCheckItem:
        """Return the check named ``check`` (``"on time"``, ``"columns"``...).

        Raises
        ------
        KeyError
            If there is no such check.
        """
        for c in self.checks:
            if c.check == check:
                return c
        raise KeyError(f"no check {check!r}; the checks are {', '.join(c.check for c in self)}")

    @property
    def passed(self) -> bool:
        """Whether no check failed (checks that could not run do not count as failures)."""
        return not self.failures

    @property
    def failures(self) -> tuple[DeliveryCheckItem, ...]:
        """The checks that failed."""
        return tuple(c for c in self.checks if c.ok is False)

    def to_frame(self) -> pd.DataFrame:
        """Return the checks as a DataFrame: ``check``, ``ok``, ``expected``, ``found``, ``detail``.

        ``ok`` holds ``True``, ``False`` or ``None``; the other columns text.
        ``attrs`` holds ``agreement``, ``path``, ``received``, ``due`` and
        ``days_late``.
        """
        frame = pd.DataFrame(
            {
                name: pd.Series(
                    [getattr(c, name) for c in self.checks],
                    dtype=object if name == "ok" else str,
                )
                for name in _CHECK_COLUMNS
            }
        )
        frame.attrs.update(
            agreement=self.agreement,
            path=self.path,
            received=self.received,
            due=self.due,
            days_late=self.days_late,
        )
        return frame

    def _headline(self) -> str:
        return (
            f"delivery {Path(self.path).name!r} under agreement {self.agreement!r}, "
            f"received {self.received}"
        )

    def _result(self) -> str:
        n = len(self.failures)
        return (
            "result: met the agreement" if n == 0 else f"result: {n} problem{'s' if n != 1 else ''}"
        )

    def __str__(self) -> str:
        width = max((len(c.check) for c in self.checks), default=5)
        lines = [self._headline()]
        lines += [f"  {_MARKS[c.ok]}  {c.check:<{width}}  {c.detail}" for c in self.checks]
        lines.append(self._result())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.__str__()

    def _repr_html_(self) -> str:
        e = html.escape
        head = "".join(
            f"<th>{name}</th>" for name in ("ok", "check", "expected", "found", "detail")
        )
        body = "".join(
            f"<tr><td>{e(_MARKS[c.ok].strip())}</td><td>{e(c.check)}</td>"
            f"<td>{e(c.expected)}</td><td>{e(c.found)}</td><td>{e(c.detail)}</td></tr>"
            for c in self.checks
        )
        return (
            f"<div><p><strong>{e(self._headline())}</strong></p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"<p>{e(self._result())}</p></div>"
        )
