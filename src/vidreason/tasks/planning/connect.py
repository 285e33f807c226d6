"""`connect`: a pen draws a line joining two dots of the same colour, around walls and
past the dots of other colours, without crossing its own line.

The grid (5x5, 6x6, 7x7) has walls between some neighbouring cells; difficulty 2 and 3
add one or two pairs of dots of other colours that the line may not pass over and that,
where possible, stand on the most direct route. The solver (breadth-first search that
avoids the other dots) gives the line; the pen draws it at a steady pace. The verifier
follows the pen from cell to cell and reads the finished line in the last frame.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.grid import GridGraph, graph_of, layout_of
from vidreason.scene.params.planning import ConnectParams, TrailRecord
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import NO_PATH_CHECKS, CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.palette import pick_colours, r4
from vidreason.tasks.planning import common
from vidreason.tasks.wording import article
from vidreason.types import Event, SceneSpec, Trajectory, VideoFormat

SIZE = {1: 5, 2: 6, 3: 7}
WALLS = {1: 0.15, 2: 0.22, 3: 0.28}  # share of inner edges with a wall
OTHER_PAIRS = {1: 0, 2: 1, 3: 2}
MOVES = {1: (5, 8), 2: (7, 11), 3: (9, 14)}
PEN_RADIUS = 0.33  # covers a dot whole: no thin ring of mixed colours
DOT_SIZE = 0.56
LINE_WIDTH = 0.2


def _other_dots(p: ConnectParams) -> list[tuple[int, int]]:
    return [common.cell(m["cell"]) for m in p.markers[2:]]


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    n = SIZE[difficulty]
    lo, hi = common.moves_range(MOVES, difficulty, fmt)
    layout = common.grid_layout(fmt, n, n)
    pairs = OTHER_PAIRS[difficulty]
    inner = GridGraph(n, n).all_edges()
    for attempt in range(3000):
        k = round(WALLS[difficulty] * len(inner))
        walls = frozenset(inner[int(i)] for i in rng.choice(len(inner), size=k, replace=False))
        graph = GridGraph(n, n, walls=walls)
        cells = common.pick_cells(rng, layout, 2 + 2 * pairs)
        start, goal, others = cells[0], cells[1], cells[2:]
        if len(graph.distances(start)) < n * n:
            continue  # every cell reachable: no sealed-off rooms
        path = graph.bfs_path(start, goal, avoid=others)
        if path is None or not lo <= len(path) - 1 <= hi:
            continue
        direct = graph.bfs_path(start, goal)
        blocking = direct is not None and any(c in others for c in direct)
        if pairs and attempt < 2000 and not blocking:
            continue  # the other dots should matter
        break
    else:  # pragma: no cover
        raise RuntimeError("no dots found")
    colours = pick_colours(rng, 2 + pairs)
    line_name, line_colour = colours[1]
    markers = [
        {"cell": list(c), "shape": "dot", "size": DOT_SIZE, "colour": list(line_colour)}
        for c in (start, goal)
    ]
    names = {}
    for j, c in enumerate(others):
        name, colour = colours[2 + j // 2]
        markers.append({"cell": list(c), "shape": "dot", "size": DOT_SIZE, "colour": list(colour)})
        names[f"{c[0]},{c[1]}"] = f"the {name} dot"
    return common.agent_scene(
        (seed, index, difficulty, fmt),
        layout,
        graph,
        start,
        len(path) - 1,
        colours[0],
        PEN_RADIUS,
        ConnectParams,
        name="pen",
        grid_lines=True,
        goal=list(goal),
        line_colour=line_name,
        forbidden=names,
        markers=markers,
        trail=TrailRecord(body="pen", colour=list(line_colour), width=r4(LINE_WIDTH * layout.cell)),
        palette=[*common.WALL_TONES, list(common.GRID_LINE)] + [list(c) for _, c in colours[1:]],
    )


def simulate(spec: SceneSpec) -> tuple[Trajectory, tuple[Event, ...]]:
    """The shortest line that passes no other dot (breadth-first search), drawn on the
    schedule."""
    p = ConnectParams.of(spec)
    path = graph_of(spec).bfs_path(common.cell(p.start), common.cell(p.goal), avoid=_other_dots(p))
    assert path is not None
    states, events = common.walk_states(path, layout_of(spec), spec)
    return Trajectory(states={"pen": states}), events


def prompt(spec: SceneSpec) -> str:
    p = ConnectParams.of(spec)
    n = p.grid.rows
    pen, line = spec.bodies[0], p.line_colour
    others = len(p.markers) - 2
    rule = " and never passing over a dot of another colour" if others else ""
    return (
        f"Top-down view of a {n} by {n} grid with dark walls between some squares and"
        f" coloured dots in some squares. A small {pen.colour_name} pen starts on one of the"
        f" two {line} dots and draws {article(line)} line to the other {line} dot. The pen moves"
        " one"
        f" square at a time, only up, down, left or right, never diagonally, never through a"
        f" wall{rule}, and the line never crosses itself. The pen glides at a steady pace"
        f" without jumps, reaches the other {line} dot about"
        f" {common.seconds(common.finish_time(spec))} in and stays there; the line stays"
        f" drawn. The walls and the dots never change. Static camera."
    )


FAMILY = register_family(
    TaskFamily(
        generic_checks=NO_PATH_CHECKS,
        name="connect",
        version=1,
        capability="planning",
        law="a line joining two same-coloured dots is drawn square by square without crossing a wall, another dot or itself",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("lines.connect_checks"),
        params=ConnectParams,
        checks=(
            CheckSpec(
                "legal_moves",
                "as maze, and the pen never crosses its own line or passes over another dot:"
                " pass/fail",
            ),
            shared.GOAL,
            CheckSpec("optimal", "at most 50% more moves than the fewest; 0 at twice the fewest"),
            shared.TIMING,
            shared.scene("6% of a cell (at least 12 px) away from the pen's line"),
            CheckSpec(
                "line",
                "in the last frame a line of the dots' colour (within 45 Lab and nearer to it"
                " than to any other scene colour; gaps of 5 px closed) joins them: pass/fail",
            ),
        ),
        simulate=simulate,
        render=common.render_grid,
        engine="solver",
        # v2: the line read by the nearest scene colour, small gaps closed; v3: an unseen
        # move is one whose readings are a cell apart
        verifier_version=3,
    )
)
