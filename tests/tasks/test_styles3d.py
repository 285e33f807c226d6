"""Scene styles of the MuJoCo families: flat keeps its model to the byte; shaded draws a
lit scene with soft shadows that follow the bodies; textured draws checked surfaces and
bodies checked in two tints of their key; the verifiers pass a true video, fail a planted
violation and pass a nuisance in each style; the same seed gives the same pixels."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace

import cv2
import numpy as np
import pytest

from tests.helpers import score_encoded
from vidreason.corruptions import BY_NAME
from vidreason.seeding import named_rng
from vidreason.tasks import build_instance, get_family
from vidreason.tasks.base import difficulty_of, sample_scene
from vidreason.tasks.physics3d.scene import FLOOR, WALL
from vidreason.types import VideoFormat

os.environ.setdefault("MUJOCO_GL", "egl")  # before anything imports mujoco
STYLED = ("shaded", "textured")

# sha256 (first 16 hex digits) of the flat MJCF of instance 0 (seed 0) as it was before
# the styles (drape-3d: its v3 scene, drawn anew, by the same drawing, the model's time step
# 5.5 ms): a change to the flat drawing fails here
FLAT_MJCF = {"roll-3d": "8ccb6316d3d73c1c", "drape-3d": "d7608d243dc288a3"}


def _spec(family: str, style: str = "flat"):
    f = get_family(family)
    return sample_scene(f, 0, 0, difficulty_of(f, 0), VideoFormat(style=style))


@pytest.mark.parametrize("family", sorted(FLAT_MJCF))
def test_flat_model_is_unchanged_and_styles_differ(family):
    pytest.importorskip("mujoco")
    from vidreason.engines import mujoco_flex, mujoco_sim

    mjcf = mujoco_flex.mjcf if family == "drape-3d" else mujoco_sim.mjcf
    spec = _spec(family)
    assert hashlib.sha256(mjcf(spec).encode()).hexdigest()[:16] == FLAT_MJCF[family]
    shaded, textured = mjcf(spec, style="shaded"), mjcf(spec, style="textured")
    assert 'castshadow="true"' in shaded and "texture" not in shaded
    assert 'builtin="checker"' in textured and "<light" not in textured


def _built(family: str, style: str):
    f = get_family(family)
    return build_instance(f, 0, 0, difficulty_of(f, 0), VideoFormat(style=style))


@pytest.fixture(scope="module")
def roll():
    pytest.importorskip("mujoco")
    return {s: _built("roll-3d", s) for s in ("flat", *STYLED)}


def _near(frame: np.ndarray, colour) -> np.ndarray:
    return np.abs(frame.astype(int) - np.asarray(colour)).max(axis=2) <= 4


def _grey(frame: np.ndarray) -> np.ndarray:
    return frame.astype(float).mean(axis=2)


@pytest.mark.slow
def test_shaded_is_lit_with_soft_shadows_that_follow_the_body(roll):
    from vidreason.render.mujoco_gl import render

    flat = roll["flat"][1]
    inst, frames = roll["shaded"]
    assert not np.array_equal(frames[0], flat[0])
    # the light falls off smoothly over the wall, which stays near its key
    lit = _grey(frames[0])[_near(flat[0], WALL)]
    lo, hi = np.percentile(lit, [5, 95])
    assert 1.03 < hi / lo < 1.3
    assert abs(np.median(lit) - np.mean(WALL)) < 12
    # the ball is shaded: lighter towards the light, darker away
    ball = inst.spec.bodies[0]
    x, y = inst.trajectory.states["ball"][0][:2]
    yy, xx = np.mgrid[: frames.shape[1], : frames.shape[2]]
    disc = (xx - x) ** 2 + (yy - y) ** 2 < (0.8 * ball.radius) ** 2
    v = frames[0].max(axis=2)[disc].astype(float)
    assert np.percentile(v, 95) / np.percentile(v, 5) > 1.15
    # the ball's shadow: the scene without the ball is lighter there; partly transparent,
    # and it moves with the ball
    empty = render(replace(inst.spec, bodies=()), inst.trajectory)
    where = []
    for i in (16, 24):  # in flight: its shadow on the floor behind and below it
        x, y = inst.trajectory.states["ball"][i][:2]
        away = (xx - x) ** 2 + (yy - y) ** 2 > (1.3 * ball.radius) ** 2
        ratio = _grey(frames[i]) / np.maximum(_grey(empty[i]), 1.0)
        shadow = (ratio < 0.93) & away
        assert shadow.sum() > 10
        assert 0.6 < ratio[shadow].min() < 0.9  # partly transparent
        where.append((xx[shadow].mean(), yy[shadow].mean()))
    assert np.linalg.norm(np.subtract(*where)) > 20


@pytest.mark.slow
def test_textured_checks_the_floor_and_the_body_in_its_own_hue(roll):
    flat = roll["flat"][1]
    inst, frames = roll["textured"]
    for colour in (FLOOR, WALL):
        v = _grey(frames[0])[_near(flat[0], colour)]
        lo, hi = np.percentile(v, [5, 95])
        assert hi - lo > 10  # a pattern of moderate contrast
        assert abs(np.median(v) - np.mean(colour)) < 25
    ball = inst.spec.bodies[0]
    x, y = inst.trajectory.states["ball"][0][:2]
    yy, xx = np.mgrid[: frames.shape[1], : frames.shape[2]]
    disc = (xx - x) ** 2 + (yy - y) ** 2 < (0.7 * ball.radius) ** 2
    hsv = cv2.cvtColor(frames[0], cv2.COLOR_RGB2HSV)[disc].astype(float)
    key = cv2.cvtColor(np.uint8([[ball.colour]]), cv2.COLOR_RGB2HSV)[0, 0].astype(float)
    hue = np.abs((hsv[:, 0] - key[0] + 90) % 180 - 90)  # OpenCV hue: 0-180
    assert np.median(hue) < 6  # the key's hue
    lo, hi = np.percentile(hsv[:, 2], [5, 95])
    assert hi - lo > 15  # two tints


@pytest.mark.slow
@pytest.mark.parametrize("style", STYLED)
def test_same_seed_same_pixels(roll, style):
    from vidreason.render.mujoco_gl import render

    inst, frames = roll[style]
    assert np.array_equal(render(inst.spec, inst.trajectory), frames)


CASES = [("throw-3d", s) for s in STYLED] + [("squash-3d", s) for s in STYLED]


@pytest.mark.slow
@pytest.mark.parametrize(("family", "style"), CASES)
def test_true_passes_violation_fails_nuisance_passes(family, style, tmp_path):
    pytest.importorskip("mujoco")
    inst, frames = _built(family, style)
    score, _ = score_encoded(inst, frames, tmp_path)
    assert score.passed, score.explanation
    for name, ok in (("teleport 15%", False), ("gravity x2", False), ("shake 2px", True)):
        sample = BY_NAME[name].fn(inst, frames, named_rng(0, "styles3d", family, name))
        got, _ = score_encoded(inst, sample.frames, tmp_path, first=frames[0])
        assert got.passed is ok, f"{name}: {got.explanation}"
        assert (got.value >= 0.9) if ok else (got.value <= 0.1), f"{name}: {got.explanation}"


def test_codec_specks_are_dropped_from_a_styled_silhouette():
    from vidreason.verifiers.soft import without_specks

    mask = np.zeros((60, 60), bool)
    mask[20:50, 10:40] = True  # the body
    mask[5:7, 20:23] = True  # a codec's speck above it
    mask[20:32, 45:55] = True  # a piece of it a sixth of its size (a cloth's hem)
    kept = without_specks(mask)
    assert not kept[5:7, 20:23].any()
    assert kept[20:50, 10:40].all() and kept[20:32, 45:55].all()


@pytest.mark.slow
def test_a_lossy_codec_keeps_a_textured_soft_ball_round(tmp_path):
    """MPEG-4 at a low rate smears the ball's colour along the checked floor's edges into
    specks above it; they must not stretch its silhouette (the audit's own instance)."""
    pytest.importorskip("mujoco")
    f = get_family("squash-3d")
    inst, frames = build_instance(f, 5, 0, difficulty_of(f, 0), VideoFormat(style="textured"))
    from vidreason.corruptions import encode
    from vidreason.render.video_io import read_video
    from vidreason.scoring import score_frames

    truth = read_video(write_truth(inst, frames, tmp_path)).frames
    sample = BY_NAME["mpeg4"].fn(inst, truth, named_rng(5, "audit", f.id, "0", "mpeg4"))
    clip = read_video(encode(sample, tmp_path / "v"))
    score, _ = score_frames(clip.frames, inst, frames[0], clip.times)
    assert score.passed and score.value >= 0.9, score.explanation


def write_truth(inst, frames, tmp_path):
    from vidreason.instance_io import write_instance

    return write_instance(inst, frames, tmp_path / "task") / "ground_truth.mp4"
