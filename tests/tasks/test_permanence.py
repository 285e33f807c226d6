"""`permanence`: the true video passes at every difficulty; a ball that is seen through
its screen, comes out at the wrong time, in another colour or size, never comes out,
jumps across the screen, vanishes in plain view, teleports or swaps places with the
other ball fails with the frame named; outcome and questions agree with the video."""

from __future__ import annotations

import dataclasses
import re
from functools import cache

import numpy as np
import pytest

from tests.helpers import score_encoded
from vidreason.perception.tracking import track_frames
from vidreason.scoring import score_frames
from vidreason.tasks import build_instance, get_family
from vidreason.tasks.palette import COLOURS
from vidreason.tasks.temporal.permanence import (
    balls,
    faster,
    hidings,
    questions,
    true_outcome,
)
from vidreason.types import Instance, Trajectory, VideoFormat
from vidreason.violations import draw, teleport, vanish

FMT = VideoFormat()
SEED = 7
# (difficulty, index) -> what the scene is, for seed 7
CASES = {"pass": (1, 0), "stop": (2, 3), "bounce": (2, 6), "pair": (3, 0), "pair-stop": (3, 2)}


@cache
def _instance(case: str) -> tuple[Instance, np.ndarray]:
    difficulty, index = CASES[case]
    return build_instance(get_family("permanence"), SEED, index, difficulty, FMT)


def _frame_named(text: str) -> int:
    found = re.search(r"frames? (\d+)", text)
    assert found, text
    return int(found.group(1))


def _fails(score, check: str, words: str) -> int:
    assert score.value < 0.5, score.explanation
    assert score.checks[check] < 0.5, score.explanation
    note = next((part for part in score.explanation.split("; ") if words in part), "")
    assert note, score.explanation
    return _frame_named(note)


def _edited(inst: Instance, name: str, fn) -> Trajectory:
    """The true trajectory with ball ``name``'s state at frame ``i`` taken from frame
    ``fn(i)``."""
    states = dict(inst.trajectory.states)
    own = states[name]
    states[name] = tuple(own[fn(i)] for i in range(len(own)))
    return Trajectory(states=states)


@pytest.mark.slow
def test_cases_are_what_the_tests_assume():
    assert _instance("pass")[0].spec.extra["case"] == "pass"
    assert _instance("stop")[0].spec.extra["case"] == "stop"
    assert _instance("bounce")[0].spec.extra["case"] == "bounce"
    pair = _instance("pair")[0]
    assert pair.outcome == {"emerges": ["red ball", "orange ball"], "hidden_at_end": []}
    assert _instance("pair-stop")[0].outcome["hidden_at_end"]


@pytest.mark.parametrize("case", list(CASES))
def test_true_video_scores_one(case, tmp_path):
    inst, frames = _instance(case)
    score, _ = score_encoded(inst, frames, tmp_path)
    assert score.value == 1.0, score.explanation
    assert inst.outcome == true_outcome(inst.spec, inst.trajectory)
    assert score.outcome["observed"] == inst.outcome


@pytest.mark.parametrize("index", [3, 4, 5])
def test_true_video_scores_one_at_every_difficulty(index):
    inst, frames = build_instance(get_family("permanence"), 1, index, 1 + index % 3, FMT)
    score, _ = score_frames(frames, inst, frames[0])
    assert score.value == 1.0, score.explanation
    assert inst.outcome == true_outcome(inst.spec, inst.trajectory)


def test_ghost_seen_through_the_screen_fails(tmp_path):
    inst, _ = _instance("stop")
    spec = inst.spec
    screens = set(spec.extra["occluders"])
    ghost = dataclasses.replace(
        spec,
        bodies=tuple(sorted(spec.bodies, key=lambda b: b.name not in screens)),
        extra={**spec.extra, "occluders": []},
    )
    score, _ = score_encoded(inst, draw(ghost, inst.trajectory), tmp_path)
    frame = _fails(score, "hidden", "can be seen at frame")
    h = hidings(spec, inst.trajectory, "ball")[0]
    assert h.start <= frame <= h.start + 3
    assert "although it is behind the" in score.explanation


