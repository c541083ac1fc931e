"""Public test helpers for feedbackloop users and adapter authors.

:mod:`feedbackloop.testing.strategies` holds Hypothesis strategies (needs the
``testing`` extra).
"""

__all__: list[str] = []
