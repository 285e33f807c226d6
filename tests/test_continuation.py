"""The continuation protocol: a suite generated with K context frames gives the model the
first K true frames (``context.mp4``); the model returns the rest and only that is judged.

Real suites, real H.264 through PyAV, real scoring; the frozen baseline and a planted
violation after the context must fail, the oracle's continuation must pass.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from vidreason import api, store
from vidreason.cli import app
from vidreason.conformance import check
from vidreason.context_check import PLANTED
from vidreason.errors import UserError
from vidreason.instance_io import CONTEXT_FILE, load_instance
from vidreason.models import MODELS, ModelCard
from vidreason.models.base import FrameModel, request_for
from vidreason.models.baselines import static
from vidreason.render.video_io import read_video, write_mp4
from vidreason.runner.plan import plan_model, suite_id
from vidreason.scoring import score_video
from vidreason.suites import generate_suite

K = 12  # a quarter of the default 48 frames


def _suite(root: Path, families: list[str], k: int = K) -> Path:
    out = root / (f"ctx{k}" if k else "plain")
    generate_suite("smoke", out, n=1, seed=0, families=families, workers=1, context_frames=k)
    return out


@pytest.fixture(scope="module")
def suites(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """projectile (2D), instance 0, generated with and without K context frames."""
    root = tmp_path_factory.mktemp("continuation")
    return _suite(root, ["projectile"], K), _suite(root, ["projectile"], 0)


def _inst(suite: Path, family: str = "projectile-v1") -> Path:
    return suite / family / "00000"


def _continue(model_name: str, inst_dir: Path, out: Path) -> Path:
    model = PLANTED if model_name == PLANTED.name else MODELS.get(model_name)
    return Path(model.generate([request_for(inst_dir, out)])[0])


def test_context_mp4_holds_the_first_k_true_frames(suites):
    ctx_suite, _ = suites
    d = _inst(ctx_suite)
    context = read_video(d / CONTEXT_FILE).frames
    truth = read_video(d / "ground_truth.mp4").frames
    assert len(context) == K
    diff = np.abs(context.astype(int) - truth[:K].astype(int))
    assert diff.mean() < 1.0 and np.percentile(diff, 99.9) <= 12  # the same frames, H.264
    assert load_instance(d).context_frames == K
    meta = json.loads((ctx_suite / "suite.json").read_text())
    assert meta["context_frames"] == K
    assert suite_id(ctx_suite).endswith(f"-ctx{K}")


def test_without_k_nothing_changes(suites):
    ctx_suite, plain = suites
    a, b = _inst(ctx_suite), _inst(plain)
    assert not (b / CONTEXT_FILE).exists()
    for name in ("first_frame.png", "final_frame.png", "prompt.txt", "ground_truth.mp4"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    task_a, task_b = (json.loads((d / "task.json").read_text()) for d in (a, b))
    assert "context_frames" not in task_b
    assert {k: v for k, v in task_a.items() if k != "context_frames"} == task_b
    assert "context_frames" not in json.loads((plain / "suite.json").read_text())
    assert "ctx" not in suite_id(plain)


def test_oracle_continues_frozen_and_planted_fail(suites, tmp_path):
    d = _inst(suites[0])
    scores = {}
    for name in ("oracle", "static", "teleport-after-context"):
        video = _continue(name, d, tmp_path / f"{name}.mp4")
        assert read_video(video).n_frames == 48 - K  # only the frames after the context
        scores[name] = score_video(video, d)
    assert scores["oracle"].value >= 0.95, scores["oracle"].explanation
    assert scores["static"].value <= 0.1, scores["static"].explanation
    assert scores["teleport-after-context"].value <= 0.1
    assert "continuity" in scores["teleport-after-context"].explanation
    for s in scores.values():
        assert s.outcome["continuation"]["context_frames"] == K
        assert f"scored after {K} context frames" in s.explanation


def test_a_continuation_that_does_not_continue_is_caught(suites, tmp_path):
    """The model's first frame must follow the last context frame: the truth's frames
    from a later moment (a jump at the seam) fail."""
    d = _inst(suites[0])
    truth = read_video(d / "ground_truth.mp4").frames
    late = write_mp4(truth[K + 6 :], tmp_path / "late.mp4", fps=16)
    score = score_video(late, d)
    assert score.value <= 0.1, score.explanation


def test_whole_clip_of_an_image_to_video_model_is_read_from_k(suites, tmp_path):
    d = _inst(suites[0])
    truth = read_video(d / "ground_truth.mp4").frames
    whole = write_mp4(truth, tmp_path / "whole.mp4", fps=16)
    right = score_video(whole, d, whole_clip=True)
    assert right.value >= 0.95 and right.outcome["continuation"]["video"] == "whole clip"
    # the same whole clip read as a continuation starts over at K: it does not continue
    assert score_video(whole, d).value <= 0.1
    # the context of a whole clip is the truth's, whatever the model drew there
    wrong_start = truth.copy()
    wrong_start[:K] = truth[0]
    held = write_mp4(wrong_start, tmp_path / "held.mp4", fps=16)
    assert score_video(held, d, whole_clip=True).value >= 0.95


def test_a_video_with_nothing_after_the_context_fails_with_the_reason(suites, tmp_path):
    d = _inst(suites[0])
    truth = read_video(d / "ground_truth.mp4").frames
    short = write_mp4(truth[: K - 2], tmp_path / "short.mp4", fps=16)
    score = score_video(short, d, whole_clip=True)
    assert score.value == 0 and "no frames after the 12 context frames" in score.error


def test_units_know_whole_clips_and_keys_differ(suites, tmp_path):
    ctx_suite, plain = suites
    cont = plan_model("m", "1", [_inst(ctx_suite)], tmp_path)[0]
    whole = plan_model("m", "1", [_inst(ctx_suite)], tmp_path, whole_clip=True)[0]
    assert not cont.whole_clip and whole.whole_clip and cont.key != whole.key
    plain_unit = plan_model("m", "1", [_inst(plain)], tmp_path, whole_clip=True)[0]
    assert not plain_unit.whole_clip  # no context: the flag means nothing, the key is as before
    assert plain_unit.key == plan_model("m", "1", [_inst(plain)], tmp_path)[0].key


def test_run_scores_builtin_continuations_and_image_to_video_whole_clips(suites, tmp_path):
    ctx_suite, _ = suites

    def whole_truth(r):  # an image-to-video model: the whole clip, context included
        return read_video(r.instance_dir / "ground_truth.mp4").frames

    i2v = FrameModel("i2v-truth", "1", whole_truth)
    models = [MODELS.get("oracle"), MODELS.get("static"), i2v]
    api.run_models(models, str(ctx_suite), tmp_path / "run", workers=1)
    rows = {r.model: r for r in store.rows(tmp_path / "run")}
    assert rows["oracle"].value >= 0.95 and rows["i2v-truth"].value >= 0.95
    assert rows["static"].value <= 0.1
    assert rows["i2v-truth"].outcome["continuation"]["video"] == "whole clip"
    assert rows["oracle"].outcome["continuation"]["video"] == "continuation"


def test_a_continuation_model_needs_a_continuation_suite(suites, tmp_path):
    ctx_suite, plain = suites
    model = FrameModel("cont", "1", static, card=ModelCard(modality="continuation"))
    with pytest.raises(UserError, match="continuation model"):
        api.run_models([model], str(plain), tmp_path / "a", workers=1)
    picky = FrameModel(
        "cont8", "1", static, card=ModelCard(modality="continuation", context_frames=8)
    )
    with pytest.raises(UserError, match="takes 8"):
        api.run_models([picky], str(ctx_suite), tmp_path / "b", workers=1)


@pytest.mark.parametrize("k", ["1", "37", "-3"])
def test_a_bad_k_is_one_line(tmp_path, k):
    runner = CliRunner()
    for args in (
        ["generate", "--suite", "smoke", "--out", str(tmp_path / "s"), "--context-frames", k],
        ["check", "projectile", "--context-frames", k],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "need 2 to 36 for 48-frame videos" in lines[0], lines


def test_generating_with_k_over_a_suite_without_rewrites_it(tmp_path):
    out = tmp_path / "s"
    generate_suite("smoke", out, n=1, families=["projectile"], workers=1)
    generate_suite("smoke", out, n=1, families=["projectile"], workers=1, context_frames=K)
    assert (_inst(out) / CONTEXT_FILE).is_file()
    assert load_instance(_inst(out)).context_frames == K
    generate_suite("smoke", out, n=1, families=["projectile"], workers=1)
    assert not (_inst(out) / CONTEXT_FILE).exists()
    assert load_instance(_inst(out)).context_frames == 0


@pytest.mark.slow
@pytest.mark.parametrize("family", ["roll-3d", "maze", "bounce"])
def test_oracle_passes_and_frozen_fails_on_other_families(tmp_path, family):
    suite = _suite(tmp_path, [family])
    d = next(p for p in suite.glob("*/00000"))
    oracle = score_video(_continue("oracle", d, tmp_path / "o.mp4"), d)
    frozen = score_video(_continue("static", d, tmp_path / "s.mp4"), d)
    planted = score_video(_continue("teleport-after-context", d, tmp_path / "t.mp4"), d)
    assert oracle.value >= 0.95, oracle.explanation
    assert frozen.value <= 0.1, frozen.explanation
    assert planted.value <= 0.1, planted.explanation


@pytest.mark.slow
def test_check_proves_families_under_continuation(tmp_path):
    results = check(["projectile", "maze"], n=2, workers=1, context_frames=K, work_dir=tmp_path)
    for r in results:
        assert r.ok, (r.family, r.problems)
        assert r.context_frames == K and r.planted is not None and r.planted <= 0.1
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_one_run_dir_for_both_protocols_never_reuses_the_other_video(suites, tmp_path):
    ctx_suite, plain = suites
    oracle = [MODELS.get("oracle")]
    for suite in (plain, ctx_suite, plain):
        api.run_models(oracle, str(suite), tmp_path / "run", workers=1)
    rows = store.rows(tmp_path / "run")
    assert len(rows) == 2 and all(r.value >= 0.95 for r in rows), [r.explanation for r in rows]


def test_a_continuation_that_turns_back_at_the_seam_fails_seam(suites, tmp_path):
    """It starts where the context ends (no jump) but runs the context backwards."""
    d = _inst(suites[0])
    truth = read_video(d / "ground_truth.mp4").frames
    rewind = truth[:K][::-1]
    frames = np.concatenate([rewind, np.repeat(rewind[-1:], 48 - 2 * K, axis=0)])
    score = score_video(write_mp4(frames, tmp_path / "rewind.mp4", fps=16), d)
    assert score.checks["seam"] == 0.0 and score.value <= 0.1, score.explanation
    assert "does not carry on from the context" in score.explanation


def test_score_reads_a_folder_as_continuations_or_whole_clips(suites, tmp_path):
    ctx_suite, _ = suites
    d = _inst(ctx_suite)
    truth = read_video(d / "ground_truth.mp4").frames
    for name, frames in (("cont", truth[K:]), ("whole", truth)):
        write_mp4(frames, tmp_path / name / "projectile-v1" / "00000.mp4", fps=16)
    runner = CliRunner()
    for name, flag in (("cont", []), ("whole", ["--whole-clips"])):
        args = ["score", "--suite-dir", str(ctx_suite), "--videos", str(tmp_path / name)]
        args += ["--model-name", name, "--out", str(tmp_path / "run"), "--workers", "1", *flag]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    rows = {r.model: r for r in store.rows(tmp_path / "run")}
    assert rows["cont"].value >= 0.95 and rows["whole"].value >= 0.95
    assert rows["whole"].outcome["continuation"]["video"] == "whole clip"


def test_events_inside_the_context_are_named_as_given(suites):
    from dataclasses import replace

    from vidreason.context_check import context_notes
    from vidreason.scoring import given_events
    from vidreason.types import Event

    inst = load_instance(_inst(suites[0]))
    events = (
        Event("contact", 0, 0.0, ("block", "wall")),  # at rest from the start: no event
        Event("contact", 6, 0.375, ("ball", "wall")),
        Event("contact", 30, 1.875, ("ball", "block")),  # the model's to show
    )
    inst = replace(inst, events=events)
    assert given_events(inst) == ["contact ball/wall@6"]
    assert context_notes([inst]) == ["contact: 2 of 3 inside (1 from frame 0)"]


def test_a_config_card_may_say_the_model_continues(tmp_path):
    from vidreason.models.config import build_model, read_config

    path = tmp_path / "m.toml"
    path.write_text(
        'name = "o2"\nadapter = "builtin"\nmodel = "static"\n[card]\ncontinues = true\n'
    )
    assert build_model(read_config(path, [])).card.continuation
