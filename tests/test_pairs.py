"""Counterfactual pairs are judged jointly: both right, and the difference right."""

from __future__ import annotations

from vidreason.pairs import difference, score_pairs
from vidreason.store import Row


def _row(role: str, idx: int, observed: dict, expected: dict, passed: bool = True) -> Row:
    pair = {"id": "dominoes-v1/00000", "role": role, "intervention": "a gap is added"}
    return Row(
        key=f"k{idx}",
        model="m",
        family="dominoes-v1",
        capability="causal",
        idx=idx,
        difficulty=1,
        instance_dir="i",
        video="v",
        value=1.0 if passed else 0.0,
        passed=passed,
        checks={},
        explanation="every check passed" if passed else "order 0.00: the blue block falls first",
        error="",
        outcome={"observed": observed, "expected": expected, "pair": pair},
    )


ALL = {"fallen": ["a", "b", "c"]}
TWO = {"fallen": ["a", "b"]}


def test_difference_lists_changed_facts_only() -> None:
    assert difference({"x": 1, "y": 2}, {"x": 1, "y": 3}) == {"y": [2, 3]}
    assert difference({"x": 1}, {"x": 1}) == {}


def test_a_pair_right_on_both_sides_passes() -> None:
    (p,) = score_pairs([_row("factual", 0, ALL, ALL), _row("counterfactual", 1, TWO, TWO)])
    assert p.passed and p.value == 1.0
    assert "both right" in p.note


def test_the_same_video_twice_fails_the_pair() -> None:
    (p,) = score_pairs([_row("factual", 0, ALL, ALL), _row("counterfactual", 1, ALL, TWO)])
    assert not p.passed and p.value == 0.0
    assert "no difference" in p.note


def test_one_wrong_side_fails_the_pair_and_says_which() -> None:
    rows = [_row("factual", 0, ALL, ALL), _row("counterfactual", 1, TWO, TWO, passed=False)]
    (p,) = score_pairs(rows)
    assert not p.passed
    assert "the counterfactual video fails" in p.note


def test_a_pair_with_a_half_not_scored_fails_and_says_which() -> None:
    (p,) = score_pairs([_row("factual", 0, ALL, ALL)])
    assert not p.passed and p.value == 0.0
    assert p.note == "the counterfactual video has no score"
    row = _row("counterfactual", 1, TWO, TWO)
    row.outcome["pair"].update(factual=0, counterfactual=1)
    (p,) = score_pairs([row])
    assert not p.passed and "the factual video has no score (instance 00000" in p.note


def test_a_missing_video_keeps_its_pair() -> None:
    """A video that could not be scored still names its pair, so the pair fails."""
    failed = _row("counterfactual", 1, {}, TWO, passed=False)
    failed = Row(
        **{
            **failed.to_dict(),
            "status": "missing",
            "outcome": {"expected": TWO, "pair": failed.outcome["pair"]},
        }
    )
    (p,) = score_pairs([_row("factual", 0, ALL, ALL), failed])
    assert not p.passed and "the counterfactual video fails" in p.note
