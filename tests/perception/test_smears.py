"""A motion blur's smear read as what it is: a right video blurred over two or three
frames still passes, in every scene style, and the same instances still fail when a
body vanishes or jumps. Each case failed before the rule it names (real H.264, the real
verifier)."""

from __future__ import annotations

import pytest

from tests.helpers import build, score_corrupted
from vidreason.types import VideoFormat

# (family, seed, index, style, blur): what each case holds
SMEARS = [
    # a styled scene tells colours apart by hue first: the cup's pale smear over the light
    # backdrop was read as the backdrop, and the cup shrank to half its size
    ("containment", 7, 0, "shaded", "blur 3 frames"),
    ("containment", 7, 0, "textured", "blur 3 frames"),
    # the blue bar's pale ghost lies within reach of the cyan bar's colour: a piece of
    # doubtful pixels apart from the cyan bar pulled it off its slot ("3 bars move at once")
    ("sort", 7, 1, "flat", "blur 2 frames"),
    # a bar lifted fast smears beyond the box around where it is tracked ("the scene
    # changes" above it)
    ("sort", 7, 1, "shaded", "blur 3 frames"),
]


@pytest.mark.parametrize(("family", "seed", "index", "style", "blur"), SMEARS)
def test_a_blurred_right_video_passes(tmp_path, family, seed, index, style, blur):
    inst, frames = build(family, index, seed, fmt=VideoFormat(style=style))
    score, _ = score_corrupted(blur, inst, frames, tmp_path)
    assert score.passed, score.explanation


@pytest.mark.parametrize(
    ("family", "seed", "index", "style", "violation"),
    [
        ("containment", 7, 0, "shaded", "vanish quarter"),
        ("sort", 7, 1, "flat", "teleport 15%"),
        ("sort", 7, 1, "shaded", "vanish quarter"),
    ],
)
def test_the_same_scenes_still_fail_a_violation(tmp_path, family, seed, index, style, violation):
    inst, frames = build(family, index, seed, fmt=VideoFormat(style=style))
    score, _ = score_corrupted(violation, inst, frames, tmp_path)
    assert not score.passed, score.explanation
