"""Checks every planning family shares: when the solution is finished, and whether the
parts of the scene that should not change stay as they were in the first frame.

- ``timing``: the solution is finished within the clip, at the video's own pace (a pause
  or a faster or slower pace passes); ``settled_at`` finds the moment from which a state
  sequence stays solved. ``unseen_move`` names a move that no frame shows under way (a
  pause and then a jump), which the families count as illegal.
- ``scene``: every frame is compared with the video's own first frame (so compression,
  blur, colour shifts and resizing apply to both alike) outside the regions where
  something may move; a lasting change of a wall, a marker or the floor fails and is
  located in words by the family's ``describe``.

To add a shared check, write a function returning a ``Check`` here and call it from the
families' check functions.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from vidreason.perception.pixels import channel_max
from vidreason.perception.tracking import Tracks
from vidreason.types import Check

CHANGE_LEVEL = 60  # a pixel changed when a channel moved this far (of 255) after a 3x3 blur
_OPEN = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))


def settled_at(
    times: Sequence[float] | np.ndarray, states: Sequence[object], goal: object
) -> float | None:
    """The time of the first sample from which every later state equals ``goal``
    (``None`` entries are unreadable samples and are skipped)."""
    at = None
    for t, s in zip(times, states, strict=True):
        if s is None:
            continue
        at = (t if at is None else at) if s == goal else None
    return at


def timing(video: float | None, truth: float | None, duration: float, what: str) -> Check:
    """The solution is finished within the clip. The pace is the video's own (a pause,
    a faster or slower steady pace all pass); every move must still be seen
    (``unseen_move``)."""
    if truth is None:  # pragma: no cover - the ground truth always finishes
        return Check("timing", 1.0)
    if video is None:
        return Check("timing", 0.0, f"the {what} is never finished, so it has no finishing time")
    return Check("timing", 1.0)


SEEN = 0.5  # of the task's time per move: a move faster than this between two frames is a jump
# of a move: how far apart two readings must be for the move between them to be unseen
# (``grid.walk``, and a sliding tile's steps in ``puzzle_track``). A jump goes from standing
# in one cell to standing in the next (read 1.00-1.04 apart); an agent twice the task's
# pace, met by two frames near its cells' middles, is read 0.6-0.7 apart, a tile twice
# the task's pace at most 0.8
JUMP_SPAN = 0.9


def unseen_move(t0: float, t1: float, between: bool, t_move: float) -> bool:
    """A move between two readings at times ``t0`` and ``t1`` with nothing read in
    between (``between``: some frame showed the piece on its way) happened unseen: the
    piece jumped. Frames too far apart to show a move (``SEEN`` of ``t_move``) excuse it."""
    return not between and (t1 - t0) < SEEN * t_move


def realigned(
    ref: np.ndarray, frame: np.ndarray, free: np.ndarray, slack: int, least: float
) -> np.ndarray:
    """Pixels among ``free`` where ``frame`` differs clearly from ``ref`` in any channel,
    both blurred 3x3 (pass ``ref`` already blurred); where at least ``least`` changed, with
    ``frame`` shifted by the whole pixels (up to ``slack`` either way) that leave the
    fewest: a camera registered a few pixels off moves the whole picture, while a change
    of the scene stays whatever the shift."""
    blurred = cv2.blur(frame, (3, 3))
    best = (channel_max(cv2.absdiff(ref, blurred)) > CHANGE_LEVEL) & free
    if slack <= 0 or np.count_nonzero(best) < least:
        return best
    h, w = frame.shape[:2]
    s = slack
    inner = (slice(s, h - s), slice(s, w - s))
    ref_in, free_in = ref[inner], free[inner]

    def changed(dx: int, dy: int) -> np.ndarray:
        moved = blurred[s + dy : h - s + dy, s + dx : w - s + dx]
        return (channel_max(cv2.absdiff(ref_in, moved)) > CHANGE_LEVEL) & free_in

    # across, then down (a shift is found one direction at a time: an edge across the
    # picture is fixed by one of them alone)
    dx = min(range(-s, s + 1), key=lambda d: np.count_nonzero(changed(d, 0)))
    dy = min(range(-s, s + 1), key=lambda d: np.count_nonzero(changed(dx, d)))
    got = changed(dx, dy)
    if np.count_nonzero(got) < np.count_nonzero(best[inner]):
        best = np.zeros_like(best)
        best[inner] = got
    return best


TRAIL = 3  # frames: a motion-blur trail reaches back this far


def scene(
    tracks: Tracks,
    exclude: Callable[[int], np.ndarray],
    describe: Callable[[float, float, bool], str],
    min_area: float,
    slack: int = 0,
) -> Check:
    """Nothing outside ``exclude(k)`` (a boolean mask of where things may move in frame
    ``k``) changes from the first frame for two frames running in a blob of at least
    ``min_area`` px. ``describe(x, y, darker)`` names the place of a change (``darker``:
    the place got darker, e.g. a wall appeared). ``slack``: px the whole frame may sit off
    the first (a camera registered only that well): the shift that explains most is
    taken out (``realigned``)."""
    if tracks.n < 2:
        return Check("scene", 1.0)
    ref = cv2.blur(tracks.frames[0], (3, 3))
    # where things were in the last frames too: a shutter open across frames (motion
    # blur) leaves a fading trail behind what moves
    recent: deque[np.ndarray] = deque([exclude(0)], maxlen=TRAIL)
    before = np.zeros(tracks.frames.shape[1:3], bool)
    for k in range(1, tracks.n):
        recent.append(exclude(k))
        free = ~np.logical_or.reduce(list(recent))
        changed = realigned(ref, tracks.frames[k], free & shown(tracks, k), slack, min_area)
        stays = changed & before  # a change that stays put two frames (a trail moves on)
        before = changed
        if not stays.any():  # (no blob: the opening and the labelling find none)
            continue
        mask = cv2.morphologyEx(stays.astype(np.uint8), cv2.MORPH_OPEN, _OPEN)
        n, _, stats, cents = cv2.connectedComponentsWithStats(mask, connectivity=8)
        if n > 1 and stats[1:, cv2.CC_STAT_AREA].max() >= min_area:
            i = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
            x, y = (float(v) for v in cents[i])
            xi, yi = round(x), round(y)
            darker = bool(
                tracks.frames[k][yi, xi].astype(int).sum()
                < tracks.frames[0][yi, xi].astype(int).sum()
            )
            return Check("scene", 0.0, f"{describe(x, y, darker)} at frame {k - 1}")
    return Check("scene", 1.0)


def shown(tracks: Tracks, k: int) -> np.ndarray:
    """Pixels the camera shows in frame ``k`` and in the first frame (a camera that
    zooms or pans leaves the reference's edges out; those are not a change)."""
    if tracks.percept is None:
        return np.ones(tracks.frames.shape[1:3], dtype=bool)
    return tracks.percept.view[k] & tracks.percept.view[0]


def discs(shape: tuple[int, int], centres: Sequence[tuple[float, float]], r: float) -> np.ndarray:
    """A boolean mask of discs of radius ``r`` (NaN centres are skipped)."""
    mask = np.zeros(shape, np.uint8)
    for x, y in centres:
        if np.isfinite(x) and np.isfinite(y):
            cv2.circle(mask, (round(x), round(y)), max(1, round(r)), 1, -1)
    return mask.astype(bool)


def smear(pos: np.ndarray, k: int) -> float:
    """How far a body moves from frame ``k - 1`` to ``k + 1`` (px, 0 where unknown): a
    motion blur spreads it about that far around where it is tracked (the middle of its
    smear), so what may change around it grows by that much."""
    a = last_found(pos, max(k - 1, 0))
    b = last_found(pos, min(k + 1, len(pos) - 1))
    step = float(np.hypot(b[0] - a[0], b[1] - a[1]))
    return step if np.isfinite(step) else 0.0


def last_found(pos: np.ndarray, k: int) -> tuple[float, float]:
    """The position at frame ``k``, or the last one found before it (NaN if none)."""
    for i in range(k, -1, -1):
        if np.isfinite(pos[i, 0]):
            return float(pos[i, 0]), float(pos[i, 1])
    return float("nan"), float("nan")


def count(n: int, word: str) -> str:
    """ "1 move", "3 moves"."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def first_problem(problems: list[str]) -> str:
    """The first illegal move, and how many more there are."""
    more = len(problems) - 1
    return problems[0] + (f" (and {more} more illegal move{'s' * (more > 1)})" if more else "")


def legal(name: str, problems: list[str]) -> Check:
    """``name`` (``legal_moves``, ``legal_swaps``): every move legal, else the first that
    is not."""
    return Check(name, 0.0, first_problem(problems)) if problems else Check(name, 1.0)


def optimal(moves: int, best: int, note: str) -> Check:
    """Exactly the fewest moves (``note``: what was seen, when it is not)."""
    return Check("optimal", 1.0 if moves == best else 0.0, "" if moves == best else note)
