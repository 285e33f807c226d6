"""Law checks for a block sliding on an incline.

The track is projected on the slope: ``s`` along it (positive downhill) and ``q`` across
it (positive away from the surface). Along the slope the motion is uniformly accelerated,
at g(sin θ − μ cos θ) going down and g(sin θ + μ cos θ) (a deceleration) going up, so a
parabola is fitted to ``s(t)`` in each phase (split at the highest point when the block is
launched uphill). The ground truth goes through the same fit, since the engine's friction
is what it is; ``on_slope`` checks that the block neither lifts off nor sinks in.
"""

from __future__ import annotations

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.geometry import scene_size, slope_axes
from vidreason.scene.params.physics import RampParams
from vidreason.types import Check, Instance
from vidreason.verifiers.checks import band, cannot_follow, fail_all

MIN_POINTS = 4


def _phases(
    t: np.ndarray, s: np.ndarray, frames: np.ndarray, launched: bool
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    if not launched:
        return {"down": (t, s, frames)}
    k = int(np.argmin(s))
    return {"up": (t[: k + 1], s[: k + 1], frames[: k + 1]), "down": (t[k:], s[k:], frames[k:])}


def _accel(t: np.ndarray, s: np.ndarray) -> float:
    return float(2 * np.polyfit(t, s, 2)[0]) if len(t) >= MIN_POINTS else np.nan


def _project(instance: Instance, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = RampParams.of(instance.spec)
    u, n = slope_axes(p.theta, p.direction)
    d = xy - np.asarray(instance.spec.bodies[0].position, dtype=float)
    return d @ u, d @ n


def _slide_check(
    label: str, phase: str, seen: tuple[np.ndarray, ...], truth: tuple[np.ndarray, ...]
) -> Check:
    """The block speeds up down the slope (``phase`` ``down``) or slows on its way up
    (``up``) at the truth's acceleration: a parabola fitted to its way along the slope."""
    a_gt = _accel(truth[0], truth[1])
    t, s, frames = seen
    span = f"frames {frames[0]}-{frames[-1]}" if len(frames) else "no frames"
    if len(t) < MIN_POINTS:
        what = "climbing" if phase == "up" else "sliding down"
        return Check(
            f"slide_{phase}", 0.0, f"the {label} is seen {what} the slope in only {len(t)} frames"
        )
    a = _accel(t, s)
    rel = abs(a - a_gt) / abs(a_gt)
    value = band(rel, 0.10, 0.25)
    if value == 1.0:
        return Check(f"slide_{phase}", 1.0)
    more = "more" if a > a_gt else "less"
    if phase == "down" and a <= 0.1 * a_gt:
        what = f"the {label} does not speed up down the slope ({a:.0f} px/s², {span})"
    elif phase == "down":
        what = (
            f"the {label} speeds up down the slope at {a:.0f} px/s² ({span}),"
            f" {rel:.0%} {more} than the {a_gt:.0f} px/s² that gravity and friction give"
        )
        what += (
            " (too little friction or too much gravity)"
            if a > a_gt
            else " (too much friction or too little gravity)"
        )
    elif a <= 0.1 * a_gt:
        what = f"the {label} does not slow down on its way up the slope ({span})"
    else:
        what = (
            f"on its way up the slope the {label} slows down at {a:.0f} px/s² ({span}),"
            f" {rel:.0%} {more} than the {a_gt:.0f} px/s² that gravity and friction give"
        )
    return Check(f"slide_{phase}", value, what)


def ramp_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The ramp's law checks, declared in ``tasks/physics/ramp.py``: the block slides up
    (``slide_up``, only when launched up the slope) and down (``slide_down``) with the true
    accelerations and stays on the slope's surface (``on_slope``). A block followed in too few
    frames fails them all."""
    spec = instance.spec
    body = spec.bodies[0]
    launched = RampParams.of(spec).v0 < 0
    names = ("slide_up", "slide_down", "on_slope") if launched else ("slide_down", "on_slope")
    found = np.flatnonzero(tracks.found(body.name))
    if len(found) < max(6, tracks.n // 2):
        return fail_all(names, cannot_follow(body, len(found), tracks.n))
    t = tracks.times[found]
    s, q = _project(instance, tracks.pos[body.name][found])
    gt = instance.trajectory.array(body.name)
    gt_t = np.arange(len(gt)) / spec.fmt.fps
    gt_s, gt_q = _project(instance, gt[:, :2])
    seen = _phases(t, s, found, launched)
    truth = _phases(gt_t, gt_s, np.arange(len(gt)), launched)
    checks = [_slide_check(body.label, ph, seen[ph], truth[ph]) for ph in seen]

    size = scene_size(instance)
    off = q - np.interp(t, gt_t, gt_q)
    k = int(np.argmax(np.abs(off)))
    value = band(abs(off[k]) / size, 0.02, 0.05)
    note = ""
    if value < 1.0:
        where = "above the slope" if off[k] > 0 else "into the slope"
        note = (
            f"the {body.label} leaves the ramp's surface: {abs(off[k]):.0f} px {where}"
            f" at frame {found[k]}"
        )
    checks.append(Check("on_slope", value, note))
    return checks
