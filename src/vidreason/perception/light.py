"""Undo smooth changes of light: vignette, gradients, exposure flicker, white-balance drift.

Each registered frame is compared with the reference (the conditioning image) on the
static pixels: the ratio frame / reference per colour channel, its mean in each cell of
a ``GRID`` x ``GRID`` grid (cells with too few static pixels left out), and a smooth
surface fitted to the cells per channel (a polynomial in x and y of degree 2 plus the
fourth power of the radius: exact for a constant exposure, a linear gradient and a
lens vignette), with cells far off the surface rejected and the surface refitted (a new
object on the background is not light). Dividing the frame by that gain field brings
the scene's colours back to the reference's, while anything smaller than the surface can
bend (an object, a colour swap) is left as it is.
"""

from __future__ import annotations

import cv2
import numpy as np

GRID = 16  # cells per side
WORK = 64  # px per side the ratios are computed at
MIN_STATIC = 0.3  # a cell needs this share of static pixels to measure the light
GAIN = (0.4, 2.5)  # accepted range of the gain
SKIP = 0.02  # a frame whose gain lies this close to 1 everywhere is left as it is
REJECT = 3.0  # cells further than this many robust deviations from the surface are dropped


def _terms(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    r2 = u * u + v * v
    return np.stack([np.ones_like(u), u, v, u * u, u * v, v * v, r2 * r2], axis=-1)


def _centres() -> tuple[np.ndarray, np.ndarray]:
    c = (np.arange(GRID) + 0.5) / GRID * 2.0 - 1.0
    return np.meshgrid(c, c)


def gain_fields(frames: np.ndarray, reference: np.ndarray, static: np.ndarray) -> np.ndarray:
    """Per frame, the gain surface's coefficients (n, 7, 3)."""
    size = (WORK, WORK)
    ref = cv2.resize(reference, size, interpolation=cv2.INTER_AREA).astype(np.float32) + 4.0
    mask = cv2.resize(static.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    mask &= ref.sum(axis=2) > 60  # too dark to measure a ratio
    c = WORK // GRID
    cells = mask.reshape(GRID, c, GRID, c).sum(axis=(1, 3)).astype(np.float32)
    enough = (cells >= MIN_STATIC * c * c).ravel()
    u, v = _centres()
    a_all = _terms(u.ravel(), v.ravel())
    out = np.zeros((len(frames), 7, 3), np.float32)
    out[:, 0, :] = 1.0
    if enough.sum() < 12:
        return out  # too little static scene to measure light
    a = a_all[enough]
    for i, f in enumerate(frames):
        img = cv2.resize(f, size, interpolation=cv2.INTER_AREA).astype(np.float32) + 4.0
        ratio = np.where(mask[..., None], img / ref, 0.0)
        r = ratio.reshape(GRID, c, GRID, c, 3).sum(axis=(1, 3)) / np.maximum(cells, 1)[..., None]
        y = r.reshape(-1, 3)[enough]
        keep = np.ones(len(y), dtype=bool)
        for _ in range(2):
            coef, *_ = np.linalg.lstsq(a[keep], y[keep], rcond=None)
            res = np.abs(y - a @ coef).max(axis=1)
            dev = 1.4826 * float(np.median(res[keep])) + 0.01
            keep = res <= REJECT * dev
            if keep.sum() < 12:
                break
        out[i] = coef
    return out


def correct(frames: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Frames divided by their smooth gain fields."""
    n, h, w = frames.shape[:3]
    out = np.empty_like(frames)
    uu, vv = np.meshgrid((np.arange(w) + 0.5) / w * 2 - 1, (np.arange(h) + 0.5) / h * 2 - 1)
    terms = _terms(uu.astype(np.float32), vv.astype(np.float32))
    ident = np.zeros((7, 3), np.float32)
    ident[0] = 1.0
    for i in range(n):
        if np.abs(gains[i] - ident).max() < SKIP:
            out[i] = frames[i]
            continue
        field = np.clip(terms @ gains[i], *GAIN)
        out[i] = np.clip(frames[i].astype(np.float32) / field, 0, 255).astype(np.uint8)
    return out
