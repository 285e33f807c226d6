"""Law checks of ``sort``: bars swap only with a neighbour, one swap at a time, and end
sorted by height with the fewest swaps.

Each bar is tracked by its colour key. In a frame where every bar stands on the line
near a slot (``at rest``), the order of the bars is read; consecutive orders must differ
by one swap of neighbours (or two, when the bars were seen moving in between and the
frames between happened to miss the pause). Any other change is an illegal swap, named
with its bars, positions (1 is the leftmost) and frame. Checks: ``legal_swaps``,
``goal``, ``optimal``, ``timing`` and ``scene``.
"""

from __future__ import annotations

import numpy as np

from vidreason.engines.solvers import inversions
from vidreason.perception.tracking import Tracks
from vidreason.scene.params.planning import SortParams
from vidreason.types import Check, Instance
from vidreason.verifiers import planning

SLOT_TOLERANCE = 0.15  # of the slot pitch
REST_TOLERANCE = 0.03  # of the frame height


def _orders(
    pos: dict[str, np.ndarray], instance: Instance
) -> tuple[list[tuple[str, ...] | None], list[list[str]]]:
    """Per frame: the order of the bars when all are at rest (else None), and the bars
    not at rest."""
    spec = instance.spec
    p = SortParams.of(spec)
    xs = np.asarray(p.slots, dtype=float)
    pitch, floor_y, h = p.pitch, p.floor_y, spec.fmt.height
    n = len(next(iter(pos.values())))
    orders: list[tuple[str, ...] | None] = []
    moving: list[list[str]] = []
    for k in range(n):
        slot_of, away = {}, []
        for b in spec.bodies:
            x, y = pos[b.name][k]
            j = int(np.argmin(np.abs(xs - x))) if np.isfinite(x) else -1
            rest_y = floor_y - b.size[1] / 2
            if (
                j < 0
                or abs(x - xs[j]) > SLOT_TOLERANCE * pitch
                or abs(y - rest_y) > REST_TOLERANCE * h
            ):
                away.append(b.name)
            else:
                slot_of[b.name] = j
        moving.append(away)
        if away or len(set(slot_of.values())) < len(slot_of):
            orders.append(None)
        else:
            orders.append(tuple(sorted(slot_of, key=slot_of.__getitem__)))
    return orders, moving


