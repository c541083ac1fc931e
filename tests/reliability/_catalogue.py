"""The shape of a catalogue case, and the checks every case makes."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from feedbackloop.errors import FeedbackloopError


def case(
    area: str, id: str, *values: Any, xfail: str | None = None, skip: str | None = None
) -> Any:
    """One row of a catalogue table: a ``pytest.param`` marked with its area."""
    marks: list[Any] = [pytest.mark.catalogue(area)]
    if xfail is not None:
        marks.append(pytest.mark.xfail(strict=True, reason=xfail))
    if skip is not None:
        marks.append(pytest.mark.skip(reason=skip))
    return pytest.param(*values, id=id, marks=marks)


class Raises:
    """Expect an error of ``kind`` whose message names every fragment (regexes allowed)."""

    def __init__(self, kind: type[BaseException], *located: str, regex: bool = False) -> None:
        self.kind = kind
        self.located = located
        self.regex = regex

    def __repr__(self) -> str:
        return f"Raises({self.kind.__name__}, {', '.join(map(repr, self.located))})"

    def check(self, call: Callable[[], Any], **names: str) -> BaseException:
        """Run ``call``; check the error's type, that it is in the tree, and its message."""
        with pytest.raises(BaseException) as info:
            call()
        err = info.value
        if isinstance(err, (KeyboardInterrupt, SystemExit)):
            raise err
        assert isinstance(err, self.kind), (
            f"expected {self.kind.__name__}, got {type(err).__module__}.{type(err).__name__}: {err}"
        )
        assert isinstance(err, FeedbackloopError) or not issubclass(self.kind, FeedbackloopError)
        message = str(err)
        for fragment in self.located:
            fragment = fragment.format(**names)
            found = re.search(fragment, message) if self.regex else fragment in message
            assert found, f"{fragment!r} is not in the message:\n{message}"
        return err


def in_tree(call: Callable[[], Any]) -> Any:
    """Run ``call``; any exception it raises must belong to the feedbackloop error tree."""
    try:
        return call()
    except FeedbackloopError:
        return None
    except Exception as err:  # pragma: no cover - the failure being looked for
        raise AssertionError(
            f"{type(err).__module__}.{type(err).__name__} escaped the error tree: {err}"
        ) from err


def lines(*rows: str | bytes, end: bytes = b"\n") -> bytes:
    """Join rows (text as UTF-8) into file bytes, each ending with ``end``."""
    out = b""
    for r in rows:
        out += (r.encode("utf-8") if isinstance(r, str) else r) + end
    return out


def names(values: Sequence[str]) -> str:
    return ", ".join(values)
