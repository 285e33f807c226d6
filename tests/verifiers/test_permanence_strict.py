"""Strict object permanence: a body the truth shows must be found in every frame, and
every motion the truth shows must be seen under way. A body erased for a few frames in
plain view, a scene frozen while a body moves and then jumping on, a tile vanishing or
jumping in the middle of a slide, and a disc that is not in the scene fail, naming the
frames; the corruptions that plant them act where the truth shows the body."""

from __future__ import annotations

import functools
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest

from vidreason.corruptions import BY_NAME, encode
from vidreason.corruptions.violations import shown
from vidreason.instance_io import write_instance
from vidreason.render.video_io import read_video
from vidreason.scoring import score_frames
from vidreason.seeding import named_rng
from vidreason.tasks import build_instance, get_family
from vidreason.tasks.base import difficulty_of
from vidreason.types import Instance, Score, Trajectory, VideoFormat
from vidreason.verifiers.checks import stall_then_jump
from vidreason.violations import draw


@functools.cache
def _case(family: str, index: int) -> tuple[Instance, np.ndarray, np.ndarray]:
    """The instance, its rendered frames and its true video as decoded."""
    fam = get_family(family)
    inst, frames = build_instance(fam, 0, index, difficulty_of(fam, index), VideoFormat())
    with tempfile.TemporaryDirectory() as tmp:
        d = write_instance(inst, frames, Path(tmp) / "task")
        truth = read_video(d / "ground_truth.mp4").frames
    return inst, frames, truth


def _score(inst: Instance, first: np.ndarray, frames: np.ndarray, fps: float) -> Score:
    from vidreason.corruptions import Sample

    with tempfile.TemporaryDirectory() as tmp:
        clip = read_video(encode(Sample(frames, fps), Path(tmp) / "v"))
    score, _ = score_frames(clip.frames, inst, first, clip.times)
    return score


def _corrupted(family: str, index: int, name: str) -> tuple[Instance, np.ndarray, Score]:
    inst, frames, truth = _case(family, index)
    rng = named_rng(0, "audit", inst.family_id, str(index), name)
    sample = BY_NAME[name].fn(inst, truth, rng)
    assert sample is not None
    return inst, sample.frames, _score(inst, frames[0], sample.frames, sample.fps)


def _frames(text: str) -> list[int]:
    found = re.search(r"frames? (\d+)(?:-(\d+))?", text)
    assert found, text
    a = int(found.group(1))
    return list(range(a, int(found.group(2) or a) + 1))


@pytest.mark.parametrize("name", ["vanish 3", "vanish 6"])
def test_a_ball_erased_in_plain_view_fails_visible_naming_the_frames(name):
    inst, frames, score = _corrupted("permanence", 0, name)
    truth = draw(inst.spec, inst.trajectory)
    changed = np.flatnonzero(np.abs(frames.astype(int) - truth.astype(int)).max(axis=(1, 2, 3)))
    ball = next(b.name for b in inst.spec.bodies if b.shape == "circle")
    assert shown(inst, ball)[changed].all()  # erased where the truth shows the ball
    assert score.checks["visible"] == 0.0, score.explanation
    note = next(p for p in score.explanation.split("; ") if p.startswith("visible"))
    assert set(_frames(note)) <= set(changed.tolist()) and len(_frames(note)) >= 3, note


def test_a_freeze_while_the_ball_moves_in_view_then_a_jump_fails():
    _, _, score = _corrupted("permanence", 1, "freeze-jump 8")
    assert not score.passed and score.checks["continuity"] == 0.0, score.explanation
    assert "jumps" in score.explanation


def test_a_slow_block_frozen_then_jumping_on_fails_continuity():
    _, _, score = _corrupted("dominoes", 1, "freeze-jump 8")
    assert score.checks["continuity"] == 0.0, score.explanation
    assert "stops dead from frame" in score.explanation and "a freeze, then" in score.explanation


def test_a_disc_not_in_the_scene_beside_a_long_block_fails():
    _, _, score = _corrupted("blocker", 0, "appear")
    assert not score.passed and score.checks["objects"] == 0.0, score.explanation
    assert "not in the scene appears at frame" in score.explanation


def test_a_stop_that_ends_in_a_jump_is_told_from_a_pause_a_push_and_a_glitch():
    slow = np.cumsum(np.full(30, 0.7))
    stop = np.concatenate([slow[:10], np.full(8, slow[9]), slow[18:] + 2.0])
    assert stall_then_jump(np.stack([stop, np.zeros(30)], axis=1)) == (9, 17)
    pause = np.concatenate([slow[:10], np.full(8, slow[9]), slow[9:21]])  # resumes at pace
    assert stall_then_jump(np.stack([pause, np.zeros(30)], axis=1)) is None
    push = np.concatenate([slow[:10], np.full(8, slow[9]), slow[9] + 8.0 * np.arange(1, 13)])
    assert stall_then_jump(np.stack([push, np.zeros(30)], axis=1)) is None  # carries on fast
    glitch = stop.copy()
    glitch[18:] = slow[9]
    glitch[18] += 8.0  # one frame off, then back where it stopped
    assert stall_then_jump(np.stack([glitch, np.zeros(30)], axis=1)) is None


