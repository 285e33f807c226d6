"""Law checks for two bodies colliding head-on along x.

The contact is where the gap between the two discs, extrapolated from their approach,
closes; velocities before and after come from line fits away from the contact; momentum
``m_a v_a + m_b v_b`` must be the same before and after, and the velocities after must
match the ground truth (which fixes the restitution).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidreason.scene.geometry import scene_size
from vidreason.types import Check, Instance
from vidreason.verifiers.checks import band, fail_all
from vidreason.verifiers.tracking import Tracks

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


def collision_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The elastic collision's law checks, declared in ``tasks/physics/collision.py``: the two
    balls touch within a frame of the truth (``contact_time``), leave with the true velocities
    (``velocities``) and keep their total momentum (``momentum``). A pair not seen together in
    half the frames, or that never touches, fails all three."""
    spec = instance.spec
    a, b = spec.bodies[0], spec.bodies[1]
    fps = spec.fmt.fps
    size = scene_size(instance)
    names = ("contact_time", "velocities", "momentum")
    both = tracks.found(a.name) & tracks.found(b.name)
    idx = np.flatnonzero(both)
    if len(idx) < tracks.n // 2 or len(idx) < 8:
        return fail_all(
            names, f"cannot follow both balls: seen together in {len(idx)} of {tracks.n} frames"
        )
    t = tracks.times[idx]
    seen = analyse_collision(
        t, tracks.pos[a.name][idx, 0], tracks.pos[b.name][idx, 0], a.radius + b.radius, size
    )

    gt_a = np.asarray(instance.trajectory.states[a.name], dtype=float)
    gt_b = np.asarray(instance.trajectory.states[b.name], dtype=float)
    hits = [e for e in instance.events if e.objects == tuple(sorted((a.name, b.name)))]
    gt_time = hits[0].time
    gt_pre = (gt_a[0, 2], gt_b[0, 2])
    gt_post = (gt_a[-1, 2], gt_b[-1, 2])
    scale = abs(gt_pre[0] - gt_pre[1])
    p_scale = a.mass * abs(gt_pre[0]) + b.mass * abs(gt_pre[1])
    pair = f"the {a.colour_name} and {b.colour_name} balls"

    if np.isnan(seen.time):
        why = f"{pair} never collide ({seen.why})"
        return fail_all(names, why)
    checks = []
    off = abs(seen.time - gt_time) * fps
    note = (
        f"{pair} touch at frame {seen.time * fps:.1f}, not at frame {gt_time * fps:.1f}"
        if off > 1
        else ""
    )
    checks.append(Check("contact_time", band(off, 1.0, 3.0), note))

    errs = [abs(seen.post[i] - gt_post[i]) / scale for i in range(2)]
    worst = int(np.argmax(errs))
    body = (a, b)[worst]
    note = ""
    if errs[worst] > 0.1:
        note = (
            f"after the collision (frame {idx[seen.frame]}) the {body.label} moves at"
            f" {seen.post[worst]:.0f} px/s, expected {gt_post[worst]:.0f} px/s"
        )
    checks.append(Check("velocities", band(errs[worst], 0.1, 0.3), note))

    p_pre = a.mass * seen.pre[0] + b.mass * seen.pre[1]
    p_post = a.mass * seen.post[0] + b.mass * seen.post[1]
    drift = abs(p_post - p_pre) / p_scale
    note = ""
    if drift > 0.08:
        note = f"momentum changes by {drift:.0%} in the collision at frame {idx[seen.frame]} (it must be conserved)"
    checks.append(Check("momentum", band(drift, 0.08, 0.25), note))
    return checks
