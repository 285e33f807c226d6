"""`dominoes`: a row of upright blocks topples one after another until a gap stops it.

Three, four or five thin blocks (by difficulty), each with its own colour key, stand
upright in a row on the floor, seen from the side. The first one is given a push to the
right, a little more than it takes to tip it over, so it teeters before it falls and how
soon it falls depends on gravity. Each block that falls knocks over the next; a gap wider
than a block is tall stops the chain, and the blocks past it stay standing.

Scenes are generated in counterfactual pairs. A row without a gap gets one (the blocks
from one of them on are moved further right, so the chain stops before it); a row with a
gap has it closed. Every scene is simulated when it is drawn and kept only if it behaves
as designed: the blocks before the gap fall and those after it never move, everything
stays in view, and the chain is either still moving or completely still at a third and at
two thirds of the clip (so a video frozen there is told apart from the truth).

The outcome is ``{"fallen": [labels in the order they fell]}``. The verifier
(``verifiers.dominoes``) checks which blocks fall and in what order, when each falls,
that no block moves before the one before it reaches it, and where everything ends up.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from vidreason.engines.pymunk_sim import simulate
from vidreason.scene.events import Motion, topple
from vidreason.scene.geometry import half_diagonal
from vidreason.scene.params.causal import DominoesParams
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.commonsense.scene import block, ground, pick_colour_set, unit
from vidreason.tasks.palette import BACKGROUND, r4
from vidreason.types import (
    Body,
    Instance,
    Question,
    SceneSpec,
    Trajectory,
    VideoFormat,
    Wall,
)

COUNT = {1: 3, 2: 4, 3: 5}  # blocks in the row
HEIGHT = {1: 0.24, 2: 0.22, 3: 0.19}  # block height / unit (frame height; portrait: width)
WIDTH = {1: 0.055, 2: 0.05, 3: 0.045}  # block width / unit
SPACING = {1: (0.4, 0.55), 2: (0.45, 0.58), 3: (0.5, 0.6)}  # free space / block height
GAP = {1: (1.4, 1.55), 2: (1.3, 1.45), 3: (1.25, 1.35)}  # a gap that stops the chain
# Units per (clip duration)²: the first block teeters for a fifth to a third of
# the clip, and the chain then runs at about a seventh of the clip per block.
GRAVITY = 16.0
PUSH = (1.02, 1.12)  # push given to the first block, in multiples of the least that tips it
MARGIN = 0.03  # free space kept at the right edge, fraction of the frame width
SETTLED = 0.3  # a fallen block's centre ends this many half-diagonals below where it stood
FREEZE_SAFE = 0.06  # fraction of the frame a body must still travel after a still point
NUMBERS = {3: "Three", 4: "Four", 5: "Five"}


# --- drawing a row ---------------------------------------------------------------------


def block_names(k: int) -> list[str]:
    return [f"block{i + 1}" for i in range(k)]


def row_blocks(spec: SceneSpec) -> list[Body]:
    return sorted((b for b in spec.bodies if b.shape == "box"), key=lambda b: b.position[0])


def gap_before(spec: SceneSpec) -> int | None:
    """Index of the first block whose free space to the previous one is wider than a
    block is tall (the chain cannot cross it), or None."""
    row = row_blocks(spec)
    for j in range(1, len(row)):
        free = row[j].position[0] - row[j - 1].position[0] - row[j].size[0]
        if free > row[j].size[1]:
            return j
    return None


def shift_from(spec: SceneSpec, j: int, dx: float) -> SceneSpec:
    """The scene with block ``j`` and every block after it moved ``dx`` px to the right."""
    moved = {b.name for b in row_blocks(spec)[j:]}
    bodies = tuple(
        dataclasses.replace(b, position=(r4(b.position[0] + dx), b.position[1]))
        if b.name in moved
        else b
        for b in spec.bodies
    )
    return dataclasses.replace(spec, bodies=bodies)


def _layout(
    rng: np.random.Generator, difficulty: int, fmt: VideoFormat, x0: float
) -> tuple[list[float], float, float]:
    """Centres of a gap-free row starting at ``x0``, the block width and height."""
    h, w = HEIGHT[difficulty] * unit(fmt), WIDTH[difficulty] * unit(fmt)
    xs = [x0]
    for _ in range(COUNT[difficulty] - 1):
        xs.append(xs[-1] + w + rng.uniform(*SPACING[difficulty]) * h)
    return xs, w, h


def gravity(fmt: VideoFormat) -> float:
    return r4(GRAVITY * unit(fmt) / fmt.duration**2)


def tipping_speed(b: Body, g: float) -> float:
    """The least angular speed (rad/s) about its lower corner that tips an upright block
    over: enough to lift its centre to straight above the corner."""
    w, h = b.size
    r = float(np.hypot(w, h) / 2)
    return float(np.sqrt(3.0 * g * (r - h / 2) / (2.0 * r * r)))


def _push(b: Body, omega: float) -> Body:
    """``b`` tipped to the right about its lower right corner at ``omega`` rad/s."""
    w, h = b.size
    return dataclasses.replace(
        b, angular_velocity=r4(omega), velocity=(r4(omega * h / 2), r4(-omega * w / 2))
    )


def _scene(
    seed: int,
    index: int,
    difficulty: int,
    fmt: VideoFormat,
    bodies: list[Body],
    walls: list[Wall],
    floor_y: float,
) -> SceneSpec:
    return SceneSpec(
        seed=seed,
        index=index,
        difficulty=difficulty,
        fmt=fmt,
        gravity=gravity(fmt),
        bodies=tuple(bodies),
        walls=tuple(walls),
        background=BACKGROUND,
        params=DominoesParams(floor_y=r4(floor_y)).to_params(),
    )


# --- what a scene does ------------------------------------------------------------------


def trajectory_falls(spec: SceneSpec, traj: Trajectory) -> dict[str, int]:
    """The blocks that fall over in ``traj`` and the frame each falls at."""
    times = np.arange(traj.n_frames) / spec.fmt.fps
    out = {}
    for b in row_blocks(spec):
        motion = Motion(times=times, xy=traj.xy(b.name))
        c = topple(motion, half_diagonal(b))
        if c is not None:
            out[b.name] = c.frame
    return out


def _still_or_moving(spec: SceneSpec, traj: Trajectory, falls: dict[str, int], at: int) -> bool:
    """From frame ``at`` on, either nothing moves at all or the motion left is large
    enough to tell a video frozen at ``at`` from the truth."""
    if any(f >= at + 2 for f in falls.values()):
        return True
    size = max(spec.fmt.width, spec.fmt.height)
    still, left = True, 0.0
    for b in spec.bodies:
        s = traj.array(b.name)
        reach = b.radius if b.shape == "circle" else half_diagonal(b)
        d = np.hypot(s[at:, 0] - s[at, 0], s[at:, 1] - s[at, 1]) + reach * np.abs(
            s[at:, 4] - s[at, 4]
        )
        still &= bool(d.max() < 0.05)
        left = max(left, float(np.hypot(s[-1, 0] - s[at, 0], s[-1, 1] - s[at, 1])))
    return still or left >= FREEZE_SAFE * size


def behaves(spec: SceneSpec) -> bool:
    """Does the simulated scene do what it was designed to: the blocks before the gap
    fall in order, at least a frame apart, and are down by the end; the rest never move; everything stays in view;
    a video frozen at a third or two thirds of the clip differs from the truth."""
    traj = simulate(spec).trajectory
    row = row_blocks(spec)
    stop = gap_before(spec) or len(row)
    falls = trajectory_falls(spec, traj)
    if set(falls) != {b.name for b in row[:stop]}:
        return False
    frames = [falls[b.name] for b in row[:stop]]
    if any(b - a < 2 for a, b in itertools.pairwise(frames)):
        return False
    for b in row[:stop]:  # each fallen block lies clearly lower by the end
        s = traj.array(b.name)
        if s[-1, 1] - s[0, 1] < SETTLED * half_diagonal(b):
            return False
    for b in row[stop:]:
        s = traj.array(b.name)
        if np.abs(s[:, :2] - s[0, :2]).max() > 0.3:
            return False
    w, h = spec.fmt.width, spec.fmt.height
    for b in spec.bodies:
        s = traj.array(b.name)
        if not (b.radius <= s[:, 0].min() and s[:, 0].max() <= w - b.radius):
            return False
        if not (b.radius <= s[:, 1].min() and s[:, 1].max() <= h - b.radius):
            return False
    n = spec.fmt.n_frames
    return all(_still_or_moving(spec, traj, falls, at) for at in (n // 3, 2 * n // 3))


def _gap_width(spec: SceneSpec, j: int, gap: float) -> float:
    """How far to move block ``j`` on so that the free space before it is ``gap`` block
    heights (a gap the chain cannot cross)."""
    row = row_blocks(spec)
    h, w = row[j].size[1], row[j].size[0]
    free = row[j].position[0] - row[j - 1].position[0] - w
    return r4(gap * h - free)


def _fits(spec: SceneSpec) -> bool:
    """The last block, and its fall if it falls, stay clear of the right edge."""
    row = row_blocks(spec)
    last = row[-1]
    reach = last.size[0] / 2 + (0.0 if gap_before(spec) else last.size[1])
    return last.position[0] + reach <= spec.fmt.width * (1.0 - MARGIN)


def _openings(spec: SceneSpec, rng: np.random.Generator) -> list[tuple[SceneSpec, str]]:
    """Every way to open a stopping gap in a gap-free row (the middle of the difficulty's
    range of gap widths), in a random order."""
    row = row_blocks(spec)
    out = []
    for j in rng.permutation(np.arange(2, len(row))):
        dx = _gap_width(spec, int(j), float(np.mean(GAP[spec.difficulty])))
        what = (
            f"the {row[j].label} and the blocks after it are moved {dx:.0f} px further"
            " right, leaving a gap too wide for the chain to cross"
            if j < len(row) - 1
            else f"the {row[j].label} is moved {dx:.0f} px further right, leaving a gap too"
            " wide for the chain to cross"
        )
        out.append((shift_from(spec, int(j), dx), what))
    return out


def _closing(spec: SceneSpec) -> tuple[SceneSpec, str]:
    """The row with its gap closed to the spacing of the other neighbours."""
    row = row_blocks(spec)
    j = gap_before(spec)
    assert j is not None
    others = [row[i].position[0] - row[i - 1].position[0] for i in range(1, len(row)) if i != j]
    dx = r4(row[j].position[0] - row[j - 1].position[0] - float(np.mean(others)))
    what = f"the gap before the {row[j].label} is closed: it is moved {dx:.0f} px to the left"
    if j < len(row) - 1:
        what = (
            f"the gap before the {row[j].label} is closed: it and the blocks after it are"
            f" moved {dx:.0f} px to the left"
        )
    return shift_from(spec, j, -dx), what


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    floor_y, floor_wall = ground(fmt)
    k = COUNT[difficulty]
    for _ in range(200):
        colours = pick_colour_set(rng, k)
        xs, w, h = _layout(rng, difficulty, fmt, rng.uniform(0.08, 0.14) * fmt.width)
        row = [
            block(n, c, (w, h), (x, floor_y - h / 2))
            for n, c, x in zip(block_names(k), colours, xs, strict=True)
        ]
        push = rng.uniform(*PUSH) * tipping_speed(row[0], gravity(fmt))
        row[0] = _push(row[0], push)
        spec = _scene(seed, index, difficulty, fmt, row, [floor_wall], floor_y)
        if rng.random() < 0.5:
            j = int(rng.integers(2, k))
            spec = shift_from(spec, j, _gap_width(spec, j, rng.uniform(*GAP[difficulty])))
        if not (_fits(spec) and behaves(spec)):
            continue
        if gap_before(spec) is not None:
            closed, _ = _closing(spec)
            if _fits(closed) and behaves(closed):
                return spec
        elif any(_fits(s) and behaves(s) for s, _ in _openings(spec, rng)):
            return spec
    raise RuntimeError("no row of blocks behaves as designed")  # pragma: no cover


def intervene(spec: SceneSpec, rng: np.random.Generator) -> tuple[SceneSpec, str]:
    """Close the gap of a row that has one; open one in a row that has none."""
    if gap_before(spec) is not None:
        return _closing(spec)
    for changed, what in _openings(spec, rng):
        if _fits(changed) and behaves(changed):
            return changed, what
    raise RuntimeError("no gap stops this row")  # pragma: no cover


# --- words -----------------------------------------------------------------------------


def _names(labels: list[str]) -> str:
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + f" and {labels[-1]}"


def prompt(spec: SceneSpec) -> str:
    row = row_blocks(spec)
    colours = _names([b.colour_name for b in row])
    text = (
        f"{NUMBERS[len(row)]} thin blocks stand upright in a row on the floor, {colours}"
        " from left to right."
    )
    text += f" The {row[0].label}, on the left, is given a push to the right."
    j = gap_before(spec)
    if j is None:
        text += " Each block topples into the next one, in turn, until all of them have fallen."
    else:
        standing = _names([b.colour_name for b in row[j:]])
        stay = "stays" if len(row) - j == 1 else "stay"
        text += (
            " Each block topples into the next one, in turn, but the gap before the"
            f" {row[j].label} is wider than a block is tall, so the chain stops there and"
            f" the {standing} {'block' if len(row) - j == 1 else 'blocks'} {stay} standing."
        )
    return text + " Side view, static camera, plain light background."


def _fallen_after(spec: SceneSpec) -> dict[str, int]:
    return trajectory_falls(spec, simulate(spec).trajectory)


def _hitter(instance: Instance, name: str) -> str:
    """The label of what first touches block ``name`` in the ground truth."""
    spec = instance.spec
    bodies = {b.name for b in spec.bodies}
    for e in instance.events:
        if name in e.objects:
            other = [o for o in e.objects if o != name]
            if other and other[0] in bodies:
                return spec.body(other[0]).label
    return ""  # pragma: no cover - every block but the pushed first one is hit


def questions(instance: Instance) -> list[Question]:
    spec = instance.spec
    row = row_blocks(spec)
    labels = tuple(b.label for b in row)
    everything = tuple(b.label for b in spec.bodies)
    falls = trajectory_falls(spec, instance.trajectory)
    order = [spec.body(n) for n in sorted(falls, key=lambda n: falls[n])]
    yes = {True: "yes", False: "no"}
    out = [
        Question("descriptive", "How many blocks fall over?", str(len(order))),
        Question("descriptive", "Which block is the last to fall over?", order[-1].label, labels),
        Question(
            "explanatory",
            f"What knocks over the {order[-1].label}?",
            _hitter(instance, order[-1].name),
            everything,
        ),
    ]
    j = gap_before(spec)
    target = row[-1] if j is None else row[j]
    out.append(
        Question(
            "predictive",
            f"Will the {target.label} fall over?",
            yes[target.name in falls],
            until_frame=falls[order[0].name],
        )
    )
    unpushed = dataclasses.replace(row[0], angular_velocity=0.0, velocity=(0.0, 0.0))
    without = dataclasses.replace(
        spec, bodies=tuple(unpushed if b.name == row[0].name else b for b in spec.bodies)
    )
    q = f"If the {row[0].label} were not pushed, would it fall over?"
    out.append(Question("counterfactual", q, yes[row[0].name in _fallen_after(without)]))
    if len(order) >= 3:
        gone = order[1]
        fewer = dataclasses.replace(
            spec, bodies=tuple(b for b in spec.bodies if b.name != gone.name)
        )
        out.append(
            Question(
                "counterfactual",
                f"If the {gone.label} were taken away, would the {order[-1].label} still fall"
                " over?",
                yes[order[-1].name in _fallen_after(fewer)],
            )
        )
    return out


FAMILY = register_family(
    TaskFamily(
        name="dominoes",
        version=1,
        verifier_version=2,  # v2: a start or a fall judged within what an unmeasured camera moved
        capability="causal",
        law="each toppling block knocks over the next one, in order, and a gap wider than a"
        " block is tall stops the chain",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("dominoes.dominoes_checks"),
        params=DominoesParams,
        checks=(
            CheckSpec("chain", "the blocks that fall are the truth's, in its order: pass/fail"),
            CheckSpec("timing", "each topple within 0.08 s of the truth; 0 beyond 0.2 s"),
            CheckSpec(
                "cause",
                "no block moves more than 0.1 s before its cause reaches it; one nothing reaches"
                " stays put: pass/fail",
            ),
            CheckSpec(
                "settle", "each block rests within 2% of the frame of its place; 0 beyond 4.5%"
            ),
            CheckSpec(
                "extras",
                "no unknown or second blob of 0.4 × the thinnest body's width² for 3 frames: pass/fail",
            ),
        ),
        outcome=verifier("dominoes.chain_outcome"),
        truth_outcome=verifier("dominoes.expected_outcome"),
        intervene=intervene,
        questions=questions,
    )
)