def test_ball_that_never_comes_out_fails(tmp_path):
    inst, _ = _instance("pass")
    h = hidings(inst.spec, inst.trajectory, "ball")[0]
    frames = draw(inst.spec, inst.trajectory, {i: {"ball"} for i in range(h.end, FMT.n_frames)})
    score, _ = score_encoded(inst, frames, tmp_path)
    _fails(score, "emerges", "never comes out from behind the")
    assert score.outcome["observed"]["emerges"] == []


@pytest.mark.parametrize("shift", [-6, 6])
def test_ball_that_comes_out_early_or_late_fails(shift, tmp_path):
    inst, _ = _instance("pass")
    h = hidings(inst.spec, inst.trajectory, "ball")[0]
    last = FMT.n_frames - 1
    traj = _edited(inst, "ball", lambda i: i if i < h.start else min(last, max(h.start, i + shift)))
    score, _ = score_encoded(inst, draw(inst.spec, traj), tmp_path)
    word = "late" if shift < 0 else "early"  # frame i shows where the ball is at i + shift
    assert f"frames too {word}" in score.explanation
    frame = _fails(score, "emerges", "comes out from behind the")
    assert abs(frame - (h.end - shift)) <= 6


def test_ball_that_jumps_across_the_screen_fails(tmp_path):
    inst, _ = _instance("pair")
    h = hidings(inst.spec, inst.trajectory, "ball2")[0]
    span = h.end - h.start
    traj = _edited(inst, "ball2", lambda i: i if i < h.start else min(FMT.n_frames - 1, i + span))
    score, _ = score_encoded(inst, draw(inst.spec, traj), tmp_path)
    frame = _fails(score, "hidden", "can be seen at frame")
    assert h.start <= frame <= h.end
    assert score.checks["emerges"] == 0.0 and "too early" in score.explanation


@pytest.mark.parametrize("change", ["colour", "size"])
def test_ball_that_comes_out_changed_fails(change, tmp_path):
    inst, truth = _instance("bounce")
    spec = inst.spec
    h = hidings(spec, inst.trajectory, "ball")[0]
    b = spec.body("ball")
    used = {x.colour for x in spec.bodies}
    other = next(c for c in COLOURS.values() if c not in used)
    new = (
        dataclasses.replace(b, colour=other)
        if change == "colour"
        else dataclasses.replace(b, radius=b.radius * 1.5)
    )
    changed = dataclasses.replace(spec, bodies=(new, *spec.bodies[1:]))
    frames = np.concatenate([truth[: h.end], draw(changed, inst.trajectory)[h.end :]])
    score, _ = score_encoded(inst, frames, tmp_path)
    if change == "colour":
        frame = _fails(score, "in_view", "in plain view")
    else:
        frame = _fails(score, "size", "times its own area")
    assert h.end <= frame <= h.out + 4


def test_ball_that_vanishes_in_plain_view_fails(tmp_path):
    inst, _ = _instance("pass")
    score, _ = score_encoded(inst, vanish(inst, start=2, length=6), tmp_path)
    assert _fails(score, "in_view", "in plain view") in (2, 3)
    assert score.checks["visible"] < 1.0


def test_stopping_ball_shown_coming_out_fails(tmp_path):
    inst, _ = _instance("stop")
    quicker, _ = get_family("permanence").simulate(faster(inst.spec, "ball", 1.6))
    score, _ = score_encoded(inst, draw(inst.spec, quicker), tmp_path)
    _fails(score, "hidden", "can be seen at frame")


def test_teleport_fails(tmp_path):
    inst, _ = _instance("bounce")
    score, _ = score_encoded(inst, teleport(inst, frame=3, dx=40.0), tmp_path)
    assert score.value < 0.5 and score.checks["continuity"] < 1.0, score.explanation
    assert score.checks["camera"] == 1.0, score.explanation  # the screen stays: no camera cut
    assert _frame_named(score.explanation.split("continuity")[1]) in (2, 3)


