"""A 2D liquid with Taichi's MLS-MPM (the ``mpm88`` scheme: a weakly compressible fluid,
APIC transfers, quadratic B-splines), run on the CPU on one thread so the same scene gives
the same bytes. Taichi is imported only here, and only when a liquid is first simulated
(``load_taichi``: its banner silenced; a missing install is one ``UserError``).

The simulation square is the picture's larger side (``Liquid.metres`` metres) on a
``GRID`` x ``GRID`` grid; the scene's walls (``SceneSpec.walls``, solid rectangles) stop
the liquid (grid nodes inside them hold no velocity). The liquid starts at rest filling
``Liquid.blocks`` with particles half a cell apart. The liquid's trajectory row is::

    x, y, vx, vy, 0,            the centroid of its region (px) and its velocity (px/s)
    x_sim, y_sim,               the centroid as simulated
    p0x, p0y, p1x, p1y, ...     every particle (px)

An edited row whose (x, y) is not (x_sim, y_sim) (a teleport) is drawn moved by the
difference (``render/liquid.py``).
"""

import contextlib  # no `from __future__ import annotations`: Taichi reads kernel annotations
import io
import os
from types import ModuleType
from typing import Any

import numpy as np

from vidreason.scene.liquid import features, mask, wall_rect
from vidreason.scene.params.fluids import Liquid
from vidreason.types import Event, SceneSpec, Trajectory

GRID = 48  # cells across the simulation square
MAX_PARTICLES = 4096
CFL = 0.4  # time step: this share of a cell crossed at the speed of sound
REF = 5  # x_sim, y_sim
PARTS = 7  # the particles' columns
_STATE: dict[str, Any] = {}


def load_taichi() -> ModuleType:
    """Taichi, started once per process on one CPU thread (deterministic), quietly."""
    if "ti" in _STATE:
        return _STATE["ti"]
    from vidreason.errors import UserError

    os.environ.setdefault("TI_LOG_LEVEL", "error")
    os.environ.setdefault("TI_ENABLE_TRACEBACK", "0")
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            import taichi as ti
        except ImportError:
            raise UserError("the fluids families need Taichi: pip install 'taichi>=1.7'") from None
        ti.init(arch=ti.cpu, cpu_max_num_threads=1, random_seed=0, log_level=ti.ERROR)
    _STATE["ti"] = ti
    _STATE["kernels"] = _build(ti)
    return ti


def _build(ti: Any) -> dict[str, Any]:
    """The particle and grid fields and the kernel advancing them one frame."""
    n_grid, dx = GRID, 1.0 / GRID
    inv_dx = float(GRID)
    f32 = ti.f32
    x = ti.Vector.field(2, f32, MAX_PARTICLES)
    v = ti.Vector.field(2, f32, MAX_PARTICLES)
    c = ti.Matrix.field(2, 2, f32, MAX_PARTICLES)
    jac = ti.field(f32, MAX_PARTICLES)
    gv = ti.Vector.field(2, f32, (n_grid, n_grid))
    gm = ti.field(f32, (n_grid, n_grid))
    solid = ti.field(ti.i32, (n_grid, n_grid))

    @ti.kernel
    def frame(n: ti.i32, steps: ti.i32, dt: ti.f32, g: ti.f32, stiff: ti.f32, damp: ti.f32):
        p_vol = (dx * 0.5) ** 2
        p_mass = p_vol
        ti.loop_config(serialize=True)
        for _ in range(steps):
            for i, j in ti.ndrange(n_grid, n_grid):
                gv[i, j] = [0.0, 0.0]
                gm[i, j] = 0.0
            for p in range(n):
                xp = x[p] * inv_dx
                base = int(xp - 0.5)
                fx = xp - base
                w = [0.5 * (1.5 - fx) ** 2, 0.75 - (fx - 1) ** 2, 0.5 * (fx - 0.5) ** 2]
                stress = -dt * 4 * stiff * p_vol * (jac[p] - 1) * inv_dx * inv_dx
                affine = ti.Matrix([[stress, 0.0], [0.0, stress]]) + p_mass * c[p]
                for a, b in ti.static(ti.ndrange(3, 3)):
                    off = ti.Vector([a, b])
                    dpos = (off - fx) * dx
                    wt = w[a].x * w[b].y
                    gv[base + off] += wt * (p_mass * v[p] + affine @ dpos)
                    gm[base + off] += wt * p_mass
            for i, j in ti.ndrange(n_grid, n_grid):
                if gm[i, j] > 0:
                    gv[i, j] /= gm[i, j]
                gv[i, j].y -= dt * g
                gv[i, j] *= ti.exp(-damp * dt)
                if solid[i, j] == 1:
                    gv[i, j] = [0.0, 0.0]
                if i < 3 and gv[i, j].x < 0:
                    gv[i, j].x = 0
                if i > n_grid - 3 and gv[i, j].x > 0:
                    gv[i, j].x = 0
                if j < 3 and gv[i, j].y < 0:
                    gv[i, j].y = 0
                if j > n_grid - 3 and gv[i, j].y > 0:
                    gv[i, j].y = 0
            for p in range(n):
                xp = x[p] * inv_dx
                base = int(xp - 0.5)
                fx = xp - base
                w = [0.5 * (1.5 - fx) ** 2, 0.75 - (fx - 1) ** 2, 0.5 * (fx - 0.5) ** 2]
                new_v = ti.Vector.zero(f32, 2)
                new_c = ti.Matrix.zero(f32, 2, 2)
                for a, b in ti.static(ti.ndrange(3, 3)):
                    off = ti.Vector([a, b])
                    dpos = (off - fx) * dx
                    wt = w[a].x * w[b].y
                    g_v = gv[base + off]
                    new_v += wt * g_v
                    new_c += 4 * wt * g_v.outer_product(dpos) * inv_dx * inv_dx
                v[p] = new_v
                x[p] += dt * new_v
                jac[p] *= 1 + dt * new_c.trace()
                c[p] = new_c

    return {"x": x, "v": v, "c": c, "jac": jac, "solid": solid, "frame": frame}


