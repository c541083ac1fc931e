"""Every exception and warning feedbackloop raises.

One root, :class:`FeedbackloopError`; each concrete class also inherits the
builtin exception a caller would already catch, so ``except ValueError`` keeps
working around code that does not know feedbackloop::

    FeedbackloopError
    ├── LoopError(ValueError)                 the results graph is inconsistent
    │   ├── LoopValidationError               every problem found, at once
    │   └── UnknownNodeError(KeyError)        a node id that is not in the loop
    ├── LoopFileError(ValueError)             a loop YAML file is malformed
    ├── UnitError(ValueError)                 unknown unit, impossible conversion
    ├── PeriodError(ValueError)               a period label that does not parse
    ├── TargetError(ValueError)               a target that is not well defined
    ├── SeriesError(ValueError)               an IndicatorSeries operation refused
    │   ├── SeriesValidationError             a frame that is not a valid series
    │   └── NotAdditiveError                  summing rates, medians or percentages
    ├── AdapterError                          source adapters
    │   ├── AdapterNotFoundError(LookupError)
    │   ├── AdapterLoadError(ImportError)
    │   ├── AdapterContractError(TypeError)
    │   └── SourceReadError(ValueError)       a source that could not be read
    └── MissingDependencyError(ImportError)   an optional extra is not installed

    FeedbackloopWarning(UserWarning)
    ├── LoopWarning                           a loop that is valid but suspicious
    ├── StatisticalWarning                    e.g. overlapping ACS periods compared
    └── AdapterWarning(RuntimeWarning)        a plugin that could not be loaded

Every error passes its constructor arguments to ``Exception.__init__`` so that
it pickles (and so crosses process boundaries) unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

__all__ = [
    "AdapterContractError",
    "AdapterError",
    "AdapterLoadError",
    "AdapterNotFoundError",
    "AdapterOptionError",
    "AdapterSelectionError",
    "AdapterWarning",
    "FeedbackloopError",
    "FeedbackloopWarning",
    "LoopError",
    "LoopFileError",
    "LoopValidationError",
    "LoopWarning",
    "MissingDependencyError",
    "NotAdditiveError",
    "PeriodError",
    "Problem",
    "SeriesError",
    "SeriesValidationError",
    "SourceReadError",
    "StatisticalWarning",
    "TargetError",
    "UnitError",
    "UnknownNodeError",
]


class FeedbackloopError(Exception):
    """Root of every error raised by feedbackloop."""


class FeedbackloopWarning(UserWarning):
    """Root of every warning issued by feedbackloop."""


class LoopWarning(FeedbackloopWarning):
    """A feedback loop that is valid but probably not what was meant."""


class StatisticalWarning(FeedbackloopWarning):
    """A computation that is allowed but statistically questionable."""


class AdapterWarning(FeedbackloopWarning, RuntimeWarning):
    """An installed adapter plugin could not be listed, loaded or used."""


# --------------------------------------------------------------------------- loop


class Problem(tuple[str, str]):
    """One finding of a validation: ``(where, message)``.

    ``where`` names the place (a node id, a document path such as
    ``outcomes[2].horizon``, a row or column); ``message`` says what is wrong
    and what to do.
    """

    __slots__ = ()

    def __new__(cls, where: str, message: str) -> Self:
        """Create a problem found at ``where``."""
        return super().__new__(cls, (where, message))

    def __getnewargs__(self) -> tuple[str, str]:
        return (self[0], self[1])

    @property
    def where(self) -> str:
        """The place the problem was found."""
        return self[0]

    @property
    def message(self) -> str:
        """What is wrong, and what to do about it."""
        return self[1]

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def _listing(header: str, problems: Sequence[Problem]) -> str:
    lines = [header]
    lines.extend(f"  - {p}" for p in problems)
    return "\n".join(lines)


class LoopError(FeedbackloopError, ValueError):
    """A results graph that breaks a rule of the feedback-loop model."""


class LoopValidationError(LoopError):
    """Every problem :meth:`FeedbackLoop.validate` found, listed at once.

    Attributes
    ----------
    loop_name : str
        The name of the loop that was validated.
    problems : tuple of Problem
        ``(where, message)`` pairs, one per broken rule.
    """

    def __init__(self, loop_name: str, problems: Sequence[Problem]) -> None:
        super().__init__(loop_name, tuple(problems))
        self.loop_name = loop_name
        self.problems = tuple(problems)

    def __str__(self) -> str:
        n = len(self.problems)
        return _listing(
            f"feedback loop {self.loop_name!r} has {n} problem{'s' if n != 1 else ''}:",
            self.problems,
        )


class UnknownNodeError(LoopError, KeyError):
    """A node id that the loop does not contain."""

    def __init__(self, node_id: str, known: Sequence[str] = ()) -> None:
        super().__init__(node_id, tuple(known))
        self.node_id = node_id
        self.known = tuple(known)

    def __str__(self) -> str:
        known = ", ".join(sorted(self.known)) or "none"
        return f"no node with id {self.node_id!r} in this loop (known ids: {known})"


class LoopFileError(FeedbackloopError, ValueError):
    """A loop document (YAML or dict) that cannot be turned into a loop.

    Attributes
    ----------
    source : str
        The file name, or ``"<dict>"`` for an in-memory document.
    problems : tuple of Problem
        Each problem's ``where`` is a document path (``outcomes[2].horizon``),
        followed by ``(line N)`` when the line is known.
    """

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        super().__init__(source, tuple(problems))
        self.source = source
        self.problems = tuple(problems)

    def __str__(self) -> str:
        n = len(self.problems)
        return _listing(
            f"{self.source}: {n} problem{'s' if n != 1 else ''} in the loop document:",
            self.problems,
        )


class UnitError(FeedbackloopError, ValueError):
    """A unit that is not known, or a conversion between incompatible units."""


class PeriodError(FeedbackloopError, ValueError):
    """A period label that cannot be parsed."""


class TargetError(FeedbackloopError, ValueError):
    """A target that is not well defined (e.g. no change or two kinds of change)."""


# ------------------------------------------------------------------------- series


class SeriesError(FeedbackloopError, ValueError):
    """An :class:`IndicatorSeries` operation that was refused."""


class SeriesValidationError(SeriesError):
    """A frame that does not make a valid indicator series.

    Attributes
    ----------
    indicator : str
        The indicator id the series was being built for.
    problems : tuple of Problem
        Every problem found, with the column and rows where it was found.
    """

    def __init__(self, indicator: str, problems: Sequence[Problem]) -> None:
        super().__init__(indicator, tuple(problems))
        self.indicator = indicator
        self.problems = tuple(problems)

    def __str__(self) -> str:
        n = len(self.problems)
        return _listing(
            f"data for indicator {self.indicator!r} is not a valid series "
            f"({n} problem{'s' if n != 1 else ''}):",
            self.problems,
        )


class NotAdditiveError(SeriesError):
    """Summing values that do not add up (rates, medians, percentages)."""


# ----------------------------------------------------------------------- adapters


class AdapterError(FeedbackloopError):
    """Root of the errors about source adapters."""


class AdapterNotFoundError(AdapterError, LookupError):
    """No adapter is installed under the name asked for."""

    def __init__(self, name: str, available: Sequence[str]) -> None:
        super().__init__(name, tuple(available))
        self.name = name
        self.available = tuple(available)

    def __str__(self) -> str:
        installed = ", ".join(self.available) or "none"
        return (
            f"no adapter named {self.name!r} (installed: {installed}); adapters come from "
            "packages that declare the 'feedbackloop.adapters' entry point"
        )


class AdapterLoadError(AdapterError, ImportError):
    """An adapter's entry point could not be imported."""


