"""Tolerance cards and dose-response curves, from the audit's rows.

An audit row (``vidreason audit``, ``audit.to_json_rows``) says, for one family and one
corruption of the registry (``vidreason.corruptions``): its kind, group and magnitude,
how many videos were tried, the share that failed (``rate``) and their mean score.

- A *tolerance card* says, per family and group, the largest magnitude of a nuisance
  that passed every time (every smaller one passing too) and the smallest magnitude of
  a violation that was caught every time (every larger one caught too).
- A *dose-response curve* says, per violation group with several magnitudes, the mean
  score at each (the score must fall as the error grows) and the families where it
  does not.

Magnitudes are ordered by how far from harmless they are: a scale factor (gravity x0.8,
x1.25) by the size of its log, anything else by its value.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from vidreason.report.svg import esc

RISE = 0.05  # a mean score this much higher at a larger error is not monotonic


@dataclass(frozen=True)
class Limit:
    group: str
    kind: str  # "nuisance" | "violation"
    magnitude: float | None  # largest passed / smallest caught; None: none of them
    unit: str
    tried: tuple[float, ...]  # every magnitude tried, from harmless to large

    @property
    def text(self) -> str:
        if self.magnitude is None:
            return f"{self.group}: none" if self.kind == "nuisance" else f"{self.group}: never"
        return f"{self.group}: {magnitude_text(self.magnitude, self.unit)}"


@dataclass(frozen=True)
class ToleranceCard:
    family: str
    tolerates: tuple[Limit, ...]
    catches: tuple[Limit, ...]


@dataclass(frozen=True)
class Dose:
    group: str
    unit: str
    magnitudes: tuple[float, ...]
    means: tuple[float, ...]  # mean score over the families at each magnitude
    rising: tuple[str, ...]  # families whose score rises somewhere as the error grows


def size(magnitude: float, unit: str) -> float:
    """How far from harmless a magnitude is."""
    if unit == "x" and magnitude > 0:
        return abs(math.log(magnitude))
    return magnitude


def magnitude_text(magnitude: float, unit: str) -> str:
    if unit == "x":
        return f"x{magnitude:g}"
    return f"{magnitude:g} {unit}".strip()


def _graded(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [r for r in rows if "kind" in r and r.get("group") and r.get("magnitude") is not None]


def cards(rows: Iterable[Mapping[str, Any]]) -> list[ToleranceCard]:
    """One card per family of the rows."""
    by: dict[tuple[str, str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for r in _graded(rows):
        by[(r["family"], r["kind"], r["group"])].append(r)
    out = []
    for family in sorted({f for f, _, _ in by}):
        tolerates, catches = [], []
        for (f, kind, group), group_rows in sorted(by.items()):
            if f != family:
                continue
            unit = str(group_rows[0].get("unit", ""))
            ladder = sorted(group_rows, key=lambda r: size(float(r["magnitude"]), unit))
            tried = tuple(float(r["magnitude"]) for r in ladder)
            if kind == "nuisance":
                passed = list(itertools.takewhile(lambda r: float(r["rate"]) == 0.0, ladder))
                best = float(passed[-1]["magnitude"]) if passed else None
                tolerates.append(Limit(group, kind, best, unit, tried))
            else:
                caught = list(
                    itertools.takewhile(lambda r: float(r["rate"]) == 1.0, reversed(ladder))
                )
                least = float(caught[-1]["magnitude"]) if caught else None
                catches.append(Limit(group, kind, least, unit, tried))
        out.append(ToleranceCard(family, tuple(tolerates), tuple(catches)))
    return out


def doses(rows: Iterable[Mapping[str, Any]]) -> list[Dose]:
    """One curve per violation group tried at two or more magnitudes."""
    by: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in _graded(rows):
        if r["kind"] == "violation" and "mean" in r:
            by[r["group"]].append(r)
    out = []
    for group, group_rows in sorted(by.items()):
        unit = str(group_rows[0].get("unit", ""))
        mags = sorted({float(r["magnitude"]) for r in group_rows}, key=lambda m: size(m, unit))
        if len(mags) < 2:
            continue
        means = []
        for m in mags:
            vals = [float(r["mean"]) for r in group_rows if float(r["magnitude"]) == m]
            means.append(sum(vals) / len(vals))
        rising = []
        for family in sorted({r["family"] for r in group_rows}):
            seq = [
                float(r["mean"])
                for m in mags
                for r in group_rows
                if r["family"] == family and float(r["magnitude"]) == m
            ]
            if any(b > a + RISE for a, b in itertools.pairwise(seq)):
                rising.append(family)
        out.append(Dose(group, unit, tuple(mags), tuple(means), tuple(rising)))
    return out


def dose_svg(dose: Dose, width: int = 220, height: int = 90) -> str:
    """A small line chart of the mean score (0..1, up) against the error (left to right)."""
    pad = 18
    n = len(dose.magnitudes)
    xs = [pad + (width - 2 * pad) * i / max(1, n - 1) for i in range(n)]
    ys = [pad / 2 + (height - 1.5 * pad) * (1.0 - m) for m in dose.means]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    labels = "".join(
        f'<text x="{x:.1f}" y="{height - 2}" text-anchor="middle">'
        f"{esc(magnitude_text(m, dose.unit))}</text>"
        for x, m in zip(xs, dose.magnitudes, strict=True)
    )
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5"><title>{esc(f"{v:.2f}")}</title></circle>'
        for x, y, v in zip(xs, ys, dose.means, strict=True)
    )
    top, bottom = pad / 2, pad / 2 + (height - 1.5 * pad)
    return (
        f'<svg class="dose" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-label="{esc(dose.group)}: mean score against the error">'
        f'<line x1="{pad}" y1="{top}" x2="{pad}" y2="{bottom}" class="axis"/>'
        f'<line x1="{pad}" y1="{bottom}" x2="{width - pad}" y2="{bottom}" class="axis"/>'
        f'<text x="2" y="{top + 4}">1</text><text x="2" y="{bottom}">0</text>'
        f'<polyline points="{points}" fill="none" stroke="currentColor"/>{dots}{labels}</svg>'
    )
