"""A liquid as the fluid families and their verifier see it: a coloured region in the
picture, made from the solver's particles and read back from a video's pixels the same way.

``mask`` splats particles (picture pixels) onto the pixel grid, smooths the density and
keeps where it is at least 0.4 of the bulk's: a flat region with a smooth surface.
``features``, ``levels``, ``profile`` and ``tilt`` read what the checks compare on a
mask: its area and extent, the level in each vessel, the liquid's height in each column
of a vessel, and the tilt of the surface in a vessel.
``wall_rect`` is the solid rectangle of a wall (the solver's and the drawing's);
``cup_angle`` and ``turned_mask`` place the walls of a tilting container at a moment.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np

from vidreason.types import Wall

THRESHOLD = 0.4  # of the bulk's particle density: where the surface is drawn
BLUR = 1.1  # particle spacings: the smoothing of the density (``Liquid.blur`` may say more)


def wall_rect(wall: Wall) -> tuple[float, float, float, float]:
    """``(x0, y0, x1, y1)`` of an axis-aligned wall: its segment thickened on both sides
    and at both ends by half its thickness."""
    h = wall.thickness / 2
    (ax, ay), (bx, by) = wall.a, wall.b
    return min(ax, bx) - h, min(ay, by) - h, max(ax, bx) + h, max(ay, by) + h


def cup_angle(tilt: list[float] | None, t: float) -> float:
    """The container's clockwise tilt (radians, as seen) at simulated time ``t``:
    ``tilt = [start, end, degrees]``, eased in and out (a smoothstep); 0 without one."""
    if not tilt:
        return 0.0
    t0, t1, deg = tilt
    u = min(1.0, max(0.0, (t - t0) / (t1 - t0)))
    return math.radians(deg) * u * u * (3.0 - 2.0 * u)


def turner(
    rects: list, pivot: list[float], width: int, height: int
) -> Callable[[float], np.ndarray]:
    """``turned_mask`` of ``rects`` about ``pivot`` as a function of the angle, the pixel
    grid laid out once (a search over many angles). Each rectangle is tested only in the
    box its turned corners span, 2 px wider (no pixel beyond turns back into it)."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    px, py = float(pivot[0]), float(pivot[1])
    dx, dy = xs - pivot[0], ys - pivot[1]

    def at(angle: float) -> np.ndarray:
        c, s = math.cos(angle), math.sin(angle)
        out = np.zeros((height, width), dtype=bool)
        for x0, y0, x1, y1 in rects:
            cx = [c * (x - px) - s * (y - py) + px for x in (x0, x1) for y in (y0, y1)]
            cy = [s * (x - px) + c * (y - py) + py for x in (x0, x1) for y in (y0, y1)]
            bx0, by0 = max(0, math.floor(min(cx)) - 2), max(0, math.floor(min(cy)) - 2)
            bx1, by1 = min(width, math.ceil(max(cx)) + 3), min(height, math.ceil(max(cy)) + 3)
            if bx0 >= bx1 or by0 >= by1:
                continue
            wx, wy = dx[by0:by1, bx0:bx1], dy[by0:by1, bx0:bx1]
            lx, ly = pivot[0] + c * wx + s * wy, pivot[1] - s * wx + c * wy
            out[by0:by1, bx0:bx1] |= (lx >= x0) & (lx < x1) & (ly >= y0) & (ly < y1)
        return out

    return at


def turned_mask(
    rects: list, pivot: list[float], angle: float, width: int, height: int
) -> np.ndarray:
    """The pixels inside any of ``rects`` turned clockwise (as seen) by ``angle`` radians
    about ``pivot``: each pixel turned back and tested against the rectangles."""
    return turner(rects, pivot, width, height)(angle)


def turned_corners(rect: list, pivot: list[float], angle: float) -> np.ndarray:
    """The four corners (4, 2 px) of ``rect`` turned clockwise by ``angle`` about ``pivot``."""
    x0, y0, x1, y1 = rect
    pts = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float) - pivot
    c, s = math.cos(angle), math.sin(angle)
    return np.stack([c * pts[:, 0] - s * pts[:, 1], s * pts[:, 0] + c * pts[:, 1]], 1) + pivot


