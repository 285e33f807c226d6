"""The audit: how often is each verifier wrong?

For every family, ground-truth videos are corrupted in two ways:

- *violations* that must be caught (an object vanishes or appears, teleports, changes
  colour, freezes; time reversed, shuffled, sped up or slowed down; gravity changed and
  re-simulated; a loop or a freeze at the end);
- *nuisances* that must not be flagged (H.264 at CRF 18/28/35, resizing, letterbox and
  pillarbox bars, noise, blur, brightness/contrast/hue shifts, other frame rates, a longer
  clip, dropped frames);

and, besides these, every corruption of ``vidreason.corruptions`` at each of its
magnitudes (zoom, shake, drift, another aspect ratio, motion blur, vignette, lighting
gradient, flicker, white-balance drift, MPEG-4/VP9/MJPEG/HEVC, frame rates by repetition
and by blending, a late start; an object gone for 3/6/12 frames, a freeze then a jump,
gravity x0.8/x1.25, a dissolve, a pause then a jump in planning).

Each corrupted video goes through the same encode → decode → score path as a model's
video. The result gives, per family, the detection rate of each violation, the false
failure rate of each nuisance, and the AUROC of the score separating clean and nuisance
videos from violated ones. To add a corruption, add it to ``vidreason.corruptions``
(or a function ``(instance, truth, rng) -> Sample`` to ``VIOLATIONS`` or ``NUISANCES``).
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

from vidreason import corruptions
from vidreason import violations as planted
from vidreason.corruptions import BY_NAME, CORRUPTIONS, Sample, encode
from vidreason.render.video_io import read_video
from vidreason.seeding import named_rng
from vidreason.tasks import build_instance, get_family
from vidreason.types import Instance, VideoFormat

Corruption = Callable[[Instance, np.ndarray, np.random.Generator], Sample | None]


def _same(inst: Instance, frames: np.ndarray, **kw: object) -> Sample:
    return Sample(frames=frames, fps=float(inst.spec.fmt.fps), **kw)  # type: ignore[arg-type]


def _rendered(fn: Callable[[Instance], np.ndarray]) -> Corruption:
    return lambda inst, _truth, _rng: _same(inst, fn(inst))


def _by(name: str) -> Corruption:
    return BY_NAME[name].fn


VIOLATIONS: dict[str, Corruption] = {
    "vanish": _rendered(planted.vanish),
    "appear": _by("appear"),
    "duplicate": _by("duplicate"),
    "teleport": _rendered(lambda inst: planted.teleport(inst, dx=0.15 * inst.spec.fmt.width)),
    "colour change": _by("colour change"),
    "freeze": _rendered(planted.freeze),
    "reversed": _by("reversed"),
    "shuffled": _by("shuffled"),
    "speed x0.5": _by("speed x0.5"),
    "speed x2": _by("speed x2.0"),
    "gravity x0.5": _by("gravity x0.5"),
    "gravity x2": _by("gravity x2.0"),
    "loop": _by("loop"),
    "freeze at end": _by("freeze at end"),
}


def _fps(fps: float) -> Corruption:
    def fn(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample:
        n = round(inst.spec.fmt.duration * fps) + 1
        return Sample(frames=planted.retimed(inst, n), fps=(n - 1) / inst.spec.fmt.duration)

    return fn


def _dropped(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample:
    drop = set(rng.choice(np.arange(2, len(truth) - 2), size=3, replace=False).tolist())
    keep = [i for i in range(len(truth)) if i not in drop]
    return _same(inst, truth[keep], pts=keep)


def _map(fn: Callable[[np.ndarray], np.ndarray]) -> Corruption:
    return lambda inst, truth, _rng: _same(inst, np.stack([fn(f) for f in truth]))


def _hue(shift_deg: float) -> Callable[[np.ndarray], np.ndarray]:
    def fn(f: np.ndarray) -> np.ndarray:
        hsv = cv2.cvtColor(f, cv2.COLOR_RGB2HSV)
        hsv[..., 0] = ((hsv[..., 0].astype(int) + round(shift_deg / 2)) % 180).astype(np.uint8)
        return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)

    return fn


def _affine(gain: float, offset: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda f: np.clip(f.astype(np.float32) * gain + offset, 0, 255).astype(np.uint8)


NUISANCES: dict[str, Corruption] = {
    "clean": _by("clean"),
    "crf 28": lambda inst, truth, _rng: _same(inst, truth, crf=28),
    "crf 35": _by("h264 crf 35"),
    "resize 0.5x": _by("resize 0.5x"),
    "resize 2x": corruptions.resize(2.0),
    "letterbox": _by("letterbox"),
    "pillarbox": _map(lambda f: np.pad(f, ((0, 0), (38, 38), (0, 0)))),
    "noise": _by("noise"),
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
# every corruption of the registry at its magnitudes (camera, light, codecs, frame rates,
# start delays; vanishing for 3-12 frames, freeze-jumps, gravity x0.8 / x1.25, ...)
# but for the magnitudes at the edge of what the verifiers claim, which
# benchmarks/stress.py measures for the tolerance cards: camera changes that may take a
# body out of the picture (zoom 10%, shake 4 px), a slow pan and zoom (which a scene
# with no static structure, two balls on a blank table, cannot tell from everything
# moving), and violations below the continuity allowance of a fast body (a sideways
# jump of 5% of the picture, a 4-frame freeze)
BEYOND = ("zoom 10%", "shake 4px", "drift", "teleport 5%", "freeze-jump 4")
for _c in CORRUPTIONS:
    _table = VIOLATIONS if _c.kind == "violation" else NUISANCES
    if _c.name not in _table and _c.fn not in _table.values() and _c.name not in BEYOND:
        _table[_c.name] = _c.fn


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
            clip = read_video(encode(sample, Path(tmp) / "v"))
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
