"""3D rigid-body simulation of a SceneSpec with MuJoCo.

A 3D family describes its world in ``SceneSpec.extra`` (metres, z up), typed as
``vidreason.scene.params.physics3d.World3D``:

- ``statics``: fixed geoms, each ``{"name", "type": "box" | "plane", "pos", "size"
  (MuJoCo half-sizes), "colour": [r, g, b], "friction"}``;
- ``bodies3d``: ``{name: {"shape": "sphere" | "box", "size", "pos", "quat",
  "vel", "angvel", "mass", "friction", "damping"}}`` (``damping``: the contact's damping
  ratio; below 1 the body bounces);
- ``camera``: the pinhole camera (``vidreason.scene.camera.Camera``).

``spec.gravity`` is g in m/s²; ``slow_motion`` (in ``spec.params``, default 1) is how many
seconds of video one second of simulated time lasts. The world is stepped at a fixed
sub-step, each body's state is sampled at every video frame, and a contact between two
named things (bodies, statics; a static named ``table:leg1`` counts as ``table``) becomes an ``Event`` at the frame it begins.

A trajectory row is ``(u, v, du/dt, dv/dt, tilt, X, Y, Z, qw, qx, qy, qz)``: the image
position (px) and velocity (px per video second) of the body's centre, its tilt from
upright (rad), then its 3D position (m) and orientation. MuJoCo is imported only here and
in ``vidreason.render.mujoco_gl``; ``load_mujoco`` picks the headless EGL backend.
"""

from __future__ import annotations

import ctypes.util
import os
import sys
from collections import OrderedDict
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from vidreason.engines import mujoco_look as look
from vidreason.engines.contacts import debounce
from vidreason.engines.memo import recall, runs, scene_key
from vidreason.scene.camera import Camera
from vidreason.scene.params.physics3d import World3D
from vidreason.types import Event, SceneSpec, Trajectory

SUBSTEP = 0.0005  # s of simulated time, at most
STATIC_EMISSION = 10.0  # static geoms: colour from emission, so lighting barely shades them
BODY_EMISSION = 0.88  # bodies: 0.88 emission + 0.2 headlight diffuse: shaded, still on key
HEADLIGHT_DIFFUSE = 0.2


# MUJOCO_GL backend -> (the library it loads, the Debian/Ubuntu packages that hold it)
GL_LIBRARIES = {
    "egl": ("EGL", "libegl1 libgl1-mesa-dri"),
    "osmesa": ("OSMesa", "libosmesa6"),
}
GL_HINT = "MUJOCO_GL=egl needs libegl1 libgl1-mesa-dri, MUJOCO_GL=osmesa needs libosmesa6"


def gl_problem(backend: str) -> str | None:
    """Why MuJoCo cannot render offscreen with ``backend``, naming the package to install,
    or None when its library is there (or the backend is not one we know)."""
    if backend not in GL_LIBRARIES:
        return None
    lib, packages = GL_LIBRARIES[backend]
    if ctypes.util.find_library(lib) is not None:
        return None
    other = [f"MUJOCO_GL={b} ({p})" for b, (_, p) in GL_LIBRARIES.items() if b != backend]
    return (
        f"MUJOCO_GL={backend} needs lib{lib}, which is not installed:"
        f" apt-get install {packages}, or use {' or '.join(other)}"
    )


def load_mujoco() -> ModuleType:
    """Import MuJoCo with a headless OpenGL backend (EGL unless ``MUJOCO_GL`` says else).
    A missing OpenGL library is a ``UserError`` naming the package to install."""
    from vidreason.errors import UserError

    backend = os.environ.setdefault("MUJOCO_GL", "egl").lower()
    if "mujoco" not in sys.modules and (problem := gl_problem(backend)):
        raise UserError(problem)
    try:
        import mujoco
    except ImportError as exc:
        if exc.name == "mujoco":
            raise UserError("the 3D families need MuJoCo: pip install mujoco") from None
        raise UserError(_import_failure(backend, exc)) from None
    except (AttributeError, OSError, RuntimeError) as exc:  # PyOpenGL without its library
        raise UserError(_import_failure(backend, exc)) from None
    return mujoco


def _import_failure(backend: str, exc: BaseException) -> str:
    reason = (str(exc).splitlines() or [type(exc).__name__])[0]
    return f"MuJoCo cannot start with MUJOCO_GL={backend} ({reason}); {GL_HINT}"


@dataclass(frozen=True)
class Simulation:
    trajectory: Trajectory
    events: tuple[Event, ...]


def slow_motion(spec: SceneSpec) -> float:
    return float(World3D.of(spec).slow_motion)


def camera_of(spec: SceneSpec) -> Camera:
    return World3D.of(spec).camera_model()


def _f(v: Any) -> str:
    return " ".join(f"{float(x):.6g}" for x in np.ravel(v))


