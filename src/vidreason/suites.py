"""Suites: named sets of task instances, and writing them to disk.

A suite is a list of families and a number of instances per family; instance ``i`` of a
family has difficulty ``1 + i % 3``. ``generate_suite`` writes every instance under
``<out>/<family>-v<N>/<index:05d>/`` and a ``suite.json`` that records how; families that
ask questions (causal, temporal) also get ``questions.json`` per instance, gathered into
one ``<out>/questions.json``. To add a suite, add an entry to ``SUITES``.

``--shard i/n`` writes only the shard's instances (``runner/shard.py``); shards writing to
one shared folder make the whole suite, and the last one to finish writes ``suite.json``.

A continuation suite (``context_frames`` K > 0, Physics-IQ style) records K in
``suite.json`` and in every ``task.json``, and gives every instance ``context.mp4``: the
first K frames of its ground truth. Without K nothing of the files changes.

Generation resumes: each instance is written into ``<out>/.partial/`` and moved into place
when all its files are there, and ``suite.json`` comes last, so a killed run leaves only
whole instances; a rerun keeps every instance already written for the same family,
seed, index, format and versions, and writes the rest.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from vidreason.instance_io import (
    CONTEXT_FILE,
    FILES,
    QUESTIONS_FILE,
    TASK_FILE,
    write_instance,
    write_questions,
)
from vidreason.registry import Registry
from vidreason.runner.shard import Shard
from vidreason.tasks import FAMILIES, get_family
from vidreason.tasks.base import build_instance, difficulty_of, versions_of
from vidreason.types import VideoFormat

SUITE_FILE = "suite.json"
PENDING_FILE = ".suite.json"  # suite.json-to-be while shards write a suite (see generate_suite)


@dataclass(frozen=True)
class Suite:
    """A named set of instances: ``n_per_family`` of every registered family whose
    capability is in ``capabilities`` (None: every capability)."""

    name: str
    n_per_family: int
    capabilities: tuple[str, ...] | None = None
    description: str = ""

    def family_ids(self) -> list[str]:
        return [
            f
            for f in FAMILIES.names()
            if self.capabilities is None or get_family(f).capability in self.capabilities
        ]


SUITES: Registry[Suite] = Registry("suite")
for _suite in (
    Suite("smoke", 2, description="2 instances of every family: the demo and CI"),
    Suite("core", 20, description="20 instances of every family"),
    Suite("physics", 20, ("physics",), "the physics families"),
    Suite("commonsense", 20, ("commonsense",), "the common-sense families"),
    Suite("causal", 20, ("causal",), "the causal families"),
    Suite("temporal", 20, ("temporal",), "the temporal families"),
    Suite("planning", 20, ("planning",), "the planning families"),
    Suite("fluids", 20, ("fluids",), "the liquid families"),
):
    SUITES.add(_suite.name, _suite)


@dataclass(frozen=True)
class InstanceJob:
    family: str
    seed: int
    index: int
    fmt: VideoFormat
    out_dir: Path
    context_frames: int = 0


MIN_CONTINUATION = 8  # frames a continuation must at least be left to generate


def context_problem(context_frames: int, fmt: VideoFormat) -> str:
    """Why ``context_frames`` cannot be a suite's context in format ``fmt`` ('' if it can):
    at least 2 frames (a context shows motion), leaving at least a quarter of the clip and
    ``MIN_CONTINUATION`` frames to the model."""
    n = fmt.n_frames
    most = n - max(MIN_CONTINUATION, -(-n // 4))
    if context_frames < 2 or context_frames > most:
        return (
            f"--context-frames {context_frames}: need 2 to {most} for {n}-frame videos"
            f" (at least {n - most} frames left for the model to generate)"
        )
    return ""


PARTIAL = ".partial"  # instances being written, under the suite folder


def _partial_dir(job: InstanceJob) -> Path:
    out = job.out_dir
    return out.parent.parent / PARTIAL / out.parent.name / f"{out.name}-{os.getpid()}"


def is_done(job: InstanceJob) -> bool:
    """The instance folder holds every file, written for this very job (family, seed,
    index, difficulty, format and the versions of the code that made it)."""
    family = get_family(job.family)
    files = [*FILES, *([QUESTIONS_FILE] if family.questions is not None else [])]
    files += [CONTEXT_FILE] if job.context_frames else []
    if not all((job.out_dir / f).is_file() for f in files):
        return False
    try:
        task = json.loads((job.out_dir / TASK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(task, dict) or not isinstance(task.get("spec"), dict):
        return False
    fmt = job.fmt
    wanted = {
        "family_id": family.id,
        "seed": job.seed,
        "index": job.index,
        "difficulty": difficulty_of(family, job.index),
        "fmt": fmt.as_dict(),
        "versions": versions_of(family),
    }
    found = {k: task.get(k) for k in wanted} | {"fmt": task["spec"].get("fmt")}
    return found == wanted and task.get("context_frames", 0) == job.context_frames


def write_one(job: InstanceJob) -> Path:
    """Write one instance (kept as it is when already done), all files or none."""
    if is_done(job):
        return job.out_dir
    family = get_family(job.family)
    difficulty = difficulty_of(family, job.index)
    inst, frames = build_instance(family, job.seed, job.index, difficulty, job.fmt)
    if job.context_frames:
        inst = replace(inst, context_frames=job.context_frames)
    tmp = _partial_dir(job)
    shutil.rmtree(tmp, ignore_errors=True)
    write_instance(inst, frames, tmp)
    if family.questions is not None:
        write_questions(family.questions(inst), tmp)
    if job.out_dir.exists():  # an instance left half-written by an older version
        shutil.rmtree(job.out_dir)
    job.out_dir.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, job.out_dir)
    return job.out_dir


def _write_or_why(job: InstanceJob) -> Path | str:
    """``write_one``, or why the family could not make the instance (the others go on)."""
    from vidreason.errors import NoScene

    try:
        return write_one(job)
    except NoScene as exc:
        return str(exc)


def plan_suite(
    suite: Suite,
    out: Path,
    n: int | None = None,
    seed: int = 0,
    fmt: VideoFormat | None = None,
    families: list[str] | None = None,
    context_frames: int = 0,
) -> list[InstanceJob]:
    fmt = fmt or VideoFormat()
    count = suite.n_per_family if n is None else n
    chosen = [get_family(f) for f in (families or suite.family_ids())]
    return [
        InstanceJob(f.id, seed, i, fmt, Path(out) / f.id / f"{i:05d}", context_frames)
        for f in chosen
        for i in range(count + count % 2 if f.paired else count)  # pairs come whole
    ]


def generate_suite(
    name: str,
    out: Path,
    n: int | None = None,
    seed: int = 0,
    fmt: VideoFormat | None = None,
    families: list[str] | None = None,
    workers: int | None = None,
    progress: bool = False,
    shard: Shard | None = None,
    context_frames: int = 0,
) -> list[Path]:
    """Write a suite's instances (in parallel) and its ``suite.json``; returns the folders.

    With ``shard``, only that shard's instances are written (and returned). ``suite.json``
    always describes the whole suite and is written only once every instance of it is
    there: by the shard that finds the others done (shards writing to one shared folder
    make the whole suite), or by a later unsharded ``generate`` into the same folder.
    ``context_frames`` K > 0 makes it a continuation suite (see the module's docstring)."""
    from vidreason.errors import UserError
    from vidreason.runner.local import parallel_map
    from vidreason.runner.shard import select

    suite = SUITES.get(name)
    if context_frames and (why := context_problem(context_frames, fmt or VideoFormat())):
        raise UserError(why)
    jobs = plan_suite(
        suite, out, n=n, seed=seed, fmt=fmt, families=families, context_frames=context_frames
    )
    if not jobs:
        raise UserError(f"suite {name!r} has no instances (no registered family or n=0)")
    mine = select(shard, jobs, lambda j: (j.family, j.index))
    meta = _meta(name, suite.n_per_family if n is None else n, seed, jobs, context_frames)
    todo = [j for j in mine if not is_done(j)]
    if todo:  # the suite is whole again only once suite.json is back
        (Path(out) / SUITE_FILE).unlink(missing_ok=True)
    if shard is not None and not (Path(out) / SUITE_FILE).is_file():
        Path(out).mkdir(parents=True, exist_ok=True)
        _write_whole(Path(out) / PENDING_FILE, _suite_json(meta))  # the suite's id meanwhile
    label = f"generate {name}" + (f" (shard {shard})" if shard else "")
    made = parallel_map(_write_or_why, todo, workers=workers, label=label, progress=progress)
    _clean_partial(Path(out), mine if shard else None)
    if failed := [why for why in made if isinstance(why, str)]:
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        raise UserError(
            f"{len(failed)} of {len(todo)} instances could not be made, the others are written"
            f" to {out} (no {SUITE_FILE}): {failed[0]}{more}"
        )
    taken = {j.out_dir for j in mine}
    if shard is not None and not all(is_done(j) for j in jobs if j.out_dir not in taken):
        return [j.out_dir for j in mine]  # other shards still to come: no suite.json yet
    _finish(Path(out), [j.out_dir for j in jobs], meta)
    return [j.out_dir for j in mine]


def _meta(name: str, n: int, seed: int, jobs: list[InstanceJob], context_frames: int = 0) -> dict:
    """What ``suite.json`` says: the suite, its seed, instances per family, families and
    format (``runner.plan.suite_id`` makes the suite's id of it)."""
    fmt = jobs[0].fmt
    return {
        "suite": name,
        "seed": seed,
        "n_per_family": n,
        "families": sorted({j.family for j in jobs}),
        "format": fmt.as_dict(),
        **({"context_frames": context_frames} if context_frames else {}),
    }


def _suite_json(meta: dict) -> str:
    return json.dumps(meta, indent=1, sort_keys=True) + "\n"


def _finish(out: Path, dirs: list[Path], meta: dict) -> None:
    """The whole suite is there: gather its questions, write ``suite.json`` last."""
    out.mkdir(parents=True, exist_ok=True)
    collect_questions(out, dirs)
    _write_whole(out / SUITE_FILE, _suite_json(meta))
    (out / PENDING_FILE).unlink(missing_ok=True)


def finish_sharded(out: Path) -> bool:
    """Write ``suite.json`` for a suite its shards wrote (``PENDING_FILE`` says which)
    once every instance of it is there, as ``merge`` does for the suites of the runs it
    merges; whether the suite is whole. Nothing is generated."""
    out = Path(out)
    if (out / SUITE_FILE).is_file():
        (out / PENDING_FILE).unlink(missing_ok=True)
        return True
    try:
        meta = json.loads((out / PENDING_FILE).read_text(encoding="utf-8"))
        fmt = VideoFormat(**meta["format"])
        suite = SUITES.get(meta["suite"])
        families = list(meta["families"])
        jobs = plan_suite(
            suite,
            out,
            meta["n_per_family"],
            int(meta["seed"]),
            fmt,
            families,
            context_frames=int(meta.get("context_frames", 0)),
        )
    except (OSError, ValueError, TypeError, KeyError):
        return False
    if not jobs or not all(is_done(j) for j in jobs):
        return False
    _finish(out, [j.out_dir for j in jobs], meta)
    return True


def _write_whole(path: Path, text: str) -> None:
    """Write ``path`` in one step (other shards may read or write it at the same time)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _clean_partial(out: Path, jobs: list[InstanceJob] | None) -> None:
    """Remove what killed runs left in ``<out>/.partial``: all of it, or (for a shard,
    while other shards may be writing theirs) only the leftovers of ``jobs``."""
    if jobs is None:
        shutil.rmtree(out / PARTIAL, ignore_errors=True)
        return
    for j in jobs:
        for left in (out / PARTIAL / j.family).glob(f"{j.out_dir.name}-*"):
            shutil.rmtree(left, ignore_errors=True)
    for d in [*(out / PARTIAL).glob("*"), out / PARTIAL]:
        with contextlib.suppress(OSError):
            d.rmdir()  # only when empty


def collect_questions(out: Path, dirs: list[Path]) -> Path | None:
    """Gather every instance's questions into ``<suite>/questions.json`` (one entry per
    instance: its folder, video and questions), or None when no family asks any."""
    entries = []
    for d in dirs:
        path = Path(d) / QUESTIONS_FILE
        if path.is_file():
            rel = Path(d).relative_to(out).as_posix()
            questions = json.loads(path.read_text(encoding="utf-8"))
            entries.append(
                {"instance": rel, "video": f"{rel}/ground_truth.mp4", "questions": questions}
            )
    if not entries:
        return None
    target = out / QUESTIONS_FILE
    _write_whole(target, json.dumps(entries, indent=1, sort_keys=True) + "\n")
    return target
