"""The built-in models: the oracle and the trivial baselines write what they claim to."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vidreason.instance_io import read_png
from vidreason.models import MODELS, get_model, request_for
from vidreason.models.baselines import shuffle
from vidreason.render.video_io import read_video
from vidreason.tasks import FAMILIES

ALL_MODELS = ["blank", "jump-cut", "oracle", "reversed", "shuffled", "static"]
ALL_FAMILIES = FAMILIES.names()


def _frame_hashes(frames: np.ndarray) -> list[bytes]:
    return sorted(f.tobytes() for f in frames)


def test_the_six_built_in_models_are_registered():
    assert MODELS.names() == ALL_MODELS


@pytest.mark.parametrize("name", ALL_MODELS)
@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_every_model_writes_a_readable_video_in_the_suite_format(suite_dir, tmp_path, name, family):
    fmt = json.loads((suite_dir / "suite.json").read_text())["format"]
    inst = suite_dir / family / "00001"
    out = tmp_path / "deep" / "out.mp4"  # parent folders are created
    assert get_model(name).generate([request_for(inst, out)]) == [out]
    video = read_video(out)
    assert video.frames.shape == (fmt["n_frames"], fmt["height"], fmt["width"], 3)
    assert video.fps == pytest.approx(fmt["fps"])


def test_shuffled_is_deterministic(suite_dir, tmp_path):
    inst = suite_dir / "bounce-v1" / "00000"
    model = get_model("shuffled")
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    model.generate([request_for(inst, a)])
    model.generate([request_for(inst, b)])
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_shuffled_is_a_permutation_of_the_ground_truth(suite_dir, tmp_path, family):
    inst = suite_dir / family / "00000"
    truth = read_video(inst / "ground_truth.mp4").frames
    frames = shuffle(request_for(inst, tmp_path / "x.mp4"))
    assert frames.shape == truth.shape
    assert _frame_hashes(frames) == _frame_hashes(truth)  # the same frames ...
    moved = [i for i in range(len(truth)) if not np.array_equal(frames[i], truth[i])]
    assert len(moved) > len(truth) // 2  # ... in another order
    # and the written file decodes to (approximately) those frames
    written = read_video(get_model("shuffled").generate([request_for(inst, tmp_path / "s.mp4")])[0])
    assert np.abs(written.frames.astype(int) - frames).mean() < 2


def test_shuffled_order_depends_on_the_instance(suite_dir, tmp_path):
    a = shuffle(request_for(suite_dir / "bounce-v1" / "00000", tmp_path / "a.mp4"))
    b = shuffle(request_for(suite_dir / "bounce-v1" / "00001", tmp_path / "b.mp4"))
    ta = read_video(suite_dir / "bounce-v1" / "00000" / "ground_truth.mp4").frames
    tb = read_video(suite_dir / "bounce-v1" / "00001" / "ground_truth.mp4").frames

    def order(frames, truth):
        return [next(j for j in range(len(truth)) if np.array_equal(f, truth[j])) for f in frames]

    assert order(a, ta) != order(b, tb)


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_jump_cut_holds_the_first_frame_then_the_final_frame(suite_dir, tmp_path, family):
    inst = suite_dir / family / "00000"
    out = get_model("jump-cut").generate([request_for(inst, tmp_path / "j.mp4")])[0]
    frames = read_video(out).frames.astype(int)
    first = read_png(inst / "first_frame.png").astype(int)
    final = read_png(inst / "final_frame.png").astype(int)
    changed = np.abs(first - final).sum(axis=-1) > 90  # where the bodies were or went
    assert changed.sum() > 100  # the cut is visible at all

    def dist(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.abs(a - b)[changed].mean())

    cut = dist(first, final)
    assert cut > 40
    half = len(frames) // 2
    for f in frames[:half]:
        assert dist(f, first) < 8 and dist(f, final) > cut / 2
    for f in frames[half:]:
        assert dist(f, final) < 8 and dist(f, first) > cut / 2


def test_reversed_plays_the_ground_truth_backwards(suite_dir, tmp_path):
    inst = suite_dir / "projectile-v1" / "00000"
    truth = read_video(inst / "ground_truth.mp4").frames.astype(int)
    out = get_model("reversed").generate([request_for(inst, tmp_path / "r.mp4")])[0]
    assert np.abs(read_video(out).frames.astype(int) - truth[::-1]).mean() < 2


def test_static_and_blank_do_not_move(suite_dir, tmp_path):
    inst = suite_dir / "collision-v1" / "00000"
    first = read_png(inst / "first_frame.png").astype(int)
    static = read_video(get_model("static").generate([request_for(inst, tmp_path / "s.mp4")])[0])
    assert np.abs(static.frames.astype(int) - first[None]).mean() < 1.5
    blank = read_video(get_model("blank").generate([request_for(inst, tmp_path / "b.mp4")])[0])
    assert np.ptp(blank.frames.astype(int), axis=(0, 1, 2)).max() <= 4  # one flat colour


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_oracle_copies_the_ground_truth_bytes(suite_dir, tmp_path, family):
    inst = suite_dir / family / "00001"
    out = get_model("oracle").generate([request_for(inst, tmp_path / "o" / "x.mp4")])[0]
    assert out.read_bytes() == (inst / "ground_truth.mp4").read_bytes()


def test_a_batch_gives_one_video_per_request_in_order(suite_dir, tmp_path):
    insts = [suite_dir / "bounce-v1" / "00000", suite_dir / "projectile-v1" / "00001"]
    outs = [tmp_path / "1.mp4", tmp_path / "0.mp4"]
    model = get_model("oracle")
    assert model.generate([request_for(i, o) for i, o in zip(insts, outs, strict=True)]) == outs
    for i, o in zip(insts, outs, strict=True):
        assert o.read_bytes() == (i / "ground_truth.mp4").read_bytes()
