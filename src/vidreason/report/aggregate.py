"""Leaderboard rows: per model x family and per model x capability.

Each row gives n, the mean score, a 95% percentile-bootstrap confidence interval of the
mean (2,000 resamples from a fixed seed, so the same scores give the same interval) and
the pass rate. Capability rows pool every instance of that capability (family ``"*"``).
Pair rows (``kind="pairs"``) score each counterfactual pair of a causal family jointly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np

from vidreason.seeding import named_rng
from vidreason.store import Row

N_BOOT = 2000


@dataclass(frozen=True)
class Entry:
    model: str
    family: str
    capability: str
    n: int
    mean: float
    ci_low: float
    ci_high: float
    pass_rate: float
    kind: str = "instances"  # or "pairs": counterfactual pairs scored jointly
    suite: str = ""  # rows of one model on two suites are never pooled

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def bootstrap_ci(values: np.ndarray, key: str, level: float = 0.95) -> tuple[float, float]:
    if len(values) == 0:
        return float("nan"), float("nan")
    if len(values) == 1 or np.all(values == values[0]):
        return float(values[0]), float(values[0])
    rng = named_rng(0, "bootstrap", key)
    means = values[rng.integers(0, len(values), size=(N_BOOT, len(values)))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _entry(model: str, family: str, capability: str, group: list[Row], suite: str = "") -> Entry:
    values = np.array([r.value for r in group], dtype=float)
    lo, hi = bootstrap_ci(values, f"{model}|{family}|{capability}")
    return Entry(
        suite=suite,
        model=model,
        family=family,
        capability=capability,
        n=len(group),
        mean=round(float(values.mean()), 6),
        ci_low=round(lo, 6),
        ci_high=round(hi, 6),
        pass_rate=round(float(np.mean([r.passed for r in group])), 6),
    )


def leaderboard(rows: Iterable[Row]) -> list[Entry]:
    """Family rows then capability rows, for every model, sorted by model name."""
    by_family: dict[tuple[str, str, str, str], list[Row]] = defaultdict(list)
    by_cap: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
    for r in rows:
        by_family[(r.model, r.suite, r.family, r.capability)].append(r)
        by_cap[(r.model, r.suite, r.capability)].append(r)
    out = [_entry(m, f, c, g, s) for (m, s, f, c), g in sorted(by_family.items())]
    out += [_entry(m, "*", c, g, s) for (m, s, c), g in sorted(by_cap.items())]
    return sorted(out, key=lambda e: (e.model, e.suite, e.family == "*", e.capability, e.family))


def pair_leaderboard(rows: Iterable[Row]) -> list[Entry]:
    """Per model x family: counterfactual pairs scored jointly (see ``vidreason.pairs``)."""
    from vidreason.pairs import score_pairs

    rows = list(rows)
    capability = {r.family: r.capability for r in rows}
    groups: dict[tuple[str, str, str], list] = defaultdict(list)
    for p in score_pairs(rows):
        groups[(p.model, p.suite, p.family)].append(p)
    out = []
    for (model, suite, family), group in sorted(groups.items()):
        values = np.array([p.value for p in group], dtype=float)
        lo, hi = bootstrap_ci(values, f"{model}|{family}|pairs")
        out.append(
            Entry(
                model=model,
                family=family,
                capability=capability[family],
                n=len(group),
                mean=round(float(values.mean()), 6),
                ci_low=round(lo, 6),
                ci_high=round(hi, 6),
                pass_rate=round(float(np.mean([p.passed for p in group])), 6),
                kind="pairs",
                suite=suite,
            )
        )
    return out


def model_ranking(entries: Iterable[Entry]) -> list[tuple[str, float]]:
    """Models by their mean over capability rows, best first."""
    per: dict[str, list[float]] = defaultdict(list)
    for e in entries:
        if e.family == "*":
            per[e.model].append(e.mean)
    return sorted(((m, float(np.mean(v))) for m, v in per.items()), key=lambda x: (-x[1], x[0]))
