"""Grid walks: an agent (or a pen) tracked by its colour key moves from cell to cell.

``Layout`` is where a family drew its grid (``scene/grid.py``). ``walk`` turns the
tracked positions into the cells the agent entered and the frame of each entry: the
agent is in the cell under its centre, and it changes cell only once it is clearly past
the border (a tenth of a cell), so tracking noise on a border is not a move. Each entry
is judged: one side step through an open passage is legal; a step through a wall, onto
an obstacle or a forbidden cell, a diagonal step, a jump of more than one cell or a
step off the grid is not, and is named with its cells and frame.

``walk_checks`` are the law checks of ``maze`` and ``shortest-path`` (and, with the
line rules, of ``connect``): ``legal_moves``, ``goal``, ``optimal``, ``timing``, ``scene``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.grid import Cell, GridGraph, Layout, graph_of, layout_of
from vidreason.scene.params.planning import GridWalkParams
from vidreason.types import Body, Check, Instance, SceneSpec
from vidreason.verifiers import planning
from vidreason.verifiers.checks import band

HYSTERESIS = 0.1  # cells past a border before the agent counts as in the next cell
CENTRED = 0.2  # cells from a cell's centre: the agent stands in that cell


def fmt_cell(c: Cell) -> str:
    return f"({c[0]},{c[1]})"


@dataclass
class Walk:
    """Cells entered in order, the frame of each entry, and the illegal moves."""

    cells: list[Cell] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    moves: int = 0

    @property
    def end(self) -> Cell | None:
        return self.cells[-1] if self.cells else None


@dataclass(frozen=True)
class Rules:
    """What a walk may not do besides crossing walls, blocked cells and the border."""

    who: str  # "the red agent"
    forbidden: dict[Cell, str] = field(default_factory=dict)  # cell -> what is there
    no_revisit: bool = False  # a drawn line may not cross itself


def _judge(a: Cell, b: Cell, frame: int, graph: GridGraph, rules: Rules, seen: set[Cell]) -> str:
    who = rules.who
    if not graph.inside(b):
        return f"{who} leaves the grid at frame {frame}"
    dr, dc = abs(b[0] - a[0]), abs(b[1] - a[1])
    if dr == 1 and dc == 1:
        return f"{who} moves diagonally from cell {fmt_cell(a)} to {fmt_cell(b)} at frame {frame}"
    if dr + dc > 1:
        return (
            f"{who} jumps from cell {fmt_cell(a)} to {fmt_cell(b)} at frame {frame}"
            f" instead of moving one square at a time"
        )
    if graph.wall_between(a, b):
        return (
            f"{who} crosses the wall between cells {fmt_cell(a)} and {fmt_cell(b)} at frame {frame}"
        )
    if b in graph.blocked:
        return f"{who} moves onto the obstacle at cell {fmt_cell(b)} at frame {frame}"
    if b in rules.forbidden:
        return f"{who} passes over {rules.forbidden[b]} at cell {fmt_cell(b)} at frame {frame}"
    if rules.no_revisit and b in seen:
        return f"{who}'s line crosses itself at cell {fmt_cell(b)} at frame {frame}"
    return ""


def _centred(layout: Layout, p: np.ndarray, c: Cell) -> bool:
    cx, cy = layout.centre(c)
    return bool(np.hypot(p[0] - cx, p[1] - cy) < CENTRED * layout.cell)


def walk(
    pos: np.ndarray,
    layout: Layout,
    graph: GridGraph,
    rules: Rules,
    times: np.ndarray | None = None,
    t_move: float = 0.0,
) -> Walk:
    """The cells entered by an agent at positions ``pos`` (n, 2; NaN where not found).
    With ``times``, a move from the middle of one cell to the middle of the next between
    two frames (never seen on the way: the readings ``planning.JUMP_SPAN`` apart and closer in
    time than the task's pace allows) is a jump."""
    out = Walk()
    cur: Cell | None = None
    last = -1
    for k in np.flatnonzero(np.isfinite(pos[:, 0])):
        x, y = pos[k]
        c = layout.cell_at(x, y)
        if cur is None:
            cur, last = c, int(k)
            out.cells.append(c)
            out.frames.append(int(k))
            continue
        if c == cur or layout.distance(x, y, cur) < HYSTERESIS:
            last = int(k)
            continue
        gap = int(k) - last
        steps = abs(c[0] - cur[0]) + abs(c[1] - cur[1])
        if gap > 1 and 1 < steps <= gap and graph.inside(c):  # frames missing in between
            route = graph.bfs_path(cur, c)
            if route is not None and len(route) - 1 == steps:
                out.moves += steps
                out.cells.extend(route[1:])
                out.frames.extend([int(k)] * steps)
                cur, last = c, int(k)
                continue
        problem = _judge(cur, c, int(k), graph, rules, set(out.cells))
        if (
            not problem
            and times is not None
            and steps == 1
            and _centred(layout, pos[last], cur)
            and _centred(layout, pos[k], c)
            and np.hypot(*(pos[k] - pos[last])) >= planning.JUMP_SPAN * layout.cell
            and planning.unseen_move(float(times[last]), float(times[k]), False, t_move)
        ):
            problem = (
                f"{rules.who} jumps from cell {fmt_cell(cur)} to {fmt_cell(c)} between frames"
                f" {last} and {int(k)} without being seen on the way"
            )
        if problem:
            out.problems.append(problem)
        out.moves += 1 if not problem or steps == 1 else steps
        out.cells.append(c)
        out.frames.append(int(k))
        cur, last = c, int(k)
    return out


def truth_positions(instance: Instance, name: str) -> tuple[np.ndarray, np.ndarray]:
    states = instance.trajectory.array(name)
    return np.arange(len(states)) / instance.spec.fmt.fps, states[:, :2]


def arrival(walk_: Walk, times: np.ndarray, goal: Cell) -> float | None:
    """When the walk entered the goal for the last time, if it ends there."""
    if walk_.end != goal:
        return None
    return float(times[walk_.frames[-1]])


def agent_of(spec: SceneSpec) -> Body:
    return spec.body(GridWalkParams.of(spec).agent)


def describe_place(layout: Layout, graph: GridGraph) -> Callable[[float, float, bool], str]:
    """A function naming where a change at (x, y) is: a wall, a border or a cell."""

    def describe(x: float, y: float, darker: bool) -> str:
        u, v = (x - layout.x0) / layout.cell, (y - layout.y0) / layout.cell
        r, c = int(np.floor(v)), int(np.floor(u))
        fu, fv = u - np.floor(u), v - np.floor(v)
        near_u, near_v = min(fu, 1 - fu), min(fv, 1 - fv)
        if min(near_u, near_v) < 0.15:
            if near_u <= near_v:
                a, b = (r, c - 1 if fu < 0.5 else c), (r, c if fu < 0.5 else c + 1)
            else:
                a, b = (r - 1 if fv < 0.5 else r, c), (r if fv < 0.5 else r + 1, c)
            if graph.inside(a) and graph.inside(b):
                cells = f"between cells {fmt_cell(a)} and {fmt_cell(b)}"
                if graph.wall_between(a, b):
                    return f"the wall {cells} {'changes' if darker else 'disappears'}"
                return f"a wall appears {cells}" if darker else f"the floor {cells} changes"
        if layout.inside((r, c)):
            return f"the scene changes in cell {fmt_cell((r, c))}"
        return f"the scene changes outside the grid near ({x:.0f}, {y:.0f})"

    return describe


def goal_check(got: Walk, goal: Cell, who: str) -> Check:
    """The walk ends in the goal cell."""
    if got.end is None:
        return Check("goal", 0.0, f"{who} is not visible in any frame")
    if got.end != goal:
        note = f"{who} ends in cell {fmt_cell(got.end)}, not at the goal {fmt_cell(goal)}"
        return Check("goal", 0.0, note)
    return Check("goal", 1.0)


def optimal_check(got: Walk, best: int, who: str, strict: bool) -> Check:
    """The walk takes the fewest moves (``strict``), or up to half as many again."""
    if strict:
        value = 1.0 if got.moves == best else 0.0
    else:
        value = band(got.moves / best - 1.0, 0.5, 1.0) if got.moves >= best else 0.0
    note = (
        ""
        if value == 1.0
        else f"{who} makes {planning.count(got.moves, 'move')}; the shortest route takes {best}"
    )
    return Check("optimal", value, note)


def grid_scene_check(
    tracks: Tracks,
    body: Body,
    layout: Layout,
    graph: GridGraph,
    exclude_extra: Callable[[int], np.ndarray] | None,
) -> Check:
    """Nothing but the walker (where it starts and where it is) changes the picture."""
    pos = tracks.pos[body.name]
    start = np.asarray(tracks.pos[body.name][np.isfinite(pos[:, 0])][:1]).reshape(-1, 2)
    margin = body.radius + 0.2 * layout.cell + 2

    def exclude(k: int) -> np.ndarray:
        shape = tracks.frames.shape[1:3]
        mask = planning.discs(shape, [*map(tuple, start)], margin)
        mask |= planning.discs(
            shape, [planning.last_found(pos, k)], margin + planning.smear(pos, k)
        )
        return mask | exclude_extra(k) if exclude_extra is not None else mask

    return planning.scene(
        tracks,
        exclude,
        describe_place(layout, graph),
        min_area=max(12.0, 0.06 * layout.cell**2),
    )


def walk_checks(
    tracks: Tracks,
    instance: Instance,
    rules: Rules | None = None,
    strict: bool = True,
    exclude_extra: Callable[[int], np.ndarray] | None = None,
) -> list[Check]:
    """The law checks of a grid walk (``maze``, ``shortest-path``; ``connect`` with its
    rules): every move legal (``legal_moves``), ending at the goal (``goal``) in the fewest
    moves (``optimal``; not ``strict``: up to half as many again), when the truth does
    (``timing``), and nothing else changing (``scene``)."""
    spec = instance.spec
    layout, graph = layout_of(spec), graph_of(spec)
    body = agent_of(spec)
    rules = rules or Rules(who=f"the {body.label}")
    params = GridWalkParams.of(spec)
    goal: Cell = (params.goal[0], params.goal[1])
    got = walk(tracks.pos[body.name], layout, graph, rules, tracks.times, float(params.t_move))
    t_truth, p_truth = truth_positions(instance, body.name)
    truth = walk(p_truth, layout, graph, rules)
    return [
        planning.legal("legal_moves", got.problems),
        goal_check(got, goal, rules.who),
        optimal_check(got, params.optimal_moves, rules.who, strict),
        planning.timing(
            arrival(got, tracks.times, goal),
            arrival(truth, t_truth, goal),
            spec.fmt.duration,
            "route",
        ),
        grid_scene_check(tracks, body, layout, graph, exclude_extra),
    ]
