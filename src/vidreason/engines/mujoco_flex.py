"""Soft bodies with MuJoCo's flex: a cloth (a grid of vertices, ``dim 2``; from its first contact on, each vertex is damped by
``flex["settle"]`` N s/m, so that it comes to rest instead of trembling on the support) or a soft ball
(an ellipsoid whose deformation follows 8 nodes, ``dof="trilinear"``), falling among the
fixed geoms of a 3D scene.

A soft-body scene is a 3D scene (``World3D``: camera, statics, palette, slow motion, no
rigid bodies) plus one flexible body, ``Flex3D.flex`` (see
``vidreason.scene.params.physics3d``), drawn in the colour of the one ``spec.bodies``
record that carries its name. ``Flex3D.ignore`` lists statics it passes through (a planted
violation).

A trajectory row of the flexible body is::

    u, v, du/dt, dv/dt, 0, X, Y, Z, 1, 0, 0, 0,     as a rigid body's row (see mujoco_sim)
    u_sim, v_sim,                                   (u, v) as simulated
    cx, cy, left, top, right, bottom, area,         its silhouette (scene/silhouette.py)
    q_0 ... q_k                                     the flex's joint positions

where (u, v) is the centroid of its silhouette (the projected mesh, drawn as the tracker
sees it) and (X, Y, Z) the mean of its vertices (m). An edited row whose (u, v) is not
(u_sim, v_sim) (a teleport) is drawn moved along the camera ray by the difference. MuJoCo
is imported only through ``mujoco_sim.load_mujoco``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from vidreason.engines import mujoco_look as look
from vidreason.engines.contacts import debounce
from vidreason.engines.memo import recall, runs, scene_key
from vidreason.engines.mujoco_frames import frames_of
from vidreason.engines.mujoco_sim import (
    Simulation,
    _f,
    body_material,
    camera_of,
    geom_size,
    load_mujoco,
    slow_motion,
    static_material,
    visual,
)
from vidreason.scene.camera import Camera
from vidreason.scene.params.physics3d import Flex3D, World3D
from vidreason.scene.silhouette import SILHOUETTE, features, rasterise
from vidreason.types import Event, SceneSpec, Trajectory

# s of simulated time, at most: a cloth 4 steps a frame at 16 fps three times slowed
# (drape-3d v3; 0.002 before, 11 steps: its silhouettes within 1-4 px, the same contacts)
TIMESTEP = {"cloth": 0.0055, "ball": 0.001}
HEAD = 12  # columns of a rigid body's row
REF = HEAD  # u_sim, v_sim
SIL = HEAD + 2  # the silhouette's columns
QPOS = SIL + len(SILHOUETTE)  # the joint positions


def _flexcomp(flex: dict[str, Any], colour_material: str) -> str:
    kind = flex["kind"]
    common = (
        f'name="{flex["name"]}" count="{_f(flex["count"])}" spacing="{_f(flex["spacing"])}"'
        f' pos="{_f(flex["pos"])}" radius="{flex["radius"]:g}" mass="{flex["mass"]:g}"'
        f' material="{colour_material}"'
    )
    contact = (
        f'<contact condim="3" friction="{flex.get("friction", 0.8):g}" solref="{flex.get("solref", 0.004):g} {flex.get("contact_damping", 1.0):g}"'
        f' selfcollide="none"/>'
    )
    if kind == "cloth":
        return (
            f'<flexcomp type="grid" dim="2" {common}>{contact}'
            f'<edge equality="true" damping="{flex.get("damping", 0.002):g}"/></flexcomp>'
        )
    return (
        f'<flexcomp type="ellipsoid" dim="3" dof="trilinear" {common}>{contact}'
        f'<elasticity young="{flex["young"]:g}" poisson="{flex.get("poisson", 0.3):g}"'
        f' damping="{flex.get("damping", 0.008):g}"/></flexcomp>'
    )


def mjcf(spec: SceneSpec, with_flex: bool = True, style: str = "flat") -> str:
    """The MJCF model of a soft-body scene (without its flexible body unless ``with_flex``),
    drawn in ``style`` (``mujoco_look``; the physics is the same in every style)."""
    world, soft = World3D.of(spec), Flex3D.of(spec)
    flex = soft.flex
    cam = world.camera_model()
    w, h = spec.fmt.width, spec.fmt.height
    ignore = set(soft.ignore or ())
    mats, statics = [], []
    for s in world.statics:
        mats.append(static_material(s["name"], s["colour"], style))
        skip = ' contype="0" conaffinity="0"' if s["name"].split(":")[0] in ignore else ""
        statics.append(
            f'<geom name="{s["name"]}" type="{s["type"]}" pos="{_f(s["pos"])}"'
            f' size="{geom_size(s)}" material="m_{s["name"]}"'
            f' friction="{s.get("friction", 0.6):g} 0.005 0.0001"{skip}/>'
        )
    body = ""
    colours = {b.name: b.colour for b in spec.bodies}
    if with_flex and flex["name"] in colours:
        mats.append(body_material("flex", colours[flex["name"]], style, flex["kind"] == "cloth"))
        body = _flexcomp(flex, "m_flex")
    xy = np.concatenate([cam.R[0], -cam.R[1]])
    return f"""<mujoco model="{spec.family}">
  <option timestep="{TIMESTEP[flex["kind"]]}" gravity="0 0 {-spec.gravity:.6g}"/>
  {visual(style, w, h)}
  <asset>{"".join(mats)}</asset>
  <worldbody>
    {"".join(statics)}
    {body}{look.lights(style, cam)}
    <camera name="main" pos="{_f(cam.position)}" xyaxes="{_f(xy)}" fovy="{cam.fovy:.9g}"/>
  </worldbody>
