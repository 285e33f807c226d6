"""Planted violations: videos that break a law in a controlled way, for tests and audits.

Two kinds: *re-simulated* (the same scene run by the engine with a changed parameter —
gravity scaled, restitution changed, masses changed behind the verifier's back) and
*edited* (the true trajectory changed before drawing — a teleport, a frozen object, an
object that vanishes). Each returns frames in the instance's format. These are building
blocks: the registry of corruptions the audit and the tests run is
``vidreason.corruptions`` (``corruptions.drawn(fn)`` makes one of a function here);
those that fit only scenes with the right bodies (``pass_through``, ``levitate``,
``hold``) are called by name in the family's tests.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from vidreason.render.raster2d import draw_frame, pose
from vidreason.types import Body, Instance, SceneSpec, Trajectory


def _positions(traj: Trajectory, i: int) -> dict[str, tuple[float, ...]]:
    return {name: pose(traj.states[name][i]) for name in traj.states}


def _own_renderer(spec: SceneSpec) -> Callable[[SceneSpec, Trajectory], np.ndarray] | None:
    """The family's renderer when it is not the 2D rasteriser (a 3D family's)."""
    from vidreason.tasks import FAMILIES
    from vidreason.tasks.base import _raster_render

    if spec.family_id not in FAMILIES:
        return None
    render = FAMILIES.get(spec.family_id).render
    return None if render is _raster_render else render


def draw(
    spec: SceneSpec, traj: Trajectory, hidden: dict[int, set[str]] | None = None
) -> np.ndarray:
    """Draw ``traj`` as the family renders it, leaving out ``hidden[i]`` at frame ``i``."""
    render = _own_renderer(spec)
    if render is not None:  # one call per run of frames that hide the same bodies
        out, i, n, hide = [], 0, traj.n_frames, hidden or {}
        while i < n:
            gone, j = hide.get(i, set()), i
            while j < n and hide.get(j, set()) == gone:
                j += 1
            shown = dataclasses.replace(
                spec, bodies=tuple(b for b in spec.bodies if b.name not in gone)
            )
            out.append(render(shown, Trajectory({k: v[i:j] for k, v in traj.states.items()})))
            i = j
        return np.concatenate(out)
    frames = []
    for i in range(traj.n_frames):
        gone = (hidden or {}).get(i, set())
        shown = dataclasses.replace(
            spec, bodies=tuple(b for b in spec.bodies if b.name not in gone)
        )
        frames.append(draw_frame(shown, _positions(traj, i)))
    return np.stack(frames)


def _with(body: Body, key: str, value: float) -> Body:
    """``body`` with its ``friction`` or ``elasticity`` set to ``value``."""
    if key == "friction":
        return dataclasses.replace(body, friction=value)
    return dataclasses.replace(body, elasticity=value)


def resimulate(instance: Instance, **changes: float) -> np.ndarray:
    """Run the engine again with ``gravity_scale``, ``restitution`` (the first body's),
    ``mass_ratio`` (the second body's mass over the first's), ``friction`` or
    ``elasticity`` (every dynamic body's) changed."""
    from vidreason.tasks import get_family

    spec = instance.spec
    bodies = list(spec.bodies)
    if "restitution" in changes:
        bodies[0] = dataclasses.replace(bodies[0], elasticity=changes["restitution"])
    if "mass_ratio" in changes and len(bodies) > 1:
        bodies[1] = dataclasses.replace(bodies[1], mass=bodies[0].mass * changes["mass_ratio"])
    for key in ("friction", "elasticity"):
        if key in changes:
            bodies = [
                _with(b, key, changes[key]) if b.body_type == "dynamic" else b for b in bodies
            ]
    changed = dataclasses.replace(
        spec, gravity=spec.gravity * changes.get("gravity_scale", 1.0), bodies=tuple(bodies)
    )
    traj, _ = get_family(instance.family_id).simulate(changed)
    return draw(spec, traj)


def _edit(
    instance: Instance, fn: Callable[[int, tuple[float, ...]], tuple[float, ...]]
) -> Trajectory:
    """Every moving body's states through ``fn``; the static scene (a screen, a shelf)
    stays, since all of the picture moving at once is a camera, not the objects."""
    still = {b.name for b in instance.spec.bodies if b.body_type == "static"}
    return Trajectory(
        states={
            name: states if name in still else tuple(fn(i, s) for i, s in enumerate(states))
            for name, states in instance.trajectory.states.items()
        }
    )


def teleport(instance: Instance, frame: int | None = None, dx: float = 40.0) -> np.ndarray:
    """Every moving object jumps ``dx`` px sideways at ``frame`` and carries on from there."""
    k = instance.spec.fmt.n_frames // 2 if frame is None else frame
    traj = _edit(instance, lambda i, s: (s[0] + dx, *s[1:]) if i >= k else s)
    return draw(instance.spec, traj)


def freeze(instance: Instance, frame: int | None = None) -> np.ndarray:
    """Every object stops dead at ``frame``."""
    k = instance.spec.fmt.n_frames // 3 if frame is None else frame
    held = {name: states[k] for name, states in instance.trajectory.states.items()}
    traj = Trajectory(
        states={
            name: tuple(held[name] if i >= k else s for i, s in enumerate(states))
            for name, states in instance.trajectory.states.items()
        }
    )
    return draw(instance.spec, traj)


def vanish(instance: Instance, start: int | None = None, length: int | None = None) -> np.ndarray:
    """The first object disappears for ``length`` frames from ``start``."""
    n = instance.spec.fmt.n_frames
    s = n // 3 if start is None else start
    m = n // 2 if length is None else length
    name = instance.spec.bodies[0].name
    return draw(instance.spec, instance.trajectory, {i: {name} for i in range(s, min(n, s + m))})


def levitate(instance: Instance, name: str, frame: int, speed: float) -> np.ndarray:
    """``name`` floats straight up at ``speed`` px/s from ``frame``; the rest is true."""
    fps = instance.spec.fmt.fps
    states = dict(instance.trajectory.states)
    x, y, *rest = states[name][frame]
    states[name] = tuple(
        s if i < frame else (x, y - speed * (i - frame) / fps, *rest)
        for i, s in enumerate(states[name])
    )
    return draw(instance.spec, Trajectory(states=states))


def hold(instance: Instance, name: str, frame: int) -> np.ndarray:
    """``name`` stays where it is from ``frame`` on while everything else moves as it
    should (a ball left behind by the cup carrying it)."""
    states = dict(instance.trajectory.states)
    states[name] = tuple(
        s if i < frame else states[name][frame] for i, s in enumerate(states[name])
    )
    return draw(instance.spec, Trajectory(states=states))


def retimed(instance: Instance, n_frames: int) -> np.ndarray:
    """Not a violation: the true motion drawn with ``n_frames`` frames over the same
    duration (another frame rate), positions interpolated between simulated frames."""
    old = np.arange(instance.trajectory.n_frames)
    new = np.linspace(0, old[-1], n_frames)
    states = {}
    for name, s in instance.trajectory.states.items():
        arr = np.asarray(s, dtype=float)
        cols = [np.interp(new, old, arr[:, j]) for j in range(arr.shape[1])]
        states[name] = tuple(tuple(float(c[i]) for c in cols) for i in range(n_frames))
    return draw(instance.spec, Trajectory(states=states))


def simulate_for(instance: Instance, n_frames: int) -> Trajectory:
    """The instance's scene simulated for ``n_frames`` frames at its frame rate."""
    from vidreason.tasks import get_family

    spec = instance.spec
    longer = dataclasses.replace(spec, fmt=dataclasses.replace(spec.fmt, n_frames=n_frames))
    traj, _ = get_family(instance.family_id).simulate(longer)
    return traj


def time_warp(instance: Instance, factor: float) -> np.ndarray:
    """The true motion played ``factor`` times too fast (< 1: slow motion), same length."""
    n = instance.spec.fmt.n_frames
    need = int(np.ceil((n - 1) * factor)) + 2
    traj = simulate_for(instance, max(need, n)) if factor > 1 else instance.trajectory
    src = np.arange(traj.n_frames)
    at = np.arange(n) * factor
    states = {}
    for name, s in traj.states.items():
        arr = np.asarray(s, dtype=float)
        cols = [np.interp(at, src, arr[:, j]) for j in range(arr.shape[1])]
        states[name] = tuple(tuple(float(c[i]) for c in cols) for i in range(n))
    return draw(instance.spec, Trajectory(states=states))


def extended(instance: Instance, n_frames: int) -> np.ndarray:
    """Not a violation: the true motion carried on for ``n_frames`` frames (a longer clip)."""
    return draw(instance.spec, simulate_for(instance, n_frames))


def pass_through(instance: Instance, pairs: list[tuple[str, str]]) -> np.ndarray:
    """Re-simulated with the bodies of each pair (``"wall"``: every wall) passing through
    each other instead of colliding."""
    from vidreason.tasks import get_family

    spec = instance.spec
    extra = {**spec.extra, "ignore_contacts": [list(p) for p in pairs]}
    traj, _ = get_family(instance.family_id).simulate(dataclasses.replace(spec, extra=extra))
    return draw(spec, traj)


def own_gravity(instance: Instance, scales: dict[str, float]) -> np.ndarray:
    """Each body re-simulated alone, with gravity times ``scales[name]`` (1 if absent):
    e.g. a heavy ball that falls faster than a light one. Only for bodies that never touch."""
    from vidreason.tasks import get_family

    spec, states = instance.spec, {}
    for b in spec.bodies:
        alone = dataclasses.replace(
            spec,
            bodies=(b,),
            gravity=spec.gravity * scales.get(b.name, 1.0),
            joints=tuple(j for j in spec.joints if j.body == b.name),
        )
        traj, _ = get_family(instance.family_id).simulate(alone)
        states[b.name] = traj.states[b.name]
    return draw(spec, Trajectory(states=states))


def soft_pass_through(instance: Instance, statics: tuple[str, ...]) -> np.ndarray:
    """A soft-body scene (``engines/mujoco_flex.py``) re-simulated with the flexible body
    passing through ``statics`` (a cloth falling through the box it should drape over)."""
    from vidreason.scene.params.physics3d import Flex3D
    from vidreason.tasks import get_family

    spec = Flex3D.update(instance.spec, ignore=list(statics))
    traj, _ = get_family(instance.family_id).simulate(spec)
    return draw(instance.spec, traj)


def stiff(instance: Instance) -> np.ndarray:
    """A soft-body scene's flexible body drawn as rigid: its first shape carried along its
    true path, so it never squashes (a ball that hits the floor without deforming)."""
    from vidreason.engines.mujoco_flex import QPOS

    name = instance.spec.bodies[0].name
    rows = instance.trajectory.array(name)
    q0 = rows[0, QPOS:].reshape(-1, 3)
    moved = [(*r[:QPOS], *(q0 + (r[5:8] - rows[0, 5:8])).ravel()) for r in rows]
    return draw(instance.spec, Trajectory({name: tuple(tuple(map(float, r)) for r in moved)}))


def liquid_leak(instance: Instance, walls: tuple[int, ...]) -> np.ndarray:
    """A liquid scene (``engines/fluid_mpm.py``) re-simulated with the liquid passing
    through ``walls`` (indices into ``spec.walls``), which are still drawn."""
    from vidreason.scene.params.fluids import Liquid
    from vidreason.tasks import get_family

    spec = Liquid.update(instance.spec, ignore=list(walls))
    traj, _ = get_family(instance.family_id).simulate(spec)
    return draw(instance.spec, traj)


def liquid_tilt(instance: Instance, degrees: float, frame: int | None = None) -> np.ndarray:
    """From ``frame`` (default: two thirds in) the liquid's surface leans ``degrees``
    (higher on the right): each particle's depth below the surface scaled by how far it
    lies right of the middle, the bottom kept on the floor (the same area)."""
    from vidreason.engines.fluid_mpm import PARTS

    name = instance.spec.bodies[0].name
    rows = instance.trajectory.array(name)
    k = 2 * len(rows) // 3 if frame is None else frame
    out = rows.copy()
    slope = float(np.tan(np.radians(degrees)))
    for i in range(k, len(rows)):
        pts = rows[i, PARTS:].reshape(-1, 2).copy()
        bottom, top = pts[:, 1].max(), pts[:, 1].min()
        depth = max(1.0, bottom - top)
        mid = 0.5 * (pts[:, 0].min() + pts[:, 0].max())
        scale = 1.0 + slope * (pts[:, 0] - mid) / depth
        pts[:, 1] = bottom - (bottom - pts[:, 1]) * scale
        out[i, PARTS:] = pts.ravel()
    states = {name: tuple(tuple(map(float, r)) for r in out)}
    return draw(instance.spec, Trajectory(states=states))
