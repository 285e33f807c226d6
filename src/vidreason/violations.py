"""Planted violations: videos that break a law in a controlled way, for tests and audits.

Two kinds: *re-simulated* (the same scene run by the engine with a changed parameter —
gravity scaled, restitution changed, masses changed behind the verifier's back) and
*edited* (the true trajectory changed before drawing — a teleport, a frozen object, an
object that vanishes). Each returns frames in the instance's format. To add one, write a
function ``(instance, ...) -> frames`` and add it to ``VIOLATIONS``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from vidreason.render.raster2d import draw_frame, pose
from vidreason.types import Instance, SceneSpec, Trajectory


def _positions(traj: Trajectory, i: int) -> dict[str, tuple[float, ...]]:
    return {name: pose(traj.states[name][i]) for name in traj.states}


def draw(
    spec: SceneSpec, traj: Trajectory, hidden: dict[int, set[str]] | None = None
) -> np.ndarray:
    frames = []
    for i in range(traj.n_frames):
        gone = (hidden or {}).get(i, set())
        shown = dataclasses.replace(
            spec, bodies=tuple(b for b in spec.bodies if b.name not in gone)
        )
        frames.append(draw_frame(shown, _positions(traj, i)))
    return np.stack(frames)


def resimulate(instance: Instance, **changes: float) -> np.ndarray:
    """Run the engine again with ``gravity_scale``, ``restitution`` or ``mass_ratio`` changed."""
    from vidreason.tasks import get_family

    spec = instance.spec
    bodies = list(spec.bodies)
    if "restitution" in changes:
        bodies[0] = dataclasses.replace(bodies[0], elasticity=changes["restitution"])
    if "mass_ratio" in changes and len(bodies) > 1:
        bodies[1] = dataclasses.replace(bodies[1], mass=bodies[0].mass * changes["mass_ratio"])
    changed = dataclasses.replace(
        spec, gravity=spec.gravity * changes.get("gravity_scale", 1.0), bodies=tuple(bodies)
    )
    traj, _ = get_family(instance.family_id).simulate(changed)
    return draw(spec, traj)


def _edit(
    instance: Instance, fn: Callable[[int, tuple[float, ...]], tuple[float, ...]]
) -> Trajectory:
    return Trajectory(
        states={
            name: tuple(fn(i, s) for i, s in enumerate(states))
            for name, states in instance.trajectory.states.items()
        }
    )


def teleport(instance: Instance, frame: int | None = None, dx: float = 40.0) -> np.ndarray:
    """Every object jumps ``dx`` px sideways at ``frame`` and carries on from there."""
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


VIOLATIONS: dict[str, Callable[[Instance], np.ndarray]] = {
    "gravity x0.5": lambda inst: resimulate(inst, gravity_scale=0.5),
    "gravity x2": lambda inst: resimulate(inst, gravity_scale=2.0),
    "teleport": teleport,
    "freeze": freeze,
    "vanish": vanish,
    "speed x0.5": lambda inst: time_warp(inst, 0.5),
    "speed x2": lambda inst: time_warp(inst, 2.0),
}
