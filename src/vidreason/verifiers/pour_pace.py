"""The pour's pace: the poured liquid keeps gravity's time against the cup's turn.

The cup turns on a fixed schedule (the prompt gives it), so in a video it is a clock of
its own: whatever shifts the whole video in time (a late start, a motion blur's lag, a
codec's frame timing) shifts the cup and the liquid alike. Gravity does not: the turn is
the same under any gravity, while the water that runs over the lip, falls and lands in
the tank runs on gravity's clock (a weaker gravity pours later: at 0.8 g the stream lags
the truth's by more than a frame while it lands, at 1.25 g it leads by as much).

Both lags are read the same way, as the time shift that best matches a picture series
with the truth's (least squares, the truth's pictures linear between its frames, and also
averaged over 2 and 3 frames as a motion blur shows them: a blur's smear where a motion
starts or stops is matched as a smear, not read as a lag):

- the cup's: the pixels of the walls' colour in the cup's sweep (the static walls left
  out) against the truth's cup walls, over the whole clip;
- the liquid's: its share per pixel against the truth's region, over the second half of
  the pour and the sloshing after it (from when the truth's tank holds ``ARRIVE`` of the
  liquid to ``TAIL`` frames after the last frame with a falling stream), where the lag
  gravity makes is largest.

``pace_check`` passes when the liquid lags (or leads) the cup by at most ``GOOD`` frames.
Measured on the audit's videos (seeds 0 and 1, 8 instances): gravity x0.8 and x1.25 read
1.15-1.6 frames, every nuisance at most 0.45 (a 5% zoom; a motion blur over 3 frames 0.3).
"""

from __future__ import annotations

import numpy as np

from vidreason.types import Check
from vidreason.verifiers.checks import band

SPAN = 3.0  # frames: the shifts searched either way
COARSE = 0.25  # frames: the first search's step ...
FINE = 0.05  # ... and the second's, about the best of the first
DOWN = 2  # every other pixel compared (the shift is read off thousands of them)
STREAM = 0.03  # of the liquid: a frame with this much falling is still pouring
ARRIVE = 0.1  # of the liquid in the tank: the second half of the pour begins
GOOD, BAD = 0.5, 1.0  # frames the liquid may lag or lead the cup: full marks, 0
MIN_FRAMES = 2  # frames of the video in the pour's second half to read its lag
BLUR_FRAMES = 3  # a motion blur over up to this many frames is matched as a blur
TAIL = 4  # frames after the last falling stream: the tank's water still runs on gravity's clock


def _blurred(truth: np.ndarray, width: int) -> np.ndarray:
    """``truth`` averaged over ``width`` frames about each (1: as it is; 2: a quarter of
    each neighbour, half of itself; 3: a third of each of the three)."""
    if width <= 1:
        return truth
    pad = np.concatenate([truth[:1], truth, truth[-1:]])
    side = 0.25 if width == 2 else 1.0 / 3.0
    return side * (pad[:-2] + pad[2:]) + (1.0 - 2.0 * side) * truth


