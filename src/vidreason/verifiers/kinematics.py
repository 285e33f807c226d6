"""Law fits for bodies in free flight: gravity, parabolas, bounces.

``projectile_checks`` fits ``y(t)`` with a parabola (its curvature is gravity) and ``x(t)``
with a line; ``bounce_checks`` splits a track into ballistic arcs at floor contacts and
measures the contact time, the restitution (from the ratio of apex heights) and whether
the ball sinks into the floor. Ground truth goes through the same functions as the
video, so both are measured the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.geometry import scene_size
from vidreason.scene.params.physics import BounceParams
from vidreason.types import Body, Check, Instance
from vidreason.verifiers.checks import band, fail_all, gravity_note, gravity_value

MIN_FIT_POINTS = 6


@dataclass(frozen=True)
class ParabolaFit:
    g: float  # curvature of y(t) times 2, px/s^2 (positive: falling, y points down)
    rms: float  # residual of y(t) quadratic and x(t) linear fits, px
    coef_y: np.ndarray  # highest power first
    worst_frame: int


def fit_parabola(t: np.ndarray, x: np.ndarray, y: np.ndarray, frames: np.ndarray) -> ParabolaFit:
    cy = np.polyfit(t, y, 2)
    cx = np.polyfit(t, x, 1)
    res = np.hypot(y - np.polyval(cy, t), x - np.polyval(cx, t))
    return ParabolaFit(
        g=float(2 * cy[0]),
        rms=float(np.sqrt(np.mean(res**2))),
        coef_y=cy,
        worst_frame=int(frames[int(np.argmax(res))]),
    )


def local_accelerations(
    t: np.ndarray, y: np.ndarray, frames: np.ndarray, window: int = 11
) -> list[tuple[int, float]]:
    """Vertical acceleration fitted over each run of ``window`` frames: (middle frame, a)."""
    return [
        (
            int(frames[s + window // 2]),
            float(2 * np.polyfit(t[s : s + window], y[s : s + window], 2)[0]),
        )
        for s in range(0, len(t) - window + 1)
    ]


def gravity_check(
    body: Body, t: np.ndarray, y: np.ndarray, frames: np.ndarray, g: float, fit: ParabolaFit
) -> Check:
    """Gravity is the median of local accelerations (robust to a bounce or a stop inside
    the track); with too few frames for that, the curvature of the whole fit."""
    local = local_accelerations(t, y, frames)
    g_seen = float(np.median([a for _, a in local])) if len(local) >= 3 else fit.g
    value = gravity_value(g_seen, g)
    if value == 1.0:
        return Check("gravity", 1.0)
    what = gravity_note(f"the {body.label}", g_seen, g)
    wrong = [(f, a) for f, a in local if abs(a - g) > 0.35 * abs(g)]
    if wrong:
        frame, a = wrong[0][0], float(np.median([a for _, a in wrong]))
        if abs(a) < 0.1 * abs(g):
            what += f"; from frame {frame} it moves without falling"
        else:
            direction = "upward" if a < 0 else "downward"
            what += (
                f"; from frame {frame} it moves with {direction} acceleration {abs(a):.0f} px/s²"
            )
    return Check("gravity", value, what)


def _series(tracks: Tracks, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    found = np.flatnonzero(tracks.found(name))
    p = tracks.pos[name][found]
    return tracks.times[found], p[:, 0], p[:, 1], found


def projectile_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The projectile's law checks, declared in ``tasks/physics/projectile.py``: the ball falls
    with the scene's gravity (``gravity``, median of local accelerations) on a parabola
    (``parabola``, rms distance from the best fit). A ball found in too few frames fails both."""
    spec = instance.spec
    body = spec.bodies[0]
    t, x, y, frames = _series(tracks, body.name)
    if len(t) < max(MIN_FIT_POINTS, tracks.n // 2):
        why = f"cannot fit a path: the {body.label} is found in {len(t)} of {tracks.n} frames"
        return fail_all(("gravity", "parabola"), why)
    fit = fit_parabola(t, x, y, frames)
    size = scene_size(instance)
    parabola = band(fit.rms / size, 0.006, 0.02)
    note = ""
    if parabola < 1.0:
        note = (
            f"the {body.label}'s path is not a parabola: it strays {fit.rms:.1f} px"
            f" (rms) from the best fit, most at frame {fit.worst_frame}"
        )
    return [gravity_check(body, t, y, frames, spec.gravity, fit), Check("parabola", parabola, note)]


@dataclass(frozen=True)
class Bounces:
    contact_time: float  # first floor contact, s (nan if none)
    e: float  # restitution from apex heights, nan if not measurable
    first_arc: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # t, x, y, frames
    why: str = ""


def floor_lows(y: np.ndarray, y_contact: float, drop: float) -> list[int]:
    """Indices where a falling track turns back up near the floor (y points down): the
    lowest point of a bounce, followed by a rise of at least half a pixel."""
    near = y > y_contact - 0.35 * drop
    lows: list[int] = []
    for i in range(1, len(y) - 1):
        turns = y[i] > y[i - 1] and y[i] >= y[i + 1] and y[i] - y[i + 1 : i + 4].min() >= 0.5
        if near[i] and turns and (not lows or i - lows[-1] > 2):
            lows.append(i)
    return lows


def bounce_count(
    t: np.ndarray, y: np.ndarray, instance: Instance, body: Body, y_contact: float, drop: float
) -> Check:
    """Every bounce the simulator made while the clip runs (of a visible height) is seen,
    within two and a half frames of its time."""
    fps = instance.spec.fmt.fps
    gt = instance.trajectory.array(body.name)
    gt_lows = floor_lows(gt[:, 1], y_contact, drop)
    seen = t[floor_lows(y, y_contact, drop)]
    start = 0
    for k in gt_lows:
        rise = y_contact - gt[start : k + 1, 1].min()
        start = k
        when = k / fps
        if rise < 0.03 * instance.spec.fmt.height or when > t[-1] - 1.5 / fps:
            continue
        if not np.any(np.abs(seen - when) <= 2.5 / fps):
            return Check(
                "bounces", 0.0, f"the {body.label} does not bounce at frame {k} as it should"
            )
    return Check("bounces", 1.0)


def analyse_bounces(
    t: np.ndarray, x: np.ndarray, y: np.ndarray, frames: np.ndarray, y_contact: float, drop: float
) -> Bounces:
    """Split a falling-and-bouncing track into arcs at its lowest points near the floor."""
    empty = (t[:0], x[:0], y[:0], frames[:0])
    if len(t) < MIN_FIT_POINTS or float(np.ptp(y)) < 0.2 * drop:
        return Bounces(np.nan, np.nan, empty, "the ball does not fall")
    lows = floor_lows(y, y_contact, drop)
    if not lows:
        return Bounces(np.nan, np.nan, empty, "the ball never reaches the floor")
    k = lows[0]
    arc0 = slice(0, k)
    if k < MIN_FIT_POINTS - 2:
        return Bounces(
            np.nan, np.nan, empty, f"too few frames before the first bounce (frame {frames[k]})"
        )
    c0 = np.polyfit(t[arc0], y[arc0], 2)
    roots = np.roots(c0 - np.array([0.0, 0.0, y_contact]))
    real = sorted(
        r.real for r in roots if abs(r.imag) < 1e-9 and t[0] - 0.5 <= r.real <= t[k] + 0.5
    )
    contact = real[-1] if real else float(t[k])
    first_arc = (t[arc0], x[arc0], y[arc0], frames[arc0])
    end = lows[1] if len(lows) > 1 else len(t)
    arc1 = slice(k + 1, end)
    if end - (k + 1) < MIN_FIT_POINTS - 2:
        return Bounces(contact, np.nan, first_arc, "too few frames after the first bounce")
    c1 = np.polyfit(t[arc1], y[arc1], 2)
    if c1[0] <= 0:
        return Bounces(contact, np.nan, first_arc, "the ball does not fall back after the bounce")
    apex0 = min(float(np.polyval(c0, -c0[1] / (2 * c0[0]))) if c0[0] > 0 else y[0], y[0])
    apex1 = float(np.polyval(c1, -c1[1] / (2 * c1[0])))
    h0, h1 = y_contact - apex0, y_contact - apex1
    if h0 <= 0:
        return Bounces(contact, np.nan, first_arc, "the ball starts below its bounce point")
    e = float(np.sqrt(max(h1, 0.0) / h0))
    return Bounces(contact, e, first_arc)


def fall_check(body: Body, seen: Bounces, g: float) -> Check:
    """The first fall, up to the first bounce, has the scene's gravity (``gravity``)."""
    ta, xa, ya, fa = seen.first_arc
    if len(ta) < MIN_FIT_POINTS - 2:
        return Check("gravity", 0.0, f"cannot fit the fall: {seen.why or 'too few frames'}")
    return gravity_check(body, ta, ya, fa, g, fit_parabola(ta, xa, ya, fa))


def contact_time_check(body: Body, seen: Bounces, gt_contact: float, fps: int) -> Check:
    """The ball reaches the floor within a frame of the truth."""
    who = f"the {body.label}"
    if np.isnan(seen.contact_time):
        return Check("contact_time", 0.0, f"{who} never bounces on the floor: {seen.why}")
    off = abs(seen.contact_time - gt_contact) * fps
    note = ""
    if off > 1.0:
        note = (
            f"{who} reaches the floor at frame {seen.contact_time * fps:.1f},"
            f" not at frame {gt_contact * fps:.1f}"
        )
    return Check("contact_time", band(off, 1.0, 3.0), note)


def restitution_check(body: Body, seen: Bounces, truth: Bounces) -> Check:
    """The first bounce rises as high, relative to the fall, as the truth's."""
    if np.isnan(seen.e):
        return Check("restitution", 0.0, f"cannot measure the bounce: {seen.why}")
    err = abs(seen.e - truth.e)
    note = ""
    if err > 0.07:
        note = (
            f"the {body.label} bounces back with restitution {seen.e:.2f}, expected {truth.e:.2f}"
        )
    return Check("restitution", band(err, 0.07, 0.2), note)


def floor_check(
    body: Body, y: np.ndarray, frames: np.ndarray, y_contact: float, size: float
) -> Check:
    """The ball never sinks into the floor."""
    sink = float(y.max() - y_contact)
    note = ""
    if sink > 0.02 * size:
        note = (
            f"the {body.label} sinks {sink:.0f} px into the floor at frame"
            f" {frames[int(np.argmax(y))]}"
        )
    return Check("floor", band(sink / size, 0.02, 0.05), note)


def bounce_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The bounce family's law checks, declared in ``tasks/physics/bounce.py``: the first fall has
    the scene's gravity (``gravity``), the ball reaches the floor within a frame of the truth
    (``contact_time``), rebounds with the true restitution (``restitution``), bounces as often
    as the truth (``bounces``) and never sinks into the floor (``floor``). A ball found in
    fewer than half the frames fails all five."""
    spec = instance.spec
    body = spec.bodies[0]
    y_contact = BounceParams.of(spec).floor_y - body.radius
    drop = y_contact - body.position[1]
    t, x, y, frames = _series(tracks, body.name)
    if len(t) < max(MIN_FIT_POINTS, tracks.n // 2):
        why = f"cannot fit bounces: the {body.label} is found in {len(t)} of {tracks.n} frames"
        return fail_all(("gravity", "contact_time", "restitution", "bounces", "floor"), why)
    gt = instance.trajectory.array(body.name)
    gt_t = np.arange(len(gt)) / spec.fmt.fps
    truth = analyse_bounces(gt_t, gt[:, 0], gt[:, 1], np.arange(len(gt)), y_contact, drop)
    seen = analyse_bounces(t, x, y, frames, y_contact, drop)
    floor_hits = [e for e in instance.events if e.objects == tuple(sorted((body.name, "wall")))]
    gt_contact = floor_hits[0].time if floor_hits else truth.contact_time
    return [
        fall_check(body, seen, spec.gravity),
        contact_time_check(body, seen, gt_contact, spec.fmt.fps),
        restitution_check(body, seen, truth),
        bounce_count(t, y, instance, body, y_contact, drop),
        floor_check(body, y, frames, y_contact, scene_size(instance)),
    ]
