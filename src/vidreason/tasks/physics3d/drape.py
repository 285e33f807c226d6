"""`drape-3d`: a square cloth dropped flat onto a box or a ball on the floor drapes over it.

The first frame shows the cloth held flat above the support (a grey box, or a grey ball
at difficulty 3), its centre a little off the support's. It falls freely until it touches
the support's top, folds over it and comes to rest hanging down its sides, never through
it. Simulated with MuJoCo's flex (a 13 x 13 grid of vertices, ``engines/mujoco_flex.py``),
three times slower than real time. Sampled by seed: the support's size and shape, the
cloth's size, colour, drop height and offset.

The verifier (``verifiers/soft.py``) reads the cloth's silhouette: its free fall gives
gravity through the camera, it lands when the simulator says, its top never sinks into
the support, its path and its draped shape at the end are the simulator's.

Versions: v1: first version. v2: the truth's silhouette in the trajectory is the union of
the projected mesh's triangles (v1 filled them as one polygon set, which left holes where
they overlap on screen: a cloth's folds, its area read up to 0.8 of the video's). v3: the
cloth stepped at most 5.5 ms of simulated time a step (``mujoco_flex.TIMESTEP``; v2: 2 ms),
4 steps a frame instead of 11, a run in half the time; the silhouettes of v2's scenes
within 1-4 px of v2's, their contacts at the same frames.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.params.physics3d import DrapeParams
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import NO_PATH_CHECKS, CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.palette import pick_colours, r4
from vidreason.tasks.physics3d import soft
from vidreason.tasks.physics3d.scene import static
from vidreason.types import SceneSpec, VideoFormat

SLOW_MOTION = 3.0
GRID = 13  # vertices along each side of the cloth
SUPPORTS = {1: ("box",), 2: ("box", "sphere"), 3: ("sphere",)}


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    ((colour_name, colour),) = pick_colours(rng, 1)
    kinds = SUPPORTS[difficulty]
    kind = kinds[int(rng.integers(len(kinds)))]

    def drape() -> SceneSpec:
        if kind == "box":
            s, hz = rng.uniform(0.12, 0.18), rng.uniform(0.12, 0.22)
            top = 2 * hz
            support = static("support", "box", (0, 0, hz), (s, s, hz), soft.SUPPORT, 0.8)
            half = rng.uniform(s + 0.08, s + 0.15)
        else:
            s = rng.uniform(0.13, 0.2)
            top = 2 * s
            support = static("support", "sphere", (0, 0, s), (s,), soft.SUPPORT, 0.8)
            half = rng.uniform(s + 0.06, s + 0.12)
        drop = rng.uniform(0.55, 0.75)
        x0, y0 = rng.uniform(-0.05, 0.05), rng.uniform(-0.04, 0.04)
        z0 = top + drop
        cam = soft.camera(fmt, (0.0, 0.0, 0.55), 0.72)
        flex = {
            "name": "cloth",
            "kind": "cloth",
            "count": [GRID, GRID, 1],
            "spacing": [r4(2 * half / (GRID - 1))] * 2 + [0.05],
            "pos": [r4(x0), r4(y0), r4(z0)],
            "mass": r4(rng.uniform(0.1, 0.2)),
            "radius": 0.012,
            "damping": 0.002,
            "friction": 0.8,
            "solref": 0.01,
            "settle": 0.01,
        }
        square = ((-1, -1), (1, -1), (1, 1), (-1, 1))
        corners = np.array([[sx * half, sy * half, 0.0] for sx, sy in square])
        area = soft.projected_area(cam, corners + np.array([x0, y0, z0]))
        return soft.make_spec(
            seed,
            index,
            difficulty,
            fmt,
            cam,
            [*soft.room(), support],
            flex,
            (colour_name, colour, "cloth"),
            (x0, y0, z0),
            area,
            SLOW_MOTION,
            DrapeParams(
                x0=r4(x0), y0=r4(y0), z0=r4(z0), contact_z=r4(top), support=kind, half=r4(half)
            ),
        )

    def drapes(spec: SceneSpec, sim) -> bool:
        n = spec.fmt.n_frames
        hits = [e.frame for e in sim.events if e.objects == ("cloth", "support")]
        rows = sim.trajectory.array("cloth")
        top = DrapeParams.of(spec).contact_z
        still = np.abs(np.diff(rows[-5:, :2], axis=0)).max() < 0.6
        return bool(hits) and 14 <= hits[0] < 0.45 * n and bool(still) and rows[-1, 7] > 0.45 * top

    return soft.validated(drape, drapes)


def prompt(spec: SceneSpec) -> str:
    cloth = spec.bodies[0]
    p = DrapeParams.of(spec)
    what = "grey box" if p.support == "box" else "grey ball"
    return (
        f"Slow-motion video, three times slower than real time: a square {cloth.colour_name}"
        f" cloth is held flat and level above a {what} standing on the floor, then let go."
        f" It falls straight down, lands on top of the {what.split()[1]}, folds over it and"
        f" settles draped over it, its sides hanging down, without passing through it."
        f" Fixed camera in front of and above the scene, a plain wall behind."
    )


FAMILY = register_family(
    TaskFamily(
        generic_checks=NO_PATH_CHECKS,  # a cloth's outline: the law's own centroid check
        name="drape-3d",
        version=3,
        verifier_version=2,  # v2: the gravity tolerance widened by the fit's own standard error
        capability="physics",
        law="a dropped cloth falls with g = 9.81 m/s² until it touches the support, then drapes"
        " over it without passing through it",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("soft.drape_checks"),
        params=DrapeParams,
        checks=(
            shared.gravity(
                "fit to the cloth's fall through the camera, before it touches", widened=True
            ),
            shared.SOFT_LANDING,
            shared.SOFT_CENTROID,
            CheckSpec(
                "support",
                "the cloth's top never sinks more than 3% of the frame below the truth's once"
                " it lands; 0 beyond 8%",
            ),
            CheckSpec(
                "drape",
                "the silhouette's extent over the last frames within 2.5% of the frame of the"
                " simulator's, 0 beyond 6%; its area within 15% of the simulator's, 0 beyond 40%",
            ),
        ),
        simulate=soft.simulate_soft,
        render=soft.render_soft,
        engine="mujoco",
    )
)
