"""What the local pool's fork server does once, before it forks any worker
(``runner/processes.py``): import what every scoring and generation unit needs, build
OpenCV's colour tables, and leave Ctrl-C to the parent. Only that server imports this
module, by name (``set_forkserver_preload``); each worker is then a fork of it and starts
with all of this in place, for the cost of a fork instead of its own interpreter start,
imports and first-use tables (0.5-0.7 CPU s a spawned worker paid by the end of its first
video).

No family is imported here: a worker imports the families (and their verifiers and
engines) of the units it is given, on first use, as the in-process path does. Nothing
here starts a thread of its own: OpenCV is set to one thread before its first use, so it
builds no thread pool, and a fork copies a process whose only other threads are the
BLAS libraries', which stop and restart themselves around a fork.

To add a module every unit needs: import it in ``warm`` below (never a family's).
"""

from __future__ import annotations

import signal


def warm() -> None:
    """Import the shared scoring and generation modules and fill the per-process caches
    that do not depend on a family."""
    import cv2
    import numpy as np

    cv2.setNumThreads(1)  # as every worker runs it (worker.start); no pool of threads here

    import vidreason.instance_io
    import vidreason.perception
    import vidreason.render.video_io
    import vidreason.runner.worker
    import vidreason.scoring
    import vidreason.store
    import vidreason.suites
    import vidreason.verifiers.checks  # noqa: F401  (the imports are the warm-up)
    from vidreason.perception.tracking import lab_of, label_table
    from vidreason.tasks import catalog

    label_table(lab_of(np.zeros((1, 3), dtype=np.uint8)))  # OpenCV's Lab tables, our cube
    catalog.builtin()  # the built-in families' ids and modules, read off their source
    from importlib import metadata

    metadata.entry_points(group="vidreason.tasks")  # imports what plugin lookup needs


# The server ignores Ctrl-C (the parent handles it and stops the workers); setting it
# here, before the server saves its handlers, makes every worker forked from it ignore
# Ctrl-C from its first instruction, even before its start-up code runs.
signal.signal(signal.SIGINT, signal.SIG_IGN)
warm()
