"""docs/family_template.py is a working family: copied into a package of its own and
registered under a test name, it passes every static check (and, in the slow tier, the
conformance check), and it imports no verifier (it names one), so it can be dropped under
``src/vidreason/tasks/`` as it is."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from tests.test_layout import imports
from vidreason.static_check import static_check
from vidreason.tasks import FAMILIES, get_family

TEMPLATE = Path(__file__).resolve().parents[2] / "docs" / "family_template.py"
TEST_NAME = "template-copy"


@pytest.fixture
def copied(tmp_path, monkeypatch):
    """The template as module ``my_families.template_copy``, its NAME changed."""
    text = TEMPLATE.read_text(encoding="utf-8")
    assert 'NAME = "toss"' in text
    package = tmp_path / "my_families"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "template_copy.py").write_text(
        text.replace('NAME = "toss"', f'NAME = "{TEST_NAME}"')
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("my_families.template_copy")
    yield module.FAMILY
    FAMILIES.remove(module.FAMILY.id)
    for name in ("my_families.template_copy", "my_families"):
        sys.modules.pop(name, None)


def test_the_template_passes_every_static_check(copied):
    assert copied.id == f"{TEST_NAME}-v1" and get_family(TEST_NAME) is copied
    findings = static_check(copied)
    failed = [f"{f.check}: {f.line}" for f in findings if not f.ok]
    assert not failed, failed
    said = {f.check: f.line for f in findings}
    assert said["declared"] == "returns the declared checks: gravity, parabola"


def test_the_template_imports_no_verifier_and_names_one():
    reached = [i for i in imports(TEMPLATE) if i.target.startswith("vidreason.verifiers")]
    assert not reached, reached
    assert "law_checks=verifier(" in TEMPLATE.read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_template_passes_the_conformance_check(copied, tmp_path):
    from vidreason.conformance import check

    (result,) = check([copied.id], n=2, seed=3, workers=1, work_dir=tmp_path / "check")
    assert result.ok, result.problems
