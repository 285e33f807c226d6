"""Parameters of the planning families (``tasks/planning/``): the schedule every one shows
its solution on, the grid of the grid families and each family's own.

Cells are ``[row, col]`` from the top left; lengths in px of the frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vidreason.scene.params import IN_EXTRA, Palette, Params


@dataclass(frozen=True, kw_only=True)
class Schedule(Params):
    """The pace of a planning video: still until ``t_start``, then one move per ``t_move``."""

    optimal_moves: int
    """Moves of an optimal solution (stored as a float)."""
    t_start: float
    """Seconds before the first move."""
    t_move: float
    """Seconds per move."""

    @property
    def finish(self) -> float:
        """When the last move is done (s)."""
        return self.t_start + self.t_move * self.optimal_moves


@dataclass(frozen=True)
class GridRecord:
    """A grid as stored: the squares (``scene/grid.py:Layout``) and the graph on them."""

    rows: int
    """Rows of cells."""
    cols: int
    """Columns of cells."""
    x0: float
    """Frame x (px) of the grid's left edge."""
    y0: float
    """Frame y (px) of its top edge."""
    cell: float
    """A cell's side (px)."""
    walls: list[list[int]] = field(default_factory=list)
    """Walls between side neighbours, ``[r1, c1, r2, c2]``, sorted."""
    blocked: list[list[int]] = field(default_factory=list)
    """Cells nothing may enter, sorted."""


@dataclass(frozen=True)
class TrailRecord:
    """The line a pen draws behind it (``connect``)."""

    body: str
    """The pen's body name."""
    colour: list[int]
    """The line's RGB colour."""
    width: float
    """Its width (px)."""


@dataclass(frozen=True, kw_only=True)
class GridScene(Params):
    """A scene drawn on a grid (``scene/grid.py`` reads its layout and graph)."""

    grid: GridRecord = field(metadata=IN_EXTRA)
    """The grid and its walls."""


@dataclass(frozen=True, kw_only=True)
class GridWalkParams(Schedule, Palette, GridScene):
    """A grid family whose one body walks from ``start`` to ``goal`` (``maze``,
    ``shortest-path``, ``connect``)."""

    agent: str = field(metadata=IN_EXTRA)
    """The name of the body that walks (an agent, a pen)."""
    start: list[int] = field(metadata=IN_EXTRA)
    """The cell it starts in."""
    goal: list[int] = field(metadata=IN_EXTRA)
    """The cell it must reach."""
    markers: list[dict[str, Any]] = field(metadata=IN_EXTRA)
    """Squares and dots drawn on cells: ``{"cell", "shape", "size", "colour"}``."""
    grid_lines: bool | None = field(default=None, metadata=IN_EXTRA)
    """True: the grid's lines are drawn between all cells."""


@dataclass(frozen=True, kw_only=True)
class MazeParams(GridWalkParams):
    """``maze``: an agent walks through a maze to a goal square."""

    goal_colour: str = field(metadata=IN_EXTRA)
    """The goal square's colour name."""


@dataclass(frozen=True, kw_only=True)
class ShortestPathParams(GridWalkParams):
    """``shortest-path``: an agent walks round obstacles to a goal by a shortest path."""

    goal_colour: str = field(metadata=IN_EXTRA)
    """The goal square's colour name."""


@dataclass(frozen=True, kw_only=True)
class ConnectParams(GridWalkParams):
    """``connect``: a pen draws a line joining two dots of a colour, passing no other dot."""

    line_colour: str = field(metadata=IN_EXTRA)
    """The colour name of the two dots to join and of the line."""
    forbidden: dict[str, str] = field(metadata=IN_EXTRA)
    """Cells the line must not enter (``"row,col"``) and what stands there."""
    trail: TrailRecord = field(metadata=IN_EXTRA)
    """The line the pen draws."""


@dataclass(frozen=True, kw_only=True)
class SortParams(Schedule, Palette):
    """``sort``: bars standing in slots are swapped, neighbours only, into height order."""

    pitch: float
    """Distance (px) between neighbouring slots."""
    slots: list[float] = field(metadata=IN_EXTRA)
    """Frame x (px) of each slot's centre, left to right."""
    floor_y: float = field(metadata=IN_EXTRA)
    """Frame y (px) of the floor the bars stand on."""
    order: list[str] = field(metadata=IN_EXTRA)
    """The bars' names in the slots at the start, left to right."""
    target: list[str] = field(metadata=IN_EXTRA)
    """The bars' names in the slots when sorted."""


@dataclass(frozen=True)
class BoardRecord:
    """A sliding puzzle's board (``render/puzzle.py``)."""

    n: int
    """Tiles per side."""
    pitch: float
    """Distance (px) between neighbouring slots."""
    tile: float
    """A tile's side (px)."""
    x0: float
    """Frame x (px) of the board's left edge."""
    y0: float
    """Frame y (px) of its top edge."""


@dataclass(frozen=True, kw_only=True)
class SlidingPuzzleParams(Schedule, Palette):
    """``sliding-puzzle``: numbered tiles slide into the empty slot until in order."""

    board: BoardRecord = field(metadata=IN_EXTRA)
    """The board."""
    start: list[int] = field(metadata=IN_EXTRA)
    """The tile in each slot at the start, row by row (0: the empty slot)."""
    goal: list[int] = field(metadata=IN_EXTRA)
    """The tile in each slot when solved."""
    rows: list[str] = field(metadata=IN_EXTRA)
    """The colour name of each column's band (a tile's colour tells its column)."""
    column_colours: list[list[int]] = field(metadata=IN_EXTRA)
    """Those colours, RGB."""
