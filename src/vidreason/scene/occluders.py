"""How much of a body opaque screens hide (``World2D.occluders`` names the screens).

``covered`` samples a disc of the body's radius on a fixed grid of points and counts the
share inside the screens' boxes; the ``permanence`` family draws its scenes with it and
the shared checks excuse a body the ground truth hides with it.
"""

from __future__ import annotations

import numpy as np

from vidreason.types import Body


def _unit_disc(n: int = 15) -> np.ndarray:
    g = (np.arange(n) + 0.5) / n * 2.0 - 1.0
    x, y = np.meshgrid(g, g)
    keep = x**2 + y**2 <= 1.0
    return np.stack([x[keep], y[keep]], axis=1)


_DISC = _unit_disc()


def covered(centres: np.ndarray, radius: float, screens: list[Body]) -> np.ndarray:
    """Per centre, the share of a disc of ``radius`` there that ``screens`` cover (the
    points' x and y as two arrays: the same numbers in a third of the time)."""
    c = np.asarray(centres, dtype=float)
    offset = radius * _DISC
    xs = c[:, 0, None] + offset[None, :, 0]
    ys = c[:, 1, None] + offset[None, :, 1]
    hidden = np.zeros(xs.shape, dtype=bool)
    for s in screens:
        (sx, sy), (w, h) = s.position, s.size
        hidden |= (np.abs(xs - sx) <= w / 2) & (np.abs(ys - sy) <= h / 2)
    return hidden.mean(axis=1)
