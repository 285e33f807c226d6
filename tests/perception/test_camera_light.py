"""Light that changes smoothly over the picture is no camera motion, and a real zoom over
a textured or lit scene is still read as the zoom it is: real videos, encoded and decoded,
registered as ``perceive`` registers them."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import build
from vidreason.corruptions import BY_NAME, encode
from vidreason.corruptions.sample import chain
from vidreason.instance_io import write_instance
from vidreason.perception.light import correct, gain_fields
from vidreason.perception.registration import register
from vidreason.perception.scene import resting, static_mask
from vidreason.render.video_io import read_video
from vidreason.types import VideoFormat

ZOOM_5 = 1 / 0.9  # 5% cut from each side, resized back


def _scale(family: str, index: int, seed: int, style: str, names: list[str], tmp_path):
    """The camera's zoom per frame, registered on the true video changed by ``names``."""
    inst, frames = build(family, index, seed=seed, fmt=VideoFormat(style=style))
    sample = chain(*(BY_NAME[n].fn for n in names))(inst, frames, np.random.default_rng(0))
    assert sample is not None
    clip = read_video(encode(sample, tmp_path / "v"))
    h, w = clip.frames.shape[1:3]
    cam = register(clip.frames, frames[0], static_mask(inst, w, h), clip.times, resting(inst, w, h))
    return cam.scale()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("family", "index", "seed", "style", "names", "zoom"),
    [
        # a lit floor under a strong vignette: its darkened corners were read as x0.98
        ("drape-3d", 0, 5, "shaded", ["vignette 0.4"], 1.0),
        ("drape-3d", 0, 5, "shaded", ["zoom 5%"], ZOOM_5),
        # a checkered backdrop, its dark hatched rim cut away by the zoom
        ("identity", 0, 7, "textured", ["zoom 5%", "vignette 0.4"], ZOOM_5),
        ("identity", 0, 7, "textured", ["light gradient"], 1.0),
    ],
)
def test_smooth_light_is_no_zoom_and_a_zoom_is_read_as_itself(
    family, index, seed, style, names, zoom, tmp_path
):
    scale = _scale(family, index, seed, style, names, tmp_path)
    assert np.all(np.abs(scale - zoom) < 0.005), (names, scale.min(), scale.max())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("family", "index", "seed", "zoom", "px"),
    [
        ("patterns", 0, 21, 0.012, 2.0),
        ("identity", 0, 21, 0.012, 2.0),
        ("patterns", 1, 22, 0.03, 5.0),
    ],
)
def test_a_camera_that_pans_and_zooms_is_followed_as_the_scene_leaves_the_picture(
    family, index, seed, zoom, px, tmp_path
):
    """The slow pan of 8 px and zoom to x1.04 (``drift``) takes the table's dark rim out of
    the picture on two sides; compared with what lies beyond the frame's edge it pulled the
    camera to x0.67 (patterns #0) and x1.30 (identity). With the rim gone on two sides, a
    zoom and the shift that keeps the other two edges in place is hardly fixed: there a
    body passing pulled the camera of patterns #1 from x1.03 to x1.19 in one frame."""
    inst, frames = build(family, index, seed=seed, fmt=VideoFormat(style="flat"))
    truth = read_video(write_instance(inst, frames, tmp_path / "task") / "ground_truth.mp4").frames
    sample = BY_NAME["drift"].fn(inst, truth, np.random.default_rng(0))  # as the audit does
    assert sample is not None
    clip = read_video(encode(sample, tmp_path / "v"))
    h, w = clip.frames.shape[1:3]
    cam = register(clip.frames, frames[0], static_mask(inst, w, h), clip.times, resting(inst, w, h))
    u = np.arange(len(clip.frames)) / (len(clip.frames) - 1)
    assert np.abs(cam.scale() - (1 + 0.04 * u)).max() < zoom, cam.scale()
    shift = cam.shift(w, h)
    assert np.abs(shift - np.stack([8 * u, 4 * u], axis=1)).max() < px, shift


def test_a_tone_curve_over_a_narrow_dark_floor_is_taken_out_with_a_level():
    """Dominoes (seed 21, instance 0): a light backdrop over a floor only a few cells of the
    static scene high. A tone curve lifts the floor far more than the backdrop; a gain
    alone bent its surface towards the floor and darkened the backdrop above it by up to
    55 grey levels (something "not in the scene" appeared there). With the level fitted
    too, the backdrop comes back within a few levels."""
    from vidreason.corruptions.nuisances import gamma

    inst, frames = build("dominoes", 0, seed=21)
    static = static_mask(inst, 256, 256)
    backdrop = np.abs(frames[0].astype(int) - 236).max(axis=2) < 6
    for power in (0.7, 1.3):
        changed = gamma(power)(inst, frames[:2], np.random.default_rng(0)).frames
        fixed = correct(changed, gain_fields(changed, frames[0], static))
        err = np.abs(fixed[1].astype(int) - frames[1].astype(int)).max(axis=2)
        assert err[backdrop].max() <= 10, (power, err[backdrop].max())


