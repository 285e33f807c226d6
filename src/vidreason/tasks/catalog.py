"""Where each built-in family lives: its id and the module that registers it.

``vidreason.tasks`` announces these ids without importing a family module: ``discover``
reads them off the source files under ``vidreason/tasks`` (a module's ``FAMILY =
register_family(TaskFamily(name=..., version=..., ...))`` statement, parsed, never run;
``name`` and ``version`` literals or module-level names set to literals),
so a new family module is found without a line anywhere else. A family's module (and with
it its engine and verifier) is imported the first time the family is looked up. ``scan``
finds the same table by importing every module that defines ``FAMILY``; a test keeps the
two equal.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib
import pkgutil
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
_STATEMENT = re.compile(r"^FAMILY = register_family\(", re.M)


class CatalogError(LookupError):
    """A family module whose registration cannot be read without running it."""


def _literal(call: ast.Call, key: str, path: Path, text: str) -> object:
    """The value of ``key=`` in ``call``: a literal, or a module-level name set to one."""
    for kw in call.keywords:
        if kw.arg != key:
            continue
        if isinstance(kw.value, ast.Constant):
            return kw.value.value
        if isinstance(kw.value, ast.Name):
            line = re.search(rf"^{kw.value.id}(?:: \w+)? = (.+)$", text, re.M)
            with contextlib.suppress(ValueError, SyntaxError):
                if line:
                    return ast.literal_eval(line.group(1))
        raise CatalogError(f"{path}: TaskFamily's {key}= must be a literal")
    raise CatalogError(f"{path}: TaskFamily(...) has no {key}=")


def _registration(text: str, path: Path) -> ast.Call:
    """The ``TaskFamily(...)`` call of the module's ``FAMILY = register_family(...)``."""
    lines = text[_STATEMENT.search(text).start() :].splitlines()  # type: ignore[union-attr]
    ends = [i + 1 for i, line in enumerate(lines) if line.startswith(")") or line.endswith(")")]
    for end in ends:  # the statement ends where it first parses
        try:
            tree = ast.parse("\n".join(lines[:end]))
        except SyntaxError:
            continue
        value = tree.body[0].value  # type: ignore[attr-defined]
        if isinstance(value, ast.Call) and value.args and isinstance(value.args[0], ast.Call):
            return value.args[0]
        break
    raise CatalogError(f"{path}: write FAMILY = register_family(TaskFamily(...))")


def discover(root: Path = HERE, package: str = __package__ or "vidreason.tasks") -> dict[str, str]:
    """Family id -> module, read off the source of every module under ``root`` that
    registers a family (nothing is imported)."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if not _STATEMENT.search(text):
            continue
        call = _registration(text, path)
        fid = f"{_literal(call, 'name', path, text)}-v{_literal(call, 'version', path, text)}"
        module = ".".join([package, *path.relative_to(root).with_suffix("").parts])
        if fid in found:
            raise CatalogError(f"{path}: family {fid} is also registered in {found[fid]}")
        found[fid] = module
    return dict(sorted(found.items()))


@functools.cache
def builtin() -> dict[str, str]:
    """``discover()`` of the package's own modules, read once (on the first listing or
    lookup of a family, not on import)."""
    return discover()


def __getattr__(name: str) -> dict[str, str]:
    if name == "BUILTIN":  # the table, read when first asked for
        return builtin()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