</mujoco>"""


def build(spec: SceneSpec, with_flex: bool = True, style: str = "flat") -> tuple[Any, Any]:
    mujoco = load_mujoco()
    model = mujoco.MjModel.from_xml_string(mjcf(spec, with_flex, style))
    return model, mujoco.MjData(model)


def surface(model: Any) -> np.ndarray:
    """The triangles (local vertex indices) that make the flex's outside: a cloth's
    elements, a solid's shell."""
    if model.flex_dim[0] == 2:
        n = int(model.flex_elemnum[0])
        adr = int(model.flex_elemdataadr[0])
        return np.asarray(model.flex_elem[adr : adr + 3 * n]).reshape(n, 3)
    n = int(model.flex_shellnum[0])
    adr = int(model.flex_shelldataadr[0])
    return np.asarray(model.flex_shell[adr : adr + 3 * n]).reshape(n, 3)


def silhouette(cam: Camera, verts: np.ndarray, tris: np.ndarray, w: int, h: int) -> np.ndarray:
    """``SILHOUETTE`` of the mesh ``verts`` seen by ``cam``."""
    return features(rasterise(cam.project(verts), tris, w, h))


_RUNS: OrderedDict[str, Simulation] = runs()  # a sampler's check, then the instance's


def simulate(spec: SceneSpec) -> Simulation:
    """Run the scene for ``spec.fmt.n_frames`` video frames; a contact between the flex
    and a static (``table:leg1`` counts as ``table``) is an ``Event`` at its first frame.
    A recent run of the same scene is not run again (``engines.memo``: the instance's
    stamped spec finds the run its sampler made)."""
    return recall(_RUNS, scene_key(spec), lambda: _simulate(spec))


def _flex_touching(data: Any, owner: list[str]) -> set[str]:
    """The statics the flex touches (penetrates) after a step: contacts with exactly one
    geom and a flex side, read off the contact arrays at once."""
    if not data.ncon:
        return set()
    contact = data.contact  # as long as this step's contacts
    geom, flex = contact.geom, contact.flex  # strided views: their columns read one by one
    g0, g1 = geom[:, 0], geom[:, 1]
    one = (g0 >= 0) != (g1 >= 0)
    hits = (contact.dist < 0) & one & ((flex[:, 0] >= 0) | (flex[:, 1] >= 0))
    return {owner[g] for g in set(np.maximum(g0, g1)[hits].tolist())}  # the geom side


