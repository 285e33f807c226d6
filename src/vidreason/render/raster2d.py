"""Anti-aliased 2D drawing of a SceneSpec and its trajectory with OpenCV.

Discs, boxes and cups (a U outline) are drawn at sub-pixel precision (4 fractional bits)
with anti-aliased edges, walls as thick anti-aliased lines, on a flat background. Colours
are the colour keys the verifiers segment by, so nothing else in the scene may use them.
Bodies named in ``World2D.occluders`` (opaque screens) are drawn after every other
body, so whatever passes behind them is hidden.
"""

from __future__ import annotations

import cv2
import numpy as np

from vidreason.scene.params.world2d import World2D
from vidreason.types import Body, SceneSpec, Trajectory

_SHIFT = 4
_ONE = 1 << _SHIFT


def _pt(x: float, y: float) -> tuple[int, int]:
    return round(x * _ONE), round(y * _ONE)


def fill_rect(img: np.ndarray, x0: float, y0: float, x1: float, y1: float, colour) -> None:
    pts = np.array([_pt(x0, y0), _pt(x1, y0), _pt(x1, y1), _pt(x0, y1)], dtype=np.int32)
    cv2.fillConvexPoly(img, pts, tuple(int(v) for v in colour), cv2.LINE_AA, _SHIFT)


def draw_frame(
    spec: SceneSpec,
    positions: dict[str, tuple[float, ...]],
) -> np.ndarray:
    """One RGB frame with each body at ``positions[name] = (x, y[, angle])``."""
    img = backdrop(spec)
    draw_moving(img, spec, positions, _order(spec))
    return img


def backdrop(spec: SceneSpec) -> np.ndarray:
    """The background and the walls: what every frame of a scene starts from."""
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
    return img


def _order(spec: SceneSpec) -> list[Body]:
    """The bodies in drawing order: the screens (``World2D.occluders``) last."""
    screens = set(World2D.of(spec).occluders or ())
    ordered = [b for b in spec.bodies if b.name not in screens]
    return ordered + [b for b in spec.bodies if b.name in screens]


def draw_moving(
    img: np.ndarray,
    spec: SceneSpec,
    positions: dict[str, tuple[float, ...]],
    ordered: list[Body],
) -> None:
    """The joints and then the bodies (in ``ordered``'s order) onto ``img``, a backdrop."""
    for joint in spec.joints:
        if joint.body in positions:
            x, y = positions[joint.body][:2]
            cv2.line(
                img,
                _pt(*joint.anchor),
                _pt(x, y),
                joint.colour,
                max(1, round(joint.thickness)),
                cv2.LINE_AA,
                _SHIFT,
            )
    for body in ordered:
        if body.name not in positions:
            continue
        state = positions[body.name]
        x, y = state[:2]
        angle = state[2] if len(state) > 2 else body.angle
        if body.shape == "box":
            draw_box(img, (x, y), body.size, angle, body.colour)
        elif body.shape == "cup":
            draw_cup(img, (x, y), body.size, 2 * body.radius, angle, body.colour)
        else:
            cv2.circle(
                img, _pt(x, y), round(body.radius * _ONE), body.colour, -1, cv2.LINE_AA, _SHIFT
            )


def draw_box(
    img: np.ndarray,
    centre: tuple[float, float],
    size: tuple[float, float],
    angle: float,
    colour: tuple[int, int, int],
) -> None:
    """A filled, anti-aliased rectangle rotated by ``angle`` radians about its centre."""
    hw, hh = size[0] / 2, size[1] / 2
    c, s = np.cos(angle), np.sin(angle)
    corners = [(-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)]
    pts = np.array(
        [_pt(centre[0] + c * dx - s * dy, centre[1] + s * dx + c * dy) for dx, dy in corners],
        dtype=np.int32,
    )
    cv2.fillConvexPoly(img, pts, colour, cv2.LINE_AA, _SHIFT)


def draw_cup(
    img: np.ndarray,
    centre: tuple[float, float],
    size: tuple[float, float],
    thickness: float,
    angle: float,
    colour: tuple[int, int, int],
) -> None:
    """A filled, anti-aliased U (open towards -y at angle 0) whose area centroid is at
    ``centre``: the outline of ``Body.boxes`` for a cup, drawn as one polygon."""
    w, h, t = size[0], size[1], thickness
    yc = (w - 2 * t) * t * (h - t) / 2 / (2 * t * h + (w - 2 * t) * t)
    outline = [
        (-w / 2, -h / 2),
        (-w / 2 + t, -h / 2),
        (-w / 2 + t, h / 2 - t),
        (w / 2 - t, h / 2 - t),
        (w / 2 - t, -h / 2),
        (w / 2, -h / 2),
        (w / 2, h / 2),
        (-w / 2, h / 2),
    ]
    c, s = np.cos(angle), np.sin(angle)
    pts = np.array(
        [
            _pt(centre[0] + c * dx - s * (dy - yc), centre[1] + s * dx + c * (dy - yc))
            for dx, dy in outline
        ],
        dtype=np.int32,
    )
    cv2.fillPoly(img, [pts], colour, cv2.LINE_AA, _SHIFT)


def pose(state: tuple[float, ...]) -> tuple[float, ...]:
    return (state[0], state[1], state[4]) if len(state) > 4 else (state[0], state[1])


def render(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
    """All frames, shaped (n, h, w, 3) uint8 RGB (as ``draw_frame`` draws each)."""
    base, ordered = backdrop(spec), _order(spec)
    frames = np.empty((trajectory.n_frames, *base.shape), dtype=np.uint8)
    for i, frame in enumerate(frames):  # the backdrop drawn once, copied into each frame
        frame[:] = base
        positions = {name: pose(states[i]) for name, states in trajectory.states.items()}
        draw_moving(frame, spec, positions, ordered)
    return frames
