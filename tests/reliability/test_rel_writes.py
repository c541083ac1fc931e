"""Catalogue: interrupted and concurrent writes leave one whole file, never a mix.

A writer process is killed with SIGKILL in the middle of a write (after the
data, before the rename, or at a random moment); writers in threads and in
processes race on one output. Afterwards the file is the old version or one
complete new version, and the next write works.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from feedbackloop import FeedbackLoop, Indicator, IndicatorSeries, load_loop
from feedbackloop.examples import load_example
from feedbackloop.io import atomic_write_text
from feedbackloop.series import read_parquet

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

OLD = "old version\n" * 1000
RATE = Indicator(id="rate", name="Rate", unit="count", direction="higher_is_better")


def _series(value: float) -> IndicatorSeries:
    frame = pd.DataFrame(
        {"geography": ["06", "07"], "period": ["2020", "2020"], "value": [value, value + 1]}
    )
    return IndicatorSeries.from_frame(frame, indicator=RATE)


STALL = {
    # Patched into the writer: say "ready" at the given step of the write, then hang.
    "fsync": "import os, time\n"
    "def _stall(*a, **k):\n    print('ready', flush=True); time.sleep(60)\nos.fsync = _stall\n",
    "replace": "import os, time\n"
    "def _stall(*a, **k):\n    print('ready', flush=True); time.sleep(60)\nos.replace = _stall\n",
}

WRITERS = {
    "text": "from feedbackloop.io import atomic_write_text\n"
    "atomic_write_text(PATH, 'new version\\n' * 200000)\n",
    "parquet": "import pandas as pd\nfrom feedbackloop import Indicator, IndicatorSeries\n"
    "f = pd.DataFrame({'geography': ['06'] * 3, 'period': ['2020', '2021', '2022'], "
    "'value': [9.0, 9.0, 9.0]})\n"
    "i = Indicator(id='rate', name='Rate', unit='count', direction='higher_is_better')\n"
    "IndicatorSeries.from_frame(f, indicator=i).to_parquet(PATH)\n",
    "yaml": "from feedbackloop.examples import load_example\n"
    "import attrs\nattrs.evolve(load_example(), name='Renamed').to_yaml(PATH)\n",
}


def _killed_writer(path: Path, writer: str, stall: str) -> None:
    code = STALL[stall] + f"PATH = {str(path)!r}\n" + WRITERS[writer]
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        line = proc.stdout.readline()
        if line.strip() != "ready":
            proc.kill()
            pytest.fail(f"the writer did not start: {proc.stderr.read()}")
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL


def _old(path: Path, writer: str) -> object:
    if writer == "text":
        path.write_text(OLD)
        return OLD
    if writer == "parquet":
        _series(1.0).to_parquet(path)
        return read_parquet(path).frame["value"].tolist()
    load_example().to_yaml(path)
    return load_loop(path).name


def _now(path: Path, writer: str) -> object:
    if writer == "text":
        return path.read_text()
    if writer == "parquet":
        return read_parquet(path).frame["value"].tolist()
    return load_loop(path).name


def _litter(folder: Path, target: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p != target]


@pytest.mark.parametrize(
    ("writer", "stall"),
    [
        pytest.param(w, s, id=f"{w}-killed-before-{s}", marks=pytest.mark.catalogue("writes"))
        for w in ("text", "parquet", "yaml")
        for s in ("fsync", "replace")
        if not (w == "parquet" and s == "fsync")
    ],
)
def test_a_killed_writer_leaves_the_old_file(tmp_path: Path, writer: str, stall: str) -> None:
    suffix = {"text": ".txt", "parquet": ".parquet", "yaml": ".yaml"}[writer]
    path = tmp_path / f"out{suffix}"
    before = _old(path, writer)
    _killed_writer(path, writer, stall)
    assert _now(path, writer) == before  # the old file, intact
    litter = _litter(tmp_path, path)
    assert all(p.name.startswith(f".{path.name}.") and p.suffix == ".tmp" for p in litter), litter
    # the next write is not disturbed by what the killed writer left
    if writer == "text":
        atomic_write_text(path, "after\n")
        assert path.read_text() == "after\n"
    elif writer == "parquet":
        _series(5.0).to_parquet(path)
        assert read_parquet(path).frame["value"].tolist() == [5.0, 6.0]
    else:
        load_example().to_yaml(path)
        assert load_loop(path) == load_example()
    assert len(_litter(tmp_path, path)) == len(litter)  # the next write adds none


@pytest.mark.catalogue("writes")
def test_a_writer_killed_at_random_moments_never_leaves_a_torn_file(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    versions = {"A" * 300_000 + "\n", "B" * 300_000 + "\n"}
    path.write_text("A" * 300_000 + "\n")
    code = textwrap.dedent(
        f"""
        from feedbackloop.io import atomic_write_text
        print("ready", flush=True)
        for i in range(10_000):
            atomic_write_text({str(path)!r}, ("B" if i % 2 == 0 else "A") * 300_000 + "\\n")
        """
    )
    for delay in (0.05, 0.12, 0.2):
        with subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True
        ) as proc:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            time.sleep(delay)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        assert path.read_text() in versions
    atomic_write_text(path, "last\n")
    assert path.read_text() == "last\n"


@pytest.mark.catalogue("writes")
def test_an_exception_mid_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    from feedbackloop._util import atomic_path

    path = tmp_path / "out.txt"
    path.write_text(OLD)

    def fail() -> None:
        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("the writer failed")

    with pytest.raises(RuntimeError):
        fail()
    assert path.read_text() == OLD and _litter(tmp_path, path) == []


@pytest.mark.catalogue("writes")
def test_a_rewrite_keeps_the_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_text(OLD)
    path.chmod(0o640)
    atomic_write_text(path, "new\n")
    assert (path.stat().st_mode & 0o777, path.read_text()) == (0o640, "new\n")


def _race(n: int, write: object) -> None:
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            for _ in range(5):
                write(i)  # type: ignore[operator]
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.catalogue("writes")
def test_concurrent_text_writers_in_threads(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    texts = [chr(65 + i) * 200_000 + "\n" for i in range(6)]
    _race(6, lambda i: atomic_write_text(path, texts[i]))
    assert path.read_text() in texts and _litter(tmp_path, path) == []


@pytest.mark.catalogue("writes")
def test_concurrent_parquet_writers_in_threads(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    _race(4, lambda i: _series(float(10 * i)).to_parquet(path))
    got = read_parquet(path).frame["value"].tolist()
    assert got in [[10.0 * i, 10.0 * i + 1] for i in range(4)] and _litter(tmp_path, path) == []


@pytest.mark.catalogue("writes")
def test_concurrent_loop_writers_in_threads(tmp_path: Path) -> None:
    import attrs

    path = tmp_path / "loop.yaml"
    loops: list[FeedbackLoop] = [attrs.evolve(load_example(), name=f"Loop {i}") for i in range(4)]
    _race(4, lambda i: loops[i].to_yaml(path))
    assert load_loop(path).name in {f"Loop {i}" for i in range(4)}
    assert _litter(tmp_path, path) == []


@pytest.mark.catalogue("writes")
def test_concurrent_writers_in_processes(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    code = (
        "import sys\nfrom feedbackloop.io import atomic_write_text\n"
        "for _ in range(20):\n"
        f"    atomic_write_text({str(path)!r}, sys.argv[1] * 400_000 + '\\n')\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, c]) for c in "XYZ"]
    assert [p.wait(60) for p in procs] == [0, 0, 0]
    text = path.read_text()
    assert text in {c * 400_000 + "\n" for c in "XYZ"} and _litter(tmp_path, path) == []
