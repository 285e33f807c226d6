"""A pinhole camera in plain NumPy: projection of 3D points to pixels and back.

The 3D families store their camera in ``SceneSpec.extra["camera"]`` (``Camera.to_dict``):
intrinsics ``K`` (``fx, fy, cx, cy``) and extrinsics ``R, t`` in the OpenCV convention
(camera x right, y down, z forward; ``p ~ K (R X + t)``), so anyone can reproject the
ground truth without MuJoCo. Pixel coordinates index pixel centres: the centre of the
top-left pixel is (0, 0), which is what the tracker's blob centroids are in.

World frame: metres, z up (MuJoCo's). To add a camera model (lens distortion), give
``Camera`` the parameters and apply them in ``project`` and ``rays``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Camera:
    """Eye position, rotation rows (world -> camera: right, down, forward), vertical field
    of view in degrees and image size in pixels."""

    position: tuple[float, float, float]
    rotation: tuple[tuple[float, float, float], ...]
    fovy: float
    width: int
    height: int

    @property
    def R(self) -> np.ndarray:
        return np.asarray(self.rotation, dtype=float)

    @property
    def t(self) -> np.ndarray:
        return -self.R @ np.asarray(self.position, dtype=float)

    @property
    def focal(self) -> float:
        return 0.5 * self.height / np.tan(np.radians(self.fovy) / 2)

    @property
    def K(self) -> np.ndarray:
        f = self.focal
        return np.array([[f, 0, self.width / 2 - 0.5], [0, f, self.height / 2 - 0.5], [0, 0, 1]])

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) in camera coordinates (x right, y down, z forward)."""
        p = np.asarray(points, dtype=float)
        return p @ self.R.T + self.t

    def project(self, points: np.ndarray) -> np.ndarray:
        """Pixel coordinates (..., 2) of world points (..., 3)."""
        c = self.to_camera(points)
        k = self.K
        z = c[..., 2]
        return np.stack([k[0, 0] * c[..., 0] / z + k[0, 2], k[1, 1] * c[..., 1] / z + k[1, 2]], -1)

    def depth(self, points: np.ndarray) -> np.ndarray:
        """Distance of world points in front of the camera, along its axis."""
        return self.to_camera(points)[..., 2]

    def rays(self, pixels: np.ndarray) -> np.ndarray:
        """World directions (..., 3) through pixels (..., 2), scaled to unit depth."""
        px = np.asarray(pixels, dtype=float)
        k = self.K
        d = np.stack(
            [
                (px[..., 0] - k[0, 2]) / k[0, 0],
                (px[..., 1] - k[1, 2]) / k[1, 1],
                np.ones(px.shape[:-1]),
            ],
            -1,
        )
        return d @ self.R

    def unproject(self, pixels: np.ndarray, depth: np.ndarray | float) -> np.ndarray:
        """World points seen at ``pixels`` at the given camera depth."""
        return np.asarray(self.position) + self.rays(pixels) * np.asarray(depth)[..., None]

    def on_plane(self, pixels: np.ndarray, normal: np.ndarray, offset: float) -> np.ndarray:
        """Where the rays through ``pixels`` meet the plane ``normal . X = offset``
        (NaN where a ray is parallel to it or meets it behind the camera)."""
        d = self.rays(pixels)
        n = np.asarray(normal, dtype=float)
        o = np.asarray(self.position, dtype=float)
        denom = d @ n
        with np.errstate(divide="ignore", invalid="ignore"):
            s = (offset - o @ n) / denom
        s = np.where(s > 0, s, np.nan)
        return o + d * s[..., None]

    def pixel_radius(self, centre: np.ndarray, radius: float) -> float:
        """Apparent radius in pixels of a sphere of ``radius`` metres at ``centre``."""
        return float(self.focal * radius / self.depth(np.asarray(centre, dtype=float)))

    def to_dict(self) -> dict[str, Any]:
        k = self.K
        return {
            "model": "pinhole",
            "width": self.width,
            "height": self.height,
            "fovy_deg": _r(self.fovy),
            "fx": _r(k[0, 0]),
            "fy": _r(k[1, 1]),
            "cx": _r(k[0, 2]),
            "cy": _r(k[1, 2]),
            "position": [_r(v) for v in self.position],
            "R": [[_r(v) for v in row] for row in self.R],
            "t": [_r(v) for v in self.t],
            "convention": "OpenCV: x right, y down, z forward; pixel centres at integers",
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Camera:
        return cls(
            position=_vec3(d["position"]),
            rotation=tuple(_vec3(row) for row in d["R"]),
            fovy=float(d["fovy_deg"]),
            width=int(d["width"]),
            height=int(d["height"]),
        )


def _vec3(values: Iterable[float]) -> tuple[float, float, float]:
    x, y, z = (float(v) for v in values)
    return x, y, z


def look_at(
    eye: tuple[float, float, float],
    target: tuple[float, float, float],
    fovy: float,
    width: int,
    height: int,
) -> Camera:
    """A camera at ``eye`` looking at ``target`` with the world's z axis up in the image."""
    e, g = np.asarray(eye, dtype=float), np.asarray(target, dtype=float)
    fwd = (g - e) / np.linalg.norm(g - e)
    right = np.cross(fwd, (0.0, 0.0, 1.0))
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    rot = np.stack([right, down, fwd])
    return Camera(
        position=_vec3(_r(v, 6) for v in e),
        rotation=tuple(_vec3(_r(v, 9) for v in row) for row in rot),
        fovy=_r(fovy, 6),
        width=width,
        height=height,
    )


def framing(
    eye: tuple[float, float, float],
    target: tuple[float, float, float],
    half_width: float,
    half_height: float,
    width: int,
    height: int,
) -> Camera:
    """A camera looking at ``target`` whose view holds at least ``half_width`` by
    ``half_height`` metres around it (at the target's depth), whatever the aspect ratio."""
    dist = float(np.linalg.norm(np.asarray(target, dtype=float) - np.asarray(eye, dtype=float)))
    need_v = half_height / dist
    need_h = half_width / dist * height / width
    fovy = float(np.degrees(2 * np.arctan(max(need_v, need_h))))
    return look_at(eye, target, fovy, width, height)


def _r(v: float, nd: int = 6) -> float:
    return round(float(v), nd)
