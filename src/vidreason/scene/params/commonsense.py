"""Parameters of the commonsense families (``tasks/commonsense/``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from vidreason.scene.params import IN_EXTRA, Floor


@dataclass(frozen=True)
class SupportParams(Floor):
    """``support``: a ball with nothing under it falls; a block on a table stays."""

    scene: Literal["table", "bridge"] = field(metadata=IN_EXTRA)
    """``table``: a ball let go beside a table; ``bridge``: a plank pulled from under a ball."""
    paths: dict[str, list[list[float]]] | None = field(default=None, metadata=IN_EXTRA)
    """Bridge only: the plank's keyframes ``[t, x, y]`` (``World2D.paths``)."""
    pull: Literal["left", "right"] | None = field(default=None, metadata=IN_EXTRA)
    """Bridge only: the way the plank is pulled."""


@dataclass(frozen=True)
class SolidityParams(Floor):
    """``solidity``: balls thrown at walls and each other never pass through."""


@dataclass(frozen=True)
class NoLevitationParams(Floor):
    """``no-levitation``: a ball set free falls; the bodies at rest stay put."""

    start: Literal["air", "shelf"] = field(metadata=IN_EXTRA)
    """Where the moving ball starts: let go in mid-air or pushed off a shelf."""


@dataclass(frozen=True)
class ContainmentParams(Floor):
    """``containment``: a ball dropped into a cup moves with the cup."""

    paths: dict[str, list[list[float]]] = field(metadata=IN_EXTRA)
    """The cup's keyframes ``[t, x, y]`` (``World2D.paths``)."""
    direction: Literal["left", "right"] = field(metadata=IN_EXTRA)
    """The way the cup is first slid."""
