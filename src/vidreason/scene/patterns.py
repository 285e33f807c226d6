"""Patterns printed on 2D bodies (stripes, dots, a ring of checker squares), shared by the
``patterns`` family (which draws them), its verifier (which reads them back) and the
planted pattern violations.

A pattern lives in the body's own frame, in units of its *inner radius* ``R`` (0.85
of a disc's radius or of a block's half side): a rim of the body's own colour
always surrounds it, so the tracker finds the body as one blob of its colour key with
the pattern as holes; every pattern is symmetric about the centre, so those holes
leave the blob's centroid where the body is; and no ink comes nearer the centre than
``CLEAR``, where the tracker reads the body's colour. It turns with the body (``angle``).
The three kinds correlate poorly with each other at any angle, so one read as another
fails.
``template`` is the pattern's ink as a mask over ``[-1, 1]²``; ``paint`` prints it onto
a frame, anti-aliased by 4 x 4 supersampling, and ``lay`` onto every frame of a clip. To add a pattern: a branch in
``_draw_template`` (point-symmetric, inside the unit disc) and its name in ``KINDS``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from vidreason.scene.params import ParamsError
from vidreason.scene.params.temporal import PatternsParams
from vidreason.types import RGB, Body, SceneSpec, Trajectory

KINDS = ("stripes", "dots", "checker")
PERIOD = {"stripes": np.pi, "dots": np.pi / 2, "checker": np.pi}  # turns that look the same
CLEAR = 0.5  # no ink nearer the centre than this (units of R): the body's colour shows there
BLACK: RGB = (28, 28, 32)  # an ink no body is keyed by
INNER = 0.85  # the pattern's reach, as a share of the radius (disc) or half side (block)
TEMPLATE = 128  # template side (px)
SUPER = 4  # samples per pixel side when painting


@dataclass(frozen=True)
class Pattern:
    kind: str
    ink_name: str
    ink: RGB

    @property
    def words(self) -> str:
        """E.g. "black stripes", "a ring of cyan squares": how the prompt and notes name it."""
        if self.kind == "checker":
            return f"a ring of {self.ink_name} squares"
        return f"{self.ink_name} {self.kind}"


def patterns_of(spec: SceneSpec) -> dict[str, Pattern]:
    """Each body's pattern; empty for a scene of another family."""
    try:
        p = PatternsParams.of(spec)
    except ParamsError:
        return {}
    return {
        name: Pattern(kind, p.inks[name], _rgb(p.ink_colours[name]))
        for name, kind in p.kinds.items()
    }


def _rgb(c: list[int]) -> RGB:
    return (int(c[0]), int(c[1]), int(c[2]))


def inner_radius(body: Body) -> float:
    """``R``: the pattern's reach (px) from the body's centre."""
    half = min(body.size) / 2 if body.shape == "box" else body.radius
    return INNER * float(half)


def _draw_template(kind: str) -> np.ndarray:
    c = (np.arange(TEMPLATE) + 0.5) / TEMPLATE * 2 - 1
    u, v = np.meshgrid(c, c)
    rho, theta = np.hypot(u, v), np.arctan2(v, u)
    if kind == "stripes":  # two bands either side of the centre
        ink = (np.abs(u) > CLEAR) & (np.abs(u) < 0.85) & (rho < 1)
    elif kind == "dots":  # four, on the diagonals
        ink = np.any(
            [(u - a) ** 2 + (v - b) ** 2 < 0.24**2 for a in (-0.52, 0.52) for b in (-0.52, 0.52)],
            axis=0,
        )
    elif kind == "checker":  # a ring of two rows of four cells, alternating
        cell = np.floor(theta / (np.pi / 2)) + (rho > 0.72)
        ink = (rho > CLEAR) & (rho < 0.95) & (cell % 2 == 1)
    else:
        raise ValueError(f"unknown pattern {kind!r}; known: {', '.join(KINDS)}")
    return ink.astype(np.float32)