def best_shift(
    video: np.ndarray, truth: np.ndarray, times: np.ndarray, shown: np.ndarray | None = None
) -> float:
    """The shift ``tau`` (frames, within ``SPAN``) for which ``video`` (its pictures at
    ``times``, in the truth's frames) best matches ``truth`` at ``times - tau``, the
    truth's pictures linear between its frames and seen only where ``shown``; least
    squares, searched by ``COARSE`` then ``FINE`` steps. The truth is also read as a
    motion blur over up to ``BLUR_FRAMES`` frames shows it (averaged over them about each
    frame): the best match of all counts, so a blur's smear at the start and the end of a
    motion is matched as a smear, not read as a lag."""
    n = len(truth)
    video = video.astype(np.float32)
    seen = np.float32(1.0) if shown is None else shown.astype(np.float32)
    best_cost, best_tau = np.inf, 0.0
    for width in range(1, BLUR_FRAMES + 1):
        series = _blurred(truth.astype(np.float32), width)

        def cost(tau: float, series: np.ndarray = series) -> float:
            at = np.clip(times - tau, 0.0, n - 1.0)
            i0 = np.floor(at).astype(int)
            i1 = np.minimum(i0 + 1, n - 1)
            u = (at - i0).astype(np.float32)[:, None, None]
            shifted = (1 - u) * series[i0] + u * series[i1]
            return float(((video - shifted * seen) ** 2).sum())

        coarse = np.arange(-SPAN, SPAN + 1e-9, COARSE)
        k = int(np.argmin([cost(t) for t in coarse]))
        fine = np.arange(coarse[k] - COARSE, coarse[k] + COARSE + 1e-9, FINE)
        costs = [cost(t) for t in fine]
        j = int(np.argmin(costs))
        if costs[j] < best_cost:
            best_cost, best_tau = costs[j], float(fine[j])
    return best_tau


def cup_lag(walls: np.ndarray, true_walls: np.ndarray, times: np.ndarray) -> float:
    """How many frames the cup in the video trails the truth's: ``walls`` (n, h, w) the
    video's pixels of the walls' colour in the cup's sweep, ``true_walls`` (n_true, h, w)
    the truth's cup walls there."""
    return best_shift(walls[:, ::DOWN, ::DOWN], true_walls[:, ::DOWN, ::DOWN], times)


def pour_window(every: np.ndarray, tank: np.ndarray, cups: np.ndarray) -> tuple[int, int] | None:
    """The truth's frames of the pour's second half: from the frame before its tank first
    holds ``ARRIVE`` of the liquid to the frame after its last falling stream (liquid in
    neither the cup nor the tank, at least ``STREAM`` of it); None without one."""
    n = len(every)
    total = max(1.0, float(every[0].sum()))
    share = (every & tank).reshape(n, -1).sum(axis=1) / total
    air = (every & ~cups & ~tank).reshape(n, -1).sum(axis=1) / total
    arrived, falling = np.flatnonzero(share >= ARRIVE), np.flatnonzero(air >= STREAM)
    if not len(arrived) or not len(falling) or falling[-1] < arrived[0]:
        return None
    return max(0, int(arrived[0]) - 1), min(n - 1, int(falling[-1]) + 1 + TAIL)


def liquid_lag(
    alpha: np.ndarray, every: np.ndarray, view: np.ndarray, times: np.ndarray, window: tuple
) -> tuple[float, int]:
    """How many frames the liquid trails the truth's over ``window`` (the truth's frames):
    ``alpha`` (n, h, w) its share per pixel, ``every`` the truth's regions, ``view`` what
    each frame shows (the truth is compared only there); and how many frames were read."""
    sel = np.flatnonzero((times >= window[0]) & (times <= window[1]))
    if len(sel) < MIN_FRAMES:
        return float("nan"), len(sel)
    d = DOWN
    tau = best_shift(alpha[sel, ::d, ::d], every[:, ::d, ::d], times[sel], view[sel, ::d, ::d])
    return tau, len(sel)


def pace_check(liquid: float, cup: float, frames: int, name: str) -> Check:
    """The liquid's lag behind the truth's (``liquid``, frames) less the cup's (``cup``)
    within ``GOOD`` frames, 0 beyond ``BAD``."""
    if not np.isfinite(liquid):
        note = f"too few frames ({frames}) show the {name} pouring into the tank to time it"
        return Check("pace", 0.0, note)
    lag = liquid - cup
    value = band(abs(lag), GOOD, BAD)
    note = (
        f"the {name} lands in the tank {abs(lag):.1f} frames"
        f" {'behind' if lag > 0 else 'ahead of'} the truth's, timed against the cup's turn"
        f" (the cup {cup:+.1f} frames): it does not fall at gravity's pace"
    )
    return Check("pace", value, note if value < 1 else "")
