"""Run work units on all local cores, with a progress bar, storing each score as it lands.

``parallel_map`` and ``stream_map`` are the places that spread work over processes (each
forked from a warmed-up server, ``runner/processes.py``: a worker starts clean and costs
a fork, not an interpreter start and every import); with one worker they run in-process;
under ``--executor ray`` they hand the work to ``runner/ray_executor.py``. Workers
ignore Ctrl-C and die with their parent, even one killed with SIGKILL: each watches its
parent and exits when it is gone. On Ctrl-C the pending items are cancelled, the workers
are terminated at once and ``Interrupted`` says how many items were done.

``run_units`` skips units already in the store, has the models generate the videos of
the rest on their long-lived workers (``runner/generation.py``), scores each video on
the CPU pool as soon as it exists (``stream_map``) and commits each row on arrival, so a
killed run loses at most the units in flight.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from vidreason import store
from vidreason.errors import Interrupted
from vidreason.runner import processes
from vidreason.runner.executor import current
from vidreason.runner.plan import WorkUnit
from vidreason.runner.worker import execute, hide_cli_main, one_opencv_thread, package
from vidreason.runner.worker import start as _worker_start

if TYPE_CHECKING:
    from vidreason.models.base import Model

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class Stage:
    """Progress of one stage on stderr: a bar with elapsed time and ETA on a terminal,
    a plain line at its start and end otherwise (logs, CI), nothing when disabled."""

    def __init__(self, label: str, total: int, enabled: bool) -> None:
        self.label, self.total, self.done = label or "work", total, 0
        self.others: list[tuple[str, int, list[int]]] = []
        self.console = Console(stderr=True)
        self.live = enabled and self.console.is_terminal
        self.plain = enabled and not self.live
        self.start = time.perf_counter()
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=self.console,
            disable=not self.live,
            transient=False,
        )
        self.task = self.bar.add_task(self.label, total=total)

    def __enter__(self) -> Stage:
        self.bar.start()
        if self.plain:
            self.console.print(f"{self.label}: {self.total} to do", highlight=False)
        return self

    def advance(self) -> None:
        self.done += 1
        self.bar.advance(self.task)

    def also(self, label: str, total: int) -> Callable[[], None]:
        """A second stage on the same bar (generation beside scoring); its advancer."""
        task = self.bar.add_task(label, total=total)
        done = [0]
        self.others.append((label, total, done))
        if self.plain:
            self.console.print(f"{label}: {total} to do", highlight=False)

        def advance() -> None:
            done[0] += 1
            self.bar.advance(task)

        return advance

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self.bar.stop()
        if self.plain and kind is None:
            took = time.perf_counter() - self.start
            for label, total, done in [*self.others, (self.label, self.total, [self.done])]:
                self.console.print(
                    f"{label}: {done[0]} of {total} done in {took:.1f} s", highlight=False
                )


def _pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, started as items are submitted (``_spawning``)."""
    with _spawning():  # the fork server, started on the first pool, ignores Ctrl-C too
        ctx = processes.context()
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=_worker_start,
        initargs=(os.getpid(), package(), dict(os.environ)),
    )


@contextlib.contextmanager
def _spawning() -> Iterator[None]:
    """Hold Ctrl-C back while workers are started: a worker inherits the blocked signal,
    so one still starting never prints a traceback, and the parent gets it right after."""
    with hide_cli_main():  # a worker imports what it runs, not the command line
        if not hasattr(signal, "pthread_sigmask"):
            yield
            return
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _stop(pool: ProcessPoolExecutor, futures: dict[Future, int]) -> None:
    """Cancel what has not started and end the workers now, not after their items."""
    for fut in futures:
        fut.cancel()
    procs = list((getattr(pool, "_processes", None) or {}).values())  # no public way
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.join(timeout=2.0)
    # The pool's manager thread closes its wake-up pipe once it sees the workers gone; an
    # exit hook that wakes it while it closes writes to a closed pipe and prints a
    # traceback. Waiting for it here leaves the hook nothing to wake.
    manager = getattr(pool, "_executor_manager_thread", None)  # no public way
    if manager is not None:
        manager.join(timeout=2.0)


