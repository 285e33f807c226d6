"""What a worker of the local pool runs: its start (``start``) and the scoring of one work
unit (``execute``). This module is light on purpose: a worker imports it and what scoring
needs, not the command line, progress bars or the families it never scores.

A worker is forked from the pool's server (``runner/processes.py``), so the process it is
a child of is that server, not the one running the pool: it watches the latter by its id
(``_watch_parent``). Before it runs anything, a worker, forked or spawned, re-runs the
pool's ``__main__``. For the ``vidreason`` console
script that would import the whole command line in every worker, so ``hide_cli_main``
hides that script while workers start (``python -m vidreason`` and a user's own script
are left as they are: a function defined there must still be found).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
import time
import types
from collections.abc import Iterator

from vidreason import store
from vidreason.runner.plan import WorkUnit

WATCH_INTERVAL = 0.2  # s between a worker's checks that its parent is alive


@contextlib.contextmanager
def hide_cli_main() -> Iterator[None]:
    """While workers are spawned: when ``__main__`` is the ``vidreason`` console script,
    an empty module stands in for it, so the workers do not import the command line."""
    main = sys.modules.get("__main__")
    app = getattr(sys.modules.get("vidreason.cli"), "app", None)
    if (
        main is None
        or app is None
        or getattr(main, "__spec__", None) is not None
        or getattr(main, "app", None) is not app
    ):
        yield
        return
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone (or its id reused by another user)
        return False
    return True


def _watch_parent(parent: int) -> None:
    """Exit once ``parent`` has (killed, even with SIGKILL: nobody wants our result). On
    Linux a pidfd says so at once; elsewhere the parent is polled."""
    try:
        fd = os.pidfd_open(parent)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd here
        while _alive(parent):
            time.sleep(WATCH_INTERVAL)
        os._exit(1)
    select.select([fd], [], [])  # readable once the parent has exited
    os._exit(1)


@contextlib.contextmanager
def one_opencv_thread() -> Iterator[None]:
    """OpenCV on one thread while the block runs. The runner's parallelism is its processes,
    one per core: OpenCV's own threads on top of them only cost CPU (a quarter more, for
    the same wall time, scoring on 2 cores) and make ``--workers 1`` use every core. The
    scores are the same on any number of threads."""
    import cv2

    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


def start(parent: int, home: str, environ: dict[str, str]) -> None:
    """In each worker: leave Ctrl-C to the parent, die when the parent dies, run OpenCV on
    one thread (``one_opencv_thread``), take the parent's environment as it is now
    (``environ``: a forked worker has its server's, from when the server started), and
    check that this is the parent's ``vidreason`` (``home``: its folder, ``package()``),
    not another copy the fork server found."""
    import cv2

    if os.environ != environ:
        os.environ.clear()
        os.environ.update(environ)
    cv2.setNumThreads(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # blocked while it was started: see local._spawning
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    mine = package()
    if mine != home:
        raise RuntimeError(f"a worker runs vidreason from {mine}, its parent from {home}")


def package() -> str:
    """This process's ``vidreason`` folder, for ``start``."""
    import vidreason

    return os.path.dirname(vidreason.__file__ or "")


def _pair_outcome(unit: WorkUnit) -> dict:
    """For a video that could not be scored: the expected outcome and the pair it belongs
    to, so that its counterfactual pair fails with a reason instead of vanishing."""
    from vidreason.instance_io import InstanceError, load_instance

    try:
        inst = load_instance(unit.instance_dir)
    except InstanceError:
        return {}
    if "pair" not in inst.spec.extra:
        return {}
    return {"expected": inst.outcome, "pair": inst.spec.extra["pair"]}


def execute(unit: WorkUnit) -> store.Row:
    """Score the unit's video (written by the generation stage for a model's units).
    Never raises for a bad video or a failing model: the row carries the error and its
    status."""
    from vidreason import __version__
    from vidreason.scoring import failure, score_video

    score, status = None, "scored"
    if unit.missing:
        score, status = failure(f"{unit.video}: missing (no video for this instance)"), "missing"
    elif unit.generation_error:
        seed = f" (seed {unit.seed})" if unit.seed else ""
        score, status = failure(f"{unit.instance_dir}{seed}: {unit.generation_error}"), "error"
    if score is None:
        score = score_video(unit.video, unit.instance_dir, whole_clip=unit.whole_clip)
        status = "unreadable" if score.error else "scored"
    outcome = score.outcome if score.outcome or not score.error else _pair_outcome(unit)
    return store.Row(
        key=unit.key,
        model=unit.model,
        family=unit.family,
        capability=unit.capability,
        idx=unit.index,
        difficulty=unit.difficulty,
        instance_dir=str(unit.instance_dir),
        video=str(unit.video),
        value=score.value,
        passed=score.passed,
        checks=score.checks,
        explanation=score.explanation,
        error=score.error,
        outcome=outcome,
        suite=unit.suite,
        model_version=unit.model_version,
        status=status,
        verifier_version=unit.verifier_version,
        package_version=__version__,
        scored_at=store.now(),
        seed=unit.seed,
        goal_conditioned=unit.goal_conditioned,
    )
