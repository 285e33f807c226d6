"""Planning and running work units: content-hash keys, skipping, resuming, failures."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from pathlib import Path

import numpy as np
import pytest

from vidreason import api, store
from vidreason.instance_io import find_instances
from vidreason.models import MODELS, get_model
from vidreason.models.base import FrameModel, GenerationRequest
from vidreason.runner import local
from vidreason.runner.local import run_units
from vidreason.runner.plan import plan_folder, plan_model, video_name


def _keys(units) -> list[str]:
    return [u.key for u in units]


def _stored_keys(run_dir: Path) -> list[str]:
    con = sqlite3.connect(store.store_path(run_dir))
    try:
        return [k for (k,) in con.execute("SELECT key FROM scores ORDER BY key")]
    finally:
        con.close()


@pytest.fixture
def executed(monkeypatch) -> list[str]:
    """The keys of the units ``run_units`` executes (in-process, so workers=1 only)."""
    seen: list[str] = []
    real = local.execute

    def spy(unit):
        seen.append(unit.key)
        return real(unit)

    monkeypatch.setattr(local, "execute", spy)
    return seen


def test_video_name_is_family_folder_and_index(suite_dir):
    d = suite_dir / "bounce-v1" / "00001"
    assert video_name(d) == Path("bounce-v1") / "00001.mp4"


def test_model_keys_are_deterministic_and_follow_the_version(suite_dir, tmp_path):
    dirs = find_instances(suite_dir)
    a = plan_model("static", "1", dirs, tmp_path / "r1")
    b = plan_model("static", "1", dirs, tmp_path / "r2")  # the run folder is not an input
    assert _keys(a) == _keys(b)
    assert len(set(_keys(a))) == len(dirs)
    assert all(u.generate for u in a)
    assert a[0].video == (tmp_path / "r1" / "videos" / "static" / video_name(dirs[0])).resolve()
    bumped = plan_model("static", "2", dirs, tmp_path / "r1")
    assert not set(_keys(a)) & set(_keys(bumped))
    other = plan_model("blank", "1", dirs, tmp_path / "r1")
    assert not set(_keys(a)) & set(_keys(other))


def test_keys_follow_task_json(suite_dir, tmp_path):
    src = suite_dir / "projectile-v1" / "00000"
    copy = tmp_path / "suite" / "projectile-v1" / "00000"
    shutil.copytree(src, copy)
    (before,) = plan_model("static", "1", [copy], tmp_path / "r")
    assert before.key == plan_model("static", "1", [src], tmp_path / "r")[0].key
    task = copy / "task.json"
    task.write_text(task.read_text() + "\n")  # same content, different bytes
    (after,) = plan_model("static", "1", [copy], tmp_path / "r")
    assert after.key != before.key


def test_folder_keys_follow_the_video_bytes(suite_dir, truth_videos):
    dirs = find_instances(suite_dir)
    a = plan_folder("mine", dirs, truth_videos)
    assert _keys(a) == _keys(plan_folder("mine", dirs, truth_videos))
    assert not any(u.generate for u in a)
    assert _keys(a) != _keys(plan_folder("yours", dirs, truth_videos))
    video = truth_videos / video_name(dirs[2])
    video.write_bytes(video.read_bytes() + b"\0")
    b = plan_folder("mine", dirs, truth_videos)
    changed = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x.key != y.key]
    assert changed == [2]
    video.unlink()
    c = plan_folder("mine", dirs, truth_videos)
    assert c[2].key not in (a[2].key, b[2].key)
    assert c[2].video == video.resolve()


def test_a_rerun_scores_nothing_new(suite_dir, tmp_path, executed):
    dirs = find_instances(suite_dir)[:3]
    units = plan_model("oracle", "1", dirs, tmp_path)
    first = run_units(units, tmp_path, workers=1)
    assert (first.total, first.skipped, first.scored, first.errors) == (3, 0, 3, ())
    executed.clear()
    again = run_units(plan_model("oracle", "1", dirs, tmp_path), tmp_path, workers=1)
    assert again.skipped == again.total == 3 and again.scored == 0
    assert executed == []
    assert len(store.rows(tmp_path)) == 3


def test_a_killed_run_resumes_where_it_stopped(small_suite, tmp_path, executed):
    dirs = find_instances(small_suite)[::2]  # instance 0 of every family
    units = plan_model("oracle", "1", dirs, tmp_path) + plan_model("static", "1", dirs, tmp_path)
    done_first = units[::3]  # the units that landed before the "kill"
    run_units(done_first, tmp_path, workers=1)
    executed.clear()
    summary = run_units(units, tmp_path, workers=1)
    assert summary.total == len(units) == 2 * len(dirs)
    assert summary.skipped == len(done_first) and summary.scored == len(units) - len(done_first)
    assert sorted(executed) == sorted(set(_keys(units)) - set(_keys(done_first)))
    assert _stored_keys(tmp_path) == sorted(_keys(units))  # each key exactly once
    rows = store.rows(tmp_path)
    assert all(r.value >= 0.95 for r in rows if r.model == "oracle")
    assert all(r.value <= 0.10 for r in rows if r.model == "static")


def test_a_corrupt_or_missing_video_does_not_stop_the_folder(
    small_suite, small_truth_videos, tmp_path
):
    dirs = find_instances(small_suite)
    corrupt = small_truth_videos / video_name(dirs[1])
    corrupt.write_bytes(b"\x00\x01garbage, not an mp4\xff" * 40)
    missing = small_truth_videos / video_name(dirs[4])
    missing.unlink()
    summary = api.score_folder(small_suite, small_truth_videos, "mine", tmp_path, workers=1)
    n = len(dirs)
    assert (summary.total, summary.scored, summary.skipped) == (n, n, 0)
    assert summary.missing == (str(missing.resolve()),)
    assert summary.unreadable == (str(corrupt.resolve()),)
    assert summary.errors == ()
    by_video = {Path(r.video): r for r in store.rows(tmp_path)}
    assert len(by_video) == n
    bad = by_video[corrupt.resolve()]
    assert bad.value == 0 and bad.passed is False and bad.status == "unreadable"
    assert str(corrupt.resolve()) in bad.error and "cannot decode" in bad.error
    gone = by_video[missing.resolve()]
    assert gone.value == 0 and gone.passed is False and gone.status == "missing"
    assert str(missing.resolve()) in gone.error and "missing" in gone.error
    good = [r for v, r in by_video.items() if v not in (corrupt.resolve(), missing.resolve())]
    assert len(good) == n - 2
    assert all(r.value >= 0.95 and r.passed and not r.error for r in good)
    assert all(r.status == "scored" and r.package_version and r.scored_at for r in good)
    (status,) = api.runs(tmp_path)
    assert (status.rows, status.missing, status.unreadable, status.pending) == (n, 1, 1, 0)


def test_rescoring_a_changed_video_replaces_its_score(small_suite, small_truth_videos, tmp_path):
    dirs = find_instances(small_suite)
    api.score_folder(small_suite, small_truth_videos, "mine", tmp_path, workers=1)
    video = small_truth_videos / video_name(dirs[0])
    video.write_bytes(b"not a video any more")
    api.score_folder(small_suite, small_truth_videos, "mine", tmp_path, workers=1)
    rows = store.rows(tmp_path)
    assert len(rows) == len(dirs)
    assert min(r.value for r in rows) == 0  # the new, broken video's score is the one kept


@pytest.fixture
def flaky_model():
    """A throwaway model that raises on collision-v1 and writes static frames otherwise."""

    def make_frames(r: GenerationRequest) -> np.ndarray:
        if r.family == "collision-v1":
            raise RuntimeError("the GPU caught fire")
        return get_model("static").make_frames(r)  # type: ignore[attr-defined]

    name = f"test-flaky-{uuid.uuid4().hex[:8]}"
    model = MODELS.add(name, FrameModel(name, "1", make_frames, "raises on collisions"))
    yield model
    MODELS._entries.pop(name)


def test_a_model_that_raises_gives_an_error_row(suite_dir, tmp_path, flaky_model):
    dirs = [suite_dir / f / "00000" for f in ("bounce-v1", "collision-v1", "projectile-v1")]
    units = plan_model(flaky_model.name, flaky_model.version, dirs, tmp_path)
    summary = run_units(units, tmp_path, workers=1)
    assert (summary.total, summary.scored) == (3, 3)
    assert len(summary.errors) == 1
    rows = {r.family: r for r in store.rows(tmp_path)}
    assert set(rows) == {"bounce-v1", "collision-v1", "projectile-v1"}
    failed = rows["collision-v1"]
    assert failed.value == 0 and failed.passed is False and failed.checks == {}
    assert flaky_model.name in failed.error
    assert "RuntimeError: the GPU caught fire" in failed.error
    assert str(dirs[1].resolve()) in failed.error
    assert summary.errors == (failed.error,)
    for fam in ("bounce-v1", "projectile-v1"):  # the run went on after the failure
        assert rows[fam].error == "" and rows[fam].checks
        assert Path(rows[fam].video).is_file()


def test_two_workers_give_the_same_rows_as_one(small_suite, tmp_path):
    dirs = find_instances(small_suite)[::2]  # instance 0 of every family

    def run(workers: int) -> list[tuple]:
        run_dir = tmp_path / f"w{workers}"
        units = [u for m in ("oracle", "static") for u in plan_model(m, "1", dirs, run_dir)]
        summary = run_units(units, run_dir, workers=workers)
        assert summary.scored == summary.total == 2 * len(dirs) and not summary.errors
        assert all(Path(u.video).is_file() for u in units)  # the workers wrote the videos
        return [
            (r.key, r.model, r.family, r.idx, r.value, r.passed, r.checks, r.explanation)
            for r in store.rows(run_dir)
        ]

    one, two = run(1), run(2)
    assert len(one) == 2 * len(dirs)
    assert one == two


def _mean(run_dir: Path, model: str = "mine") -> float:
    rows = [r for r in store.rows(run_dir) if r.model == model]
    return sum(r.value for r in rows) / len(rows)


def test_wrong_folder_then_the_right_one_restores_the_scores(
    small_suite, small_truth_videos, tmp_path
):
    """Scoring an empty folder by mistake, then the right folder again: the leaderboard
    shows the right videos' scores, reused from the store without scoring them again."""
    run_dir = tmp_path / "run"
    first = api.score_folder(small_suite, small_truth_videos, "mine", run_dir, workers=1)
    good = _mean(run_dir)
    assert first.scored == first.total and good >= 0.95
    empty = tmp_path / "empty"
    empty.mkdir()
    wrong = api.score_folder(small_suite, empty, "mine", run_dir, workers=1)
    assert len(wrong.missing) == wrong.total and _mean(run_dir) == 0
    again = api.score_folder(small_suite, small_truth_videos, "mine", run_dir, workers=1)
    assert again.skipped == again.total and again.scored == 0
    assert _mean(run_dir) == good
    assert len(store.rows(run_dir)) == first.total
    (status,) = api.runs(run_dir)
    assert status.missing == 0 and status.rows == first.total


