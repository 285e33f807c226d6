"""Law checks for a perfectly inelastic collision along x: the bodies stick together.

``collisions.analyse_collision`` finds the contact and the velocities before and after
it. After the contact the two bodies must stay touching (``together``: neither bouncing
apart nor passing into each other), move at the common velocity
(m_a u_a + m_b u_b) / (m_a + m_b) of the ground truth in both halves of the time left
(so a pair that stops or speeds up later fails), and keep the momentum they had.
"""

from __future__ import annotations

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.params.physics import InelasticParams
from vidreason.types import Check, Instance
from vidreason.verifiers.checks import band, fail_all
from vidreason.verifiers.collisions import Hit, contact_time_check, momentum_check, observe_hit


def together_check(h: Hit) -> Check:
    """After they touch the balls stay touching: neither apart nor into each other."""
    side = np.sign(h.b.position[0] - h.a.position[0])
    gt_t = np.arange(len(h.gt_a)) / h.fps
    gap = (h.xb - h.xa) * side - np.interp(h.t, gt_t, (h.gt_b[:, 0] - h.gt_a[:, 0]) * side)
    after = h.t >= h.seen.time + 1.0 / h.fps
    if after.sum() < 2:
        return Check("together", 0.0, f"{h.pair} are not seen after they touch")
    k = int(np.flatnonzero(after)[np.argmax(np.abs(gap[after]))])
    worst = float(gap[k])
    value = band(abs(worst) / h.size, 0.02, 0.05)
    note = ""
    if value < 1.0:
        how = "separate again" if worst > 0 else "pass into each other"
        note = (
            f"{h.pair} {how} after touching at frame {h.idx[h.seen.frame]}:"
            f" {abs(worst):.0f} px {'apart' if worst > 0 else 'overlapping'} at frame"
            f" {h.idx[k]} (clay sticks: they must move on together)"
        )
    return Check("together", value, note)


def common_velocity_check(h: Hit, v_common: float) -> Check:
    """Both balls move at the common velocity in both halves of the time after the contact
    (so a pair that stops or speeds up later fails)."""
    post = np.flatnonzero(h.t >= h.seen.time + 1.0 / h.fps)
    halves = [post[: len(post) // 2], post[len(post) // 2 :]] if len(post) >= 8 else [post]
    slowest = (np.inf if len(post) < 2 else 0.0, h.a, np.nan, 0)
    for part in halves if len(post) >= 2 else []:
        for body, x in ((h.a, h.xa), (h.b, h.xb)):
            v = float(np.polyfit(h.t[part], x[part], 1)[0]) if len(part) >= 2 else np.nan
            err = abs(v - v_common) / h.scale if np.isfinite(v) else np.inf
            if err > slowest[0]:
                slowest = (err, body, v, int(h.idx[part[0]]))
    err, body, v, frame = slowest
    note = ""
    if len(post) < 2:
        note = f"{h.pair} are not seen moving on after they touch"
    elif err > 0.1:
        note = (
            f"after the collision (from frame {frame}) the {body.label} moves at {v:.0f} px/s,"
            f" not at the common velocity {v_common:.0f} px/s"
        )
    return Check("common_velocity", band(err, 0.1, 0.3), note)


def inelastic_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The inelastic collision's law checks, declared in ``tasks/physics/inelastic_collision.py``:
    the clay balls touch within a frame of the truth (``contact_time``), move on stuck together
    (``together``) at the common velocity (``common_velocity``) and keep their total momentum
    (``momentum``). A pair not seen together in half the frames, or that never touches, fails
    all four."""
    hit = observe_hit(tracks, instance)
    if isinstance(hit, str):
        return fail_all(("contact_time", "together", "common_velocity", "momentum"), hit)
    v_common = InelasticParams.of(instance.spec).common_velocity
    return [
        contact_time_check(hit),
        together_check(hit),
        common_velocity_check(hit, v_common),
        momentum_check(hit),
    ]
