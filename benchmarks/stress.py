"""Stress test: every corruption of ``vidreason.corruptions`` at every magnitude, applied
to ground-truth videos, encoded, decoded and scored like a model's video.

    python benchmarks/stress.py --n 2 --out stress.json            # all families
    python benchmarks/stress.py --families projectile bounce --groups zoom shake

Prints, per corruption, the share of videos that pass (a nuisance should pass, a
violation should fail) and the families that get it wrong; then per family the
tolerance card: the largest harmless change of each group it tolerates and the
smallest violation of each group it catches; then the dose-response of each violation
group (mean score per magnitude, and the families where it is not monotonic).
``--out`` keeps every outcome as JSON
(``--compare OLD.json`` prints both rates side by side).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Job:
    family: str
    index: int
    seed: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    family: str
    index: int
    name: str
    kind: str
    group: str
    magnitude: float
    value: float
    passed: bool
    explanation: str
    seconds: float


def run_job(job: Job) -> list[Outcome]:
    import numpy as np

    from vidreason.corruptions import BY_NAME, encode
    from vidreason.instance_io import write_instance
    from vidreason.render.video_io import read_video
    from vidreason.scoring import score_frames
    from vidreason.seeding import named_rng
    from vidreason.tasks import build_instance, get_family
    from vidreason.tasks.base import difficulty_of
    from vidreason.types import VideoFormat

    family = get_family(job.family)
    inst, frames = build_instance(
        family, job.seed, job.index, difficulty_of(family, job.index), VideoFormat()
    )
    out = []
    with tempfile.TemporaryDirectory(prefix="vidreason-stress-") as tmp:
        d = write_instance(inst, frames, Path(tmp) / "task")
        truth = read_video(d / "ground_truth.mp4").frames
        for name in job.names:
            c = BY_NAME[name]
            rng = named_rng(job.seed, "stress", job.family, str(job.index), name)
            try:
                sample = c.fn(inst, truth, rng)
            except Exception as exc:  # a corruption that cannot be drawn for this scene
                print(f"{job.family} {name}: skipped ({exc})", file=sys.stderr)
                continue
            if sample is None:
                continue
            if c.kind == "violation" and sample.frames.shape == truth.shape:
                diff = np.abs(sample.frames.astype(np.int16) - truth.astype(np.int16))
                if int((diff.max(axis=3) > 48).sum(axis=(1, 2)).max()) < 4:
                    continue  # changes nothing in this video
            t0 = time.perf_counter()
            clip = read_video(encode(sample, Path(tmp) / "v"))
            times = clip.times if clip.times is not None else np.arange(clip.n_frames) / clip.fps
            score, _ = score_frames(clip.frames, inst, frames[0], times)
            out.append(
                Outcome(
                    job.family,
                    job.index,
                    name,
                    c.kind,
                    c.group,
                    c.magnitude,
                    float(score.value),
                    bool(score.passed),
                    score.explanation,
                    time.perf_counter() - t0,
                )
            )
    return out


def _short(family: str) -> str:
    return family.removesuffix("-v1")


def table(outcomes: list[Outcome], old: dict[str, float] | None = None) -> str:
    """One line per corruption: pass rate overall and the families that get it wrong."""
    by: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by[o.name].append(o)
    lines = [f"{'corruption':22s} {'kind':9s} {'pass':>5s} {'old':>5s}  wrong (family: pass rate)"]
    for name, group in by.items():
        kind = group[0].kind
        rate = sum(o.passed for o in group) / len(group)
        fams: dict[str, list[bool]] = defaultdict(list)
        for o in group:
            fams[o.family].append(o.passed)
        wrong = []
        for f, p in sorted(fams.items()):
            r = sum(p) / len(p)
            if (kind == "nuisance" and r < 1) or (kind == "violation" and r > 0):
                wrong.append(f"{_short(f)}:{r:.2f}")
        was = f"{old[name]:5.2f}" if old and name in old else "    -"
        lines.append(f"{name:22s} {kind:9s} {rate:5.2f} {was}  {' '.join(wrong)}")
    return "\n".join(lines)


def rows(outcomes: list[Outcome]) -> list[dict[str, object]]:
    """Outcomes as the audit's rows (per family and corruption), for the tolerance cards."""
    from vidreason.corruptions import BY_NAME

    by: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by[(o.family, o.name)].append(o)
    return [
        {
            "family": f,
            "kind": g[0].kind,
            "name": name,
            "n": len(g),
            "rate": sum(not o.passed for o in g) / len(g),
            "group": g[0].group,
            "magnitude": g[0].magnitude,
            "unit": BY_NAME[name].unit,
            "mean": sum(o.value for o in g) / len(g),
        }
        for (f, name), g in sorted(by.items())
    ]


