"""Law checks for the `trigger` family: the switch is pressed first, then the ball falls.

Events are read off the tracks the same way for the video and for the ground truth:

- the *press* is the first moment the striker's centre comes within its radius (plus a
  small tolerance) of the switch's box;
- a *motion onset* is the first moment an object is more than a few pixels from where it
  rested, and stays away.

Checks:

- ``rolls``: the striker rolls where and when the ground truth does (so that a striker
  that stops short, or rolls too fast or too slowly, is caught even where it never
  reaches the switch);
- ``press``: the striker reaches the switch when the ground truth says, or never if it
  never does;
- ``release``: the hatch and the ball start moving when the ground truth says (or never);
- ``cause_first``: neither the hatch nor the ball moves before the striker reaches the
  switch ("the blue ball starts moving at frame 9, before the red ball reaches the
  switch at frame 20");
- ``gravity`` / ``lands`` (when the ball is released): its fall has the scene's gravity
  and it reaches the floor on time (``verifiers/commonsense.py``).

Frame numbers in the notes are frames of the task (its frame rate), whatever the video's.
``trigger_outcome`` gives ``{"switch_pressed", "released"}`` from the same detectors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.geometry import box_distance, scene_size
from vidreason.scene.params.causal import TriggerParams
from vidreason.scene.trigger import MOVED
from vidreason.types import Check, Instance
from vidreason.verifiers.checks import band, gt_positions
from vidreason.verifiers.commonsense import Series, fall_gravity, lands_check, series, truth

TOUCH = 0.02  # gap (fraction of the frame) at which the striker counts as touching the switch
ONSET = 0.03  # distance (fraction of the frame) from rest at which an object counts as moving
PATH = (0.03, 0.06)  # striker off its true path (fraction of the frame): still right / wrong
TIMING = (1.5, 4.0)  # frames off the ground truth: still right / wrong
LEAD = (1.0, 3.0)  # frames an effect may start before its cause: tolerated / wrong
EFFECTS = ("hatch", "ball")


def _crossing(t: np.ndarray, v: np.ndarray, level: float) -> float | None:
    """The first time ``v`` falls to ``level``, interpolated between samples (None:
    never); it must stay there for the next sample too, so a one-frame glitch is no event."""
    below = v <= level
    for k in np.flatnonzero(below):
        if k + 1 < len(v) and not below[k + 1]:
            continue
        if k == 0:
            return float(t[0])
        u = (v[k - 1] - level) / (v[k - 1] - v[k])
        return float(t[k - 1] + u * (t[k] - t[k - 1]))
    return None


def touch_time(instance: Instance, s: Series) -> float | None:
    """When the striker of the samples ``s`` first touches the switch."""
    spec = instance.spec
    striker, switch = spec.body("striker"), spec.body("switch")
    gap = box_distance(s.x, s.y, switch, switch.position) - striker.radius
    return _crossing(s.t, gap, TOUCH * scene_size(instance))


def onset_time(instance: Instance, name: str, s: Series) -> float | None:
    """When the object of the samples ``s`` starts to move from where it rests."""
    x0, y0 = instance.spec.body(name).position
    away = np.hypot(s.x - x0, s.y - y0)
    return _crossing(s.t, -away, -ONSET * scene_size(instance))


def _frame(instance: Instance, t: float | None) -> str:
    return "?" if t is None else f"{t * instance.spec.fmt.fps:.0f}"


def rolls_check(tracks: Tracks, instance: Instance) -> Check:
    """The striker is where the ground truth has it in every frame it is seen."""
    who = f"the {instance.spec.body('striker').label}"
    found = np.flatnonzero(tracks.found("striker"))
    if len(found) == 0:
        return Check("rolls", 0.0, f"{who} is never seen")
    seen = tracks.pos["striker"][found]
    true = gt_positions(instance, "striker", tracks.times[found])
    off = np.hypot(*(seen - true).T)
    k = int(np.argmax(off))
    value = band(float(off[k]) / scene_size(instance), *PATH)
    note = (
        f"{who} is {off[k]:.0f} px from where it should be at frame"
        f" {_frame(instance, tracks.times[found[k]])}"
    )
    return Check("rolls", value, note if value < 1.0 else "")


def press_check(tracks: Tracks, instance: Instance) -> Check:
    """The striker presses the switch when the truth's does (or, like it, never)."""
    spec = instance.spec
    who, sw = f"the {spec.body('striker').label}", f"the {spec.body('switch').label}"
    seen = series(tracks, "striker")
    if len(seen) == 0:
        return Check("press", 0.0, f"{who} is never seen, so it cannot press {sw}")
    t_seen = touch_time(instance, seen)
    t_true = touch_time(instance, truth(instance, "striker"))
    if t_true is None and t_seen is None:
        return Check("press", 1.0)
    if t_true is None:
        return Check(
            "press",
            0.0,
            f"{who} reaches {sw} at frame {_frame(instance, t_seen)}, but it should never get there",
        )
    if t_seen is None:
        return Check(
            "press",
            0.0,
            f"{who} never reaches {sw} (it should at frame {_frame(instance, t_true)})",
        )
    value = band(abs(t_seen - t_true) * spec.fmt.fps, *TIMING)
    note = f"{who} reaches {sw} at frame {_frame(instance, t_seen)}, not {_frame(instance, t_true)}"
    return Check("press", value, note if value < 1.0 else "")


