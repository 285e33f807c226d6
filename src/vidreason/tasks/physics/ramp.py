"""`ramp`: a block slides down an incline with friction.

The incline is a static wall at angle θ; the block's friction coefficient μ is drawn as a
fraction of tan θ (so it always slides) and large enough that removing it changes the
motion by half again. Difficulty 1 starts from rest, 2 gives a push down the slope, 3 a
launch up the slope (the block climbs, stops and slides back: decelerating at
g(sin θ + μ cos θ) on the way up, accelerating at g(sin θ − μ cos θ) on the way down).
Gravity is chosen so the block travels most of the slope in the clip without reaching the
floor; the verifier measures the accelerations along the slope.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.geometry import slope_axes
from vidreason.scene.params.physics import RampParams
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.palette import BACKGROUND, FLOOR, floor, pick_colours, r4
from vidreason.tasks.wording import article
from vidreason.types import Body, SceneSpec, VideoFormat, Wall

ANGLE_DEG = {1: (25.0, 35.0), 2: (20.0, 40.0), 3: (22.0, 35.0)}
FRICTION_OF_TAN = {1: (0.35, 0.6), 2: (0.35, 0.65), 3: (0.3, 0.45)}  # μ / tan θ


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    w, h, T = fmt.width, fmt.height, fmt.duration
    m = min(w, h)
    floor_y = 0.9 * h
    thick = max(4.0, 0.03 * h)
    bw, bh = 0.15 * m, 0.09 * m
    direction = float(rng.choice([-1.0, 1.0]))
    for _ in range(1000):
        theta = np.radians(rng.uniform(*ANGLE_DEG[difficulty]))
        k = rng.uniform(*FRICTION_OF_TAN[difficulty])
        length = min(0.9 * w / np.cos(theta), (floor_y - 0.12 * h) / np.sin(theta))
        s_min = 0.04 * length + 0.5 * bw
        span = length - 0.14 * length - 0.5 * bw - s_min
        a_coef = np.sin(theta) * (1 - k)  # a = g * a_coef on the way down
        if difficulty < 3:
            travel = rng.uniform(0.6, 0.9) * span
            s0 = s_min + rng.uniform(0.0, span - travel)
            push = 0.0 if difficulty == 1 else rng.uniform(0.15, 0.45)
            v0 = push * travel / T
            g = 2 * (1 - push) * travel / (a_coef * T**2)
        else:
            tau = rng.uniform(0.18, 0.28) * T  # time to stop on the way up
            down = rng.uniform(0.7, 0.9) * span
            g = 2 * down / (a_coef * (T - tau) ** 2)
            a_up = g * np.sin(theta) * (1 + k)
            v0 = -a_up * tau
            up = 0.5 * a_up * tau**2
            s0 = s_min + up + rng.uniform(0.0, span - down)
            travel = down - up
        if travel > 0.2 * max(w, h):  # far enough that a still block cannot pass
            break
    else:  # pragma: no cover - the ranges above always admit a slide
        raise RuntimeError("no valid slide found")
    u, n = slope_axes(theta, direction)
    bottom = np.array([0.5 * w + direction * 0.5 * length * np.cos(theta), floor_y])
    top = bottom - length * u
    mu = k * np.tan(theta)
    centre = top + s0 * u + (0.5 * thick + 0.5 * bh) * n
    ((colour_name, colour),) = pick_colours(rng, 1)
    block = Body(
        name="block",
        colour_name=colour_name,
        colour=colour,
        radius=r4(0.5 * bh),
        mass=1.0,
        position=(r4(centre[0]), r4(centre[1])),
        velocity=(r4(v0 * u[0]), r4(v0 * u[1])),
        elasticity=0.0,
        friction=r4(mu),
        shape="box",
        size=(r4(bw), r4(bh)),
        angle=r4(direction * theta),
    )
    incline = Wall(
        a=(r4(top[0]), r4(top[1])),
        b=(r4(bottom[0]), r4(bottom[1])),
        thickness=r4(thick),
        colour=FLOOR,
        elasticity=0.0,
        friction=1.0,
    )
    return SceneSpec(
        seed=seed,
        index=index,
        difficulty=difficulty,
        fmt=fmt,
        gravity=r4(g),
        bodies=(block,),
        walls=(incline, floor(fmt, floor_y, elasticity=0.0, friction=1.0)),
        background=BACKGROUND,
        params=RampParams(
            theta=r4(theta), direction=direction, friction=r4(mu), v0=r4(v0), floor_y=r4(floor_y)
        ).to_params(),
    )


def prompt(spec: SceneSpec) -> str:
    block = spec.bodies[0]
    p = RampParams.of(spec)
    deg = np.degrees(p.theta)
    side, to = ("left", "right") if p.direction > 0 else ("right", "left")
    steep = "steep" if deg > 32 else "gentle" if deg < 26 else "moderate"
    grip = "rough" if p.friction / np.tan(p.theta) > 0.5 else "slightly rough"
    if p.v0 == 0:
        start = "is released from rest near the top and slides down"
    elif p.v0 > 0:
        start = "is given a push down the slope and slides down"
    else:
        start = "is pushed up the slope, slows down, stops for an instant and slides back down"
    return (
        f"{article(block.colour_name).capitalize()} wooden block on a {steep}, {grip} ramp"
        f" that runs down from the {side} to the {to} {start}, speeding up smoothly as gravity pulls it along the"
        f" incline while friction holds it back. It stays on the ramp until the end."
        f" Side view, static camera, plain light background."
    )


FAMILY = register_family(
    TaskFamily(
        name="ramp",
        version=1,
        capability="physics",
        law="a block sliding down an incline accelerates at g(sin θ − μ cos θ) (decelerates at g(sin θ + μ cos θ) going up)",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("ramp.ramp_checks"),
        params=RampParams,
        checks=(
            CheckSpec(
                "slide_up",
                "acceleration along the slope while climbing within 10% of the truth's; 0 beyond 25%",
                when="launched up the slope (difficulty 3)",
            ),
            CheckSpec(
                "slide_down",
                "acceleration along the slope while sliding down within 10% of the truth's;"
                " 0 beyond 25%",
            ),
            CheckSpec(
                "on_slope",
                "off the slope's surface within 2% of the frame of the truth; 0 beyond 5%",
            ),
        ),
    )
)
