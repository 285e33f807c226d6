"""Parameters of the liquid families (``tasks/fluids/``): the liquid at the start, the
vessels whose levels are read, and how the solver (``engines/fluid_mpm.py``) runs.

The container is the scene's walls (``SceneSpec.walls``: axis-aligned thick segments, each
a solid rectangle, see ``scene/liquid.py:wall_rect``); rectangles are ``[x0, y0, x1, y1]``
in picture pixels, y pointing down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vidreason.scene.params import IN_EXTRA, Params, Reach


@dataclass(frozen=True)
class Liquid(Reach, Params):
    """A body of liquid in a container of walls (every ``fluids`` family); ``reach`` (from
    ``Reach``) is where the liquid may go: the perception never reads it as static."""

    blocks: list[list[float]] = field(metadata=IN_EXTRA)
    """Rectangles the liquid fills at the start, at rest ([x0, y0, x1, y1] px)."""
    vessels: list[list[float]] = field(metadata=IN_EXTRA)
    """The insides of the vessels whose level is read ([x0, y0, x1, y1] px; the level is
    measured from the bottom edge)."""
    passages: list[list[float]] | None = field(default=None, metadata=IN_EXTRA)
    """Spaces outside the vessels where liquid may be (the channel joining two vessels)."""
    metres: float = 0.5
    """The picture's larger side in metres (sets gravity in pixels)."""
    stiffness: float = 400.0
    """Bulk modulus of the weakly compressible liquid (solver units)."""
    damping: float = 1.5
    """Velocity damping (1/s of simulated time), so the liquid comes to rest in the clip."""
    slow_motion: float = 1.0
    """Seconds of video per second of simulated time."""
    ignore: list[int] | None = field(default=None, metadata=IN_EXTRA)
    """Walls (indices into ``spec.walls``) the liquid passes through (a planted violation)."""
    cup: list[list[float]] | None = field(default=None, metadata=IN_EXTRA)
    """The walls of a container that tilts (``pour``): rectangles ([x0, y0, x1, y1] px)
    as they stand at the start, turned about ``pivot`` as ``tilt`` says."""
    pivot: list[float] | None = field(default=None, metadata=IN_EXTRA)
    """The point ([x, y] px) the tilting container turns about (its pouring lip)."""
    grid: int | None = None
    """Cells across the simulation square (default ``engines/fluid_mpm.py:GRID``)."""
    blur: float | None = None
    """The drawn region's smoothing, in particle spacings (default ``scene/liquid.py:BLUR``)."""
    tilt: list[float] | None = field(default=None, metadata=IN_EXTRA)
    """``[start, end, degrees]``: the container turns clockwise (as seen) by ``degrees``
    between ``start`` and ``end`` seconds of simulated time, easing in and out."""


@dataclass(frozen=True)
class Cascade(Params):
    """The cascade of basins below the tank (``tasks/fluids/cascade.py``), read with
    ``Liquid``'s keys from the same spec: ``Liquid.vessels`` lists the tank, then the
    basins from the highest to the lowest."""

    basins: list[list[float]] = field(metadata=IN_EXTRA)
    """Each basin's inside, highest first ([x0, y0, x1, y1] px: y0 the bottom of the floor
    above, y1 the top of its own floor), where its liquid is counted."""
    lips: list[float] = field(metadata=IN_EXTRA)
    """The top of each basin's spill lip (y px; the last basin's is its right wall's top)."""
    spills: list[float] = field(metadata=IN_EXTRA)
    """Where liquid leaves the tank and each basin but the last (x px of the edge or of the
    lip's outer side): it falls from there into the next basin."""
    shelf: int = field(default=0, metadata=IN_EXTRA)
    """The tank's floor (an index into ``spec.walls``)."""
    lip_walls: list[int] | None = field(default=None, metadata=IN_EXTRA)
    """Each basin's spill lip but the last's (indices into ``spec.walls``)."""
