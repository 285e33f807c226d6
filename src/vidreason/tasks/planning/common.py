"""Pieces the planning families share: the schedule, grid scenes and their drawing.

Every planning video shows the solver's solution at a steady pace: nothing moves for the
first ``LEAD`` of the clip, the moves follow one another evenly until ``FINISH`` of the
clip, and the solved state holds to the end. The schedule is stored in seconds
(``scene.params.planning.Schedule``: ``t_start``, ``t_move``), so a longer clip only holds
the solved state longer.

A grid scene (``maze``, ``shortest-path``, ``connect``) keeps its grid in
``GridWalkParams.grid`` (rows, cols, x0, y0, cell, walls between cells, blocked cells),
its markers (goal squares, dots) in ``markers`` and, for a pen, the line it draws in
``ConnectParams.trail``; ``render_grid`` draws all of it with anti-aliased sub-pixel
shapes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

import cv2
import numpy as np

from vidreason.render.raster2d import fill_rect
from vidreason.scene.grid import Cell, GridGraph, Layout, graph_of, layout_of
from vidreason.scene.params.planning import (
    ConnectParams,
    GridRecord,
    GridWalkParams,
    Schedule,
)
from vidreason.tasks.palette import BACKGROUND, FLOOR, pick_colours, r4
from vidreason.types import Body, Event, SceneSpec, Trajectory, VideoFormat

LEAD = 0.08  # fraction of the clip before the first move
FINISH = 0.88  # fraction of the clip by which the last move is done
GRID_FILL = 0.9  # the grid spans this fraction of the frame's shorter side
WALL = FLOOR
GRID_LINE = (212, 212, 206)
# the walls and the grey their blurred edges take in a small video: both known colours
WALL_TONES = [list(WALL), [153, 153, 153]]
_SHIFT = 4
_ONE = 1 << _SHIFT


def max_moves(fmt: VideoFormat) -> int:
    """The most moves a clip can show at a pace the verifiers can follow at 8 fps and up
    (at least 2.5 frames of the clip per move)."""
    return max(2, int((FINISH - LEAD) * (fmt.n_frames - 1) / 2.5))


def schedule(fmt: VideoFormat, moves: int) -> Schedule:
    """``t_start`` (s) and ``t_move`` (s per move) for ``moves`` moves."""
    d = fmt.duration
    t_move = r4((FINISH - LEAD) * d / max(1, moves))
    return Schedule(optimal_moves=moves, t_start=r4(LEAD * d), t_move=t_move)


def moves_range(
    moves: dict[int, tuple[int, int]], difficulty: int, fmt: VideoFormat
) -> tuple[int, int]:
    """The least and most moves of a solution at ``difficulty`` (``moves``: the family's
    table), the most capped by what the clip can show (``max_moves``)."""
    lo, hi = moves[difficulty]
    hi = min(hi, max_moves(fmt))
    return min(lo, hi), hi


def pick_goal(
    rng: np.random.Generator,
    dist: dict[Cell, int],
    lo: int,
    hi: int,
    detour_from: Cell | None = None,
) -> Cell | None:
    """A random cell ``lo`` to ``hi`` moves away (``dist``: moves from the start) and, with
    ``detour_from`` (the start), only one the obstacles force a detour to (more moves than
    rows and columns apart); None when there is none (draw another grid)."""

    def detour(c: Cell, d: int) -> bool:
        return detour_from is None or d > abs(c[0] - detour_from[0]) + abs(c[1] - detour_from[1])

    goals = sorted(c for c, d in dist.items() if lo <= d <= hi and detour(c, d))
    return goals[int(rng.integers(len(goals)))] if goals else None


def walk_solution(spec: SceneSpec) -> tuple[Trajectory, tuple[Event, ...]]:
    """The agent's route from ``start`` to ``goal``: one shortest path (breadth-first
    search, fixed tie order), walked on the schedule."""
    p = GridWalkParams.of(spec)
    path = graph_of(spec).bfs_path(cell(p.start), cell(p.goal))
    assert path is not None
    states, events = walk_states(path, layout_of(spec), spec)
    return Trajectory(states={p.agent: states}), events


def finish_time(spec: SceneSpec) -> float:
    return Schedule.of(spec).finish


def seconds(t: float) -> str:
    return f"{t:.1f} seconds"


def ease(u: np.ndarray | float) -> np.ndarray | float:
    """Smoothstep on [0, 1]: starts and stops at rest."""
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def grid_layout(fmt: VideoFormat, rows: int, cols: int) -> Layout:
    cell = GRID_FILL * min(fmt.width / cols, fmt.height / rows)
    x0 = (fmt.width - cols * cell) / 2
    y0 = (fmt.height - rows * cell) / 2
    return Layout(rows, cols, r4(x0), r4(y0), r4(cell))


def grid_record(layout: Layout, graph: GridGraph) -> GridRecord:
    """``GridWalkParams.grid``: the layout and the graph as sorted, JSON-able lists."""
    walls = sorted(sorted(e) for e in graph.walls)
    return GridRecord(
        rows=layout.rows,
        cols=layout.cols,
        x0=layout.x0,
        y0=layout.y0,
        cell=layout.cell,
        walls=[[a[0], a[1], b[0], b[1]] for a, b in walls],
        blocked=sorted([list(c) for c in graph.blocked]),
    )


def agent_scene(
    spec: tuple[int, int, int, VideoFormat],
    layout: Layout,
    graph: GridGraph,
    start: Cell,
    moves: int,
    colour: tuple[str, tuple[int, int, int]],
    radius: float,
    params: Callable[..., GridWalkParams],
    name: str = "agent",
    **family: Any,
) -> SceneSpec:
    """The scene of a family whose one body (the agent, or a pen) walks the grid from
    ``start`` in ``moves`` steps: ``spec`` is (seed, index, difficulty, fmt),
    ``radius`` a fraction of the cell; ``params`` the family's parameters class, given the
    grid, the schedule and ``family``, what the family adds (``goal_fields``)."""
    seed, index, difficulty, fmt = spec
    p = params(
        **asdict(schedule(fmt, moves)),
        agent=name,
        grid=grid_record(layout, graph),
        start=list(start),
        **family,
    )
    x, y = layout.centre(start)
    body = Body(
        name=name,
        colour_name=colour[0],
        colour=colour[1],
        radius=r4(radius * layout.cell),
        mass=1.0,
        position=(r4(x), r4(y)),
        noun=name,
    )
    return SceneSpec(
        seed=seed,
        index=index,
        difficulty=difficulty,
        fmt=fmt,
        gravity=0.0,
        bodies=(body,),
        background=BACKGROUND,
        params=p.to_params(),
        extra=p.to_extra(),
    )


def goal_fields(
    goal: Cell, colour: tuple[str, tuple[int, int, int]], size: float, lines: bool
) -> dict[str, Any]:
    """The fields of a goal square of ``colour`` at ``goal`` (and, with ``lines``, grid
    lines drawn) for ``MazeParams`` and ``ShortestPathParams``."""
    marker = {"cell": list(goal), "shape": "square", "size": size, "colour": list(colour[1])}
    return {
        "goal": list(goal),
        "goal_colour": colour[0],
        "markers": [marker],
        "palette": [*WALL_TONES, list(colour[1]), *([list(GRID_LINE)] if lines else [])],
        "grid_lines": True if lines else None,
    }


def cell(c: list[int]) -> Cell:
    """A stored ``[row, col]`` as a ``Cell``."""
    return int(c[0]), int(c[1])


def wall_thickness(cell: float) -> float:
    """Walls thick enough to keep a solid core when a video is half the task's size."""
    return max(3.0, 0.2 * cell)


