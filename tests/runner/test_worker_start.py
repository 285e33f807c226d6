"""A worker of the local pool imports what it runs, not the command line it was started
from nor the families it does not score, and starts warm: forked from a server that has
imported the scoring modules once."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vidreason import api, store
from vidreason.runner.local import parallel_map
from vidreason.suites import generate_suite


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
                names = ["vidreason.cli", "vidreason.runner.local", "vidreason.tasks.physics"]
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


@pytest.fixture(scope="module")
def two_families(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two instances each of a physics and a planning family, with links to their truths
    under ``videos/``."""
    out = tmp_path_factory.mktemp("pool")
    suite = out / "suite"
    generate_suite("smoke", suite, n=2, seed=0, workers=1, families=["bounce-v1", "maze-v1"])
    for task in sorted(suite.glob("*/*/task.json")):
        link = out / "videos" / task.parent.parent.name / f"{task.parent.name}.mp4"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(task.parent / "ground_truth.mp4")
    return out


# A module of its own (a test module would have each worker import pytest before its item)
PROBE = """
import sys, time
from pathlib import Path


def score_and_list(instance):
    \"\"\"In a worker: its CPU seconds before scoring, the score of the instance's truth,
    and the family and verifier modules it has imported by then.\"\"\"
    from vidreason.scoring import score_video

    used = time.process_time()
    d = Path(instance)
    value = score_video(d / "ground_truth.mp4", d).value
    time.sleep(0.5)  # hold this worker, so that the other item goes to the other one
    prefixes = ("vidreason.tasks.", "vidreason.verifiers.")
    return used, value, sorted(m for m in sys.modules if m.startswith(prefixes))
"""


@pytest.mark.slow
def test_a_worker_starts_warm_and_imports_only_the_families_it_scores(
    two_families, tmp_path, monkeypatch
):
    """Each worker has NumPy, OpenCV and the scoring modules before its first item (forked
    from a server that imported them once: about 0.01 CPU s by its first item, where a
    spawned worker spent 0.35-0.4 s on its interpreter and imports), and imports the
    family it scores, no other."""
    (tmp_path / "warmth.py").write_text(PROBE)
    monkeypatch.syspath_prepend(str(tmp_path))
    from warmth import score_and_list  # type: ignore[import-not-found]

    bounce = str(two_families / "suite" / "bounce-v1" / "00000")
    got = parallel_map(score_and_list, [bounce, bounce], workers=2)
    for used, value, families in got:
        assert used < 0.25, used
        assert value >= 0.95
        assert "vidreason.tasks.physics.bounce" in families
        assert not [m for m in families if "maze" in m or "planning" in m], families
        assert not [m for m in families if m.startswith("vidreason.tasks.causal")], families


@pytest.mark.slow
def test_two_workers_score_as_one_does(two_families, tmp_path):
    suite, videos = two_families / "suite", two_families / "videos"

    def scores(workers: int) -> dict:
        run = tmp_path / f"run-{workers}"
        summary = api.score_folder(suite, videos, "truth", run, workers=workers)
        assert summary.scored == 4 and not summary.errors
        return {r.key: (r.value, r.checks, r.explanation, r.error) for r in store.rows(run)}

    one = scores(1)
    assert len(one) == 4 and all(v >= 0.95 for v, *_ in one.values())
    assert scores(2) == one


@pytest.mark.slow
def test_a_broken_video_fails_alone_in_a_pool(two_families, tmp_path):
    videos = tmp_path / "videos"
    shutil.copytree(two_families / "videos", videos)  # the links' targets, copied
    broken = videos / "maze-v1" / "00001.mp4"
    broken.write_bytes(b"\x00\x01garbage, not an mp4\xff" * 40)
    summary = api.score_folder(two_families / "suite", videos, "truth", tmp_path / "run", workers=2)
    assert summary.scored == 4 and summary.unreadable == (str(broken.resolve()),)
    by_video = {Path(r.video): r for r in store.rows(tmp_path / "run")}
    bad = by_video.pop(broken.resolve())
    assert bad.value == 0 and bad.status == "unreadable" and "cannot decode" in bad.error
    assert len(by_video) == 3 and all(r.value >= 0.95 for r in by_video.values())


def test_a_worker_sees_the_environment_of_its_pool_not_its_servers(monkeypatch):
    """A forked worker's server started with the environment of the first pool; each
    worker takes its pool's, as a spawned worker does."""
    assert parallel_map(_variable, [0, 1], workers=2) == [None, None]  # the server runs
    monkeypatch.setenv("VIDREASON_TEST_VARIABLE", "set later")
    assert parallel_map(_variable, [0, 1], workers=2) == ["set later", "set later"]


def _variable(_: int) -> str | None:
    import os

    return os.environ.get("VIDREASON_TEST_VARIABLE")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_the_fork_server_starts_no_thread():
    """What the server preloads starts no thread beyond those NumPy's and OpenCV's BLAS
    start on import (which stop and restart around a fork): a fork copies only the thread
    that calls it, and a lock another thread held would stay locked in every worker."""
    code = textwrap.dedent(
        """
        import os
        import cv2, numpy
        before = len(os.listdir("/proc/self/task"))
        import vidreason.runner.warm
        print(before, len(os.listdir("/proc/self/task")))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = out.stdout.split()
    assert after == before, out.stdout
