"""`throw-3d`: a ball thrown in an arc across a table lands on it and bounces.

The first frame shows the ball just released above one end of the table; it flies in a
3D arc (straight along the table at difficulty 1, at an angle to the camera at 2 and 3,
with a smaller ball) and lands on the table within the clip, then bounces on. The verifier
fits a ballistic path from the known start to the tracked pixels through the camera and
compares its gravity with the engine's; it also checks the arc is ballistic and where
it comes down.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.params.physics3d import ThrowParams
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import TaskFamily, register_family, verifier
from vidreason.tasks.palette import pick_colours, r4
from vidreason.tasks.physics3d import scene
from vidreason.tasks.physics3d.simulate import render3d, simulate3d
from vidreason.types import SceneSpec, VideoFormat

HALF_LENGTH = 0.8  # the table spans x in [-0.8, 0.8]
RADIUS = {1: 0.075, 2: 0.065, 3: 0.055}
HEADING = {1: (0.0, 0.0), 2: (10.0, 22.0), 3: (20.0, 32.0)}  # degrees off the table's axis
LANDS_AFTER = 1.5  # s of video: a first touch of the table after this is late enough


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    side = 1.0 if rng.random() < 0.5 else -1.0  # +1: thrown to the right
    ((colour_name, colour),) = pick_colours(rng, 1)
    r = RADIUS[difficulty]
    cam = scene.camera(fmt, (0.0, 0.0, scene.TABLE_HEIGHT + 0.4), (0.9, 0.9))
    statics = scene.room(-HALF_LENGTH, HALF_LENGTH)
    g = scene.G
    rest_z = scene.TABLE_HEIGHT + r

    def throw() -> SceneSpec:
        lo, hi = HEADING[difficulty]
        psi = np.radians(rng.uniform(lo, hi)) * rng.choice([-1.0, 1.0])
        reach = rng.uniform(0.6, 1.0)
        rise = rng.uniform(0.25, 0.55)
        drop = rng.uniform(0.1, 0.25)  # release height above the ball resting on the table
        vz = np.sqrt(2 * g * rise)
        flight = (vz + np.sqrt(vz * vz + 2 * g * drop)) / g
        speed = reach / flight
        y0 = rng.uniform(-0.1, 0.1) - 0.5 * reach * np.sin(psi)
        start = (-side * 0.62, y0, rest_z + drop)
        vel = (side * speed * np.cos(psi), speed * np.sin(psi), vz)
        spin = rng.uniform(-1.0, 1.0) * 4.0
        ball = scene.body3d(
            "sphere",
            [r],
            start,
            vel=vel,
            angvel=(0.0, spin, 0.0),
            mass=0.15,
            friction=0.7,
            damping=0.3,
        )
        return scene.make_spec(
            seed,
            index,
            difficulty,
            fmt,
            cam,
            statics,
            {"ball": (colour_name, colour, ball, "ball")},
            params=ThrowParams(land_z=r4(rest_z), rise=r4(rise), reach=r4(reach)),
        )

    def lands_on_table(spec: SceneSpec, sim) -> bool:
        hits = [e.frame for e in sim.events if e.objects == ("ball", "table")]
        rows = sim.trajectory.array("ball")
        x, y, z = rows[:, 5], rows[:, 6], rows[:, 7]
        on = (np.abs(x) < HALF_LENGTH - 0.05) & (np.abs(y) < 0.35)
        n = spec.fmt.n_frames
        # a flight lasts what physics says: in a long clip the landing need not wait for
        # 45% of it (the default clip's 0.45 * 48 frames come before LANDS_AFTER)
        early = min(0.45 * n, LANDS_AFTER * spec.fmt.fps)
        return (
            bool(hits)
            and early < hits[0] < 0.8 * n
            and bool(np.all(z > scene.TABLE_HEIGHT))
            and bool(on[-1])
        )

    return scene.validated(throw, lands_on_table)


def prompt(spec: SceneSpec) -> str:
    ball = spec.bodies[0]
    to = "right" if ball.velocity[0] > 0 else "left"
    return (
        f"Slow-motion video, three times slower than real time: a {ball.colour_name} ball has"
        f" just been tossed from above the {'left' if to == 'right' else 'right'} end of a"
        f" wooden table. It flies in a smooth arc to the {to} over the table, lands on the"
        f" tabletop and bounces. Fixed camera in front of the table, a plain wall behind."
    )


FAMILY = register_family(
    TaskFamily(
        name="throw-3d",
        version=1,
        verifier_version=2,  # v2: the gravity tolerance widened by the fit's own standard error
        capability="physics",
        law="a thrown ball flies on a 3D parabola under g = 9.81 m/s², seen through a perspective camera",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("projective.throw_checks"),
        params=ThrowParams,
        checks=(
            shared.GRAVITY_3D,
            shared.PATH_3D,
            shared.landing_3d("table"),
        ),
        simulate=simulate3d,
        render=render3d,
        engine="mujoco",
    )
)
