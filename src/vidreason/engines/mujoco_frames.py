"""Offscreen frames of a MuJoCo model, drawn on one OpenGL context kept for the process.

On the CPU (Mesa's llvmpipe) opening a GL context and drawing its first frame, when the
driver compiles its shaders, cost about as much as 20 later frames, so every clip of a
process is drawn on the same context: ``frames_of`` gives each model its own MuJoCo
render context (its planes, textures, offscreen buffer) and scene, freed when the clip is
done, and the context stays for the next. The pixels are ``mujoco.Renderer``'s: the same
calls (``mjv_updateScene``, ``mjr_render``, ``mjr_readPixels``), flipped to top-down rows.

A forked child never draws on its parent's context: the context is kept per process id.
MuJoCo is imported only through ``mujoco_sim.load_mujoco``.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from vidreason.engines.mujoco_sim import GL_HINT, load_mujoco

# process id -> (GL context or None, width, height): the one this process draws on
_GL: dict[int, tuple[Any, int, int]] = {}
SPARE_GEOMS = 64  # scene slots beyond the model's geoms, flexes, skins and sites

Draw = Callable[[Any, np.ndarray], None]


def _context(mujoco: Any, w: int, h: int) -> Any:
    """This process's GL context (made current), opened on first use or when a larger
    frame than it was opened for is asked; None where MuJoCo has no GL backend."""
    pid = os.getpid()
    held = _GL.get(pid)
    if held is None or w > held[1] or h > held[2]:
        if held is not None and held[0] is not None:
            held[0].free()
        w, h = (w, h) if held is None else (max(w, held[1]), max(h, held[2]))
        make = getattr(mujoco, "GLContext", None)
        _GL[pid] = held = (make(w, h) if make is not None else None, w, h)
    if held[0] is not None:
        held[0].make_current()
    return held[0]


@atexit.register
def _close() -> None:
    held = _GL.pop(os.getpid(), None)
    if held is not None and held[0] is not None:
        held[0].free()


@contextmanager
def frames_of(model: Any, h: int, w: int, style: str = "flat") -> Iterator[Draw]:
    """``draw(data, out)``: the frame of ``data`` seen by the camera ``main``, written into
    ``out`` ((h, w, 3) uint8), with shadows (but in the shaded style), reflections,
    skybox and fog off (ten times faster on the CPU); one clear line when this machine
    cannot render offscreen."""
    mujoco = load_mujoco()
    try:
        gl = _context(mujoco, w, h)
        con = mujoco.MjrContext(model, mujoco.mjtFontScale.mjFONTSCALE_150.value)
    except mujoco.FatalError as exc:  # pragma: no cover - depends on the machine
        from vidreason.errors import UserError

        reason = (str(exc).splitlines() or ["FatalError"])[0]
        raise UserError(
            f"MuJoCo cannot render offscreen with MUJOCO_GL={os.environ.get('MUJOCO_GL')}"
            f" ({reason}); {GL_HINT}, set before anything imports mujoco"
        ) from None
    try:
        mujoco.mjr_setBuffer(mujoco.mjtFramebuffer.mjFB_OFFSCREEN.value, con)
        slots = model.ngeom + model.nflex + model.nskin + model.nsite + SPARE_GEOMS
        scene = mujoco.MjvScene(model, maxgeom=slots)
        flags = scene.flags
        for flag in ("mjRND_SHADOW", "mjRND_REFLECTION", "mjRND_SKYBOX", "mjRND_FOG"):
            flags[getattr(mujoco.mjtRndFlag, flag)] = 0
        if style == "shaded":
            flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 1
        option = mujoco.MjvOption()
        camera = mujoco.MjvCamera()
        camera.type = mujoco.mjtCamera.mjCAMERA_FIXED
        camera.fixedcamid = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, "main")
        rect = mujoco.MjrRect(0, 0, w, h)
        rows = np.empty((h, w, 3), dtype=np.uint8)  # bottom-up, as OpenGL reads them
        every = mujoco.mjtCatBit.mjCAT_ALL.value

        def draw(data: Any, out: np.ndarray) -> None:
            if gl is not None:
                gl.make_current()
            mujoco.mjv_updateScene(model, data, option, None, camera, every, scene)
            if scene.ngeom >= scene.maxgeom:  # pragma: no cover - a geom may be missing
                raise RuntimeError(f"a MuJoCo scene of {model.ngeom} geoms filled its slots")
            mujoco.mjr_render(rect, scene, con)
            mujoco.mjr_readPixels(rows, None, rect, con)
            out[...] = rows[::-1]

        yield draw
    finally:
        if gl is not None:
            gl.make_current()
        con.free()
