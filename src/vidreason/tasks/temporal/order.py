"""`order`: balls let go one after another land on the floor in the order the prompt states.

Three, four or five balls (by difficulty) of different colours hang still at different
heights, each under a small dark magnet. The magnets let go one at a time, at times the
prompt states, and each ball falls straight down onto the floor. A ball let go later
from lower down can land first, so the landing order is neither the order the balls are
let go in nor their order from left to right. Successive landings are at least 0.12, 0.1
or 0.085 of the clip apart by difficulty (4 frames or more at 16 fps), so the order can be
measured, and no two balls ever touch.

Each ball is simulated on its own with the engine (they never touch): it rests until it
is let go (``OrderParams.release``, seconds, on a frame), then falls and bounces a
little. The ground truth records a ``release`` event per ball and the engine's contacts.
The verifier (``verifiers/order.py``) reads each landing off the tracks and checks the
order and the times, that no ball leaves early, and that every ball stays in view with
its own colour and size. ``released`` and ``swapped_landings`` re-time a scene for the
planted violations (an early release, two landings swapped, all at once, one missing).
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np

from vidreason.scene.params.temporal import OrderParams
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.commonsense.scene import (
    RADIUS,
    ball,
    board_thickness,
    ground,
    pick_colour_set,
    scene,
)
from vidreason.tasks.palette import FLOOR, r4
from vidreason.types import (
    Event,
    Instance,
    Question,
    SceneSpec,
    Trajectory,
    VideoFormat,
    Wall,
)

N_BALLS = {1: 3, 2: 4, 3: 5}
MIN_GAP = {1: 0.12, 2: 0.1, 3: 0.085}  # between successive landings, / clip duration
DROP = (0.2, 0.7)  # fall of a ball's centre, / frame height
RELEASE = (0.04, 0.6)  # when a ball is let go, / clip duration
FIRST_LANDING = 0.4  # no ball lands before this part of the clip
LAST_LANDING = (0.77, 0.9)  # the last ball lands in this part of the clip
SPACING = 0.17  # least distance between neighbouring balls, / frame width
ELASTICITY = 0.3  # with the floor's 0.5: a bounce of 2% of the fall
DELAY = 0.5  # seconds, for the counterfactual question
NUMBERS = {3: "Three", 4: "Four", 5: "Five"}


def fall_time(drop: float, g: float) -> float:
    return math.sqrt(2.0 * drop / g)


def _slots(rng: np.random.Generator, k: int, width: float, r: float) -> list[float]:
    """``k`` x positions left to right, neighbours at least ``SPACING`` apart."""
    lo, hi = 0.08 * width + r, 0.92 * width - r
    step = (hi - lo) / (k - 1)
    slack = max(0.0, (step - SPACING * width) / 2)
    return [lo + i * step + rng.uniform(-slack, slack) * (0 < i < k - 1) for i in range(k)]


def _orders_ok(land: np.ndarray, release: np.ndarray) -> bool:
    """The landing order is neither left to right, right to left, nor the release order."""
    order = list(np.argsort(land))
    ahead = list(range(len(land)))
    return order not in (ahead, ahead[::-1], list(np.argsort(release, kind="stable")))


def _timing(
    rng: np.random.Generator, fmt: VideoFormat, k: int, difficulty: int, g: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """Drops (px) and release frames for ``k`` balls, left to right, or None if the draw
    does not fit: landing times first, then for each a release that leaves a fall of a
    height within ``DROP``."""
    T, h, fps = fmt.duration, fmt.height, fmt.fps
    span = rng.uniform(*LAST_LANDING) * T - FIRST_LANDING * T
    spare = span - (k - 1) * MIN_GAP[difficulty] * T
    share = spare * rng.dirichlet(np.ones(k))  # spare time: k - 1 gaps and a lead-in
    steps = np.concatenate([[share[-1]], MIN_GAP[difficulty] * T + share[:-1]])
    land = FIRST_LANDING * T + np.cumsum(steps)
    shortest, longest = (fall_time(d * h, g) for d in DROP)
    lo = np.maximum(RELEASE[0] * T, land - longest) + 0.5 / fps
    hi = np.minimum(RELEASE[1] * T, land - shortest) - 0.5 / fps
    pairs = [i for i in range(k - 1) if hi[i] - lo[i + 1] >= 3.0 / fps]
    if (lo > hi).any() or not pairs:
        return None
    rel = rng.uniform(lo, hi)
    p = pairs[int(rng.integers(len(pairs)))]  # this pair swaps: the later lander goes first
    rel[p + 1] = rng.uniform(lo[p + 1], hi[p] - 2.0 / fps)
    rel[p] = rng.uniform(rel[p + 1] + 2.0 / fps, hi[p])
    frames = [round(r * fps) for r in rel]
    drops = [0.5 * g * (t - f / fps) ** 2 for t, f in zip(land, frames, strict=True)]
    if not all(DROP[0] * h <= d <= DROP[1] * h for d in drops):
        return None
    place = rng.permutation(k)  # which slot, left to right, each ball hangs in
    release, fall = np.array(frames)[np.argsort(place)], np.array(drops)[np.argsort(place)]
    if len(set(frames)) < k or min(frames) < 1:
        return None
    landed = release / fps + np.sqrt(2.0 * fall / g)
    if not _orders_ok(landed, release):
        return None
    return fall, release


def magnet(fmt: VideoFormat, x: float, top: float, r: float) -> Wall:
    """The small dark magnet a ball hangs under (its underside just above ``top``)."""
    th = r4(0.7 * board_thickness(fmt))
    y = r4(top - 1.0 - th / 2)
    return Wall(a=(r4(x - 0.8 * r), y), b=(r4(x + 0.8 * r), y), thickness=th, colour=FLOOR)


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    floor_y, floor_wall = ground(fmt)
    r = RADIUS[difficulty] * fmt.height
    k = N_BALLS[difficulty]
    colours = pick_colour_set(rng, k)
    g = 5.0 * fmt.height / fmt.duration**2
    for _ in range(5000):
        timing = _timing(rng, fmt, k, difficulty, g)
        if timing is not None:
            break
    else:  # pragma: no cover
        raise RuntimeError("no valid release schedule found")
    drops, frames = timing
    xs = _slots(rng, k, fmt.width, r)
    bodies = [
        ball(c[0], c, r, (x, floor_y - r - d), elasticity=ELASTICITY)
        for c, x, d in zip(colours, xs, drops, strict=True)
    ]
    magnets = [magnet(fmt, b.position[0], b.position[1] - r, r) for b in bodies]
    release = {b.name: r4(f / fmt.fps) for b, f in zip(bodies, frames, strict=True)}
    return scene(
        seed,
        index,
        difficulty,
        fmt,
        bodies,
        [floor_wall, *magnets],
        OrderParams(floor_y=floor_y, release=release),
    )


def release_frame(spec: SceneSpec, name: str) -> int:
    """The frame a ball is let go at (past the end: never)."""
    t = float(OrderParams.of(spec).release[name])
    return min(round(t * spec.fmt.fps), spec.fmt.n_frames)


def simulate(spec: SceneSpec) -> tuple[Trajectory, tuple[Event, ...]]:
    """Each ball alone with the floor: at rest until let go, then falling (pymunk)."""
    from vidreason.engines.pymunk_sim import simulate as run

    n, fps = spec.fmt.n_frames, spec.fmt.fps
    states: dict[str, tuple[tuple[float, ...], ...]] = {}
    events: list[Event] = []
    for b in spec.bodies:
        k = release_frame(spec, b.name)
        fmt = dataclasses.replace(spec.fmt, n_frames=max(1, n - k))
        alone = dataclasses.replace(spec, fmt=fmt, bodies=(b,), walls=spec.walls[:1], extra={})
        sim = run(alone)
        moving = sim.trajectory.states[b.name]
        states[b.name] = ((moving[0],) * k + moving)[:n]
        if k >= n:
            continue
        events.append(Event("release", k, r4(k / fps), (b.name,)))
        events += [
            Event(e.kind, e.frame + k, r4(e.time + k / fps), e.objects)
            for e in sim.events
            if e.frame + k < n
        ]
    events.sort(key=lambda e: (e.time, e.kind, e.objects))
    return Trajectory(states=states), tuple(events)


def released(spec: SceneSpec, times: dict[str, float]) -> SceneSpec:
    """The scene with the balls named in ``times`` let go at those times (seconds)."""
    release = {**OrderParams.of(spec).release, **{n: r4(t) for n, t in times.items()}}
    return OrderParams.update(spec, release=release)


def _touchdowns(events: tuple[Event, ...]) -> dict[str, Event]:
    """Each ball's first contact with the floor among the simulator's events."""
    out: dict[str, Event] = {}
    for e in events:
        if e.kind == "contact" and "wall" in e.objects:
            out.setdefault(next(o for o in e.objects if o != "wall"), e)
    return out


def landing_frames(events: tuple[Event, ...]) -> dict[str, int]:
    """The frame each ball first touches the floor, from the simulator's events."""
    return {name: e.frame for name, e in _touchdowns(events).items()}


