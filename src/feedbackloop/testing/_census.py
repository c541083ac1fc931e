"""A stand-in for the Census Data API, answering through an httpx transport (no sockets)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl

from attrs import field, frozen

from feedbackloop import census
from feedbackloop._util import import_optional

if TYPE_CHECKING:
    import os

    import httpx

__all__ = [
    "CensusAnswer",
    "CensusFault",
    "CensusMock",
    "CensusRequest",
    "census_geography",
    "census_row",
    "census_variables",
]

NOT_FOUND_HTML = (
    '<!doctype html><html lang="en"><head><title>HTTP Status 404 – Not Found</title></head>'
    '<body><h1>HTTP Status 404 – Not Found</h1><hr class="line" /><p><b>Type</b> Status '
    "Report</p><p><b>Description</b> The origin server did not find a current representation "
    "for the target resource or is not willing to disclose that one exists.</p></body></html>"
)
INVALID_KEY_HTML = (
    "<html><head><title>Invalid Key</title></head><body><h1>Invalid Key</h1>"
    "<p>A valid <em>key</em> must be included with each data API request. You included a key "
    "with this request, however, it is not valid. Please check your key and try again.</p>"
    '<p>If you do not have a key you may sign up for one <a href="key_signup.html">here</a>.'
    "</p></body></html>"
)
SIGNUP_HTML = "<html><body><h1>Request a key</h1></body></html>"
UNAVAILABLE_HTML = "<html><body>Service Unavailable</body></html>"

_JSON = "application/json;charset=utf-8"
_HTML = "text/html;charset=utf-8"
_TEXT = "text/plain;charset=utf-8"
_GEOGRAPHY_ERROR = b"error: unknown/unsupported geography heirarchy"  # sic, as the API spells it

Kind = Literal["data", "meta", "signup", "other"]


def _bytes(body: bytes | str) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def _headers(headers: Mapping[str, str]) -> dict[str, str]:
    return dict(headers)


# ------------------------------------------------------------------ records


@frozen
class CensusAnswer:
    """What the mock answers one request: a status, a body and headers, or a transport error.

    ``error`` is ``"timeout"`` or ``"connect"`` when the request should fail
    without an answer (:meth:`CensusMock.handle_request` raises
    :class:`httpx.ReadTimeout` or :class:`httpx.ConnectError`).

    .. versionadded:: 0.1.0
    """

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(factory=dict)
    error: Literal["timeout", "connect"] | None = None

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header ("" for none)."""
        return next((v for k, v in self.headers.items() if k.lower() == "content-type"), "")


@frozen
class CensusRequest:
    """One request the mock received, with the key's value replaced by ``***``.

    Attributes
    ----------
    path : str
        The URL path, e.g. ``/data/2022/acs/acs5`` or ``/data/2022/acs/acs5/variables.json``.
    params : tuple of (str, str)
        The query parameters in the order sent; a key is shown as ``("key", "***")``.
    kind : {"data", "meta", "signup", "other"}
        A data request, a metadata document, the key sign-up page, anything else.
    key_valid : bool or None
        Whether the key sent is the mock's (``False`` when none was sent);
        ``None`` when the mock checks no key.

    .. versionadded:: 0.1.0
    """

    path: str
    params: tuple[tuple[str, str], ...]
    kind: Kind
    key_valid: bool | None = None

    def param(self, name: str) -> str | None:
        """Return the first value of query parameter ``name`` (``None`` if not sent)."""
        return next((v for k, v in self.params if k == name), None)

    @property
    def has_key(self) -> bool:
        """Whether a key was sent."""
        return any(k == "key" for k, _ in self.params)


