"""`identity`: objects that meet and bounce apart keep who they are.

Seen from above, three to five balls and blocks of different colours and sizes slide
on a smooth table with raised edges (no gravity, little damping), bounce off the edges
and off each other elastically, so they meet several times. Colours, shapes, sizes and
the number of objects never change, and no object comes out of an encounter as another:
the classic failure of a video model is two objects that meet and leave with their
colours exchanged, merged into one or split in two.

The verifier (``verifiers/identity.py``) checks that every object is there in every
frame, keeps its size, and follows its own true path through every encounter (a swap
fails naming both objects and the frame); the generic checks catch unknown colours,
duplicates and teleports. The outcome is how many times objects meet and their order
left to right at the end. Scenes are drawn until every meeting is clear at other frame
rates (no near misses) and the final order has room between neighbours.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from collections.abc import Callable

import numpy as np

from vidreason.scene.identity import (
    ENTER,
    LEAVE,
    final_order,
    meeting_counts_each,
    meeting_starts_each,
    pair_gaps,
    reach,
)
from vidreason.scene.params.temporal import IdentityParams
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.palette import BACKGROUND, CLASHES, COLOURS, FLOOR, PICKABLE, r4
from vidreason.types import (
    RGB,
    Body,
    Event,
    Instance,
    Question,
    SceneSpec,
    Trajectory,
    VideoFormat,
    Wall,
)

N_OBJECTS = {1: 3, 2: 4, 3: 5}
MIN_MEETINGS = {1: 1, 2: 2, 3: 3}
BALL_RADIUS = {1: (0.05, 0.07), 2: (0.045, 0.065), 3: (0.042, 0.06)}  # / frame height
BLOCK_SIDE = {1: (0.1, 0.13), 2: (0.09, 0.12), 3: (0.085, 0.11)}  # / frame height
SPEED = (0.45, 0.7)  # start speed, frame widths per second
EDGE = 0.035  # the raised edge's width, / frame height
DAMPING = 0.9  # velocity kept per second
ORDER_GAP = 0.05  # final x of neighbours at least this far apart (/ frame width)
RATES = (1.0, 30 / 16, 12 / 16, 8 / 16)  # frame rates (times the task's) a meeting must show at
PHASES = (0.0, 0.25, 0.5, 0.75)  # first sample's offset, in samples, at each rate
LOOK = 12  # frames between the sampler's looks at a run under way (``_hopeless``)
AVOID = ("cyan",)  # its key drifts under a hue shift and at a blue object's edge


def pick_colours(rng: np.random.Generator, k: int) -> list[tuple[str, RGB]]:
    """``k`` colour keys, no two clashing, drawn again whenever a draw gets stuck."""
    names = [c for c in PICKABLE if c not in AVOID]
    while True:
        chosen: list[str] = []
        for _ in range(k):
            free = [
                c
                for c in names
                if c not in chosen and all(frozenset((c, o)) not in CLASHES for o in chosen)
            ]
            if not free:
                break
            chosen.append(free[int(rng.integers(len(free)))])
        if len(chosen) == k:
            return [(c, COLOURS[c]) for c in chosen]


def edges(fmt: VideoFormat) -> list[Wall]:
    """The table's four raised edges, each ``EDGE`` of the height wide inside the frame."""
    w, h = float(fmt.width), float(fmt.height)
    m = r4(EDGE * h)
    lines = [((-w, 0.0), (2 * w, 0.0)), ((-w, h), (2 * w, h))]
    lines += [((0.0, -h), (0.0, 2 * h)), ((w, -h), (w, 2 * h))]
    return [
        Wall(a=a, b=b, thickness=r4(2 * m), colour=FLOOR, elasticity=1.0, friction=0.0)
        for a, b in lines
    ]


def _body(
    rng: np.random.Generator,
    name: str,
    colour: tuple[str, RGB],
    shape: str,
    difficulty: int,
    h: float,
) -> Body:
    if shape == "box":
        side = r4(rng.uniform(*BLOCK_SIDE[difficulty]) * h)
        return Body(
            name=name,
            colour_name=colour[0],
            colour=colour[1],
            radius=r4(side / 2),
            mass=r4(side * side / (0.1 * h) ** 2),
            position=(0.0, 0.0),
            shape="box",
            size=(side, side),
            angle=r4(rng.uniform(0, np.pi / 2)),
        )
    r = r4(rng.uniform(*BALL_RADIUS[difficulty]) * h)
    return Body(
        name=name,
        colour_name=colour[0],
        colour=colour[1],
        radius=r,
        mass=r4(np.pi * r * r / (0.1 * h) ** 2),
        position=(0.0, 0.0),
    )


