"""The clip converter gives, frame by frame, the very bytes of the one-frame converter."""

from __future__ import annotations

import numpy as np
import pytest

from vidreason.render.yuv import rgb_to_yuv420p, yuv420p_frames


def _clip(h: int, w: int) -> np.ndarray:
    """A still background with a moving square, a noisy patch, a frame of noise and a
    repeated frame: every path of the converter."""
    rng = np.random.default_rng(3)
    frames = np.empty((8, h, w, 3), np.uint8)
    frames[:] = (236, 236, 232)
    for i in range(8):
        frames[i, 3 : 3 + h // 4, 2 * i + 1 : 2 * i + 1 + w // 5] = (200, 30, 40)
    frames[4, 1:6, 3:9] = rng.integers(0, 256, (5, 6, 3))
    frames[5] = rng.integers(0, 256, (h, w, 3))
    frames[7] = frames[6]
    return frames


@pytest.mark.parametrize(("h", "w"), [(64, 64), (34, 130), (98, 46)])
def test_clip_conversion_is_frame_conversion(h, w):
    frames = _clip(h, w)
    got = list(yuv420p_frames(frames))
    assert len(got) == len(frames)
    for i, (frame, yuv) in enumerate(zip(frames, got, strict=True)):
        assert np.array_equal(yuv, rgb_to_yuv420p(frame)), f"frame {i}"
    assert got[6] is not got[7]  # each frame its own array


def test_luma_of_known_colours():
    frame = np.zeros((2, 4, 3), np.uint8)
    frame[:, 2:] = 255
    yuv = rgb_to_yuv420p(frame)
    assert yuv.shape == (3, 4)
    assert yuv[0].tolist() == [16, 16, 235, 235]  # limited range: black 16, white 235
