"""A verifier's scores may change only with its version.

Every family's verifier scores a fixed mini-suite (instance 0 of the smoke suite: its
ground truth and four graded wrong videos); ``fingerprints.json`` keeps those
scores with the verifier version that gave them. When a verifier's behaviour changes,
bump its version (``TaskFamily.verifier_version`` in the family's module, or
``verifiers.version.SHARED_VERSION`` for decoding, tracking and the shared checks), then
refresh the file:

    VIDREASON_UPDATE_FINGERPRINTS=1 python -m pytest tests/verifiers/test_versions.py

The cache key of every score holds the version (``runner.plan``), so a bump rescores.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from vidreason.instance_io import load_instance, read_png
from vidreason.render.video_io import read_video
from vidreason.tasks import FAMILIES
from vidreason.verifiers.score import score_frames
from vidreason.verifiers.version import verifier_version

pytestmark = pytest.mark.slow
FILE = Path(__file__).with_name("fingerprints.json")
TOLERANCE = 2e-3  # scores are rounded to 3 decimals; more than this is a change
UPDATE = os.environ.get("VIDREASON_UPDATE_FINGERPRINTS") == "1"


def _variants(frames: np.ndarray) -> dict[str, np.ndarray]:
    """The ground truth and four videos wrong in graded ways (so that checks give values
    between 0 and 1, where a changed tolerance shows)."""
    n = len(frames)
    fast = frames[::2]
    return {
        "truth": frames,
        "held": np.repeat(frames[:1], n, axis=0),
        "reversed": frames[::-1].copy(),
        "fast": np.concatenate([fast, np.repeat(fast[-1:], n - len(fast), axis=0)]),
        "shifted": np.roll(frames, 4, axis=2),
    }


def fingerprint(instance_dir: Path) -> dict:
    inst = load_instance(instance_dir)
    clip = read_video(instance_dir / "ground_truth.mp4")
    image = read_png(instance_dir / "first_frame.png")
    times = clip.times if clip.times is not None else np.arange(clip.n_frames) / clip.fps
    scores = {}
    for name, frames in _variants(clip.frames).items():
        score, _ = score_frames(frames, inst, image, times)
        scores[name] = {
            "value": round(score.value, 3),
            "passed": score.passed,
            "checks": {k: round(v, 3) for k, v in sorted(score.checks.items())},
        }
    return {"version": verifier_version(inst), "scores": scores}


def _changes(old: dict, new: dict) -> list[str]:
    out = []
    for variant, now in new.items():
        was = old.get(variant)
        if was is None:
            out.append(f"{variant}: new")
            continue
        if was["passed"] != now["passed"]:
            out.append(f"{variant}: passed {was['passed']} -> {now['passed']}")
        for check in sorted({*was["checks"], *now["checks"]}):
            a, b = was["checks"].get(check), now["checks"].get(check)
            if a is None or b is None or abs(a - b) > TOLERANCE:
                out.append(f"{variant}.{check}: {a} -> {b}")
        if abs(was["value"] - now["value"]) > TOLERANCE:
            out.append(f"{variant}: value {was['value']} -> {now['value']}")
    return out


@pytest.fixture(scope="module")
def recorded() -> dict:
    return json.loads(FILE.read_text()) if FILE.is_file() else {}


@pytest.fixture(scope="module")
def refreshed(recorded: dict):
    """With VIDREASON_UPDATE_FINGERPRINTS=1: the fingerprints to write when the module
    ends (only those whose change came with a version bump)."""
    out = dict(recorded)
    yield out
    if UPDATE and out != recorded:
        FILE.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("family", FAMILIES.names())
def test_scores_change_only_with_the_verifier_version(family, suite_dir, recorded, refreshed):
    refresh = "refresh with VIDREASON_UPDATE_FINGERPRINTS=1 (see this file's docstring)"
    now = fingerprint(suite_dir / family / "00000")
    was = recorded.get(family)
    if was is not None and was["version"] == now["version"]:
        changes = _changes(was["scores"], now["scores"])
        assert not changes, (
            f"{family}: scores changed ({'; '.join(changes[:6])}) but the verifier version is"
            f" still {now['version']}: bump the family's verifier_version (or SHARED_VERSION"
            f" for a shared piece), then {refresh}"
        )
        return
    if UPDATE:
        refreshed[family] = now
        return
    what = "no recorded fingerprint" if was is None else f"version {was['version']} -> now"
    pytest.fail(f"{family}: {what} {now['version']}; {refresh}")


def test_no_fingerprint_of_a_family_that_is_gone(recorded):
    gone = sorted(set(recorded) - set(FAMILIES.names()))
    assert not gone, f"fingerprints.json holds unregistered families {gone}: remove them"
