"""The `blocker` family: the true video of both scenes of a pair scores 1, the wall always
flips the outcome, and a ball through the wall, a block that moves before the ball
reaches it, a block that does not fall and the other scene's motion all fail, naming
the frame."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.helpers import score_encoded
from vidreason.perception.tracking import track_frames
from vidreason.scene.blocker import contact_frame, fallen_frame, targets
from vidreason.tasks import build_instance, get_family
from vidreason.tasks.base import difficulty_of, sample_scene
from vidreason.tasks.causal.blocker import has_wall
from vidreason.types import Instance, Trajectory, VideoFormat
from vidreason.violations import draw, hold, pass_through

FMT = VideoFormat()
FAMILY = get_family("blocker")
SEED = 7


@pytest.fixture(scope="module")
def built() -> dict[int, tuple[Instance, np.ndarray]]:
    """Both scenes of the first pair of each difficulty (indices 0-5)."""
    return {i: build_instance(FAMILY, SEED, i, difficulty_of(FAMILY, i), FMT) for i in range(6)}


def _frame_named(text: str) -> int:
    found = re.search(r"frames? (\d+)", text)
    assert found, text
    return int(found.group(1))


def _walled(built, want: bool) -> tuple[Instance, np.ndarray]:
    return next(v for v in built.values() if has_wall(v[0].spec) == want)


@pytest.mark.parametrize("index", range(6))
def test_true_video_scores_one_and_shows_the_outcome(built, index, tmp_path):
    inst, frames = built[index]
    score, _ = score_encoded(inst, frames, tmp_path)
    assert score.value == 1.0, score.explanation
    assert score.outcome["observed"] == inst.outcome
    walled = has_wall(inst.spec)
    assert inst.outcome["ball_blocked"] is walled
    assert inst.outcome["target_hit"] is not walled
    falls = sorted(t.label for t in targets(inst.spec) if fallen_frame(inst, t.name) is not None)
    assert inst.outcome["fallen"] == falls
    assert bool(falls) is not walled


def test_the_wall_flips_the_outcome_in_every_pair():
    for k in range(10):
        d = difficulty_of(FAMILY, 2 * k)
        pair = [sample_scene(FAMILY, 3, 2 * k + j, d, FMT) for j in (0, 1)]
        assert has_wall(pair[0]) is not has_wall(pair[1])
        assert pair[0].extra["pair"]["intervention"].startswith("the ")
        falls = []
        for spec in pair:
            traj, events = FAMILY.simulate(spec)
            inst = Instance(spec, traj, events, "", "causal", "", "", 1, {})
            falls.append(fallen_frame(inst, targets(spec)[0].name) is not None)
            assert falls[-1] is not has_wall(spec)
        assert falls[0] != falls[1]


def test_ball_through_the_wall_fails(built, tmp_path):
    inst, _ = _walled(built, True)
    score, _ = score_encoded(inst, pass_through(inst, [("ball", "blocker")]), tmp_path)
    assert score.value < 0.5 and score.checks["solid"] == 0.0
    wall = inst.spec.body("blocker").label
    assert f"passes through the {wall} between frames" in score.explanation
    hit = contact_frame(inst, "ball", "blocker")
    # the ball's pieces on both sides of the wall are one ball: it is seen a frame longer
    assert abs(_frame_named(score.explanation.split("passes through")[1]) - hit) <= 5
    assert score.checks["falls"] == 0.0 and "should stay standing" in score.explanation


def test_block_moving_before_the_ball_reaches_it_fails(built, tmp_path):
    inst, _ = _walled(built, False)
    first = targets(inst.spec)[0]
    shift, n = 10, FMT.n_frames
    states = dict(inst.trajectory.states)
    states[first.name] = tuple(states[first.name][min(i + shift, n - 1)] for i in range(n))
    frames = draw(inst.spec, Trajectory(states=states))
    score, _ = score_encoded(inst, frames, tmp_path)
    assert score.value < 0.5 and score.checks["cause"] == 0.0
    ball = inst.spec.body("ball").label
    match = re.search(
        rf"the {first.label} starts moving at frame (\d+), before the {ball} reaches it at"
        r" frame (\d+)",
        score.explanation,
    )
    assert match, score.explanation
    assert int(match.group(1)) < int(match.group(2))


def test_second_block_moving_on_its_own_fails(built, tmp_path):
    inst, _ = built[2]
    first, second = targets(inst.spec)
    states = dict(inst.trajectory.states)
    states[second.name] = tuple(
        (s[0] + 1.5 * max(0, i - 12), *s[1:]) for i, s in enumerate(states[second.name])
    )
    score, _ = score_encoded(inst, draw(inst.spec, Trajectory(states=states)), tmp_path)
    assert score.value < 0.5 and score.checks["cause"] == 0.0
    match = re.search(
        rf"the {second.label} starts moving at frame (\d+), although the {first.label} never"
        " reaches it",
        score.explanation,
    )
    assert match, score.explanation
    assert 12 < int(match.group(1)) < 24


def test_block_that_does_not_fall_fails(built, tmp_path):
    inst, _ = _walled(built, False)
    first = targets(inst.spec)[0]
    score, _ = score_encoded(inst, hold(inst, first.name, 0), tmp_path)
    assert score.value < 0.5 and score.checks["falls"] == 0.0
    assert f"the {first.label} should fall over" in score.explanation
    assert score.outcome["observed"]["fallen"] == []


@pytest.mark.parametrize("walled", [True, False])
def test_the_other_scene_of_the_pair_fails(built, walled, tmp_path):
    """The counterpart's true motion drawn in this scene (the wall where this scene has
    it) is the outcome the intervention should have changed."""
    inst, _ = _walled(built, walled)
    other, _ = built[inst.spec.index ^ 1]
    states = dict(other.trajectory.states)
    if walled:  # the counterpart has no wall: draw this scene's wall standing still
        states["blocker"] = inst.trajectory.states["blocker"]
    else:
        states.pop("blocker")
    score, _ = score_encoded(inst, draw(inst.spec, Trajectory(states=states)), tmp_path)
    assert score.value < 0.5, score.explanation
    assert score.outcome["observed"] != inst.outcome
    _frame_named(score.explanation)


@pytest.mark.parametrize("index", [0, 1, 4])
def test_questions_agree_with_the_true_video(built, index):
    inst, frames = built[index]
    qs = FAMILY.questions(inst)
    assert {q.kind for q in qs} == {"descriptive", "explanatory", "predictive", "counterfactual"}
    observed = FAMILY.outcome(track_frames(frames, inst), inst)
    other, _ = built[index ^ 1]
    first = targets(inst.spec)[0].label
    for q in qs:
        if q.choices:
            assert q.answer in q.choices
        if q.question == "How many blocks fall over?":
            assert q.answer == str(len(observed["fallen"]))
        if q.kind == "predictive":
            assert 0 < q.until_frame < FMT.n_frames
            assert q.answer == ("yes" if first in observed["fallen"] else "no")
        if q.kind == "counterfactual":
            assert q.answer == ("yes" if first in other.outcome["fallen"] else "no")
        if q.kind == "explanatory" and has_wall(inst.spec):
            assert q.answer == inst.spec.body("blocker").label


def test_same_seed_same_scene_outcome_and_questions(built):
    inst, _ = built[2]
    again, _ = build_instance(FAMILY, SEED, 2, difficulty_of(FAMILY, 2), FMT)
    assert again.spec == inst.spec and again.outcome == inst.outcome
    assert FAMILY.questions(again) == FAMILY.questions(inst)
    assert FAMILY.prompt(again.spec) == inst.prompt


def test_prompt_describes_its_own_scene(built):
    with_wall, _ = _walled(built, True)
    without, _ = _walled(built, False)
    wall = with_wall.spec.body("blocker").colour_name
    assert f"solid {wall} wall" in with_wall.prompt
    assert "Nothing stands in the way" in without.prompt
    assert "wall" not in without.prompt
