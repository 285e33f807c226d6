"""The reward API: decoded frames in memory, scored as their video file would be."""

from __future__ import annotations

import numpy as np
import pytest

import vidreason
from vidreason.instance_io import write_instance
from vidreason.render.video_io import read_video
from vidreason.rewards import Reward, as_frames, reward
from vidreason.scoring import score_video
from vidreason.tasks import build_instance, get_family
from vidreason.types import VideoFormat


@pytest.fixture(scope="module")
def projectile(tmp_path_factory):
    """A projectile instance written to a folder, and its ground truth as decoded."""
    inst, frames = build_instance(get_family("projectile"), 0, 0, 1, VideoFormat())
    folder = write_instance(inst, frames, tmp_path_factory.mktemp("inst") / "00000")
    return inst, folder, read_video(folder / "ground_truth.mp4").frames


def test_the_truth_scores_as_its_file_does(projectile):
    inst, folder, truth = projectile
    (value,) = reward([truth], [folder])
    assert value == score_video(folder / "ground_truth.mp4", folder).value
    assert value >= 0.95
    assert vidreason.reward([truth], inst)[0] >= 0.95  # an Instance: no conditioning image


def test_a_batch_of_candidates_is_ranked(projectile):
    """Several candidates for one prompt: the truth first; a frozen clip and a clip that
    runs backwards both fail, and ``dense`` still tells them apart from each other."""
    _, folder, truth = projectile
    frozen = np.repeat(truth[:1], len(truth), axis=0)
    backwards = truth[::-1].copy()
    got = reward(np.stack([truth, frozen, backwards]), folder, dense=True)
    assert all(isinstance(r, Reward) for r in got)
    best, still, back = got
    assert best.passed and best.value >= 0.95 and best.dense >= 0.95
    assert not still.passed and not back.passed
    assert still.value < 0.5 and back.value < 0.5
    for r in got:
        assert r.dense == pytest.approx(np.mean(list(r.checks.values())), abs=1e-6)
        assert 0.0 <= r.value <= r.dense <= 1.0
    assert best.dense > max(still.dense, back.dense)


def test_any_layout_dtype_and_size(projectile):
    """(T, 3, H, W) floats in [0, 1] at another size score like the uint8 frames."""
    _, folder, truth = projectile
    small = truth[:, ::2, ::2]  # half the size
    floats = small.transpose(0, 3, 1, 2).astype(np.float32) / 255.0
    assert np.array_equal(as_frames(floats), small)
    a, b = reward([small, floats], folder)
    assert a == b and a >= 0.95


def test_torch_tensors():
    torch = pytest.importorskip("torch")
    frames = torch.rand(4, 3, 8, 10)
    got = as_frames(frames)
    assert got.shape == (4, 8, 10, 3) and got.dtype == np.uint8
    want = np.clip(np.rint(frames.numpy().transpose(0, 2, 3, 1) * 255), 0, 255)
    assert np.array_equal(got, want.astype(np.uint8))


def test_a_bad_video_fails_alone(projectile):
    _, folder, truth = projectile
    bad, good = reward([np.zeros((3, 8, 8)), truth], [folder, folder], dense=True)
    assert bad.value == 0 and not bad.passed and "(3, 8, 8)" in bad.error
    assert good.passed
    with pytest.raises(ValueError, match="2 videos but 1 instances"):
        reward([truth, truth], [folder])


def test_an_instance_with_its_first_frame_undoes_a_zoom(projectile):
    """Registered to the conditioning image, a 5% zoom is harmless; registered to its own
    (zoomed) first frame, it is not."""
    from vidreason.corruptions import BY_NAME

    inst, folder, truth = projectile
    zoomed = BY_NAME["zoom 5%"].fn(inst, truth, np.random.default_rng(0)).frames
    by_folder, by_image, alone = (
        reward([zoomed], folder)[0],
        reward([zoomed], inst, first_frames=truth[0])[0],
        reward([zoomed], inst)[0],
    )
    assert by_folder >= 0.95 and by_image >= 0.95
    assert alone < by_image


def test_the_example_ranks_the_truth_first(capsys):
    import runpy
    import sys
    from pathlib import Path

    example = Path(__file__).parents[1] / "examples" / "rank_candidates.py"
    argv = sys.argv
    sys.argv = [str(example)]
    try:
        runpy.run_path(str(example), run_name="__main__")
    finally:
        sys.argv = argv
    names = [row[:16].strip() for row in capsys.readouterr().out.splitlines()[1:]]
    wrong = {"gravity x1.25", "vanish", "freeze"}
    assert set(names[-3:]) == wrong, names  # every harmless change ranks above every wrong one
    assert len(names) == 7 and "clean" in names[:4]
