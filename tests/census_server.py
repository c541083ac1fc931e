"""The Census Data API stand-in served over real HTTP, for end-to-end tests and benchmarks.

A real :class:`http.server.ThreadingHTTPServer` on 127.0.0.1 (free port) in front of
:class:`feedbackloop.testing.CensusMock`: every request is answered by the mock's
:meth:`~feedbackloop.testing.CensusMock.answer` (the same request -> answer function
its httpx transport uses), so the two cannot drift apart. What this adds is the wire:
real sockets, connection pooling, timeouts that really elapse, redirects that a client
could follow. Most tests need none of that and use the mock's transport instead.

For a server running in another process (benchmarks), ``/_stats`` answers the request
counts and ``/_reset`` forgets them.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from feedbackloop.testing import (
    CensusAnswer,
    CensusFault,
    CensusMock,
    CensusRequest,
    census_geography,
    census_row,
    census_variables,
)

__all__ = [
    "CensusServer",
    "Hit",
    "Scripted",
    "geo_row",
    "modern_geography",
    "variables_doc",
]

#: The names these tests have always used.
Scripted = CensusFault
Hit = CensusRequest
geo_row = census_row
modern_geography = census_geography
variables_doc = census_variables

#: How long the server holds a connection for a ``CensusFault.timeout()`` before dropping it.
TIMEOUT_HOLD = 1.0


class CensusServer:
    """The mock over HTTP. Use as a context manager; :attr:`url` is the base URL."""

    def __init__(
        self, *, key: str | None = "test-key", latency: float = 0.0, memo: bool = False
    ) -> None:
        self.mock = CensusMock(key=key, latency=latency, memo=memo)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------- the mock's API

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
        self.mock.add(
            year, dataset, variables=variables, geography=geography, rows=rows, groups=groups
        )

    def script(self, *responses: CensusFault) -> None:
        self.mock.inject(*responses)

    @property
    def hits(self) -> list[CensusRequest]:
        return self.mock.requests

    def data_hits(self) -> list[CensusRequest]:
        return self.mock.data_requests()

    def count(self, kind: str = "data") -> int:
        return self.mock.count(kind)  # type: ignore[arg-type]

    def reset(self) -> None:
        self.mock.reset()

    @property
    def latency(self) -> float:
        return self.mock.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.mock.latency = seconds

    @property
    def max_in_flight(self) -> int:
        return self.mock.max_in_flight

    # ----------------------------------------------------------- the wire

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/data"

    def start(self) -> Self:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server._handle(self)

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

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        if parts.path in ("/_stats", "/_reset"):  # for a server running in another process
            if parts.path == "/_reset":
                self.reset()
            stats = {k: self.count(k) for k in ("data", "meta", "signup")}
            stats["max_in_flight"] = self.max_in_flight
            _send(h, CensusAnswer(200, json.dumps(stats).encode(), _json_type()))
            return
        answer = self.mock.answer(parts.path, parse_qsl(parts.query, keep_blank_values=True))
        if answer.error is not None:
            if answer.error == "timeout":
                time.sleep(TIMEOUT_HOLD)
            h.close_connection = True  # no answer at all: the client sees the socket close
            return
        _send(h, answer)


def _json_type() -> Mapping[str, str]:
    return {"Content-Type": "application/json;charset=utf-8"}


def _send(h: BaseHTTPRequestHandler, answer: CensusAnswer) -> None:
    h.send_response(answer.status)
    headers = dict(answer.headers)
    if answer.status != 204:
        headers.setdefault("Content-Type", "application/json;charset=utf-8")
        h.send_header("Content-Length", str(len(answer.body)))
    for k, v in headers.items():
        h.send_header(k, v)
    h.end_headers()
    if answer.status != 204 and answer.body:
        h.wfile.write(answer.body)
