"""The reliability catalogue: bad inputs and faults, each a typed, located error or safe output.

Every case of the catalogue carries ``@pytest.mark.catalogue(area)``; at the end
of a run the terminal summary counts them by area (and by outcome), so the
catalogue's size is visible in every CI log.
"""

from __future__ import annotations

from collections import Counter

import pytest

_AREAS = pytest.StashKey[dict[str, str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "catalogue(area): a case of the reliability catalogue (tests/reliability)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    areas: dict[str, str] = {}
    for item in items:
        mark = item.get_closest_marker("catalogue")
        if mark is not None:
            areas[item.nodeid] = str(mark.args[0])
    config.stash[_AREAS] = areas


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    areas = config.stash.get(_AREAS, {})
    if not areas:
        return
    by_area = Counter(areas.values())
    outcomes: Counter[str] = Counter()
    for outcome in ("passed", "failed", "xfailed", "xpassed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "nodeid", None) in areas and getattr(report, "when", "call") in (
                "call",
                "setup",
            ):
                if outcome == "passed" and report.when != "call":
                    continue
                outcomes[outcome] += 1
    listing = ", ".join(f"{area} {n}" for area, n in sorted(by_area.items()))
    ran = ", ".join(f"{n} {o}" for o, n in outcomes.items() if n)
    terminalreporter.write_line(
        f"reliability catalogue: {len(areas)} cases ({listing})" + (f"; {ran}" if ran else "")
    )
