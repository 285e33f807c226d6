"""The corruption registry: one entry per corruption, each with its target from
``TARGETS``, and the audit running exactly those with a target; compound nuisances made
of single ones."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import build
from vidreason.corruptions import BY_NAME, COMPOUNDS, CORRUPTIONS, TARGETS, encode, select
from vidreason.corruptions.sample import chain
from vidreason.render.video_io import read_video
from vidreason.scene.geometry import extent
from vidreason.scoring import score_frames
from vidreason.seeding import named_rng


def test_every_audited_corruption_is_held_to_its_kinds_target():
    for c in select(audited=True):
        assert c.target == (TARGETS.caught if c.kind == "violation" else TARGETS.falsely_failed)
    left = {c.name for c in CORRUPTIONS if c.target is None}
    assert left == {
        "zoom 10%",
        "shake 3px",
        "shake 4px",
        "drift",
        "start +4",
        "gamma 0.7",
        "contrast 0.7",
        "teleport 5%",
        "freeze-jump 4",
        "freeze-jump 6",
        "8 fps drop",
        "chroma 1px",
    }


def test_each_corruption_is_defined_once():
    assert len({c.name for c in CORRUPTIONS}) == len(CORRUPTIONS)
    assert len({id(c.fn) for c in CORRUPTIONS}) == len(CORRUPTIONS)


def test_targets_decide_what_meets_them():
    assert TARGETS.met("violation", TARGETS.caught) and not TARGETS.met("violation", 0.9)
    assert TARGETS.met("nuisance", 0.0) and not TARGETS.met("nuisance", 0.05)


def test_a_duplicate_appears_clear_of_every_body():
    """The second body of ``duplicate`` (and the new one of ``appear``) is drawn apart from
    the scene's bodies: on a body of its colour it would be that body's bump, no second
    body. Support, seed 7, instance 1: the first draw lands on the purple block."""
    inst, frames = build("support", 1, seed=7)
    k = inst.spec.fmt.n_frames // 3
    for name in ("duplicate", "appear"):
        rng = named_rng(7, "audit", "support-v1", "1", name)
        changed = BY_NAME[name].fn(inst, frames, rng).frames[k:].astype(int) != frames[k:]
        new = changed.any(axis=(0, 3))
        for b in inst.spec.bodies:
            xy = inst.trajectory.xy(b.name)[k:]
            ys, xs = np.nonzero(new)
            near = np.hypot(xs[:, None] - xy[:, 0], ys[:, None] - xy[:, 1]).min()
            assert near > extent(b), (name, b.name, near)


@pytest.mark.slow
def test_a_duplicate_of_a_block_is_caught(tmp_path):
    inst, frames = build("support", 1, seed=7)
    rng = named_rng(7, "audit", "support-v1", "1", "duplicate")
    sample = BY_NAME["duplicate"].fn(inst, frames, rng)
    clip = read_video(encode(sample, tmp_path / "v"))
    score, _ = score_frames(clip.frames, inst, frames[0], clip.times)
    assert not score.passed, score.explanation


def test_a_compound_nuisance_is_its_single_nuisances_in_order():
    single = {c.name: c for c in CORRUPTIONS if c.group != "compound"}
    assert 4 <= len(COMPOUNDS) <= 6
    for c in COMPOUNDS:
        parts = c.name.split(" + ")
        assert c.kind == "nuisance" and c.target == TARGETS.falsely_failed
        assert len(parts) == c.magnitude >= 2
        assert all(single[p].kind == "nuisance" and single[p].target is not None for p in parts)
    assert set(COMPOUNDS) <= set(select(kind="nuisance", audited=True))


def test_a_chain_keeps_the_first_parts_time_and_the_last_codec_chosen():
    inst, truth = build("bounce", 0)
    rng = np.random.default_rng(0)
    late = BY_NAME["start +1 + hue +8° + sharpen"].fn(inst, truth, rng)
    assert late is not None and len(late.frames) == len(truth) + 1
    assert np.array_equal(late.frames[0], late.frames[1])  # the held first frame
    assert late.fps == inst.spec.fmt.fps and (late.codec, late.crf) == ("h264", 18)
    slow = BY_NAME["24 fps + vignette 0.2 + noise"].fn(inst, truth, rng)
    assert (
        slow is not None and abs(slow.fps - 24) < 0.5 and slow.frames.shape[1:] == truth.shape[1:]
    )
    coded = BY_NAME["zoom 2% + crf 28"].fn(inst, truth, rng)
    assert coded is not None and (coded.codec, coded.crf) == ("h264", 28)
    zoomed = BY_NAME["zoom 2%"].fn(inst, truth, rng)
    assert zoomed is not None and np.array_equal(coded.frames, zoomed.frames)
    small = BY_NAME["resize 0.5x + saturation 0.7 + vp9"].fn(inst, truth, rng)
    assert small is not None and small.codec == "vp9"
    assert small.frames.shape[1] == truth.shape[1] // 2


def test_only_the_first_part_of_a_chain_may_change_the_frame_count():
    inst, truth = build("bounce", 0)
    late_twice = chain(BY_NAME["hue +8°"].fn, BY_NAME["start +1"].fn)
    with pytest.raises(ValueError, match="first nuisance"):
        late_twice(inst, truth, np.random.default_rng(0))
