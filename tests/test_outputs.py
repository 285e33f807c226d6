"""Where a command writes is checked before any work: one line naming the path."""

from __future__ import annotations

import os

import pytest

from vidreason.errors import UserError
from vidreason.outputs import output_file, output_folder


def test_a_new_folder_under_a_writable_one_is_fine(tmp_path):
    assert output_folder(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert not (tmp_path / "a").exists()  # nothing is created
    assert list(tmp_path.iterdir()) == []  # and the probe leaves nothing behind


def test_a_file_where_a_folder_is_wanted(tmp_path):
    (tmp_path / "run").write_text("x")
    with pytest.raises(UserError, match="run: exists and is not a folder"):
        output_folder(tmp_path / "run")
    with pytest.raises(UserError, match=r"run/sub: cannot be created, .*run is a file"):
        output_folder(tmp_path / "run" / "sub")


def test_a_folder_where_a_file_is_wanted(tmp_path):
    with pytest.raises(UserError, match="is a folder, not a file"):
        output_file(tmp_path)
    assert output_file(tmp_path / "new" / "report.html")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(UserError, match="permission denied"):
            output_folder(ro / "run")
        with pytest.raises(UserError, match="permission denied"):
            output_file(ro / "report.html")
    finally:
        ro.chmod(0o755)


def test_a_read_only_file_system():
    ro = "/proc/vidreason-run"  # /proc takes no new files, even from root
    if not os.path.isdir("/proc"):
        pytest.skip("no /proc")
    with pytest.raises(UserError, match="/proc/vidreason-run: cannot write in /proc"):
        output_folder(ro)
