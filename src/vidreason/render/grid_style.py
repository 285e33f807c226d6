"""Shaded and textured drawing of the planning boards and the liquid tank (``fmt.style``).

A styled scene is drawn on a float canvas. The background is lit by a smooth gradient
(``shaded``, ``BACK`` either way of its colour) or carries a checked grain (``textured``).
Each shape is painted through its anti-aliased coverage in tints of its colour key, the
key made lighter or darker in CIE L with its hue kept (``tints``): lighter towards the
light and darker away (``shaded``, ``BODY`` either way, a soft highlight on a disc), or
diagonal stripes of a lighter and a darker tint (``textured``, ``TINT`` either way). The
tints stay within the trackers' colour tolerance (30 in 8-bit Lab, where L counts 2.55 a
unit) of the colour a video's body is calibrated on (``tracking.calibrate``: the middle of
a shaded body, the mean of a textured one's tints). In ``shaded`` a shape casts a soft
shadow: its coverage moved away from the light, blurred, darkening what lies under it by
at most ``SHADOW`` (less than the planning verifiers' change level, so a shadow never
reads as a change of the scene). The light comes from the top left. The
only randomness, the grain, comes from a named rng of the spec's seed and index.

To style one more renderer: start from ``backdrop``, ``paint`` the static shapes, keep
that canvas, then per frame ``cast`` the moving shapes' shadows and ``paint`` them; hand
``to_uint8`` the canvas.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from vidreason.render.raster2d import fill_rect
from vidreason.seeding import named_rng
from vidreason.types import SceneSpec

LIGHT = (0.6, 0.8)  # the way the light travels: from the top left
BACK = 0.08  # the background: this share lighter at the top left, darker at the bottom right
BODY = 8.0  # a shaded shape: this much lighter (CIE L) on its lit side, darker on the far side
HIGHLIGHT = 4.0  # a disc's soft highlight on its lit side (CIE L)
SHADOW = 0.18  # the most a shadow darkens what it falls on
TINT = 6.0  # a textured shape's stripes: this much lighter and darker than its key (CIE L)
RAMP = 20.0  # tints of a key are made from this much darker to this much lighter (CIE L)
_STEPS = 4  # tints per unit of L
CHECK = 0.045  # a textured background's checks: this share lighter and darker
GRAIN = 0.02  # a textured background's grain (standard deviation, a share)
_SHIFT = 4
_ONE = 1 << _SHIFT


@dataclass(frozen=True)
class Shape:
    """A rectangle (``kind="rect"``: corners ``x0, y0, x1, y1``) or a disc (``"disc"``:
    centre ``x0, y0`` and radius ``x1``) in pixels."""

    kind: str
    x0: float
    y0: float
    x1: float
    y1: float = 0.0

    @property
    def box(self) -> tuple[float, float, float, float]:
        if self.kind == "disc":
            r = self.x1
            return self.x0 - r, self.y0 - r, self.x0 + r, self.y0 + r
        return self.x0, self.y0, self.x1, self.y1


def rect(x0: float, y0: float, x1: float, y1: float) -> Shape:
    return Shape("rect", x0, y0, x1, y1)


def disc(x: float, y: float, r: float) -> Shape:
    return Shape("disc", x, y, r)


@functools.lru_cache(maxsize=8)
def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return xs, ys


def light(h: int, w: int, amp: float) -> np.ndarray:
    """(h, w) brightness factor: 1 + ``amp`` at the top left to 1 - ``amp`` at the bottom
    right."""
    xs, ys = _grid(h, w)
    t = (LIGHT[0] * xs / max(1, w - 1) + LIGHT[1] * ys / max(1, h - 1)) / sum(LIGHT)
    return (1.0 + amp * (1.0 - 2.0 * t)).astype(np.float32)


def checks(h: int, w: int, period: float, x0: float = 0.0, y0: float = 0.0) -> np.ndarray:
    """(h, w) factor of a checked pattern of squares ``period`` px, softened over a pixel,
    aligned on (``x0``, ``y0``)."""
    xs, ys = _grid(h, w)
    u = np.sin(np.pi * (xs - x0 + 0.5) / period) * np.sin(np.pi * (ys - y0 + 0.5) / period)
    return (1.0 + CHECK * np.clip(4.0 * u, -1.0, 1.0)).astype(np.float32)


def grain(spec: SceneSpec, h: int, w: int) -> np.ndarray:
    """(h, w) factor of a fine grain (the spec's own named rng: the same every draw)."""
    rng = named_rng(spec.seed, "style-grain", str(spec.index))
    noise = np.asarray(
        cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 0.8)
    )
    scale = GRAIN / max(1e-6, float(noise.std()))
    return (1.0 + scale * noise).astype(np.float32)


