"""``covered``: the share of a disc that screens hide, as the points of the disc say."""

from __future__ import annotations

import numpy as np

from vidreason.scene.occluders import _DISC, covered
from vidreason.tasks.commonsense.scene import block


def _by_points(centres: np.ndarray, radius: float, screens) -> np.ndarray:
    """Every point of the disc tested against every screen, one point at a time."""
    out = []
    for cx, cy in centres:
        inside = 0
        for dx, dy in radius * _DISC:
            x, y = cx + dx, cy + dy
            inside += any(
                abs(x - s.position[0]) <= s.size[0] / 2 and abs(y - s.position[1]) <= s.size[1] / 2
                for s in screens
            )
        out.append(inside / len(_DISC))
    return np.array(out)


def test_the_share_hidden_is_the_share_of_points_inside_a_screen():
    rng = np.random.default_rng(0)
    for k in range(20):
        screens = [
            block(
                f"s{j}", (60, 60, 60), tuple(rng.uniform(5, 80, 2)), tuple(rng.uniform(0, 256, 2))
            )
            for j in range(1 + k % 3)
        ]
        centres = rng.uniform(0, 256, (6, 2))
        radius = float(rng.uniform(3, 30))
        assert np.array_equal(
            covered(centres, radius, screens), _by_points(centres, radius, screens)
        )