class AdapterContractError(AdapterError, TypeError):
    """An adapter class that does not implement the adapter contract."""


class AdapterOptionError(AdapterError, TypeError):
    """Options an adapter does not accept (misspelt or meant for another adapter)."""


class AdapterSelectionError(AdapterError, LookupError):
    """No adapter, or more than one, says it can read a source given without an adapter."""


class SourceReadError(AdapterError, ValueError):
    """A source that an adapter could not read.

    Attributes
    ----------
    adapter : str
        The adapter's name.
    source : str
        The source (path, URL without secrets, dataset) that failed.
    """

    def __init__(self, message: str, *, adapter: str = "", source: str = "") -> None:
        super().__init__(message, adapter, source)
        self.message = message
        self.adapter = adapter
        self.source = source

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_source_read_error, (self.message, self.adapter, self.source))

    def __str__(self) -> str:
        where = " ".join(x for x in (self.adapter and f"[{self.adapter}]", self.source) if x)
        return f"{where}: {self.message}" if where else self.message


def _rebuild_source_read_error(message: str, adapter: str, source: str) -> SourceReadError:
    return SourceReadError(message, adapter=adapter, source=source)


class MissingDependencyError(FeedbackloopError, ImportError):
    """An optional dependency (an extra) is needed but not installed."""