def rect_mask(rects: list, width: int, height: int, shrink: float = 0.0) -> np.ndarray:
    """The pixels (centres) inside any of ``rects``, each shrunk by ``shrink`` px a side."""
    ys, xs = np.mgrid[0:height, 0:width]
    out = np.zeros((height, width), dtype=bool)
    for x0, y0, x1, y1 in rects:
        out |= (xs >= x0 + shrink) & (xs < x1 - shrink) & (ys >= y0 + shrink) & (ys < y1 - shrink)
    return out


def mask(
    points: np.ndarray, width: int, height: int, spacing: float, blur: float | None = None
) -> np.ndarray:
    """The region the particles at ``points`` (n, 2 px) cover, particles ``spacing`` px
    apart in the bulk, their density smoothed over ``blur`` spacings (default ``BLUR``)."""
    density = np.zeros((height + 2, width + 2), dtype=np.float64)
    if len(points):
        p = np.asarray(points, dtype=np.float64) + 1.0
        x0, y0 = np.floor(p[:, 0]), np.floor(p[:, 1])
        fx, fy = p[:, 0] - x0, p[:, 1] - y0
        ix, iy = x0.astype(np.int64), y0.astype(np.int64)
        keep = (ix >= 0) & (iy >= 0) & (ix < width + 1) & (iy < height + 1)
        ix, iy, fx, fy = ix[keep], iy[keep], fx[keep], fy[keep]
        for dx, dy, wt in (
            (0, 0, (1 - fx) * (1 - fy)),
            (1, 0, fx * (1 - fy)),
            (0, 1, (1 - fx) * fy),
            (1, 1, fx * fy),
        ):
            np.add.at(density, (iy + dy, ix + dx), wt)
    density = density[1:-1, 1:-1].astype(np.float32)
    sigma = (blur or BLUR) * spacing
    k = 2 * int(np.ceil(2.5 * sigma)) + 1
    smooth = cv2.GaussianBlur(density, (k, k), sigma, borderType=cv2.BORDER_CONSTANT)
    return smooth >= THRESHOLD / spacing**2


FEATURES = ("cx", "cy", "area", "left", "top", "right", "bottom")


def features(m: np.ndarray) -> np.ndarray:
    """``FEATURES`` of a mask (NaN but the area when it is empty): the extent is the 1st and
    99th percentile of its columns and rows, so a stray pixel moves nothing."""
    ys, xs = np.nonzero(m)
    if len(xs) == 0:
        return np.array([np.nan, np.nan, 0.0, np.nan, np.nan, np.nan, np.nan])
    left, right = np.percentile(xs, [1.0, 99.0])
    top, bottom = np.percentile(ys, [1.0, 99.0])
    return np.array([xs.mean(), ys.mean(), float(len(xs)), left, top, right, bottom])


def levels(m: np.ndarray, vessels: list) -> np.ndarray:
    """The liquid's level in each vessel (px above its bottom edge): the median height of
    the liquid in the middle half of its columns (away from the walls, whose edges a
    codec blurs into it)."""
    out = []
    for box in vessels:
        h = profile(m, box)
        q = len(h) // 4
        out.append(float(np.median(h[q : len(h) - q])) if len(h) else 0.0)
    return np.asarray(out)


def profile(m: np.ndarray, vessel: list) -> np.ndarray:
    """The liquid's height in each column of ``vessel`` (px of liquid in the column)."""
    x0, y0, x1, y1 = vessel
    c0, c1 = int(np.ceil(x0)), int(np.ceil(x1))
    r0, r1 = int(np.ceil(y0)), int(np.ceil(y1))
    return m[r0:r1, c0:c1].sum(axis=0).astype(float)


def tilt(m: np.ndarray, vessel: list, margin: float) -> float:
    """Slope (px of height per px across) of the surface in ``vessel``: a line fitted to
    the height of the liquid in each column (dry ones too), ``margin`` px from either side
    left out (where it wets the wall); NaN with no liquid."""
    h = profile(m, vessel)
    k = round(margin)
    h = h[k : len(h) - k]
    if len(h) < 3 or not h.any():
        return float("nan")
    return float(np.polyfit(np.arange(len(h), dtype=float), h, 1)[0])
