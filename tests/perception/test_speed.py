"""Perception's faster paths give what the plain ones gave: the light's least squares
solved for the three channels together, the per-channel maxima taken pairwise, a still
camera known from the frames' greys without their local means."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.helpers import build
from vidreason.corruptions import BY_NAME, encode
from vidreason.perception import registration as reg
from vidreason.perception.light import GRID, _cell_sums, _centres, _solve, _terms, gain_fields
from vidreason.perception.pixels import channel_max
from vidreason.perception.scene import static_mask
from vidreason.perception.timeline import changed
from vidreason.perception.tracking import MAX_LAB_DISTANCE, _cube_lab, lab_of, label_table
from vidreason.render.video_io import read_video


def _lstsq(d: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.stack([np.linalg.lstsq(d[ch], t[ch, :, 0], rcond=None)[0] for ch in range(3)])


def test_the_channels_solved_together_match_each_solved_alone():
    rng = np.random.default_rng(0)
    u, v = _centres()
    a = _terms(u.ravel(), v.ravel())
    x = rng.uniform(40, 250, (len(a), 3))
    d = a[None] * x.T[:, :, None]
    d = np.concatenate([d, np.ones((3, len(a), 1))], axis=2)  # with a level
    t = rng.uniform(40, 250, (3, len(a), 1))
    assert np.allclose(_solve(d, t), _lstsq(d, t), rtol=1e-9, atol=1e-9)
    # a strip of cells along the top: v is the same in every cell, so the terms in v
    # repeat the constant and the system has no single solution: the least-norm one
    top = np.abs(v.ravel() - v.min()) < 1e-9
    d, t = d[:, top], t[:, top]
    assert np.allclose(_solve(d, t), _lstsq(d, t), rtol=1e-9, atol=1e-9)


def test_the_light_of_a_vignetted_video_is_fitted_every_frame_and_repeats_copied():
    inst, frames = build("projectile")
    static = static_mask(inst, 256, 256)
    dark = BY_NAME["vignette 0.4"].fn(inst, frames[:4], np.random.default_rng(0)).frames
    held = np.concatenate([dark[:2], dark[1:2], dark[2:]])  # frame 1 shown twice
    gains = gain_fields(held, frames[0], static)
    assert np.array_equal(gains[2], gains[1])
    assert np.array_equal(np.delete(gains, 2, axis=0), gain_fields(dark, frames[0], static))
    assert np.abs(gains[:, :, 0] - gains[:, :, 2]).max() > 0.0  # fitted per channel


def test_frames_whose_static_cells_repeat_share_the_fit_of_each_frame_alone(tmp_path):
    """A codec copies a still background's blocks from frame to frame: frames whose static
    cells' means repeat take the fit made before, which is each frame's own fit."""
    inst, frames = build("projectile")
    static = static_mask(inst, 256, 256)
    video = _encoded("flicker 10%", inst, frames[:12], tmp_path)
    gains = gain_fields(video, frames[0], static)
    alone = np.concatenate([gain_fields(video[i : i + 1], frames[0], static) for i in range(12)])
    assert np.array_equal(gains, alone)
    truth = read_video(encode(BY_NAME["clean"].fn(inst, frames[:12], None), tmp_path / "t")).frames
    gains = gain_fields(truth, frames[0], static)
    alone = np.concatenate([gain_fields(truth[i : i + 1], frames[0], static) for i in range(12)])
    assert np.array_equal(gains, alone)


def test_the_cells_sums_are_numpys_to_the_bit():
    rng = np.random.default_rng(2)
    for n in (1, 2, 7, 48):
        # values over seven orders of magnitude: a sum in another order rounds otherwise
        x = rng.uniform(0, 1, (n, 64, 64, 3)) * 10.0 ** rng.uniform(-3, 4, (n, 64, 64, 3))
        x = np.where(rng.uniform(size=x.shape) < 0.2, 0.0, x).astype(np.float32)
        want = x.reshape(n, GRID, 4, GRID, 4, 3).sum(axis=(2, 4))
        assert np.array_equal(_cell_sums(x, 4), want)


def test_the_colour_table_is_the_first_nearest_palette_entry():
    rng = np.random.default_rng(3)
    cube = np.stack(_cube_lab(6), axis=1).astype(np.int64)
    for lightness in (1.0, 0.5):
        pal = lab_of(rng.integers(0, 256, (7, 3)))
        pal = np.concatenate([pal, pal[2:4]])  # a tie: the first of equal ones wins
        w = np.array([1, round(1 / lightness), round(1 / lightness)])
        d2 = (((cube[:, None, :] - pal[None].astype(np.int64)) * w) ** 2).sum(axis=2)
        want = d2.argmin(axis=1)
        want[d2.min(axis=1) >= (w[1] * MAX_LAB_DISTANCE) ** 2] = 255
        assert np.array_equal(label_table(pal, lightness=lightness), want)


def test_channel_max_and_the_change_count_match_numpys():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    assert np.array_equal(channel_max(img), img.max(axis=2))
    frames = rng.integers(0, 256, (3, 40, 60, 3), dtype=np.uint8)
    frames[1] = frames[0]
    got = changed(frames)
    assert got[0] == 0 and got[1] == 0 and got[2] > 0


def _encoded(name: str, inst, frames: np.ndarray, tmp_path) -> np.ndarray:
    """The true frames changed by the corruption ``name``, through H.264 and back."""
    sample = BY_NAME[name].fn(inst, frames, np.random.default_rng(0))
    return read_video(encode(sample, tmp_path / name.replace(" ", "-"))).frames


@pytest.mark.parametrize("family", ["maze", "projectile"])
def test_a_frame_known_still_from_its_grey_alone_is_still_by_the_local_means(family, tmp_path):
    """The bound ``register`` takes a frame for still by (no local means, two large
    blurs fewer) never lets through a frame the full comparison finds moved, and takes
    the codec's noise on a still camera for still."""
    inst, frames = build(family)
    h, w = frames.shape[1:3]
    size = (128, 128)
    assert reg._blur_known(*size)
    static = cv2.resize(static_mask(inst, w, h).astype(np.uint8), size) > 0
    small_ref = cv2.resize(cv2.cvtColor(frames[0], cv2.COLOR_RGB2GRAY), size)
    lift = float(small_ref.mean()) / 255.0
    sharp = np.hypot(*np.gradient(cv2.GaussianBlur(reg._grey(frames[0], size), (0, 0), 1.0)))
    at = static & (sharp >= reg.EDGE)
    test = reg._still_test(static, at)
    assert test is not None
    still = 0
    for name in ("clean", "shake 1px", "flicker 10%"):
        video = _encoded(name, inst, frames, tmp_path)
        g0 = reg._log_grey(video[0], size, lift)  # each frame against the video's first
        first = reg._less_mean(g0, static, None)
        for frame in video[1:]:
            g = reg._log_grey(frame, size, lift)
            change = float(np.abs(reg._less_mean(g, static, None) - first)[at].mean())
            if reg._surely_still(test, g, g0):
                assert change < reg.STILL
                still += 1
            elif name == "clean":
                assert change >= 0.5 * reg.STILL  # only a change near the line is left to it
    assert still >= 20  # the clean video's frames, at least


