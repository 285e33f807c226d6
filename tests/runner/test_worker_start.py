"""A spawned worker imports what it runs, not the command line it was started from."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


@pytest.mark.slow
def test_workers_started_by_the_console_script_do_not_import_the_cli(tmp_path):
    (tmp_path / "probe.py").write_text(
        "import sys\n\ndef loaded(name):\n    return name in sys.modules\n"
    )
    # what pip writes for the ``vidreason`` console script, running a pool instead of the app
    script = tmp_path / "vidreason"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(tmp_path)!r})
            from vidreason.cli import app
            if __name__ == "__main__":
                import probe
                from vidreason.runner.local import parallel_map
                names = ["vidreason.cli", "vidreason.runner.local", "vidreason.tasks"]
                print(parallel_map(probe.loaded, names, workers=2))
                print(sys.modules["__main__"].app is app)
            """
        )
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["[False,", "False,", "False]", "True"], out.stdout + out.stderr


def test_each_process_of_the_runner_runs_opencv_on_one_thread():
    """The runner's processes are its parallelism: a pool worker and the in-process path
    run OpenCV on one thread (its own threads only cost CPU), and the caller's setting
    comes back afterwards."""
    import cv2

    from vidreason.runner.local import parallel_map

    before = cv2.getNumThreads()
    cv2.setNumThreads(2)
    try:
        assert parallel_map(_opencv_threads, [0, 1], workers=2) == [1, 1]
        assert parallel_map(_opencv_threads, [0], workers=1) == [1]
        assert cv2.getNumThreads() == 2
    finally:
        cv2.setNumThreads(before)


def _opencv_threads(_: int) -> int:
    import cv2

    return cv2.getNumThreads()
