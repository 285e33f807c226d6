"""Encounters in an `identity` scene, from positions alone (tracked or simulated).

``encounters`` counts the times two objects meet: a pair meets when the gap between them
(centre distance less both reaches; a block's reach is between its half side and its half
diagonal) falls below ``ENTER`` of the frame size, and the meeting is over once the gap
exceeds ``LEAVE``. The family's sampler keeps only scenes where this count agrees with the
simulator's contacts at other frame rates and thresholds too, so the outcome of a true
video is the simulator's; the verifier (``verifiers/identity.py``) counts a video's the
same way.
"""

from __future__ import annotations

import itertools

import numpy as np

from vidreason.types import Body

ENTER, LEAVE = 0.05, 0.1  # gap (fraction of the frame) where a meeting starts and ends


def reach(body: Body) -> float:
    """How far ``body`` reaches from its centre: a ball's radius; for a block, whose angle
    the tracker does not see, the mean of its half side and its half diagonal."""
    if body.shape == "box":
        return float((np.hypot(*body.size) / 2 + min(body.size) / 2) / 2)
    return float(body.radius)


def meetings(gap: np.ndarray, enter: float, leave: float) -> list[int]:
    """Frames where the gap between two objects starts a meeting (falls below ``enter``
    after last exceeding ``leave``). Frames where the gap is unknown (NaN) change nothing."""
    gap = np.asarray(gap, dtype=float)
    if not enter < leave:  # a gap may be both below enter and above leave
        return _meetings_stepwise(gap, enter, leave)
    at = np.flatnonzero(~np.isnan(gap))
    if not len(at):
        return []
    # +1 where a meeting may start (below enter), -1 where one ends (above leave): the
    # state before a frame is the last of these before it (none: apart)
    step = np.where(gap[at] < enter, 1, np.where(gap[at] > leave, -1, 0))
    marked = np.maximum.accumulate(np.where(step != 0, np.arange(len(step)), -1))
    before = np.concatenate([[-1], marked[:-1]]).astype(np.int64)
    inside = (before >= 0) & (step[np.maximum(before, 0)] == 1)
    return [int(i) for i in at[(step == 1) & ~inside]]


def _meetings_stepwise(gap: np.ndarray, enter: float, leave: float) -> list[int]:
    """``meetings`` frame by frame (for any two thresholds)."""
    starts, inside = [], False
    for i, g in enumerate(gap):
        if np.isnan(g):
            continue
        if not inside and g < enter:
            starts.append(i)
            inside = True
        elif inside and g > leave:
            inside = False
    return starts


def encounters(
    pos: dict[str, np.ndarray],
    bodies: tuple[Body, ...],
    size: float,
    enter: float = ENTER,
    leave: float = LEAVE,
) -> list[tuple[int, str, str]]:
    """Every meeting of two bodies as (frame, name, name), in frame order."""
    out = []
    for a, b in itertools.combinations(bodies, 2):
        d = np.linalg.norm(pos[a.name] - pos[b.name], axis=1)
        gap = (d - reach(a) - reach(b)) / size
        out += [(f, a.name, b.name) for f in meetings(gap, enter, leave)]
    return sorted(out)


def pair_gaps(
    pos: dict[str, np.ndarray], bodies: tuple[Body, ...], size: float
) -> tuple[list[tuple[str, str]], np.ndarray]:
    """Every pair of bodies (names sorted) and the gap between them per sample (pairs x
    samples, a fraction of ``size``): the gaps ``encounters`` reads, for all pairs at once."""
    pairs = list(itertools.combinations(bodies, 2))
    diff = np.stack([pos[a.name] - pos[b.name] for a, b in pairs])
    d = np.sqrt(np.add.reduce(diff * diff, axis=2))  # np.linalg.norm(..., axis=1) per pair
    ra = np.array([reach(a) for a, _ in pairs])[:, None]
    rb = np.array([reach(b) for _, b in pairs])[:, None]
    names = [(a.name, b.name) if a.name <= b.name else (b.name, a.name) for a, b in pairs]
    return names, (d - ra - rb) / size


def meeting_counts(gap: np.ndarray, enter: float, leave: float) -> np.ndarray:
    """Per row of ``gap`` (no NaN; ``enter < leave``), how many meetings ``meetings``
    finds in it, for all rows at once."""
    if not enter < leave or np.isnan(gap).any():
        return np.array([len(meetings(g, enter, leave)) for g in gap], dtype=np.int64)
    step = np.where(gap < enter, 1, np.where(gap > leave, -1, 0))
    marked = np.maximum.accumulate(np.where(step != 0, np.arange(gap.shape[1]), -1), axis=1)
    before = np.concatenate([np.full((len(gap), 1), -1), marked[:, :-1]], axis=1)
    inside = (before >= 0) & (np.take_along_axis(step, np.maximum(before, 0), axis=1) == 1)
    return ((step == 1) & ~inside).sum(axis=1)


def meeting_counts_each(gap: np.ndarray, thresholds: list[tuple[float, float]]) -> np.ndarray:
    """``meeting_counts(gap, enter, leave)`` for each ``(enter, leave)`` of ``thresholds``
    (no NaN in ``gap``; each ``enter < leave``), (thresholds x rows), in one pass over
    all of them: the same integer steps, each row against its own two thresholds."""
    return meeting_starts_each(gap, thresholds).sum(axis=2)


def meeting_starts_each(gap: np.ndarray, thresholds: list[tuple[float, float]]) -> np.ndarray:
    """Where a meeting starts (``meetings``), per threshold of ``thresholds``, row of
    ``gap`` and frame: (thresholds x rows x frames) bool (no NaN; each ``enter < leave``).
    A frame's own and earlier gaps decide it, so the starts of the first frames of a
    sequence are those of the whole."""
    k, rows = len(thresholds), len(gap)
    enter = np.repeat([t[0] for t in thresholds], rows)[:, None]
    leave = np.repeat([t[1] for t in thresholds], rows)[:, None]
    many = np.broadcast_to(gap, (k, *gap.shape)).reshape(k * rows, -1)
    step = np.where(many < enter, 1, np.where(many > leave, -1, 0))
    marked = np.maximum.accumulate(np.where(step != 0, np.arange(many.shape[1]), -1), axis=1)
    before = np.concatenate([np.full((len(many), 1), -1), marked[:, :-1]], axis=1)
    inside = (before >= 0) & (np.take_along_axis(step, np.maximum(before, 0), axis=1) == 1)
    return ((step == 1) & ~inside).reshape(k, rows, -1)


def final_order(pos: dict[str, np.ndarray], bodies: tuple[Body, ...]) -> list[str]:
    """Labels of the bodies left to right by their last known position."""
    xs = []
    for b in bodies:
        x = pos[b.name][:, 0]
        seen = np.flatnonzero(np.isfinite(x))
        if len(seen):
            xs.append((float(x[seen[-1]]), b.label))
    return [label for _, label in sorted(xs)]
