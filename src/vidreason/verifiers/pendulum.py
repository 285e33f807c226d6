"""Law checks for a pendulum: rod length, period, swing timing and amplitude.

The bob's track is turned into an angle ``φ`` about the pivot (0 straight down). Each pass
under the pivot is a zero crossing of ``φ`` (with hysteresis, so noise at one end of a
swing is not a pass), interpolated between frames; the period is twice the mean time
between passes. Each full half-swing between two passes has a peak ``|φ|``, refined by a
parabola through the three samples around it. The ground truth goes through the same
functions, so damping and the large-amplitude period are measured, not assumed.
"""

from __future__ import annotations

import itertools

import numpy as np

from vidreason.scene.geometry import scene_size
from vidreason.types import Check, Instance
from vidreason.verifiers.checks import band, cannot_follow, fail_all
from vidreason.verifiers.tracking import Tracks

HYSTERESIS = 0.15  # of the release angle: |φ| below this does not count as a side


def angles(xy: np.ndarray, pivot: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Angle from straight down (positive to the right) and distance from the pivot."""
    dx, dy = xy[:, 0] - pivot[0], xy[:, 1] - pivot[1]
    return np.arctan2(dx, dy), np.hypot(dx, dy)


def crossings(t: np.ndarray, phi: np.ndarray, level: float) -> np.ndarray:
    """Times at which ``phi`` passes zero going from beyond ``-level`` to beyond ``level``
    or back."""
    sides = np.flatnonzero(np.abs(phi) > level)
    out = []
    for i, k in itertools.pairwise(sides):
        if np.sign(phi[i]) == np.sign(phi[k]):
            continue
        for m in range(i, k):
            if phi[m] == 0 or np.sign(phi[m]) != np.sign(phi[m + 1]):
                out.append(t[m] + (t[m + 1] - t[m]) * phi[m] / (phi[m] - phi[m + 1]))
                break
    return np.asarray(out, dtype=float)


def peaks(t: np.ndarray, phi: np.ndarray, passes: np.ndarray) -> list[tuple[float, float]]:
    """Time and largest |φ| of each full half-swing between consecutive passes."""
    out = []
    a = np.abs(phi)
    for t0, t1 in itertools.pairwise(passes):
        idx = np.flatnonzero((t > t0) & (t < t1))
        if len(idx) == 0:
            out.append((float(t0), np.nan))
            continue
        j = int(idx[np.argmax(a[idx])])
        y = a[j]
        if 0 < j < len(a) - 1:
            y0, y1, y2 = a[j - 1], a[j], a[j + 1]
            curv = y0 - 2 * y1 + y2
            if curv < 0:
                y = y1 - (y2 - y0) ** 2 / (8 * curv)
        out.append((float(t[j]), float(y)))
    return out


def pendulum_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The pendulum's law checks, declared in ``tasks/physics/pendulum.py``: the bob stays at the
    rod's length from the pivot (``rod``), swings with the true period (``period``), as many
    times as the truth (``swings``) and with the true amplitude (``amplitude``). A bob followed
    in too few frames fails all four."""
    spec = instance.spec
    joint = spec.joints[0]
    body = spec.body(joint.body)
    fps = spec.fmt.fps
    pivot = joint.anchor
    length = float(np.hypot(body.position[0] - pivot[0], body.position[1] - pivot[1]))
    names = ("rod", "period", "swings", "amplitude")
    found = np.flatnonzero(tracks.found(body.name))
    if len(found) < max(8, tracks.n // 2):
        return fail_all(names, cannot_follow(body, len(found), tracks.n))
    t = tracks.times[found]
    phi, dist = angles(tracks.pos[body.name][found], pivot)
    gt = np.asarray(instance.trajectory.states[body.name], dtype=float)
    gt_t = np.arange(len(gt)) / fps
    gt_phi, _ = angles(gt[:, :2], pivot)
    level = HYSTERESIS * spec.params["amplitude"]
    seen, truth = crossings(t, phi, level), crossings(gt_t, gt_phi, level)
    size = scene_size(instance)
    who = f"the {body.label}"
    checks = []

    dev = np.abs(dist - length)
    k = int(np.argmax(dev))
    value = band(float(np.percentile(dev, 90)) / size, 0.02, 0.05)
    note = ""
    if value < 1.0:
        note = (
            f"{who} does not stay on its rod: it is {dist[k]:.0f} px from the pivot at frame"
            f" {found[k]}, not {length:.0f} px"
        )
    checks.append(Check("rod", value, note))

    p_true = 2 * float(np.mean(np.diff(truth)))
    if len(seen) < 2:
        why = (
            f"{who} does not swing back and forth: it passes under the pivot {len(seen)}"
            f" times, not {len(truth)}"
        )
        return [*checks, *fail_all(("period", "swings", "amplitude"), why)]
    p_seen = 2 * float(np.mean(np.diff(seen)))
    rel = abs(p_seen - p_true) / p_true
    value = band(rel, 0.05, 0.15)
    note = ""
    if value < 1.0:
        kind = "longer" if p_seen > p_true else "shorter"
        note = (
            f"{who} swings with a period of {p_seen:.2f} s, {rel:.0%} {kind} than the"
            f" {p_true:.2f} s that gravity gives a pendulum {length:.0f} px long"
        )
    checks.append(Check("period", value, note))

    end = tracks.times[-1]
    expected = truth[truth <= end - 1.5 / fps]  # a pass right at the end may be cut off
    matched = [float(np.min(np.abs(seen - c))) for c in expected]
    extra = len(seen) - len(truth)
    if extra > 0 or len(seen) < len(expected):
        value = 0.0
        note = f"{who} passes under the pivot {len(seen)} times, but it should {len(truth)} times"
    else:
        off = max(matched) / p_true if matched else 0.0
        value = band(off, 0.06, 0.15)
        note = ""
        if value < 1.0:
            k = int(np.argmax(matched))
            closest = seen[np.argmin(np.abs(seen - expected[k]))]
            note = (
                f"{who} passes under the pivot at frame {closest * fps:.1f},"
                f" not at frame {expected[k] * fps:.1f}"
            )
    checks.append(Check("swings", value, note))

    a_seen, a_true = peaks(t, phi, seen), peaks(gt_t, gt_phi, truth)
    pairs = [
        (ts, s, g)
        for (ts, s), (_, g) in zip(a_seen, a_true, strict=False)
        if np.isfinite(s) and np.isfinite(g)
    ]
    if not pairs:
        checks.append(Check("amplitude", 0.0, f"cannot measure how high {who} swings"))
        return checks
    errs = [abs(s - g) / g for _, s, g in pairs]
    i = int(np.argmax(errs))
    when, s_amp, g_amp = pairs[i]
    value = band(errs[i], 0.08, 0.2)
    note = ""
    if value < 1.0:
        kind = "higher" if s_amp > g_amp else "lower"
        note = (
            f"{who} swings up to {np.degrees(s_amp):.0f}° around frame {when * fps:.0f},"
            f" {kind} than the {np.degrees(g_amp):.0f}° it should reach"
        )
    checks.append(Check("amplitude", value, note))
    return checks
