"""Law checks for solid contact: nothing passes through anything, what is inside stays in.

- ``solid``: no ball gets from one side of a block to the other below its top, and no
  ball overlaps a block, the floor or another ball by more than a small tolerance in any
  frame (the overlap of a disc with a box or a disc is exact geometry on the tracked
  centres).
- ``side``: a ball thrown at a block ends on the side it came from.
- ``gravity``: the flight before the first contact has the scene's gravity.
- ``inside``: once a ball has dropped into a cup it stays between the cup's walls and
  above its bottom, wherever the cup is carried.

To add a check, write a function ``(tracks, instance, ...) -> Check`` and call it from a
family's ``*_checks``.
"""

from __future__ import annotations

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.geometry import box_distance, extent, scene_size
from vidreason.scene.params import Floor
from vidreason.types import Body, Check, Instance
from vidreason.verifiers.checks import BLURRED, band, moves_fast
from vidreason.verifiers.commonsense import (
    NEAR,
    Series,
    cup_geometry,
    fall_gravity,
    hover_check,
    series,
    truth,
)
from vidreason.verifiers.kinematics import MIN_FIT_POINTS, fit_parabola, gravity_check

OVERLAP = (0.02, 0.05)  # overlap tolerated / failed, as a fraction of the frame


def _blocks(instance: Instance) -> list[Body]:
    return [b for b in instance.spec.bodies if b.shape == "box"]


def _balls(instance: Instance) -> list[Body]:
    return [b for b in instance.spec.bodies if b.shape == "circle"]


def gaps(tracks: Tracks, instance: Instance, ball: Body) -> list[tuple[str, np.ndarray]]:
    """Per frame, the free space between ``ball`` and each thing it could touch (negative:
    they overlap), named as explanations name them. Blocks stand where the scene puts
    them (they are static)."""
    p = tracks.pos[ball.name]
    x, y = p[:, 0], p[:, 1]
    out = [("the floor", Floor.of(instance.spec).floor_y - (y + ball.radius))]
    for b in _blocks(instance):
        out.append((f"the {b.label}", box_distance(x, y, b, b.position) - ball.radius))
    for other in _balls(instance):
        if other.name != ball.name:
            q = tracks.pos[other.name]
            dist = np.hypot(q[:, 0] - x, q[:, 1] - y)
            out.append((f"the {other.label}", dist - ball.radius - other.radius))
    return out


def crossing(tracks: Tracks, ball: Body, block: Body) -> tuple[int, int] | None:
    """The first two frames between which ``ball`` gets from one side of ``block`` to the
    other below its top (through it, even where the block hides it), or None."""
    s = series(tracks, ball.name)
    side = np.sign(s.x - block.position[0])
    low = s.y + ball.radius > block.position[1] - block.size[1] / 2
    for k in np.flatnonzero(side[1:] * side[:-1] < 0):
        if low[k] and low[k + 1]:
            return int(s.frames[k]), int(s.frames[k + 1])
    return None


def solid_check(tracks: Tracks, instance: Instance) -> Check:
    """No ball passes through a block or goes into the floor, a block or another ball."""
    size = scene_size(instance)
    worst, note = 1.0, ""
    for ball in _balls(instance):
        for block in _blocks(instance):
            through = crossing(tracks, ball, block)
            if through is not None and worst > 0.0:
                worst = 0.0
                note = (
                    f"the {ball.label} passes through the {block.label} between frames"
                    f" {through[0]} and {through[1]}"
                )
        for what, gap in gaps(tracks, instance, ball):
            depth = np.where(np.isnan(gap), -np.inf, -gap)
            k = int(np.argmax(depth))
            value = band(float(depth[k]) / size, *OVERLAP)
            if value < worst:
                worst = value
                note = (
                    f"the {ball.label} goes {depth[k]:.0f} px into {what} at frame {k}"
                    if np.isfinite(depth[k])
                    else f"the {ball.label} is never found, so nothing shows it keeps out of {what}"
                )
    return Check("solid", worst, note)


def side_check(tracks: Tracks, instance: Instance) -> Check:
    """Each ball ends on the side of the block it was thrown from."""
    size = scene_size(instance)
    (wall,) = _blocks(instance)
    worst, note = 1.0, ""
    for ball in _balls(instance):
        s = series(tracks, ball.name)
        if len(s) == 0:
            continue
        side = np.sign(ball.position[0] - wall.position[0])
        face = wall.position[0] + side * (wall.size[0] / 2 + ball.radius)
        over = float(side * (face - s.x[-1]))  # > 0: beyond the face, towards the far side
        value = band(over / size, *OVERLAP)
        if value < worst:
            worst = value
            far = s.x[-1] * side < wall.position[0] * side
            where = "on the far side of" if far else "inside"
            note = f"the {ball.label} ends {where} the {wall.label} (frame {s.frames[-1]})"
    return Check("side", worst, note)


def first_flight(tracks: Tracks, instance: Instance, ball: Body, s: Series) -> Series:
    """The samples of ``s`` before ``ball`` first comes near anything it could touch."""
    size = scene_size(instance)
    near = np.zeros(tracks.n, dtype=bool)
    for _, gap in gaps(tracks, instance, ball):
        near |= np.nan_to_num(gap, nan=np.inf) < NEAR * size
    hit = np.flatnonzero(near[s.frames])
    stop = int(hit[0]) if len(hit) else len(s)
    return s.take(np.arange(len(s)) < stop)


