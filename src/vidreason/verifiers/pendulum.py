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
from dataclasses import dataclass

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.geometry import scene_size
from vidreason.scene.params.physics import PendulumParams
from vidreason.types import Check, Instance
from vidreason.verifiers.checks import band, cannot_follow, fail_all

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


NAMES = ("rod", "period", "swings", "amplitude")


@dataclass(frozen=True)
class Swing:
    """A video's bob and the ground truth's, as angles about the pivot, with their passes
    under it (what every pendulum check reads)."""

    who: str  # "the red pendulum bob"
    fps: int
    length: float  # the rod's length (px)
    found: np.ndarray  # frames where the bob is found
    t: np.ndarray  # their times (s)
    phi: np.ndarray  # the bob's angle there
    dist: np.ndarray  # and its distance from the pivot
    end: float  # the video's last time
    gt_t: np.ndarray
    gt_phi: np.ndarray
    seen: np.ndarray  # times of the video's passes under the pivot
    truth: np.ndarray  # and of the ground truth's

    @property
    def period(self) -> float:
        """The ground truth's period (s)."""
        return 2 * float(np.mean(np.diff(self.truth)))


def swing(tracks: Tracks, instance: Instance, found: np.ndarray) -> Swing:
    """The bob's swing as the video (in frames ``found``) and the ground truth show it."""
    spec = instance.spec
    joint = spec.joints[0]
    body = spec.body(joint.body)
    pivot = joint.anchor
    t = tracks.times[found]
    phi, dist = angles(tracks.pos[body.name][found], pivot)
    gt = instance.trajectory.array(body.name)
    gt_t = np.arange(len(gt)) / spec.fmt.fps
    gt_phi, _ = angles(gt[:, :2], pivot)
    level = HYSTERESIS * PendulumParams.of(spec).amplitude
    return Swing(
        who=f"the {body.label}",
        fps=spec.fmt.fps,
        length=float(np.hypot(body.position[0] - pivot[0], body.position[1] - pivot[1])),
        found=found,
        t=t,
        phi=phi,
        dist=dist,
        end=float(tracks.times[-1]),
        gt_t=gt_t,
        gt_phi=gt_phi,
        seen=crossings(t, phi, level),
        truth=crossings(gt_t, gt_phi, level),
    )


def rod_check(s: Swing, size: float) -> Check:
    """The bob stays at the rod's length from the pivot."""
    dev = np.abs(s.dist - s.length)
    k = int(np.argmax(dev))
    value = band(float(np.percentile(dev, 90)) / size, 0.02, 0.05)
    note = ""
    if value < 1.0:
        note = (
            f"{s.who} does not stay on its rod: it is {s.dist[k]:.0f} px from the pivot at frame"
            f" {s.found[k]}, not {s.length:.0f} px"
        )
    return Check("rod", value, note)


def period_check(s: Swing) -> Check:
    """Twice the mean time between passes under the pivot is the true period."""
    p_true = s.period
    p_seen = 2 * float(np.mean(np.diff(s.seen)))
    rel = abs(p_seen - p_true) / p_true
    value = band(rel, 0.05, 0.15)
    note = ""
    if value < 1.0:
        kind = "longer" if p_seen > p_true else "shorter"
        note = (
            f"{s.who} swings with a period of {p_seen:.2f} s, {rel:.0%} {kind} than the"
            f" {p_true:.2f} s that gravity gives a pendulum {s.length:.0f} px long"
        )
    return Check("period", value, note)


def swings_check(s: Swing) -> Check:
    """As many passes under the pivot as the truth, each near its true time."""
    seen, truth, fps = s.seen, s.truth, s.fps
    expected = truth[truth <= s.end - 1.5 / fps]  # a pass right at the end may be cut off
    matched = [float(np.min(np.abs(seen - c))) for c in expected]
    if len(seen) > len(truth) or len(seen) < len(expected):
        note = f"{s.who} passes under the pivot {len(seen)} times, but it should {len(truth)} times"
        return Check("swings", 0.0, note)
    off = max(matched) / s.period if matched else 0.0
    value = band(off, 0.06, 0.15)
    note = ""
    if value < 1.0:
        k = int(np.argmax(matched))
        closest = seen[np.argmin(np.abs(seen - expected[k]))]
        note = (
            f"{s.who} passes under the pivot at frame {closest * fps:.1f},"
            f" not at frame {expected[k] * fps:.1f}"
        )
    return Check("swings", value, note)


def amplitude_check(s: Swing) -> Check:
    """Each half-swing rises as high as the truth's."""
    a_seen, a_true = peaks(s.t, s.phi, s.seen), peaks(s.gt_t, s.gt_phi, s.truth)
    pairs = [
        (ts, seen, g)
        for (ts, seen), (_, g) in zip(a_seen, a_true, strict=False)
        if np.isfinite(seen) and np.isfinite(g)
    ]
    if not pairs:
        return Check("amplitude", 0.0, f"cannot measure how high {s.who} swings")
    errs = [abs(seen - g) / g for _, seen, g in pairs]
    i = int(np.argmax(errs))
    when, s_amp, g_amp = pairs[i]
    value = band(errs[i], 0.08, 0.2)
    note = ""
    if value < 1.0:
        kind = "higher" if s_amp > g_amp else "lower"
        note = (
            f"{s.who} swings up to {np.degrees(s_amp):.0f}° around frame {when * s.fps:.0f},"
            f" {kind} than the {np.degrees(g_amp):.0f}° it should reach"
        )
    return Check("amplitude", value, note)


def pendulum_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The pendulum's law checks, declared in ``tasks/physics/pendulum.py``: the bob stays at the
    rod's length from the pivot (``rod``), swings with the true period (``period``), as many
    times as the truth (``swings``) and with the true amplitude (``amplitude``). A bob followed
    in too few frames fails all four, one that never swings the last three."""
    body = instance.spec.body(instance.spec.joints[0].body)
    found = np.flatnonzero(tracks.found(body.name))
    if len(found) < max(8, tracks.n // 2):
        return fail_all(NAMES, cannot_follow(body, len(found), tracks.n))
    s = swing(tracks, instance, found)
    rod = rod_check(s, scene_size(instance))
    if len(s.seen) < 2:
        why = (
            f"{s.who} does not swing back and forth: it passes under the pivot {len(s.seen)}"
            f" times, not {len(s.truth)}"
        )
        return [rod, *fail_all(NAMES[1:], why)]
    return [rod, period_check(s), swings_check(s), amplitude_check(s)]
