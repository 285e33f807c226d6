"""Law checks for a block dropped onto a tower: the drop, who falls and where, the end.

The last body of the scene is the dropped block; the others form the tower, bottom first.
``landing`` times the drop onto the tower top (a parabola through the free fall, as in
``free_fall``) and ``gravity`` fits it. ``outcome`` sorts every block into *stays* (it
ends within half a block of where it rests on the tower) or *falls left/right*, in the
video and in the ground truth, and they must agree; ``arrangement`` compares where each
block comes to rest.
"""

from __future__ import annotations

import numpy as np

from vidreason.scene.geometry import scene_size
from vidreason.scene.stack import outcomes
from vidreason.types import Check, Instance
from vidreason.verifiers.checks import band, fail_all
from vidreason.verifiers.free_fall import MIN_FALL_POINTS, analyse_fall, fall_gravity
from vidreason.verifiers.tracking import Tracks


def _drop_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The dropped block's ``gravity`` (one parabola through its fall) and ``landing`` (within a
    frame of the truth), as declared in ``tasks/physics/stack.py``."""
    spec = instance.spec
    fps = spec.fmt.fps
    size = scene_size(instance)
    top = spec.bodies[-1]
    y_land = spec.params["land_y"]
    found = np.flatnonzero(tracks.found(top.name))
    if len(found) < MIN_FALL_POINTS:
        why = f"cannot follow the dropped {top.label}: found in {len(found)} frames"
        return fail_all(("gravity", "landing"), why)
    fall = analyse_fall(
        tracks.times[found], tracks.pos[top.name][found], found, y_land, size, "the tower"
    )
    gt = np.asarray(instance.trajectory.states[top.name], dtype=float)
    n = np.arange(len(gt))
    truth = analyse_fall(n / fps, gt[:, :2], n, y_land, size).landing
    gravity = fall_gravity(top, fall, spec.gravity)
    if np.isnan(fall.landing):
        return [gravity, Check("landing", 0.0, f"the dropped {top.label} never lands: {fall.why}")]
    off = abs(fall.landing - truth) * fps
    note = ""
    if off > 1.0:
        note = (
            f"the dropped {top.label} lands on the tower at frame {fall.landing * fps:.1f},"
            f" not at frame {truth * fps:.1f}"
        )
    return [gravity, Check("landing", band(off, 1.0, 3.0), note)]


def stack_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The stack family's law checks, declared in ``tasks/physics/stack.py``: the dropped block
    falls with the scene's gravity and lands when the truth does (``gravity``, ``landing``, see
    ``_drop_checks``), each block stays or falls as in the truth (``outcome``) and comes to
    rest where the truth's does (``arrangement``)."""
    spec = instance.spec
    size = scene_size(instance)
    checks = _drop_checks(tracks, instance)
    final: dict[str, tuple[float, float]] = {}
    last: dict[str, int] = {}
    missing = []
    for b in spec.bodies:
        found = np.flatnonzero(tracks.found(b.name))
        if len(found) == 0 or found[-1] < tracks.n - max(2, tracks.n // 10):
            missing.append(b)
            continue
        last[b.name] = int(found[-1])
        final[b.name] = tuple(tracks.pos[b.name][found[-1]])
    gone = ""
    if missing:
        gone = (
            f"the {missing[0].label} is not visible at the end, so where it comes to rest"
            " is unknown"
        )
    truth_final = {b.name: instance.trajectory.states[b.name][-1][:2] for b in spec.bodies}
    seen, truth = outcomes(spec, final), outcomes(spec, truth_final)
    wrong = [b for b in spec.bodies if b.name in final and seen[b.name] != truth[b.name]]
    note = gone
    if wrong:
        b = wrong[0]
        should = str(truth[b.name]).replace("falls", "fall").replace("stays", "stay")
        note = f"the {b.label} {seen[b.name]}, but it should {should}"
    checks.append(Check("outcome", 0.0 if wrong or missing else 1.0, note))

    if missing:
        checks.append(Check("arrangement", 0.0, gone))
        return checks
    errs = {
        b.name: float(np.hypot(*np.subtract(final[b.name], truth_final[b.name])))
        for b in spec.bodies
    }
    b = max(spec.bodies, key=lambda body: errs[body.name])
    value = band(errs[b.name] / size, 0.04, 0.1)
    note = ""
    if value < 1.0:
        (x, y), (gx, gy) = final[b.name], truth_final[b.name]
        note = (
            f"the {b.label} ends at ({x:.0f}, {y:.0f}) in frame {last[b.name]},"
            f" {errs[b.name]:.0f} px from where it comes to rest ({gx:.0f}, {gy:.0f})"
        )
    checks.append(Check("arrangement", value, note))
    return checks
