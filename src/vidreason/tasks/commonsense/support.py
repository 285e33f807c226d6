"""`support`: an object resting on something stays; an object with nothing under it falls.

Two scenes. *Table* (difficulties 1 and 2): a block rests on a table while a ball is let
go in mid-air beside it; the block stays, the ball falls to the floor and bounces.
*Bridge* (difficulty 3): a board bridges the gap between two shelves with a ball resting
on it and a block on the far shelf; the board is pulled out, the ball falls through the
gap, the block stays. The verifier checks that supported objects do not move while they
are supported, that the released ball falls with the scene's gravity, lands on the
floor when it should, and that nothing hangs in the air.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.params.commonsense import SupportParams
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import TaskFamily, register_family, verifier
from vidreason.tasks.commonsense.scene import (
    RADIUS,
    ball,
    block,
    board,
    board_thickness,
    fall_time,
    gravity,
    ground,
    pick_colours,
    scene,
    sky,
    table,
    unit,
)
from vidreason.tasks.palette import r4
from vidreason.tasks.wording import article
from vidreason.types import Body, SceneSpec, VideoFormat, Wall

BLOCK = {1: (0.16, 0.12), 2: (0.12, 0.09), 3: (0.1, 0.08)}  # width, height / unit


def _bounce(rng: np.random.Generator) -> float:
    return float(rng.uniform(0.55, 0.75))


def _table_scene(
    rng: np.random.Generator, difficulty: int, fmt: VideoFormat
) -> tuple[list[Body], list[Wall], SupportParams]:
    w, h, T = fmt.width, unit(fmt), fmt.duration
    g = gravity(fmt, h)
    floor_y, floor_wall = ground(fmt, elasticity=0.9)
    r = RADIUS[difficulty] * h
    bw, bh = BLOCK[difficulty][0] * h, BLOCK[difficulty][1] * h
    for _ in range(1000):
        top = floor_y - rng.uniform(0.42, 0.55) * h
        x0 = rng.uniform(0.04, 0.1) * w
        x1 = x0 + rng.uniform(0.34, 0.44) * w
        xb = rng.uniform(x0 + 0.5 * bw + 0.04 * w, x1 - 0.5 * bw - 0.04 * w)
        xball = x1 + r + rng.uniform(0.12, 0.3) * w
        yball = top - bh / 2 if difficulty == 1 else top - rng.uniform(-0.04, 0.16) * h
        drop = floor_y - r - yball
        if (
            xball + r < 0.94 * w
            and yball - r > sky(fmt) + 0.05 * h
            and fall_time(drop, g) > 0.42 * T
        ):
            break
    else:  # pragma: no cover - the ranges above always admit a scene
        raise RuntimeError("no valid table scene found")
    flip = rng.random() < 0.5
    (cb, block_colour), (cball, ball_colour) = pick_colours(rng, 2)

    def fx(x: float) -> float:
        return w - x if flip else x

    bodies = [
        block("block", (cb, block_colour), (bw, bh), (fx(xb), top - bh / 2)),
        ball("ball", (cball, ball_colour), r, (fx(xball), yball), elasticity=_bounce(rng)),
    ]
    lo, hi = sorted((fx(x0), fx(x1)))
    walls = [floor_wall, *table(fmt, lo, hi, top, floor_y, h)]
    return bodies, walls, SupportParams(floor_y=floor_y, scene="table")


def _bridge_scene(
    rng: np.random.Generator, difficulty: int, fmt: VideoFormat
) -> tuple[list[Body], list[Wall], SupportParams]:
    w, h, T = fmt.width, unit(fmt), fmt.duration
    g = gravity(fmt, h)
    floor_y, floor_wall = ground(fmt, elasticity=0.9)
    r = RADIUS[difficulty] * h
    bw, bh = BLOCK[difficulty][0] * h, BLOCK[difficulty][1] * h
    th = board_thickness(fmt, h)
    for _ in range(1000):
        top = floor_y - rng.uniform(0.42, 0.52) * h
        gap = 2 * r + rng.uniform(0.12, 0.18) * w
        g0 = rng.uniform(0.38, 0.48) * w
        g1 = g0 + gap
        plank_len = gap + rng.uniform(0.12, 0.18) * w
        xp = (g0 + g1) / 2
        xball = xp + rng.uniform(-0.1, 0.1) * (gap - 2 * r)
        shove = xp + plank_len / 2 - xball + r + 0.04 * w  # moves its right end past the ball
        t_pull = rng.uniform(0.15, 0.3) * T
        pull = rng.uniform(0.18, 0.25) * T
        yball = top - th - r
        land = t_pull + pull + fall_time(floor_y - r - yball, g)
        clear = xp + plank_len / 2 + 0.5 * bw + 0.03 * w  # the block is off the board
        xblock = rng.uniform(clear, max(clear, 0.94 * w - 0.5 * bw))
        if land < 0.8 * T and xp - shove > 0.06 * w and xblock + 0.5 * bw < 0.95 * w:
            break
    else:  # pragma: no cover
        raise RuntimeError("no valid bridge scene found")
    flip = rng.random() < 0.5
    sign = -1.0 if flip else 1.0
    (cb, block_colour), (cball, ball_colour), (cp, plank_colour) = pick_colours(rng, 3)

    def fx(x: float) -> float:
        return w - x if flip else x

    plank = block(
        "board",
        (cp, plank_colour),
        (plank_len, th),
        (fx(xp), top - th / 2),
        body_type="kinematic",
        noun="board",
    )
    end = fx(xp - shove)
    bodies = [
        ball("ball", (cball, ball_colour), r, (fx(xball), yball), elasticity=_bounce(rng)),
        block("block", (cb, block_colour), (bw, bh), (fx(xblock), top - bh / 2)),
        plank,
    ]
    shelves = [board(fmt, -w, g0, top, length=h), board(fmt, g1, 2 * w, top, length=h)]
    if flip:
        shelves = [board(fmt, w - g0, 2 * w, top, length=h), board(fmt, -w, w - g1, top, length=h)]
    path = [[r4(t_pull), plank.position[0], plank.position[1]]]
    path.append([r4(t_pull + pull), r4(end), plank.position[1]])
    params = SupportParams(
        floor_y=floor_y,
        scene="bridge",
        paths={"board": path},
        pull="left" if sign > 0 else "right",
    )
    return bodies, [floor_wall, *shelves], params


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    build = _bridge_scene if difficulty == 3 else _table_scene
    bodies, walls, params = build(rng, difficulty, fmt)
    return scene(seed, index, difficulty, fmt, bodies, walls, params, unit(fmt))


def prompt(spec: SceneSpec) -> str:
    b, blk = spec.body("ball"), spec.body("block")
    p = SupportParams.of(spec)
    if p.scene == "table":
        level = "at the height of the block" if spec.difficulty == 1 else "in mid-air"
        return (
            f"{article(blk.label).capitalize()} rests on a dark table. Beside the table,"
            f" {article(b.label)} is let go {level}, with nothing under it. The block stays"
            f" exactly where it is on the table, while the ball falls straight down under"
            f" gravity and bounces on the floor."
            f" Side view, static camera, plain light background."
        )
    plank, side = spec.body("board"), p.pull
    return (
        f"{article(plank.label).capitalize()} bridges the gap between two dark shelves, with"
        f" {article(b.label)} resting on it and {article(blk.label)} sitting on one"
        f" shelf. After a moment the board is pulled out quickly to the {side}. The ball,"
        f" no longer supported, falls straight down through the gap and bounces on the"
        f" floor; the block stays on its shelf."
        f" Side view, static camera, plain light background."
    )


FAMILY = register_family(
    TaskFamily(
        name="support",
        version=1,
        capability="commonsense",
        law="an object resting on a support stays put; an object with nothing under it falls",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("commonsense.support_checks"),
        params=SupportParams,
        checks=(
            shared.STAYS,
            shared.gravity("the unsupported ball's free fall, median local acceleration"),
            shared.LANDS,
            shared.NO_HOVERING,
        ),
    )
)
