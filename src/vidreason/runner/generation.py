"""The generation stage: long-lived model workers that write videos for work units.

Per model the runner starts one worker thread per device of its card (a model with an
``on_device(device)`` method gets its own copy per device; any other model runs on one
worker). A worker calls ``load()`` once, then takes the next batch of at most
``card.batch_size`` units while there are any, and calls ``close()`` at the end: a
model never loads once per task. Under ``--executor ray`` each worker's model is a Ray
actor holding the loaded model (``runner/ray_executor.py``). An API model lists one device per concurrency slot. Each unit is handed on (``ready``) as soon as its video
exists, so scoring runs while generation goes on. Beside every video goes its record
(``models/records.py``). A unit the model failed on carries the one-line reason
(``generation_error``) and is scored 0; the rest of the run goes on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from vidreason.models.base import Generated, Model, card_of, request_for, settings_of
from vidreason.models.records import SCORED_AS_DELIVERED, probe, reusable, write_record
from vidreason.render.video_io import VideoError
from vidreason.runner.plan import WorkUnit


def needs_generation(unit: WorkUnit) -> bool:
    """A unit whose video is not there yet from this model version and seed."""
    return unit.generate and not reusable(
        unit.video, unit.model, unit.model_version, unit.seed, unit.context_frames
    )


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _fmt(fmt: Any) -> dict[str, Any]:
    return dict(fmt.as_dict())


def record_for(
    unit: WorkUnit, model: Model, request: Any, made: Generated, wall: float, batch: int
) -> dict[str, Any]:
    from vidreason import __version__
    from vidreason.store import now

    card = card_of(model)
    info = dict(made.info)
    delivered: dict[str, Any] | None = None
    error = made.error
    if not error:
        try:
            delivered = probe(unit.video)
        except VideoError as exc:
            delivered = {"error": str(exc)}
    return {
        "model": unit.model,
        "model_version": unit.model_version,
        "settings": settings_of(model),
        "card": card.to_dict(),
        "suite": unit.suite,
        "family": unit.family,
        "index": unit.index,
        "instance": str(unit.instance_dir),
        "seed": unit.seed,
        "model_seed": request.seed,
        "prompt_sent": info.pop("prompt_sent", request.prompt if card.uses_prompt else None),
        "requested_format": _fmt(request.fmt),
        "context_frames": request.context_frames,  # continuation: the frames after these
        "native_format": info.pop("native_format", card.native.to_dict()),
        "delivered_format": delivered,
        "resampled": info.pop("resampled", SCORED_AS_DELIVERED),
        "wall_s": info.pop("wall_s", round(wall / max(1, batch), 3)),
        "batch": {"size": batch, "wall_s": round(wall, 3)},
        "cost": info.pop("cost", None),
        "job_id": info.pop("job_id", None),
        "info": info,
        "error": error,
        "generated_at": now(),
        "package_version": __version__,
    }


def _results(model: Model, batch: Sequence[WorkUnit], requests: list) -> list[Generated]:
    """The model's answer for a batch, one ``Generated`` per unit (a failure of the whole
    batch fails each of its units with that reason)."""
    try:
        made = list(model.generate(requests))
    except Exception as exc:  # the model's failure is these units' result, not the run's
        return [Generated(u.video, error=f"{u.model} failed: {_one_line(exc)}") for u in batch]
    if len(made) != len(batch):
        why = f"{batch[0].model} returned {len(made)} videos for {len(batch)} requests"
        return [Generated(u.video, error=why) for u in batch]
    out = []
    for unit, m in zip(batch, made, strict=True):
        g = m if isinstance(m, Generated) else Generated(Path(m))
        if not g.error and Path(g.path).resolve() != unit.video:
            g = Generated(unit.video, g.info, f"{unit.model} wrote {g.path}, not {unit.video}")
        elif not g.error and not unit.video.is_file():
            g = Generated(unit.video, g.info, f"{unit.model} wrote no file at {unit.video}")
        out.append(g)
    return out


class Todo:
    """A model's units still to generate, shared by its workers: each takes the next
    batch when it is free (a slow job holds back no other). The last worker to stop hands
    on whatever is left, failed with the reason (every worker could not load, say)."""

    def __init__(self, units: Sequence[WorkUnit], workers: int) -> None:
        self.units = list(units)
        self.workers = workers
        self.reason = "no generation worker was left"
        self.lock = threading.Lock()

    def take(self, n: int) -> list[WorkUnit]:
        with self.lock:
            batch, self.units = self.units[:n], self.units[n:]
            return batch

    def drop(self) -> None:
        """Hand out nothing more: a worker stops after the batch it holds."""
        with self.lock:
            self.units = []

    def leave(self, ready: Callable[[WorkUnit], None], reason: str = "") -> None:
        with self.lock:
            self.workers -= 1
            self.reason = reason or self.reason
            left = self.units if self.workers == 0 else []
            if left:
                self.units = []
        for u in left:
            ready(dataclasses.replace(u, generation_error=self.reason))


def _worker(model: Model, todo: Todo, ready: Callable[[WorkUnit], None]) -> None:
    """Load once, generate batches while there are any, close; each unit taken goes to
    ``ready`` exactly once."""
    size = card_of(model).batch_size
    batch: list[WorkUnit] = []
    done = 0
    reason = ""
    try:
        try:
            if hasattr(model, "load"):
                model.load()
        except Exception as exc:
            reason = f"{todo.units[0].model if todo.units else 'the model'} could not load: "
            reason += _one_line(exc)
            return
        while batch := todo.take(size):
            done = 0
            requests = [request_for(u.instance_dir, u.video, u.seed) for u in batch]
            for u in batch:
                u.video.parent.mkdir(parents=True, exist_ok=True)
            start = time.perf_counter()
            made = _results(model, batch, requests)
            wall = time.perf_counter() - start
            for unit, request, g in zip(batch, requests, made, strict=True):
                write_record(unit.video, record_for(unit, model, request, g, wall, len(batch)))
                ready(dataclasses.replace(unit, generation_error=g.error))
                done += 1
        batch = []
    except Exception as exc:  # never leave the scorer waiting for a unit
        reason = f"{batch[0].model if batch else 'the model'}: generation stopped: "
        reason += _one_line(exc)
        for u in batch[done:]:
            ready(dataclasses.replace(u, generation_error=reason))
    finally:
        if hasattr(model, "close"):
            with contextlib.suppress(Exception):  # closing must not lose the results
                model.close()
        todo.leave(ready, reason)


def _copies(model: Model, limit: int) -> list[Model]:
    """The model's workers: a copy per device of its card when it can make one (under
    ``--executor ray``, an actor per device), never more than ``limit`` (units to do)."""
    from vidreason.runner.executor import current

    if current().kind == "ray":
        from vidreason.runner.ray_executor import actors

        return actors(model, limit)  # type: ignore[return-value]
    devices = card_of(model).devices
    if len(devices) > 1 and hasattr(model, "on_device"):
        return [model.on_device(d) for d in devices[:limit]]
    return [model]


@dataclasses.dataclass(frozen=True)
class Running:
    """The generation workers of a run, and what they take their units from."""

    threads: tuple[threading.Thread, ...]
    todos: tuple[Todo, ...]


def start(
    models: Mapping[str, Model],
    units: Sequence[WorkUnit],
    ready: Callable[[WorkUnit], None],
) -> Running:
    """Start the generation workers for ``units`` (daemon threads: a stopped run leaves
    none behind); each unit is passed to ``ready`` once its video exists or failed."""
    threads = []
    todos = []
    for name, model in models.items():
        mine = [u for u in units if u.model == name]
        if not mine:
            continue
        copies = _copies(model, len(mine))
        todo = Todo(mine, len(copies))
        todos.append(todo)
        for i, copy in enumerate(copies):
            t = threading.Thread(
                target=_worker, args=(copy, todo, ready), name=f"generate-{name}-{i}"
            )
            t.daemon = True
            t.start()
            threads.append(t)
    return Running(tuple(threads), tuple(todos))


def stop(running: Running, timeout: float = 3.0) -> None:
    """Give the workers no more units and wait up to ``timeout`` seconds for the batches
    they hold. A worker still inside a library call when the interpreter exits can abort
    the process ("terminate called without an active exception"), losing its exit code."""
    for todo in running.todos:
        todo.drop()
    deadline = time.monotonic() + timeout
    for t in running.threads:
        t.join(max(0.0, deadline - time.monotonic()))
