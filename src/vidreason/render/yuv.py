"""RGB to the YUV 4:2:0 planes H.264 is written from, in NumPy (BT.601, limited range).

``rgb_to_yuv420p`` converts one frame; ``yuv420p_frames`` converts a clip and, from the
second frame on, recomputes only the 2x2 blocks whose pixels changed since the frame
before (a rendered scene is mostly still), with the very same float32 operations on each
pixel, so the bytes are those of ``rgb_to_yuv420p`` on every frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

MOVING = 0.5  # share of changed blocks above which a frame is converted whole


def _luma(r: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    return 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0


def _cb(r: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    return 128.0 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0


def _cr(r: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    return 128.0 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0


def _plane(c: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(c), 0, 255).astype(np.uint8)


def rgb_to_yuv420p(rgb: np.ndarray) -> np.ndarray:
    """BT.601 limited-range YUV 4:2:0, planes stacked as (h * 3 / 2, w), in NumPy: the same
    pixels give the same bytes whatever FFmpeg's own converter would do on this CPU."""
    h, w = rgb.shape[:2]
    f = rgb.astype(np.float32)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]

    def half(c: np.ndarray) -> np.ndarray:
        return (c[0::2, 0::2] + c[1::2, 0::2] + c[0::2, 1::2] + c[1::2, 1::2]) * 0.25

    return np.concatenate(
        [
            _plane(_luma(r, g, b)).reshape(-1),
            _plane(half(_cb(r, g, b))).reshape(-1),
            _plane(half(_cr(r, g, b))).reshape(-1),
        ]
    ).reshape(h * 3 // 2, w)


def _blocks(rgb: np.ndarray, bi: np.ndarray, bj: np.ndarray) -> tuple[np.ndarray, ...]:
    """Y (k, 2, 2), U (k,) and V (k,) of the 2x2 blocks (bi, bj), as ``rgb_to_yuv420p``."""
    h, w = rgb.shape[:2]
    f = rgb.reshape(h // 2, 2, w // 2, 2, 3)[bi, :, bj, :].astype(np.float32)  # (k, 2, 2, 3)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]

    def half(c: np.ndarray) -> np.ndarray:  # the order of rgb_to_yuv420p's sum
        return (c[:, 0, 0] + c[:, 1, 0] + c[:, 0, 1] + c[:, 1, 1]) * 0.25

    return _plane(_luma(r, g, b)), _plane(half(_cb(r, g, b))), _plane(half(_cr(r, g, b)))


def _moved_blocks(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(h / 2, w / 2) bool: the 2x2 blocks where ``a`` and ``b`` differ. The six bytes
    of a block's row are read as three 16-bit words (reductions over short axes are slow
    in NumPy)."""
    h, w = a.shape[:2]
    d = (a != b).reshape(h, 3 * w)
    rows = (d[0::2] | d[1::2]).reshape(h // 2, w // 2, 6).view(np.uint16)
    return (rows[..., 0] | rows[..., 1] | rows[..., 2]) != 0


def yuv420p_frames(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """``rgb_to_yuv420p`` of each frame (uint8 RGB, even width and height), each a new
    array; only the blocks that changed since the previous frame are converted anew."""
    prev: np.ndarray | None = None
    out = np.empty(0, np.uint8)
    for rgb in frames:
        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
        h, w = rgb.shape[:2]
        if prev is None or prev.shape != rgb.shape:
            out = rgb_to_yuv420p(rgb)
        else:
            moved = _moved_blocks(rgb, prev)
            bi, bj = np.nonzero(moved)
            if len(bi) > MOVING * moved.size:
                out = rgb_to_yuv420p(rgb)
            elif len(bi):
                out = out.copy()
                flat, q = out.reshape(-1), h * w // 4
                y = flat[: 4 * q].reshape(h // 2, 2, w // 2, 2)
                u = flat[4 * q : 5 * q].reshape(h // 2, w // 2)
                v = flat[5 * q :].reshape(h // 2, w // 2)
                y[bi, :, bj, :], u[bi, bj], v[bi, bj] = _blocks(rgb, bi, bj)
            else:
                out = out.copy()
        prev = rgb
        yield out
