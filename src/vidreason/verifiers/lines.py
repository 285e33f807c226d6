"""Law checks of ``connect``: the pen's walk and the line it leaves.

The pen is followed from cell to cell like an agent (``grid.walk``), with two more rules:
it may not pass over a dot of another colour, and its line may not cross itself. The
line may be longer than the shortest one (``optimal`` allows half as many moves again).
``line`` reads the last frame: pixels of the dots' colour (sampled from the video's own
first frame, so colour shifts apply to both) must join the two dots. A pixel is of that
colour when it is within ``LINE_LAB_DISTANCE`` of it and nearer to it than to any other
colour of the scene (a codec's bleeding moves a thin line's pixels far from its colour,
but not nearer to the floor's), and gaps of a few pixels are closed (a codec's blocks).
The scene check lets the floor change where the pen has been.
"""

from __future__ import annotations

import cv2
import numpy as np

from vidreason.perception.tracking import Tracks, scene_palette
from vidreason.scene.grid import Cell, layout_of
from vidreason.scene.params.planning import ConnectParams
from vidreason.types import Check, Instance
from vidreason.verifiers.grid import Rules, agent_of, walk_checks

LINE_LAB_DISTANCE = 45.0
OTHER = 15.0  # Lab: scene colours this close to the line's are the line's own
GAP = 5  # px: a gap in the line this wide (a codec's block edge) is closed


def _lab(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2LAB).astype(np.float32)


def line_check(tracks: Tracks, instance: Instance) -> Check:
    """In the last frame a line of the dots' colour joins the two dots."""
    spec = instance.spec
    layout = layout_of(spec)
    p = ConnectParams.of(spec)
    colour = p.line_colour
    a, b = (layout.centre((c[0], c[1])) for c in (p.start, p.goal))
    r = max(2, round(0.65 * layout.cell))  # the dot, the line entering its cell (no other line)
    bx, by = round(b[0]), round(b[1])
    first = _lab(tracks.frames[0])
    ref = first[max(0, by - 1) : by + 2, max(0, bx - 1) : bx + 2].reshape(-1, 3).mean(axis=0)
    last = _lab(tracks.frames[-1])
    dist = np.linalg.norm(last - ref, axis=2)
    _, colours = scene_palette(instance)
    others = [c for c in _lab(np.array([colours], np.uint8))[0] if np.linalg.norm(c - ref) > OTHER]
    nearest = np.full(dist.shape, np.inf, np.float32)
    for c in others:
        nearest = np.minimum(nearest, np.linalg.norm(last - c, axis=2))
    mask = ((dist < LINE_LAB_DISTANCE) & (dist < nearest)).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (GAP, GAP))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    _, labels = cv2.connectedComponents(mask, connectivity=8)

    def touching(p: tuple[float, float]) -> set[int]:
        disc = np.zeros(mask.shape, np.uint8)
        cv2.circle(disc, (round(p[0]), round(p[1])), r, 1, -1)
        return set(np.unique(labels[disc.astype(bool)]).tolist()) - {0}

    if touching(a) & touching(b):
        return Check("line", 1.0)
    return Check("line", 0.0, f"in the last frame no {colour} line joins the two {colour} dots")


def _cell(key: str) -> Cell:
    """``"3,4"`` -> (3, 4)."""
    col, row = key.split(",")
    return int(col), int(row)


def connect_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The connect family's law checks, declared in ``tasks/planning/connect.py``: the pen's walk
    judged as any grid walk (``legal_moves``, ``goal``, ``optimal``, ``timing``, ``scene``, see
    ``verifiers/grid.py``) without crossing its own line or another colour's dots, and the
    finished line joining the two dots (``line``)."""
    spec = instance.spec
    pen = agent_of(spec)
    params = ConnectParams.of(spec)
    forbidden: dict[Cell, str] = {_cell(key): what for key, what in params.forbidden.items()}
    rules = Rules(who=f"the {pen.label}", forbidden=forbidden, no_revisit=True)
    pos = tracks.pos[pen.name]
    width = float(params.trail.width)

    def drawn(k: int) -> np.ndarray:
        """Where the pen has been up to frame ``k``: its line may cover the floor there."""
        mask = np.zeros(tracks.frames.shape[1:3], np.uint8)
        pts = pos[: k + 1]
        pts = pts[np.isfinite(pts[:, 0])]
        if len(pts) > 1:
            poly = np.round(pts).astype(np.int32)
            cv2.polylines(mask, [poly], False, 1, max(1, round(width + 8)))
        return mask.astype(bool)

    checks = walk_checks(tracks, instance, rules, strict=False, exclude_extra=drawn)
    return [*checks, line_check(tracks, instance)]
