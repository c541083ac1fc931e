"""Units of measure for indicators, through one shared :mod:`pint` registry.

Indicator units are written as plain text in loop files (``percent``, ``USD``,
``people``, ``per 1000 people``, ``per 100,000 residents``, ``days``). This module
parses them with a single registry that knows the counting units social data
needs (person, household, student, family, job, ...) and US dollars, and
converts values between compatible units.

No registry is built at import time: :func:`get_registry` builds it on first
use (or returns one set with :func:`set_registry`).
"""

from __future__ import annotations

import functools
import re
import threading
from typing import TYPE_CHECKING, Any

from feedbackloop._util import shorten
from feedbackloop.errors import UnitError

if TYPE_CHECKING:
    import pint

__all__ = [
    "conversion_factor",
    "get_registry",
    "is_count",
    "is_dimensionless",
    "normalize_unit",
    "parse_unit",
    "set_registry",
]

# Counting units.  Each distinct kind of thing counted is its own base dimension,
# so that "people" cannot be converted into "households"; the synonyms of a
# person (student, youth, resident...) are the same dimension.
_DEFINITIONS = """
person = [person] = people = persons
student = person = students
youth = person = youths
resident = person = residents
child = person = children
adult = person = adults
client = person = clients
participant = person = participants
worker = person = workers
birth = person = births
live_birth = person = live_births
death = person = deaths
household = [household] = households
family = [family] = families
housing_unit = [housing_unit] = housing_units
job = [job] = jobs
event = [event] = events = case = cases = incident = incidents = visit = visits
USD = [currency] = dollar = dollars = US_dollar
school = [school] = schools
program = [program] = programs
"""

_lock = threading.Lock()
_registry: pint.UnitRegistry[Any] | None = None

_PER = re.compile(r"^\s*per\s+(.+)$", re.IGNORECASE)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_LEADING_NUMBER = re.compile(r"^\s*([0-9][0-9_.eE+-]*)\s+(.+)$")


def _build_registry() -> pint.UnitRegistry[Any]:
    import pint

    reg: pint.UnitRegistry[Any] = pint.UnitRegistry(
        autoconvert_offset_to_baseunit=True, cache_folder=None, on_redefinition="ignore"
    )
    for line in _DEFINITIONS.strip().splitlines():
        reg.define(line)
    # pint ships "percent"; add the per-mille and basis-point spellings we meet.
    if "permille" not in reg:
        reg.define("permille = 0.001 = ‰")
    # "pp" is a typographic point in pint; in indicator work it is a percentage point.
    reg.define("percentage_point = 0.01 = pp")
    reg.define("fraction = [] = proportion")
    reg.define("ratio = []")
    reg.define("index_value = [] = index")
    return reg


def get_registry() -> pint.UnitRegistry[Any]:
    """Return the shared unit registry, building it on first use.

    Returns
    -------
    pint.UnitRegistry
        The registry every feedbackloop unit goes through. It knows pint's
        standard units plus ``person`` (``people``, ``student``, ``resident``...),
        ``household``, ``family``, ``housing_unit``, ``job``, ``event``
        (``case``, ``visit``), ``school``, ``program`` and ``USD``.
    """
    global _registry
    if _registry is None:
        with _lock:
            if _registry is None:
                _registry = _build_registry()
    return _registry


def set_registry(registry: pint.UnitRegistry[Any] | None) -> None:
    """Use ``registry`` for every unit from now on (``None`` restores the default).

    Parameters
    ----------
    registry : pint.UnitRegistry or None
        A registry that should define the counting units listed in
        :func:`get_registry`; pass ``None`` to rebuild the default lazily.
    """
    global _registry
    with _lock:
        _registry = registry
    _parse_cached.cache_clear()


