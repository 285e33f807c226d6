"""A cascade of basins as the `cascade` family and its verifier see it: the liquid's area
in each basin per frame (its region, ``scene/liquid.py:mask``, counted in the basin's box),
the frame each basin first receives liquid, and each basin's level."""

from __future__ import annotations

import numpy as np

from vidreason.scene.liquid import profile

# of the basin's final area (at least MIN_PX): liquid has arrived (a splash or a thin
# stream passing through is not yet filling)
ARRIVED = 0.15
MIN_PX = 40.0


def box_px(box: list, height: int, width: int) -> tuple[slice, slice]:
    x0, y0, x1, y1 = box
    r0, r1 = max(0, int(np.ceil(y0))), min(height, int(np.ceil(y1)))
    c0, c1 = max(0, int(np.ceil(x0))), min(width, int(np.ceil(x1)))
    return slice(r0, r1), slice(c0, c1)


def areas(masks: np.ndarray, basins: list) -> np.ndarray:
    """The liquid's area in each basin's box in each mask (frames x basins, px)."""
    h, w = masks.shape[1:]
    cols = []
    for box in basins:
        rs, cs = box_px(box, h, w)
        cols.append(masks[:, rs, cs].reshape(len(masks), -1).sum(axis=1))
    return np.stack(cols, axis=1).astype(float)


def thresholds(final: np.ndarray) -> np.ndarray:
    """Per basin, the area that says liquid has arrived (from the truth's final areas)."""
    return np.maximum(MIN_PX, ARRIVED * final)


def arrivals(area: np.ndarray, limit: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Per basin, the time (in ``times``' units) its area first reaches ``limit`` and stays
    there two frames running, linear between the frames; NaN when it never does."""
    n = len(area)
    out = np.full(area.shape[1], np.nan)
    for k in range(area.shape[1]):
        above = area[:, k] >= limit[k]
        held = above & np.append(above[1:], above[-1:]) if n > 1 else above
        hit = np.flatnonzero(held)
        if not len(hit):
            continue
        i = int(hit[0])
        if i == 0:
            out[k] = times[0]
            continue
        a, b = area[i - 1, k], area[i, k]
        f = (limit[k] - a) / (b - a) if b > a else 1.0
        out[k] = times[i - 1] + float(np.clip(f, 0.0, 1.0)) * (times[i] - times[i - 1])
    return out


def level(m: np.ndarray, box: list) -> float:
    """The liquid's level in a basin (px above its floor): the median height of the liquid
    in the middle half of its columns."""
    h = profile(m, box)
    q = len(h) // 4
    return float(np.median(h[q : len(h) - q])) if len(h) else 0.0