@frozen
class CensusFault:
    """A fault to answer the next matching request with, instead of the normal answer.

    Build one with the class methods (:meth:`http`, :meth:`html`,
    :meth:`invalid_key`, :meth:`redirect`, :meth:`rate_limited`,
    :meth:`reply`, :meth:`truncated`, :meth:`slow`, :meth:`timeout`,
    :meth:`connection_error`) and give it to :meth:`CensusMock.inject`; each
    fault answers one request. The default is a 503 "Service Unavailable" page.

    Parameters
    ----------
    status : int
        HTTP status answered.
    body : bytes or str
        Body answered.
    content_type : str
        Its ``Content-Type``.
    headers : mapping
        More headers (``Location``, ``Retry-After``...).
    delay : float
        Seconds to wait before answering (really waited: for timeouts over
        real sockets and concurrency tests).
    then_normal : bool
        After ``delay``, answer normally instead of with ``status``/``body``.
    error : {"timeout", "connect"}, optional
        Fail without an answer: :class:`httpx.ReadTimeout` or
        :class:`httpx.ConnectError` (an HTTP server wrapping the mock drops the
        connection instead).
    truncate : float, optional
        Answer normally but cut the body to this fraction of its length
        (broken JSON, as from a dropped connection).
    on : {"data", "meta", "any"}
        Which requests the fault may answer: data requests (default),
        metadata documents, or either.

    Examples
    --------
    >>> CensusFault.rate_limited(retry_after=2).headers
    {'Retry-After': '2'}
    >>> CensusFault.redirect().status, CensusFault.truncated().truncate
    (302, 0.5)

    .. versionadded:: 0.1.0
    """

    status: int = 503
    body: bytes = field(default=UNAVAILABLE_HTML.encode(), converter=_bytes)
    content_type: str = "text/html"
    headers: Mapping[str, str] = field(factory=dict, converter=_headers)
    delay: float = 0.0
    then_normal: bool = False
    error: Literal["timeout", "connect"] | None = None
    truncate: float | None = None
    on: Literal["data", "meta", "any"] = "data"

    def __attrs_post_init__(self) -> None:
        if self.on not in ("data", "meta", "any"):
            raise ValueError(f"on= must be 'data', 'meta' or 'any' (got {self.on!r})")
        if self.error not in (None, "timeout", "connect"):
            raise ValueError(f"error= must be None, 'timeout' or 'connect' (got {self.error!r})")
        if self.truncate is not None and not 0 <= self.truncate < 1:
            raise ValueError(
                f"truncate= is the fraction of the body kept, in [0, 1) (got {self.truncate!r})"
            )

    @classmethod
    def http(cls, status: int, body: bytes | str | None = None, **kw: Any) -> CensusFault:
        """Answer HTTP ``status``: an HTML page for 404 and 5xx, plain text otherwise."""
        if body is not None:
            return cls(status, body, kw.pop("content_type", _TEXT), **kw)
        if status == 404:
            return cls(status, NOT_FOUND_HTML, _HTML, **kw)
        if status >= 500:
            return cls(status, UNAVAILABLE_HTML, _HTML, **kw)
        return cls(status, f"error: HTTP {status}", _TEXT, **kw)

    @classmethod
    def html(
        cls, page: str = "<html><body>Maintenance</body></html>", status: int = 200, **kw: Any
    ) -> CensusFault:
        """Answer an HTML page (by default with HTTP 200, as a proxy or outage page does)."""
        return cls(status, page, _HTML, **kw)

    @classmethod
    def invalid_key(cls, **kw: Any) -> CensusFault:
        """Answer the API's "Invalid Key" HTML page with HTTP 200."""
        return cls(200, INVALID_KEY_HTML, _HTML, **kw)

    @classmethod
    def redirect(
        cls, location: str = "/data/key_signup.html", status: int = 302, **kw: Any
    ) -> CensusFault:
        """Answer a redirect, as the API turns away a request without a key."""
        headers = {"Location": location, **kw.pop("headers", {})}
        return cls(status, b"", "text/html", headers, **kw)

    @classmethod
    def rate_limited(cls, retry_after: float | None = None, **kw: Any) -> CensusFault:
        """Answer 429 Too Many Requests (with ``Retry-After`` seconds, if given)."""
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        return cls(
            429, "error: too many requests", _TEXT, {**headers, **kw.pop("headers", {})}, **kw
        )

    @classmethod
    def reply(
        cls,
        body: bytes | str | list[Any] | dict[str, Any],
        status: int = 200,
        content_type: str = _JSON,
        **kw: Any,
    ) -> CensusFault:
        """Answer ``body`` (a list or dict is sent as JSON): any answer the test needs."""
        if isinstance(body, list | dict):
            body = json.dumps(body)
        return cls(status, body, content_type, **kw)

    @classmethod
    def truncated(cls, keep: float = 0.5, **kw: Any) -> CensusFault:
        """Answer normally, but only the first ``keep`` of the body (truncated JSON)."""
        return cls(truncate=keep, **kw)

    @classmethod
    def slow(cls, seconds: float, **kw: Any) -> CensusFault:
        """Wait ``seconds``, then answer normally."""
        return cls(delay=seconds, then_normal=True, **kw)

    @classmethod
    def timeout(cls, **kw: Any) -> CensusFault:
        """Fail with :class:`httpx.ReadTimeout`, at once (no waiting)."""
        return cls(error="timeout", **kw)

    @classmethod
    def connection_error(cls, **kw: Any) -> CensusFault:
        """Fail with :class:`httpx.ConnectError` (connection refused)."""
        return cls(error="connect", **kw)

    def answer(self) -> CensusAnswer:
        """Return the fault's own answer (for faults that replace the normal one)."""
        headers = dict(self.headers)
        if self.status != 204:
            headers.setdefault("Content-Type", self.content_type)
        return CensusAnswer(self.status, self.body, headers, self.error)

    def applies_to(self, kind: Kind) -> bool:
        """Whether the fault may answer a request of ``kind``."""
        return self.on == "any" or self.on == kind


