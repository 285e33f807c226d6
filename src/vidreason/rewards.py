"""Verifiers as rewards: score a batch of decoded videos in memory.

``reward(videos, instances)`` gives one number per video, the same value ``vidreason score``
gives the same frames (its weakest check), with no file written and no process started, so a
fine-tuning loop (GRPO-style: sample several candidates per prompt, rank them) can call it on
every batch. ``dense=True`` gives a ``Reward`` per video instead: the score, every check's
value and ``dense``, the mean of the check values. A check's value falls continuously from 1
at its tolerance to 0 at its limit, so ``dense`` still tells two wrong candidates apart (one
that breaks one law a little from one that breaks several a lot), where the score is 0 for
both.

A video is an array of frames: ``(T, H, W, 3)`` or ``(T, 3, H, W)``, ``uint8`` or float in
[0, 1] (as diffusers pipelines return with ``output_type="np"`` or ``"pt"``), numpy or torch,
any size (it is registered to the task's first frame like a file's frames are). A batch may
also be one array ``(B, T, ...)``. An instance is an instance folder (loaded once per folder;
its ``first_frame.png`` is the conditioning image every frame is registered to) or an
``Instance`` with its conditioning image given as ``first_frames`` (without one, a video is
registered to its own first frame, so a zoom or shift present from frame 0 is not undone). A video that
cannot be scored (no frames, the wrong shape) gets 0 and the reason; the batch goes on.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vidreason.types import Instance


@dataclass(frozen=True)
class Reward:
    """One video's reward: ``value`` and ``passed`` as a score has them; ``dense``, the mean
    of ``checks`` (each in [0, 1]); ``error``, why a video could not be scored."""

    value: float
    passed: bool
    dense: float
    checks: dict[str, float] = field(default_factory=dict)
    explanation: str = ""
    error: str = ""


@functools.lru_cache(maxsize=256)
def _load(folder: str) -> tuple[Instance, np.ndarray | None]:
    from vidreason.instance_io import load_instance, read_png

    first = Path(folder) / "first_frame.png"
    return load_instance(Path(folder)), (read_png(first) if first.is_file() else None)


def _instance(item: Instance | str | Path, first: Any) -> tuple[Instance, np.ndarray | None]:
    inst, image = (item, None) if isinstance(item, Instance) else _load(str(Path(item).resolve()))
    if first is None:
        return inst, image
    one = first[None] if hasattr(first, "detach") else np.asarray(first)[None]
    return inst, as_frames(one)[0]


def as_frames(video: Any) -> np.ndarray:
    """``video`` as ``(T, H, W, 3)`` uint8 RGB; ValueError naming the shape when it is not
    a clip of RGB frames."""
    if hasattr(video, "detach"):  # a torch tensor, on any device
        video = (
            video.detach().float().cpu().numpy()
            if video.is_floating_point()
            else (video.detach().cpu().numpy())
        )
    frames = np.asarray(video)
    if frames.ndim == 4 and frames.shape[-1] != 3 and frames.shape[1] == 3:
        frames = frames.transpose(0, 2, 3, 1)  # (T, 3, H, W)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] == 0:
        raise ValueError(f"a video must be (T, H, W, 3) or (T, 3, H, W) frames, not {frames.shape}")
    if frames.dtype == np.uint8:
        return np.ascontiguousarray(frames)
    if not np.issubdtype(frames.dtype, np.floating):
        raise ValueError(f"frames must be uint8 or float in [0, 1], not {frames.dtype}")
    return np.ascontiguousarray(np.clip(np.rint(frames * 255.0), 0, 255).astype(np.uint8))


def score_one(
    video: Any,
    instance: Instance | str | Path,
    fps: float | None = None,
    first_frame: Any = None,
) -> Reward:
    """The reward of one video (see the module's docstring)."""
    from vidreason.scoring import score_frames

    try:
        inst, first = _instance(instance, first_frame)
        frames = as_frames(video)
    except ValueError as exc:
        return Reward(0.0, False, 0.0, explanation=str(exc), error=str(exc))
    rate = float(fps) if fps else float(inst.spec.fmt.fps)
    score, _ = score_frames(frames, inst, first, np.arange(len(frames)) / rate)
    checks = dict(score.checks)
    dense = float(np.mean(list(checks.values()))) if checks else 0.0
    return Reward(
        value=score.value,
        passed=score.passed,
        dense=round(dense, 6),
        checks=checks,
        explanation=score.explanation,
        error=score.error,
    )


def reward(
    videos: Any,
    instances: Sequence[Instance | str | Path] | Instance | str | Path,
    *,
    fps: float | None = None,
    dense: bool = False,
    first_frames: Any = None,
) -> list[float] | list[Reward]:
    """One reward per video of ``videos`` against the matching instance (one instance for
    the whole batch: several candidates for one prompt). ``fps``: the videos' frame rate
    (default: each task's). ``dense``: a ``Reward`` per video instead of its value.
    ``first_frames``: the conditioning image, (H, W, 3), for every video, or one per video
    (default: an instance folder's ``first_frame.png``)."""
    clips = list(videos)  # a (B, T, ...) array is B videos
    if isinstance(instances, (Instance, str, Path)):
        targets: list[Instance | str | Path] = [instances] * len(clips)
    else:
        targets = list(instances)
    if len(targets) != len(clips):
        raise ValueError(f"{len(clips)} videos but {len(targets)} instances")
    if first_frames is None or np.ndim(first_frames) == 3:
        images = [first_frames] * len(clips)
    else:
        images = list(first_frames)
    if len(images) != len(clips):
        raise ValueError(f"{len(clips)} videos but {len(images)} first frames")
    results = [score_one(v, t, fps, f) for v, t, f in zip(clips, targets, images, strict=True)]
    return results if dense else [r.value for r in results]
