from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from feedbackloop.cli import main
from feedbackloop.examples import example_path


def test_validate_bundled_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "OK" in out and "Opportunity Youth" in out


def test_show_tree_and_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", str(example_path())]) == 0
    out = capsys.readouterr().out
    assert "shared result: youth_employment" in out
    assert "strategy: mentoring" in out
    assert main(["show", "--format", "mermaid"]) == 0
    assert capsys.readouterr().out.startswith("flowchart LR")


def test_validate_reports_problems_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        example_path()
        .read_text(encoding="utf-8")
        .replace("contributes_to: [college_access]", "contributes_to: [nowhere]"),
        encoding="utf-8",
    )
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "fafsa_nights: contributes_to 'nowhere'" in err
    assert "Traceback" not in err


def test_malformed_file_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n", encoding="utf-8")
    assert main(["show", str(bad)]) == 1
    assert "error:" in capsys.readouterr().err
    with pytest.raises(Exception, match="shared_result"):
        main(["--debug", "show", str(bad)])


def test_console_script_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "feedbackloop.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("feedbackloop ")


def test_demo_reads_census_and_pdf_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib", reason="the demo report draws charts")
    pytest.importorskip("pdfplumber", reason="the demo reads a PDF")
    import socket

    with socket.socket() as s:  # a port nothing listens on: any Census request would fail
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("FEEDBACKLOOP_CENSUS_URL", f"http://127.0.0.1:{port}/data")
    monkeypatch.delenv("CENSUS_API_KEY", raising=False)
    assert main(["demo", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "report written to" in out and str(tmp_path / "report.html") in out
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    sources = text[text.index("<h2>Sources</h2>") :]
    assert "census: " in sources and "/acs/acs5" in sources  # the offline Census cache
    assert "pdf: " in sources and "youth_works_annual_report.pdf" in sources
    assert "csv: " in sources
    assert "cell(s) suppressed to protect privacy" in text  # default audience: public
