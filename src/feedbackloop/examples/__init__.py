"""The example initiative bundled with feedbackloop (illustrative data).

Examples
--------
>>> from feedbackloop.examples import load_example
>>> load_example().shared_result.id
'youth_employment'
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from feedbackloop.io import load_loop
from feedbackloop.model import FeedbackLoop

__all__ = ["EXAMPLES", "example_data_dir", "example_path", "load_example"]

EXAMPLES = ("opportunity_youth",)


def example_path(name: str = "opportunity_youth") -> Path:
    """Return the path of a bundled example loop file.

    Parameters
    ----------
    name : str
        One of :data:`EXAMPLES`.

    Returns
    -------
    pathlib.Path
        The YAML file inside the installed package.
    """
    if name not in EXAMPLES:
        raise KeyError(f"no bundled example {name!r}; available: {', '.join(EXAMPLES)}")
    return Path(str(resources.files(__package__).joinpath(f"{name}.yaml")))


def example_data_dir() -> Path:
    """Return the folder of the bundled illustrative data files.

    The files (CSV files and a partner's PDF report; the Census responses are
    in ``census-cache`` beside it) are made by
    :mod:`feedbackloop.examples.generate` with a fixed seed: made-up numbers
    shaped like the real thing.
    """
    return Path(str(resources.files(__package__).joinpath("data")))


def load_example(name: str = "opportunity_youth") -> FeedbackLoop:
    """Load a bundled example loop (validated).

    Parameters
    ----------
    name : str
        One of :data:`EXAMPLES`.

    Returns
    -------
    FeedbackLoop
    """
    return load_loop(example_path(name))
