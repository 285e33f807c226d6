"""Drawing of a liquid scene (``tasks/fluids/``): the liquid as one flat region in its
colour key (``scene/liquid.py:mask`` of its particles), the walls as solid rectangles over
it (a tilting container's at its angle in each frame), on a flat background. A liquid left
out of ``spec.bodies`` (a planted vanish) is not drawn.

Styled (``fmt.style``, ``render/grid_style.py``), the regions are the same: ``shaded``
lights the background and the walls from the top left, the walls cast soft shadows, and
the liquid darkens with depth (``DEEP`` at ``DEPTH`` of the picture's height under its
surface) under a lighter line along its surface (``SURFACE``); ``textured`` checks the
background, stripes the walls and ripples the liquid in tints of their colours. A
tilting container is drawn in its walls' colour key in every style."""

from __future__ import annotations

import functools

import numpy as np

from vidreason.engines.fluid_mpm import PARTS, REF, spacing
from vidreason.scene.liquid import mask, rect_mask, turner, wall_rect
from vidreason.scene.params.fluids import Liquid
from vidreason.types import SceneSpec, Trajectory

ANGLE = 4  # the column of a trajectory row holding a tilting container's angle


def liquid_masks(spec: SceneSpec, trajectory: Trajectory, name: str) -> np.ndarray:
    """The liquid's region in every frame (frames x height x width), moved by a row's
    (x, y) away from its simulated centroid."""
    w, h, step = spec.fmt.width, spec.fmt.height, spacing(spec)
    rows = trajectory.array(name)
    blur = Liquid.of(spec).blur
    out = np.zeros((len(rows), h, w), dtype=bool)
    for i, r in enumerate(rows):
        pts = r[PARTS:].reshape(-1, 2) + (r[:2] - r[REF : REF + 2])
        out[i] = mask(pts, w, h, step, blur)
    return out


def walls_mask(spec: SceneSpec) -> np.ndarray:
    """The pixels the static walls cover (drawn over the liquid)."""
    return rect_mask([wall_rect(w) for w in spec.walls], spec.fmt.width, spec.fmt.height)


def cup_angles(trajectory: Trajectory) -> np.ndarray:
    """A tilting container's angle in each frame: the liquid's angle column (its rows
    carry it, so a retimed, extended or edited trajectory turns the cup with it)."""
    name = next(iter(trajectory.states))
    return trajectory.array(name)[:, ANGLE]


def cup_masks(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray | None:
    """The pixels a tilting container's walls cover in each frame (None without one)."""
    p = Liquid.of(spec)
    if not (p.cup and p.pivot):
        return None
    cup = tuple(tuple(float(v) for v in r) for r in p.cup)
    angles = np.asarray(cup_angles(trajectory), np.float64)
    return _cup_masks(cup, tuple(p.pivot), spec.fmt.width, spec.fmt.height, angles.tobytes())


@functools.lru_cache(maxsize=2)
def _cup_masks(
    cup: tuple[tuple[float, ...], ...], pivot: tuple[float, ...], w: int, h: int, angles: bytes
) -> np.ndarray:
    """``cup_masks`` of one scene (the verifier asks for them three times a video), read
    only."""
    turned = turner([list(r) for r in cup], list(pivot), w, h)
    out = np.stack([turned(float(a)) for a in np.frombuffer(angles, np.float64)])
    out.flags.writeable = False
    return out


def shown_masks(spec: SceneSpec, trajectory: Trajectory, name: str) -> np.ndarray:
    """The liquid's region as drawn: where the walls do not cover it."""
    out = liquid_masks(spec, trajectory, name) & ~walls_mask(spec)
    cups = cup_masks(spec, trajectory)
    return out if cups is None else out & ~cups


def render(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
    if spec.fmt.style != "flat":
        return _render_styled(spec, trajectory)
    w, h = spec.fmt.width, spec.fmt.height
    frame = np.empty((h, w, 3), dtype=np.uint8)
    frame[:] = spec.background
    n = trajectory.n_frames
    frames = np.repeat(frame[None], n, axis=0)
    for body in spec.bodies:
        if body.name in trajectory.states:
            frames[liquid_masks(spec, trajectory, body.name)] = body.colour
    for wall in spec.walls:
        frames[:, rect_mask([wall_rect(wall)], w, h)] = wall.colour
    cups = cup_masks(spec, trajectory)
    if cups is not None:
        frames[cups] = spec.walls[0].colour  # the container is drawn as the walls are
    return frames


TOP = 2.0  # the liquid just under its surface: this much lighter than its key (CIE L)
DEEP = 4.0  # ... and this much darker at DEPTH under it
DEPTH = 0.3  # of the picture's height
SURFACE = 5.0  # the line along the surface: this much lighter
LINE = 2  # px: the surface line's width
RIPPLE = 6.0  # textured: the liquid's ripples, this much lighter and darker


def _liquid_factor(region: np.ndarray, style: str) -> np.ndarray:
    """Lightness (CIE L, added to the key's) of the liquid in one frame: by its depth under
    the surface and a light surface line (shaded), or wavy ripples (textured)."""
    h, w = region.shape
    if style == "textured":
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        period = max(6.0, h / 24)
        wave = np.sin(
            2 * np.pi * (ys + 0.15 * period * np.sin(2 * np.pi * xs / (3 * period))) / period
        )
        return (RIPPLE * np.clip(2.0 * wave, -1.0, 1.0)).astype(np.float32)
    depth = np.cumsum(region, axis=0, dtype=np.float32)  # liquid pixels above, this one too
    f = TOP - (TOP + DEEP) * np.clip(depth / (DEPTH * h), 0.0, 1.0)
    above = np.zeros_like(region)
    for k in range(1, LINE + 1):
        above[k:] |= ~region[:-k]
    above[:LINE] = True
    return np.where(region & above, SURFACE, f).astype(np.float32)


def _render_styled(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
    from vidreason.render import grid_style as gs

    w, h, style = spec.fmt.width, spec.fmt.height, spec.fmt.style
    canvas = gs.backdrop(spec, spec.background, max(w, h) / 16)
    rects = [wall_rect(wall) for wall in spec.walls]
    if style == "shaded" and rects:
        gs.cast(
            canvas, [gs.rect(*r) for r in rects], gs.shadow_reach(min(r[2] - r[0] for r in rects))
        )
    layer = np.zeros_like(canvas)
    for wall, r in zip(spec.walls, rects, strict=True):
        layer[:] = 0
        gs.paint(layer, gs.rect(0, 0, w, h), wall.colour, style, fixed=True)
        on = rect_mask([r], w, h)
        canvas[on] = layer[on]
    walls = walls_mask(spec)
    n = trajectory.n_frames
    frames = np.repeat(gs.to_uint8(canvas)[None], n, axis=0)
    for body in spec.bodies:
        if body.name not in trajectory.states:
            continue
        for i, region in enumerate(liquid_masks(spec, trajectory, body.name)):
            shown = region & ~walls
            colour = gs.tints(body.colour, _liquid_factor(region, style)[shown])
            frames[i][shown] = np.rint(colour).astype(np.uint8)
    cups = cup_masks(spec, trajectory)
    if cups is not None:
        frames[cups] = spec.walls[0].colour
    return frames
