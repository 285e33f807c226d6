"""Where a sliding tile is between its two squares, frame by frame, to a fraction of a square.

Each tile's own appearance is cut from the video's first frame (the square where the
task puts it, a little inside its edges) and matched along the line from the centre of
the square it leaves to the centre of the one it enters, a few pixels either side of
that line (a shaking camera). The best match gives the tile's place as a share of the
way (0: the square it leaves, 1: the one it enters), to a fraction of a pixel.

A slide seen happening moves the tile in steps; a tile that jumps goes the whole way
between two frames. A slide faster than the task's, met by frames that fall anywhere in
it, is read in steps of at most 0.8 of a square (twice the pace, an eased slide met by
a frame a third of the way in and one two thirds of the way); a jump is read 0.94 to
1.0 of a square apart (``planning.JUMP_SPAN`` between). A tile smeared by a shutter
open across frames matches best at the middle of its smear, so a blurred slide still
reads in steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from vidreason.scene.params.planning import SlidingPuzzleParams
from vidreason.types import Instance

INSET = 0.94  # the part of a tile matched (its edges are soft: antialiasing, a shadow)
BEYOND = 0.15  # of a square: how far past either centre a tile is searched
ASIDE = 0.08  # of a square: how far off the line between the centres a tile is searched


@dataclass(frozen=True)
class TileTrack:
    """Reads tiles' places in ``frames`` (the tracked, normalised frames; the first one
    shows every tile where the task starts it)."""

    frames: np.ndarray
    instance: Instance
    _templates: dict[int, np.ndarray] = field(default_factory=dict)

    def _board(self) -> tuple[int, float, float, float, float]:
        b = SlidingPuzzleParams.of(self.instance.spec).board
        return b.n, float(b.x0), float(b.y0), float(b.pitch), float(b.tile)

    def centre(self, slot: int) -> tuple[float, float]:
        n, x0, y0, p, _ = self._board()
        r, c = divmod(slot, n)
        return x0 + (c + 0.5) * p, y0 + (r + 0.5) * p

    def _side(self) -> int:
        return max(4, round(INSET * self._board()[4]))

    def template(self, tile: int) -> np.ndarray:
        """The tile as the first frame shows it (float32, side ``_side``)."""
        if tile not in self._templates:
            start = [int(t) for t in SlidingPuzzleParams.of(self.instance.spec).start]
            cx, cy = self.centre(start.index(tile))
            s = self._side()
            ax, ay = round(cx - s / 2), round(cy - s / 2)
            self._templates[tile] = self.frames[0][ay : ay + s, ax : ax + s].astype(np.float32)
        return self._templates[tile]

    def place(self, k: int, tile: int, a: int, b: int) -> float:
        """How far along from square ``a`` to square ``b`` frame ``k`` shows ``tile`` (a
        share of the way; NaN where the search leaves the picture)."""
        p = self._board()[3]
        tpl = self.template(tile)
        s = tpl.shape[0]
        (xa, ya), (xb, yb) = self.centre(a), self.centre(b)
        along_x = abs(xb - xa) > abs(yb - ya)
        lo_x, hi_x = min(xa, xb), max(xa, xb)
        lo_y, hi_y = min(ya, yb), max(ya, yb)
        reach, aside = BEYOND * p, max(2.0, ASIDE * p)
        mx, my = (reach, aside) if along_x else (aside, reach)
        x0, x1 = round(lo_x - mx - s / 2), round(hi_x + mx + s / 2)
        y0, y1 = round(lo_y - my - s / 2), round(hi_y + my + s / 2)
        h, w = self.frames.shape[1:3]
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
            return float("nan")
        region = self.frames[k][y0:y1, x0:x1].astype(np.float32)
        score = cv2.matchTemplate(region, tpl, cv2.TM_SQDIFF)
        profile = score.min(axis=0 if along_x else 1)  # best across the line, per place along
        i = int(np.argmin(profile))
        at = float(i)
        if 0 < i < len(profile) - 1:  # to a fraction of a pixel: a parabola through three
            left, mid, right = profile[i - 1], profile[i], profile[i + 1]
            den = left - 2 * mid + right
            if den > 0:
                at += 0.5 * float(left - right) / den
        origin = (x0 if along_x else y0) + s / 2  # the centre of the template's first place
        start, end = (xa, xb) if along_x else (ya, yb)
        return (origin + at - start) / (end - start)

    def steps(self, ks: range, tile: int, a: int, b: int) -> np.ndarray:
        """The tile's step (share of a square) between consecutive frames of ``ks``."""
        u = np.array([self.place(k, tile, a, b) for k in ks])
        return np.abs(np.diff(u))
