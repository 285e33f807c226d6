"""Drawing of a liquid scene (``tasks/fluids/``): the liquid as one flat region in its
colour key (``scene/liquid.py:mask`` of its particles), the walls as solid rectangles over
it (a tilting container's at its angle in each frame), on a flat background. A liquid left
out of ``spec.bodies`` (a planted vanish) is not drawn."""

from __future__ import annotations

import numpy as np

from vidreason.engines.fluid_mpm import PARTS, REF, spacing
from vidreason.scene.liquid import mask, rect_mask, turned_mask, wall_rect
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
    w, h = spec.fmt.width, spec.fmt.height
    return np.stack([turned_mask(p.cup, p.pivot, float(a), w, h) for a in cup_angles(trajectory)])


def shown_masks(spec: SceneSpec, trajectory: Trajectory, name: str) -> np.ndarray:
    """The liquid's region as drawn: where the walls do not cover it."""
    out = liquid_masks(spec, trajectory, name) & ~walls_mask(spec)
    cups = cup_masks(spec, trajectory)
    return out if cups is None else out & ~cups


def render(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
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