def _place(rng: np.random.Generator, bodies: list[Body], fmt: VideoFormat) -> list[Body] | None:
    """Bodies at random places on the table, apart, each with a random velocity."""
    w, h = fmt.width, fmt.height
    m = EDGE * h
    placed: list[Body] = []
    for b in bodies:
        r = float(np.hypot(*b.size) / 2 if b.shape == "box" else b.radius) + 2.0
        for _ in range(100):
            x, y = rng.uniform(m + r, w - m - r), rng.uniform(m + r, h - m - r)
            if all(
                np.hypot(x - o.position[0], y - o.position[1]) > r + reach(o) + 0.1 * h
                for o in placed
            ):
                break
        else:
            return None
        speed = rng.uniform(*SPEED) * w
        heading = rng.uniform(0, 2 * np.pi)
        v = (r4(speed * np.cos(heading)), r4(speed * np.sin(heading)))
        placed.append(dataclasses.replace(b, position=(r4(x), r4(y)), velocity=v))
    return placed


def _positions(traj: Trajectory, names: list[str]) -> dict[str, np.ndarray]:
    return {n: traj.xy(n) for n in names}


def _resampled(pos: dict[str, np.ndarray], rate: float, phase: float) -> dict[str, np.ndarray]:
    """Positions sampled ``rate`` times as often as the simulated frames, starting
    ``phase`` of a sample in (linear in between): the same motion at another frame rate."""
    n = len(next(iter(pos.values())))
    at = np.arange(phase / rate, n - 1 + 1e-9, 1.0 / rate)
    src = np.arange(n)
    return {
        k: np.stack([np.interp(at, src, p[:, 0]), np.interp(at, src, p[:, 1])], axis=1)
        for k, p in pos.items()
    }


def contacts(events: tuple[Event, ...]) -> list[Event]:
    """Contacts between two objects (not with an edge), in time order."""
    return [e for e in events if e.kind == "contact" and "wall" not in e.objects]


def _clear(spec: SceneSpec, traj: Trajectory, events: tuple[Event, ...]) -> bool:
    """Objects meet often, and the meetings counted from positions are the simulated
    contacts at every frame rate of ``RATES`` (times the task's), sampled from every offset
    of ``PHASES``, with the thresholds moved a little either way: no near
    misses, no contact too brief to see. The final order has room between neighbours.
    (The cheap conditions are tried first; every one must hold, in any order.)"""
    names = [b.name for b in spec.bodies]
    size = float(max(spec.fmt.width, spec.fmt.height))
    touched = contacts(events)
    if len(touched) < MIN_MEETINGS[spec.difficulty] or touched[0].frame < 4:
        return False
    pos = _positions(traj, names)
    xs = sorted(float(p[-1, 0]) for p in pos.values())
    if not np.diff(xs).min() > ORDER_GAP * spec.fmt.width:
        return False
    counted = Counter(tuple(e.objects) for e in touched)
    pairs = [tuple(sorted((a.name, b.name))) for a, b in itertools.combinations(spec.bodies, 2)]
    want = np.array([counted.get(p, 0) for p in pairs])
    if sum(want) != len(touched):  # a contact of a pair that is no pair of bodies
        return False
    thresholds = [(ENTER, LEAVE), (ENTER - 0.015, LEAVE + 0.02), (ENTER + 0.015, LEAVE)]
    for rate, phase in itertools.product(RATES, PHASES):
        at = pos if (rate, phase) == (1.0, 0.0) else _resampled(pos, rate, phase)
        _, gaps = pair_gaps(at, spec.bodies, size)  # the frames themselves at (1, 0)
        if not (meeting_counts_each(gaps, thresholds) == want).all():
            return False
    return True


