"""Sphinx configuration for the feedbackloop documentation."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version

project = "feedbackloop"
author = "The feedbackloop developers"
copyright = "2026, the feedbackloop developers"
try:
    release = _dist_version("feedbackloop")
except PackageNotFoundError:  # building from a source tree
    release = "0+unknown"
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
exclude_patterns = ["_build"]

napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": False}
nitpicky = False
# "ref.python": NumPy-style parameter types such as "path" are cross-referenced by
# napoleon and are ambiguous once several classes have a ``path`` attribute.
suppress_warnings = ["myst.header", "ref.python"]


html_theme = "furo"
html_title = "feedbackloop"


def _errors_once(app, what, name, obj, skip, options):  # type: ignore[no-untyped-def]
    """Document each error class once, under "Errors", not in every module re-exporting it."""
    if what == "module" and isinstance(obj, type) and issubclass(obj, BaseException):
        module = getattr(obj, "__module__", "")
        current = app.env.temp_data.get("autodoc:module") or app.env.ref_context.get("py:module")
        if module == "feedbackloop.errors" and current != "feedbackloop.errors":
            return True
    return None


def setup(app):  # type: ignore[no-untyped-def]
    """Register the hook that keeps error classes in one place."""
    app.connect("autodoc-skip-member", _errors_once)
