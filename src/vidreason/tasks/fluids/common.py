"""What the liquid families share: the walls of a tank, the spec of a scene with one
liquid, and the lazy entry points of the solver and the drawing (Taichi is imported only
when a liquid is first simulated)."""

from __future__ import annotations

import numpy as np

from vidreason.scene.params.fluids import Liquid
from vidreason.tasks.palette import FLOOR, pick_colours, r4
from vidreason.types import Body, Event, SceneSpec, Trajectory, VideoFormat, Wall

G = 9.81
METRES = 0.5  # the picture's larger side, m: a tank a few hand-widths across
STIFFNESS = 400.0  # bulk modulus (solver units): the level sinks < 3% under its own weight
DAMPING = 1.5  # 1/s: the liquid settles within the clip
WALL = 0.04  # wall thickness, a share of the picture's larger side (two solver cells)


def wall(x0: float, y0: float, x1: float, y1: float) -> Wall:
    """A solid rectangle ``(x0, y0)``-``(x1, y1)`` px, as a wall segment along its longer
    side."""
    if x1 - x0 >= y1 - y0:
        th = y1 - y0
        yc = (y0 + y1) / 2
        a, b = (x0 + th / 2, yc), (x1 - th / 2, yc)
    else:
        th = x1 - x0
        xc = (x0 + x1) / 2
        a, b = (xc, y0 + th / 2), (xc, y1 - th / 2)
    return Wall((r4(a[0]), r4(a[1])), (r4(b[0]), r4(b[1])), r4(th), FLOOR)


def make_spec(
    rng: np.random.Generator,
    seed: int,
    index: int,
    difficulty: int,
    fmt: VideoFormat,
    walls: list[Wall],
    blocks: list[list[float]],
    vessels: list[list[float]],
    passages: list[list[float]] | None = None,
    damping: float = DAMPING,
    slow_motion: float = 1.0,
    cup: list[list[float]] | None = None,
    pivot: list[float] | None = None,
    tilt: list[float] | None = None,
    reach: list[list[float]] | None = None,
    grid: int | None = None,
    blur: float | None = None,
) -> SceneSpec:
    """A scene with one liquid (a colour drawn from ``rng``) filling ``blocks`` at rest in
    a container of ``walls``, its level read in ``vessels`` (``passages``: where else it
    may go), its velocity damped by ``damping`` 1/s, shown ``slow_motion`` times slower
    than real time; ``cup``, ``pivot`` and ``tilt``: a container that tilts
    (``Liquid``); ``reach``: where the liquid goes besides the vessels and passages;
    ``grid``: the solver's cells across, ``blur``: the drawing's smoothing (``Liquid``)."""
    ((colour_name, colour),) = pick_colours(rng, 1)
    area = sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in blocks)
    cx = sum((x0 + x1) / 2 * (x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in blocks) / area
    cy = sum((y0 + y1) / 2 * (x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in blocks) / area
    side = float(np.sqrt(area))  # a square of the liquid's area: the tracker's size scale
    liquid = Body(
        "liquid",
        colour_name,
        colour,
        r4(side / 2),
        r4(area),
        (r4(cx), r4(cy)),
        shape="box",
        size=(r4(side), r4(side)),
        noun="water",
    )
    params = Liquid(
        blocks=[[r4(v) for v in b] for b in blocks],
        vessels=[[r4(v) for v in b] for b in vessels],
        passages=[[r4(v) for v in b] for b in passages] if passages else None,
        metres=METRES,
        stiffness=STIFFNESS,
        damping=damping,
        slow_motion=slow_motion,
        reach=[[r4(x0), 0.0, r4(x1), r4(y1)] for x0, _, x1, y1 in vessels]
        + [[r4(v) for v in b] for b in passages or ()]
        + [[r4(v) for v in b] for b in reach or ()],
        cup=[[r4(v) for v in b] for b in cup] if cup else None,
        pivot=[r4(v) for v in pivot] if pivot else None,
        tilt=[r4(v) for v in tilt] if tilt else None,
        grid=grid,
        blur=blur,
    )
    return SceneSpec(
        seed=seed,
        index=index,
        difficulty=difficulty,
        fmt=fmt,
        gravity=G,
        bodies=(liquid,),
        walls=tuple(walls),
        params=params.to_params(),
        extra=params.to_extra(),
    )


def simulate_liquid(spec: SceneSpec) -> tuple[Trajectory, tuple[Event, ...]]:
    from vidreason.engines.fluid_mpm import simulate

    return simulate(spec)


def render_liquid(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
    from vidreason.render.liquid import render

    return render(spec, trajectory)
