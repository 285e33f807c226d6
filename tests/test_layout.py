"""The package's layout: which subpackage may import which (docs/architecture.md, "Layers").

Every module under ``src/vidreason`` is parsed (nothing is imported) and its imports are
sorted into those that run when the module is loaded (module level, class bodies, not
under ``if TYPE_CHECKING:``), those that run inside a function, and type-only ones:

- ``scene/`` imports none of ``tasks/``, ``verifiers/`` and ``perception/``, in any form;
- ``perception/`` imports neither ``tasks/`` nor ``verifiers/``, in any form;
- ``verifiers/`` imports ``tasks/`` nowhere, in any form: what a verifier needs comes
  with the instance and from ``scene/``;
- ``tasks/`` imports ``verifiers/`` nowhere, in any form: a family names its verifier
  functions (``tasks.base.verifier("kinematics.projectile_checks")``), and whoever scores
  (``scoring.py``) calls them; every name a built-in family gives resolves;
- the subpackages (and top-level modules) import one another without a cycle at module
  level.
"""

from __future__ import annotations

import ast
import itertools
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "vidreason"


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. vidreason.tasks.planning.common
    target: str  # the imported module, e.g. vidreason.verifiers.grid
    line: int
    where: str  # "module", "function" or "typing"
    function: ast.FunctionDef | ast.AsyncFunctionDef | None = None


def module_name(path: Path) -> str:
    if not path.is_relative_to(SRC):  # a file outside the package (docs/family_template.py)
        return path.stem
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = node.module or ""
    if node.level:
        here = module.split(".") if is_package else module.split(".")[:-1]
        here = here[: len(here) - (node.level - 1)]
        base = ".".join([*here, *([base] if base else [])])
    out = []
    for a in node.names:  # `from pkg import module` imports the module pkg.module
        sub = f"{base}.{a.name}"
        path = SRC.joinpath(*sub.split("."))
        out.append(sub if path.with_suffix(".py").is_file() or path.is_dir() else base)
    return out


def imports(path: Path) -> list[Import]:
    module = module_name(path)
    is_package = path.name == "__init__.py"
    out: list[Import] = []

    def visit(node: ast.AST, where: str, function) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                for t in _targets(child, module, is_package):
                    if t == "vidreason" or t.startswith("vidreason."):
                        out.append(Import(module, t, child.lineno, where, function))
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit(ast.Module(body=[stmt], type_ignores=[]), "typing", function)
                for stmt in child.orelse:
                    visit(ast.Module(body=[stmt], type_ignores=[]), where, function)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                inner = child if not isinstance(child, ast.Lambda) else function
                visit(child, "function" if where != "typing" else where, inner)
            else:
                visit(child, where, function)

    visit(ast.parse(path.read_text(), str(path)), "module", None)
    return out


ALL = list(dict.fromkeys(i for p in sorted(PACKAGE.rglob("*.py")) for i in imports(p)))


def part(module: str) -> str:
    """The subpackage or top-level module a module belongs to: ``tasks``, ``types``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _in(module: str, sub: str) -> bool:
    return part(module) == sub


def _show(found: list[Import]) -> str:
    return "\n".join(f"  {i.module}:{i.line} imports {i.target} ({i.where})" for i in found)


def test_the_parser_sees_the_imports_it_must():
    """The walk finds imports at every depth, and tells the three kinds apart."""
    base = [i for i in ALL if i.module == "vidreason.tasks.base"]
    assert any(i.target == "vidreason.registry" and i.where == "module" for i in base)
    assert any(i.target == "vidreason.engines.pymunk_sim" and i.where == "function" for i in base)
    assert any(i.target == "vidreason.perception.tracking" and i.where == "typing" for i in base)
    assert any(i.target == "vidreason.perception.tracking" and i.where == "function" for i in base)
    assert len({part(i.module) for i in ALL}) > 10


def _reaching(sub: str, others: tuple[str, ...]) -> list[Import]:
    return [i for i in ALL if _in(i.module, sub) and part(i.target) in others]


def test_scene_stands_on_nothing_above_it():
    found = _reaching("scene", ("tasks", "verifiers", "perception"))
    assert not found, f"scene/ imports tasks/, verifiers/ or perception/:\n{_show(found)}"


def test_perception_stands_on_scene_only():
    found = _reaching("perception", ("tasks", "verifiers"))
    assert not found, f"perception/ imports tasks/ or verifiers/:\n{_show(found)}"


def test_verifiers_do_not_import_tasks():
    """A verifier gets what it needs from the instance and scene/, not from a family's
    module or the registry (``scoring.py`` looks the family up)."""
    found = _reaching("verifiers", ("tasks",))
    assert not found, f"verifiers/ import tasks/:\n{_show(found)}"


def test_tasks_do_not_import_verifiers():
    """A family names its verifier functions (``verifier("module.function")``); it never
    imports them, not even inside a function or for an annotation."""
    found = _reaching("tasks", ("verifiers",))
    assert not found, (
        "tasks/ import verifiers/ (name the function instead: law_checks="
        f'verifier("module.function")):\n{_show(found)}'
    )


def test_every_verifier_a_family_names_exists():
    from vidreason.tasks import FAMILIES, get_family
    from vidreason.tasks.base import Hook, resolve

    named = 0
    for name in FAMILIES.names():
        family = get_family(name)
        for hook in (family.law_checks, family.outcome):
            if isinstance(hook, Hook):
                assert callable(resolve(hook.target)), (name, hook.target)
                named += 1
    assert named >= 30


def test_a_misnamed_verifier_is_one_line():
    from vidreason.tasks.base import Hook, verifier

    assert verifier("kinematics.projectile_checks") == Hook(
        "vidreason.verifiers.kinematics:projectile_checks"
    )
    with pytest.raises(LookupError, match=r"^hook 'vidreason.verifiers.kinematics:nope': "):
        verifier("kinematics.nope")(None, None)
    with pytest.raises(LookupError, match=r"^hook 'vidreason.verifiers.nowhere:f': "):
        verifier("nowhere.f")(None, None)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a closed path, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := walk(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := walk(node)):
            return found
    return None


def test_subpackages_import_one_another_without_a_cycle():
    graph: dict[str, set[str]] = {}
    why: dict[tuple[str, str], Import] = {}
    for i in ALL:
        a, b = part(i.module), part(i.target)
        if i.where == "module" and a != b and "vidreason" not in (a, b):
            graph.setdefault(a, set()).add(b)
            why.setdefault((a, b), i)
    cycle = _cycle(graph)
    assert cycle is None, (
        "a cycle at module level: "
        + " -> ".join(cycle)
        + "\n"
        + _show([why[(a, b)] for a, b in itertools.pairwise(cycle)])
    )


def test_the_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None


def test_listing_the_families_loads_no_verifier():
    """What the rule buys: generating a suite's scenes needs no verifier (nor perception)."""
    code = (
        "import sys; import vidreason.tasks as t; [t.get_family(n) for n in t.FAMILIES.names()];"
        " print(sorted(m for m in sys.modules if m.startswith(('vidreason.verifiers',"
        " 'vidreason.perception'))))"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout
