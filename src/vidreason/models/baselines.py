"""Trivial baselines that every verifier must fail (score <= 0.10).

- ``static``: the conditioning image repeated;
- ``blank``: an empty canvas in the scene's background colour;
- ``jump-cut``: the first frame, then a cut to the ground-truth final frame;
- ``reversed``: the ground-truth video played backwards;
- ``shuffled``: the ground-truth frames in a random (seeded) order.

``jump-cut``, ``reversed`` and ``shuffled`` read the final frame or the ground truth:
their cards say they are goal-conditioned.

On a continuation suite each does its natural continuation of the context, writing the
frames after it: ``static`` holds the last context frame, ``blank`` is the empty canvas,
``jump-cut`` holds the last context frame and cuts to the final frame, ``reversed`` and
``shuffled`` play the truth's frames after the context backwards or in random order.
"""

from __future__ import annotations

import numpy as np

from vidreason.instance_io import read_png
from vidreason.models.base import MODELS, FrameModel, GenerationRequest, ModelCard
from vidreason.render.video_io import read_video
from vidreason.seeding import named_rng


def _first(r: GenerationRequest) -> np.ndarray:
    """The frame the model starts from: the conditioning image, or the last context frame."""
    if r.context is not None:
        return read_video(r.context).frames[-1]
    return read_png(r.first_frame)


def _truth(r: GenerationRequest) -> np.ndarray:
    """The ground truth's frames the model is to produce (those after the context)."""
    return read_video(r.instance_dir / "ground_truth.mp4").frames[r.context_frames :]


def static(r: GenerationRequest) -> np.ndarray:
    return np.repeat(_first(r)[None], r.frames_wanted, axis=0)


def blank(r: GenerationRequest) -> np.ndarray:
    first = read_png(r.first_frame)
    colour = np.median(first.reshape(-1, 3), axis=0).astype(np.uint8)
    return np.broadcast_to(colour, (r.frames_wanted, *first.shape)).copy()


def jump_cut(r: GenerationRequest) -> np.ndarray:
    first, last = _first(r), read_png(r.instance_dir / "final_frame.png")
    half = r.frames_wanted // 2
    return np.stack([first] * half + [last] * (r.frames_wanted - half))


def reverse(r: GenerationRequest) -> np.ndarray:
    return _truth(r)[::-1].copy()


def shuffle(r: GenerationRequest) -> np.ndarray:
    frames = _truth(r)
    order = named_rng(r.seed, "shuffled", r.family, str(r.index)).permutation(len(frames))
    return frames[order]


SEES_THE_GOAL = ModelCard(goal_conditioned=True, continues=True)  # reads the final frame or truth
CONTINUES = ModelCard(continues=True)
BASELINES = (
    FrameModel("static", "1", static, "the first frame repeated", CONTINUES),
    FrameModel("blank", "1", blank, "an empty canvas", CONTINUES),
    FrameModel(
        "jump-cut", "1", jump_cut, "the first frame, then a cut to the final frame", SEES_THE_GOAL
    ),
    FrameModel("reversed", "1", reverse, "the ground truth played backwards", SEES_THE_GOAL),
    FrameModel("shuffled", "1", shuffle, "the ground-truth frames in random order", SEES_THE_GOAL),
)
for _m in BASELINES:
    MODELS.add(_m.name, _m)
