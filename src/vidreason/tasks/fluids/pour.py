"""`pour`: a cup of water held above and beside a tank tilts over its lip and pours the
water into the tank, whose level rises until the cup is empty and the water settles.

The first frame shows the water at rest in the cup (upper left), the empty tank below on
the right. From the start the cup turns clockwise about its right lip (a kinematic turn,
easing in and out, to past the horizontal) and the water runs over the lip and falls into
the tank. Simulated with Taichi's MLS-MPM (``engines/fluid_mpm.py``: the grid nodes
inside the cup's walls move with them) and shown at half real speed (the fall and the
sloshing timed against gravity). Sampled by seed: the tank's width, height and
place, the cup's size and how high above the tank its lip is held, how far in over the
tank the lip is, how full the cup is, how fast and how far it turns (a narrower tank, a
fuller cup and a faster turn at higher difficulty), the colour.

The verifier (``verifiers/fluids.py``) reads the water's region by its colour: its area
stays the truth's (nothing lost or made in the pour), none of it shows where the truth's
never goes (nothing through a wall of the cup or the tank), the stream reaches the tank
when and where the truth's does (it falls under gravity), the share of the water in the
tank rises (and in the cup falls) as the truth's and it ends at the truth's level, and its
surface sloshes and settles level as the truth's.

The pour is timed against the cup's own turn (``pace``): the turn is the same under any
gravity, the water that runs over the lip and falls runs on gravity's clock.

Versions: v1: first version. Verifier v2: `pace` (the liquid's lag behind the truth's, less
the cup's, over the pour's second half); the shares in the tank and the cup and the
surface's tilt read off the liquid's share per pixel (a blend with the walls' colour
counted too); a frame whose static walls stand over a pixel off is realigned on them.
Verifier v3: in a shaded or textured scene the liquid's colour is told by its hue and
chroma first; a colour of the liquid that is also a mix of two scene colours is that mix
on the scene's seams.
"""

from __future__ import annotations

import math

import numpy as np

from vidreason.scene.liquid import turned_corners
from vidreason.scene.params.fluids import Liquid
from vidreason.tasks.base import NO_PATH_CHECKS, CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.fluids import common
from vidreason.types import SceneSpec, VideoFormat

SLOW_MOTION = 2.0  # the stream's fall spread over enough frames to time it against gravity
DAMPING = 2.0  # 1/s: the water in the tank settles by the end of the clip
CUP_WALL = 1.0  # x common.WALL: the cup's walls
TANK_W = {1: (0.36, 0.4), 2: (0.34, 0.38), 3: (0.32, 0.36)}  # of the picture's width
FILL = {1: (0.5, 0.6), 2: (0.58, 0.68), 3: (0.66, 0.76)}  # of the cup's depth
TURN_S = {1: (0.95, 1.1), 2: (0.85, 1.0), 3: (0.75, 0.9)}  # simulated seconds to turn
TURN_DEG = (110.0, 120.0)
GRID = 96  # solver cells across: a stream a few particles wide, a cup wall ~5 cells thick
BLUR = 2.2  # particle spacings: drawn as smooth as dam-break's liquid (a 48-cell grid)


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    w, h = fmt.width, fmt.height
    s = max(w, h)
    th = common.WALL * s
    ct = CUP_WALL * common.WALL * min(w, h)
    floor = 0.88 * h
    # the tank: on the floor, on the right
    tank_w = rng.uniform(*TANK_W[difficulty]) * w
    tx1 = rng.uniform(0.84, 0.88) * w
    tx0 = tx1 - tank_w
    rim = floor - rng.uniform(0.19, 0.21) * h
    # the cup: its right lip (the pivot) about above the tank's left wall, its bottom just
    # above the tank's rim (a long fall: its pace is gravity's)
    cup_w = rng.uniform(0.22, 0.25) * min(w, h)  # its sweep fits a wide, low picture too
    cup_d = rng.uniform(0.15, 0.17) * min(w, h)
    lip_x = tx0 + rng.uniform(-0.01, 0.05) * w
    lip_y = rim - cup_d - ct - rng.uniform(0.01, 0.03) * h
    cx1 = lip_x - ct
    cx0 = cx1 - cup_w
    cb = lip_y + cup_d
    cup = [
        [cx0 - ct, lip_y, cx0, cb + ct],  # left
        [cx1, lip_y, lip_x, cb + ct],  # right, its top outer corner the lip
        [cx0, cb, cx1, cb + ct],  # bottom
    ]
    fill = rng.uniform(*FILL[difficulty]) * cup_d
    blocks = [[cx0, cb - fill, cx1, cb]]
    turn = [0.0, rng.uniform(*TURN_S[difficulty]), rng.uniform(*TURN_DEG)]
    walls = [
        common.wall(0.0, floor, w, floor + th),  # the floor, out to the picture's edges
        common.wall(tx0 - th, rim, tx0, floor),
        common.wall(tx1, rim, tx1 + th, floor),
    ]
    vessels = [[tx0, rim, tx1, floor]]
    swept = sweep(cup, [lip_x, lip_y], turn[2])
    return common.make_spec(
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
        cup=cup,
        pivot=[lip_x, lip_y],
        tilt=turn,
        grid=GRID,
        blur=BLUR,
        # the cup's sweep and the stream's way from the lip into the tank (whose inside
        # is a vessel's reach): the tank's walls and the floor stay the static scene
        reach=[swept, [lip_x - 0.04 * w, lip_y, tx0 + 0.04 * w, rim]],
    )


