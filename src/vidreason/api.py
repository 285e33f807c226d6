"""The public functions behind every CLI verb: generate (suites, or training-data shards
with ``generate_dataset``), run, score, leaderboard, report.

Each takes and returns plain values, so scripts and notebooks call the same code the
CLI does. A suite argument is either a suite name (generated into the run directory,
once) or the path of a generated suite folder.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from vidreason.dataset import FORMATS as DATA_FORMATS
from vidreason.dataset import generate_dataset
from vidreason.errors import UserError
from vidreason.instance_io import find_instances
from vidreason.report.aggregate import Entry
from vidreason.runner.local import RunSummary, run_units
from vidreason.runner.plan import (
    WorkUnit,
    plan_folder,
    plan_model,
    suite_id,
    unmatched_files,
)
from vidreason.runner.shard import Shard, select
from vidreason.suites import SUITE_FILE, SUITES, generate_suite
from vidreason.suites import generate_suite as generate


@dataclass(frozen=True)
class RunStatus:
    """What the store holds for one model on one suite (``vidreason runs``)."""

    model: str
    suite: str
    rows: int
    passed: int
    missing: int
    unreadable: int
    errors: int
    pending: int
    unmatched: tuple[str, ...]
    source: str
    last_run: str
    package_versions: tuple[str, ...]
    verifier_versions: int

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["unmatched"] = list(self.unmatched)
        d["package_versions"] = list(self.package_versions)
        return d


def resolve_suite(
    suite: str,
    run_dir: Path,
    seed: int = 0,
    n: int | None = None,
    workers: int | None = None,
    progress: bool = False,
    families: list[str] | None = None,
    shard: Shard | None = None,
    style: str = "flat",
) -> Path:
    """A suite folder: ``suite`` itself if it is one, else the named suite (of only
    ``families`` when given) generated under
    ``run_dir/suites/<name>-seed<seed>[-n<n>][-<family>+...][-<style>]`` (reused when
    already there; with ``shard``, only that shard's instances, which ``merge`` makes
    whole again; ``style``: its scenes drawn that way, ``types.STYLES``)."""
    from vidreason.types import VideoFormat

    path = Path(suite)
    if path.is_dir():
        if not find_instances(path):
            raise UserError(f"{path}: no task instances in this folder")
        if style != "flat":
            raise UserError(
                f"{path}: a generated suite has its style already; --style is for a suite name"
            )
        return path
    if suite not in SUITES:
        SUITES.get(suite)  # raises with "did you mean"
    from vidreason.tasks import get_family

    ids = sorted({get_family(f).id for f in families or ()})
    name = f"{suite}-seed{seed}" + (f"-n{n}" if n is not None else "")
    if ids:
        name += "-" + "+".join(ids)
    if style != "flat":
        name += f"-{style}"
    out = Path(run_dir) / "suites" / name
    if not (out / SUITE_FILE).is_file():
        generate_suite(
            suite,
            out,
            n=n,
            seed=seed,
            workers=workers,
            progress=progress,
            families=ids or None,
            shard=shard,
            fmt=VideoFormat(style=style),
        )
    return out


def load_models(
    names: list[str],
    configs: list[Path] | None = None,
    overrides: list[str] | None = None,
    devices: str | None = None,
) -> list:
    """Models by name (registered, or ``package.module:factory``) and from config files
    (each with ``overrides``, ``KEY=VALUE``); two with one name are a mistake. ``devices``
    (``0,1`` or ``cuda:0,cuda:1``): one worker per device for models that make a copy
    per device (``on_device``)."""
    from vidreason.models import get_model
    from vidreason.models.base import parse_devices, with_devices
    from vidreason.models.config import build_model, read_config

    if overrides and not configs:
        raise UserError("--model-set changes a config file's keys: give --model-config too")
    models = [get_model(m) for m in dict.fromkeys(names)]
    models += [build_model(read_config(Path(c), overrides or [])) for c in configs or ()]
    seen: dict[str, str] = {}
    for m, where in zip(models, [*dict.fromkeys(names), *map(str, configs or ())], strict=True):
        if m.name in seen:
            raise UserError(f"two models are named {m.name!r} ({seen[m.name]} and {where})")
        seen[m.name] = where
    if not models:
        raise UserError("no model: give --model NAME (or package.module:factory) or --model-config")
    if devices is not None:
        models = [with_devices(m, parse_devices(devices)) for m in models]
    return models


def run_model(
    model: str | list[str],
    suite: str,
    run_dir: Path,
    seed: int = 0,
    n: int | None = None,
    workers: int | None = None,
    progress: bool = False,
    families: list[str] | None = None,
    seeds: int = 1,
    configs: list[Path] | None = None,
    shard: Shard | None = None,
) -> RunSummary:
    """Generate videos with the model(s) for every instance of a suite (of only
    ``families`` when given), ``seeds`` per instance, then score them. ``model``: names
    of registered models or ``package.module:factory``; ``configs``: TOML model configs."""
    names = [model] if isinstance(model, str) else list(model)
    sources = [n if ":" in n else "built-in" for n in names] + [str(c) for c in configs or ()]
    return run_models(
        load_models(names, configs),
        suite,
        run_dir,
        seed=seed,
        n=n,
        workers=workers,
        progress=progress,
        families=families,
        seeds=seeds,
        source=", ".join(dict.fromkeys(sources)),
        shard=shard,
    )


def run_models(
    models: list,
    suite: str,
    run_dir: Path,
    seed: int = 0,
    n: int | None = None,
    workers: int | None = None,
    progress: bool = False,
    families: list[str] | None = None,
    seeds: int = 1,
    source: str = "built-in",
    shard: Shard | None = None,
    style: str = "flat",
) -> RunSummary:
    """``run_model`` for models already made (see ``load_models``); with ``shard``, only
    the units of that shard's instances (``runner/shard.py``); ``style``: a named suite's
    scenes drawn that way (``types.STYLES``; its suite id says so, and the report
    compares the styles a run holds)."""
    from vidreason.models import card_of, version_of

    if seeds < 1:
        raise UserError(f"--seeds must be at least 1, got {seeds}")
    names = [m.name for m in models]
    if len(set(names)) < len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise UserError(f"two models are named {twice[0]!r}")
    suite_dir = resolve_suite(
        suite,
        run_dir,
        seed=seed,
        n=n,
        workers=workers,
        progress=progress,
        families=families,
        shard=shard,
        style=style,
    )
    instances = find_instances(suite_dir)
    sid = suite_id(suite_dir)
    for m in models:
        _fits_suite(m, suite_dir, instances)
    units = [
        u
        for m in models
        for u in plan_model(
            m.name,
            version_of(m),
            instances,
            Path(run_dir),
            sid,
            seeds=seeds,
            goal_conditioned=card_of(m).goal_conditioned,
            whole_clip=not card_of(m).continuation,
        )
    ]
    return run_units(
        _of_shard(shard, units),
        Path(run_dir),
        workers=workers,
        progress=progress,
        source=source,
        models={m.name: m for m in models},
    )


def _fits_suite(model: object, suite_dir: Path, instances: list[Path]) -> None:
    """A continuation model needs a continuation suite (of the context it takes)."""
    from vidreason.instance_io import load_instance
    from vidreason.models import card_of

    card = card_of(model)
    if card.modality != "continuation" or not instances:
        return
    k = load_instance(instances[0]).context_frames
    name = getattr(model, "name", "the model")
    if not k:
        raise UserError(
            f"{suite_dir}: no context frames, and {name} is a continuation model"
            " (generate the suite with --context-frames K)"
        )
    if card.context_frames and card.context_frames != k:
        raise UserError(f"{suite_dir}: {k} context frames, and {name} takes {card.context_frames}")


def demo(
    run_dir: Path,
    workers: int | None = None,
    progress: bool = False,
    families: list[str] | None = None,
) -> RunSummary:
    """The smoke suite (of only ``families`` when given), the oracle and every trivial
    baseline, scored into ``run_dir``."""
    from vidreason.conformance import BASELINE_NAMES

    models = ["oracle", *BASELINE_NAMES]
    return run_model(
        models, "smoke", run_dir, workers=workers, progress=progress, families=families
    )


def score_folder(
    suite_dir: Path,
    videos: Path,
    model_name: str,
    run_dir: Path,
    workers: int | None = None,
    progress: bool = False,
    shard: Shard | None = None,
    whole_clips: bool = False,
) -> RunSummary:
    """Score the videos an external model wrote to ``<videos>/<family>-v<N>/<index:05d>.mp4``
    (with ``shard``, those of that shard's instances); on a continuation suite they are
    continuations, or whole clips with ``whole_clips``."""
    videos = Path(videos)
    if not videos.is_dir():
        raise UserError(f"{videos}: no such videos folder")
    if not model_name.strip():
        raise UserError("--model-name must not be empty")
    instances = find_instances(Path(suite_dir))
    if not instances:
        raise UserError(f"{suite_dir}: no task instances in this folder")
    units = plan_folder(model_name, instances, videos, suite_id(Path(suite_dir)), whole_clips)
    unmatched = unmatched_files(videos, units)  # against every instance, not the shard's
    return run_units(
        _of_shard(shard, units),
        Path(run_dir),
        workers=workers,
        progress=progress,
        source=str(videos.resolve()),
        unmatched=unmatched,
    )


def _of_shard(shard: Shard | None, units: list[WorkUnit]) -> list[WorkUnit]:
    return select(shard, units, lambda u: (u.family, u.index))


def leaderboard(run_dir: Path) -> list[Entry]:
    """Family and capability rows, then counterfactual-pair rows (``kind="pairs"``)."""
    from vidreason import store
    from vidreason.report.aggregate import leaderboard as aggregate
    from vidreason.report.aggregate import pair_leaderboard

    try:
        all_rows = store.rows(Path(run_dir))
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from None
    return aggregate(all_rows) + pair_leaderboard(all_rows)


def leaderboard_json(run_dir: Path) -> str:
    """``{"entries": [...], "runs": [...], "answers": {...}}``: the leaderboard rows, per
    (model, suite) what its current rows are made of (see ``run_status``), and the
    answers' accuracies with where each model's answers came from."""
    entries = [e.to_dict() for e in leaderboard(run_dir)]
    answers = {
        "entries": [e.to_dict() for e in answer_leaderboard(run_dir)],
        "sets": [s.to_dict() for s in answer_sets(run_dir)],
    }
    return json.dumps(
        {"entries": entries, "runs": [r.to_dict() for r in runs(run_dir)], "answers": answers},
        indent=1,
    )


def answer_leaderboard(run_dir: Path) -> list:
    """Accuracy on the suites' questions per model (and baseline): overall, per question
    kind, family and capability (``report.answers.AnswerEntry``)."""
    from vidreason import store
    from vidreason.report.answers import answer_leaderboard as board

    try:
        return board(store.answer_rows(Path(run_dir)))
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from None


def answer_sets(run_dir: Path) -> list:
    """Per (model, suite) with answers: the file they came from, when, and the counts."""
    from vidreason import store

    try:
        return store.answer_sets(Path(run_dir))
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from None


def runs(run_dir: Path) -> list[RunStatus]:
    """Per (model, suite) in the store: its current rows, how many are missing,
    unreadable or failed, how many are still pending, the files of its last run that
    matched no instance, and which package versions scored them."""
    from vidreason import store

    try:
        current = store.rows(Path(run_dir))
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from None
    latest = store.latest_runs(Path(run_dir))
    pending = store.pending(Path(run_dir))
    groups: dict[tuple[str, str], list] = {}
    for r in current:
        groups.setdefault((r.model, r.suite), []).append(r)
    out = []
    for key in sorted(set(groups) | set(pending)):
        rows = groups.get(key, [])
        last = latest.get(key)
        out.append(
            RunStatus(
                model=key[0],
                suite=key[1],
                rows=len(rows),
                passed=sum(r.passed for r in rows),
                missing=sum(r.status == "missing" for r in rows),
                unreadable=sum(r.status == "unreadable" for r in rows),
                errors=sum(r.status == "error" for r in rows),
                pending=pending.get(key, 0),
                unmatched=last.unmatched if last else (),
                source=last.source if last else "",
                last_run=(last.finished or last.started) if last else "",
                package_versions=tuple(sorted({r.package_version for r in rows} - {""})),
                verifier_versions=len({r.verifier_version for r in rows}),
            )
        )
    return out


def forget(run_dir: Path, model: str, suite: str | None = None) -> int:
    """Remove a model's rows (on one suite, if given) from the store, its answers to the
    questions too; returns how many scores (``forget_answers`` says how many answers)."""
    from vidreason import store

    known = {(r.model, r.suite) for r in runs(run_dir)}
    known |= {(s.model, s.suite) for s in answer_sets(run_dir)}
    if not any(m == model and (suite is None or s == suite) for m, s in known):
        have = ", ".join(sorted(f"{m} ({s})" if s else m for m, s in known)) or "nothing"
        where = f" on suite {suite!r}" if suite else ""
        raise UserError(
            f"{store.store_path(Path(run_dir))}: no rows of {model!r}{where} (has: {have})"
        )
    store.forget_answers(Path(run_dir), model, suite)
    return store.forget(Path(run_dir), model, suite)


def report(run_dir: Path, out: Path | None = None) -> Path:
    from vidreason import store
    from vidreason.report.html import write_report

    if not store.store_path(Path(run_dir)).is_file():
        raise UserError(f"{store.store_path(Path(run_dir))}: no results store here")
    return write_report(Path(run_dir), out)


__all__ = [
    "DATA_FORMATS",
    "RunStatus",
    "RunSummary",
    "answer_leaderboard",
    "answer_sets",
    "forget",
    "generate",
    "generate_dataset",
    "leaderboard",
    "load_models",
    "report",
    "resolve_suite",
    "run_model",
    "run_models",
    "runs",
    "score_folder",
]
