"""A small, careful client for the Census Data API.

Concurrency: requests run on a bounded thread pool sharing one
:class:`httpx.HTTPTransport` (a thread-safe connection pool). Threads rather
than asyncio because the public API is synchronous and must work inside
Jupyter, where an event loop is already running; and a pool of ``concurrency``
workers bounds the load on the API exactly. The workers only wait on the
network: parsing, checking, caching and decoding each response (CPU work, which
threads cannot share under the GIL) run on the calling thread as responses
arrive, overlapping the requests still in flight. All clients share one TLS
context (building one loads the CA bundle).

The transport is called directly, not through :class:`httpx.Client`: it
follows no redirects (the API's keyless redirect must never be followed) and
logs nothing, so the key, which the API wants in the query string, never
reaches the ``httpx`` logger. Everything this module logs or raises is
scrubbed of the key. A client given ``transport=`` (any
:class:`httpx.BaseTransport`, such as :class:`httpx.MockTransport` or
:class:`feedbackloop.testing.CensusMock`'s) sends through it instead, in the
same way, and leaves closing it to its owner.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import os
import re
import sys
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote, urlencode

from attrs import frozen

from feedbackloop._util import atomic_write_bytes, import_optional, module_available
from feedbackloop.census._cache import ResponseCache, default_cache_dir, now_iso
from feedbackloop.census._geo import Hierarchy
from feedbackloop.census._meta import VariableTable
from feedbackloop.errors import (
    AdapterWarning,
    CensusError,
    CensusGeographyError,
    CensusKeyError,
    CensusNotFoundError,
    CensusOfflineError,
    CensusResponseError,
    CensusServerError,
    CensusTimeoutError,
    UnknownVariableError,
)

if TYPE_CHECKING:
    import ssl
    from types import ModuleType

    import httpx

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_VARIABLES",
    "CensusClient",
    "DataRequest",
    "Fetched",
]

log = logging.getLogger("feedbackloop.census")

#: The Census Data API.
DEFAULT_BASE_URL = "https://api.census.gov/data"
#: Most variables one request may name (``get=``), GEO_ID and NAME included.
MAX_VARIABLES = 50
KEY_ENV = "CENSUS_API_KEY"
URL_ENV = "FEEDBACKLOOP_CENSUS_URL"
KEY_SIGNUP = "https://api.census.gov/data/key_signup.html"

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_MAX_RETRY_AFTER = 30.0
_UNKNOWN_VARIABLE = re.compile(r"unknown variable '([^']*)'", re.IGNORECASE)
_KEY_PARAM = re.compile(r"([?&]key=)[^&\s\"'<>]*", re.IGNORECASE)
_HEADERS = {"Accept": "application/json", "User-Agent": "feedbackloop"}
_REMEDY = (
    "try again later, or raise retries=/backoff=; the Census API status is at "
    "https://www.census.gov/data/developers.html"
)


def _httpx() -> ModuleType:
    """Return the httpx module (the ``census`` extra), imported on first use."""
    return import_optional("httpx", extra="census", purpose="reading the Census Data API")


class _Redact(logging.Filter):
    """Remove API keys from log records of the HTTP libraries (e.g. echoed in headers)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            clean = message
            for secret in self.secrets:
                clean = clean.replace(secret, "***")
            if clean != message:
                record.msg, record.args = clean, None
        return True


