"""`blocker`: a solid wall between a thrown ball and a tall block stops the block falling.

A ball is thrown on an arc at a tall, thin block standing on the floor. In one scene of a
counterfactual pair a solid wall stands in between, tall enough to catch the ball: the
ball hits the wall, bounces back and rolls away on its own side, and the block stays
standing. In the other the wall is absent: the ball hits the block above its middle and
knocks it over. The intervention removes the wall, or adds it (a coin flip decides which
scene is the factual one), and the outcome flips. At difficulty 2 and 3 a second block
stands further on, out of the first one's reach, and must not move in either scene; the
ball is smaller and the wall only just tall enough to stop it (at difficulty 3 the ball's
centre passes less than a radius below the wall's top).

Every scene is simulated with and without the wall while it is drawn, and kept only when
the wall stops the ball cleanly, the first block either falls flat or stays untouched,
the second is never touched, nothing
leaves the frame and the ball still rolls in the last third of the clip (so a video that
stops early is caught). The verifier (``verifiers/blocker.py``) checks that the ball
never passes through the wall, that no block moves before its cause reaches it, which
blocks fall and when, and the ball's flight.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from vidreason.scene.blocker import contact_frame, fallen_frame, targets
from vidreason.scene.params.causal import BlockerParams, WallRecord
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.commonsense.scene import (
    RADIUS,
    ball,
    block,
    gravity,
    ground,
    pick_colours,
    scene,
    sky,
    unit,
)
from vidreason.tasks.palette import COLOURS, r4
from vidreason.tasks.wording import article
from vidreason.types import RGB, Body, Instance, Question, SceneSpec, Trajectory, VideoFormat

MARGIN = {1: (1.4, 2.4), 2: (0.8, 1.4), 3: (0.3, 0.8)}  # ball centre below the wall top / r
TARGET_HEIGHT = {1: (0.22, 0.28), 2: (0.18, 0.22), 3: (0.18, 0.22)}  # / unit
TARGET_WIDTH = 0.05  # / unit (frame height; portrait: width)
WALL_X = {1: (0.42, 0.5), 2: (0.36, 0.44), 3: (0.36, 0.44)}  # / frame width
GAP = (1.5, 1.7)  # second block behind the first, out of its reach / block height
MIN_FLIGHT = 0.75  # s of flight before the ball reaches the wall
TARGET_MASS = 3.0
TARGET_FRICTION = 0.4
TARGET_ELASTICITY = 0.1
LATE_MOTION = 0.03  # the ball moves this fraction of the frame in the last third
EDGE = 0.01  # / frame width: everything stays this far inside the frame
SEPARATION = 0.04  # / unit: the fallen block stays this far from the second one


ON_ITS_OWN = "nothing: it falls on its own"


@dataclasses.dataclass(frozen=True)
class Layout:
    """One drawn scene, the ball thrown from the left (mirrored afterwards if needed)."""

    start: tuple[float, float]
    velocity: tuple[float, float]
    elasticity: float
    wall: tuple[float, float, float]  # centre x, width, height
    targets: tuple[tuple[float, float, float], ...]  # centre x, width, height


def _layout(
    rng: np.random.Generator, fmt: VideoFormat, difficulty: int, r: float, floor_y: float
) -> Layout | None:
    w, h, T = fmt.width, unit(fmt), fmt.duration
    g = gravity(fmt, h)
    tw = TARGET_WIDTH * h
    th = rng.uniform(*TARGET_HEIGHT[difficulty]) * h
    if difficulty == 1:
        xs = [rng.uniform(0.62, 0.66) * w]
    else:
        x1 = rng.uniform(0.53, 0.57) * w
        xs = [x1, x1 + rng.uniform(*GAP) * th]
    x0 = rng.uniform(0.03, 0.07) * w + r
    y0 = sky(fmt) + rng.uniform(0.35, 0.6) * h
    tc = rng.uniform(0.4, 0.6) * T
    y_hit = floor_y - rng.uniform(0.7, 0.9) * th
    hit_x = xs[0] - tw / 2 - r
    vx = (hit_x - x0) / tc
    vy = (y_hit - y0 - 0.5 * g * tc**2) / tc
    wb = rng.uniform(0.05, 0.08) * w
    xb = rng.uniform(*WALL_X[difficulty]) * w
    tb = (xb - wb / 2 - r - x0) / vx
    yb = y0 + vy * tb + 0.5 * g * tb**2
    top = yb - rng.uniform(*MARGIN[difficulty]) * r
    apex = y0 - vy**2 / (2 * g) if vy < 0 else y0
    far = xb + wb / 2 + r > hit_x - 0.03 * w
    if apex - r < sky(fmt) + 0.05 * h or far or floor_y - top < 2 * r or tb < MIN_FLIGHT:
        return None
    e = rng.uniform(0.4, 0.6)
    return Layout(
        start=(x0, y0),
        velocity=(vx, vy),
        elasticity=e,
        wall=(r4(xb), r4(wb), r4(floor_y - top)),
        targets=tuple((x, tw, th) for x in xs),
    )


Colours = list[tuple[str, RGB]]


def _bodies(
    layout: Layout, colours: Colours, floor_y: float, r: float, with_wall: bool
) -> list[Body]:
    thrown = ball("ball", colours[0], r, layout.start, layout.velocity, layout.elasticity)
    out = [thrown]
    if with_wall:
        xb, wb, hb = layout.wall
        out.append(_wall(colours[1], xb, wb, hb, floor_y))
    for i, (x, tw, th) in enumerate(layout.targets):
        name = "target" if i == 0 else f"target{i + 1}"
        body = block(name, colours[2 + i], (tw, th), (x, floor_y - th / 2))
        out.append(
            dataclasses.replace(
                body, mass=TARGET_MASS, friction=TARGET_FRICTION, elasticity=TARGET_ELASTICITY
            )
        )
    return out


def _wall(colour: tuple[str, RGB], xb: float, wb: float, hb: float, floor_y: float) -> Body:
    return block(
        "blocker",
        colour,
        (wb, hb),
        (xb, floor_y - hb / 2),
        body_type="static",
        elasticity=0.5,
        noun="wall",
    )


def _mirror(body: Body, width: float) -> Body:
    return dataclasses.replace(
        body,
        position=(r4(width - body.position[0]), body.position[1]),
        velocity=(r4(-body.velocity[0]) + 0.0, body.velocity[1]),
    )


def _in_view(spec: SceneSpec, traj: Trajectory) -> bool:
    w, h = spec.fmt.width, spec.fmt.height
    m = EDGE * w
    for b in spec.bodies:
        s = traj.array(b.name)
        if b.shape == "circle":
            xs, ys = s[:, 0], s[:, 1]
            lo_x, hi_x, lo_y = xs - b.radius, xs + b.radius, ys - b.radius
        else:
            c, n = np.abs(np.cos(s[:, 4])), np.abs(np.sin(s[:, 4]))
            ex = (c * b.size[0] + n * b.size[1]) / 2
            ey = (n * b.size[0] + c * b.size[1]) / 2
            lo_x, hi_x, lo_y = s[:, 0] - ex, s[:, 0] + ex, s[:, 1] - ey
        if lo_x.min() < m or hi_x.max() > w - m or lo_y.min() < m or s[:, 1].max() > h:
            return False
    return True


def _late_motion(traj: Trajectory) -> float:
    s = traj.array("ball")
    k = 2 * len(s) // 3
    return float(np.hypot(*(s[-1, :2] - s[k, :2])))


def _final_gap(shown: Instance) -> float:
    """Free space left between the two blocks at the end (inf with one block)."""
    tall = targets(shown.spec)
    if len(tall) < 2:
        return float("inf")
    (x1, _, _, _, angle), (x2, *_) = (shown.trajectory.states[t.name][-1] for t in tall)
    w1, h1 = tall[0].size
    reach = (abs(np.cos(angle)) * w1 + abs(np.sin(angle)) * h1) / 2
    return float(abs(x2 - x1) - reach - tall[1].size[0] / 2)


def simulated(spec: SceneSpec) -> Instance:
    """``spec`` run by the engine, as a bare instance the event detectors read."""
    from vidreason.engines.pymunk_sim import simulate

    sim = simulate(spec)
    return Instance(spec, sim.trajectory, sim.events, "", "causal", "", "", 1, {})


def _clean(shown: Instance) -> bool:
    """The run shows what the scene is meant to show, with clear margins."""
    spec, traj, events, walled = shown.spec, shown.trajectory, shown.events, has_wall(shown.spec)
    if not _in_view(spec, traj) or _late_motion(traj) < LATE_MOTION * spec.fmt.width:
        return False
    first = next((e for e in events if "ball" in e.objects), None)
    if first is None or any(set(e.objects) == {"target", "target2"} for e in events):
        return False
    for i, t in enumerate(targets(spec)):
        states = traj.array(t.name)
        drop = (states[-1, 1] - t.position[1]) / ((t.size[1] - t.size[0]) / 2)
        moved = float(np.hypot(*(states[:, :2] - states[0, :2]).T).max())
        if walled or i > 0:
            if moved > 0.5 or np.abs(states[:, 4]).max() > 0.01:
                return False
        elif drop < 0.85 or abs(states[-1, 4]) > 1.7 or fallen_frame(shown, t.name) is None:
            return False
    if _final_gap(shown) < SEPARATION * unit(spec.fmt):
        return False
    if walled:
        return first.objects == ("ball", "blocker") and not any(
            "ball" in e.objects and any(o.startswith("target") for o in e.objects) for e in events
        )
    return (
        first.objects == ("ball", "target") and contact_frame(shown, "ball", "target") is not None
    )


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    floor_y, floor_wall = ground(fmt)
    r = RADIUS[difficulty] * unit(fmt)
    n_targets = 1 if difficulty == 1 else 2
    colours = pick_colours(rng, 2 + n_targets)
    walled = bool(rng.random() < 0.5)
    flip = bool(rng.random() < 0.5)
    for _ in range(2000):
        layout = _layout(rng, fmt, difficulty, r, floor_y)
        if layout is None:
            continue
        specs = {}
        for with_wall in (True, False):
            bodies = _bodies(layout, colours, floor_y, r, with_wall)
            if flip:
                bodies = [_mirror(b, fmt.width) for b in bodies]
            wall = _wall_record(layout, colours[1], flip, fmt.width)
            params = BlockerParams(floor_y=floor_y, wall=wall)
            specs[with_wall] = scene(
                seed, index, difficulty, fmt, bodies, [floor_wall], params, unit(fmt)
            )
        if all(_clean(simulated(s)) for s in specs.values()):
            return specs[walled]
    raise RuntimeError("no clean blocker scene found")  # pragma: no cover


def _wall_record(layout: Layout, colour: tuple[str, RGB], flip: bool, width: float) -> WallRecord:
    xb, wb, hb = layout.wall
    return WallRecord(
        colour=colour[0], x=r4(width - xb if flip else xb), width=r4(wb), height=r4(hb)
    )


def has_wall(spec: SceneSpec) -> bool:
    return any(b.name == "blocker" for b in spec.bodies)


def intervene(spec: SceneSpec, rng: np.random.Generator) -> tuple[SceneSpec, str]:
    """The wall removed, or added where ``BlockerParams.wall`` puts it."""
    p = BlockerParams.of(spec)
    rec = p.wall
    label = f"{rec.colour} wall"
    if has_wall(spec):
        bodies = tuple(b for b in spec.bodies if b.name != "blocker")
        return dataclasses.replace(spec, bodies=bodies), f"the {label} is removed"
    colour = (rec.colour, COLOURS[rec.colour])
    wall = _wall(colour, rec.x, rec.width, rec.height, p.floor_y)
    bodies = (spec.bodies[0], wall, *spec.bodies[1:])
    return dataclasses.replace(spec, bodies=bodies), f"the {label} is added"


def prompt(spec: SceneSpec) -> str:
    thrown, tall = spec.body("ball"), targets(spec)
    first = tall[0]
    to = "right" if thrown.velocity[0] > 0 else "left"
    text = (
        f"{article(thrown.label).capitalize()} is thrown to the {to} towards a tall, thin"
        f" {first.colour_name} block standing on the floor."
    )
    if len(tall) > 1:
        text += (
            f" A second tall, thin block, {article(tall[1].label)}, stands further on, more than a"
            f" block's height behind it."
        )
    if has_wall(spec):
        wall = spec.body("blocker")
        text += (
            f" A solid {wall.colour_name} wall, tall enough to stop the ball, stands on the floor"
            f" between the ball and the {first.label}. The ball hits the wall, bounces back"
            f" off it without passing through and rolls away on its own side; the wall does"
            f" not move and every block stays standing, untouched."
        )
    else:
        text += (
            f" Nothing stands in the way: the ball hits the {first.label} above its middle"
            f" and knocks it over, away from the ball, and the ball bounces back and rolls"
            f" away."
        )
        if len(tall) > 1:
            text += f" The {tall[1].label} is out of reach and stays standing."
    return f"{text} Side view, static camera, plain light background."


def _fallen_labels(instance: Instance) -> list[str]:
    return sorted(
        t.label for t in targets(instance.spec) if fallen_frame(instance, t.name) is not None
    )


def questions(instance: Instance) -> list[Question]:
    spec = instance.spec
    thrown, tall = spec.body("ball"), targets(spec)
    fallen = _fallen_labels(instance)
    first = tall[0]
    hit = contact_frame(instance, "ball", first.name)
    qs = [
        Question("descriptive", "How many blocks fall over?", str(len(fallen))),
        Question(
            "descriptive",
            f"Does the {thrown.label} touch the {first.label}?",
            "yes" if hit is not None else "no",
            ("yes", "no"),
        ),
    ]
    if fallen:
        causes = [thrown.label, *(t.label for t in tall if t is not first), ON_ITS_OWN]
        qs.append(
            Question(
                "explanatory",
                f"What makes the {first.label} fall over?",
                thrown.label,
                tuple(sorted(causes)),
            )
        )
    if has_wall(spec):
        wall = spec.body("blocker")
        choices = tuple(sorted([wall.label, *(t.label for t in tall)]))
        qs.append(Question("explanatory", f"What stops the {thrown.label}?", wall.label, choices))
    first_touch = min(e.frame for e in instance.events if "ball" in e.objects)
    qs.append(
        Question(
            "predictive",
            f"Will the {first.label} fall over?",
            "yes" if first.label in fallen else "no",
            ("yes", "no"),
            until_frame=max(1, first_touch - 4),
        )
    )
    other = simulated(intervene(spec, np.random.default_rng(0))[0])
    falls = fallen_frame(other, first.name) is not None
    if has_wall(spec):
        q = f"If the {spec.body('blocker').label} were removed, would the {first.label} fall over?"
    else:
        colour = BlockerParams.of(spec).wall.colour
        q = (
            f"If a solid {colour} wall stood between the {thrown.label} and the {first.label},"
            f" would the {first.label} fall over?"
        )
    qs.append(Question("counterfactual", q, "yes" if falls else "no", ("yes", "no")))
    return qs


FAMILY = register_family(
    TaskFamily(
        name="blocker",
        version=1,
        capability="causal",
        law="a solid wall between a thrown ball and a block stops the ball, so the block"
        " stays standing; without the wall the ball knocks the block over",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("blocker.blocker_checks"),
        params=BlockerParams,
        checks=(
            CheckSpec(
                "solid",
                "the ball never passes through the wall and overlaps it ≤ 2% of the frame;"
                " 0 beyond 5%",
            ),
            CheckSpec(
                "cause", "no block moves > 1.5 frames before its cause reaches it: pass/fail"
            ),
            CheckSpec(
                "falls",
                "each block falls within 2.5 frames of the truth, or stands as it does; 0 beyond 5",
            ),
            CheckSpec(
                "contact",
                "the ball reaches the wall or first block within 2.5 frames of the truth; 0 beyond 5",
            ),
            shared.gravity("the ball's flight until its first contact, median local acceleration"),
            CheckSpec(
                "rolls",
                "travel in the last third within 35% (or 1% of the frame) of the truth's;"
                " 0 at twice that",
            ),
        ),
        outcome=verifier("blocker.blocker_outcome"),
        truth_outcome=verifier("blocker.expected_outcome"),
        intervene=intervene,
        questions=questions,
    )
)
