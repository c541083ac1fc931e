"""Write the R survey package's ``api`` samples used by tests/test_survey.py as small CSVs.

The source is ``data/api.rda`` of the R package survey (CRAN; Thomas Lumley), which
holds samples of the California Academic Performance Index, public data of the
California Department of Education. Only the columns the checks need are kept.
Run from the repository root with the .rda at hand (needs ``pyreadr``, in the
``test`` extra)::

    python tests/data/make_api_fixtures.py path/to/api.rda
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyreadr

HERE = Path(__file__).parent
KEEP = {
    "apiclus1": ["dnum", "pw", "fpc", "stype", "api00", "enroll", "ell", "meals"],
    "apistrat": ["stype", "pw", "fpc", "api00", "enroll"],
}


def main(rda: str) -> None:
    """Write ``tests/data/<name>.csv`` for each sample in :data:`KEEP`."""
    frames = pyreadr.read_r(rda, use_objects=list(KEEP))
    for name, columns in KEEP.items():
        frame = frames[name][columns].reset_index(drop=True)
        frame.to_csv(HERE / f"{name}.csv", index=False, lineterminator="\n")


if __name__ == "__main__":
    main(sys.argv[1])
