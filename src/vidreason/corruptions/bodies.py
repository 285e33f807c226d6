"""Violations of one body's motion that leave the rest of the scene true: it wobbles
from side to side, stops while the scene goes on, shrinks, or lags behind and catches
up. Each ends (or could end) where it should, in steps no larger than its speed: only a
check of the whole path, or of its size, sees them. Drawn with the 2D rasteriser
(``wobble``, ``shrink``: None in a 3D scene) or the family's own renderer (``stop``,
``lag``). Neither a wobble nor a lag applies where the pace and the line between two
cells are the video's own (planning)."""

from __future__ import annotations

import dataclasses

import numpy as np

from vidreason import violations as planted
from vidreason.corruptions.sample import Fn, Sample, same
from vidreason.corruptions.violations import moving_bodies, planning
from vidreason.types import STATE_2D, Instance, Trajectory


def _flat(inst: Instance) -> bool:
    return all(len(s[0]) <= STATE_2D for s in inst.trajectory.states.values())


def _motion(inst: Instance, name: str) -> tuple[int, int]:
    """First and last frame where ``name`` moves."""
    steps = np.linalg.norm(np.diff(inst.trajectory.xy(name), axis=0), axis=1)
    active = np.flatnonzero(steps > 0.3)
    return (int(active[0]), int(active[-1]) + 1) if len(active) else (0, len(steps))


def wobble(fraction: float, period: int = 8) -> Fn:
    """Every moving body swings by ``fraction`` of the width across its direction of
    motion (sideways; along x while it stands still), back and forth every ``period``
    frames, on top of its true motion (a jittering object)."""

    def run(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
        moving = set(moving_bodies(inst))
        if not moving or not _flat(inst) or planning(inst):
            return None
        a = fraction * inst.spec.fmt.width
        states = dict(inst.trajectory.states)
        for name in moving:
            xy = inst.trajectory.xy(name)
            v = np.gradient(xy, axis=0)
            speed = np.linalg.norm(v, axis=1)
            across = np.where(
                (speed > 0.3)[:, None],
                np.stack([-v[:, 1], v[:, 0]], 1) / np.maximum(speed, 1e-9)[:, None],
                [1.0, 0.0],
            )
            swing = a * np.sin(2 * np.pi * np.arange(len(xy)) / period)
            states[name] = tuple(
                (s[0] + swing[i] * across[i, 0], s[1] + swing[i] * across[i, 1], *s[2:])
                for i, s in enumerate(states[name])
            )
        return same(inst, planted.draw(inst.spec, Trajectory(states=states)))

    return run


def stop(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
    """The first moving body stops dead 40% into its motion and stays, while everything
    else moves as it should."""
    moving = moving_bodies(inst)
    if not moving:
        return None
    lo, hi = _motion(inst, moving[0])
    return same(inst, planted.hold(inst, moving[0], lo + 2 * (hi - lo) // 5))


def shrink(scale: float) -> Fn:
    """From the middle of its motion, the first moving body drawn at ``scale`` of its size."""

    def run(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
        moving = moving_bodies(inst)
        if not moving or not _flat(inst):
            return None
        lo, hi = _motion(inst, moving[0])
        k = (lo + hi) // 2
        bodies = tuple(
            dataclasses.replace(
                b, radius=b.radius * scale, size=(b.size[0] * scale, b.size[1] * scale)
            )
            if b.name == moving[0]
            else b
            for b in inst.spec.bodies
        )
        smaller = planted.draw(dataclasses.replace(inst.spec, bodies=bodies), inst.trajectory)
        return same(inst, np.concatenate([truth[:k], smaller[k:]]))

    return run


LAG = 0.25  # s: the least time the lagging video falls behind by


def lag(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
    """A third into the scene's motion the video plays at half speed, then at double speed
    until it has caught up, and true from there: every moving body falls behind its true
    place, by ``LAG`` or more at the most, and catches up (no step larger than twice the
    true one)."""
    moving = moving_bodies(inst)
    if not moving or planning(inst):
        return None
    spans = [_motion(inst, name) for name in moving]
    lo, hi = min(a for a, _ in spans), max(b for _, b in spans)
    n, a = len(truth), lo + (hi - lo) // 3
    # true frames shown at half speed (falling behind by half of them), then caught up
    s = max(2, (hi - a) // 3, round(2 * LAG * inst.spec.fmt.fps))
    idx = [
        i if i < a else a + (i - a) // 2 if i < a + 2 * s else a + s + 2 * (i - a - 2 * s)
        for i in range(n)
    ]
    return same(inst, truth[np.minimum(np.minimum(idx, np.arange(n)), n - 1)])
