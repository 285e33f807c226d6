"""Law checks for identity through encounters: every object stays itself.

Objects slide and collide; none may vanish, change colour or size, merge with another,
split in two, or come out of an encounter as the other object.

- ``count``: every object is found in every frame (a blob of its colour key);
  an object missing for two frames or more fails, naming the frames.
- ``size``: each object's blob area stays within a band of its expected area; a
  change must last three frames to count (a touching neighbour's anti-aliased seam
  does not).
- ``identity``: each object is near its OWN ground-truth position in every frame. When
  an object is off its path, the note says whether it took another object's place
  (two objects that swap places after meeting) or is simply elsewhere.

Extra objects, duplicates and colours that are not in the scene are the generic
``objects`` check's; teleports are the generic ``continuity`` check's.

``identity_outcome`` counts encounters and reads the final order left to right the way
the family does on the ground truth (``scene/identity.py``).
"""

from __future__ import annotations

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.geometry import scene_size
from vidreason.scene.identity import encounters, final_order
from vidreason.types import Body, Check, Instance
from vidreason.verifiers.checks import band, frame_ranges, gt_positions

OFF_PATH = (0.06, 0.15)  # distance from the true position tolerated / failed (fraction)
SIZE_BAND = (np.log(1.5), np.log(2.2))  # |log(area / expected)| tolerated / failed
MAX_MISSING_RUN = 1  # frames an object may be lost for in a row
SIZE_RUN = 3  # frames a size change must last


def identity_outcome(tracks: Tracks, instance: Instance) -> dict[str, object]:
    """How many times objects meet and their order left to right at the end."""
    return _outcome(tracks.pos, instance)


def expected_outcome(instance: Instance) -> dict[str, object]:
    """The same facts from the simulator's trajectory."""
    return _outcome(
        {b.name: instance.trajectory.xy(b.name) for b in instance.spec.bodies}, instance
    )


def _outcome(pos: dict[str, np.ndarray], instance: Instance) -> dict[str, object]:
    bodies, size = instance.spec.bodies, scene_size(instance)
    return {
        "encounters": len(encounters(pos, bodies, size)),
        "final_order_x": final_order(pos, bodies),
    }


def _missing_runs(found: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) frame of every run of frames where an object is not found."""
    runs, start = [], None
    for i, f in enumerate([*found, True]):
        if not f and start is None:
            start = i
        elif f and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def count_check(tracks: Tracks, instance: Instance) -> Check:
    """Every object is there in every frame: none vanishes, merges or changes colour.
    The note names the object lost first."""
    lost = []
    for b in instance.spec.bodies:
        runs = _missing_runs(tracks.found(b.name))
        long = [(s, e) for s, e in runs if e - s >= MAX_MISSING_RUN]
        if long:
            frames = np.concatenate([np.arange(s, e + 1) for s, e in long])
            lost.append((long[0][0], b.label, frame_ranges(frames)))
    if not lost:
        return Check("count", 1.0)
    start, label, ranges = min(lost)
    return Check(
        "count", 0.0, f"the {label} is missing from frame {start} (not found in frames {ranges})"
    )


def size_check(tracks: Tracks, instance: Instance) -> Check:
    """Each object's blob keeps its size (and so its colour and shape) all the way."""
    worst, note = 1.0, ""
    for b in instance.spec.bodies:
        ratio = tracks.area[b.name] / b.area
        err = np.where(tracks.found(b.name), np.abs(np.log(np.maximum(ratio, 1e-6))), 0.0)
        per_frame = np.array([band(float(e), *SIZE_BAND) for e in err])
        if len(per_frame) < SIZE_RUN:
            continue
        held = np.max(np.lib.stride_tricks.sliding_window_view(per_frame, SIZE_RUN), axis=1)
        k = int(np.argmin(held))
        if held[k] < worst:
            worst = float(held[k])
            r = float(ratio[k])
            how = f"{r:.1f} times its size" if r > 1 else f"shrunk to {r:.2f} of its area"
            note = f"the {b.label} is {how} at frame {k}"
    return Check("size", worst, note)


def _swap_start(
    p_a: np.ndarray, g_a: np.ndarray, p_b: np.ndarray, g_b: np.ndarray, frame: int
) -> int:
    """The first frame of the run ending at ``frame`` in which a and b are each closer to
    the other's true position than to their own."""

    def swapped(i: int) -> bool:
        own = np.linalg.norm(p_a[i] - g_a[i]) + np.linalg.norm(p_b[i] - g_b[i])
        other = np.linalg.norm(p_a[i] - g_b[i]) + np.linalg.norm(p_b[i] - g_a[i])
        return bool(other < own)

    k = frame
    while k > 0 and np.isfinite(p_a[k - 1, 0]) and np.isfinite(p_b[k - 1, 0]) and swapped(k - 1):
        k -= 1
    return k


def _off_path_note(
    tracks: Tracks, instance: Instance, truth: dict[str, np.ndarray], body: Body, k: int
) -> str:
    size = scene_size(instance)
    p, g = tracks.pos[body.name], truth[body.name]
    for other in instance.spec.bodies:
        if other.name == body.name:
            continue
        g_o = truth[other.name]
        if np.linalg.norm(p[k] - g_o[k]) >= OFF_PATH[0] * size:
            continue
        q = tracks.pos[other.name]
        if np.isfinite(q[k, 0]) and np.linalg.norm(q[k] - g[k]) < OFF_PATH[1] * size:
            start = _swap_start(p, g, q, g_o, k)
            return f"the {body.label} and the {other.label} swap places at frame {start}"
        return f"the {body.label} is where the {other.label} should be at frame {k}"
    err = float(np.linalg.norm(p[k] - g[k]))
    return (
        f"the {body.label} is {err:.0f} px off its path at frame {k}: at ({p[k, 0]:.0f},"
        f" {p[k, 1]:.0f}) instead of ({g[k, 0]:.0f}, {g[k, 1]:.0f})"
    )


def identity_check(tracks: Tracks, instance: Instance) -> Check:
    """Every object follows its own true path through every encounter."""
    size = scene_size(instance)
    truth = {b.name: gt_positions(instance, b.name, tracks.times) for b in instance.spec.bodies}
    values = {}
    for b in instance.spec.bodies:
        err = np.linalg.norm(tracks.pos[b.name] - truth[b.name], axis=1) / size
        values[b.name] = np.array(
            [band(float(e), *OFF_PATH) if np.isfinite(e) else 1.0 for e in err]
        )
    worst = min(float(v.min()) for v in values.values()) if values else 1.0
    if worst >= 1.0:
        return Check("identity", 1.0)
    # the first frame where some object is clearly off its path (else the worst one)
    limit = 0.5 if worst < 0.5 else worst + 1e-9
    k, body = min(
        (
            (int(np.flatnonzero(v <= limit)[0]), instance.spec.body(n))
            for n, v in values.items()
            if (v <= limit).any()
        ),
        key=lambda t: t[0],
    )
    return Check("identity", worst, _off_path_note(tracks, instance, truth, body, k))


def identity_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The identity family's law checks, declared in ``tasks/temporal/identity.py``: as many
    objects as the scene holds (``count``), each keeping its size (``size``) and each staying
    on its own path through the encounters (``identity``)."""
    return [
        count_check(tracks, instance),
        size_check(tracks, instance),
        identity_check(tracks, instance),
    ]
