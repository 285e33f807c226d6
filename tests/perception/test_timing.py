"""A constant time offset (a held first frame, a motion blur's lag) fitted against the
ground truth's paths and taken out; a longer delay left to the law checks, and said."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.helpers import build, score_corrupted
from vidreason.corruptions import BY_NAME, encode
from vidreason.perception.timeline import MAX_DELAY, STEP, time_offset
from vidreason.render.video_io import read_video
from vidreason.scoring import score_frames
from vidreason.types import VideoFormat


def _shifted(inst, tau: float) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The truth's paths as a video running ``tau`` seconds behind it would show them."""
    fps = inst.spec.fmt.fps
    n = inst.spec.fmt.n_frames
    times = np.arange(n) / fps
    pos = {}
    for name in inst.trajectory.states:
        gt = inst.trajectory.xy(name)
        t = np.arange(len(gt)) / fps
        pos[name] = np.stack([np.interp(times - tau, t, gt[:, i]) for i in (0, 1)], axis=1)
    return pos, times


@pytest.mark.parametrize("frames", [0.0, 0.5, 1.0, 2.3, 3.0])
def test_the_offset_is_fitted_to_a_fraction_of_a_frame(frames):
    inst, _ = build("projectile")
    fps = inst.spec.fmt.fps
    pos, times = _shifted(inst, frames / fps)
    offset = time_offset(pos, times, inst)
    assert offset.fitted == pytest.approx(frames / fps, abs=1.01 * STEP / fps)
    assert offset.seconds == (0.0 if frames == 0 else offset.fitted)


def test_a_delay_beyond_the_allowance_is_measured_but_not_taken_out():
    inst, _ = build("bounce")
    pos, times = _shifted(inst, 2 * MAX_DELAY - 0.1)
    offset = time_offset(pos, times, inst)
    assert offset.seconds == 0.0
    assert offset.fitted == pytest.approx(2 * MAX_DELAY - 0.1, abs=0.01)


@pytest.mark.slow
@pytest.mark.parametrize("family", ["throw-3d", "blocker", "solidity"])
def test_a_late_start_and_motion_blur_pass_and_wrong_physics_still_fails(family, tmp_path):
    """A first frame held one frame longer, or each frame blended with the two before it
    (a centroid one frame behind), are read as a time offset and pass; a gravity off by
    25% and a teleport still fail."""
    inst, frames = build(family)
    for name, lag in [("start +1", 1.0), ("start +3", 3.0), ("blur 3 frames", 1.0)]:
        score, tracks = score_corrupted(name, inst, frames, tmp_path)
        assert score.passed, (name, score.explanation)
        fps = inst.spec.fmt.fps
        assert tracks.percept.timeline.delay * fps == pytest.approx(lag, abs=0.3), name
        assert "taken as a time offset" in score.explanation
    for name in ["gravity x1.25", "teleport 15%"]:
        score, _ = score_corrupted(name, inst, frames, tmp_path)
        assert not score.passed, (name, score.explanation)


@pytest.mark.slow
def test_a_start_later_than_the_allowance_fails_and_says_so(tmp_path):
    from vidreason.corruptions.nuisances import start_delay

    inst, frames = build("throw-3d")
    sample = start_delay(6)(inst, frames, np.random.default_rng(0))  # 0.375 s
    clip = read_video(encode(sample, tmp_path / "v"))
    score, tracks = score_frames(clip.frames, inst, frames[0], clip.times)
    assert not score.passed, score.explanation
    assert tracks.percept.timeline.delay == 0.0
    assert tracks.percept.timeline.late == pytest.approx(6 / 16, abs=0.01)
    assert re.search(r"runs 0\.3\d s behind the truth from the start", score.explanation)


@pytest.mark.slow
def test_a_late_video_is_read_to_its_end_by_score_video(tmp_path):
    """``score_video`` decodes past the task's duration by the longest offset it takes
    out, so a late video's last frames (where the truth's last moment is) are scored."""
    from vidreason.instance_io import write_instance
    from vidreason.scoring import read_scored_part, score_video

    inst, frames = build("bounce")
    folder = write_instance(inst, frames, tmp_path / "task")
    sample = BY_NAME["start +3"].fn(inst, frames, np.random.default_rng(0))
    video = encode(sample, tmp_path / "v")
    assert read_scored_part(video, inst).n_frames == len(frames) + 3
    score = score_video(video, folder)
    assert score.passed and "taken as a time offset" in score.explanation, score.explanation


@pytest.mark.parametrize("family", ["dominoes", "trigger", "identity"])
def test_a_rendering_read_as_rendered_is_read_as_registered(family):
    """The ground truth's own frames (a family's outcome is read off them) skip camera and
    light: they track to the same places as when both are measured."""
    from vidreason.perception.tracking import track_frames
    from vidreason.tasks import build_instance, get_family

    fam = get_family(family)
    inst, frames = build_instance(fam, 0, 1, 2, VideoFormat())
    measured = track_frames(frames, inst)
    rendered = track_frames(frames, inst, rendered=True)
    assert rendered.percept is not None
    assert np.array_equal(
        rendered.percept.camera.matrices[:, :, :2], np.tile(np.eye(2), (48, 1, 1))
    )
    np.testing.assert_array_equal(rendered.times, measured.times)
    for name, pos in measured.pos.items():  # (registration's own error on exact frames)
        np.testing.assert_allclose(rendered.pos[name], pos, atol=0.1, equal_nan=True)
    if fam.outcome is not None:
        assert fam.outcome(rendered, inst) == fam.outcome(measured, inst)
