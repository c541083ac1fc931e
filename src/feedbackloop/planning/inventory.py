"""The data inventory: what data each indicator needs, who has it and how to get it.

Initiatives agree on measures that no data exists for. A :class:`DataInventory`
lists one :class:`DataNeed` per indicator: the disaggregations wanted, where
the data could come from, which partner owns it, whether it is available,
restricted or not collected, how important it is, how to get it, and the proxy
indicator used meanwhile. :meth:`DataInventory.from_loop` starts one from the
loop; it is edited as YAML or as a spreadsheet (CSV with the columns of
:data:`CSV_COLUMNS`), and :meth:`DataInventory.gaps` compares it with the data
actually in hand.

Examples
--------
>>> from feedbackloop.examples import load_example
>>> inv = DataInventory.from_loop(load_example())
>>> inv.need("youth_unemployment_rate").disaggregations
(('race',), ('sex',), ('geography',))
"""

from __future__ import annotations

import csv
import datetime as _dt
import enum
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from attrs import field, frozen

from feedbackloop._util import atomic_write_text, locate, neutralize_formula, write_yaml
from feedbackloop.errors import IndicatorError, InventoryError, Problem
from feedbackloop.model import SourceSpec
from feedbackloop.planning._common import (
    SLUG,
    Cadence,
    Located,
    add_months,
    column_letter,
    is_blank,
    normalize_header,
    read_csv_document,
    read_yaml_document,
)
from feedbackloop.series import TOTAL

if TYPE_CHECKING:
    import os

    from feedbackloop.model import FeedbackLoop
    from feedbackloop.series import IndicatorSeries

__all__ = [
    "CSV_COLUMNS",
    "Acquisition",
    "Availability",
    "Cadence",
    "DataInventory",
    "DataNeed",
    "Importance",
    "InventoryError",
]


