"""2D rigid-body simulation of a SceneSpec with pymunk.

Scene coordinates are pixels of the reference frame with y pointing down, so gravity is
``(0, +g)``. The world is stepped at a fixed sub-step (``substeps`` per video frame) and
the state of every body is sampled at each frame; contacts become ``Event``s at the
frame where they begin.

Optional keys of ``spec.extra`` (``scene.params.world2d.World2D``) change the run (absent,
nothing changes):
``paths`` moves a kinematic body through keyframes ``{name: [[t, x, y], ...]}`` (eased
in and out between keys), and ``ignore_contacts`` lists pairs of body names (``"wall"``
for every wall) that pass through each other, for planted violations. ``damping`` is the
fraction of its velocity every body keeps per second (pymunk's ``Space.damping``).
"""

from __future__ import annotations

import functools
import itertools
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import overload

import numpy as np
import pymunk

from vidreason.engines.contacts import debounce
from vidreason.engines.memo import recall, runs, scene_key
from vidreason.scene.params.world2d import World2D
from vidreason.types import Body, Event, SceneSpec, Trajectory

WALL = "wall"
FILTER_BITS = 32  # Chipmunk's category bits


@dataclass(frozen=True)
class Simulation:
    trajectory: Trajectory
    events: tuple[Event, ...]


_RUNS: OrderedDict[str, Simulation] = runs()  # a sampler's check, then the instance's


READ = ("damping", "ignore_contacts", "paths")  # the keys of spec.extra the engine reads


def simulate(spec: SceneSpec, substeps: int = 40) -> Simulation:
    """Run the scene for ``spec.fmt.n_frames`` frames and sample every body at each frame
    (a recent run of the same scene is not run again: ``engines.memo``)."""
    return recall(_RUNS, run_key(spec, substeps), lambda: _simulate(spec, substeps))


Halt = Callable[[int, list[tuple[float, ...]], list[tuple[float, tuple[str, ...]]]], bool]


def simulate_unless(spec: SceneSpec, halt: Halt, substeps: int = 40) -> Simulation | None:
    """``simulate(spec)``, or None as soon as ``halt(frame, states, contacts)``, asked
    after each frame is read, says the run is of no use: ``states`` every body's raw
    state (x, y, vx, vy, angle, unrounded) at every frame so far, body after body,
    ``contacts`` every (time, pair) begun so far. A run seen through to the end is
    remembered as ``simulate`` remembers it (a recent one is not run again)."""
    key = run_key(spec, substeps)
    if key in _RUNS:
        return recall(_RUNS, key, lambda: _simulate(spec, substeps))
    out = _simulate(spec, substeps, halt)
    return None if out is None else recall(_RUNS, key, lambda: out)


def run_key(spec: SceneSpec, substeps: int) -> str:
    """``scene_key`` of what the engine reads: without the family's parameters, the
    background and the keys of ``spec.extra`` other than ``READ``, so a scene that differs
    only in those is the same run (``trigger``'s question about the pair's factual scene,
    which differs from it only in the cause recorded among the parameters)."""
    extra = {k: v for k, v in spec.extra.items() if k in READ}
    return scene_key(replace(spec, params={}, background=(0, 0, 0), extra=extra), substeps)