def flight_gravity(tracks: Tracks, instance: Instance) -> Check:
    worst = Check("gravity", 1.0)
    for ball in _balls(instance):
        arc = first_flight(tracks, instance, ball, series(tracks, ball.name))
        if len(arc) < MIN_FIT_POINTS:
            check = Check(
                "gravity",
                0.0,
                f"cannot fit the flight of the {ball.label}: {len(arc)} frames before it first"
                " touches something",
            )
        else:
            fit = fit_parabola(arc.t, arc.x, arc.y, arc.frames)
            check = gravity_check(ball, arc.t, arc.y, arc.frames, instance.spec.gravity, fit)
        worst = min(worst, check, key=lambda c: c.value)
    return worst


def solidity_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The solidity family's law checks, declared in ``tasks/commonsense/solidity.py``: no ball
    overlaps or passes through the wall (``solid``), each ends on the side the truth leaves it
    (``side``), flies with the scene's gravity (``gravity``) and nothing hangs in the air
    (``no_hovering``)."""
    return [
        solid_check(tracks, instance),
        side_check(tracks, instance),
        flight_gravity(tracks, instance),
        hover_check(tracks, instance, [b.name for b in _balls(instance)]),
    ]


def _escape(
    dx: float, dy: float, inner: float, rim: float, bottom: float, r: float
) -> tuple[float, str]:
    """How far (px) a ball at (dx, dy) from the cup is out of its cavity, and where."""
    wall = "right" if dx > 0 else "left"
    ways = [
        (abs(dx) - (inner - r), f"outside the {wall} wall of"),
        (dy - (bottom - r), "through the bottom of"),
        (rim - dy, "above the rim of"),
    ]
    return max(ways, key=lambda w: w[0])


def inside_check(tracks: Tracks, instance: Instance) -> Check:
    """Once the ball is in the cup (ground truth), it stays in the cup's cavity."""
    spec = instance.spec
    cup, ball = spec.body("cup"), spec.body("ball")
    size = scene_size(instance)
    inner, rim, bottom = cup_geometry(cup)
    gb, gc = truth(instance, "ball"), truth(instance, "cup")
    inside = np.flatnonzero(gb.y - gc.y > rim)
    if len(inside) == 0:  # pragma: no cover - every scene drops the ball into the cup
        return Check("inside", 1.0)
    start = gb.t[int(inside[0])] + 1.0 / spec.fmt.fps
    b, c = tracks.pos["ball"], tracks.pos["cup"]
    worst, note = 1.0, ""
    for i in np.flatnonzero((tracks.times >= start) & tracks.found("ball") & tracks.found("cup")):
        out, where = _escape(b[i, 0] - c[i, 0], b[i, 1] - c[i, 1], inner, rim, bottom, ball.radius)
        value = band(out / size, *OVERLAP)
        if value < worst:
            worst = value
            moving = np.sign(c[-1, 0] - c[0, 0]) if np.isfinite(c[[0, -1], 0]).all() else 0.0
            behind = "left behind, " if moving * (b[i, 0] - c[i, 0]) < -inner else ""
            note = f"the {ball.label} is {behind}{out:.0f} px {where} the {cup.label} at frame {i}"
    return Check("inside", worst, note)


SIZE_RATIO = (1.5, 1.9)  # a blob this many times (or this fraction of) its first size


def size_check(tracks: Tracks, instance: Instance, names: list[str]) -> Check:
    """Every body keeps its size: its blob covers about the area it has in the first
    frames, whatever the video's scale. A ball that takes on the colour of the cup it
    sits in covers twice its area, and the cup half of its own. A frame where a body moves
    ``BLURRED`` of its size or more is not measured: a motion blur smears it, and where
    it smears over another body (a ball carried in a cup) into mixes of three colours, no
    blend of it with one, which count for neither (a ball moving its size a frame inside
    a moving cup under a blur over 3 frames: 0.33 of its area); a cup's size there is that
    of its walls, whose smear under a 3-frame blur at 0.4 of the cup's size a frame left
    0.5 to 0.6 of its area in a textured scene."""
    worst, note = 1.0, ""
    for name in names:
        body = instance.spec.body(name)
        # a cup smears by its walls (2 radii thick), thin beside its size
        thin = 2.0 * body.radius / extent(body) if body.shape == "cup" else 1.0
        fast = moves_fast(instance, body, tracks.times, BLURRED * thin)
        found = np.flatnonzero(tracks.found(name) & ~fast)
        if len(found) < 4:
            continue  # the visibility check fails it
        area = tracks.area[name][found]
        ratio = area / float(np.median(area[:3]))
        spread = np.maximum(ratio, 1.0 / ratio)
        held = np.minimum.reduce([spread[k : len(spread) - 2 + k] for k in range(3)])
        k = int(np.argmax(held))  # the worst change held for three frames
        value = band(float(held[k]), *SIZE_RATIO)
        if value < worst:
            worst = value
            note = (
                f"the {body.label} covers {ratio[k]:.1f} times its first size at frame"
                f" {found[k]}: it changed size, or its colour is on something else"
            )
    return Check("size", worst, note)


def containment_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The containment family's law checks, declared in ``tasks/commonsense/containment.py``: the
    ball drops into the cup with the scene's gravity (``gravity``), stays between its walls and
    above its bottom once in (``inside``), nothing hangs in the air (``no_hovering``) and ball
    and cup keep their sizes (``size``)."""
    spec = instance.spec
    ball, cup = spec.body("ball"), spec.body("cup")
    _, _, bottom = cup_geometry(cup)
    y_land = cup.position[1] + bottom - ball.radius
    return [
        fall_gravity(tracks, instance, "ball", y_land)[0],
        inside_check(tracks, instance),
        hover_check(tracks, instance, ["ball"]),
        size_check(tracks, instance, ["ball", "cup"]),
    ]
