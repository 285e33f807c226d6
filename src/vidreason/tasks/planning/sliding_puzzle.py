"""`sliding-puzzle`: numbered tiles in a tray are slid into order, one tile at a time.

A 3x3 board (eight tiles) at difficulty 1 and 2, a 4x4 board (fifteen tiles) at 3,
scrambled by random slides from the solved board; A* gives an optimal solution, whose
length grows with difficulty. Tiles are coloured by the row they belong in (more tiles
than colour keys, so each also carries its number) and the verifier identifies them by
matching every square against the tiles' appearance in the video's first frame
(``verifiers/puzzle.py``). Each slide moves one tile into the empty square next to it,
the slides following one another at a steady pace with a short rest between.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict

import numpy as np

from vidreason.engines.solvers import scramble, solve_puzzle, solved_board
from vidreason.render.puzzle import DIGIT, TRAY, render
from vidreason.scene.params.planning import BoardRecord, SlidingPuzzleParams
from vidreason.tasks import shared_checks as shared
from vidreason.tasks.base import CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.palette import BACKGROUND, pick_colours, r4
from vidreason.tasks.planning import common
from vidreason.types import Body, Event, SceneSpec, Trajectory, VideoFormat

SIZE = {1: 3, 2: 3, 3: 4}
MOVES = {1: (3, 4), 2: (5, 6), 3: (6, 7)}
BOARD_FILL = 0.8  # the board spans this fraction of the frame's shorter side
TILE = 0.9  # tile size as a fraction of the pitch
MOTION = 0.6  # fraction of a move's time spent sliding (the rest is a pause)


def board_geometry(fmt: VideoFormat, n: int) -> BoardRecord:
    pitch = int(BOARD_FILL * min(fmt.width, fmt.height) / n)
    return BoardRecord(
        n=n,
        pitch=pitch,
        tile=r4(TILE * pitch),
        x0=(fmt.width - n * pitch) // 2,
        y0=(fmt.height - n * pitch) // 2,
    )


def slot_centre(board: BoardRecord, slot: int) -> tuple[float, float]:
    r, c = divmod(slot, board.n)
    p = board.pitch
    return board.x0 + (c + 0.5) * p, board.y0 + (r + 0.5) * p


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    n = SIZE[difficulty]
    lo, hi = MOVES[difficulty]
    hi = min(hi, max(1, common.max_moves(fmt) // 2))
    lo = min(lo, hi)
    for _ in range(1000):
        start = scramble(rng, n, hi + int(rng.integers(0, 4)))
        solution = solve_puzzle(start, n)
        if solution is not None and lo <= len(solution) - 1 <= hi:
            break
    else:  # pragma: no cover
        raise RuntimeError("no scramble found")
    colours = pick_colours(rng, n)
    board = board_geometry(fmt, n)
    tiles = []
    for t in range(1, n * n):
        name, colour = colours[(t - 1) // n]
        x, y = slot_centre(board, start.index(t))
        tiles.append(
            Body(
                name=f"tile{t}",
                colour_name=name,
                colour=colour,
                radius=r4(board.tile / 2),
                mass=1.0,
                position=(r4(x), r4(y)),
                shape="box",
                size=(board.tile, board.tile),
                noun=f"tile {t}",
            )
        )
    moves = len(solution) - 1
    params = SlidingPuzzleParams(
        **asdict(common.schedule(fmt, moves)),
        board=board,
        start=list(start),
        goal=list(solved_board(n)),
        rows=[name for name, _ in colours],
        column_colours=[list(c) for _, c in colours],
        palette=[list(TRAY), list(DIGIT)],
    )
    return SceneSpec(
        seed=seed,
        index=index,
        difficulty=difficulty,
        fmt=fmt,
        gravity=0.0,
        bodies=tuple(tiles),
        background=BACKGROUND,
        params=params.to_params(),
        extra=params.to_extra(),
    )


def simulate(spec: SceneSpec) -> tuple[Trajectory, tuple[Event, ...]]:
    """An optimal solution (A*), one eased slide per move on the schedule; a ``slide``
    event when each slide starts (objects: the tile, "row,col" of where it goes)."""
    p = SlidingPuzzleParams.of(spec)
    board, n, fmt = p.board, p.board.n, spec.fmt
    solution = solve_puzzle(tuple(p.start), n)
    assert solution is not None
    t0, tau = p.t_start, p.t_move
    slides = []  # (tile, from slot, to slot, start time)
    for m, (a, b) in enumerate(itertools.pairwise(solution)):
        to, frm = a.index(0), b.index(0)
        slides.append((a[frm], frm, to, t0 + m * tau))
    where = {t: solution[0].index(t) for t in range(1, n * n)}
    states: dict[str, list[tuple[float, ...]]] = {f"tile{t}": [] for t in range(1, n * n)}
    for i in range(fmt.n_frames):
        t = i / fmt.fps
        pos = {k: slot_centre(board, s) for k, s in where.items()}
        vel = dict.fromkeys(where, (0.0, 0.0))
        for tile, frm, to, start in slides:
            if t < start:
                break
            u = (t - start) / (MOTION * tau)
            (xa, ya), (xb, yb) = slot_centre(board, frm), slot_centre(board, to)
            s = float(common.ease(u))
            pos[tile] = (xa + s * (xb - xa), ya + s * (yb - ya))
            if u < 1:
                ds = 6 * u * (1 - u) / (MOTION * tau)
                vel[tile] = ((xb - xa) * ds, (yb - ya) * ds)
        for k in where:
            states[f"tile{k}"].append(
                (r4(pos[k][0]), r4(pos[k][1]), r4(vel[k][0]), r4(vel[k][1]), 0.0)
            )
    events = []
    for tile, _frm, to, start in slides:
        frame = int(np.ceil(start * fmt.fps - 1e-9))
        if frame < fmt.n_frames:
            r, c = divmod(to, n)
            events.append(Event("slide", frame, r4(start), (f"tile{tile}", f"{r},{c}")))
    return Trajectory(states={k: tuple(v) for k, v in states.items()}), tuple(events)


def prompt(spec: SceneSpec) -> str:
    p = SlidingPuzzleParams.of(spec)
    n = p.board.n
    rows = p.rows
    order = ", ".join(f"the {w} row is {c}" for w, c in zip(ROW_WORDS[n], rows, strict=True))
    cols = ", ".join(rows)
    last = n * n - 1
    return (
        f"A {n} by {n} sliding puzzle seen from above: {last} numbered square tiles and one"
        f" empty square in a brown tray. Each tile is coloured by the row it belongs in"
        f" ({order}) and carries a band along its bottom coloured by the column it belongs"
        f" in (from left to right {cols}). The puzzle is solved with as few moves as"
        f" possible: in each move one tile next to the empty square slides into it; tiles"
        f" never jump, lift, rotate or"
        f" swap, and only one tile moves at a time. At the end the tiles read 1 to {last}"
        f" from left to right and top to bottom, with the empty square at the bottom right."
        f" The slides follow one another at a steady pace; the puzzle is solved about"
        f" {common.seconds(common.finish_time(spec) - (1 - MOTION) * p.t_move)}"
        f" in and then stays still. Static camera."
    )


ROW_WORDS = {3: ("top", "middle", "bottom"), 4: ("top", "second", "third", "bottom")}


FAMILY = register_family(
    TaskFamily(
        name="sliding-puzzle",
        version=1,
        # v2: a sliding tile found in every frame, every slide seen under way
        # v3: a slide seen in its tile's place read to a fraction of a square (steps, not
        # a jump of a whole square); the tray's edges may sit a few pixels off their place
        verifier_version=3,
        capability="planning",
        law="a sliding puzzle is solved by sliding one tile at a time into the empty square next to it, in the fewest moves",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("puzzle.puzzle_checks"),
        params=SlidingPuzzleParams,
        checks=(
            CheckSpec("first_frame", "each square shows the conditioning image's tile: pass/fail"),
            CheckSpec(
                "tiles",
                "no tile missing or doubled 2 frames running, no sliding tile missing from"
                " its two squares over 2 frames running or 5% of the frames: pass/fail",
            ),
            CheckSpec(
                "legal_moves",
                "each change of board is one slide into the empty square, seen under way: pass/fail",
            ),
            CheckSpec("goal", "the puzzle ends solved: pass/fail"),
            shared.OPTIMAL,
            shared.TIMING,
            shared.scene("10% of a tile (tray and background)"),
        ),
        simulate=simulate,
        render=render,
        engine="solver",
        generic_checks=("duration",),
    )
)
