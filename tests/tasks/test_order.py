"""The `order` family: balls let go one after another land in the stated order.

The ground-truth video scores 1 and its outcome is the simulator's landing order; the
questions' answers agree with what the tracks of that video show; videos re-simulated
with the landings out of order, all at once, one missing or one ball let go early fail
and name the frame, as do a ball that vanishes, changes colour, teleports or swaps
identity with another."""

from __future__ import annotations

import dataclasses
import functools
import re

import numpy as np
import pytest

from tests.helpers import score_encoded
from vidreason.perception.tracking import track_frames
from vidreason.tasks import build_instance, get_family
from vidreason.tasks.palette import COLOURS
from vidreason.tasks.temporal.order import (
    fall_time,
    landing_frames,
    released,
    simulate,
    swapped_landings,
    true_order,
)
from vidreason.types import Instance, Trajectory, VideoFormat
from vidreason.verifiers.order import landing_order, observed_landings
from vidreason.violations import draw, teleport, vanish

FMT = VideoFormat()
FAMILY = get_family("order")


@functools.cache
def _build(difficulty: int, index: int = 0) -> tuple[Instance, np.ndarray]:
    return build_instance(FAMILY, 7, index, difficulty, FMT)


def _build_first(inst: Instance) -> np.ndarray:
    return draw(inst.spec, Trajectory({k: v[:1] for k, v in inst.trajectory.states.items()}))[0]


def _frame_after(text: str, words: str) -> int:
    found = re.search(re.escape(words) + r" (\d+)", text)
    assert found, text
    return int(found.group(1))


def _rerun(inst: Instance, spec) -> np.ndarray:
    traj, _ = simulate(spec)
    return draw(inst.spec, traj)


def _label(inst: Instance, name: str) -> str:
    return inst.spec.body(name).label


@pytest.mark.parametrize("difficulty", [1, 2, 3])
@pytest.mark.parametrize("index", [0, 1])
def test_ground_truth_scores_one(difficulty, index, tmp_path):
    inst, frames = _build(difficulty, index)
    score = score_encoded(inst, frames, tmp_path, _build_first(inst))[0]
    assert score.value == 1.0, score.explanation
    assert score.outcome["observed"] == score.outcome["expected"]


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_outcome_is_the_simulated_order(difficulty):
    inst, frames = _build(difficulty)
    order = [_label(inst, n) for n in true_order(inst.events)]
    assert inst.outcome == {"order": order}
    assert FAMILY.outcome(track_frames(frames, inst), inst) == inst.outcome
    assert len(order) == len(inst.spec.bodies)
    prompt = FAMILY.prompt(inst.spec)
    stated = prompt[prompt.index("land in this order") :]
    assert [stated.index(label) for label in order] == sorted(stated.index(x) for x in order)


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_scene_is_not_trivially_ordered(difficulty):
    inst, _ = _build(difficulty)
    order = true_order(inst.events)
    left_to_right = sorted(order, key=lambda n: inst.spec.body(n).position[0])
    by_release = sorted(order, key=lambda n: inst.spec.extra["release"][n])
    assert order not in (left_to_right, left_to_right[::-1], by_release)
    frames = sorted(landing_frames(inst.events).values())
    assert min(np.diff(frames)) >= 4


@pytest.mark.parametrize("difficulty", [1, 3])
def test_questions_agree_with_the_ground_truth_video(difficulty):
    inst, frames = _build(difficulty)
    questions = {q.question.split("?")[0]: q for q in FAMILY.questions(inst)}
    kinds = {q.kind for q in questions.values()}
    assert kinds == {"descriptive", "explanatory", "predictive", "counterfactual"}
    landings = observed_landings(track_frames(frames, inst), inst)
    seen = [_label(inst, n) for n in landing_order(landings)]
    assert questions["Which ball lands first"].answer == seen[0]
    assert questions["Which ball lands last"].answer == seen[-1]
    (count,) = [q for q in questions.values() if q.question.startswith("How many")]
    by = int(re.search(r"frame (\d+)", count.question).group(1))
    assert int(count.answer) == sum(v.frame <= by for v in landings.values() if v is not None)
    (nxt,) = [q for q in questions.values() if q.kind == "predictive"]
    landed = [v.frame < nxt.until_frame for v in landings.values() if v is not None]
    assert sum(landed) == 1 and nxt.answer == seen[1]
    (why,) = [q for q in questions.values() if q.kind == "explanatory"]
    assert why.answer in why.choices and why.answer.endswith("starts lower")


