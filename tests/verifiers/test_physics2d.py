"""Counter-checks for the 2D physics-in-breadth families (ramp, pendulum, stack,
inelastic-collision, free-fall-pair): the same engine with a law broken (gravity scaled,
friction removed, masses changed, bodies passing through or bouncing apart) fails the
family's own law check, and the explanation names the problem, the object and the frame.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.conftest import load
from vidreason.scene.stack import STAYS, outcomes
from vidreason.scoring import score_frames
from vidreason.tasks import build_instance, get_family
from vidreason.types import Instance, Score, Trajectory, VideoFormat
from vidreason.violations import draw, freeze, own_gravity, pass_through, resimulate

NEW = ("ramp-v1", "pendulum-v1", "stack-v1", "inelastic-collision-v1", "free-fall-pair-v1")


def _score(frames: np.ndarray, inst: Instance, first: np.ndarray | None = None) -> Score:
    score, _ = score_frames(frames, inst, frames[0] if first is None else first)
    return score


def _build(family: str, difficulty: int, index: int = 0) -> tuple[Instance, np.ndarray]:
    return build_instance(get_family(family), 0, index, difficulty, VideoFormat())


def _resimulated(inst: Instance, **spec_changes: object) -> np.ndarray:
    spec = dataclasses.replace(inst.spec, **spec_changes)
    traj, _ = get_family(inst.family_id).simulate(spec)
    return draw(inst.spec, traj)


@pytest.mark.parametrize("family", NEW)
def test_hardest_difficulty_passes_the_oracle(family):
    inst, frames = _build(family, 3)
    score = _score(frames, inst)
    assert score.value >= 0.95, score


@pytest.mark.parametrize(
    ("family", "check"),
    [
        ("ramp-v1", "slide_down"),
        ("pendulum-v1", "period"),
        ("stack-v1", "landing"),
        ("free-fall-pair-v1", "landing"),
    ],
)
@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_gravity_scaled_fails_the_law(family, check, scale, suite_dir):
    inst, first = load(suite_dir, family, 0)
    score = _score(resimulate(inst, gravity_scale=scale), inst, first)
    assert score.checks[check] < 0.5 and not score.passed, score


def test_ramp_without_friction_slides_too_fast(suite_dir):
    inst, first = load(suite_dir, "ramp-v1", 0)
    score = _score(resimulate(inst, friction=0.0), inst, first)
    assert score.checks["slide_down"] < 0.5, score
    assert "more than the" in score.explanation and "too little friction" in score.explanation
    assert inst.spec.bodies[0].label in score.explanation


def test_ramp_launched_uphill_checks_both_ways():
    inst, _ = _build("ramp-v1", 3)
    assert inst.spec.params["v0"] < 0
    score = _score(resimulate(inst, friction=0.0), inst)
    assert min(score.checks["slide_up"], score.checks["slide_down"]) < 0.5, score


def test_ramp_frozen_block_fails(suite_dir):
    inst, first = load(suite_dir, "ramp-v1", 1)
    score = _score(freeze(inst, frame=10), inst, first)
    assert score.checks["slide_down"] < 0.5, score


def test_ramp_block_falling_through_the_incline_is_named(suite_dir):
    inst, first = load(suite_dir, "ramp-v1", 0)
    score = _score(pass_through(inst, [("block", "wall")]), inst, first)
    assert score.checks["on_slope"] < 0.5, score
    assert "leaves the ramp's surface" in score.explanation and "at frame" in score.explanation


def test_pendulum_period_names_the_change(suite_dir):
    inst, first = load(suite_dir, "pendulum-v1", 1)
    score = _score(resimulate(inst, gravity_scale=2.0), inst, first)
    assert "shorter than the" in score.explanation and "period" in score.explanation


def test_pendulum_rod_that_stretches_fails(suite_dir):
    """From frame 20 on, the bob swings a quarter further from the pivot."""
    inst, first = load(suite_dir, "pendulum-v1", 0)
    px, py = inst.spec.joints[0].anchor
    states = tuple(
        (px + (x - px) * 1.25, py + (y - py) * 1.25, *rest) if i >= 20 else (x, y, *rest)
        for i, (x, y, *rest) in enumerate(inst.trajectory.states["bob"])
    )
    score = _score(draw(inst.spec, Trajectory(states={"bob": states})), inst, first)
    assert score.checks["rod"] < 0.5, score
    assert "does not stay on its rod" in score.explanation and "at frame" in score.explanation


def test_damped_pendulum_that_keeps_its_amplitude_fails():
    inst, _ = _build("pendulum-v1", 3)
    assert "damping" in inst.spec.extra
    score = _score(_resimulated(inst, extra={}), inst)
    assert score.checks["amplitude"] < 0.5, score
    assert "higher than" in score.explanation


def _stack(falls: bool) -> tuple[Instance, np.ndarray]:
    """The first instance (difficulty 1, seed 0) whose tower falls, or stands."""
    family = get_family("stack")
    for index in range(20):
        inst, frames = build_instance(family, 0, index, 1, VideoFormat())
        final = {n: s[-1][:2] for n, s in inst.trajectory.states.items()}
        if any(v != STAYS for v in outcomes(inst.spec, final).values()) == falls:
            return inst, frames
    raise AssertionError("no such stack in 20 instances")


def test_stack_block_that_hangs_over_the_edge_fails():
    """The dropped block lands, then stays put instead of toppling off."""
    inst, _ = _stack(falls=True)
    top = inst.spec.bodies[-1].name
    ys = [s[1] for s in inst.trajectory.states[top]]
    land = next(i for i, y in enumerate(ys) if y >= inst.spec.params["land_y"] - 1)
    held = inst.trajectory.states[top][land]
    states = dict(inst.trajectory.states)
    states[top] = tuple(s if i < land else held for i, s in enumerate(states[top]))
    score = _score(draw(inst.spec, Trajectory(states=states)), inst)
    assert score.checks["outcome"] == 0.0, score
    assert "stays on the tower, but it should fall to the" in score.explanation


def test_stack_block_passing_through_the_tower_fails():
    inst, _ = _stack(falls=False)
    *tower, top = inst.spec.bodies
    score = _score(pass_through(inst, [(top.name, b.name) for b in tower]), inst)
    assert score.checks["outcome"] == 0.0, score
    assert f"the {top.label} drops straight down, but it should stay" in score.explanation


def test_inelastic_balls_that_bounce_apart_fail(suite_dir):
    inst, first = load(suite_dir, "inelastic-collision-v1", 0)
    score = _score(resimulate(inst, elasticity=0.9), inst, first)
    assert score.checks["together"] < 0.5, score
    assert "separate again after touching at frame" in score.explanation


def test_inelastic_balls_passing_through_each_other_fail(suite_dir):
    inst, first = load(suite_dir, "inelastic-collision-v1", 1)
    score = _score(pass_through(inst, [("a", "b")]), inst, first)
    assert score.checks["together"] < 0.5 or score.checks["contact_time"] < 0.5, score
    assert not score.passed


def test_inelastic_masses_changed_break_momentum(suite_dir):
    inst, first = load(suite_dir, "inelastic-collision-v1", 1)
    ratio = inst.spec.params["mass_ratio"]
    score = _score(resimulate(inst, mass_ratio=ratio * 3), inst, first)
    assert min(score.checks["common_velocity"], score.checks["momentum"]) < 0.5, score
    assert "common velocity" in score.explanation or "momentum" in score.explanation


def test_inelastic_masses_swapped_fail(suite_dir):
    inst, first = load(suite_dir, "inelastic-collision-v1", 1)
    ratio = inst.spec.params["mass_ratio"]
    score = _score(resimulate(inst, mass_ratio=1 / ratio), inst, first)
    assert not score.passed, score


def test_heavy_ball_falling_faster_fails(suite_dir):
    inst, first = load(suite_dir, "free-fall-pair-v1", 0)
    score = _score(own_gravity(inst, {"heavy": 1.4}), inst, first)
    assert score.checks["together"] < 0.5 and score.checks["gravity"] < 0.5, score
    heavy = inst.spec.body("heavy").label
    assert f"the {heavy} lands" in score.explanation and "must land together" in score.explanation