def backdrop(spec: SceneSpec, colour, period: float, x0: float = 0.0, y0: float = 0.0):
    """The styled background, a float (h, w, 3) canvas: ``colour`` lit by the gradient
    (shaded) or checked in squares of ``period`` px aligned on (``x0``, ``y0``) with a
    grain (textured)."""
    h, w = spec.fmt.height, spec.fmt.width
    if spec.fmt.style == "shaded":
        f = light(h, w, BACK)
    else:
        f = checks(h, w, period, x0, y0) * grain(spec, h, w)
    return np.asarray(colour, np.float32)[None, None, :] * f[:, :, None]


def _roi(shape: Shape, h: int, w: int, pad: int = 2) -> tuple[int, int, int, int] | None:
    bx0, by0, bx1, by1 = shape.box
    ax, ay = max(0, int(np.floor(bx0)) - pad), max(0, int(np.floor(by0)) - pad)
    bx, by = min(w, int(np.ceil(bx1)) + pad + 1), min(h, int(np.ceil(by1)) + pad + 1)
    return (ax, ay, bx, by) if ax < bx and ay < by else None


def _cover(shape: Shape, roi: tuple[int, int, int, int]) -> np.ndarray:
    """The shape's anti-aliased coverage (0..1) over ``roi``."""
    ax, ay, bx, by = roi
    m = np.zeros((by - ay, bx - ax), np.uint8)
    if shape.kind == "disc":
        c = (round((shape.x0 - ax) * _ONE), round((shape.y0 - ay) * _ONE))
        cv2.circle(m, c, round(shape.x1 * _ONE), 255, -1, cv2.LINE_AA, _SHIFT)
    else:
        fill_rect(m, shape.x0 - ax, shape.y0 - ay, shape.x1 - ax, shape.y1 - ay, (255,))
    return m.astype(np.float32) / 255.0


@functools.lru_cache(maxsize=64)
def _ramp(colour: tuple[int, ...]) -> np.ndarray:
    """(n, 3) RGB tints of ``colour`` from ``RAMP`` darker to ``RAMP`` lighter in CIE L,
    ``_STEPS`` per unit, its a and b kept."""
    rgb = np.asarray(colour, np.float32).reshape(1, 1, 3) / 255.0
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab).reshape(3)
    offsets = np.arange(-RAMP * _STEPS, RAMP * _STEPS + 1, dtype=np.float32) / _STEPS
    rows = np.repeat(lab[None, :], len(offsets), axis=0)
    rows[:, 0] = np.clip(rows[:, 0] + offsets, 0.0, 100.0)
    out = cv2.cvtColor(rows.reshape(-1, 1, 3), cv2.COLOR_Lab2RGB).reshape(-1, 3)
    return np.clip(out * 255.0, 0.0, 255.0).astype(np.float32)


def tints(colour, lightness: np.ndarray) -> np.ndarray:
    """``colour`` made ``lightness`` (CIE L, any shape) lighter or darker: shape + (3,)."""
    ramp = _ramp(tuple(int(v) for v in colour))
    k = np.clip(np.rint((lightness + RAMP) * _STEPS), 0, len(ramp) - 1).astype(np.intp)
    return ramp[k]


def _factor(
    shape: Shape, style: str, roi: tuple[int, int, int, int], fixed: tuple[int, int] | None
) -> np.ndarray:
    """Lightness (CIE L, added to the key's) over ``roi``: the shape's shading or its
    stripes (``fixed``: the scene's, ``(h, w)``: so pieces of one wall join without a
    seam)."""
    ax, ay, bx, by = roi
    ys, xs = np.mgrid[ay:by, ax:bx].astype(np.float32)
    x0, y0, x1, y1 = shape.box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hx, hy = max(1.0, (x1 - x0) / 2), max(1.0, (y1 - y0) / 2)
    if fixed and style == "shaded":
        return light(*fixed, BODY)[ay:by, ax:bx] - 1.0
    if fixed:
        cx = cy = 0.0
        hx = hy = 8.0
    if style == "shaded":
        u = (LIGHT[0] * (xs - cx) / hx + LIGHT[1] * (ys - cy) / hy) / sum(LIGHT)
        f = -BODY * np.clip(u, -1.0, 1.0)
        if shape.kind == "disc":
            r = shape.x1
            gx, gy = cx - 0.4 * r * LIGHT[0], cy - 0.4 * r * LIGHT[1]
            f += HIGHLIGHT * np.exp(-((xs - gx) ** 2 + (ys - gy) ** 2) / (2 * (0.3 * r) ** 2))
        return f.astype(np.float32)
    period = max(5.0, 0.55 * min(hx, hy))
    s = np.sin(2 * np.pi * ((xs - cx) + (ys - cy)) / period)
    return (TINT * np.clip(2.5 * s, -1.0, 1.0)).astype(np.float32)


