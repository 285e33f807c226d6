"""Leaderboard aggregation: bootstrap CIs, family and capability rows, pass rates, ranking."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vidreason.report.aggregate import Entry, bootstrap_ci, leaderboard, model_ranking

scores = st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(scores)
def test_bootstrap_ci_contains_the_mean_and_stays_in_range(values):
    arr = np.array(values)
    lo, hi = bootstrap_ci(arr, "k")
    mean = float(arr.mean())
    assert lo - 1e-9 <= mean <= hi + 1e-9
    assert arr.min() - 1e-9 <= lo <= hi <= arr.max() + 1e-9


def test_bootstrap_ci_is_deterministic():
    values = np.array([0.0, 0.1, 0.5, 0.9, 1.0, 0.3, 0.7])
    a = bootstrap_ci(values, "oracle|projectile-v1|physics")
    assert a == bootstrap_ci(values.copy(), "oracle|projectile-v1|physics")
    assert a[0] < values.mean() < a[1]


def test_bootstrap_ci_is_degenerate_for_constant_values():
    assert bootstrap_ci(np.full(7, 0.25), "k") == (0.25, 0.25)
    assert bootstrap_ci(np.array([0.6]), "k") == (0.6, 0.6)
    lo, hi = bootstrap_ci(np.array([]), "k")
    assert math.isnan(lo) and math.isnan(hi)


def test_bootstrap_ci_narrows_with_more_samples():
    rng = np.random.default_rng(1)
    small, large = rng.random(10), rng.random(400)
    w_small = np.subtract(*bootstrap_ci(small, "k")[::-1])
    w_large = np.subtract(*bootstrap_ci(large, "k")[::-1])
    assert 0 < w_large < w_small


@pytest.fixture
def board_rows(make_row):
    """Two models, two physics families plus one causal family."""
    spec = {
        ("good", "projectile-v1", "physics"): [1.0, 0.9, 0.8],
        ("good", "bounce-v1", "physics"): [1.0, 0.4],
        ("good", "ramp-v1", "causal"): [0.6],
        ("bad", "projectile-v1", "physics"): [0.0, 0.6, 0.1],
        ("bad", "bounce-v1", "physics"): [0.2, 0.0],
        ("bad", "ramp-v1", "causal"): [0.0],
    }
    out = []
    for (model, family, cap), values in spec.items():
        for i, v in enumerate(values):
            out.append(
                make_row(
                    model=model, family=family, capability=cap, idx=i, value=v, passed=v >= 0.5
                )
            )
    return out


def _by(entries: list[Entry]) -> dict[tuple[str, str, str], Entry]:
    return {(e.model, e.family, e.capability): e for e in entries}


def test_family_and_capability_rows(board_rows):
    entries = leaderboard(board_rows)
    assert len(entries) == 2 * (3 + 2)  # per model: 3 families + 2 capabilities
    keys = [(e.model, e.family, e.capability) for e in entries]
    assert keys == [  # by model; family rows (by capability, family) then capability rows
        ("bad", "ramp-v1", "causal"),
        ("bad", "bounce-v1", "physics"),
        ("bad", "projectile-v1", "physics"),
        ("bad", "*", "causal"),
        ("bad", "*", "physics"),
        ("good", "ramp-v1", "causal"),
        ("good", "bounce-v1", "physics"),
        ("good", "projectile-v1", "physics"),
        ("good", "*", "causal"),
        ("good", "*", "physics"),
    ]
    cap = _by(entries)[("good", "*", "physics")]
    assert cap.n == 5
    assert cap.mean == pytest.approx(np.mean([1.0, 0.9, 0.8, 1.0, 0.4]))
    fam = _by(entries)[("good", "bounce-v1", "physics")]
    assert (fam.n, fam.mean) == (2, pytest.approx(0.7))
    for e in entries:
        assert e.ci_low <= e.mean <= e.ci_high


def test_pass_rate(board_rows):
    by = _by(leaderboard(board_rows))
    assert by[("good", "projectile-v1", "physics")].pass_rate == 1.0
    assert by[("good", "bounce-v1", "physics")].pass_rate == 0.5
    assert by[("bad", "projectile-v1", "physics")].pass_rate == pytest.approx(1 / 3, abs=1e-6)
    assert by[("bad", "*", "physics")].pass_rate == pytest.approx(1 / 5)
    assert by[("bad", "*", "causal")].pass_rate == 0.0


def test_entries_serialise_with_the_documented_keys(board_rows):
    d = leaderboard(board_rows)[0].to_dict()
    assert set(d) == {
        "model",
        "family",
        "capability",
        "n",
        "mean",
        "ci_low",
        "ci_high",
        "pass_rate",
        "kind",
        "suite",
        "seeds",  # added with --seeds and model cards; the keys above are unchanged
        "seed_sd",
        "goal_conditioned",
    }


def test_two_suites_of_one_model_are_never_pooled(make_row):
    rows = [make_row(key="a", suite="s1", value=1.0), make_row(key="b", suite="s2", value=0.0)]
    got = {(e.suite, e.family): e.mean for e in leaderboard(rows)}
    assert got == {
        ("s1", "projectile-v1"): 1.0,
        ("s1", "*"): 1.0,
        ("s2", "projectile-v1"): 0.0,
        ("s2", "*"): 0.0,
    }


def test_model_ranking(board_rows, make_row):
    entries = leaderboard(board_rows)
    ranking = model_ranking(entries)
    assert [m for m, _ in ranking] == ["good", "bad"]
    by = _by(entries)
    good = np.mean([by[("good", "*", "physics")].mean, by[("good", "*", "causal")].mean])
    assert ranking[0][1] == pytest.approx(good)
    tied = leaderboard(
        [make_row(model=m, value=0.5) for m in ("zeta", "alpha")] + [make_row(model="mid")]
    )
    assert [m for m, _ in model_ranking(tied)] == ["mid", "alpha", "zeta"]  # ties by name


def test_model_ranking_averages_capabilities_not_instances(make_row):
    # 'a' is perfect on one big capability and fails a small one; 'b' is middling on both
    rows = [make_row(model="a", idx=i, value=1.0) for i in range(9)]
    rows += [make_row(model="a", family="ramp-v1", capability="causal", value=0.0)]
    rows += [make_row(model="b", idx=i, value=0.6) for i in range(9)]
    rows += [make_row(model="b", family="ramp-v1", capability="causal", value=0.6)]
    ranking = dict(model_ranking(leaderboard(rows)))
    assert ranking["a"] == pytest.approx(0.5) and ranking["b"] == pytest.approx(0.6)
