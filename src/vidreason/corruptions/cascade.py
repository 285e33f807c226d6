"""Violations of the `cascade` family (``tasks/fluids/cascade.py``), each None for any
other scene: the basins fill in the wrong order, a basin ends at a wrong level, liquid is
lost, liquid passes through the shelf or through a lip (the wall still drawn).

Each edits the liquid's particles (or re-simulates the scene) and draws the result as the
family draws its truth."""

from __future__ import annotations

import numpy as np

from vidreason import violations as planted
from vidreason.corruptions.sample import Sample, same
from vidreason.scene.params.fluids import Cascade
from vidreason.types import Instance, Trajectory

FAR = -1000.0  # px: where a particle left out of a frame is put (outside the picture)


def _rows(inst: Instance) -> tuple[str, np.ndarray, int]:
    from vidreason.engines.fluid_mpm import PARTS

    name = inst.spec.bodies[0].name
    return name, inst.trajectory.array(name), PARTS


def _draw(inst: Instance, name: str, rows: np.ndarray) -> np.ndarray:
    states = {name: tuple(tuple(map(float, r)) for r in rows)}
    return planted.draw(inst.spec, Trajectory(states=states))


def _inside(pts: np.ndarray, box: list) -> np.ndarray:
    x0, y0, x1, y1 = box
    return (pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)


def wrong_order(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
    """The lower basins run ahead of time: the liquid that is in a basin below the first
    some frames later (the gap between the first basin's filling and the last one's, and
    4 more) is shown there already, so a lower basin holds liquid before the one above it
    overflows (nothing lost or made)."""
    p = Cascade.maybe(inst.spec)
    if p is None:
        return None
    name, rows, parts = _rows(inst)
    n = len(rows)
    fills = sorted(e.frame for e in inst.events if e.kind == "fills")
    shift = (fills[-1] - fills[0] if len(fills) > 1 else 0) + 4
    out = rows.copy()
    for i in range(n):
        now = rows[i, parts:].reshape(-1, 2)
        ahead = rows[min(n - 1, i + shift), parts:].reshape(-1, 2)
        low = np.zeros(len(now), bool)
        for box in p.basins[1:]:
            low |= _inside(ahead, box)
        out[i, parts:] = np.where(low[:, None], ahead, now).ravel()
    return same(inst, _draw(inst, name, out))


def _scaled(pts: np.ndarray, box: list, factor: float) -> np.ndarray:
    """``pts`` with the depth of those in ``box`` (below its top) scaled by ``factor``
    towards its floor."""
    floor = box[3]
    inside = _inside(pts, box)
    out = pts.copy()
    out[inside, 1] = floor - (floor - pts[inside, 1]) * factor
    return out


def wrong_level(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
    """From two thirds of the clip on, the first basin holds a third of its depth and the
    last as much more as keeps the area (liquid moved from one to the other): both end at
    a wrong level, nothing lost."""
    p = Cascade.maybe(inst.spec)
    if p is None:
        return None
    name, rows, parts = _rows(inst)
    out = rows.copy()
    first, last = p.basins[0], p.basins[-1]
    for i in range(2 * len(rows) // 3, len(rows)):
        pts = rows[i, parts:].reshape(-1, 2)
        moved = float(_inside(pts, first).sum())
        kept = max(1.0, float(_inside(pts, last).sum()))
        pts = _scaled(pts, first, 1 / 3)
        pts = _scaled(pts, last, min(3.0, 1.0 + (2 / 3) * moved / kept))
        out[i, parts:] = pts.ravel()
    return same(inst, _draw(inst, name, out))


def lost(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
    """From a third of the clip on, the liquid that started in the top 40% of the tank is
    gone."""
    if Cascade.maybe(inst.spec) is None:
        return None
    name, rows, parts = _rows(inst)
    start = rows[0, parts:].reshape(-1, 2)
    top, bottom = start[:, 1].min(), start[:, 1].max()
    gone = start[:, 1] < top + 0.4 * (bottom - top)
    out = rows.copy()
    for i in range(len(rows) // 3, len(rows)):
        pts = rows[i, parts:].reshape(-1, 2).copy()
        pts[gone] = FAR
        out[i, parts:] = pts.ravel()
    return same(inst, _draw(inst, name, out))


def through_shelf(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
    """Re-simulated with the liquid passing through the tank's shelf (still drawn)."""
    p = Cascade.maybe(inst.spec)
    if p is None:
        return None
    return same(inst, planted.liquid_leak(inst, (p.shelf,)))


def through_lip(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
    """Re-simulated with the liquid passing through the first basin's lip (still drawn):
    it runs on into the next basin without filling the first."""
    p = Cascade.maybe(inst.spec)
    if p is None or not p.lip_walls:
        return None
    return same(inst, planted.liquid_leak(inst, (p.lip_walls[0],)))
