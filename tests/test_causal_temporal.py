"""Causal and temporal families end to end: counterfactual pairs scored jointly, and the
questions written with every generated suite."""

from __future__ import annotations

import json
import shutil

from vidreason import api
from vidreason.instance_io import QUESTIONS_FILE, load_instance
from vidreason.suites import SUITES
from vidreason.tasks import FAMILIES, get_family
from vidreason.types import QUESTION_KINDS

PAIRED = [f for f in FAMILIES.names() if get_family(f).paired]
ASKING = [f for f in FAMILIES.names() if get_family(f).questions is not None]


def test_every_causal_family_comes_in_pairs_and_every_causal_or_temporal_one_asks() -> None:
    causal = [f for f in FAMILIES.names() if get_family(f).capability == "causal"]
    temporal = [f for f in FAMILIES.names() if get_family(f).capability == "temporal"]
    assert len(causal) >= 3 and len(temporal) >= 3
    assert set(causal) <= set(PAIRED)
    assert set(causal + temporal) <= set(ASKING)
    assert {"causal", "temporal"} <= {
        get_family(f).capability for f in SUITES.get("core").family_ids()
    }


def test_pair_halves_share_the_scene_but_not_the_outcome(suite_dir) -> None:
    for fid in PAIRED:
        a = load_instance(suite_dir / fid / "00000")
        b = load_instance(suite_dir / fid / "00001")
        pa, pb = a.spec.extra["pair"], b.spec.extra["pair"]
        assert pa["id"] == pb["id"] == f"{fid}/00000"
        assert (pa["role"], pb["role"]) == ("factual", "counterfactual")
        assert pa["intervention"] == pb["intervention"] != ""
        assert a.spec.difficulty == b.spec.difficulty
        assert a.outcome and b.outcome and a.outcome != b.outcome, fid


def test_questions_json_per_instance_and_per_suite(suite_dir) -> None:
    gathered = json.loads((suite_dir / QUESTIONS_FILE).read_text())
    by_instance = {e["instance"]: e for e in gathered}
    for fid in ASKING:
        for idx in ("00000", "00001"):
            rows = json.loads((suite_dir / fid / idx / QUESTIONS_FILE).read_text())
            assert by_instance[f"{fid}/{idx}"]["questions"] == rows
            assert all(r["answer"] != "" and r["question"].endswith("?") for r in rows), fid
            for r in rows:
                assert "choices" not in r or (
                    len(r["choices"]) >= 2 and r["answer"] in r["choices"]
                )
        kinds = {
            r["kind"]
            for idx in ("00000", "00001")
            for r in json.loads((suite_dir / fid / idx / QUESTIONS_FILE).read_text())
        }
        assert kinds == set(QUESTION_KINDS), fid
    assert not (suite_dir / "projectile-v1" / "00000" / QUESTIONS_FILE).exists()


def _videos(suite_dir, tmp_path, same_twice: bool):
    """Ground-truth videos of every pair; with ``same_twice`` the factual video is also
    handed in for the counterfactual (a model that ignores the intervention)."""
    out = tmp_path / ("same" if same_twice else "truth")
    for fid in PAIRED:
        (out / fid).mkdir(parents=True)
        for idx in ("00000", "00001"):
            src = "00000" if same_twice else idx
            shutil.copyfile(suite_dir / fid / src / "ground_truth.mp4", out / fid / f"{idx}.mp4")
    return out


def test_pairs_are_scored_jointly(suite_dir, tmp_path) -> None:
    sub = tmp_path / "suite"
    for fid in PAIRED:
        shutil.copytree(suite_dir / fid, sub / fid)
    run = tmp_path / "run"
    api.score_folder(sub, _videos(suite_dir, tmp_path, False), "truth", run, workers=1)
    api.score_folder(sub, _videos(suite_dir, tmp_path, True), "same-twice", run, workers=1)
    pairs = {(e.model, e.family): e for e in api.leaderboard(run) if e.kind == "pairs"}
    for fid in PAIRED:
        assert pairs[("truth", fid)].pass_rate == 1.0, fid
        assert pairs[("same-twice", fid)].pass_rate == 0.0, fid
        assert pairs[("same-twice", fid)].mean < 0.5, fid
    html = api.report(run).read_text()
    assert 'id="pairs-table"' in html and "the counterfactual video fails" in html


def test_a_question_whose_choices_miss_the_answer_is_refused() -> None:
    import pytest

    from vidreason.types import Question

    with pytest.raises(ValueError, match="must hold the answer"):
        Question("explanatory", "What hides the red ball?", "blue screen", ("blue screen",))
    with pytest.raises(ValueError, match="must hold the answer"):
        Question("descriptive", "Which lands first?", "red ball", ("blue ball", "green ball"))
    with pytest.raises(ValueError, match="unknown question kind"):
        Question("rhetorical", "Why?", "because")
