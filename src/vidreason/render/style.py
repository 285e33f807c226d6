"""Scene styles for 2D pictures: light, shading, soft shadows and textures on numpy images.

Every function works on plain arrays (an RGB ``uint8`` image, a coverage mask in 0..1 or
a gain map), so any 2D renderer (bodies, grids, liquids) can draw a styled scene: fill
its flat backdrop, multiply it by ``light_gradient`` (shaded) or ``surface_texture``
(textured), darken it under ``soft_shadow`` before the bodies are drawn, then compose
each body over it with ``compose`` from its coverage mask and a fill made by
``shaded_fill`` or ``textured_fill``. Each body's fill stays within its own silhouette.

The amounts are moderate on purpose: a body is shaded and tinted in CIE lightness alone
(its a and b, hence its hue, kept), at most ``SHADE`` from its key, well within the
trackers' colour distance (30 in Lab), so a body keeps its colour's name, and a shadow on
the background still reads as the background. The light comes from the upper left (``LIGHT``) in every scene.

To add a style: a function returning a gain map for the backdrop and one returning a
body's fill, composed by the renderer the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

LIGHT = (-0.6, -0.8)  # unit vector (x right, y down) towards the light: the upper left
GRADIENT = 0.10  # the backdrop's brightness goes from 1 + this/2 (lit) to 1 - this/2
SHADE = 11.0  # CIE L: a body's lightness from its key, +this facing the light, -this away
SHADOW = 0.22  # the darkening under a shadow's core
SHADOW_OFFSET = 0.22  # x a body's size: how far its shadow falls from it, away from light
SHADOW_BLUR = 0.18  # x a body's size: the shadow's softness (Gaussian sigma)
CHECK = 0.07  # a textured backdrop's checks: brightness 1 +- this
TINT = 9.0  # CIE L: a textured body's two tints, this much lighter and darker than its key


@dataclass(frozen=True)
class Window:
    """A box of an image (x0, y0 inclusive; x1, y1 exclusive), clipped to it."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def empty(self) -> bool:
        return self.x1 <= self.x0 or self.y1 <= self.y0

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        """Pixel-centre coordinates (x, y) of the window, float32 arrays of its shape."""
        ys, xs = np.mgrid[self.y0 : self.y1, self.x0 : self.x1].astype(np.float32)
        return xs, ys


def window(shape: tuple[int, ...], cx: float, cy: float, reach: float) -> Window:
    """The box of an image of ``shape`` within ``reach`` px of (``cx``, ``cy``): empty when
    that lies outside the image."""
    h, w = shape[:2]
    if not np.isfinite([cx, cy, reach]).all():
        return Window(0, 0, 0, 0)
    x0 = min(w, max(0, int(np.floor(cx - reach))))
    y0 = min(h, max(0, int(np.floor(cy - reach))))
    x1 = max(x0, min(w, int(np.ceil(cx + reach)) + 1))
    y1 = max(y0, min(h, int(np.ceil(cy + reach)) + 1))
    return Window(x0, y0, x1, y1)


def light_gradient(h: int, w: int, amount: float = GRADIENT) -> np.ndarray:
    """A smooth gain map (h, w) float32: brightest towards the light, ``amount`` in all
    from the lit corner to the far one."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    lx, ly = LIGHT
    along = (xs / max(w - 1, 1) - 0.5) * lx + (ys / max(h - 1, 1) - 0.5) * ly
    span = abs(lx) + abs(ly)  # ``along`` runs over -span/2 .. span/2
    return (1.0 + amount * along / span).astype(np.float32)


def apply_gain(img: np.ndarray, gain: np.ndarray) -> None:
    """Multiply ``img`` (uint8 RGB) by ``gain`` (its height and width) in place."""
    out = img.astype(np.float32) * gain[..., None]
    img[:] = np.clip(np.rint(out), 0, 255).astype(np.uint8)


def soft_shadow(img: np.ndarray, cover: np.ndarray, amount: float = SHADOW) -> None:
    """Darken ``img`` by ``amount`` times ``cover`` (h, w in 0..1: the blurred shadows)."""
    apply_gain(img, 1.0 - amount * np.clip(cover, 0.0, 1.0))


def blur_mask(mask: np.ndarray, sigma: float) -> np.ndarray:
    """``mask`` (float32) softened by a Gaussian of ``sigma`` px."""
    if sigma <= 0.3:
        return mask
    return cv2.GaussianBlur(mask, (0, 0), sigmaX=sigma, sigmaY=sigma)


def shadow_offset(size: float) -> tuple[float, float]:
    """How far (dx, dy px) the shadow of a body of ``size`` px falls, away from the light."""
    d = SHADOW_OFFSET * size
    return -LIGHT[0] * d, -LIGHT[1] * d


def checker(h: int, w: int, cell: float, amount: float = CHECK) -> np.ndarray:
    """A gain map (h, w) float32 of squares ``cell`` px wide, 1 + amount and 1 - amount,
    with edges smoothed over a pixel (so it is drawn the same at any resolution)."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    sx = _square_wave(xs / (2 * cell))
    sy = _square_wave(ys / (2 * cell))
    return (1.0 + amount * sx * sy).astype(np.float32)


