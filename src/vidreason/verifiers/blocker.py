"""Law checks for the `blocker` family: a wall stops the ball, no block moves on its own.

Events (*reach*, *onset*, *fall*) are read from positions the same way on the video's
tracks and on the ground truth (``scene/blocker.py``), so the two can be compared frame
for frame.

Checks:

- ``solid``: the ball never passes through the wall nor overlaps it (``contact.py``);
- ``cause``: no block starts moving before its cause reaches it (the ball for the first
  block, the first block for the second), and a block nothing reaches never moves (the
  second block stands out of the first one's reach, so it never moves);
- ``falls``: each block falls when the ground truth says it does (within a few frames)
  and stands when it says it stands;
- ``contact``: the ball first reaches what it should hit (the wall or the first block)
  when the ground truth says so;
- ``gravity``: the ball's flight until it first touches something has the scene's
  gravity (``kinematics.py``);
- ``rolls``: the ball keeps rolling through the last third of the clip as far as in the
  ground truth.

``blocker_outcome`` gives what happened: whether the wall stopped the ball, whether the
ball hit the first block and which blocks fell. To add a check, write a function
``(tracks, instance) -> Check`` and list it in ``blocker_checks``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.blocker import Motion, fall, onset, reach, targets, truth_motion, wall
from vidreason.scene.geometry import box_distance, scene_size
from vidreason.types import Body, Check, Instance
from vidreason.verifiers.checks import band, gt_positions
from vidreason.verifiers.contact import OVERLAP, crossing
from vidreason.verifiers.kinematics import fit_parabola, gravity_check

EARLY = 1.5  # frames a block may seem to move before its cause reaches it
TIMING = (2.5, 5.0)  # frames off the ground truth tolerated / failed
FLIGHT_POINTS = 4  # samples of the flight needed to fit its gravity
ROLL = 0.35  # relative error of the ball's last-third travel tolerated (failed at twice)
ROLL_PX = 0.01  # but at least this fraction of the frame is tolerated


def video_motion(tracks: Tracks, instance: Instance) -> Motion:
    return Motion(tracks.times, tracks.pos, float(instance.spec.fmt.fps))


def _causes(instance: Instance) -> list[tuple[Body, Body]]:
    """(cause, block) pairs: the ball knocks the first block, each block the next."""
    spec = instance.spec
    tall = targets(spec)
    return list(zip([spec.body("ball"), *tall[:-1]], tall, strict=True))


def solid_check(tracks: Tracks, instance: Instance) -> Check:
    """The thrown ball never passes through the wall (when the scene has one)."""
    spec = instance.spec
    block = wall(spec)
    if block is None:
        return Check("solid", 1.0)
    thrown = spec.body("ball")
    through = crossing(tracks, thrown, block)
    if through is not None:
        return Check(
            "solid",
            0.0,
            f"the {thrown.label} passes through the {block.label} between frames"
            f" {through[0]} and {through[1]}",
        )
    p = tracks.pos["ball"]
    depth = -(box_distance(p[:, 0], p[:, 1], block, block.position) - thrown.radius)
    depth = np.where(np.isnan(depth), -np.inf, depth)
    k = int(np.argmax(depth))
    value = band(float(depth[k]) / scene_size(instance), *OVERLAP)
    note = (
        f"the {thrown.label} goes {depth[k]:.0f} px into the {block.label} at frame {k}"
        if np.isfinite(depth[k])
        else f"the {thrown.label} is never found, so nothing shows it keeps out of the"
        f" {block.label}"
    )
    return Check("solid", value, note if value < 1.0 else "")


def cause_check(tracks: Tracks, instance: Instance) -> Check:
    """No block moves before what should knock it reaches it."""
    motion = video_motion(tracks, instance)
    for cause, block in _causes(instance):
        start = onset(motion, instance, block.name)
        if start is None:
            continue
        hit = reach(motion, instance, cause.name, block.name)
        if hit is None:
            why = f"although the {cause.label} never reaches it"
        elif tracks.times[start] < tracks.times[hit] - EARLY / motion.fps:
            why = f"before the {cause.label} reaches it at frame {hit}"
        else:
            continue
        return Check("cause", 0.0, f"the {block.label} starts moving at frame {start}, {why}")
    return Check("cause", 1.0)


def falls_check(tracks: Tracks, instance: Instance) -> Check:
    """Each block falls if and when the ground truth says so, and only then."""
    motion, gt = video_motion(tracks, instance), truth_motion(instance)
    worst = Check("falls", 1.0)
    for block in targets(instance.spec):
        seen, true = fall(motion, block), fall(gt, block)
        if true is None and seen is not None:
            return Check(
                "falls", 0.0, f"the {block.label} falls at frame {seen} but should stay standing"
            )
        if true is not None and seen is None:
            return Check(
                "falls",
                0.0,
                f"the {block.label} should fall over (at frame {true}) but never does",
            )
        if true is None or seen is None:
            continue
        off = abs(tracks.times[seen] - gt.t[true]) * gt.fps
        value = band(off, *TIMING)
        if value < worst.value:
            worst = Check(
                "falls",
                value,
                f"the {block.label} falls at {tracks.times[seen]:.2f} s (frame {seen}), not at"
                f" {gt.t[true]:.2f} s (frame {true})",
            )
    return worst


def contact_check(tracks: Tracks, instance: Instance) -> Check:
    """The ball reaches the first thing it hits (the wall or the first block) on time."""
    spec = instance.spec
    thrown = spec.body("ball")
    struck = wall(spec) or targets(spec)[0]
    gt = truth_motion(instance)
    true = reach(gt, instance, "ball", struck.name)
    if true is None:  # pragma: no cover - every scene is drawn with this contact
        return Check("contact", 1.0)
    seen = reach(video_motion(tracks, instance), instance, "ball", struck.name)
    if seen is None:
        return Check(
            "contact",
            0.0,
            f"the {thrown.label} never reaches the {struck.label} (it should at frame {true})",
        )
    off = abs(tracks.times[seen] - gt.t[true]) * gt.fps
    value = band(off, *TIMING)
    note = (
        f"the {thrown.label} reaches the {struck.label} at {tracks.times[seen]:.2f} s"
        f" (frame {seen}), not at {gt.t[true]:.2f} s (frame {true})"
    )
    return Check("contact", value, note if value < 1.0 else "")


def rolls_check(tracks: Tracks, instance: Instance) -> Check:
    """The ball travels as far in the last third of the clip as in the ground truth."""
    thrown = instance.spec.body("ball")
    t0 = 2 * instance.spec.fmt.duration / 3
    found = np.flatnonzero(tracks.found("ball"))
    late = found[tracks.times[found] >= t0]
    if len(late) < 2:
        frame = round(t0 * instance.spec.fmt.fps)
        return Check("rolls", 0.0, f"the {thrown.label} is not seen after frame {frame}")
    a, b = int(late[0]), int(late[-1])
    p = tracks.pos["ball"]
    q = gt_positions(instance, "ball", tracks.times[[a, b]])
    expected = float(np.hypot(*(q[1] - q[0])))
    seen = float(np.hypot(*(p[b] - p[a])))
    good = max(ROLL * expected, ROLL_PX * scene_size(instance))
    value = band(abs(seen - expected), good, 2.0 * good)
    note = (
        f"the {thrown.label} moves {seen:.0f} px between frames {a} and {b},"
        f" not the {expected:.0f} px it should"
    )
    return Check("rolls", value, note if value < 1.0 else "")


def flight_check(tracks: Tracks, instance: Instance) -> Check:
    """The ball's flight until it first touches something (in the ground truth) has the
    scene's gravity."""
    thrown = instance.spec.body("ball")
    fps = instance.spec.fmt.fps
    hit = min(e.time for e in instance.events if "ball" in e.objects)
    found = np.flatnonzero(tracks.found("ball") & (tracks.times < hit - 0.5 / fps))
    if len(found) < FLIGHT_POINTS:
        return Check(
            "gravity",
            0.0,
            f"cannot fit the flight of the {thrown.label}: it is seen in {len(found)} frames"
            f" before it should first touch something at frame {round(hit * fps)}",
        )
    p = tracks.pos["ball"][found]
    t = tracks.times[found]
    fit = fit_parabola(t, p[:, 0], p[:, 1], found)
    return gravity_check(thrown, t, p[:, 1], found, instance.spec.gravity, fit)


