"""The answers leaderboard: accuracy of video-understanding models on a suite's questions.

Per model and suite: accuracy over every question (``by="all"``), per question kind
(descriptive, explanatory, predictive, counterfactual), per family and per capability,
each with a 95% percentile-bootstrap CI over questions (``aggregate.bootstrap_ci``: the
same resampling and fixed seed as the video leaderboard). Unanswered, unparsed and failed
questions count as wrong; ``answered`` says how many got a readable answer. The two
baselines of ``answers.baseline_values`` are computed on each suite's questions and shown
beside the models (``baseline=True``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np

from vidreason.report.aggregate import bootstrap_ci
from vidreason.store import AnswerRow

GROUPS = ("all", "kind", "family", "capability")
KIND_ORDER = ("descriptive", "explanatory", "predictive", "counterfactual")


@dataclass(frozen=True)
class AnswerEntry:
    model: str
    suite: str
    by: str  # all, kind, family or capability
    group: str  # the kind, family or capability; "*" for all
    n: int  # questions
    accuracy: float
    ci_low: float
    ci_high: float
    answered: int  # questions given a readable answer
    baseline: bool = False

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _key(r: AnswerRow, by: str) -> str:
    return "*" if by == "all" else str(getattr(r, by))


def _entries(
    model: str, suite: str, rows: list[AnswerRow], values: dict[str, float], baseline: bool
) -> list[AnswerEntry]:
    out = []
    for by in GROUPS:
        groups: dict[str, list[AnswerRow]] = defaultdict(list)
        for r in rows:
            groups[_key(r, by)].append(r)
        for name, group in groups.items():
            v = np.array([values[r.qid] for r in group], dtype=float)
            lo, hi = bootstrap_ci(v, f"answers|{model}|{suite}|{by}|{name}")
            out.append(
                AnswerEntry(
                    model=model,
                    suite=suite,
                    by=by,
                    group=name,
                    n=len(group),
                    accuracy=round(float(v.mean()), 6),
                    ci_low=round(lo, 6),
                    ci_high=round(hi, 6),
                    answered=len(group)
                    if baseline
                    else sum(r.status not in ("unanswered", "unparsed", "error") for r in group),
                    baseline=baseline,
                )
            )
    return out


def _order(e: AnswerEntry) -> tuple:
    kind = KIND_ORDER.index(e.group) if e.by == "kind" and e.group in KIND_ORDER else 9
    return (e.suite, e.baseline, e.model, GROUPS.index(e.by), kind, e.group)


def answer_leaderboard(rows: Iterable[AnswerRow], baselines: bool = True) -> list[AnswerEntry]:
    """Every model's entries per suite, then (with ``baselines``) the baselines' entries
    on each suite's questions."""
    from vidreason.answers import baseline_values

    by_model: dict[tuple[str, str], list[AnswerRow]] = defaultdict(list)
    for r in rows:
        by_model[(r.model, r.suite)].append(r)
    out: list[AnswerEntry] = []
    for (model, suite), group in sorted(by_model.items()):
        out += _entries(model, suite, group, {r.qid: float(r.correct) for r in group}, False)
    if baselines:
        per_suite: dict[str, dict[str, AnswerRow]] = defaultdict(dict)
        for (_, suite), group in sorted(by_model.items()):
            for r in group:
                per_suite[suite].setdefault(r.qid, r)
        for suite, questions in sorted(per_suite.items()):
            qs = list(questions.values())
            for name, values in baseline_values(qs).items():
                out += _entries(name, suite, qs, values, True)
    return sorted(out, key=_order)
