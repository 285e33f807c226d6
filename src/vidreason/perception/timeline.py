"""Unique moments: repeated frames dropped, a held first frame read as a late start.

A video resampled to another frame rate by repeating frames shows the same moment
twice under two timestamps; measured on both, an object seems to stop and then leap.
A frame is a *repeat* when almost no pixel changed since the frame before (after
registration and light correction). Short runs of repeats (at most ``MAX_REPEAT``)
inside a moving video are dropped, keeping the first frame of each run with its own
timestamp; longer runs are a real pause and stay.

A video that starts moving later than the ground truth (a first frame held a little
longer) starts late: measured on the tracks (``late_start``), up to ``MAX_DELAY``
seconds are read as a time offset (the tracker drops the held frames and moves later
frames earlier by the excess); a longer hold is left alone, for the law checks to judge.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vidreason.types import Instance

MAX_REPEAT = 2  # repeats of one frame that are read as a frame-rate change
MAX_DELAY = 0.25  # s: the longest late start read as a time offset
CHANGE = 12  # grey levels: a pixel that changes more than this has changed
REPEAT = 16.0  # px: a frame with fewer changed pixels than this repeats the one before
MOVE = 1.0  # px: a body this far from where it starts has started to move


@dataclass(frozen=True)
class Timeline:
    keep: np.ndarray  # indices of the frames kept
    times: np.ndarray  # their times, s (the first is 0)
    repeats: int  # frames dropped as repeats
    delay: float  # s: late start taken out


def changed(frames: np.ndarray) -> np.ndarray:
    """Per frame, the number of pixels that changed since the previous frame (0 for the
    first), at half resolution after a light blur (codec noise does not count)."""
    n = len(frames)
    out = np.zeros(n)
    prev = None
    for i, f in enumerate(frames):
        g = cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)
        g = cv2.resize(g, (g.shape[1] // 2, g.shape[0] // 2), interpolation=cv2.INTER_AREA)
        g = cv2.blur(g, (3, 3)).astype(np.int16)
        if prev is not None:
            out[i] = 4.0 * float((np.abs(g - prev) > CHANGE).sum())
        prev = g
    return out


def timeline(frames: np.ndarray, times: np.ndarray, instance: Instance) -> Timeline:
    """Drop short runs of repeated frames inside motion (a frame before the run differs
    from the one before it, and the frame after the run differs from the run); a repeat
    in a still scene changes nothing and stays, as do the first and the last frame."""
    n = len(frames)
    smallest = min((b.area for b in instance.spec.bodies), default=REPEAT * 5)
    change = changed(frames)
    rep = change < min(REPEAT, 0.2 * smallest)
    rep[0] = False
    keep = np.ones(n, dtype=bool)
    i = 1
    while i < n:
        if not rep[i]:
            i += 1
            continue
        j = i
        while j < n and rep[j]:
            j += 1
        moving = i >= 2 and not rep[i - 1] and j < n  # motion before and after the run
        if j - i <= MAX_REPEAT and moving:
            keep[i:j] = False
        i = j
    idx = np.flatnonzero(keep)
    return Timeline(idx, np.asarray(times, dtype=float)[idx], int(n - len(idx)), 0.0)


def first_move(pos: dict[str, np.ndarray], times: np.ndarray, tol: float = MOVE) -> float | None:
    """When the first body is first seen more than ``tol`` px from where it starts."""
    first = None
    for p in pos.values():
        if len(p) == 0 or not np.isfinite(p[0, 0]):
            continue
        away = np.flatnonzero(np.linalg.norm(p - p[0], axis=1) > tol)
        if len(away):
            t = float(times[away[0]])
            first = t if first is None else min(first, t)
    return first


def late_start(pos: dict[str, np.ndarray], times: np.ndarray, instance: Instance) -> float:
    """How late (s) the video starts moving against the ground truth, measured the same
    way on both (the first body seen ``MOVE`` px from its start), if up to ``MAX_DELAY``;
    0 otherwise."""
    seen = {k: v for k, v in pos.items() if len(v) and np.isfinite(v[0, 0])}
    fps = instance.spec.fmt.fps
    truth = {k: instance.trajectory.xy(k) for k in seen if k in instance.trajectory.states}
    n = min((len(v) for v in truth.values()), default=0)
    t_true = first_move(truth, np.arange(n) / fps)
    t_video = first_move(seen, times)
    if t_true is None or t_video is None:
        return 0.0
    excess = t_video - t_true
    return excess if 1.5 / fps < excess <= MAX_DELAY + 1e-9 else 0.0
