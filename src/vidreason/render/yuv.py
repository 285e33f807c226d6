"""RGB to the YUV 4:2:0 planes H.264 is written from (BT.601, limited range).

``rgb_to_yuv420p`` converts one frame with OpenCV's fixed-point converters (integer
arithmetic: the same bytes on every CPU): the luma plane as OpenCV's 4:2:0 converter
gives it, each chroma plane from the mean of a 2 x 2 block's RGB (OpenCV's exact
halving, rounded; its 4:2:0 converter takes a block's first pixel's chroma, which puts a
colour fringe on edges), by its full-range converter and a table to the limited range.
Every plane is within one level of the float formula (BT.601: Y = 16 + (65.481 R +
128.553 G + 24.966 B) / 255 and Cb, Cr on the block's mean). The bytes are the same
whatever FFmpeg's own converter would do on this CPU.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import cv2
import numpy as np

# limited-range chroma from full-range: 128 + (c - 128) * 224 / 255, rounded
_LIMITED = np.clip(np.rint(128.0 + (np.arange(256) - 128.0) * 224.0 / 255.0), 0, 255).astype(
    np.uint8
)


def rgb_to_yuv420p(rgb: np.ndarray) -> np.ndarray:
    """BT.601 limited-range YUV 4:2:0 of a uint8 RGB frame (even width and height), planes
    stacked as (h * 3 / 2, w), a new array."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    out = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)  # its chroma is a block's first pixel's
    half = cv2.resize(rgb, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    ycrcb = cv2.LUT(cv2.cvtColor(half, cv2.COLOR_RGB2YCrCb), _LIMITED)
    flat, q = out.reshape(-1), h * w // 4
    flat[4 * q : 5 * q] = ycrcb[..., 2].reshape(-1)
    flat[5 * q :] = ycrcb[..., 1].reshape(-1)
    return out


def yuv420p_frames(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """``rgb_to_yuv420p`` of each frame, each a new array."""
    for rgb in frames:
        yield rgb_to_yuv420p(rgb)