def walk_states(
    path: Sequence[Cell], layout: Layout, spec: SceneSpec
) -> tuple[tuple[tuple[float, ...], ...], tuple[Event, ...]]:
    """An agent walking ``path`` at constant speed on the schedule, sampled per frame,
    and a ``move`` event for each cell it enters (objects: name, "row,col")."""
    p = GridWalkParams.of(spec)
    fmt, t0, tau = spec.fmt, p.t_start, p.t_move
    pts = np.array([layout.centre(c) for c in path], dtype=float)
    states, events = [], []
    name = p.agent
    for i in range(fmt.n_frames):
        t = i / fmt.fps
        s = (t - t0) / tau
        if s <= 0 or len(path) == 1:
            p, v = pts[0], np.zeros(2)
        elif s >= len(path) - 1:
            p, v = pts[-1], np.zeros(2)
        else:
            k = int(np.floor(s))
            p = pts[k] + (s - k) * (pts[k + 1] - pts[k])
            v = (pts[k + 1] - pts[k]) / tau
        states.append((r4(p[0]), r4(p[1]), r4(v[0]), r4(v[1]), 0.0))
    for k, c in enumerate(path[1:]):
        t = t0 + (k + 0.5) * tau  # the agent crosses into the cell halfway through the move
        frame = int(np.ceil(t * fmt.fps - 1e-9))
        if frame < fmt.n_frames:
            events.append(Event("move", frame, r4(t), (name, f"{c[0]},{c[1]}")))
    return tuple(states), tuple(events)