# metres between the lines of the grid MuJoCo draws a plane as (the plane's third size;
# collisions ignore it). The floor's 30 x 30 m at a spacing of 0.1 m drew 200 x 200 quads a
# frame, most of the CPU time of a frame; at 5 m every pixel of every family's instances is
# the same (the floor is one flat, evenly lit colour), at a third of the time.
PLANE_GRID = 5.0


def geom_size(static: dict) -> str:
    """A static geom's MJCF size: its own, but a plane drawn with ``PLANE_GRID``."""
    size = [float(v) for v in static["size"]]
    if static["type"] == "plane":
        size[2] = PLANE_GRID
    return _f(size)


def static_material(name: str, colour: Any, style: str = "flat") -> str:
    """A static geom's material: its flat colour key from emission, or the style's."""
    if style == "flat":
        return _material(f"m_{name}", colour, STATIC_EMISSION, STATIC_EMISSION)
    return look.static_material(name, name.split(":")[0], colour, style)


def body_material(name: str, colour: Any, style: str = "flat", cloth: bool = False) -> str:
    """A body's material: its colour key, mildly shaded by the headlight, or the style's."""
    if style == "flat":
        return _material(f"m_{name}", colour, BODY_EMISSION, 1.0)
    return look.body_material(name, colour, style, cloth)


def visual(style: str, w: int, h: int) -> str:
    """The ``<visual>`` block: the flat one (headlight, no shadows), or the style's."""
    if style != "flat":
        return look.visual(style, w, h)
    return f"""<visual>
    <headlight ambient="0 0 0" diffuse="{_f([HEADLIGHT_DIFFUSE] * 3)}" specular="0 0 0"/>
    <quality shadowsize="0" offsamples="4" numslices="64" numstacks="32"/>
    <global offwidth="{w}" offheight="{h}"/>
    <map haze="0"/>
  </visual>"""


def _material(name: str, colour: Any, emission: float, scale: float) -> str:
    rgb = np.asarray(colour, dtype=float) / 255.0 / scale
    return (
        f'<material name="{name}" rgba="{_f(rgb)} 1" emission="{emission:g}" specular="0"'
        ' shininess="0" reflectance="0"/>'
    )


def mjcf(spec: SceneSpec, names: tuple[str, ...] | None = None, style: str = "flat") -> str:
    """The MJCF model of a scene; ``names`` restricts the bodies (default: ``spec.bodies``);
    ``style``: how it is drawn (``mujoco_look``; the physics is the same in every style)."""
    world = World3D.of(spec)
    keep = names if names is not None else tuple(b.name for b in spec.bodies)
    w, h = spec.fmt.width, spec.fmt.height
    cam = world.camera_model()
    mats, statics, bodies = [], [], []
    for s in world.statics:
        mats.append(static_material(s["name"], s["colour"], style))
        statics.append(
            f'<geom name="{s["name"]}" type="{s["type"]}" pos="{_f(s["pos"])}"'
            f' size="{geom_size(s)}" material="m_{s["name"]}"'
            f' friction="{s.get("friction", 0.6):g} 0.005 0.0001"/>'
        )
    colours = {b.name: b.colour for b in spec.bodies}
    for name in keep:
        b = world.bodies3d[name]
        mats.append(body_material(name, colours[name], style))
        bodies.append(
            f'<body name="{name}" pos="{_f(b["pos"])}" quat="{_f(b["quat"])}"><freejoint/>'
            f'<geom name="{name}" type="{b["shape"]}" size="{_f(b["size"])}" mass="{b["mass"]:g}"'
            f' material="m_{name}" priority="1" condim="6"'
            f' friction="{b["friction"]:g} {b.get("torsion", 0.002):g} {b.get("rolling", 0.0002):g}"'
            f' solref="0.004 {b.get("damping", 1.0):g}"/></body>'
        )
    # MuJoCo's camera: x right, y up, looking along -z; ours: x right, y down, z forward.
    xy = np.concatenate([cam.R[0], -cam.R[1]])
    return f"""<mujoco model="{spec.family}">
  <option timestep="{SUBSTEP}" gravity="0 0 {-spec.gravity:.6g}"/>
  {visual(style, w, h)}
  <asset>{"".join(mats)}</asset>
  <worldbody>
    {"".join(statics)}
    {"".join(bodies)}{look.lights(style, cam)}
    <camera name="main" pos="{_f(cam.position)}" xyaxes="{_f(xy)}" fovy="{cam.fovy:.9g}"/>
  </worldbody>
</mujoco>"""


def build_model(
    spec: SceneSpec, names: tuple[str, ...] | None = None, style: str = "flat"
) -> tuple[Any, Any]:
    mujoco = load_mujoco()
    model = mujoco.MjModel.from_xml_string(mjcf(spec, names, style))
    return model, mujoco.MjData(model)


