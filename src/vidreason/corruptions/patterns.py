"""Violations of a patterned scene (``scene/patterns.py``): from the middle of the clip on,
a body's pattern vanishes, becomes another kind, takes another colour, or two bodies swap
patterns; or a pattern does not turn with its body. Each returns None for a scene
without patterns.

To add one: a function of ``(instance, truth, rng)`` that changes the patterns from the
middle on through ``_from_middle``, and its line in ``corruptions/__init__.py``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from vidreason.corruptions.sample import Sample, same
from vidreason.scene.patterns import BLACK, KINDS, Pattern, patterns_of, render
from vidreason.tasks.palette import CLASHES, COLOURS, PICKABLE
from vidreason.types import Instance, SceneSpec

INKS = (*PICKABLE, "black")  # the colours a pattern may have


def _from_middle(
    inst: Instance,
    truth: np.ndarray,
    spec: SceneSpec,
    patterns: dict[str, Pattern],
    still: frozenset[str] = frozenset(),
) -> Sample:
    """The truth up to the middle, then ``spec`` drawn with ``patterns``."""
    k = inst.spec.fmt.n_frames // 2
    after = render(spec, inst.trajectory, patterns, still)
    return same(inst, np.concatenate([truth[:k], after[k:]]))


def _one(inst: Instance, rng: np.random.Generator) -> tuple[dict[str, Pattern], str] | None:
    own = patterns_of(inst.spec)
    if not own:
        return None
    names = sorted(own)
    return own, names[int(rng.integers(len(names)))]


def plain(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample | None:
    """One body loses its pattern: drawn in its own colour alone."""
    picked = _one(inst, rng)
    if picked is None:
        return None
    own, name = picked
    rest = {k: p for k, p in own.items() if k != name}
    return _from_middle(inst, truth, inst.spec, rest)


def other_kind(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample | None:
    """One body's pattern becomes another kind (stripes become dots), in the same colour."""
    picked = _one(inst, rng)
    if picked is None:
        return None
    own, name = picked
    kinds = [k for k in KINDS if k != own[name].kind]
    new = dataclasses.replace(own[name], kind=kinds[int(rng.integers(len(kinds)))])
    return _from_middle(inst, truth, inst.spec, {**own, name: new})


def other_ink(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample | None:
    """One body's pattern takes a colour the scene does not use (one the family could
    give a pattern, and not one too close to tell from the old: ``palette.CLASHES``)."""
    picked = _one(inst, rng)
    if picked is None:
        return None
    own, name = picked
    used = {b.colour for b in inst.spec.bodies} | {p.ink for p in own.values()}
    named = [(n, c) for n, c in [*COLOURS.items(), ("black", BLACK)] if n in INKS]
    free = [
        (n, c)
        for n, c in named
        if c not in used and frozenset((n, own[name].ink_name)) not in CLASHES
    ]
    ink_name, ink = free[int(rng.integers(len(free)))]
    new = dataclasses.replace(own[name], ink_name=ink_name, ink=ink)
    return _from_middle(inst, truth, inst.spec, {**own, name: new})


def swap(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample | None:
    """Two bodies exchange their patterns (kind and colour)."""
    own = patterns_of(inst.spec)
    if len(own) < 2:
        return None
    names = sorted(own)
    a, b = (names[int(i)] for i in rng.choice(len(names), 2, replace=False))
    return _from_middle(inst, truth, inst.spec, {**own, a: own[b], b: own[a]})


TURN = np.pi / 3  # least turn (rad) of a body whose pattern is held still


def still(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample | None:
    """The pattern of the body that turns most stays put while the body turns (the whole
    clip); None when no body turns by ``TURN`` or more."""
    own = patterns_of(inst.spec)
    if not own:
        return None
    turns = {name: float(np.ptp(inst.trajectory.array(name)[:, 4])) for name in sorted(own)}
    name = max(turns, key=lambda k: turns[k])
    if turns[name] < TURN:
        return None
    frames = render(inst.spec, inst.trajectory, own, frozenset({name}))
    return same(inst, frames)
