"""``path``: every body follows the path the simulator gave it, frame by frame.

``final_state`` judges where a body ends and ``continuity`` how far it steps, but a
body can wobble from side to side, stop while the rest of the scene goes on, or lag
behind and catch up, and still end in the right place in steps no larger than its
speed. ``path`` compares each tracked position with the ground truth's path near the
same moment: the distance from the position to the nearest point of the true path
within ``WINDOW`` seconds either side (so a small timing error, a motion-blur lag or a
blended frame costs nothing, while a position off the path, or a body far behind or
ahead of its true place, does). Frames where the ground truth hides part of the body
(behind a screen, out of the picture) or where it is not found are skipped: ``visible``
judges those. The ``ISOLATED`` worst frames are forgiven (a tracking glitch); beyond
that, ``TOLERANCE`` of the picture passes and ``FAILS`` fails. Where nothing static
fixes the camera (a ball on a blank table) and the video is zoomed, the zoom was read
off the bodies' first-frame outlines, to about ``ZOOM_DOUBT``: a position is forgiven
that much of its distance from where the bodies started.

Families that set their own pace (planning) do not run it: the time a move takes is
the video's own there, and their move checks judge the path.
"""

from __future__ import annotations

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.geometry import scene_size
from vidreason.types import Check, Instance
from vidreason.verifiers.checks import (
    PLACED,
    band,
    frame_ranges,
    gt_positions,
    in_view,
    occluders,
    visible_fraction,
)

WINDOW = 0.15  # s: the true path is searched this far either side of a frame's moment
STEPS = 25  # points of the true path sampled in the window
ISOLATED = 2  # the worst frames forgiven
TOLERANCE = 0.02  # share of the picture: off the path by this much passes
FAILS = 0.035  # and by this much fails
ZOOM_DOUBT = 0.03  # how far off a zoom read off a few bodies' outlines may be
ZOOMED = 0.01  # a first-frame zoom this far from 1 is a zoom


def zoom_doubt(tracks: Tracks, instance: Instance, name: str, idx: np.ndarray) -> np.ndarray:
    """Per frame of ``idx``, the px a zoom read off the bodies alone may misplace body
    ``name`` by: ``ZOOM_DOUBT`` of its true distance from the bodies' first-frame centre;
    0 where the static scene measured the camera, or where the video is not zoomed."""
    if tracks.percept is None or tracks.percept.camera.tracked:
        return np.zeros(len(idx))
    if abs(float(tracks.percept.camera.scale()[0]) - 1.0) <= ZOOMED:
        return np.zeros(len(idx))
    names = [n for n in instance.trajectory.states if n in tracks.pos]
    anchor = np.mean([instance.trajectory.xy(n)[0] for n in names], axis=0)
    true = gt_positions(instance, name, tracks.times[idx])
    return ZOOM_DOUBT * np.linalg.norm(true - anchor, axis=1)


def off_path(tracks: Tracks, instance: Instance, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(frame indices, px off the true path) for the frames where body ``name`` is found
    and the ground truth shows all of it."""
    t = tracks.times
    clear = (visible_fraction(instance, name, t) >= PLACED) & in_view(tracks, instance, name)
    idx = np.flatnonzero(clear & tracks.found(name))
    if not len(idx):
        return idx, np.zeros(0)
    err = from_path(instance, name, t[idx], tracks.pos[name][idx])
    return idx, np.maximum(0.0, err - zoom_doubt(tracks, instance, name, idx))


def from_path(instance: Instance, name: str, times: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Per position ``seen`` (n, 2) at ``times``: its distance (px) from the nearest point of
    body ``name``'s true path within ``WINDOW`` of that moment."""
    moments = np.clip(times[:, None] + np.linspace(-WINDOW, WINDOW, STEPS)[None, :], 0.0, None)
    true = gt_positions(instance, name, moments.ravel()).reshape(len(times), STEPS, 2)
    return np.linalg.norm(true - seen[:, None, :], axis=2).min(axis=1)


def path(tracks: Tracks, instance: Instance) -> Check:
    """Every body stays on its true path (see the module's docstring)."""
    size = scene_size(instance)
    screens = {b.name for b in occluders(instance)}
    worst, note = 1.0, ""
    for b in instance.spec.bodies:
        if b.name in screens or b.name not in instance.trajectory.states:
            continue
        idx, err = off_path(tracks, instance, b.name)
        if len(err) <= ISOLATED:
            continue  # hardly seen: visible judges it
        typical = float(np.sort(err)[-1 - ISOLATED])
        value = band(typical / size, TOLERANCE, FAILS)
        if value < worst:
            worst = value
            bad = idx[err > TOLERANCE * size]
            note = (
                f"the {b.label} leaves its true path by up to {typical:.0f} px (at most"
                f" {TOLERANCE * size:.0f} px is tolerated) in frames"
                f" {frame_ranges(tracks.source[bad])}"
            )
    return Check("path", worst, note)