def parallel_map(
    fn: Callable[[T], R],
    items: Sequence[T],
    workers: int | None = None,
    label: str = "",
    progress: bool = False,
    on_result: Callable[[T, R], None] | None = None,
) -> list[R]:
    """``[fn(x) for x in items]`` over processes, results in input order. Ctrl-C raises
    ``Interrupted`` (with the number of items done) once the workers are gone."""
    if current().kind == "ray":
        from vidreason.runner import ray_executor

        return ray_executor.parallel_map(fn, items, workers, label, progress, on_result)
    workers = min(workers or default_workers(), max(1, len(items)))
    results: list[R | None] = [None] * len(items)
    with Stage(label, len(items), progress) as stage:
        if workers == 1:
            try:
                with one_opencv_thread():
                    for i, item in enumerate(items):
                        result = results[i] = fn(item)
                        if on_result:
                            on_result(item, result)
                        stage.advance()
            except KeyboardInterrupt:
                raise Interrupted(stage.done, len(items)) from None
            return results  # type: ignore[return-value]
        pool = _pool(workers)
        futures: dict[Future, int] = {}
        try:
            with _spawning():  # workers start as items are submitted
                for i, item in enumerate(items):
                    futures[pool.submit(fn, item)] = i
            pending = set(futures)
            while pending:
                # a timeout keeps the main thread responsive to Ctrl-C on every platform
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for fut in sorted(finished, key=futures.__getitem__):
                    i = futures[fut]
                    result = results[i] = fut.result()
                    if on_result:
                        on_result(items[i], result)
                    stage.advance()
        except KeyboardInterrupt:
            _stop(pool, futures)
            raise Interrupted(stage.done, len(items)) from None
        except BaseException:
            _stop(pool, futures)
            raise
        pool.shutdown(wait=True)
    return results  # type: ignore[return-value]


def stream_map(
    fn: Callable[[T], R],
    feed: queue.Queue[T],
    total: int,
    stage: Stage,
    workers: int | None = None,
    on_result: Callable[[T, R], None] | None = None,
) -> None:
    """``fn`` over ``total`` items that arrive on ``feed`` (from other threads), each
    started as soon as it arrives; ``on_result`` for each as it finishes. Ctrl-C raises
    ``Interrupted`` once the workers are gone."""
    if current().kind == "ray":
        from vidreason.runner import ray_executor

        ray_executor.stream_map(fn, feed, total, stage, workers, on_result)
        return
    workers = min(workers or default_workers(), max(1, total))
    if workers == 1:
        try:
            with one_opencv_thread():
                while stage.done < total:
                    try:
                        item = feed.get(timeout=0.2)
                    except queue.Empty:
                        continue
                    result = fn(item)
                    if on_result:
                        on_result(item, result)
                    stage.advance()
        except KeyboardInterrupt:
            raise Interrupted(stage.done, total) from None
        return
    pool = _pool(workers)
    futures: dict[Future, T] = {}
    try:
        submitted = 0
        pending: set[Future] = set()
        while stage.done < total:
            try:  # take what has arrived; wait a little for more only when idle
                while submitted < total:
                    item = feed.get(timeout=0 if pending else 0.2)
                    with _spawning():
                        fut = pool.submit(fn, item)
                    futures[fut] = item
                    pending.add(fut)
                    submitted += 1
            except queue.Empty:
                pass
            if not pending:
                continue
            finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in finished:
                item = futures[fut]
                result = fut.result()
                if on_result:
                    on_result(item, result)
                stage.advance()
    except KeyboardInterrupt:
        _stop(pool, dict.fromkeys(futures, 0))
        raise Interrupted(stage.done, total) from None
    except BaseException:
        _stop(pool, dict.fromkeys(futures, 0))
        raise
    pool.shutdown(wait=True)


