"""Planning verifiers catch illegal solutions and name the illegal move and its frame: a
path through a wall, a teleport to the goal, a jump cut to the solved state, a path that
is not a shortest one, a swap of bars that are not neighbours, tiles that swap places."""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
import pytest

from vidreason.render.puzzle import render as render_puzzle
from vidreason.render.video_io import read_video, write_mp4
from vidreason.scene.grid import graph_of, layout_of
from vidreason.scene.params.planning import GridWalkParams
from vidreason.scoring import score_frames
from vidreason.tasks import build_instance, get_family
from vidreason.tasks.planning import common
from vidreason.tasks.planning import sort as sort_family
from vidreason.types import Instance, Trajectory, VideoFormat
from vidreason.verifiers.grid import fmt_cell


@functools.cache
def instance(family: str, index: int = 1, seed: int = 0) -> tuple[Instance, np.ndarray]:
    return build_instance(get_family(family), seed, index, 1 + index % 3, VideoFormat())


def score(inst: Instance, frames: np.ndarray, first: np.ndarray):
    video = read_video(write_mp4(frames, _tmp() / "v.mp4", fps=inst.spec.fmt.fps))
    result, _ = score_frames(video.frames, inst, first, video.times)
    return result


@functools.cache
def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="vidreason-planning-"))


def path_of(inst: Instance) -> list[tuple[int, int]]:
    cells = [tuple(int(v) for v in e.objects[1].split(",")) for e in inst.events]
    return [tuple(inst.spec.extra["start"]), *cells]


def walked(inst: Instance, path: list[tuple[int, int]]) -> tuple[np.ndarray, float, float]:
    """Frames of the agent walking ``path`` on a schedule that ends when the task's does;
    with the schedule's start and seconds per move."""
    moves = len(path) - 1
    schedule = common.schedule(inst.spec.fmt, moves)
    spec = schedule.onto(inst.spec)
    states, _ = common.walk_states(path, layout_of(spec), spec)
    name = GridWalkParams.of(spec).agent
    frames = common.render_grid(inst.spec, Trajectory({name: states}))
    return frames, schedule.t_start, schedule.t_move


def entry_frame(t0: float, tau: float, move: int, fps: int) -> int:
    """The frame at which the walker is past the border of move ``move`` (0-based)."""
    return math.ceil((t0 + (move + 0.6) * tau) * fps)


@pytest.mark.slow
def test_oracle_passes_every_planning_family():
    for family in ("maze-v1", "shortest-path-v1", "connect-v1", "sort-v1", "sliding-puzzle-v1"):
        inst, frames = instance(family, 2)
        result = score(inst, frames, frames[0])
        assert result.passed and result.value >= 0.95, (family, result.explanation)


def test_path_through_a_wall_is_named_with_its_cells_and_frame():
    inst, frames = instance("maze-v1", 1)
    graph, path = graph_of(inst.spec), path_of(inst)
    goal = path[-1]
    sides = ((0, 1), (1, 0), (0, -1), (-1, 0))
    k, a, b = next(
        (k, a, (a[0] + dr, a[1] + dc))
        for k, a in enumerate(path[:-1])
        for dr, dc in sides
        if graph.inside((a[0] + dr, a[1] + dc)) and graph.wall_between(a, (a[0] + dr, a[1] + dc))
    )
    bad = path[: k + 1] + graph.bfs_path(b, goal)
    video, t0, tau = walked(inst, bad)
    result = score(inst, video, frames[0])
    assert result.checks["legal_moves"] == 0.0 and not result.passed
    frame = entry_frame(t0, tau, k, inst.spec.fmt.fps)
    wanted = f"crosses the wall between cells {fmt_cell(a)} and {fmt_cell(b)} at frame"
    assert wanted in result.explanation, result.explanation
    said = int(result.explanation.split(wanted)[1].split()[0].strip(";,"))
    assert abs(said - frame) <= 1