class _Choice(enum.StrEnum):
    @classmethod
    def parse(cls, value: object) -> Any:
        """Return the member for a member, its value or its name (any case, ``-``/space ok)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            key = re.sub(r"[\s-]+", "_", value.strip().lower())
            for member in cls:
                if key in (member.value, member.name.lower()):
                    return member
        raise ValueError(f"must be one of {', '.join(m.value for m in cls)} (got {value!r})")

    def __str__(self) -> str:
        return str(self.value)


class Availability(_Choice):
    """Whether the data exist and can be had.

    .. versionadded:: 0.1.0
    """

    AVAILABLE = "available"
    RESTRICTED = "restricted"
    NOT_COLLECTED = "not_collected"
    UNKNOWN = "unknown"


class Importance(_Choice):
    """How much the initiative needs the data (headline indicators are ``high``).

    .. versionadded:: 0.1.0
    """

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Acquisition(_Choice):
    """How to get the data.

    ``public``: published (the Census API, a state portal); ``agreement``: a
    data-sharing agreement with the owner; ``data_partner``: a partner sends it
    under an existing relationship; ``survey``: collect it ourselves.

    .. versionadded:: 0.1.0
    """

    PUBLIC = "public"
    AGREEMENT = "agreement"
    DATA_PARTNER = "data_partner"
    SURVEY = "survey"
    UNKNOWN = "unknown"


_IMPORTANCE_RANK = {Importance.HIGH: 0, Importance.MEDIUM: 1, Importance.LOW: 2}


def parse_disaggregation(text: str) -> tuple[str, ...]:
    """Read ``"race x sex"`` (also ``×``, ``*``, ``by``) into ``("race", "sex")``.

    Examples
    --------
    >>> parse_disaggregation("race x sex")
    ('race', 'sex')
    """
    parts = tuple(p.strip() for p in re.split(r"\s*(?:\bx\b|×|\*|\bby\b)\s*", text.strip()))
    if not parts or any(not p for p in parts):
        raise ValueError(f"must be dimensions joined by ' x ', e.g. 'race x sex' (got {text!r})")
    if len(set(parts)) != len(parts):
        raise ValueError(f"names a dimension twice (got {text!r})")
    return parts


def _disaggregations(value: object) -> tuple[tuple[str, ...], ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v for v in re.split(r"[;,\n]", value) if v.strip()]
    out = []
    for item in value:  # type: ignore[attr-defined]
        out.append(parse_disaggregation(item) if isinstance(item, str) else tuple(item))
    return tuple(out)


def _availability(value: object) -> Availability:
    out: Availability = Availability.parse(value)
    return out


def _importance(value: object) -> Importance:
    out: Importance = Importance.parse(value)
    return out


def _acquisition(value: object) -> Acquisition:
    out: Acquisition = Acquisition.parse(value)
    return out


def _opt_cadence(value: object) -> Cadence | None:
    return None if value is None else Cadence.parse(value)


def _nonneg(_inst: object, attr: Any, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{attr.name} must be a whole number of days >= 0 (got {value!r})")


def _id(_inst: object, attr: Any, value: str) -> None:
    if not isinstance(value, str) or not SLUG.match(value):
        raise ValueError(f"{attr.name} must be an indicator id (got {value!r})")


def _slug(_inst: object, attr: Any, value: str | None) -> None:
    if value is not None and not SLUG.match(value):
        raise ValueError(f"{attr.name} must be an indicator id (got {value!r})")


@frozen(kw_only=True)
class DataNeed:
    """The data one indicator needs, and where it stands.

    Parameters
    ----------
    indicator : str
        The indicator id.
    name : str
        Its name, for people reading the spreadsheet.
    disaggregations : tuple of tuple of str
        Breakdowns wanted; each a tuple of dimensions crossed (``("race",
        "sex")`` is race by sex). Text such as ``"race x sex"`` is accepted.
    source : SourceSpec, optional
        An adapter and options that read it.
    source_notes : str
        Where it could come from, in words ("district SIS extract").
    owner : str
        The partner that owns the data.
    availability : Availability
        ``available``, ``restricted``, ``not_collected`` or ``unknown``.
    importance : Importance
        ``high``, ``medium`` or ``low``.
    acquisition : Acquisition
        How to get it: ``public``, ``agreement``, ``data_partner``, ``survey``.
    proxy : str, optional
        Id of the indicator used meanwhile.
    cadence : Cadence, optional
        How often fresh data should arrive (``annual``, ``quarterly``...).
    lag_days : int
        How long after a period ends its data can be expected (ACS 5-year
        estimates: about 350 days).
    agreement : str, optional
        Id of the data-sharing agreement that covers it.
    notes : str
        Free text.

    .. versionadded:: 0.1.0
    """

    indicator: str = field(validator=_id)
    name: str = ""
    disaggregations: tuple[tuple[str, ...], ...] = field(default=(), converter=_disaggregations)
    source: SourceSpec | None = None
    source_notes: str = ""
    owner: str = ""
    availability: Availability = field(default=Availability.UNKNOWN, converter=_availability)
    importance: Importance = field(default=Importance.MEDIUM, converter=_importance)
    acquisition: Acquisition = field(default=Acquisition.UNKNOWN, converter=_acquisition)
    proxy: str | None = field(default=None, validator=_slug)
    cadence: Cadence | None = field(default=None, converter=_opt_cadence)
    lag_days: int = field(default=0, validator=_nonneg)
    agreement: str | None = None
    notes: str = ""

    def __attrs_post_init__(self) -> None:
        if self.proxy == self.indicator:
            raise ValueError(f"indicator {self.indicator!r} cannot be its own proxy")


def _needs(value: Iterable[DataNeed]) -> tuple[DataNeed, ...]:
    return tuple(value)


#: Columns of the inventory spreadsheet, in order, with what each holds.
CSV_COLUMNS: dict[str, str] = {
    "indicator": "indicator id (required)",
    "name": "indicator name",
    "disaggregations": "breakdowns wanted, separated by ';' (crossings with ' x ': race x sex)",
    "owner": "partner that owns the data",
    "availability": "available | restricted | not_collected | unknown",
    "importance": "high | medium | low",
    "acquisition": "public | agreement | data_partner | survey | unknown",
    "proxy": "indicator id used meanwhile",
    "cadence": "annual | semiannual | quarterly | monthly | once",
    "lag_days": "days after a period ends before its data can be expected",
    "agreement": "id of the data-sharing agreement",
    "source_adapter": "adapter that reads it (csv, census...)",
    "source_path": "file or URL for that adapter",
    "source_options": "adapter options as JSON",
    "source_notes": "where it could come from, in words",
    "notes": "free text",
}


@frozen(kw_only=True)
class DataInventory:
    """The initiative's data inventory: one :class:`DataNeed` per indicator.

    .. versionadded:: 0.1.0
    """

    needs: tuple[DataNeed, ...] = field(default=(), converter=_needs)
    source: str = field(default="", eq=False)

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        for n in self.needs:
            if n.indicator in seen:
                raise ValueError(
                    f"indicator {n.indicator!r} appears twice in the data inventory; "
                    "merge the two entries"
                )
            seen.add(n.indicator)

    def __iter__(self) -> Iterator[DataNeed]:
        return iter(self.needs)

    def __len__(self) -> int:
        return len(self.needs)

    def __contains__(self, indicator: object) -> bool:
        return any(n.indicator == indicator for n in self.needs)

    def need(self, indicator: str) -> DataNeed:
        """Return the need for ``indicator``.

        Raises
        ------
        KeyError
            If the inventory has none (the message lists those it has).
        """
        for n in self.needs:
            if n.indicator == indicator:
                return n
        known = ", ".join(n.indicator for n in self.needs) or "none"
        raise KeyError(f"no data need for indicator {indicator!r} (inventory has: {known})")

    @classmethod
    def from_loop(cls, loop: FeedbackLoop) -> DataInventory:
        """Start an inventory from a loop: every indicator of every node becomes a need.

        Disaggregations wanted are the indicator's dimensions, each on its
        own; the source is the indicator's; a proxy is an indicator whose
        ``proxy_for`` names this one; importance is ``high`` for indicators
        that carry a target, else ``medium``; availability is ``available``
        when the indicator declares a source, else ``unknown``.

        Returns
        -------
        DataInventory
        """
        ids = list(dict.fromkeys(i for n in loop.nodes for i in n.indicators))
        targeted = {t.indicator for n in loop.nodes for t in n.targets}
        proxies = {i.proxy_for: i.id for i in loop.indicators if i.proxy_for}
        needs = []
        for ind_id in ids:
            try:
                ind = loop.indicator(ind_id)
            except KeyError:
                needs.append(DataNeed(indicator=ind_id, notes="not defined in the loop"))
                continue
            needs.append(
                DataNeed(
                    indicator=ind.id,
                    name=ind.name,
                    disaggregations=tuple((d,) for d in ind.dimensions),
                    source=ind.source,
                    availability=(
                        Availability.AVAILABLE if ind.source is not None else Availability.UNKNOWN
                    ),
                    importance=Importance.HIGH if ind.id in targeted else Importance.MEDIUM,
                    proxy=proxies.get(ind.id),
                )
            )
        return cls(needs=needs)

    # ----------------------------------------------------------------- gaps

    def gaps(
        self,
        loop: FeedbackLoop,
        data: Mapping[str, IndicatorSeries],
        *,
        as_of: _dt.date | None = None,
    ) -> pd.DataFrame:
        """Compare the inventory and the loop with the data in hand.

        One row per gap, most important first. Kinds (column ``gap``):

        - ``no data``: a needed indicator has no series (or an empty one);
        - ``proxy in use``: it has none, and its proxy has data;
        - ``missing disaggregation``: the series lacks a breakdown wanted (a
          crossing such as race x sex needs rows with both dimensions set;
          ``geography`` needs more than one place);
        - ``not refreshed``: with a cadence, the data were retrieved more than
          one cadence ago, or the newest period ended more than one cadence
          plus ``lag_days`` before ``as_of``;
        - ``not in inventory``: an indicator of the loop's nodes has no need;
        - ``not in loop``: a need names an indicator the loop does not define.

        Parameters
        ----------
        loop : FeedbackLoop
        data : mapping of indicator id to IndicatorSeries
            E.g. :func:`feedbackloop.collect`'s result.
        as_of : datetime.date, optional
            The day to judge freshness on (default today).

        Returns
        -------
        pandas.DataFrame
            Columns ``indicator``, ``name``, ``gap``, ``detail``, ``importance``,
            ``owner``, ``availability``, ``acquisition``.
        """
        today = as_of or _dt.date.today()
        defined = {i.id for i in loop.indicators}
        found: list[tuple[DataNeed, str, str]] = []
        for need in self.needs:
            if need.indicator not in defined:
                found.append((need, "not in loop", "the loop defines no indicator with this id"))
            found += self._need_gaps(need, data, today)
        listed = {n.indicator for n in self.needs}
        for ind_id in dict.fromkeys(i for n in loop.nodes for i in n.indicators):
            if ind_id not in listed:
                name = loop.indicator(ind_id).name if ind_id in defined else ""
                found.append(
                    (
                        DataNeed(indicator=ind_id, name=name),
                        "not in inventory",
                        "the loop measures a node with it; add it to the data inventory",
                    )
                )
        return _gap_frame(found)

    @classmethod
    def _need_gaps(
        cls, need: DataNeed, data: Mapping[str, IndicatorSeries], today: _dt.date
    ) -> list[tuple[DataNeed, str, str]]:
        """Return one need's gaps: no data (or a proxy in use), breakdowns, freshness."""
        series = data.get(need.indicator)
        if series is None or len(series) == 0:
            proxy_series = data.get(need.proxy) if need.proxy else None
            if need.proxy and proxy_series is not None and len(proxy_series):
                return [(need, "proxy in use", f"no data; proxy {need.proxy!r} is used meanwhile")]
            how = (
                f"; get it by {need.acquisition.value}"
                if need.acquisition.value != "unknown"
                else ""
            )
            proxy = f"; proxy {need.proxy!r} has no data either" if need.proxy else ""
            return [(need, "no data", f"availability: {need.availability.value}{how}{proxy}")]
        out = []
        for combo in need.disaggregations:
            missing = cls._missing(combo, series, series.frame, TOTAL)
            if missing:
                out.append((need, "missing disaggregation", missing))
        if need.cadence is not None and need.cadence is not Cadence.ONCE:
            stale = _staleness(need, series, today)
            if stale:
                out.append((need, "not refreshed", stale))
        return out

    @staticmethod
    def _missing(
        combo: tuple[str, ...], series: IndicatorSeries, frame: pd.DataFrame, total: str
    ) -> str:
        label = " x ".join(combo)
        dims = [d for d in combo if d != "geography"]
        absent = [d for d in dims if d not in series.dimensions]
        if absent:
            have = ", ".join(series.dimensions) or "none"
            return f"wanted {label}; the data have no {', '.join(absent)} (dimensions: {have})"
        if "geography" in combo and len(series.geographies) < 2:
            return f"wanted {label}; the data cover one place only"
        if dims:
            mask = frame[dims[0]] != total
            for d in dims[1:]:
                mask &= frame[d] != total
            if not bool(mask.any()):
                return f"wanted {label}; the data have no rows broken down by {label}"
        return ""

    # ----------------------------------------------------------------- frames

    def to_frame(self) -> pd.DataFrame:
        """Return the inventory as a table with the columns of :data:`CSV_COLUMNS`."""
        return pd.DataFrame([_need_to_row(n) for n in self.needs], columns=list(CSV_COLUMNS))

    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for n in self.needs:
            counts[n.availability.value] = counts.get(n.availability.value, 0) + 1
        detail = ", ".join(f"{v} {k}" for k, v in counts.items())
        return f"<DataInventory: {len(self.needs)} needs" + (f" ({detail})>" if detail else ">")

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)

    # ------------------------------------------------------------------- CSV

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """Return the inventory as CSV (columns of :data:`CSV_COLUMNS`), written atomically.

        Text a spreadsheet would run as a formula (starting with ``=``, ``+``,
        ``-``, ``@``, a tab or a carriage return) is written with a leading
        apostrophe, which :meth:`from_csv` removes again.
        """
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for n in self.needs:
            row = _need_to_row(n)
            writer.writerow([neutralize_formula(row[c]) for c in CSV_COLUMNS])
        text = buf.getvalue()
        if path is not None:
            atomic_write_text(path, text)
        return text

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str]) -> DataInventory:
        """Read an inventory spreadsheet saved as CSV (columns of :data:`CSV_COLUMNS`).

        Headers are matched ignoring case, spaces and punctuation
        (``Lag days`` is ``lag_days``); only ``indicator`` is required.
        Blank rows are skipped.

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        InventoryError
            Naming the file, row and column of every problem.
        """
        p = Path(path)
        rows = read_csv_document(p, InventoryError, "data inventory")
        return cls.from_rows(rows, source=str(p))

    @classmethod
    def from_rows(
        cls, rows: Sequence[Sequence[object]], *, source: str = "<rows>"
    ) -> DataInventory:
        """Build an inventory from rows whose first row is the header.

        Raises
        ------
        InventoryError
            Naming the row and column of every problem.
        """
        if not rows:
            raise InventoryError(source, [Problem("row 1", "no header row")])
        header = [normalize_header(h).replace(" ", "_") for h in rows[0]]
        problems: list[Problem] = []
        for c, h in enumerate(header):
            if h and h not in CSV_COLUMNS:
                problems.append(
                    Problem(
                        str(Located(1, str(rows[0][c]), column_letter(c))),
                        f"unknown column; expected {', '.join(CSV_COLUMNS)}",
                    )
                )
        if "indicator" not in header:
            problems.append(Problem("row 1", "no 'indicator' column"))
        if problems:
            raise InventoryError(source, problems)
        needs = []
        for r, row in enumerate(rows[1:], start=2):
            if all(is_blank(v) for v in row):
                continue
            cells = {
                h: (str(row[c]).strip() if c < len(row) and row[c] is not None else "")
                for c, h in enumerate(header)
                if h
            }
            col = {h: c for c, h in enumerate(header) if h}
            n_before = len(problems)

            def fail(key: str, message: str, r: int = r, col: dict[str, int] = col) -> None:
                problems.append(
                    Problem(str(Located(r, key, column_letter(col.get(key, 0)))), message)
                )

            need = _need_from_cells(cells, fail)
            if len(problems) == n_before and need is not None:
                needs.append(need)
        try:
            inv = cls(needs=needs, source=source)
        except ValueError as err:
            problems.append(Problem("indicator", str(err)))
        if problems:
            raise InventoryError(source, problems)
        return inv

    # ------------------------------------------------------------------ YAML

    def to_dict(self) -> dict[str, Any]:
        """Return plain data: ``{"needs": [...]}`` (defaults left out)."""
        return {"needs": [_need_to_dict(n) for n in self.needs]}

    @classmethod
    def from_dict(
        cls, data: object, *, source: str = "<dict>", lines: Mapping[Any, int] | None = None
    ) -> DataInventory:
        """Build an inventory from plain data, reporting every problem with its path.

        Raises
        ------
        InventoryError
        """
        lines = lines or {}
        problems: list[Problem] = []
        if not isinstance(data, Mapping) or not isinstance(data.get("needs"), list):
            raise InventoryError(source, [Problem("needs", "is required: a list of data needs")])
        for key in data:
            if key != "needs":
                problems.append(Problem(str(key), "unknown key; expected needs"))
        needs = []
        for i, item in enumerate(data["needs"]):
            where = locate(("needs", i), lines)
            if not isinstance(item, Mapping):
                problems.append(Problem(where, "must be a mapping with at least 'indicator'"))
                continue
            cells: dict[str, Any] = dict(item)
            src = cells.pop("source", None)
            n_before = len(problems)

            def fail(key: str, message: str, i: int = i) -> None:
                problems.append(Problem(locate(("needs", i, key), lines), message))

            for key in cells:
                if key not in _YAML_KEYS:
                    fail(key, f"unknown key; expected one of {', '.join(_YAML_KEYS)}")
            spec = None
            if src is not None:
                if isinstance(src, str):
                    cells.setdefault("source_notes", src)
                elif isinstance(src, Mapping) and (src.get("adapter") or src.get("engine")):
                    try:
                        spec = SourceSpec(
                            adapter=src.get("adapter"),
                            engine=src.get("engine"),
                            path=src.get("path"),
                            table=src.get("table"),
                            options=dict(src.get("options") or {}),
                        )
                    except (IndicatorError, ValueError) as err:
                        fail("source", str(err))
                else:
                    fail(
                        "source",
                        "must be text, {adapter: ..., path: ..., options: {...}} or "
                        "{engine: duckdb, path: ...}",
                    )
            if isinstance(cells.get("disaggregations"), list):
                cells["disaggregations"] = "; ".join(map(str, cells["disaggregations"]))
            text_cells = {k: "" if v is None else str(v) for k, v in cells.items()}
            need = _need_from_cells(text_cells, fail, spec=spec)
            if need is not None and len(problems) == n_before:
                needs.append(need)
        try:
            inv = cls(needs=needs, source=source)
        except ValueError as err:
            problems.append(Problem("needs", str(err)))
        if problems:
            raise InventoryError(source, problems)
        return inv

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> DataInventory:
        """Read an inventory from YAML (``needs:`` a list of mappings, keys as the CSV columns).

        Raises
        ------
        FileNotFoundError
        InventoryError
        """
        p = Path(path)
        data, lines = read_yaml_document(p, InventoryError, "data inventory")
        return cls.from_dict(data, source=str(p), lines=lines)

    def to_yaml(self, path: str | os.PathLike[str] | None = None) -> str:
        """Return the inventory as YAML, writing it atomically to ``path`` when given."""
        return write_yaml(self.to_dict(), path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> DataInventory:
        """Read an inventory from ``.yaml``/``.yml`` or ``.csv``, by suffix.

        Raises
        ------
        InventoryError
            For another suffix, or any problem in the file.
        """
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix in (".yaml", ".yml"):
            return cls.from_yaml(p)
        if suffix == ".csv":
            return cls.from_csv(p)
        raise InventoryError(
            str(p), [Problem("", f"unknown file type {suffix!r}; use .yaml or .csv")]
        )


_YAML_KEYS = (
    *(k for k in CSV_COLUMNS if not k.startswith("source_")),
    "source",
    "source_notes",
)


_GAP_COLUMNS = (
    "indicator",
    "name",
    "gap",
    "detail",
    "importance",
    "owner",
    "availability",
    "acquisition",
)


def _gap_frame(found: Sequence[tuple[DataNeed, str, str]]) -> pd.DataFrame:
    """Return the gaps as :meth:`DataInventory.gaps`' table, most important first."""
    rows = [
        {
            "indicator": need.indicator,
            "name": need.name,
            "gap": gap,
            "detail": detail,
            "importance": need.importance.value,
            "owner": need.owner,
            "availability": need.availability.value,
            "acquisition": need.acquisition.value,
        }
        for need, gap, detail in found
    ]
    out = pd.DataFrame(rows, columns=list(_GAP_COLUMNS))
    rank = out["importance"].map({k.value: v for k, v in _IMPORTANCE_RANK.items()})
    order = sorted(range(len(out)), key=lambda i: (rank.iloc[i], i))
    return out.iloc[order].reset_index(drop=True)


def _staleness(need: DataNeed, series: IndicatorSeries, today: _dt.date) -> str:
    assert need.cadence is not None
    months = need.cadence.months
    found = []
    prov = series.provenance
    if prov is not None and prov.retrieved:
        try:
            retrieved = _dt.datetime.fromisoformat(prov.retrieved).date()
        except ValueError:
            retrieved = None
        if retrieved is not None and add_months(retrieved, months) < today:
            found.append(f"retrieved {retrieved}, more than one {need.cadence.value} cycle ago")
    periods = series.periods
    if periods:
        newest = max(periods, key=lambda p: p.end)
        expected_by = add_months(newest.end, months) + _dt.timedelta(days=need.lag_days)
        if expected_by < today:
            found.append(
                f"newest period {newest} ended {newest.end}; the next was expected by "
                f"{expected_by} ({need.cadence.value}, {need.lag_days} days' lag)"
            )
    return "; ".join(found)


def _need_to_row(n: DataNeed) -> dict[str, Any]:
    return {
        "indicator": n.indicator,
        "name": n.name,
        "disaggregations": "; ".join(" x ".join(d) for d in n.disaggregations),
        "owner": n.owner,
        "availability": n.availability.value,
        "importance": n.importance.value,
        "acquisition": n.acquisition.value,
        "proxy": n.proxy or "",
        "cadence": n.cadence.value if n.cadence else "",
        "lag_days": str(n.lag_days) if n.lag_days else "",
        "agreement": n.agreement or "",
        "source_adapter": (n.source.adapter or "") if n.source else "",
        "source_path": (n.source.path or "") if n.source else "",
        "source_options": _options_cell(n.source),
        "source_notes": n.source_notes,
        "notes": n.notes,
    }


def _options_cell(source: SourceSpec | None) -> str:
    """Write a source's options as JSON; a pooled source's engine and table ride along."""
    if source is None:
        return ""
    options = dict(source.options)
    if source.engine is not None:
        options = {**options, "engine": source.engine}
        if source.table is not None:
            options["table"] = source.table
    return json.dumps(options, sort_keys=True) if options else ""


def _need_to_dict(n: DataNeed) -> dict[str, Any]:
    out: dict[str, Any] = {"indicator": n.indicator}
    if n.name:
        out["name"] = n.name
    if n.disaggregations:
        out["disaggregations"] = [" x ".join(d) for d in n.disaggregations]
    if n.source is not None:
        src: dict[str, Any] = {"adapter": n.source.adapter}
        if n.source.engine is not None:
            src = {"engine": n.source.engine}
        if n.source.path is not None:
            src["path"] = n.source.path
        if n.source.table is not None:
            src["table"] = n.source.table
        if n.source.options:
            src["options"] = dict(n.source.options)
        out["source"] = src
    for key in ("source_notes", "owner", "notes"):
        if getattr(n, key):
            out[key] = getattr(n, key)
    out["availability"] = n.availability.value
    out["importance"] = n.importance.value
    out["acquisition"] = n.acquisition.value
    if n.proxy:
        out["proxy"] = n.proxy
    if n.cadence:
        out["cadence"] = n.cadence.value
    if n.lag_days:
        out["lag_days"] = n.lag_days
    if n.agreement:
        out["agreement"] = n.agreement
    return out


def _need_from_cells(
    cells: Mapping[str, str],
    fail: Any,
    *,
    spec: SourceSpec | None = None,
) -> DataNeed | None:
    """Build a need from text cells; report each bad cell through ``fail(column, message)``."""
    kwargs: dict[str, Any] = {}
    indicator = cells.get("indicator", "").strip()
    if not indicator:
        fail("indicator", "is required: the indicator id")
    elif not SLUG.match(indicator):
        fail("indicator", f"must be an indicator id (got {indicator!r})")
    kwargs["indicator"] = indicator
    for key in ("name", "owner", "source_notes", "notes"):
        kwargs[key] = cells.get(key, "").strip()
    parsers: dict[str, Any] = {
        "availability": Availability.parse,
        "importance": Importance.parse,
        "acquisition": Acquisition.parse,
        "cadence": Cadence.parse,
        "disaggregations": _disaggregations,
    }
    for key, parse in parsers.items():
        text = cells.get(key, "").strip()
        if not text:
            continue
        try:
            kwargs[key] = parse(text)
        except ValueError as err:
            fail(key, str(err))
    proxy = cells.get("proxy", "").strip()
    if proxy:
        if not SLUG.match(proxy):
            fail("proxy", f"must be an indicator id (got {proxy!r})")
        kwargs["proxy"] = proxy
    agreement = cells.get("agreement", "").strip()
    kwargs["agreement"] = agreement or None
    lag = cells.get("lag_days", "").strip()
    if lag:
        if not lag.isdigit():
            fail("lag_days", f"must be a whole number of days (got {lag!r})")
        else:
            kwargs["lag_days"] = int(lag)
    if spec is None:
        spec = _source_from_cells(cells, fail)
    kwargs["source"] = spec
    if not indicator or not SLUG.match(indicator):
        return None
    try:
        return DataNeed(**kwargs)
    except ValueError as err:
        fail("indicator", str(err))
        return None


def _source_from_cells(
    cells: Mapping[str, str], fail: Callable[[str, str], None]
) -> SourceSpec | None:
    """Read a source from its CSV cells: an adapter's, or a pooled one (engine in the options)."""
    adapter = cells.get("source_adapter", "").strip()
    path = cells.get("source_path", "").strip()
    options_text = cells.get("source_options", "").strip()
    options: dict[str, Any] = {}
    if options_text:
        problem: str | None
        try:
            loaded = json.loads(options_text)
        except json.JSONDecodeError as err:
            loaded, problem = None, f'must be JSON such as {{"sheet": 1}} ({err})'
        else:
            problem = None if isinstance(loaded, dict) else "must be a JSON object"
        if problem is not None and adapter:
            fail("source_options", problem)
            return None
        options = loaded if isinstance(loaded, dict) else {}
    if adapter:
        return SourceSpec(adapter=adapter, path=path or None, options=options)
    if "engine" in options:
        engine, table = options.pop("engine"), options.pop("table", None)
        try:
            return SourceSpec(engine=engine, table=table, path=path or None, options=options)
        except (IndicatorError, ValueError, TypeError) as err:
            fail("source_options", f"is not a pooled source's options ({err})")
            return None
    if path or options_text:
        column = "source_path" if path else "source_options"
        fail(column, "given without source_adapter; name the adapter that reads it")
    return None
