"""The vbvr folder layout: export and import round trip, and the ``imported-v1`` verifier
that scores imported tasks without a simulator spec."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from vidreason.cli import app
from vidreason.instance_io import find_instances, load_instance, read_png
from vidreason.interop import IMPORTED_VERIFIER, VBVR_FILES, import_suite
from vidreason.render.video_io import read_video, write_mp4
from vidreason.scoring import score_video
from vidreason.suites import generate_suite

FAMILIES = ["maze-v1", "sort-v1"]


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    root = tmp_path_factory.mktemp("interop")
    generate_suite("smoke", root / "suite", families=FAMILIES, workers=1)
    result = CliRunner().invoke(
        app, ["export", str(root / "suite"), "--out", str(root / "vbvr"), "--layout", "vbvr"]
    )
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["import", str(root / "vbvr"), "--out", str(root / "back")])
    assert result.exit_code == 0, result.output
    return root


def test_export_import_round_trip(imported):
    suite = find_instances(imported / "suite")
    back = find_instances(imported / "back")
    assert [(d.parent.name, d.name) for d in suite] == [(d.parent.name, d.name) for d in back]
    for a, b in zip(suite, back, strict=True):
        exported = imported / "vbvr" / a.parent.name / a.name
        assert sorted(p.name for p in exported.iterdir()) == sorted(VBVR_FILES)
        for name in VBVR_FILES:
            assert (
                (a / name).read_bytes() == (b / name).read_bytes() == (exported / name).read_bytes()
            )
        inst = load_instance(b)
        assert inst.verifier == IMPORTED_VERIFIER and inst.family_id == a.parent.name
        assert inst.prompt == (a / "prompt.txt").read_text().strip()
        assert (inst.spec.fmt.width, inst.spec.fmt.n_frames) == (256, 48)
    meta = json.loads((imported / "back" / "suite.json").read_text())
    assert meta["families"] == FAMILIES


def test_import_names_odd_task_folders_and_missing_files(tmp_path, imported):
    src = tmp_path / "src" / "Odd task!" / "sample_0007"
    src.mkdir(parents=True)
    first = find_instances(imported / "suite")[0]
    for name in VBVR_FILES:
        (src / name).write_bytes((first / name).read_bytes())
    (d,) = import_suite(tmp_path / "src", tmp_path / "out")
    assert d.parent.name == "Odd-task-v1" and d.name == "00007"
    (src / "final_frame.png").unlink()
    result = CliRunner().invoke(
        app, ["import", str(tmp_path / "src"), "--out", str(tmp_path / "o2")]
    )
    assert result.exit_code == 2 and "final_frame.png" in result.stderr
    result = CliRunner().invoke(app, ["export", str(tmp_path / "nothing"), "--out", str(tmp_path)])
    assert result.exit_code == 2


def _score(frames, d, tmp_path, fps=16.0):
    return score_video(write_mp4(frames, tmp_path / "v.mp4", fps=fps), d)


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_imported_tasks_score_by_generic_checks(family, imported, tmp_path):
    d, other = sorted((imported / "back" / family).iterdir())[:2]
    truth = read_video(d / "ground_truth.mp4").frames
    n = len(truth)

    oracle = score_video(d / "ground_truth.mp4", d)
    assert oracle.passed and oracle.value >= 0.95, oracle

    static = _score(np.repeat(read_png(d / "first_frame.png")[None], n, 0), d, tmp_path)
    assert static.value <= 0.1 and "does not reach the final state" in static.explanation

    unlike = next(f for f in FAMILIES if f != family)  # a cut to another family's scene
    elsewhere = read_video(imported / "back" / unlike / "00000" / "ground_truth.mp4").frames
    cut = _score(np.concatenate([truth[: n // 2], elsewhere[n // 2 :]]), d, tmp_path)
    assert cut.value <= 0.1 and "cuts to a different picture between frames 23 and 24" in (
        cut.explanation
    )
    alike = read_video(other / "ground_truth.mp4").frames  # ... or to another instance's
    cut = _score(np.concatenate([truth[: n // 2], alike[n // 2 :]]), d, tmp_path)
    assert not cut.passed, cut

    last = read_png(d / "final_frame.png")
    jump = _score(np.stack([truth[0]] * (n // 2) + [last] * (n - n // 2)), d, tmp_path)
    assert jump.value <= 0.1, jump

    u = np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None, None, None]
    fade = np.rint((1 - u) * truth[:1].astype(np.float32) + u * truth[-1:].astype(np.float32))
    dissolve = _score(fade.astype(np.uint8), d, tmp_path)
    assert dissolve.value <= 0.1 and "cross-dissolve" in dissolve.explanation, dissolve

    at = np.minimum(np.round(np.arange(round(47 / 16 * 24) + 1) * 16 / 24).astype(int), n - 1)
    big = np.stack([cv2.resize(truth[i], (768, 768), interpolation=cv2.INTER_CUBIC) for i in at])
    real = _score(big, d, tmp_path, fps=24.0)
    assert real.passed and real.value >= 0.9, real