def _models_for(units: Sequence[WorkUnit], given: Mapping[str, Model] | None) -> dict:
    """The model of each unit by name: ``given`` ones first, else the registry's."""
    from vidreason.models import get_model

    names = dict.fromkeys(u.model for u in units)
    return {n: (given or {}).get(n) or get_model(n) for n in names}


@dataclass(frozen=True)
class RunSummary:
    """What a run did: ``total`` units, ``scored`` now, ``skipped`` (already stored for
    the same inputs), and the videos that were ``missing`` or ``unreadable`` (paths), the
    folder's ``unmatched`` files, and the other errors."""

    total: int
    skipped: int
    scored: int
    errors: tuple[str, ...]
    missing: tuple[str, ...] = ()
    unreadable: tuple[str, ...] = ()
    unmatched: tuple[str, ...] = ()
    suites: tuple[str, ...] = ()


def run_units(
    units: Sequence[WorkUnit],
    run_dir: Path,
    workers: int | None = None,
    progress: bool = False,
    source: str = "",
    unmatched: Sequence[str] = (),
    models: Mapping[str, Model] | None = None,
) -> RunSummary:
    """Score every unit not yet in ``run_dir``'s store, generating first the videos of
    units whose model writes them (``models`` by name; built-in ones are looked up).
    Before any work, every unit's instance is pointed at the key of its inputs as they
    are now, so the store's current rows are always those of the videos last scored
    (see ``store``)."""
    from vidreason.runner import generation

    groups: dict[tuple[str, str], list[WorkUnit]] = {}
    for u in units:
        groups.setdefault((u.model, u.suite), []).append(u)
    errors: list[str] = []
    found: dict[str, list[str]] = {"missing": [], "unreadable": []}
    with store.connect(run_dir) as con:
        # a model's failure (an API down, a job past its deadline) is tried again
        store.discard_errors(con, [u.key for u in units if u.generate])
        done = store.done_keys(con)
        run_of = {g: store.start_run(con, g[0], g[1], source) for g in groups}
        for g, members in groups.items():
            store.point(con, [(*u.identity, u.key) for u in members], run_of[g])
        todo = [u for u in units if u.key not in done]

        def save(unit: WorkUnit, row: store.Row) -> None:
            store.insert(con, row, run_of[(unit.model, unit.suite)])

        to_make = [u for u in todo if generation.needs_generation(u)]
        feed: queue.Queue[WorkUnit] = queue.Queue()
        for u in todo:
            if not generation.needs_generation(u):
                feed.put(u)
        with Stage("score", len(todo), progress) as stage:
            running = None
            if to_make:
                made = stage.also("generate", len(to_make))

                def ready(unit: WorkUnit) -> None:
                    made()
                    feed.put(unit)

                running = generation.start(_models_for(to_make, models), to_make, ready)
            try:
                stream_map(execute, feed, len(todo), stage, workers=workers, on_result=save)
            except BaseException:
                if running is not None:
                    generation.stop(running)
                raise
        by_key = {r.key: r for r in store.rows_by_key(con, [u.key for u in units])}
        for g, members in groups.items():
            counts = {"total": len(members), "scored": 0, "reused": 0}
            counts.update({s: 0 for s in store.STATUSES if s != "scored"})
            for u in members:
                row = by_key.get(u.key)
                counts["reused" if u.key in done else "scored"] += 1
                if row is None:
                    continue
                if row.status in found:
                    found[row.status].append(row.video)
                elif row.error:
                    errors.append(row.error)
                if row.status != "scored":
                    counts[row.status] += 1
            store.finish_run(con, run_of[g], counts, unmatched)
    return RunSummary(
        total=len(units),
        skipped=len(units) - len(todo),
        scored=len(todo),
        errors=tuple(errors),
        missing=tuple(found["missing"]),
        unreadable=tuple(found["unreadable"]),
        unmatched=tuple(unmatched),
        suites=tuple(sorted({s for _, s in groups})),
    )