def normalize_unit(text: str) -> str:
    """Rewrite a human unit label into a pint expression.

    ``"per 1,000 people"`` becomes ``"1 / (1000 * people)"``; ``"%"`` stays
    ``"percent"``; an empty label means dimensionless.

    Parameters
    ----------
    text : str
        The unit as written in a loop file or a source.

    Returns
    -------
    str
        An expression :meth:`pint.UnitRegistry.parse_expression` accepts.

    Examples
    --------
    >>> normalize_unit("per 1,000 people")
    '1 / (1000 * people)'
    >>> normalize_unit("%")
    'percent'
    """
    s = text.strip()
    if s in ("", "1", "dimensionless", "count", "number"):
        return "dimensionless"
    if s == "%":
        return "percent"
    s = _THOUSANDS.sub("", s)
    m = _PER.match(s)
    if m:
        rest = m.group(1).strip()
        n = _LEADING_NUMBER.match(rest)
        if n:
            return f"1 / ({n.group(1)} * {n.group(2).strip().replace(' ', '_')})"
        return f"1 / {rest.replace(' ', '_')}"
    return s.replace("%", "percent")


@functools.lru_cache(maxsize=512)
def _parse_cached(text: str) -> Any:
    import pint

    reg = get_registry()
    expr = normalize_unit(text)
    try:
        q = reg.parse_expression(expr)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError) as err:
        raise UnitError(
            f"unknown unit {shorten(text)} ({shorten(str(err), 120)}); write a pint unit "
            "such as 'percent', 'USD', 'people', 'households', 'per 1000 people' or 'days', "
            "or define the unit on feedbackloop.units.get_registry()"
        ) from err
    except Exception as err:
        raise UnitError(
            f"cannot parse unit {shorten(text)}: {shorten(str(err), 120)}; "
            "write e.g. 'percent' or 'per 1000 people'"
        ) from err
    return q


def parse_unit(text: str) -> pint.Quantity[Any]:
    """Parse a unit label into a pint quantity (a scale times a unit).

    Parameters
    ----------
    text : str
        The unit label, e.g. ``"percent"`` or ``"per 100,000 people"``.

    Returns
    -------
    pint.Quantity
        ``1 percent``, ``0.00001 / person``...

    Raises
    ------
    UnitError
        If the label is not a unit the registry knows.
    """
    return _parse_cached(text)  # type: ignore[no-any-return]


def conversion_factor(from_unit: str, to_unit: str) -> float:
    """Return the factor that converts values in ``from_unit`` to ``to_unit``.

    Parameters
    ----------
    from_unit, to_unit : str
        Unit labels, as accepted by :func:`parse_unit`.

    Returns
    -------
    float
        Multiply values in ``from_unit`` by this to express them in ``to_unit``.

    Raises
    ------
    UnitError
        If the units measure different things (``percent`` into ``USD``).

    Examples
    --------
    >>> conversion_factor("fraction", "percent")
    100.0
    >>> round(conversion_factor("per 1000 people", "per 100,000 people"), 9)
    100.0
    """
    import pint

    a = parse_unit(from_unit)
    b = parse_unit(to_unit)
    try:
        return float((a / b).to("dimensionless").magnitude)
    except pint.errors.DimensionalityError as err:
        raise UnitError(
            f"cannot convert {from_unit!r} to {to_unit!r}: they measure different things "
            f"({a.dimensionality} vs {b.dimensionality}); choose a unit of the same kind"
        ) from err


def is_count(unit: str) -> bool:
    """Return whether ``unit`` counts things, so that its values cannot be negative.

    ``count`` and ``number`` count; so does a unit of one counting kind
    (``people``, ``households``, ``jobs``, ``thousand people``). Rates, shares,
    money and durations do not.

    Parameters
    ----------
    unit : str
        A unit label.

    Returns
    -------
    bool
        ``False`` too for a label :func:`parse_unit` does not know.

    Examples
    --------
    >>> is_count("people"), is_count("count"), is_count("percent"), is_count("USD")
    (True, True, False, False)
    >>> is_count("per 1000 people")
    False
    """
    if unit.strip().lower() in ("count", "counts", "number"):
        return True
    try:
        dims = parse_unit(unit).dimensionality
    except UnitError:
        return False
    if len(dims) != 1:
        return False
    ((name, power),) = dims.items()
    return bool(power == 1 and name != "[currency]") and not name.startswith(
        ("[time", "[length", "[mass")
    )


def is_dimensionless(unit: str) -> bool:
    """Return whether ``unit`` is a pure number (fraction, percent, per-mille).

    Parameters
    ----------
    unit : str
        A unit label.

    Returns
    -------
    bool
        ``True`` for ``percent``, ``fraction``, ``dimensionless``...
    """
    return bool(parse_unit(unit).dimensionless)