def _landing_times(events: tuple[Event, ...]) -> dict[str, float]:
    return {name: e.time for name, e in _touchdowns(events).items()}


def true_order(events: tuple[Event, ...]) -> list[str]:
    """The balls' names in the order the simulator lands them."""
    times = _landing_times(events)
    return sorted(times, key=lambda n: times[n])


def swapped_landings(spec: SceneSpec, events: tuple[Event, ...]) -> SceneSpec | None:
    """Two balls that land one after the other re-timed so that each lands when the other
    should (the later one let go earlier, the earlier one later); None if no such pair
    can be let go within the clip."""
    times, rel = _landing_times(events), OrderParams.of(spec).release
    order = true_order(events)
    for a, b in itertools.pairwise(order):
        gap = round((times[b] - times[a]) * spec.fmt.fps) / spec.fmt.fps
        if rel[b] - gap >= 1.0 / spec.fmt.fps:
            return released(spec, {a: rel[a] + gap, b: rel[b] - gap})
    return None


def _label(spec: SceneSpec, name: str) -> str:
    return spec.body(name).label


def _list(words: list[str]) -> str:
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else words[0]


def prompt(spec: SceneSpec) -> str:
    left_to_right = sorted(spec.bodies, key=lambda b: b.position[0])
    p = OrderParams.of(spec)
    rel = p.release
    by_release = sorted(spec.bodies, key=lambda b: rel[b.name])
    fps = spec.fmt.fps
    lets = [f"the {b.label} at {round(rel[b.name] * fps) / fps:.2f} s" for b in by_release]
    g, floor_y = spec.gravity, p.floor_y
    land = {
        b.name: rel[b.name] + fall_time(floor_y - b.radius - b.position[1], g) for b in spec.bodies
    }
    order = sorted(spec.bodies, key=lambda b: land[b.name])
    then = ", ".join(f"then the {b.label}" for b in order[1:-1])
    sequence = (
        f"first the {order[0].label}, {then + ', ' if then else ''}and last the {order[-1].label}"
    )
    return (
        f"{NUMBERS[len(spec.bodies)]} balls hang still at different heights above a dark"
        f" floor, each held under a small dark magnet; from left to right:"
        f" {_list([f'the {b.label}' for b in left_to_right])}. The magnets let go one at a"
        f" time: {_list(lets)}. Each ball falls straight down onto the floor without"
        f" touching the others and stays there, so the balls land in this order:"
        f" {sequence}. Side view, static camera, plain light background."
    )


