"""Parameters of the causal families (``tasks/causal/``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from vidreason.scene.params import IN_EXTRA, Floor


@dataclass(frozen=True)
class DominoesParams(Floor):
    """``dominoes``: a push topples a row of blocks, each knocking over the next."""


@dataclass(frozen=True)
class TriggerParams(Floor):
    """``trigger``: a rolling ball presses a switch that opens a hatch under another ball."""

    shelf_y: float
    """Scene y (px) of the shelf's top, where the hatch sticks out."""
    slide: list[float] = field(metadata=IN_EXTRA)
    """``[dx, duration]``: how far (px) and how long (s) the hatch slides once pressed."""
    cause: Literal["rolls", "post", "slow"] = field(metadata=IN_EXTRA)
    """What the striker does: reaches the switch, is stopped by a post, or is too slow."""
    side: Literal["left", "right"] = field(metadata=IN_EXTRA)
    """The side of the frame the shelf is on."""


@dataclass(frozen=True)
class WallRecord:
    """Where a ``blocker`` scene's wall stands, with it or without it."""

    colour: str
    """Its colour's name (a key of ``tasks/palette.py:COLOURS``)."""
    x: float
    """Scene x (px) of its centre."""
    width: float
    """Its width (px)."""
    height: float
    """Its height (px)."""


@dataclass(frozen=True)
class BlockerParams(Floor):
    """``blocker``: a thrown ball topples tall blocks unless a wall stands in its way."""

    wall: WallRecord = field(metadata=IN_EXTRA)
    """The wall, recorded whether or not the scene has it (the intervention adds it)."""
