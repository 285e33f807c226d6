"""The video as the verifiers see it: the scene found before the objects.

``perceive`` runs once per video, on frames already cropped of black bars and resized to
the task's resolution, in three steps:

1. ``registration``: every frame registered to the conditioning image (an affine map,
   from the static parts of the scene), so zoom, pan, shake and drift are compensated
   and measured (``Camera``, reported by the ``camera`` check);
2. ``light``: a smooth gain field per frame and colour channel, measured on the static
   parts against the conditioning image, divided out (vignette, gradients, exposure and
   white-balance drift);
3. ``timeline``: repeated frames dropped, so motion is measured between unique moments
   (the tracker then takes out a constant time offset, ``timeline.time_offset``).

The verifiers then classify colours and track objects on the frames this returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidreason.perception.light import correct, gain_fields, unit_gains
from vidreason.perception.registration import (
    Camera,
    register,
    still_camera,
    warp_to_reference,
)
from vidreason.perception.scene import inner, resting, static_mask
from vidreason.perception.timeline import Timeline, timeline
from vidreason.types import Instance


@dataclass(frozen=True)
class Percept:
    frames: np.ndarray  # (n, H, W, 3) uint8: registered, light corrected, unique moments
    view: np.ndarray  # (n, H, W) bool: the reference pixels each frame shows
    camera: Camera  # per input frame
    gains: np.ndarray  # (n, 8, 3): the light taken out of each kept frame (light.py)
    timeline: Timeline  # which input frames were kept, and their times
    reference: np.ndarray  # (H, W, 3): what the frames were registered to


def perceive(
    frames: np.ndarray,
    instance: Instance,
    first_image: np.ndarray | None,
    times: np.ndarray,
    aspect: float | None = None,
    rendered: bool = False,
) -> Percept:
    """Register, light-correct and de-duplicate ``frames`` (n, H, W, 3) at task size;
    ``aspect``: the video's own width over height before it was resized to task size;
    ``rendered``: the frames are the scene's own rendering (the ground truth before it is
    encoded), drawn by a fixed camera under the scene's own light, so neither is measured."""
    h, w = frames.shape[1:3]
    ref = first_image
    if ref is None or ref.shape != frames.shape[1:]:
        ref = frames[0]
    if rendered:
        camera, gains = still_camera(len(frames)), unit_gains(len(frames))
        fixed, view = frames, np.ones(frames.shape[:3], dtype=bool)
    else:
        static = static_mask(instance, w, h)
        # a planning solution moves at the video's own pace: a standing body may move
        # before the truth's does, so only several that agree are trusted
        lone = instance.capability != "planning"
        camera = register(frames, ref, static, times, resting(instance, w, h), lone, aspect)
        warped, view = warp_to_reference(frames, camera)
        # the picture's rim is framing: a border drawn round it is no change of light
        gains = gain_fields(warped, ref, static & view.all(axis=0) & inner(h, w))
        fixed = correct(warped, gains)
    line = timeline(fixed, times, instance)
    k = line.keep
    if len(k) == len(fixed):  # every frame kept, in order: no copy
        return Percept(fixed, view, camera, gains, line, ref)
    return Percept(
        frames=fixed[k], view=view[k], camera=camera, gains=gains[k], timeline=line, reference=ref
    )
