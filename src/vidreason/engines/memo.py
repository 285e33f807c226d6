"""The last few simulations of this process, looked up by the scene they ran.

A sampler often simulates a scene to check it (every body in view, the outcome it wants),
and the instance built from the scene then simulates it again; an engine that keeps its
last runs here does the work once. The key is the whole scene but its identity (family,
version, seed, index and difficulty, and the pair it belongs to, ``extra["pair"]``, which
``build_instance`` stamps after sampling and no engine reads), so a hit is the very same
run. Callers must not change what they get.
To use it in another engine: ``_RUNS = runs()`` once, then ``recall(_RUNS, scene_key(spec,
extra), lambda: run(spec))``; ``forget`` (called by ``tasks.base.forget_scenes``) empties
every engine's runs.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import numpy as np

from vidreason.types import SceneSpec

T = TypeVar("T")
KEEP = 4  # runs kept per engine


_ALL: list[OrderedDict] = []  # every engine's runs, for ``forget``


def runs() -> OrderedDict:
    """A new, empty store of an engine's runs (``forget`` empties it too)."""
    store: OrderedDict = OrderedDict()
    _ALL.append(store)
    return store


def forget() -> None:
    """Forget every engine's runs (a determinism check simulates anew)."""
    for store in _ALL:
        store.clear()


def scene_key(spec: SceneSpec, *more: object) -> str:
    """Everything of ``spec`` an engine may read (and ``more``: its own settings)."""
    extra = {k: v for k, v in spec.extra.items() if k != "pair"}
    anon = replace(spec, family="", version=0, seed=0, index=0, difficulty=0, extra=extra)
    with np.printoptions(threshold=sys.maxsize, floatmode="unique"):  # arrays whole
        return repr((anon, more))


def recall(runs: OrderedDict[str, T], key: str, run: Callable[[], T]) -> T:
    """``run()``, or the result it gave for ``key`` among the last ``KEEP`` runs."""
    if key in runs:
        runs.move_to_end(key)
        return runs[key]
    out = runs[key] = run()
    if len(runs) > KEEP:
        runs.popitem(last=False)
    return out
