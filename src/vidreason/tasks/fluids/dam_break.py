"""`dam-break`: a column of water at one end of a tank collapses, surges across the floor,
splashes on the far wall and sloshes back and forth, settling towards a level surface.

The first frame shows the water standing as a block against the tank's left wall, the
moment the gate holding it is pulled away. Simulated with Taichi's MLS-MPM
(``engines/fluid_mpm.py``) in a tank half a metre across and shown at half real speed
(the collapse spread over enough frames to time it against gravity). Sampled by seed:
the tank's width and the block's width and height (taller and narrower at higher
difficulty), the colour.

The verifier (``verifiers/fluids.py``) reads the water's region by its colour: its area
stays the truth's (nothing lost or made), none of it shows outside the tank, its height
across the tank follows the truth's frame by frame (the collapse and the surge under
gravity), its surface leans as the truth's does while it sloshes and settles towards
level (the sloshing's pace is gravity's), and it ends at the truth's height.

Versions: v1: first version. Verifier v2: in a shaded or textured scene the liquid's
colour is told by its hue and chroma first; a colour of the liquid that is also a mix of
two scene colours is that mix on the scene's seams.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.params.fluids import Liquid
from vidreason.tasks.base import NO_PATH_CHECKS, CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.fluids import common
from vidreason.types import SceneSpec, VideoFormat

SLOW_MOTION = 2.0  # the collapse spread over enough frames to time it
DAMPING = 1.5  # 1/s: it sloshes through the clip, settling towards level
BLOCK_W = {1: (0.3, 0.4), 2: (0.25, 0.35), 3: (0.2, 0.3)}  # of the tank's inside width
BLOCK_H = {1: (0.3, 0.4), 2: (0.38, 0.48), 3: (0.45, 0.55)}  # of the picture's height


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    w, h = fmt.width, fmt.height
    s = max(w, h)
    th = common.WALL * s
    floor = 0.86 * h
    left = 0.14 * w  # walls well inside the picture: a zoomed or cropped video keeps them
    right = rng.uniform(0.76, 0.82) * w  # the inside of the right wall; a ledge beyond it
    top = 0.12 * h
    walls = [
        common.wall(0.0, floor, w, floor + th),  # the floor, out to the picture's edges
        common.wall(left - th, top, left, floor),
        common.wall(right, top, right + th, floor),
    ]
    inside = right - left
    bw = rng.uniform(*BLOCK_W[difficulty]) * inside
    bh = rng.uniform(*BLOCK_H[difficulty]) * h
    blocks = [[left, floor - bh, left + bw, floor]]
    vessels = [[left, top, right, floor]]
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
    )


def prompt(spec: SceneSpec) -> str:
    water = spec.bodies[0]
    return (
        f"Slow-motion video, two times slower than real time. Side view of a tank with dark"
        f" grey walls. A tall block of {water.colour_name} water"
        f" stands against the tank's left wall, held by a gate that is pulled away at the"
        f" start: the water collapses, surges across the floor, splashes against the right"
        f" wall and sloshes back and forth, less and less, settling towards a flat, level"
        f" surface. Nothing"
        f" spills out. Fixed camera, plain light background."
    )


FAMILY = register_family(
    TaskFamily(
        generic_checks=NO_PATH_CHECKS,  # a liquid has no one centre: its flow is checked
        name="dam-break",
        version=1,
        # v3: a pixel that keeps a tint of the liquid's hue counts by its lightness (a codec)
        # v2: each pixel counts by its liquid share; a styled liquid told by hue
        verifier_version=3,
        capability="fluids",
        law="a column of liquid released in a tank collapses and spreads under gravity,"
        " keeps its volume, stays inside the walls, and sloshes and settles towards a level surface",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("fluids.dam_break_checks"),
        params=Liquid,
        checks=(
            CheckSpec(
                "volume",
                "area (each pixel's share of the liquid: a blur's or a codec's blend counts"
                " in part) within 12% of the truth's in 90% of frames; 0 beyond 30%",
            ),
            CheckSpec(
                "walls",
                "liquid outside the tank ≤ 1% of the truth's area in every frame; 0 beyond 4%",
            ),
            CheckSpec(
                "flow",
                "height across the tank: ≤ 12% of the area misplaced, mean of the worst"
                " quarter of frames; 0 beyond 30%",
            ),
            CheckSpec(
                "surface",
                "the surface's tilt follows the truth's: mean difference ≤ 1.2° over the middle"
                " and over the last third of the clip, 0 beyond 2°; at the end its height"
                " within 2% of the frame of the truth's, 0 beyond 5%",
            ),
        ),
        simulate=common.simulate_liquid,
        render=common.render_liquid,
        engine="taichi",
    )
)
