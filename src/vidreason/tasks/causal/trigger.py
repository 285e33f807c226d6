"""`trigger`: a rolling ball presses a switch, which opens a hatch and lets a second ball fall.

A ball (the striker) rolls along the floor towards a switch standing on the floor. High on
the other side of the switch, a second ball rests on a hatch that sticks out from a dark
shelf. The moment the striker reaches the switch, the hatch slides back into the shelf
and the second ball falls to the floor. The scene is simulated twice: once to find when
the striker reaches the switch, then with the hatch's slide starting at that moment, so
the effect can never come before its cause. Difficulty shrinks the balls and leaves
tighter margins (a later press, a slower slide).

Counterfactual pairs: the intervention either puts a dark post on the floor in the
striker's way, or rolls the striker so slowly that it cannot reach the switch before the
clip ends; in both the hatch never opens and the second ball stays where it is. The
outcome is ``{"switch_pressed": bool, "released": bool}``. The law checks live in
``verifiers/trigger.py``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from vidreason.engines.pymunk_sim import simulate as run_engine
from vidreason.scene.params.causal import TriggerParams
from vidreason.scene.params.world2d import World2D
from vidreason.scene.trigger import MOVED
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.commonsense.scene import (
    ball,
    block,
    board,
    board_thickness,
    fall_time,
    gravity,
    ground,
    pick_colours,
    scene,
    unit,
)
from vidreason.tasks.palette import FLOOR, r4
from vidreason.tasks.wording import article
from vidreason.types import (
    Body,
    Event,
    Instance,
    Question,
    SceneSpec,
    Trajectory,
    VideoFormat,
    Wall,
)

RADIUS = {1: 0.055, 2: 0.045, 3: 0.04}  # ball radius / unit (frame height; portrait: width)
PRESS = {1: (0.2, 0.42), 2: (0.25, 0.46), 3: (0.3, 0.5)}  # press time / clip duration
SLIDE = {1: (0.08, 0.12), 2: (0.1, 0.14), 3: (0.12, 0.16)}  # hatch slide / clip duration
SLOW = 1.3  # a slow striker would reach the switch this many clip durations in
NAMES = ("striker", "ball", "switch", "hatch")


def press_time(events: tuple[Event, ...]) -> float | None:
    """When the striker first touches the switch (None: never)."""
    for e in events:
        if e.objects == ("striker", "switch"):
            return e.time
    return None


def simulate(spec: SceneSpec) -> tuple[Trajectory, tuple[Event, ...]]:
    """Run the scene once to find the press, then again with the hatch sliding from then."""
    first = run_engine(spec)
    t = press_time(first.events)
    if t is None:
        return first.trajectory, first.events
    hatch = spec.body("hatch")
    dx, duration = TriggerParams.of(spec).slide
    x, y = hatch.position
    keys = [[t, x, y], [t + duration, x + dx, y]]
    paths = {**(World2D.of(spec).paths or {}), "hatch": keys}
    second = run_engine(World2D(paths=paths).onto(spec))
    return second.trajectory, second.events


def _release_delay(length: float, dx: float, duration: float) -> float:
    """Seconds from the press until the hatch's free end passes under the ball's centre
    (half the hatch's length along its eased slide of ``dx``)."""
    u = np.linspace(0.0, 1.0, 201)
    eased = u * u * (3.0 - 2.0 * u)
    return float(duration * np.interp(0.5 * length / dx, eased, u))


def _layout(rng: np.random.Generator, difficulty: int, fmt: VideoFormat) -> dict | None:
    """Positions and timings (left to right: striker, switch, hatch and shelf), timed so
    that the ball lands at a chosen moment late in the clip; None if that cannot be."""
    w, h, T = fmt.width, unit(fmt), fmt.duration
    r = RADIUS[difficulty] * h
    floor_y = ground(fmt)[0]
    sw, sh = 0.05 * w, 0.12 * h
    xs = rng.uniform(0.44, 0.52) * w
    x0 = rng.uniform(0.04 * w + r, 0.1 * w + r)
    length = 2 * r + rng.uniform(0.04, 0.07) * w
    dx, duration = length + 0.02 * w, rng.uniform(*SLIDE[difficulty]) * T
    lo = xs + sw / 2 + 0.05 * w + r + length / 2  # the ball falls clear of the switch
    hi = 0.97 * w - dx  # the hatch stays in view when it is open
    if lo > hi:
        return None
    edge = rng.uniform(lo, hi)
    drop = rng.uniform(0.3, 0.42) * h
    fall = fall_time(drop, gravity(fmt, h))
    press = rng.uniform(0.8, 0.88) * T - fall - _release_delay(length, dx, duration)
    if not PRESS[difficulty][0] <= press / T <= PRESS[difficulty][1]:
        return None
    return {
        "r": r,
        "floor_y": floor_y,
        "switch": (xs, floor_y - sh / 2, sw, sh),
        "x0": x0,
        "speed": (xs - sw / 2 - r - x0) / press,
        "edge": edge,
        "length": length,
        "top": floor_y - drop,
        "slide": (dx, duration),
    }


def _build(
    lay: dict, colours: list, flip: bool, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    w = fmt.width

    def fx(x: float) -> float:
        return w - x if flip else x

    sign = -1.0 if flip else 1.0
    r, th, floor_y = lay["r"], board_thickness(fmt, unit(fmt)), lay["floor_y"]
    xs, ys, sw, sh = lay["switch"]
    edge, length, top = lay["edge"], lay["length"], lay["top"]
    _, floor_wall = ground(fmt, elasticity=0.5)
    striker = dataclasses.replace(
        ball("striker", colours[0], r, (fx(lay["x0"]), floor_y - r), (sign * lay["speed"], 0.0)),
        elasticity=0.2,
    )
    xh = edge - length / 2
    bodies = [
        striker,
        ball("ball", colours[1], r, (fx(xh), top - r), elasticity=0.2),
        block("switch", colours[2], (sw, sh), (fx(xs), ys), body_type="static", noun="switch"),
        block("hatch", colours[3], (length, th), (fx(xh), top + th / 2), "kinematic", noun="hatch"),
    ]
    shelf = board(fmt, fx(edge), fx(2 * w), top, length=unit(fmt))
    shelf = dataclasses.replace(shelf, a=min(shelf.a, shelf.b), b=max(shelf.a, shelf.b))
    dx, duration = lay["slide"]
    params = TriggerParams(
        floor_y=floor_y,
        shelf_y=top,
        slide=[r4(sign * dx), r4(duration)],
        cause="rolls",
        side="left" if flip else "right",
    )
    return scene(seed, index, difficulty, fmt, bodies, [floor_wall, shelf], params, unit(fmt))


def half(body: Body) -> float:
    """Half the body's width."""
    return body.size[0] / 2 if body.shape == "box" else body.radius


def _fits(spec: SceneSpec) -> bool:
    """The press releases the ball, which lands late enough to be seen falling and early
    enough to come to rest on the floor; nothing else touches it; all stays in view."""
    traj, events = simulate(spec)
    n = spec.fmt.n_frames
    b = traj.array("ball")
    floor_y, r = TriggerParams.of(spec).floor_y, spec.body("ball").radius
    landed = np.flatnonzero(b[:, 1] >= floor_y - r - 1.0)
    if press_time(events) is None or len(landed) == 0:
        return False
    touched = {p for e in events if "ball" in e.objects for p in e.objects}
    in_view = all(
        half(body) < x < spec.fmt.width - half(body)
        for body in spec.bodies
        for x, *_ in traj.states[body.name]
    )
    alone = touched <= {"ball", "hatch", "wall"}
    return alone and in_view and 0.76 * n < landed[0] < 0.92 * n


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    colours = pick_colours(rng, 4)
    flip = bool(rng.random() < 0.5)
    for _ in range(1000):
        lay = _layout(rng, difficulty, fmt)
        if lay is None:
            continue
        spec = _build(lay, colours, flip, seed, index, difficulty, fmt)
        if _fits(spec):
            return spec
    raise RuntimeError("no trigger scene found")  # pragma: no cover


def intervene(spec: SceneSpec, rng: np.random.Generator) -> tuple[SceneSpec, str]:
    """A post in the striker's way, or a striker too slow to reach the switch in time."""
    striker, switch = spec.body("striker"), spec.body("switch")
    sign = np.sign(switch.position[0] - striker.position[0])
    face = switch.position[0] - sign * (switch.size[0] / 2 + striker.radius)
    reach = abs(face - striker.position[0])  # the striker's run to the switch
    if rng.random() < 0.5:
        speed = reach / (SLOW * spec.fmt.duration)
        slow = dataclasses.replace(striker, velocity=(r4(sign * speed), 0.0))
        bodies = tuple(slow if b.name == "striker" else b for b in spec.bodies)
        changed = TriggerParams.update(dataclasses.replace(spec, bodies=bodies), cause="slow")
        return changed, f"the {striker.label} rolls so slowly that it cannot reach the switch"
    w, h = spec.fmt.width, unit(spec.fmt)
    thick = 0.03 * w
    x = face + sign * (striker.radius + thick / 2 - rng.uniform(0.05, 0.08) * w)
    floor_y = TriggerParams.of(spec).floor_y
    post = Wall(
        a=(r4(x), r4(floor_y)),
        b=(r4(x), r4(floor_y - 0.1 * h)),
        thickness=r4(thick),
        colour=FLOOR,
        elasticity=0.0,
        friction=0.8,
    )
    changed = TriggerParams.update(
        dataclasses.replace(spec, walls=(*spec.walls, post)), cause="post"
    )
    return changed, f"a dark post is put on the floor between the {striker.label} and the switch"


def prompt(spec: SceneSpec) -> str:
    s, b, sw, hatch = (spec.body(n) for n in NAMES)
    p = TriggerParams.of(spec)
    side, away = p.side, "left" if p.side == "right" else "right"
    setup = (
        f"{article(b.label).capitalize()} rests on {article(hatch.label)} that sticks out from a"
        " dark"
        f" shelf high up on the {side}; {article(sw.label)} stands on the floor below and to the"
        f" {away} of it, wired to the hatch: pressing the switch slides the hatch back into"
        f" the shelf."
    )
    cause = p.cause
    if cause == "rolls":
        what = (
            f" {article(s.label).capitalize()} rolls along the floor from the {away} and hits the"
            f" switch. At that moment the hatch slides back into the shelf, and the"
            f" {b.label}, no longer supported, falls straight down to the floor."
        )
    elif cause == "post":
        what = (
            f" A dark post stands on the floor between the switch and {article(s.label)} rolling"
            f" towards it from the {away}. The {s.label} hits the post and stops before it"
            f" reaches the switch, so the hatch never moves and the {b.label} stays on it."
        )
    else:
        what = (
            f" {article(s.label).capitalize()} rolls slowly along the floor towards the switch from"
            f" the {away}, too slowly to reach it before the clip ends, so the hatch never"
            f" moves and the {b.label} stays on it."
        )
    return f"{setup}{what} Side view, static camera, plain light background."


def _moves(traj: Trajectory, name: str) -> bool:
    s = traj.xy(name)
    return bool(np.hypot(*(s - s[0]).T).max() > MOVED)


def _cause_changed(spec: SceneSpec) -> tuple[SceneSpec, str]:
    """The scene with its cause changed, and how to say it: the striker removed, or what
    keeps it from the switch (the post, its slowness) taken away."""
    s = spec.body("striker")
    cause = TriggerParams.of(spec).cause
    if cause == "post":
        return dataclasses.replace(spec, walls=spec.walls[:-1]), "the dark post were removed"
    if cause == "slow":
        fast = dataclasses.replace(s, velocity=(r4(3 * s.velocity[0]), 0.0))
        bodies = tuple(fast if b.name == "striker" else b for b in spec.bodies)
        return dataclasses.replace(spec, bodies=bodies), f"the {s.label} rolled three times as fast"
    alone = tuple(b for b in spec.bodies if b.name != "striker")
    return dataclasses.replace(spec, bodies=alone), f"the {s.label} were removed"


def questions(instance: Instance) -> list[Question]:
    spec, traj = instance.spec, instance.trajectory
    s, b, sw, hatch = (spec.body(n) for n in NAMES)
    fps, n = spec.fmt.fps, spec.fmt.n_frames
    released = _moves(traj, "ball")
    pressed = press_time(instance.events)
    moving = sum(_moves(traj, x.name) for x in spec.bodies if x.shape == "circle")
    yes = {True: "yes", False: "no"}
    out = [
        Question(
            "descriptive", f"Does the {s.label} touch the {sw.label}?", yes[pressed is not None]
        ),
        Question("descriptive", "How many balls move during the video?", str(moving)),
    ]
    if released:
        chain = (s.label, sw.label, hatch.label)
        out.append(
            Question(
                "explanatory",
                f"Which object starts the chain of events that makes the {b.label} fall?",
                s.label,
                chain,
            )
        )
    else:
        reasons = (
            f"the {s.label} is stopped by the post",
            f"the {s.label} is too slow to reach the switch",
            "the hatch is stuck",
        )
        out.append(
            Question(
                "explanatory",
                f"Why does the {b.label} stay on the {hatch.label}?",
                reasons[0] if TriggerParams.of(spec).cause == "post" else reasons[1],
                reasons,
            )
        )
    until = max(2, round(pressed * fps) - 3) if pressed is not None else n // 4
    out.append(
        Question(
            "predictive", f"Will the {b.label} fall to the floor?", yes[released], until_frame=until
        )
    )
    changed, what = _cause_changed(spec)
    traj2, _ = simulate(changed)
    out.append(
        Question(
            "counterfactual", f"If {what}, would the {b.label} fall?", yes[_moves(traj2, "ball")]
        )
    )
    return out


FAMILY = register_family(
    TaskFamily(
        name="trigger",
        version=1,
        capability="causal",
        law="an effect never comes before its cause: the ball falls only once the switch is pressed",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("trigger.trigger_checks"),
        params=TriggerParams,
        checks=(
            CheckSpec("rolls", "the striker within 3% of the frame of its true path; 0 beyond 6%"),
            CheckSpec("press", "the press within 1.5 frames of the truth (or never); 0 beyond 4"),
            CheckSpec(
                "release",
                "the hatch and the ball start within 1.5 frames of the truth (or never); 0 beyond 4",
            ),
            CheckSpec(
                "cause_first", "nothing starts moving > 1 frame before the press; 0 at 3 frames"
            ),
            dataclasses.replace(
                shared.gravity("the ball's free fall, median local acceleration"),
                when="the ball is released",
            ),
            dataclasses.replace(shared.LANDS, when="the ball is released"),
        ),
        simulate=simulate,
        outcome=verifier("trigger.trigger_outcome"),
        truth_outcome=verifier("trigger.expected_outcome"),
        intervene=intervene,
        questions=questions,
    )
)