def _pt(x: float, y: float) -> tuple[int, int]:
    return round(x * _ONE), round(y * _ONE)


def disc(img: np.ndarray, x: float, y: float, r: float, colour) -> None:
    cv2.circle(
        img, _pt(x, y), round(r * _ONE), tuple(int(v) for v in colour), -1, cv2.LINE_AA, _SHIFT
    )


def wall_rects(layout: Layout, graph: GridGraph) -> list[tuple[float, float, float, float]]:
    """The rectangles (x0, y0, x1, y1) of the blocked cells, the inner walls and the outer
    border, in drawing order."""
    x0, y0, s = layout.x0, layout.y0, layout.cell
    w = wall_thickness(s)
    out = []
    for r, c in sorted(graph.blocked):  # half a pixel larger: no seam between neighbours
        out.append(
            (x0 + c * s - 0.5, y0 + r * s - 0.5, x0 + (c + 1) * s + 0.5, y0 + (r + 1) * s + 0.5)
        )
    for e in sorted(sorted(e) for e in graph.walls):
        (r1, c1), (r2, c2) = e
        if r1 == r2:  # a vertical wall right of (r1, min col)
            x = x0 + max(c1, c2) * s
            out.append((x - w / 2, y0 + r1 * s - w / 2, x + w / 2, y0 + (r1 + 1) * s + w / 2))
        else:
            y = y0 + max(r1, r2) * s
            out.append((x0 + c1 * s - w / 2, y - w / 2, x0 + (c1 + 1) * s + w / 2, y + w / 2))
    x1, y1 = x0 + layout.cols * s, y0 + layout.rows * s
    out.append((x0 - w / 2, y0 - w / 2, x1 + w / 2, y0 + w / 2))
    out.append((x0 - w / 2, y1 - w / 2, x1 + w / 2, y1 + w / 2))
    out.append((x0 - w / 2, y0 - w / 2, x0 + w / 2, y1 + w / 2))
    out.append((x1 - w / 2, y0 - w / 2, x1 + w / 2, y1 + w / 2))
    return out


def draw_grid_lines(img: np.ndarray, layout: Layout) -> None:
    """One-pixel lines on whole pixels: no darker blend where two cross."""
    x0, y0, s = layout.x0, layout.y0, layout.cell
    ya, yb = round(y0), round(y0 + layout.rows * s)
    xa, xb = round(x0), round(x0 + layout.cols * s)
    for k in range(1, layout.cols):
        img[ya:yb, round(x0 + k * s)] = GRID_LINE
    for k in range(1, layout.rows):
        img[round(y0 + k * s), xa:xb] = GRID_LINE


def draw_walls(img: np.ndarray, layout: Layout, graph: GridGraph, lines: bool = False) -> None:
    """Blocked cells, grid lines (``lines``), inner walls and the outer border."""
    if lines:
        draw_grid_lines(img, layout)
    for r in wall_rects(layout, graph):
        fill_rect(img, *r, WALL)


def draw_markers(img: np.ndarray, layout: Layout, markers: Sequence[dict]) -> None:
    """Goal squares (``shape: square``) and dots (``shape: dot``), ``size`` in cells."""
    for m in markers:
        x, y = layout.centre(tuple(m["cell"]))
        half = m["size"] * layout.cell / 2
        if m["shape"] == "square":
            fill_rect(img, x - half, y - half, x + half, y + half, m["colour"])
        else:
            disc(img, x, y, half, m["colour"])


