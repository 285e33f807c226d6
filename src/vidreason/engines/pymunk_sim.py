"""2D rigid-body simulation of a SceneSpec with pymunk.

Scene coordinates are pixels of the reference frame with y pointing down, so gravity is
``(0, +g)``. The world is stepped at a fixed sub-step (``substeps`` per video frame) and
the state of every body is sampled at each frame; contacts become ``Event``s at the
frame where they begin.
"""

from __future__ import annotations

from dataclasses import dataclass

import pymunk

from vidreason.types import Event, SceneSpec, Trajectory

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
        moment = pymunk.moment_for_circle(b.mass, 0, b.radius)
        body = pymunk.Body(b.mass, moment)
        body.position = b.position
        body.velocity = b.velocity
        shape = pymunk.Circle(body, b.radius)
        shape.elasticity = b.elasticity
        shape.friction = b.friction
        shape.collision_type = i + 1
        names[i + 1] = b.name
        space.add(body, shape)
        bodies[b.name] = body
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
    states: dict[str, list[tuple[float, float, float, float]]] = {n: [] for n in bodies}
    for frame in range(spec.fmt.n_frames):
        if frame:
            for _ in range(substeps):
                space.step(dt)
                clock["t"] += dt
        for name, body in bodies.items():
            x, y = body.position
            vx, vy = body.velocity
            states[name].append((_r(x), _r(y), _r(vx), _r(vy)))

    events = tuple(
        Event(kind="contact", frame=round(t * fps), time=_r(t), objects=pair)
        for t, pair in _debounce(contacts, min_gap=2.0 / fps)
    )
    return Simulation(
        trajectory=Trajectory(states={n: tuple(s) for n, s in states.items()}),
        events=events,
    )


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
