"""Law checks for a perfectly inelastic collision along x: the bodies stick together.

``collisions.analyse_collision`` finds the contact and the velocities before and after
it. After the contact the two bodies must stay touching (``together``: neither bouncing
apart nor passing into each other), move at the common velocity
(m_a u_a + m_b u_b) / (m_a + m_b) of the ground truth in both halves of the time left
(so a pair that stops or speeds up later fails), and keep the momentum they had.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.geometry import scene_size
from vidreason.types import Check, Instance
from vidreason.verifiers.checks import band, fail_all
from vidreason.verifiers.collisions import analyse_collision
from vidreason.verifiers.tracking import Tracks


def inelastic_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The inelastic collision's law checks, declared in ``tasks/physics/inelastic_collision.py``:
    the clay balls touch within a frame of the truth (``contact_time``), move on stuck together
    (``together``) at the common velocity (``common_velocity``) and keep their total momentum
    (``momentum``). A pair not seen together in half the frames, or that never touches, fails
    all four."""
    spec = instance.spec
    a, b = spec.bodies[0], spec.bodies[1]
    fps = spec.fmt.fps
    size = scene_size(instance)
    reach = a.radius + b.radius
    names = ("contact_time", "together", "common_velocity", "momentum")
    idx = np.flatnonzero(tracks.found(a.name) & tracks.found(b.name))
    if len(idx) < tracks.n // 2 or len(idx) < 8:
        why = f"cannot follow both balls: seen together in {len(idx)} of {tracks.n} frames"
        return fail_all(names, why)
    t = tracks.times[idx]
    xa, xb = tracks.pos[a.name][idx, 0], tracks.pos[b.name][idx, 0]
    seen = analyse_collision(t, xa, xb, reach, size)
    pair = f"the {a.colour_name} and {b.colour_name} balls"
    if np.isnan(seen.time):
        why = f"{pair} never collide ({seen.why})"
        return fail_all(names, why)

    gt_a = np.asarray(instance.trajectory.states[a.name], dtype=float)
    gt_b = np.asarray(instance.trajectory.states[b.name], dtype=float)
    hits = [e for e in instance.events if e.objects == tuple(sorted((a.name, b.name)))]
    gt_time = hits[0].time
    ua, ub = gt_a[0, 2], gt_b[0, 2]
    v_common = spec.params["common_velocity"]
    scale = abs(ua - ub)
    checks = []

    off = abs(seen.time - gt_time) * fps
    note = ""
    if off > 1:
        note = f"{pair} touch at frame {seen.time * fps:.1f}, not at frame {gt_time * fps:.1f}"
    checks.append(Check("contact_time", band(off, 1.0, 3.0), note))

    side = np.sign(b.position[0] - a.position[0])
    gt_t = np.arange(len(gt_a)) / fps
    gap = (xb - xa) * side - np.interp(t, gt_t, (gt_b[:, 0] - gt_a[:, 0]) * side)
    after = t >= seen.time + 1.0 / fps
    if after.sum() < 2:
        checks.append(Check("together", 0.0, f"{pair} are not seen after they touch"))
    else:
        k = int(np.flatnonzero(after)[np.argmax(np.abs(gap[after]))])
        worst = float(gap[k])
        value = band(abs(worst) / size, 0.02, 0.05)
        note = ""
        if value < 1.0:
            how = "separate again" if worst > 0 else "pass into each other"
            note = (
                f"{pair} {how} after touching at frame {idx[seen.frame]}:"
                f" {abs(worst):.0f} px {'apart' if worst > 0 else 'overlapping'} at frame"
                f" {idx[k]} (clay sticks: they must move on together)"
            )
        checks.append(Check("together", value, note))

    post = np.flatnonzero(after)
    halves = [post[: len(post) // 2], post[len(post) // 2 :]] if len(post) >= 8 else [post]
    slowest = (np.inf if len(post) < 2 else 0.0, a, np.nan, 0)
    for part in halves if len(post) >= 2 else []:
        for body, x in ((a, xa), (b, xb)):
            v = float(np.polyfit(t[part], x[part], 1)[0]) if len(part) >= 2 else np.nan
            err = abs(v - v_common) / scale if np.isfinite(v) else np.inf
            if err > slowest[0]:
                slowest = (err, body, v, int(idx[part[0]]))
    err, body, v, frame = slowest
    note = ""
    if len(post) < 2:
        note = f"{pair} are not seen moving on after they touch"
    elif err > 0.1:
        note = (
            f"after the collision (from frame {frame}) the {body.label} moves at {v:.0f} px/s,"
            f" not at the common velocity {v_common:.0f} px/s"
        )
    checks.append(Check("common_velocity", band(err, 0.1, 0.3), note))

    p_pre = a.mass * seen.pre[0] + b.mass * seen.pre[1]
    p_post = a.mass * seen.post[0] + b.mass * seen.post[1]
    drift = abs(p_post - p_pre) / (a.mass * abs(ua) + b.mass * abs(ub))
    note = ""
    if drift > 0.08:
        note = (
            f"momentum changes by {drift:.0%} in the collision at frame {idx[seen.frame]}"
            f" (it must be conserved)"
        )
    checks.append(Check("momentum", band(drift, 0.08, 0.25), note))
    return checks