def _hopeless(spec: SceneSpec) -> Callable[[int, list, list], bool]:
    """For ``simulate_unless``: whether a run under way can no longer be ``_clear``, by
    what is certain already, so the runs it stops are runs ``_clear`` would reject and the
    scene sampled is the same: two objects touching before frame 4; or, at the task's
    own rate, a pair whose meetings counted at ``(ENTER, LEAVE)`` and at one of the
    thresholds moved either way differ at a frame where the pair is apart beyond both
    thresholds' ends. Of two thresholds, the one that starts a meeting nearer and ends
    it farther never counts more (each meeting it starts, the other has started since
    both were last ended), nor gains more from such a frame on: counts that differ
    there differ at the end. Looked at every ``LOOK`` frames."""
    names = [b.name for b in spec.bodies]
    fps, size = spec.fmt.fps, float(max(spec.fmt.width, spec.fmt.height))
    thresholds = [(ENTER, LEAVE), (ENTER - 0.015, LEAVE + 0.02), (ENTER + 0.015, LEAVE)]
    apart = [(1, LEAVE + 0.02), (2, LEAVE)]  # (the other threshold, the gap apart beyond both)
    xy: list[list[float]] = []  # the states' x and y so far, rounded as the trajectory's

    def halt(frame: int, states: list, contacts: list) -> bool:
        if frame == 4:
            return any("wall" not in pair and round(t * fps) < 4 for t, pair in contacts)
        if frame == 0 or frame % LOOK:
            return False
        xy.extend([round(s[0], 4), round(s[1], 4)] for s in states[len(xy) :])
        rows = np.array(xy)
        _, gaps = pair_gaps(
            {n: rows[i :: len(names)] for i, n in enumerate(names)}, spec.bodies, size
        )
        counted = meeting_starts_each(gaps, thresholds).cumsum(axis=2)
        for other, beyond in apart:
            away = gaps > beyond
            last = gaps.shape[1] - 1 - np.argmax(away[:, ::-1], axis=1)  # last frame apart
            pairs = np.flatnonzero(away.any(axis=1))
            at = last[pairs]
            if (counted[0, pairs, at] != counted[other, pairs, at]).any():
                return True
        return False

    return halt


def _scene(
    seed: int, index: int, difficulty: int, fmt: VideoFormat, bodies: list[Body]
) -> SceneSpec:
    params = IdentityParams(edge=r4(EDGE * fmt.height), damping=DAMPING)
    return SceneSpec(
        seed=seed,
        index=index,
        difficulty=difficulty,
        fmt=fmt,
        gravity=0.0,
        bodies=tuple(bodies),
        walls=tuple(edges(fmt)),
        background=BACKGROUND,
        params=params.to_params(),
        extra=params.to_extra(),
    )


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    from vidreason.engines.pymunk_sim import simulate_unless

    n = N_OBJECTS[difficulty]
    for _ in range(5000):
        colours = pick_colours(rng, n)
        shapes = ["box", "circle", *rng.choice(["box", "circle"], n - 2, p=[0.4, 0.6])]
        shapes = [str(s) for s in rng.permutation(shapes)]
        bodies = [
            _body(rng, f"o{i}", c, s, difficulty, fmt.height)
            for i, (c, s) in enumerate(zip(colours, shapes, strict=True))
        ]
        placed = _place(rng, bodies, fmt)
        if placed is None:
            continue
        spec = _scene(seed, index, difficulty, fmt, placed)
        sim = simulate_unless(spec, _hopeless(spec))
        if sim is not None and _clear(spec, sim.trajectory, sim.events):
            return spec
    raise RuntimeError("no scene with clear encounters found")  # pragma: no cover


DIRECTIONS = (
    "to the right",
    "towards the bottom right",
    "towards the bottom",
    "towards the bottom left",
    "to the left",
    "towards the top left",
    "towards the top",
    "towards the top right",
)


