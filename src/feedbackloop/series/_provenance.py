"""Where a series came from, without secrets."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

__all__ = ["Provenance"]

_SECRET_WORDS = ("key", "token", "secret", "password", "passwd", "credential", "auth")


def _is_secret(name: str) -> bool:
    low = name.lower()
    return any(w in low for w in _SECRET_WORDS)


def _scrub(options: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, val in options.items():
        if _is_secret(str(k)):
            continue
        out[str(k)] = _scrub(val) if isinstance(val, Mapping) else val
    return out


@frozen(kw_only=True)
class Provenance:
    """Where a series came from. Never holds a secret.

    Options whose names look like credentials (``key``, ``api_key``, ``token``,
    ``password``...) are dropped on construction.

    Parameters
    ----------
    adapter : str
        The adapter that read the data (``csv``, ``census``...), or ``""``.
    source : str
        The file, URL (without credentials) or dataset.
    options : mapping
        The read options, JSON-serializable.
    retrieved : str
        ISO 8601 UTC timestamp of the read.

    .. versionadded:: 0.1.0
    """

    adapter: str = ""
    source: str = ""
    options: Mapping[str, Any] = field(factory=dict, converter=_scrub, hash=False)
    retrieved: str = field(
        factory=lambda: _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    )

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON-ready data."""
        return {
            "adapter": self.adapter,
            "source": self.source,
            "options": dict(self.options),
            "retrieved": self.retrieved,
        }
