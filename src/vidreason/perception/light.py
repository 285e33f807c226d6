"""Undo smooth changes of light: vignette, gradients, exposure flicker, white-balance drift.

Each registered frame is compared with the reference (the conditioning image) on the
static pixels: the ratio frame / reference per colour channel, its mean in each cell
of a ``GRID`` x ``GRID`` grid, cells without static pixels filled from their
neighbours, a 3 x 3 median over cells (a new object covering a cell does not count as
light), then upsampled smoothly. Dividing the frame by that gain field brings the
scene's colours back to the reference's, while anything smaller than a few cells (an
object, a colour swap) is left as it is.
"""

from __future__ import annotations

import cv2
import numpy as np

GRID = 8  # cells per side
WORK = 64  # px per side the ratios are computed at
MIN_STATIC = 0.2  # a cell needs this share of static pixels to measure the light
GAIN = (0.4, 2.5)  # accepted range of a cell's gain
SKIP = 0.03  # a frame whose gains all lie this close to 1 is left as it is


def _fill(g: np.ndarray) -> np.ndarray:
    """Fill NaN cells with the mean of their measured neighbours, repeatedly."""
    g = g.copy()
    for _ in range(2 * GRID):
        bad = np.isnan(g[..., 0])
        if not bad.any():
            break
        if bad.all():
            return np.ones_like(g)
        pad = np.pad(g, ((1, 1), (1, 1), (0, 0)), constant_values=np.nan)
        stack = np.stack(
            [
                pad[1 + dy : 1 + dy + GRID, 1 + dx : 1 + dx + GRID]
                for dy in (-1, 0, 1)
                for dx in (-1, 0, 1)
            ]
        )
        count = np.sum(~np.isnan(stack), axis=0)
        mean = np.nansum(stack, axis=0) / np.maximum(count, 1)
        mean[count == 0] = np.nan
        g[bad] = mean[bad]
    return np.nan_to_num(g, nan=1.0)


def gain_fields(frames: np.ndarray, reference: np.ndarray, static: np.ndarray) -> np.ndarray:
    """Per frame, the gain of each cell and channel (n, GRID, GRID, 3)."""
    size = (WORK, WORK)
    ref = cv2.resize(reference, size, interpolation=cv2.INTER_AREA).astype(np.float32) + 4.0
    mask = cv2.resize(static.astype(np.uint8), size, interpolation=cv2.INTER_AREA) > 0
    mask &= ref.sum(axis=2) > 60  # too dark to measure a ratio
    c = WORK // GRID
    cells = mask.reshape(GRID, c, GRID, c).transpose(0, 2, 1, 3).reshape(GRID, GRID, -1)
    enough = cells.mean(axis=2) >= MIN_STATIC
    count = cells.sum(axis=2).astype(np.float32)
    out = np.empty((len(frames), GRID, GRID, 3), np.float32)
    for i, f in enumerate(frames):
        img = cv2.resize(f, size, interpolation=cv2.INTER_AREA).astype(np.float32) + 4.0
        ratio = np.where(mask[..., None], img / ref, 0.0)
        r = ratio.reshape(GRID, c, GRID, c, 3).sum(axis=(1, 3))
        with np.errstate(all="ignore"):
            g = r / count[..., None]
        g[~enough] = np.nan
        g = _fill(g)
        g = np.stack([cv2.medianBlur(g[..., k].astype(np.float32), 3) for k in range(3)], axis=2)
        out[i] = np.clip(g, *GAIN)
    return out


def correct(frames: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Frames divided by their smooth gain fields."""
    n, h, w = frames.shape[:3]
    out = np.empty_like(frames)
    for i in range(n):
        g = gains[i]
        if np.abs(g - 1.0).max() < SKIP:
            out[i] = frames[i]
            continue
        field = cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC)
        out[i] = np.clip(frames[i].astype(np.float32) / np.maximum(field, 0.2), 0, 255).astype(
            np.uint8
        )
    return out
