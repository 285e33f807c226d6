"""Task families, grouped by capability. Importing this package registers them all."""

from vidreason.tasks.base import FAMILIES, TaskFamily, build_instance, get_family, register_family
from vidreason.tasks.physics import bounce, collision, projectile  # noqa: F401  (registers)

__all__ = ["FAMILIES", "TaskFamily", "build_instance", "get_family", "register_family"]
