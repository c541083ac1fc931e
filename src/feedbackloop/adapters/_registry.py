"""Find, load and check source adapters declared under the ``feedbackloop.adapters`` group.

Rules (house style B4): listing does not import; an adapter is imported when
asked for; the contract is checked on load and every breach reported at once;
a broken plugin warns and breaks nothing else; duplicate names warn and the
choice is deterministic.
"""

from __future__ import annotations

import inspect
import threading
import warnings
from collections.abc import Callable
from importlib import import_module
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from attrs import frozen

from feedbackloop.adapters._base import ADAPTER_API, SourceAdapter
from feedbackloop.adapters._options import declaration_problems
from feedbackloop.errors import (
    AdapterConflictError,
    AdapterContractError,
    AdapterLoadError,
    AdapterNotFoundError,
    AdapterWarning,
)

__all__ = [
    "GROUP",
    "AdapterInfo",
    "available",
    "contract_problems",
    "get",
    "load_all",
    "refresh",
    "register",
    "unregister",
]

#: The entry-point group adapters are declared in.
GROUP = "feedbackloop.adapters"


@frozen
class AdapterInfo:
    """An installed adapter, as listed without importing it.

    Attributes
    ----------
    name : str
        The entry-point name (what :func:`feedbackloop.read` takes).
    target : str
        ``module:Class`` the entry point names.
    distribution : str
        The package that declares it (``"<registered>"`` for :func:`register`).
    version : str
        That package's version.
    """

    name: str
    target: str
    distribution: str
    version: str

    def __str__(self) -> str:
        return f"{self.name!r} ({self.target}, from {self.distribution} {self.version})"


_lock = threading.RLock()
_listed: dict[str, AdapterInfo] | None = None
_entry_points: dict[str, EntryPoint] = {}
_registered: dict[str, type[Any]] = {}
_loaded: dict[str, SourceAdapter] = {}


def _scan() -> dict[str, AdapterInfo]:
    """Build the listing from installed distributions' entry points (no imports)."""
    found: dict[str, list[tuple[AdapterInfo, EntryPoint]]] = {}
    for ep in entry_points(group=GROUP):
        dist = ep.dist
        info = AdapterInfo(
            name=ep.name,
            target=ep.value,
            distribution=dist.metadata["Name"] if dist is not None else "<unknown>",
            version=dist.version if dist is not None else "",
        )
        found.setdefault(ep.name, []).append((info, ep))
    listed: dict[str, AdapterInfo] = {}
    _entry_points.clear()
    for name in sorted(found):
        # Deterministic choice among duplicates: feedbackloop's own first, then by
        # distribution name and target.
        choices = sorted(
            found[name],
            key=lambda pair: (
                pair[0].distribution != "feedbackloop",
                pair[0].distribution,
                pair[0].target,
            ),
        )
        chosen, ep = choices[0]
        if len({(i.distribution, i.target) for i, _ in choices}) > 1:
            others = ", ".join(str(i) for i, _ in choices[1:])
            warnings.warn(
                f"adapter name {name!r} is declared more than once; using {chosen} and "
                f"ignoring {others}. Uninstall one of the packages, or register the one you "
                "want with feedbackloop.adapters.register(..., replace=True)",
                AdapterWarning,
                stacklevel=4,
            )
        listed[name] = chosen
        _entry_points[name] = ep
    return listed


def _listing() -> dict[str, AdapterInfo]:
    global _listed
    with _lock:
        if _listed is None:
            _listed = _scan()
        out = dict(_listed)
        for name, cls in _registered.items():
            out[name] = AdapterInfo(
                name=name,
                target=f"{cls.__module__}:{cls.__qualname__}",
                distribution="<registered>",
                version="",
            )
        return dict(sorted(out.items()))


def available() -> dict[str, AdapterInfo]:
    """List installed adapters without importing any of them.

    Returns
    -------
    dict of str to AdapterInfo
        Sorted by name; adapters added with :func:`register` included.

    Examples
    --------
    >>> from feedbackloop import adapters
    >>> "csv" in adapters.available()
    True
    """
    return _listing()


def refresh() -> None:
    """Forget the cached listing and loaded adapters (after installing a plugin)."""
    global _listed
    with _lock:
        _listed = None
        _loaded.clear()


def _param_problems(cls: type[Any], method: str) -> list[str]:
    """Check the signature rules: the source first, then keyword options, no ``*args``.

    ``**kwargs`` is allowed only to an adapter that declares its ``options``
    (they are then checked against the declaration).
    """
    fn = getattr(cls, method, None)
    if fn is None:
        return []
    if not callable(fn):
        return [f"{method} is not a method"]
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return [f"the signature of {method}() cannot be inspected"]
    params = list(sig.parameters.values())
    problems = []
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        problems.append(f"{method}() must not take *args")
    if any(p.kind is p.VAR_KEYWORD for p in params) and getattr(cls, "options", None) is None:
        problems.append(
            f"{method}() must not take **kwargs (declare each option as a keyword-only "
            "parameter, or declare options, so misspelt options can be reported)"
        )
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) < 2:
        problems.append(f"{method}() must take the source as its first argument after self")
    elif any(p.default is p.empty for p in positional[2:]):
        problems.append(f"{method}() may require only the source; make other options keywords")
    return problems


