"""Unique moments: repeated frames dropped; a constant lag behind the truth read as a time offset.

A video resampled to another frame rate by repeating frames shows the same moment
twice under two timestamps; measured on both, an object seems to stop and then leap.
A frame is a *repeat* when almost no pixel changed since the frame before (after
registration and light correction). Short runs of repeats (at most ``MAX_REPEAT``)
inside a moving video are dropped, keeping the first frame of each run with its own
timestamp; longer runs are a real pause and stay.

A video that runs behind the ground truth by a constant time (a first frame held a
little longer; motion blur, whose centroids trail the truth by half the frames blended)
is read with that *time offset*: ``time_offset`` matches the tracked paths against the
truth's shifted in time, over the first ``FIT_SPAN`` seconds from when the truth starts
to move (so a later event that comes late, a change of the physics, is not absorbed),
to a twentieth of a frame. Up to ``MAX_DELAY`` seconds are taken out (the tracker drops
the held frames and moves later frames earlier); a longer delay is left alone, for the
law checks to judge, and reported (``Timeline.late``).
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
FIT_SPAN = 1.0  # s of truth from its first motion on which the offset is fitted
SEARCH = 2.0  # the offset is searched up to this many times MAX_DELAY (to report a longer one)
STEP = 0.05  # frames: the offset's resolution
MIN_OFFSET = 0.3  # frames: a smaller offset is noise and not taken out
CAP = 0.05  # share of the picture: a frame's error counts at most this much (a mistrack)
EXPLAINS = 0.8  # an offset is a lag only when it brings the paths' rms error under this share


@dataclass(frozen=True)
class Timeline:
    keep: np.ndarray  # indices of the frames kept
    times: np.ndarray  # their times, s (the first is 0)
    repeats: int  # frames dropped as repeats
    delay: float  # s: time offset taken out (a late start, a blur's lag)
    late: float = 0.0  # s: a longer delay measured but not taken out (beyond MAX_DELAY)


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
    0 otherwise. For videos that set their own pace (planning), where only the start
    can be compared."""
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


@dataclass(frozen=True)
class Offset:
    seconds: float  # the offset to take out (0 when none or beyond the allowance)
    fitted: float  # the best offset found, s (up to SEARCH * MAX_DELAY); 0 if none fits


def time_offset(pos: dict[str, np.ndarray], times: np.ndarray, instance: Instance) -> Offset:
    """The constant time (s) by which the tracked paths ``pos`` (at ``times``) trail the
    ground truth's: the shift of the truth that fits them best, frames seen up to
    ``FIT_SPAN`` after the truth's first motion counting, each frame's error capped at
    ``CAP`` of the picture (a mistracked frame does not pull the fit). It is a lag only
    when the shifted truth explains the paths (their rms error falls under ``EXPLAINS``
    of the unshifted one's); taken out (``seconds``) when at least ``MIN_OFFSET`` frames
    and at most ``MAX_DELAY``."""
    fps = float(instance.spec.fmt.fps)
    states = instance.trajectory.states
    truth = {k: instance.trajectory.xy(k) for k in pos if k in states and len(states[k])}
    moving = {k: v for k, v in truth.items() if np.ptp(v, axis=0).max() > MOVE}
    if not moving or len(times) < 3:
        return Offset(0.0, 0.0)
    n = min(len(v) for v in moving.values())
    t_true = np.arange(n) / fps
    start = first_move({k: v[:n] for k, v in moving.items()}, t_true)
    if start is None:
        return Offset(0.0, 0.0)
    cap = CAP * float(max(instance.spec.fmt.width, instance.spec.fmt.height))
    use = np.asarray(times) <= start + FIT_SPAN
    taus = np.arange(0.0, SEARCH * MAX_DELAY + 1e-9, STEP / fps)
    errs = []
    for name, gt in moving.items():
        p = pos[name]
        ok = use & np.isfinite(p[:, 0])
        if not ok.any():
            continue
        at = np.asarray(times)[ok][None, :] - taus[:, None]  # (offsets, frames)
        gx = np.interp(at, t_true, gt[:n, 0])
        gy = np.interp(at, t_true, gt[:n, 1])
        errs.append(np.minimum(np.hypot(gx - p[ok, 0][None, :], gy - p[ok, 1][None, :]), cap))
    if not errs or sum(e.shape[1] for e in errs) < 3:
        return Offset(0.0, 0.0)
    cost = (np.concatenate(errs, axis=1) ** 2).sum(axis=1)
    k = int(np.argmin(cost))  # the first of equal minima: the smallest
    best = float(taus[k])
    # a lag leaves the shifted paths on the truth's; a change of the physics (a weaker
    # gravity, another speed) is only a little less wrong shifted, and is not a lag
    if cost[k] > EXPLAINS**2 * cost[0]:
        return Offset(0.0, 0.0)
    take = MIN_OFFSET / fps <= best <= MAX_DELAY + 1e-9
    return Offset(best if take else 0.0, best)
