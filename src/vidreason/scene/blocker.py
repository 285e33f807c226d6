"""What a `blocker` scene does, read off positions: a video's tracks or the ground truth.

Events are read from positions the same way on the video's tracks and on the ground
truth, so the two can be compared frame for frame:

- *reach*: the ball comes within a few px of a block's or the wall's face (exact box
  geometry at the block's resting place), or the first block's centre comes as close to
  the second block's resting centre as it is in the ground truth when they touch;
- *onset*: a block's centre leaves its resting place by more than 3% of the frame;
- *fall*: a block's centre drops by half the way from standing to lying flat.

The family samples and asks its questions with ``fallen_frame`` and ``contact_frame``;
the verifier (``verifiers/blocker.py``) applies the same readings to a video.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidreason.scene.geometry import box_distance, scene_size
from vidreason.types import Body, Instance, SceneSpec

REACH = 0.015  # gap (fraction of the frame) at which the ball counts as touching a face
ONSET = 0.03  # fraction of the frame a block's centre moves before it counts as moving


@dataclass(frozen=True)
class Motion:
    """Positions of every body at some times (a video's tracks or the ground truth)."""

    t: np.ndarray
    pos: dict[str, np.ndarray]
    fps: float


def truth_motion(instance: Instance) -> Motion:
    fps = float(instance.spec.fmt.fps)
    pos = {n: instance.trajectory.xy(n) for n in instance.trajectory.states}
    return Motion(np.arange(instance.trajectory.n_frames) / fps, pos, fps)


def targets(spec: SceneSpec) -> list[Body]:
    """The blocks the ball is thrown at, nearest first."""
    return sorted((b for b in spec.bodies if b.name.startswith("target")), key=lambda b: b.name)


def wall(spec: SceneSpec) -> Body | None:
    return next((b for b in spec.bodies if b.name == "blocker"), None)


def _first(flags: np.ndarray) -> int | None:
    hit = np.flatnonzero(flags)
    return int(hit[0]) if len(hit) else None


def _contact_distance(instance: Instance, a: str, b: str) -> float | None:
    """Centre distance of ``a`` and ``b`` when they first touch in the ground truth."""
    event = next((e for e in instance.events if set(e.objects) == {a, b}), None)
    if event is None:
        return None
    gt = truth_motion(instance)
    k = min(event.frame, len(gt.t) - 1)
    rest = np.asarray(instance.spec.body(b).position)
    return float(np.hypot(*(gt.pos[a][k] - rest)))


def reach(motion: Motion, instance: Instance, a: str, b: str) -> int | None:
    """First frame at which ``a`` reaches ``b`` standing where it rests, or None."""
    spec, size = instance.spec, scene_size(instance)
    body_a, body_b = spec.body(a), spec.body(b)
    p = motion.pos[a]
    if body_a.shape == "circle":
        gap = box_distance(p[:, 0], p[:, 1], body_b, body_b.position) - body_a.radius
        return _first(np.nan_to_num(gap, nan=np.inf) < REACH * size)
    touch = _contact_distance(instance, a, b)
    if touch is None:
        return None
    dist = np.hypot(*(p - np.asarray(body_b.position)).T)
    return _first(np.nan_to_num(dist, nan=np.inf) < touch + REACH * size)


def onset(motion: Motion, instance: Instance, name: str) -> int | None:
    """First frame from which ``name`` stays away from its resting place (two samples
    in a row, or the last one), or None."""
    body = instance.spec.body(name)
    p = motion.pos[name]
    away = np.hypot(*(p - np.asarray(body.position)).T) > ONSET * scene_size(instance)
    away = np.where(np.isnan(p[:, 0]), False, away)
    both = away.copy()
    both[:-1] &= away[1:]
    return _first(both)


def _drop(motion: Motion, body: Body) -> np.ndarray:
    """How far ``body`` has gone from standing (0) to lying flat (1), per sample."""
    full = (body.size[1] - body.size[0]) / 2
    return (motion.pos[body.name][:, 1] - body.position[1]) / full


def fall(motion: Motion, body: Body) -> int | None:
    """The frame at which ``body`` falls (half-way down, and down at the end), or None."""
    drop = _drop(motion, body)
    seen = np.flatnonzero(~np.isnan(drop))
    if len(seen) == 0 or np.median(drop[seen[-3:]]) < 0.5:
        return None
    return _first(np.nan_to_num(drop, nan=-np.inf) >= 0.5)


def fallen_frame(instance: Instance, name: str) -> int | None:
    """The ground-truth frame at which block ``name`` falls, or None if it stands."""
    return fall(truth_motion(instance), instance.spec.body(name))


def contact_frame(instance: Instance, a: str, b: str) -> int | None:
    """The ground-truth frame at which ``a`` reaches ``b``, or None."""
    return reach(truth_motion(instance), instance, a, b)
