"""Law checks for support and levitation: what rests stays, what is let go falls, nothing
rises on its own.

- ``stays``: an object the ground truth keeps at rest (until it is released) does not
  drift or sink while it is supported.
- ``gravity`` / ``lands``: a released object falls with the scene's gravity (parabola fit
  on its free fall, the part of its track between its release and the floor) and reaches
  the floor when it should, without sinking into it.
- ``no_hovering``: whatever touches nothing under it for half a second falls.
- ``no_rising``: every upward movement starts at a surface the object bounced on, and
  is no higher than the fall that fed it; rising from rest or turning upward in mid-air
  fails.

The ground truth goes through the same functions as the video. To add a check, write a
function ``(tracks, instance, ...) -> Check`` and call it from a family's ``*_checks``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.geometry import scene_size
from vidreason.scene.params import Floor
from vidreason.types import Body, Check, Instance
from vidreason.verifiers.checks import band
from vidreason.verifiers.kinematics import MIN_FIT_POINTS, fit_parabola, gravity_check

REST = 0.5  # px the ground truth may move and still count as at rest
REST_PX = 1.0  # px a tracked object may move and still count as still
HOVER = 0.5  # s in the air without falling that count as hovering
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
    s = instance.trajectory.array(name)
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
        s = series(tracks, name)
        s = s.take(s.t <= rest_until(instance, name) - dt)
        if len(s) == 0:
            continue  # visibility fails on its own
        dev = np.hypot(s.x - body.position[0], s.y - body.position[1])
        k = int(np.argmax(dev))
        value = band(float(dev[k]) / size, 0.025, 0.06)
        if value < worst:
            worst = value
            start = int(s.frames[np.flatnonzero(dev > 0.025 * size)[0]])
            how = "sink" if s.y[k] - body.position[1] > abs(s.x[k] - body.position[0]) else "move"
            note = (
                f"the {body.label} starts to {how} at frame {start} although it is supported"
                f" ({dev[k]:.0f} px from where it rests by frame {s.frames[k]})"
            )
    return Check("stays", worst, note)


def free_fall(s: Series, y0: float, y_land: float, size: float) -> Series:
    """The part of a track after it has dropped ``LIFT`` below ``y0`` and before it first
    comes within ``NEAR`` of ``y_land`` or stops falling faster and faster (it hit
    something between two frames)."""
    braked = np.zeros(len(s), dtype=bool)
    if len(s) > 2:
        v = np.diff(s.y) / np.maximum(np.diff(s.t), 1e-9)
        dt = np.diff(s.t)[1:]
        braked[2:] = (v[1:] * dt < 0.5 * v[:-1] * dt - 1.0) & (s.y[2:] > y0 + LIFT * size)
    near = np.flatnonzero((s.y >= y_land - NEAR * size) | braked)
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


def _no_fall(instance: Instance, body: Body, seen: Series) -> str:
    """Why a fall cannot be fitted, naming the frame it should start at."""
    gt = truth(instance, body.name)
    frame = int(np.argmax(gt.y > body.position[1] + REST))
    if len(seen) == 0:
        return (
            f"the {body.label} hangs in mid-air: it should fall from frame {frame} but never does"
        )
    return f"the {body.label} falls freely in only {len(seen)} frames from frame {frame}"


def fall_gravity(
    tracks: Tracks, instance: Instance, name: str, y_land: float
) -> tuple[Check, Series]:
    """The free fall of ``name`` from its release towards ``y_land``, and its gravity."""
    body = instance.spec.body(name)
    seen = free_fall(series(tracks, name), body.position[1], y_land, scene_size(instance))
    if len(seen) < MIN_FIT_POINTS - 1:
        return Check("gravity", 0.0, _no_fall(instance, body, seen)), seen
    fit = fit_parabola(seen.t, seen.x, seen.y, seen.frames)
    g = instance.spec.gravity
    return gravity_check(body, seen.t, seen.y, seen.frames, g, fit), seen


def lands_check(
    tracks: Tracks, instance: Instance, name: str, y_land: float, seen: Series
) -> Check:
    """The fall ``seen`` reaches ``y_land`` on time and the body never sinks below it."""
    body = instance.spec.body(name)
    who, fps, size = f"the {body.label}", instance.spec.fmt.fps, scene_size(instance)
    if len(seen) < MIN_FIT_POINTS - 1:
        return Check("lands", 0.0, _no_fall(instance, body, seen))
    gt = free_fall(truth(instance, name), body.position[1], y_land, size)
    t_seen, t_true = landing_time(seen, y_land), landing_time(gt, y_land)
    if not np.isfinite(t_seen):
        return Check("lands", 0.0, f"{who} never reaches the floor")
    s = series(tracks, name)
    after = s.take(s.t >= seen.t[-1])
    k = int(np.argmax(after.y))
    sink = float(after.y[k] - y_land)
    off = abs(t_seen - t_true) * fps
    value, note = min(
        (band(off, 1.5, 4.0), f"{who} lands at frame {t_seen * fps:.1f}, not {t_true * fps:.1f}"),
        (
            band(sink / size, 0.02, 0.05),
            f"{who} sinks {sink:.0f} px into the floor at frame {after.frames[k]}",
        ),
        key=lambda c: c[0],
    )
    return Check("lands", value, note if value < 1.0 else "")


def support_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The support family's law checks, declared in ``tasks/commonsense/support.py``: what the
    truth keeps still stays put (``stays``), the unsupported ball falls with the scene's
    gravity (``gravity``) and lands when the truth's does without sinking (``lands``), and
    nothing hangs in the air (``no_hovering``)."""
    spec = instance.spec
    y_land = Floor.of(spec).floor_y - spec.body("ball").radius
    names = [b.name for b in spec.bodies if b.body_type == "dynamic"]
    gravity, seen = fall_gravity(tracks, instance, "ball", y_land)
    return [
        stays_check(tracks, instance, names),
        gravity,
        lands_check(tracks, instance, "ball", y_land, seen),
        hover_check(tracks, instance, names),
    ]


