"""Anti-aliased 2D drawing of a SceneSpec and its trajectory with OpenCV.

Discs, boxes and cups (a U outline) are drawn at sub-pixel precision (4 fractional bits)
with anti-aliased edges, walls as thick anti-aliased lines, on a flat background. Colours
are the colour keys the verifiers segment by, so nothing else in the scene may use them.
Bodies named in ``World2D.occluders`` (opaque screens) are drawn after every other
body, so whatever passes behind them is hidden.

The scene's style (``spec.fmt.style``) chooses how: ``flat`` fills each shape with its
colour key; ``shaded`` lights the backdrop with a gradient, casts a soft shadow under every
body and shades each body from the light; ``textured`` lays checks on the background,
stripes on the walls and a pattern in two tints of its key on each body (``render.style``
holds the pieces; a styled body is its silhouette's coverage composed over the picture).
"""

from __future__ import annotations

import cv2
import numpy as np

from vidreason.render import style as st
from vidreason.scene.geometry import extent
from vidreason.scene.params.world2d import World2D
from vidreason.seeding import named_rng
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
    printed: bool = False,
) -> np.ndarray:
    """One RGB frame with each body at ``positions[name] = (x, y[, angle])``; ``printed``:
    the bodies carry prints of their own (a textured scene then gives them no pattern)."""
    img = backdrop(spec)
    draw_moving(img, spec, positions, _order(spec), printed)
    return img


def backdrop(spec: SceneSpec) -> np.ndarray:
    """The background and the walls: what every frame of a scene starts from (lit by a
    gradient when shaded; checks on the background and stripes on the walls when
    textured)."""
    h, w = spec.fmt.height, spec.fmt.width
    img = np.empty((h, w, 3), dtype=np.uint8)
    img[:] = spec.background
    _walls(img, spec, None)
    if spec.fmt.style == "shaded":
        st.apply_gain(img, st.light_gradient(h, w))
    elif spec.fmt.style == "textured":
        walls = np.zeros((h, w), np.uint8)
        _walls(walls, spec, 255)
        on = walls.astype(np.float32) / 255.0
        grain = st.stripes(h, w, max(4.0, 0.025 * h), 0.15)
        st.apply_gain(img, st.checker(h, w, h / 16) * (1.0 - on) + grain * on)
    return img


def _walls(img: np.ndarray, spec: SceneSpec, colour: int | None) -> None:
    """The walls, in their colours (or all in ``colour``, on a mask)."""
    for wall in spec.walls:
        cv2.line(
            img,
            _pt(*wall.a),
            _pt(*wall.b),
            wall.colour if colour is None else colour,
            max(1, round(wall.thickness)),
            cv2.LINE_AA,
            _SHIFT,
        )


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
    printed: bool = False,
) -> None:
    """The joints and then the bodies (in ``ordered``'s order) onto ``img``, a backdrop
    (in a shaded scene the bodies' shadows first; ``printed``: as ``draw_frame``)."""
    styled = spec.fmt.style == "shaded" or (spec.fmt.style == "textured" and not printed)
    if spec.fmt.style == "shaded":
        _shadows(img, spec, positions, ordered)
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
        if styled:
            _styled_body(img, spec, body, x, y, angle)
        else:
            draw_shape(img, body, x, y, angle, body.colour)


def draw_shape(img: np.ndarray, body: Body, x: float, y: float, angle: float, colour) -> None:
    """``body``'s shape filled with ``colour`` (an RGB triple, or one value on a mask)."""
    if body.shape == "box":
        draw_box(img, (x, y), body.size, angle, colour)
    elif body.shape == "cup":
        draw_cup(img, (x, y), body.size, 2 * body.radius, angle, colour)
    else:
        cv2.circle(img, _pt(x, y), round(body.radius * _ONE), colour, -1, cv2.LINE_AA, _SHIFT)


def silhouette(
    shape: tuple[int, ...], body: Body, x: float, y: float, angle: float, margin: float = 2.0
) -> tuple[st.Window, np.ndarray]:
    """The window of an image of ``shape`` around ``body`` at (x, y, angle), and the body's
    anti-aliased coverage there (float32, 0..1)."""
    win = st.window(shape, x, y, extent(body) + margin)
    mask = np.zeros((win.y1 - win.y0, win.x1 - win.x0), np.uint8)
    if not win.empty:
        draw_shape(mask, body, x - win.x0, y - win.y0, angle, 255)
    return win, mask.astype(np.float32) / 255.0


def _styled_body(img: np.ndarray, spec: SceneSpec, body: Body, x: float, y: float, a: float):
    """``body`` shaded from the light or carrying its pattern, within its silhouette."""
    win, cover = silhouette(img.shape, body, x, y, a)
    if win.empty:
        return
    if spec.fmt.style == "shaded":
        fill = st.shaded_fill(win, body.colour, (x, y), extent(body))
    else:
        kind, period = body_pattern(spec, body)
        fill = st.textured_fill(win, body.colour, (x, y), a, kind, period)
    st.compose(img, win, cover, fill)


def body_pattern(spec: SceneSpec, body: Body) -> tuple[str, float]:
    """The pattern a textured scene prints on ``body`` and its period (px): chosen by the
    scene's seed and the body's name, so every drawing of the body carries the same."""
    rng = named_rng(spec.seed, "style", str(spec.index), body.name)
    kind = st.PATTERNS[int(rng.integers(len(st.PATTERNS)))]
    thin = body.radius if body.shape == "circle" else 0.5 * min(body.size)
    if body.shape == "cup":
        thin = body.radius  # its walls are 2 x radius thick
    return kind, max(5.0, 1.2 * thin)


def _shadows(
    img: np.ndarray,
    spec: SceneSpec,
    positions: dict[str, tuple[float, ...]],
    ordered: list[Body],
) -> None:
    """Every body's soft shadow, cast away from the light onto the backdrop in ``img``."""
    cover = np.zeros(img.shape[:2], np.float32)
    box = [img.shape[1], img.shape[0], 0, 0]  # x0, y0, x1, y1 of every shadow
    for body in ordered:
        if body.name not in positions:
            continue
        state = positions[body.name]
        angle = state[2] if len(state) > 2 else body.angle
        size = body.radius if body.shape == "circle" else 0.5 * min(body.size)
        sigma = st.SHADOW_BLUR * size
        dx, dy = st.shadow_offset(size)
        x, y = state[0] + dx, state[1] + dy
        win, mask = silhouette(img.shape, body, x, y, angle, 3.0 * sigma + 2.0)
        if win.empty:
            continue
        soft = st.blur_mask(mask, sigma)
        np.maximum(cover[win.slices], soft, out=cover[win.slices])
        box = [min(box[0], win.x0), min(box[1], win.y0), max(box[2], win.x1), max(box[3], win.y1)]
    if box[2] > box[0] and box[3] > box[1]:
        inside = st.Window(*box).slices
        st.soft_shadow(img[inside], cover[inside])


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


def render(spec: SceneSpec, trajectory: Trajectory, printed: bool = False) -> np.ndarray:
    """All frames, shaped (n, h, w, 3) uint8 RGB (as ``draw_frame`` draws each)."""
    base, ordered = backdrop(spec), _order(spec)
    frames = np.empty((trajectory.n_frames, *base.shape), dtype=np.uint8)
    for i, frame in enumerate(frames):  # the backdrop drawn once, copied into each frame
        frame[:] = base
        positions = {name: pose(states[i]) for name, states in trajectory.states.items()}
        draw_moving(frame, spec, positions, ordered, printed)
    return frames
