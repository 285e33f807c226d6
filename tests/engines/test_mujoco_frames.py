"""MuJoCo frames drawn on the kept GL context are ``mujoco.Renderer``'s pixels, clip after
clip, in every style and in another thread."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from vidreason.tasks import get_family
from vidreason.tasks.base import sample_scene
from vidreason.types import VideoFormat

os.environ.setdefault("MUJOCO_GL", "egl")  # before anything imports mujoco (importorskip does)


def _reference(mujoco, model, data, h: int, w: int, style: str) -> np.ndarray:
    """The frame as ``mujoco.Renderer`` (a context of its own) draws it."""
    renderer = mujoco.Renderer(model, height=h, width=w)
    try:
        flags = renderer.scene.flags
        for flag in ("mjRND_SHADOW", "mjRND_REFLECTION", "mjRND_SKYBOX", "mjRND_FOG"):
            flags[getattr(mujoco.mjtRndFlag, flag)] = 0
        if style == "shaded":
            flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 1
        renderer.update_scene(data, camera="main")
        return renderer.render()
    finally:
        renderer.close()


@pytest.mark.parametrize("style", ["flat", "shaded", "textured"])
def test_kept_context_draws_the_renderers_pixels_clip_after_clip(style):
    mujoco = pytest.importorskip("mujoco")
    from vidreason.engines.mujoco_frames import frames_of
    from vidreason.engines.mujoco_sim import build_model

    fmt = VideoFormat(96, 80, style=style)
    spec = sample_scene(get_family("throw-3d-v1"), 0, 0, 1, fmt)
    model, data = build_model(spec, style=style)
    mujoco.mj_forward(model, data)
    want = _reference(mujoco, model, data, fmt.height, fmt.width, style)
    assert want.std() > 5  # a scene, not a blank frame
    for _ in range(2):  # the second clip on the same context
        got = np.zeros_like(want)
        with frames_of(model, fmt.height, fmt.width, style) as draw:
            draw(data, got)
        assert np.array_equal(got, want)

    other: list[np.ndarray] = []

    def in_thread() -> None:
        out = np.zeros_like(want)
        with frames_of(model, fmt.height, fmt.width, style) as draw:
            draw(data, out)
        other.append(out)

    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join()
    assert len(other) == 1 and np.array_equal(other[0], want)
