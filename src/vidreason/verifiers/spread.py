"""How sure a fitted gravity is: its relative standard error, from the fit's own scatter,
and the allowance that error earns on the gravity check.

A fall seen for a dozen frames shows a wrong gravity as a bow of a few pixels about the
best parabola: a fall of 0.8 g bends a 12-frame, 90 px fall by about 2-3 px from the
parabola of g with the same start and end. A track that scatters by as much (a textured
block through MPEG-4 part 2, whose residue of the body's colour trails it for the frames
between two key frames, then snaps back; a generated video's jitter) cannot tell the two
apart, whatever the loss: on 10 cells of topple-3d and roll-3d through ``mpeg4``, least
squares, arctan, Cauchy, soft-L1 and trimmed fits all read one cell or more 10-20% off.
So the fit says how far its own gravity may be off (``relative_spread``: the standard
error of the parabola's curvature over the track's scatter about it, widened where the
residuals run in the same direction from frame to frame, as a codec's lag does), and the
gravity check widens its tolerance by twice that beyond what a clean track gives
(``allowance``), never by more than ``CAP``: x1.35 and x0.74, and so x1.5 and x0.6, fail
however the track scatters. Measured (topple-3d, roll-3d; flat, shaded, textured; seeds 0, 5, 7, 13): the
truths and the clean gravity x0.8 / x1.25 videos 0.004-0.017 (no allowance), through
``mpeg4`` 0.02-0.25 (read 6-20% off), ``crf 35`` and ``jpeg 30`` 0.01-0.06.
"""

from __future__ import annotations

import numpy as np

FLOOR = 0.02  # a clean track's relative standard error of gravity: no allowance below it
WIDEN = 2.0  # standard errors of allowance beyond FLOOR
CAP = 0.10  # most allowance, in |ln(g_seen / g)|: x1.35 and x0.74 fail whatever the scatter
MAX_RUN = 0.9  # the frame-to-frame correlation of residuals counted at most


def relative_spread(jac: np.ndarray, residuals: np.ndarray, k: int, value: float) -> float:
    """The relative standard error of parameter ``k`` (``value`` at the fit) of a least
    squares fit with Jacobian ``jac`` (one row per residual) and ``residuals`` (one row per
    frame, in frame order): the parameter's variance over the residuals' variance,
    times (1 + ρ) / (1 - ρ) for a positive correlation ρ of each frame's residual with the
    next's (frames that err the same way, as a codec's lag, tell less than as many
    independent ones). 0 where there are no more residuals than parameters."""
    r = np.asarray(residuals, dtype=float).reshape(len(residuals), -1)
    n, p = jac.shape
    if n <= p or not np.isfinite(value) or value == 0:
        return 0.0
    variance = float((r * r).sum()) / (n - p)
    cov = variance * np.linalg.pinv(jac.T @ jac)
    rho = float((r[:-1] * r[1:]).sum()) / max(1e-12, float((r * r).sum()))
    rho = min(max(rho, 0.0), MAX_RUN)
    return float(np.sqrt(max(0.0, cov[k, k]) * (1 + rho) / (1 - rho)) / abs(value))


def allowance(spread: float) -> float:
    """How much wider (in |ln(g_seen / g)|) the gravity tolerance is for a fit whose gravity
    has relative standard error ``spread``."""
    if not np.isfinite(spread):
        return CAP
    return float(min(CAP, WIDEN * max(0.0, spread - FLOOR)))


def spread_note(spread: float) -> str:
    """What a failed gravity check adds when its tolerance was widened."""
    if allowance(spread) <= 0.0:
        return ""
    return f" (the track scatters: gravity known to ±{spread:.0%}, tolerance widened by that)"