def test_counterfactual_answer_matches_the_rerun_video():
    inst, _ = _build(2)
    (cf,) = [q for q in FAMILY.questions(inst) if q.kind == "counterfactual"]
    name = true_order(inst.events)[0]
    later = released(inst.spec, {name: inst.spec.extra["release"][name] + 0.5})
    longer = dataclasses.replace(later, fmt=dataclasses.replace(FMT, n_frames=80))
    traj, _ = simulate(longer)
    frames = draw(longer, traj)
    seen = landing_order(observed_landings(track_frames(frames, inst), inst))
    assert cf.answer == _label(inst, seen[0])


def test_same_seed_same_instance():
    a, _ = build_instance(FAMILY, 11, 4, 2, FMT)
    b, _ = build_instance(FAMILY, 11, 4, 2, FMT)
    assert a.spec == b.spec and a.trajectory == b.trajectory and a.outcome == b.outcome
    assert FAMILY.questions(a) == FAMILY.questions(b)


@pytest.mark.parametrize("difficulty", [1, 3])
def test_two_landings_swapped_fail(difficulty, tmp_path):
    inst, _ = _build(difficulty)
    spec = swapped_landings(inst.spec, inst.events)
    assert spec is not None
    score = score_encoded(inst, _rerun(inst, spec), tmp_path, _build_first(inst))[0]
    assert score.value < 0.5 and score.checks["order"] == 0.0
    first, second = (
        a
        for a, b in zip(true_order(inst.events), true_order(simulate(spec)[1]), strict=True)
        if a != b
    )
    frame = _frame_after(score.explanation, f"the {_label(inst, second)} lands at frame")
    assert abs(frame - landing_frames(inst.events)[first]) <= 2
    assert f"{frame}, before the {_label(inst, first)}" in score.explanation


def test_all_landing_at_once_fails(tmp_path):
    inst, _ = _build(2)
    spec, g = inst.spec, inst.spec.gravity
    falls = {
        b.name: fall_time(spec.params["floor_y"] - b.radius - b.position[1], g) for b in spec.bodies
    }
    together = max(falls.values()) + 0.2
    score = score_encoded(
        inst,
        _rerun(inst, released(spec, {n: together - f for n, f in falls.items()})),
        tmp_path,
        _build_first(inst),
    )[0]
    assert score.value < 0.5 and score.checks["order"] == 0.0
    assert "land at nearly the same time (frames" in score.explanation, score.explanation
    _frame_after(score.explanation, "nearly the same time (frames")


def test_a_ball_that_never_lands_fails(tmp_path):
    inst, _ = _build(3)
    last = true_order(inst.events)[-1]
    never = released(inst.spec, {last: FMT.duration + 1.0})
    score = score_encoded(inst, _rerun(inst, never), tmp_path, _build_first(inst))[0]
    assert score.value == 0.0 and score.checks["landing"] == 0.0
    assert f"the {_label(inst, last)} never reaches the floor" in score.explanation
    assert f"the order cannot be seen: the {_label(inst, last)} never lands" in score.explanation


@pytest.mark.parametrize("difficulty", [1, 2])
def test_ball_let_go_early_fails(difficulty, tmp_path):
    inst, _ = _build(difficulty)
    rel = inst.spec.extra["release"]
    name = max(rel, key=rel.get)
    early = released(inst.spec, {name: max(0.0, rel[name] - 0.6)})
    score = score_encoded(inst, _rerun(inst, early), tmp_path, _build_first(inst))[0]
    assert score.value < 0.5 and score.checks["rest"] == 0.0
    note = f"the {_label(inst, name)} starts to move at frame"
    frame = _frame_after(score.explanation, note)
    assert frame < round(rel[name] * FMT.fps)
    assert f"but it is let go only at frame {round(rel[name] * FMT.fps)}" in score.explanation


