"""The package's layout: which subpackage may import which (docs/architecture.md, "Layers").

Every module under ``src/vidreason`` is parsed (nothing is imported) and its imports are
sorted into those that run when the module is loaded (module level, class bodies, not
under ``if TYPE_CHECKING:``), those that run inside a function, and type-only ones:

- ``scene/`` imports neither ``tasks/`` nor ``verifiers/``, in any form;
- ``verifiers/`` and ``scene/`` import ``tasks/`` nowhere at module level; inside a
  function, only the scoring entry points (``score.py``, ``version.py``) do, to look an
  instance's family up in the registry;
- ``tasks/`` imports ``verifiers/`` nowhere at module level, and inside a function only
  in a scoring hook's wrapper: a function that does nothing but import its verifier and
  return its call;
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
    assert any(i.target == "vidreason.verifiers.tracking" and i.where == "typing" for i in base)
    assert len({part(i.module) for i in ALL}) > 10


def test_scene_stands_on_nothing_above_it():
    found = [i for i in ALL if _in(i.module, "scene") and part(i.target) in ("tasks", "verifiers")]
    assert not found, f"scene/ imports tasks/ or verifiers/:\n{_show(found)}"


def test_verifiers_and_scene_do_not_load_tasks():
    found = [
        i
        for i in ALL
        if (_in(i.module, "verifiers") or _in(i.module, "scene"))
        and part(i.target) == "tasks"
        and i.where == "module"
    ]
    assert not found, f"verifiers/ or scene/ import tasks/ at module level:\n{_show(found)}"


# the scoring entry points: they look an instance's family up in the registry
LOOKS_UP_FAMILIES = {"vidreason.verifiers.score", "vidreason.verifiers.version"}


def test_only_the_scoring_entry_points_look_families_up():
    """A verifier gets what it needs from the instance and scene/, not from a family's
    module: only ``score.py`` and ``version.py`` reach ``tasks/`` (its registry), lazily."""
    found = [
        i
        for i in ALL
        if _in(i.module, "verifiers")
        and part(i.target) == "tasks"
        and (i.module not in LOOKS_UP_FAMILIES or i.target != "vidreason.tasks")
    ]
    assert not found, f"verifiers/ import tasks/:\n{_show(found)}"


def _is_hook_wrapper(fn: ast.FunctionDef | ast.AsyncFunctionDef | None) -> bool:
    """``def hook(...): [docstring] from vidreason.verifiers... import ...; return ...``"""
    if fn is None:
        return False
    body = list(fn.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body.pop(0)
    return (
        len(body) >= 2
        and all(isinstance(s, ast.Import | ast.ImportFrom) for s in body[:-1])
        and isinstance(body[-1], ast.Return)
        and isinstance(body[-1].value, ast.Call)
    )


def test_tasks_reach_verifiers_only_through_hook_wrappers():
    into = [i for i in ALL if _in(i.module, "tasks") and part(i.target) == "verifiers"]
    loaded = [i for i in into if i.where == "module"]
    assert not loaded, (
        "tasks/ import verifiers/ at module level (shared pieces belong in scene/, law checks"
        f" behind a hook wrapper):\n{_show(loaded)}"
    )
    inside = [i for i in into if i.where == "function" and not _is_hook_wrapper(i.function)]
    assert not inside, (
        "tasks/ import verifiers/ inside a function that is not a hook wrapper (docstring,"
        f" the import, `return verifier(...)`):\n{_show(inside)}"
    )


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


def test_a_hook_wrapper_is_only_an_import_and_a_call():
    def fn(code: str) -> ast.FunctionDef:
        node = ast.parse(code).body[0]
        assert isinstance(node, ast.FunctionDef)
        return node

    wrapper = "def f(t, i):\n    from vidreason.verifiers import x\n\n    return x.f(t, i)\n"
    assert _is_hook_wrapper(fn(wrapper))
    more = "def f(t, i):\n    from vidreason.verifiers import x\n    y = x.g(t)\n    return y\n"
    assert not _is_hook_wrapper(fn(more))
