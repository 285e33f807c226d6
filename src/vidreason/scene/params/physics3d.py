"""Parameters of the 3D families (``tasks/physics3d/``): the MuJoCo world every 3D scene
describes (``World3D``, read by ``engines/mujoco_sim.py``, ``render/mujoco_gl.py`` and
the verifiers) and each family's own.

Lengths in metres, z up (MuJoCo's world frame).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vidreason.scene.camera import Camera
from vidreason.scene.params import IN_EXTRA, Params


@dataclass(frozen=True)
class World3D(Params):
    """The MuJoCo world of a 3D scene (``engines/mujoco_sim.py`` says what each holds)."""

    camera: dict[str, Any] = field(metadata=IN_EXTRA)
    """The pinhole camera, ``Camera.to_dict()``."""
    statics: list[dict[str, Any]] = field(metadata=IN_EXTRA)
    """Fixed geoms: ``{"name", "type": "box" | "plane", "pos", "size", "colour"}``."""
    bodies3d: dict[str, dict[str, Any]] = field(metadata=IN_EXTRA)
    """Each body's 3D shape, size, pose, velocities, mass, friction and damping."""
    palette: list[list[int]] = field(metadata=IN_EXTRA)
    """Colours of the fixed geoms, so the tracker never mistakes them for a body."""
    slow_motion: float = 1.0
    """How many times slower than the simulation the video runs."""

    def camera_model(self) -> Camera:
        return Camera.from_dict(self.camera)


@dataclass(frozen=True)
class ThrowParams(Params):
    """``throw-3d``: a ball thrown in an arc lands on a table."""

    land_z: float
    """Centre height (m) at which the ball is said to land: resting on the table."""
    rise: float
    """Height (m) the ball rises above its start."""
    reach: float
    """Horizontal distance (m) from the start to where it lands."""


@dataclass(frozen=True)
class EdgeParams(Params):
    """A table edge at x = ``edge_x`` that a body leaves (``roll-3d``, ``topple-3d``)."""

    edge_x: float
    """x (m) of the table edge the body goes over; its sign is the side."""
    rest_z: float
    """The body's centre height (m) while on the table."""
    fall_top: float
    """Below this centre height (m) the body is surely in free fall."""
    fall_bottom: float
    """Above this centre height (m) it has surely not reached the floor."""
    land_z: float
    """Centre height (m) at which it is said to land."""

    @property
    def side(self) -> float:
        """+1 when the body leaves to the right (towards +x), -1 to the left."""
        return 1.0 if self.edge_x > 0 else -1.0


@dataclass(frozen=True)
class RollParams(EdgeParams):
    """``roll-3d``: a ball rolls off a table edge and falls to the floor."""

    speed: float
    """The ball's starting speed (m/s) across the table."""


@dataclass(frozen=True)
class ToppleParams(EdgeParams):
    """``topple-3d``: a block shoved off a table edge tumbles to the floor."""

    friction: float
    """Friction coefficient of the block."""


@dataclass(frozen=True)
class Flex3D(Params):
    """A MuJoCo flexible body in a 3D scene (``engines/mujoco_flex.py``): a cloth or a
    soft ball, simulated and drawn as a mesh of vertices."""

    flex: dict[str, Any] = field(metadata=IN_EXTRA)
    """``{"name", "kind": "cloth" | "ball", "count": [nx, ny, nz], "spacing", "pos", "mass",
    "radius", "young", "poisson", "damping", "friction"}`` (metres, kg, Pa)."""
    ignore: list[str] | None = field(default=None, metadata=IN_EXTRA)
    """Statics the body passes through instead of touching (a planted violation only)."""


@dataclass(frozen=True)
class DropParams(Params):
    """A soft body dropped from rest (``drape-3d``, ``squash-3d``)."""

    x0: float
    """Start of the body's centre (m), x."""
    y0: float
    """Start of the body's centre (m), y (depth)."""
    z0: float
    """Start of the body's centre (m), height."""
    contact_z: float
    """Height (m) of the centre when the body first touches what it lands on."""


@dataclass(frozen=True)
class DrapeParams(DropParams):
    """``drape-3d``: a square cloth dropped onto a box or a ball resting on the floor."""

    support: str = field(metadata=IN_EXTRA)
    """What it falls on: ``"box"`` or ``"sphere"``."""
    half: float = 0.0
    """Half the cloth's side (m)."""


@dataclass(frozen=True)
class SquashParams(DropParams):
    """``squash-3d``: a soft ball dropped onto the floor squashes, bounces and settles."""

    radius: float = 0.0
    """The ball's radius at rest (m)."""
