"""Census geographies: states, FIPS widths, GEOIDs and the ``geography.json`` hierarchy."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from attrs import frozen

from feedbackloop.errors import CensusGeographyError

__all__ = [
    "GEOGRAPHIES",
    "STATES",
    "GeoLevel",
    "GeographyQuery",
    "Hierarchy",
    "fips_code",
    "geography_level",
    "state_fips",
]

#: (FIPS, USPS code, name) of the states, DC, Puerto Rico and the island areas.
STATES: tuple[tuple[str, str, str], ...] = (
    ("01", "AL", "Alabama"),
    ("02", "AK", "Alaska"),
    ("04", "AZ", "Arizona"),
    ("05", "AR", "Arkansas"),
    ("06", "CA", "California"),
    ("08", "CO", "Colorado"),
    ("09", "CT", "Connecticut"),
    ("10", "DE", "Delaware"),
    ("11", "DC", "District of Columbia"),
    ("12", "FL", "Florida"),
    ("13", "GA", "Georgia"),
    ("15", "HI", "Hawaii"),
    ("16", "ID", "Idaho"),
    ("17", "IL", "Illinois"),
    ("18", "IN", "Indiana"),
    ("19", "IA", "Iowa"),
    ("20", "KS", "Kansas"),
    ("21", "KY", "Kentucky"),
    ("22", "LA", "Louisiana"),
    ("23", "ME", "Maine"),
    ("24", "MD", "Maryland"),
    ("25", "MA", "Massachusetts"),
    ("26", "MI", "Michigan"),
    ("27", "MN", "Minnesota"),
    ("28", "MS", "Mississippi"),
    ("29", "MO", "Missouri"),
    ("30", "MT", "Montana"),
    ("31", "NE", "Nebraska"),
    ("32", "NV", "Nevada"),
    ("33", "NH", "New Hampshire"),
    ("34", "NJ", "New Jersey"),
    ("35", "NM", "New Mexico"),
    ("36", "NY", "New York"),
    ("37", "NC", "North Carolina"),
    ("38", "ND", "North Dakota"),
    ("39", "OH", "Ohio"),
    ("40", "OK", "Oklahoma"),
    ("41", "OR", "Oregon"),
    ("42", "PA", "Pennsylvania"),
    ("44", "RI", "Rhode Island"),
    ("45", "SC", "South Carolina"),
    ("46", "SD", "South Dakota"),
    ("47", "TN", "Tennessee"),
    ("48", "TX", "Texas"),
    ("49", "UT", "Utah"),
    ("50", "VT", "Vermont"),
    ("51", "VA", "Virginia"),
    ("53", "WA", "Washington"),
    ("54", "WV", "West Virginia"),
    ("55", "WI", "Wisconsin"),
    ("56", "WY", "Wyoming"),
    ("60", "AS", "American Samoa"),
    ("66", "GU", "Guam"),
    ("69", "MP", "Northern Mariana Islands"),
    ("72", "PR", "Puerto Rico"),
    ("78", "VI", "U.S. Virgin Islands"),
)

_STATE_LOOKUP: dict[str, str] = {}
for _fips, _usps, _name in STATES:
    _STATE_LOOKUP[_fips] = _fips
    _STATE_LOOKUP[_usps.lower()] = _fips
    _STATE_LOOKUP[_name.lower()] = _fips
_STATE_LOOKUP["us virgin islands"] = "78"
_STATE_LOOKUP["virgin islands"] = "78"


@frozen
class GeoLevel:
    """A geography the adapter knows: its summary level and FIPS code width.

    Attributes
    ----------
    name : str
        The API's name (``"county subdivision"``, ``"zip code tabulation area"``).
    sumlevel : str
        The summary level (``geoLevelDisplay`` in ``geography.json``), e.g. ``"140"``.
    width : int
        Digits of this level's own code (tract 6, county 3...).
    geoid_width : int
        Digits of the full GEOID (tract 11, county 5...).

    .. versionadded:: 0.1.0
    """

    name: str
    sumlevel: str
    width: int
    geoid_width: int


#: The geographies the adapter reads, by canonical name (domain.md §2.4).
GEOGRAPHIES: dict[str, GeoLevel] = {
    "us": GeoLevel("us", "010", 1, 1),
    "state": GeoLevel("state", "040", 2, 2),
    "county": GeoLevel("county", "050", 3, 5),
    "county subdivision": GeoLevel("county subdivision", "060", 5, 10),
    "place": GeoLevel("place", "160", 5, 7),
    "tract": GeoLevel("tract", "140", 6, 11),
    "block group": GeoLevel("block group", "150", 1, 12),
    "zcta": GeoLevel("zip code tabulation area", "860", 5, 5),
}
#: ZCTAs within states (2010-era vintages only).
_ZCTA_IN_STATE = GeoLevel("zip code tabulation area (or part)", "871", 5, 5)

_ALIASES = {
    "nation": "us",
    "united states": "us",
    "states": "state",
    "counties": "county",
    "cousub": "county subdivision",
    "county_subdivision": "county subdivision",
    "places": "place",
    "tracts": "tract",
    "census tract": "tract",
    "block_group": "block group",
    "blockgroup": "block group",
    "bg": "block group",
    "cbg": "block group",
    "zip code tabulation area": "zcta",
    "zip_code_tabulation_area": "zcta",
    "zctas": "zcta",
}


def geography_level(name: str) -> GeoLevel:
    """Return the :class:`GeoLevel` for a geography name or alias.

    Parameters
    ----------
    name : str
        ``us``, ``state``, ``county``, ``county subdivision`` (``cousub``),
        ``place``, ``tract``, ``block group`` (``bg``), ``zcta``.

    Returns
    -------
    GeoLevel

    Raises
    ------
    CensusGeographyError
        For any other name (the message lists the accepted ones).

    Examples
    --------
    >>> geography_level("block_group").sumlevel
    '150'

    .. versionadded:: 0.1.0
    """
    key = " ".join(str(name).strip().lower().split())
    key = _ALIASES.get(key, key)
    level = GEOGRAPHIES.get(key)
    if level is None:
        raise CensusGeographyError(
            f"unknown geography {name!r}; use one of: {', '.join(GEOGRAPHIES)}"
        )
    return level


def state_fips(state: str | int) -> str:
    """Return the two-digit FIPS code of a state given by name, USPS code or FIPS.

    Parameters
    ----------
    state : str or int
        ``"California"``, ``"CA"``, ``"ca"``, ``"06"``, ``6``.

    Returns
    -------
    str

    Raises
    ------
    CensusGeographyError
        If the state is not known.

    Examples
    --------
    >>> state_fips("Illinois"), state_fips("ca"), state_fips(6)
    ('17', '06', '06')

    .. versionadded:: 0.1.0
    """
    text = str(state).strip()
    if text.isdigit():
        text = text.zfill(2)
    fips = _STATE_LOOKUP.get(" ".join(text.lower().split()))
    if fips is None:
        raise CensusGeographyError(
            f"unknown state {state!r}; give a name ('California'), a postal code ('CA') or a "
            "two-digit FIPS code ('06')"
        )
    return fips


_TRACT_DECIMAL = re.compile(r"^([0-9]{1,4})\.([0-9]{2})$")


def fips_code(level: str, value: str | int) -> str:
    """Return ``value`` as a zero-padded FIPS code of ``level`` (or ``"*"``).

    Parameters
    ----------
    level : str
        A geography name (``state``, ``county``, ``tract``...).
    value : str or int
        The code; states may also be names or postal codes, tracts may use the
        implied decimal (``"17.00"`` is ``"001700"``).

    Returns
    -------
    str

    Raises
    ------
    CensusGeographyError
        If the value is not a code of that width.

    Examples
    --------
    >>> fips_code("county", 75), fips_code("tract", "17.00"), fips_code("state", "CA")
    ('075', '001700', '06')

    .. versionadded:: 0.1.0
    """
    geo = geography_level(level)
    text = str(value).strip()
    if text == "*":
        return text
    if geo.name == "state":
        return state_fips(text)
    if geo.name == "tract":
        m = _TRACT_DECIMAL.match(text)
        if m:
            text = m.group(1) + m.group(2)
    if not text.isdigit() or len(text) > geo.width:
        raise CensusGeographyError(
            f"{value!r} is not a {level} code: {level} codes are {geo.width} digit(s)"
            + (" (tracts may also be written 1234.56)" if geo.name == "tract" else "")
        )
    return text.zfill(geo.width)


def _codes(level: str, value: Any) -> str:
    if isinstance(value, str) and "," in value:
        value = [v.strip() for v in value.split(",")]  # "state:CA,IL", "county:001,075"
    if isinstance(value, str | int):
        return fips_code(level, value)
    if isinstance(value, Iterable):
        codes = [fips_code(level, v) for v in value]
        if not codes:
            raise CensusGeographyError(f"an empty list of {level} codes")
        if "*" in codes and len(codes) > 1:
            raise CensusGeographyError(f"'*' cannot be combined with other {level} codes")
        return ",".join(codes)
    raise CensusGeographyError(f"{level} codes must be text, numbers or a list (got {value!r})")


@frozen
class GeographyQuery:
    """A checked geography request: the ``for`` and ``in`` clauses.

    Attributes
    ----------
    level : GeoLevel
        The geography read (with the API's name for this vintage).
    codes : str
        The ``for`` codes, ``"*"`` for all.
    within : tuple of (str, str)
        ``(parent name, codes)`` pairs for the ``in`` clause, in hierarchy order.

    .. versionadded:: 0.1.0
    """

    level: GeoLevel
    codes: str = "*"
    within: tuple[tuple[str, str], ...] = ()

    @property
    def for_clause(self) -> str:
        """The ``for`` parameter, e.g. ``tract:*``."""
        return f"{self.level.name}:{self.codes}"

    @property
    def in_clause(self) -> str | None:
        """The ``in`` parameter, e.g. ``state:06 county:075``, or ``None``."""
        if not self.within:
            return None
        return " ".join(f"{name}:{codes}" for name, codes in self.within)


def _parse_geography(geography: str) -> tuple[str, str | None]:
    name, sep, codes = str(geography).partition(":")
    return name, (codes if sep else None)


@frozen
class _Entry:
    name: str
    sumlevel: str
    requires: tuple[str, ...]
    wildcard: tuple[str, ...]
    optional: str | None


class Hierarchy:
    """The geography hierarchy of one vintage, from its ``geography.json``.

    Entries are keyed by summary level (``geoLevelDisplay``), because names are
    not unique (``county`` is both summary level 050 and 313 in 2010 SF1).

    Parameters
    ----------
    document : mapping
        The parsed ``geography.json`` (``{"fips": [...]}``).
    vintage : str
        ``year/dataset``, for messages.

    .. versionadded:: 0.1.0
    """

    def __init__(self, document: Mapping[str, Any], vintage: str) -> None:
        fips = document.get("fips") if isinstance(document, Mapping) else None
        if not isinstance(fips, list):
            raise CensusGeographyError(
                f"geography.json of {vintage} has no 'fips' list; the cached file may be "
                "damaged: delete it and read again",
                source=vintage,
            )
        self.vintage = vintage
        self.entries: dict[str, _Entry] = {}
        for item in fips:
            if not isinstance(item, Mapping) or "geoLevelDisplay" not in item:
                continue
            sumlevel = str(item["geoLevelDisplay"])
            self.entries.setdefault(
                sumlevel,
                _Entry(
                    name=str(item.get("name", "")),
                    sumlevel=sumlevel,
                    requires=tuple(item.get("requires") or ()),
                    wildcard=tuple(item.get("wildcard") or ()),
                    optional=item.get("optionalWithWCFor"),
                ),
            )

    def offered(self) -> list[str]:
        """Return the adapter's geographies this vintage offers (canonical names)."""
        return [k for k, g in GEOGRAPHIES.items() if g.sumlevel in self.entries]

    def resolve(self, geography: str, within: Mapping[str, Any] | None = None) -> GeographyQuery:
        """Check ``geography`` within ``within`` against the hierarchy; build the query.

        Required parents that the vintage lets be omitted (``optionalWithWCFor``)
        may be left out; other wildcard parents left out become ``*``.

        Parameters
        ----------
        geography : str
            A geography name, optionally with codes: ``"state:CA,IL"``.
        within : mapping, optional
            Parents: ``{"state": "CA", "county": "075"}``.

        Returns
        -------
        GeographyQuery

        Raises
        ------
        CensusGeographyError
            When the vintage does not offer the geography or the hierarchy,
            saying what is allowed.
        """
        name, codes = _parse_geography(geography)
        level = geography_level(name)
        parents = _parents(within)
        if level.sumlevel == "860" and parents:
            if _ZCTA_IN_STATE.sumlevel in self.entries and set(parents) == {"state"}:
                level = _ZCTA_IN_STATE
            else:
                raise CensusGeographyError(
                    f"{self.vintage} does not nest ZCTAs in other geographies; read every ZCTA "
                    "(drop within=) and keep the GEOIDs you need with series.filter(geography=...)",
                    source=self.vintage,
                )
        entry = self.entries.get(level.sumlevel)
        if entry is None:
            raise CensusGeographyError(
                f"{self.vintage} does not offer geography {name!r} (summary level "
                f"{level.sumlevel}); it offers: {', '.join(self.offered()) or 'none of them'}",
                source=self.vintage,
            )
        level = GeoLevel(entry.name, level.sumlevel, level.width, level.geoid_width)
        extra = [p for p in parents if p not in entry.requires]
        example = _example(entry)
        if extra:
            allowed = ", ".join(entry.requires) or "nothing"
            raise CensusGeographyError(
                f"unsupported geography hierarchy in {self.vintage}: {entry.name} can be "
                f"within {allowed}, not {', '.join(extra)}; e.g. {example}",
                source=self.vintage,
            )
        clauses = self._clauses(entry, parents, example)
        return GeographyQuery(
            level=level, codes=_codes(name, codes) if codes else "*", within=tuple(clauses)
        )

    def _clauses(
        self, entry: _Entry, parents: Mapping[str, str], example: str
    ) -> list[tuple[str, str]]:
        """Return the ``in=`` clauses for ``entry``: the parents given, ``*`` where allowed."""
        clauses: list[tuple[str, str]] = []
        for parent in entry.requires:
            value = parents.get(parent)
            if value is None:
                if parent == entry.optional:
                    continue
                if parent in entry.wildcard:
                    clauses.append((parent, "*"))
                    continue
                raise CensusGeographyError(
                    f"unsupported geography hierarchy in {self.vintage}: {entry.name} needs "
                    f"{parent} in within= (its geography.json requires "
                    f"{', '.join(entry.requires)} and allows a wildcard only for "
                    f"{', '.join(entry.wildcard) or 'none of them'}); e.g. {example}",
                    source=self.vintage,
                )
            if value == "*" and parent not in entry.wildcard:
                raise CensusGeographyError(
                    f"unsupported geography hierarchy in {self.vintage}: {entry.name} cannot "
                    f"take every {parent} at once ('*'); name the {parent} codes, e.g. {example}",
                    source=self.vintage,
                )
            clauses.append((parent, value))
        return clauses


_EXAMPLE_CODES = {"state": "'06'", "county": "'075'", "tract": "'010100'"}


def _parents(within: Mapping[str, Any] | None) -> dict[str, str]:
    """Return the parents of ``within=`` by canonical level name, their codes checked."""
    parents: dict[str, str] = {}
    for key, value in (within or {}).items():
        plevel = geography_level(key)
        if plevel.name in parents:
            raise CensusGeographyError(f"within= names {plevel.name!r} twice")
        parents[plevel.name] = _codes(key, value)
    return parents


def _example(entry: _Entry) -> str:
    parts = [f"{p!r}: {_EXAMPLE_CODES.get(p, '...')}" for p in entry.requires]
    return "within={" + ", ".join(parts) + "}" if parts else "no within="
