"""Colour keys and scene constants shared by the 2D families.

Object colours are saturated and far apart in CIE Lab, so the tracker can tell them from
each other, from the light background and from the dark floor after H.264 compression.
"""

from __future__ import annotations

import numpy as np

from vidreason.types import RGB, VideoFormat, Wall

COLOURS: dict[str, RGB] = {
    "red": (214, 39, 40),
    "blue": (31, 119, 180),
    "green": (44, 160, 44),
    "orange": (255, 140, 0),
    "purple": (148, 103, 189),
    "yellow": (232, 200, 20),
    "cyan": (20, 190, 210),
    "pink": (230, 80, 190),
    "brown": (140, 86, 40),
}
BACKGROUND: RGB = (236, 236, 232)
FLOOR: RGB = (70, 70, 74)
RADIUS = {1: 0.055, 2: 0.042, 3: 0.032}  # ball radius as a fraction of the frame height


# Pairs too close to share a scene once a video shifts hue or brightness a little.
CLASHES = {
    frozenset(p)
    for p in [("red", "brown"), ("blue", "purple"), ("orange", "yellow"), ("purple", "pink")]
}
PICKABLE = tuple(c for c in COLOURS if c != "brown")  # brown is too close to the floor


def pick_colours(rng: np.random.Generator, k: int) -> list[tuple[str, RGB]]:
    """``k`` colour keys that no two clash (at most 6)."""
    chosen: list[str] = []
    for _ in range(k):
        free = [
            c
            for c in PICKABLE
            if c not in chosen and all(frozenset((c, o)) not in CLASHES for o in chosen)
        ]
        if not free:
            raise ValueError(f"cannot pick {k} colours that are easy to tell apart")
        chosen.append(free[int(rng.integers(len(free)))])
    return [(c, COLOURS[c]) for c in chosen]


def floor(fmt: VideoFormat, top: float, elasticity: float = 1.0, friction: float = 0.0) -> Wall:
    """A floor whose top surface is at ``top`` px, wider than the frame."""
    th = max(4.0, 0.08 * fmt.height)
    y = top + th / 2
    return Wall(
        a=(-fmt.width, y),
        b=(2.0 * fmt.width, y),
        thickness=th,
        colour=FLOOR,
        elasticity=elasticity,
        friction=friction,
    )


def r4(v: float) -> float:
    return round(float(v), 4)
