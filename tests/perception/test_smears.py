"""A motion blur's smear read as what it is: a right video blurred over two or three
frames still passes, in every scene style, and the same instances still fail when a
body vanishes or jumps. Each case failed before the rule it names (real H.264, the real
verifier)."""

from __future__ import annotations

import pytest

from tests.helpers import build, score_corrupted
from vidreason.corruptions import BY_NAME, encode
from vidreason.instance_io import write_instance
from vidreason.render.video_io import read_video
from vidreason.scoring import score_frames
from vidreason.seeding import named_rng
from vidreason.types import Score, VideoFormat

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
    # a pen stepping 0.65 of its size a frame, blurred over 3 frames, shows no pixel of
    # its colour undiluted: its size is not read there ("shrinks to 54%")
    ("connect", 3, 1, "flat", "blur 3 frames"),
]

# a lit 3D scene counts a colour's darker shades as it, so a blurred or compressed body's
# faint copy over the grey table front weighed whole while its copy over the light table
# top weighed nothing: the falling body's centroid sank a few pixels for the frames it
# passed the table's edge, and its fall read 15-35% off the scene's gravity
LIT = [
    # mpeg4 leaves specks of the block's colour behind it, which joined it as "pieces"
    ("topple-3d", 7, 0, "shaded", "mpeg4"),
    ("topple-3d", 7, 6, "shaded", "blur 2 frames"),
    ("roll-3d", 5, 4, "shaded", "blur 2 frames"),
    # a blur over 3 frames softens the soft ball's brief squash, and a fitted time offset
    # a third of a frame off read the truth at its flattest: the truth is now read within
    # half a frame of the video's moments
    ("squash-3d", 5, 0, "shaded", "blur 3 frames"),
]


@pytest.mark.parametrize(("family", "seed", "index", "style", "blur"), SMEARS)
def test_a_blurred_right_video_passes(tmp_path, family, seed, index, style, blur):
    inst, frames = build(family, index, seed, fmt=VideoFormat(style=style))
    score, _ = score_corrupted(blur, inst, frames, tmp_path)
    assert score.passed, score.explanation


def _audited(family: str, seed: int, index: int, style: str, name: str, tmp_path) -> Score:
    """As ``vidreason audit --seed SEED`` scores it: the written ground truth decoded,
    corrupted, encoded, decoded and scored."""
    inst, frames = build(family, index, seed, fmt=VideoFormat(style=style))
    truth = read_video(write_instance(inst, frames, tmp_path / "task") / "ground_truth.mp4")
    rng = named_rng(seed, "audit", inst.family_id, str(index), name)
    clip = read_video(encode(BY_NAME[name].fn(inst, truth.frames, rng), tmp_path / "v"))
    return score_frames(clip.frames, inst, frames[0], clip.times)[0]


@pytest.mark.slow
@pytest.mark.parametrize(("family", "seed", "index", "style", "nuisance"), LIT)
def test_a_lit_3d_scene_passes_a_blur_or_codec_and_fails_a_wrong_gravity(
    tmp_path, family, seed, index, style, nuisance
):
    score = _audited(family, seed, index, style, nuisance, tmp_path)
    assert score.passed and score.checks["gravity"] >= 0.5, score.explanation
    wrong = _audited(family, seed, index, style, "gravity x1.25", tmp_path)
    assert not wrong.passed and wrong.checks["gravity"] < 0.5, wrong.explanation


@pytest.mark.parametrize(
    ("family", "seed", "index", "style", "violation"),
    [
        ("containment", 7, 0, "shaded", "vanish quarter"),
        ("sort", 7, 1, "flat", "teleport 15%"),
        ("sort", 7, 1, "shaded", "vanish quarter"),
        ("connect", 3, 1, "flat", "shrink"),
    ],
)
def test_the_same_scenes_still_fail_a_violation(tmp_path, family, seed, index, style, violation):
    inst, frames = build(family, index, seed, fmt=VideoFormat(style=style))
    score, _ = score_corrupted(violation, inst, frames, tmp_path)
    assert not score.passed, score.explanation