# ------------------------------------------------------------------ fixtures


def census_geography() -> dict[str, Any]:
    """Return a ``geography.json`` shaped like current ACS vintages' (synthetic).

    Summary levels 010 (us), 040 (state), 050 (county), 060 (county
    subdivision), 140 (tract), 150 (block group), 160 (place) and 860 (ZCTA);
    as the current API allows, tracts may take every county of a state and
    block groups every tract of a county.

    Examples
    --------
    >>> [e["name"] for e in census_geography()["fips"]][:3]
    ['us', 'state', 'county']

    .. versionadded:: 0.1.0
    """
    levels: list[tuple[str, str, list[str], list[str]]] = [
        ("county", "050", ["state"], ["state"]),
        ("county subdivision", "060", ["state", "county"], ["county"]),
        ("tract", "140", ["state", "county"], ["county"]),
        ("block group", "150", ["state", "county", "tract"], ["county", "tract"]),
        ("place", "160", ["state"], ["state"]),
    ]
    return {
        "fips": [
            {"name": "us", "geoLevelDisplay": "010"},
            {"name": "state", "geoLevelDisplay": "040"},
            *(
                {
                    "name": name,
                    "geoLevelDisplay": sumlevel,
                    "requires": requires,
                    "wildcard": wildcard,
                    "optionalWithWCFor": requires[-1],
                }
                for name, sumlevel, requires, wildcard in levels
            ),
            {"name": "zip code tabulation area", "geoLevelDisplay": "860"},
        ]
    }


_LEVELS = {
    "010": ["us"],
    "040": ["state"],
    "050": ["state", "county"],
    "060": ["state", "county", "county subdivision"],
    "140": ["state", "county", "tract"],
    "150": ["state", "county", "tract", "block group"],
    "160": ["state", "place"],
    "860": ["zip code tabulation area"],
}


def census_row(
    sumlevel: str,
    name: str,
    *,
    values: Mapping[str, str | None] | None = None,
    **codes: str,
) -> dict[str, Any]:
    """Return one place for :meth:`CensusMock.add`: its codes, ``NAME``, ``GEO_ID`` and values.

    Parameters
    ----------
    sumlevel : str
        Summary level: ``"040"`` state, ``"050"`` county, ``"140"`` tract...
    name : str
        The ``NAME`` the API gives it.
    values : mapping, optional
        Its cells, as the API sends them (text or ``None``):
        ``{"B19013_001E": "136689", "B19013_001M": "2096"}``.
    **codes
        Its geography codes (``state="06", county="075"``; ``_`` for spaces:
        ``block_group="1"``).

    Examples
    --------
    >>> row = census_row("050", "San Francisco County, California", state="06", county="075")
    >>> row["GEO_ID"], row["county"]
    ('0500000US06075', '075')

    .. versionadded:: 0.1.0
    """
    named = {k.replace("_", " "): v for k, v in codes.items()}
    geoid = "" if sumlevel == "010" else "".join(named[c] for c in _LEVELS[sumlevel])
    row: dict[str, Any] = {
        "_sumlevel": sumlevel,
        "NAME": name,
        "GEO_ID": f"{sumlevel}0000US{geoid}",
        **named,
    }
    if sumlevel == "010":
        row["us"] = "1"
    row.update(values or {})
    return row


