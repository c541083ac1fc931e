"""The on-disk cache of Census API responses: plain files in a documented layout.

Layout under the cache directory (``cache_dir=``, ``FEEDBACKLOOP_CENSUS_CACHE``
or the user cache directory)::

    <cache_dir>/
      <year>/<dataset>/                 e.g. 2022/acs/acs5/ or 2022/acs/acs5/profile/
        variables.json                  the API's metadata, byte for byte
        geography.json
        groups.json
        data/<sha256-32>.json           one data response (see below)

A data file is JSON: ``{"format": 1, "request": "2022/acs/acs5?get=...&for=...",
"retrieved": "<ISO 8601 UTC>", "status": 200, "body": [[header...], [row...]]}``
(``status`` 204 and ``body`` null for an empty result). The name is the first 32
hex digits of the SHA-256 of ``request``, which never contains the API key (nor
the base URL, so a cache filled from a mirror serves the real API's requests
too). A directory in this layout can be shipped read-only and read with
``offline=True``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from feedbackloop._util import atomic_write_bytes, import_optional

__all__ = ["ResponseCache", "default_cache_dir"]

FORMAT = 1
CACHE_ENV = "FEEDBACKLOOP_CENSUS_CACHE"


def default_cache_dir() -> Path:
    """Return the cache directory used when none is given.

    ``FEEDBACKLOOP_CENSUS_CACHE`` if set, else ``census`` in the user cache
    directory (:func:`platformdirs.user_cache_dir`).
    """
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    platformdirs = import_optional("platformdirs", extra="census", purpose="the Census cache")
    return Path(platformdirs.user_cache_dir("feedbackloop")) / "census"


def now_iso() -> str:
    """Return the current UTC time, ISO 8601, to the second."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def _age_seconds(iso: str) -> float:
    try:
        then = _dt.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return float("inf")
    if then.tzinfo is None:
        then = then.replace(tzinfo=_dt.UTC)
    return (_dt.datetime.now(_dt.UTC) - then).total_seconds()


class ResponseCache:
    """Read and write cached responses under ``root``, in the documented layout.

    :class:`CensusClient` uses one; it is public for tools that fill or read a
    cache folder themselves (such as :mod:`feedbackloop.examples.generate`, or
    :class:`feedbackloop.testing.CensusMock` serving one). The layout::

        <root>/<year>/<dataset>/        e.g. 2022/acs/acs5/ or 2022/acs/acs5/profile/
          variables.json                the API's metadata, byte for byte
          geography.json
          groups.json
          data/<sha256-32>.json         one data response

    A data file is JSON: ``{"format": 1, "request": "2022/acs/acs5?get=...&for=...",
    "retrieved": "<ISO 8601 UTC>", "status": 200, "body": [[header...], [row...]]}``
    (``status`` 204 and ``body`` null for an empty result), named by the first
    32 hex digits of the SHA-256 of ``request``, which holds neither the key
    nor the base URL.

    Parameters
    ----------
    root : Path
        The cache directory.
    max_age : float or None
        Seconds after which an entry is stale (``None``: never). Ignored when
        reading offline.

    Examples
    --------
    >>> from pathlib import Path
    >>> cache = ResponseCache(Path("cache"), None)
    >>> cache.meta_path(2022, "acs/acs5", "variables.json").as_posix()
    'cache/2022/acs/acs5/variables.json'
    >>> cache.data_path(2022, "acs/acs5", "2022/acs/acs5?get=NAME&for=state:*").parent.as_posix()
    'cache/2022/acs/acs5/data'

    .. versionadded:: 0.1.0
    """

    #: The version of the data-file envelope (its ``"format"``).
    FORMAT = FORMAT

    def __init__(self, root: Path, max_age: float | None) -> None:
        self.root = root
        self.max_age = max_age

    def meta_path(self, year: int, dataset: str, name: str) -> Path:
        """Where ``variables.json`` (etc.) of a vintage lives."""
        return self.root / str(year) / Path(*dataset.split("/")) / name

    def data_path(self, year: int, dataset: str, request: str) -> Path:
        """Where the response to ``request`` (key-free) lives."""
        digest = hashlib.sha256(request.encode("utf-8")).hexdigest()[:32]
        return self.root / str(year) / Path(*dataset.split("/")) / "data" / f"{digest}.json"

    def meta_fresh(self, path: Path, *, offline: bool) -> bool:
        """Whether a fresh metadata file is at ``path`` (without reading it)."""
        try:
            age = time.time() - path.stat().st_mtime
        except OSError:
            return False
        return offline or self.max_age is None or age <= self.max_age

    def load_meta(self, path: Path, *, offline: bool) -> tuple[bytes, str] | None:
        """Return (bytes, retrieved) of a fresh metadata file, or ``None``."""
        try:
            stat = path.stat()
        except OSError:
            return None
        age = time.time() - stat.st_mtime
        if not offline and self.max_age is not None and age > self.max_age:
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        retrieved = (
            _dt.datetime.fromtimestamp(stat.st_mtime, _dt.UTC).replace(microsecond=0).isoformat()
        )
        return data, retrieved

    def load_data(self, path: Path, request: str, *, offline: bool) -> dict[str, Any] | None:
        """Return the envelope of a fresh cached response to ``request``, or ``None``."""
        try:
            envelope = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(envelope, dict) or envelope.get("request") != request:
            return None
        if envelope.get("format") != FORMAT:
            return None
        if (
            not offline
            and self.max_age is not None
            and _age_seconds(str(envelope.get("retrieved"))) > self.max_age
        ):
            return None
        return envelope

    def store_data(
        self,
        path: Path,
        request: str,
        status: int,
        body: bytes | None,
        *,
        retrieved: str | None = None,
    ) -> str:
        """Write a data response (its raw, already validated JSON) atomically.

        Parameters
        ----------
        path : Path
            Where (:meth:`data_path` of ``request``).
        request : str
            The request, key-free (:attr:`DataRequest.label`).
        status : int
            200, or 204 for an empty result (``body`` None).
        body : bytes or None
            The response's JSON, as received.
        retrieved : str, optional
            The retrieval time to record (ISO 8601); default now.

        Returns
        -------
        str
            The retrieval time recorded.
        """
        retrieved = now_iso() if retrieved is None else retrieved
        head = json.dumps(
            {"format": FORMAT, "request": request, "retrieved": retrieved, "status": status},
            separators=(",", ":"),
        )
        data = head[:-1].encode("utf-8") + b',"body":' + (body if body is not None else b"null")
        atomic_write_bytes(path, data + b"}", parents=True)
        return retrieved
