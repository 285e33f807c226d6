"""Law checks for events in a stated order: balls let go one after another land in turn.

Each ball hangs still until it is let go, falls straight down and lands on the floor; the
ground truth fixes when each one lands, so the order of the landings is fixed too. A
landing is read off a track as the first time the ball's centre comes within ``LAND``
of its resting height on the floor (interpolated between frames), for the video and for
the ground truth alike.

- ``count``: every ball is in view in every frame (nothing here is ever hidden);
- ``size``: each ball keeps its colour and size (its blob stays near its true area);
- ``rest``: no ball leaves its start before it is let go;
- ``landing``: every ball lands, each within ``TIME`` of when it should;
- ``order``: the balls land in the ground-truth order, each clearly after the one before;
- ``gravity``: each ball falls with the scene's gravity once let go (shared tolerance,
  ``checks.GRAVITY``).

To add a check, write a function ``(tracks, instance) -> Check`` and add it to
``order_checks``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.geometry import scene_size
from vidreason.scene.params.temporal import OrderParams
from vidreason.types import Body, Check, Instance
from vidreason.verifiers.checks import band, first_run
from vidreason.verifiers.commonsense import Series, fall_gravity, series, truth

LAND = 0.03  # fraction of the frame above its resting height where a ball counts as landed
MOVE = 0.03  # fraction of the frame a ball must leave its start by to count as moving
TIME = (0.12, 0.3)  # seconds off its true landing time: tolerated / failed
EARLY = (0.15, 0.3)  # seconds a ball may seem to leave its start early: tolerated / failed
SPACING = (0.5, 0.75)  # 1 - (observed gap / true gap) between successive landings
AREA = (0.4, 2.2)  # a blob outside this share of the true area is another size
MISSING_RUN = 2  # frames in a row a ball may not go missing for
SIZE_RUN = 3  # frames in a row a ball may not have another size for


@dataclass(frozen=True)
class Landing:
    """When a ball lands: the time (s, interpolated) and the first frame it is down."""

    time: float
    frame: int


def balls(instance: Instance) -> list[Body]:
    return [b for b in instance.spec.bodies if b.shape == "circle"]


def _level(instance: Instance, ball: Body) -> float:
    """The height (px, y down) a ball's centre must reach to count as landed."""
    rest = OrderParams.of(instance.spec).floor_y - ball.radius
    return rest - LAND * scene_size(instance)


def first_landing(s: Series, level: float) -> Landing | None:
    """The first time the samples of ``s`` go down through ``level``, or None."""
    below = np.flatnonzero(s.y >= level)
    if len(below) == 0:
        return None
    i = int(below[0])
    if i == 0:
        return Landing(float(s.t[0]), int(s.frames[0]))
    y0, y1 = float(s.y[i - 1]), float(s.y[i])
    u = (level - y0) / (y1 - y0) if y1 > y0 else 1.0
    t = float(s.t[i - 1] + u * (s.t[i] - s.t[i - 1]))
    return Landing(t, int(s.frames[i]))


def observed_landings(tracks: Tracks, instance: Instance) -> dict[str, Landing | None]:
    return {
        b.name: first_landing(series(tracks, b.name), _level(instance, b)) for b in balls(instance)
    }


def true_landings(instance: Instance) -> dict[str, Landing | None]:
    return {
        b.name: first_landing(truth(instance, b.name), _level(instance, b)) for b in balls(instance)
    }


def landing_order(landings: dict[str, Landing | None]) -> list[str]:
    """Names of the balls that land, earliest first."""
    down = [(v.time, name) for name, v in landings.items() if v is not None]
    return [name for _, name in sorted(down)]


def order_outcome(tracks: Tracks, instance: Instance) -> dict[str, list[str]]:
    """The labels of the balls in the order they land in a video."""
    landings = observed_landings(tracks, instance)
    return {"order": [instance.spec.body(n).label for n in landing_order(landings)]}


def expected_outcome(instance: Instance) -> dict[str, list[str]]:
    """The same fact from the simulator's trajectory."""
    landings = true_landings(instance)
    return {"order": [instance.spec.body(n).label for n in landing_order(landings)]}


def count_check(tracks: Tracks, instance: Instance) -> Check:
    """Every ball is in view in every frame: none may vanish (nothing here hides one)."""
    shown = balls(instance)
    for i in range(tracks.n):
        missing = [b for b in shown if not tracks.found(b.name)[i]]
        if not missing:
            continue
        for b in missing:
            if first_run(~tracks.found(b.name)[i:], MISSING_RUN) == 0:
                return Check(
                    "count",
                    0.0,
                    f"only {len(shown) - len(missing)} of the {len(shown)} balls are in view at"
                    f" frame {i}: the {b.label} is gone",
                )
    return Check("count", 1.0)


def size_check(tracks: Tracks, instance: Instance) -> Check:
    """Each ball keeps its size: its colour blob stays near the area it should have."""
    for b in balls(instance):
        found = tracks.found(b.name)
        ratio = np.where(found, tracks.area[b.name] / b.area, 1.0)
        odd = (ratio < AREA[0]) | (ratio > AREA[1])
        start = first_run(odd, SIZE_RUN)
        if start is not None:
            return Check(
                "size",
                0.0,
                f"the {b.label} is {ratio[start]:.1f} times its size at frame {start}",
            )
    return Check("size", 1.0)


