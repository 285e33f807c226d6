"""Engine-neutral helpers shared by the simulators: contact debouncing and rounding."""

from __future__ import annotations


def debounce(
    contacts: list[tuple[float, tuple[str, ...]]], min_gap: float
) -> list[tuple[float, tuple[str, ...]]]:
    """Keep the first contact of each pair within ``min_gap`` seconds (resting chatter)."""
    last: dict[tuple[str, ...], float] = {}
    kept = []
    for t, pair in contacts:
        if pair in last and t - last[pair] < min_gap:
            last[pair] = t
            continue
        last[pair] = t
        kept.append((t, pair))
    return kept
