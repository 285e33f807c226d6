"""Offscreen MuJoCo rendering of a 3D scene and its trajectory (CPU: EGL on Mesa llvmpipe).

One fixed camera (``World3D.camera``), no shadows, no reflections, no skybox, fog or
haze. Static geoms take their colour from emission, so they render as the flat colours the
family declares in its palette; bodies get a mild headlight shading that keeps every pixel
close to their colour key. Frames are (n, h, w, 3) uint8 RGB at ``spec.fmt``'s size.

Each body is drawn at the 3D pose in its trajectory row (columns 5-11, see
``vidreason.engines.mujoco_sim``). When the row's image position (columns 0-1) disagrees
with the projection of that pose, as in an edited trajectory (a teleport), the body is
moved along its camera ray to the image position, keeping its depth.
"""

from __future__ import annotations

import numpy as np

from vidreason.engines.mujoco_frames import frames_of
from vidreason.engines.mujoco_sim import build_model, camera_of, load_mujoco
from vidreason.scene.camera import Camera
from vidreason.types import SceneSpec, Trajectory

__all__ = ["project", "render"]


def project(camera: Camera | dict, points3d: np.ndarray) -> np.ndarray:
    """Pixel coordinates (..., 2) of world points (..., 3) seen by ``camera``."""
    cam = camera if isinstance(camera, Camera) else Camera.from_dict(camera)
    return cam.project(points3d)


def _pose(cam: Camera, row: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    pos = np.asarray(row[5:8], dtype=float)
    quat = np.asarray(row[8:12], dtype=float)
    quat = quat / np.linalg.norm(quat)
    uv = np.asarray(row[:2], dtype=float)
    if np.linalg.norm(cam.project(pos) - uv) > 0.05:  # an edit, not rounding
        pos = cam.unproject(uv, cam.depth(pos))
    return pos, quat


def render(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
    """Every frame of ``trajectory``; bodies missing from ``spec.bodies`` are not drawn."""
    mujoco = load_mujoco()
    names = tuple(b.name for b in spec.bodies if b.name in trajectory.states)
    style = spec.fmt.style
    model, data = build_model(spec, names, style)
    cam = camera_of(spec)
    h, w = spec.fmt.height, spec.fmt.width
    addr = {n: model.jnt_qposadr[model.body(n).jntadr[0]] for n in names}
    frames = np.empty((trajectory.n_frames, h, w, 3), dtype=np.uint8)
    with frames_of(model, h, w, style) as draw:
        for i in range(trajectory.n_frames):
            for n in names:
                pos, quat = _pose(cam, trajectory.states[n][i])
                data.qpos[addr[n] : addr[n] + 3] = pos
                data.qpos[addr[n] + 3 : addr[n] + 7] = quat
            mujoco.mj_kinematics(model, data)
            mujoco.mj_camlight(model, data)
            draw(data, frames[i])
    return frames
