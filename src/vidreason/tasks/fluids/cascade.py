"""`cascade`: liquid held in a tank at the top pours down a cascade of basins, each filling
until it overflows its lip into the next one below; the lowest, on the floor, collects the
rest.

The first frame shows the liquid standing in the tank, on a shelf open on its right, the
moment the gate holding it there is pulled away. Below the shelf's edge, 2 or 3 basins
stand in a staircase down to the right: each has a tall back wall (under the floor of the
one above), a floor and a short lip on its right; the liquid spills off the shelf into the
first, fills it to its lip, spills over into the next, and so on; the last basin, on the
floor, has a tall right wall and keeps what reaches it. Simulated with Taichi's MLS-MPM
(``engines/fluid_mpm.py``) in a scene half a metre across, shown at half real speed.
Sampled by seed: the number of basins (2 at difficulty 1, 2 or 3 at difficulty 2, 3 at
difficulty 3), the tank's width, the basins' widths, the drops between them, the lips'
heights, the amount of liquid (1.2 to 1.5 times what the basins above the last hold, the
film it leaves on the shelf and floors, and 5-8% of the picture's height in the last
basin, so the last always receives some, and the levels and times vary), the colour. A
tall block's surge may jump the first basin and land in the second first: the true order
is the simulated one.

The ground truth per frame (``scene/cascade.py``): the liquid's area in each basin, the
frame each basin first receives liquid (the events ``fills``) and the frame each basin's
liquid first spills over its lip (``overflows``).

The verifier (``verifiers/cascade.py``) reads the liquid's region by its colour, and a
second time with its smeared edge (a codec or a blur blends a thin stream or layer into
the background: what may be liquid): its area stays the truth's, none of it shows outside
the tank and the basins (nothing passes through a wall), its height across the scene
follows the truth's frame by frame (it falls where and when gravity takes it, never shown
where the truth has none; it never stands still while the truth's flows), the tank drains
at the truth's pace (gravity times the whole flow) and each basin fills when the truth's
does (so in the true order), and each basin ends at its true level, its surface level.

Versions: v1: first version. Verifier v2: in a shaded or textured scene the liquid's
colour is told by its hue and chroma first; a colour of the liquid that is also a mix of
two scene colours is that mix on the scene's seams.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.params.fluids import Cascade
from vidreason.tasks.base import NO_PATH_CHECKS, CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.fluids import common
from vidreason.tasks.palette import r4
from vidreason.types import Event, SceneSpec, Trajectory, VideoFormat

SLOW_MOTION = 2.0  # half real speed: the surge and the falls spread over enough frames
DAMPING = 1.0  # 1/s
MARGIN = 0.08  # of the picture: every wall this far inside (a zoomed or cropped video keeps them)
NUMBERS = {2: "two", 3: "three"}
AMOUNT = (1.2, 1.5)  # times what the basins above the last hold
LAST = (0.05, 0.08)  # of the picture's height: how deep the last basin ends
FILM = 8.0  # px: the film the liquid leaves on the shelf and the floors  # the liquid, times what the basins above the last hold


def _basins(difficulty: int, rng: np.random.Generator) -> int:
    if difficulty == 1:
        return 2
    if difficulty == 3:
        return 3
    return int(rng.integers(2, 4))


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    w, h = fmt.width, fmt.height
    th = common.WALL * max(w, h)
    n = _basins(difficulty, rng)
    left, right = MARGIN * w, (1 - MARGIN) * w  # outer sides of the outermost walls
    top, floor = MARGIN * h, (1 - MARGIN) * h - th  # the floor wall's top
    # horizontal layout: the tank's inside, then each basin's inside reaching right of the
    # previous spill point by `reach`; the last basin runs to the right wall
    span = right - left - 2 * th
    tank_w = rng.uniform(0.27, 0.32) * span
    xa = left + th
    xb = xa + tank_w
    spills, insides_x = [xb], []
    x_prev0, x_prev1 = xa, xb
    for k in range(n):
        x0 = x_prev0 + rng.uniform(0.5, 0.65) * (x_prev1 - x_prev0) + th  # back wall under above
        reach = rng.uniform(0.13, 0.17) * span if n == 3 else rng.uniform(0.2, 0.26) * span
        x1 = spills[-1] + (th if k else 0.0) + reach
        insides_x.append((x0, x1))
        spills.append(x1 + th)
        x_prev0, x_prev1 = x0, x1
    spills.pop()  # the last basin keeps what reaches it
    # vertical layout: the drops between floors share what the tank leaves
    lips = [rng.uniform(0.045, 0.06) * h for _ in range(n - 1)]
    tank_top = top + 0.02 * h
    drops = rng.uniform(0.8, 1.2, size=n)
    # each floor's top: the shelf, then each basin's floor, the last the scene's floor
    shelf_y = tank_top + 0.34 * h
    gaps = drops / drops.sum() * (floor - shelf_y - n * th)
    floors_y = [shelf_y]
    for k in range(n):
        floors_y.append(floors_y[-1] + th + gaps[k])
    # the liquid: enough to fill every basin but the last and spill on
    hold = sum((x1 - x0) * lip for (x0, x1), lip in zip(insides_x[:-1], lips, strict=True))
    film = FILM * (tank_w + sum(x1 - x0 for x0, x1 in insides_x[:-1]))
    last = (insides_x[-1][1] - insides_x[-1][0]) * rng.uniform(*LAST) * h
    amount = rng.uniform(*AMOUNT) * hold + film + last
    bh = min(amount / tank_w, 0.28 * h)  # a low block: its surge stays in the basins
    walls = [
        common.wall(left, shelf_y, xb, shelf_y + th),  # the shelf
        common.wall(left, tank_top, xa, shelf_y),  # the tank's back wall
        common.wall(0.0, floor, w, floor + th),  # the scene's floor
    ]
    basins, vessels, lip_walls, lip_tops = [], [[xa, tank_top, xb, shelf_y]], [], []
    for k, (x0, x1) in enumerate(insides_x):
        y_above, y_floor = floors_y[k] + th, floors_y[k + 1]
        walls.append(common.wall(x0 - th, y_above, x0, y_floor))  # back wall
        last = k == n - 1
        if not last:
            walls.append(common.wall(x0 - th, y_floor, x1 + th, y_floor + th))  # floor
            walls.append(common.wall(x1, y_floor - lips[k], x1 + th, y_floor))  # lip
            lip_walls.append(len(walls) - 1)
            lip_tops.append(y_floor - lips[k])
        else:
            wall_top = tank_top  # as high as the tank's: nothing splashes out
            walls.append(common.wall(x1, wall_top, x1 + th, y_floor))  # tall right wall
            lip_tops.append(wall_top)
        basins.append([x0, y_above, x1, y_floor])
        vessels.append([x0, y_above, x1, y_floor])
    blocks = [[xa, shelf_y - bh, xb, shelf_y]]
    spec = common.make_spec(
        rng,
        seed,
        index,
        difficulty,
        fmt,
        walls,
        blocks,
        vessels,
        damping=DAMPING,
        slow_motion=SLOW_MOTION,
    )
    return Cascade(
        basins=[[r4(v) for v in b] for b in basins],
        lips=[r4(y) for y in lip_tops],
        spills=[r4(x) for x in spills],
        shelf=0,
        lip_walls=lip_walls,
    ).onto(spec)


def prompt(spec: SceneSpec) -> str:
    water = spec.bodies[0]
    n = len(Cascade.of(spec).basins)
    return (
        f"Slow-motion video, two times slower than real time. Side view of a staircase of dark grey walls. At the top left, a block of"
        f" {water.colour_name} water stands in a tank on a shelf, held on its right by a"
        f" gate that is pulled away at the start. Below the shelf, {NUMBERS[n]} open"
        f" basins step down to the right, each with a short lip on its right side, the"
        f" lowest on the floor. The water spills off the shelf into the highest basin, fills"
        f" it to its lip, overflows into the next one below, and so on; the lowest basin"
        f" collects the rest. Each basin ends full to its lip with a flat, level surface, the"
        f" lowest at the height its share of the water gives. Nothing spills out and no"
        f" water is lost. Fixed camera, plain light background."
    )


def simulate(spec: SceneSpec) -> tuple[Trajectory, tuple[Event, ...]]:
    """The liquid's trajectory and, per basin, the frame it first receives liquid
    (``fills``) and the frame its liquid first spills over its lip (``overflows``)."""
    from vidreason.render.liquid import shown_masks
    from vidreason.scene import cascade

    traj, _ = common.simulate_liquid(spec)
    p = Cascade.of(spec)
    masks = shown_masks(spec, traj, spec.bodies[0].name)
    area = cascade.areas(masks, p.basins)
    fps = spec.fmt.fps
    frames = np.arange(len(area), dtype=float)
    got = cascade.arrivals(area, cascade.thresholds(area[-1]), frames)
    events = []
    for k, t in enumerate(got):
        if np.isfinite(t):
            f = int(np.ceil(t))
            events.append(Event("fills", f, r4(f / fps), ("liquid", f"basin {k + 1}")))
            if k:
                events.append(Event("overflows", f, r4(f / fps), ("liquid", f"basin {k}")))
    events.sort(key=lambda e: (e.frame, e.kind))
    return traj, tuple(events)


FAMILY = register_family(
    TaskFamily(
        # a liquid has no one centre (its flow is checked, a freeze with it), and its
        # centroid may stand still and then move on (a drop falls off a lip after the rest
        # has settled): neither path nor continuity
        generic_checks=tuple(c for c in NO_PATH_CHECKS if c != "continuity"),
        name="cascade",
        version=1,
        verifier_version=2,  # v2: a styled liquid told by hue first; edges like it stay edges
        capability="fluids",
        law="liquid released from a tank runs down a cascade of basins under gravity, filling"
        " each to its lip before it overflows into the next, keeps its volume, stays inside"
        " the walls and comes to rest level in each basin",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("cascade.cascade_checks"),
        params=Cascade,
        checks=(
            CheckSpec(
                "volume",
                "area within 12% of the truth's in 80% of frames (the truth's between the"
                " liquid surely seen and the liquid with its smeared edge); 0 beyond 30%",
            ),
            CheckSpec(
                "walls",
                "liquid outside the tank and basins ≤ 1% of the truth's area in every frame;"
                " 0 beyond 4%",
            ),
            CheckSpec(
                "flow",
                "height in each column of the scene, mean of the worst quarter of frames:"
                " missing even with its smeared edge ≤ 12% of the area, 0 beyond 30%; shown"
                " where the truth's is not ≤ 2.5%, 0 beyond 4.5%; still while the truth"
                " flows ≤ 2 frames, 0 beyond 4",
            ),
            CheckSpec(
                "order",
                "the tank drains at the truth's pace within 6% (0 beyond 9%: gravity times"
                " the whole flow); each basin fills when the truth's does, so in the true"
                " order: its area around the truth's filling time follows the truth's ≤ 4"
                " frames behind (0 beyond 6) or ≤ 1 frame ahead (0 beyond 2)",
            ),
            CheckSpec(
                "levels",
                "each basin's level over the last 4 frames within 1.5% of the frame of the"
                " truth's, 0 beyond 4%; its surface's tilt within 3° of the tilts the truth's"
                " takes over its last 8 frames, 0 beyond 6°",
            ),
        ),
        simulate=simulate,
        render=common.render_liquid,
        engine="taichi",
    )
)
