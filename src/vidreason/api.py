"""The public functions behind every CLI verb: generate, run, score, leaderboard, report.

Each takes and returns plain values, so scripts and notebooks call the same code the
CLI does. A suite argument is either a suite name (generated into the run directory,
once) or the path of a generated suite folder.
"""

from __future__ import annotations

import json
from pathlib import Path

from vidreason.errors import UserError
from vidreason.instance_io import find_instances
from vidreason.report.aggregate import Entry
from vidreason.runner.local import RunSummary, run_units
from vidreason.runner.plan import plan_folder, plan_model
from vidreason.suites import SUITE_FILE, SUITES, generate_suite
from vidreason.suites import generate_suite as generate


def resolve_suite(
    suite: str,
    run_dir: Path,
    seed: int = 0,
    n: int | None = None,
    workers: int | None = None,
    progress: bool = False,
) -> Path:
    """A suite folder: ``suite`` itself if it is one, else the named suite generated
    under ``run_dir/suites/<name>-seed<seed>[-n<n>]`` (reused when already there)."""
    path = Path(suite)
    if path.is_dir():
        if not find_instances(path):
            raise UserError(f"{path}: no task instances in this folder")
        return path
    if suite not in SUITES:
        SUITES.get(suite)  # raises with "did you mean"
    name = f"{suite}-seed{seed}" + (f"-n{n}" if n is not None else "")
    out = Path(run_dir) / "suites" / name
    if not (out / SUITE_FILE).is_file():
        generate_suite(suite, out, n=n, seed=seed, workers=workers, progress=progress)
    return out


def run_model(
    model: str | list[str],
    suite: str,
    run_dir: Path,
    seed: int = 0,
    n: int | None = None,
    workers: int | None = None,
    progress: bool = False,
) -> RunSummary:
    """Generate videos with built-in model(s) for every instance of a suite, then score them."""
    from vidreason.models import get_model

    names = list(dict.fromkeys([model] if isinstance(model, str) else model))
    models = [get_model(m) for m in names]
    suite_dir = resolve_suite(suite, run_dir, seed=seed, n=n, workers=workers, progress=progress)
    instances = find_instances(suite_dir)
    units = [u for m in models for u in plan_model(m.name, m.version, instances, Path(run_dir))]
    return run_units(units, Path(run_dir), workers=workers, progress=progress)


def demo(run_dir: Path, workers: int | None = None, progress: bool = False) -> RunSummary:
    """The smoke suite, the oracle and every trivial baseline, scored into ``run_dir``."""
    from vidreason.checks import BASELINE_NAMES

    return run_model(
        ["oracle", *BASELINE_NAMES], "smoke", run_dir, workers=workers, progress=progress
    )


def score_folder(
    suite_dir: Path,
    videos: Path,
    model_name: str,
    run_dir: Path,
    workers: int | None = None,
    progress: bool = False,
) -> RunSummary:
    """Score the videos an external model wrote to ``<videos>/<family>-v<N>/<index:05d>.mp4``."""
    videos = Path(videos)
    if not videos.is_dir():
        raise UserError(f"{videos}: no such videos folder")
    if not model_name.strip():
        raise UserError("--model-name must not be empty")
    instances = find_instances(Path(suite_dir))
    if not instances:
        raise UserError(f"{suite_dir}: no task instances in this folder")
    units = plan_folder(model_name, instances, videos)
    return run_units(units, Path(run_dir), workers=workers, progress=progress)


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
    return json.dumps([e.to_dict() for e in leaderboard(run_dir)], indent=1)


def report(run_dir: Path, out: Path | None = None) -> Path:
    from vidreason import store
    from vidreason.report.html import write_report

    if not store.store_path(Path(run_dir)).is_file():
        raise UserError(f"{store.store_path(Path(run_dir))}: no results store here")
    return write_report(Path(run_dir), out)


__all__ = [
    "RunSummary",
    "generate",
    "leaderboard",
    "report",
    "resolve_suite",
    "run_model",
    "score_folder",
]
