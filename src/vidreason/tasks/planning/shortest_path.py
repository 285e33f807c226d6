"""`shortest-path`: an agent crosses a grid with obstacles to the goal by a shortest path.

Obstacle cells are scattered over a 6x6, 7x7 or 8x8 grid (denser with difficulty); the
start and goal are picked so the shortest path has a number of moves that grows with
difficulty and, from difficulty 2, so the obstacles force a detour (the path is longer
than the straight-line count of rows and columns). Breadth-first search gives the
shortest length and one shortest path; any path of that length passes.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.grid import GridGraph
from vidreason.scene.params.planning import ShortestPathParams
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import NO_PATH_CHECKS, TaskFamily, register_family, verifier
from vidreason.tasks.palette import pick_colours
from vidreason.tasks.planning import common
from vidreason.tasks.wording import article
from vidreason.types import SceneSpec, VideoFormat

SIZE = {1: 6, 2: 7, 3: 8}  # cells stay >= 28 px at 256 px: the agent survives half size
DENSITY = {1: 0.18, 2: 0.24, 3: 0.3}
MOVES = {1: (6, 9), 2: (9, 12), 3: (11, 15)}
AGENT_RADIUS = 0.3
GOAL_SIZE = 0.4  # cells; small enough that the agent standing on it hides it whole


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    n = SIZE[difficulty]
    lo, hi = common.moves_range(MOVES, difficulty, fmt)
    layout = common.grid_layout(fmt, n, n)
    for attempt in range(2000):
        k = round(DENSITY[difficulty] * n * n)
        blocked = frozenset(common.pick_cells(rng, layout, k))
        graph = GridGraph(n, n, blocked=blocked)
        (start,) = common.pick_cells(rng, layout, 1, exclude=set(blocked))
        dist = graph.distances(start)
        detour = difficulty >= 2 and attempt < 1500
        goal = common.pick_goal(rng, dist, lo, hi, start if detour else None)
        if goal is not None:
            break
    else:  # pragma: no cover
        raise RuntimeError("no start and goal found")
    agent_colour, goal_colour = pick_colours(rng, 2)
    return common.agent_scene(
        (seed, index, difficulty, fmt),
        layout,
        graph,
        start,
        dist[goal],
        agent_colour,
        AGENT_RADIUS,
        ShortestPathParams,
        **common.goal_fields(goal, goal_colour, GOAL_SIZE, lines=True),
    )


def prompt(spec: SceneSpec) -> str:
    p = ShortestPathParams.of(spec)
    n = p.grid.rows
    agent = spec.bodies[0]
    return (
        f"Top-down view of a {n} by {n} grid of light squares; the dark squares are"
        f" obstacles. {article(agent.colour_name).capitalize()} disc, the agent, must reach the"
        f" {p.goal_colour} square by a shortest path: the fewest possible moves,"
        f" each one square up, down, left or right, never diagonally and never onto or"
        f" across an obstacle. The agent glides from square to square, one square at a"
        f" time, at a steady pace without jumps, starts almost at once, reaches the goal about"
        f" {common.seconds(common.finish_time(spec))} in and stays there. The grid, the"
        f" obstacles and the goal never change. Static camera."
    )


FAMILY = register_family(
    TaskFamily(
        generic_checks=NO_PATH_CHECKS,
        name="shortest-path",
        version=1,
        capability="planning",
        law="an agent reaches the goal around obstacles by a path of the fewest possible moves, one square at a time",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("grid.walk_checks"),
        params=ShortestPathParams,
        checks=shared.WALK,
        simulate=common.walk_solution,
        render=common.render_grid,
        engine="solver",
        verifier_version=2,  # v2: an unseen move is one whose readings are a cell apart
    )
)