def test_reaching_the_goal_by_a_teleport_fails():
    inst, frames = instance("maze-v1", 2)
    agent = inst.spec.extra["agent"]
    states = list(inst.trajectory.states[agent])
    goal = tuple(inst.spec.extra["goal"])
    x, y = layout_of(inst.spec).centre(goal)
    before = layout_of(inst.spec).cell_at(*states[19][:2])
    states[20:] = [(x, y, 0.0, 0.0, 0.0)] * (len(states) - 20)
    video = common.render_grid(inst.spec, Trajectory({agent: tuple(states)}))
    result = score(inst, video, frames[0])
    assert result.checks["legal_moves"] == 0.0 and result.value <= 0.1
    assert result.checks["goal"] == 1.0  # it did get there, illegally
    assert (
        f"jumps from cell {fmt_cell(before)} to {fmt_cell(goal)} at frame 20" in result.explanation
    )


def _jump_cut(frames: np.ndarray) -> np.ndarray:
    half = len(frames) // 2
    return np.concatenate([np.repeat(frames[:1], half, 0), np.repeat(frames[-1:], half, 0)])


@pytest.mark.slow
def test_jump_cut_to_the_solved_state_fails_in_every_family():
    for family, check in (
        ("maze-v1", "legal_moves"),
        ("connect-v1", "legal_moves"),
        ("sort-v1", "legal_swaps"),
        ("sliding-puzzle-v1", "legal_moves"),
    ):
        inst, frames = instance(family, 1)
        result = score(inst, _jump_cut(frames), frames[0])
        assert result.value <= 0.1 and result.checks[check] == 0.0, (family, result)
        assert "at frame 24" in result.explanation or "frame 24 " in result.explanation, (
            family,
            result.explanation,
        )


def test_a_path_that_is_not_shortest_fails_shortest_path():
    for index in range(12):
        inst, frames = instance("shortest-path-v1", index)
        graph, path = graph_of(inst.spec), path_of(inst)
        best = len(path) - 1
        to_goal = graph.distances(path[-1])
        away = [n for n in graph.neighbours(path[0]) if to_goal.get(n) == best + 1]
        if away:
            break
    longer = [path[0], *graph.bfs_path(away[0], path[-1])]
    assert len(longer) - 1 == best + 2
    video, _, _ = walked(inst, longer)
    result = score(inst, video, frames[0])
    assert result.checks["legal_moves"] == 1.0 and result.checks["goal"] == 1.0
    assert result.checks["optimal"] == 0.0 and not result.passed
    assert f"makes {best + 2} moves; the shortest route takes {best}" in result.explanation


def test_pen_passing_over_another_dot_is_named():
    inst, frames = instance("connect-v1", 2)  # difficulty 3: other dots on the direct route
    spec = inst.spec
    graph = graph_of(spec)
    direct = graph.bfs_path(tuple(spec.extra["start"]), tuple(spec.extra["goal"]))
    dots = {tuple(int(v) for v in k.split(",")): w for k, w in spec.extra["forbidden"].items()}
    hit = next(c for c in direct if c in dots)
    video, _, _ = walked(inst, direct)
    result = score(inst, video, frames[0])
    assert result.checks["legal_moves"] == 0.0 and not result.passed
    assert f"passes over {dots[hit]} at cell {fmt_cell(hit)} at frame" in result.explanation


def test_swapping_bars_that_are_not_neighbours_fails_sort():
    inst, frames = instance("sort-v1", 2)
    spec = inst.spec
    xs, floor_y = spec.extra["slots"], spec.extra["floor_y"]
    bodies = {b.name: b for b in spec.bodies}
    a, c = spec.extra["order"][0], spec.extra["order"][2]
    top = max(b.size[1] for b in spec.bodies)
    states = {n: [s for s in inst.trajectory.states[n][:10]] for n in bodies}
    rest = {n: inst.trajectory.states[n][0] for n in bodies}
    for i in range(10, 48):
        u = min(1.0, (i - 10) / 8)
        for n in bodies:
            x, y = rest[n][:2]
            if n in (a, c):
                there = xs[2] if n == a else xs[0]
                x = x + (there - x) * u
                if n == a:  # lifted over everything on the way
                    y = floor_y - bodies[n].size[1] / 2 - (top + 10) * math.sin(math.pi * u)
            states[n].append((x, y, 0.0, 0.0, 0.0))
    video = sort_family.render(spec, Trajectory({n: tuple(s) for n, s in states.items()}))
    result = score(inst, video, frames[0])
    assert result.checks["legal_swaps"] == 0.0 and not result.passed
    wanted = f"the {bodies[a].label} and the {bodies[c].label} (positions 1 and 3) swap at frame"
    assert wanted in result.explanation, result.explanation
    assert "only neighbouring bars may swap" in result.explanation


