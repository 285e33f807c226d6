"""The room the 3D families share: a table on a floor before a wall, a fixed camera, and
the bridge from 3D bodies (metres) to the tracker's ``Body`` records (pixels).

World: metres, z up, the floor at z = 0, the table top at ``TABLE_HEIGHT``. Static
surfaces render as flat colours (see ``vidreason.render.mujoco_gl``), declared in
``World3D.palette`` so the tracker classifies them and never mistakes them for a body.
Time runs ``SLOW_MOTION`` times slower in the video than in the simulation, so a fall
from a table lasts long enough at 16 fps to measure.

This module does not import MuJoCo; ``validated`` does, lazily, to simulate a candidate
scene and reject those where something leaves the view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from vidreason.scene.camera import Camera, framing
from vidreason.scene.params import Params
from vidreason.scene.params.physics3d import World3D
from vidreason.tasks.palette import BACKGROUND, r4
from vidreason.types import RGB, Body, SceneSpec, Trajectory, VideoFormat

G = 9.81  # m/s²
SLOW_MOTION = 3.0  # video seconds per simulated second
TABLE_HEIGHT = 0.75
TABLE_THICKNESS = 0.04
TABLE_TOP: RGB = (196, 184, 164)
TABLE_LEGS: RGB = (104, 100, 112)
FLOOR: RGB = (150, 150, 156)
WALL: RGB = BACKGROUND
WALL_Y = 2.5  # the wall behind the table


def static(name: str, kind: str, pos: Any, size: Any, colour: RGB, friction: float = 0.6) -> dict:
    return {
        "name": name,
        "type": kind,
        "pos": [r4(v) for v in pos],
        "size": [r4(v) for v in size],
        "colour": list(colour),
        "friction": friction,
    }


def room(x0: float, x1: float, depth: float = 0.8, friction: float = 0.6) -> list[dict]:
    """Floor, back wall and a table spanning ``x0..x1`` (centred on y = 0)."""
    top = TABLE_HEIGHT - TABLE_THICKNESS / 2
    cx, hx, hy = (x0 + x1) / 2, (x1 - x0) / 2, depth / 2
    leg_h = (TABLE_HEIGHT - TABLE_THICKNESS) / 2
    inset = 0.14
    legs = [
        static(
            f"table:leg{i}",
            "box",
            (cx + sx * (hx - inset), sy * (hy - inset), leg_h),
            (0.025, 0.025, leg_h),
            TABLE_LEGS,
        )
        for i, (sx, sy) in enumerate(((-1, -1), (1, -1), (-1, 1), (1, 1)))
    ]
    return [
        static("floor", "plane", (0, 0, 0), (30, 30, 0.1), FLOOR, friction),
        static("wall", "box", (0, WALL_Y + 0.05, 3), (30, 0.05, 3), WALL),
        static("table", "box", (cx, 0, top), (hx, hy, TABLE_THICKNESS / 2), TABLE_TOP, friction),
        *legs,
    ]


def camera(
    fmt: VideoFormat, target: tuple[float, float, float], half: tuple[float, float]
) -> Camera:
    """The fixed camera: in front of the table (at -y), a little above it, looking at
    ``target`` and holding ``half`` (metres, horizontal and vertical) around it."""
    eye = (target[0], -2.8, target[2] + 1.0)
    return framing(eye, target, half[0], half[1], fmt.width, fmt.height)


def body3d(
    shape: str,
    size: list[float],
    pos: Any,
    vel: Any = (0.0, 0.0, 0.0),
    angvel: Any = (0.0, 0.0, 0.0),
    mass: float = 0.2,
    friction: float = 0.6,
    damping: float = 1.0,
    quat: Any = (1.0, 0.0, 0.0, 0.0),
) -> dict:
    return {
        "shape": shape,
        "size": [r4(v) for v in size],
        "pos": [r4(v) for v in pos],
        "quat": [r4(v) for v in quat],
        "vel": [r4(v) for v in vel],
        "angvel": [r4(v) for v in angvel],
        "mass": mass,
        "friction": friction,
        "damping": damping,
    }


def tracker_body(
    name: str, colour_name: str, colour: RGB, d3: dict, cam: Camera, noun: str = ""
) -> Body:
    """The ``Body`` the 2D machinery sees: image position, velocity (px per video second)
    and apparent size in pixels."""
    pos = np.asarray(d3["pos"], dtype=float)
    u, v = cam.project(pos)
    du, dv = (cam.project(pos + 1e-3 * np.asarray(d3["vel"])) - (u, v)) / 1e-3 / SLOW_MOTION
    vel = (r4(du), r4(dv))
    if d3["shape"] == "sphere":
        r = cam.pixel_radius(pos, d3["size"][0])
        return Body(
            name, colour_name, colour, r4(r), d3["mass"], (r4(u), r4(v)), vel, noun=noun or "ball"
        )
    side = cam.pixel_radius(pos, 2 * min(d3["size"]))  # the smallest face, seen head-on
    return Body(
        name,
        colour_name,
        colour,
        r4(side / 2),
        d3["mass"],
        (r4(u), r4(v)),
        vel,
        shape="box",
        size=(r4(side), r4(side)),
        noun=noun or "block",
    )


def make_spec(
    seed: int,
    index: int,
    difficulty: int,
    fmt: VideoFormat,
    cam: Camera,
    statics: list[dict],
    bodies: dict[str, tuple[str, RGB, dict, str]],
    params: Params,
) -> SceneSpec:
    """A SceneSpec for a 3D scene; ``bodies[name] = (colour name, colour, 3D body, noun)``,
    ``params`` the family's."""
    world = World3D(
        camera=cam.to_dict(),
        statics=statics,
        bodies3d={n: d3 for n, (_, _, d3, _) in bodies.items()},
        palette=[list(FLOOR), list(TABLE_TOP), list(TABLE_LEGS)],
        slow_motion=SLOW_MOTION,
    )
    return SceneSpec(
        seed=seed,
        index=index,
        difficulty=difficulty,
        fmt=fmt,
        gravity=G,
        bodies=tuple(
            tracker_body(n, cn, c, d3, cam, noun) for n, (cn, c, d3, noun) in bodies.items()
        ),
        background=WALL,
        params={**world.to_params(), **params.to_params()},
        extra={**world.to_extra(), **params.to_extra()},
    )


def in_view(spec: SceneSpec, traj: Trajectory, margin: float = 3.0) -> bool:
    """Every body stays inside the frame (its apparent radius plus ``margin`` px)."""
    w, h = spec.fmt.width, spec.fmt.height
    for b in spec.bodies:
        rows = traj.array(b.name)
        m = 1.45 * b.radius + margin
        x, y = rows[:, 0], rows[:, 1]
        if x.min() < m or x.max() > w - m or y.min() < m or y.max() > h - m:
            return False
    return True


def validated(
    draw: Callable[[], SceneSpec],
    accept: Callable[[SceneSpec, Any], bool],
    tries: int = 200,
) -> SceneSpec:
    """Draw scenes until one simulates to an accepted outcome with every body in view."""
    from vidreason.engines.mujoco_sim import simulate

    for _ in range(tries):
        spec = draw()
        sim = simulate(spec)
        if in_view(spec, sim.trajectory) and accept(spec, sim):
            return spec
    raise RuntimeError(f"no valid {draw.__name__} scene in {tries} tries")  # pragma: no cover
