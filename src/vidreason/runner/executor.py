"""Where the work runs: ``local`` (this machine's cores, ``runner/local.py``) or ``ray``
(a Ray cluster, ``runner/ray_executor.py``).

The executor is chosen once around a command (``with use(Executor("ray", address)):``)
and read by the places that spread work (``local.parallel_map``, ``local.stream_map``,
``generation.start``), so every verb runs on either without a parameter threaded through
each function. Whatever the executor, the driver (this process) writes every row into
the run's store, so rows, resuming, progress and errors are the same.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from vidreason.errors import UserError

EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class Executor:
    """``kind``: ``local`` or ``ray``; ``address``: a Ray cluster's (None: start a local
    one, or join the one ``RAY_ADDRESS`` names)."""

    kind: str = "local"
    address: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise UserError(f"--executor {self.kind!r}: expected one of {', '.join(EXECUTORS)}")
        if self.address is not None and self.kind != "ray":
            raise UserError("--address names a Ray cluster: give --executor ray too")


LOCAL = Executor()
_CURRENT: ContextVar[Executor | None] = ContextVar("executor", default=None)


def current() -> Executor:
    return _CURRENT.get() or LOCAL


@contextlib.contextmanager
def use(executor: Executor) -> Iterator[Executor]:
    """Run what is inside on ``executor`` (for Ray: connected on entry, and a local Ray
    started here shut down on exit)."""
    token = _CURRENT.set(executor)
    try:
        if executor.kind == "ray":
            from vidreason.runner import ray_executor

            with ray_executor.connected(executor.address):
                yield executor
        else:
            yield executor
    finally:
        _CURRENT.reset(token)