def half_height(body: Body) -> float:
    return float(body.size[1] / 2) if body.shape == "box" else float(body.radius)


def half_width(body: Body) -> float:
    return float(body.size[0] / 2) if body.shape == "box" else float(body.radius)


def support_gap(tracks: Tracks, instance: Instance, body: Body) -> np.ndarray:
    """Per frame, the height of ``body``'s bottom above the nearest surface under it: a
    wall's top or another object's top (inf: nothing under it)."""
    x, y = tracks.pos[body.name][:, 0], tracks.pos[body.name][:, 1]
    bottom, hw = y + half_height(body), half_width(body)
    gap = np.full(tracks.n, np.inf)

    def under(top: np.ndarray | float, x0: np.ndarray | float, x1: np.ndarray | float) -> None:
        below = (x + hw > x0) & (x - hw < x1) & (top >= bottom - 0.5 * half_height(body))
        np.minimum(gap, np.where(below, np.abs(top - bottom), np.inf), out=gap)

    for w in instance.spec.walls:
        th = w.thickness / 2
        under(min(w.a[1], w.b[1]) - th, min(w.a[0], w.b[0]) - th, max(w.a[0], w.b[0]) + th)
    for other in instance.spec.bodies:
        if other.name == body.name:
            continue
        q = tracks.pos[other.name]
        ow = half_width(other)
        if other.shape == "cup":  # what is inside stands on the cup's inner bottom
            inner, _, floor = cup_geometry(other)
            under(q[:, 1] + floor, q[:, 0] - inner, q[:, 0] + inner)
        else:
            under(q[:, 1] - half_height(other), q[:, 0] - ow, q[:, 0] + ow)
    return gap


