"""A grid scene's layout: where a planning family drew its grid, and the graph it holds.

A grid scene (``maze``, ``shortest-path``, ``connect``) keeps its grid in
``spec.extra["grid"]`` (rows, cols, x0, y0, cell, walls between cells, blocked cells);
``layout_of`` reads the squares back (``Layout``: px of the frame) and ``graph_of`` the
walls and blocked cells (``engines.solvers.GridGraph``), the same for the family that draws
the grid and the verifier that follows an agent across it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidreason.engines.solvers import Cell, GridGraph, edge
from vidreason.types import SceneSpec


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
    g = spec.extra["grid"]
    return Layout(int(g["rows"]), int(g["cols"]), float(g["x0"]), float(g["y0"]), float(g["cell"]))


def graph_of(spec: SceneSpec) -> GridGraph:
    g = spec.extra["grid"]
    walls = frozenset(edge((a, b), (c, d)) for a, b, c, d in g.get("walls", []))
    blocked = frozenset((r, c) for r, c in g.get("blocked", []))
    return GridGraph(int(g["rows"]), int(g["cols"]), walls=walls, blocked=blocked)
