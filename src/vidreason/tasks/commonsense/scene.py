"""Pieces the commonsense scenes share: gravity, balls, blocks, tables and shelves.

Everything is in scene pixels of the video format (y down). Shelves and tables are static
walls drawn in the floor colour; objects are bodies, each with its own colour key.

A family that sizes its scene by ``unit(fmt)`` (the frame's height, or a portrait frame's
width) passes that length to ``gravity``, ``board_thickness`` and ``scene``: a portrait
frame then shows the scene of a square frame as wide, standing on the same floor
(``sky(fmt)`` px lower), with more of the room above it.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import overload

import numpy as np

from vidreason.scene.params import Params
from vidreason.tasks.palette import BACKGROUND, CLASHES, COLOURS, FLOOR, PICKABLE, floor, r4
from vidreason.types import RGB, Body, SceneSpec, VideoFormat, Wall

# Cyan leaves its colour key under a small hue shift, and the anti-aliased edge of a large
# blue block on the light background reads as cyan: these scenes leave cyan out.
AVOID = ("cyan",)
# Ball radius / frame height. Balls smaller than at difficulty 3 lose their colour key in
# a video at half resolution, compressed again.
RADIUS = {1: 0.055, 2: 0.045, 3: 0.04}
GRAVITY = 5.0  # frame heights per (clip duration)^2: a fall of half the frame takes ~0.45 T
FLOOR_TOP = 0.9  # floor surface, as a fraction of the frame height


def pick_colours(rng: np.random.Generator, k: int) -> list[tuple[str, RGB]]:
    """``k`` colour keys, no two clashing (``palette.pick_colours`` without ``AVOID``)."""
    chosen: list[str] = []
    for _ in range(k):
        free = [
            c
            for c in PICKABLE
            if c not in AVOID and c not in chosen
            if all(frozenset((c, o)) not in CLASHES for o in chosen)
        ]
        chosen.append(free[int(rng.integers(len(free)))])
    return [(c, COLOURS[c]) for c in chosen]


def pick_colour_set(rng: np.random.Generator, k: int) -> list[tuple[str, RGB]]:
    """``k`` colour keys, no two clashing and none in ``AVOID``, drawn uniformly among all
    such sets and put in random order (rows of many objects: a draw never gets stuck)."""
    allowed = [c for c in PICKABLE if c not in AVOID]
    sets = [
        s
        for s in itertools.combinations(allowed, k)
        if all(frozenset(p) not in CLASHES for p in itertools.combinations(s, 2))
    ]
    chosen = list(sets[int(rng.integers(len(sets)))])
    return [(c, COLOURS[c]) for c in rng.permutation(chosen).tolist()]


def unit(fmt: VideoFormat) -> float:
    """The length a scene is sized by: the frame's height, or a portrait frame's width."""
    return min(fmt.width, fmt.height)


def sky(fmt: VideoFormat) -> float:
    """How far (px) a scene sized by ``unit`` is moved down, to stand on the floor: 0 but
    in a portrait frame."""
    return FLOOR_TOP * (fmt.height - unit(fmt))


def gravity(fmt: VideoFormat, length: float | None = None) -> float:
    """The scene's gravity: ``GRAVITY`` lengths per (clip duration)^2, the length being
    the frame height unless given (``unit(fmt)``)."""
    return r4(GRAVITY * (fmt.height if length is None else length) / fmt.duration**2)


def fall_time(drop: float, g: float) -> float:
    """Seconds to fall ``drop`` px from rest."""
    return float(np.sqrt(2.0 * drop / g))


def board_thickness(fmt: VideoFormat, length: float | None = None) -> float:
    return r4(max(3.0, 0.035 * (fmt.height if length is None else length)))


def ball(
    name: str,
    colour: tuple[str, RGB],
    r: float,
    position: tuple[float, float],
    velocity: tuple[float, float] = (0.0, 0.0),
    elasticity: float = 0.2,
) -> Body:
    return Body(
        name=name,
        colour_name=colour[0],
        colour=colour[1],
        radius=r4(r),
        mass=1.0,
        position=(r4(position[0]), r4(position[1])),
        velocity=(r4(velocity[0]), r4(velocity[1])),
        elasticity=r4(elasticity),
    )


def block(
    name: str,
    colour: tuple[str, RGB],
    size: tuple[float, float],
    position: tuple[float, float],
    body_type: str = "dynamic",
    elasticity: float = 0.1,
    noun: str = "",
) -> Body:
    w, h = r4(size[0]), r4(size[1])
    return Body(
        name=name,
        colour_name=colour[0],
        colour=colour[1],
        radius=r4(min(w, h) / 2),
        mass=1.0,
        position=(r4(position[0]), r4(position[1])),
        shape="box",
        size=(w, h),
        body_type=body_type,
        elasticity=r4(elasticity),
        friction=0.8,
        noun=noun,
    )


def board(
    fmt: VideoFormat,
    x0: float,
    x1: float,
    top: float,
    elasticity: float = 0.5,
    length: float | None = None,
) -> Wall:
    """A horizontal board (shelf, table top, ledge) whose top surface is at ``top``
    (``length``: as for ``board_thickness``)."""
    th = board_thickness(fmt, length)
    y = r4(top + th / 2)
    return Wall(
        a=(r4(x0), y),
        b=(r4(x1), y),
        thickness=th,
        colour=FLOOR,
        elasticity=elasticity,
        friction=0.8,
    )


def table(
    fmt: VideoFormat,
    x0: float,
    x1: float,
    top: float,
    floor_y: float,
    length: float | None = None,
) -> list[Wall]:
    """A table: a board from ``x0`` to ``x1`` on two legs standing on the floor
    (``length``: as for ``board_thickness``)."""
    th = board_thickness(fmt, length)
    legs = [
        Wall(
            a=(r4(x), r4(top + th)),
            b=(r4(x), r4(floor_y)),
            thickness=r4(0.8 * th),
            colour=FLOOR,
            elasticity=0.5,
            friction=0.8,
        )
        for x in (x0 + th, x1 - th)
    ]
    return [board(fmt, x0, x1, top, length=length), *legs]


@overload
def mirror(thing: Body, width: float) -> Body: ...
@overload
def mirror(thing: Wall, width: float) -> Wall: ...
def mirror(thing: Body | Wall, width: float) -> Body | Wall:
    """The body or wall reflected left to right in a frame ``width`` px wide."""
    if isinstance(thing, Wall):
        return dataclasses.replace(
            thing, a=(r4(width - thing.a[0]), thing.a[1]), b=(r4(width - thing.b[0]), thing.b[1])
        )
    return dataclasses.replace(
        thing,
        position=(r4(width - thing.position[0]), thing.position[1]),
        velocity=(r4(-thing.velocity[0]) + 0.0, thing.velocity[1]),
        angle=-thing.angle + 0.0,
    )


def ground(fmt: VideoFormat, elasticity: float = 0.5) -> tuple[float, Wall]:
    """The floor's top (px) and the floor itself."""
    top = r4(FLOOR_TOP * fmt.height)
    return top, floor(fmt, top, elasticity=elasticity, friction=0.8)


def scene(
    seed: int,
    index: int,
    difficulty: int,
    fmt: VideoFormat,
    bodies: list[Body],
    walls: list[Wall],
    params: Params | None = None,
    length: float | None = None,
) -> SceneSpec:
    """A commonsense scene; ``params`` the family's (numbers rounded with ``r4``),
    ``length`` the one its gravity is scaled by (as for ``gravity``)."""
    return SceneSpec(
        seed=seed,
        index=index,
        difficulty=difficulty,
        fmt=fmt,
        gravity=gravity(fmt, length),
        bodies=tuple(bodies),
        walls=tuple(walls),
        background=BACKGROUND,
        params={k: r4(v) for k, v in params.to_params().items()} if params else {},
        extra=params.to_extra() if params else {},
    )