@overload
def _simulate(spec: SceneSpec, substeps: int) -> Simulation: ...
@overload
def _simulate(spec: SceneSpec, substeps: int, halt: Halt | None) -> Simulation | None: ...
def _simulate(spec: SceneSpec, substeps: int, halt: Halt | None = None) -> Simulation | None:
    space = pymunk.Space()
    space.gravity = (0.0, spec.gravity)
    space.iterations = 30
    world = World2D.of(spec)
    if world.damping is not None:
        space.damping = float(world.damping)
    ignored = {tuple(sorted(p)) for p in world.ignore_contacts or []}
    filters = _filters(ignored)
    names: dict[int, str] = {}
    bodies: dict[str, pymunk.Body] = {}
    for i, b in enumerate(spec.bodies):
        body, shapes = _make_body(b)
        for shape in shapes:
            shape.collision_type = i + 1
            if b.name in filters:
                shape.filter = filters[b.name]
        names[i + 1] = b.name
        space.add(body, *shapes)
        bodies[b.name] = body
    for j in spec.joints:
        space.add(pymunk.PinJoint(space.static_body, bodies[j.body], j.anchor, (0, 0)))
    for w in spec.walls:
        seg = pymunk.Segment(space.static_body, w.a, w.b, w.thickness / 2)
        seg.elasticity = w.elasticity
        seg.friction = w.friction
        seg.collision_type = 0
        if WALL in filters:
            seg.filter = filters[WALL]
        space.add(seg)

    clock = 0.0  # the time of the step under way (the sum of the steps before it)
    contacts: list[tuple[float, tuple[str, ...]]] = []

    def pair_of(arbiter: pymunk.Arbiter) -> tuple[str, ...]:
        return tuple(sorted(names.get(s.collision_type, WALL) for s in arbiter.shapes))

    def begin(arbiter: pymunk.Arbiter, _space: pymunk.Space, _data: object) -> None:
        pair = pair_of(arbiter)
        if pair in ignored:
            arbiter.process_collision = False
            return
        contacts.append((clock, pair))

    def reject(arbiter: pymunk.Arbiter, _space: pymunk.Space, _data: object) -> None:
        arbiter.process_collision = False

    space.on_collision(None, None, begin=begin)
    if ignored and not filters:  # too many names for the filters' bits: a handler per pair
        types = {name: t for t, name in names.items()} | {WALL: 0}
        for one, other in sorted(ignored):
            if one in types and other in types:
                space.on_collision(types[one], types[other], begin=reject, pre_solve=reject)
    paths = {n: [tuple(map(float, k)) for k in keys] for n, keys in (world.paths or {}).items()}

    fps = spec.fmt.fps
    dt = 1.0 / (fps * substeps)
    starts = _starts((spec.fmt.n_frames - 1) * substeps, dt)
    drive = _driver([(bodies[name], keys) for name, keys in paths.items()], dt, starts)
    readers = list(map(_reader, bodies.values()))
    raw: list[tuple[float, ...]] = []  # every body's state at every frame, in that order
    step: Callable[[float], None] = space.step
    for frame in range(spec.fmt.n_frames):
        if frame:
            first = (frame - 1) * substeps
            if frame == 1:  # pymunk's step checks the bodies; then Chipmunk's own
                if drive is not None:
                    drive(0)
                step(dt)
                step = _fast_step(space)
                first += 1
            if drive is None:
                for clock in starts[first : frame * substeps]:  # noqa: B007 (begin reads it)
                    step(dt)
            else:
                for k in range(first, frame * substeps):
                    clock = starts[k]
                    drive(k)
                    step(dt)
        raw += [read() for read in readers]
        if halt is not None and halt(frame, raw, contacts):
            return None
    # round(v, 4) of pymunk's floats, as _r does, all at once
    width = len(raw[0]) if raw else 0
    rounded = iter(map(round, itertools.chain.from_iterable(raw), itertools.repeat(4)))
    rows = list(zip(*[rounded] * width, strict=True)) if width else []
    n_bodies = len(readers)
    states = {name: tuple(rows[i::n_bodies]) for i, name in enumerate(bodies)}

    events = tuple(
        Event(kind="contact", frame=round(t * fps), time=_r(t), objects=pair)
        for t, pair in debounce(contacts, min_gap=2.0 / fps)
    )
    return Simulation(trajectory=Trajectory(states=states), events=events)


@functools.lru_cache(maxsize=16)
def _starts(n_steps: int, dt: float) -> tuple[float, ...]:
    """Each step's start time: the steps before it summed one by one, as the clock of a
    run is (the same for every run of a format)."""
    out, clock = [], 0.0
    for _ in range(n_steps):
        out.append(clock)
        clock += dt
    return tuple(out)


