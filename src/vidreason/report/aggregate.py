"""Leaderboard rows: per model x family and per model x capability.

Each row gives n (instances), the mean score, a 95% percentile-bootstrap confidence
interval of the mean over instances (2,000 resamples from a fixed seed, so the same
scores give the same interval) and the pass rate. A model run with ``--seeds K`` has K
scores per instance: an instance counts by its mean over seeds, and ``seed_sd`` is the
standard deviation over seeds of the mean (each seed's mean over the instances), so a
row reads "mean ± sd over seeds, CI over instances". ``goal_conditioned`` flags a model
that has seen the answer. Capability rows pool every instance of that capability (family ``"*"``).
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
    seeds: int = 1  # generations per instance
    seed_sd: float = 0.0  # sd over seeds of the mean (0 with one seed)
    goal_conditioned: bool = False  # the model has seen the goal: no test of reasoning

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


def seed_spread(group: Iterable[Row]) -> tuple[np.ndarray, int, float]:
    """Per instance its mean over seeds; how many seeds; the sd over seeds of the mean."""
    by_instance: dict[tuple[str, int], list[float]] = defaultdict(list)
    by_seed: dict[int, list[float]] = defaultdict(list)
    for r in group:
        by_instance[(r.family, r.idx)].append(r.value)
        by_seed[r.seed].append(r.value)
    values = np.array([np.mean(v) for _, v in sorted(by_instance.items())], dtype=float)
    seed_means = [float(np.mean(v)) for v in by_seed.values()]
    sd = float(np.std(seed_means, ddof=1)) if len(seed_means) > 1 else 0.0
    return values, len(seed_means), sd


def _entry(model: str, family: str, capability: str, group: list[Row], suite: str = "") -> Entry:
    values, seeds, sd = seed_spread(group)
    lo, hi = bootstrap_ci(values, f"{model}|{family}|{capability}")
    return Entry(
        suite=suite,
        model=model,
        family=family,
        capability=capability,
        n=len(values),
        mean=round(float(values.mean()), 6),
        ci_low=round(lo, 6),
        ci_high=round(hi, 6),
        pass_rate=round(float(np.mean([r.passed for r in group])), 6),
        seeds=seeds,
        seed_sd=round(sd, 6),
        goal_conditioned=any(r.goal_conditioned for r in group),
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
    sees_goal = {r.model for r in rows if r.goal_conditioned}
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
                seeds=len({p.seed for p in group}),
                goal_conditioned=model in sees_goal,
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