def scale(spec: SceneSpec) -> float:
    """Picture pixels per simulation unit (the picture's larger side)."""
    return float(max(spec.fmt.width, spec.fmt.height))


def spacing(spec: SceneSpec) -> float:
    """Distance between neighbouring particles at rest (px)."""
    return scale(spec) / GRID / 2


def to_sim(spec: SceneSpec, px: np.ndarray) -> np.ndarray:
    s = scale(spec)
    return np.stack([px[:, 0] / s, (spec.fmt.height - px[:, 1]) / s], axis=1)


def to_px(spec: SceneSpec, sim: np.ndarray) -> np.ndarray:
    s = scale(spec)
    return np.stack([sim[:, 0] * s, spec.fmt.height - sim[:, 1] * s], axis=1)


def particles(spec: SceneSpec) -> np.ndarray:
    """The liquid at the start (px): particles half a cell apart filling every block."""
    step = spacing(spec)
    pts = []
    for x0, y0, x1, y1 in Liquid.of(spec).blocks:
        xs = np.arange(x0 + step / 2, x1, step)
        ys = np.arange(y0 + step / 2, y1, step)
        gx, gy = np.meshgrid(xs, ys)
        pts.append(np.stack([gx.ravel(), gy.ravel()], axis=1))
    out = np.concatenate(pts) if pts else np.zeros((0, 2))
    if len(out) > MAX_PARTICLES:
        raise ValueError(f"{len(out)} particles: at most {MAX_PARTICLES}")
    return out


def solid_nodes(spec: SceneSpec) -> np.ndarray:
    """Per grid node (i across, j up), whether it lies in a wall the liquid cannot cross."""
    p = Liquid.of(spec)
    ignore = set(p.ignore or ())
    rects = [wall_rect(w) for k, w in enumerate(spec.walls) if k not in ignore]
    s = scale(spec)
    i, j = np.meshgrid(np.arange(GRID), np.arange(GRID), indexing="ij")
    xs, ys = i / GRID * s, spec.fmt.height - j / GRID * s
    out = np.zeros((GRID, GRID), dtype=np.int32)
    for x0, y0, x1, y1 in rects:
        out[(xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)] = 1
    return out


def simulate(spec: SceneSpec) -> tuple[Trajectory, tuple[Event, ...]]:
    """The liquid's trajectory over the clip (rows as the module docstring says)."""
    load_taichi()
    k = _STATE["kernels"]
    p = Liquid.of(spec)
    start = particles(spec)
    n = len(start)
    xa = np.zeros((MAX_PARTICLES, 2), np.float32)
    xa[:n] = to_sim(spec, start)
    k["x"].from_numpy(xa)
    k["v"].from_numpy(np.zeros((MAX_PARTICLES, 2), np.float32))
    k["c"].from_numpy(np.zeros((MAX_PARTICLES, 2, 2), np.float32))
    k["jac"].from_numpy(np.ones(MAX_PARTICLES, np.float32))
    k["solid"].from_numpy(solid_nodes(spec))
    frame_time = 1.0 / spec.fmt.fps / p.slow_motion  # simulated seconds per frame
    dt = CFL / GRID / float(np.sqrt(p.stiffness))
    steps = int(np.ceil(frame_time / dt))
    dt = frame_time / steps
    g = spec.gravity / p.metres
    frames = [start]
    for _ in range(spec.fmt.n_frames - 1):
        k["frame"](n, steps, dt, g, p.stiffness, p.damping)
        frames.append(to_px(spec, k["x"].to_numpy()[:n].astype(np.float64)))
    return Trajectory({spec.bodies[0].name: rows(spec, frames)}), ()


def rows(spec: SceneSpec, frames: list[np.ndarray]) -> tuple[tuple[float, ...], ...]:
    """Trajectory rows of the liquid from its particles in each frame."""
    w, h, step = spec.fmt.width, spec.fmt.height, spacing(spec)
    centres = np.array([features(mask(f, w, h, step))[:2] for f in frames])
    vel = np.gradient(centres, axis=0) * spec.fmt.fps if len(frames) > 1 else 0 * centres
    out = []
    for f, (cx, cy), (vx, vy) in zip(frames, centres, vel, strict=True):
        pts = np.round(f, 2).ravel()
        head = [round(float(cx), 3), round(float(cy), 3), round(float(vx), 3), round(float(vy), 3)]
        out.append((*head, 0.0, head[0], head[1], *map(float, pts)))
    return tuple(out)
