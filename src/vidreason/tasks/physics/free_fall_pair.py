"""`free-fall-pair`: a heavy ball and a light one, released together, land together.

Both balls start at rest (at difficulty 3 one of them is thrown sideways) with their
bottoms level, so each falls the same height. With no air drag their masses do not
matter: both fall with the same g and reach the floor at the same instant. Difficulty 1
pairs a big heavy ball with a small light one, 2 a small heavy ball with a big light one,
3 a dropped ball with one thrown horizontally. The landing comes in the last third of
the clip, so a video that stops or freezes early cannot pass.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.params.physics import FreeFallPairParams
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.palette import BACKGROUND, floor, pick_colours, r4
from vidreason.types import Body, SceneSpec, VideoFormat

MASS_RATIO = {1: (3.0, 8.0), 2: (5.0, 20.0), 3: (3.0, 8.0)}


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    w, h, T = fmt.width, fmt.height, fmt.duration
    m = min(w, h)
    floor_y = 0.9 * h
    ratio = float(np.exp(rng.uniform(*np.log(MASS_RATIO[difficulty]))))
    r_light = 0.055 * m
    if difficulty == 2:  # the light ball is the bigger one
        r_heavy = r_light
        r_light = r_heavy * rng.uniform(1.4, 1.8)
    else:
        r_heavy = r_light * np.sqrt(ratio)
        r_heavy = min(r_heavy, 0.12 * m)
    t_land = rng.uniform(0.72, 0.85) * T  # late, so a video that stops early cannot pass
    highest = 0.04 * h + 2 * max(r_heavy, r_light)  # the bottoms' highest start in view
    drop = rng.uniform(0.75, 0.95) * (floor_y - highest)
    g = 2 * drop / t_land**2
    bottom0 = floor_y - drop
    heavy_left = bool(rng.random() < 0.5)
    xs = [0.3 * w, 0.7 * w] if heavy_left else [0.7 * w, 0.3 * w]
    vx = {"heavy": 0.0, "light": 0.0}
    if difficulty == 3:  # one is thrown from near one side towards the other ball
        thrown = "heavy" if rng.random() < 0.5 else "light"
        i = 0 if thrown == "heavy" else 1
        sign = 1.0 if xs[i] < 0.5 * w else -1.0
        xs = [0.0, 0.0]
        xs[i] = 0.5 * w - sign * 0.35 * w
        xs[1 - i] = 0.5 * w + sign * 0.3 * w
        vx[thrown] = sign * rng.uniform(0.12, 0.2) * w / t_land
    (n_heavy, c_heavy), (n_light, c_light) = pick_colours(rng, 2)
    heavy = Body(
        name="heavy",
        colour_name=n_heavy,
        colour=c_heavy,
        radius=r4(r_heavy),
        mass=r4(ratio),
        position=(r4(xs[0]), r4(bottom0 - r_heavy)),
        velocity=(r4(vx["heavy"]), 0.0),
        elasticity=0.0,
        friction=0.6,
        noun="iron ball",
    )
    light = Body(
        name="light",
        colour_name=n_light,
        colour=c_light,
        radius=r4(r_light),
        mass=1.0,
        position=(r4(xs[1]), r4(bottom0 - r_light)),
        velocity=(r4(vx["light"]), 0.0),
        elasticity=0.0,
        friction=0.6,
        noun="plastic ball",
    )
    return SceneSpec(
        seed=seed,
        index=index,
        difficulty=difficulty,
        fmt=fmt,
        gravity=r4(g),
        bodies=(heavy, light),
        walls=(floor(fmt, floor_y, elasticity=0.0, friction=0.6),),
        background=BACKGROUND,
        params=FreeFallPairParams(
            floor_y=r4(floor_y), mass_ratio=r4(ratio), drop=r4(drop)
        ).to_params(),
    )


def prompt(spec: SceneSpec) -> str:
    heavy, light = spec.bodies
    big, small = ("big", "small") if heavy.radius > light.radius else ("small", "big")
    ratio = FreeFallPairParams.of(spec).mass_ratio
    thrown = [b for b in (heavy, light) if b.velocity[0] != 0]
    if thrown:
        other = light if thrown[0] is heavy else heavy
        how = (
            f"The {thrown[0].colour_name} ball is thrown sideways as the {other.colour_name}"
            " one is let go."
        )
    else:
        how = "Both are let go from rest at the same instant."
    return (
        f"A {big} {heavy.colour_name} iron ball and a {small} {light.colour_name} plastic ball,"
        f" {ratio:.0f} times lighter, are held at the same height above the dark floor, their"
        f" bottoms level. {how} They fall freely (no air resistance) and land on the floor"
        f" without bouncing. Side view, static camera, plain light background."
    )


FAMILY = register_family(
    TaskFamily(
        name="free-fall-pair",
        version=1,
        capability="physics",
        law="without air drag every body falls with the same acceleration g, whatever its mass: released together from the same height, two balls land together",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("free_fall.free_fall_checks"),
        params=FreeFallPairParams,
        checks=(
            shared.gravity("one parabola through each ball's fall"),
            CheckSpec("landing", "each ball lands within 1 frame of the truth; 0 beyond 3"),
            CheckSpec("together", "the two balls land within 1 frame of each other; 0 beyond 2.5"),
        ),
    )
)
