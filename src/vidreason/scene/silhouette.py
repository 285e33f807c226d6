"""A body's silhouette as the soft-body families and their verifier read it: a few numbers
per frame, measured the same way on the simulator's projected mesh and on a video's mask.

``SILHOUETTE`` names them: the centroid (px), the extent (left, top, right, bottom: the
1st and 99th percentiles of the mask's columns and rows, so a stray pixel moves nothing)
and the area (px²). ``features`` measures a boolean mask, ``rasterise`` draws a mesh's
projected triangles into one.
"""

from __future__ import annotations

import cv2
import numpy as np

SILHOUETTE = ("cx", "cy", "left", "top", "right", "bottom", "area")
QUANTILE = 1.0  # percent: the extent leaves out this share of the mask's pixels each side
SHIFT = 4  # sub-pixel bits of the rasteriser


def features(mask: np.ndarray) -> np.ndarray:
    """``SILHOUETTE`` of a boolean mask (NaN when it is empty)."""
    rows = np.flatnonzero(mask.any(axis=1))
    if len(rows) == 0:
        return np.full(len(SILHOUETTE), np.nan)
    cols = np.flatnonzero(mask.any(axis=0))
    y0, x0 = rows[0], cols[0]
    ys, xs = np.nonzero(mask[y0 : rows[-1] + 1, x0 : cols[-1] + 1])  # the whole mask's order
    ys += y0
    xs += x0
    lo, hi = QUANTILE, 100.0 - QUANTILE
    (left, top), (right, bottom) = np.percentile(np.stack([xs, ys]), [lo, hi], axis=1)
    return np.array([xs.mean(), ys.mean(), left, top, right, bottom, float(len(xs))], dtype=float)


def rasterise(pixels: np.ndarray, triangles: np.ndarray, width: int, height: int) -> np.ndarray:
    """The mask covered by ``triangles`` (m, 3 vertex indices) of the projected vertices
    ``pixels`` (n, 2), at pixel centres (a pixel's centre is at its integer coordinates):
    the union of the triangles, each filled on its own (filled together, as one polygon
    set, the triangles that overlap on screen, a cloth's fold or a ball's front and back,
    would cancel out where they overlap)."""
    mask = np.zeros((height, width), np.uint8)
    pts = np.rint((pixels[triangles] + 0.0) * (1 << SHIFT)).astype(np.int32)
    for tri in pts:
        cv2.fillConvexPoly(mask, tri, 1, lineType=cv2.LINE_8, shift=SHIFT)
    return mask.astype(bool)
