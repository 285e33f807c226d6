"""Law checks for a chain of toppling blocks: the right ones fall, in order, each after
the one before it reaches it, and the rest stay up.

Topples, motion onsets and contacts come from ``scene.events``, applied alike to the
video's tracks and to the simulator's trajectory, so the two are compared event by event:

- ``chain``: the blocks that fall over are those that fall in the ground truth, in the
  same order; a block past the gap that stops the chain stays standing;
- ``timing``: each block falls over at the time the ground truth says, within a tolerance
  that survives other frame rates and dropped frames but not a chain played too fast or
  too slow;
- ``cause``: no effect before its cause: a block does not start moving before the block
  that knocks it over has reached it, and a block that nothing reaches does not
  move at all;
- ``settle``: every block comes to rest where the ground truth leaves it;
- ``extras``: nothing appears that is not in the scene, not even something as small as a
  disc across a block's width (the shared ``objects`` check measures against the smallest
  body's area, which for thin blocks lets a small ball pass).

``chain_outcome`` gives the order in which blocks fell in a video, the fact a
counterfactual pair is judged by. To add a check, write ``(tracks, instance) -> Check``
and list it in ``dominoes_checks``.
"""

from __future__ import annotations

import itertools

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.events import Crossing, Motion, expected, onset, reach, topple
from vidreason.scene.geometry import half_diagonal, scene_size
from vidreason.types import Body, Check, Instance
from vidreason.verifiers.checks import band, camera_doubt, first_run, gt_positions

TIMING = (0.08, 0.2)  # topple time error tolerated / failed, s
REST = (0.02, 0.045)  # final position error tolerated / failed, fraction of the frame
REACH = 0.012  # a contact is seen this far (fraction of the frame) before the centres touch
SLACK = 0.1  # s: a block may seem to start this much before its cause reaches it
START = 0.12  # a block has started to move once its centre moved this many half-diagonals
STRAY = 0.25  # a block that nothing reaches must not move this many half-diagonals
EXTRA = 0.4  # an unknown blob (or a second blob of a key) this many block widths squared
RUN = 3  # ... seen in this many frames in a row is something that is not in the scene


def blocks(instance: Instance) -> list[Body]:
    """The chain's blocks from left to right (the order they are meant to fall in)."""
    return sorted(
        (b for b in instance.spec.bodies if b.shape == "box"), key=lambda b: b.position[0]
    )


def observed(tracks: Tracks, name: str, doubt: np.ndarray | None = None) -> Motion:
    """Body ``name``'s motion in the video; ``doubt``: per frame, how far its position
    may be off where the camera was not measured (``camera_doubt``)."""
    return Motion(times=np.asarray(tracks.times, dtype=float), xy=tracks.pos[name], doubt=doubt)


def threshold(block: Body) -> float:
    """Movement (px) that counts as a block starting to move."""
    return max(3.0, START * half_diagonal(block))


def causes(instance: Instance) -> dict[str, Body]:
    """What knocks each block over: the block before it (the first one is pushed)."""
    return {b.name: a for a, b in itertools.pairwise(blocks(instance))}


def topples(motions: dict[str, Motion], instance: Instance) -> dict[str, Crossing]:
    """The blocks that fall over in ``motions`` and when."""
    out = {}
    for b in blocks(instance):
        c = topple(motions[b.name], half_diagonal(b))
        if c is not None:
            out[b.name] = c
    return out


def _observed_motions(tracks: Tracks, instance: Instance) -> dict[str, Motion]:
    doubt = camera_doubt(tracks, instance)
    return {b.name: observed(tracks, b.name, doubt) for b in instance.spec.bodies}


def _expected_motions(instance: Instance) -> dict[str, Motion]:
    return {b.name: expected(instance, b.name) for b in instance.spec.bodies}


def fall_order(falls: dict[str, Crossing]) -> list[str]:
    return sorted(falls, key=lambda n: falls[n].time)


def chain_outcome(tracks: Tracks, instance: Instance) -> dict[str, list[str]]:
    """``{"fallen": [labels in the order the blocks fell]}`` as seen in a video."""
    falls = topples(_observed_motions(tracks, instance), instance)
    return {"fallen": [instance.spec.body(n).label for n in fall_order(falls)]}


def expected_outcome(instance: Instance) -> dict[str, list[str]]:
    """The same fact from the simulator's trajectory."""
    falls = topples(_expected_motions(instance), instance)
    return {"fallen": [instance.spec.body(n).label for n in fall_order(falls)]}


def chain_check(tracks: Tracks, instance: Instance) -> Check:
    """The blocks that fall over are the truth's, in its order."""
    seen = topples(_observed_motions(tracks, instance), instance)
    truth = topples(_expected_motions(instance), instance)
    for b in blocks(instance):
        if b.name in truth and b.name not in seen:
            return Check(
                "chain",
                0.0,
                f"the {b.label} should fall over at frame {truth[b.name].frame} but stays standing",
            )
        if b.name in seen and b.name not in truth:
            return Check(
                "chain",
                0.0,
                f"the {b.label} falls over at frame {seen[b.name].frame} but should stay"
                " standing: the chain stops before it",
            )
    order, want = fall_order(seen), fall_order(truth)
    for got, should in zip(order, want, strict=True):
        if got != should:
            a, b = instance.spec.body(got), instance.spec.body(should)
            return Check(
                "chain",
                0.0,
                f"the {a.label} falls over at frame {seen[got].frame}, before the {b.label}"
                f" (frame {seen[should].frame}) that should fall first",
            )
    return Check("chain", 1.0)