def census_variables(
    specs: Mapping[str, tuple[str, str, str]],
    *,
    moe: bool = True,
    annotations: bool = True,
    suffix: str = "E",
) -> dict[str, Any]:
    """Return a ``variables.json``: ``{estimate: (label, concept, group)}``, MOEs in attributes.

    Parameters
    ----------
    specs : mapping
        Estimate name (``B19013_001E``) to its label, concept and group.
    moe : bool
        List a margin of error (``…M``) in each estimate's ``attributes``.
    annotations : bool
        List annotation variables (``…EA``, ``…MA``) too.
    suffix : str
        The estimates' suffix: ``"E"``, or ``"PE"`` for profile percentages
        (MOE ``…PM``).

    Examples
    --------
    >>> doc = census_variables({"B19013_001E": ("Estimate!!Median", "INCOME", "B19013")})
    >>> doc["variables"]["B19013_001E"]["attributes"]
    'B19013_001EA,B19013_001M,B19013_001MA'

    .. versionadded:: 0.1.0
    """
    out: dict[str, Any] = {
        "for": {
            "label": "Census API FIPS 'for' clause",
            "concept": "Census API Geography Specification",
            "predicateType": "fips-for",
            "group": "N/A",
            "limit": 0,
            "predicateOnly": True,
        },
        "in": {
            "label": "Census API FIPS 'in' clause",
            "concept": "Census API Geography Specification",
            "predicateType": "fips-in",
            "group": "N/A",
            "limit": 0,
            "predicateOnly": True,
        },
        "NAME": {
            "label": "Geographic Area Name",
            "concept": "Selectable Geographies",
            "predicateType": "string",
            "group": "N/A",
            "limit": 0,
        },
        "GEO_ID": {"label": "Geography", "predicateType": "string", "group": "N/A", "limit": 0},
    }
    for name, (label, concept, group) in specs.items():
        entry: dict[str, Any] = {
            "label": label,
            "concept": concept,
            "predicateType": "int",
            "group": group,
            "limit": 0,
        }
        stem = name.removesuffix(suffix)
        msuffix = "PM" if suffix == "PE" else "M"
        attrs = []
        if annotations:
            attrs.append(name + "A")
        if moe:
            attrs.append(stem + msuffix)
            if annotations:
                attrs.append(stem + msuffix + "A")
        if attrs:
            entry["attributes"] = ",".join(attrs)
        out[name] = entry
    return {"variables": out}


# ------------------------------------------------------------------ the mock


@frozen
class _Vintage:
    variables: dict[str, Any]
    geography: dict[str, Any]
    groups: dict[str, Any] | None
    rows: list[dict[str, Any]]


