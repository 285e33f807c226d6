"""The `trigger` family: the ground truth passes, an effect before its cause, a chain that
stops early or runs on without its cause, and the other pair member's outcome all fail
with the frame named; outcomes and question answers agree with the ground-truth video."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from tests.helpers import score_encoded
from vidreason.perception.tracking import track_frames
from vidreason.tasks import build_instance, get_family
from vidreason.tasks.base import sample_scene
from vidreason.tasks.causal.trigger import press_time
from vidreason.types import Trajectory, VideoFormat
from vidreason.violations import draw, resimulate

FMT = VideoFormat()
FAMILY = get_family("trigger")


def _instance(index: int, seed: int = 5):
    k = index // 2
    return build_instance(FAMILY, seed, index, 1 + k % 3, FMT)


def _frames_named(text: str) -> list[int]:
    return [int(f) for f in re.findall(r"frame (\d+)", text)]


def _shifted(inst, names: tuple[str, ...], k: int) -> Trajectory:
    """The trajectory with ``names`` running ``k`` frames ahead of time."""
    states = dict(inst.trajectory.states)
    n = inst.trajectory.n_frames
    for name in names:
        s = states[name]
        states[name] = tuple(s[min(i + k, n - 1)] for i in range(n))
    return Trajectory(states=states)


def _held(inst, names: tuple[str, ...]) -> Trajectory:
    states = dict(inst.trajectory.states)
    for name in names:
        states[name] = (states[name][0],) * inst.trajectory.n_frames
    return Trajectory(states=states)


@pytest.mark.parametrize("index", range(6))
def test_ground_truth_scores_one_and_outcome_matches(index, tmp_path):
    inst, frames = _instance(index)
    score, tracks = score_encoded(inst, frames, tmp_path, frames[0])
    assert score.value == 1.0, score.explanation
    assert FAMILY.outcome(tracks, inst) == inst.outcome
    assert inst.outcome == {"switch_pressed": index % 2 == 0, "released": index % 2 == 0}


def test_effect_before_cause_fails_and_names_both_frames(tmp_path):
    inst, frames = _instance(0)
    score, _ = score_encoded(
        inst, draw(inst.spec, _shifted(inst, ("hatch", "ball"), 8)), tmp_path, frames[0]
    )
    assert score.value < 0.5 and score.checks["cause_first"] < 0.5
    striker, switch = inst.spec.body("striker").label, inst.spec.body("switch").label
    note = next(p for p in score.explanation.split("; ") if p.startswith("cause_first"))
    assert f"before the {striker} reaches the {switch} at frame" in note
    start, pressed = _frames_named(note)
    assert abs(pressed - press_time(inst.events) * FMT.fps) <= 2 and start < pressed


def test_chain_stopping_at_the_switch_fails(tmp_path):
    inst, frames = _instance(2)
    score, _ = score_encoded(
        inst, draw(inst.spec, _held(inst, ("hatch", "ball"))), tmp_path, frames[0]
    )
    assert score.value < 0.5 and score.checks["release"] == 0.0
    assert "never moves (it should start at frame" in score.explanation


def test_ball_staying_on_the_open_hatch_fails(tmp_path):
    inst, frames = _instance(4)
    score, _ = score_encoded(inst, draw(inst.spec, _held(inst, ("ball",))), tmp_path, frames[0])
    ball = inst.spec.body("ball").label
    assert score.value < 0.5 and f"the {ball} never moves" in score.explanation


def test_chain_running_without_its_cause_fails(tmp_path):
    factual, _ = _instance(0)
    inst, frames = _instance(1)
    states = {**inst.trajectory.states}
    states.update({n: factual.trajectory.states[n] for n in ("hatch", "ball")})
    score, _ = score_encoded(inst, draw(inst.spec, Trajectory(states=states)), tmp_path, frames[0])
    assert score.value < 0.5 and score.checks["cause_first"] == 0.0
    striker = inst.spec.body("striker").label
    assert re.search(
        f"starts moving at frame \\d+, but the {striker} never reaches", score.explanation
    )


@pytest.mark.slow
@pytest.mark.parametrize("base", [0, 2])
def test_the_other_pair_members_video_fails(base, tmp_path):
    factual, f_frames = _instance(base)
    counter, c_frames = _instance(base + 1)
    swapped = draw(factual.spec, counter.trajectory)
    score, tracks = score_encoded(factual, swapped, tmp_path, f_frames[0])
    assert score.value < 0.5 and _frames_named(score.explanation)
    assert FAMILY.outcome(tracks, factual) != factual.outcome
    swapped = draw(counter.spec, factual.trajectory)
    score, tracks = score_encoded(counter, swapped, tmp_path, c_frames[0])
    assert score.value < 0.5 and _frames_named(score.explanation)
    assert FAMILY.outcome(tracks, counter) != counter.outcome


def test_wrong_gravity_in_the_fall_fails(tmp_path):
    inst, frames = _instance(0)
    score, _ = score_encoded(inst, resimulate(inst, gravity_scale=0.5), tmp_path, frames[0])
    assert score.value < 0.5 and score.checks["gravity"] < 0.5


def test_every_intervention_changes_the_outcome():
    for base in range(0, 20, 2):
        k = base // 2
        fact = sample_scene(FAMILY, 11, base, 1 + k % 3, FMT)
        counter = sample_scene(FAMILY, 11, base + 1, 1 + k % 3, FMT)
        t_fact, ev_fact = FAMILY.simulate(fact)
        t_counter, ev_counter = FAMILY.simulate(counter)
        assert press_time(ev_fact) is not None and press_time(ev_counter) is None
        assert counter.extra["pair"]["intervention"]
        for traj, falls in ((t_fact, True), (t_counter, False)):
            y = np.asarray(traj.states["ball"])[:, 1]
            assert (y.max() - y[0] > 0.2 * FMT.height) == falls


def test_nothing_moves_before_the_press_in_the_simulation():
    for base in range(0, 12, 2):
        spec = sample_scene(FAMILY, 3, base, 1 + (base // 2) % 3, FMT)
        traj, events = FAMILY.simulate(spec)
        pressed = round(press_time(events) * FMT.fps)
        for name in ("hatch", "ball"):
            s = np.asarray(traj.states[name])[:, :2]
            moved = np.flatnonzero(np.hypot(*(s - s[0]).T) > 0.5)
            assert moved[0] >= pressed, name


@pytest.mark.parametrize("index", [0, 1, 3])
def test_question_answers_agree_with_the_ground_truth_video(index):
    inst, frames = _instance(index)
    tracks = track_frames(frames, inst)
    seen = FAMILY.outcome(tracks, inst)
    qs = {q.question: q for q in FAMILY.questions(inst)}
    assert {q.kind for q in qs.values()} == {
        "descriptive",
        "explanatory",
        "predictive",
        "counterfactual",
    }
    yes = {True: "yes", False: "no"}
    striker, switch, ball = (inst.spec.body(n).label for n in ("striker", "switch", "ball"))
    assert qs[f"Does the {striker} touch the {switch}?"].answer == yes[seen["switch_pressed"]]
    assert qs[f"Will the {ball} fall to the floor?"].answer == yes[seen["released"]]
    moving = sum(
        np.nanmax(np.hypot(*(tracks.pos[n] - tracks.pos[n][0]).T)) > 5 for n in ("striker", "ball")
    )
    assert qs["How many balls move during the video?"].answer == str(moving)
    counter = next(q for q in qs.values() if q.kind == "counterfactual")
    assert counter.answer == yes[not seen["released"]]  # the cause taken away or put back
    for q in qs.values():
        assert not q.choices or q.answer in q.choices


def test_same_seed_same_instance():
    a, _ = _instance(3, seed=9)
    b, _ = _instance(3, seed=9)
    assert a.spec == b.spec and a.outcome == b.outcome
    assert FAMILY.questions(a) == FAMILY.questions(b)
    assert dataclasses.asdict(a.spec) == dataclasses.asdict(b.spec)
