"""Unique moments: repeated frames dropped; a constant lag behind the truth read as a time offset.

A video resampled to another frame rate by repeating frames shows the same moment
twice under two timestamps; measured on both, an object seems to stop and then leap.
A frame is a *repeat* when almost no pixel changed since the frame before (after
registration and light correction). Short runs of repeats (at most ``MAX_REPEAT``)
inside a moving video are dropped, keeping the first frame of each run; longer runs are
a real pause and stay. A frame first shown at output time t holds a moment between the
output frame before it and t, so its own timestamp is late by up to one output frame,
by an amount that varies frame to frame (16 fps shown at 30 fps: by 0 to 29 ms), which
bends a fitted acceleration by a fifth. Where a stretch of motion holds repeats and its
new frames keep to one steady step (``regular``: each no more than one output frame
late on a line), they are given the times of that line: the source's own even clock.

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

from vidreason.perception.pixels import channel_max
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
    first), at half resolution after a light blur (codec noise does not count). A pixel
    changes when any of its colour channels does: a body as bright as what it passes over
    (a cyan block over a grey floor) changes its hue, not its grey level."""
    n = len(frames)
    out = np.zeros(n)
    prev = None
    for i, f in enumerate(frames):
        g = cv2.resize(f, (f.shape[1] // 2, f.shape[0] // 2), interpolation=cv2.INTER_AREA)
        g = cv2.blur(g, (3, 3))
        if prev is not None:
            out[i] = 4.0 * float(np.count_nonzero(channel_max(cv2.absdiff(g, prev)) > CHANGE))
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
    inner = [(i, j) for i, j in runs(rep) if i >= 2 and not rep[i - 1] and j < n]
    limit = repeat_limit(np.array([j - i for i, j in inner], dtype=int))
    for i, j in inner:  # motion before and after the run
        if j - i <= limit:
            keep[i:j] = False
    t, keep = regular(np.asarray(times, dtype=float), change, rep, keep)
    idx = np.flatnonzero(keep)
    return Timeline(idx, t[idx], int(n - len(idx)), 0.0)


PATTERN = 6  # runs of repeats inside motion that make a pattern (a frame-rate change)
USUAL = 0.8  # share of those runs at one length or one less, in a pattern
MOST_REPEAT = 5  # the longest run of repeats a pattern may drop (10 fps shown at 60)


def repeat_limit(lengths: np.ndarray) -> int:
    """The longest run of repeats inside motion read as a frame-rate change: ``MAX_REPEAT``,
    or, where the runs make a pattern (at least ``PATTERN`` of them, ``USUAL`` of them of one
    length L or L - 1, as a source clock shown at r times its rate repeats each moment
    floor(r) - 1 or ceil(r) - 1 times: 16 fps at 60, 2 or 3), that length L, up to
    ``MOST_REPEAT``. A freeze inside a video without such a pattern is a lone long run and
    stays."""
    if len(lengths) < PATTERN:
        return MAX_REPEAT
    for length in range(MOST_REPEAT, MAX_REPEAT, -1):
        usual = (lengths == length) | (lengths == length - 1)
        if usual.mean() >= USUAL and (lengths == length).any():
            return length
    return MAX_REPEAT


MIN_STRETCH = 8  # new frames a stretch of motion needs before its clock is fitted
MIN_DROPS = 3  # dropped repeats a stretch needs (a pattern, not a moment at rest)
SLOWER = 1.1  # the source's frame step, in output frames, at least this long


def regular(
    times: np.ndarray, change: np.ndarray, rep: np.ndarray, keep: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``times`` and ``keep`` with the new frames of each stretch of motion that holds
    dropped repeats moved onto the steady clock they were resampled from.

    A stretch is a run of frames each new or a dropped repeat (the first frame counts as
    new). Its new frames' times are fitted by a line over their count (``narrowest``), or,
    where that fails, over the source moments a steady clock gives them (``moments``: a
    moment that showed no change was read as a repeat); the line is lowered until no
    frame lies before it (a frame is shown at or after its moment, never before); a
    stretch from the first frame starts at that frame's time. The fit is kept
    only for a resampled clock: every frame within one output frame of the line, a step
    of at least ``SLOWER`` output frames, at least ``MIN_DROPS`` repeats, and the frames
    after the repeats changing as much as the stretch's others (a real video repeats a
    frame only where its motion all but stops, at the top of a bounce; a resampled one
    repeats frames wherever its clock falls). Otherwise the times stay as given. Repeats
    kept before a stretch so fitted (a still scene) that are stamped after the source
    moment before the stretch's first are dropped: they show that earlier moment."""
    out, keep = times.copy(), keep.copy()
    n = len(times)
    if n < MIN_STRETCH or keep.all():
        return out, keep
    step = float(np.median(np.diff(times)))
    new = ~rep
    new[0] = True
    part = new | ~keep  # in a stretch of motion: a new frame or a dropped repeat
    for i, j in runs(part):
        idx = np.flatnonzero(new[i:j]) + i
        after = idx[1:][np.diff(idx) > 1]  # the new frames that follow dropped repeats
        if len(idx) >= MIN_STRETCH and len(after) >= MIN_DROPS:
            first = float(times[0]) if i == 0 else None
            k = np.arange(len(idx), dtype=float)
            slope, base, fits = _clock(k, times[idx], step, first)
            if not fits:  # a source moment showed no change: count moments by the clock
                counted = moments(times[idx], step, first)
                if counted is not None:
                    k = counted
                    slope, base, fits = _clock(k, times[idx], step, first)
            moving = np.median(change[after]) >= 0.5 * np.median(change[idx[1:]])
            if slope >= SLOWER * step and fits and moving:
                out[idx] = base + slope * k
                h = i - 1
                while h > 0 and keep[h] and rep[h] and times[h] > out[i] - slope:
                    keep[h] = False
                    h -= 1
    return out, keep


def _clock(
    k: np.ndarray, t: np.ndarray, step: float, first: float | None
) -> tuple[float, float, bool]:
    """The steady line ``base + slope * k`` through frames shown at ``t`` holding source
    moments ``k``, and whether every frame lies on it to within one output frame late.
    The first frame's moment is its own time (``first``); a later stretch starts at the
    line's lowest place that no frame lies before."""
    slope = narrowest(k, t)
    base = first if first is not None else float((t - slope * k).min())
    late = t - (base + slope * k)
    return slope, base, bool(late.min() >= -0.25 * step and late.max() <= step * (1 + 1e-6))


def moments(t: np.ndarray, step: float, first: float | None) -> np.ndarray | None:
    """The source moment each new frame shows, counted on a steady clock rather than by
    order: resampled to a faster rate, the frame first shown at ``t`` holds moment
    ``floor((t - base) / source_step)``, so a moment that showed no change (a body at the
    top of its bounce, read as a repeat) leaves a gap in the count instead of making every
    later frame one moment late. The source step (from ``SLOWER`` output frames up to 4,
    and under the closest two frames' gap plus one, to a thousandth of a frame) and the
    clock's phase (none when the stretch starts the clip, at ``first``) are searched for
    the fewest moments that give each frame its own and put every frame within one output
    frame of its moment; None when none does."""
    rel = t - t[0]
    # two frames a moment apart are more than a source step less one output frame apart
    longest = min(4.0, float(np.diff(t).min()) / step + 1.0)
    slopes = step * np.arange(SLOWER, longest, 0.001)
    if not len(slopes):
        return None
    phases = np.array([0.0]) if first is not None else step * np.arange(0.0, 1.0, 0.05)
    at = rel[None, None, :] + phases[None, :, None]  # (slopes, phases, frames)
    m = np.floor(at / slopes[:, None, None] + 1e-9)
    late = at - m * slopes[:, None, None]
    ok = (late <= step * (1 + 1e-6)).all(axis=2) & (np.diff(m, axis=2) >= 1).all(axis=2)
    found = np.argwhere(ok)
    if not len(found):
        return None
    a, b = found[-1]  # the longest source step that holds every frame: the fewest moments
    return m[a, b] - m[a, b, 0]


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """Each run of True in ``flags`` as (first, one past the last)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def narrowest(k: np.ndarray, t: np.ndarray) -> float:
    """The slope of the narrowest band holding every ``(k, t)``: a resampled clock's
    frames lie in a band one output frame wide around its own steady line (a least-squares
    line leans with the band's ends)."""
    fit = float(np.polyfit(k, t, 1)[0])
    lo, hi = 0.8 * fit, 1.25 * fit

    def width(m: float) -> float:
        r = t - m * k
        return float(r.max() - r.min())

    for _ in range(60):  # the width is convex in the slope
        a, b = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        lo, hi = (lo, b) if width(a) <= width(b) else (a, hi)
    return 0.5 * (lo + hi)


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
    way on both (the first body seen ``MOVE`` px from its start), if more than one and a
    half frames (of the truth's or the video's frame rate, the coarser) and up to
    ``MAX_DELAY``; 0 otherwise. For videos that set their own pace (planning), where only
    the start can be compared."""
    seen = {k: v for k, v in pos.items() if len(v) and np.isfinite(v[0, 0])}
    fps = instance.spec.fmt.fps
    truth = {k: instance.trajectory.xy(k) for k in seen if k in instance.trajectory.states}
    n = min((len(v) for v in truth.values()), default=0)
    t_true = first_move(truth, np.arange(n) / fps)
    t_video = first_move(seen, times)
    if t_true is None or t_video is None:
        return 0.0
    excess = t_video - t_true
    # each side sees the first move only at its own frames: an excess within one and a
    # half frames of the coarser clock is that rounding (a video at 8 fps), not a delay
    frame = max(1.0 / fps, float(np.median(np.diff(times))) if len(times) > 1 else 0.0)
    return excess if 1.5 * frame < excess <= MAX_DELAY + 1e-9 else 0.0


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
