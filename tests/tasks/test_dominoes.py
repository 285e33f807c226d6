"""The `dominoes` family: the true video passes, its outcome is what the simulator says,
the questions agree with it, every pair's intervention changes the outcome, and a chain
that moves a block before it is hit, runs past its gap or stops early fails with the
frame named."""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest

from tests.helpers import score_encoded
from vidreason.engines.pymunk_sim import simulate
from vidreason.perception.tracking import track_frames
from vidreason.tasks import build_instance, get_family
from vidreason.tasks.base import difficulty_of, sample_scene
from vidreason.tasks.causal.dominoes import gap_before, row_blocks, trajectory_falls
from vidreason.types import Trajectory, VideoFormat
from vidreason.verifiers.dominoes import chain_outcome, expected_outcome
from vidreason.violations import draw

FMT = VideoFormat()
FAMILY = get_family("dominoes")
SEED = 7


@functools.cache
def _instance(index: int):
    return build_instance(FAMILY, SEED, index, difficulty_of(FAMILY, index), FMT)


def _frame_named(text: str) -> int:
    found = re.search(r"frames? (\d+)", text)
    assert found, text
    return int(found.group(1))


@pytest.mark.parametrize("index", range(6))
def test_true_video_scores_one_and_its_outcome_is_the_simulators(index, tmp_path):
    inst, frames = _instance(index)
    score = score_encoded(inst, frames, tmp_path, frames[0])[0]
    assert score.value == 1.0, score.explanation
    assert inst.outcome == expected_outcome(inst)
    assert score.outcome["observed"] == inst.outcome
    labels = [b.label for b in row_blocks(inst.spec)]
    assert inst.outcome["fallen"] == labels[: gap_before(inst.spec) or len(labels)]


def test_block_moving_before_it_is_hit_fails(tmp_path):
    inst, frames = _instance(2)
    falls = trajectory_falls(inst.spec, inst.trajectory)
    second = sorted(falls, key=falls.get)[1]
    states = dict(inst.trajectory.states)
    n, early = len(states[second]), 8
    states[second] = tuple(states[second][min(i + early, n - 1)] for i in range(n))
    score = score_encoded(inst, draw(inst.spec, Trajectory(states=states)), tmp_path, frames[0])[0]
    assert score.value < 0.5 and score.checks["cause"] == 0.0
    label = inst.spec.body(second).label
    note = re.search(
        rf"the {label} starts moving at frame (\d+), before the (\w+ \w+)", score.explanation
    )
    assert note, score.explanation
    assert int(note.group(1)) < falls[second]


@pytest.mark.parametrize("index", [0, 2, 4])
def test_the_other_pair_members_chain_fails(index, tmp_path):
    """The counterfactual's motion drawn as the factual's video: the chain runs past the
    gap, or stops where there is no gap."""
    inst, frames = _instance(index)
    other, _ = _instance(index + 1)
    score = score_encoded(inst, draw(inst.spec, other.trajectory), tmp_path, frames[0])[0]
    assert score.value < 0.5 and score.checks["chain"] == 0.0
    if gap_before(inst.spec) is None:
        assert "but stays standing" in score.explanation
    else:
        assert "but should stay standing: the chain stops before it" in score.explanation
    _frame_named(score.explanation.split("chain 0.00:")[1])


def test_questions_agree_with_the_true_video():
    for index in (0, 3, 4):
        inst, frames = _instance(index)
        questions = FAMILY.questions(inst)
        assert {q.kind for q in questions} == {
            "descriptive",
            "explanatory",
            "predictive",
            "counterfactual",
        }
        fallen = chain_outcome(track_frames(frames, inst), inst)["fallen"]
        by_text = {q.question: q for q in questions}
        assert by_text["How many blocks fall over?"].answer == str(len(fallen))
        assert by_text["Which block is the last to fall over?"].answer == fallen[-1]
        (predict,) = [q for q in questions if q.kind == "predictive"]
        target = re.search(r"Will the (\w+ block) fall over", predict.question).group(1)
        assert predict.answer == ("yes" if target in fallen else "no")
        assert predict.until_frame is not None and predict.until_frame < FMT.n_frames
        (why,) = [q for q in questions if q.kind == "explanatory"]
        row = [b.label for b in row_blocks(inst.spec)]
        assert why.answer == row[row.index(fallen[-1]) - 1]
        unpushed = next(q for q in questions if "were not pushed" in q.question)
        assert unpushed.answer == "no"


def test_every_intervention_changes_the_outcome_and_standing_blocks_never_move():
    for k in range(10):
        specs = [sample_scene(FAMILY, 11, 2 * k + r, 1 + k % 3, FMT) for r in (0, 1)]
        outcomes = []
        for spec in specs:
            traj = simulate(spec).trajectory
            falls = trajectory_falls(spec, traj)
            outcomes.append(sorted(falls, key=falls.get))
            for b in row_blocks(spec):
                if b.name not in falls:
                    s = np.asarray(traj.states[b.name])
                    assert np.abs(s - s[0]).max() < 0.3, (k, b.name)
        assert outcomes[0] != outcomes[1], k
        assert (gap_before(specs[0]) is None) != (gap_before(specs[1]) is None)
        assert specs[1].extra["pair"]["intervention"]


def test_same_seed_same_scene_outcome_and_questions():
    a, _ = build_instance(FAMILY, 5, 1, 1, FMT)
    b, _ = build_instance(FAMILY, 5, 1, 1, FMT)
    assert a.spec == b.spec and a.outcome == b.outcome
    assert FAMILY.questions(a) == FAMILY.questions(b)
