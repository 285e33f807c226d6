"""Law checks for bodies falling side by side: same gravity, same landing time.

Each ball's fall is the part of its track before it comes within a hair of the floor; one
parabola fitted to the whole fall gives its gravity (robust to frame rates and to frames
interpolated between others) and, where it meets the floor, the landing time, to a
fraction of a frame. Both balls must fall with the
engine's gravity, land when the ground truth does, and land together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.geometry import scene_size
from vidreason.scene.params import Floor
from vidreason.types import Body, Check, Instance
from vidreason.verifiers.checks import band, cannot_follow, fail_all, falls_with, gravity_value

MIN_FALL_POINTS = 5
NEAR_FLOOR = 0.015  # of the frame: closer than this to the floor counts as landed


@dataclass(frozen=True)
class Fall:
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    frames: np.ndarray
    landing: float  # s, nan if the body never reaches the floor
    why: str = ""


def analyse_fall(
    t: np.ndarray,
    xy: np.ndarray,
    frames: np.ndarray,
    y_contact: float,
    size: float,
    onto: str = "the floor",
) -> Fall:
    """Split a track at its first frame near ``y_contact`` (where it lands ``onto``
    something) and time the landing."""
    x, y = xy[:, 0], xy[:, 1]
    near = np.flatnonzero(y >= y_contact - NEAR_FLOOR * size)
    if len(near) == 0:
        return Fall(t, x, y, frames, np.nan, f"it never reaches {onto} (lowest at y={y.max():.0f})")
    k = int(near[0])
    fall = slice(0, k)
    if k < MIN_FALL_POINTS:
        why = f"it is seen falling in only {k} frames before it reaches {onto} at frame {frames[k]}"
        return Fall(t[fall], x[fall], y[fall], frames[fall], np.nan, why)
    c = np.polyfit(t[fall], y[fall], 2)
    roots = np.roots(c - np.array([0.0, 0.0, y_contact]))
    real = [r.real for r in roots if abs(r.imag) < 1e-9 and t[k - 1] - 1e-9 <= r.real <= t[k] + 0.1]
    landing = min(real) if real else float(t[k])
    return Fall(t[fall], x[fall], y[fall], frames[fall], landing)


def fall_gravity(body: Body, fall: Fall, g: float) -> Check:
    """Gravity is the curvature of one parabola through the whole fall."""
    if len(fall.t) < MIN_FALL_POINTS:
        return Check("gravity", 0.0, f"cannot fit the {body.label}'s fall: {fall.why}")
    g_seen = float(2 * np.polyfit(fall.t, fall.y, 2)[0])
    value = gravity_value(g_seen, g)
    if value == 1.0:
        return Check("gravity", 1.0)
    span = f"frames {fall.frames[0]}-{fall.frames[-1]}"
    if abs(g_seen) < 0.1 * g:
        what = f"the {body.label} does not fall ({span})"
    else:
        what = falls_with(f"the {body.label}", g_seen, g, span)
    return Check("gravity", value, what)


def _contact(body: Body, instance: Instance) -> float:
    return Floor.of(instance.spec).floor_y - body.radius


def landing_check(b: Body, fall: Fall, instance: Instance) -> Check:
    """Ball ``b`` lands within a frame of the truth."""
    fps = instance.spec.fmt.fps
    gt = instance.trajectory.array(b.name)
    n = np.arange(len(gt))
    truth = analyse_fall(n / fps, gt[:, :2], n, _contact(b, instance), scene_size(instance))
    if np.isnan(fall.landing):
        return Check("landing", 0.0, f"the {b.label} does not land: {fall.why}")
    off = abs(fall.landing - truth.landing) * fps
    note = ""
    if off > 1.0:
        note = (
            f"the {b.label} lands at frame {fall.landing * fps:.1f},"
            f" not at frame {truth.landing * fps:.1f}"
        )
    return Check("landing", band(off, 1.0, 3.0), note)


def together_check(heavy: Body, light: Body, seen: dict[str, Fall], fps: int) -> Check:
    """The heavy and the light ball land within a frame of each other."""
    ta, tb = seen[heavy.name].landing, seen[light.name].landing
    if np.isnan(ta) or np.isnan(tb):
        return Check("together", 0.0, "the two balls do not both land")
    gap = abs(ta - tb) * fps
    value = band(gap, 1.0, 2.5)
    note = ""
    if value < 1.0:
        first, second = (heavy, light) if ta < tb else (light, heavy)
        note = (
            f"the {first.label} lands {gap:.1f} frames before the {second.label}"
            f" (frames {min(ta, tb) * fps:.1f} and {max(ta, tb) * fps:.1f}): released together"
            f" from the same height, they must land together"
        )
    return Check("together", value, note)


def weakest(checks: list[Check]) -> Check:
    """The check of lowest value (the first of equals)."""
    return min(checks, key=lambda c: c.value)


def free_fall_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The free-fall pair's law checks, declared in ``tasks/physics/free_fall_pair.py``: both
    balls fall with the scene's gravity whatever their mass (``gravity``, the weaker of the two
    fits), land when the truth does (``landing``, the weaker of the two) and land together
    (``together``). A ball followed in too few frames fails all three."""
    spec = instance.spec
    size = scene_size(instance)
    seen: dict[str, Fall] = {}
    for b in spec.bodies:
        found = np.flatnonzero(tracks.found(b.name))
        if len(found) < max(MIN_FALL_POINTS, tracks.n // 2):
            return fail_all(
                ("gravity", "landing", "together"), cannot_follow(b, len(found), tracks.n)
            )
        seen[b.name] = analyse_fall(
            tracks.times[found], tracks.pos[b.name][found], found, _contact(b, instance), size
        )
    heavy, light = spec.bodies
    return [
        weakest([fall_gravity(b, seen[b.name], spec.gravity) for b in spec.bodies]),
        weakest([landing_check(b, seen[b.name], instance) for b in spec.bodies]),
        together_check(heavy, light, seen, spec.fmt.fps),
    ]
