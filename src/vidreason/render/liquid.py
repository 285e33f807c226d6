"""Drawing of a liquid scene (``tasks/fluids/``): the liquid as one flat region in its
colour key (``scene/liquid.py:mask`` of its particles), the walls as solid rectangles over
it, on a flat background. A liquid left out of ``spec.bodies`` (a planted vanish) is not
drawn."""

from __future__ import annotations

import numpy as np

from vidreason.engines.fluid_mpm import PARTS, REF, spacing
from vidreason.scene.liquid import mask, rect_mask, wall_rect
from vidreason.types import SceneSpec, Trajectory


def liquid_masks(spec: SceneSpec, trajectory: Trajectory, name: str) -> np.ndarray:
    """The liquid's region in every frame (frames x height x width), moved by a row's
    (x, y) away from its simulated centroid."""
    w, h, step = spec.fmt.width, spec.fmt.height, spacing(spec)
    rows = trajectory.array(name)
    out = np.zeros((len(rows), h, w), dtype=bool)
    for i, r in enumerate(rows):
        pts = r[PARTS:].reshape(-1, 2) + (r[:2] - r[REF : REF + 2])
        out[i] = mask(pts, w, h, step)
    return out


def walls_mask(spec: SceneSpec) -> np.ndarray:
    """The pixels the walls cover (drawn over the liquid)."""
    return rect_mask([wall_rect(w) for w in spec.walls], spec.fmt.width, spec.fmt.height)


def shown_masks(spec: SceneSpec, trajectory: Trajectory, name: str) -> np.ndarray:
    """The liquid's region as drawn: where the walls do not cover it."""
    return liquid_masks(spec, trajectory, name) & ~walls_mask(spec)


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
    return frames
