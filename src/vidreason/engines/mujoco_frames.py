"""Offscreen frames of a MuJoCo model, drawn on one OpenGL context kept for the thread.

On the CPU (Mesa's llvmpipe) opening a GL context and drawing its first frame, when the
driver compiles its shaders, cost about as much as 20 later frames, so every clip a
thread draws is drawn on the same context: ``frames_of`` gives each model its own MuJoCo
render context (its planes, textures, offscreen buffer) and scene, freed when the clip is
done, and the context stays for the next. The pixels are ``mujoco.Renderer``'s: the same
calls (``mjv_updateScene``, ``mjr_render``, ``mjr_readPixels``), flipped to top-down rows.
Each thread keeps its own context (a context is current in one thread at a time); a
forked child never touches its parent's. MuJoCo is imported only through
``mujoco_sim.load_mujoco``.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from vidreason.engines.mujoco_sim import GL_HINT, load_mujoco

SPARE_GEOMS = 64  # scene slots beyond the model's geoms, flexes, skins and sites

Draw = Callable[[Any, np.ndarray], None]


@dataclass(frozen=True)
class _Held:
    pid: int
    context: Any  # a mujoco.GLContext, or None where MuJoCo has no GL backend
    width: int
    height: int


_LOCAL = threading.local()  # .held: the context this thread draws on
_INHERITED: list[_Held] = []  # a forked child's copy of its parent's: kept, never freed


def _context(mujoco: Any, w: int, h: int) -> Any:
    """This thread's GL context (made current), opened on first use or when a larger
    frame than it was opened for is asked (a context is current in one thread only)."""
    held: _Held | None = getattr(_LOCAL, "held", None)
    if held is not None and held.pid != os.getpid():
        _INHERITED.append(held)
        held = None
    if held is None or w > held.width or h > held.height:
        if held is not None and held.context is not None:
            held.context.free()
        if held is not None:
            w, h = max(w, held.width), max(h, held.height)
        make = getattr(mujoco, "GLContext", None)
        held = _LOCAL.held = _Held(os.getpid(), make(w, h) if make else None, w, h)
    if held.context is not None:
        held.context.make_current()
    return held.context


@atexit.register
def _close() -> None:
    held: _Held | None = getattr(_LOCAL, "held", None)
    if held is not None and held.pid == os.getpid() and held.context is not None:
        held.context.free()
    _LOCAL.held = None


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
