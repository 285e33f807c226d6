"""Events found in a track: when something starts to move, topples over or reaches another.

Every detector works on a ``Motion``, a body's positions at given times (NaN where it was
not found), built either from a video's tracks (``verifiers/dominoes.py:observed``) or from the
simulator's trajectory (``expected``), so the same rule is applied to the video and to
the ground truth:

- ``onset``: the first time a body is more than a few px from where it rested, and stays
  so for a couple of samples (one noisy frame is not a start);
- ``topple``: the first time an upright block's centre has moved a third of its
  half-diagonal from where it stood, if its centre then ends up lower (it falls, it does
  not just rock or slide);
- ``reach``: the first time one body's centre comes within a distance of a point (the
  place where another body rests): a contact, measured on centres.

Times are interpolated between samples, so they do not depend on the frame rate. To add
a detector, write a function ``(motion, ...) -> Crossing | None``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from vidreason.types import Instance

HOLD = 2  # samples a crossing must last to count
TOPPLE = 0.35  # a block tips over once its centre moved this many half-diagonals
DROP = 0.2  # ... and then drops this many half-diagonals below where it stood


@dataclass(frozen=True)
class Motion:
    """One body's positions ``xy`` (n, 2) at ``times`` (n,), NaN where not found."""

    times: np.ndarray
    xy: np.ndarray
    # (n, 2): how far (px) each position may be off along x and y, where the video's
    # camera was not measured there (``Camera.doubt``); None: no doubt
    doubt: np.ndarray | None = None

    def rest(self, samples: int = 1) -> np.ndarray:
        """Where the body is at the start: the median of its first ``samples`` found
        positions (one by default: a pushed block moves from the first frame on)."""
        found = np.flatnonzero(~np.isnan(self.xy[:, 0]))[:samples]
        if len(found) == 0:
            return np.array([np.nan, np.nan])
        if len(found) == 1:  # the median of one position: itself (in the median's type)
            return self.xy[found[0]] / 1
        return np.median(self.xy[found], axis=0)


@dataclass(frozen=True)
class Crossing:
    """When a measure first crossed its level: the interpolated time and the frame (the
    first sample at or beyond the level)."""

    time: float
    frame: int
    # with a ``Motion.doubt``: the earliest the crossing may be (``time`` is when it
    # surely happened); None: ``time`` itself
    earliest: float | None = None

    @property
    def first(self) -> float:
        return self.time if self.earliest is None else self.earliest


def expected(instance: Instance, name: str) -> Motion:
    states = instance.trajectory.array(name)
    times = np.arange(len(states)) / instance.spec.fmt.fps
    return Motion(times=times, xy=states[:, :2])


def first_crossing(times: np.ndarray, values: np.ndarray, level: float) -> Crossing | None:
    """The first sample from which ``values`` stay at or above ``level`` for ``HOLD``
    found samples, with the crossing time interpolated from the sample before it."""
    found = np.flatnonzero(~np.isnan(values))
    t, v = times[found], values[found]
    above = v >= level
    held = above.copy()  # above for the next HOLD samples (those there are, at the end)
    for j in range(1, HOLD):
        held[:-j] &= above[j:]
    starts = np.flatnonzero(held)
    if not len(starts):
        return None
    k = int(starts[0])
    if k == 0 or v[k] == v[k - 1]:
        return Crossing(float(t[k]), int(found[k]))
    u = float(np.clip((level - v[k - 1]) / (v[k] - v[k - 1]), 0.0, 1.0))
    return Crossing(float(t[k - 1] + u * (t[k] - t[k - 1])), int(found[k]))


def displacement(motion: Motion, origin: np.ndarray | None = None) -> np.ndarray:
    """Distance of the body from ``origin`` (default: where it rests) in every sample."""
    o = motion.rest() if origin is None else origin
    return np.hypot(motion.xy[:, 0] - o[0], motion.xy[:, 1] - o[1])


def onset(motion: Motion, threshold: float) -> Crossing | None:
    """When the body first surely moves more than ``threshold`` px from where it rested
    (beyond what an unmeasured camera may have moved it, ``Motion.doubt``), and the
    earliest it may have."""
    least, most = _doubtful(motion, displacement(motion), motion.rest())
    return _window(motion.times, least, most, threshold)


def _doubtful(
    motion: Motion, distance: np.ndarray, origin: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The least and the most ``distance`` (from ``origin``) can be, given the doubt
    about each position (``Motion.doubt``; both ``distance`` without one)."""
    if motion.doubt is None or not motion.doubt.any():
        return distance, distance
    dx, dy = np.abs(motion.xy[:, 0] - origin[0]), np.abs(motion.xy[:, 1] - origin[1])
    ex, ey = motion.doubt[:, 0], motion.doubt[:, 1]
    least = np.hypot(np.maximum(dx - ex, 0.0), np.maximum(dy - ey, 0.0))
    return least, np.hypot(dx + ex, dy + ey)


def _window(
    times: np.ndarray, least: np.ndarray, most: np.ndarray, level: float
) -> Crossing | None:
    """When ``least`` crosses ``level``, with the earliest that ``most`` does."""
    sure = first_crossing(times, least, level)
    if sure is None or most is least:
        return sure
    early = first_crossing(times, most, level)
    return replace(sure, earliest=None if early is None else min(early.time, sure.time))


def topple(motion: Motion, half_diagonal: float) -> Crossing | None:
    """When an upright block tips over: its centre has moved ``TOPPLE`` half-diagonals
    from where it stood (past the point of no return for a thin block, before it meets
    the next one), and later drops ``DROP`` half-diagonals below where it stood (it falls,
    it does not just rock or slide)."""
    o = motion.rest()
    d = displacement(motion, o)
    c = first_crossing(motion.times, d, TOPPLE * half_diagonal)
    if c is None:
        return None
    least, most = _doubtful(motion, d, o)
    if most is not least:  # an unmeasured camera: when it tipped is known within a window
        sure = first_crossing(motion.times, least, TOPPLE * half_diagonal)
        early = first_crossing(motion.times, most, TOPPLE * half_diagonal)
        late = c if sure is None else sure
        c = replace(late, earliest=min(c.time, late.time if early is None else early.time))
    drop = motion.xy[c.frame :, 1] - o[1]
    return c if np.nanmax(drop, initial=-np.inf) >= DROP * half_diagonal else None


def reach(motion: Motion, point: np.ndarray, distance: float) -> Crossing | None:
    """When the body's centre first comes within ``distance`` px of ``point``."""
    away = np.hypot(motion.xy[:, 0] - point[0], motion.xy[:, 1] - point[1])
    least, most = _doubtful(motion, away, point)
    if most is least:
        return first_crossing(motion.times, -away, -distance)
    # surely within reach (``time``) when the farthest it may be is; maybe when the nearest is
    return _window(motion.times, -most, -least, -distance)
