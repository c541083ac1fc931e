from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, settings

from feedbackloop.census import CensusClient

if TYPE_CHECKING:
    import httpx

settings.register_profile(
    "dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


@pytest.fixture
def realdata() -> Path:
    """The shared real-data folder, or a skip when it is not beside the repo."""
    if not REALDATA.is_dir():
        pytest.skip(f"real-data folder not found at {REALDATA} (expected ../shared/realdata)")
    return REALDATA


# ------------------------------------------------------------------ census


@pytest.fixture
def route_census(monkeypatch: pytest.MonkeyPatch) -> Callable[[httpx.BaseTransport], None]:
    """Send the requests of every CensusClient made in the test through a transport.

    ``route_census(mock.transport)`` gives every client built without ``transport=``
    (by ``fl.read("census", ...)``, ``fl.collect`` of a loop file, the adapter's
    ``discover``) the mock's transport instead of the network, for the test only.
    A client given its own ``transport=`` keeps it.
    """

    def route(transport: httpx.BaseTransport) -> None:
        original = CensusClient.__init__

        @functools.wraps(original)
        def init(self: CensusClient, **options: Any) -> None:
            if options.get("transport") is None:
                options["transport"] = transport
            original(self, **options)

        monkeypatch.setattr(CensusClient, "__init__", init)

    return route