def questions(instance: Instance) -> list[Question]:
    spec, events = instance.spec, instance.events
    order = true_order(events)
    frames = landing_frames(events)
    labels = tuple(sorted(_label(spec, n) for n in order))
    rel = OrderParams.of(spec).release
    out = [
        Question("descriptive", "Which ball lands first?", _label(spec, order[0]), labels),
        Question("descriptive", "Which ball lands last?", _label(spec, order[-1]), labels),
    ]
    i = len(order) // 2
    mid = (frames[order[i - 1]] + frames[order[i]]) // 2
    out.append(Question("descriptive", f"How many balls have landed by frame {mid}?", str(i)))
    a, b = next(
        (a, b) for a, b in itertools.combinations(order, 2) if rel[a] > rel[b]
    )  # a lands first although b is let go first
    la, lb = _label(spec, a), _label(spec, b)
    why = (f"the {la} starts lower", f"the {la} is heavier", f"the {la} is pushed down")
    out.append(
        Question(
            "explanatory",
            f"The {lb} is let go before the {la}, yet the {la} lands first. Why?",
            why[0],
            tuple(sorted(why)),
        )
    )
    first = frames[order[0]]
    out.append(
        Question(
            "predictive",
            f"The {_label(spec, order[0])} has just landed. Which ball lands next?",
            _label(spec, order[1]),
            tuple(sorted(_label(spec, n) for n in order[1:])),
            until_frame=first + 1,
        )
    )
    out.append(_counterfactual(instance, order[0], labels))
    return out


