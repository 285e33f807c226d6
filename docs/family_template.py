"""`toss`: a ball tossed up rises, stops and falls back under constant gravity.

A copyable family module (docs/adding-a-family.md says what to change). Copy it to
``src/vidreason/tasks/<capability>/<name>.py`` for a built-in family, or into a package of
your own for a plugin; rename ``NAME``, declare the parameters the sampler writes into
``spec.params`` / ``spec.extra`` (``TossParams``), write ``sample`` and ``prompt``, point
``law_checks`` at the verifier function that tests your law and declare what that verifier
returns in ``checks``. ``tests/tasks/test_template.py`` registers this file under a test name and
runs ``vidreason check --static`` on it, so it stays a working family.

The ball is tossed from the lower half of the frame with a little sideways drift; the
toss is sampled so the ball stays in view and is still in the air at the end. The
verifier fits the track with a parabola (``verifiers/kinematics.py``).

Versions (bump ``version`` when the generated files change for the same seed,
``verifier_version`` when the scores change for the same video):
    v1: first version.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidreason.scene.params import Floor
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.palette import BACKGROUND, RADIUS, floor, pick_colours, r4
from vidreason.types import Body, SceneSpec, VideoFormat

NAME = "toss"  # lowercase words joined by '-': the family id is NAME-v<version>
GRAVITY = 3.0  # frame heights per (clip duration)^2


# --- the parameters: every key the sampler writes into spec.params / spec.extra, typed.
# A built-in family puts this class in scene/params/<capability>.py, so that its verifier
# reads it without importing the family (tasks -> scene <- verifiers).


@dataclass(frozen=True)
class TossParams(Floor):  # Floor: floor_y, the floor's top (px)
    """``toss``: a ball tossed up from the lower half of the frame."""

    rise: float
    """Height (px) the ball rises from its start to the top of its arc."""


# --- the scene: drawn from the rng given, nothing else random (same seed, same bytes)


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    """One toss. Identity (name, version, seed, index, difficulty, format) is stamped by
    ``build_instance``; the sampler passes seed, index, difficulty and fmt through."""
    w, h, T = fmt.width, fmt.height, fmt.duration
    g = GRAVITY * h / T**2
    r = RADIUS[difficulty] * h
    floor_y = 0.93 * h
    rise = rng.uniform(0.25, 0.45) * h  # from the start up to the top of the arc
    vy = -np.sqrt(2 * g * rise)
    end = vy * T + 0.5 * g * T**2  # where the ball is at the end, below its start
    lowest = floor_y - 0.02 * h - r - max(end, 0.0)  # still in the air at the end
    y0 = rng.uniform(0.04 * h + rise + r, lowest)  # the top of the arc stays in view
    x0 = rng.uniform(0.3, 0.7) * w
    vx = rng.uniform(-0.15, 0.15) * w / T
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
        params=TossParams(floor_y=r4(floor_y), rise=r4(rise)).to_params(),
    )


def prompt(spec: SceneSpec) -> str:
    """The setup in plain words, naming every body by its colour."""
    ball, p = spec.bodies[0], TossParams.of(spec)
    high = "high" if p.rise > 0.35 * spec.fmt.height else "a little way"
    return (
        f"A {ball.colour_name} ball is tossed {high} up from the middle of the frame. It"
        f" rises, slows down, stops at the top and falls back down under gravity, and is"
        f" still in the air above the ground at the end. Side view, static camera, plain"
        f" light background."
    )


FAMILY = register_family(
    TaskFamily(
        name=NAME,
        version=1,
        capability="physics",
        law="a body tossed up falls back with constant gravity: y = y0 + vy t + g t²/2",
        sample=sample,
        prompt=prompt,
        # the verifier function that tests the law, named (imported when a video is scored)
        law_checks=verifier("kinematics.projectile_checks"),
        params=TossParams,
        checks=(  # exactly the names law_checks returns, with their tolerance in words
            shared.gravity("median local vertical acceleration"),
            CheckSpec(
                "parabola", "rms distance from the best parabola ≤ 0.6% of the frame; 0 beyond 2%"
            ),
        ),
    )
)
