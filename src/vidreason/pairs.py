"""Counterfactual pairs, scored jointly.

A causal family is generated in pairs: the factual scene and the same scene with one
intervention (a block removed, a gap added), each with its own ground truth. Each video
is first scored alone. The pair then passes only when

- both videos pass, and
- the videos differ in their outcomes exactly as the ground truths do: the facts that
  change between the two observed outcomes (which blocks fell, whether the ball was
  released) are the facts that change between the two expected ones, with the same values.

A model that ignores the intervention (the same video twice) or gets one side wrong fails
the pair, with a note that says which. The pair's value is the lower of its two scores
when the differences match, else 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from vidreason.store import Row


@dataclass(frozen=True)
class PairResult:
    model: str
    family: str
    pair: str
    intervention: str
    value: float
    passed: bool
    note: str
    suite: str = ""
    seed: int = 0  # the generation both halves come from (--seeds K)


def difference(a: dict[str, Any], b: dict[str, Any]) -> dict[str, list[Any]]:
    """The facts whose values differ between two outcomes: ``{fact: [a's, b's]}``."""
    return {k: [a.get(k), b.get(k)] for k in sorted({*a, *b}) if a.get(k) != b.get(k)}


def _words(diff: dict[str, list[Any]]) -> str:
    if not diff:
        return "no difference"
    return ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in diff.items())


def judge(factual: Row, counterfactual: Row) -> PairResult:
    """The joint verdict on one pair of scored videos."""
    pair = factual.outcome["pair"]
    observed = difference(
        factual.outcome.get("observed", {}), counterfactual.outcome.get("observed", {})
    )
    expected = difference(
        factual.outcome.get("expected", {}), counterfactual.outcome.get("expected", {})
    )
    failed = [
        f"the {role} video fails ({row.explanation})"
        for role, row in (("factual", factual), ("counterfactual", counterfactual))
        if not row.passed
    ]
    if observed != expected:
        failed.append(
            f"the two videos differ in {_words(observed)}; the ground truths differ in"
            f" {_words(expected)}"
        )
    value = 0.0 if observed != expected else min(factual.value, counterfactual.value)
    return PairResult(
        model=factual.model,
        family=factual.family,
        pair=str(pair["id"]),
        intervention=str(pair.get("intervention", "")),
        value=round(float(value), 6),
        passed=not failed,
        note="; ".join(failed) if failed else f"both right; {_words(expected)}",
        suite=factual.suite,
        seed=factual.seed,
    )


def _half_missing(row: Row, missing: str) -> PairResult:
    pair = row.outcome["pair"]
    return PairResult(
        model=row.model,
        family=row.family,
        pair=str(pair["id"]),
        intervention=str(pair.get("intervention", "")),
        value=0.0,
        passed=False,
        suite=row.suite,
        seed=row.seed,
        note=f"the {missing} video has no score"
        + (f" (instance {int(pair[missing]):05d} was not scored)" if missing in pair else ""),
    )


def score_pairs(rows: Iterable[Row]) -> list[PairResult]:
    """Every pair among ``rows`` (per model, suite and seed: the two halves of a pair come
    from the same generation); a pair with one half not scored
    fails, saying which half is missing."""
    halves: dict[tuple[str, str, int, str], dict[str, Row]] = defaultdict(dict)
    for r in rows:
        pair = r.outcome.get("pair") if isinstance(r.outcome, dict) else None
        if pair:
            halves[(r.model, r.suite, r.seed, str(pair["id"]))][str(pair["role"])] = r
    out = []
    for _, h in sorted(halves.items()):
        if {"factual", "counterfactual"} <= set(h):
            out.append(judge(h["factual"], h["counterfactual"]))
        else:
            ((role, row),) = h.items()
            out.append(_half_missing(row, "counterfactual" if role == "factual" else "factual"))
    return out
