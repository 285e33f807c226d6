"""Parameters of the 2D physics families (``tasks/physics/``), read by their verifiers.

Lengths in scene pixels (y down), velocities in px/s, angles in radians.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vidreason.scene.params import IN_EXTRA, Floor, Params


@dataclass(frozen=True)
class ProjectileParams(Floor):
    """``projectile``: a ball thrown in an arc over a floor."""


@dataclass(frozen=True)
class BounceParams(Floor):
    """``bounce``: a ball dropped on a floor bounces lower each time."""

    restitution: float
    """Coefficient of restitution of ball and floor (bounce speed over impact speed)."""


@dataclass(frozen=True)
class CollisionParams(Params):
    """``collision``: two balls collide head-on along x."""

    restitution: float
    """Coefficient of restitution of the two balls."""
    mass_ratio: float
    """Mass of the second ball over the first's."""


@dataclass(frozen=True)
class InelasticParams(Params):
    """``inelastic-collision``: two clay balls collide along x and stick together."""

    mass_ratio: float
    """Mass of the second ball over the first's."""
    common_velocity: float
    """Velocity along x (px/s) the stuck pair moves on with."""


@dataclass(frozen=True)
class FreeFallPairParams(Floor):
    """``free-fall-pair``: a heavy and a light ball dropped together land together."""

    mass_ratio: float
    """Mass of the heavier ball over the lighter's."""
    drop: float
    """Height (px) the balls' bottoms fall to the floor."""


@dataclass(frozen=True)
class RampParams(Params):
    """``ramp``: a block slides on an incline with friction."""

    theta: float
    """Slope of the incline from the horizontal."""
    direction: float
    """+1 when the incline runs down to the right, -1 down to the left."""
    friction: float
    """Friction coefficient of block and incline."""
    v0: float
    """Initial speed along the slope (px/s): 0 released, > 0 pushed down, < 0 launched up."""
    floor_y: float
    """Scene y (px) of the floor's top surface."""


@dataclass(frozen=True)
class PendulumParams(Params):
    """``pendulum``: a bob on a rigid rod swings about a pivot."""

    length: float
    """Rod length (px), pivot to the bob's centre."""
    amplitude: float
    """Release angle from straight down."""
    periods: float
    """How many periods the clip holds."""
    damping: float | None = field(default=None, metadata=IN_EXTRA)
    """Fraction of velocity kept per second (pymunk's space damping); None: no air."""


@dataclass(frozen=True)
class StackParams(Floor):
    """``stack``: a block dropped on a tower of blocks, which stands or falls."""

    land_y: float
    """Scene y (px) of the dropped block's centre where it rests if nothing falls."""
    drop: float
    """Height (px) the dropped block falls before it lands on the tower."""