@pytest.mark.parametrize("n", [8, 74, 128])
def test_the_local_means_blur_is_symmetric_and_positive(n):
    """The still bound takes the blur's weights as their own transpose (each pixel's share
    in the others' means): so they are, reflected borders included, and OpenCV blurs as
    the matrix says at registration's sizes."""
    a = reg._blur_matrix(n)
    assert np.allclose(a, a.T, rtol=0, atol=1e-15) and (a >= 0).all()
    assert np.allclose(a.sum(axis=1), 1.0)
    assert reg._blur_known(n, 128)


def test_a_shaken_frame_with_standing_bodies_is_greyed_once_and_fitted_alike(monkeypatch):
    """A frame that moved is greyed once (at 832 x 480 a grey is an area resize of the
    whole frame), for its still test, its standing bodies' shifts and its fit alike: the
    camera is what greying it each time gave."""
    from vidreason.perception.scene import resting

    inst, frames = build("dominoes")
    shaken = BY_NAME["shake 2px"].fn(inst, frames, np.random.default_rng(0)).frames
    args = (shaken, frames[0], static_mask(inst, 256, 256), np.arange(len(shaken)) / 16.0)
    rest = resting(inst, 256, 256)
    assert rest  # standing dominoes: each moved frame's bodies are checked (``_moved``)
    greyed: dict[bytes, int] = {}
    plain = reg._log_grey

    def counted(frame, size, lift):
        if lift is not None:
            key = frame.tobytes()
            greyed[key] = greyed.get(key, 0) + 1
        return plain(frame, size, lift)

    monkeypatch.setattr(reg, "_log_grey", counted)
    camera = reg.register(*args, rest)
    firsts = {frames[0].tobytes(), shaken[0].tobytes()}  # (the first is searched anew)
    assert max(n for key, n in greyed.items() if key not in firsts) == 1
    monkeypatch.setattr(reg, "_log_grey", plain)
    assert np.array_equal(camera.matrices, reg.register(*args, rest).matrices)