def test_files_matching_no_instance_are_reported(small_suite, small_truth_videos, tmp_path):
    dirs = find_instances(small_suite)
    right = small_truth_videos / video_name(dirs[1])
    misnamed = right.parent / "1.mp4"
    right.rename(misnamed)
    (small_truth_videos / "notes.txt").write_text("hello")
    (small_truth_videos / "my-video.mp4.json").write_text("{}")  # a record beside a video: fine
    summary = api.score_folder(small_suite, small_truth_videos, "mine", tmp_path, workers=1)
    assert summary.unmatched == (f"{right.parent.name}/1.mp4", "notes.txt")
    assert summary.missing == (str(right.resolve()),)
    (status,) = api.runs(tmp_path)
    assert status.unmatched == summary.unmatched


def test_two_suites_in_one_run_folder_keep_their_own_rows(small_suite, tmp_path):
    import json

    other = tmp_path / "other-suite"
    shutil.copytree(small_suite / "projectile-v1", other / "projectile-v1")
    meta = json.loads((small_suite / "suite.json").read_text())
    (other / "suite.json").write_text(json.dumps({**meta, "suite": "mine"}))
    run_dir = tmp_path / "run"
    api.run_model("oracle", str(small_suite), run_dir, workers=1)
    api.run_model("oracle", str(other), run_dir, workers=1)
    suites = {s.suite: s.rows for s in api.runs(run_dir)}
    assert suites == {
        "smoke-s0-256x256-16fps-48f": len(find_instances(small_suite)),
        "mine-s0-256x256-16fps-48f": 2,
    }
    board = {(e.suite, e.n) for e in api.leaderboard(run_dir) if e.family == "projectile-v1"}
    assert board == {("smoke-s0-256x256-16fps-48f", 2), ("mine-s0-256x256-16fps-48f", 2)}


