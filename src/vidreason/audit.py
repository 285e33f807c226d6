"""The audit: how often is each verifier wrong?

For every family, ground-truth videos are corrupted by every corruption of
``vidreason.corruptions`` that has a target: *violations* that must be caught (an object
vanishes or appears, teleports, changes colour, freezes; time reversed, shuffled, sped
up or slowed down; gravity changed and re-simulated; a loop, a freeze at the end, a
dissolve, a pause then a jump in planning) and *nuisances* that must not be flagged
(codecs and compression, resizing, bars, noise, blur, light, colour, zoom, shake, other
frame rates, a late start, a longer clip, dropped frames).

Each corrupted video goes through the same encode → decode → score path as a model's
video. The result gives, per family, the detection rate of each violation, the false
failure rate of each nuisance, and the AUROC of the score separating clean and nuisance
videos from violated ones, held to ``corruptions.TARGETS``. To add a corruption, add it
to ``vidreason.corruptions``.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidreason.corruptions import BY_NAME, Sample, encode, select
from vidreason.render.video_io import read_video
from vidreason.runner.shard import Shard
from vidreason.seeding import named_rng
from vidreason.tasks import build_instance, get_family
from vidreason.types import VideoFormat


@dataclass(frozen=True)
class Job:
    family: str
    index: int
    seed: int
    names: tuple[str, ...]  # corruptions of the registry
    style: str = "flat"  # how the scenes are drawn (types.STYLES)


@dataclass(frozen=True)
class Outcome:
    family: str
    kind: str
    name: str
    index: int
    value: float
    passed: bool
    explanation: str
    style: str = "flat"

    @property
    def label(self) -> str:
        """The family as the audit's rows name it: ``projectile-v1``, or
        ``projectile-v1 (shaded)`` for scenes drawn in another style."""
        return self.family if self.style == "flat" else f"{self.family} ({self.style})"


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
    from vidreason.scoring import score_frames
    from vidreason.tasks.base import difficulty_of

    family = get_family(job.family)
    inst, frames = build_instance(
        family, job.seed, job.index, difficulty_of(family, job.index), VideoFormat(style=job.style)
    )
    out = []
    with tempfile.TemporaryDirectory(prefix="vidreason-audit-") as tmp:
        d = write_instance(inst, frames, Path(tmp) / "task")
        truth = read_video(d / "ground_truth.mp4").frames
        for name in job.names:
            kind = BY_NAME[name].kind
            rng = named_rng(job.seed, "audit", job.family, str(job.index), name)
            sample = BY_NAME[name].fn(inst, truth, rng)
            if sample is None or (kind == "violation" and _same_video(sample, truth, frames)):
                continue  # not applicable: the corruption leaves this video as it was
            clip = read_video(encode(sample, Path(tmp) / "v"))
            score, _ = score_frames(clip.frames, inst, frames[0], clip.times)
            out.append(
                Outcome(
                    job.family,
                    kind,
                    name,
                    job.index,
                    score.value,
                    score.passed,
                    score.explanation,
                    job.style,
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
    group: str = ""  # the corruption's group and magnitude (the tolerance cards' ladder)
    magnitude: float = 0.0
    unit: str = ""
    mean: float = 0.0  # mean score of the videos
    target: float | None = None  # None: measured for the cards, not judged


@dataclass(frozen=True)
class AuditResult:
    rows: tuple[AuditRow, ...]
    auroc: dict[str, float]
    outcomes: tuple[Outcome, ...]


def summarise(outcomes: list[Outcome]) -> AuditResult:
    groups: dict[tuple[str, str, str], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[(o.label, o.kind, o.name)].append(o)
    rows = []
    for (family, kind, name), group in sorted(groups.items()):
        # violation: the share caught; nuisance: the share wrongly failed. Both count fails.
        rate = float(np.mean([not o.passed for o in group]))
        mean = round(float(np.mean([o.value for o in group])), 6)
        row = AuditRow(family, kind, name, len(group), round(rate, 6), mean=mean)
        c = BY_NAME.get(name)
        if c is not None:
            row = dataclasses.replace(
                row, group=c.group, magnitude=c.magnitude, unit=c.unit, target=c.target
            )
        rows.append(row)
    aucs = {}
    judged = [o for o in outcomes if getattr(BY_NAME.get(o.name), "target", 0.0) is not None]
    for family in sorted({o.label for o in judged}):
        clean = [o.value for o in judged if o.label == family and o.kind == "nuisance"]
        bad = [o.value for o in judged if o.label == family and o.kind == "violation"]
        aucs[family] = round(auroc(clean, bad), 6)
    return AuditResult(tuple(rows), aucs, tuple(outcomes))


def audit(
    families: list[str],
    n: int = 4,
    seed: int = 0,
    workers: int | None = None,
    quick: bool = False,
    progress: bool = False,
    stress: bool = False,
    shard: Shard | None = None,
    style: str = "flat",
) -> AuditResult:
    """Run every corruption with a target on ``n`` instances of each family (``quick``:
    1 instance); ``stress``: every corruption of the registry, those without a target
    measured for the tolerance cards but not judged; ``shard``: only that shard's
    instances (``merge`` sums the shards' outcomes into the whole audit); ``style``: the
    scenes drawn that way (types.STYLES)."""
    from vidreason.runner import shard as shards
    from vidreason.runner.local import parallel_map

    names = tuple(c.name for c in select(audited=not stress))
    count = 1 if quick else n
    jobs = [Job(get_family(f).id, i, seed, names, style) for f in families for i in range(count)]
    jobs = shards.select(shard, jobs, lambda j: (j.family, j.index))
    results = parallel_map(run_job, jobs, workers=workers, label="audit", progress=progress)
    return summarise([o for r in results for o in r])


OUTCOMES_FILE = "audit-outcomes.json"  # beside audit.json in a run folder: every video's score


def write_run(run_dir: Path, result: AuditResult, seed: int, stress: bool) -> None:
    """``audit.json`` (the rows the report reads) and ``audit-outcomes.json`` (how the
    audit was run and each corrupted video's score, from which ``merge`` sums the audits
    of several shards). An audit of the same seed already there keeps its outcomes in the
    styles this one did not run (an audit per style adds its rows beside the others')."""
    from vidreason import __version__

    run_dir.mkdir(parents=True, exist_ok=True)
    how = {"seed": seed, "stress": stress, "package_version": __version__}
    outcomes = list(result.outcomes)
    if (run_dir / OUTCOMES_FILE).is_file():
        was, old = read_outcomes(run_dir / OUTCOMES_FILE)
        if (was.get("seed"), was.get("stress")) == (seed, stress):
            styles = {o.style for o in outcomes}
            outcomes += [o for o in old if o.style not in styles]
            result = merge_outcomes(outcomes)
    (run_dir / "audit.json").write_text(json.dumps(to_json_rows(result), indent=1) + "\n")
    kept = {"how": how, "outcomes": [dataclasses.asdict(o) for o in result.outcomes]}
    (run_dir / OUTCOMES_FILE).write_text(json.dumps(kept, indent=1) + "\n")


def read_outcomes(path: Path) -> tuple[dict, list[Outcome]]:
    """How the audit was run and its outcomes, as ``write_run`` wrote them; a
    ``UserError`` naming the file otherwise."""
    from vidreason.errors import UserError

    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        return dict(kept["how"]), [Outcome(**o) for o in kept["outcomes"]]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise UserError(f"{path}: not an audit's outcomes ({exc})") from None


def merge_outcomes(outcomes: list[Outcome]) -> AuditResult:
    """The audit of several shards: each video once, in the order one run scores them."""
    unique = {(o.family, o.style, o.index, o.kind, o.name): o for o in outcomes}
    return summarise(sorted(unique.values(), key=lambda o: (o.label, o.index)))


def to_json_rows(result: AuditResult) -> list[dict[str, object]]:
    """``{family, kind, name, n, rate, group, magnitude, unit, mean, target}`` rows, then
    one ``{family, auroc}`` row per family."""
    rows: list[dict[str, object]] = [dataclasses.asdict(r) for r in result.rows]
    rows += [{"family": f, "auroc": a} for f, a in result.auroc.items()]
    return rows