def _set_initial(model: Any, data: Any, spec: SceneSpec) -> None:
    mujoco = load_mujoco()
    bodies3d = World3D.of(spec).bodies3d
    for b in spec.bodies:
        d3 = bodies3d[b.name]
        jnt = model.body(b.name).jntadr[0]
        qa, va = model.jnt_qposadr[jnt], model.jnt_dofadr[jnt]
        data.qpos[qa : qa + 3] = d3["pos"]
        data.qpos[qa + 3 : qa + 7] = d3["quat"]
        data.qvel[va : va + 3] = d3.get("vel", (0, 0, 0))
        # a free joint's angular velocity is in the body frame; rotate the world one in
        rot = np.zeros(9)
        mujoco.mju_quat2Mat(rot, np.asarray(d3["quat"], dtype=float))
        data.qvel[va + 3 : va + 6] = rot.reshape(3, 3).T @ np.asarray(d3.get("angvel", (0, 0, 0)))
    mujoco.mj_forward(model, data)


def body_row(
    cam: Camera, pos: np.ndarray, quat: np.ndarray, vel: np.ndarray, slow: float
) -> tuple[float, ...]:
    """One trajectory row from a 3D state (velocity in m/s of simulated time)."""
    uv = cam.project(pos)
    eps = 1e-3
    duv = (cam.project(pos + vel * eps) - uv) / eps / slow
    _, x, y, _ = quat / np.linalg.norm(quat)
    tilt = float(np.arccos(np.clip(1 - 2 * (x * x + y * y), -1.0, 1.0)))
    image = (_r(v) for v in (uv[0], uv[1], duv[0], duv[1], tilt))
    return (*image, *(_r(v, 5) for v in pos), *(_r(v) for v in quat / np.linalg.norm(quat)))


_RUNS: OrderedDict[str, Simulation] = runs()  # a sampler's check, then the instance's


def simulate(spec: SceneSpec) -> Simulation:
    """Run the scene for ``spec.fmt.n_frames`` video frames (a recent run of the same scene
    is not run again: ``engines.memo``)."""
    return recall(_RUNS, scene_key(spec), lambda: _simulate(spec))


def _simulate(spec: SceneSpec) -> Simulation:
    mujoco = load_mujoco()
    model, data = build_model(spec)
    _set_initial(model, data, spec)
    cam = camera_of(spec)
    slow = slow_motion(spec)
    interval = 1.0 / (spec.fmt.fps * slow)
    n_sub = int(np.ceil(interval / SUBSTEP - 1e-9))
    model.opt.timestep = interval / n_sub
    geom_owner = []
    for g in range(model.ngeom):
        body = model.geom_bodyid[g]
        geom_owner.append(model.body(body).name if body else model.geom(g).name.split(":")[0])

    states: dict[str, list[tuple[float, ...]]] = {b.name: [] for b in spec.bodies}
    contacts: list[tuple[float, tuple[str, ...]]] = []
    touching: set[tuple[str, ...]] = set()
    step = mujoco.mj_step
    for frame in range(spec.fmt.n_frames):
        if frame:
            for _ in range(n_sub):
                step(model, data)
                now = _touching(data, geom_owner)
                for pair in sorted(now - touching):
                    contacts.append((data.time, pair))
                touching = now
        for b in spec.bodies:
            jnt = model.body(b.name).jntadr[0]
            qa, va = model.jnt_qposadr[jnt], model.jnt_dofadr[jnt]
            pos = data.qpos[qa : qa + 3].copy()
            quat = data.qpos[qa + 3 : qa + 7].copy()
            vel = data.qvel[va : va + 3].copy()
            states[b.name].append(body_row(cam, pos, quat, vel, slow))

    fps = spec.fmt.fps
    events = tuple(
        Event(kind="contact", frame=round(t * slow * fps), time=_r(t * slow), objects=pair)
        for t, pair in debounce(contacts, min_gap=2.0 / (fps * slow))
    )
    return Simulation(Trajectory(states={n: tuple(s) for n, s in states.items()}), events)


def _touching(data: Any, owner: list[str]) -> set[tuple[str, ...]]:
    """The pairs of named things in contact (penetrating) after a step, read off the
    contact arrays at once (a Python object per contact costs more than the step)."""
    if not data.ncon:
        return set()
    contact = data.contact  # as long as this step's contacts
    hits = (contact.dist < 0).nonzero()[0]
    if not len(hits):
        return set()
    g1, g2 = contact.geom1[hits].tolist(), contact.geom2[hits].tolist()
    return {tuple(sorted((owner[a], owner[b]))) for a, b in zip(g1, g2, strict=True)}


def _r(v: float, digits: int = 4) -> float:
    return round(float(v), digits)
