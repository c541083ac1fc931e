"""Adapter options, declared once: an attrs class whose fields are made with :func:`option`.

An adapter may declare ``options``, an attrs class with one field per option
(name, default, converter, and with :func:`option` a description, whether it
names a file and whether ``discover`` takes it too). From that one declaration:

* :func:`with_options` gives ``read`` (and ``discover``) a signature and a
  parameter list in their docstring, so ``help()`` and notebooks show every option;
* :func:`parse_options` turns the keywords a method received into an options
  object, or raises :class:`~feedbackloop.errors.AdapterOptionError` naming the
  adapter, the unknown option and the close matches;
* :func:`options_of` tells :func:`feedbackloop.read` and :func:`feedbackloop.collect`
  which options a method accepts and which take paths;
* :func:`declaration_problems` is what the registry checks when it loads the adapter.

Adapters that declare nothing keep working: their options are their methods'
keyword parameters, as in adapter API 1 from the start.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import os
import textwrap
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
from attrs import field, frozen

from feedbackloop.errors import AdapterOptionError

__all__ = [
    "METHODS",
    "Option",
    "declaration_problems",
    "option",
    "option_declarations",
    "options_of",
    "parse_options",
    "unknown_options",
    "with_options",
]

#: The contract methods that take options.
METHODS = ("read", "discover")

_META = "feedbackloop.adapters.option"
_MARKER = "{options}"
_RESERVED = frozenset({"self", "source"})

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


@frozen
class Option:
    """One option of an adapter, as :func:`feedbackloop.read` and the registry see it.

    Attributes
    ----------
    name : str
        The keyword.
    doc : str
        What it does (one paragraph).
    path : bool
        Whether a text value names a file or folder: :func:`feedbackloop.collect`
        resolves relative ones against the loop file's folder.
    discover : bool
        Whether ``discover`` takes it too (``read`` takes every option).
    default : object
        Its default.

    .. versionadded:: 0.1.0
    """

    name: str
    doc: str = field(default="", kw_only=True)
    path: bool = field(default=False, kw_only=True)
    discover: bool = field(default=False, kw_only=True)
    default: Any = field(default=None, kw_only=True)


def option(doc: str, *, path: bool = False, discover: bool = False) -> dict[str, Any]:
    """Describe a field of an options class as an adapter option (its attrs ``metadata``).

    Parameters
    ----------
    doc : str
        What the option does, for ``help()`` and the docs.
    path : bool
        A text value names a file or folder (``collect`` resolves it).
    discover : bool
        ``discover`` takes the option too (``read`` takes every option).

    Returns
    -------
    dict
        For ``attrs.field(metadata=...)``.

    Examples
    --------
    >>> from attrs import field, frozen
    >>> @frozen(kw_only=True)
    ... class JsonOptions:
    ...     unit: str | None = field(default=None, metadata=option("The values' unit."))
    ...     schema: str | None = field(default=None, metadata=option("A schema file.", path=True))
    >>> [(o.name, o.path) for o in option_declarations(JsonOptions)]
    [('unit', False), ('schema', True)]
    """
    return {_META: {"doc": doc, "path": path, "discover": discover}}


def option_declarations(options: type[Any]) -> tuple[Option, ...]:
    """Return the options an options class declares, in field order."""
    out = []
    for a in attrs.fields(options):
        meta = a.metadata.get(_META, {})
        factory = getattr(a.default, "factory", None)  # attrs.Factory
        takes_self = getattr(a.default, "takes_self", False)
        default = factory() if callable(factory) and not takes_self else a.default
        out.append(
            Option(
                a.alias or a.name,
                doc=meta.get("doc", ""),
                path=meta.get("path", False),
                discover=meta.get("discover", False),
                default=default,
            )
        )
    return tuple(out)


# ------------------------------------------------------------- signatures


def _parameters(
    options: type[Any], *, discover: bool, defaults: Mapping[str, Any]
) -> list[inspect.Parameter]:
    """Return the options as keyword-only parameters (annotated as the attrs ``__init__``)."""
    wanted = {o.name for o in option_declarations(options) if o.discover or not discover}
    params = []
    for p in inspect.signature(options).parameters.values():
        if p.name in wanted:
            default = defaults.get(p.name, p.default)
            params.append(p.replace(kind=inspect.Parameter.KEYWORD_ONLY, default=default))
    return params


def _entry(o: Option, param: inspect.Parameter, indent: str) -> list[str]:
    note = param.annotation
    if note is inspect.Parameter.empty:
        kind = "object"
    else:
        kind = note if isinstance(note, str) else inspect.formatannotation(note)
    head = f"{indent}{o.name} : {kind}, default {param.default!r}"
    body = textwrap.wrap(o.doc or "(undocumented)", 88 - len(indent) - 4)
    return [head, *(f"{indent}    {line}" for line in body)]


def _document(doc: str | None, options: type[Any], params: Sequence[inspect.Parameter]) -> str:
    """Put one numpydoc entry per option where the docstring says ``{options}``."""
    declared = {o.name: o for o in option_declarations(options)}
    lines = (doc or "").splitlines()
    at = next((i for i, line in enumerate(lines) if line.strip() == _MARKER), None)
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())] if at is not None else ""
    entries = [line for p in params for line in _entry(declared[p.name], p, indent)]
    if at is None:
        return "\n".join([*lines, "", "Options", "-------", *entries])
    return "\n".join([*lines[:at], *entries, *lines[at + 1 :]])


def with_options(
    options: type[Any], *, discover: bool = False, defaults: Mapping[str, Any] | None = None
) -> Callable[[F], F]:
    """Give a ``read(self, source, **options)`` method the signature and docs of ``options``.

    The method's own parameters stay (``self``, the source, keyword-only extras
    such as ``warn``); the options are inserted as keyword-only parameters
    before the extras, and documented where the docstring has a line
    ``{options}`` (else in an "Options" section at the end).

    Parameters
    ----------
    options : type
        The attrs options class.
    discover : bool
        Only the options declared with ``discover=True`` (for ``discover``).
    defaults : mapping, optional
        Defaults that differ for this method (``read_report``'s ``errors``).

    Returns
    -------
    callable
        A decorator returning the same function.
    """

    def decorate(fn: F) -> F:
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            raise TypeError(f"{fn.__qualname__} must take **options to use with_options")
        head = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        own = [p for p in params if p.kind is p.KEYWORD_ONLY]
        added = _parameters(options, discover=discover, defaults=defaults or {})
        fn.__signature__ = sig.replace(parameters=[*head, *added, *own])  # type: ignore[attr-defined]
        fn.__doc__ = _document(fn.__doc__, options, added)
        return fn

    return decorate


# ---------------------------------------------------------------- parsing


def unknown_options(
    adapter: str, method: str, unknown: Iterable[str], accepted: Iterable[str]
) -> AdapterOptionError:
    """Return the error for options a method does not take, with close matches."""
    names = list(accepted)
    parts = []
    for name in sorted(unknown):
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
        parts.append(f"{name!r}{hint}")
    return AdapterOptionError(
        f"adapter {adapter!r} {method}() does not take {', '.join(parts)}; it accepts: "
        f"{', '.join(names) or 'no options'}"
    )


def parse_options(
    options: type[T], given: Mapping[str, Any], *, adapter: str, method: str = "read"
) -> T:
    """Build the options object from the keywords a method received.

    Parameters
    ----------
    options : type
        The attrs options class.
    given : mapping
        The keywords (``**options``).
    adapter, method : str
        For the message when a keyword is not an option of ``method``.

    Raises
    ------
    AdapterOptionError
        A keyword that is not an option (the message lists close matches and
        every accepted option); a ``TypeError``.
    """
    accepted = [o.name for o in option_declarations(options) if method != "discover" or o.discover]
    unknown = set(given) - set(accepted)
    if unknown:
        raise unknown_options(adapter, method, unknown, accepted)
    return options(**given)


# ----------------------------------------------------- what a method takes


def _names_pathlike(annotation: Any) -> bool:
    """Whether a parameter annotation accepts :class:`os.PathLike` (adapters without options)."""
    if isinstance(annotation, str):
        try:
            tree = ast.parse(annotation, mode="eval")
        except SyntaxError:
            return False
        return any(
            (isinstance(n, ast.Name) and n.id == "PathLike")
            or (isinstance(n, ast.Attribute) and n.attr == "PathLike")
            for n in ast.walk(tree)
        )
    if annotation is os.PathLike or typing.get_origin(annotation) is os.PathLike:
        return True
    return any(_names_pathlike(a) for a in typing.get_args(annotation))


def _from_signature(adapter: Any, method: str) -> dict[str, Option]:
    """Options of an adapter that declares none: the method's parameters after the source."""
    params = list(inspect.signature(getattr(adapter, method)).parameters.values())
    params = params[2:] if isinstance(adapter, type) else params[1:]  # self, the source
    return {
        p.name: Option(
            p.name,
            path=_names_pathlike(p.annotation),
            discover=method == "discover",
            default=p.default,
        )
        for p in params
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def options_of(adapter: Any, method: str = "read") -> dict[str, Option]:
    """Return the options ``adapter.<method>`` takes, by name.

    Parameters
    ----------
    adapter : adapter instance or class
        Declared ``options`` are used; without them, the method's keyword
        parameters (a parameter annotated :class:`os.PathLike` takes a path).
    method : {"read", "discover"}

    Returns
    -------
    dict of str to Option

    Examples
    --------
    >>> from feedbackloop import adapters
    >>> opts = options_of(adapters.get("csv"))
    >>> opts["column_mapping"].path, opts["dimensions"].discover
    (True, True)
    """
    cls = adapter if isinstance(adapter, type) else type(adapter)
    declared = getattr(cls, "options", None)
    if declared is not None:
        return {
            o.name: o for o in option_declarations(declared) if method != "discover" or o.discover
        }
    return _from_signature(adapter, method)


# ------------------------------------------------------------ the contract


def _field_problems(options: type[Any]) -> list[str]:
    problems = []
    for a in attrs.fields(options):
        name = a.alias or a.name
        meta = a.metadata.get(_META, {})
        if a.name.startswith("_") or not name.isidentifier() or name in _RESERVED:
            problems.append(f"options field {a.name!r} cannot be an option name")
        if a.default is attrs.NOTHING:
            problems.append(f"option {name!r} needs a default (only the source may be required)")
        if not isinstance(meta.get("doc", ""), str):
            problems.append(f"option {name!r}: doc must be a string")
        for flag in ("path", "discover"):
            if not isinstance(meta.get(flag, False), bool):
                problems.append(f"option {name!r}: {flag} must be True or False")
    return problems


def _signature_problems(cls: type[Any], options: type[Any]) -> list[str]:
    """Check that a method spelling its options spells exactly the declared ones."""
    problems = []
    declared = option_declarations(options)
    for method in METHODS:
        fn = getattr(cls, method, None)
        if not callable(fn):
            continue
        try:
            params = list(inspect.signature(fn).parameters.values())[2:]
        except (TypeError, ValueError):
            continue  # reported with the signature rules
        if any(p.kind is p.VAR_KEYWORD for p in params):
            continue  # takes **options: checked against the declaration when called
        taken = {p.name for p in params if p.kind is p.KEYWORD_ONLY}
        wanted = {o.name for o in declared if method == "read" or o.discover}
        for name in sorted(taken - wanted):
            problems.append(f"{method}() takes {name!r}, which options does not declare")
        for name in sorted(wanted - taken):
            problems.append(f"options declares {name!r} for {method}(), which does not take it")
    return problems


def declaration_problems(cls: type[Any]) -> list[str]:
    """Every way ``cls.options`` is a bad declaration (empty without one, or a good one)."""
    options = getattr(cls, "options", None)
    if options is None:
        return []
    if not (isinstance(options, type) and attrs.has(options)):
        kind = type(options).__name__
        return [f"options must be an attrs class whose fields are the options, not {kind}"]
    problems = _field_problems(options)
    return problems or _signature_problems(cls, options)
