"""Colour calibration: a video whose colours are shifted as a whole keeps its objects; a
colour too far from its key, or nearer another body's key, is not adopted."""

from __future__ import annotations

import cv2
import numpy as np

from vidreason.perception.tracking import calibrate, scene_palette
from vidreason.render.video_io import read_video, write_mp4
from vidreason.scoring import score_frames
from vidreason.tasks import build_instance, get_family
from vidreason.types import VideoFormat


def _hue(frames: np.ndarray, degrees: float) -> np.ndarray:
    out = []
    for f in frames:
        hsv = cv2.cvtColor(f, cv2.COLOR_RGB2HSV)
        hsv[..., 0] = ((hsv[..., 0].astype(int) + round(degrees / 2)) % 180).astype(np.uint8)
        out.append(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB))
    return np.stack(out)


def test_a_hue_shifted_true_video_still_passes(tmp_path):
    """Without calibration, the cyan pen of this instance leaves its colour key."""
    inst, frames = build_instance(get_family("connect"), 0, 2, 3, VideoFormat())
    truth = read_video(write_mp4(frames, tmp_path / "truth.mp4", fps=16)).frames
    clip = read_video(write_mp4(_hue(truth, 8.0), tmp_path / "v.mp4", fps=16))
    score, _ = score_frames(clip.frames, inst, frames[0], clip.times)
    assert score.passed and score.value == 1.0, score.explanation


def test_calibration_adopts_near_colours_only():
    inst, frames = build_instance(get_family("projectile"), 0, 0, 1, VideoFormat())
    _, colours = scene_palette(inst)
    assert calibrate(frames[0], inst, colours) == colours  # the true video: its own keys
    shifted = calibrate(_hue(frames[:1], 8.0)[0], inst, colours)
    assert shifted[0] != colours[0]  # the ball's colour as this video shows it
    far = frames[0].copy()
    x, y = (round(v) for v in inst.trajectory.states["ball"][0][:2])
    far[y - 8 : y + 9, x - 8 : x + 9] = 255 - np.array(colours[0], np.uint8)
    assert calibrate(far, inst, colours)[0] == colours[0]  # too far from the key: kept


def _faded(frames: np.ndarray, saturation: float) -> np.ndarray:
    f = frames.astype(np.float32)
    grey = f.mean(axis=3, keepdims=True)
    return np.clip(np.rint(grey + saturation * (f - grey)), 0, 255).astype(np.uint8)


def test_a_true_video_faded_to_half_saturation_keeps_its_objects(tmp_path):
    """A grade to half saturation moves this instance's yellow ball 41 Lab from its key
    (past ``CALIBRATE``): read as the key faded, it is adopted and the ball tracked; the
    same fade with the ball's colour changed halfway still fails."""
    from tests.helpers import build
    from vidreason.corruptions import BY_NAME

    inst, frames = build("collision", 0, seed=31)
    truth = read_video(write_mp4(frames, tmp_path / "truth.mp4", fps=16)).frames
    clip = read_video(write_mp4(_faded(truth, 0.5), tmp_path / "v.mp4", fps=16))
    score, _ = score_frames(clip.frames, inst, frames[0], clip.times)
    assert score.passed, score.explanation
    wrong = BY_NAME["colour change"].fn(inst, truth, np.random.default_rng(0)).frames
    clip = read_video(write_mp4(_faded(wrong, 0.5), tmp_path / "w.mp4", fps=16))
    score, _ = score_frames(clip.frames, inst, frames[0], clip.times)
    assert not score.passed


def test_a_faded_colour_is_adopted_only_near_its_own_key_faded():
    """A red ball faded to half saturation lies nearest the brown key; read against the
    keys faded alike it is red's, and adopted. A colour of no key, faded or not, is not."""
    inst, frames = build_instance(get_family("projectile"), 0, 0, 1, VideoFormat())
    _, colours = scene_palette(inst)
    faded = calibrate(_faded(frames[:1], 0.5)[0], inst, colours)
    assert faded[0] != colours[0]
    far = _faded(frames[:1], 0.5)[0]
    x, y = (round(v) for v in inst.trajectory.states["ball"][0][:2])
    far[y - 8 : y + 9, x - 8 : x + 9] = (40, 160, 60)  # a green: nothing of the red
    assert calibrate(far, inst, colours)[0] == colours[0]
