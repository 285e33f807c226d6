"""Explanations read as plain sentences: no ``-0`` for a value that rounds to zero, no
``inf`` or ``nan`` for an object never found, no tiles read off a blank frame."""

from __future__ import annotations

import re

import pytest

from tests.conftest import instance_dir, load
from vidreason.models import request_for
from vidreason.models.baselines import blank, jump_cut, static
from vidreason.scoring import score_frames
from vidreason.verifiers.combine import plain_numbers

ODD = re.compile(r"(?<![\w.])-0(?!\d|\.\d)|\binf\b|\bnan\b", re.IGNORECASE)
CASES = [
    ("static", "projectile-v1", 1),
    ("static", "ramp-v1", 0),
    ("static", "support-v1", 0),
    ("jump-cut", "inelastic-collision-v1", 0),
    ("blank", "blocker-v1", 0),
    ("blank", "solidity-v1", 0),
    ("blank", "sliding-puzzle-v1", 0),
]
MAKERS = {"static": static, "blank": blank, "jump-cut": jump_cut}


@pytest.mark.parametrize(("model", "family", "index"), CASES)
def test_baseline_explanations_read_plainly(suite_dir, tmp_path, model, family, index):
    inst, first = load(suite_dir, family, index)
    frames = MAKERS[model](request_for(instance_dir(suite_dir, family, index), tmp_path / "v"))
    score, _ = score_frames(frames, inst, first)
    assert not score.passed
    assert not ODD.search(score.explanation), score.explanation
    if model == "blank" and family == "sliding-puzzle-v1":
        assert "the first frame is blank: it shows no board" in score.explanation
        assert "shows tile" not in score.explanation
    if model == "blank" and family in ("blocker-v1", "solidity-v1"):
        assert "is never found" in score.explanation


def test_values_that_round_to_zero_lose_their_sign():
    assert plain_numbers("gravity -0 px/s², expected 148") == "gravity 0 px/s², expected 148"
    assert plain_numbers("(-0.00 m, frames 0-47)") == "(0.00 m, frames 0-47)"
    assert plain_numbers("moves -0.5 px, -3 px") == "moves -0.5 px, -3 px"
