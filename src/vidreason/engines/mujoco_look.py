"""How a MuJoCo scene is drawn in each scene style (``VideoFormat.style``): the materials,
textures, lights and ``<visual>`` settings that ``mujoco_sim.mjcf`` and ``mujoco_flex.mjcf``
put in a model that is rendered. A style changes only the picture: the model a scene is
simulated with is always the flat one.

- ``flat``: static geoms take their colour from emission (flat colour keys), bodies a mild
  headlight shading; no shadows.
- ``shaded``: a spot light a little above and to the left of the camera lights the room (a
  smooth fall-off over floor and wall, a few % in brightness) and the bodies (lighter
  towards the light, darker away, a modest highlight), and casts soft shadows (a wide
  bulb; partly transparent: the emission fills them) that follow the bodies. Lit from
  near the camera, a body's shadow falls behind it and below, mostly where the body
  itself goes, so a large moving shadow never sweeps over the static scene the
  registration holds on to.
- ``textured``: MuJoCo's built-in checker textures: the floor in large tiles, the wall in
  lower-contrast tiles, the table top in 0.1 m tiles, each in a lighter and a darker
  tint of its colour; every body (and a cloth) checked in a lighter and a darker tint of
  its own colour key, so its hue stays its key's. No randomness: the same scene gives the
  same pixels.

To add a style: add it to ``types.STYLES``, then give it a branch in each function here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vidreason.scene.camera import Camera

SHADOW_SIZE = 1024  # px of the shadow map over the spot: soft edges, a few ms a frame
LIGHT_REACH = 2.9  # m along the camera's axis: where the light points (the scene's centre)
LIGHT_OFFSET = (-0.4, 0.0, 1.0)  # m from the camera to the light: left, ahead, up
CUTOFF = 50  # degrees: the spot (and its shadow map) covers the scene, no more
EXPONENT = 12  # the spot light's fall-off from its axis: the gradient over floor and wall
LIGHT = 0.28  # the spot light's diffuse: what it adds, head-on, to a lit colour
SHADED_STATIC = {"wall": 0.86, "": 0.84}  # a static's emission: its lit colour near its key
SHADED_BODY = (0.72, 1.05)  # a body's: more shading (lighter to the light), on its key
BODY_TINTS = (1.13, 0.87)  # a textured body's lighter and darker tint of its key
STATIC_TINTS = {"floor": 0.1, "wall": 0.035, "table": 0.07}  # +- share of the colour


def _f(v: Any) -> str:
    return " ".join(f"{float(x):.6g}" for x in np.ravel(v))


def tint(colour: Any, factor: float) -> np.ndarray:
    """``colour`` (0-255) lightened (``factor`` > 1, towards white as it saturates) or
    darkened, as 0-1 RGB."""
    c = np.asarray(colour, dtype=float) / 255.0
    if factor >= 1.0:
        return np.clip(c + (factor - 1.0) * np.maximum(c, 0.35), 0.0, 1.0)
    return np.clip(c * factor, 0.0, 1.0)


def _rgb(colour: Any) -> np.ndarray:
    return np.asarray(colour, dtype=float) / 255.0


def static_material(name: str, owner: str, colour: Any, style: str) -> str:
    """The material (and texture) of a static geom named ``name`` (``owner``: its name
    before a colon) in a styled scene."""
    if style == "shaded":
        return _lit(name, _rgb(colour), SHADED_STATIC.get(owner, SHADED_STATIC[""]))
    share = STATIC_TINTS.get(owner, 0.0)
    if not share:  # table legs and the like: a flat colour
        return _lit(name, _rgb(colour), 1.0)
    light, dark = tint(colour, 1.0 + share), tint(colour, 1.0 - share)
    if owner == "floor":  # 0.5 m tiles
        tex = _checker(name, "2d", light, dark, 256)
        repeat, uniform = "2 2", "true"
    elif owner == "wall":  # 1 m tiles
        tex = _checker(name, "2d", light, dark, 256)
        repeat, uniform = "1 1", "true"
    else:  # the table: 0.1 m tiles
        tex = _checker(name, "2d", light, dark, 64)
        repeat, uniform = "5 5", "true"
    return tex + (
        f'<material name="m_{name}" texture="t_{name}" texrepeat="{repeat}"'
        f' texuniform="{uniform}" rgba="1 1 1 1" emission="1" specular="0" shininess="0"'
        ' reflectance="0"/>'
    )


def body_material(name: str, colour: Any, style: str, cloth: bool = False) -> str:
    """The material (and texture) of a body (``cloth``: a flex, checked on its grid)."""
    if style == "shaded":
        e, scale = SHADED_BODY
        return _lit(name, _rgb(colour) * scale, e, specular=0.2)
    light, dark = tint(colour, BODY_TINTS[0]), tint(colour, BODY_TINTS[1])
    tex = _checker(name, "2d", light, dark, 64)
    repeat = "4 4" if cloth else "8 8"
    return tex + (
        f'<material name="m_{name}" texture="t_{name}" texrepeat="{repeat}"'
        f' rgba="1 1 1 1" emission="0.88" specular="0" shininess="0" reflectance="0"/>'
    )


def _checker(name: str, kind: str, rgb1: np.ndarray, rgb2: np.ndarray, size: int) -> str:
    return (
        f'<texture name="t_{name}" type="{kind}" builtin="checker" rgb1="{_f(rgb1)}"'
        f' rgb2="{_f(rgb2)}" width="{size}" height="{size}"/>'
    )


def _lit(name: str, rgb: np.ndarray, emission: float, specular: float = 0.0) -> str:
    """A material whose colour is ``emission`` times ``rgb`` plus what the light adds
    (MuJoCo: ``rgb`` times the light's diffuse and the cosine of its angle)."""
    return (
        f'<material name="m_{name}" rgba="{_f(np.clip(rgb, 0, 1))} 1" emission="{emission:g}"'
        f' specular="{specular:g}" shininess="{0.3 if specular else 0:g}" reflectance="0"/>'
    )


def visual(style: str, w: int, h: int) -> str:
    """The ``<visual>`` block of a styled scene."""
    if style == "shaded":
        head = '<headlight ambient="0 0 0" diffuse="0 0 0" specular="0 0 0"/>'
        shadow = SHADOW_SIZE
    else:
        head = '<headlight ambient="0 0 0" diffuse="0.12 0.12 0.12" specular="0 0 0"/>'
        shadow = 0
    return f"""<visual>
    {head}
    <quality shadowsize="{shadow}" offsamples="4" numslices="64" numstacks="32"/>
    <global offwidth="{w}" offheight="{h}"/>
    <map haze="0" shadowclip="3" shadowscale="0.8"/>
  </visual>"""


def lights(style: str, cam: Camera) -> str:
    """The lights of a styled scene, placed from the camera (no light: textured)."""
    if style != "shaded":
        return ""
    forward = cam.R[2]
    target = np.asarray(cam.position) + LIGHT_REACH * forward
    pos = np.asarray(cam.position) + np.asarray(LIGHT_OFFSET)
    d = target - pos
    d /= np.linalg.norm(d)
    return (
        f'<light name="sun" type="spot" pos="{_f(pos)}" dir="{_f(d)}" castshadow="true"'
        f' cutoff="{CUTOFF}" exponent="{EXPONENT}" diffuse="{_f([LIGHT] * 3)}" ambient="0 0 0"'
        f' specular="0.3 0.3 0.3" bulbradius="0.25" attenuation="1 0 0"/>'
    )
