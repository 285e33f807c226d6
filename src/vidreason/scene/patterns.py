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
a frame, anti-aliased by 4 x 4 supersampling. To add a pattern: a branch in
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
    same numbers in fewer passes (the count of 0/1 samples, over ``SUPER²``)."""
    dx, dy = xs - centre[0], ys - centre[1]
    c, sn = np.cos(angle), np.sin(angle)
    u = c * dx[None, :] + (sn * dy)[:, None]
    u /= r
    v = (-sn * dx)[None, :] + (c * dy)[:, None]
    v /= r
    side = TEMPLATE + 2
    at = _cell(v, TEMPLATE)
    at *= side
    at += _cell(u, TEMPLATE)
    ink = _bordered(kind)[at]
    h, w = len(ys) // SUPER, len(xs) // SUPER
    cells = ink.reshape(h, SUPER, w, SUPER)
    count = cells[:, 0, :, 0].copy()  # the samples' sum, one slice at a time: no reduction
    for k in range(1, SUPER * SUPER):
        count += cells[:, k // SUPER, :, k % SUPER]
    return count.astype(np.float32) / np.float32(SUPER * SUPER)


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
    r = inner_radius(body)
    x, y = pose[0], pose[1]
    angle = pose[2] if len(pose) > 2 else body.angle
    h, w = img.shape[:2]
    x0, x1 = max(0, int(np.floor(x - r)) - 1), min(w, int(np.ceil(x + r)) + 2)
    y0, y1 = max(0, int(np.floor(y - r)) - 1), min(h, int(np.ceil(y + r)) + 2)
    if x0 >= x1 or y0 >= y1:
        return
    sub = (np.arange(SUPER) + 0.5) / SUPER
    xs = (np.arange(x0, x1)[:, None] + sub[None, :]).ravel()
    ys = (np.arange(y0, y1)[:, None] + sub[None, :]).ravel()
    cover = coverage(pattern.kind, xs, ys, (x, y), angle, r)[..., None]
    if not cover.any():
        return
    patch = img[y0:y1, x0:x1].astype(np.float32)
    out = patch * (1 - cover) + np.asarray(pattern.ink, np.float32) * cover
    img[y0:y1, x0:x1] = np.rint(out).astype(np.uint8)


def render(
    spec: SceneSpec,
    trajectory: Trajectory,
    patterns: dict[str, Pattern] | None = None,
    still: frozenset[str] = frozenset(),
) -> np.ndarray:
    """All frames of a patterned scene, (n, h, w, 3) uint8 RGB: the 2D rasteriser's, with
    each body's pattern (``patterns``, default the scene's own) printed on it; the
    patterns of the bodies in ``still`` keep their first angle while the bodies turn. In
    a textured scene the prints are the bodies' only patterns."""
    from vidreason.render import raster2d

    pose = raster2d.pose
    own = patterns_of(spec) if patterns is None else patterns
    frames = raster2d.render(spec, trajectory, printed=True)
    for i, img in enumerate(frames):
        at = {name: pose(trajectory.states[name][i]) for name in trajectory.states}
        for b in spec.bodies:
            if b.name in at and b.name in own:
                where = at[b.name]
                if b.name in still:
                    where = (*where[:2], pose(trajectory.states[b.name][0])[2])
                paint(img, b, where, own[b.name])
    return frames