def test_keys_follow_the_verifier_version_in_code(suite_dir, tmp_path, monkeypatch):
    from vidreason import verifier_version as version

    dirs = find_instances(suite_dir)[:2]
    before = plan_model("static", "1", dirs, tmp_path)
    assert before[0].verifier_version.endswith(f"+shared@{version.SHARED_VERSION}")
    monkeypatch.setattr(version, "SHARED_VERSION", version.SHARED_VERSION + 1)
    after = plan_model("static", "1", dirs, tmp_path)
    assert not set(_keys(before)) & set(_keys(after))


def test_a_pair_with_a_missing_video_is_a_failed_pair(suite_dir, truth_videos, tmp_path):
    suite = tmp_path / "suite"
    shutil.copytree(suite_dir / "dominoes-v1", suite / "dominoes-v1")
    (truth_videos / "dominoes-v1" / "00001.mp4").unlink()
    api.score_folder(suite, truth_videos, "mine", tmp_path / "run", workers=1)
    (pairs,) = [e for e in api.leaderboard(tmp_path / "run") if e.kind == "pairs"]
    assert (pairs.n, pairs.pass_rate) == (1, 0.0)
    from vidreason.pairs import score_pairs

    (p,) = score_pairs(store.rows(tmp_path / "run"))
    assert "the counterfactual video fails" in p.note and "missing" in p.note


def test_a_stopped_generation_takes_no_more_units_and_its_workers_end(small_suite, tmp_path):
    """Ctrl-C during a run stops its generation workers before the process exits: a worker
    still inside a library call while the interpreter shuts down can abort the process."""
    import threading
    import time

    from vidreason.models.baselines import static
    from vidreason.runner import generation

    def slow(r: GenerationRequest) -> np.ndarray:
        time.sleep(0.3)
        return static(r)

    model = FrameModel("slow", "1", slow)
    dirs = find_instances(small_suite)
    units = plan_model("slow", "1", dirs, tmp_path / "r")
    made = threading.Event()
    ready = []

    def on_ready(unit):
        ready.append(unit)
        made.set()

    running = generation.start({"slow": model}, units, on_ready)
    assert made.wait(30)
    generation.stop(running, timeout=10)
    assert not any(t.is_alive() for t in running.threads)
    assert 1 <= len(ready) < len(units)  # the rest were never started
    assert all(u.video.is_file() for u in ready)
