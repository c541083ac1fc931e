"""Synthetic agencies with known truth, for testing record linkage.

:func:`make_agencies` draws a person table and gives each agency a copy of a
random subset of it, corrupted at the documented rates of a
:class:`CorruptionProfile`: typing errors in names, nickname swaps
(Robert / Bob), day and month swapped in the date of birth, a mistyped day,
moves (a new ZIP code) and missing fields. :data:`STANDARD` applies the same
rates to everyone; :data:`BIASED` multiplies them for one group, as happens
when a group's names are more often misspelled or its records less complete,
which is what makes linkage bias disaggregated results.

Everything is drawn from a seeded :class:`numpy.random.Generator`, so the same
arguments give the same files.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from attrs import field, frozen

__all__ = [
    "BIASED",
    "FIRST_NAMES",
    "STANDARD",
    "CorruptionProfile",
    "SyntheticAgencies",
    "make_agencies",
]

#: First names with the nicknames agencies record instead (first one is formal).
FIRST_NAMES: Mapping[str, tuple[str, ...]] = {
    "robert": ("bob", "rob"),
    "william": ("bill", "will"),
    "james": ("jim", "jimmy"),
    "michael": ("mike",),
    "christopher": ("chris",),
    "anthony": ("tony",),
    "joseph": ("joe",),
    "daniel": ("dan", "danny"),
    "jose": ("pepe",),
    "alejandro": ("alex",),
    "jonathan": ("jon",),
    "nicholas": ("nick",),
    "samuel": ("sam",),
    "benjamin": ("ben",),
    "andre": (),
    "malik": (),
    "kevin": (),
    "luis": (),
    "carlos": (),
    "wei": (),
    "minh": (),
    "elizabeth": ("liz", "beth"),
    "jennifer": ("jen", "jenny"),
    "katherine": ("kate", "katie"),
    "margaret": ("maggie", "meg"),
    "patricia": ("patty", "trish"),
    "victoria": ("vicky", "tori"),
    "alexandra": ("alex", "sasha"),
    "jessica": ("jess",),
    "rebecca": ("becky",),
    "samantha": ("sam",),
    "guadalupe": ("lupe",),
    "maria": (),
    "aaliyah": (),
    "keisha": (),
    "sofia": (),
    "camila": (),
    "mei": (),
    "linh": (),
    "destiny": (),
    "gabriela": ("gabby",),
}
_MALE = list(FIRST_NAMES)[:21]
_FEMALE = list(FIRST_NAMES)[21:]
_LAST: Mapping[str, tuple[str, ...]] = {
    "white": (
        "smith",
        "johnson",
        "miller",
        "anderson",
        "taylor",
        "thomas",
        "moore",
        "martin",
        "thompson",
        "white",
        "clark",
        "lewis",
        "walker",
        "hall",
        "young",
        "king",
        "wright",
        "hill",
        "scott",
        "green",
        "adams",
        "baker",
        "nelson",
        "carter",
    ),
    "black": (
        "williams",
        "jones",
        "brown",
        "davis",
        "jackson",
        "harris",
        "robinson",
        "washington",
        "jefferson",
        "banks",
        "freeman",
        "booker",
        "mitchell",
        "coleman",
        "simmons",
        "bryant",
        "alexander",
        "griffin",
        "hayes",
        "myles",
        "dixon",
        "gaines",
        "owens",
        "pierce",
    ),
    "hispanic": (
        "garcia",
        "rodriguez",
        "martinez",
        "hernandez",
        "lopez",
        "gonzalez",
        "perez",
        "sanchez",
        "ramirez",
        "torres",
        "flores",
        "rivera",
        "gomez",
        "diaz",
        "reyes",
        "cruz",
        "morales",
        "ortiz",
        "gutierrez",
        "chavez",
        "ramos",
        "castillo",
        "vargas",
        "santiago",
    ),
    "asian": (
        "nguyen",
        "tran",
        "le",
        "pham",
        "chen",
        "wang",
        "li",
        "zhang",
        "liu",
        "kim",
        "park",
        "lee",
        "patel",
        "shah",
        "singh",
        "huang",
        "wu",
        "yang",
        "zhao",
        "huynh",
        "vu",
        "dang",
        "bui",
        "do",
    ),
}
_ZIPS = tuple(f"061{n:02d}" for n in range(1, 21))


@frozen(kw_only=True)
class CorruptionProfile:
    """Per-field error rates of one agency's copy of a person's record.

    Each rate is the probability that one copy carries that error, applied
    independently per field and per agency.

    Attributes
    ----------
    name_typo : float
        One character of the first or last name substituted, deleted,
        inserted or swapped with its neighbour (each name separately).
    nickname : float
        The first name recorded as a nickname (Robert -> Bob), where one exists.
    dob_swap : float
        Day and month of birth swapped (where the day is 12 or less).
    dob_typo : float
        The day of birth off by one.
    move : float
        A different ZIP code (the person moved).
    missing : float
        ZIP code, sex and (at a fifth of this rate) date of birth missing,
        each independently.
    group_multiplier : mapping of str to float
        Race group -> factor applied to every rate above for that group.
    """

    name_typo: float = 0.06
    nickname: float = 0.08
    dob_swap: float = 0.03
    dob_typo: float = 0.03
    move: float = 0.15
    missing: float = 0.05
    group_multiplier: Mapping[str, float] = field(factory=dict)

    def rate(self, what: str, race: str) -> float:
        """Return the rate of error ``what`` for a person of group ``race`` (at most 1)."""
        base: float = getattr(self, what)
        return min(1.0, base * self.group_multiplier.get(race, 1.0))


#: The same documented rates for every group.
STANDARD = CorruptionProfile()
#: Hispanic records carry five times the errors of the others.
BIASED = CorruptionProfile(group_multiplier={"hispanic": 5.0})


@frozen(kw_only=True)
class SyntheticAgencies:
    """Agency files and the truth behind them.

    Attributes
    ----------
    files : dict of str to pandas.DataFrame
        Agency name -> records (``record_id``, ``first``, ``last``, ``dob`` as
        text, ``sex``, ``race``, ``zip``).
    truth : pandas.DataFrame
        ``agency``, ``record_id``, ``person``: who each record really is.
    people : pandas.DataFrame
        The person table the files were copied from.
    """

    files: dict[str, pd.DataFrame] = field(eq=False)
    truth: pd.DataFrame = field(eq=False)
    people: pd.DataFrame = field(eq=False)


def _people(n: int, rng: np.random.Generator) -> pd.DataFrame:
    races = rng.choice(list(_LAST), size=n, p=[0.25, 0.35, 0.3, 0.1])
    sex = rng.choice(["F", "M"], size=n)
    first = [str(rng.choice(_FEMALE if s == "F" else _MALE)) for s in sex]
    last = [str(rng.choice(_LAST[r])) for r in races]
    start = _dt.date(2002, 1, 1).toordinal()
    dob = [_dt.date.fromordinal(start + int(d)) for d in rng.integers(0, 5 * 365, size=n)]
    return pd.DataFrame(
        {
            "person": np.arange(n),
            "first": first,
            "last": last,
            "dob": dob,
            "sex": sex,
            "race": races,
            "zip": rng.choice(_ZIPS, size=n),
        }
    )


def _typo(word: str, rng: np.random.Generator) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    i = int(rng.integers(0, max(len(word) - 1, 1)))
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return word[:i] + str(rng.choice(list(letters))) + word[i + 1 :]
    if kind == 1 and len(word) > 3:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + str(rng.choice(list(letters))) + word[i:]
    if len(word) > 2:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word + "e"


def _dob(dob: _dt.date, race: str, p: CorruptionProfile, rng: np.random.Generator) -> _dt.date:
    if dob.day <= 12 and dob.day != dob.month and rng.random() < p.rate("dob_swap", race):
        return dob.replace(month=dob.day, day=dob.month)
    if rng.random() < p.rate("dob_typo", race):
        return dob + _dt.timedelta(days=1 if dob.day < 28 else -1)
    return dob


def _copy(person: pd.Series, p: CorruptionProfile, rng: np.random.Generator) -> dict[str, object]:
    race = str(person["race"])
    first, last = str(person["first"]), str(person["last"])
    if FIRST_NAMES[first] and rng.random() < p.rate("nickname", race):
        first = str(rng.choice(list(FIRST_NAMES[first])))
    if rng.random() < p.rate("name_typo", race):
        first = _typo(first, rng)
    if rng.random() < p.rate("name_typo", race):
        last = _typo(last, rng)
    dob: _dt.date | None = _dob(person["dob"], race, p, rng)
    zip_code: str | None = str(person["zip"])
    if rng.random() < p.rate("move", race):
        zip_code = str(rng.choice([z for z in _ZIPS if z != zip_code]))
    if rng.random() < p.rate("missing", race):
        zip_code = None
    sex: str | None = str(person["sex"])
    if rng.random() < p.rate("missing", race):
        sex = None
    if rng.random() < p.rate("missing", race) / 5:
        dob = None
    style = rng.random()
    first = first.title() if style < 0.5 else first.upper()
    last = last.title() if style < 0.5 else last.upper()
    return {"first": first, "last": last, "dob": dob, "sex": sex, "race": race, "zip": zip_code}


def make_agencies(
    n_people: int,
    agencies: Sequence[str] = ("a", "b"),
    *,
    coverage: float | Mapping[str, float] = 0.75,
    profile: CorruptionProfile = STANDARD,
    date_formats: Mapping[str, str] | None = None,
    seed: int = 0,
) -> SyntheticAgencies:
    """Draw ``n_people`` people and give each agency a corrupted copy of some of them.

    Parameters
    ----------
    n_people : int
        Size of the person table.
    agencies : sequence of str
        Agency names.
    coverage : float or mapping of str to float
        Share of people each agency holds a record of (drawn independently).
    profile : CorruptionProfile
        Error rates; :data:`STANDARD` or :data:`BIASED`.
    date_formats : mapping of str to str, optional
        Agency -> :meth:`~datetime.date.strftime` format of its ``dob`` column
        (default ISO, ``%Y-%m-%d``).
    seed : int
        Seed of the random generator.

    Returns
    -------
    SyntheticAgencies
    """
    rng = np.random.default_rng(seed)
    people = _people(n_people, rng)
    files: dict[str, pd.DataFrame] = {}
    truth: list[pd.DataFrame] = []
    for k, agency in enumerate(agencies):
        share = coverage if isinstance(coverage, float | int) else coverage[agency]
        held = people[rng.random(n_people) < share].sample(frac=1.0, random_state=seed + k)
        rows = [_copy(person, profile, rng) for _, person in held.iterrows()]
        df = pd.DataFrame(rows, columns=["first", "last", "dob", "sex", "race", "zip"])
        fmt = (date_formats or {}).get(agency, "%Y-%m-%d")
        df["dob"] = [None if d is None else d.strftime(fmt) for d in df["dob"]]
        ids = [f"{agency[:2].upper()}{i:07d}" for i in rng.permutation(len(df)) + 1]
        df.insert(0, "record_id", ids)
        files[agency] = df.astype(object).where(df.notna(), None)
        truth.append(
            pd.DataFrame({"agency": agency, "record_id": ids, "person": held["person"].to_numpy()})
        )
    return SyntheticAgencies(files=files, truth=pd.concat(truth, ignore_index=True), people=people)