@functools.lru_cache(maxsize=32)
def template(kind: str) -> np.ndarray:
    """The ink mask (``TEMPLATE`` square, float 0/1) over ``[-1, 1]²`` of the body frame."""
    out = _draw_template(kind)
    out.setflags(write=False)
    return out


@functools.lru_cache(maxsize=32)
def _bordered(kind: str) -> np.ndarray:
    """``template(kind)`` as 0/1 bytes inside a border of one empty cell, flattened: a
    point outside the mask, its cell clipped to the border, reads 0 as ``ink_at`` says."""
    out = np.zeros((TEMPLATE + 2, TEMPLATE + 2), np.uint8)
    out[1:-1, 1:-1] = template(kind)
    out.setflags(write=False)
    return out.ravel()


def _cell(p: np.ndarray, s: int) -> np.ndarray:
    """``floor((p + 1) / 2 * s)``, computed as ``ink_at`` does, plus one (the border),
    clipped to the bordered mask; ``p`` is used up."""
    p += 1
    p /= 2
    p *= s
    np.floor(p, out=p)
    np.clip(p, -1, s, out=p)
    p += 1
    return p.astype(np.int64)


def coverage(
    kind: str, xs: np.ndarray, ys: np.ndarray, centre: tuple[float, float], angle: float, r: float
) -> np.ndarray:
    """The share of samples in ink per pixel, for the samples at ``xs`` (columns) and ``ys``
    (rows), ``SUPER`` a pixel side: ``ink_at`` of ``to_body`` averaged per pixel, the
    same numbers (the count of 0/1 samples, over ``SUPER²``)."""
    dx, dy = (xs - centre[0])[None], (ys - centre[1])[None]
    turn = np.array([np.cos(angle)]), np.array([np.sin(angle)])
    return _counts(kind, r, dx, dy, *turn)[0].astype(np.float32) / np.float32(SUPER * SUPER)


def _counts(
    kind: str, r: float, dx: np.ndarray, dy: np.ndarray, cos: np.ndarray, sin: np.ndarray
) -> np.ndarray:
    """For ``F`` prints at once (offsets ``dx``, (F, columns) and ``dy``, (F, rows), of the
    samples from the body's centre; the body's angle by its ``cos`` and ``sin``, (F,)),
    how many of each pixel's ``SUPER²`` samples are in ink, (F, h, w) uint8. A pixel
    whose samples all fall where the mask is the same for some cells around
    (``_uniform``: no edge of the pattern within reach of the pixel) counts all or none
    of them without reading them; only the pixels along an edge (a sixth to a quarter of
    a print's) read theirs, each sample computed as a whole grid of them would be
    (``c * dx + s * dy``, over ``r``, as ``to_body``): the numbers of every sample read.
    A patterned clip's prints (48 frames, 2-3 bodies) cost less than half of what reading
    every sample of every print, one frame at a time, did: 35-40 ms instead of 75-100."""
    f, h, w = len(dx), dy.shape[1] // SUPER, dx.shape[1] // SUPER
    cols, rows = dx.reshape(f, w, SUPER), dy.reshape(f, h, SUPER)
    mx = (cols[..., -1] - cols[..., 0]) / 2  # how far a pixel's samples lie from its middle
    my = (rows[..., -1] - rows[..., 0]) / 2
    reach = float(np.sqrt(mx.max(initial=0.0) ** 2 + my.max(initial=0.0) ** 2)) / r
    # a sample's cell lies at most floor(reach in cells) + 1 cells from its pixel's (a
    # hair more for the rounding of the pixel's own)
    k = int(reach * TEMPLATE / 2 * (1 + 1e-9) + 1e-9) + 1
    value, uniform, pad = _uniform(kind, k)
    mid_x, mid_y = cols[..., 0] + mx, rows[..., 0] + my
    c, s = cos[:, None, None], sin[:, None, None]
    mu = (c * mid_x[:, None, :] + s * mid_y[:, :, None]) / r
    mv = (c * mid_y[:, :, None] - s * mid_x[:, None, :]) / r
    last = value.shape[0] - 1
    mj = np.clip(np.floor((mu + 1) / 2 * TEMPLATE) + pad, 0, last).astype(np.int64)
    mi = np.clip(np.floor((mv + 1) / 2 * TEMPLATE) + pad, 0, last).astype(np.int64)
    count = value[mi, mj] * np.uint8(SUPER * SUPER)
    edge = np.flatnonzero(~uniform[mi, mj])
    if len(edge):
        at_f, at_pixel = np.divmod(edge, h * w)
        pi, pj = np.divmod(at_pixel, w)
        step = np.arange(SUPER)[:, None]
        # samples laid out (row, column, pixel): the long axis last, for numpy's loops
        at_row = (at_f * (h * SUPER) + pi * SUPER) + step  # into dy.ravel(), (SUPER, n)
        at_col = (at_f * (w * SUPER) + pj * SUPER) + step  # into dx.ravel(), (SUPER, n)
        u = (cos[:, None] * dx).ravel()[at_col][None] + (sin[:, None] * dy).ravel()[at_row][:, None]
        u /= r
        v = (-sin[:, None] * dx).ravel()[at_col][None] + (cos[:, None] * dy).ravel()[at_row][
            :, None
        ]
        v /= r
        side = TEMPLATE + 2
        at = _cell(v, TEMPLATE)
        at *= side
        at += _cell(u, TEMPLATE)
        ink = _bordered(kind)[at]
        count.ravel()[edge] = ink.sum(axis=(0, 1), dtype=np.uint8)
    return count


