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
(or two), each seen happening: the tile's place between its two squares, read to a
fraction of a square in every frame from one board to the next (``puzzle_track``), moves
in steps, never a whole square at once (a tile that stands still and then stands in the
next square jumped; one faster than the task's, met by a frame or none on its way, still
moves in steps). Checks: ``first_frame``
(the board of the first frame is the conditioning image's, square by square), ``tiles``
(no tile missing or doubled for longer), ``legal_moves``, ``goal``, ``optimal``, ``timing`` and
``scene`` (the tray and the background outside the board stay as they were).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import cv2
import numpy as np

from vidreason.engines.solvers import Board, board_moves
from vidreason.perception.tracking import Tracks
from vidreason.render.puzzle import render
from vidreason.scene.params.planning import SlidingPuzzleParams
from vidreason.types import Check, Instance, Trajectory
from vidreason.verifiers import planning
from vidreason.verifiers.checks import (
    MAX_MISSING,
    MAX_MISSING_RUN,
    band,
    frame_ranges,
    longest_run,
)
from vidreason.verifiers.puzzle_track import TileTrack

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


Layout = tuple[int, float, float, float, float]  # n, x0, y0, pitch, half a compared part


def _layout(instance: Instance) -> Layout:
    """The board's geometry and half the side of a tile's compared part (read off the
    spec once, not per frame)."""
    n, x0, y0, p = _geometry(instance)
    return n, x0, y0, p, INSET * float(SlidingPuzzleParams.of(instance.spec).board.tile) / 2


def _patches(frame: np.ndarray, layout: Layout, shifts: bool) -> np.ndarray:
    """(squares, offsets, PATCH*PATCH*3) float32 patches of every square."""
    n, x0, y0, p, half = layout
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


def _distances_each(patches: np.ndarray, looks: np.ndarray) -> np.ndarray:
    """(squares,) RMS distance of each square to its own template ``looks[square]``, the
    best over the allowed offsets."""
    diff = patches - looks[:, None, :]
    return np.sqrt((diff * diff).mean(axis=2)).min(axis=1)


def _tray_light(instance: Instance, layout: Layout, empty: int) -> np.ndarray:
    """(squares, PATCH*PATCH*3): how the bare tray in each square differs from the tray
    in square ``empty``, as the family draws it (a shaded tray is lit from one side, a
    textured one striped), so that the empty square is known wherever it goes."""
    spec = instance.spec
    far = -10.0 * max(spec.fmt.width, spec.fmt.height)  # every tile off the picture
    off = Trajectory({b.name: ((far, far, 0.0, 0.0, 0.0),) for b in spec.bodies})
    bare = _patches(render(spec, off)[0], layout, shifts=False)[:, 0]
    return bare - bare[empty][None, :]


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
    layout = _layout(instance)
    templates = _patches(frames[0], layout, shifts=False)[:, 0]
    empty = start.index(0)
    empty_looks = templates[empty][None, :] + _tray_light(instance, layout, empty)
    sep = _distances(templates[:, None, :], templates) + np.eye(len(templates)) * 1e9
    limit = READ * sep.min(axis=1)
    boards: list[Board | None] = []
    faults: list[str] = []
    prev: Board | None = None
    since: float | None = None  # when the current partial reading began
    for frame, t in zip(frames, times, strict=True):
        patches = _patches(frame, layout, shifts=True)
        dist = _distances(patches, templates)
        dist[:, empty] = _distances_each(patches, empty_looks)
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
    under_way: Callable[[int, int, Board, Board], bool] | None = None,
) -> tuple[int, list[str]]:
    """Slides made and illegal changes over the read boards; with ``times``, a slide no
    frame shows under way is a jump. ``under_way(i, k, a, b)``: whether a frame between
    readings ``i`` and ``k`` shows the one slide from board ``a`` to ``b`` in progress
    (default: any frame between them)."""
    moves, problems = 0, []
    prev, prev_k = None, -1
    for k, board in enumerate(boards):
        if board is None:
            continue
        if prev is not None and board != prev:
            d = moves_between(prev, board, n, depth=2 if k - prev_k > 1 else 1)
            path = slide_path(prev, board, n) if d is not None else []
            if times is not None and d is not None:
                unseen = _unseen(path, prev_k, k, times, t_move, under_way)
                problems += [
                    f"tile {t} jumps from {_cell(a.index(t), n)} to {_cell(b.index(t), n)}"
                    f" between frames {prev_k} and {k} without being seen sliding"
                    for a, b, t in unseen
                ]
                moves += d
            elif d is None:
                problems.append(describe_change(prev, board, k, n))
                moves += sum(1 for t in prev if t and prev.index(t) != board.index(t))
            else:
                moves += d
        prev, prev_k = board, k
    return moves, problems


