"""`collision`: two balls of known masses collide head-on on a smooth table.

Seen from above (no gravity, no friction). Masses set the radii (uniform density) and
the restitution is sampled; the verifier checks the contact time, the velocities after
the collision and the conservation of momentum.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.params.physics import CollisionParams
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.palette import BACKGROUND, RADIUS, pick_colours, r4
from vidreason.types import Body, SceneSpec, VideoFormat

MASS_RATIO = {1: (0.7, 1.4), 2: (0.35, 2.8), 3: (0.35, 2.8)}


def _after(ma: float, mb: float, ua: float, ub: float, e: float) -> tuple[float, float]:
    p = ma * ua + mb * ub
    return (p - mb * e * (ua - ub)) / (ma + mb), (p + ma * e * (ua - ub)) / (ma + mb)


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    w, h, T = fmt.width, fmt.height, fmt.duration
    r0 = RADIUS[difficulty] * h * 1.15
    for _ in range(10000):
        ma = 1.0
        mb = float(np.exp(rng.uniform(*np.log(MASS_RATIO[difficulty]))))
        ra, rb = r0 * np.sqrt(ma), r0 * np.sqrt(mb)
        e = rng.uniform(0.6, 1.0)
        tc = rng.uniform(0.3, 0.5) * T
        xa = rng.uniform(0.05, 0.2) * w + ra
        ua = rng.uniform(0.3, 0.6) * w / T
        ub = 0.0 if difficulty < 3 else -rng.uniform(0.1, 0.3) * w / T
        xb = xa + (ua - ub) * tc + ra + rb
        va, vb = _after(ma, mb, ua, ub, e)
        ends = (xa + ua * tc + va * (T - tc), xb + ub * tc + vb * (T - tc))
        inside = all(r + 2 < x < w - r - 2 for x, r in zip((xa, xb), (ra, rb), strict=True))
        inside &= all(r + 2 < x < w - r - 2 for x, r in zip(ends, (ra, rb), strict=True))
        apart = ends[1] - ends[0] > ra + rb + 0.03 * w
        if inside and apart and abs(va - vb) > 0.05 * w / T:
            break
    else:  # pragma: no cover
        raise RuntimeError("no valid collision found")
    y = rng.uniform(0.35, 0.65) * h
    (na, ca), (nb, cb) = pick_colours(rng, 2)
    a = Body("a", na, ca, r4(ra), r4(ma), (r4(xa), r4(y)), (r4(ua), 0.0), elasticity=r4(e))
    b = Body("b", nb, cb, r4(rb), r4(mb), (r4(xb), r4(y)), (r4(ub), 0.0), elasticity=1.0)
    return SceneSpec(
        seed=seed,
        index=index,
        difficulty=difficulty,
        fmt=fmt,
        gravity=0.0,
        bodies=(a, b),
        background=BACKGROUND,
        params=CollisionParams(restitution=r4(e), mass_ratio=r4(mb / ma)).to_params(),
    )


def prompt(spec: SceneSpec) -> str:
    a, b = spec.bodies
    heavier = "heavier" if b.mass > a.mass else "lighter"
    motion = "resting" if b.velocity[0] == 0 else "rolling towards it"
    return (
        f"Seen from above on a smooth table, a {a.colour_name} ball slides to the right and"
        f" collides head-on with a {heavier} {b.colour_name} ball {motion}. The two balls"
        f" bounce apart along the same line, exchanging momentum. Static camera, top view."
    )


FAMILY = register_family(
    TaskFamily(
        name="collision",
        version=1,
        capability="physics",
        law="momentum is conserved in a collision (m_a v_a + m_b v_b before = after) with the given restitution",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("collisions.collision_checks"),
        params=CollisionParams,
        checks=(
            shared.CONTACT_TIME,
            CheckSpec(
                "velocities",
                "each velocity after the collision within 10% of the approach speed of the truth's;"
                " 0 beyond 30%",
            ),
            shared.MOMENTUM,
        ),
    )
)
