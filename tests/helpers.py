"""Helpers shared by the tests: a video scored the way a model's video is."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vidreason.render.video_io import read_video, write_mp4
from vidreason.types import Instance, Score
from vidreason.verifiers.score import score_frames
from vidreason.verifiers.tracking import Tracks


def score_encoded(
    inst: Instance, frames: np.ndarray, tmp_path: Path, first: np.ndarray | None = None
) -> tuple[Score, Tracks]:
    """``frames`` written as H.264 at the instance's frame rate, decoded and scored against
    ``inst``; ``first`` is the conditioning image (by default the video's first frame)."""
    path = write_mp4(frames, tmp_path / "v.mp4", fps=inst.spec.fmt.fps)
    video = read_video(path)
    return score_frames(video.frames, inst, frames[0] if first is None else first, video.times)


#: the families of the ``small_suite`` fixture: 2D physics, a paired causal family, MuJoCo,
#: planning
SMALL = ("bounce-v1", "collision-v1", "projectile-v1", "dominoes-v1", "roll-3d-v1", "maze-v1")