def slide_path(a: Board, b: Board, n: int) -> list[Board]:
    """The boards from ``a`` to ``b`` by single slides (one or two), both ends included."""
    if b in board_moves(a, n):
        return [a, b]
    mid = next((m for m in board_moves(a, n) if b in board_moves(m, n)), None)
    return [a, b] if mid is None else [a, mid, b]


def _unseen(
    path: list[Board],
    i: int,
    k: int,
    times: np.ndarray,
    t_move: float,
    under_way: Callable[[int, int, Board, Board], bool] | None,
) -> list[tuple[Board, Board, int]]:
    """The slides of ``path`` (between readings ``i`` and ``k``) that no frame shows
    under way, as (board before, board after, tile); frames too far apart to show a
    slide (``planning.SEEN`` of the time per slide, for each slide) excuse it. Without
    ``under_way``, a slide with a frame between the readings counts as seen."""
    out = []
    slow = float(times[k] - times[i]) >= planning.SEEN * t_move * (len(path) - 1)
    for a, b in itertools.pairwise(path):
        seen = under_way(i, k, a, b) if under_way is not None else k - i > 1
        if not seen and not slow:
            out.append((a, b, _slid(a, b)[0]))
    return out


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
    want = _patches(normed(image), _layout(instance), shifts=False)[:, 0]
    got = _patches(normed(tracks.frames[0]), _layout(instance), shifts=True)
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


SLACK = 0.06  # of the pitch: how far the whole picture may sit off the first (``tray_check``)


def tray_check(tracks: Tracks, instance: Instance) -> Check:
    """Nothing outside the board changes (the tray's rim and the background), with the
    frame shifted by up to ``SLACK`` of the pitch where that explains the change: the
    camera is registered on little of the scene (the tiles cover the board, and the tiles
    that stand still cannot be trusted where the video sets its own pace), so a shaking
    camera may be met a few pixels off; a thing that appears stays, whatever the shift."""
    n, x0, y0, p = _geometry(instance)
    inner = np.zeros(tracks.frames.shape[1:3], bool)
    m = 3
    inner[max(0, int(y0) - m) : int(y0 + n * p) + m, max(0, int(x0) - m) : int(x0 + n * p) + m] = (
        True
    )

    def describe(x: float, y: float, darker: bool) -> str:
        return f"the tray or the background changes near ({x:.0f}, {y:.0f})"

    slack = round(SLACK * p)
    return planning.scene(tracks, lambda k: inner, describe, min_area=0.1 * p * p, slack=slack)


PRESENT = 0.5  # of a tile's colour mass: found over its two squares, the tile is there
BLEND = 0.3  # of the tray-to-tile colour distance: how far off that line a blend may lie


def _cell_box(slot: int, instance: Instance) -> tuple[int, int, int, int]:
    n, x0, y0, p = _geometry(instance)
    r, c = divmod(slot, n)
    return round(x0 + c * p), round(y0 + r * p), round(x0 + (c + 1) * p), round(y0 + (r + 1) * p)


class Masses:
    """How much of each tile's colour a square of a frame holds, against the video's own
    first frame: a pixel on the line between the tray's colour and the tile's counts by
    how far along it lies (a blend by its share; another tile's colour not at all), so a tile blurred by its motion keeps its mass, and a
    tile sliding between two squares has its mass split between them."""

    def __init__(self, tracks: Tracks, instance: Instance) -> None:
        params = SlidingPuzzleParams.of(instance.spec)
        start = [int(t) for t in params.start]
        self.frames, self.instance = tracks.frames, instance
        n = params.board.n
        self.boxes = [_cell_box(slot, instance) for slot in range(n * n)]  # (once, not per read)
        first = tracks.frames[0].astype(np.float32)
        empty = self._pixels(first, start.index(0))
        self.tray = np.median(empty, axis=0)
        self.colour: dict[int, np.ndarray] = {}
        self.whole: dict[int, float] = {}
        for slot, t in enumerate(start):
            if t:
                self.colour[t] = np.asarray(instance.spec.body(f"tile{t}").colour, np.float32)
                self.colour[t] = self._read(first, slot, self.colour[t])
                self.whole[t] = self.mass(0, t, (slot,))

    def _pixels(self, frame: np.ndarray, slot: int) -> np.ndarray:
        ax, ay, bx, by = self.boxes[slot]
        return frame[max(0, ay) : by, max(0, ax) : bx].reshape(-1, 3)

    def _read(self, frame: np.ndarray, slot: int, key: np.ndarray) -> np.ndarray:
        """The tile's colour as the video shows it: the median of the square's pixels
        nearest its key."""
        px = self._pixels(frame, slot)
        d = np.linalg.norm(px - key, axis=1)
        near = px[d <= np.quantile(d, 0.3)]
        return np.median(near, axis=0) if len(near) else key

    def mass(self, k: int, tile: int, slots: tuple[int, ...]) -> float:
        frame = self.frames[k].astype(np.float32)
        axis = self.colour[tile] - self.tray
        norm = float(axis @ axis)
        if norm < 1.0:
            return 0.0
        px = np.concatenate([self._pixels(frame, s) for s in slots]) - self.tray
        share = np.clip(px @ axis / norm, 0.0, 1.0)
        off = np.linalg.norm(px - share[:, None] * axis[None, :], axis=1)
        return float(share[off <= BLEND * np.sqrt(norm)].sum())

    def present(self, k: int, tile: int, a: int, b: int) -> bool:
        """Frame ``k`` shows ``tile`` somewhere over squares ``a`` and ``b``."""
        return self.mass(k, tile, (a, b)) >= PRESENT * self.whole[tile]