def blocker_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The blocker's law checks, declared in ``tasks/causal/blocker.py`` (``FAMILY.checks``): the
    thrown ball never passes through the wall (``solid``), no block moves before its cause
    reaches it (``cause``), each block falls or stands as in the truth (``falls``), the ball
    reaches the wall or first block when it should (``contact``), flies with the scene's
    gravity until then (``gravity``) and travels on at the end as the truth's does (``rolls``)."""
    return [
        solid_check(tracks, instance),
        cause_check(tracks, instance),
        falls_check(tracks, instance),
        contact_check(tracks, instance),
        flight_check(tracks, instance),
        rolls_check(tracks, instance),
    ]


def blocker_outcome(tracks: Tracks, instance: Instance) -> dict[str, Any]:
    """What a video shows: stopped by the wall, first block hit, blocks fallen."""
    return _outcome(video_motion(tracks, instance), instance)


def expected_outcome(instance: Instance) -> dict[str, Any]:
    """The same facts from the simulator's trajectory."""
    return _outcome(truth_motion(instance), instance)


def _outcome(motion: Motion, instance: Instance) -> dict[str, Any]:
    spec = instance.spec
    block = wall(spec)
    first = targets(spec)[0]
    fallen = sorted(t.label for t in targets(spec) if fall(motion, t) is not None)
    return {
        "ball_blocked": block is not None
        and reach(motion, instance, "ball", block.name) is not None,
        "target_hit": reach(motion, instance, "ball", first.name) is not None,
        "fallen": fallen,
    }