def paint(canvas: np.ndarray, shape: Shape, colour, style: str, fixed: bool = False) -> None:
    """``shape`` in ``colour`` onto the float ``canvas``: shaded or striped by ``style``
    (flat: the key itself); ``fixed``: lit by the scene's light and striped on the
    scene's lines, not the shape's own (walls)."""
    h, w = canvas.shape[:2]
    roi = _roi(shape, h, w)
    if roi is None:
        return
    ax, ay, bx, by = roi
    a = three(_cover(shape, roi))
    key = np.asarray(colour, np.float32)
    if style == "flat":
        fill = np.broadcast_to(key, (*a.shape[:2], 3))
    elif fixed:
        fill = tints(colour, _factor(shape, style, roi, (h, w)))
    else:  # the shape's own fill, drawn once per size, placed on the nearest whole pixel
        x0, y0, x1, y1 = shape.box
        own, rx, ry = _own_fill(shape.kind, x1 - x0, y1 - y0, tuple(colour), style)
        cx, cy = round((x0 + x1) / 2), round((y0 + y1) / 2)
        fill = own[ay - cy + ry : by - cy + ry, ax - cx + rx : bx - cx + rx]
    view = canvas[ay:by, ax:bx]
    view += a * (fill - view)


@functools.lru_cache(maxsize=256)
def _own_fill(
    kind: str, width: float, height: float, colour: tuple, style: str
) -> tuple[np.ndarray, int, int]:
    """The fill of a shape ``width`` x ``height`` centred on pixel (``rx``, ``ry``) of the
    returned (2 ``ry`` + 1, 2 ``rx`` + 1, 3) array: reaching past ``paint``'s window of
    it wherever the shape's centre lies within half a pixel."""
    rx, ry = int(np.ceil(width / 2)) + 4, int(np.ceil(height / 2)) + 4
    if kind == "disc":
        shape = Shape(kind, 0.0, 0.0, width / 2)
    else:
        shape = Shape(kind, -width / 2, -height / 2, width / 2, height / 2)
    return tints(colour, _factor(shape, style, (-rx, -ry, rx + 1, ry + 1), None)), rx, ry


def three(plane: np.ndarray) -> np.ndarray:
    """A (h, w) plane as (h, w, 3), contiguous (numpy's broadcast over a last axis of
    one is many times slower)."""
    return cv2.merge([plane, plane, plane])


def shadow_reach(size: float) -> float:
    """How far (px) a shape of ``size`` px casts its shadow: a few px, growing slowly."""
    return float(np.clip(0.08 * size, 1.5, 4.0))


def _moved(s: Shape, dx: float, dy: float) -> Shape:
    if s.kind == "disc":
        return Shape(s.kind, s.x0 + dx, s.y0 + dy, s.x1)
    return Shape(s.kind, s.x0 + dx, s.y0 + dy, s.x1 + dx, s.y1 + dy)


def cast(canvas: np.ndarray, shapes: list[Shape], reach: float) -> None:
    """The soft shadows of ``shapes`` onto ``canvas``: their coverage moved ``reach`` px
    away from the light, blurred over ``reach`` px, darkening by at most ``SHADOW``
    (computed in the window the shadows reach)."""
    h, w = canvas.shape[:2]
    sigma = max(0.8, 0.6 * reach)
    pad = int(np.ceil(3 * sigma)) + 2
    moved = [_moved(s, reach * LIGHT[0], reach * LIGHT[1]) for s in shapes]
    rois = [r for r in (_roi(s, h, w, pad) for s in moved) if r is not None]
    if not rois:
        return
    wx, wy = min(r[0] for r in rois), min(r[1] for r in rois)
    wx1, wy1 = max(r[2] for r in rois), max(r[3] for r in rois)
    m = np.zeros((wy1 - wy, wx1 - wx), np.float32)
    for s in moved:
        roi = _roi(s, h, w)
        if roi is not None:
            ax, ay, bx, by = roi
            sub = m[ay - wy : by - wy, ax - wx : bx - wx]
            np.maximum(sub, _cover(s, roi), out=sub)
    blurred = np.asarray(cv2.GaussianBlur(m, (0, 0), sigma))
    canvas[wy:wy1, wx:wx1] *= three(1.0 - SHADOW * blurred)


def to_uint8(canvas: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(canvas), 0, 255).astype(np.uint8)
