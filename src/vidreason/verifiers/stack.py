"""Law checks for a block dropped onto a tower: the drop, who falls and where, the end.

The last body of the scene is the dropped block; the others form the tower, bottom first.
``landing`` times the drop onto the tower top (a parabola through the free fall, as in
``free_fall``) and ``gravity`` fits it. ``outcome`` sorts every block into *stays* (it
ends within half a block of where it rests on the tower) or *falls left/right*, in the
video and in the ground truth, and they must agree; ``arrangement`` compares where each
block comes to rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.geometry import scene_size
from vidreason.scene.params.physics import StackParams
from vidreason.scene.stack import outcomes
from vidreason.types import Body, Check, Instance, SceneSpec
from vidreason.verifiers.checks import band, fail_all
from vidreason.verifiers.free_fall import MIN_FALL_POINTS, analyse_fall, fall_gravity


def _drop_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The dropped block's ``gravity`` (one parabola through its fall) and ``landing`` (within a
    frame of the truth), as declared in ``tasks/physics/stack.py``."""
    spec = instance.spec
    fps = spec.fmt.fps
    size = scene_size(instance)
    top = spec.bodies[-1]
    y_land = StackParams.of(spec).land_y
    found = np.flatnonzero(tracks.found(top.name))
    if len(found) < MIN_FALL_POINTS:
        why = f"cannot follow the dropped {top.label}: found in {len(found)} frames"
        return fail_all(("gravity", "landing"), why)
    fall = analyse_fall(
        tracks.times[found], tracks.pos[top.name][found], found, y_land, size, "the tower"
    )
    gt = instance.trajectory.array(top.name)
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


@dataclass(frozen=True)
class Ending:
    """Where each block is last seen (blocks seen until near the end), and the truth's."""

    final: dict[str, tuple[float, float]]  # the video's last position of each block seen
    last: dict[str, int]  # and the frame it is seen there
    missing: list[Body]  # blocks not seen near the end
    truth: dict[str, tuple[float, ...]]  # the ground truth's final positions

    @property
    def gone(self) -> str:
        if not self.missing:
            return ""
        return (
            f"the {self.missing[0].label} is not visible at the end, so where it comes to rest"
            " is unknown"
        )


def ending(tracks: Tracks, instance: Instance) -> Ending:
    """Each block's last position in the video, when seen until near the end."""
    final: dict[str, tuple[float, float]] = {}
    last: dict[str, int] = {}
    missing = []
    for b in instance.spec.bodies:
        found = np.flatnonzero(tracks.found(b.name))
        if len(found) == 0 or found[-1] < tracks.n - max(2, tracks.n // 10):
            missing.append(b)
            continue
        last[b.name] = int(found[-1])
        final[b.name] = tuple(tracks.pos[b.name][found[-1]])
    truth = {b.name: instance.trajectory.states[b.name][-1][:2] for b in instance.spec.bodies}
    return Ending(final, last, missing, truth)


def outcome_check(end: Ending, spec: SceneSpec) -> Check:
    """Each block seen at the end stays on the tower or falls to the side the truth's does;
    a block not seen at the end fails."""
    seen, truth = outcomes(spec, end.final), outcomes(spec, end.truth)
    wrong = [b for b in spec.bodies if b.name in end.final and seen[b.name] != truth[b.name]]
    note = end.gone
    if wrong:
        b = wrong[0]
        should = str(truth[b.name]).replace("falls", "fall").replace("stays", "stay")
        note = f"the {b.label} {seen[b.name]}, but it should {should}"
    return Check("outcome", 0.0 if wrong or end.missing else 1.0, note)


def arrangement_check(end: Ending, spec: SceneSpec, size: float) -> Check:
    """Every block comes to rest where the truth's does."""
    if end.missing:
        return Check("arrangement", 0.0, end.gone)
    errs = {
        b.name: float(np.hypot(*np.subtract(end.final[b.name], end.truth[b.name])))
        for b in spec.bodies
    }
    b = max(spec.bodies, key=lambda body: errs[body.name])
    value = band(errs[b.name] / size, 0.04, 0.1)
    note = ""
    if value < 1.0:
        (x, y), (gx, gy) = end.final[b.name], end.truth[b.name]
        note = (
            f"the {b.label} ends at ({x:.0f}, {y:.0f}) in frame {end.last[b.name]},"
            f" {errs[b.name]:.0f} px from where it comes to rest ({gx:.0f}, {gy:.0f})"
        )
    return Check("arrangement", value, note)


def stack_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The stack family's law checks, declared in ``tasks/physics/stack.py``: the dropped block
    falls with the scene's gravity and lands when the truth does (``gravity``, ``landing``, see
    ``_drop_checks``), each block stays or falls as in the truth (``outcome``) and comes to
    rest where the truth's does (``arrangement``)."""
    end = ending(tracks, instance)
    return [
        *_drop_checks(tracks, instance),
        outcome_check(end, instance.spec),
        arrangement_check(end, instance.spec, scene_size(instance)),
    ]
