"""Task families, grouped by capability. Importing this package registers them all."""

from vidreason.tasks import causal, temporal  # noqa: F401  (registers)
from vidreason.tasks.base import FAMILIES, TaskFamily, build_instance, get_family, register_family
from vidreason.tasks.commonsense import containment, no_levitation, solidity, support  # noqa: F401
from vidreason.tasks.physics import (  # noqa: F401  (registers)
    bounce,
    collision,
    free_fall_pair,
    inelastic_collision,
    pendulum,
    projectile,
    ramp,
    stack,
)
from vidreason.tasks.physics3d import roll, throw, topple  # noqa: F401  (MuJoCo: lazily)
from vidreason.tasks.planning import connect, maze, shortest_path, sliding_puzzle, sort  # noqa: F401

__all__ = ["FAMILIES", "TaskFamily", "build_instance", "get_family", "register_family"]
