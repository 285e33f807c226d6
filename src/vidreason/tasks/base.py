"""What a task family is, the registry of families, and how an instance is built.

A family is a frozen record of plain functions:

- ``sample(rng, seed, index, difficulty, fmt) -> SceneSpec`` draws one scene (its
  identity, the family's name and version, seed, index, difficulty and format, is stamped
  by ``build_instance``: a sampler does not write the family's name or version);
- ``prompt(spec) -> str`` states the setup in plain words;
- ``law_checks(tracks, instance) -> list[Check]`` tests the law the family is about: a
  verifier function the family names, ``verifier("kinematics.projectile_checks")`` (a
  ``Hook``; ``tasks/`` imports no verifier, the scorer calls it).

Causal and temporal families add:

- ``outcome(tracks, instance) -> dict``: what happened in a video as a few discrete,
  JSON-able facts (which blocks fell, whether the second ball was released). It is run
  on every scored video, and a counterfactual pair is judged by comparing the video's
  with the ground truth's (``Instance.outcome``);
- ``truth_outcome(instance) -> dict``: the same facts read from the simulator's
  trajectory, what ``build_instance`` records as ``Instance.outcome``. A family without
  one has ``outcome`` run on its own rendered frames instead (slower: they are tracked);
  the two agree on every scene the family's sampler keeps (``tests/tasks``);
- ``intervene(spec, rng) -> (spec, what)``: one intervention on a scene (an object
  removed, a gap added, a mass changed) and a phrase saying what it was. A family that has
  one is generated in counterfactual pairs: instance ``2k`` is the factual scene and
  ``2k + 1`` the same scene with the intervention, each with its own ground truth, and
  both record the pair in ``spec.extra["pair"]`` (see ``vidreason.pairs``);
- ``questions(instance) -> list[Question]``: CLEVRER-style questions with answers from
  the simulator, written to ``questions.json`` next to the instance.

Simulation (``simulate``) and drawing (``render``) default to the pymunk engine and the
2D rasteriser. ``generic_checks`` names the shared checks the family runs (default: all of
``GENERIC_CHECKS``); a family whose objects cannot be told apart by colour keys alone
(the sliding puzzle's tiles) keeps only those that still apply and checks the rest itself.
``checks`` declares the law checks by name with their tolerance in words
(``CheckSpec``): what ``law_checks`` returns, so that a reader, ``vidreason tasks
--markdown`` and the README see what passes without running anything. ``params`` is the
family's typed parameters (a ``scene.params.Params`` class): what its sampler writes into
``spec.params`` and ``spec.extra`` and its prompt and verifier read back.

To add a family, write a module under ``vidreason/tasks/`` that sets
``FAMILY = register_family(TaskFamily(...))`` (``catalog.discover`` finds it; from
another package, point a ``vidreason.tasks`` entry point at the module); ``vidreason
check NAME --static`` checks it in seconds.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import TYPE_CHECKING, Any

import numpy as np

from vidreason.errors import NoScene
from vidreason.registry import Registry
from vidreason.scene.params import Params
from vidreason.seeding import instance_rng, named_rng
from vidreason.types import (
    CAPABILITIES,
    Check,
    Event,
    Instance,
    Question,
    SceneSpec,
    Trajectory,
    VideoFormat,
)

if TYPE_CHECKING:
    from vidreason.perception.tracking import Tracks

Sampler = Callable[[np.random.Generator, int, int, int, VideoFormat], SceneSpec]
Simulator = Callable[[SceneSpec], tuple[Trajectory, tuple[Event, ...]]]
Renderer = Callable[[SceneSpec, Trajectory], np.ndarray]
LawChecks = Callable[["Tracks", Instance], list[Check]]
OutcomeFn = Callable[["Tracks", Instance], dict[str, Any]]
TruthOutcomeFn = Callable[[Instance], dict[str, Any]]
Intervention = Callable[[SceneSpec, np.random.Generator], tuple[SceneSpec, str]]
QuestionsFn = Callable[[Instance], list[Question]]


@dataclass(frozen=True)
class Hook:
    """A scoring function named, not imported: ``target`` is ``"package.module:function"``.

    A family names the verifier functions that measure it (its ``law_checks``, its
    ``outcome``); the module is imported when the hook is first called, by the scorer or
    by ``build_instance`` reading the truth's outcome. So listing families and drawing
    scenes loads no verifier, and no family module imports one.
    """

    target: str

    def __call__(self, *args: Any) -> Any:
        return resolve(self.target)(*args)


@functools.cache
def resolve(target: str) -> Callable[..., Any]:
    """The function a hook names; one line naming the hook when there is none."""
    module, _, name = target.partition(":")
    try:
        fn = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise LookupError(f"hook {target!r}: {exc}") from None
    if not callable(fn):
        raise LookupError(f"hook {target!r}: not a function")
    return fn


def verifier(name: str) -> Hook:
    """A built-in verifier function by its place under ``vidreason/verifiers/``:
    ``verifier("kinematics.projectile_checks")``."""
    module, _, fn = name.rpartition(".")
    return Hook(f"vidreason.verifiers.{module}:{fn}")


DIFFICULTIES = (1, 2, 3)
GENERIC_CHECKS = (
    "duration",
    "visible",
    "objects",
    "first_frame",
    "final_state",
    "continuity",
    "path",
)
# a family that sets its own pace (planning) is not held to the true path in time, nor
# is a body without one centre (a cloth: its family checks the outline's centroid)
NO_PATH_CHECKS = tuple(c for c in GENERIC_CHECKS if c != "path")


def _pymunk_simulate(spec: SceneSpec) -> tuple[Trajectory, tuple[Event, ...]]:
    from vidreason.engines.pymunk_sim import simulate

    sim = simulate(spec)
    return sim.trajectory, sim.events


def _raster_render(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
    from vidreason.render.raster2d import render

    return render(spec, trajectory)


@dataclass(frozen=True)
class CheckSpec:
    """A law check a family declares: its name, what passes and fails in words, and when
    it runs if not on every instance (e.g. "when launched up the slope")."""

    name: str
    tolerance: str
    when: str = ""


@dataclass(frozen=True)
class TaskFamily:
    name: str
    version: int
    capability: str
    law: str
    sample: Sampler
    prompt: Callable[[SceneSpec], str]
    law_checks: LawChecks
    simulate: Simulator = _pymunk_simulate
    render: Renderer = _raster_render
    verifier_version: int = 1
    engine: str = "pymunk"
    generic_checks: tuple[str, ...] = GENERIC_CHECKS
    outcome: OutcomeFn | None = None
    truth_outcome: TruthOutcomeFn | None = None
    intervene: Intervention | None = None
    questions: QuestionsFn | None = None
    checks: tuple[CheckSpec, ...] = ()
    params: type[Params] | None = None

    @property
    def paired(self) -> bool:
        """Generated in counterfactual pairs (instance 2k factual, 2k + 1 intervened)."""
        return self.intervene is not None

    @property
    def id(self) -> str:
        return f"{self.name}-v{self.version}"

    @property
    def verifier_id(self) -> str:
        return f"{self.id}/law"


FAMILIES: Registry[TaskFamily] = Registry("task family", entry_point_group="vidreason.tasks")


def register_family(family: TaskFamily) -> TaskFamily:
    if family.capability not in CAPABILITIES:
        raise ValueError(f"{family.id}: unknown capability {family.capability!r}")
    return FAMILIES.add(family.id, family)


def get_family(family_id: str) -> TaskFamily:
    """Look a family up by ``name-vN``; a bare ``name`` means its newest version."""
    if family_id not in FAMILIES:
        versions = [f for f in FAMILIES.names() if f.rsplit("-v", 1)[0] == family_id]
        if versions:
            return FAMILIES.get(max(versions, key=lambda f: int(f.rsplit("-v", 1)[1])))
    return FAMILIES.get(family_id)


def versions_of(family: TaskFamily) -> dict[str, str]:
    """The versions an instance of ``family`` records: vidreason, family, verifier, engine
    (and how it is run, where that changes its numbers: ``engines.SETTINGS``) and the
    settings its videos are encoded with (``render.encoding``)."""
    from vidreason import __version__
    from vidreason.engines import SETTINGS
    from vidreason.render.encoding import ENCODER

    out = {"vidreason": __version__, "family": family.id, "verifier": family.verifier_id}
    out["encoder"] = ENCODER
    if (engine := _package_version(family.engine)) is not None:
        out[family.engine] = engine
    if (settings := SETTINGS.get(family.engine)) is not None:
        out[f"{family.engine} settings"] = settings
    return out


@functools.cache
def _package_version(name: str) -> str | None:
    """An installed package's version (None if it is not one), read once per process."""
    with contextlib.suppress(metadata.PackageNotFoundError):
        return metadata.version(name)
    return None


