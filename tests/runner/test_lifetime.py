"""Workers live no longer than their run: a run killed with SIGKILL leaves no process
behind, and Ctrl-C stops a run at once, saying that a rerun resumes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)"),
]


def _children(pid: int) -> set[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    out = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.add(int(entry.name))
    return out


def _descendants(pid: int) -> set[int]:
    """Live processes under ``pid``: its children, theirs (the pool's workers are children
    of its fork server) and so on."""
    found, todo = set(), [pid]
    while todo:
        kids = _children(todo.pop())
        found |= kids
        todo.extend(kids)
    return found


def _alive(pids: set[int]) -> set[int]:
    live = set()
    for p in pids:
        try:
            state = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            live.add(p)
    return live


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _start_run(suite_dir: Path, run_dir: Path) -> tuple[subprocess.Popen, set[int]]:
    """``vidreason run`` with two workers, once both workers are up; the run's processes
    (workers, the server they are forked from, the resource tracker)."""
    cmd = [sys.executable, "-c", "from vidreason.cli import main; main()", "run"]
    cmd += ["--model", "oracle", "--model", "static", "--suite", str(suite_dir)]
    cmd += ["--out", str(run_dir), "--workers", "2"]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        servers = {k for k in _children(proc.pid) if b"forkserver" in _cmdline(k)}
        workers = set().union(*map(_children, servers)) if servers else set()
        if len(workers) >= 2 and (run_dir / "results.sqlite").exists():
            time.sleep(2.0)  # let them get into their first items
            return proc, _descendants(proc.pid)
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"no workers came up: {proc.communicate()}")


def test_sigkill_of_a_run_leaves_no_worker(suite_dir, tmp_path):
    proc, kids = _start_run(suite_dir, tmp_path / "run")
    assert len(kids) >= 3  # two workers and their server
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5
    while _alive(kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _alive(kids)
    for p in left:  # do not leave them running if the test fails
        os.kill(p, signal.SIGKILL)
    assert not left, f"{len(left)} worker(s) outlived their run"


def test_ctrl_c_stops_promptly_and_says_the_run_resumes(suite_dir, tmp_path):
    proc, kids = _start_run(suite_dir, tmp_path / "run")
    start = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends: the whole process group
    try:
        _out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    took = time.monotonic() - start
    assert proc.returncode == 130, err
    assert took < 5, took
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    line = err.strip().splitlines()[-1]
    assert line.startswith("interrupted: ") and "rerun the same command to resume" in line, err
    deadline = time.monotonic() + 5  # the resource tracker exits when it sees its pipe close
    while _alive(kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(kids)