def kendall(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """Swaps of neighbours needed to turn order ``a`` into order ``b``."""
    rank = {name: i for i, name in enumerate(b)}
    return inversions([rank[name] for name in a])


def _describe(a: tuple[str, ...], b: tuple[str, ...], frame: int, label: dict[str, str]) -> str:
    moved = [i for i in range(len(a)) if a[i] != b[i]]
    if len(moved) == 2 and a[moved[0]] == b[moved[1]] and a[moved[1]] == b[moved[0]]:
        i, j = moved
        return (
            f"the {label[a[i]]} and the {label[a[j]]} (positions {i + 1} and {j + 1}) swap at"
            f" frame {frame}, but only neighbouring bars may swap"
        )
    names = ", ".join(label[a[i]] for i in moved)
    return (
        f"at frame {frame} {len(moved)} bars change places at once ({names}) instead of one"
        f" swap of neighbours at a time"
    )


def _sequence(
    orders: list[tuple[str, ...] | None],
    moving: list[list[str]],
    label: dict[str, str],
    times: np.ndarray,
    t_move: float,
) -> tuple[int, list[str]]:
    """Swaps made and illegal changes, over the readable orders."""
    swaps, problems = 0, []
    prev, prev_k = None, -1
    for k, order in enumerate(orders):
        if order is None:
            continue
        if prev is not None and order != prev:
            d = kendall(prev, order)
            seen_moving = any(moving[j] for j in range(prev_k + 1, k))
            if d == 1 and planning.unseen_move(times[prev_k], times[k], seen_moving, t_move):
                moved = [label[prev[i]] for i in range(len(prev)) if prev[i] != order[i]]
                problems.append(
                    f"the {moved[0]} and the {moved[1]} change places between frames {prev_k}"
                    f" and {k} without being seen moving (a jump, not a swap)"
                )
                swaps += d
            elif d == 1 or (d == 2 and seen_moving):
                swaps += d
            else:
                problems.append(_describe(prev, order, k, label))
                swaps += d
        prev, prev_k = order, k
    for k in range(1, len(moving)):
        if len(moving[k]) > 2 and len(moving[k - 1]) > 2:
            names = ", ".join(label[n] for n in moving[k - 1])
            problems.append(
                f"{len(moving[k - 1])} bars move at once at frame {k - 1} ({names}):"
                f" one swap of two neighbours at a time"
            )
            break
    return swaps, problems


def goal_check(
    orders: list[tuple[str, ...] | None], target: tuple[str, ...], label: dict[str, str]
) -> Check:
    """The bars stand shortest to tallest at the end."""
    if orders and orders[-1] == target:
        return Check("goal", 1.0)
    if orders and orders[-1] is None:
        return Check("goal", 0.0, "the bars are not all standing in place at the end")
    readable = [o for o in orders if o is not None]
    final = readable[-1] if readable else ()
    listing = ", ".join(label[n] for n in final)
    return Check("goal", 0.0, f"the bars end in the order {listing}, not shortest to tallest")


def bars_scene_check(tracks: Tracks, instance: Instance) -> Check:
    """Nothing but the bars (where they start and where they are) changes the picture."""
    spec = instance.spec
    shape = tracks.frames.shape[1:3]
    first = {b.name: b.position for b in spec.bodies}

    def exclude(k: int) -> np.ndarray:
        mask = np.zeros(shape, bool)
        for b in spec.bodies:
            w, h = b.size
            pos = tracks.pos[b.name]
            m = 4 + 0.1 * w + planning.smear(pos, k)
            for x, y in (first[b.name], planning.last_found(pos, k)):
                if np.isfinite(x):
                    x0, x1 = int(max(0, x - w / 2 - m)), int(min(shape[1], x + w / 2 + m + 1))
                    y0, y1 = int(max(0, y - h / 2 - m)), int(min(shape[0], y + h / 2 + m + 1))
                    mask[y0:y1, x0:x1] = True
        return mask

    def describe(x: float, y: float, darker: bool) -> str:
        return f"the scene changes near ({x:.0f}, {y:.0f})"

    smallest = min(b.size[0] * b.size[1] for b in spec.bodies)
    return planning.scene(tracks, exclude, describe, min_area=0.3 * smallest)


def sort_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The sort family's law checks, declared in ``tasks/planning/sort.py``: only neighbouring
    bars swap, one pair at a time (``legal_swaps``), the bars end shortest to tallest
    (``goal``) in the fewest swaps (``optimal``), within the clip (``timing``), and nothing
    else changes (``scene``)."""
    spec = instance.spec
    label = {b.name: b.label for b in spec.bodies}
    params = SortParams.of(spec)
    target = tuple(params.target)
    orders, moving = _orders(tracks.pos, instance)
    swaps, problems = _sequence(orders, moving, label, tracks.times, params.t_move)
    best = params.optimal_moves
    truth_pos = {name: instance.trajectory.xy(name) for name in instance.trajectory.states}
    truth_orders, _ = _orders(truth_pos, instance)
    t_truth = np.arange(len(truth_orders)) / spec.fmt.fps
    return [
        planning.legal("legal_swaps", problems),
        goal_check(orders, target, label),
        planning.optimal(
            swaps,
            best,
            f"the bars are swapped {planning.count(swaps, 'time')}; the fewest swaps is {best}",
        ),
        planning.timing(
            planning.settled_at(tracks.times, orders, target),
            planning.settled_at(t_truth, truth_orders, target),
            spec.fmt.duration,
            "sorting",
        ),
        bars_scene_check(tracks, instance),
    ]
