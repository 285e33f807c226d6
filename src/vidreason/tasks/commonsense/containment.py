"""`containment`: a ball dropped into a cup moves with the cup when the cup is carried.

A cup stands on the floor; a ball is let go above it, falls in and settles on its
bottom. Then the cup is slid sideways (at difficulty 3, there and part of the way back)
and the ball goes with it, rolling a little inside but never leaving it. The verifier
checks the ball's fall into the cup and that, once in, it stays between the cup's walls
and above its bottom in every frame, wherever the cup is.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from vidreason.scene.params.commonsense import ContainmentParams
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.commonsense.scene import (
    RADIUS,
    ball,
    fall_time,
    gravity,
    ground,
    pick_colours,
    scene,
)
from vidreason.tasks.palette import r4
from vidreason.tasks.wording import article
from vidreason.types import Body, SceneSpec, VideoFormat

SLACK = {1: (1.5, 1.9), 2: (1.35, 1.7), 3: (1.35, 1.7)}  # inner width / ball diameter


def _cup(
    rng: np.random.Generator, difficulty: int, fmt: VideoFormat, colour: tuple, x: float
) -> Body:
    h = fmt.height
    r = RADIUS[difficulty] * h
    t = max(3.0, 0.03 * h)
    inner_w = 2 * r * rng.uniform(*SLACK[difficulty])
    size = (r4(inner_w + 2 * t), r4(rng.uniform(2.4, 3.0) * r + t))
    cup = Body(
        name="cup",
        colour_name=colour[0],
        colour=colour[1],
        radius=r4(t / 2),
        mass=1.0,
        position=(0.0, 0.0),
        elasticity=0.2,
        friction=0.8,
        shape="cup",
        size=size,
        body_type="kinematic",
        noun="cup",
    )
    floor_y = ground(fmt)[0]
    bottom = max(c[1] + s[1] / 2 for c, s in cup.boxes())  # outer bottom, body frame
    return dataclasses.replace(cup, position=(r4(x), r4(floor_y - bottom)))


def _path(
    rng: np.random.Generator, difficulty: int, fmt: VideoFormat, x0: float, y: float, side: float
) -> list[list[float]]:
    """Keyframes (t, x, y): rest, slide by ``side`` * D, (difficulty 3) slide part way back.
    The cup is still well short of where it ends a third and two thirds into the clip,
    so a video that stops early is caught."""
    from vidreason.engines.pymunk_sim import path_position

    w, T = fmt.width, fmt.duration
    for _ in range(1000):
        t0 = rng.uniform(0.42, 0.58) * T
        slide = rng.uniform(0.3, 0.4) * T if difficulty == 1 else rng.uniform(0.22, 0.3) * T
        dist = rng.uniform(0.3 if difficulty < 3 else 0.34, 0.42) * w
        keys = [[t0, x0, y], [t0 + slide, x0 + side * dist, y]]
        if difficulty == 3:
            back = rng.uniform(0.3, 0.5) * dist
            keys.append([t0 + slide + 0.04 * T, x0 + side * dist, y])
            keys.append([t0 + 2 * slide + 0.04 * T, x0 + side * (dist - back), y])
        keys = [[r4(v) for v in k] for k in keys]
        end = path_position(keys, T)[0]
        late = abs(path_position(keys, 2 * T / 3)[0] - end)
        if keys[-1][0] < 0.95 * T and late > 0.14 * w and abs(x0 - end) > 0.2 * w:
            return keys
    raise RuntimeError("no valid path found")  # pragma: no cover


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    w, h, T = fmt.width, fmt.height, fmt.duration
    g = gravity(fmt)
    floor_y, floor_wall = ground(fmt)
    r = RADIUS[difficulty] * h
    (cup_name, cup_rgb), (ball_name, ball_rgb) = pick_colours(rng, 2)
    side = 1.0 if rng.random() < 0.5 else -1.0
    x0 = (0.5 - side * rng.uniform(0.18, 0.25)) * w
    cup = _cup(rng, difficulty, fmt, (cup_name, cup_rgb), x0)
    t = 2 * cup.radius
    y_rest = floor_y - t - r  # ball centre resting on the cup's inner bottom
    for _ in range(1000):
        drop = rng.uniform(0.3, 0.5) * h
        if 0.25 * T < fall_time(drop, g) < 0.38 * T and y_rest - drop - r > 0.05 * h:
            break
    else:  # pragma: no cover
        raise RuntimeError("no valid drop found")
    slack = cup.size[0] / 2 - t - r
    dropped = ball(
        "ball",
        (ball_name, ball_rgb),
        r,
        (x0 + rng.uniform(-0.3, 0.3) * slack, y_rest - drop),
        elasticity=rng.uniform(0.1, 0.25),
    )
    dropped = dataclasses.replace(dropped, friction=0.6)
    path = _path(rng, difficulty, fmt, cup.position[0], cup.position[1], side)
    return scene(
        seed,
        index,
        difficulty,
        fmt,
        [dropped, cup],  # drawn in this order: where they overlap, the cup hides the ball
        [floor_wall],
        ContainmentParams(
            floor_y=floor_y, paths={"cup": path}, direction="right" if side > 0 else "left"
        ),
    )


def prompt(spec: SceneSpec) -> str:
    cup, b = spec.body("cup"), spec.body("ball")
    p = ContainmentParams.of(spec)
    to = p.direction
    back = len(p.paths["cup"]) > 2
    carried = (
        f"the cup is slid to the {to} and then part of the way back"
        if back
        else f"the cup is slid along the floor to the {to}"
    )
    return (
        f"{article(b.label).capitalize()} is dropped into an open {cup.colour_name} cup standing on"
        f" the floor and settles at its bottom. Then {carried}, carrying the ball inside"
        f" it: the ball moves with the cup and never leaves it or passes through its walls."
        f" Side view, static camera, plain light background."
    )


FAMILY = register_family(
    TaskFamily(
        name="containment",
        version=1,
        capability="commonsense",
        law="an object inside a container moves with the container and stays inside it",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("contact.containment_checks"),
        params=ContainmentParams,
        # v2: size tolerates x1.5 (a blurred ball in a moving cup); v3: not measured while a
        # body moves half its size (a cup: its walls' thickness) a frame or more (blurred)
        verifier_version=3,
        checks=(
            shared.gravity("the drop into the cup, median local acceleration"),
            CheckSpec(
                "inside",
                "once in, between the cup's walls and above its bottom in every frame, to 2% of the"
                " frame; 0 beyond 5%",
            ),
            shared.NO_HOVERING,
            CheckSpec("size", "no blob grows or shrinks ×1.5 for 3 frames; 0 at ×1.9"),
        ),
    )
)