@functools.lru_cache(maxsize=128)
def _uniform(kind: str, k: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The ink mask inside a margin of ``pad`` empty cells (the cells of points beyond the
    mask: empty, as ``ink_at`` reads them), and where every cell within ``k`` cells
    (Chebyshev) has the same value; and ``pad`` (``2k + 2``: a point beyond the margin,
    read at the margin's last cell, has only empty cells within ``k``)."""
    pad = 2 * k + 2
    grid = np.zeros((TEMPLATE + 2 * pad, TEMPLATE + 2 * pad), np.uint8)
    grid[pad:-pad, pad:-pad] = template(kind)
    low, high = grid.copy(), grid.copy()
    padded = np.pad(grid, k, mode="edge")
    n = grid.shape[0]
    for a in range(2 * k + 1):
        for b in range(2 * k + 1):
            window = padded[a : a + n, b : b + n]
            np.minimum(low, window, out=low)
            np.maximum(high, window, out=high)
    for out in (grid, low):
        out.setflags(write=False)
    same = low == high
    same.setflags(write=False)
    return grid, same, pad


def ink_at(mask: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The mask's value at body-frame points (units of ``R``); 0 outside it."""
    s = mask.shape[0]
    j = np.floor((u + 1) / 2 * s).astype(np.int64)
    i = np.floor((v + 1) / 2 * s).astype(np.int64)
    inside = (i >= 0) & (i < s) & (j >= 0) & (j < s)
    # every point read at its cell clipped to the mask, then 0 where it is outside (one
    # gather over all points: faster than gathering the inside ones by a boolean mask)
    np.clip(i, 0, s - 1, out=i)
    np.clip(j, 0, s - 1, out=j)
    i *= s
    i += j
    seen = np.asarray(mask, np.float32).ravel()[i]
    return np.where(inside, seen, np.float32(0.0))


def to_body(
    x: np.ndarray, y: np.ndarray, centre: tuple[float, float], angle: float, r: float
) -> tuple[np.ndarray, np.ndarray]:
    """Picture points as body-frame points in units of ``r`` (the body turned by ``angle``)."""
    dx, dy = x - centre[0], y - centre[1]
    c, s = np.cos(angle), np.sin(angle)
    return (c * dx + s * dy) / r, (-s * dx + c * dy) / r


def paint(img: np.ndarray, body: Body, pose: tuple[float, ...], pattern: Pattern) -> None:
    """Print ``pattern`` on ``body`` drawn at ``pose`` (x, y[, angle]) in ``img``."""
    lay(img[None], body, [pose], pattern)


def lay(frames: np.ndarray, body: Body, poses: list[tuple[float, ...]], pattern: Pattern) -> None:
    """Print ``pattern`` on ``body`` in every frame of ``frames`` ((F, h, w, 3)), at the
    frame's pose of ``poses`` (x, y[, angle]): each frame as ``paint`` printed it alone
    (the pixels of a box ``r`` + 1 to 2 pixels around the centre, clipped to the picture,
    each laid over by its share of samples in ink: ``patch * (1 - share) + ink * share``,
    in float32, rounded), all at once: the boxes counted in one size (``_counts``), a
    pixel fully in ink set to the ink (what that sum gives), and only the pixels partly
    in ink mixed."""
    r = inner_radius(body)
    n, h, w = frames.shape[:3]
    corners, ends = [], []
    for pose in poses:
        x, y = pose[0], pose[1]
        corners.append((int(np.floor(x - r)) - 1, int(np.floor(y - r)) - 1))
        ends.append((int(np.ceil(x + r)) + 2, int(np.ceil(y + r)) + 2))
    corner, end = np.array(corners, dtype=np.int64), np.array(ends, dtype=np.int64)
    bw, bh = (end - corner).max(axis=0)
    sub = (np.arange(SUPER) + 0.5) / SUPER
    xs = ((corner[:, 0, None] + np.arange(bw))[:, :, None] + sub).reshape(n, -1)
    ys = ((corner[:, 1, None] + np.arange(bh))[:, :, None] + sub).reshape(n, -1)
    centre = np.array([pose[:2] for pose in poses], dtype=np.float64)
    angles = [pose[2] if len(pose) > 2 else body.angle for pose in poses]
    cos = np.array([np.cos(a) for a in angles])
    sin = np.array([np.sin(a) for a in angles])
    counts = _counts(pattern.kind, r, xs - centre[:, :1], ys - centre[:, 1:], cos, sin)
    at_x = corner[:, 0, None] + np.arange(bw)  # (F, bw): the picture's column of each
    at_y = corner[:, 1, None] + np.arange(bh)
    inside_x = (at_x >= 0) & (at_x < np.minimum(end[:, :1], w))
    inside_y = (at_y >= 0) & (at_y < np.minimum(end[:, 1:], h))
    inside = inside_y[:, :, None] & inside_x[:, None, :]
    full = SUPER * SUPER
    ink = np.asarray(pattern.ink, np.float32)
    f, i, j = np.nonzero(inside & (counts == full))
    frames[f, at_y[f, i], at_x[f, j]] = np.rint(ink).astype(np.uint8)
    f, i, j = np.nonzero(inside & (counts > 0) & (counts < full))
    if len(f):
        row, col = at_y[f, i], at_x[f, j]
        patch = frames[f, row, col].astype(np.float32)
        share = (counts[f, i, j].astype(np.float32) / np.float32(full))[:, None]
        frames[f, row, col] = np.rint(patch * (1 - share) + ink * share).astype(np.uint8)


def render(
    spec: SceneSpec,
    trajectory: Trajectory,
    patterns: dict[str, Pattern] | None = None,
    still: frozenset[str] = frozenset(),
) -> np.ndarray:
    """All frames of a patterned scene, (n, h, w, 3) uint8 RGB: the 2D rasteriser's, with
    each body's pattern (``patterns``, default the scene's own) printed on it; the
    patterns of the bodies in ``still`` keep their first angle while the bodies turn. In
    a textured scene the prints are the bodies' only patterns. A body's prints are
    counted for all frames at once and laid on body after body, in the scene's order."""
    from vidreason.render import raster2d

    pose = raster2d.pose
    own = patterns_of(spec) if patterns is None else patterns
    frames = raster2d.render(spec, trajectory, printed=True)
    for b in spec.bodies:
        if b.name not in trajectory.states or b.name not in own:
            continue
        states = trajectory.states[b.name]
        poses = [pose(state) for state in states]
        if b.name in still:
            poses = [(*where[:2], pose(states[0])[2]) for where in poses]
        lay(frames, b, poses, own[b.name])
    return frames
