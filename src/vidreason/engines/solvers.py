"""Solvers: the engines behind the planning families (pure Python, no dependencies).

- ``GridGraph`` (``scene/grid.py``): a grid of square cells with walls between some
  neighbours and blocked cells; ``bfs_path`` finds a shortest path (ties broken in a fixed
  order, so the same grid always gives the same path) and ``distances`` every cell's
  distance.
- ``perfect_maze``: a maze with exactly one route between any two cells (randomised
  depth-first search).
- ``inversions`` / ``bubble_swaps``: sorting by swaps of neighbours, with the fewest swaps.
- ``solve_puzzle``: the sliding puzzle by A* with the Manhattan heuristic (optimal).

Cells are ``(row, col)`` from the top left, counting from 0. To add a solver, write a pure
function over plain tuples here; families call it from ``sample`` and ``simulate``.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence

import numpy as np

from vidreason.scene.grid import STEPS, GridGraph, edge


def perfect_maze(rng: np.random.Generator, rows: int, cols: int) -> GridGraph:
    """A maze whose passages form a spanning tree: one route between any two cells."""
    graph = GridGraph(rows, cols)
    start = (int(rng.integers(rows)), int(rng.integers(cols)))
    seen, stack, opened = {start}, [start], set()
    while stack:
        c = stack[-1]
        free = [n for n in graph.neighbours(c) if n not in seen]
        if not free:
            stack.pop()
            continue
        n = free[int(rng.integers(len(free)))]
        opened.add(edge(c, n))
        seen.add(n)
        stack.append(n)
    walls = frozenset(e for e in graph.all_edges() if e not in opened)
    return GridGraph(rows, cols, walls=walls)


def inversions(seq: Sequence[float]) -> int:
    """Pairs out of order: the fewest swaps of neighbours that sort ``seq``."""
    return sum(1 for i, j in itertools.combinations(range(len(seq)), 2) if seq[i] > seq[j])


def bubble_swaps(seq: Sequence[float]) -> list[int]:
    """Positions ``i`` of the neighbour swaps (i, i + 1) that sort ``seq`` with the fewest
    swaps: always the leftmost pair out of order."""
    cur, out = list(seq), []
    while True:
        for i in range(len(cur) - 1):
            if cur[i] > cur[i + 1]:
                cur[i], cur[i + 1] = cur[i + 1], cur[i]
                out.append(i)
                break
        else:
            return out


Board = tuple[int, ...]  # tile number per square, row by row; 0 is the empty square


def solved_board(n: int) -> Board:
    return (*range(1, n * n), 0)


def board_moves(board: Board, n: int) -> list[Board]:
    """Every board one slide away: a tile next to the empty square slides into it."""
    e = board.index(0)
    r, c = divmod(e, n)
    out = []
    for dr, dc in STEPS:
        rr, cc = r + dr, c + dc
        if 0 <= rr < n and 0 <= cc < n:
            k = rr * n + cc
            b = list(board)
            b[e], b[k] = b[k], 0
            out.append(tuple(b))
    return out


def _manhattan(board: Board, n: int) -> int:
    total = 0
    for i, t in enumerate(board):
        if t:
            total += abs(i // n - (t - 1) // n) + abs(i % n - (t - 1) % n)
    return total


def solve_puzzle(board: Board, n: int, max_nodes: int = 200_000) -> list[Board] | None:
    """The boards of a shortest solution ``[board, ..., solved]`` (A*), or None if none is
    found within ``max_nodes`` expansions."""
    goal = solved_board(n)
    count = itertools.count()
    frontier = [(_manhattan(board, n), next(count), board)]
    cost = {board: 0}
    prev: dict[Board, Board | None] = {board: None}
    while frontier and len(cost) < max_nodes:
        _, _, b = heapq.heappop(frontier)
        if b == goal:
            path = [b]
            while prev[path[-1]] is not None:
                path.append(prev[path[-1]])  # type: ignore[arg-type]
            return path[::-1]
        for nb in board_moves(b, n):
            g = cost[b] + 1
            if g < cost.get(nb, 1 << 30):
                cost[nb], prev[nb] = g, b
                heapq.heappush(frontier, (g + _manhattan(nb, n), next(count), nb))
    return None


def scramble(rng: np.random.Generator, n: int, moves: int) -> Board:
    """The solved board after ``moves`` random slides that never undo the previous one."""
    board, before = solved_board(n), None
    for _ in range(moves):
        options = [b for b in board_moves(board, n) if b != before]
        before, board = board, options[int(rng.integers(len(options)))]
    return board
