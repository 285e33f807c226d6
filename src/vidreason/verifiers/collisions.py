"""Law checks for two bodies colliding head-on along x.

The contact is where the gap between the two discs, extrapolated from their approach,
closes; velocities before and after come from line fits away from the contact; momentum
``m_a v_a + m_b v_b`` must be the same before and after, and the velocities after must
match the ground truth (which fixes the restitution).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.geometry import scene_size
from vidreason.types import Body, Check, Instance
from vidreason.verifiers.checks import band, fail_all

TOUCH = 0.03  # gap, as a fraction of the frame, counted as touching


@dataclass(frozen=True)
class Collision:
    time: float  # s; nan when the bodies never touch
    frame: int  # first frame at which they touch
    pre: tuple[float, float]  # x velocities before, px/s
    post: tuple[float, float]  # x velocities after, px/s
    why: str = ""


def _slope(t: np.ndarray, x: np.ndarray) -> float:
    return float(np.polyfit(t, x, 1)[0]) if len(t) >= 2 else np.nan


def analyse_collision(
    t: np.ndarray, xa: np.ndarray, xb: np.ndarray, reach: float, size: float
) -> Collision:
    """Contact time and velocities of two tracks sampled at the same times ``t``."""
    gap = np.abs(xb - xa) - reach
    touching = np.flatnonzero(gap <= TOUCH * size)
    if len(touching) == 0:
        k = int(np.argmin(gap))
        return Collision(np.nan, k, (np.nan,) * 2, (np.nan,) * 2, f"closest {gap[k]:.0f} px apart")
    k = int(touching[0])
    pre = slice(0, max(k - 1, 0))
    post = slice(min(k + 2, len(t)), len(t))
    if pre.stop < 3 or len(t) - post.start < 3:
        return Collision(
            np.nan, k, (np.nan,) * 2, (np.nan,) * 2, "too few frames around the contact"
        )
    va, vb = _slope(t[pre], xa[pre]), _slope(t[pre], xb[pre])
    ca, cb = np.polyfit(t[pre], xa[pre], 1), np.polyfit(t[pre], xb[pre], 1)
    rel = (cb[0] - ca[0]) * np.sign(xb[0] - xa[0])
    g0 = abs(cb[1] - ca[1]) - reach
    time = float(-g0 / rel) if rel < 0 else float(t[k])
    post_v = (_slope(t[post], xa[post]), _slope(t[post], xb[post]))
    return Collision(time, k, (va, vb), post_v)


@dataclass(frozen=True)
class Hit:
    """Two balls meeting along x, as a video shows them (frames ``idx``, where both are
    found) and as the ground truth does."""

    a: Body
    b: Body
    fps: int
    size: float  # the scene's size (px)
    idx: np.ndarray
    t: np.ndarray  # times of ``idx``
    xa: np.ndarray  # the balls' x there
    xb: np.ndarray
    seen: Collision  # the video's contact and velocities
    gt_a: np.ndarray  # the ground truth's states
    gt_b: np.ndarray
    gt_time: float  # the ground truth's contact time

    @property
    def pair(self) -> str:
        return f"the {self.a.colour_name} and {self.b.colour_name} balls"

    @property
    def scale(self) -> float:
        """The true approach speed (px/s), what velocity errors are measured against."""
        return abs(self.gt_a[0, 2] - self.gt_b[0, 2])


def observe_hit(tracks: Tracks, instance: Instance) -> Hit | str:
    """The collision of the scene's first two bodies, or why it cannot be measured (both
    balls seen together in too few frames, or never touching)."""
    spec = instance.spec
    a, b = spec.bodies[0], spec.bodies[1]
    size = scene_size(instance)
    idx = np.flatnonzero(tracks.found(a.name) & tracks.found(b.name))
    if len(idx) < tracks.n // 2 or len(idx) < 8:
        return f"cannot follow both balls: seen together in {len(idx)} of {tracks.n} frames"
    t = tracks.times[idx]
    xa, xb = tracks.pos[a.name][idx, 0], tracks.pos[b.name][idx, 0]
    hits = [e for e in instance.events if e.objects == tuple(sorted((a.name, b.name)))]
    hit = Hit(
        a=a,
        b=b,
        fps=spec.fmt.fps,
        size=size,
        idx=idx,
        t=t,
        xa=xa,
        xb=xb,
        seen=analyse_collision(t, xa, xb, a.radius + b.radius, size),
        gt_a=instance.trajectory.array(a.name),
        gt_b=instance.trajectory.array(b.name),
        gt_time=hits[0].time,
    )
    if np.isnan(hit.seen.time):
        return f"{hit.pair} never collide ({hit.seen.why})"
    return hit


def contact_time_check(h: Hit) -> Check:
    """The balls touch within a frame of the truth."""
    off = abs(h.seen.time - h.gt_time) * h.fps
    note = ""
    if off > 1:
        note = (
            f"{h.pair} touch at frame {h.seen.time * h.fps:.1f}, not at frame"
            f" {h.gt_time * h.fps:.1f}"
        )
    return Check("contact_time", band(off, 1.0, 3.0), note)


def velocities_check(h: Hit) -> Check:
    """Both balls leave the collision with their true velocities."""
    gt_post = (h.gt_a[-1, 2], h.gt_b[-1, 2])
    errs = [abs(h.seen.post[i] - gt_post[i]) / h.scale for i in range(2)]
    worst = int(np.argmax(errs))
    body = (h.a, h.b)[worst]
    note = ""
    if errs[worst] > 0.1:
        note = (
            f"after the collision (frame {h.idx[h.seen.frame]}) the {body.label} moves at"
            f" {h.seen.post[worst]:.0f} px/s, expected {gt_post[worst]:.0f} px/s"
        )
    return Check("velocities", band(errs[worst], 0.1, 0.3), note)


def momentum_check(h: Hit) -> Check:
    """The total momentum along x is the same before and after the collision."""
    a, b = h.a, h.b
    p_pre = a.mass * h.seen.pre[0] + b.mass * h.seen.pre[1]
    p_post = a.mass * h.seen.post[0] + b.mass * h.seen.post[1]
    drift = abs(p_post - p_pre) / (a.mass * abs(h.gt_a[0, 2]) + b.mass * abs(h.gt_b[0, 2]))
    note = ""
    if drift > 0.08:
        note = (
            f"momentum changes by {drift:.0%} in the collision at frame {h.idx[h.seen.frame]}"
            " (it must be conserved)"
        )
    return Check("momentum", band(drift, 0.08, 0.25), note)


def collision_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The elastic collision's law checks, declared in ``tasks/physics/collision.py``: the two
    balls touch within a frame of the truth (``contact_time``), leave with the true velocities
    (``velocities``) and keep their total momentum (``momentum``). A pair not seen together in
    half the frames, or that never touches, fails all three."""
    hit = observe_hit(tracks, instance)
    if isinstance(hit, str):
        return fail_all(("contact_time", "velocities", "momentum"), hit)
    return [contact_time_check(hit), velocities_check(hit), momentum_check(hit)]
