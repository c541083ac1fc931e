"""Files a loop names are confined to its folder and the folders allowed explicitly."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from feedbackloop._util import resolve_confined
from feedbackloop.errors import PathNotAllowedError


def test_inside_the_loop_folder_resolves(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    assert resolve_confined("data/x.csv", base=tmp_path, what="p") == tmp_path / "data" / "x.csv"
    assert resolve_confined(tmp_path / "y.csv", base=tmp_path, what="p") == tmp_path / "y.csv"


@pytest.mark.parametrize(
    "path", ["../secret.csv", "../../../etc/passwd", "/etc/passwd", "a/../../b"]
)
def test_outside_is_refused_naming_path_and_option(tmp_path: Path, path: str) -> None:
    loop_dir = tmp_path / "loop"
    loop_dir.mkdir()
    with pytest.raises(PathNotAllowedError) as info:
        resolve_confined(path, base=loop_dir, what="indicators[0].source.path")
    message = str(info.value)
    assert "indicators[0].source.path" in message and repr(path) in message
    assert "data_roots" in message and "--allow-path" in message
    assert isinstance(info.value, PermissionError)
    back = pickle.loads(pickle.dumps(info.value))
    assert str(back) == message


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    loop_dir = tmp_path / "loop"
    loop_dir.mkdir()
    outside = tmp_path / "outside.csv"
    outside.write_text("x\n")
    os.symlink(outside, loop_dir / "link.csv")
    with pytest.raises(PathNotAllowedError):
        resolve_confined("link.csv", base=loop_dir, what="source")


def test_allowed_roots_relative_to_the_loop(tmp_path: Path) -> None:
    loop_dir = tmp_path / "loop"
    shared = tmp_path / "shared"
    loop_dir.mkdir()
    shared.mkdir()
    got = resolve_confined("../shared/x.csv", base=loop_dir, roots=["../shared"], what="s")
    assert got == shared / "x.csv"
    got = resolve_confined(shared / "x.csv", base=loop_dir, roots=[shared], what="s")
    assert got == shared / "x.csv"
    with pytest.raises(PathNotAllowedError):
        resolve_confined("../sharedness/x.csv", base=loop_dir, roots=["../shared"], what="s")
