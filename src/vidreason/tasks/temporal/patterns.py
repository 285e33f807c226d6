"""`patterns`: patterned objects that slide, spin and collide keep their patterns.

Seen from above, two or three discs and blocks slide and spin on a smooth table with
raised edges, bounce off the edges and off each other. Each has a colour of its own and a
pattern of its own printed on it in another colour (two stripes, four dots or a ring
of checker squares; ``scene/patterns.py``), which turns with it. No colour is
shared: not between bodies, not between a body and a pattern. The failure this family
shows is the one people see in video models: a shirt whose print changes between shots.

Sampled: the colours (bodies first, then the pattern colours, none clashing), a pattern
kind per body (no two alike), sizes, start places apart, slow speeds (the pattern stays
readable when frames are blended) with the first body aimed at the second, and a spin
each; drawn again until two bodies meet (after the first frames, before the last).

The verifier (``verifiers/patterns.py``) reads each body's pattern back from every frame
where it is found (``pattern``: the ink where the template has it, at the best angle),
that best angle turning as the body does (``turns``) and its two colours (``colours``);
the generic checks follow every body along its true path.

Versions:
    v1: first version.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from vidreason.scene.params.temporal import PatternsParams
from vidreason.scene.patterns import BLACK, KINDS, Pattern, patterns_of
from vidreason.scene.patterns import render as render_patterns
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.palette import BACKGROUND, CLASHES, COLOURS, PICKABLE, r4
from vidreason.tasks.temporal.identity import contacts, edges, heading
from vidreason.tasks.wording import article
from vidreason.types import (
    RGB,
    Body,
    Event,
    Instance,
    Question,
    SceneSpec,
    Trajectory,
    VideoFormat,
)

N_OBJECTS = {1: 2, 2: 3, 3: 3}
DISC_RADIUS = (0.085, 0.1)  # / frame height
BLOCK_SIDE = (0.17, 0.2)  # / frame height
SPEED = {1: (0.1, 0.16), 2: (0.12, 0.18), 3: (0.14, 0.2)}  # frame widths per second
SPIN = (0.5, 1.2)  # rad/s, either way
EDGE = 0.035  # the raised edge's width, / frame height
DAMPING = 0.95  # velocity kept per second
BODY_POOL = tuple(c for c in PICKABLE if c != "cyan")  # cyan drifts under a hue shift
INK_POOL = (*PICKABLE, "black")


def _free(pool: tuple[str, ...], chosen: list[str]) -> list[str]:
    return [
        c for c in pool if c not in chosen and all(frozenset((c, o)) not in CLASHES for o in chosen)
    ]


def pick_colours(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """``n`` body colours and ``n`` pattern colours, no two clashing, drawn again whenever
    a draw gets stuck."""
    while True:
        chosen: list[str] = []
        for k in range(2 * n):
            free = _free(BODY_POOL if k < n else INK_POOL, chosen)
            if not free:
                break
            chosen.append(free[int(rng.integers(len(free)))])
        if len(chosen) == 2 * n:
            return chosen[:n], chosen[n:]


def ink_rgb(name: str) -> RGB:
    return BLACK if name == "black" else COLOURS[name]


def _body(rng: np.random.Generator, name: str, colour: str, shape: str, h: float) -> Body:
    spin = float(rng.uniform(*SPIN) * rng.choice([-1.0, 1.0]))
    if shape == "box":
        side = r4(rng.uniform(*BLOCK_SIDE) * h)
        return Body(
            name=name,
            colour_name=colour,
            colour=COLOURS[colour],
            radius=r4(side / 2),
            mass=r4(side * side / (0.1 * h) ** 2),
            position=(0.0, 0.0),
            shape="box",
            size=(side, side),
            angle=r4(rng.uniform(0, np.pi / 2)),
            angular_velocity=r4(spin),
        )
    r = r4(rng.uniform(*DISC_RADIUS) * h)
    return Body(
        name=name,
        colour_name=colour,
        colour=COLOURS[colour],
        radius=r,
        mass=r4(np.pi * r * r / (0.1 * h) ** 2),
        position=(0.0, 0.0),
        angle=r4(rng.uniform(0, 2 * np.pi)),
        angular_velocity=r4(spin),
        noun="disc",
    )


def _place(
    rng: np.random.Generator, bodies: list[Body], fmt: VideoFormat, difficulty: int
) -> list[Body] | None:
    """Bodies at random places on the table, apart; the first heads for the second."""
    w, h = fmt.width, fmt.height
    m = EDGE * h
    placed: list[Body] = []
    for b in bodies:
        r = float(np.hypot(*b.size) / 2 if b.shape == "box" else b.radius) + 2.0
        for _ in range(100):
            x, y = rng.uniform(m + r, w - m - r), rng.uniform(m + r, h - m - r)
            if all(
                np.hypot(x - o.position[0], y - o.position[1]) > r + 2 * o.radius + 0.08 * h
                for o in placed
            ):
                break
        else:
            return None
        placed.append(dataclasses.replace(b, position=(r4(x), r4(y))))
    out = []
    for i, b in enumerate(placed):
        speed = rng.uniform(*SPEED[difficulty]) * w
        if i == 0:
            (x0, y0), (x1, y1) = b.position, placed[1].position
            angle = np.arctan2(y1 - y0, x1 - x0) + rng.uniform(-0.25, 0.25)
        else:
            angle = rng.uniform(0, 2 * np.pi)
        out.append(
            dataclasses.replace(b, velocity=(r4(speed * np.cos(angle)), r4(speed * np.sin(angle))))
        )
    return out


def _scene(
    seed: int,
    index: int,
    difficulty: int,
    fmt: VideoFormat,
    bodies: list[Body],
    patterns: dict[str, Pattern],
) -> SceneSpec:
    params = PatternsParams(
        palette=[list(p.ink) for p in patterns.values()],
        edge=r4(EDGE * fmt.height),
        damping=DAMPING,
        kinds={k: p.kind for k, p in patterns.items()},
        inks={k: p.ink_name for k, p in patterns.items()},
        ink_colours={k: list(p.ink) for k, p in patterns.items()},
    )
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


def _meet(spec: SceneSpec, events: tuple[Event, ...]) -> bool:
    """Two bodies meet after the first frames and before the last."""
    n = spec.fmt.n_frames
    return any(4 <= e.frame <= n - 8 for e in contacts(events))


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    from vidreason.engines.pymunk_sim import simulate

    n = N_OBJECTS[difficulty]
    for _ in range(5000):
        colours, inks = pick_colours(rng, n)
        shapes = [str(s) for s in rng.permutation(["box", "circle", *(["circle"] * (n - 2))])]
        kinds = [str(k) for k in rng.permutation(KINDS)[:n]]
        bodies = [
            _body(rng, f"o{i}", c, s, fmt.height)
            for i, (c, s) in enumerate(zip(colours, shapes, strict=True))
        ]
        placed = _place(rng, bodies, fmt, difficulty)
        if placed is None:
            continue
        patterns = {
            b.name: Pattern(kind, ink, ink_rgb(ink))
            for b, kind, ink in zip(placed, kinds, inks, strict=True)
        }
        spec = _scene(seed, index, difficulty, fmt, placed, patterns)
        sim = simulate(spec)
        if _meet(spec, sim.events):
            return spec
    raise RuntimeError("no scene where two bodies meet found")  # pragma: no cover


def describe(body: Body, pattern: Pattern) -> str:
    """E.g. "a red disc with black stripes", "a blue block with a ring of cyan squares"."""
    return f"{article(body.label)} with {pattern.words}"


def prompt(spec: SceneSpec) -> str:
    own = patterns_of(spec)
    named = [describe(b, own[b.name]) for b in spec.bodies]
    listing = ", ".join(named[:-1]) + f" and {named[-1]}"
    moves = [f"the {b.label} slides {heading(b)}" for b in spec.bodies]
    return (
        f"Top view of a smooth table with dark raised edges: {listing} slide across it,"
        f" each spinning slowly. At the start {', '.join(moves[:-1])} and {moves[-1]}."
        " They bounce off the edges and off each other and keep sliding. Every object"
        " keeps its colour and its printed pattern, in the pattern's own colour, all the"
        " way; the pattern turns with the object. Static camera looking straight down,"
        " plain light table."
    )


def render(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
    return render_patterns(spec, trajectory)


NAMED = {"stripes": "stripes", "dots": "dots", "checker": "a ring of squares"}


def questions(instance: Instance) -> list[Question]:
    """What each body carries (its pattern, the pattern's colour), which body carries a
    given pattern, and how many times bodies meet: the answers come from the scene and
    the simulator's contacts."""
    spec = instance.spec
    own = patterns_of(spec)
    inks = tuple(sorted({p.ink_name for p in own.values()}))
    labels = tuple(b.label for b in spec.bodies)
    out = [
        Question(
            "descriptive",
            "How many collisions between objects happen?",
            str(len(contacts(instance.events))),
        )
    ]
    for b in spec.bodies:
        pattern = own[b.name]
        out.append(
            Question(
                "descriptive",
                f"What is printed on the {b.label}?",
                NAMED[pattern.kind],
                tuple(NAMED[k] for k in KINDS),
            )
        )
        if len(inks) > 1:
            out.append(
                Question(
                    "descriptive",
                    f"What colour is the pattern on the {b.label} at the end?",
                    pattern.ink_name,
                    inks,
                )
            )
    first = spec.bodies[0]
    out.append(
        Question(
            "descriptive",
            f"Which object carries {own[first.name].words} at the end?",
            first.label,
            labels,
        )
    )
    label = {b.name: b.label for b in spec.bodies}
    hits = [e for e in instance.events if e.kind == "contact" and first.name in e.objects]
    if hits:
        what = next(o for o in hits[0].objects if o != first.name)
        out.append(
            Question(
                "explanatory",
                f"What makes the {first.label} change direction for the first time?",
                "an edge of the table" if what == "wall" else label[what],
                (*(x for x in labels if x != first.label), "an edge of the table"),
            )
        )
    left = min(spec.bodies, key=lambda b: float(instance.trajectory.xy(b.name)[-1][0]))
    out.append(
        Question(
            "predictive",
            "Which object is furthest to the left at the end?",
            left.label,
            labels,
            until_frame=spec.fmt.n_frames // 2,
        )
    )
    other = next(k for k in KINDS if k != own[first.name].kind)
    out.append(  # a print weighs nothing: the motion stays the simulator's
        Question(
            "counterfactual",
            f"If the {first.label} carried {NAMED[other]} instead, how many collisions"
            " between objects would happen?",
            str(len(contacts(instance.events))),
        )
    )
    return out


FAMILY = register_family(
    TaskFamily(
        name="patterns",
        version=1,
        capability="temporal",
        law=(
            "a patterned object keeps its pattern and its colours as it moves, spins and"
            " collides; the pattern turns with it"
        ),
        sample=sample,
        prompt=prompt,
        law_checks=verifier("patterns.pattern_checks"),
        render=render,
        questions=questions,
        params=PatternsParams,
        checks=(
            CheckSpec(
                "pattern",
                "each body's pattern read back at its best angle correlates ≥ 0.45 with its own"
                " (a loss held 3 frames); 0 below 0.3",
            ),
            CheckSpec(
                "turns",
                "each pattern's turn from the first frame within 15° of the truth's (held 3"
                " frames, up to turns that look the same); 0 beyond 30°",
            ),
            CheckSpec(
                "colours",
                "each body's own and pattern colour within 24 (Lab, lightness counted half) of"
                " the first frames' (a change held 3 frames); 0 beyond 40",
            ),
        ),
    )
)