def _slid(a: Board, b: Board) -> tuple[int, int, int]:
    """The tile of a one-slide change and its squares before and after."""
    t = next(t for t in a if t and a.index(t) != b.index(t))
    return t, a.index(t), b.index(t)


def slides_seen(
    boards: list[Board | None], n: int, masses: Masses, track: TileTrack
) -> tuple[Callable[[int, int, Board, Board], bool], np.ndarray]:
    """``under_way`` for ``sequence`` (the frames from one reading to the next show the
    slide's tile on its way in steps, none of a whole square: ``planning.JUMP_SPAN``) and,
    per frame, whether a tile that slides between two readings is missing from its two
    squares in a frame between them."""
    gone = np.zeros(len(boards), bool)
    read = [k for k, b in enumerate(boards) if b is not None]
    for i, k in itertools.pairwise(read):
        a, b = boards[i], boards[k]
        if a is None or b is None or a == b or k - i < 2:
            continue
        if moves_between(a, b, n, depth=2) is None:
            continue
        for x, y in itertools.pairwise(slide_path(a, b, n)):
            t, sa, sb = _slid(x, y)
            for j in range(i + 1, k):
                gone[j] |= not masses.present(j, t, sa, sb)

    def under_way(i: int, k: int, a: Board, b: Board) -> bool:
        t, sa, sb = _slid(a, b)
        return not bool(np.any(track.steps(range(i, k + 1), t, sa, sb) >= planning.JUMP_SPAN))

    return under_way, gone


def _frames_short(flags: np.ndarray, tracks: Tracks) -> tuple[float, np.ndarray]:
    """The value of a fault seen in the frames ``flags`` (each kept frame counting for
    the repeats dropped after it) against the shared allowance (``MAX_MISSING_RUN``
    frames running, ``MAX_MISSING`` of the frames), and the video's frame numbers."""
    source = tracks.source
    span = np.diff(np.append(source, source[-1] + 1)) if tracks.n else np.zeros(0, int)
    every = np.repeat(flags, span)
    where = np.flatnonzero(every) + (int(source[0]) if tracks.n else 0)
    value = min(
        band(longest_run(every), MAX_MISSING_RUN, MAX_MISSING_RUN + 1),
        band(len(where) / max(1, len(every)), MAX_MISSING, 2 * MAX_MISSING),
    )
    return value, where


def tiles_check(tracks: Tracks, faults: list[str], gone: np.ndarray) -> Check:
    """No tile missing or doubled in two read frames running (or beyond the shared
    allowance, counting the repeats dropped after a frame), and no sliding tile missing
    from its two squares beyond that allowance."""
    faulty = np.array([bool(f) for f in faults])
    value, where = _frames_short(faulty, tracks)
    if any(faulty[1:] & faulty[:-1]):  # two read frames running, whatever the frame rate
        value = 0.0
    if value < 1.0:
        first = faults[int(np.flatnonzero(faulty)[0])]
        return Check("tiles", value, f"{first} in frames {frame_ranges(where)}")
    value, where = _frames_short(gone, tracks)
    if value < 1.0:
        return Check(
            "tiles",
            value,
            f"a sliding tile is not visible in frames {frame_ranges(where)}: it vanishes"
            " on its way",
        )
    return Check("tiles", 1.0)


def puzzle_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The sliding puzzle's checks, declared in ``tasks/planning/sliding_puzzle.py``: its tiles
    share colour keys, so it checks the first frame itself (``first_frame``), reads every board
    by template matching (``tiles``: no tile missing or doubled, and no sliding tile missing
    from its two squares, beyond isolated frames), then judges the moves like a grid walk
    (``legal_moves``: every slide seen under way, ``goal``, ``optimal``, ``timing``) and that
    nothing else changes (``scene``)."""
    spec = instance.spec
    params = SlidingPuzzleParams.of(spec)
    goal = tuple(int(t) for t in params.goal)
    boards, faults = read_boards(tracks.frames, instance, tracks.times)
    under_way, gone = slides_seen(
        boards, params.board.n, Masses(tracks, instance), TileTrack(tracks.frames, instance)
    )
    moves, problems = sequence(
        boards, params.board.n, tracks.times, float(params.t_move), under_way
    )
    best = params.optimal_moves
    truth = truth_boards(instance)
    return [
        first_frame(tracks, instance),
        tiles_check(tracks, faults, gone),
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
