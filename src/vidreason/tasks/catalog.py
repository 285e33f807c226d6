"""Where each built-in family lives: its id and the module that registers it.

``vidreason.tasks`` announces these ids without importing anything; a family's module
(and with it its engine and verifier) is imported the first time the family is looked
up. ``scan`` finds the same table by walking the subpackages of ``vidreason.tasks`` and
importing every module that defines ``FAMILY``; a test keeps ``BUILTIN`` equal to it.
After adding a family module, print the new table with ``python -m vidreason.tasks.catalog``
and paste it here.
"""

from __future__ import annotations

import importlib
import pkgutil

BUILTIN: dict[str, str] = {
    "blocker-v1": "vidreason.tasks.causal.blocker",
    "bounce-v1": "vidreason.tasks.physics.bounce",
    "collision-v1": "vidreason.tasks.physics.collision",
    "connect-v1": "vidreason.tasks.planning.connect",
    "containment-v1": "vidreason.tasks.commonsense.containment",
    "dam-break-v1": "vidreason.tasks.fluids.dam_break",
    "dominoes-v1": "vidreason.tasks.causal.dominoes",
    "drape-3d-v1": "vidreason.tasks.physics3d.drape",
    "free-fall-pair-v1": "vidreason.tasks.physics.free_fall_pair",
    "identity-v1": "vidreason.tasks.temporal.identity",
    "inelastic-collision-v1": "vidreason.tasks.physics.inelastic_collision",
    "maze-v1": "vidreason.tasks.planning.maze",
    "no-levitation-v1": "vidreason.tasks.commonsense.no_levitation",
    "order-v1": "vidreason.tasks.temporal.order",
    "patterns-v1": "vidreason.tasks.temporal.patterns",
    "pendulum-v1": "vidreason.tasks.physics.pendulum",
    "permanence-v1": "vidreason.tasks.temporal.permanence",
    "pour-v1": "vidreason.tasks.fluids.pour",
    "projectile-v1": "vidreason.tasks.physics.projectile",
    "ramp-v1": "vidreason.tasks.physics.ramp",
    "roll-3d-v1": "vidreason.tasks.physics3d.roll",
    "shortest-path-v1": "vidreason.tasks.planning.shortest_path",
    "sliding-puzzle-v1": "vidreason.tasks.planning.sliding_puzzle",
    "solidity-v1": "vidreason.tasks.commonsense.solidity",
    "sort-v1": "vidreason.tasks.planning.sort",
    "squash-3d-v1": "vidreason.tasks.physics3d.squash",
    "stack-v1": "vidreason.tasks.physics.stack",
    "support-v1": "vidreason.tasks.commonsense.support",
    "throw-3d-v1": "vidreason.tasks.physics3d.throw",
    "topple-3d-v1": "vidreason.tasks.physics3d.topple",
    "trigger-v1": "vidreason.tasks.causal.trigger",
}


def scan() -> dict[str, str]:
    """Family id -> module, for every module under ``vidreason.tasks`` that defines
    ``FAMILY`` (imports them all: engines included)."""
    import vidreason.tasks as tasks
    from vidreason.tasks.base import TaskFamily

    found: dict[str, str] = {}
    for info in pkgutil.walk_packages(tasks.__path__, f"{tasks.__name__}."):
        family = getattr(importlib.import_module(info.name), "FAMILY", None)
        if isinstance(family, TaskFamily):
            found[family.id] = info.name
    return dict(sorted(found.items()))


def table_source(table: dict[str, str]) -> str:
    """``table`` written as the ``BUILTIN`` literal of this file."""
    rows = "".join(f'    "{fid}": "{module}",\n' for fid, module in sorted(table.items()))
    return f"BUILTIN: dict[str, str] = {{\n{rows}}}"


if __name__ == "__main__":  # pragma: no cover
    print(table_source(scan()))


def family_table(family_ids: list[str]) -> str:
    """The README's table of families (``vidreason tasks --markdown``), by capability:
    the law and each declared law check with its tolerance, from the registrations."""
    from vidreason.tasks.base import GENERIC_CHECKS, NO_PATH_CHECKS, get_family
    from vidreason.types import CAPABILITIES

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    rows = ["| family | capability | law tested | law checks |", "|---|---|---|---|"]
    families = sorted(
        (get_family(fid) for fid in family_ids),
        key=lambda f: (CAPABILITIES.index(f.capability), f.id),
    )
    for f in families:
        checks = [
            f"`{c.name}`: {c.tolerance}" + (f" (only when {c.when})" if c.when else "")
            for c in f.checks
        ]
        if tuple(f.generic_checks) == NO_PATH_CHECKS:
            checks.append("shared checks: all but `path`")
        elif tuple(f.generic_checks) != GENERIC_CHECKS:
            shared = ", ".join(f"`{n}`" for n in f.generic_checks)
            checks.append(f"shared checks: {shared} only")
        rows.append(f"| `{f.id}` | {f.capability} | {cell(f.law)} | {cell('<br>'.join(checks))} |")
    return "\n".join(rows)
