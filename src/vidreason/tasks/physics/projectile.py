"""`projectile`: a ball thrown under gravity flies on a parabola.

The throw is sampled so the ball stays in view for the whole clip and never lands; the
verifier fits the track with a parabola and compares its curvature with the gravity the
engine used.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.params.physics import ProjectileParams
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.palette import BACKGROUND, RADIUS, floor, pick_colours, r4
from vidreason.types import Body, SceneSpec, VideoFormat

GRAVITY = 3.6  # frame heights per (clip duration)^2


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    w, h, T = fmt.width, fmt.height, fmt.duration
    g = GRAVITY * h / T**2
    r = RADIUS[difficulty] * h
    floor_y = 0.93 * h
    for _ in range(1000):
        rise = rng.uniform(0.3, 0.55) * h
        y0 = rng.uniform(0.5, 0.78) * h
        vy = -np.sqrt(2 * g * rise)
        y_end = y0 + vy * T + 0.5 * g * T**2
        if y0 - rise - r > 0.04 * h and y_end + r < floor_y - 0.02 * h:
            break
    else:  # pragma: no cover - the ranges above always admit a throw
        raise RuntimeError("no valid throw found")
    x0 = rng.uniform(0.07, 0.2) * w
    x_end = rng.uniform(0.72, 0.9) * w
    vx = (x_end - x0) / T
    if rng.random() < 0.5:
        x0, vx = w - x0, -vx
    ((colour_name, colour),) = pick_colours(rng, 1)
    ball = Body(
        name="ball",
        colour_name=colour_name,
        colour=colour,
        radius=r4(r),
        mass=1.0,
        position=(r4(x0), r4(y0)),
        velocity=(r4(vx), r4(vy)),
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
        params=ProjectileParams(floor_y=r4(floor_y)).to_params(),
    )


def prompt(spec: SceneSpec) -> str:
    ball = spec.bodies[0]
    side, to = ("left", "right") if ball.velocity[0] > 0 else ("right", "left")
    return (
        f"A {ball.colour_name} ball is thrown up and to the {to} from the {side} side of the"
        f" frame. It flies through the air in a smooth arc under gravity, rising, slowing at the"
        f" top and falling again, and is still in the air above the ground at the end."
        f" Side view, static camera, plain light background."
    )


FAMILY = register_family(
    TaskFamily(
        name="projectile",
        version=1,
        capability="physics",
        law="a thrown body falls with constant gravity: its path is a parabola (y = y0 + vy t + g t²/2)",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("kinematics.projectile_checks"),
        params=ProjectileParams,
        checks=(
            shared.gravity("median local vertical acceleration"),
            CheckSpec(
                "parabola", "rms distance from the best parabola ≤ 0.6% of the frame; 0 beyond 2%"
            ),
        ),
    )
)
