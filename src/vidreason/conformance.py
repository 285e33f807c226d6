"""Conformance: every family must be deterministic, passed by the oracle, failed by every
trivial baseline.

For each family, ``n`` instances are generated twice from the same seed and compared
byte for byte (questions.json too); then the oracle and the baselines are run on them and
scored. A family conforms when generation is deterministic, the oracle's mean is at least
``ORACLE_MIN`` and every baseline's mean is at most ``BASELINE_MAX``. A family generated
in counterfactual pairs also needs every intervention to change the ground-truth outcome
(else a model that ignores it could not be caught) and the oracle to pass every pair.

With ``context_frames`` K the same is proved under the continuation protocol: the
instances are a continuation suite's, the oracle and the baselines continue the context
(the baselines' natural continuations: the last context frame held, a blank canvas, a cut
to the final frame, the rest reversed or shuffled), and a planted violation applied only
after the context (every moving body jumps sideways half-way through the continuation)
must fail like a baseline. Each family's result names the truth's events that happen
inside the context (given to the model, not tested) and the baselines that are no
violation on an instance (nothing moves after the context: see ``context_check.py``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from vidreason import store
from vidreason.context_check import PLANTED, PLANTED_NAME, context_notes, exempt_rows
from vidreason.instance_io import FILES, QUESTIONS_FILE, load_instance
from vidreason.models import get_model
from vidreason.models.baselines import BASELINES
from vidreason.runner.local import run_units
from vidreason.runner.plan import plan_model
from vidreason.runner.shard import Shard
from vidreason.suites import InstanceJob, write_one
from vidreason.tasks import get_family
from vidreason.tasks.base import forget_scenes
from vidreason.types import VideoFormat

ORACLE_MIN = 0.95
BASELINE_MAX = 0.10
BASELINE_NAMES = tuple(m.name for m in BASELINES)


@dataclass(frozen=True)
class Conformance:
    family: str
    n: int
    deterministic: bool
    oracle: float
    baselines: dict[str, float]
    problems: tuple[str, ...]
    context_frames: int = 0
    planted: float | None = None  # continuation only: the mean of the planted violation
    notes: tuple[str, ...] = ()  # continuation only: what the context gives away

    @property
    def ok(self) -> bool:
        return not self.problems


def _differences(a: Path, b: Path) -> list[str]:
    out = []
    for inst in sorted(p.name for p in a.iterdir()):
        for f in (*FILES, QUESTIONS_FILE):
            pa, pb = a / inst / f, b / inst / f
            if f == QUESTIONS_FILE and not pa.is_file() and not pb.is_file():
                continue
            if not pa.is_file() or not pb.is_file() or pa.read_bytes() != pb.read_bytes():
                out.append(f"{inst}/{f}")
    return out


def write_afresh(job: InstanceJob) -> Path:
    """``write_one`` with no scene remembered from an earlier instance (in a worker that
    wrote the first take)."""
    forget_scenes()
    return write_one(job)


def check(
    families: list[str],
    n: int = 3,
    seed: int = 0,
    workers: int | None = None,
    work_dir: Path | None = None,
    fmt: VideoFormat | None = None,
    progress: bool = False,
    shard: Shard | None = None,
    context_frames: int = 0,
) -> list[Conformance]:
    """Run the conformance check over ``families`` (ids or names); with ``shard``, on that
    shard's instances only (pairs stay whole), for the families that have any there (a
    family whose every shard conforms conforms on all its instances); with
    ``context_frames`` K, under the continuation protocol. A family generated in
    counterfactual pairs gets ``n`` rounded up to whole pairs."""
    from vidreason.errors import UserError
    from vidreason.runner.local import parallel_map
    from vidreason.runner.shard import select
    from vidreason.suites import context_problem

    if n < 1:
        raise UserError(f"n must be at least 1, got {n}")
    fmt = fmt or VideoFormat()
    k = context_frames
    if k and (why := context_problem(k, fmt)):
        raise UserError(why)
    ids = [get_family(f).id for f in families]
    # a paired family is checked on whole pairs: its n rounded up to an even number
    sizes = {fid: n + n % 2 if get_family(fid).paired else n for fid in ids}
    with tempfile.TemporaryDirectory(prefix="vidreason-check-") as tmp:
        root = Path(work_dir) if work_dir else Path(tmp)
        for take in ("a", "b", "run"):  # generated afresh: nothing kept from an earlier check
            shutil.rmtree(root / take, ignore_errors=True)
        jobs = [
            InstanceJob(fid, seed, i, fmt, root / take / fid / f"{i:05d}", k)
            for take in ("a", "b")
            for fid in ids
            for i in range(sizes[fid])
        ]
        jobs = select(shard, jobs, lambda j: (j.family, j.index))
        counts = {fid: sum(j.family == fid for j in jobs) // 2 for fid in ids}
        ids = [fid for fid in ids if counts[fid]]
        for take in ("a", "b"):  # the second take draws every scene anew, cache emptied
            forget_scenes()
            mine = [j for j in jobs if j.out_dir.parts[-3] == take]
            write = write_one if take == "a" else write_afresh  # workers may be reused (Ray)
            parallel_map(
                write, mine, workers=workers, label=f"check: generate {take}", progress=progress
            )
        dirs = [j.out_dir for j in jobs if j.out_dir.parts[-3] == "a"]
        run_dir = root / "run"
        units = []
        models = {name: get_model(name) for name in ("oracle", *BASELINE_NAMES)}
        if k:
            models[PLANTED_NAME] = PLANTED
        for model in models.values():
            units += plan_model(model.name, model.version, dirs, run_dir)
        run_units(units, run_dir, workers=workers, progress=progress, models=models)
        means: dict[tuple[str, str], list[float]] = defaultdict(list)
        all_rows = store.rows(run_dir)
        skip = exempt_rows(dirs) if k else set()  # a baseline that is the truth there
        for row in all_rows:
            if (row.family, row.idx, row.model) not in skip:
                means[(row.family, row.model)].append(row.value)
        pair_problems = _pair_problems([r for r in all_rows if r.model == "oracle"])
        results = []
        for fid in ids:
            diffs = _differences(root / "a" / fid, root / "b" / fid)
            insts = [load_instance(d) for d in dirs if d.parent.name == fid]
            avg = {m: sum(v) / len(v) for (f, m), v in means.items() if f == fid}
            problems = []
            if diffs:
                problems.append(f"not deterministic: {', '.join(diffs[:3])} differ")
            if avg.get("oracle", 0.0) < ORACLE_MIN:
                problems.append(f"oracle mean {avg.get('oracle', 0.0):.3f} < {ORACLE_MIN}")
            counted = [b for b in BASELINE_NAMES if b in avg or not k]
            for b in counted:
                if avg.get(b, 1.0) > BASELINE_MAX:
                    problems.append(f"{b} mean {avg.get(b, 1.0):.3f} > {BASELINE_MAX}")
            problems += pair_problems.get(fid, [])
            planted = avg.get(PLANTED_NAME, 1.0) if k else None
            if planted is not None and planted > BASELINE_MAX:
                problems.append(f"{PLANTED_NAME} mean {planted:.3f} > {BASELINE_MAX}")
            results.append(
                Conformance(
                    family=fid,
                    n=counts[fid],
                    deterministic=not diffs,
                    oracle=avg.get("oracle", 0.0),
                    baselines={b: avg.get(b, 1.0) for b in counted},
                    problems=tuple(problems),
                    context_frames=k,
                    planted=planted,
                    notes=tuple(context_notes(insts)) if k else (),
                )
            )
    return results


def _pair_problems(oracle_rows: list[store.Row]) -> dict[str, list[str]]:
    """Per family: pairs whose intervention changes nothing, and pairs the oracle fails."""
    from vidreason.pairs import difference, score_pairs

    out: dict[str, list[str]] = defaultdict(list)
    for p in score_pairs(oracle_rows):
        halves = [r for r in oracle_rows if r.outcome.get("pair", {}).get("id") == p.pair]
        expected = [r.outcome.get("expected", {}) for r in halves]
        if len(expected) == 2 and not difference(*expected):
            out[p.family].append(f"pair {p.pair}: the intervention changes no outcome")
        elif not p.passed:
            out[p.family].append(f"oracle fails pair {p.pair}: {p.note}")
    return out