class CensusMock:
    """A stand-in for the Census Data API, for tests: no sockets, no network.

    It answers as https://api.census.gov/data does, from vintages added with
    :meth:`add` (metadata documents and places as rows) or from a cache folder
    in the layout :class:`~feedbackloop.census.ResponseCache` writes (such as
    the bundled example's ``census-cache``):

    - ``/data/<year>/<dataset>/variables.json`` (``geography.json``,
      ``groups.json``): the metadata documents;
    - ``/data/<year>/<dataset>?get=...&for=...&in=...&key=...``: a JSON array
      of arrays, header first, every value text or ``null``, the geography
      columns after the variables asked for, ``group(T)`` expanded to the
      table's variables and their attributes;
    - the real API's error shapes: 404 with an HTML page for an unknown
      dataset or year; HTTP 200 with an HTML "Invalid Key" page for a wrong
      key and a 302 redirect to ``key_signup.html`` for a missing one (when the
      mock has a ``key``); 204 No Content when no place matches; 400 with
      ``error: unknown variable 'X'``, with the API's (misspelt) geography
      message, and for more than 50 variables.

    Faults given to :meth:`inject` answer the next requests instead (5xx,
    429, HTML pages, truncated JSON, redirects, timeouts...). Every request is
    recorded in :attr:`requests`, the key's value replaced by ``***``.

    Give :attr:`transport` to a client (``CensusClient(transport=...)``, or
    ``transport=`` to :func:`~feedbackloop.census.read_census` and the other
    functions), or use :meth:`client` / :meth:`options`. :meth:`answer` is the
    request-to-answer function itself, for wrapping in an HTTP server.

    Parameters
    ----------
    key : str, optional
        The only key accepted for data requests; ``None`` (default) checks none.
    cache_dir : str or path, optional
        A cache folder to answer from, for vintages not added with :meth:`add`.
        A data request it holds no answer to raises :class:`LookupError`
        (through the client), naming the file it looked for.
    latency : float
        Seconds to wait before every answer (really waited; the requests of a
        pull overlap, as over a network).
    prefix : str
        The URL path of the API (``/data``, as in ``https://api.census.gov/data``);
        the host is ignored.
    memo : bool
        Render each distinct data answer once (for benchmarks that time the client).

    Examples
    --------
    >>> from feedbackloop import census
    >>> from feedbackloop.testing import CensusFault, CensusMock, census_geography
    >>> from feedbackloop.testing import census_row, census_variables
    >>> mock = CensusMock(key="test-key")
    >>> income = ("Estimate!!Median household income", "MEDIAN HOUSEHOLD INCOME", "B19013")
    >>> mock.add(
    ...     2022,
    ...     "acs/acs5",
    ...     variables=census_variables({"B19013_001E": income}),
    ...     geography=census_geography(),
    ...     rows=[
    ...         census_row(
    ...             "050",
    ...             "San Francisco County, California",
    ...             state="06",
    ...             county="075",
    ...             values={"B19013_001E": "136689", "B19013_001M": "2096"},
    ...         )
    ...     ],
    ... )
    >>> mock.inject(CensusFault.http(503))  # the first data request fails, and is retried
    >>> s = census.read_census(
    ...     dataset="acs/acs5",
    ...     year=2022,
    ...     variables="B19013_001",
    ...     geography="county:075",
    ...     within={"state": "CA"},
    ...     **mock.options(),
    ... )
    >>> s.frame[["geography", "value", "moe"]].values.tolist()
    [['06075', 136689.0, 2096.0]]
    >>> [(r.kind, r.param("key")) for r in mock.requests]  # doctest: +NORMALIZE_WHITESPACE
    [('meta', '***'), ('meta', '***'), ('data', '***'), ('data', '***')]

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        *,
        key: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        latency: float = 0.0,
        prefix: str = "/data",
        memo: bool = False,
    ) -> None:
        self.key = key
        self.cache = census.ResponseCache(Path(cache_dir), None) if cache_dir is not None else None
        self.latency = float(latency)
        self.prefix = "/" + prefix.strip("/")
        #: Requests in progress now, and the most ever at once (since :meth:`reset`).
        self.in_flight = 0
        self.max_in_flight = 0
        self._vintages: dict[tuple[int, str], _Vintage] = {}
        self._requests: list[CensusRequest] = []
        self._faults: list[CensusFault] = []
        self._memo: dict[tuple[Any, ...], CensusAnswer] | None = {} if memo else None
        self._lock = threading.Lock()
        self._transport: httpx.MockTransport | None = None

    def __repr__(self) -> str:
        where = f", cache_dir={str(self.cache.root)!r}" if self.cache is not None else ""
        return (
            f"CensusMock({len(self._vintages)} vintage(s){where}, "
            f"key={'set' if self.key else 'not checked'}, {len(self._requests)} request(s))"
        )

    # -------------------------------------------------------------- set-up

    def add(
        self,
        year: int,
        dataset: str,
        *,
        variables: dict[str, Any],
        geography: dict[str, Any],
        rows: Iterable[dict[str, Any]] = (),
        groups: dict[str, Any] | None = None,
    ) -> None:
        """Serve a vintage: its metadata documents and its places.

        Parameters
        ----------
        year : int
        dataset : str
            ``acs/acs5``, ``dec/pl``...
        variables : dict
            Its ``variables.json`` (e.g. from :func:`census_variables`).
        geography : dict
            Its ``geography.json`` (e.g. :func:`census_geography`).
        rows : iterable of dict
            Its places (e.g. from :func:`census_row`): ``_sumlevel``, codes,
            ``NAME``, ``GEO_ID`` and a cell for each variable (absent cells are ``null``).
        groups : dict, optional
            Its ``groups.json`` (404 if not given).
        """
        with self._lock:
            self._vintages[(int(year), dataset)] = _Vintage(
                variables, geography, groups, list(rows)
            )
            if self._memo is not None:
                self._memo.clear()

    def inject(self, *faults: CensusFault) -> None:
        """Answer the next matching requests with ``faults``, one each, in order."""
        with self._lock:
            self._faults.extend(faults)

    def reset(self) -> None:
        """Forget the requests received and the faults not yet used (vintages stay)."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()
            self.max_in_flight = 0

    # ------------------------------------------------------------ records

    @property
    def requests(self) -> list[CensusRequest]:
        """Every request received, in order (a copy)."""
        with self._lock:
            return list(self._requests)

    def data_requests(self) -> list[CensusRequest]:
        """Return the data requests received, in order."""
        return [r for r in self.requests if r.kind == "data"]

    def count(self, kind: Kind = "data") -> int:
        """How many requests of ``kind`` (``data``, ``meta``, ``signup``, ``other``) came."""
        return sum(1 for r in self.requests if r.kind == kind)

    # ---------------------------------------------------------- as a client

    @property
    def transport(self) -> httpx.MockTransport:
        """An :class:`httpx.MockTransport` answering through :meth:`handle_request`."""
        if self._transport is None:
            httpx_mod = import_optional("httpx", extra="census", purpose="CensusMock.transport")
            self._transport = httpx_mod.MockTransport(self.handle_request)
        return self._transport

    def options(self, **overrides: Any) -> census.ClientOptions:
        """Return client options that send requests to the mock.

        ``transport`` and the mock's ``key`` (or none), no cache unless
        ``cache_dir=`` is given, no backoff between retries and no progress
        bar; ``overrides`` win. For :func:`~feedbackloop.census.read_census`,
        :func:`~feedbackloop.census.get_acs` and the other functions:
        ``read_census(..., **mock.options())``.
        """
        options: dict[str, Any] = {
            "transport": self.transport,
            "key": self.key if self.key is not None else "",
            "backoff": 0.0,
            "progress": False,
        }
        if "cache_dir" not in overrides:
            options["cache"] = False
        options.update(overrides)
        out: census.ClientOptions = options  # type: ignore[assignment]
        return out

    def client(self, **overrides: Any) -> census.CensusClient:
        """Return a :class:`~feedbackloop.census.CensusClient` with :meth:`options`."""
        return census.CensusClient(**self.options(**overrides))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer an httpx request (the handler of :attr:`transport`).

        Raises
        ------
        httpx.ReadTimeout, httpx.ConnectError
            For a :meth:`CensusFault.timeout` or :meth:`CensusFault.connection_error`.
        LookupError
            A data request for a vintage of the cache folder that holds no answer to it.
        """
        httpx_mod = import_optional("httpx", extra="census", purpose="CensusMock")
        query = request.url.query.decode("ascii")
        answer = self.answer(request.url.path, _parse_query(query))
        if answer.error == "timeout":
            raise httpx_mod.ReadTimeout("CensusMock: timed out (injected fault)", request=request)
        if answer.error == "connect":
            raise httpx_mod.ConnectError(
                "CensusMock: connection refused (injected fault)", request=request
            )
        response: httpx.Response = httpx_mod.Response(
            answer.status, headers=dict(answer.headers), content=answer.body, request=request
        )
        return response

    # ------------------------------------------------------------ answering

    def answer(self, path: str, params: Sequence[tuple[str, str]]) -> CensusAnswer:
        """Answer one GET of ``path`` with query ``params``: record it, apply faults, wait.

        This is the whole mock; :meth:`handle_request` and an HTTP server
        (``tests/census_server.py``) only translate to and from it.
        """
        kind = self._kind(path)
        given = dict(params).get("key")
        record = CensusRequest(
            path,
            tuple((k, "***" if k == "key" else v) for k, v in params),
            kind,
            None if self.key is None else given == self.key,
        )
        with self._lock:
            self._requests.append(record)
            fault = next((f for f in self._faults if f.applies_to(kind)), None)
            if fault is not None:
                self._faults.remove(fault)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            wait = self.latency + (fault.delay if fault is not None else 0.0)
            if wait:
                time.sleep(wait)
            if fault is not None and not fault.then_normal and fault.truncate is None:
                return fault.answer()
            normal = self._normal(path, kind, params, given)
            if fault is not None and fault.truncate is not None:
                cut = int(len(normal.body) * fault.truncate)
                return CensusAnswer(normal.status, normal.body[:cut], normal.headers)
            return normal
        finally:
            with self._lock:
                self.in_flight -= 1

    def _kind(self, path: str) -> Kind:
        if path == f"{self.prefix}/key_signup.html":
            return "signup"
        if path.endswith(".json"):
            return "meta"
        if path.startswith(self.prefix + "/"):
            return "data"
        return "other"

    def _normal(
        self, path: str, kind: Kind, params: Sequence[tuple[str, str]], given: str | None
    ) -> CensusAnswer:
        """Return the answer without faults: metadata, data, or the API's error."""
        if kind == "signup":
            return CensusAnswer(200, SIGNUP_HTML.encode(), {"Content-Type": _HTML})
        not_found = CensusAnswer(404, NOT_FOUND_HTML.encode(), {"Content-Type": _HTML})
        if kind == "other":
            return not_found
        year_text, _, dataset = path[len(self.prefix) + 1 :].strip("/").partition("/")
        meta_name = None
        if kind == "meta":
            dataset, _, meta_name = dataset.rpartition("/")
        if not year_text.isdigit():
            return not_found
        year = int(year_text)
        vintage = self._vintages.get((year, dataset))
        if vintage is None and not self._cached(year, dataset):
            return not_found
        if meta_name is not None:
            doc = self._metadata(vintage, year, dataset, meta_name)
            return not_found if doc is None else CensusAnswer(200, doc, {"Content-Type": _JSON})
        if self.key is not None and given is None:
            headers = {"Content-Type": "text/html", "Location": f"{self.prefix}/key_signup.html"}
            return CensusAnswer(302, b"", headers)
        if self.key is not None and given != self.key:
            return CensusAnswer(200, INVALID_KEY_HTML.encode(), {"Content-Type": _HTML})
        if vintage is None:
            return self._from_cache(year, dataset, params)
        memo_key = (path, *(p for p in params if p[0] != "key"))
        if self._memo is not None and memo_key in self._memo:
            return self._memo[memo_key]
        status, body = _data(vintage, params)
        answer = CensusAnswer(
            status,
            body,
            {} if status == 204 else {"Content-Type": _JSON if status == 200 else _TEXT},
        )
        if self._memo is not None:
            self._memo[memo_key] = answer
        return answer

    def _cached(self, year: int, dataset: str) -> bool:
        if self.cache is None:
            return False
        return self.cache.meta_path(year, dataset, "variables.json").parent.is_dir()

    def _metadata(
        self, vintage: _Vintage | None, year: int, dataset: str, name: str
    ) -> bytes | None:
        if vintage is None:
            assert self.cache is not None
            try:
                return self.cache.meta_path(year, dataset, name).read_bytes()
            except OSError:
                return None
        doc = {
            "variables.json": vintage.variables,
            "geography.json": vintage.geography,
            "groups.json": vintage.groups,
        }.get(name)
        return None if doc is None else json.dumps(doc, indent=2).encode()

    def _from_cache(
        self, year: int, dataset: str, params: Sequence[tuple[str, str]]
    ) -> CensusAnswer:
        """Return the recorded answer to a data request (found by its key-free text)."""
        assert self.cache is not None
        label = f"{year}/{dataset}?" + "&".join(f"{k}={v}" for k, v in params if k != "key")
        where = self.cache.data_path(year, dataset, label)
        envelope = self.cache.load_data(where, label, offline=True)
        if envelope is None:
            raise LookupError(
                f"CensusMock: the cache folder {self.cache.root} holds no answer to {label} "
                f"(looked for {where}); add the vintage with CensusMock.add(), or fill the "
                "folder by reading once with cache_dir= pointing at it"
            )
        if envelope.get("status") == 204 or envelope.get("body") is None:
            return CensusAnswer(204)
        return CensusAnswer(200, json.dumps(envelope["body"]).encode(), {"Content-Type": _JSON})


