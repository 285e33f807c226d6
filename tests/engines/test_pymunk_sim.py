"""Chipmunk's step called directly gives the run pymunk's own step gives; pairs that pass
through each other do so at no cost per step."""

from __future__ import annotations

import dataclasses
import itertools
import time

import numpy as np
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


@pytest.mark.parametrize("family", ["containment-v1", "support-v1"])
def test_path_positions_are_path_position_at_every_step(family):
    """The keyframed positions computed for all steps at once are the doubles the
    step-by-step function gives (before the first key, between keys, after the last)."""
    spec = sample_scene(get_family(family), 0, 2, 3, VideoFormat())
    paths = spec.extra["paths"]
    keys_list = [[tuple(map(float, k)) for k in keys] for keys in paths.values()]
    keys_list += [[(0.5, 10.0, 20.0)], [(0.2, 1.0, 2.0), (0.2, 3.0, 4.0), (0.9, -5.0, 7.5)]]
    times = np.concatenate([np.arange(0, 3.2, 1 / 640), [0.2, 0.5, 0.9]])
    for keys in keys_list:
        xs, ys = pymunk_sim.path_positions(keys, times)
        want = [pymunk_sim.path_position(keys, float(t)) for t in times]
        assert xs.tolist() == [w[0] for w in want]
        assert ys.tolist() == [w[1] for w in want]


@pytest.mark.parametrize("family", ["containment-v1", "support-v1"])
def test_driven_bodies_move_as_through_pymunks_properties(family, monkeypatch):
    """A body driven along keyframes, read and set through Chipmunk directly, makes the
    run that pymunk's own properties make."""
    spec = sample_scene(get_family(family), 0, 2, 3, VideoFormat())
    assert spec.extra["paths"]
    raw = pymunk_sim._simulate(spec, 40)
    monkeypatch.setattr(pymunk_sim.pymunk, "_chipmunk", None)
    plain = pymunk_sim._simulate(spec, 40)
    assert raw.trajectory == plain.trajectory
    assert raw.events == plain.events
