"""The family registry is lazy: importing ``vidreason.tasks`` (or starting the CLI) loads
no engine, a lookup imports only its family's module, and plugins still register."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vidreason.tasks import catalog

HEAVY = ("pymunk", "mujoco", "cv2", "scipy")
SRC = str(Path(__file__).resolve().parents[2] / "src")


def _run(code: str, path: str = SRC) -> str:
    env = {**os.environ, "PYTHONPATH": path}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return out.stdout.strip()


def _loaded(imports: str) -> str:
    return _run(f"import sys, {imports}; print([m for m in {HEAVY!r} if m in sys.modules])")


def test_importing_the_tasks_loads_no_engine():
    assert _loaded("vidreason.tasks") == "[]"


def test_starting_the_cli_loads_no_engine():
    assert _loaded("vidreason.cli") == "[]"


def test_a_lookup_imports_only_its_family():
    code = (
        "import sys; from vidreason.tasks import FAMILIES, get_family;"
        "n = len(FAMILIES.names()); fid = get_family('projectile').id;"
        "print(n, fid, 'mujoco' in sys.modules, *sorted(sys.modules))"
    )
    n, fid, mujoco, *modules = _run(code).split()
    assert (int(n), fid, mujoco) == (len(catalog.BUILTIN), "projectile-v1", "False")
    families = set(catalog.BUILTIN.values()) & set(modules)
    assert families == {"vidreason.tasks.physics.projectile"}


def test_the_catalog_is_what_the_family_modules_register():
    assert catalog.scan() == catalog.BUILTIN


def _module(root: Path, name: str, registration: str) -> None:
    (root / "kind").mkdir(parents=True, exist_ok=True)
    (root / "kind" / f"{name}.py").write_text(f'"""A family."""\n\n{registration}\n')


def test_a_new_family_module_is_found_without_a_line_elsewhere(tmp_path):
    toss = "FAMILY = register_family(\n    TaskFamily(\n        name='toss',\n"
    toss += "        version=2,\n        sample=sample,\n    )\n)"
    _module(tmp_path, "toss", toss)
    _module(tmp_path, "flip", "FAMILY = register_family(TaskFamily(name='flip', version=1))")
    _module(tmp_path, "helper", "def register(): pass")
    assert catalog.discover(tmp_path, "pkg") == {
        "flip-v1": "pkg.kind.flip",
        "toss-v2": "pkg.kind.toss",
    }


def test_the_template_copied_in_is_found(tmp_path):
    template = Path(__file__).resolve().parents[2] / "docs" / "family_template.py"
    _module(tmp_path, "toss", template.read_text())
    assert catalog.discover(tmp_path, "pkg") == {"toss-v1": "pkg.kind.toss"}


def test_a_registration_that_cannot_be_read_is_one_line(tmp_path):
    _module(tmp_path, "toss", "FAMILY = register_family(TaskFamily(name=NAME, version=1))")
    with pytest.raises(catalog.CatalogError, match=r"toss.py: TaskFamily's name= must be"):
        catalog.discover(tmp_path, "pkg")


def test_an_entry_point_plugin_registers_its_family(tmp_path):
    """A package outside vidreason adds a family through the ``vidreason.tasks`` group."""
    (tmp_path / "plug_family.py").write_text(
        textwrap.dedent(
            """
            from dataclasses import replace

            from vidreason.tasks import get_family, register_family

            FAMILY = register_family(replace(get_family("projectile"), name="plug"))
            """
        )
    )
    dist = tmp_path / "plug-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: plug\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[vidreason.tasks]\nplug = plug_family\n")
    code = (
        "from vidreason.tasks import FAMILIES, get_family;"
        "print(get_family('plug').id, 'plug-v1' in FAMILIES.names(), len(FAMILIES.names()))"
    )
    out = _run(code, f"{tmp_path}{os.pathsep}{SRC}")
    assert out == f"plug-v1 True {len(catalog.BUILTIN) + 1}"


def test_the_readme_table_of_families_is_the_generated_one():
    from typer.testing import CliRunner

    from vidreason.cli import app

    result = CliRunner().invoke(app, ["tasks", "--markdown"])
    assert result.exit_code == 0, result.output
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("-->\n", readme.index("<!-- family-table")) + len("-->\n")
    kept = readme[start : readme.index("<!-- /family-table -->")]
    assert kept == result.stdout, (
        "README.md's table of families is out of date: replace the lines between the"
        " family-table markers with the output of `vidreason tasks --markdown`"
    )
    assert kept.count("\n| `") == len(catalog.BUILTIN)
