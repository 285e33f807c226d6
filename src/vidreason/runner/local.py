"""Run work units on all local cores, with a progress bar, storing each score as it lands.

``parallel_map`` is the one place that spreads work over processes (spawned, so a
worker starts clean); with one worker or one item it runs in-process. ``run_units``
skips units already in the store, executes the rest and commits each row on arrival, so
a killed run loses at most the units in flight.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vidreason import store
from vidreason.runner.plan import WorkUnit

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not enabled,
        transient=False,
    )


def parallel_map(
    fn: Callable[[T], R],
    items: Sequence[T],
    workers: int | None = None,
    label: str = "",
    progress: bool = False,
    on_result: Callable[[T, R], None] | None = None,
) -> list[R]:
    """``[fn(x) for x in items]`` over processes, results in input order."""
    workers = min(workers or default_workers(), max(1, len(items)))
    results: list[R | None] = [None] * len(items)
    with _progress(progress) as bar:
        task = bar.add_task(label, total=len(items))
        if workers == 1:
            for i, item in enumerate(items):
                results[i] = fn(item)
                if on_result:
                    on_result(item, results[i])
                bar.advance(task)
        else:
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
                for fut in as_completed(futures):
                    i = futures[fut]
                    results[i] = fut.result()
                    if on_result:
                        on_result(items[i], results[i])
                    bar.advance(task)
    return results  # type: ignore[return-value]


def execute(unit: WorkUnit) -> store.Row:
    """Generate the unit's video if its model is built in, then score it. Never raises
    for a bad video or a failing model: the row carries the error."""
    from vidreason.models import get_model, request_for
    from vidreason.verifiers.score import failure, score_video

    score = None
    if unit.generate:
        try:
            get_model(unit.model).generate([request_for(unit.instance_dir, unit.video)])
        except Exception as exc:  # a model's failure is that unit's result, not the run's
            score = failure(
                f"{unit.model} failed on {unit.instance_dir}: {type(exc).__name__}: {exc}"
            )
    if score is None:
        score = score_video(unit.video, unit.instance_dir)
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
        outcome=score.outcome,
    )


@dataclass(frozen=True)
class RunSummary:
    total: int
    skipped: int
    scored: int
    errors: tuple[str, ...]


def run_units(
    units: Sequence[WorkUnit], run_dir: Path, workers: int | None = None, progress: bool = False
) -> RunSummary:
    """Score every unit not yet in ``run_dir``'s store."""
    errors: list[str] = []
    with store.connect(run_dir) as con:
        done = store.done_keys(con)
        todo = [u for u in units if u.key not in done]

        def save(_unit: WorkUnit, row: store.Row) -> None:
            store.insert(con, row)
            if row.error:
                errors.append(row.error)

        parallel_map(
            execute, todo, workers=workers, label="score", progress=progress, on_result=save
        )
    return RunSummary(len(units), len(units) - len(todo), len(todo), tuple(errors))
