"""A local stand-in for the Census Data API, for tests and benchmarks.

A real :class:`http.server.ThreadingHTTPServer` on 127.0.0.1 (free port) that
answers the way https://api.census.gov/data does:

- ``/data/<year>/<dataset>/variables.json`` (``geography.json``, ``groups.json``):
  the metadata documents given to :meth:`CensusServer.add`;
- ``/data/<year>/<dataset>?get=...&for=...&in=...&key=...``: a JSON array of
  arrays, header row first, every value a string or ``null``, the geography
  columns appended after the requested variables, ``GEO_ID`` like
  ``1400000US06075010100``, ``group(T)`` expanded to the table's variables;
- the error shapes of the real API: 404 with an HTML page for an unknown
  dataset or year; HTTP 200 with an HTML "Invalid Key" page for a wrong key; a
  302 redirect (to ``/data/key_signup.html``) for a missing key; 204 No Content
  when no geography matches; 400 with ``error: unknown variable 'X'`` text;
  400 ``error: unknown/unsupported geography heirarchy`` (sic, as the API
  spells it); more than 50 variables refused with 400;
- scripted faults for the next data requests (:meth:`CensusServer.script`):
  5xx, slow answers (timeouts), broken JSON...

Every request is recorded (:attr:`CensusServer.hits`) so tests can count
them, check that the key was sent, and check that a redirect was never followed.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

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


@dataclass
class Scripted:
    """A response to give instead of the normal one (the next data request)."""

    status: int = 503
    body: bytes = b"<html><body>Service Unavailable</body></html>"
    content_type: str = "text/html"
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    #: After the delay, answer normally instead of with status/body.
    then_normal: bool = False


@dataclass
class Hit:
    """One request the server received."""

    path: str
    params: list[tuple[str, str]]
    kind: str  # "data", "meta", "signup", "other"

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.params if k == name), None)


@dataclass
class Dataset:
    variables: dict[str, Any]
    geography: dict[str, Any]
    groups: dict[str, Any] | None
    rows: list[dict[str, Any]]


class CensusServer:
    """The fake API. Use as a context manager; :attr:`url` is the base URL."""

    def __init__(
        self, *, key: str | None = "test-key", latency: float = 0.0, memo: bool = False
    ) -> None:
        self.key = key
        #: Keep rendered answers (benchmarks: time the client, not this server's JSON).
        self.memo: dict[tuple[Any, ...], tuple[int, bytes]] | None = {} if memo else None
        self.latency = latency
        self.datasets: dict[tuple[int, str], Dataset] = {}
        self.hits: list[Hit] = []
        self._script: list[Scripted] = []
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------- set-up

    def add(
        self,
        year: int,
        dataset: str,
        *,
        variables: dict[str, Any],
        geography: dict[str, Any],
        rows: Iterable[dict[str, Any]],
        groups: dict[str, Any] | None = None,
    ) -> None:
        self.datasets[(year, dataset)] = Dataset(variables, geography, groups, list(rows))

    def script(self, *responses: Scripted) -> None:
        with self._lock:
            self._script.extend(responses)

    def data_hits(self) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.kind == "data"]

    def count(self, kind: str = "data") -> int:
        with self._lock:
            return sum(1 for h in self.hits if h.kind == kind)

    def reset(self) -> None:
        with self._lock:
            self.hits.clear()
            self._script.clear()
            self.max_in_flight = 0

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/data"

    def start(self) -> Self:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    server._handle(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Quiet(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self._httpd = Quiet(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ answering

    @staticmethod
    def _send(
        h: BaseHTTPRequestHandler,
        status: int,
        body: bytes = b"",
        content_type: str = "application/json;charset=utf-8",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        h.send_response(status)
        if status != 204:
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        if status != 204 and body:
            h.wfile.write(body)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        params = parse_qsl(parts.query, keep_blank_values=True)
        path = parts.path
        if path in ("/_stats", "/_reset"):  # for a server running in another process
            if path == "/_reset":
                self.reset()
            stats = {k: self.count(k) for k in ("data", "meta", "signup")}
            stats["max_in_flight"] = self.max_in_flight
            self._send(h, 200, json.dumps(stats).encode())
            return
        if path == "/data/key_signup.html":
            kind = "signup"
        elif path.endswith((".json",)):
            kind = "meta"
        elif path.startswith("/data/"):
            kind = "data"
        else:
            kind = "other"
        scripted = None
        with self._lock:
            self.hits.append(Hit(path, params, kind))
            if kind == "data" and self._script:
                scripted = self._script.pop(0)
        if self.latency:
            time.sleep(self.latency)
        if scripted is not None:
            if scripted.delay:
                time.sleep(scripted.delay)
            if not scripted.then_normal:
                self._send(
                    h, scripted.status, scripted.body, scripted.content_type, scripted.headers
                )
                return
        if kind == "signup":
            self._send(h, 200, SIGNUP_HTML.encode(), "text/html")
            return
        if kind == "other":
            self._send(h, 404, NOT_FOUND_HTML.encode(), "text/html;charset=utf-8")
            return
        rest = path[len("/data/") :].strip("/")
        year_text, _, dataset = rest.partition("/")
        meta_name = None
        if kind == "meta":
            dataset, _, meta_name = dataset.rpartition("/")
        ds = self.datasets.get((int(year_text), dataset)) if year_text.isdigit() else None
        if ds is None:
            self._send(h, 404, NOT_FOUND_HTML.encode(), "text/html;charset=utf-8")
            return
        if meta_name is not None:
            doc = {
                "variables.json": ds.variables,
                "geography.json": ds.geography,
                "groups.json": ds.groups,
            }.get(meta_name)
            if doc is None:
                self._send(h, 404, NOT_FOUND_HTML.encode(), "text/html;charset=utf-8")
                return
            self._send(h, 200, json.dumps(doc, indent=2).encode())
            return
        given = dict(params)
        if self.key is not None:
            if "key" not in given:
                self._send(h, 302, b"", "text/html", {"Location": "/data/key_signup.html"})
                return
            if given["key"] != self.key:
                self._send(h, 200, INVALID_KEY_HTML.encode(), "text/html;charset=utf-8")
                return
        memo_key = (path, *(p for p in params if p[0] != "key"))
        if self.memo is not None and memo_key in self.memo:
            status, body = self.memo[memo_key]
        else:
            status, body = self._data(ds, params)
            if self.memo is not None:
                self.memo[memo_key] = (status, body)
        if status == 200:
            self._send(h, 200, body)
        elif status == 204:
            self._send(h, 204)
        else:
            self._send(h, status, body, "text/plain;charset=utf-8")

    def _data(self, ds: Dataset, params: Sequence[tuple[str, str]]) -> tuple[int, bytes]:
        variables = ds.variables["variables"]
        known = set(variables)
        attrs_of: dict[str, list[str]] = {}
        for name, entry in variables.items():
            attrs = [a for a in str(entry.get("attributes", "")).split(",") if a]
            attrs_of[name] = attrs
            known.update(attrs)
        get = next((v for k, v in params if k == "get"), None)
        for_ = next((v for k, v in params if k == "for"), None)
        if not get or not for_:
            return 400, b"error: missing 'get' or 'for' clause"
        names: list[str] = []
        plain = 0
        for item in get.split(","):
            if item.startswith("group(") and item.endswith(")"):
                group = item[6:-1]
                members = sorted(n for n, e in variables.items() if e.get("group") == group)
                if not members:
                    return 400, f"error: unknown variable '{item}'".encode()
                names.append("GEO_ID")
                for m in members:
                    names += [m, *attrs_of.get(m, [])]
                names.append("NAME")
            else:
                plain += 1
                if item not in known and item not in ("NAME", "GEO_ID"):
                    return 400, f"error: error: unknown variable '{item}'".encode()
                names.append(item)
        if plain > 50:
            return 400, (
                f"error: The requested number of variables, {plain}, exceeds the limit of 50"
            ).encode()
        level, _, codes = for_.partition(":")
        within: dict[str, str] = {}
        for k, v in params:
            if k == "in":
                for clause in v.split():
                    p, _, c = clause.partition(":")
                    within[p] = c
        entry = None
        for e in ds.geography["fips"]:
            if e["name"] == level and set(within) <= set(e.get("requires") or ()):
                entry = e
                break
        bad = b"error: unknown/unsupported geography heirarchy"
        if entry is None:
            return 400, bad
        requires = list(entry.get("requires") or ())
        wildcard = set(entry.get("wildcard") or ())
        for parent in requires:
            if parent not in within and parent != entry.get("optionalWithWCFor"):
                return 400, bad
            if within.get(parent) == "*" and parent not in wildcard:
                return 400, bad
        sumlevel = entry["geoLevelDisplay"]
        out: list[list[Any]] = [[*names, *requires, level]]
        for row in ds.rows:
            if row["_sumlevel"] != sumlevel:
                continue
            if codes != "*" and row[level] not in codes.split(","):
                continue
            if any(c != "*" and row[p] not in c.split(",") for p, c in within.items()):
                continue
            out.append([row.get(n) for n in names] + [row[p] for p in requires] + [row[level]])
        if len(out) == 1:
            return 204, b""
        text = "[" + ",\n".join(json.dumps(r) for r in out) + "]"
        return 200, text.encode()


# ------------------------------------------------------------------ fixtures


def modern_geography() -> dict[str, Any]:
    """A geography.json shaped like current ACS vintages' (synthetic, modelled on the API).

    Unlike 2010 SF1, tracts may take every county of a state and block groups
    every tract of a county, as the current API allows.
    """
    return {
        "fips": [
            {"name": "us", "geoLevelDisplay": "010"},
            {"name": "state", "geoLevelDisplay": "040"},
            {
                "name": "county",
                "geoLevelDisplay": "050",
                "requires": ["state"],
                "wildcard": ["state"],
                "optionalWithWCFor": "state",
            },
            {
                "name": "county subdivision",
                "geoLevelDisplay": "060",
                "requires": ["state", "county"],
                "wildcard": ["county"],
                "optionalWithWCFor": "county",
            },
            {
                "name": "tract",
                "geoLevelDisplay": "140",
                "requires": ["state", "county"],
                "wildcard": ["county"],
                "optionalWithWCFor": "county",
            },
            {
                "name": "block group",
                "geoLevelDisplay": "150",
                "requires": ["state", "county", "tract"],
                "wildcard": ["county", "tract"],
                "optionalWithWCFor": "tract",
            },
            {
                "name": "place",
                "geoLevelDisplay": "160",
                "requires": ["state"],
                "wildcard": ["state"],
                "optionalWithWCFor": "state",
            },
            {"name": "zip code tabulation area", "geoLevelDisplay": "860"},
        ]
    }


_WIDTHS = {
    "us": 1,
    "state": 2,
    "county": 3,
    "county subdivision": 5,
    "place": 5,
    "tract": 6,
    "block group": 1,
    "zip code tabulation area": 5,
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


def geo_row(sumlevel: str, name: str, **codes: str) -> dict[str, Any]:
    """A row of geography ``sumlevel`` with its codes, NAME and GEO_ID."""
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
    return row


def variables_doc(
    specs: Mapping[str, tuple[str, str, str]],
    *,
    moe: bool = True,
    annotations: bool = True,
    suffix: str = "E",
) -> dict[str, Any]:
    """A variables.json: ``{estimate name: (label, concept, group)}``; MOEs in attributes."""
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
