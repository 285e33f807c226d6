"""How the local pool makes its worker processes: forked from a warmed-up server.

A spawned worker starts a new interpreter and imports NumPy, OpenCV, PyAV and the scoring
modules (0.28-0.4 CPU s by its first item), then builds OpenCV's colour tables and reads
the family catalog on its first video (0.2-0.3 s more), paid again by every worker of
every pool. Here the pool uses ``multiprocessing``'s ``forkserver``: one server process,
started on the first pool of a process, does that work once (``runner/warm.py``, about
0.55 CPU s) and forks each worker from itself, which has used 0.01 CPU s by its first
item (``benchmarks/pool.py``). Unlike plain ``fork``
the server is a fresh, single-purpose process, so nothing of the parent (its threads:
model workers, progress bars, Ray; its open files and locks) is copied into a worker.

The server is started with the parent's import path (``PYTHONPATH``), so it imports the
same ``vidreason`` the parent runs; a worker checks that it does and takes the parent's
environment as it is when the pool starts (``worker.start``). The server exits once the
parent and every worker have gone. ``VIDREASON_START_METHOD=spawn`` makes
the pool spawn its workers as before (where ``forkserver`` is unavailable, it does so
anyway).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from multiprocessing.context import BaseContext

from vidreason.errors import UserError

PRELOAD = "vidreason.runner.warm"
METHODS = ("forkserver", "spawn")
_LOCK = threading.Lock()


def method() -> str:
    """The start method of the pool's workers: ``VIDREASON_START_METHOD`` if set, else
    ``forkserver`` where the platform has it, else ``spawn``."""
    default = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    chosen = os.environ.get("VIDREASON_START_METHOD", "") or default
    if chosen not in METHODS:
        raise UserError(f"VIDREASON_START_METHOD={chosen!r}: expected one of {', '.join(METHODS)}")
    return chosen


def context() -> BaseContext:
    """The context to start the pool's workers with (the server started, if it is used)."""
    name = method()
    ctx = multiprocessing.get_context(name)
    if name == "forkserver":
        _serve()
    return ctx


def _serve() -> None:
    """Start the fork server unless it runs: preloading ``PRELOAD``, with the parent's
    import path, so that the server imports the modules the parent would."""
    from multiprocessing import forkserver

    with _LOCK:
        forkserver.set_forkserver_preload([PRELOAD])
        path = os.pathsep.join(p for p in sys.path if p)
        before = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = path
        try:
            forkserver.ensure_running()  # started once; later calls find it running
        finally:
            if before is None:
                del os.environ["PYTHONPATH"]
            else:
                os.environ["PYTHONPATH"] = before