def cards(outcomes: list[Outcome]) -> str:
    """Per family: the largest magnitude of each nuisance group passed every time, and
    the smallest of each violation group caught every time (``report.tolerance``)."""
    from vidreason.report.tolerance import cards as tolerance_cards

    lines = []
    for c in tolerance_cards(rows(outcomes)):
        lines.append(f"{_short(c.family)}: tolerates {', '.join(t.text for t in c.tolerates)}")
        pad = " " * len(_short(c.family))
        lines.append(f"{pad}  catches {', '.join(t.text for t in c.catches)}")
    return "\n".join(lines)


def doses(outcomes: list[Outcome]) -> str:
    """Dose-response per violation group with several magnitudes: the mean score at each
    magnitude (from harmless to large), and the families where it rises as the error
    grows (``report.tolerance``)."""
    from vidreason.report.tolerance import doses as tolerance_doses
    from vidreason.report.tolerance import magnitude_text

    lines = []
    for d in tolerance_doses(rows(outcomes)):
        means = ", ".join(
            f"{magnitude_text(m, d.unit)}: {v:.2f}"
            for m, v in zip(d.magnitudes, d.means, strict=True)
        )
        tail = f"  (not monotonic: {' '.join(_short(f) for f in d.rising)})" if d.rising else ""
        lines.append(f"{d.group}: {means}{tail}")
    return "\n".join(lines)


def summary(outcomes: list[Outcome]) -> str:
    nui = [o for o in outcomes if o.kind == "nuisance"]
    vio = [o for o in outcomes if o.kind == "violation"]
    ff = sum(not o.passed for o in nui) / max(1, len(nui))
    det = sum(not o.passed for o in vio) / max(1, len(vio))
    aucs = []
    for f in sorted({o.family for o in outcomes}):
        c = [o.value for o in nui if o.family == f]
        b = [o.value for o in vio if o.family == f]
        if c and b:
            aucs.append(sum((x > y) + 0.5 * (x == y) for x in c for y in b) / (len(c) * len(b)))
    mean_auc = sum(aucs) / max(1, len(aucs))
    secs = sum(o.seconds for o in outcomes) / max(1, len(outcomes))
    return (
        f"nuisances falsely failed {ff:.3f} ({len(nui)} videos), violations caught {det:.3f}"
        f" ({len(vio)} videos), mean AUROC {mean_auc:.3f}, {secs:.2f} s per video"
    )


def main(argv: list[str] | None = None) -> int:
    from vidreason.corruptions import CORRUPTIONS
    from vidreason.runner.local import parallel_map
    from vidreason.tasks import FAMILIES, get_family

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", nargs="*", default=[])
    ap.add_argument("--groups", nargs="*", default=[])
    ap.add_argument("--names", nargs="*", default=[])
    ap.add_argument("--n", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--compare", type=Path)
    args = ap.parse_args(argv)

    families = [get_family(f).id for f in args.families] or sorted(FAMILIES)
    names = tuple(
        c.name
        for c in CORRUPTIONS
        if (not args.groups or c.group in args.groups) and (not args.names or c.name in args.names)
    )
    jobs = [Job(f, i, args.seed, names) for f in families for i in range(args.n)]
    results = parallel_map(run_job, jobs, workers=args.workers, label="stress", progress=True)
    outcomes = [o for r in results for o in r]
    if args.out:
        args.out.write_text(json.dumps([asdict(o) for o in outcomes], indent=0) + "\n")
    old = None
    if args.compare:
        prev = [Outcome(**o) for o in json.loads(args.compare.read_text())]
        keep = {(o.family, o.index) for o in outcomes}
        prev = [o for o in prev if (o.family, o.index) in keep]
        rates: dict[str, list[bool]] = defaultdict(list)
        for o in prev:
            rates[o.name].append(o.passed)
        old = {k: sum(v) / len(v) for k, v in rates.items()}
        print("before:", summary(prev))
    print(table(outcomes, old))
    print()
    print(cards(outcomes))
    print()
    print(doses(outcomes))
    print()
    print(summary(outcomes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
