"""An engine runs a scene once however often it is asked, and any change is a new run."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace

from vidreason.engines import pymunk_sim
from vidreason.engines.memo import KEEP, recall, scene_key
from vidreason.tasks import get_family
from vidreason.tasks.base import sample_scene
from vidreason.types import VideoFormat


def test_recall_runs_each_key_once_and_keeps_the_last_few():
    runs: OrderedDict[str, int] = OrderedDict()
    calls: list[str] = []

    def run(key: str) -> int:
        calls.append(key)
        return len(calls)

    assert recall(runs, "a", lambda: run("a")) == recall(runs, "a", lambda: run("a")) == 1
    for k in range(KEEP):
        recall(runs, str(k), lambda k=k: run(str(k)))
    recall(runs, "a", lambda: run("a"))  # pushed out by KEEP newer keys: run again
    assert calls.count("a") == 2 and len(runs) == KEEP


def test_same_scene_same_run_changed_scene_new_run():
    spec = sample_scene(get_family("bounce-v1"), 0, 0, 1, VideoFormat())
    first = pymunk_sim.simulate(spec)
    assert pymunk_sim.simulate(replace(spec, index=7, seed=3)) is first  # identity only
    assert scene_key(spec) != scene_key(spec, 20)
    other = replace(spec, gravity=spec.gravity * 0.5)
    slower = pymunk_sim.simulate(other)
    assert slower is not first and slower.trajectory != first.trajectory
    fresh = pymunk_sim._simulate(spec, 40)  # the engine itself, not the memo
    assert fresh.trajectory == first.trajectory and fresh.events == first.events


def test_forget_scenes_forgets_the_runs_too():
    from vidreason.tasks.base import forget_scenes

    spec = sample_scene(get_family("bounce-v1"), 0, 0, 1, VideoFormat())
    first = pymunk_sim.simulate(spec)
    forget_scenes()  # a determinism check simulates anew
    again = pymunk_sim.simulate(spec)
    assert again is not first and again.trajectory == first.trajectory


def test_a_pair_half_reuses_the_run_its_sampler_made():
    """``sample_scene`` stamps ``extra["pair"]`` after the sampler simulated the scene to
    check it; no engine reads it, so the instance's run is the sampler's."""
    family = get_family("blocker-v1")
    fmt = VideoFormat()
    stamped = sample_scene(family, 0, 0, 1, fmt)
    assert "pair" in stamped.extra
    bare = replace(stamped, extra={k: v for k, v in stamped.extra.items() if k != "pair"})
    assert scene_key(stamped) == scene_key(bare)
    assert pymunk_sim.simulate(stamped) is pymunk_sim.simulate(bare)


def test_what_the_engine_does_not_read_makes_no_new_run():
    """A scene that differs only in the family's parameters, the background or a key of
    ``extra`` the engine does not read is the same run (``trigger`` asks about its pair's
    factual scene, recorded with another cause); a key it reads makes a new run."""
    spec = sample_scene(get_family("trigger-v1"), 0, 0, 1, VideoFormat())
    first = pymunk_sim.simulate(spec)
    same = replace(
        spec,
        params={**spec.params, "unread": 1.0},
        background=(0, 0, 0),
        extra={**spec.extra, "occluders": ["ball"]},
    )
    assert pymunk_sim.simulate(same) is first
    damped = replace(spec, extra={**spec.extra, "damping": 0.5})
    assert pymunk_sim.simulate(damped).trajectory != first.trajectory
