"""2D rigid-body simulation of a SceneSpec with pymunk.

Scene coordinates are pixels of the reference frame with y pointing down, so gravity is
``(0, +g)``. The world is stepped at a fixed sub-step (``substeps`` per video frame) and
the state of every body is sampled at each frame; contacts become ``Event``s at the
frame where they begin.
"""

from __future__ import annotations

from dataclasses import dataclass

import pymunk

from vidreason.types import Body, Event, SceneSpec, Trajectory

WALL = "wall"


@dataclass(frozen=True)
class Simulation:
    trajectory: Trajectory
    events: tuple[Event, ...]


def simulate(spec: SceneSpec, substeps: int = 40) -> Simulation:
    """Run the scene for ``spec.fmt.n_frames`` frames and sample every body at each frame."""
    space = pymunk.Space()
    space.gravity = (0.0, spec.gravity)
    space.iterations = 30
    names: dict[int, str] = {}
    bodies: dict[str, pymunk.Body] = {}
    for i, b in enumerate(spec.bodies):
        body, shape = _make_body(b)
        shape.collision_type = i + 1
        names[i + 1] = b.name
        space.add(body, shape)
        bodies[b.name] = body
    for j in spec.joints:
        space.add(pymunk.PinJoint(space.static_body, bodies[j.body], j.anchor, (0, 0)))
    for w in spec.walls:
        seg = pymunk.Segment(space.static_body, w.a, w.b, w.thickness / 2)
        seg.elasticity = w.elasticity
        seg.friction = w.friction
        seg.collision_type = 0
        space.add(seg)

    clock = {"t": 0.0}
    contacts: list[tuple[float, tuple[str, ...]]] = []

    def begin(arbiter: pymunk.Arbiter, _space: pymunk.Space, _data: object) -> None:
        a, b = arbiter.shapes
        pair = tuple(sorted(names.get(s.collision_type, WALL) for s in (a, b)))
        contacts.append((clock["t"], pair))

    space.on_collision(None, None, begin=begin)

    fps = spec.fmt.fps
    dt = 1.0 / (fps * substeps)
    states: dict[str, list[tuple[float, ...]]] = {n: [] for n in bodies}
    for frame in range(spec.fmt.n_frames):
        if frame:
            for _ in range(substeps):
                space.step(dt)
                clock["t"] += dt
        for name, body in bodies.items():
            x, y = body.position
            vx, vy = body.velocity
            states[name].append((_r(x), _r(y), _r(vx), _r(vy), _r(body.angle)))

    events = tuple(
        Event(kind="contact", frame=round(t * fps), time=_r(t), objects=pair)
        for t, pair in _debounce(contacts, min_gap=2.0 / fps)
    )
    return Simulation(
        trajectory=Trajectory(states={n: tuple(s) for n, s in states.items()}),
        events=events,
    )


def _make_body(b: Body) -> tuple[pymunk.Body, pymunk.Shape]:
    kind = {
        "dynamic": pymunk.Body.DYNAMIC,
        "kinematic": pymunk.Body.KINEMATIC,
        "static": pymunk.Body.STATIC,
    }[b.body_type]
    if b.shape == "box":
        moment = pymunk.moment_for_box(b.mass, b.size) if kind == pymunk.Body.DYNAMIC else 0
        body = (
            pymunk.Body(b.mass, moment, body_type=kind) if moment else pymunk.Body(body_type=kind)
        )
        shape: pymunk.Shape = pymunk.Poly.create_box(body, b.size)
    else:
        moment = pymunk.moment_for_circle(b.mass, 0, b.radius) if kind == pymunk.Body.DYNAMIC else 0
        body = (
            pymunk.Body(b.mass, moment, body_type=kind) if moment else pymunk.Body(body_type=kind)
        )
        shape = pymunk.Circle(body, b.radius)
    body.position = b.position
    body.angle = b.angle
    if kind != pymunk.Body.STATIC:
        body.velocity = b.velocity
        body.angular_velocity = b.angular_velocity
    shape.elasticity = b.elasticity
    shape.friction = b.friction
    return body, shape


def _debounce(
    contacts: list[tuple[float, tuple[str, ...]]], min_gap: float
) -> list[tuple[float, tuple[str, ...]]]:
    """Keep the first contact of each pair within ``min_gap`` seconds (resting chatter)."""
    last: dict[tuple[str, ...], float] = {}
    kept = []
    for t, pair in contacts:
        if pair in last and t - last[pair] < min_gap:
            last[pair] = t
            continue
        last[pair] = t
        kept.append((t, pair))
    return kept


def _r(v: float) -> float:
    return round(float(v), 4)
