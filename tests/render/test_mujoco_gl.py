"""A missing OpenGL library for MuJoCo is one line naming the package to install."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys

import pytest


@pytest.mark.skipif(ctypes.util.find_library("OSMesa") is not None, reason="OSMesa installed")
def test_osmesa_without_its_library_names_the_package(tmp_path):
    cmd = [sys.executable, "-c", "from vidreason.cli import main; main()", "generate"]
    cmd += ["--suite", "smoke", "--family", "throw-3d", "--n", 1, "--out", tmp_path / "s"]
    env = {**os.environ, "MUJOCO_GL": "osmesa"}
    run = subprocess.run(
        [str(c) for c in cmd], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    # the instance fails alone, and the one line says why
    assert lines[-1].startswith("error: ") and "MUJOCO_GL=osmesa needs libOSMesa" in lines[-1]
    assert "apt-get install libosmesa6" in lines[-1], run.stderr
    assert "apt-get install libosmesa6" in lines[-1]
    assert "Traceback" not in run.stderr
