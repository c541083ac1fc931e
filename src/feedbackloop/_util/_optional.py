"""Import optional dependencies with an install hint."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from feedbackloop.errors import MissingDependencyError

__all__ = ["import_optional", "module_available"]


def import_optional(module: str, *, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise an error that says which extra to install.

    Parameters
    ----------
    module : str
        Dotted module name, e.g. ``"matplotlib.pyplot"``.
    extra : str
        The feedbackloop extra that provides it, e.g. ``"plot"``.
    purpose : str
        What needs it, for the message ("drawing charts").

    Returns
    -------
    types.ModuleType
        The imported module.

    Raises
    ------
    MissingDependencyError
        If the module cannot be imported.
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        top = module.partition(".")[0]
        raise MissingDependencyError(
            f"{purpose} needs {top!r}, which is not installed; "
            f"install it with: pip install 'feedbackloop[{extra}]'"
        ) from err


def module_available(module: str) -> bool:
    """Return whether ``module`` could be imported, without importing it.

    Parameters
    ----------
    module : str
        Top-level or dotted module name.

    Returns
    -------
    bool
        ``True`` if an import would find the module.
    """
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