def _counterfactual(instance: Instance, name: str, labels: tuple[str, ...]) -> Question:
    """If the first ball to land were let go ``DELAY`` s later: the engine says which
    ball would land first (over a clip ``2 * fps`` frames longer)."""
    spec = instance.spec
    fps = spec.fmt.fps
    later = released(spec, {name: OrderParams.of(spec).release[name] + DELAY})
    longer = dataclasses.replace(
        later, fmt=dataclasses.replace(spec.fmt, n_frames=spec.fmt.n_frames + 2 * fps)
    )
    return Question(
        "counterfactual",
        f"If the {_label(spec, name)} were let go {DELAY} s later, which ball would land first?",
        _label(spec, true_order(_events_with_one_moved(instance, longer, name))[0]),
        labels,
    )


def _events_with_one_moved(instance: Instance, longer: SceneSpec, name: str) -> tuple[Event, ...]:
    """``simulate(longer)``'s events up to each ball's landing, where ``longer`` re-times
    ball ``name`` of the instance's scene over a longer clip. Every ball is simulated
    alone, so where every other ball lands within the instance's clip, their events are
    the instance's (the same steps), and only ball ``name`` is run again."""
    if len(_touchdowns(instance.events)) < len(instance.spec.bodies):
        return simulate(longer)[1]
    moved = dataclasses.replace(longer, bodies=tuple(b for b in longer.bodies if b.name == name))
    kept = [e for e in instance.events if name not in e.objects]
    events = kept + list(simulate(moved)[1])
    events.sort(key=lambda e: (e.time, e.kind, e.objects))
    return tuple(events)


FAMILY = register_family(
    TaskFamily(
        name="order",
        version=1,
        capability="temporal",
        law="events happen in the order their causes set: balls let go one after another"
        " land in the order their release times and heights give",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("order.order_checks"),
        params=OrderParams,
        verifier_version=2,  # v2: each ball's fall is checked for gravity
        checks=(
            CheckSpec("count", "every ball found in every frame (lost 2 frames running fails)"),
            CheckSpec("size", "blob area within 0.4-2.2 × the ball's (3 frames outside fail)"),
            CheckSpec("rest", "no ball leaves its start > 0.15 s before it is let go; 0 at 0.3 s"),
            CheckSpec("landing", "each ball lands within 0.12 s of the truth; 0 beyond 0.3 s"),
            CheckSpec(
                "order",
                "the truth's landing order, each gap at least ½ of the true gap; 0 below ¼",
            ),
            shared.gravity("each ball's free fall once let go, the weakest fit"),
        ),
        simulate=simulate,
        outcome=verifier("order.order_outcome"),
        truth_outcome=verifier("order.expected_outcome"),
        questions=questions,
    )
)
