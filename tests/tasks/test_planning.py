"""The planning families and their solvers: solutions are optimal, instances grow with
difficulty, prompts state the rules, and the ground truth carries the solution out."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from vidreason.engines.solvers import (
    board_moves,
    bubble_swaps,
    inversions,
    perfect_maze,
    scramble,
    solve_puzzle,
    solved_board,
)
from vidreason.scene.grid import GridGraph, graph_of, layout_of
from vidreason.tasks import build_instance, get_family
from vidreason.types import VideoFormat

PLANNING = ["connect-v1", "maze-v1", "shortest-path-v1", "sliding-puzzle-v1", "sort-v1"]


def test_perfect_maze_has_one_route_between_any_two_cells():
    rng = np.random.default_rng(0)
    g = perfect_maze(rng, 6, 7)
    assert len(g.distances((0, 0))) == 42  # every cell reachable
    assert len(g.all_edges()) - len(g.walls) == 42 - 1  # a spanning tree: no loops


def test_bfs_path_is_shortest_and_avoids():
    g = GridGraph(4, 4, blocked=frozenset({(1, 1), (1, 2), (2, 1)}))
    path = g.bfs_path((0, 0), (3, 3))
    assert path[0] == (0, 0) and path[-1] == (3, 3)
    assert len(path) - 1 == g.distances((0, 0))[(3, 3)] == 6
    assert all(abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1 for a, b in itertools.pairwise(path))
    assert g.bfs_path((0, 0), (3, 3), avoid=[(0, 3), (3, 0), (2, 2)]) is None


def test_bubble_swaps_sort_with_the_fewest_swaps():
    seq = [3, 0, 4, 1, 2]
    swaps = bubble_swaps(seq)
    assert len(swaps) == inversions(seq) == 5
    cur = list(seq)
    for i in swaps:
        cur[i], cur[i + 1] = cur[i + 1], cur[i]
    assert cur == sorted(seq)


def test_puzzle_solver_is_optimal():
    rng = np.random.default_rng(1)
    for _ in range(5):
        board = scramble(rng, 3, 8)
        path = solve_puzzle(board, 3)
        assert path[0] == board and path[-1] == solved_board(3)
        assert all(b in board_moves(a, 3) for a, b in itertools.pairwise(path))
        frontier, seen, depth = {board}, {board}, 0  # breadth-first: the true optimum
        while solved_board(3) not in frontier:
            frontier = {n for f in frontier for n in board_moves(f, 3)} - seen
            seen |= frontier
            depth += 1
        assert len(path) - 1 == depth


@pytest.mark.parametrize("family", PLANNING)
def test_instances_are_solved_by_the_ground_truth(family):
    fam = get_family(family)
    assert fam.capability == "planning"
    sizes = []
    for d in (1, 2, 3):
        inst, frames = build_instance(fam, 0, d, d, VideoFormat())
        spec = inst.spec
        best = int(spec.params["optimal_moves"])
        assert best >= 2
        assert len(inst.events) == best  # one event per move, all inside the clip
        assert frames.shape == (48, 256, 256, 3)
        assert "one" in inst.prompt and "at a time" in inst.prompt  # the rules, in words
        assert spec.bodies[0].colour_name in inst.prompt
        if "grid" in spec.extra:
            states = inst.trajectory.states[spec.extra["agent"]]
            end = layout_of(spec).cell_at(*states[-1][:2])
            assert list(end) == spec.extra["goal"]
            sizes.append(spec.extra["grid"]["rows"])
        else:
            sizes.append(len(spec.bodies))
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]  # harder is bigger


def test_grid_walks_are_legal_and_shortest():
    for family in ("maze-v1", "shortest-path-v1", "connect-v1"):
        for i in range(4):
            inst, _ = build_instance(get_family(family), 7, i, 1 + i % 3, VideoFormat())
            spec = inst.spec
            graph, layout = graph_of(spec), layout_of(spec)
            cells = [tuple(int(v) for v in e.objects[1].split(",")) for e in inst.events]
            path = [tuple(spec.extra["start"]), *cells]
            assert path[-1] == tuple(spec.extra["goal"])
            for a, b in itertools.pairwise(path):
                assert b in graph.neighbours(a), (family, i, a, b)
            avoid = [tuple(m["cell"]) for m in spec.extra.get("markers", [])[2:]]
            if family == "connect-v1":
                assert not set(path) & set(avoid) and len(set(path)) == len(path)
            else:
                assert len(path) - 1 == graph.distances(path[0])[path[-1]]
            assert layout.inside(path[0])


def test_a_longer_clip_holds_the_solved_state():
    fam = get_family("sliding-puzzle-v1")
    inst, _ = build_instance(fam, 0, 0, 1, VideoFormat())
    longer = dataclasses.replace(inst.spec, fmt=dataclasses.replace(inst.spec.fmt, n_frames=80))
    traj, _ = fam.simulate(longer)
    for name, states in inst.trajectory.states.items():
        assert traj.states[name][:48] == states  # the schedule is in seconds
        assert traj.states[name][-1][:2] == states[-1][:2]


@pytest.mark.parametrize("family", PLANNING)
def test_small_and_short_formats_cap_the_moves(family):
    fmt = VideoFormat(width=160, height=96, fps=8, n_frames=20)
    inst, frames = build_instance(get_family(family), 0, 2, 3, fmt)
    assert frames.shape == (20, 96, 160, 3)
    assert inst.spec.params["t_move"] * fmt.fps >= 2.0  # each move spans two frames or more
