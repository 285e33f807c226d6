"""A grid scene's layout: where a planning family drew its grid, and the graph it holds.

A grid scene (``maze``, ``shortest-path``, ``connect``) keeps its grid in
``GridScene.grid`` (``GridRecord``: rows, cols, x0, y0, cell, walls between cells,
blocked cells);
``layout_of`` reads the squares back (``Layout``: px of the frame) and ``graph_of`` the
walls and blocked cells (``GridGraph``: side neighbours, breadth-first shortest paths), the
same for the family that draws the grid, the solvers that plan on it and the verifier that
follows an agent across it. Cells are ``(row, col)`` from the top left, counting from 0.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from vidreason.scene.params.planning import GridScene
from vidreason.types import SceneSpec

Cell = tuple[int, int]
STEPS: tuple[Cell, ...] = ((-1, 0), (0, 1), (1, 0), (0, -1))  # up, right, down, left


def edge(a: Cell, b: Cell) -> frozenset[Cell]:
    return frozenset((a, b))


@dataclass(frozen=True)
class GridGraph:
    """Cells of a ``rows`` x ``cols`` grid; a move goes to a side neighbour that is inside
    the grid, not blocked and not behind a wall."""

    rows: int
    cols: int
    walls: frozenset[frozenset[Cell]] = frozenset()
    blocked: frozenset[Cell] = frozenset()

    def inside(self, c: Cell) -> bool:
        return 0 <= c[0] < self.rows and 0 <= c[1] < self.cols

    def wall_between(self, a: Cell, b: Cell) -> bool:
        return edge(a, b) in self.walls

    def neighbours(self, c: Cell, avoid: Iterable[Cell] = ()) -> list[Cell]:
        skip = set(avoid)
        out = []
        for dr, dc in STEPS:
            n = (c[0] + dr, c[1] + dc)
            if (
                self.inside(n)
                and n not in self.blocked
                and n not in skip
                and not self.wall_between(c, n)
            ):
                out.append(n)
        return out

    def distances(self, start: Cell, avoid: Iterable[Cell] = ()) -> dict[Cell, int]:
        """Moves from ``start`` to every reachable cell (``avoid``: cells never entered)."""
        skip = set(avoid)
        dist = {start: 0}
        queue = deque([start])
        while queue:
            c = queue.popleft()
            for n in self.neighbours(c, skip):
                if n not in dist:
                    dist[n] = dist[c] + 1
                    queue.append(n)
        return dist

    def bfs_path(self, start: Cell, goal: Cell, avoid: Iterable[Cell] = ()) -> list[Cell] | None:
        """A shortest path ``[start, ..., goal]`` or None when the goal is unreachable."""
        skip = set(avoid) - {goal}
        prev: dict[Cell, Cell | None] = {start: None}
        queue = deque([start])
        while queue:
            c = queue.popleft()
            if c == goal:
                path = [c]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])  # type: ignore[arg-type]
                return path[::-1]
            for n in self.neighbours(c, skip):
                if n not in prev:
                    prev[n] = c
                    queue.append(n)
        return None

    def all_edges(self) -> list[frozenset[Cell]]:
        """Every pair of side neighbours inside the grid."""
        out = []
        for r, c in itertools.product(range(self.rows), range(self.cols)):
            if c + 1 < self.cols:
                out.append(edge((r, c), (r, c + 1)))
            if r + 1 < self.rows:
                out.append(edge((r, c), (r + 1, c)))
        return out


@dataclass(frozen=True)
class Layout:
    """A grid of ``rows`` x ``cols`` square cells of ``cell`` px, top left at (x0, y0)."""

    rows: int
    cols: int
    x0: float
    y0: float
    cell: float

    def centre(self, c: Cell) -> tuple[float, float]:
        return self.x0 + (c[1] + 0.5) * self.cell, self.y0 + (c[0] + 0.5) * self.cell

    def cell_at(self, x: float, y: float) -> Cell:
        """The cell under (x, y); may lie outside the grid."""
        return int(np.floor((y - self.y0) / self.cell)), int(np.floor((x - self.x0) / self.cell))

    def distance(self, x: float, y: float, c: Cell) -> float:
        """How far (x, y) is from cell ``c``'s square, in cells (0 inside it)."""
        u, v = (x - self.x0) / self.cell, (y - self.y0) / self.cell
        du = max(c[1] - u, 0.0, u - c[1] - 1.0)
        dv = max(c[0] - v, 0.0, v - c[0] - 1.0)
        return float(np.hypot(du, dv))

    def inside(self, c: Cell) -> bool:
        return 0 <= c[0] < self.rows and 0 <= c[1] < self.cols


def layout_of(spec: SceneSpec) -> Layout:
    g = GridScene.of(spec).grid
    return Layout(g.rows, g.cols, float(g.x0), float(g.y0), float(g.cell))


def graph_of(spec: SceneSpec) -> GridGraph:
    g = GridScene.of(spec).grid
    walls = frozenset(edge((a, b), (c, d)) for a, b, c, d in g.walls)
    blocked = frozenset((r, c) for r, c in g.blocked)
    return GridGraph(g.rows, g.cols, walls=walls, blocked=blocked)
