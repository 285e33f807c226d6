"""`stack`: a block is dropped onto a tower of blocks; does the tower stand or fall?

A tower of 1-3 blocks (difficulty 1-3) stands on the floor, each block offset a little
from the one below but stable. A last block is dropped onto it from above, off-centre.
If, at some level, the centre of mass of the blocks above lies beyond the edge of the
block that carries them, those blocks topple that way; otherwise the tower stands. Half
the instances fall and half stand; both have motion (the drop lands after a third of the
clip, so a still video cannot pass). Offsets are drawn so every centre of mass is clearly
inside or clearly beyond its support, and the outcome is then confirmed by the engine.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.params.physics import StackParams
from vidreason.scene.stack import STAYS, outcomes
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.palette import BACKGROUND, floor, pick_colours, r4
from vidreason.tasks.wording import article
from vidreason.types import Body, SceneSpec, VideoFormat

TOWER = {1: 1, 2: 2, 3: 3}  # blocks standing before the drop
TOWER_OFFSET = {1: 0.0, 2: 0.25, 3: 0.3}  # largest offset between levels, in block widths
CLEAR = 0.12  # every centre of mass at least this far (block widths) from an edge


def margins(xs: list[float], bw: float) -> list[float]:
    """For each block carrying others (and the floor under the bottom one): how far inside
    (positive) or beyond (negative) its edge the centre of mass of what it carries is, in
    block widths. Equal masses, so a centre of mass is a mean of x."""
    out = [(0.5 * bw - abs(float(np.mean(xs)) - xs[0])) / bw]
    for k in range(len(xs) - 1):
        out.append((0.5 * bw - abs(float(np.mean(xs[k + 1 :])) - xs[k])) / bw)
    return out


def _blocks(rng, difficulty, fmt, want_fall):
    w, h = fmt.width, fmt.height
    m = min(w, h)
    bw, bh = 0.15 * m, 0.11 * m
    floor_y = 0.9 * h
    n_tower = TOWER[difficulty]
    for _ in range(1000):
        xs = [0.5 * w + rng.uniform(-0.05, 0.05) * w]
        for _k in range(n_tower - 1):
            xs.append(xs[-1] + rng.uniform(-1.0, 1.0) * TOWER_OFFSET[difficulty] * bw)
        if min(margins(xs, bw)) < 0.2:
            continue
        xs.append(xs[-1] + rng.uniform(-0.92, 0.92) * bw)
        marg = margins(xs, bw)
        if min(abs(v) for v in marg) >= CLEAR and (min(marg) < 0) == want_fall:
            break
    else:  # pragma: no cover
        raise RuntimeError("no tower found")
    ys = [floor_y - (k + 0.5) * bh for k in range(n_tower + 1)]
    return xs, ys, bw, bh, floor_y


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    from vidreason.engines.pymunk_sim import simulate

    w, h, T = fmt.width, fmt.height, fmt.duration
    n = TOWER[difficulty] + 1
    colours = pick_colours(rng, n)
    for _ in range(200):
        want_fall = bool(rng.random() < 0.5)
        xs, ys, bw, bh, floor_y = _blocks(rng, difficulty, fmt, want_fall)
        t_land = rng.uniform(0.38, 0.48) * T
        top_room = ys[-1] - 0.5 * bh - 0.04 * h  # the dropped block's top stays in view
        drop = rng.uniform(0.7, 1.0) * min(top_room, 0.45 * h)
        g = 2 * drop / t_land**2
        bodies = tuple(
            Body(
                name=f"block{k}",
                colour_name=colours[k][0],
                colour=colours[k][1],
                radius=r4(0.5 * bh),
                mass=1.0,
                position=(r4(xs[k]), r4(ys[k] - (drop if k == n - 1 else 0.0))),
                elasticity=0.0,
                friction=0.8,
                shape="box",
                size=(r4(bw), r4(bh)),
            )
            for k in range(n)
        )
        spec = SceneSpec(
            seed=seed,
            index=index,
            difficulty=difficulty,
            fmt=fmt,
            gravity=r4(g),
            bodies=bodies,
            walls=(floor(fmt, floor_y, elasticity=0.0, friction=0.8),),
            background=BACKGROUND,
            params=StackParams(floor_y=r4(floor_y), land_y=r4(ys[-1]), drop=r4(drop)).to_params(),
        )
        traj = simulate(spec).trajectory
        final = {b.name: traj.states[b.name][-1][:2] for b in bodies}
        found = outcomes(spec, final, strict=True)
        inside = all(
            b.radius <= x <= w - b.radius and b.radius <= y <= h - b.radius
            for b in bodies
            for x, y, *_ in traj.states[b.name]
        )
        if inside and None not in found.values():
            falls = any(v != STAYS for v in found.values())
            if falls == want_fall:
                return spec
    raise RuntimeError("no clear-cut tower found")  # pragma: no cover


def prompt(spec: SceneSpec) -> str:
    *tower, top = spec.bodies
    names = ", ".join(b.colour_name for b in tower)
    if len(tower) == 1:
        what, under = f"{article(tower[0].colour_name)} block standing on the floor", "it"
    else:
        what = (
            f"a tower of {len(tower)} blocks ({names}, bottom to top), each set a little to"
            " one side of the one below"
        )
        under = "the top block"
    side = "right" if top.position[0] > tower[-1].position[0] else "left"
    off = abs(top.position[0] - tower[-1].position[0]) / top.size[0]
    where = "almost centred on" if off < 0.2 else f"off-centre to the {side} of"
    return (
        f"{article(top.colour_name).capitalize()} wooden block is dropped from above onto {what},"
        f" {where} {under}. It falls straight down and lands without bouncing. The blocks"
        f" stay put or topple over as gravity decides, and come to rest on the floor or the"
        f" tower. Side view, static camera, plain light background."
    )


FAMILY = register_family(
    TaskFamily(
        name="stack",
        version=1,
        capability="physics",
        law="blocks stay stacked while the centre of mass of the blocks above each block lies over it; beyond its edge they topple that way",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("stack.stack_checks"),
        params=StackParams,
        checks=(
            shared.gravity("one parabola through the dropped block's fall"),
            CheckSpec("landing", "the dropped block lands within 1 frame of the truth; 0 beyond 3"),
            CheckSpec(
                "outcome",
                "each block stays, falls left or right, or drops as in the truth: pass/fail",
            ),
            CheckSpec(
                "arrangement",
                "each block ends within 4% of the frame of its true place; 0 beyond 10%",
            ),
        ),
    )
)