def contract_problems(cls: Any) -> list[str]:
    """Every way ``cls`` breaks the adapter contract (empty if it keeps it).

    Parameters
    ----------
    cls : type
        A candidate adapter class.

    Returns
    -------
    list of str
        Human-readable problems, e.g. ``"missing 'discover'"``, including a bad
        ``options`` declaration (not an attrs class, an option without a
        default, a method spelling options the declaration does not have...).
    """
    if not isinstance(cls, type):
        return [f"the entry point names {type(cls).__name__} {cls!r}, not a class"]
    problems = []
    for attr in ("name", "api_version", "description", "can_read", "discover", "read"):
        if not hasattr(cls, attr):
            problems.append(f"missing {attr!r}")
    name = getattr(cls, "name", None)
    if name is not None and not (isinstance(name, str) and name.isidentifier() and name.islower()):
        problems.append(f"name must be a lower-case identifier (got {name!r})")
    version = getattr(cls, "api_version", None)
    if version is not None and version != ADAPTER_API:
        problems.append(
            f"api_version is {version!r} but this feedbackloop speaks adapter API {ADAPTER_API}"
        )
    description = getattr(cls, "description", None)
    if description is not None and not isinstance(description, str):
        problems.append("description must be a string")
    for method in ("can_read", "discover", "read"):
        problems += _param_problems(cls, method)
    return problems + declaration_problems(cls)


def _check(cls: Any, where: str) -> None:
    problems = contract_problems(cls)
    if problems:
        raise AdapterContractError(f"adapter {where} is unusable: " + "; ".join(problems))


def register(cls: type[Any] | str, *, replace: bool = False) -> type[Any]:
    """Make an adapter class available by its ``name`` (for notebooks and tests).

    Parameters
    ----------
    cls : type or str
        The adapter class, or ``"package.module:Class"``.
    replace : bool
        Allow replacing an adapter of the same name (installed or registered).

    Returns
    -------
    type
        The class, so ``register`` works as a decorator.

    Raises
    ------
    AdapterContractError
        If the class breaks the contract (every problem listed).
    AdapterConflictError
        If the name is taken and ``replace`` is false (also a ``ValueError``).
    """
    target: type[Any] = _import_target(cls, repr(cls)) if isinstance(cls, str) else cls
    where = f"{target.__module__}:{target.__qualname__}"
    _check(target, f"{getattr(target, 'name', target)!r} ({where})")
    name: str = target.name
    with _lock:
        if not replace and name in _listing():
            raise AdapterConflictError(
                f"an adapter named {name!r} already exists ({_listing()[name]}); pass "
                "replace=True to use yours instead"
            )
        _registered[name] = target
        _loaded.pop(name, None)
    return target


def unregister(name: str) -> None:
    """Remove an adapter added with :func:`register` (installed ones come back)."""
    with _lock:
        _registered.pop(name, None)
        _loaded.pop(name, None)


def _import_target(target: str, where: str) -> Any:
    module, _, attr = target.partition(":")
    try:
        obj: Any = import_module(module)
        for part in attr.split(".") if attr else ():
            obj = getattr(obj, part)
    except Exception as err:
        raise AdapterLoadError(
            f"adapter {where} failed to import: {type(err).__name__}: {err}. Reinstall or "
            "upgrade the package that provides it, or uninstall it"
        ) from err
    return obj


def get(name: str) -> SourceAdapter:
    """Return the adapter called ``name``, importing it on first use.

    Raises
    ------
    AdapterNotFoundError
        If no adapter has that name (the message lists the installed ones).
    AdapterLoadError
        If its package fails to import.
    AdapterContractError
        If it breaks the adapter contract.
    """
    with _lock:
        if name in _loaded:
            return _loaded[name]
        listing = _listing()
        if name not in listing:
            raise AdapterNotFoundError(name, list(listing))
        info = listing[name]
        cls = _registered.get(name)
        if cls is None:
            ep = _entry_points[name]
            try:
                cls = ep.load()
            except Exception as err:
                raise AdapterLoadError(
                    f"adapter {info} failed to import: {type(err).__name__}: {err}. Reinstall "
                    f"or upgrade {info.distribution}, or uninstall it"
                ) from err
            _check(cls, str(info))
            if cls.name != name:
                raise AdapterContractError(
                    f"adapter {info} is unusable: its class says name={cls.name!r}; the entry "
                    "point name and the class's name must be the same"
                )
        instance: SourceAdapter = cls()
        _loaded[name] = instance
        return instance


def load_all(on_error: Callable[[str, Exception], None] | None = None) -> dict[str, SourceAdapter]:
    """Load every installed adapter; broken ones warn (or go to ``on_error``) and are skipped."""
    out: dict[str, SourceAdapter] = {}
    for name in available():
        try:
            out[name] = get(name)
        except (AdapterLoadError, AdapterContractError) as err:
            if on_error is not None:
                on_error(name, err)
            else:
                warnings.warn(str(err), AdapterWarning, stacklevel=3)
    return out
