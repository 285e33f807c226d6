"""The corruption registry: one entry per corruption, each with its target from
``TARGETS``, and the audit running exactly those with a target."""

from __future__ import annotations

from vidreason.corruptions import CORRUPTIONS, TARGETS, select


def test_every_audited_corruption_is_held_to_its_kinds_target():
    for c in select(audited=True):
        assert c.target == (TARGETS.caught if c.kind == "violation" else TARGETS.falsely_failed)
    left = {c.name for c in CORRUPTIONS if c.target is None}
    assert left == {"zoom 10%", "shake 4px", "drift", "teleport 5%", "freeze-jump 4", "8 fps drop"}


def test_each_corruption_is_defined_once():
    assert len({c.name for c in CORRUPTIONS}) == len(CORRUPTIONS)
    assert len({id(c.fn) for c in CORRUPTIONS}) == len(CORRUPTIONS)


def test_targets_decide_what_meets_them():
    assert TARGETS.met("violation", TARGETS.caught) and not TARGETS.met("violation", 0.9)
    assert TARGETS.met("nuisance", 0.0) and not TARGETS.met("nuisance", 0.05)
