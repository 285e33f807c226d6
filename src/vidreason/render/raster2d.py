"""Anti-aliased 2D drawing of a SceneSpec and its trajectory with OpenCV.

Discs are drawn at sub-pixel precision (4 fractional bits) with anti-aliased edges, walls
as thick anti-aliased lines, on a flat background. Colours are the colour keys the
verifiers segment by, so nothing else in the scene may use them.
"""

from __future__ import annotations

import cv2
import numpy as np

from vidreason.types import SceneSpec, Trajectory

_SHIFT = 4
_ONE = 1 << _SHIFT


def _pt(x: float, y: float) -> tuple[int, int]:
    return round(x * _ONE), round(y * _ONE)


def draw_frame(spec: SceneSpec, positions: dict[str, tuple[float, float]]) -> np.ndarray:
    """One RGB frame with each body at ``positions[name]``."""
    h, w = spec.fmt.height, spec.fmt.width
    img = np.empty((h, w, 3), dtype=np.uint8)
    img[:] = spec.background
    for wall in spec.walls:
        cv2.line(
            img,
            _pt(*wall.a),
            _pt(*wall.b),
            wall.colour,
            max(1, round(wall.thickness)),
            cv2.LINE_AA,
            _SHIFT,
        )
    for body in spec.bodies:
        x, y = positions[body.name]
        cv2.circle(img, _pt(x, y), round(body.radius * _ONE), body.colour, -1, cv2.LINE_AA, _SHIFT)
    return img


def render(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
    """All frames, shaped (n, h, w, 3) uint8 RGB."""
    n = trajectory.n_frames
    frames = [
        draw_frame(spec, {name: trajectory.states[name][i][:2] for name in trajectory.states})
        for i in range(n)
    ]
    return np.stack(frames)
