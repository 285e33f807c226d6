"""What of the scene never moves: the pixels no body of the ground truth ever covers.

Registration and the light model read only these pixels, so a moving object (in the
truth or in a wrong video) is never taken for camera motion or for a change of light.
"""

from __future__ import annotations

import cv2
import numpy as np

from vidreason.scene.geometry import extent
from vidreason.scene.params import Reach
from vidreason.types import Instance

MARGIN = 4.0  # px around every moving body
# share of the picture along its edges that is framing, not scene: a border drawn round
# the picture, a zoom's padding, a resampled edge
RIM = 0.025


def moving_mask(instance: Instance, width: int, height: int) -> np.ndarray:
    """True wherever a non-static body (or a pendulum rod) of the ground truth goes, and
    in the rectangles the scene says something reaches (``Reach``)."""
    mask = np.zeros((height, width), np.uint8)
    states = instance.trajectory.states
    rods = {j.body: j for j in instance.spec.joints}
    for b in instance.spec.bodies:
        if b.body_type == "static" or b.name not in states:
            continue
        r = round(1.2 * extent(b) + MARGIN)
        for s in states[b.name]:
            x, y = float(s[0]), float(s[1])
            if not (np.isfinite(x) and np.isfinite(y)):
                continue
            cv2.circle(mask, (round(x), round(y)), r, 1, -1)
            if b.name in rods:
                j = rods[b.name]
                a = (round(j.anchor[0]), round(j.anchor[1]))
                cv2.line(mask, a, (round(x), round(y)), 1, round(j.thickness + 2 * MARGIN))
    for x0, y0, x1, y1 in Reach.of(instance.spec).reach or ():  # e.g. a liquid's container
        cv2.rectangle(
            mask,
            (round(x0 - MARGIN), round(y0 - MARGIN)),
            (round(x1 + MARGIN), round(y1 + MARGIN)),
            1,
            -1,
        )
    return mask.astype(bool)


def static_mask(instance: Instance, width: int, height: int) -> np.ndarray:
    """True where nothing of the task ever moves."""
    return ~moving_mask(instance, width, height)


def resting(instance: Instance, width: int, height: int) -> list[tuple[float, float, np.ndarray]]:
    """Per body that stands still at the start: (from, until, its footprint), the seconds
    between which it is still. Until it moves a body is as good as the static scene for
    registration (a scene of standing blocks on a floor line has nothing else to fix a
    pan with)."""
    fps = instance.spec.fmt.fps
    out = []
    for b in instance.spec.bodies:
        states = instance.trajectory.states.get(b.name)
        if b.body_type == "static" or not states:
            continue
        arr = instance.trajectory.array(b.name)
        xy = arr[:, :2]
        moved = np.linalg.norm(xy - xy[0], axis=1) > 0.5
        if arr.shape[1] > 4:
            moved |= np.abs(arr[:, 4] - arr[0, 4]) > 0.02
        first = np.flatnonzero(moved)
        until = first[0] / fps if len(first) else np.inf  # one that never moves: to the end
        if until <= 0:
            continue
        mask = np.zeros((height, width), np.uint8)
        cv2.circle(mask, (round(xy[0, 0]), round(xy[0, 1])), round(extent(b) + 2), 1, -1)
        out.append((-np.inf, float(until), mask.astype(bool)))
    return out


def inner(height: int, width: int) -> np.ndarray:
    """True inside the picture's outer ``RIM`` (of its longer side) on every edge."""
    rim = round(RIM * max(height, width))
    out = np.zeros((height, width), bool)
    out[rim : height - rim, rim : width - rim] = True
    return out