def release_check(tracks: Tracks, instance: Instance) -> Check:
    """The hatch and the ball start moving when the ground truth says, or never."""
    spec = instance.spec
    worst = Check("release", 1.0)
    for name in EFFECTS:
        who = f"the {spec.body(name).label}"
        seen = series(tracks, name)
        if len(seen) == 0:
            return Check("release", 0.0, f"{who} is never seen")
        t_seen = onset_time(instance, name, seen)
        t_true = onset_time(instance, name, truth(instance, name))
        if t_true is None and t_seen is None:
            continue
        if t_true is None:
            check = Check(
                "release",
                0.0,
                f"{who} starts moving at frame {_frame(instance, t_seen)}, but it should"
                " never move: the switch is never pressed",
            )
        elif t_seen is None:
            check = Check(
                "release",
                0.0,
                f"{who} never moves (it should start at frame {_frame(instance, t_true)})",
            )
        else:
            value = band(abs(t_seen - t_true) * spec.fmt.fps, *TIMING)
            check = Check(
                "release",
                value,
                f"{who} starts moving at frame {_frame(instance, t_seen)},"
                f" not {_frame(instance, t_true)}",
            )
        worst = min(worst, check, key=lambda c: c.value)
    return worst if worst.value < 1.0 else Check("release", 1.0)


def cause_first_check(tracks: Tracks, instance: Instance) -> Check:
    """No effect without its cause: nothing moves before the striker reaches the switch."""
    spec = instance.spec
    who, sw = f"the {spec.body('striker').label}", f"the {spec.body('switch').label}"
    pressed = touch_time(instance, series(tracks, "striker"))
    worst = Check("cause_first", 1.0)
    for name in EFFECTS:
        start = onset_time(instance, name, series(tracks, name))
        if start is None:
            continue
        what = f"the {spec.body(name).label} starts moving at frame {_frame(instance, start)}"
        if pressed is None:
            check = Check("cause_first", 0.0, f"{what}, but {who} never reaches {sw}")
        else:
            lead = (pressed - start) * spec.fmt.fps
            check = Check(
                "cause_first",
                band(lead, *LEAD),
                f"{what}, before {who} reaches {sw} at frame {_frame(instance, pressed)}",
            )
        worst = min(worst, check, key=lambda c: c.value)
    return worst if worst.value < 1.0 else Check("cause_first", 1.0)


def released_in_truth(instance: Instance) -> bool:
    s = instance.trajectory.xy("ball")
    return bool(np.hypot(*(s - s[0]).T).max() > MOVED)


def trigger_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The trigger family's law checks, declared in ``tasks/causal/trigger.py``: the striker
    follows its true path (``rolls``), the switch is pressed when the truth's is (``press``),
    the hatch and the ball start when the truth's do (``release``) and nothing moves before the
    press (``cause_first``); when the truth releases the ball, it also falls with the scene's
    gravity (``gravity``) and lands when the truth's does (``lands``)."""
    checks = [
        rolls_check(tracks, instance),
        press_check(tracks, instance),
        release_check(tracks, instance),
        cause_first_check(tracks, instance),
    ]
    if released_in_truth(instance):
        y_land = TriggerParams.of(instance.spec).floor_y - instance.spec.body("ball").radius
        gravity, seen = fall_gravity(tracks, instance, "ball", y_land)
        checks += [gravity, lands_check(tracks, instance, "ball", y_land, seen)]
    return checks


def trigger_outcome(tracks: Tracks, instance: Instance) -> dict[str, Any]:
    """Whether the striker reaches the switch and whether the ball leaves the hatch."""
    return _outcome(instance, series(tracks, "striker"), series(tracks, "ball"))


def expected_outcome(instance: Instance) -> dict[str, Any]:
    """The same facts from the simulator's trajectory."""
    return _outcome(instance, truth(instance, "striker"), truth(instance, "ball"))


def _outcome(instance: Instance, striker: Series, ball: Series) -> dict[str, Any]:
    pressed = touch_time(instance, striker)
    released = onset_time(instance, "ball", ball)
    return {"switch_pressed": pressed is not None, "released": released is not None}
