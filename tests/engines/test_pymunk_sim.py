"""Chipmunk's step called directly gives the run pymunk's own step gives; pairs that pass
through each other do so at no cost per step."""

from __future__ import annotations

import dataclasses
import itertools
import time

import pytest

from vidreason.engines import pymunk_sim
from vidreason.tasks import get_family
from vidreason.tasks.base import sample_scene
from vidreason.types import VideoFormat


@pytest.mark.parametrize("family", ["dominoes-v1", "trigger-v1", "containment-v1"])
def test_fast_step_is_pymunks_step(family, monkeypatch):
    spec = sample_scene(get_family(family), 0, 0, 1, VideoFormat())
    fast = pymunk_sim._simulate(spec, 40)
    monkeypatch.setattr(pymunk_sim, "_fast_step", lambda space: space.step)
    slow = pymunk_sim._simulate(spec, 40)
    assert fast.trajectory == slow.trajectory
    assert fast.events == slow.events


def _pass_through(spec, pairs):
    return dataclasses.replace(spec, extra={**spec.extra, "ignore_contacts": pairs})


@pytest.mark.parametrize("family", ["permanence-v1", "collision-v1", "stack-v1"])
def test_shape_filters_ignore_what_a_handler_per_pair_ignores(family, monkeypatch):
    """Pairs kept apart by shape filters move as when a handler rejects their contact at
    every step (what the engine does when there are more names than category bits)."""
    spec = sample_scene(get_family(family), 0, 0, 1, VideoFormat())
    names = [b.name for b in spec.bodies] + [pymunk_sim.WALL]
    for pairs in [[list(p)] for p in itertools.combinations(names, 2)] + [
        [list(p) for p in itertools.combinations(names, 2)]
    ]:
        filtered = pymunk_sim._simulate(_pass_through(spec, pairs), 40)
        monkeypatch.setattr(pymunk_sim, "FILTER_BITS", 0)
        handled = pymunk_sim._simulate(_pass_through(spec, pairs), 40)
        monkeypatch.undo()
        assert filtered.trajectory == handled.trajectory
        assert filtered.events == handled.events


def test_ignored_pairs_cost_nothing_per_step():
    """A ball sliding behind a screen it passes through (``permanence``) costs what the
    same scene costs without the pass-through: no Python call per step of the overlap."""
    spec = sample_scene(get_family("permanence-v1"), 0, 0, 1, VideoFormat())
    bare = dataclasses.replace(
        spec, extra={k: v for k, v in spec.extra.items() if k != "ignore_contacts"}
    )

    def cpu(scene):
        best = float("inf")
        for _ in range(7):
            t0 = time.process_time()
            pymunk_sim._simulate(scene, 40)
            best = min(best, time.process_time() - t0)
        return best

    assert cpu(spec) < 1.4 * cpu(bare)
