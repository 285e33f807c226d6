"""Law checks of ``sliding-puzzle``: tiles identified by their appearance, not by colour.

There are more tiles than colour keys, so every square of the board is matched against
templates cut from the video's own first frame (each tile where the task puts it, and
the empty square), after shrinking both to a small patch; a few pixels of shift are
allowed. A square is *read* when its best template is much closer than the distance
between that template and any other, and clearly closer than the second best; a frame
is read when every square is, and then gives the board (tile number per square, 0 for
the empty one). While a tile slides, the two squares it spans are unread, or read as if
the tile were in neither or both (for no longer than a move takes).

Consecutive boards must differ by one slide of a tile into the empty square next to it
(or two, when the frames between them showed the tiles moving). Checks: ``first_frame``
(the board of the first frame is the conditioning image's, square by square), ``tiles``
(no tile missing or doubled for longer), ``legal_moves``, ``goal``, ``optimal``, ``timing`` and
``scene`` (the tray and the background outside the board stay as they were).
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np

from vidreason.engines.solvers import Board, board_moves
from vidreason.render.puzzle import render
from vidreason.scene.params.planning import SlidingPuzzleParams
from vidreason.types import Check, Instance, Trajectory
from vidreason.verifiers import planning
from vidreason.verifiers.tracking import Tracks

PATCH = 12  # side of the shrunken square
INSET = 0.8  # the part of a tile that is compared
READ = 0.5  # read when the best distance is below this share of the template's separation
UNIQUE = 0.6  # ... and below this share of the second best (not between two tiles)
SHIFT = 0.05  # of the pitch: how far a square's content may sit off its place


BLANK = 3.0  # a frame whose every channel spreads less than this (std) shows nothing


def blank(frame: np.ndarray) -> bool:
    """Nothing to read: one flat colour, give or take the codec's noise."""
    return float(frame.reshape(-1, frame.shape[-1]).std(axis=0).max()) < BLANK


def _geometry(instance: Instance) -> tuple[int, float, float, float]:
    b = SlidingPuzzleParams.of(instance.spec).board
    return b.n, float(b.x0), float(b.y0), float(b.pitch)


def _patches(frame: np.ndarray, instance: Instance, shifts: bool) -> np.ndarray:
    """(squares, offsets, PATCH*PATCH*3) float32 patches of every square."""
    n, x0, y0, p = _geometry(instance)
    half = INSET * float(SlidingPuzzleParams.of(instance.spec).board.tile) / 2
    d = max(1, round(SHIFT * p))
    offsets = list(itertools.product((-d, 0, d), repeat=2)) if shifts else [(0, 0)]
    h, w = frame.shape[:2]
    out = np.zeros((n * n, len(offsets), PATCH * PATCH * 3), np.float32)
    for s in range(n * n):
        r, c = divmod(s, n)
        cx, cy = x0 + (c + 0.5) * p, y0 + (r + 0.5) * p
        for j, (dx, dy) in enumerate(offsets):
            ax, bx = round(cx + dx - half), round(cx + dx + half)
            ay, by = round(cy + dy - half), round(cy + dy + half)
            ax, ay, bx, by = max(0, ax), max(0, ay), min(w, bx), min(h, by)
            if bx - ax < 2 or by - ay < 2:
                continue
            patch = cv2.resize(frame[ay:by, ax:bx], (PATCH, PATCH), interpolation=cv2.INTER_AREA)
            out[s, j] = patch.reshape(-1)
    return out


def _distances(patches: np.ndarray, templates: np.ndarray) -> np.ndarray:
    """(squares, templates) RMS distance, the best over the allowed offsets."""
    diff = patches[:, :, None, :] - templates[None, None, :, :]
    rms = np.sqrt((diff * diff).mean(axis=3))
    return rms.min(axis=1)


