"""A body that fades into the background and comes back keeps its size and place while
its pixels turn into blends that count for it: the ``objects`` check reads its colour,
and light left in the frame does not read as a fade."""

from __future__ import annotations

import numpy as np

from tests.helpers import build, score_encoded
from vidreason import violations as planted
from vidreason.corruptions.violations import moving_bodies


def _faded(inst, frames: np.ndarray, peak: float) -> np.ndarray:
    """The first moving body blended towards what is behind it, up to ``peak`` in the
    middle of its motion and back, over two fifths of the clip."""
    name = moving_bodies(inst)[0]
    n = len(frames)
    gone = planted.draw(inst.spec, inst.trajectory, {i: {name} for i in range(n)})
    moving = np.flatnonzero(np.linalg.norm(np.diff(inst.trajectory.xy(name), axis=0), axis=1) > 0.3)
    centre = (moving[0] + moving[-1]) // 2
    a = peak * np.clip(1 - np.abs(np.arange(n) - centre) / (n // 5), 0, 1)[:, None, None, None]
    return np.clip(np.rint(frames * (1 - a) + gone * a), 0, 255).astype(np.uint8)


def test_a_body_fading_to_half_and_back_fails_and_a_spot_of_light_does_not(tmp_path):
    """Faded: its area falls under ``SHRINK`` for two frames only, and the size check let
    it pass. A soft spot 30% bright wandering over the scene (left in the frame by the
    smooth light model, clipping the yellow ball at white) moves its colour across the
    way to the light background, not along it: no fade."""
    inst, frames = build("collision", 0, seed=31)
    score, _ = score_encoded(inst, _faded(inst, frames, 0.5), tmp_path, first=frames[0])
    assert not score.passed and "fades" in score.explanation, score.explanation
    h, w = frames.shape[1:3]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    out = []
    for i, f in enumerate(frames):
        cx, cy = w * (0.5 + 0.3 * np.sin(1.0 + i / 7)), h * (0.5 + 0.3 * np.cos(2.0 + i / 9))
        g = 0.3 * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * (0.2 * w) ** 2))
        out.append(np.clip(f * (1 + g[..., None]), 0, 255).astype(np.uint8))
    score, _ = score_encoded(inst, np.stack(out), tmp_path, first=frames[0])
    assert "fades" not in score.explanation, score.explanation
