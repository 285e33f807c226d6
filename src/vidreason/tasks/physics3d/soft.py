"""What the soft-body families (`drape-3d`, `squash-3d`) share: the room (floor and wall),
the camera above and in front, the spec of a scene with one flexible body, and the lazy
MuJoCo entry points (``engines/mujoco_flex.py``), so listing families needs no MuJoCo.

The tracker sees the flexible body as one ``Body`` whose area is its silhouette's in the
first frame (a disc of that area), placed at the silhouette's centroid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from vidreason.scene.camera import Camera, framing
from vidreason.scene.params import Params
from vidreason.scene.params.physics3d import Flex3D, World3D
from vidreason.tasks.palette import r4
from vidreason.tasks.physics3d.scene import FLOOR, WALL, WALL_Y, G, static
from vidreason.types import RGB, Body, Event, SceneSpec, Trajectory, VideoFormat

SUPPORT: RGB = (104, 100, 112)  # the slate grey of the table legs: no body colour near it


def room(wall_y: float = WALL_Y) -> list[dict]:
    """The floor and the wall behind (at ``wall_y``: near enough that the camera sees where
    they meet, a line the registration to the first frame can hold on to)."""
    return [
        static("floor", "plane", (0, 0, 0), (30, 30, 0.1), FLOOR, 0.8),
        static("wall", "box", (0, wall_y + 0.05, 3), (30, 0.05, 3), WALL),
    ]


def camera(fmt: VideoFormat, target: tuple[float, float, float], half: float) -> Camera:
    """In front of the scene and well above it (35 degrees down), so a flat cloth is seen
    at a wide angle."""
    eye = (target[0], target[1] - 2.3, target[2] + 1.6)
    return framing(eye, target, half, half, fmt.width, fmt.height)


def make_spec(
    seed: int,
    index: int,
    difficulty: int,
    fmt: VideoFormat,
    cam: Camera,
    statics: list[dict],
    flex: dict[str, Any],
    body: tuple[str, RGB, str],
    start: tuple[float, float, float],
    area: float,
    slow: float,
    params: Params,
) -> SceneSpec:
    """A SceneSpec with one flexible body ``flex`` named in ``body`` (colour name, colour,
    noun), its centre at ``start`` and its first silhouette ``area`` px²."""
    world = World3D(
        camera=cam.to_dict(),
        statics=statics,
        bodies3d={},
        palette=[list(FLOOR), *([list(SUPPORT)] if len(statics) > 2 else [])],
        slow_motion=slow,
    )
    u, v = cam.project(np.asarray(start, dtype=float))
    colour_name, colour, noun = body
    tracked = Body(
        flex["name"],
        colour_name,
        colour,
        r4(float(np.sqrt(area / np.pi))),
        float(flex["mass"]),
        (r4(u), r4(v)),
        (0.0, 0.0),
        noun=noun,
    )
    soft = Flex3D(flex=flex)
    return SceneSpec(
        seed=seed,
        index=index,
        difficulty=difficulty,
        fmt=fmt,
        gravity=G,
        bodies=(tracked,),
        background=WALL,
        params={**world.to_params(), **params.to_params()},
        extra={**world.to_extra(), **soft.to_extra(), **params.to_extra()},
    )


def in_view(spec: SceneSpec, traj: Trajectory, margin: float = 4.0) -> bool:
    """The body's silhouette stays inside the frame."""
    from vidreason.engines.mujoco_flex import SIL

    rows = traj.array(spec.bodies[0].name)
    left, top, right, bottom = (rows[:, SIL + k] for k in (2, 3, 4, 5))
    w, h = spec.fmt.width, spec.fmt.height
    return bool(
        left.min() > margin
        and top.min() > margin
        and right.max() < w - margin
        and bottom.max() < h - margin
    )


def validated(
    draw: Callable[[], SceneSpec], accept: Callable[[SceneSpec, Any], bool], tries: int = 50
) -> SceneSpec:
    """Draw scenes until one simulates to an accepted outcome in view."""
    from vidreason.engines.mujoco_flex import simulate

    for _ in range(tries):
        spec = draw()
        sim = simulate(spec)
        if in_view(spec, sim.trajectory) and accept(spec, sim):
            return spec
    raise RuntimeError(f"no valid {draw.__name__} scene in {tries} tries")  # pragma: no cover


def simulate_soft(spec: SceneSpec) -> tuple[Trajectory, tuple[Event, ...]]:
    from vidreason.engines.mujoco_flex import simulate

    sim = simulate(spec)
    return sim.trajectory, sim.events


def render_soft(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
    from vidreason.engines.mujoco_flex import render

    return render(spec, trajectory)


def projected_area(cam: Camera, corners: np.ndarray) -> float:
    """Area (px²) of the polygon of 3D ``corners`` seen by ``cam``."""
    uv = cam.project(np.asarray(corners, dtype=float))
    x, y = uv[:, 0], uv[:, 1]
    return float(0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