def heading(body: Body) -> str:
    """The compass direction of a body's start velocity in picture terms (y down)."""
    angle = np.arctan2(body.velocity[1], body.velocity[0])
    return DIRECTIONS[round(angle / (np.pi / 4)) % 8]


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def prompt(spec: SceneSpec) -> str:
    moves = [f"the {b.label} slides {heading(b)}" for b in spec.bodies]
    listing = ", ".join(_a(b.label) for b in spec.bodies[:-1]) + f" and {_a(spec.bodies[-1].label)}"
    return (
        f"Top view of a smooth table with dark raised edges: {listing} slide across it."
        f" At the start {', '.join(moves[:-1])} and {moves[-1]}. They bounce off the edges"
        " and off each other, elastically, and keep sliding. Every object keeps its colour,"
        " shape and size all the way; none appears, disappears, merges with another or splits,"
        " and no two objects exchange places when they meet. Static camera looking straight"
        " down, plain light table."
    )


def _simulate_without(instance: Instance, name: str) -> tuple[Event, ...]:
    from vidreason.tasks import get_family

    spec = instance.spec
    fewer = dataclasses.replace(spec, bodies=tuple(b for b in spec.bodies if b.name != name))
    _, events = get_family(instance.family_id).simulate(fewer)
    return events


def _pairs(events: list[Event]) -> set[tuple[str, ...]]:
    return {tuple(sorted(e.objects)) for e in events}


def questions(instance: Instance) -> list[Question]:
    """Questions whose answers come from the simulator's contacts and final positions."""
    spec = instance.spec
    label = {b.name: b.label for b in spec.bodies}
    labels = tuple(label[b.name] for b in spec.bodies)
    touched = contacts(instance.events)
    first = touched[0]
    a, b = first.objects
    out = [
        Question("descriptive", "How many collisions between objects happen?", str(len(touched)))
    ]
    hits = [e for e in instance.events if e.kind == "contact" and a in e.objects]
    what = next(o for o in hits[0].objects if o != a)
    out.append(
        Question(
            "explanatory",
            f"What makes the {label[a]} change direction for the first time?",
            "an edge of the table" if what == "wall" else label[what],
            (*(x for x in labels if x != label[a]), "an edge of the table"),
        )
    )
    out.append(
        Question(
            "descriptive",
            f"Which object does the {label[b]} hit first?",
            label[a],
            tuple(x for x in labels if x != label[b]),
        )
    )
    pos = _positions(instance.trajectory, list(label))
    order = final_order(pos, spec.bodies)
    out.append(
        Question(
            "predictive",
            "Which object is furthest to the left at the end?",
            order[0],
            labels,
            until_frame=spec.fmt.n_frames // 2,
        )
    )
    out += _counterfactual(instance, b, a, label)
    return out


def _counterfactual(
    instance: Instance, removed: str, kept: str, label: dict[str, str]
) -> list[Question]:
    """Without ``removed``, would ``kept`` hit each other object? Asked of the one whose
    answer changes (else of the first), and how many collisions there would be."""
    factual = _pairs(contacts(instance.events))
    after = contacts(_simulate_without(instance, removed))
    again = _pairs(after)
    others = [n for n in label if n not in (removed, kept)]
    changed = [
        n
        for n in others
        if (tuple(sorted((kept, n))) in factual) != (tuple(sorted((kept, n))) in again)
    ]
    target = (changed or others)[0]
    hit = tuple(sorted((kept, target))) in again
    return [
        Question(
            "counterfactual",
            f"If the {label[removed]} were removed, would the {label[kept]} hit the"
            f" {label[target]}?",
            "yes" if hit else "no",
            ("yes", "no"),
        ),
        Question(
            "counterfactual",
            f"If the {label[removed]} were removed, how many collisions between objects"
            " would happen?",
            str(len(after)),
        ),
    ]


FAMILY = register_family(
    TaskFamily(
        name="identity",
        version=1,
        capability="temporal",
        law=(
            "objects keep their identity through encounters: no swap, merge, split, colour"
            " or size change"
        ),
        sample=sample,
        prompt=prompt,
        law_checks=verifier("identity.identity_checks"),
        params=IdentityParams,
        checks=(
            CheckSpec("count", "every object found in every frame (lost 2 frames running fails)"),
            CheckSpec(
                "size", "blob area within ×1.5 of its own (a change held 3 frames); 0 beyond ×2.2"
            ),
            CheckSpec(
                "identity",
                "each object within 6% of the frame of its own true position; 0 beyond 15%",
            ),
        ),
        outcome=verifier("identity.identity_outcome"),
        truth_outcome=verifier("identity.expected_outcome"),
        questions=questions,
    )
)