def _parse_query(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True)


def _data(vintage: _Vintage, params: Sequence[tuple[str, str]]) -> tuple[int, bytes]:
    """Answer a data request from a vintage's rows: (status, body), as the API does."""
    get = next((v for k, v in params if k == "get"), None)
    for_ = next((v for k, v in params if k == "for"), None)
    if not get or not for_:
        return 400, b"error: missing 'get' or 'for' clause"
    names = _columns(vintage.variables["variables"], get)
    if isinstance(names, bytes):
        return 400, names
    level, _, codes = for_.partition(":")
    within: dict[str, str] = {}
    for k, v in params:
        if k == "in":
            for clause in v.split():
                p, _, c = clause.partition(":")
                within[p] = c
    entry = _geography_entry(vintage.geography, level, within)
    if entry is None:
        return 400, _GEOGRAPHY_ERROR
    requires = list(entry.get("requires") or ())
    out: list[list[Any]] = [[*names, *requires, level]]
    for row in vintage.rows:
        if row["_sumlevel"] != entry["geoLevelDisplay"]:
            continue
        if codes != "*" and row[level] not in codes.split(","):
            continue
        if any(c != "*" and row[p] not in c.split(",") for p, c in within.items()):
            continue
        out.append([row.get(n) for n in names] + [row[p] for p in requires] + [row[level]])
    if len(out) == 1:
        return 204, b""
    return 200, ("[" + ",\n".join(json.dumps(r) for r in out) + "]").encode()