def _departure(s: Series, start: tuple[float, float], far: float) -> tuple[float, int] | None:
    """Time and frame of the first of two samples in a row more than ``far`` px from
    ``start`` (the time interpolated to where it passes ``far``), or None."""
    d = np.hypot(s.x - start[0], s.y - start[1])
    away = d > far
    i = first_run(away, 2) if len(d) > 1 else None
    if i is None:
        return None
    if i == 0:
        return float(s.t[0]), int(s.frames[0])
    u = (far - d[i - 1]) / (d[i] - d[i - 1]) if d[i] > d[i - 1] else 1.0
    return float(s.t[i - 1] + u * (s.t[i] - s.t[i - 1])), int(s.frames[i])


def rest_check(tracks: Tracks, instance: Instance) -> Check:
    """No ball leaves its start before it is let go."""
    far = MOVE * scene_size(instance)
    fps = instance.spec.fmt.fps
    worst, note = 1.0, ""
    for b in balls(instance):
        gt = truth(instance, b.name)
        due = _departure(gt, (gt.x[0], gt.y[0]), far)
        due_t = due[0] if due else float("inf")
        s = series(tracks, b.name)
        if len(s) == 0:
            continue  # count already fails
        left = _departure(s, (s.x[0], s.y[0]), far)
        if left is None:
            continue  # a ball that never falls never lands: landing fails
        value = band(due_t - left[0], *EARLY)
        if value < worst:
            worst = value
            release = float(OrderParams.of(instance.spec).release[b.name])
            when = (
                f"it is let go only at frame {round(release * fps)}"
                if release <= instance.spec.fmt.duration
                else "it is never let go"
            )
            note = f"the {b.label} starts to move at frame {left[1]}, but {when}"
    return Check("rest", worst, note)


def landing_check(tracks: Tracks, instance: Instance) -> Check:
    """Every ball lands, each close to when it should."""
    seen, due = observed_landings(tracks, instance), true_landings(instance)
    fps = instance.spec.fmt.fps
    worst, note = 1.0, ""
    for b in balls(instance):
        want, got = due[b.name], seen[b.name]
        if want is None:  # pragma: no cover - every ball lands in the ground truth
            continue
        if got is None:
            return Check("landing", 0.0, f"the {b.label} never reaches the floor")
        value = band(abs(got.time - want.time), *TIME)
        if value < worst:
            worst = value
            word = "early" if got.time < want.time else "late"
            note = (
                f"the {b.label} lands at frame {got.frame}, {abs(got.time - want.time):.2f} s"
                f" too {word} (it should land at frame {round(want.time * fps)})"
            )
    return Check("landing", worst, note)


def order_check(tracks: Tracks, instance: Instance) -> Check:
    """The balls land in the true order, each clearly after the one before it."""
    observed, expected = observed_landings(tracks, instance), true_landings(instance)
    label = {b.name: b.label for b in balls(instance)}
    want = landing_order(expected)
    missing = [n for n in want if observed[n] is None]
    if missing:
        return Check("order", 0.0, f"the order cannot be seen: the {label[missing[0]]} never lands")
    seen = {n: v for n, v in observed.items() if v is not None}
    due = {n: v.time for n, v in expected.items() if v is not None}
    worst, note = 1.0, ""
    for a, b in itertools.pairwise(want):
        gap = due[b] - due[a]
        value = band(1.0 - (seen[b].time - seen[a].time) / gap, *SPACING)
        if value >= worst:
            continue
        worst = value
        if seen[b].time < seen[a].time:
            note = (
                f"the {label[b]} lands at frame {seen[b].frame}, before the {label[a]}"
                f" (frame {seen[a].frame}), which should land first"
            )
        else:
            note = (
                f"the {label[a]} and the {label[b]} land at nearly the same time (frames"
                f" {seen[a].frame} and {seen[b].frame}); the {label[b]} should land"
                f" {gap:.2f} s after the {label[a]}"
            )
    return Check("order", worst, note)


def gravity_check(tracks: Tracks, instance: Instance) -> Check:
    """Each ball falls freely with the scene's gravity once let go (the weakest ball's
    fit counts): a clip whose balls land in the right order under the wrong gravity
    still breaks the physics the order comes from."""
    floor_y = OrderParams.of(instance.spec).floor_y
    checks = [
        fall_gravity(tracks, instance, b.name, floor_y - b.radius)[0] for b in balls(instance)
    ]
    return min(checks, key=lambda c: c.value, default=Check("gravity", 1.0))


def order_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The order family's law checks, declared in ``tasks/temporal/order.py``: every ball found in
    every frame (``count``) at its size (``size``), none leaving its start before it is let go
    (``rest``), each landing when the truth's does (``landing``), in the true order (``order``)
    and falling with the scene's gravity (``gravity``)."""
    return [
        count_check(tracks, instance),
        size_check(tracks, instance),
        rest_check(tracks, instance),
        landing_check(tracks, instance),
        order_check(tracks, instance),
        gravity_check(tracks, instance),
    ]
