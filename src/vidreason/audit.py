"""The audit: how often is each verifier wrong?

For every family, ground-truth videos are corrupted in two ways:

- *violations* that must be caught (an object vanishes or appears, teleports, changes
  colour, freezes; time reversed, shuffled, sped up or slowed down; gravity changed and
  re-simulated; a loop or a freeze at the end);
- *nuisances* that must not be flagged (H.264 at CRF 18/28/35, resizing, letterbox and
  pillarbox bars, noise, blur, brightness/contrast/hue shifts, other frame rates, a longer
  clip, dropped frames).

Each corrupted video goes through the same encode → decode → score path as a model's
video. The result gives, per family, the detection rate of each violation, the false
failure rate of each nuisance, and the AUROC of the score separating clean and nuisance
videos from violated ones. To add a corruption, add a function ``(instance, truth, rng)
-> Sample`` to ``VIOLATIONS`` or ``NUISANCES``.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vidreason import violations as planted
from vidreason.render.video_io import read_video, write_mp4
from vidreason.seeding import named_rng
from vidreason.tasks import build_instance, get_family
from vidreason.tasks.palette import COLOURS
from vidreason.types import Instance, VideoFormat


@dataclass(frozen=True)
class Sample:
    frames: np.ndarray
    fps: float
    pts: list[int] | None = None
    crf: int = 18


Corruption = Callable[[Instance, np.ndarray, np.random.Generator], Sample | None]


def _same(inst: Instance, frames: np.ndarray, **kw: object) -> Sample:
    return Sample(frames=frames, fps=float(inst.spec.fmt.fps), **kw)  # type: ignore[arg-type]


def _recolour(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample:
    """From the middle on, the first two objects of different colours swap colours (or,
    when every object has the same colour, the first takes a colour the scene does not
    use)."""
    spec, k = inst.spec, inst.spec.fmt.n_frames // 2
    bodies = list(spec.bodies)
    pairs = [
        (i, j)
        for i in range(len(bodies))
        for j in range(i + 1, len(bodies))
        if bodies[i].colour != bodies[j].colour
    ]
    if pairs:
        i, j = pairs[0]
        a, b = bodies[i], bodies[j]
        bodies[i] = dataclasses.replace(a, colour=b.colour)
        bodies[j] = dataclasses.replace(b, colour=a.colour)
    else:
        unused = [c for c in COLOURS.values() if c not in {x.colour for x in bodies}]
        bodies[0] = dataclasses.replace(bodies[0], colour=unused[int(rng.integers(len(unused)))])
    after = planted.draw(dataclasses.replace(spec, bodies=tuple(bodies)), inst.trajectory)
    return _same(inst, np.concatenate([truth[:k], after[k:]]))


def _appear(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample:
    """A ball of a colour the scene does not use appears from a third of the way in."""
    spec, k = inst.spec, inst.spec.fmt.n_frames // 3
    unused = [c for c in COLOURS.values() if c not in {x.colour for x in spec.bodies}]
    colour = unused[int(rng.integers(len(unused)))]
    r = max(b.radius for b in spec.bodies)
    w, h = spec.fmt.width, spec.fmt.height
    x, y = rng.uniform(0.2, 0.8) * w, rng.uniform(0.15, 0.5) * h
    out = truth.copy()
    for frame in out[k:]:
        cv2.circle(frame, (round(x), round(y)), round(r), colour, -1, cv2.LINE_AA)
    return _same(inst, out)


def _duplicate(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample:
    """A second copy of the first object appears and stays, from a third of the way in."""
    spec, k = inst.spec, inst.spec.fmt.n_frames // 3
    body = spec.bodies[0]
    w, h = spec.fmt.width, spec.fmt.height
    x, y = rng.uniform(0.2, 0.8) * w, rng.uniform(0.15, 0.5) * h
    out = truth.copy()
    for frame in out[k:]:
        cv2.circle(frame, (round(x), round(y)), round(body.radius), body.colour, -1, cv2.LINE_AA)
    return _same(inst, out)


def _shuffle(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample:
    return _same(inst, truth[rng.permutation(len(truth))])


def _loop(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample:
    half = len(truth) // 2
    return _same(inst, np.concatenate([truth[:half], truth[: len(truth) - half]]))


def _freeze_end(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample:
    k = 2 * len(truth) // 3
    return _same(inst, np.concatenate([truth[:k], np.repeat(truth[k : k + 1], len(truth) - k, 0)]))


def _gravity(scale: float) -> Corruption:
    def fn(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
        if inst.spec.gravity == 0:
            return None
        return _same(inst, planted.resimulate(inst, gravity_scale=scale))

    return fn


def _rendered(fn: Callable[[Instance], np.ndarray]) -> Corruption:
    return lambda inst, _truth, _rng: _same(inst, fn(inst))


VIOLATIONS: dict[str, Corruption] = {
    "vanish": _rendered(planted.vanish),
    "appear": _appear,
    "duplicate": _duplicate,
    "teleport": _rendered(lambda inst: planted.teleport(inst, dx=0.15 * inst.spec.fmt.width)),
    "colour change": _recolour,
    "freeze": _rendered(planted.freeze),
    "reversed": lambda inst, truth, _rng: _same(inst, truth[::-1].copy()),
    "shuffled": _shuffle,
    "speed x0.5": _rendered(lambda inst: planted.time_warp(inst, 0.5)),
    "speed x2": _rendered(lambda inst: planted.time_warp(inst, 2.0)),
    "gravity x0.5": _gravity(0.5),
    "gravity x2": _gravity(2.0),
    "loop": _loop,
    "freeze at end": _freeze_end,
}


def _map(fn: Callable[[np.ndarray], np.ndarray]) -> Corruption:
    return lambda inst, truth, _rng: _same(inst, np.stack([fn(f) for f in truth]))


def _resize(scale: float) -> Callable[[np.ndarray], np.ndarray]:
    def fn(f: np.ndarray) -> np.ndarray:
        h, w = f.shape[:2]
        size = (int(w * scale) // 2 * 2, int(h * scale) // 2 * 2)
        return cv2.resize(f, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)

    return fn


def _pad(axis: int, fraction: float) -> Callable[[np.ndarray], np.ndarray]:
    def fn(f: np.ndarray) -> np.ndarray:
        n = int(f.shape[axis] * fraction) // 2 * 2
        widths = [(0, 0)] * 3
        widths[axis] = (n, n)
        return np.pad(f, widths)

    return fn


def _hue(shift_deg: float) -> Callable[[np.ndarray], np.ndarray]:
    def fn(f: np.ndarray) -> np.ndarray:
        hsv = cv2.cvtColor(f, cv2.COLOR_RGB2HSV)
        hsv[..., 0] = ((hsv[..., 0].astype(int) + round(shift_deg / 2)) % 180).astype(np.uint8)
        return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)

    return fn


def _affine(gain: float, offset: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda f: np.clip(f.astype(np.float32) * gain + offset, 0, 255).astype(np.uint8)


def _noise(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample:
    noisy = truth.astype(np.float32) + rng.normal(0.0, 5.0, truth.shape)
    return _same(inst, np.clip(noisy, 0, 255).astype(np.uint8))


def _fps(fps: float) -> Corruption:
    def fn(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample:
        n = round(inst.spec.fmt.duration * fps) + 1
        return Sample(frames=planted.retimed(inst, n), fps=(n - 1) / inst.spec.fmt.duration)

    return fn


def _dropped(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample:
    drop = set(rng.choice(np.arange(2, len(truth) - 2), size=3, replace=False).tolist())
    keep = [i for i in range(len(truth)) if i not in drop]
    return _same(inst, truth[keep], pts=keep)


NUISANCES: dict[str, Corruption] = {
    "clean": lambda inst, truth, _rng: _same(inst, truth),
    "crf 28": lambda inst, truth, _rng: _same(inst, truth, crf=28),
    "crf 35": lambda inst, truth, _rng: _same(inst, truth, crf=35),
    "resize 0.5x": _map(_resize(0.5)),
    "resize 2x": _map(_resize(2.0)),
    "letterbox": _map(_pad(0, 0.125)),
    "pillarbox": _map(_pad(1, 0.15)),
    "noise": _noise,
    "blur": _map(lambda f: cv2.GaussianBlur(f, (5, 5), 1.0)),
    "brightness +20": _map(_affine(1.0, 20.0)),
    "contrast 0.8": _map(_affine(0.8, 0.2 * 128)),
    "hue +8°": _map(_hue(8.0)),
    "8 fps": _fps(8.0),
    "24 fps": _fps(24.0),
    "30 fps": _fps(30.0),
    "longer clip": lambda inst, _t, _r: _same(
        inst, planted.extended(inst, inst.spec.fmt.n_frames + 16)
    ),
    "dropped frames": _dropped,
}


@dataclass(frozen=True)
class Job:
    family: str
    index: int
    seed: int
    names: tuple[tuple[str, str], ...]  # (kind, name)


@dataclass(frozen=True)
class Outcome:
    family: str
    kind: str
    name: str
    index: int
    value: float
    passed: bool
    explanation: str


def unchanged(frames: np.ndarray, truth: np.ndarray) -> bool:
    """A "violation" that changes no pixel (freezing a scene already at rest, swapping
    two identical colours) is no violation of this video."""
    if frames.shape != truth.shape:
        return False
    changed = np.abs(frames.astype(np.int16) - truth.astype(np.int16)).max(axis=3) > 48
    return int(changed.sum(axis=(1, 2)).max()) < 4


def _same_video(sample: Sample, decoded: np.ndarray, raw: np.ndarray) -> bool:
    """The corruption left the video as it was, before or after compression."""
    return unchanged(sample.frames, decoded) or unchanged(sample.frames, raw)


def run_job(job: Job) -> list[Outcome]:
    """Build one instance, corrupt its true video every way asked, score each result."""
    from vidreason.instance_io import write_instance
    from vidreason.tasks.base import difficulty_of
    from vidreason.verifiers.score import score_frames

    family = get_family(job.family)
    inst, frames = build_instance(
        family, job.seed, job.index, difficulty_of(family, job.index), VideoFormat()
    )
    out = []
    with tempfile.TemporaryDirectory(prefix="vidreason-audit-") as tmp:
        d = write_instance(inst, frames, Path(tmp) / "task")
        truth = read_video(d / "ground_truth.mp4").frames
        for kind, name in job.names:
            table = VIOLATIONS if kind == "violation" else NUISANCES
            rng = named_rng(job.seed, "audit", job.family, str(job.index), name)
            sample = table[name](inst, truth, rng)
            if sample is None or (kind == "violation" and _same_video(sample, truth, frames)):
                continue  # not applicable: the corruption leaves this video as it was
            path = write_mp4(sample.frames, Path(tmp) / "v.mp4", sample.fps, sample.crf, sample.pts)
            clip = read_video(path)
            score, _ = score_frames(clip.frames, inst, frames[0], clip.times)
            out.append(
                Outcome(
                    job.family, kind, name, job.index, score.value, score.passed, score.explanation
                )
            )
    return out


def auroc(clean: list[float], bad: list[float]) -> float:
    """P(a clean video scores above a violated one), ties counted half."""
    if not clean or not bad:
        return float("nan")
    c, b = np.asarray(clean)[:, None], np.asarray(bad)[None, :]
    return float(((c > b).sum() + 0.5 * (c == b).sum()) / (c.size * b.size))


@dataclass(frozen=True)
class AuditRow:
    family: str
    kind: str  # "violation" | "nuisance"
    name: str
    n: int
    rate: float  # detection rate (violation) or false-failure rate (nuisance)


@dataclass(frozen=True)
class AuditResult:
    rows: tuple[AuditRow, ...]
    auroc: dict[str, float]
    outcomes: tuple[Outcome, ...]


def summarise(outcomes: list[Outcome]) -> AuditResult:
    groups: dict[tuple[str, str, str], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[(o.family, o.kind, o.name)].append(o)
    rows = []
    for (family, kind, name), group in sorted(groups.items()):
        # violation: the share caught; nuisance: the share wrongly failed. Both count fails.
        rate = float(np.mean([not o.passed for o in group]))
        rows.append(AuditRow(family, kind, name, len(group), round(rate, 6)))
    aucs = {}
    for family in sorted({o.family for o in outcomes}):
        clean = [o.value for o in outcomes if o.family == family and o.kind == "nuisance"]
        bad = [o.value for o in outcomes if o.family == family and o.kind == "violation"]
        aucs[family] = round(auroc(clean, bad), 6)
    return AuditResult(tuple(rows), aucs, tuple(outcomes))


def audit(
    families: list[str],
    n: int = 4,
    seed: int = 0,
    workers: int | None = None,
    quick: bool = False,
    progress: bool = False,
) -> AuditResult:
    """Run every corruption on ``n`` instances of each family (``quick``: 1 instance)."""
    from vidreason.runner.local import parallel_map

    names = tuple(("violation", v) for v in VIOLATIONS) + tuple(("nuisance", v) for v in NUISANCES)
    count = 1 if quick else n
    jobs = [Job(get_family(f).id, i, seed, names) for f in families for i in range(count)]
    results = parallel_map(run_job, jobs, workers=workers, label="audit", progress=progress)
    return summarise([o for r in results for o in r])


def to_json_rows(result: AuditResult) -> list[dict[str, object]]:
    """``{family, kind, name, n, rate}`` rows, then one ``{family, auroc}`` row per family."""
    rows: list[dict[str, object]] = [dataclasses.asdict(r) for r in result.rows]
    rows += [{"family": f, "auroc": a} for f, a in result.auroc.items()]
    return rows
