"""`solidity`: a ball thrown at a solid block bounces off it; it never passes through.

A tall block stands on the floor; a ball is thrown at it on an arc and hits its side
while still in the air, bounces back and falls to the floor on its own side. At
difficulty 3 the block stands in the middle and two balls are thrown at it from both
sides. The verifier checks that no ball ever overlaps the block, the floor or another
ball beyond a small tolerance, that each ball ends on the side it was thrown from and
that its flight before the hit has the scene's gravity.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.params.commonsense import SolidityParams
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.commonsense.scene import (
    RADIUS,
    ball,
    block,
    gravity,
    ground,
    pick_colours,
    scene,
)
from vidreason.tasks.wording import article
from vidreason.types import SceneSpec, VideoFormat

BLOCK_HEIGHT = {1: (0.45, 0.6), 2: (0.4, 0.55), 3: (0.45, 0.6)}  # / frame height


def _throw(
    rng: np.random.Generator, fmt: VideoFormat, r: float, face: float, side: float, top: float
) -> tuple[tuple[float, float], tuple[float, float], float] | None:
    """A throw from ``side`` (-1: from the left) that hits the block face at ``face``
    between ``top`` and the floor; None if the sampled throw does not fit the frame."""
    w, h, T = fmt.width, fmt.height, fmt.duration
    g = gravity(fmt)
    floor_y = 0.9 * h
    tc = rng.uniform(0.36, 0.55) * T
    x0 = rng.uniform(0.06, 0.16) * w + r
    x0 = x0 if side < 0 else w - x0
    hit_x = face + side * r
    y_hit = rng.uniform(top + r + 0.04 * h, floor_y - r - 0.1 * h)
    y0 = rng.uniform(0.3, 0.6) * h
    vx = (hit_x - x0) / tc
    vy = (y_hit - y0 - 0.5 * g * tc**2) / tc
    apex = y0 - vy**2 / (2 * g) if vy < 0 else y0
    e = rng.uniform(0.5, 0.8)
    back = e * abs(vx) * (T - tc)  # slides back this far at most by the end
    end_x = hit_x + side * back
    inside = r + 0.04 * w < min(x0, end_x) and max(x0, end_x) < w - r - 0.04 * w
    if apex - r < 0.05 * h or not inside or abs(hit_x - x0) < 0.25 * w:
        return None
    return (x0, y0), (vx, vy), e


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    w, h = fmt.width, fmt.height
    floor_y, floor_wall = ground(fmt)
    r = RADIUS[difficulty] * h
    sides = (-1.0, 1.0) if difficulty == 3 else ((-1.0,) if rng.random() < 0.5 else (1.0,))
    colours = pick_colours(rng, 1 + len(sides))
    for _ in range(1000):
        bw = rng.uniform(0.08, 0.12) * w
        bh = rng.uniform(*BLOCK_HEIGHT[difficulty]) * h
        if difficulty == 3:
            xb = rng.uniform(0.45, 0.55) * w
        else:
            xb = rng.uniform(0.62, 0.76) * w
            xb = xb if sides[0] < 0 else w - xb
        tried = [_throw(rng, fmt, r, xb + s * bw / 2, s, floor_y - bh) for s in sides]
        throws = [t for t in tried if t is not None]
        if len(throws) < len(tried):
            continue
        late = max(e * abs(v[0]) * fmt.duration / 3 for _, v, e in throws)
        if late > 0.16 * w:  # still sliding in the last third: a video that stops is caught
            break
    else:  # pragma: no cover
        raise RuntimeError("no valid throw found")
    wall = block(
        "block", colours[0], (bw, bh), (xb, floor_y - bh / 2), body_type="static", elasticity=1.0
    )
    names = ["ball"] if len(sides) == 1 else ["ball", "ball2"]
    balls = [
        ball(n, c, r, pos, vel, elasticity=e)
        for n, c, (pos, vel, e) in zip(names, colours[1:], throws, strict=True)
    ]
    return scene(
        seed,
        index,
        difficulty,
        fmt,
        [*balls, wall],
        [floor_wall],
        SolidityParams(floor_y=floor_y),
    )


def prompt(spec: SceneSpec) -> str:
    wall, balls = spec.body("block"), [b for b in spec.bodies if b.shape == "circle"]
    if len(balls) == 1:
        b = balls[0]
        to = "right" if b.velocity[0] > 0 else "left"
        return (
            f"{article(b.label).capitalize()} is thrown to the {to} at a tall, solid"
            f" {wall.colour_name} block standing on the floor. The ball hits the side of the"
            f" block in mid-air, bounces back off it without passing through, and falls to"
            f" the floor on its own side of the block. Side view, static camera, plain light"
            f" background."
        )
    left, right = sorted(balls, key=lambda b: b.position[0])
    return (
        f"A tall, solid {wall.colour_name} block stands in the middle of the floor."
        f" {article(left.label).capitalize()} is thrown at it from the left and"
        f" {article(right.label)}"
        f" from the right. Each ball hits the side of the block in mid-air, bounces back off"
        f" it without passing through, and falls to the floor on its own side."
        f" Side view, static camera, plain light background."
    )


FAMILY = register_family(
    TaskFamily(
        name="solidity",
        version=1,
        capability="commonsense",
        law="solid objects never pass through each other: a ball thrown at a block bounces off it",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("contact.solidity_checks"),
        params=SolidityParams,
        checks=(
            CheckSpec(
                "solid",
                "no ball crosses the block; overlap with block, floor or other ball ≤ 2% of the"
                " frame; 0 beyond 5%",
            ),
            CheckSpec(
                "side", "each ball ends ≤ 2% of the frame past the block's face; 0 beyond 5%"
            ),
            shared.gravity("each ball's first flight, median local acceleration"),
            shared.NO_HOVERING,
        ),
    )
)
