"""Errors raised by the Census Data API client and the ``census`` adapter.

Every error is a :class:`~feedbackloop.errors.SourceReadError` (so a
``ValueError``), names the request it was about with the API key removed, and
ends with what to do::

    SourceReadError
    └── CensusError                    .request (key removed), .status
        ├── CensusKeyError             invalid key (HTML page) or keyless redirect
        ├── CensusNotFoundError        dataset or year not found (404)
        ├── UnknownVariableError       with close names from variables.json
        ├── UnknownTableError          a table (group) the vintage does not have
        ├── CensusGeographyError       geography or hierarchy not offered
        ├── CensusResponseError        anything that is not the expected JSON
        ├── CensusServerError          5xx / connection failures after retries
        ├── CensusTimeoutError         timeouts after retries (also TimeoutError)
        └── CensusOfflineError         offline=True and the cache lacks something
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from feedbackloop.errors import SourceReadError

__all__ = [
    "CensusError",
    "CensusGeographyError",
    "CensusKeyError",
    "CensusNotFoundError",
    "CensusOfflineError",
    "CensusResponseError",
    "CensusServerError",
    "CensusTimeoutError",
    "UnknownTableError",
    "UnknownVariableError",
]


def _rebuild(cls: type[CensusError], state: dict[str, Any]) -> CensusError:
    # Through the constructor: CensusTimeoutError's layout (OSError) forbids cls.__new__.
    accepted = inspect.signature(cls.__init__).parameters
    kwargs = {k: v for k, v in state.items() if k in accepted and k != "message"}
    obj = cls(state["message"], **kwargs)
    obj.__dict__.update(state)
    return obj


class CensusError(SourceReadError):
    """A Census Data API request that failed, or a pull that cannot be made.

    Attributes
    ----------
    request : str
        The request (URL or ``year/dataset?get=...``) with the key removed.
    status : int or None
        The HTTP status, when there was a response.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self, message: str, *, source: str = "", request: str = "", status: int | None = None
    ) -> None:
        super().__init__(message, adapter="census", source=source)
        self.request = request
        self.status = status

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), dict(self.__dict__)))


class CensusKeyError(CensusError):
    """The API refused the key: an HTML "Invalid Key" page, or a redirect for a missing key.

    .. versionadded:: 0.1.0
    """


class CensusNotFoundError(CensusError, LookupError):
    """The dataset or year does not exist at the API (HTTP 404).

    .. versionadded:: 0.1.0
    """


class UnknownVariableError(CensusError, LookupError):
    """A variable the vintage's ``variables.json`` does not list.

    Attributes
    ----------
    variable : str
        The name asked for.
    suggestions : tuple of str
        Close names from ``variables.json`` (may be empty).

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        message: str,
        *,
        variable: str,
        suggestions: Sequence[str] = (),
        source: str = "",
        request: str = "",
        status: int | None = None,
    ) -> None:
        super().__init__(message, source=source, request=request, status=status)
        self.variable = variable
        self.suggestions = tuple(suggestions)


class UnknownTableError(UnknownVariableError):
    """A table (variable group) the vintage does not have.

    .. versionadded:: 0.1.0
    """


class CensusGeographyError(CensusError):
    """A geography, or a geography hierarchy, the vintage does not offer.

    .. versionadded:: 0.1.0
    """


class CensusResponseError(CensusError):
    """A response that is not the JSON the API documents (HTML, truncated, ragged rows...).

    .. versionadded:: 0.1.0
    """


class CensusServerError(CensusError):
    """Server errors (5xx, 429) or connection failures that outlasted the retries.

    .. versionadded:: 0.1.0
    """


class CensusTimeoutError(CensusError, TimeoutError):
    """Requests that kept timing out after the retries.

    .. versionadded:: 0.1.0
    """


class CensusOfflineError(CensusError):
    """``offline=True`` and the cache does not hold everything the pull needs.

    Attributes
    ----------
    missing : tuple of str
        Each missing request (key-free) and the cache file it would be read from.

    .. versionadded:: 0.1.0
    """

    def __init__(self, message: str, *, missing: Sequence[str] = (), source: str = "") -> None:
        super().__init__(message, source=source)
        self.missing = tuple(missing)
