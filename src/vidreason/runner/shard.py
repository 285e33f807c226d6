"""Shards: a deterministic split of the work by instance, for Slurm arrays and the like.

``--shard i/n`` (1-based: ``1/4`` to ``4/4``) keeps the instances of shard ``i``. The
split depends only on the family id, the instance index and ``n``, so it is the same on
every machine and for every verb: instance ``k`` of a family goes to shard
``(k + offset) mod n``, where ``offset`` is a hash of the family id (so that families
with fewer instances than shards do not all start on shard 1). A counterfactual pair
(instances ``2j`` and ``2j + 1`` of a paired family) stays whole on one shard, so that
``check`` can judge it. Every model and every seed of an instance goes with the
instance: a shard's rows are exactly those a full run stores for its instances, and
``vidreason merge`` puts the shards' run folders back together (``runner/merge.py``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from vidreason.errors import UserError

T = TypeVar("T")
SHARD_FORMAT = "I/N (1-based: 1/4 to 4/4)"


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, family: str, index: int) -> bool:
        """Whether instance ``index`` of ``family`` (an id such as ``bounce-v1``) is ours."""
        return shard_of(family, index, self.count) == self.index


def parse_shard(text: str | None) -> Shard | None:
    """``"2/4"`` -> ``Shard(2, 4)``; None for None; a ``UserError`` naming the value
    for anything else."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise UserError(f"--shard {text!r}: expected {SHARD_FORMAT}")
    return Shard(int(m.group(1)), int(m.group(2)))


def _offset(family: str, count: int) -> int:
    return int(hashlib.sha256(family.encode()).hexdigest()[:8], 16) % count


def _paired(family: str) -> bool:
    from vidreason.registry import UnknownName
    from vidreason.tasks import get_family

    try:
        return get_family(family).paired
    except UnknownName:  # an imported task: every instance stands alone
        return False


def shard_of(family: str, index: int, count: int) -> int:
    """The 1-based shard of instance ``index`` of ``family`` among ``count`` shards."""
    slot = index // 2 if _paired(family) else index
    return (slot + _offset(family, count)) % count + 1


def select(
    shard: Shard | None, items: Sequence[T], where: Callable[[T], tuple[str, int]]
) -> list[T]:
    """The items of ``shard`` (all of them for None); ``where`` gives an item's family id
    and instance index."""
    if shard is None:
        return list(items)
    return [x for x in items if shard.holds(*where(x))]
