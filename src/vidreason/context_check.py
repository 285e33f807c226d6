"""What the conformance check adds under the continuation protocol (``check`` with
``context_frames`` K): a planted violation after the context, which baselines are no
violation for an instance, and what the context gives away.

- ``PLANTED`` (``teleport-after-context``): every moving body jumps 15% of the width
  sideways half-way through the continuation; it must fail like a baseline.
- ``exempt``: a baseline that keeps or rearranges the truth's frames after the context is
  no violation where those frames stay within ``MOVE`` of the truth: nothing moves that
  far after the context (``static``, ``jump-cut``, ``reversed``, ``shuffled``), or the
  motion after it, played backwards, stays that close to itself (``reversed``: a
  pendulum whose swing is nearly symmetric about the middle of the continuation). Such a
  baseline's score there is not counted, and the check's notes say where.
- ``context_notes``: the truth's events inside the context, per kind (shown to the
  model, not tested), and the exemptions.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from vidreason.models.base import FrameModel, GenerationRequest, ModelCard
from vidreason.types import Instance

PLANTED_NAME = "teleport-after-context"
MOVE = 0.08  # share of the scene: closer than this to the truth everywhere is no violation
HOLDS_THE_TRUTH = ("static", "jump-cut", "reversed", "shuffled")


def _teleport_after_context(r: GenerationRequest) -> np.ndarray:
    from vidreason import violations
    from vidreason.instance_io import load_instance

    inst = load_instance(r.instance_dir)
    at = (r.context_frames + inst.spec.fmt.n_frames) // 2
    frames = violations.teleport(inst, frame=at, dx=0.15 * inst.spec.fmt.width)
    return frames[r.context_frames :]


PLANTED = FrameModel(
    PLANTED_NAME,
    "1",
    _teleport_after_context,
    "every moving body jumps sideways half-way through the continuation",
    ModelCard(continues=True),
)


def _after(inst: Instance) -> list[np.ndarray]:
    """Each moving body's true positions from the last context frame on."""
    from vidreason.corruptions import moving_bodies

    k = inst.context_frames
    return [
        np.asarray(inst.trajectory.states[b], dtype=float)[k - 1 :, :2] for b in moving_bodies(inst)
    ]


def exempt(inst: Instance) -> dict[str, str]:
    """The baselines that are no violation on this instance, with why."""
    from vidreason.scene.geometry import scene_size

    if not inst.context_frames:
        return {}
    px = MOVE * scene_size(inst)
    after = _after(inst)
    moved = max((float(np.linalg.norm(xy - xy[0], axis=1).max()) for xy in after), default=0.0)
    if moved < px:
        return {m: f"nothing moves {px:.0f} px after the context" for m in HOLDS_THE_TRUTH}
    back = max(float(np.linalg.norm(xy[1:][::-1] - xy[1:], axis=1).max()) for xy in after)
    if back < px:
        return {"reversed": f"the motion after the context, reversed, stays within {px:.0f} px"}
    return {}


def context_notes(instances: list[Instance]) -> list[str]:
    """Over a family's instances: per kind, how many of the truth's events fall inside the
    context; and per baseline, on how many instances it is no violation, and why."""
    inside: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    at_rest: dict[str, int] = defaultdict(int)  # from frame 0: a body resting on the floor
    why: dict[tuple[str, str], int] = defaultdict(int)
    for inst in instances:
        for e in inst.events:
            total[e.kind] += 1
            inside[e.kind] += e.frame < inst.context_frames
            at_rest[e.kind] += e.frame == 0
        for model, reason in exempt(inst).items():
            why[(model, reason)] += 1
    n = len(instances)
    notes = []
    for kind in sorted(k for k in inside if inside[k]):
        rest = f" ({at_rest[kind]} from frame 0)" if at_rest[kind] else ""
        notes.append(f"{kind}: {inside[kind]} of {total[kind]} inside{rest}")
    by_reason: dict[tuple[str, int], list[str]] = defaultdict(list)
    for (model, reason), count in why.items():
        by_reason[(reason, count)].append(model)
    for (reason, count), models in sorted(by_reason.items()):
        notes.append(f"{', '.join(models)} no violation in {count} of {n} ({reason})")
    return notes


def exempt_rows(instance_dirs: list[Path]) -> set[tuple[str, int, str]]:
    """(family, index, model) of every baseline score not counted."""
    from vidreason.instance_io import load_instance

    out = set()
    for d in instance_dirs:
        inst = load_instance(d)
        out |= {(inst.family_id, inst.spec.index, m) for m in exempt(inst)}
    return out
