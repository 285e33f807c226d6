"""`maze`: an agent walks from its start to the goal through a maze, by the only route.

The maze is perfect (one route between any two cells), 5x5, 7x7 or 8x8 with difficulty,
and the start and goal are picked so the route takes a number of moves that grows with
difficulty. The solver (breadth-first search) gives the route; the agent walks it at a
steady pace. The verifier follows the agent from cell to cell (``verifiers/grid.py``).
"""

from __future__ import annotations

import numpy as np

from vidreason.engines.solvers import perfect_maze
from vidreason.scene.params.planning import MazeParams
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import NO_PATH_CHECKS, TaskFamily, register_family, verifier
from vidreason.tasks.palette import pick_colours
from vidreason.tasks.planning import common
from vidreason.tasks.wording import article
from vidreason.types import SceneSpec, VideoFormat

SIZE = {1: 5, 2: 7, 3: 8}  # cells stay >= 28 px at 256 px: the agent survives half size
MOVES = {1: (6, 9), 2: (9, 12), 3: (12, 15)}
AGENT_RADIUS = 0.3  # cells
GOAL_SIZE = 0.4  # cells; small enough that the agent standing on it hides it whole


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    n = SIZE[difficulty]
    lo, hi = common.moves_range(MOVES, difficulty, fmt)
    layout = common.grid_layout(fmt, n, n)
    for _ in range(1000):
        graph = perfect_maze(rng, n, n)
        (start,) = common.pick_cells(rng, layout, 1)
        dist = graph.distances(start)
        goal = common.pick_goal(rng, dist, lo, hi)
        if goal is not None:
            break
    else:  # pragma: no cover - a maze this size always has such a pair
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
        MazeParams,
        **common.goal_fields(goal, goal_colour, GOAL_SIZE, lines=False),
    )


def prompt(spec: SceneSpec) -> str:
    p = MazeParams.of(spec)
    n = p.grid.rows
    agent = spec.bodies[0]
    return (
        f"Top-down view of a {n} by {n} maze with dark walls on a light floor."
        f" {article(agent.colour_name).capitalize()} disc, the agent, stands in one square; the"
        " goal is the"
        f" {p.goal_colour} square. The agent walks through the maze to the goal by"
        f" the shortest route, never entering a dead end. It moves one square at a time, only"
        f" up, down, left or right through open passages, never through a wall and never"
        f" diagonally, gliding at a steady pace without jumps. It starts almost at once,"
        f" reaches the goal about {common.seconds(common.finish_time(spec))} in and stays"
        f" there. The walls and the goal never change. Static camera."
    )


FAMILY = register_family(
    TaskFamily(
        generic_checks=NO_PATH_CHECKS,
        name="maze",
        version=1,
        capability="planning",
        law="a maze is solved one square at a time through open passages only, by the shortest route to the goal",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("grid.walk_checks"),
        params=MazeParams,
        checks=shared.WALK,
        simulate=common.walk_solution,
        render=common.render_grid,
        engine="solver",
        verifier_version=2,  # v2: an unseen move is one whose readings are a cell apart
    )
)