def test_ball_vanishing_fails(tmp_path):
    inst, _ = _build(2)
    score = score_encoded(inst, vanish(inst, start=20, length=6), tmp_path, _build_first(inst))[0]
    label = inst.spec.bodies[0].label
    assert score.value < 0.5 and score.checks["count"] == 0.0
    assert f"balls are in view at frame 20: the {label} is gone" in score.explanation


def test_ball_changing_colour_fails(tmp_path):
    inst, frames = _build(2)
    b = inst.spec.bodies[0]
    unused = next(c for c in COLOURS.values() if c not in {x.colour for x in inst.spec.bodies})
    recoloured = dataclasses.replace(
        inst.spec, bodies=(dataclasses.replace(b, colour=unused), *inst.spec.bodies[1:])
    )
    k = 24
    video = np.concatenate([frames[:k], draw(recoloured, inst.trajectory)[k:]])
    score = score_encoded(inst, video, tmp_path, _build_first(inst))[0]
    assert score.value < 0.5 and score.checks["count"] == 0.0
    assert f"at frame {k}: the {b.label} is gone" in score.explanation


def test_teleport_fails(tmp_path):
    inst, _ = _build(1)
    score = score_encoded(inst, teleport(inst, frame=30, dx=40.0), tmp_path, _build_first(inst))[0]
    assert score.value < 0.5
    assert "jumps" in score.explanation and "between frames 29 and 30" in score.explanation


@pytest.mark.parametrize("difficulty", [1, 3])
def test_identity_swap_fails(difficulty, tmp_path):
    inst, _ = _build(difficulty)
    a, b = true_order(inst.events)[:2]  # both still hanging at the first release
    k = min(round(t * FMT.fps) for t in inst.spec.extra["release"].values())
    states = dict(inst.trajectory.states)
    states[a] = inst.trajectory.states[a][:k] + inst.trajectory.states[b][k:]
    states[b] = inst.trajectory.states[b][:k] + inst.trajectory.states[a][k:]
    score = score_encoded(inst, draw(inst.spec, Trajectory(states)), tmp_path, _build_first(inst))[
        0
    ]
    assert score.value < 0.5 and score.checks["continuity"] < 0.5
    assert f"between frames {k - 1} and {k}" in score.explanation, score.explanation


def test_ball_shrinking_fails(tmp_path):
    inst, frames = _build(1)
    b = inst.spec.bodies[0]
    small = dataclasses.replace(
        inst.spec, bodies=(dataclasses.replace(b, radius=0.55 * b.radius), *inst.spec.bodies[1:])
    )
    k = 20
    video = np.concatenate([frames[:k], draw(small, inst.trajectory)[k:]])
    score = score_encoded(inst, video, tmp_path, _build_first(inst))[0]
    assert score.value < 0.5 and score.checks["size"] == 0.0
    assert f"the {b.label} is 0.3 times its size at frame {k}" in score.explanation


@pytest.mark.parametrize(("seed", "index"), [(0, 0), (1, 3), (2, 5), (5, 7)])
def test_the_counterfactual_reruns_only_the_moved_ball(seed, index):
    """The counterfactual's events, the other balls' taken from the instance, give the
    landings of the whole re-timed scene simulated over the longer clip."""
    from vidreason.scene.params.temporal import OrderParams
    from vidreason.tasks.temporal import order as module

    family = get_family("order")
    inst, _ = build_instance(family, seed, index, 1 + index % 3, VideoFormat())
    name = module.true_order(inst.events)[0]
    spec = inst.spec
    later = module.released(spec, {name: OrderParams.of(spec).release[name] + module.DELAY})
    fmt = dataclasses.replace(spec.fmt, n_frames=spec.fmt.n_frames + 2 * spec.fmt.fps)
    longer = dataclasses.replace(later, fmt=fmt)
    whole = module.simulate(longer)[1]
    quick = module._events_with_one_moved(inst, longer, name)
    assert module.true_order(quick) == module.true_order(whole)
    assert module._landing_times(quick) == module._landing_times(whole)
