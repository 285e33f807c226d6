"""Violations of a pour (``tasks/fluids/pour.py``): liquid lost on the way, liquid through
a wall of the tank, a tank that ends at the wrong level, a stream that falls where gravity
does not take it. Each returns None for a scene without a tilting cup.

Each edits the liquid's particles (``engines/fluid_mpm.py``: a trajectory row ends with
every particle) and draws them as the family does, or re-simulates the scene.

To add one: a function of ``(instance, truth, rng)`` and its line in
``corruptions/__init__.py``.
"""

from __future__ import annotations

import math

import numpy as np

from vidreason import violations as planted
from vidreason.corruptions.sample import Sample, same
from vidreason.render.liquid import cup_angles
from vidreason.scene.params.fluids import Liquid
from vidreason.types import Instance, Trajectory

OFF = -1.0e4  # px: a particle moved here is drawn nowhere


def _pour(inst: Instance) -> Liquid | None:
    p = Liquid.maybe(inst.spec)
    return p if p is not None and p.cup and p.pivot and p.tilt else None


def _particles(inst: Instance) -> tuple[np.ndarray, np.ndarray]:
    """The liquid's rows and its particles per frame (frames, n, 2 px)."""
    from vidreason.engines.fluid_mpm import PARTS

    rows = inst.trajectory.array(inst.spec.bodies[0].name)
    return rows, rows[:, PARTS:].reshape(len(rows), -1, 2).copy()


def _draw(inst: Instance, rows: np.ndarray, pts: np.ndarray) -> Sample:
    from vidreason.engines.fluid_mpm import PARTS

    out = rows.copy()
    out[:, PARTS:] = pts.reshape(len(rows), -1)
    name = inst.spec.bodies[0].name
    traj = Trajectory({name: tuple(tuple(map(float, r)) for r in out)})
    return same(inst, planted.draw(inst.spec, traj))


def _in_cup(p: Liquid, pts: np.ndarray, angle: float) -> np.ndarray:
    """Which of ``pts`` (n, 2 px) lie in the cup's box (walls and all), turned by ``angle``."""
    assert p.cup is not None and p.pivot is not None
    box = np.asarray(p.cup, dtype=float)
    d = pts - np.asarray(p.pivot)
    c, s = math.cos(angle), math.sin(angle)
    lx, ly = p.pivot[0] + c * d[:, 0] + s * d[:, 1], p.pivot[1] - s * d[:, 0] + c * d[:, 1]
    return (
        (lx >= box[:, 0].min())
        & (lx <= box[:, 2].max())
        & (ly >= box[:, 1].min())
        & (ly <= box[:, 3].max())
    )


def _where(inst: Instance, p: Liquid, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame and particle: in the cup, in the tank."""
    angles = cup_angles(inst.trajectory)
    cup = np.stack([_in_cup(p, f, float(a)) for f, a in zip(pts, angles, strict=True)])
    x0, y0, x1, y1 = p.vessels[0]
    tank = (pts[..., 0] >= x0) & (pts[..., 0] <= x1) & (pts[..., 1] >= y0) & (pts[..., 1] <= y1)
    return cup, tank


def lost(share: float):
    """``share`` of the liquid (particles drawn by ``rng``) vanishes as it leaves the cup."""

    def run(inst: Instance, _truth: np.ndarray, rng: np.random.Generator) -> Sample | None:
        p = _pour(inst)
        if p is None:
            return None
        rows, pts = _particles(inst)
        cup, _ = _where(inst, p, pts)
        gone = np.asarray(rng.random(pts.shape[1]) < share)
        left = np.cumsum(~cup, axis=0) > 0  # from the frame it first leaves the cup
        pts[left & gone[None]] = OFF
        return _draw(inst, rows, pts)

    return run


def leak(inst: Instance, _truth: np.ndarray, rng: np.random.Generator) -> Sample | None:
    """Re-simulated with the liquid passing through one wall of the tank (drawn still)."""
    if _pour(inst) is None:
        return None
    wall = int(rng.integers(1, 3))  # the tank's left or right wall (0 is the floor)
    return same(inst, planted.liquid_leak(inst, (wall,)))


def level(factor: float):
    """The liquid in the tank grows ``factor`` times deeper from when it arrives to two
    thirds of the clip and stays so: the tank ends at the wrong level."""

    def run(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
        p = _pour(inst)
        if p is None:
            return None
        rows, pts = _particles(inst)
        _, tank = _where(inst, p, pts)
        n = len(pts)
        filled = np.flatnonzero(tank.mean(axis=1) > 0.05)
        start = int(filled[0]) if len(filled) else n // 3
        end = max(start + 1, 2 * n // 3)
        floor = p.vessels[0][3]
        for i in range(start, n):
            f = 1.0 + (factor - 1.0) * min(1.0, (i - start) / (end - start))
            k = tank[i]
            pts[i, k, 1] = floor - (floor - pts[i, k, 1]) * f
        return _draw(inst, rows, pts)

    return run


def landing(share: float):
    """The falling stream (liquid in neither the cup nor the tank) is moved ``share`` of
    the picture's width towards the tank's far wall: it lands where gravity does not
    take it."""

    def run(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
        p = _pour(inst)
        if p is None:
            return None
        rows, pts = _particles(inst)
        cup, tank = _where(inst, p, pts)
        air = ~cup & ~tank
        pts[..., 0] += np.where(air, share * inst.spec.fmt.width, 0.0)
        return _draw(inst, rows, pts)

    return run