def _driver(
    driven: list[tuple[pymunk.Body, list[tuple[float, ...]]]], dt: float, starts: tuple[float, ...]
) -> Callable[[int], None] | None:
    """Before step ``k``, set each driven body's velocity so that the step takes it to
    where its keyframes put it at the step's end (``path_position`` at the step's start
    ``starts[k]`` plus ``dt``). The positions of every step are computed at once
    (``path_positions``: the same doubles), and the body is read and set through
    Chipmunk directly where pymunk lets us: a containment run (a cup driven over 1,880
    steps) spends 1.5 ms on it instead of 8. None when nothing is driven."""
    if not driven:
        return None
    ends = [start + dt for start in starts]
    times = np.array(ends)
    raw = getattr(getattr(pymunk, "_chipmunk", None), "lib", None)
    moves = []
    for body, keys in driven:
        xs, ys = path_positions(keys, times)
        handle = getattr(body, "_body", None)
        if raw is None or handle is None:
            moves.append((body, None, None, xs.tolist(), ys.tolist()))
        else:
            moves.append(
                (handle, raw.cpBodyGetPosition, raw.cpBodySetVelocity, xs.tolist(), ys.tolist())
            )

    def drive(k: int) -> None:
        for target, get, put, xs, ys in moves:
            if get is None:
                px, py = target.position
                target.velocity = ((xs[k] - px) / dt, (ys[k] - py) / dt)
            else:
                p = get(target)
                put(target, ((xs[k] - p.x) / dt, (ys[k] - p.y) / dt))

    return drive


def _filters(ignored: set[tuple[str, ...]]) -> dict[str, pymunk.ShapeFilter]:
    """Shape filters that keep every ignored pair of names from ever colliding: each name
    gets a category bit of its own and its partners' bits are left out of its mask, so
    Chipmunk never pairs them (as rejecting the pair's contact at every step would, with
    no call into Python per step). Empty when there are more names than bits."""
    named = sorted({n for p in ignored for n in p})
    if not named or len(named) > FILTER_BITS:
        return {}
    bit = {n: 1 << k for k, n in enumerate(named)}
    out = {}
    for n in named:
        mask = pymunk.ShapeFilter.ALL_MASKS()
        for p in ignored:
            if n in p:
                mask &= ~bit[p[1] if p[0] == n else p[0]]
        out[n] = pymunk.ShapeFilter(categories=bit[n], mask=mask)
    return out


def _reader(body: pymunk.Body) -> Callable[[], tuple[float, float, float, float, float]]:
    """A function giving the body's position, velocity and angle: read from Chipmunk
    directly where pymunk lets us (the same doubles, without building a ``Vec2d`` for
    each), else through pymunk's properties."""
    raw = getattr(getattr(pymunk, "_chipmunk", None), "lib", None)
    handle = getattr(body, "_body", None)
    if raw is None or handle is None:

        def read() -> tuple[float, float, float, float, float]:
            (x, y), (vx, vy) = body.position, body.velocity
            return x, y, vx, vy, body.angle

        return read
    position, velocity, angle = raw.cpBodyGetPosition, raw.cpBodyGetVelocity, raw.cpBodyGetAngle

    def read_raw() -> tuple[float, float, float, float, float]:
        p, v = position(handle), velocity(handle)
        return p.x, p.y, v.x, v.y, angle(handle)

    return read_raw


def _fast_step(space: pymunk.Space) -> Callable[[float], None]:
    """``space.step``, or once a first step has checked the bodies, Chipmunk's own step
    called directly: the same computation without pymunk's bookkeeping for objects added
    or removed inside callbacks (ours add and remove none), which costs more than the
    step of a small scene. Where pymunk's internals differ, ``space.step`` itself."""
    raw = getattr(getattr(pymunk, "_chipmunk", None), "lib", None)
    handle = getattr(space, "_space", None)
    if (
        raw is None
        or handle is None
        or getattr(space, "threaded", False)
        or getattr(space, "_add_later", None)
        or getattr(space, "_remove_later", None)
        or getattr(space, "_post_step_callbacks", None)
        or getattr(space, "_bodies_to_check", None)
    ):
        return space.step
    return functools.partial(raw.cpSpaceStep, handle)