def test_colour_change_in_plain_view_fails(tmp_path):
    inst, truth = _instance("pass")
    spec = inst.spec
    used = {x.colour for x in spec.bodies}
    other = next(c for c in COLOURS.values() if c not in used)
    recoloured = dataclasses.replace(
        spec, bodies=(dataclasses.replace(spec.bodies[0], colour=other), *spec.bodies[1:])
    )
    h = hidings(spec, inst.trajectory, "ball")[0]
    k = h.start - 10  # in plain view, well before the screen
    frames = np.concatenate([truth[:k], draw(recoloured, inst.trajectory)[k:]])
    score, _ = score_encoded(inst, frames, tmp_path)
    assert _fails(score, "in_view", "in plain view") in (k, k + 1)


def test_balls_that_swap_identity_fail(tmp_path):
    inst, _ = _instance("pair")
    states = dict(inst.trajectory.states)
    a, b = states["ball"], states["ball2"]
    k = 3
    states["ball"], states["ball2"] = a[:k] + b[k:], b[:k] + a[k:]
    score, _ = score_encoded(inst, draw(inst.spec, Trajectory(states=states)), tmp_path)
    assert score.value < 0.5, score.explanation
    assert score.checks["continuity"] < 0.5
    assert _frame_named(score.explanation.split("continuity")[1]) == k - 1


@pytest.mark.parametrize("case", ["pass", "stop", "pair", "pair-stop"])
def test_questions_agree_with_the_true_video(case):
    inst, frames = _instance(case)
    tracks = track_frames(frames, inst)
    qs = questions(inst)
    kinds = {q.kind for q in qs}
    assert kinds == {"descriptive", "explanatory", "predictive", "counterfactual"}
    names = {b.label: b.name for b in balls(inst.spec)}
    for q in qs:
        if q.question.startswith("How many balls are hidden"):
            at = int(re.search(r"frame (\d+)", q.question).group(1))
            assert q.answer == str(sum(not tracks.found(n)[at] for n in names.values()))
        elif q.kind == "predictive":
            name = names[re.search(r"Will the (\w+ ball)", q.question).group(1)]
            after = tracks.found(name)[q.until_frame :]
            assert q.answer == ("yes" if after.any() else "no"), q
        elif q.question.startswith("Where does"):
            label = re.search(r"the (\w+ ball)", q.question).group(1)
            screen = next(s for s in inst.spec.bodies if s.label in q.question and s.label != label)
            found = np.flatnonzero(tracks.found(names[label]))
            gap = np.flatnonzero(np.diff(found) > 2)
            if q.answer == "it stays hidden":
                assert not tracks.found(names[label])[-1]
            else:
                x = tracks.pos[names[label]][found[gap[0] + 1]][0]
                assert q.answer == ("right" if x > screen.position[0] else "left")
        elif q.question.startswith("If the") and "removed" in q.question:
            assert q.answer == "yes"
        if q.choices:
            assert q.answer in q.choices


@pytest.mark.slow
def test_same_seed_same_instance():
    fam = get_family("permanence")
    a, fa = build_instance(fam, 3, 5, 3, FMT)
    b, fb = build_instance(fam, 3, 5, 3, FMT)
    assert a.spec == b.spec and a.outcome == b.outcome and a.prompt == b.prompt
    assert questions(a) == questions(b)
    assert np.array_equal(fa, fb)


def test_the_samplers_check_reckons_each_balls_cover_once(monkeypatch):
    """``_valid`` asks each ball's shares three times (itself, ``in_view``, ``hidings``);
    the screens' cover of a ball in a run is reckoned once."""
    from vidreason.engines.pymunk_sim import simulate
    from vidreason.tasks.base import sample_scene
    from vidreason.tasks.temporal import permanence as family

    spec = sample_scene(get_family("permanence-v1"), 0, 2, 3, VideoFormat())
    traj = simulate(spec).trajectory
    calls = []
    real = family.covered
    monkeypatch.setattr(family, "covered", lambda *a: calls.append(1) or real(*a))
    assert family._valid(spec, traj)
    per_ball = len(family.screens(spec)) + 1  # each screen, and the picture's edge
    assert len(calls) == len(family.balls(spec)) * per_ball
