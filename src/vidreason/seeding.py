"""Seeds: one numpy SeedSequence tree, no global random state.

``instance_rng(seed, family_id, index)`` gives the generator for one task instance; it
depends only on its three arguments, so instances can be generated in any order, in any
process, and 0 is a seed like any other.
"""

from __future__ import annotations

import zlib

import numpy as np


def _key(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def instance_rng(seed: int, family_id: str, index: int) -> np.random.Generator:
    if seed < 0 or index < 0:
        raise ValueError(f"seed and index must be >= 0, got seed={seed}, index={index}")
    return np.random.default_rng(np.random.SeedSequence([seed, _key(family_id), index]))


def named_rng(seed: int, *names: str) -> np.random.Generator:
    """A generator for a named purpose (a baseline's shuffle, a bootstrap)."""
    return np.random.default_rng(np.random.SeedSequence([seed, *(_key(n) for n in names)]))
