"""`sort`: coloured bars of different heights are sorted by swapping neighbours.

Four, five or six bars (one colour key each) stand on a line in a shuffled order whose
number of out-of-order pairs grows with difficulty. The solver sorts them from shortest
on the left to tallest on the right with the fewest swaps of neighbouring bars (that
number is the count of pairs out of order). In each swap the taller bar of the pair is
lifted over the shorter one on an arc while the shorter slides underneath, so the two
never overlap; the swaps follow one another at a steady pace with a short rest between.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict

import numpy as np

from vidreason.engines.solvers import bubble_swaps, inversions
from vidreason.render.raster2d import fill_rect
from vidreason.scene.params.planning import SortParams
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import NO_PATH_CHECKS, CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.palette import BACKGROUND, r4
from vidreason.tasks.planning import common
from vidreason.types import Body, Event, SceneSpec, Trajectory, VideoFormat

BARS = {1: 4, 2: 5, 3: 6}
SWAPS = {1: (2, 3), 2: (3, 4), 3: (4, 5)}
SHORTEST, TALLEST = 0.12, 0.36  # bar heights as fractions of the frame height
FLOOR_Y = 0.9
GAP = 0.03  # clearance of a lifted bar over the one it passes
WIDTH = 0.55  # bar width as a fraction of the slot pitch
MOTION = 0.7  # fraction of a move's time spent moving (the rest is a pause)


def slots(fmt: VideoFormat, n: int) -> tuple[list[float], float]:
    pitch = min(0.8 * fmt.width / n, 0.32 * fmt.height)
    return [r4(fmt.width / 2 + (k - (n - 1) / 2) * pitch) for k in range(n)], r4(pitch)


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    n = BARS[difficulty]
    lo, hi = SWAPS[difficulty]
    hi = min(hi, max(1, common.max_moves(fmt) // 2))
    lo = min(lo, hi)
    perms = [p for p in itertools.permutations(range(n)) if lo <= inversions(p) <= hi]
    order = perms[int(rng.integers(len(perms)))]  # order[slot] = rank (0: shortest)
    colours = common.pick_distinct(rng, n)
    xs, pitch = slots(fmt, n)
    floor_y = r4(FLOOR_Y * fmt.height)
    w = r4(WIDTH * pitch)
    bars = {}
    for rank in range(n):
        h = r4((SHORTEST + (TALLEST - SHORTEST) * rank / (n - 1)) * fmt.height)
        name, colour = colours[rank]
        slot = order.index(rank)
        bars[rank] = Body(
            name=f"bar{rank + 1}",
            colour_name=name,
            colour=colour,
            radius=r4(w / 2),
            mass=1.0,
            position=(xs[slot], r4(floor_y - h / 2)),
            shape="box",
            size=(w, h),
            noun="bar",
        )
    moves = inversions(order)
    params = SortParams(
        **asdict(common.schedule(fmt, moves)),
        pitch=pitch,
        slots=xs,
        floor_y=floor_y,
        order=[bars[order[s]].name for s in range(n)],
        target=[bars[r].name for r in range(n)],
        palette=[list(common.WALL)],
    )
    return SceneSpec(
        seed=seed,
        index=index,
        difficulty=difficulty,
        fmt=fmt,
        gravity=0.0,
        bodies=tuple(bars[order[s]] for s in range(n)),  # left to right
        background=BACKGROUND,
        params=params.to_params(),
        extra=params.to_extra(),
    )


def _positions(spec: SceneSpec, t: float) -> dict[str, tuple[float, float]]:
    """Where every bar is at time ``t`` (s) on the schedule."""
    p = SortParams.of(spec)
    xs, floor_y = p.slots, p.floor_y
    t0, tau = p.t_start, p.t_move
    bodies = {b.name: b for b in spec.bodies}
    order = list(p.order)
    ranks = [int(b.name[3:]) for b in (bodies[n] for n in order)]
    pos = {n: (xs[k], floor_y - bodies[n].size[1] / 2) for k, n in enumerate(order)}
    for m, i in enumerate(bubble_swaps(ranks)):
        start = t0 + m * tau
        if t < start:
            break
        u = float(common.ease((t - start) / (MOTION * tau)))
        left, right = order[i], order[i + 1]
        tall, short = sorted((left, right), key=lambda n: -bodies[n].size[1])
        lift = (bodies[short].size[1] + GAP * spec.fmt.height) / 0.8
        c = (1 - np.cos(np.pi * u)) / 2  # 0 -> 1 along the swap
        for name, here, there in ((left, i, i + 1), (right, i + 1, i)):
            x = xs[here] + (xs[there] - xs[here]) * c
            y = floor_y - bodies[name].size[1] / 2
            if name == tall:
                y -= lift * np.sin(np.pi * u)
            pos[name] = (x, y)
        if u >= 1.0:
            order[i], order[i + 1] = right, left
            ranks[i], ranks[i + 1] = ranks[i + 1], ranks[i]
    return pos


def simulate(spec: SceneSpec) -> tuple[Trajectory, tuple[Event, ...]]:
    """Bubble sort (the leftmost pair out of order first) played on the schedule; a
    ``swap`` event when each swap starts."""
    fmt, dt = spec.fmt, 1e-3
    states: dict[str, list[tuple[float, ...]]] = {b.name: [] for b in spec.bodies}
    for i in range(fmt.n_frames):
        t = i / fmt.fps
        now, soon = _positions(spec, t), _positions(spec, t + dt)
        for name, (x, y) in now.items():
            vx, vy = (soon[name][0] - x) / dt, (soon[name][1] - y) / dt
            states[name].append((r4(x), r4(y), r4(vx), r4(vy), 0.0))
    p = SortParams.of(spec)
    order = list(p.order)
    ranks = [int(n[3:]) for n in order]
    events = []
    t0, tau = p.t_start, p.t_move
    for m, i in enumerate(bubble_swaps(ranks)):
        t = t0 + m * tau
        frame = int(np.ceil(t * fmt.fps - 1e-9))
        if frame < fmt.n_frames:
            events.append(Event("swap", frame, r4(t), (order[i], order[i + 1])))
        order[i], order[i + 1] = order[i + 1], order[i]
    return Trajectory(states={k: tuple(v) for k, v in states.items()}), tuple(events)


def render(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
    """The bars as boxes standing on a dark line."""
    if spec.fmt.style != "flat":
        return _render_styled(spec, trajectory)
    p = SortParams.of(spec)
    xs, floor_y, pitch = p.slots, p.floor_y, p.pitch
    base = np.empty((spec.fmt.height, spec.fmt.width, 3), np.uint8)
    base[:] = spec.background
    th = max(2.0, 0.012 * spec.fmt.height)
    fill_rect(base, xs[0] - pitch / 2, floor_y, xs[-1] + pitch / 2, floor_y + th, common.WALL)
    frames = []
    for i in range(trajectory.n_frames):
        img = base.copy()
        for b in spec.bodies:
            if b.name in trajectory.states:
                x, y = trajectory.states[b.name][i][:2]
                w, h = b.size
                fill_rect(img, x - w / 2, y - h / 2, x + w / 2, y + h / 2, b.colour)
        frames.append(img)
    return np.stack(frames)


def _render_styled(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
    """The bars shaded (lit from the top left, soft shadows) or striped in tints of their
    colour on a checked background (``render/grid_style.py``)."""
    from vidreason.render import grid_style as gs

    p = SortParams.of(spec)
    xs, floor_y, pitch, style = p.slots, p.floor_y, p.pitch, spec.fmt.style
    canvas = gs.backdrop(spec, spec.background, pitch / 3, 0.0, floor_y)
    th = max(2.0, 0.012 * spec.fmt.height)
    line = gs.rect(xs[0] - pitch / 2, floor_y, xs[-1] + pitch / 2, floor_y + th)
    if style == "shaded":
        gs.cast(canvas, [line], gs.shadow_reach(2 * th))
    gs.paint(canvas, line, common.WALL, style, fixed=True)
    bodies = [b for b in spec.bodies if b.name in trajectory.states]
    reach = gs.shadow_reach(min(b.size[0] for b in bodies)) if bodies else 0.0
    frames = np.empty((trajectory.n_frames, *canvas.shape), np.uint8)
    for i in range(trajectory.n_frames):
        img = canvas.copy()
        shapes = []
        for b in bodies:
            x, y = trajectory.states[b.name][i][:2]
            w, h = b.size
            shapes.append(gs.rect(x - w / 2, y - h / 2, x + w / 2, y + h / 2))
        if style == "shaded":
            gs.cast(img, shapes, reach)
        for b, shape in zip(bodies, shapes, strict=True):
            gs.paint(img, shape, b.colour, style)
        frames[i] = gs.to_uint8(img)
    return frames


def prompt(spec: SceneSpec) -> str:
    names = [b.colour_name for b in spec.bodies]
    listing = ", ".join(names[:-1]) + f" and {names[-1]}"
    return (
        f"{len(names)} coloured bars of different heights stand in a row on a dark line;"
        f" from left to right they are {listing}. They are sorted so that they stand from"
        f" the shortest on the left to the tallest on the right, with as few swaps as"
        f" possible. Only two neighbouring bars may swap places, one swap at a time: the"
        f" taller bar of the pair is lifted over the shorter one while the shorter slides"
        f" underneath, then both stand on the line again before the next swap. The swaps"
        f" follow one another at a steady pace; the row is sorted about"
        f" {common.seconds(common.finish_time(spec) - (1 - MOTION) * SortParams.of(spec).t_move)}"
        f" in and then stays still. The bars never change colour or size. Static camera,"
        f" plain light background."
    )


FAMILY = register_family(
    TaskFamily(
        generic_checks=NO_PATH_CHECKS,
        name="sort",
        version=1,
        capability="planning",
        law="bars are sorted by height by swapping two neighbours at a time, with the fewest swaps (the number of pairs out of order)",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("sorting.sort_checks"),
        params=SortParams,
        checks=(
            CheckSpec(
                "legal_swaps",
                "each change of order is one swap of neighbours, seen under way: pass/fail",
            ),
            CheckSpec("goal", "the bars end sorted, shortest to tallest: pass/fail"),
            CheckSpec("optimal", "exactly the fewest swaps: pass/fail"),
            shared.TIMING,
            shared.scene("30% of the smallest bar"),
        ),
        simulate=simulate,
        render=render,
        engine="solver",
    )
)
