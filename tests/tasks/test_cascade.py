"""The `cascade` family (a tank pouring down a staircase of basins, Taichi's MLS-MPM): the
same seed writes the same task.json, the ground truth records when each basin fills and
overflows, and the verifier passes the true video and fails each planted violation of
``corruptions/cascade.py`` scored as a model's video (encoded as H.264, decoded and read
through the real verifier)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import build, score_corrupted, score_encoded
from vidreason.corruptions import BY_NAME
from vidreason.instance_io import write_instance
from vidreason.scene.params.fluids import Cascade


@pytest.fixture(scope="module")
def two():
    """Instance 0: difficulty 1, a tank and two basins."""
    pytest.importorskip("taichi")
    return build("cascade-v1", 0)


@pytest.fixture(scope="module")
def three():
    """Instance 2: difficulty 3, a tank and three basins."""
    pytest.importorskip("taichi")
    return build("cascade-v1", 2)


def test_scene_and_prompt(two, three):
    for (inst, _), n in ((two, 2), (three, 3)):
        p = Cascade.of(inst.spec)
        assert len(p.basins) == n and len(p.lip_walls or ()) == n - 1
        text = inst.prompt
        assert inst.spec.bodies[0].colour_name in text
        assert "gate" in text and "pulled away at the start" in text
        assert {"two": 2, "three": 3}[text.split(" open basins")[0].split()[-1]] == n


def test_ground_truth_fills_basins_in_turn(three):
    inst, _ = three
    fills = [e for e in inst.events if e.kind == "fills"]
    overflows = [e for e in inst.events if e.kind == "overflows"]
    assert sorted(e.objects[1] for e in fills) == ["basin 1", "basin 2", "basin 3"]
    first = min(fills, key=lambda e: e.frame)
    assert first.objects[1] == "basin 1"  # the shelf spills into the highest basin first
    assert len(overflows) == 2 and all(e.frame > first.frame for e in overflows)


@pytest.mark.slow
def test_same_seed_same_task_json(two, tmp_path):
    inst, frames = two
    again, frames2 = build("cascade-v1", 0)
    a = write_instance(inst, frames, tmp_path / "a")
    b = write_instance(again, frames2, tmp_path / "b")
    assert (a / "task.json").read_bytes() == (b / "task.json").read_bytes()
    assert np.array_equal(frames, frames2)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["two", "three"])
def test_truth_passes(which, request, tmp_path):
    inst, frames = request.getfixturevalue(which)
    score, _ = score_encoded(inst, frames, tmp_path)
    assert score.passed and score.value >= 0.95, score.explanation


# the violation, and the law check that must fail it (on the three-basin cascade)
PLANTED = [
    # basins out of order also drain the tank at another pace: either reason fails it
    ("cascade order", "order", ("ahead of the truth", "does not flow at gravity's pace")),
    ("cascade level", "levels", "from its true level"),
    ("cascade lost", "volume", "lost or made"),
    ("cascade shelf leak", "walls", "passes through a wall"),
    ("cascade lip leak", "levels", "from its true level"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "check", "words"), PLANTED)
def test_planted_violation_fails(three, name, check, words, tmp_path):
    inst, frames = three
    score, _ = score_corrupted(name, inst, frames, tmp_path)
    assert not score.passed, score.explanation
    assert score.checks[check] < 0.5, score.explanation
    said = (words,) if isinstance(words, str) else words
    assert any(w in score.explanation for w in said), score.explanation


@pytest.mark.slow
def test_wrong_order_fails_with_two_basins(two, tmp_path):
    inst, frames = two
    score, _ = score_corrupted("cascade order", inst, frames, tmp_path)
    assert score.checks["order"] == 0.0, score.explanation


def test_cascade_violations_apply_to_cascade_only():
    inst, frames = build("bounce-v1", 0)
    rng = np.random.default_rng(0)
    for name, _, _ in PLANTED:
        assert BY_NAME[name].fn(inst, frames, rng) is None


@pytest.fixture(scope="module")
def five():
    """Instance 5: three basins whose last holds a shallow, still sloshing layer."""
    pytest.importorskip("taichi")
    return build("cascade-v1", 5)


# gravity scaled by 0.8 or 1.25 times the flow by 1.118 or 0.894: a few frames over the
# clip, no more than a motion blur delays the first thin liquid in a basin; the tank's
# draining tells the two apart (a blur delays it by a constant, gravity by a growing time)
@pytest.mark.slow
@pytest.mark.parametrize("name", ["gravity x0.8", "gravity x1.25"])
def test_gravity_scaled_a_little_fails(three, name, tmp_path):
    inst, frames = three
    score, _ = score_corrupted(name, inst, frames, tmp_path)
    assert not score.passed, score.explanation
    assert score.checks["order"] < 0.5 and "gravity's pace" in score.explanation


@pytest.mark.slow
@pytest.mark.parametrize("which", ["two", "three"])
def test_motion_blur_passes(which, request, tmp_path):
    inst, frames = request.getfixturevalue(which)
    for name in ("blur 2 frames", "blur 3 frames"):
        score, _ = score_corrupted(name, inst, frames, tmp_path)
        assert score.passed and score.checks["order"] >= 0.9, (name, score.explanation)


@pytest.mark.slow
def test_smeared_codec_passes(five, tmp_path):
    """MPEG-4 at its encoder's defaults smears the thin streams and the sloshing surfaces
    into the background: the liquid is read with its smeared edge."""
    inst, frames = five
    score, _ = score_corrupted("mpeg4", inst, frames, tmp_path)
    assert score.passed and score.value >= 0.8, score.explanation