def stripes(h: int, w: int, period: float, amount: float, slant: float = 1.0) -> np.ndarray:
    """A gain map (h, w) float32 of diagonal stripes ``period`` px apart (``slant``: the
    ratio of y to x in the stripes' direction), 1 + amount and 1 - amount."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    along = (xs + slant * ys) / np.hypot(1.0, slant)
    return (1.0 + amount * _square_wave(along / period)).astype(np.float32)


def _square_wave(t: np.ndarray, soft: float = 0.06) -> np.ndarray:
    """+1 on the first half of each unit of ``t``, -1 on the second, edges smoothed over
    ``soft`` of a unit."""
    s = np.sin(2 * np.pi * t)
    return np.clip(s / (2 * np.pi * soft), -1.0, 1.0)


def relit(colour: tuple[int, int, int], dl: np.ndarray) -> np.ndarray:
    """``colour`` with its CIE lightness changed by ``dl`` (any shape), its a and b kept:
    RGB float32 (0..255) of shape ``dl.shape + (3,)``."""
    rgb = np.asarray(colour, np.float32).reshape(1, 1, 3) / 255.0
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)[0, 0]
    d = np.asarray(dl, np.float32)
    field = np.empty((*d.shape, 3), np.float32)
    field[..., 0] = np.clip(lab[0] + d, 0.0, 100.0)
    field[..., 1], field[..., 2] = lab[1], lab[2]
    flat = field.reshape(1, -1, 3)
    out = cv2.cvtColor(flat, cv2.COLOR_LAB2RGB).reshape(field.shape)
    return np.clip(out, 0.0, 1.0) * 255.0


def tints(colour: tuple[int, int, int], amount: float = TINT) -> tuple[np.ndarray, np.ndarray]:
    """A lighter and a darker tint of ``colour`` (float32 RGB), ``amount`` in CIE L each
    way: its hue kept."""
    both = relit(colour, np.array([amount, -amount], np.float32))
    return both[0], both[1]


def lightness(colour: tuple[int, int, int], f: np.ndarray) -> np.ndarray:
    """``colour`` lit by ``f`` (any shape, -1 far from the light .. +1 towards it), RGB
    float32 of shape ``f.shape + (3,)``: ``SHADE`` x ``f`` in CIE lightness."""
    return relit(colour, SHADE * np.asarray(f, np.float32))


def shaded_fill(
    win: Window, colour: tuple[int, int, int], centre: tuple[float, float], size: float
) -> np.ndarray:
    """A body's colour lit from ``LIGHT``: lighter on the side facing it, darker away, by
    the distance from ``centre`` along the light over ``size`` (its half-extent)."""
    xs, ys = win.grid()
    lx, ly = LIGHT
    f = ((xs - centre[0]) * lx + (ys - centre[1]) * ly) / max(size, 1.0)
    return lightness(colour, np.clip(f, -1.0, 1.0))


PATTERNS = ("stripes", "dots", "checks")


def textured_fill(
    win: Window,
    colour: tuple[int, int, int],
    centre: tuple[float, float],
    angle: float,
    kind: str,
    period: float,
) -> np.ndarray:
    """A body's pattern (``kind`` of ``PATTERNS``, ``period`` px) in a lighter and a darker
    tint of ``colour``, fixed to the body (it turns with ``angle``)."""
    xs, ys = win.grid()
    c, s = np.cos(angle), np.sin(angle)
    dx, dy = xs - centre[0], ys - centre[1]
    u, v = c * dx + s * dy, -s * dx + c * dy  # body coordinates
    if kind == "stripes":
        t = _square_wave(u / period + 0.25)
    elif kind == "checks":
        t = _square_wave(u / period + 0.25) * _square_wave(v / period + 0.25)
    else:  # dots: light dots on the dark tint
        fu = u / period - np.floor(u / period + 0.5)
        fv = v / period - np.floor(v / period + 0.5)
        r = np.sqrt(fu * fu + fv * fv) * period
        t = np.clip((0.3 * period - r) / 0.7, -1.0, 1.0)
    light, dark = tints(colour)
    w = (0.5 + 0.5 * t)[..., None]
    return light * w + dark * (1.0 - w)


def compose(img: np.ndarray, win: Window, cover: np.ndarray, fill: np.ndarray) -> None:
    """Draw ``fill`` (the window's shape, RGB float) over ``img`` where ``cover`` (0..1, the
    window's shape: the body's anti-aliased silhouette) says, in place."""
    if win.empty:
        return
    patch = img[win.slices].astype(np.float32)
    a = cover[..., None]
    out = patch * (1.0 - a) + fill * a
    img[win.slices] = np.clip(np.rint(out), 0, 255).astype(np.uint8)