def difficulty_of(family: TaskFamily, index: int) -> int:
    """Instance ``i`` has difficulty ``1 + i % 3``; both halves of a pair share one."""
    k = index // 2 if family.paired else index
    return DIFFICULTIES[k % len(DIFFICULTIES)]


def _stamped(
    spec: SceneSpec, family: TaskFamily, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    """The spec labelled with its identity: the family's registered name and version and
    the seed, index, difficulty and format it was drawn for, whatever its sampler wrote."""
    return replace(
        spec,
        family=family.name,
        version=family.version,
        seed=seed,
        index=index,
        difficulty=difficulty,
        fmt=fmt,
    )


DISTINCT = 0.05  # two scenes whose every number is within 5% (and 0.5) of the other's are one
ATTEMPTS = 8  # draws of a scene before a near copy of an earlier one is kept


def signature(spec: SceneSpec) -> np.ndarray:
    """The numbers that make a scene: every body's place, speed, size and angle, every
    wall's ends and the numeric parameters (colours are left out: a scene in other
    colours is the same test)."""
    out: list[float] = []
    for b in spec.bodies:
        out += [*b.position, *b.velocity, float(b.radius), *b.size, float(b.angle)]
    for w in spec.walls:
        out += [*w.a, *w.b]
    out += [float(v) for _, v in sorted(spec.params.items()) if isinstance(v, int | float)]
    return np.asarray(out, dtype=float)


def near_copy(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    return bool(np.all(np.abs(a - b) <= DISTINCT * np.maximum(np.abs(a), np.abs(b)) + 0.5))


class _Stack:
    """Signatures of one difficulty and length, in index order, in a buffer that doubles."""

    def __init__(self, width: int) -> None:
        self.index = np.empty(16, dtype=np.int64)
        self.rows = np.empty((16, width))
        self.n = 0

    def add(self, index: int, sig: np.ndarray) -> None:
        if self.n == len(self.index):
            self.index = np.concatenate([self.index, np.empty_like(self.index)])
            self.rows = np.concatenate([self.rows, np.empty_like(self.rows)])
        self.index[self.n], self.rows[self.n] = index, sig
        self.n += 1

    def before(self, index: int) -> np.ndarray:
        return self.rows[: int(np.searchsorted(self.index[: self.n], index))]


def _near_any(rows: np.ndarray, sig: np.ndarray) -> bool:
    """``near_copy(sig, row)`` for any row, computed for all rows at once."""
    if not len(rows):
        return False
    close = np.abs(rows - sig) <= DISTINCT * np.maximum(np.abs(rows), np.abs(sig)) + 0.5
    return bool(np.any(np.all(close, axis=1)))


@dataclass
class _Drawn:
    """A family's scenes drawn so far in this process (for one seed and format): every
    scene below ``upto`` (every second one for a paired family), each as the attempt that
    was kept and its signature, filed by difficulty and length."""

    upto: int = 0
    attempt: dict[int, int] = field(default_factory=dict)
    stacks: dict[tuple[int, int], _Stack] = field(default_factory=dict)
    recent: OrderedDict[int, SceneSpec] = field(default_factory=OrderedDict)

    def remember(self, index: int, spec: SceneSpec) -> SceneSpec:
        """Keep the last ``RECENT`` scenes whole (a pair's second half asks again)."""
        self.recent[index] = spec
        self.recent.move_to_end(index)
        if len(self.recent) > RECENT:
            self.recent.popitem(last=False)
        return spec

    def earlier(self, difficulty: int, index: int, width: int) -> np.ndarray:
        stack = self.stacks.get((difficulty, width))
        return stack.before(index) if stack is not None else np.empty((0, width))

    def keep(self, difficulty: int, index: int, attempt: int, sig: np.ndarray) -> None:
        self.attempt[index] = attempt
        self.stacks.setdefault((difficulty, len(sig)), _Stack(len(sig))).add(index, sig)


_DRAWN: dict[tuple[TaskFamily, int, VideoFormat], _Drawn] = {}
RECENT = 64  # whole scenes kept per family, seed and format


def _attempt(
    family: TaskFamily, seed: int, index: int, difficulty: int, fmt: VideoFormat, attempt: int
) -> SceneSpec:
    rng = (
        instance_rng(seed, family.id, index)
        if attempt == 0
        else named_rng(seed, family.id, str(index), f"distinct {attempt}")
    )
    try:
        spec = family.sample(rng, seed, index, difficulty, fmt)
    except (RuntimeError, ValueError) as exc:  # gave up, or no room in this format
        raise NoScene(
            f"{family.id} instance {index} (seed {seed}, {fmt.width}x{fmt.height},"
            f" {fmt.n_frames} frames at {fmt.fps} fps): {exc}"
        ) from None
    return _stamped(spec, family, seed, index, difficulty, fmt)


def _first_distinct(
    family: TaskFamily,
    seed: int,
    index: int,
    difficulty: int,
    fmt: VideoFormat,
    drawn: _Drawn,
) -> tuple[SceneSpec, int, np.ndarray]:
    """The first draw of scene ``index`` (up to ``ATTEMPTS``) that is no near copy of an
    earlier instance of the same difficulty; the attempt kept and its signature."""
    for attempt in range(ATTEMPTS):
        spec = _attempt(family, seed, index, difficulty, fmt, attempt)
        sig = signature(spec)
        if not _near_any(drawn.earlier(difficulty, index, len(sig)), sig):
            break
    return spec, attempt, sig


def _draw_distinct(
    family: TaskFamily,
    seed: int,
    index: int,
    difficulty: int,
    fmt: VideoFormat,
    fresh: bool = False,
) -> SceneSpec:
    """Scene ``index``, drawn again (up to ``ATTEMPTS`` times, each from its own stream)
    while it is a near copy of an earlier instance of the same difficulty: the instances
    of a suite are distinct tests. The first draw is the instance's own stream, so a
    scene unlike every earlier one is what it always was. Earlier scenes are drawn once
    per process, in index order, and only their signatures kept, so scene ``i`` costs
    ``i`` draws the first time and one draw (and one comparison with all earlier
    signatures) after. ``fresh``: the scene's own draws are made again, not looked up."""
    step = 2 if family.paired else 1
    drawn = _DRAWN.setdefault((family, seed, fmt), _Drawn())
    for j in range(drawn.upto, index, step):  # every earlier scene, once
        d = difficulty_of(family, j)
        spec, attempt, sig = _first_distinct(family, seed, j, d, fmt, drawn)
        drawn.keep(d, j, attempt, sig)
        drawn.remember(j, spec)
        drawn.upto = j + step
    own = difficulty == difficulty_of(family, index)
    if own and not fresh and index in drawn.attempt:
        if index in drawn.recent:
            return drawn.remember(index, drawn.recent[index])
        spec = _attempt(family, seed, index, difficulty, fmt, drawn.attempt[index])
        return drawn.remember(index, spec)
    spec, attempt, sig = _first_distinct(family, seed, index, difficulty, fmt, drawn)
    if own and index == drawn.upto:
        drawn.keep(difficulty, index, attempt, sig)
        drawn.remember(index, spec)
        drawn.upto = index + step
    return spec


def forget_scenes() -> None:
    """Forget this process's drawn scenes and simulations (a determinism check draws and
    simulates anew)."""
    from vidreason.engines.memo import forget

    _DRAWN.clear()
    forget()


def sample_scene(
    family: TaskFamily,
    seed: int,
    index: int,
    difficulty: int,
    fmt: VideoFormat,
    fresh: bool = False,
) -> SceneSpec:
    """The instance's scene; for a paired family, the factual or the intervened scene
    of pair ``index // 2``, with the pair recorded in ``extra["pair"]``. ``fresh``: drawn
    again rather than taken from this process's cache (to test that the sampler is
    deterministic)."""
    if family.intervene is None:
        return _draw_distinct(family, seed, index, difficulty, fmt, fresh)
    base = index - index % 2
    spec = _draw_distinct(family, seed, base, difficulty, fmt, fresh)
    rng = named_rng(seed, family.id, str(base), "intervention")
    changed, what = family.intervene(spec, rng)
    role = "counterfactual" if index % 2 else "factual"
    pair = {
        "id": f"{family.id}/{base:05d}",
        "role": role,
        "factual": base,
        "counterfactual": base + 1,
        "intervention": what,
    }
    chosen = changed if index % 2 else spec
    return replace(chosen, index=index, extra={**chosen.extra, "pair": pair})


def build_instance(
    family: TaskFamily, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> tuple[Instance, np.ndarray]:
    """Sample, simulate and render one instance; returns it with its frames."""
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {DIFFICULTIES}, got {difficulty}")
    spec = sample_scene(family, seed, index, difficulty, fmt)
    trajectory, events = family.simulate(spec)
    frames = family.render(spec, trajectory)
    inst = Instance(
        spec=spec,
        trajectory=trajectory,
        events=events,
        prompt=family.prompt(spec),
        capability=family.capability,
        law=family.law,
        verifier=family.verifier_id,
        verifier_version=family.verifier_version,
        versions=versions_of(family),
    )
    return replace(inst, outcome=truth_outcome(family, inst, frames)), frames


def truth_outcome(family: TaskFamily, instance: Instance, frames: np.ndarray) -> dict[str, Any]:
    """The ground truth's outcome: from the simulator (``family.truth_outcome``), or by
    tracking its rendered ``frames``; empty for a family without outcomes."""
    if family.outcome is None:
        return {}
    if family.truth_outcome is not None:
        return family.truth_outcome(instance)
    return family.outcome(_truth_tracks(frames, instance), instance)


def _truth_tracks(frames: np.ndarray, instance: Instance) -> Tracks:
    """The ground truth's frames tracked as a video's are, for the family's outcome (its
    own rendering: no camera or light to measure)."""
    from vidreason.perception.tracking import track_frames

    return track_frames(frames, instance, rendered=True)