def _columns(variables: Mapping[str, Any], get: str) -> list[str] | bytes:
    """Return the columns ``get=`` asks for (``group(T)`` expanded), or the API's 400 text."""
    known = set(variables)
    attrs_of: dict[str, list[str]] = {}
    for name, entry in variables.items():
        attrs = [a for a in str(entry.get("attributes", "")).split(",") if a]
        attrs_of[name] = attrs
        known.update(attrs)
    names: list[str] = []
    plain = 0
    for item in get.split(","):
        if item.startswith("group(") and item.endswith(")"):
            group = item[6:-1]
            members = sorted(n for n, e in variables.items() if e.get("group") == group)
            if not members:
                return f"error: unknown variable '{item}'".encode()
            names.append("GEO_ID")
            for m in members:
                names += [m, *attrs_of.get(m, [])]
            names.append("NAME")
        else:
            plain += 1
            if item not in known and item not in ("NAME", "GEO_ID"):
                return f"error: error: unknown variable '{item}'".encode()
            names.append(item)
    if plain > 50:
        return (
            f"error: The requested number of variables, {plain}, exceeds the limit of 50".encode()
        )
    return names


def _geography_entry(
    geography: Mapping[str, Any], level: str, within: Mapping[str, str]
) -> Mapping[str, Any] | None:
    """Return the ``geography.json`` entry ``for``/``in`` name, or None if refused."""
    entry: Mapping[str, Any] | None = None
    for e in geography["fips"]:
        if e["name"] == level and set(within) <= set(e.get("requires") or ()):
            entry = e
            break
    if entry is None:
        return None
    wildcard = set(entry.get("wildcard") or ())
    for parent in entry.get("requires") or ():
        if parent not in within and parent != entry.get("optionalWithWCFor"):
            return None
        if within.get(parent) == "*" and parent not in wildcard:
            return None
    return entry
