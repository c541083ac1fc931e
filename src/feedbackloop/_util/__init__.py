"""Floor 0: helpers every other floor may use (stdlib, attrs, PyYAML, feedbackloop.errors).

Private to the package: nothing here is public API, and nothing here imports
any other part of feedbackloop except :mod:`feedbackloop.errors`.
"""

from feedbackloop._util._atomic import atomic_path, atomic_write_bytes, atomic_write_text, file_mode
from feedbackloop._util._cells import FORMULA_TRIGGERS, neutralize_formula, restore_formula
from feedbackloop._util._convert import nonblank, shorten, str_tuple
from feedbackloop._util._optional import import_optional, module_available
from feedbackloop._util._paths import resolve_confined
from feedbackloop._util._problems import Problems
from feedbackloop._util._yaml import DocPath, format_path, line_of, locate, parse_yaml, write_yaml

__all__ = [
    "FORMULA_TRIGGERS",
    "DocPath",
    "Problems",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "file_mode",
    "format_path",
    "import_optional",
    "line_of",
    "locate",
    "module_available",
    "neutralize_formula",
    "nonblank",
    "parse_yaml",
    "resolve_confined",
    "restore_formula",
    "shorten",
    "str_tuple",
    "write_yaml",
]
