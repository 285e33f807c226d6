"""Scene styles of the planning families and dam-break (``render/grid_style.py``): each
style is really drawn (a lit background with shadows, a checked background with striped
bodies, the bodies' hues kept), the same seed gives the same bytes per style, and the
verifiers hold in each style: the truth passes, a planted violation fails and a nuisance
passes, each scored as a model's video."""

from __future__ import annotations

import colorsys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import score_encoded
from vidreason.corruptions import BY_NAME, encode
from vidreason.render import grid_style as gs
from vidreason.render.video_io import read_video
from vidreason.scoring import score_frames
from vidreason.seeding import named_rng
from vidreason.tasks import build_instance, get_family
from vidreason.types import Instance, VideoFormat

GRID = ("maze-v1", "shortest-path-v1", "connect-v1", "sort-v1", "sliding-puzzle-v1")
STYLED = ("shaded", "textured")


def _build(family: str, style: str, index: int = 0) -> tuple[Instance, np.ndarray]:
    return build_instance(get_family(family), 0, index, 1, VideoFormat(style=style))


def _flat_frame(family: str, inst: Instance) -> np.ndarray:
    from dataclasses import replace

    spec = replace(inst.spec, fmt=VideoFormat())
    return get_family(family).render(spec, inst.trajectory)[0]


def _hue(rgb) -> float:
    return colorsys.rgb_to_hsv(*(np.asarray(rgb, float) / 255.0))[0]


@pytest.mark.parametrize("family", GRID)
def test_shaded_is_lit_from_the_top_left_with_shadows(family):
    inst, frames = _build(family, "shaded")
    flat = _flat_frame(family, inst)
    assert not np.array_equal(frames[0], flat)
    back = np.all(flat == inst.spec.background, axis=2)
    h, w = back.shape
    lum = frames[0].astype(float).mean(axis=2)
    top_left = lum[: h // 4, : w // 4][back[: h // 4, : w // 4]].mean()
    bottom_right = lum[-h // 4 :, -w // 4 :][back[-h // 4 :, -w // 4 :]].mean()
    assert 0.06 < (top_left - bottom_right) / lum[back].mean() < 0.3  # a gradient of a few %
    lit = np.mean(inst.spec.background) * gs.light(h, w, gs.BACK)
    shadow = (lum < lit * (1 - 0.4 * gs.SHADOW)) & back
    assert shadow.sum() > 20  # soft shadows fall on the background


@pytest.mark.parametrize("family", GRID)
def test_textured_has_checks_and_striped_bodies_of_their_own_hue(family):
    inst, frames = _build(family, "textured")
    flat = _flat_frame(family, inst)
    back = np.all(flat == inst.spec.background, axis=2)
    lum = frames[0].astype(float).mean(axis=2)
    assert 4.0 < lum[back].std() < 20.0  # a checked grain of moderate contrast
    for body in inst.spec.bodies:
        at = np.all(flat == body.colour, axis=2) & ~back
        px = frames[0][at].astype(float)
        assert px.mean(axis=1).std() > 3.0, body.name  # striped in two tints
        hue = _hue(px.mean(axis=0))
        gap = abs(hue - _hue(body.colour))
        assert min(gap, 1 - gap) < 0.04, body.name  # the hue of its colour key


@pytest.mark.parametrize("style", STYLED)
@pytest.mark.parametrize("family", ("maze-v1", "sliding-puzzle-v1", "sort-v1"))
def test_same_seed_same_bytes_per_style(family, style):
    inst, a = _build(family, style)
    b = get_family(family).render(inst.spec, inst.trajectory)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, _build(family, "textured" if style == "shaded" else "shaded")[1])


@pytest.mark.parametrize("style", STYLED)
@pytest.mark.parametrize("family", GRID)
def test_a_scene_without_its_bodies_is_drawn(family, style):
    """A planted vanish draws the scene with its bodies left out."""
    from dataclasses import replace

    inst, frames = _build(family, style)
    empty = get_family(family).render(replace(inst.spec, bodies=()), inst.trajectory)
    assert empty.shape == frames.shape and not np.array_equal(empty[0], frames[0])


def test_tints_keep_the_hue_within_the_trackers_tolerance():
    from vidreason.perception.tracking import lab_of
    from vidreason.tasks.palette import COLOURS

    for name, key in COLOURS.items():
        lo, mid, hi = np.rint(gs.tints(key, np.array([-gs.TINT, 0.0, gs.TINT]))).astype(np.uint8)
        lab = lab_of(np.array([lo, mid, hi]))
        assert np.linalg.norm(lab[0] - lab[1]) < 20 and np.linalg.norm(lab[2] - lab[1]) < 20
        assert lab[2][0] > lab[1][0] > lab[0][0], name


def _corrupted(inst: Instance, frames: np.ndarray, name: str) -> float:
    """The score of the truth with corruption ``name`` applied, as a model's video."""
    fam = inst.family_id
    sample = BY_NAME[name].fn(inst, frames, named_rng(0, "style-test", fam, name))
    assert sample is not None, name
    with tempfile.TemporaryDirectory() as tmp:
        clip = read_video(encode(sample, Path(tmp) / "v"))
    times = clip.times if clip.times is not None else np.arange(clip.n_frames) / clip.fps
    score, _ = score_frames(clip.frames, inst, frames[0], times)
    return score.value


VIOLATION = {
    "maze-v1": "teleport 15%",
    "connect-v1": "teleport 15%",
    "sort-v1": "freeze-jump 8",
    "sliding-puzzle-v1": "freeze-jump 8",
    "dam-break-v1": "gravity x2",
}


@pytest.mark.slow
@pytest.mark.parametrize("style", STYLED)
@pytest.mark.parametrize("family", sorted(VIOLATION))
def test_verifier_holds_in_each_style(family, style, tmp_path):
    if family == "dam-break-v1":
        pytest.importorskip("taichi")
    inst, frames = _build(family, style)
    score, _ = score_encoded(inst, frames, tmp_path)
    assert score.passed and score.value >= 0.95, score.explanation
    assert _corrupted(inst, frames, VIOLATION[family]) < 0.5
    assert _corrupted(inst, frames, "shake 2px") >= 0.95