def _sliding(reading: Board, prev: Board | None, n: int) -> bool:
    """A reading that one slide in progress explains: the board before it, except that
    the sliding tile shows in neither square (its own reads empty) or in both (the empty
    square already reads it)."""
    if prev is None:
        return False
    diff = [s for s in range(len(reading)) if reading[s] != prev[s]]
    if len(diff) != 1:
        return False
    s, e = diff[0], prev.index(0)
    near = lambda a, b: abs(a // n - b // n) + abs(a % n - b % n) == 1  # noqa: E731
    if s != e:
        return reading[s] == 0 and near(s, e)
    return near(prev.index(reading[e]), e)


def read_boards(
    frames: np.ndarray, instance: Instance, times: np.ndarray | None = None
) -> tuple[list[Board | None], list[str]]:
    """Per frame the board (None while unread) and, per frame, what is wrong with a fully
    read frame that is not a board (a tile missing or doubled, for longer than one slide
    takes; else "")."""
    params = SlidingPuzzleParams.of(instance.spec)
    start = tuple(int(t) for t in params.start)
    n = params.board.n
    if times is None:
        times = np.arange(len(frames)) / instance.spec.fmt.fps
    slide = float(params.t_move)
    templates = _patches(frames[0], instance, shifts=False)[:, 0]
    sep = _distances(templates[:, None, :], templates) + np.eye(len(templates)) * 1e9
    limit = READ * sep.min(axis=1)
    boards: list[Board | None] = []
    faults: list[str] = []
    prev: Board | None = None
    since: float | None = None  # when the current partial reading began
    for frame, t in zip(frames, times, strict=True):
        dist = _distances(_patches(frame, instance, shifts=True), templates)
        order = np.argsort(dist, axis=1)
        best, d1 = order[:, 0], np.take_along_axis(dist, order[:, :2], axis=1)
        boards.append(None)
        faults.append("")
        if np.any(d1[:, 0] >= limit[best]) or np.any(d1[:, 0] > UNIQUE * d1[:, 1]):
            continue
        board = tuple(start[int(b)] for b in best)
        counts = {k: board.count(k) for k in set(start)}
        missing = [k for k in start if counts.get(k, 0) == 0]
        double = [k for k, c in counts.items() if c > 1]
        if not (missing or double):
            boards[-1], prev, since = board, board, None
            continue
        since = t if since is None else since
        if not (_sliding(board, prev, n) and t - since <= slide):
            faults[-1] = _fault(missing, double)
    return boards, faults


def _fault(missing: list[int], double: list[int]) -> str:
    what = lambda t: "the empty square" if t == 0 else f"tile {t}"  # noqa: E731
    if missing:
        return f"{what(missing[0])} is missing"
    return f"{what(double[0])} appears twice"


def _cell(slot: int, n: int) -> str:
    return f"({slot // n},{slot % n})"


def describe_change(a: Board, b: Board, frame: int, n: int) -> str:
    moved = [t for t in a if t and a.index(t) != b.index(t)]
    if len(moved) == 1:
        t = moved[0]
        return (
            f"tile {t} jumps from {_cell(a.index(t), n)} to {_cell(b.index(t), n)} at frame"
            f" {frame}: a tile can only slide into the empty square next to it"
        )
    if len(moved) == 2 and a.index(moved[0]) == b.index(moved[1]):
        return (
            f"tiles {moved[0]} and {moved[1]} swap places at frame {frame}: a tile can only"
            f" slide into the empty square next to it"
        )
    names = ", ".join(str(t) for t in moved)
    return f"at frame {frame} {len(moved)} tiles change places at once (tiles {names})"


def moves_between(a: Board, b: Board, n: int, depth: int) -> int | None:
    """The fewest slides from ``a`` to ``b`` if at most ``depth``, else None."""
    frontier, seen = {a}, {a}
    for d in range(1, depth + 1):
        frontier = {nb for f in frontier for nb in board_moves(f, n)} - seen
        if b in frontier:
            return d
        seen |= frontier
    return None


def sequence(
    boards: list[Board | None],
    n: int,
    times: np.ndarray | None = None,
    t_move: float = 0.0,
) -> tuple[int, list[str]]:
    """Slides made and illegal changes over the read boards; with ``times``, a slide no
    frame shows under way is a jump."""
    moves, problems = 0, []
    prev, prev_k = None, -1
    for k, board in enumerate(boards):
        if board is None:
            continue
        if prev is not None and board != prev:
            d = moves_between(prev, board, n, depth=2 if k - prev_k > 1 else 1)
            if (
                d == 1
                and times is not None
                and planning.unseen_move(times[prev_k], times[k], k - prev_k > 1, t_move)
            ):
                t = next(t for t in prev if t and prev.index(t) != board.index(t))
                problems.append(
                    f"tile {t} jumps from {_cell(prev.index(t), n)} to {_cell(board.index(t), n)}"
                    f" between frames {prev_k} and {k} without being seen sliding"
                )
                moves += d
            elif d is None:
                problems.append(describe_change(prev, board, k, n))
                moves += sum(1 for t in prev if t and prev.index(t) != board.index(t))
            else:
                moves += d
        prev, prev_k = board, k
    return moves, problems


def truth_boards(instance: Instance) -> list[Board | None]:
    """The ground truth's board per frame (None while a tile slides)."""
    n, x0, y0, p = _geometry(instance)
    traj: Trajectory = instance.trajectory
    out: list[Board | None] = []
    for i in range(traj.n_frames):
        board = [0] * (n * n)
        ok = True
        for name, states in traj.states.items():
            x, y = states[i][:2]
            c, r = (x - x0) / p - 0.5, (y - y0) / p - 0.5
            if abs(c - round(c)) > 0.02 or abs(r - round(r)) > 0.02:
                ok = False
                break
            board[round(r) * n + round(c)] = int(name[4:])
        out.append(tuple(board) if ok else None)
    return out


def first_frame(tracks: Tracks, instance: Instance) -> Check:
    """The board of the video's first frame is the conditioning image's (the family's own
    first frame), square by square, up to brightness and contrast."""
    spec = instance.spec
    one = Trajectory({k: v[:1] for k, v in instance.trajectory.states.items()})
    image = render(spec, one)[0]
    params = SlidingPuzzleParams.of(spec)
    n = params.board.n
    start = [int(t) for t in params.start]

    def normed(img: np.ndarray) -> np.ndarray:
        f = img.astype(np.float32)
        return np.clip((f - f.mean()) / (f.std() + 1e-6) * 50 + 128, 0, 255).astype(np.uint8)

    if blank(tracks.frames[0]):
        return Check("first_frame", 0.0, "the first frame is blank: it shows no board")
    want = _patches(normed(image), instance, shifts=False)[:, 0]
    got = _patches(normed(tracks.frames[0]), instance, shifts=True)
    best = _distances(got, want).argmin(axis=1)
    for s, b in enumerate(best):
        if b != s:
            what = lambda t: "the empty square" if t == 0 else f"tile {t}"  # noqa: E731
            return Check(
                "first_frame",
                0.0,
                f"in the first frame square {_cell(s, n)} shows {what(start[b])}, not"
                f" {what(start[s])} as in the conditioning image",
            )
    return Check("first_frame", 1.0)


def goal_check(tracks: Tracks, boards: list[Board | None], goal: Board) -> Check:
    """The board read at the end is the solved one."""
    if boards and boards[-1] == goal:
        return Check("goal", 1.0)
    if len(tracks.frames) and blank(tracks.frames[-1]):
        return Check("goal", 0.0, "the last frame is blank: it shows no board")
    if boards and boards[-1] is None:
        return Check("goal", 0.0, "the board cannot be read at the end: tiles out of place")
    return Check("goal", 0.0, "the puzzle is not solved at the end")


def tray_check(tracks: Tracks, instance: Instance) -> Check:
    """Nothing outside the board changes (the tray's rim and the background)."""
    n, x0, y0, p = _geometry(instance)
    inner = np.zeros(tracks.frames.shape[1:3], bool)
    m = 3
    inner[max(0, int(y0) - m) : int(y0 + n * p) + m, max(0, int(x0) - m) : int(x0 + n * p) + m] = (
        True
    )

    def describe(x: float, y: float, darker: bool) -> str:
        return f"the tray or the background changes near ({x:.0f}, {y:.0f})"

    return planning.scene(tracks, lambda k: inner, describe, min_area=0.1 * p * p)


def puzzle_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The sliding puzzle's checks, declared in ``tasks/planning/sliding_puzzle.py``: its tiles
    share colour keys, so it checks the first frame itself (``first_frame``), reads every board
    by template matching (``tiles``: no tile missing or doubled for longer than a slide), then
    judges the moves like a grid walk (``legal_moves``, ``goal``, ``optimal``, ``timing``) and
    that nothing else changes (``scene``)."""
    spec = instance.spec
    params = SlidingPuzzleParams.of(spec)
    goal = tuple(int(t) for t in params.goal)
    boards, faults = read_boards(tracks.frames, instance, tracks.times)
    bad = [k for k in range(1, len(faults)) if faults[k] and faults[k - 1]]
    tiles = (
        Check("tiles", 0.0, f"{faults[bad[0]]} at frame {bad[0] - 1}")
        if bad
        else Check("tiles", 1.0)
    )
    moves, problems = sequence(boards, params.board.n, tracks.times, float(params.t_move))
    best = params.optimal_moves
    truth = truth_boards(instance)
    return [
        first_frame(tracks, instance),
        tiles,
        planning.legal("legal_moves", problems),
        goal_check(tracks, boards, goal),
        planning.optimal(
            moves, best, f"the puzzle takes {planning.count(moves, 'move')}; the fewest is {best}"
        ),
        planning.timing(
            planning.settled_at(tracks.times, boards, goal),
            planning.settled_at(np.arange(len(truth)) / spec.fmt.fps, truth, goal),
            spec.fmt.duration,
            "puzzle",
        ),
        tray_check(tracks, instance),
    ]
