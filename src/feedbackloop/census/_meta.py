"""Variable metadata of one vintage (``variables.json``): lookup, pairing, search."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any

import pandas as pd
from attrs import frozen

from feedbackloop.errors import CensusResponseError, UnknownTableError, UnknownVariableError

__all__ = ["RACE_ITERATIONS", "Variable", "VariableTable"]

#: Race/ethnicity iteration letters of detailed tables and their Census labels
#: (domain.md §2.5). A–G are mutually exclusive; H ⊂ A; I overlaps A–G.
RACE_ITERATIONS: dict[str, str] = {
    "A": "White alone",
    "B": "Black or African American alone",
    "C": "American Indian and Alaska Native alone",
    "D": "Asian alone",
    "E": "Native Hawaiian and Other Pacific Islander alone",
    "F": "Some other race alone",
    "G": "Two or more races",
    "H": "White alone, not Hispanic or Latino",
    "I": "Hispanic or Latino",
}

_GEO_PREDICATES = {"fips-for", "fips-in", "ucgid"}
# Variables whose values come with an estimate annotation worth asking for:
# top/bottom-coded medians and quartiles (domain.md §2.3).
_CODED = re.compile(r"median|quartile", re.IGNORECASE)
_SPECIAL = frozenset({"GEO_ID", "NAME", "GEOCOMP", "SUMLEVEL", "ucgid"})
_NOT_ESTIMATE = re.compile(r"(?:M|MA|EA|NA)$")
_TABLE_LINE = re.compile(r"^([A-Z]+[0-9]+)([A-I]?)((?:PR)?)_([0-9A-Z]+)$")


@frozen
class Variable:
    """One estimate variable and the names that go with it.

    Attributes
    ----------
    name : str
        The estimate's API name (``B19013_001E``, ``DP05_0001PE``, ``P1_001N``).
    label, concept, group, predicate_type : str
        From ``variables.json``.
    moe : str or None
        Its margin-of-error variable, from ``attributes`` (None for decennial data).
    estimate_annotation, moe_annotation : str or None
        Annotation variables (``…EA``/``…MA``), when the vintage has them.

    .. versionadded:: 0.1.0
    """

    name: str
    label: str
    concept: str
    group: str
    predicate_type: str
    moe: str | None
    estimate_annotation: str | None
    moe_annotation: str | None

    @property
    def short_name(self) -> str:
        """The name without a trailing ``E`` (tidycensus style): ``B19013_001``."""
        if self.name.endswith("E") and not self.name.endswith("PE"):
            return self.name[:-1]
        return self.name

    @property
    def is_percent(self) -> bool:
        """Whether the value is a percentage (profile ``PE`` variables, "Percent" labels)."""
        return self.name.endswith("PE") or self.label.lower().startswith("percent")

    @property
    def may_be_coded(self) -> bool:
        """Whether the value can be top- or bottom-coded (medians and quartiles)."""
        return bool(_CODED.search(self.label) or _CODED.search(self.concept))

    @property
    def clean_label(self) -> str:
        """The label without ``Estimate!!``, its ``!!`` separators shown as dashes."""
        parts = [p.strip().rstrip(":") for p in self.label.split("!!") if p.strip()]
        if parts and parts[0].lower() in ("estimate", "percent", " "):
            parts = parts[1:] or parts
        return " — ".join(parts)


def _moe_for(name: str, attributes: AbstractSet[str]) -> tuple[str | None, str | None, str | None]:
    """Pick (moe, estimate annotation, moe annotation) for ``name`` from its attributes."""
    if name.endswith("PE"):
        stem, est_suffix, moe_suffix = name[:-2], "PE", "PM"
    elif name.endswith(("E", "N")):
        stem, est_suffix, moe_suffix = name[:-1], name[-1], "M"
    else:
        stem, est_suffix, moe_suffix = name, "", "M"
    attrs = attributes
    moe = stem + moe_suffix
    ea = stem + est_suffix + "A"
    ma = stem + moe_suffix + "A"
    return (
        moe if moe in attrs else None,
        ea if ea in attrs else None,
        ma if ma in attrs and moe in attrs else None,
    )


class VariableTable:
    """The variables of one vintage, parsed from its ``variables.json``.

    MOE and annotation names are taken from each estimate's ``attributes``
    (some vintages, such as ACS-SE 2019, list them nowhere else).

    Parameters
    ----------
    document : mapping
        The parsed ``variables.json`` (``{"variables": {...}}``).
    vintage : str
        ``year/dataset``, for messages.

    .. versionadded:: 0.1.0
    """

    def __init__(self, document: Mapping[str, Any], vintage: str) -> None:
        raw = document.get("variables") if isinstance(document, Mapping) else None
        if not isinstance(raw, Mapping):
            raise CensusResponseError(
                f"variables.json of {vintage} has no 'variables' object; the cached file may "
                "be damaged: delete it and read again",
                source=vintage,
            )
        self.vintage = vintage
        self.raw: Mapping[str, Mapping[str, Any]] = raw
        listed = set(raw)
        attribute_names: set[str] = set()
        for entry in raw.values():
            if isinstance(entry, Mapping) and entry.get("attributes"):
                attribute_names.update(str(entry["attributes"]).split(","))
        self.estimates: dict[str, Variable] = {}
        self.geography_variables: set[str] = set()
        for name, entry in raw.items():
            if not isinstance(entry, Mapping):
                continue
            if entry.get("predicateOnly") or entry.get("predicateType") in _GEO_PREDICATES:
                continue
            group = str(entry.get("group", "N/A"))
            if name in _SPECIAL or "," in group:
                self.geography_variables.add(name)
                continue
            if group == "N/A" or name in attribute_names:
                if group == "N/A":
                    self.geography_variables.add(name)
                continue
            if _NOT_ESTIMATE.search(name):
                continue  # an MOE or annotation listed as a variable of its own
            attributes = {a for a in str(entry.get("attributes") or "").split(",") if a}
            moe, ea, ma = _moe_for(name, attributes)
            if moe is None and not attributes:
                # No attributes: fall back on a listed MOE variable of the usual name.
                moe = _moe_for(name, listed)[0]
            self.estimates[name] = Variable(
                name=name,
                label=str(entry.get("label", "")),
                concept=str(entry.get("concept", "")),
                group=group,
                predicate_type=str(entry.get("predicateType", "")),
                moe=moe,
                estimate_annotation=ea,
                moe_annotation=ma,
            )
        self.groups: dict[str, list[str]] = {}
        for var in self.estimates.values():
            self.groups.setdefault(var.group, []).append(var.name)
        for names in self.groups.values():
            names.sort()
        self._short = {v.short_name: v.name for v in self.estimates.values()}

    @property
    def has_geo_id(self) -> bool:
        """Whether the vintage has a ``GEO_ID`` variable to join on."""
        return "GEO_ID" in self.raw

    def __contains__(self, name: object) -> bool:
        return name in self.estimates

    def __len__(self) -> int:
        return len(self.estimates)

    def suggestions(self, name: str, n: int = 5) -> list[str]:
        """Close estimate names (by spelling), as short names (``B19013_001``)."""
        pool = list(self._short) + list(self.estimates)
        seen: list[str] = []
        for cand in difflib.get_close_matches(name.upper(), pool, n=n * 2, cutoff=0.6):
            short = self.estimates[self._short.get(cand, cand)].short_name
            if short not in seen:
                seen.append(short)
        return seen[:n]

    def resolve(self, name: str) -> Variable:
        """Return the estimate variable for ``name`` (with or without its suffix).

        ``B19013_001`` and ``B19013_001E`` give ``B19013_001E``; ``P1_001`` gives
        ``P1_001N``; ``DP05_0001PE`` is taken as written.

        Raises
        ------
        UnknownVariableError
            With close names from ``variables.json``.
        """
        text = str(name).strip().upper()
        for cand in (text, text + "E", text + "N"):
            if cand in self.estimates:
                return self.estimates[cand]
        source = self.vintage
        if text in self.raw or any(
            text in str(e.get("attributes", "")).split(",")
            for e in self.raw.values()
            if isinstance(e, Mapping)
        ):
            raise UnknownVariableError(
                f"{text!r} is a margin of error, an annotation or a geography variable of "
                f"{source}, not an estimate; name the estimate (e.g. {text.rstrip('MA')!r}) and "
                "its margin of error comes with it",
                variable=text,
                source=source,
            )
        close = self.suggestions(text)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise UnknownVariableError(
            f"unknown variable {text!r} in {source} ({len(self.estimates)} estimates listed in "
            f"its variables.json); {hint}Search with "
            "feedbackloop.census.search_variables('words', year=..., dataset=...)",
            variable=text,
            suggestions=close,
            source=source,
        )

    def table(self, table: str) -> list[Variable]:
        """Return the estimate variables of a table (group), in order.

        Raises
        ------
        UnknownTableError
            With close table names.
        """
        key = str(table).strip().upper()
        names = self.groups.get(key)
        if not names:
            close = difflib.get_close_matches(key, list(self.groups), n=5, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise UnknownTableError(
                f"unknown table {key!r} in {self.vintage}; {hint}list tables with "
                "feedbackloop.census.load_variables(...)['group'].unique()",
                variable=key,
                suggestions=close,
                source=self.vintage,
            )
        return [self.estimates[n] for n in names]

    def race_iteration(self, var: Variable, letter: str) -> Variable | None:
        """Return the line of race iteration ``letter`` (``B19013_001E`` → ``B19013A_001E``)."""
        m = _TABLE_LINE.match(var.name.removesuffix("E"))
        if m is None:
            return None
        table, _race, pr, line = m.groups()
        return self.estimates.get(f"{table}{letter}{pr}_{line}E")

    def frame(self) -> pd.DataFrame:
        """Every estimate as a DataFrame: name, label, concept, group, predicate type, MOE."""
        rows = [
            (
                v.short_name,
                v.name,
                v.label,
                v.concept,
                v.group,
                v.predicate_type,
                v.moe,
            )
            for v in sorted(self.estimates.values(), key=lambda v: v.name)
        ]
        return pd.DataFrame(
            rows,
            columns=["name", "api_name", "label", "concept", "group", "predicate_type", "moe"],
        )

    def search(self, query: str, *, n: int | None = 20) -> pd.DataFrame:
        """Rank estimates by how well label and concept match the words of ``query``.

        Every word must appear (case-insensitive) in the name, label, concept or
        group; ties are broken by a whole-phrase match, then by name.
        """
        words = [w for w in re.split(r"\W+", query.lower()) if w]
        phrase = " ".join(words)
        scored: list[tuple[float, str, Variable]] = []
        for v in self.estimates.values():
            text = f"{v.name} {v.label} {v.concept} {v.group}".lower()
            flat = " ".join(re.split(r"\W+", text))
            if not words or not all(w in flat for w in words):
                continue
            score = 1.0
            if phrase and phrase in flat:
                score += 1.0
            if phrase and phrase in " ".join(re.split(r"\W+", v.label.lower())):
                score += 0.5
            score -= len(v.label) / 10_000  # prefer the shorter, more general line
            scored.append((score, v.name, v))
        scored.sort(key=lambda t: (-t[0], t[1]))
        if n is not None:
            scored = scored[:n]
        return pd.DataFrame(
            [(v.short_name, v.label, v.concept, v.group, round(s, 4)) for s, _, v in scored],
            columns=["name", "label", "concept", "group", "score"],
        )
