"""Floor 0: helpers every other floor may use (stdlib, attrs, PyYAML, feedbackloop.errors).

Private to the package: nothing here is public API, and nothing here imports
any other part of feedbackloop except :mod:`feedbackloop.errors`.
"""

from feedbackloop._util._optional import import_optional, module_available

__all__ = ["import_optional", "module_available"]
