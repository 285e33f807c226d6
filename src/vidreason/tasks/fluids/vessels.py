"""`vessels`: two vessels joined at the bottom; water let through the channel between them
flows from the fuller one into the other until both levels are equal.

The first frame shows the water at rest, higher in one vessel than in the other, the
moment the valve in the channel opens. Simulated with Taichi's MLS-MPM
(``engines/fluid_mpm.py``) in real time: the levels swing past each other and settle at
one height. Sampled by seed: the vessels' widths (unequal at higher difficulty, where the
narrower one moves faster), the channel's height, the two starting levels and which side
is fuller, the colour.

The verifier (``verifiers/fluids.py``) reads the water's region by its colour: its area
stays the truth's, none of it shows outside the vessels and the channel, the level in each
vessel follows the truth's over time (the fuller one falls while the other rises, as
fast as gravity drives them), and at the end both surfaces are level at the truth's
common height.

Versions: v1: first version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from vidreason.scene.params.fluids import Liquid
from vidreason.tasks.base import NO_PATH_CHECKS, CheckSpec, TaskFamily, register_family
from vidreason.tasks.fluids import common
from vidreason.types import Check, Instance, SceneSpec, VideoFormat

if TYPE_CHECKING:
    from vidreason.verifiers.tracking import Tracks

WIDTH_RATIO = {1: (1.0, 1.0), 2: (0.65, 0.85), 3: (0.45, 0.65)}  # narrow / wide vessel
CHANNEL = {1: (0.065, 0.075), 2: (0.06, 0.07), 3: (0.055, 0.065)}  # of the picture's height
DAMPING = 3.0  # 1/s: the water flows steadily through the channel, levels closing all clip


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    w, h = fmt.width, fmt.height
    th = common.WALL * max(w, h)
    floor, top = 0.86 * h, 0.14 * h
    left, right = 0.14 * w, 0.86 * w  # well inside the picture: a zoomed video keeps them
    inside = right - left - th  # both vessels, without the middle wall
    ratio = rng.uniform(*WIDTH_RATIO[difficulty])
    narrow_first = bool(rng.integers(2))
    w1 = inside * (ratio if narrow_first else 1.0) / (1.0 + ratio)
    mid = left + w1  # the middle wall's left face
    channel = rng.uniform(*CHANNEL[difficulty]) * h
    walls = [
        common.wall(0.0, floor, w, floor + th),
        common.wall(left - th, top, left, floor),
        common.wall(right, top, right + th, floor),
        common.wall(mid, top, mid + th, floor - channel),
    ]
    high = rng.uniform(0.62, 0.8) * (floor - top)
    low = rng.uniform(0.08, 0.2) * (floor - top)
    full_left = bool(rng.integers(2))
    h1, h2 = (high, low) if full_left else (low, high)
    blocks = [
        [left, floor - h1, mid, floor],
        [mid, floor - channel, mid + th, floor],
        [mid + th, floor - h2, right, floor],
    ]
    vessels = [[left, top, mid, floor], [mid + th, top, right, floor]]
    passages = [[mid, floor - channel, mid + th, floor]]
    return common.make_spec(
        rng, seed, index, difficulty, fmt, walls, blocks, vessels, passages, damping=DAMPING
    )


def prompt(spec: SceneSpec) -> str:
    water = spec.bodies[0]
    v1, v2 = Liquid.of(spec).vessels
    b1, _, b2 = Liquid.of(spec).blocks
    fuller = "left" if b1[1] < b2[1] else "right"
    wider = ""
    if abs((v1[2] - v1[0]) - (v2[2] - v2[0])) > 2:
        wider = f" The {'left' if v1[2] - v1[0] > v2[2] - v2[0] else 'right'} vessel is wider."
    return (
        f"Side view of two vessels with dark grey walls, joined by a channel at the bottom."
        f" {water.colour_name.capitalize()} water stands higher in the {fuller} vessel; the"
        f" valve in the channel opens at the start, the water flows through and the levels"
        f" swing past each other, then settle at one equal, level height.{wider} Nothing"
        f" spills out. Fixed camera, plain light background."
    )


def vessels_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    from vidreason.verifiers import fluids

    return fluids.vessels_checks(tracks, instance)


FAMILY = register_family(
    TaskFamily(
        generic_checks=NO_PATH_CHECKS,  # a liquid has no one centre: its levels are checked
        name="vessels",
        version=1,
        capability="fluids",
        law="liquid in vessels joined at the bottom flows from the higher level to the lower"
        " under gravity, keeps its volume and comes to rest at one level in every vessel",
        sample=sample,
        prompt=prompt,
        law_checks=vessels_checks,
        params=Liquid,
        checks=(
            CheckSpec("volume", "area within 12% of the truth's in 90% of frames; 0 beyond 30%"),
            CheckSpec(
                "walls",
                "liquid outside the vessels and the channel ≤ 1% of the truth's area in every"
                " frame; 0 beyond 4%",
            ),
            CheckSpec(
                "levels",
                "each vessel's level over time: rms difference from the truth's (less 1.5 px)"
                " ≤ 3% of how far the true level moves; 0 beyond 6%",
            ),
            CheckSpec(
                "surface",
                "the surface's tilt follows the truth's: mean difference ≤ 1.5° over the middle"
                " and over the last third of the clip, 0 beyond 2.5°; at the end its height"
                " within 2% of the frame of the truth's, 0 beyond 5%",
            ),
        ),
        simulate=common.simulate_liquid,
        render=common.render_liquid,
        engine="taichi",
    )
)
