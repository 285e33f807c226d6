"""The converter to YUV 4:2:0: luma per pixel and chroma of each 2 x 2 block's mean colour,
within one level of BT.601's float formula; and the encoder's settings."""

from __future__ import annotations

import numpy as np
import pytest

from vidreason.render.yuv import rgb_to_yuv420p, yuv420p_frames


def _float_yuv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f = rgb.astype(np.float64)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0
    h, w = rgb.shape[:2]
    m = f.reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3))
    r, g, b = m[..., 0], m[..., 1], m[..., 2]
    u = 128.0 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0
    v = 128.0 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0
    return y, u, v


@pytest.mark.parametrize(("h", "w"), [(64, 64), (34, 130), (98, 46)])
def test_planes_are_the_float_formula_within_a_level(h, w):
    rgb = np.random.default_rng(3).integers(0, 256, (h, w, 3), dtype=np.uint8)
    yuv = rgb_to_yuv420p(rgb)
    assert yuv.shape == (h * 3 // 2, w)
    flat, q = yuv.reshape(-1), h * w // 4
    y, u, v = _float_yuv(rgb)
    assert np.abs(flat[: 4 * q].reshape(h, w) - y).max() <= 1.0
    assert (
        np.abs(flat[4 * q : 5 * q].reshape(h // 2, w // 2) - u).max() <= 1.5
    )  # the mean, full-range chroma, limited: three roundings
    assert np.abs(flat[5 * q :].reshape(h // 2, w // 2) - v).max() <= 1.5


def test_chroma_is_the_block_mean_not_its_first_pixel():
    frame = np.zeros((4, 4, 3), np.uint8)
    frame[1, 1] = (255, 0, 0)  # one red pixel, not the block's first
    yuv = rgb_to_yuv420p(frame)
    assert yuv[4:].reshape(-1)[[0, 4]].tolist() == [118, 156]  # Cb, Cr of the mean (64, 0, 0)


def test_luma_of_known_colours_and_one_array_a_frame():
    frame = np.zeros((2, 4, 3), np.uint8)
    frame[:, 2:] = 255
    yuv = rgb_to_yuv420p(frame)
    assert yuv.shape == (3, 4)
    assert yuv[0].tolist() == [16, 16, 235, 235]  # limited range: black 16, white 235
    got = list(yuv420p_frames([frame, frame]))
    assert got[0] is not got[1] and np.array_equal(got[0], got[1])