_REDACT = _Redact()
_REDACTED_LOGGERS = (
    "feedbackloop.census",
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
_redact_lock = threading.Lock()


def _protect(key: str) -> None:
    """Make sure ``key`` is scrubbed from the HTTP libraries' log records."""
    with _redact_lock:
        if not _REDACT.secrets:
            for name in _REDACTED_LOGGERS:
                logging.getLogger(name).addFilter(_REDACT)
        _REDACT.secrets.update({key, quote(key, safe=""), quote(key)})


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One TLS context (httpx's default: certifi, honouring SSL_CERT_FILE) per process.

    Building one loads the CA bundle, about 20 ms; every client shares it.
    """
    context: ssl.SSLContext = _httpx().create_ssl_context()
    return context


@frozen
class DataRequest:
    """One data request: dataset, year, ``get`` list and geography clauses.

    .. versionadded:: 0.1.0
    """

    year: int
    dataset: str
    get: tuple[str, ...]
    for_clause: str
    in_clause: str | None = None

    @property
    def path(self) -> str:
        """``year/dataset``."""
        return f"{self.year}/{self.dataset}"

    def params(self) -> list[tuple[str, str]]:
        """Query parameters, without the key."""
        out = [("get", ",".join(self.get)), ("for", self.for_clause)]
        if self.in_clause:
            out.append(("in", self.in_clause))
        return out

    @property
    def label(self) -> str:
        """The request as readable, key-free text: the cache key."""
        return self.path + "?" + "&".join(f"{k}={v}" for k, v in self.params())


@frozen
class Fetched:
    """A data response: the rows (``None`` for 204 No Content) and when they were retrieved.

    .. versionadded:: 0.1.0
    """

    rows: list[list[str | None]] | None
    retrieved: str
    from_cache: bool
    request: DataRequest


@frozen
class _Attempt:
    """One GET: its (status, headers, body), or why it failed.

    ``kind`` is ``timeout``, ``transport`` or ``status`` (a status worth retrying,
    with the server's ``Retry-After``).
    """

    response: tuple[int, dict[str, str], bytes] | None = None
    kind: str = ""
    failure: str = ""
    retry_after: float | None = None


def _seconds(value: float | timedelta | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


#: Parsed metadata documents read from cache files, shared by every client of the
#: process and keyed by (file, modification time, size), so that a new client (every
#: ``read``) does not parse a vintage's multi-megabyte ``variables.json`` again.
#: The documents are treated as read-only.
_PARSED_META: OrderedDict[tuple[str, int, int], Any] = OrderedDict()
_PARSED_META_LOCK = threading.Lock()
_PARSED_META_SIZE = 16


def _shared_key(path: Path) -> tuple[str, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (str(path.resolve()), st.st_mtime_ns, st.st_size)


def _remember_meta(key: tuple[str, int, int], doc: Any) -> None:
    with _PARSED_META_LOCK:
        _PARSED_META[key] = doc
        _PARSED_META.move_to_end(key)
        while len(_PARSED_META) > _PARSED_META_SIZE:
            _PARSED_META.popitem(last=False)


class CensusClient:
    """Requests to the Census Data API with a key, a disk cache, retries and bounded concurrency.

    Parameters
    ----------
    key : str, optional
        API key; default the ``CENSUS_API_KEY`` environment variable. Sent with
        every request; never logged, raised, cached or stored in provenance.
    base_url : str, optional
        Default ``FEEDBACKLOOP_CENSUS_URL`` or ``https://api.census.gov/data``
        (for mirrors and tests).
    cache_dir : str or path, optional
        Where responses are cached (default ``FEEDBACKLOOP_CENSUS_CACHE`` or the
        user cache directory); the layout is documented in the Census docs page.
    cache : bool
        Read and write the cache (default true).
    offline : bool
        Use only the cache, never the network; a missing entry raises
        :class:`CensusOfflineError` naming it. Nothing is written, so a
        read-only directory (e.g. one shipped in a package) works.
    max_age : float or timedelta or None
        Cached entries older than this are fetched again (default 30 days;
        ``None``: never expire). Ignored offline.
    timeout : float
        Seconds to wait for a connection or a read.
    retries : int
        Extra attempts after a timeout, a connection error, 429 or 5xx.
    backoff : float
        Seconds before the first retry, doubled each time (a numeric
        ``Retry-After`` header is honoured up to 30 s).
    concurrency : int
        Requests in flight at once.
    progress : bool, optional
        Show a tqdm progress bar for pulls of several requests; default when
        stderr is a terminal.
    transport : httpx.BaseTransport, optional
        Send every request through this transport instead of the network
        (e.g. :class:`httpx.MockTransport`, or
        :attr:`feedbackloop.testing.CensusMock.transport` in tests). It is
        called from up to ``concurrency`` threads at once, as
        ``transport.handle_request(request)``, with no redirect followed and
        the key in the query string; the client does not close it (its owner
        does). Retries, the cache and every check work as over the network.

        .. versionadded:: 0.1.0

    Examples
    --------
    A client that answers from a function instead of the network (here a 404
    page, which becomes :class:`~feedbackloop.errors.CensusNotFoundError`):

    >>> import httpx
    >>> from feedbackloop.census import CensusClient, CensusNotFoundError
    >>> missing = httpx.MockTransport(lambda request: httpx.Response(404, text="<html/>"))
    >>> with CensusClient(transport=missing, cache=False, key="") as client:
    ...     try:
    ...         client.variables(1999, "acs/acs5")
    ...     except CensusNotFoundError as err:
    ...         print(err.status, err.request)
    404 https://api.census.gov/data/1999/acs/acs5/variables.json

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        *,
        key: str | None = None,
        base_url: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        cache: bool = True,
        offline: bool = False,
        max_age: float | timedelta | None = timedelta(days=30),
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        concurrency: int = 4,
        progress: bool | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if retries < 0 or concurrency < 1 or timeout <= 0 or backoff < 0:
            raise ValueError(
                "retries and backoff must be >= 0, concurrency >= 1 and timeout > 0 (got "
                f"retries={retries}, backoff={backoff}, concurrency={concurrency}, "
                f"timeout={timeout})"
            )
        self._key = key if key is not None else (os.environ.get(KEY_ENV) or None)
        if self._key:
            _protect(self._key)
        url = base_url or os.environ.get(URL_ENV) or DEFAULT_BASE_URL
        self.base_url = self._scrub(url.rstrip("/"))
        self._base = url.rstrip("/")
        self.offline = offline
        self.cache: ResponseCache | None = (
            ResponseCache(
                Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir(),
                _seconds(max_age),
            )
            if cache
            else None
        )
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.concurrency = int(concurrency)
        self.progress = progress
        self.requests_sent = 0
        self._lock = threading.Lock()
        #: The caller's transport (never closed here) or None for the network.
        self._given: httpx.BaseTransport | None = transport
        self._transport: httpx.HTTPTransport | None = None
        self._memo: dict[tuple[int, str, str], Any] = {}
        self._warned_write = False

    # ------------------------------------------------------------ plumbing

    def __repr__(self) -> str:
        cache = self.cache.root if self.cache is not None else "off"
        return (
            f"CensusClient(base_url={self.base_url!r}, key={'set' if self._key else 'not set'}, "
            f"cache={str(cache)!r}, offline={self.offline})"
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool (not a transport given with ``transport=``)."""
        with self._lock:
            if self._transport is not None:
                self._transport.close()
                self._transport = None

    @property
    def has_key(self) -> bool:
        """Whether requests carry a key."""
        return bool(self._key)

    def _scrub(self, text: str) -> str:
        """Remove the key (raw, URL-encoded, or as a ``key=`` parameter) from ``text``."""
        key = getattr(self, "_key", None)
        if key:
            for form in {key, quote(key, safe=""), quote(key)}:
                text = text.replace(form, "***")
        return _KEY_PARAM.sub(r"\1***", text)

    def _get_transport(self) -> httpx.BaseTransport:
        if self._given is not None:
            return self._given
        with self._lock:
            if self._transport is None:
                httpx_mod = _httpx()
                self._transport = httpx_mod.HTTPTransport(
                    verify=_ssl_context(),
                    limits=httpx_mod.Limits(
                        max_connections=self.concurrency,
                        max_keepalive_connections=self.concurrency,
                    ),
                    retries=0,
                )
            return self._transport

    def _display(self, path: str, params: Sequence[tuple[str, str]]) -> str:
        query = "&".join(f"{k}={v}" for k, v in params)
        return f"{self.base_url}/{path}" + (f"?{query}" if query else "")

    def _url(self, path: str, params: Sequence[tuple[str, str]]) -> str:
        """Return the URL to request: base, path and query, the key last (never shown)."""
        query = list(params) + ([("key", self._key)] if self._key else [])
        url = f"{self._base}/{path}"
        if query:
            url += "?" + urlencode(query, safe=",:*()", quote_via=quote)
        return url

    def _send(
        self, path: str, params: Sequence[tuple[str, str]], display: str
    ) -> tuple[int, dict[str, str], bytes]:
        """GET with retries; return (status, headers, body). Never follows redirects."""
        httpx_mod = _httpx()
        transport = self._get_transport()
        url = self._url(path, params)
        timeout = httpx_mod.Timeout(self.timeout).as_dict()
        last = _Attempt()
        for attempt in range(self.retries + 1):
            log.debug("GET %s (attempt %d)", display, attempt + 1)
            last = self._attempt(httpx_mod, transport, url, timeout)
            if last.response is not None:
                return last.response
            if attempt < self.retries:
                delay = self.backoff * (2**attempt)
                if last.retry_after is not None:
                    delay = max(delay, min(last.retry_after, _MAX_RETRY_AFTER))
                log.info(
                    "census request failed (%s), retrying in %.3g s (%d/%d): %s",
                    last.failure,
                    delay,
                    attempt + 1,
                    self.retries,
                    display,
                )
                time.sleep(delay)
        raise self._gave_up(last, display)

    def _attempt(
        self, httpx_mod: Any, transport: httpx.BaseTransport, url: str, timeout: Any
    ) -> _Attempt:
        """Send one GET: the response, or why it should be retried."""
        try:
            request = httpx_mod.Request(
                "GET", url, headers=_HEADERS, extensions={"timeout": timeout}
            )
            with self._lock:
                self.requests_sent += 1
            response = transport.handle_request(request)
            try:
                body = response.read()
            finally:
                response.close()
        except httpx_mod.TimeoutException as err:
            return _Attempt(
                kind="timeout", failure=f"{type(err).__name__}: {self._scrub(str(err))}"
            )
        except httpx_mod.TransportError as err:
            return _Attempt(
                kind="transport", failure=f"{type(err).__name__}: {self._scrub(str(err))}"
            )
        status = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        if status not in _RETRY_STATUS:
            return _Attempt(response=(status, headers, body))
        try:
            retry_after: float | None = float(headers.get("retry-after", ""))
        except ValueError:
            retry_after = None
        return _Attempt(kind="status", failure=f"HTTP {status}", retry_after=retry_after)

    def _gave_up(self, last: _Attempt, display: str) -> CensusError:
        """Return the error for a request whose every attempt failed."""
        attempts = self.retries + 1
        if last.kind == "timeout":
            return CensusTimeoutError(
                f"the request timed out {attempts} time(s) (timeout={self.timeout:g} s; "
                f"last: {last.failure}); raise timeout= or {_REMEDY}. Request: {display}",
                request=display,
            )
        return CensusServerError(
            f"the server kept failing ({last.failure}) after {attempts} attempt(s); {_REMEDY}. "
            f"Request: {display}",
            request=display,
        )

    def _interpret(
        self,
        status: int,
        headers: dict[str, str],
        body: bytes,
        display: str,
        vintage: str,
        suggest: Callable[[str], list[str]] | None = None,
    ) -> Any:
        """Turn a response into parsed JSON (``None`` for 204) or a typed error."""
        if status == 204:
            return None
        if 200 <= status < 300:
            return self._parse_ok(status, headers, body, display, vintage)
        if 300 <= status < 400:
            location = self._scrub(headers.get("location", "(no Location header)"))
            raise CensusKeyError(
                f"the API answered with a redirect (HTTP {status} to {location}), which is how "
                "it turns away requests without a valid key; the redirect was not followed. "
                f"Get a key at {KEY_SIGNUP} and pass key= or set {KEY_ENV}. Request: {display}",
                request=display,
                status=status,
                source=vintage,
            )
        if status == 404:
            hint = (
                " (ACS 1-year estimates were not released for 2020; use the experimental "
                "tables or another year)"
                if "2020/acs/acs1" in vintage
                else ""
            )
            raise CensusNotFoundError(
                f"no dataset {vintage!r} at {self.base_url} (HTTP 404){hint}; check the year and "
                "the dataset path (e.g. acs/acs5, acs/acs5/profile, dec/pl); the list of "
                f"datasets is at {self.base_url}.json. Request: {display}",
                request=display,
                status=status,
                source=vintage,
            )
        raise self._refused(status, headers, body, display, vintage, suggest)

    def _head(self, body: bytes) -> str:
        """Return the start of a body as text without the key, for messages."""
        return self._scrub(body[:300].decode("utf-8", "replace")).strip()

    def _parse_ok(
        self, status: int, headers: dict[str, str], body: bytes, display: str, vintage: str
    ) -> Any:
        """Parse a 2xx answer: JSON, or the error an HTML page instead of it means."""
        if "html" in headers.get("content-type", "") or body.lstrip()[:1] == b"<":
            lower = body.lower()
            if b"key" in lower and (b"invalid" in lower or b"missing" in lower):
                raise CensusKeyError(
                    f"the API rejected the key (HTTP {status} with an HTML 'Invalid Key' "
                    f"page instead of data); check the key given with key= or {KEY_ENV}, "
                    f"or get one at {KEY_SIGNUP}. Request: {display}",
                    request=display,
                    status=status,
                    source=vintage,
                )
            raise CensusResponseError(
                f"expected JSON but got an HTML page (HTTP {status}, starting "
                f"{self._head(body)[:120]!r}); the base URL may not be the Census Data API "
                f"(base_url={self.base_url!r}). Request: {display}",
                request=display,
                status=status,
                source=vintage,
            )
        try:
            return json.loads(body)
        except ValueError as err:
            raise CensusResponseError(
                f"the response is not valid JSON ({err}; it starts {self._head(body)[:120]!r}); "
                f"it may be truncated: try again. Request: {display}",
                request=display,
                status=status,
                source=vintage,
            ) from err

    def _refused(
        self,
        status: int,
        headers: dict[str, str],
        body: bytes,
        display: str,
        vintage: str,
        suggest: Callable[[str], list[str]] | None,
    ) -> CensusError:
        """Return the error a 4xx/5xx answer (not 404) means: unknown variable, geography, key."""
        head = self._head(body)
        looks_html = "html" in headers.get("content-type", "") or body.lstrip()[:1] == b"<"
        message = head if not looks_html else f"an HTML page ({head[:80]!r})"
        if status == 400:
            m = _UNKNOWN_VARIABLE.search(message)
            if m:
                name = m.group(1)
                close = suggest(name) if suggest is not None else []
                hint = f"did you mean {', '.join(close)}? " if close else ""
                return UnknownVariableError(
                    f"the API does not know variable {name!r} in {vintage} ({message}); {hint}"
                    "search with feedbackloop.census.search_variables(...). "
                    f"Request: {display}",
                    variable=name,
                    suggestions=close,
                    request=display,
                    status=status,
                    source=vintage,
                )
            if "geograph" in message.lower() or "'for'" in message or "'in'" in message:
                return CensusGeographyError(
                    f"the API refused the geography ({message}); check geography= and within= "
                    f"against {self.base_url}/{vintage}/geography.json. Request: {display}",
                    request=display,
                    status=status,
                    source=vintage,
                )
        if status in (401, 403):
            return CensusKeyError(
                f"the API refused access (HTTP {status}: {message}); check the key "
                f"(key= or {KEY_ENV}). Request: {display}",
                request=display,
                status=status,
                source=vintage,
            )
        return CensusError(
            f"the API answered HTTP {status}: {message}. Request: {display}",
            request=display,
            status=status,
            source=vintage,
        )

    # ------------------------------------------------------------ metadata

    def metadata(self, year: int, dataset: str, name: str) -> Any:
        """Return a vintage's metadata document (``variables.json``...), from cache if fresh.

        Parameters
        ----------
        year : int
        dataset : str
            ``acs/acs5``, ``dec/pl``...
        name : {"variables.json", "geography.json", "groups.json"}

        Returns
        -------
        object
            The parsed JSON.
        """
        memo_key = (int(year), dataset, name)
        with self._lock:
            if memo_key in self._memo:
                return self._memo[memo_key]
        vintage = f"{year}/{dataset}"
        path = self.cache.meta_path(year, dataset, name) if self.cache is not None else None
        hit = (
            self.cache.load_meta(path, offline=self.offline)
            if self.cache is not None and path is not None
            else None
        )
        display = self._display(f"{vintage}/{name}", [])
        if hit is not None:
            body = hit[0]
        elif self.offline:
            where = f"cache file {path}" if path is not None else "caching is off (cache=False)"
            raise CensusOfflineError(
                f"offline and {vintage}/{name} is not in the cache ({where}); run once online "
                "(offline=False) to fill the cache, or point cache_dir= at a filled one",
                missing=[f"{vintage}/{name} ({where})"],
                source=vintage,
            )
        else:
            status, headers, body = self._send(f"{vintage}/{name}", [], display)
            self._interpret(status, headers, body, display, vintage)
            if status != 200:
                raise CensusResponseError(
                    f"expected {name} but got HTTP {status} with no content. Request: {display}",
                    request=display,
                    status=status,
                    source=vintage,
                )
        shared = _shared_key(path) if hit is not None and path is not None else None
        with _PARSED_META_LOCK:
            known = shared is not None and shared in _PARSED_META
            doc = _PARSED_META[shared] if shared is not None and known else None
        if known:
            with self._lock:
                self._memo[memo_key] = doc
            return doc
        try:
            doc = json.loads(body)
        except ValueError as err:
            raise CensusResponseError(
                f"{name} of {vintage} is not valid JSON ({err}); "
                + (f"delete the cached file {path} and read again" if hit else "try again"),
                request=display,
                source=vintage,
            ) from err
        if hit is None and path is not None:
            self._write(path, body)
        if shared is not None:
            _remember_meta(shared, doc)
        with self._lock:
            self._memo[memo_key] = doc
        return doc

    def prefetch(self, year: int, dataset: str, names: Sequence[str]) -> None:
        """Download the metadata documents that are neither memoised nor cached, concurrently.

        A vintage's first pull needs ``geography.json`` and ``variables.json``;
        fetching them together saves one round trip. Failures are raised in the
        order of ``names``, as :meth:`metadata` called in turn would raise them.
        """
        if self.offline or self.concurrency < 2:
            return
        pending: list[str] = []
        for name in names:
            with self._lock:
                if (int(year), dataset, name) in self._memo:
                    continue
            if self.cache is not None and self.cache.meta_fresh(
                self.cache.meta_path(year, dataset, name), offline=False
            ):
                continue
            pending.append(name)
        if len(pending) < 2:
            return
        with ThreadPoolExecutor(
            max_workers=min(len(pending), self.concurrency), thread_name_prefix="census-meta"
        ) as pool:
            futures = [pool.submit(self.metadata, year, dataset, name) for name in pending]
        for fut in futures:
            fut.result()

    def _write(self, path: Path, body: bytes) -> None:
        try:
            atomic_write_bytes(path, body, parents=True)
        except OSError as err:
            self._write_failed(path, err)

    def _write_failed(self, path: Path, err: OSError) -> None:
        if not self._warned_write:
            self._warned_write = True
            warnings.warn(
                f"could not write the Census cache ({path}: {err.strerror or err}); responses "
                "are not cached. Give a writable cache_dir=, or offline=True to read a "
                "read-only cache",
                AdapterWarning,
                stacklevel=4,
            )

    def variables(self, year: int, dataset: str) -> VariableTable:
        """Return the vintage's variables (``variables.json``), parsed once per client."""
        key = (int(year), dataset, "#variables")
        with self._lock:
            if key in self._memo:
                table: VariableTable = self._memo[key]
                return table
        table = VariableTable(self.metadata(year, dataset, "variables.json"), f"{year}/{dataset}")
        with self._lock:
            self._memo[key] = table
        return table

    def hierarchy(self, year: int, dataset: str) -> Hierarchy:
        """Return the vintage's geography hierarchy (``geography.json``)."""
        return Hierarchy(self.metadata(year, dataset, "geography.json"), f"{year}/{dataset}")

    # ---------------------------------------------------------------- data

    def _request(self, request: DataRequest) -> tuple[int, dict[str, str], bytes]:
        """Send one data request (network only: runs on the worker threads)."""
        params = request.params()
        return self._send(request.path, params, self._display(request.path, params))

    def _complete(
        self,
        request: DataRequest,
        response: tuple[int, dict[str, str], bytes],
        suggest: Callable[[str], list[str]] | None,
    ) -> Fetched:
        """Check a response, cache its raw bytes (once checked) and return its rows."""
        status, headers, body = response
        display = self._display(request.path, request.params())
        parsed = self._interpret(status, headers, body, display, request.path, suggest)
        rows = None if parsed is None else _check_table(parsed, display, request.path)
        retrieved = ""
        if self.cache is not None:
            path = self.cache.data_path(request.year, request.dataset, request.label)
            try:
                retrieved = self.cache.store_data(
                    path, request.label, status, None if rows is None else body
                )
            except OSError as err:
                self._write_failed(path, err)
        if not retrieved:
            retrieved = now_iso()
        return Fetched(rows=rows, retrieved=retrieved, from_cache=False, request=request)

    def _show_progress(self, n: int) -> bool:
        if n < 2 or self.progress is False:
            return False
        if self.progress is None:
            return sys.stderr.isatty()
        return True

    def _progress_bar(self, n: int, desc: str) -> Any:
        """Return a tqdm bar for ``n`` requests, or ``None`` (not wanted, or no tqdm)."""
        if not self._show_progress(n) or not module_available("tqdm"):
            return None
        tqdm = import_optional("tqdm", extra="census", purpose="the progress bar").tqdm
        return tqdm(total=n, desc=desc, unit="request", file=sys.stderr)

    def fetch(
        self,
        requests: Sequence[DataRequest],
        *,
        suggest: Callable[[str], list[str]] | None = None,
        desc: str = "census",
        on_result: Callable[[int, Fetched], None] | None = None,
    ) -> list[Fetched]:
        """Run data requests (cached ones from disk), ``concurrency`` at a time, in order.

        Worker threads only wait on the network; parsing and checking each
        response, writing it to the cache and ``on_result(index, fetched)``
        (e.g. decoding it) run on the calling thread as responses arrive, so
        that work overlaps the requests still in flight.

        Raises
        ------
        CensusOfflineError
            Offline, listing every request the cache lacks.
        CensusError
            The first failure (in request order); the requests that succeeded
            are cached, so a re-run fetches only the rest.
        """
        results: list[Fetched | None] = [None] * len(requests)
        todo: list[int] = []
        missing: list[str] = []
        for i, req in enumerate(requests):
            envelope = None
            path = None
            if self.cache is not None:
                path = self.cache.data_path(req.year, req.dataset, req.label)
                envelope = self.cache.load_data(path, req.label, offline=self.offline)
            if envelope is not None:
                body = envelope.get("body")
                rows = None if body is None else _check_table(body, str(path), req.path)
                hit = Fetched(
                    rows=rows,
                    retrieved=str(envelope.get("retrieved", "")),
                    from_cache=True,
                    request=req,
                )
                results[i] = hit
                if on_result is not None:
                    on_result(i, hit)
            elif self.offline:
                where = f"cache file {path}" if path is not None else "caching is off"
                missing.append(f"{req.label} ({where})")
            else:
                todo.append(i)
        if missing:
            shown = "\n  ".join(missing[:10])
            more = f"\n  (+{len(missing) - 10} more)" if len(missing) > 10 else ""
            raise CensusOfflineError(
                f"offline and {len(missing)} of {len(requests)} request(s) are not in the "
                f"cache:\n  {shown}{more}\nrun once online (offline=False) to fill the cache, "
                "or point cache_dir= at a filled one",
                missing=missing,
                source=requests[0].path if requests else "",
            )
        if todo:
            self._run(requests, todo, results, suggest, desc, on_result)
        return [r for r in results if r is not None]

    def _run(
        self,
        requests: Sequence[DataRequest],
        todo: list[int],
        results: list[Fetched | None],
        suggest: Callable[[str], list[str]] | None,
        desc: str,
        on_result: Callable[[int, Fetched], None] | None = None,
    ) -> None:
        bar = self._progress_bar(len(todo), desc)
        errors: dict[int, BaseException] = {}
        later: dict[int, BaseException] = {}  # failures of on_result (the response is fine)
        try:
            if len(todo) == 1:
                i = todo[0]
                results[i] = fetched = self._complete(
                    requests[i], self._request(requests[i]), suggest
                )
                if bar is not None:
                    bar.update(1)
                if on_result is not None:
                    on_result(i, fetched)
            else:
                workers = min(self.concurrency, len(todo))
                with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="census") as pool:
                    futures = {pool.submit(self._request, requests[i]): i for i in todo}
                    for fut in as_completed(futures):
                        i = futures[fut]
                        try:
                            response = fut.result()
                            results[i] = fetched = self._complete(requests[i], response, suggest)
                        except CensusError as err:
                            errors[i] = err
                        else:
                            if on_result is not None and not errors:
                                try:
                                    on_result(i, fetched)
                                except CensusError as err:
                                    later[i] = err
                        if bar is not None:
                            bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        if errors:
            first = errors[min(errors)]
            if len(errors) > 1:
                first.add_note(
                    f"{len(errors)} of {len(todo)} requests failed; those that succeeded are "
                    "cached, so a re-run repeats only the failed ones"
                )
            raise first
        if later:
            raise later[min(later)]


def _check_table(body: Any, where: str, vintage: str) -> list[list[str | None]]:
    """Check the documented shape: header row of strings, rows of strings/nulls, same width."""
    problem = ""
    if not isinstance(body, list) or not body:
        problem = f"expected a JSON array of rows, got {type(body).__name__}"
    elif not isinstance(body[0], list) or not all(isinstance(h, str) for h in body[0]):
        problem = "the first row is not a header of column names"
    else:
        width = len(body[0])
        data = body[1:]
        if any(not isinstance(row, list) for row in data):
            n = next(i for i, row in enumerate(data, start=1) if not isinstance(row, list))
            problem = f"row {n} is not an array"
        elif set(map(len, data)) - {width}:
            n, row = next((i, r) for i, r in enumerate(data, start=1) if len(r) != width)
            problem = f"row {n} has {len(row)} cells but the header has {width}"
        elif set(map(type, itertools.chain.from_iterable(data))) - {str, type(None)}:
            for n, row in enumerate(data, start=1):
                bad = [c for c in row if not (c is None or isinstance(c, str))]
                if bad:
                    problem = (
                        f"row {n} holds {bad[0]!r}, but the API sends every value as text or null"
                    )
                    break
    if problem:
        raise CensusResponseError(
            f"the response is not the JSON the API documents: {problem}. Request: {where}",
            request=where,
            source=vintage,
        )
    rows: list[list[str | None]] = body
    return rows
