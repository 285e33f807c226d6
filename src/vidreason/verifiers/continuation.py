"""The check a continuation gets besides the family's: ``seam``, the model's first frames
carry on the motion its context shows.

On a continuation suite the true first K frames are spliced before the model's (see
``score.py``). ``continuity`` already fails a jump at the seam; ``seam`` also fails a
continuation that starts where the context ends but goes the wrong way (a motion
reversed, a body stopped dead): over the model's first ``SEAM_S`` seconds every body
must stay near where the true motion takes it, as ``first_frame`` holds an
image-to-video clip's first frame to the conditioning image. A planning family is not
held to it: a solution moves at the video's own pace, so only ``continuity`` judges its
seam.
"""

from __future__ import annotations

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.geometry import scene_size
from vidreason.types import Check, Instance
from vidreason.verifiers.checks import PLACED, band, gt_positions, visible_fraction

SEAM_S = 0.25  # seconds of the model's frames held to the true motion
SEAM = (0.03, 0.08)  # distance from the true position, as a share of the scene: good / bad


def seam(tracks: Tracks, instance: Instance) -> Check:
    """Every body, in the model's first ``SEAM_S`` seconds, within ``SEAM`` of where the
    true motion takes it from the last context frame."""
    k = instance.context_frames
    fps = instance.spec.fmt.fps
    start = k / fps
    window = np.flatnonzero(
        (tracks.times >= start - 0.5 / fps) & (tracks.times < start + SEAM_S - 0.25 / fps)
    )
    if not k or instance.capability == "planning" or not len(window):
        return Check("seam", 1.0)
    size = scene_size(instance)
    src = tracks.source
    worst, note = 1.0, ""
    for b in instance.spec.bodies:
        t = tracks.times[window]
        shown = visible_fraction(instance, b.name, t) >= PLACED
        p = tracks.pos[b.name][window]
        ok = shown & ~np.isnan(p[:, 0])
        if not ok.any():
            continue  # unseen or behind a screen: visibility and permanence judge it
        err = np.linalg.norm(p[ok] - gt_positions(instance, b.name, t[ok]), axis=1)
        i = int(np.argmax(err))
        value = band(float(err[i]) / size, *SEAM)
        if value < worst:
            worst = value
            frame = src[window[np.flatnonzero(ok)[i]]]
            note = (
                f"the {b.label} does not carry on from the context: {err[i]:.0f} px from"
                f" where its motion takes it at frame {frame}"
            )
    return Check("seam", worst, note)
