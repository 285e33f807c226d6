"""`pendulum`: a bob on a rigid rod swings about a fixed pivot.

The bob is released from rest at angle θ0; the rod is a pin joint. Gravity is set from the
rod length so the clip holds one and a half (or, at difficulties 2 and 3, two and a half)
periods, the large-amplitude correction included, so the bob ends on the far side of its
swing. Difficulty 1 swings a little, 2 swings wide, 3 adds air damping (pymunk's space
damping) so each swing is lower than the last. The verifier measures the period, the
timing of each pass under the pivot, the height of each swing and the rod's length.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.params.physics import PendulumParams
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.palette import BACKGROUND, FLOOR, RADIUS, pick_colours, r4
from vidreason.tasks.wording import article
from vidreason.types import Body, Joint, SceneSpec, VideoFormat, Wall

AMPLITUDE_DEG = {1: (15.0, 30.0), 2: (25.0, 50.0), 3: (25.0, 45.0)}
PERIODS = {1: (1.5,), 2: (1.5, 2.5), 3: (1.5, 2.5)}  # periods in the clip (± 0.08)
DAMPING = (0.4, 0.7)  # fraction of velocity kept per second, difficulty 3


def period_factor(theta0: float) -> float:
    """Period at amplitude ``theta0`` over the small-angle period 2π√(L/g)."""
    return 1.0 + theta0**2 / 16.0 + 11.0 * theta0**4 / 3072.0


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    w, h, T = fmt.width, fmt.height, fmt.duration
    m = min(w, h)
    r = RADIUS[difficulty] * h * 1.2
    pivot = (0.5 * w + rng.uniform(-0.03, 0.03) * w, 0.12 * h)
    theta0 = np.radians(rng.uniform(*AMPLITUDE_DEG[difficulty]))
    longest = min(0.62 * m, (0.45 * w - r) / np.sin(theta0), 0.95 * h - r - pivot[1])
    length = rng.uniform(0.75, 1.0) * longest
    side = float(rng.choice([-1.0, 1.0]))
    n_periods = float(rng.choice(PERIODS[difficulty])) + rng.uniform(-0.08, 0.08)
    period = T / n_periods
    g = length * (2 * np.pi * period_factor(theta0) / period) ** 2
    bob_at = (pivot[0] + side * length * np.sin(theta0), pivot[1] + length * np.cos(theta0))
    ((colour_name, colour),) = pick_colours(rng, 1)
    bob = Body(
        name="bob",
        colour_name=colour_name,
        colour=colour,
        radius=r4(r),
        mass=1.0,
        position=(r4(bob_at[0]), r4(bob_at[1])),
        elasticity=0.0,
        noun="pendulum bob",
    )
    thick = max(4.0, 0.03 * h)
    mount = Wall(
        a=(r4(pivot[0] - 0.08 * m), r4(pivot[1] - thick / 2)),
        b=(r4(pivot[0] + 0.08 * m), r4(pivot[1] - thick / 2)),
        thickness=r4(thick),
        colour=FLOOR,
    )
    damping = r4(rng.uniform(*DAMPING)) if difficulty == 3 else None
    params = PendulumParams(
        length=r4(length), amplitude=r4(theta0), periods=r4(n_periods), damping=damping
    )
    return SceneSpec(
        seed=seed,
        index=index,
        difficulty=difficulty,
        fmt=fmt,
        gravity=r4(g),
        bodies=(bob,),
        walls=(mount,),
        background=BACKGROUND,
        params=params.to_params(),
        joints=(Joint("bob", (r4(pivot[0]), r4(pivot[1])), FLOOR, r4(max(3.0, 0.016 * h))),),
        extra=params.to_extra(),
    )


def prompt(spec: SceneSpec) -> str:
    bob = spec.bodies[0]
    p = PendulumParams.of(spec)
    deg = np.degrees(p.amplitude)
    side = "right" if bob.position[0] > spec.joints[0].anchor[0] else "left"
    wide = "a small" if deg < 30 else "a wide"
    air = (
        " Air resistance slowly takes its energy: each swing is a little lower than the last."
        if p.damping is not None
        else " It keeps swinging to the same height on each side."
    )
    return (
        f"{article(bob.colour_name).capitalize()} pendulum bob hangs from a fixed pivot on a"
        f" thin rigid rod. It is pulled up to the {side} and released from rest, and swings back and forth in"
        f" {wide} arc under gravity, fastest at the bottom and pausing at each end.{air}"
        f" Side view, static camera, plain light background."
    )


FAMILY = register_family(
    TaskFamily(
        name="pendulum",
        version=1,
        capability="physics",
        law="a pendulum swings with period 2π√(L/g) (longer at wide amplitude) on a rod of fixed length; its amplitude is constant, or decays with air damping",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("pendulum.pendulum_checks"),
        params=PendulumParams,
        checks=(
            CheckSpec(
                "rod",
                "distance to the pivot within 2% of the frame of the rod (90th pct); 0 beyond 5%",
            ),
            CheckSpec("period", "within 5% of the truth's; 0 beyond 15%"),
            CheckSpec(
                "swings",
                "as many passes under the pivot as the truth, each within 6% of a period; 0 beyond 15%",
            ),
            CheckSpec("amplitude", "each swing's height within 8% of the truth's; 0 beyond 20%"),
        ),
    )
)