def test_codec_noise_fitted_as_light_leaves_the_frames_as_they_are(tmp_path):
    """The true video through H.264: its cells' means differ from the conditioning image's
    by codec noise, fitted as a gain a little under 1 and a level of a few greys that
    nearly cancel. No grey moves by 2% of the range, so no frame is corrected (every frame
    of bounce's and dominoes' truths was, before); a vignette still is."""
    from vidreason.corruptions.nuisances import vignette
    from vidreason.perception.light import negligible
    from vidreason.render.video_io import write_mp4

    for family in ("bounce", "dominoes"):
        inst, frames = build(family, 0)
        static = static_mask(inst, 256, 256)
        video = read_video(write_mp4(frames, tmp_path / f"{family}.mp4", fps=16)).frames
        gains = gain_fields(video, frames[0], static)
        assert np.abs(gains[:, -1]).max() > 1.0  # a level was fitted to the noise
        assert negligible(gains).all()
        assert correct(video, gains) is video
        dark = vignette(0.2)(inst, video, np.random.default_rng(0)).frames
        assert not negligible(gain_fields(dark, frames[0], static)).any()


@pytest.mark.slow
def test_a_strong_vignette_keeps_its_curve_where_a_plane_fits_it_worse():
    """dam-break flat seed 13 #1 under a vignette of 0.4, as the audit scores it: at one
    frame the curved gain reached a little past the measured cells in the corners and a
    plane was taken instead (a gain of 0.77 over the middle), the liquid was lost to the
    white and 'jumped 35 px'."""
    from vidreason.audit import Job, run_job

    out = run_job(Job("dam-break-v1", 1, 13, ("vignette 0.4", "vignette 0.2"), "flat"))
    assert all(o.passed for o in out), [o.explanation for o in out]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("family", "index", "style", "shake_px", "dark", "draw"),
    [
        # two cups and a ball on a blank wall (too little static scene): the darker rim
        # was read as a zoom of x0.95, the shift of 1.8 px as one of 3.6
        ("containment", 1, "flat", 2.0, 0.4, 1),
        ("containment", 1, "flat", 2.0, 0.4, 3),
        # a pendulum's frame and a lit wall: x0.975 and a squash, 3 px off
        ("pendulum", 1, "shaded", 3.0, 0.3, 0),
        # one ball over a floor: x0.94, 7 px off
        ("projectile", 1, "shaded", 3.0, 0.3, 0),
    ],
)
def test_a_shaken_first_frame_under_a_vignette_is_shifted_not_zoomed(
    family, index, style, shake_px, dark, draw, tmp_path
):
    """The first frame shifted by a shaking camera and darkened at its rim: the search over
    every pixel took the rim for a zoom (with a squash, which no later frame undoes); fitted
    again with the light, from no camera motion too, the shift is read as the shift."""
    from vidreason.corruptions.nuisances import shake, vignette

    inst, frames = build(family, index, seed=22, fmt=VideoFormat(style=style))
    frames = frames[:4]
    rng = np.random.default_rng(draw)
    sample = chain(shake(shake_px), vignette(dark))(inst, frames, rng)
    true = np.random.default_rng(draw).uniform(-shake_px, shake_px, 2)  # frame 0's shake
    clip = read_video(encode(sample, tmp_path / "v"))
    h, w = clip.frames.shape[1:3]
    cam = register(clip.frames, frames[0], static_mask(inst, w, h), clip.times, resting(inst, w, h))
    assert abs(cam.scale()[0] - 1.0) < 0.01, cam.scale()[0]
    assert np.abs(cam.shift(w, h)[0] - true).max() < 1.0, (cam.shift(w, h)[0], true)
    sx, sy = np.linalg.norm(cam.matrices[0, :, :2], axis=0)
    assert abs(sx / sy - 1.0) < 0.01  # no squash


@pytest.mark.slow
@pytest.mark.parametrize("name", ["zoom 2%", "zoom 5%"])
def test_a_zoom_over_a_lone_ball_and_a_floor_is_found_when_no_search_beats_none_clearly(
    name, tmp_path
):
    """One ball on a shaded table above a floor band: every search map matched frame 0 far
    better than no motion, but not by the margin that accepts one (no motion matched
    poorly too), and ECC from them slid into a shear; with the best map refitted with the
    light against no motion, the zoom is read and the true path passes."""
    from vidreason.scoring import score_frames

    inst, frames = build("projectile", 1, seed=31, fmt=VideoFormat(style="shaded"))
    write_instance(inst, frames, tmp_path / "task")
    truth = read_video(tmp_path / "task" / "ground_truth.mp4").frames
    sample = BY_NAME[name].fn(inst, truth, np.random.default_rng(0))
    clip = read_video(encode(sample, tmp_path / "v"))
    score, _ = score_frames(clip.frames, inst, frames[0], clip.times)
    assert score.passed, score.explanation
    assert "zoom x1.0" in score.explanation, score.explanation


def test_a_shear_is_no_camera_map_but_a_roll_and_a_stretch_are():
    from vidreason.perception.registration import sheared

    def mat(a: np.ndarray) -> np.ndarray:
        return np.hstack([a, np.zeros((2, 1))]).astype(np.float32)

    c, s = np.cos(np.radians(2.0)), np.sin(np.radians(2.0))
    roll = np.array([[c, -s], [s, c]])
    assert not sheared(mat(roll))
    assert not sheared(mat(np.diag([1.1, 1.0])))
    assert not sheared(mat(np.diag([1.1, 1.0]) @ roll))  # a roll, then a stretch
    assert sheared(mat(np.array([[1.005, -0.102], [0.0, 1.031]])))
    assert sheared(mat(np.array([[1.0, 0.05], [0.0, 1.0]])))
