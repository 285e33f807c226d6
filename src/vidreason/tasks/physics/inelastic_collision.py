"""`inelastic-collision`: two balls of soft clay collide head-on and move on as one.

Seen from above (no gravity, no friction), restitution 0: after contact both balls move
at the common velocity (m_a u_a + m_b u_b) / (m_a + m_b) and stay touching. Masses set
the radii (uniform density). Difficulty 1: similar masses, the second ball at rest; 2: a
wide mass ratio; 3: both moving, head-on or one catching up with the other. The pair
always moves on at a quarter of the closing speed or more, so a pair that stops is wrong.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.params.physics import InelasticParams
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.palette import BACKGROUND, RADIUS, pick_colours, r4
from vidreason.tasks.wording import article
from vidreason.types import Body, SceneSpec, VideoFormat

MASS_RATIO = {1: (0.6, 1.6), 2: (0.3, 3.0), 3: (0.3, 3.0)}


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    w, h, T = fmt.width, fmt.height, fmt.duration
    size = max(w, h)
    r0 = RADIUS[difficulty] * min(w, h) * 1.15
    for _ in range(10000):
        ma = 1.0
        mb = float(np.exp(rng.uniform(*np.log(MASS_RATIO[difficulty]))))
        ra, rb = r0 * np.sqrt(ma), r0 * np.sqrt(mb)
        tc = rng.uniform(0.3, 0.5) * T
        xa = rng.uniform(0.04, 0.2) * w + ra
        ua = rng.uniform(0.3, 0.65) * w / T
        ub = 0.0
        if difficulty == 3:
            ub = ua * (rng.uniform(-0.8, -0.2) if rng.random() < 0.5 else rng.uniform(0.2, 0.5))
        xb = xa + (ua - ub) * tc + ra + rb
        v = (ma * ua + mb * ub) / (ma + mb)
        ends = (xa + ua * tc + v * (T - tc), xb + ub * tc + v * (T - tc))
        starts = (xa, xb)
        inside = all(
            r + 2 < x < w - r - 2
            for xs in (starts, ends)
            for x, r in zip(xs, (ra, rb), strict=True)
        )
        moved = max(abs(e - s) for e, s in zip(ends, starts, strict=True))
        # the pair moves on visibly (so stopping dead later is caught)
        if inside and moved > 0.25 * size and abs(v) > 0.25 * abs(ua - ub):
            break
    else:  # pragma: no cover
        raise RuntimeError("no valid collision found")
    y = rng.uniform(0.35, 0.65) * h
    if rng.random() < 0.5:  # mirror: a comes from the right
        xa, xb, ua, ub, v = w - xa, w - xb, -ua, -ub, -v
    (na, ca), (nb, cb) = pick_colours(rng, 2)
    a = Body("a", na, ca, r4(ra), r4(ma), (r4(xa), r4(y)), (r4(ua), 0.0), 0.0, noun="clay ball")
    b = Body("b", nb, cb, r4(rb), r4(mb), (r4(xb), r4(y)), (r4(ub), 0.0), 0.0, noun="clay ball")
    return SceneSpec(
        seed=seed,
        index=index,
        difficulty=difficulty,
        fmt=fmt,
        gravity=0.0,
        bodies=(a, b),
        background=BACKGROUND,
        params=InelasticParams(mass_ratio=r4(mb / ma), common_velocity=r4(v)).to_params(),
    )


def prompt(spec: SceneSpec) -> str:
    a, b = spec.bodies
    heavier = "heavier" if b.mass > a.mass else "lighter"
    to = "right" if a.velocity[0] > 0 else "left"
    if b.velocity[0] == 0:
        hit = f"hits {article(heavier)} {b.colour_name} clay ball resting in its path head-on"
    elif b.velocity[0] * a.velocity[0] < 0:
        hit = f"hits {article(heavier)} {b.colour_name} clay ball sliding towards it head-on"
    else:
        hit = (
            f"catches up from behind with {article(heavier)} {b.colour_name} clay ball sliding"
            " more slowly the same way"
        )
    return (
        f"Seen from above on a smooth table, a soft {a.colour_name} clay ball slides to the"
        f" {to} and {hit}. The clay balls stick together on impact and move on as one, at"
        f" the speed that conserves their momentum. Static camera, top view."
    )


FAMILY = register_family(
    TaskFamily(
        name="inelastic-collision",
        version=1,
        capability="physics",
        law="in a perfectly inelastic collision the bodies move on together at the common velocity (m_a u_a + m_b u_b) / (m_a + m_b): momentum is conserved",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("inelastic.inelastic_checks"),
        params=InelasticParams,
        checks=(
            shared.CONTACT_TIME,
            CheckSpec(
                "together", "gap after contact within 2% of the frame of the truth's; 0 beyond 5%"
            ),
            CheckSpec(
                "common_velocity",
                "each ball, in each half of the time after contact, at the common velocity within 10%"
                " of the approach speed; 0 beyond 30%",
            ),
            shared.MOMENTUM,
        ),
    )
)
