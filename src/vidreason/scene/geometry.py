"""Plain geometry of a scene's bodies, shared by the families and their verifiers.

Sizes in px of the task's frame, y down. To add a measure, write a function of bodies or
of a ``SceneSpec``/``Instance`` that returns numbers, never a ``Check``.
"""

from __future__ import annotations

import numpy as np

from vidreason.types import Body, Instance


def scene_size(instance: Instance) -> float:
    return float(max(instance.spec.fmt.width, instance.spec.fmt.height))


def extent(body: Body) -> float:
    """Radius of a disc that holds ``body`` at any angle."""
    if body.shape in ("box", "cup"):
        return 0.5 * float(np.hypot(*body.size))
    return float(body.radius)


def half_diagonal(block: Body) -> float:
    return float(np.hypot(*block.size) / 2)


def box_distance(
    x: np.ndarray, y: np.ndarray, box: Body, centre: tuple[float, float]
) -> np.ndarray:
    """Signed distance from points to an upright box (negative inside)."""
    hw, hh = box.size[0] / 2, box.size[1] / 2
    dx = np.abs(x - centre[0]) - hw
    dy = np.abs(y - centre[1]) - hh
    outside = np.hypot(np.maximum(dx, 0.0), np.maximum(dy, 0.0))
    return outside + np.minimum(np.maximum(dx, dy), 0.0)


def slope_axes(theta: float, direction: float) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors down the slope and out of its surface (scene px, y down)."""
    u = np.array([direction * np.cos(theta), np.sin(theta)])
    n = np.array([direction * np.sin(theta), -np.cos(theta)])
    return u, n
