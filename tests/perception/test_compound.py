"""Several nuisances at once, as a real video carries them, scored through the real
verifiers: a picture at half the size with paled colours pales a blue body towards the grey
of the scene's own edges (a dark floor against a light backdrop, a maze's walls, a tank's
walls), which must stay edges; a textured liquid sharpened and turned in hue keeps its
tints; a zoomed textured scene keeps its camera; the violations under the same nuisances
still fail."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import build
from vidreason.corruptions import BY_NAME, encode
from vidreason.corruptions.sample import chain
from vidreason.perception.tracking import codes, lab_of, label_table, seam_look_alikes
from vidreason.render.video_io import read_video
from vidreason.scoring import score_frames
from vidreason.types import VideoFormat

SMALL_PALE = "resize 0.5x + saturation 0.7 + vp9"


def _scored(names: list[str], family: str, index: int, tmp_path, style: str = "flat"):
    """Instance ``index`` of ``family`` (seed 7, drawn in ``style``) changed by the
    registry's ``names`` in order, encoded with the last codec chosen, decoded and
    scored."""
    inst, frames = build(family, index, seed=7, fmt=VideoFormat(style=style))
    sample = chain(*(BY_NAME[n].fn for n in names))(inst, frames, np.random.default_rng(0))
    assert sample is not None
    clip = read_video(encode(sample, tmp_path / "v"))
    return score_frames(clip.frames, inst, frames[0], clip.times)[0]


def test_a_grey_seam_of_the_scene_looks_like_a_paled_body_only_where_two_scene_colours_meet():
    colours = ((52, 114, 156), (235, 235, 231), (69, 69, 74))  # a paled blue, backdrop, floor
    table = label_table(lab_of(np.array(colours)))
    grey = codes(np.array([[(108, 108, 108)]], np.uint8))[0, 0]
    assert table[grey] == 0  # nearest to the paled blue, within reach of its colour
    reference = np.full((40, 40), 1, np.uint8)
    reference[30:36] = 2  # a floor band
    reference[10:16, 10:16] = 0  # the body, on the backdrop
    look = seam_look_alikes(table, colours, 1, reference)
    assert look is not None and look[0][grey]
    assert not look[0][codes(np.array([[colours[0]]], np.uint8))[0, 0]]  # the body's own colour
    seam = look[1]
    assert seam[28:38, 20].all() and not seam[20, 20] and not seam[12, 12]  # no body outline
    assert seam_look_alikes(label_table(lab_of(np.array(((200, 30, 30), *colours[1:])))),
                            ((200, 30, 30), *colours[1:]), 1, reference) is None  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    ("family", "index", "violation", "says"),
    [
        ("permanence", 0, "vanish 6", "not visible"),  # a blue ball behind a screen
        ("maze", 1, "duplicate", "second blue agent"),  # one agent, no floor edge as a second
        ("dam-break", 0, "vanish 6", "liquid is lost"),  # the water stays inside
    ],
)
def test_a_small_pale_video_passes_and_its_violation_still_fails(
    family, index, violation, says, tmp_path
):
    score = _scored(SMALL_PALE.split(" + "), family, index, tmp_path)
    assert score.passed, score.explanation
    score = _scored([violation, *SMALL_PALE.split(" + ")], family, index, tmp_path)
    assert not score.passed and says in score.explanation, score.explanation


@pytest.mark.slow
def test_a_sharpened_textured_liquid_in_another_hue_keeps_its_volume_and_a_loss_still_fails(
    tmp_path,
):
    """Sharpening pushes a textured liquid's two tints apart in lightness; with a hue turn
    on top they left the liquid's colour (its area fell by a quarter)."""
    score = _scored(["start +1", "hue +8°", "sharpen"], "pour", 1, tmp_path, "textured")
    assert score.passed and score.checks["volume"] > 0.8, score.explanation
    score = _scored(["pour lost", "hue +8°", "sharpen"], "pour", 1, tmp_path, "textured")
    assert not score.passed and "liquid is lost" in score.explanation, score.explanation


@pytest.mark.slow
def test_a_zoomed_textured_scene_keeps_its_camera_where_a_fine_pattern_slopes_elsewhere(
    tmp_path,
):
    """A checkered backdrop, little of it static: fitted frame after frame, the camera
    crept from the true zoom (x1.11) to x1.33, pulled by the dark hatched rim the zoom
    cut away (it darkened the reference's local mean, not the frame's); the local means
    are now taken over the same part of the scene, and what is left of a smooth light is
    fitted with the camera."""
    inst, frames = build("identity", 0, seed=7, fmt=VideoFormat(style="textured"))
    sample = BY_NAME["zoom 5%"].fn(inst, frames, np.random.default_rng(0))
    assert sample is not None
    clip = read_video(encode(sample, tmp_path / "v"))
    score, tracks = score_frames(clip.frames, inst, frames[0], clip.times)
    assert score.passed, score.explanation
    assert tracks.percept is not None
    scale = tracks.percept.camera.scale()
    assert np.all(np.abs(scale - 1 / 0.9) < 0.05), scale
