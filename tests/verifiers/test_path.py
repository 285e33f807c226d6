"""``path`` (each body on its true path, in time) and the size test of ``objects``, on
real H.264 videos: the truth passes, a body that wobbles, stops, lags or shrinks
fails, and planning families, whose pace is their own, do not run ``path``."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import build, score_encoded
from vidreason.corruptions import BY_NAME
from vidreason.seeding import named_rng
from vidreason.tasks import get_family
from vidreason.tasks.base import GENERIC_CHECKS, NO_PATH_CHECKS


def _corrupted(inst, frames: np.ndarray, name: str) -> np.ndarray:
    sample = BY_NAME[name].fn(inst, frames, named_rng(0, "test", name))
    assert sample is not None and len(sample.frames) == len(frames)
    return sample.frames


def test_a_wobbling_ball_leaves_its_path_and_the_truth_does_not(tmp_path):
    inst, frames = build("bounce-v1")
    truth, _ = score_encoded(inst, frames, tmp_path)
    assert truth.checks["path"] == 1.0 and truth.passed
    wobbly, _ = score_encoded(inst, _corrupted(inst, frames, "wobble"), tmp_path)
    assert wobbly.checks["path"] == 0.0 and not wobbly.passed
    assert "leaves its true path by up to 10 px" in wobbly.explanation
    assert "in frames 1-3, 5-7" in wobbly.explanation  # the frames where it is off


@pytest.mark.slow
@pytest.mark.parametrize("family_id", ["free-fall-pair-v1", "projectile-v1", "collision-v1"])
def test_a_body_that_stops_or_lags_fails_path(tmp_path, family_id):
    """collision: slow balls; the lag is 0.25 s or more, beyond the path's time window."""
    inst, frames = build(family_id)
    for name in ("stop", "lag"):
        score, _ = score_encoded(inst, _corrupted(inst, frames, name), tmp_path)
        assert score.checks["path"] < 0.5, (name, score.explanation)


@pytest.mark.slow
@pytest.mark.parametrize("family_id", ["bounce-v1", "projectile-v1"])
def test_a_body_that_shrinks_for_the_second_half_fails_objects(tmp_path, family_id):
    inst, frames = build(family_id)
    score, _ = score_encoded(inst, _corrupted(inst, frames, "shrink"), tmp_path)
    assert score.checks["objects"] == 0.0
    assert "shrinks to" in score.explanation and "% of its size" in score.explanation


def test_planning_families_set_their_own_pace_and_run_no_path_check():
    assert "path" in GENERIC_CHECKS and "path" not in NO_PATH_CHECKS
    for family_id in ("maze-v1", "shortest-path-v1", "connect-v1", "sort-v1"):
        assert get_family(family_id).generic_checks == NO_PATH_CHECKS
    assert get_family("bounce-v1").generic_checks == GENERIC_CHECKS
