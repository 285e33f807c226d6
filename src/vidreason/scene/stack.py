"""Where the blocks of a `stack` scene end up: each stays on the tower or falls to a side.

``outcomes`` sorts every block by its final position against where it rests on the tower
(the last body is the dropped block, resting at ``StackParams.land_y``). The family uses it
to keep only scenes whose outcome is clear (``strict``); the verifier
(``verifiers/stack.py``) compares a video's outcome with the ground truth's.
"""

from __future__ import annotations

from collections.abc import Mapping

from vidreason.scene.params.physics import StackParams
from vidreason.types import SceneSpec

STAYS = "stays on the tower"


def _rest(spec: SceneSpec, k: int) -> tuple[float, float]:
    """Where block ``k`` rests if nothing falls."""
    b = spec.bodies[k]
    if k == len(spec.bodies) - 1:
        return b.position[0], StackParams.of(spec).land_y
    return b.position


def outcomes(
    spec: SceneSpec, final: Mapping[str, tuple[float, ...]], strict: bool = False
) -> dict[str, str | None]:
    """``STAYS``, ``"falls to the left"``, ``"falls to the right"`` (or, for a block that
    sinks through others, ``"drops straight down"``) for each block of ``final`` from its
    final position. ``strict`` (for drawing scenes) gives None where the ground truth would
    be too close to call."""
    out: dict[str, str | None] = {}
    for k, b in enumerate(spec.bodies):
        if b.name not in final:
            continue
        x0, y0 = _rest(spec, k)
        dx, dy = final[b.name][0] - x0, final[b.name][1] - y0
        moved = max(abs(dx) / b.size[0], abs(dy) / b.size[1])
        side = "falls to the right" if dx > 0 else "falls to the left"
        if abs(dx) < 0.25 * b.size[0]:
            side = "drops straight down"
        if not strict:
            out[b.name] = STAYS if moved < 0.55 else side
        elif moved < 0.2:
            out[b.name] = STAYS
        elif moved > 0.9 and abs(dx) > 0.3 * b.size[0]:
            out[b.name] = side
        else:
            out[b.name] = None
    return out
