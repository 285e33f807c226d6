"""Chipmunk's step called directly gives the run pymunk's own step gives."""

from __future__ import annotations

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
