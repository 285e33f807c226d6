"""A 2D liquid with Taichi's MLS-MPM (the ``mpm88`` scheme: a weakly compressible fluid,
APIC transfers, quadratic B-splines), run on the CPU on one thread with IEEE arithmetic
(``SETTINGS``) so the same scene gives the same bytes on any machine: Taichi's default fast
math lets LLVM fuse multiply-adds and use approximate reciprocals for the host CPU it
compiles for, and the same seed gave other particles (and other pixels) on another CPU. Taichi
is imported only here, and only when a liquid is first simulated
(``load_taichi``: its banner silenced; a missing install is one ``UserError``).

The simulation square is the picture's larger side (``Liquid.metres`` metres) on a
``GRID`` x ``GRID`` grid; the scene's walls (``SceneSpec.walls``, solid rectangles) stop
the liquid (grid nodes inside them hold no velocity). The liquid starts at rest filling
``Liquid.blocks`` with particles half a cell apart. The liquid's trajectory row is::

    x, y, vx, vy, a,            the centroid of its region (px) and its velocity (px/s),
                                a tilting container's angle (radians, clockwise; else 0)
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

from vidreason.scene.liquid import cup_angle, features, mask, wall_rect
from vidreason.scene.params.fluids import Liquid
from vidreason.types import Event, SceneSpec, Trajectory

GRID = 48  # cells across the simulation square
MAX_PARTICLES = 4096
MAX_CUP = 8  # walls of a tilting container
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
        ti.init(
            arch=ti.cpu,
            cpu_max_num_threads=1,
            fast_math=False,
            random_seed=0,
            log_level=ti.ERROR,
        )
    _STATE["ti"] = ti
    return ti


def kernels(grid: int) -> dict[str, Any]:
    """The fields and kernels of a ``grid`` x ``grid`` simulation, built once per process."""
    ti = load_taichi()
    key = f"kernels{grid}"
    if key not in _STATE:
        _STATE[key] = _build(ti, grid)
    return _STATE[key]


def _build(ti: Any, n_grid: int) -> dict[str, Any]:
    """The particle and grid fields and the kernels advancing them one frame: ``frame``
    within static walls, ``frame_cup`` with a tilting container besides (compiled on its
    first use)."""
    dx = 1.0 / n_grid
    inv_dx = float(n_grid)
    f32 = ti.f32
    x = ti.Vector.field(2, f32, MAX_PARTICLES)
    v = ti.Vector.field(2, f32, MAX_PARTICLES)
    c = ti.Matrix.field(2, 2, f32, MAX_PARTICLES)
    jac = ti.field(f32, MAX_PARTICLES)
    gv = ti.Vector.field(2, f32, (n_grid, n_grid))
    gm = ti.field(f32, (n_grid, n_grid))
    solid = ti.field(ti.i32, (n_grid, n_grid))
    cup = ti.Vector.field(4, f32, MAX_CUP)  # the container's walls about its pivot (x0 y0 x1 y1)
    faces = ti.field(ti.i32, MAX_CUP)  # bits: the faces of each it holds liquid off (-x +x -y +y)

    def make(moving: bool) -> Any:
        @ti.kernel
        def frame(
            n: ti.i32,
            steps: ti.i32,
            dt: ti.f32,
            g: ti.f32,
            stiff: ti.f32,
            damp: ti.f32,
            t0: ti.f32,
            ta: ti.f32,
            tb: ti.f32,
            turn: ti.f32,
            px: ti.f32,
            py: ti.f32,
            n_cup: ti.i32,
        ):
            p_vol = (dx * 0.5) ** 2
            p_mass = p_vol
            ti.loop_config(serialize=True)
            for s in range(steps):
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
                # the container's tilt (clockwise as seen, radians) and its rate this step
                ang, rate = 0.0, 0.0
                if ti.static(moving):
                    u = ti.min(1.0, ti.max(0.0, (t0 + s * dt - ta) / (tb - ta)))
                    ang = turn * u * u * (3.0 - 2.0 * u)
                    if 0.0 < u < 1.0:
                        rate = turn * 6.0 * u * (1.0 - u) / (tb - ta)
                for i, j in ti.ndrange(n_grid, n_grid):
                    if gm[i, j] > 0:
                        gv[i, j] /= gm[i, j]
                    gv[i, j].y -= dt * g
                    gv[i, j] *= ti.exp(-damp * dt)
                    if solid[i, j] == 1:
                        gv[i, j] = [0.0, 0.0]
                    if ti.static(moving):
                        # a node inside the container's walls: the liquid slides along the
                        # wall and may leave it, but moves into it no faster than the wall
                        # (the node turned back to the container at rest: y up, so a turn
                        # clockwise as seen is negative)
                        rx, ry = i * dx - px, j * dx - py
                        ca, sa = ti.cos(ang), ti.sin(ang)
                        lx, ly = ca * rx - sa * ry, sa * rx + ca * ry
                        for k in range(n_cup):
                            r = cup[k]
                            if r[0] <= lx <= r[2] and r[1] <= ly <= r[3]:
                                # the normal of its nearest face that liquid touches (not the
                                # outside of the cup, which a node deep in a thin wall may be
                                # nearer: liquid would pass out through the wall)
                                f = faces[k]
                                nx, ny, near = 0.0, 1.0, 1e9
                                if f & 1 and lx - r[0] < near:
                                    nx, ny, near = -1.0, 0.0, lx - r[0]
                                if f & 2 and r[2] - lx < near:
                                    nx, ny, near = 1.0, 0.0, r[2] - lx
                                if f & 4 and ly - r[1] < near:
                                    nx, ny, near = 0.0, -1.0, ly - r[1]
                                if f & 8 and r[3] - ly < near:
                                    nx, ny, near = 0.0, 1.0, r[3] - ly
                                normal = ti.Vector([ca * nx + sa * ny, -sa * nx + ca * ny])
                                wall_v = ti.Vector([rate * ry, -rate * rx])
                                rel = gv[i, j] - wall_v
                                into = rel.dot(normal)
                                if into < 0:
                                    rel -= into * normal
                                gv[i, j] = wall_v + rel
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

        return frame

    return {
        "x": x,
        "v": v,
        "c": c,
        "jac": jac,
        "solid": solid,
        "cup": cup,
        "faces": faces,
        "frame": make(False),
        "frame_cup": make(True),
    }


def scale(spec: SceneSpec) -> float:
    """Picture pixels per simulation unit (the picture's larger side)."""
    return float(max(spec.fmt.width, spec.fmt.height))


def grid(spec: SceneSpec) -> int:
    """Cells across the simulation square: ``Liquid.grid``, by default ``GRID``."""
    return Liquid.of(spec).grid or GRID


def spacing(spec: SceneSpec) -> float:
    """Distance between neighbouring particles at rest (px)."""
    return scale(spec) / grid(spec) / 2


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
    s, n = scale(spec), grid(spec)
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    xs, ys = i / n * s, spec.fmt.height - j / n * s
    out = np.zeros((n, n), dtype=np.int32)
    for x0, y0, x1, y1 in rects:
        out[(xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)] = 1
    return out


def simulate(spec: SceneSpec) -> tuple[Trajectory, tuple[Event, ...]]:
    """The liquid's trajectory over the clip (rows as the module docstring says)."""
    k = kernels(grid(spec))
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
    dt = CFL / grid(spec) / float(np.sqrt(p.stiffness))
    steps = int(np.ceil(frame_time / dt))
    dt = frame_time / steps
    g = spec.gravity / p.metres
    tilt: tuple[float | int, ...] = (0.0, 1.0, 0.0, 0.0, 0.0, 0)
    kernel = k["frame"]
    if p.cup and p.tilt and p.pivot:
        kernel, tilt = k["frame_cup"], _tilt(spec, p, k)
    frames = [start]
    for f in range(spec.fmt.n_frames - 1):
        kernel(n, steps, dt, g, p.stiffness, p.damping, f * frame_time, *tilt)
        frames.append(to_px(spec, k["x"].to_numpy()[:n].astype(np.float64)))
    angles = None
    if p.cup and p.tilt and p.pivot:
        angles = [cup_angle(p.tilt, f * frame_time) for f in range(spec.fmt.n_frames)]
    return Trajectory({spec.bodies[0].name: rows(spec, frames, angles)}), ()


def _tilt(
    spec: SceneSpec, p: Liquid, k: dict[str, Any]
) -> tuple[float, float, float, float, float, int]:
    """The tilting container's arguments of ``frame_cup`` (its walls loaded into ``cup``,
    with the faces of each that face the cup's inside or up): the tilt's start and end
    (s), its angle (radians), the pivot and the number of walls (simulation units, y up)."""
    assert p.cup is not None and p.tilt is not None and p.pivot is not None
    if len(p.cup) > MAX_CUP:
        raise ValueError(f"{len(p.cup)} container walls: at most {MAX_CUP}")
    s = scale(spec)
    px, py = p.pivot
    rects = np.zeros((MAX_CUP, 4), np.float32)
    faces = np.zeros(MAX_CUP, np.int32)
    box = np.asarray(p.cup, dtype=float)
    mx = (box[:, 0].min() + box[:, 2].max()) / 2  # the middle of the cup (px)
    my = (box[:, 1].min() + box[:, 3].max()) / 2
    for i, (x0, y0, x1, y1) in enumerate(p.cup):
        rects[i] = [(x0 - px) / s, (py - y1) / s, (x1 - px) / s, (py - y0) / s]
        faces[i] = 8 | (1 if mx < x0 else 0) | (2 if mx > x1 else 0) | (4 if my > y1 else 0)
    k["cup"].from_numpy(rects)
    k["faces"].from_numpy(faces)
    sx, sy = to_sim(spec, np.array([[px, py]]))[0]
    t0, t1, deg = p.tilt
    return t0, t1, float(np.radians(deg)), float(sx), float(sy), len(p.cup)


def rows(
    spec: SceneSpec, frames: list[np.ndarray], angles: list[float] | None = None
) -> tuple[tuple[float, ...], ...]:
    """Trajectory rows of the liquid from its particles in each frame (``angles``: a
    tilting container's, in the angle's column)."""
    w, h, step = spec.fmt.width, spec.fmt.height, spacing(spec)
    blur = Liquid.of(spec).blur
    centres = np.array([features(mask(f, w, h, step, blur))[:2] for f in frames])
    vel = np.gradient(centres, axis=0) * spec.fmt.fps if len(frames) > 1 else 0 * centres
    out = []
    turns = angles if angles is not None else [0.0] * len(frames)
    for f, (cx, cy), (vx, vy), a in zip(frames, centres, vel, turns, strict=True):
        pts = np.round(f, 2).ravel()
        head = [round(float(cx), 3), round(float(cy), 3), round(float(vx), 3), round(float(vy), 3)]
        out.append((*head, round(float(a), 5), head[0], head[1], *map(float, pts)))
    return tuple(out)
