"""`bounce`: a ball dropped on a floor bounces back with a known restitution.

The drop height and restitution are sampled so the first bounce and the top of the next
arc both fall inside the clip; the verifier measures when the ball reaches the floor and
how high it comes back.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.params.physics import BounceParams
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.palette import BACKGROUND, RADIUS, floor, pick_colours, r4
from vidreason.types import Body, SceneSpec, VideoFormat

GRAVITY = 10.0  # frame heights per (clip duration)^2


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    w, h, T = fmt.width, fmt.height, fmt.duration
    g = GRAVITY * h / T**2
    r = RADIUS[difficulty] * h
    floor_y = 0.9 * h
    drop = rng.uniform(0.45, 0.7) * h
    y0 = floor_y - r - drop
    e = rng.uniform(0.5, 0.85) if difficulty < 3 else rng.uniform(0.35, 0.9)
    x0 = rng.uniform(0.3, 0.7) * w
    vx = 0.0 if difficulty == 1 else rng.uniform(0.05, 0.15) * w / T * rng.choice([-1.0, 1.0])
    ((colour_name, colour),) = pick_colours(rng, 1)
    ball = Body(
        name="ball",
        colour_name=colour_name,
        colour=colour,
        radius=r4(r),
        mass=1.0,
        position=(r4(x0), r4(y0)),
        velocity=(r4(vx), 0.0),
        elasticity=r4(e),
    )
    return SceneSpec(
        seed=seed,
        index=index,
        difficulty=difficulty,
        fmt=fmt,
        gravity=r4(g),
        bodies=(ball,),
        walls=(floor(fmt, floor_y),),
        background=BACKGROUND,
        params=BounceParams(floor_y=r4(floor_y), restitution=r4(e)).to_params(),
    )


def prompt(spec: SceneSpec) -> str:
    ball = spec.bodies[0]
    e = BounceParams.of(spec).restitution
    bounciness = "very bouncy" if e > 0.75 else "bouncy" if e > 0.55 else "slightly bouncy"
    drift = "" if ball.velocity[0] == 0 else " drifting slowly sideways,"
    return (
        f"A {bounciness} {ball.colour_name} rubber ball is dropped from rest,{drift} falls under"
        f" gravity onto the dark floor and bounces back up, each bounce lower than the last."
        f" Side view, static camera, plain light background."
    )


FAMILY = register_family(
    TaskFamily(
        name="bounce",
        version=1,
        capability="physics",
        law="a bouncing ball returns to e² of its drop height (restitution e) after falling under gravity",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("kinematics.bounce_checks"),
        params=BounceParams,
        checks=(
            shared.gravity("the fall before the first bounce, median local acceleration"),
            shared.CONTACT_TIME,
            CheckSpec(
                "restitution", "apex-ratio restitution within 0.07 of the truth's; 0 beyond 0.2"
            ),
            CheckSpec(
                "bounces",
                "every bounce of the truth over 3% of the frame seen within 2.5 frames: pass/fail",
            ),
            CheckSpec("floor", "sinks ≤ 2% of the frame into the floor; 0 beyond 5%"),
        ),
    )
)
