"""Task families, grouped by capability in subpackages (physics, physics3d, commonsense,
causal, temporal, planning).

Importing this package imports no family module, no engine and no verifier and reads
no source: the built-in family ids (``catalog.builtin``, read off the modules' source,
not imported) are announced when families are first listed or looked up, and a
family's module is imported the first time the family is looked up (``get_family``, ``FAMILIES.get``). A family module
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
from vidreason.tasks.catalog import builtin

FAMILIES.add_source(builtin)

__all__ = ["FAMILIES", "CheckSpec", "TaskFamily", "build_instance", "get_family", "register_family"]