def timing_check(tracks: Tracks, instance: Instance) -> Check:
    """Each block falls over when the truth's does."""
    seen = topples(_observed_motions(tracks, instance), instance)
    truth = topples(_expected_motions(instance), instance)
    worst, note = 1.0, ""
    for name in sorted(set(seen) & set(truth)):
        # where the camera was not measured, any moment of the window it may have tipped in
        late, early = seen[name].time - truth[name].time, seen[name].first - truth[name].time
        err = early if early > 0 else min(late, 0.0)
        value = band(abs(err), *TIMING)
        if value < worst:
            worst = value
            when = "later" if err > 0 else "earlier"
            note = (
                f"the {instance.spec.body(name).label} falls over at frame {seen[name].frame},"
                f" {abs(err):.2f} s {when} than it should (frame {truth[name].frame})"
            )
    return Check("timing", worst, note)


def contact_distance(instance: Instance, cause: Body, block: Body) -> float | None:
    """How far (px) the centre of ``cause`` is from where ``block`` stood when they first
    touch in the ground truth; None if they never touch."""
    pair = tuple(sorted((cause.name, block.name)))
    hit = next((e for e in instance.events if e.objects == pair), None)
    if hit is None:
        return None
    p = gt_positions(instance, cause.name, np.array([hit.time]))[0]
    rest = expected(instance, block.name).rest()
    return float(np.hypot(*(p - rest)))


def cause_check(tracks: Tracks, instance: Instance) -> Check:
    """No block moves before its cause reaches it; a block nothing reaches stays put."""
    size = scene_size(instance)
    truth = topples(_expected_motions(instance), instance)
    by = causes(instance)
    doubt = camera_doubt(tracks, instance)
    for b in blocks(instance):
        path = observed(tracks, b.name, doubt)
        cause = by.get(b.name)
        if b.name not in truth:
            moved = onset(path, STRAY * half_diagonal(b))
            if moved is not None:
                return Check(
                    "cause",
                    0.0,
                    f"the {b.label} starts moving at frame {moved.frame}, but nothing reaches"
                    " it and it should stay still",
                )
            continue
        start = onset(path, threshold(b))
        distance = None if cause is None else contact_distance(instance, cause, b)
        if start is None or cause is None or distance is None:
            continue
        reached = reach(observed(tracks, cause.name, doubt), path.rest(), distance + REACH * size)
        if reached is None:
            return Check(
                "cause",
                0.0,
                f"the {b.label} starts moving at frame {start.frame}, but the {cause.label}"
                " never reaches it",
            )
        # surely moving before its cause may have reached it (an unmeasured camera: both
        # are known within a window)
        if start.time < reached.first - SLACK:
            return Check(
                "cause",
                0.0,
                f"the {b.label} starts moving at frame {start.frame}, before the"
                f" {cause.label} reaches it at frame {reached.frame}",
            )
    return Check("cause", 1.0)


def settle_check(tracks: Tracks, instance: Instance) -> Check:
    """Every block ends where the ground truth leaves it (the chain's final shape)."""
    size = scene_size(instance)
    worst, note = 1.0, ""
    for b in instance.spec.bodies:
        found = np.flatnonzero(tracks.found(b.name))
        if len(found) == 0:
            return Check("settle", 0.0, f"the {b.label} is not visible in any frame")
        k = int(found[-1])
        p = tracks.pos[b.name][k]
        g = gt_positions(instance, b.name, tracks.times[k : k + 1])[0]
        err = float(np.hypot(*(p - g)))
        value = band(err / size, *REST)
        if value < worst:
            worst = value
            note = (
                f"the {b.label} ends at ({p[0]:.0f}, {p[1]:.0f}) at frame {k}, {err:.0f} px"
                f" from where it should come to rest ({g[0]:.0f}, {g[1]:.0f})"
            )
    return Check("settle", worst, note)


def extras_check(tracks: Tracks, instance: Instance) -> Check:
    """No blob of a colour outside the scene, and no second blob of a body's colour,
    as big as a disc across the thinnest body."""
    limit = EXTRA * (2.0 * min(b.radius for b in instance.spec.bodies)) ** 2
    if tracks.unknown is not None:
        start = first_run(tracks.unknown >= limit, RUN)
        if start is not None:
            return Check(
                "extras", 0.0, f"something that is not in the scene appears at frame {start}"
            )
    for b in instance.spec.bodies:
        if tracks.second is None:
            break
        start = first_run(tracks.second[b.name] >= limit, RUN)
        if start is not None:
            return Check("extras", 0.0, f"a second {b.label} appears at frame {start}")
    return Check("extras", 1.0)


def dominoes_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The dominoes family's law checks, declared in ``tasks/causal/dominoes.py``: the blocks that
    fall are the truth's, in its order (``chain``), each topples when the truth's does
    (``timing``), none moves before its cause reaches it (``cause``), each comes to rest at its
    true place (``settle``) and nothing unknown appears (``extras``)."""
    return [
        chain_check(tracks, instance),
        timing_check(tracks, instance),
        cause_check(tracks, instance),
        settle_check(tracks, instance),
        extras_check(tracks, instance),
    ]