def test_a_stop_ends_in_a_jump_measured_by_the_pace_it_carries_on_at():
    # a fast approach, a stop over the moment it should have slowed (a collision), then a
    # jump to where it should be, carrying on slowly: the jump is 2.4 times the pace
    # before, 29 times the pace after
    fast = np.cumsum(np.full(18, 1.8))
    slow = fast[-1] + 4.25 + np.cumsum(np.full(12, 0.15))
    stopped = np.concatenate([fast, np.full(8, fast[-1]), slow])
    assert stall_then_jump(np.stack([stopped, np.zeros(38)], axis=1)) == (17, 25)
    # a body at rest that sets off with a jump (it was struck while the scene stood
    # still) and then moves at a fifth of it: only where a body still from the start counts
    rest = np.concatenate([np.zeros(20), 9.5 + np.cumsum(np.full(12, 1.4))])
    pts = np.stack([rest, np.zeros(32)], axis=1)
    assert stall_then_jump(pts) is None and stall_then_jump(pts, rest=True) == (0, 19)
    # set off at its pace (the first step no larger than the next): no jump
    off = np.concatenate([np.zeros(20), np.cumsum(np.full(12, 1.4))])
    assert stall_then_jump(np.stack([off, np.zeros(32)], axis=1), rest=True) is None
    # a step over three frames (two dropped) counted per frame: no jump
    gaps = np.ones(31)
    gaps[19] = 3.0
    dropped = np.concatenate([np.zeros(20), 4.2 + np.cumsum(np.full(12, 1.4)) - 1.4])
    pts = np.stack([dropped, np.zeros(32)], axis=1)
    assert stall_then_jump(pts, rest=True) == (0, 19)  # 4.2 px in one frame would be one
    assert stall_then_jump(pts, gaps, rest=True) is None
    # the camera unmeasured from the set-off on (a shake the body no longer fixed): a
    # jump within what it may have moved the positions is no jump
    doubt = np.zeros(32)
    doubt[20:] = 9.0  # the jump is 10.9 px
    pts = np.stack([rest, np.zeros(32)], axis=1)
    assert stall_then_jump(pts, rest=True, doubt=doubt) is None
    doubt[20:] = 2.0
    assert stall_then_jump(pts, rest=True, doubt=doubt) == (0, 19)


def test_a_collision_frozen_over_then_jumped_fails_continuity():
    # seed 0 #0: the yellow ball stops 4.5 px (2.5 times its approach) short of the
    # collision and the purple one sets off 9.5 px at once
    _, _, score = _corrupted("collision", 0, "freeze-jump 8")
    assert not score.passed and score.checks["continuity"] == 0.0, score.explanation
    assert "stops dead from frame" in score.explanation


def _slide(inst: Instance) -> tuple[str, list[int]]:
    """The first tile that slides and the frames that show it under way."""
    for name in inst.trajectory.states:
        xy = inst.trajectory.xy(name)
        moving = np.linalg.norm(np.diff(xy, axis=0), axis=1) > 0.05
        if moving.any():
            a = int(np.argmax(moving))
            b = a + int(np.argmin(moving[a:]))
            return name, list(range(a + 1, b + 1))
    raise AssertionError("nothing slides")


def test_a_tile_erased_in_the_middle_of_its_slide_fails_naming_the_frames():
    inst, frames, _ = _case("sliding-puzzle", 1)
    tile, run = _slide(inst)
    mid = run[len(run) // 2 - 1 : len(run) // 2 + 2]
    video = draw(inst.spec, inst.trajectory, {i: {tile} for i in mid})
    score = _score(inst, frames[0], video, inst.spec.fmt.fps)
    assert score.checks["tiles"] == 0.0, score.explanation
    assert "not visible in frames" in score.explanation
    note = next(p for p in score.explanation.split("; ") if p.startswith("tiles"))
    assert set(_frames(note)) == set(mid), note


def test_a_tile_that_waits_and_then_stands_in_its_next_square_fails():
    inst, frames, _ = _case("sliding-puzzle", 1)
    tile, run = _slide(inst)
    states = dict(inst.trajectory.states)
    own = list(states[tile])
    for i in run[:-1]:  # never seen under way: still, then in its new square
        own[i] = own[run[0] - 1]
    states[tile] = tuple(own)
    video = draw(inst.spec, Trajectory(states))
    score = _score(inst, frames[0], video, inst.spec.fmt.fps)
    assert score.checks["legal_moves"] == 0.0, score.explanation
    assert f"tile {tile[4:]} jumps from" in score.explanation
    assert "without being seen sliding" in score.explanation