def render_grid(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
    """Every frame of a grid scene: static layer, the pen's line so far, then the bodies."""
    if spec.fmt.style != "flat":
        return _render_styled(spec, trajectory)
    layout, graph = layout_of(spec), graph_of(spec)
    base = np.empty((spec.fmt.height, spec.fmt.width, 3), np.uint8)
    base[:] = spec.background
    p = GridWalkParams.of(spec)
    draw_walls(base, layout, graph, lines=bool(p.grid_lines))
    draw_markers(base, layout, p.markers)
    connect = ConnectParams.maybe(spec)
    trail = connect.trail if connect is not None else None
    frames = []
    for i in range(trajectory.n_frames):
        img = base.copy()
        if trail is not None and trail.body in trajectory.states:
            pts = _trail_points(trajectory, trail.body, i)
            if len(pts) > 1:
                colour = tuple(int(v) for v in trail.colour)
                width = max(1, round(trail.width))
                cv2.polylines(img, [pts], False, colour, width, cv2.LINE_AA, _SHIFT)
        for body in spec.bodies:
            if body.name in trajectory.states:
                x, y = trajectory.states[body.name][i][:2]
                disc(img, x, y, body.radius, body.colour)
        frames.append(img)
    return np.stack(frames)


def _trail_points(trajectory: Trajectory, body: str, i: int) -> np.ndarray:
    return np.array([_pt(s[0], s[1]) for s in trajectory.states[body][: i + 1]], np.int32)


def _render_styled(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
    """A grid scene shaded or textured (``render/grid_style.py``): a lit or checked floor
    (the checks are the cells), walls and markers shaded or striped in tints of their
    colour, soft shadows under walls, markers and bodies (shaded)."""
    from vidreason.render import grid_style as gs

    layout, graph = layout_of(spec), graph_of(spec)
    style, s = spec.fmt.style, layout.cell
    p = GridWalkParams.of(spec)
    canvas = gs.backdrop(spec, spec.background, s, layout.x0, layout.y0)
    if p.grid_lines:
        lines = np.zeros(canvas.shape, np.uint8)
        draw_grid_lines(lines, layout)
        on = lines.any(axis=2)
        canvas[on] = lines[on]
    walls = [gs.rect(*r) for r in wall_rects(layout, graph)]
    marks = [_marker_shape(layout, m) for m in p.markers]
    if style == "shaded":
        gs.cast(canvas, walls + marks, gs.shadow_reach(2 * wall_thickness(s)))
    for w in walls:
        gs.paint(canvas, w, WALL, style, fixed=True)
    for shape, m in zip(marks, p.markers, strict=True):
        gs.paint(canvas, shape, m["colour"], style)
    connect = ConnectParams.maybe(spec)
    trail = connect.trail if connect is not None else None
    frames = np.empty((trajectory.n_frames, *canvas.shape), np.uint8)
    bodies = [b for b in spec.bodies if b.name in trajectory.states]
    for i in range(trajectory.n_frames):
        img = canvas.copy()
        if trail is not None and trail.body in trajectory.states:
            pts = _trail_points(trajectory, trail.body, i)
            if len(pts) > 1:
                cover = np.zeros(canvas.shape[:2], np.uint8)
                width = max(1, round(trail.width))
                cv2.polylines(cover, [pts], False, 255, width, cv2.LINE_AA, _SHIFT)
                a = gs.three(cover.astype(np.float32) / 255.0)
                img += a * (np.asarray(trail.colour, np.float32) - img)
        at = [trajectory.states[b.name][i] for b in bodies]
        shapes = [gs.disc(p[0], p[1], b.radius) for p, b in zip(at, bodies, strict=True)]
        if style == "shaded" and bodies:
            gs.cast(img, shapes, gs.shadow_reach(2 * max(b.radius for b in bodies)))
        for b, shape in zip(bodies, shapes, strict=True):
            gs.paint(img, shape, b.colour, style)
        frames[i] = gs.to_uint8(img)
    return frames


def _marker_shape(layout: Layout, m: dict):
    from vidreason.render import grid_style as gs

    x, y = layout.centre(tuple(m["cell"]))
    half = m["size"] * layout.cell / 2
    if m["shape"] == "square":
        return gs.rect(x - half, y - half, x + half, y + half)
    return gs.disc(x, y, half)


def pick_distinct(rng: np.random.Generator, k: int) -> list[tuple[str, tuple[int, int, int]]]:
    """``pick_colours`` retried until its random picks leave room for ``k`` (six needs
    the right first picks)."""
    for _ in range(200):
        try:
            return pick_colours(rng, k)
        except ValueError:
            continue
    raise ValueError(f"cannot pick {k} colours that are easy to tell apart")  # pragma: no cover


def pick_cells(
    rng: np.random.Generator, layout: Layout, k: int, exclude: set[Cell] | None = None
) -> list[Cell]:
    """``k`` distinct random cells of the grid, none in ``exclude``."""
    cells = [
        c
        for c in itertools.product(range(layout.rows), range(layout.cols))
        if c not in (exclude or set())
    ]
    idx = rng.choice(len(cells), size=k, replace=False)
    return [cells[int(i)] for i in idx]