def cup_geometry(cup: Body) -> tuple[float, float, float]:
    """Half the inner width, the rim's y and the inner bottom's y, in the cup's frame."""
    boxes = cup.boxes()
    rim = min(c[1] - size[1] / 2 for c, size in boxes)
    bottom = max(c[1] - size[1] / 2 for c, size in boxes)  # top face of the bottom piece
    return cup.size[0] / 2 - 2 * cup.radius, rim, bottom


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of every run of True in ``flags``."""
    edges = np.diff(np.concatenate([[0], flags.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def flights(s: Series, air: np.ndarray, size: float) -> list[tuple[int, int]]:
    """(start, stop) of each stretch of ``s`` in the air, split where it bounces (turns
    from going down to going up), even when no frame shows the contact."""
    y = s.y
    lows = {
        p
        for p in turning_points(y, LIFT * size)
        if 0 < p < len(y) - 1 and y[p] >= y[p - 1] and y[p] >= y[p + 1]
    }
    out = []
    for a, b in _runs(air):
        cuts = [a, *sorted(p for p in lows if a < p < b - 1), b]
        out += [(lo + (lo in lows), hi) for lo, hi in itertools.pairwise(cuts)]
    return out


def slowest_fall(t: np.ndarray, y: np.ndarray) -> tuple[float, int, int]:
    """The smallest downward acceleration fitted over any ``HOVER`` seconds of a flight,
    and the indices it spans (nan if the flight is too short)."""
    best = (float("nan"), 0, 0)
    for i in range(len(t)):
        j = int(np.searchsorted(t, t[i] + HOVER))
        if j >= len(t):
            break
        if j - i + 1 >= MIN_FIT_POINTS - 1:
            a = 2 * float(np.polyfit(t[i : j + 1], y[i : j + 1], 2)[0])
            if not a >= best[0]:
                best = (a, i, j)
    return best


def hover_check(tracks: Tracks, instance: Instance, names: list[str]) -> Check:
    """Nothing stays up in the air: over any ``HOVER`` seconds in which an object touches
    nothing under it, it falls with at least half of gravity."""
    size, g = scene_size(instance), instance.spec.gravity
    worst, note = 1.0, ""
    for name in names:
        body = instance.spec.body(name)
        s = series(tracks, name)
        air = support_gap(tracks, instance, body)[s.frames] > NEAR * size
        for a, b in flights(s, air, size):
            fall, i, j = slowest_fall(s.t[a:b], s.y[a:b])
            value = band(1.0 - fall / g, 0.5, 0.75) if np.isfinite(fall) else 1.0
            if value < worst:
                worst = value
                note = (
                    f"the {body.label} hangs in the air from frame {s.frames[a + i]} to"
                    f" {s.frames[a + j]}, touching nothing, without falling"
                    f" (downward acceleration {fall:.0f} px/s², gravity {g:.0f})"
                )
    return Check("no_hovering", worst, note)


def turning_points(y: np.ndarray, tol: float) -> list[int]:
    """Indices where ``y`` turns, keeping only swings larger than ``tol`` (alternately a
    lowest and a highest point; the last index is the extreme the track ends in)."""
    pivots: list[int] = []
    lo = hi = ext = 0
    direction = 0  # +1: y increasing (moving down the frame), -1: moving up
    for i in range(1, len(y)):
        if direction == 0:
            lo = i if y[i] < y[lo] else lo
            hi = i if y[i] > y[hi] else hi
            if y[hi] - y[lo] > tol:
                direction = 1 if hi > lo else -1
                pivots.append(min(lo, hi))
                ext = max(lo, hi)
        elif direction * (y[i] - y[ext]) >= 0:
            ext = i
        elif abs(y[i] - y[ext]) > tol:
            pivots.append(ext)
            direction, ext = -direction, i
    if direction != 0:
        pivots.append(ext)
    return pivots


def _rise_note(body: Body, rise: float, fall: float, touching: bool, frame: int, tol: float) -> str:
    who = f"the {body.label}"
    if not touching:
        return f"{who} turns and rises {rise:.0f} px in mid-air at frame {frame}, touching nothing"
    if fall <= tol:
        return f"{who} rises {rise:.0f} px from rest at frame {frame} with nothing pushing it up"
    return f"{who} bounces {rise:.0f} px up at frame {frame}, higher than the {fall:.0f} px it fell"


def no_rising_check(tracks: Tracks, instance: Instance, names: list[str]) -> Check:
    """Every rise starts where the object bounced off something, no higher than its fall."""
    size = scene_size(instance)
    tol = 0.02 * size
    worst, note = 1.0, ""
    for name in names:
        body = instance.spec.body(name)
        s = series(tracks, name)
        gap = support_gap(tracks, instance, body)[s.frames]
        piv = turning_points(s.y, tol)
        for k, (a, b) in enumerate(itertools.pairwise(piv)):
            rise = float(s.y[a] - s.y[b])
            if rise <= 0:
                continue
            a += int(np.flatnonzero(s.y[a : b + 1] >= s.y[a] - REST_PX)[-1])  # last still frame
            fall = float(s.y[a] - (s.y[piv[k - 1]] if k else s.y[: a + 1].min()))
            step = float(np.abs(np.diff(s.y[max(a - 1, 0) : a + 2])).max(initial=0.0))
            touching = bool(gap[a] <= NEAR * size + step)
            excess = rise - fall if touching else rise
            value = band(excess / size, 0.02, 0.05)
            if value < worst:
                worst = value
                note = _rise_note(body, rise, fall, touching, int(s.frames[a]), tol)
    return Check("no_rising", worst, note)


def no_levitation_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The no-levitation family's law checks, declared in ``tasks/commonsense/no_levitation.py``:
    nothing rises without a bounce (``no_rising``), the ball let go falls with the scene's
    gravity (``gravity``), the objects at rest stay put (``stays``) and nothing hangs in the
    air (``no_hovering``)."""
    spec = instance.spec
    ball = spec.body("ball")
    dynamic = [b.name for b in spec.bodies if b.body_type == "dynamic"]
    return [
        no_rising_check(tracks, instance, dynamic),
        fall_gravity(tracks, instance, "ball", Floor.of(spec).floor_y - ball.radius)[0],
        stays_check(tracks, instance, [n for n in dynamic if n != "ball"]),
        hover_check(tracks, instance, dynamic),
    ]