def _simulate(spec: SceneSpec) -> Simulation:
    mujoco = load_mujoco()
    model, data = build(spec)
    flex = Flex3D.of(spec).flex
    cam, slow = camera_of(spec), slow_motion(spec)
    fps, w, h = spec.fmt.fps, spec.fmt.width, spec.fmt.height
    interval = 1.0 / (fps * slow)
    n_sub = int(np.ceil(interval / TIMESTEP[flex["kind"]] - 1e-9))
    model.opt.timestep = interval / n_sub
    tris = surface(model)
    settle = float(flex.get("settle", 0.0))
    va, vn = int(model.flex_vertadr[0]), int(model.flex_vertnum[0])
    mujoco.mj_forward(model, data)
    owner = [model.geom(g).name.split(":")[0] for g in range(model.ngeom)]
    rows: list[tuple[float, ...]] = []
    contacts: list[tuple[float, tuple[str, ...]]] = []
    touching: set[str] = set()
    for frame in range(spec.fmt.n_frames):
        if frame:
            for _ in range(n_sub):
                mujoco.mj_step(model, data)
                now = _flex_touching(data, owner)
                contacts += [(data.time, (flex["name"], s)) for s in sorted(now - touching)]
                touching = now
                if now and settle and not model.dof_damping[0]:
                    model.dof_damping[:] = settle
            mujoco.mj_fwdPosition(model, data)  # the vertices at the frame's state
        verts = np.array(data.flexvert_xpos[va : va + vn])
        sil = silhouette(cam, verts, tris, w, h)
        mean = verts.mean(axis=0)
        rows.append(
            (
                _r(sil[0]),
                _r(sil[1]),
                0.0,
                0.0,
                0.0,
                *(_r(v, 5) for v in mean),
                1.0,
                0.0,
                0.0,
                0.0,
                _r(sil[0]),
                _r(sil[1]),
                *(_r(v) for v in sil),
                *[round(v, 5) + 0.0 for v in data.qpos.tolist()],  # _r(v, 5), at once
            )
        )
    uv = np.array([r[:2] for r in rows])
    vel = np.gradient(uv, axis=0) * fps if len(rows) > 1 else np.zeros_like(uv)
    rows = [(r[0], r[1], _r(d[0]), _r(d[1]), *r[4:]) for r, d in zip(rows, vel, strict=True)]
    events = tuple(
        Event(kind="contact", frame=round(t * slow * fps), time=_r(t * slow), objects=pair)
        for t, pair in debounce(contacts, min_gap=2.0 / (fps * slow))
    )
    return Simulation(Trajectory(states={flex["name"]: tuple(rows)}), events)


def render(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
    """Every frame of ``trajectory``; the flex is left out when ``spec.bodies`` lacks it."""
    mujoco = load_mujoco()
    name = Flex3D.of(spec).flex["name"]
    shown = name in {b.name for b in spec.bodies} and name in trajectory.states
    model, data = build(spec, with_flex=shown, style=spec.fmt.style)
    cam = camera_of(spec)
    h, w = spec.fmt.height, spec.fmt.width
    frames = np.empty((trajectory.n_frames, h, w, 3), dtype=np.uint8)
    with frames_of(model, h, w, spec.fmt.style) as draw:
        for i in range(trajectory.n_frames):
            if shown:
                data.qpos[:] = _moved(cam, np.asarray(trajectory.states[name][i], dtype=float))
                mujoco.mj_kinematics(model, data)
                mujoco.mj_flex(model, data)
            else:
                mujoco.mj_kinematics(model, data)
            mujoco.mj_camlight(model, data)
            draw(data, frames[i])
    return frames


def _moved(cam: Camera, row: np.ndarray) -> np.ndarray:
    """The row's joint positions, every vertex moved by the edit its (u, v) says."""
    q = row[QPOS:].copy()
    shift = row[:2] - row[REF : REF + 2]
    if np.linalg.norm(shift) > 0.05:
        mean = row[5:8]
        uv = cam.project(mean) + shift
        delta = cam.unproject(uv, cam.depth(mean)) - mean
        q = (q.reshape(-1, 3) + delta).ravel()  # slide joints along x, y, z per node
    return q


def _r(v: float, digits: int = 4) -> float:
    """``v`` rounded, a zero always written ``0.0``: the flex solver's last bits differ
    with what the process ran before, and a value within rounding of zero would keep
    only its sign (``-0.0``), changing the bytes of ``task.json``."""
    return round(float(v), digits) + 0.0


__all__ = ["Event", "render", "simulate"]
