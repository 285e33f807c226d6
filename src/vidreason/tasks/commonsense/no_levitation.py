"""`no-levitation`: nothing rises on its own; a ball only goes up after it bounces.

Blocks and balls rest on the floor and on shelves while one ball moves: at difficulty 1
it is let go in mid-air, at difficulties 2 and 3 it is pushed off a shelf. It falls,
bounces on the floor (the only reason it ever goes up) and comes down again; everything
else stays where it is. The verifier checks that every upward movement starts where the
object bounced off something and is no higher than the fall before it, that the moving
ball falls with the scene's gravity and that the resting objects stay put.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.params.commonsense import NoLevitationParams
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.commonsense.scene import (
    RADIUS,
    ball,
    block,
    board,
    board_thickness,
    fall_time,
    gravity,
    ground,
    mirror,
    pick_colours,
    scene,
    sky,
    unit,
)
from vidreason.tasks.wording import article
from vidreason.types import Body, SceneSpec, VideoFormat, Wall

RESTING = {1: 2, 2: 2, 3: 3}  # objects at rest besides the moving ball


def _mover(
    rng: np.random.Generator, difficulty: int, fmt: VideoFormat, r: float, floor_y: float
) -> tuple[tuple[float, float], tuple[float, float], list[Wall]] | None:
    """Start, velocity and shelf of the moving ball (coming from the left); None when the
    sampled motion does not fit."""
    w, h, T = fmt.width, unit(fmt), fmt.duration
    g = gravity(fmt, h)
    th = board_thickness(fmt, h)
    if difficulty == 1:
        x0, y0 = rng.uniform(0.3, 0.5) * w, floor_y - r - rng.uniform(0.45, 0.65) * h
        vx, shelf = 0.0, []
        t_edge = 0.0
    else:
        top = floor_y - rng.uniform(0.45, 0.6) * h
        edge = rng.uniform(0.25, 0.38) * w
        vx = rng.uniform(0.1, 0.2) * w / T
        t_edge = rng.uniform(0.1, 0.22) * T
        x0, y0 = edge - vx * t_edge, top - r
        shelf = [board(fmt, -w, edge, top, length=h)]
    drop = floor_y - r - y0
    land = t_edge + fall_time(drop, g)
    fits = y0 - r > sky(fmt) + 0.05 * h and x0 - r > th
    if not fits or not t_edge + 0.05 * T < T / 3 < land - 0.05 * T or land > 0.6 * T:
        return None
    return (x0, y0), (vx, 0.0), shelf


def _reach(fmt: VideoFormat, mover: Body, walls: list[Wall]) -> float:
    """How far right the moving ball gets in the clip (rolling off a shelf's rounded edge
    speeds it up, so this runs the engine on the ball alone)."""
    from vidreason.engines.pymunk_sim import simulate

    alone = scene(0, 0, 1, fmt, [mover], walls, length=unit(fmt))
    xs = [s[0] for s in simulate(alone).trajectory.states[mover.name]]
    return max(xs) + mover.radius


def _resting(
    rng: np.random.Generator,
    difficulty: int,
    fmt: VideoFormat,
    colours: list,
    floor_y: float,
    keep_out: float,
) -> tuple[list[Body], list[Wall]]:
    """Objects at rest right of ``keep_out``: on the floor and on a shelf above them."""
    w, h = fmt.width, unit(fmt)
    r = RADIUS[difficulty] * h
    s = 2.2 * r
    lo, hi = keep_out + 0.05 * w, 0.95 * w
    n_floor = len(colours) - 1
    xs = np.linspace(lo + s / 2, hi - s / 2, n_floor) if n_floor > 1 else [(lo + hi) / 2]
    top = floor_y - rng.uniform(0.35, 0.55) * h
    x_shelf = rng.uniform(lo, lo + 0.4 * (hi - lo))
    places = [(float(x), floor_y) for x in xs]
    places.append((rng.uniform(x_shelf + s, hi - s / 2), top))
    bodies = []
    for i, (colour, (x, base)) in enumerate(zip(colours, places, strict=True)):
        name = f"rest{i + 1}"
        if rng.random() < 0.5:
            bodies.append(ball(name, colour, r, (x, base - r)))
        else:
            bh = s * rng.uniform(0.7, 1.1)
            bodies.append(block(name, colour, (s, bh), (x, base - bh / 2)))
    return bodies, [board(fmt, x_shelf, 2 * w, top, length=h)]


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    w, h = fmt.width, unit(fmt)
    floor_y, floor_wall = ground(fmt, elasticity=0.9)
    r = RADIUS[difficulty] * h
    colours = pick_colours(rng, 1 + RESTING[difficulty])
    for _ in range(1000):
        move = _mover(rng, difficulty, fmt, r, floor_y)
        if move is None:
            continue
        start, velocity, shelf = move
        mover = ball("ball", colours[0], r, start, velocity, elasticity=rng.uniform(0.6, 0.8))
        reach = _reach(fmt, mover, [floor_wall, *shelf])
        if reach < 0.6 * w:
            break
    else:  # pragma: no cover
        raise RuntimeError("no valid motion found")
    resting, shelves = _resting(rng, difficulty, fmt, colours[1:], floor_y, reach)
    bodies, walls = [mover, *resting], [floor_wall, *shelf, *shelves]
    if rng.random() < 0.5:
        bodies, walls = [mirror(b, w) for b in bodies], [mirror(wl, w) for wl in walls]
    return scene(
        seed,
        index,
        difficulty,
        fmt,
        bodies,
        walls,
        NoLevitationParams(floor_y=floor_y, start="shelf" if shelf else "air"),
        length=h,
    )


def prompt(spec: SceneSpec) -> str:
    mover, rest = spec.bodies[0], spec.bodies[1:]
    items = [article(r.label) for r in rest]
    names = ", ".join(items[:-1]) + f" and {items[-1]}"
    how = (
        f"{article(mover.label).capitalize()} is let go in mid-air"
        if NoLevitationParams.of(spec).start == "air"
        else f"{article(mover.label).capitalize()} is pushed gently off the edge of a dark shelf"
    )
    return (
        f"{how}: it falls to the floor and bounces back up, never as high as where it"
        f" started. {names[0].upper()}{names[1:]} rest on the floor and on a shelf and"
        f" stay perfectly still: nothing floats or rises by itself."
        f" Side view, static camera, plain light background."
    )


FAMILY = register_family(
    TaskFamily(
        name="no-levitation",
        version=1,
        capability="commonsense",
        law="nothing rises without a cause: an object only moves up after bouncing off something",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("commonsense.no_levitation_checks"),
        params=NoLevitationParams,
        checks=(
            CheckSpec(
                "no_rising",
                "a rise above what its bounce returns ≤ 2% of the frame (with no contact the whole"
                " rise counts); 0 beyond 5%",
            ),
            shared.gravity("the ball's free fall, median local acceleration"),
            shared.STAYS,
            shared.NO_HOVERING,
        ),
    )
)