def test_tiles_that_swap_places_fail_the_sliding_puzzle():
    inst, frames = instance("sliding-puzzle-v1", 1)
    start = inst.spec.extra["start"]
    t1, t2 = [t for t in start if t][:2]
    states = {n: list(s[:1]) * 48 for n, s in inst.trajectory.states.items()}
    p1, p2 = states[f"tile{t1}"][0], states[f"tile{t2}"][0]
    states[f"tile{t1}"][20:] = [p2] * 28
    states[f"tile{t2}"][20:] = [p1] * 28
    video = render_puzzle(inst.spec, Trajectory({n: tuple(s) for n, s in states.items()}))
    result = score(inst, video, frames[0])
    assert result.checks["legal_moves"] == 0.0 and not result.passed
    assert f"tiles {t1} and {t2} swap places at frame 20" in result.explanation, result.explanation


@pytest.mark.slow
def test_a_tile_that_jumps_to_a_far_empty_square_fails():
    inst, frames = instance("sliding-puzzle-v1", 2)  # 4x4
    n = int(inst.spec.extra["board"]["n"])
    start = inst.spec.extra["start"]
    e = start.index(0)
    far = next(
        s for s, t in enumerate(start) if t and abs(s // n - e // n) + abs(s % n - e % n) > 1
    )
    tile = start[far]
    states = {k: list(s[:1]) * 48 for k, s in inst.trajectory.states.items()}
    empty = states[f"tile{tile}"][0]
    b = inst.spec.extra["board"]
    x = b["x0"] + (e % n + 0.5) * b["pitch"]
    y = b["y0"] + (e // n + 0.5) * b["pitch"]
    states[f"tile{tile}"][30:] = [(x, y, 0.0, 0.0, 0.0)] * 18
    assert empty != states[f"tile{tile}"][30]
    video = render_puzzle(inst.spec, Trajectory({k: tuple(s) for k, s in states.items()}))
    result = score(inst, video, frames[0])
    frm, to = f"({far // n},{far % n})", f"({e // n},{e % n})"
    assert f"tile {tile} jumps from {frm} to {to} at frame 30" in result.explanation, result


def test_a_wall_that_disappears_is_named():
    inst, frames = instance("maze-v1", 0)
    spec = inst.spec
    walls = spec.extra["grid"]["walls"]
    gone = walls[len(walls) // 2]
    grid = {**spec.extra["grid"], "walls": [w for w in walls if w != gone]}
    opened = dataclasses.replace(spec, extra={**spec.extra, "grid": grid})
    after = common.render_grid(opened, inst.trajectory)
    video = np.concatenate([frames[:20], after[20:]])
    result = score(inst, video, frames[0])
    assert result.checks["scene"] == 0.0 and not result.passed
    a, b = fmt_cell(tuple(gone[:2])), fmt_cell(tuple(gone[2:]))
    assert f"the wall between cells {a} and {b} disappears at frame 20" in result.explanation


def test_a_pen_that_draws_no_line_fails_connect():
    inst, frames = instance("connect-v1", 0)
    extra = {k: v for k, v in inst.spec.extra.items() if k != "trail"}
    video = common.render_grid(dataclasses.replace(inst.spec, extra=extra), inst.trajectory)
    result = score(inst, video, frames[0])
    colour = inst.spec.extra["line_colour"]
    assert result.checks["line"] == 0.0 and not result.passed
    assert f"no {colour} line joins the two {colour} dots" in result.explanation
