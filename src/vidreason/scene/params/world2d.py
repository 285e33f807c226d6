"""What a 2D scene may add to its bodies and walls for the pymunk engine
(``engines/pymunk_sim.py``), the rasteriser and the shared checks; each key optional
(absent, nothing changes). A family that sets one declares it among its own parameters
too, so both read the same key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vidreason.scene.params import IN_EXTRA, Params


@dataclass(frozen=True)
class World2D(Params):
    """The optional engine and drawing keys of a 2D scene's ``spec.extra`` (None: absent)."""

    damping: float | None = field(default=None, metadata=IN_EXTRA)
    """Fraction of velocity kept per second (pymunk's space damping): air."""
    ignore_contacts: list[list[str]] | None = field(default=None, metadata=IN_EXTRA)
    """Pairs of bodies that pass through each other (e.g. a ball and a screen)."""
    paths: dict[str, list[list[float]]] | None = field(default=None, metadata=IN_EXTRA)
    """Keyframes ``[t, x, y]`` of each kinematic body, moved along them by the engine."""
    occluders: list[str] | None = field(default=None, metadata=IN_EXTRA)
    """Opaque screens, drawn over everything (``scene/occluders.py``)."""