def path_position(keys: Sequence[Sequence[float]], t: float) -> tuple[float, float]:
    """Where a body following keyframes ``(t, x, y)`` is at time ``t``: smoothstep-eased
    between consecutive keys, held before the first and after the last."""
    if t <= keys[0][0]:
        return keys[0][1], keys[0][2]
    for (t0, x0, y0), (t1, x1, y1) in itertools.pairwise(keys):
        if t < t1:
            u = (t - t0) / (t1 - t0)
            s = u * u * (3.0 - 2.0 * u)
            return x0 + s * (x1 - x0), y0 + s * (y1 - y0)
    return keys[-1][1], keys[-1][2]


def path_positions(
    keys: Sequence[Sequence[float]], times: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``path_position`` at every time of ``times`` (the same doubles: the same operations
    in the same order, one array at a time)."""
    k = np.asarray(keys, dtype=float)
    if np.any(np.diff(k[:, 0]) < 0):  # keys out of time order: the first that fits, as there
        at = [path_position(keys, float(t)) for t in times]
        return np.array([a[0] for a in at]), np.array([a[1] for a in at])
    t0, x0, y0 = k[:-1, 0], k[:-1, 1], k[:-1, 2]
    t1, x1, y1 = k[1:, 0], k[1:, 1], k[1:, 2]
    xs = np.full(len(times), k[-1, 1])
    ys = np.full(len(times), k[-1, 2])
    seg = np.searchsorted(t1, times, side="right")  # the first pair with t < t1
    before = times <= k[0, 0]
    mid = (seg < len(t1)) & ~before
    j, t = seg[mid], times[mid]
    u = (t - t0[j]) / (t1[j] - t0[j])
    s = u * u * (3.0 - 2.0 * u)
    xs[mid] = x0[j] + s * (x1[j] - x0[j])
    ys[mid] = y0[j] + s * (y1[j] - y0[j])
    xs[before], ys[before] = k[0, 1], k[0, 2]
    return xs, ys


def _make_body(b: Body) -> tuple[pymunk.Body, list[pymunk.Shape]]:
    kind = {
        "dynamic": pymunk.Body.DYNAMIC,
        "kinematic": pymunk.Body.KINEMATIC,
        "static": pymunk.Body.STATIC,
    }[b.body_type]
    if b.shape == "cup":
        return _make_cup(b, kind)
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
    return body, [shape]


def _make_cup(b: Body, kind: int) -> tuple[pymunk.Body, list[pymunk.Shape]]:
    """A U of three boxes on one body (see ``Body.boxes``)."""
    polys = [
        [(cx + sx * w / 2, cy + sy * h / 2) for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
        for (cx, cy), (w, h) in b.boxes()
    ]
    if kind == pymunk.Body.DYNAMIC:
        total = b.area
        moment = sum(
            pymunk.moment_for_poly(b.mass * w * h / total, verts)
            for verts, (_, (w, h)) in zip(polys, b.boxes(), strict=True)
        )
        body = pymunk.Body(b.mass, moment, body_type=kind)
    else:
        body = pymunk.Body(body_type=kind)
    body.position = b.position
    body.angle = b.angle
    if kind != pymunk.Body.STATIC:
        body.velocity = b.velocity
        body.angular_velocity = b.angular_velocity
    shapes: list[pymunk.Shape] = []
    for verts in polys:
        shape = pymunk.Poly(body, verts)
        shape.elasticity = b.elasticity
        shape.friction = b.friction
        shapes.append(shape)
    return body, shapes


def _r(v: float) -> float:
    return round(float(v), 4)
