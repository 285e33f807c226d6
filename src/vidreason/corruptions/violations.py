"""Violations a verifier must catch (objects vanishing, freezing, teleporting, appearing,
changing colour; gravity and speed changed; time reversed, shuffled or looped), and the
planning paces, built on the planted violations of ``vidreason.violations``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import cv2
import numpy as np

from vidreason import violations as planted
from vidreason.corruptions.sample import Fn, Sample, clip, same
from vidreason.scene.geometry import extent
from vidreason.scene.occluders import covered
from vidreason.scene.params.planning import Schedule
from vidreason.scene.params.world2d import World2D
from vidreason.tasks.palette import COLOURS
from vidreason.types import Instance

# ---- violations -----------------------------------------------------------------------


def moving_bodies(inst: Instance, min_px: float = 3.0) -> list[str]:
    """The bodies the ground truth moves by more than ``min_px`` (screens excluded)."""
    screens = set(World2D.of(inst.spec).occluders or ())
    out = []
    for b in inst.spec.bodies:
        xy = inst.trajectory.xy(b.name)
        if b.name not in screens and float(np.ptp(xy, axis=0).max()) > min_px:
            out.append(b.name)
    return out


def _mid_start(inst: Instance, length: int) -> int:
    """Where a corruption of ``length`` frames starts: in the span where things move."""
    n = inst.spec.fmt.n_frames
    active = np.flatnonzero(_speeds(inst, moving_bodies(inst) or [inst.spec.bodies[0].name]))
    lo, hi = (int(active[0]), int(active[-1])) if len(active) else (0, n - 1)
    return int(np.clip((lo + hi - length) // 2, 1, max(1, n - length - 1)))


def _speeds(inst: Instance, names: list[str]) -> np.ndarray:
    """Per step (frame ``i`` to ``i + 1``), whether any of ``names`` moves (> 0.3 px)."""
    speed = np.zeros(inst.spec.fmt.n_frames - 1)
    for name in names:
        speed += np.linalg.norm(np.diff(inst.trajectory.xy(name), axis=0), axis=1)
    return speed > 0.3


def shown(inst: Instance, name: str) -> np.ndarray:
    """Per frame, whether the truth shows body ``name`` whole: no screen over any of it
    and all of it inside the picture."""
    body, fmt = inst.spec.body(name), inst.spec.fmt
    xy = inst.trajectory.xy(name)
    r = extent(body)
    inside = (xy[:, 0] >= r) & (xy[:, 0] <= fmt.width - r)
    inside &= (xy[:, 1] >= r) & (xy[:, 1] <= fmt.height - r)
    screens = [b for b in inst.spec.bodies if b.name in set(World2D.of(inst.spec).occluders or ())]
    if screens:
        inside &= covered(xy, r, screens) == 0.0
    return inside


def _seen_start(inst: Instance, length: int, moving: bool) -> int:
    """Where a corruption of ``length`` frames starts so that it shows: the window
    holding the most frames in which the truth shows a moving body whole (with
    ``moving``, one that also moves into that frame, the frame after the window
    included), nearest the middle of the motion among equals. A corruption in a span
    where everything is behind a screen or at rest would change nothing visible."""
    n = inst.spec.fmt.n_frames
    names = moving_bodies(inst) or [inst.spec.bodies[0].name]
    seen = np.zeros(n, dtype=bool)
    for name in names:
        ok = shown(inst, name)
        if moving:
            ok[1:] &= _speeds(inst, [name])
            ok[0] = False
        seen |= ok
    span = length + 1 if moving else length
    mid = _mid_start(inst, length)
    starts = range(1, max(2, n - length))
    return max(starts, key=lambda s: (int(seen[s : s + span].sum()), -abs(s - mid)))


def erase(length: int | None) -> Fn:
    """Every moving body erased for ``length`` frames (None: a quarter of the clip)
    where the truth shows it (not behind a screen, inside the picture), in the middle of
    its motion among such spans, then back."""

    def run(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
        names = set(moving_bodies(inst))
        if not names:
            return None
        m = length or inst.spec.fmt.n_frames // 4
        s = _seen_start(inst, m, moving=False)
        frames = planted.draw(inst.spec, inst.trajectory, {i: names for i in range(s, s + m)})
        return same(inst, frames)

    return run


def freeze_jump(length: int) -> Fn:
    """Everything stops for ``length`` frames while the truth shows a body moving, then
    jumps to where it should be."""

    def run(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
        if not moving_bodies(inst):
            return None
        s = _seen_start(inst, length, moving=True)
        out = truth.copy()
        out[s : s + length] = truth[s - 1]
        return same(inst, out)

    return run


def planning(inst: Instance) -> bool:
    from vidreason.tasks import get_family

    return get_family(inst.family_id).capability == "planning"


def own_pace(factor: float, pause: float = 0.0) -> Fn:
    """Planning only (where the pace is the video's own): the first frame held for
    ``pause`` of the clip, then the solution played ``factor`` times as fast, the solved
    state held to the end."""

    def run(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
        if not planning(inst):
            return None
        n = len(truth)
        h = round(pause * n)
        at = [0] * h + [min(n - 1, round(i * factor)) for i in range(n - h)]
        return same(inst, truth[at])

    return run


def pause_jump(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
    """Planning only: the first move of the solution never shown under way; the piece
    waits, then stands in its next place (a pause, then a jump of one move)."""
    if not planning(inst):
        return None
    n = inst.spec.fmt.n_frames
    speed = np.zeros(n - 1)
    for name in moving_bodies(inst):
        xy = inst.trajectory.xy(name)
        speed = np.maximum(speed, np.linalg.norm(np.diff(xy, axis=0), axis=1))
    active = np.flatnonzero(speed > 0.05)
    if not len(active):
        return None
    s = int(active[0]) + 1  # first frame that shows the move under way
    e = s
    while e < n - 1 and speed[e] > 0.05 and e - s < 2 * inst.spec.fmt.fps:
        e += 1
    schedule = Schedule.maybe(inst.spec)
    if schedule is not None:  # a walk moves on without resting: one move's frames
        e = min(e, s + round(schedule.t_move * inst.spec.fmt.fps))
    out = truth.copy()
    out[s:e] = truth[s - 1]
    return same(inst, out)


def gravity(scale: float) -> Fn:
    def run(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
        if inst.spec.gravity == 0:
            return None
        return same(inst, planted.resimulate(inst, gravity_scale=scale))

    return run


def speed(factor: float) -> Fn:
    """The true motion played ``factor`` times as fast. Faster is no violation where the
    pace is the video's own (planning: the solved state holds to the end)."""

    def run(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
        if factor > 1 and planning(inst):
            return None
        return same(inst, planted.time_warp(inst, factor))

    return run


def teleport(fraction: float) -> Fn:
    def run(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample:
        return same(inst, planted.teleport(inst, dx=fraction * inst.spec.fmt.width))

    return run


def drawn(fn: Callable[[Instance], np.ndarray]) -> Fn:
    """A planted violation of ``vidreason.violations`` drawn from the instance alone."""

    def run(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample:
        return same(inst, fn(inst))

    return run


def dissolve(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample:
    """A cross-dissolve from the first frame into the last: pixels blend, nothing moves."""
    u = np.linspace(0.0, 1.0, len(truth), dtype=np.float32)[:, None, None, None]
    out = (1 - u) * truth[:1].astype(np.float32) + u * truth[-1:].astype(np.float32)
    return same(inst, clip(np.rint(out)))


def recolour(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample:
    """From the middle on, the first two bodies of different colours swap colours (or,
    when every body has the same colour, the first takes a colour the scene does not use)."""
    spec, k = inst.spec, inst.spec.fmt.n_frames // 2
    bodies = list(spec.bodies)
    pairs = [
        (i, j)
        for i in range(len(bodies))
        for j in range(i + 1, len(bodies))
        if bodies[i].colour != bodies[j].colour
    ]
    if pairs:
        i, j = pairs[0]
        a, b = bodies[i], bodies[j]
        bodies[i] = dataclasses.replace(a, colour=b.colour)
        bodies[j] = dataclasses.replace(b, colour=a.colour)
    else:
        unused = [c for c in COLOURS.values() if c not in {x.colour for x in bodies}]
        bodies[0] = dataclasses.replace(bodies[0], colour=unused[int(rng.integers(len(unused)))])
    after = planted.draw(dataclasses.replace(spec, bodies=tuple(bodies)), inst.trajectory)
    return same(inst, np.concatenate([truth[:k], after[k:]]))


CLEAR_TRIES = 50  # spots drawn for a new disc before the one farthest from every body


def _clear_spot(inst: Instance, k: int, r: float, rng: np.random.Generator) -> tuple[float, float]:
    """Where a disc of radius ``r`` appears from frame ``k`` on: in the upper middle of
    the picture and clear of every body there from then on (a disc on a body of its
    colour would be that body's bump, not a second body); if no draw is clear, the one
    farthest from the bodies."""
    spec = inst.spec
    w, h = spec.fmt.width, spec.fmt.height
    paths = [
        (inst.trajectory.xy(b.name)[k:], extent(b))
        for b in spec.bodies
        if b.name in inst.trajectory.states
    ]
    best, best_gap = (0.0, 0.0), -np.inf
    for _ in range(CLEAR_TRIES):
        x, y = rng.uniform(0.2, 0.8) * w, rng.uniform(0.15, 0.5) * h
        gaps = [np.hypot(*(xy - (x, y)).T).min() - e - r for xy, e in paths if len(xy)]
        gap = min(gaps, default=np.inf)
        if gap > 2.0:
            return x, y
        if gap > best_gap:
            best, best_gap = (x, y), gap
    return best


def disc(copy_first: bool) -> Fn:
    def run(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample:
        spec, k = inst.spec, inst.spec.fmt.n_frames // 3
        if copy_first:
            colour, r = spec.bodies[0].colour, spec.bodies[0].radius
        else:
            unused = [c for c in COLOURS.values() if c not in {x.colour for x in spec.bodies}]
            colour = unused[int(rng.integers(len(unused)))]
            r = max(b.radius for b in spec.bodies)
        x, y = _clear_spot(inst, k, r, rng)
        out = truth.copy()
        for frame in out[k:]:
            cv2.circle(frame, (round(x), round(y)), round(r), colour, -1, cv2.LINE_AA)
        return same(inst, out)

    return run


def loop(truth: np.ndarray, _rng: np.random.Generator) -> np.ndarray:
    half = len(truth) // 2
    return np.concatenate([truth[:half], truth[: len(truth) - half]])


STILL = 0.02  # of the picture: a body that moves less over the last third is at rest


def freeze_end(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
    """The last third of the clip frozen on its first frame; None where every body of the
    truth is at rest by then, or settles within ``STILL`` of the picture (a freeze there
    is what the truth shows, give or take the position tolerance of every check)."""
    k = 2 * len(truth) // 3
    moves = [
        np.linalg.norm(xy[k:] - xy[k], axis=1).max()
        for xy in (inst.trajectory.xy(name) for name in inst.trajectory.states)
        if len(xy) > k
    ]
    if moves and max(moves) < STILL * max(truth.shape[1:3]):
        return None
    return same(inst, np.concatenate([truth[:k], np.repeat(truth[k : k + 1], len(truth) - k, 0)]))
