"""Every family declares its law checks (``TaskFamily.checks``), and its law checks
return exactly those on its own ground truth (instance 0, generated here)."""

from __future__ import annotations

import pytest

from vidreason.static_check import check_declared
from vidreason.tasks import get_family
from vidreason.tasks.catalog import BUILTIN

SLOW = {"throw-3d-v1", "roll-3d-v1", "topple-3d-v1"}  # MuJoCo scenes: about 5 s each
FAMILIES = [pytest.param(f, marks=pytest.mark.slow) if f in SLOW else f for f in sorted(BUILTIN)]


@pytest.mark.parametrize("family", FAMILIES)
def test_the_declared_checks_are_those_returned_on_the_ground_truth(family):
    finding = check_declared(get_family(family))
    assert finding.ok, f"{family}: {finding.line}"


@pytest.mark.parametrize("family", sorted(BUILTIN))
def test_each_declared_check_has_a_tolerance_in_words(family):
    checks = get_family(family).checks
    names = [c.name for c in checks]
    assert checks and len(set(names)) == len(names), names
    for c in checks:
        assert c.tolerance and c.tolerance[0].islower(), c
