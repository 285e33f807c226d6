"""Task families, grouped by capability in subpackages (physics, physics3d, commonsense,
causal, temporal, planning).

Importing this package imports no family module, no engine and no verifier: every
built-in family id is announced from ``catalog.BUILTIN`` (read off the modules' source,
not imported) and its module is imported the
first time the family is looked up (``get_family``, ``FAMILIES.get``). A family module
registers itself with ``FAMILY = register_family(TaskFamily(...))``; families of other
packages do the same in a module named by a ``vidreason.tasks`` entry point.
"""

from vidreason.tasks.base import (
    FAMILIES,
    CheckSpec,
    TaskFamily,
    build_instance,
    get_family,
    register_family,
)
from vidreason.tasks.catalog import BUILTIN

for _id, _module in BUILTIN.items():
    FAMILIES.add_lazy(_id, _module)

__all__ = ["FAMILIES", "CheckSpec", "TaskFamily", "build_instance", "get_family", "register_family"]
