"""The 2D verifiers hold in every scene style: per style, a true video scored through the
real verifier passes, a planted violation fails and a nuisance passes (real H.264)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import score_encoded
from vidreason.corruptions import BY_NAME, encode
from vidreason.render.video_io import read_video
from vidreason.scoring import score_frames
from vidreason.tasks import build_instance, get_family
from vidreason.types import VideoFormat


def _corrupted(name: str, inst, frames, tmp_path):
    sample = BY_NAME[name].fn(inst, frames, np.random.default_rng(0))
    clip = read_video(encode(sample, tmp_path / name.replace(" ", "_")))
    times = clip.times if clip.times is not None else np.arange(clip.n_frames) / clip.fps
    return score_frames(clip.frames, inst, frames[0], times)[0]


CASES = [
    ("bounce-v1", "gravity x0.5", "shake 2px"),
    ("dominoes-v1", "freeze", "blur"),
    ("permanence-v1", "vanish", "crf 35"),
    ("identity-v1", "colour change", "hue +8°"),
]


@pytest.mark.slow
@pytest.mark.parametrize("style", ["shaded", "textured"])
@pytest.mark.parametrize(("family", "violation", "nuisance"), CASES)
def test_a_styled_scene_is_scored_as_a_flat_one(
    style: str, family: str, violation: str, nuisance: str, tmp_path
) -> None:
    inst, frames = build_instance(get_family(family), 0, 1, 2, VideoFormat(style=style))
    truth, _ = score_encoded(inst, frames, tmp_path)
    assert truth.passed, truth.explanation
    bad = _corrupted(violation, inst, frames, tmp_path)
    assert not bad.passed and bad.value < 0.5, bad.explanation
    ok = _corrupted(nuisance, inst, frames, tmp_path)
    assert ok.passed, ok.explanation


@pytest.mark.slow
@pytest.mark.parametrize("style", ["shaded", "textured"])
def test_an_object_that_appears_on_a_styled_background_is_caught(style: str, tmp_path) -> None:
    """A graded or checked background reads as the background, never as a new object; a
    disc that appears on it is still one."""
    inst, frames = build_instance(get_family("bounce-v1"), 0, 2, 2, VideoFormat(style=style))
    truth, tracks = score_encoded(inst, frames, tmp_path)
    assert truth.passed and tracks.unknown is not None and tracks.unknown.max() < 20
    appeared = _corrupted("appear", inst, frames, tmp_path)
    assert not appeared.passed, appeared.explanation
