"""A family's ground-truth outcome is read off the simulation (no tracking of its own
frames), and it is what the scorer sees in the ground-truth video, encoded and decoded."""

from __future__ import annotations

import pytest

from vidreason.instance_io import load_instance, read_png
from vidreason.render.video_io import read_video
from vidreason.scoring import score_frames
from vidreason.suites import InstanceJob, write_one
from vidreason.tasks import FAMILIES, get_family
from vidreason.types import VideoFormat

WITH_OUTCOME = [f for f in FAMILIES.names() if get_family(f).outcome is not None]


def test_every_family_with_an_outcome_reads_the_truths_off_the_simulation() -> None:
    assert {"dominoes-v1", "blocker-v1", "trigger-v1", "order-v1"} <= set(WITH_OUTCOME)
    for fid in WITH_OUTCOME:
        assert get_family(fid).truth_outcome is not None, fid


@pytest.mark.parametrize("style", ["flat", "textured"])
@pytest.mark.parametrize("family", WITH_OUTCOME)
def test_the_recorded_outcome_is_what_the_true_video_shows(family, style, tmp_path) -> None:
    fmt = VideoFormat(style=style)
    for index in range(4):  # both halves of two pairs, two difficulties
        out = write_one(InstanceJob(family, 3, index, fmt, tmp_path / f"{index:05d}"))
        inst = load_instance(out)
        clip = read_video(out / "ground_truth.mp4")
        score, _ = score_frames(clip.frames, inst, read_png(out / "first_frame.png"))
        assert score.outcome["observed"] == score.outcome["expected"] == inst.outcome, index
