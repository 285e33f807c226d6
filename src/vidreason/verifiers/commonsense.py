"""Law checks for support and levitation: what rests stays, what is let go falls, nothing
rises on its own.

- ``stays``: an object the ground truth keeps at rest (until it is released) does not
  drift or sink while it is supported.
- ``gravity`` / ``lands``: a released object falls with the scene's gravity (parabola fit
  on its free fall, the part of its track between its release and the floor) and reaches
  the floor when and where it should, without sinking into it.
- ``no_rising``: every upward movement starts at a surface the object bounced on, and
  is no higher than the fall that fed it; rising from rest or turning upward in mid-air
  fails.

The ground truth goes through the same functions as the video. To add a check, write a
function ``(tracks, instance, ...) -> Check`` and call it from a family's ``*_checks``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidreason.types import Body, Check, Instance
from vidreason.verifiers.checks import band, scene_size
from vidreason.verifiers.kinematics import MIN_FIT_POINTS, fit_parabola, gravity_check
from vidreason.verifiers.tracking import Tracks

REST = 0.5  # px the ground truth may move and still count as at rest
LIFT = 0.01  # fraction of the frame an object must drop before its fall is fitted
NEAR = 0.03  # fraction of the frame from the landing height where the fit stops


@dataclass(frozen=True)
class Series:
    """The found samples of one object: times, positions and frame numbers."""

    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    frames: np.ndarray

    def __len__(self) -> int:
        return len(self.t)

    def take(self, mask: np.ndarray) -> Series:
        return Series(self.t[mask], self.x[mask], self.y[mask], self.frames[mask])


def series(tracks: Tracks, name: str) -> Series:
    found = np.flatnonzero(tracks.found(name))
    p = tracks.pos[name][found]
    return Series(tracks.times[found], p[:, 0], p[:, 1], found)


def truth(instance: Instance, name: str) -> Series:
    s = np.asarray(instance.trajectory.states[name], dtype=float)
    frames = np.arange(len(s))
    return Series(frames / instance.spec.fmt.fps, s[:, 0], s[:, 1], frames)


def rest_until(instance: Instance, name: str) -> float:
    """Time at which the ground truth first moves the body off its start (inf: never)."""
    gt = truth(instance, name)
    moved = np.flatnonzero(np.hypot(gt.x - gt.x[0], gt.y - gt.y[0]) > REST)
    if len(moved) == 0:
        return float("inf")
    return float(gt.t[max(int(moved[0]) - 1, 0)])


def stays_check(tracks: Tracks, instance: Instance, names: list[str]) -> Check:
    """Each of ``names`` stays at its start position while the ground truth keeps it there."""
    size = scene_size(instance)
    dt = 1.0 / instance.spec.fmt.fps
    worst, note = 1.0, ""
    for name in names:
        body = instance.spec.body(name)
        until = rest_until(instance, name)
        s = series(tracks, name)
        s = s.take(s.t <= until - dt)
        if len(s) == 0:
            continue  # visibility fails on its own
        dev = np.hypot(s.x - body.position[0], s.y - body.position[1])
        k = int(np.argmax(dev))
        value = band(float(dev[k]) / size, 0.025, 0.06)
        if value < worst:
            worst = value
            how = "sinks" if s.y[k] - body.position[1] > abs(s.x[k] - body.position[0]) else "moves"
            note = (
                f"the {body.label} {how} {dev[k]:.0f} px from where it rests by frame"
                f" {s.frames[k]}, although it is supported"
            )
    return Check("stays", worst, note)


def free_fall(s: Series, y0: float, y_land: float, size: float) -> Series:
    """The part of a track after it has dropped ``LIFT`` below ``y0`` and before it first
    comes within ``NEAR`` of ``y_land``."""
    near = np.flatnonzero(s.y >= y_land - NEAR * size)
    stop = int(near[0]) if len(near) else len(s)
    head = s.take(np.arange(len(s)) < stop)
    return head.take(head.y > y0 + LIFT * size)


def landing_time(fall: Series, y_land: float) -> float:
    """When the parabola fitted to a free fall reaches ``y_land`` (nan if it never does)."""
    if len(fall) < 3:
        return float("nan")
    c = np.polyfit(fall.t, fall.y, 2)
    roots = np.roots(c - np.array([0.0, 0.0, y_land]))
    real = [r.real for r in roots if abs(r.imag) < 1e-9 and r.real >= fall.t[0]]
    return float(min(real)) if real else float("nan")


def falls_and_lands(
    tracks: Tracks, instance: Instance, name: str, y_land: float
) -> list[Check]:
    """``gravity``: the fall of ``name`` from its release; ``lands``: it reaches
    ``y_land`` on time, does not sink below it, and is there at the end."""
    spec = instance.spec
    body = spec.body(name)
    size = scene_size(instance)
    y0 = body.position[1]
    seen = free_fall(series(tracks, name), y0, y_land, size)
    if len(seen) < MIN_FIT_POINTS - 1:
        why = f"the {body.label} does not fall freely: {len(seen)} frames in the air"
        if len(seen) == 0:
            why = f"the {body.label} never falls from where it is let go"
        return [Check("gravity", 0.0, why), Check("lands", 0.0, why)]
    fit = fit_parabola(seen.t, seen.x, seen.y, seen.frames)
    checks = [gravity_check(body, seen.t, seen.y, seen.frames, spec.gravity, fit)]
    gt = free_fall(truth(instance, name), y0, y_land, size)
    return [*checks, _lands(tracks, instance, body, seen, gt, y_land)]


def _lands(
    tracks: Tracks, instance: Instance, body: Body, seen: Series, gt: Series, y_land: float
) -> Check:
    fps = instance.spec.fmt.fps
    size = scene_size(instance)
    who = f"the {body.label}"
    t_seen, t_true = landing_time(seen, y_land), landing_time(gt, y_land)
    s = series(tracks, body.name)
    after = s.take(s.t >= seen.t[-1])
    sink = float(after.y.max() - y_land) if len(after) else 0.0
    end = float(s.y[-1] - y_land)
    checks = []
    if not np.isfinite(t_seen):
        checks.append((0.0, f"{who} never reaches the floor"))
    else:
        off = abs(t_seen - t_true) * fps
        checks.append(
            (
                band(off, 1.5, 4.0),
                f"{who} lands at frame {t_seen * fps:.1f}, not at frame {t_true * fps:.1f}",
            )
        )
    k = int(np.argmax(after.y)) if len(after) else 0
    checks.append(
        (
            band(sink / size, 0.02, 0.05),
            f"{who} sinks {sink:.0f} px into the floor at frame {after.frames[k] if len(after) else 0}",
        )
    )
    checks.append(
        (
            band(abs(end) / size, 0.03, 0.08),
            f"{who} ends {abs(end):.0f} px {'above' if end < 0 else 'below'} the floor"
            f" at frame {s.frames[-1]}",
        )
    )
    value, note = min(checks, key=lambda c: c[0])
    return Check("lands", value, note if value < 1.0 else "")


def support_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    spec = instance.spec
    ball = spec.body("ball")
    y_land = spec.params["floor_y"] - ball.radius
    names = [b.name for b in spec.bodies if b.body_type == "dynamic"]
    return [stays_check(tracks, instance, names), *falls_and_lands(tracks, instance, "ball", y_land)]
