"""A static site per audience, built from the loop (floor 8c, above the report).

:func:`build` writes an overview of the loop, one page per node and per
indicator, the action plan with its Gantt chart, the data inventory and
sources, one printable A3 page per strategy and, for a partner, its anonymized
benchmarks: like Open SDG's reporting platform, but made from the loop file.
Every chart has a table alternative and CSV and XLSX downloads of exactly what
it plots (unit, margin of error, status, source, footnotes); withheld numbers
never appear, and no downloaded cell runs as a spreadsheet formula. The pages
come from the same Jinja2 templates as :func:`feedbackloop.report.report`.

:func:`posters` prints one data-walk poster per indicator (a big chart, one
sentence, the source and a question for discussion) to PDF and PNG with
headless Chromium.
"""

from feedbackloop.site._build import build
from feedbackloop.site._posters import CHROMIUM_NAMES, PAPERS, find_chromium, posters

__all__ = ["CHROMIUM_NAMES", "PAPERS", "build", "find_chromium", "posters"]