def sweep(cup: list[list[float]], pivot: list[float], degrees: float) -> list[float]:
    """The box ``[x0, y0, x1, y1]`` the cup's walls cover while it turns to ``degrees``."""
    pts = [
        turned_corners(r, pivot, math.radians(a))
        for r in cup
        for a in np.linspace(0.0, degrees, 25)
    ]
    allp = np.concatenate(pts)
    return [*map(float, allp.min(axis=0)), *map(float, allp.max(axis=0))]


def prompt(spec: SceneSpec) -> str:
    water = spec.bodies[0]
    p = Liquid.of(spec)
    assert p.tilt is not None
    t0, t1, deg = p.tilt
    return (
        f"Slow-motion video, two times slower than real time. Side view. A dark grey cup,"
        f" upper left, holds {water.colour_name} water at rest, held high above and beside"
        f" a dark grey tank, empty, standing on the floor below on the right. At the start"
        f" the cup tilts clockwise about its right lip, turning by {deg:.0f}° over"
        f" {(t1 - t0) * p.slow_motion:.1f} seconds of video: the water runs over the lip, falls in a"
        f" stream into the tank and the level in the tank rises while the cup empties."
        f" Nothing is spilled: all the water ends in the tank and settles to a flat, level"
        f" surface. Fixed camera, plain light background."
    )


FAMILY = register_family(
    TaskFamily(
        # a liquid has no one centre (its flow is checked), and a poured one is in two
        # places at once: the centre of what is tracked jumps from the cup to the tank;
        # `objects` is among its own checks, without sizes (a codec thins the stream;
        # `volume` checks how much there is)
        # `visible` looks for it about its centre, in the air mid-pour: `volume` sees it
        # vanish instead
        generic_checks=tuple(
            c for c in NO_PATH_CHECKS if c not in ("continuity", "objects", "visible")
        ),
        name="pour",
        version=1,
        # v4: a pixel that keeps a tint of the liquid's hue counts by its lightness (a codec)
        # v3: a styled liquid told by hue first; edges like it stay edges
        verifier_version=4,
        capability="fluids",
        law="liquid poured from a tilting cup falls under gravity into a tank below, keeps"
        " its volume, stays inside the walls, fills the tank to the true level and settles"
        " level",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("fluids.pour_checks"),
        params=Liquid,
        checks=(
            CheckSpec(
                "cup",
                "the cup's walls at the angle the prompt's turn gives: the best-matching"
                " angle within 8° of it (median of 3 frames running, at its largest), 0"
                " beyond 14°",
            ),
            CheckSpec(
                "objects",
                "nothing appears that is not in the scene, nothing is duplicated, no colour"
                " swap (the shared check, its sizes left to `volume`): pass/fail",
            ),
            CheckSpec(
                "volume",
                "area in the cup and the tank (the liquid's share per pixel) within 12% of"
                " the truth's in 90% of frames, 0 beyond 30%; 0 when under half of it for 2"
                " frames running",
            ),
            CheckSpec(
                "walls",
                "liquid where the truth's never goes (beyond 2.5% of the picture) and not in"
                " the tank ≤ 1% of the truth's area in every frame; 0 beyond 4%",
            ),
            CheckSpec(
                "stream",
                "reaches the tank within 1.5 frames of the truth, 0 beyond 4; the falling"
                " stream's mean x within 3% of the picture of the truth's (median over"
                " frames), 0 beyond 8%",
            ),
            CheckSpec(
                "fill",
                "the shares of the liquid in the tank and in the cup (its share per pixel):"
                " mean difference from the truth's ≤ 8%, 0 beyond 20%; the tank's level at"
                " the end within 10% of the truth's, 0 beyond 25%",
            ),
            CheckSpec(
                "surface",
                "the surface in the tank from when it holds 60% of its final share: tilt"
                " within 1.2° of the truth's on average (the truth's also as a blur over 2-3"
                " frames shows it), 0 beyond 2°",
            ),
            CheckSpec(
                "pace",
                "the liquid keeps gravity's time against the cup's turn: from the pour's"
                " second half to 4 frames after it, the time shift that best matches its"
                " region with the truth's, less the cup's walls', within 0.5 frames, 0"
                " beyond 1",
            ),
        ),
        simulate=common.simulate_liquid,
        render=common.render_liquid,
        engine="taichi",
    )
)
