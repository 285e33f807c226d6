"""A verifier's scores may change only with its version, a family's generated files only
with the family's version.

Every family's verifier scores a fixed mini-suite (instance 0 of the smoke suite: its
ground truth and four graded wrong videos); ``fingerprints.json`` keeps those
scores with the verifier version that gave them and the encoder settings that wrote the
ground truth they are made of (``render.encoding.ENCODER``: other settings give other
videos, so the scores are recorded again). When a verifier's behaviour changes,
bump its version (``TaskFamily.verifier_version`` in the family's module, or
``verifier_version.SHARED_VERSION`` for decoding, tracking and the shared checks), then
refresh the file:

    VIDREASON_UPDATE_FINGERPRINTS=1 python -m pytest tests/verifiers/test_versions.py

The cache key of every score holds the version (``runner.plan``), so a bump rescores.

The same file keeps, under ``files``, the sha256 of every file of that instance 0 (what
``write_instance`` and ``write_questions`` write; ``task.json`` without its version stamps,
``verifier`` and ``versions``, which change with the verifier and the package, not with
the data) and the versions of the libraries and the encoder settings that made those
bytes (``made_with``). When the same seed gives other bytes, bump the family's
``version`` (its id becomes ``name-v<N+1>``, so a resumed ``generate`` writes the
instances afresh instead of keeping the old ones), then refresh as above. Where the
libraries or the encoder settings differ from the recorded ones (another NumPy, PyAV,
OpenCV or engine, or an engine run otherwise, ``engines.SETTINGS``; ``MUJOCO_GL`` for the
3D families; ``render.encoding.ENCODER``, which every instance records among its
versions, so a changed setting rewrites every family's instances without drawing other
scenes) the bytes are not compared and the test says so; the 3D families' pixels also
depend on the OpenGL driver, which is not recorded.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from vidreason.engines import SETTINGS
from vidreason.instance_io import load_instance, read_png
from vidreason.render.encoding import ENCODER
from vidreason.render.video_io import read_video
from vidreason.scoring import score_frames
from vidreason.tasks import FAMILIES, get_family
from vidreason.verifier_version import verifier_version

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
    out = {"version": verifier_version(inst), "encoder": ENCODER, "scores": scores}
    if (settings := SETTINGS.get(get_family(inst.spec.family).engine)) is not None:
        out["engine settings"] = settings  # how the engine ran changes the truth's frames
    return out


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
    out = {k: v for k, v in out.items() if k in FAMILIES.names()}
    if UPDATE and out != recorded:
        FILE.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("family", FAMILIES.names())
def test_scores_change_only_with_the_verifier_version(family, suite_dir, recorded, refreshed):
    refresh = "refresh with VIDREASON_UPDATE_FINGERPRINTS=1 (see this file's docstring)"
    now = fingerprint(suite_dir / family / "00000")
    was = recorded.get(family)
    same_input = was is not None and all(
        was.get(k) == now.get(k) for k in ("encoder", "engine settings")
    )
    if was is not None and same_input and was["version"] == now["version"]:
        changes = _changes(was["scores"], now["scores"])
        assert not changes, (
            f"{family}: scores changed ({'; '.join(changes[:6])}) but the verifier version is"
            f" still {now['version']}: bump the family's verifier_version (or SHARED_VERSION"
            f" for a shared piece), then {refresh}"
        )
        return
    if UPDATE:
        refreshed[family] = {**refreshed.get(family, {}), **now}
        return
    if was is None:
        pytest.fail(f"{family}: no recorded fingerprint; {refresh}")
    if not same_input:
        made = {k: (was.get(k), now.get(k)) for k in ("encoder", "engine settings")}
        pytest.fail(f"{family}: made otherwise: {made}; {refresh}")
    pytest.fail(f"{family}: version {was['version']} -> now {now['version']}; {refresh}")


def test_no_fingerprint_of_a_family_that_is_gone(recorded):
    gone = sorted(set(recorded) - set(FAMILIES.names()))
    assert not gone, (
        f"fingerprints.json holds unregistered families {gone}: remove them (a refresh with"
        " VIDREASON_UPDATE_FINGERPRINTS=1 does)"
    )


STAMPS = ("verifier", "versions")  # task.json keys that name code versions, not data


def file_hashes(instance_dir: Path) -> dict[str, str]:
    """sha256 of every file of an instance; task.json without its version stamps."""
    out = {}
    for path in sorted(p for p in instance_dir.iterdir() if p.is_file()):
        data = path.read_bytes()
        if path.name == "task.json":
            task = {k: v for k, v in json.loads(data).items() if k not in STAMPS}
            data = json.dumps(task, sort_keys=True, indent=1).encode()
        out[path.name] = hashlib.sha256(data).hexdigest()
    return out


def made_with(family: str) -> dict[str, str]:
    """The versions of the libraries whose output is in a family's files, and the
    settings its videos are encoded with."""
    import cv2

    engine = get_family(family).engine
    names = ["numpy", "av", *([engine] if engine in ("pymunk", "mujoco", "taichi") else [])]
    out = {name: metadata.version(name) for name in names}
    out["opencv"] = cv2.__version__
    out["encoder"] = ENCODER
    if (settings := SETTINGS.get(engine)) is not None:
        out["engine settings"] = settings
    if engine == "mujoco":
        out["MUJOCO_GL"] = os.environ.get("MUJOCO_GL", "")
    return out


@pytest.mark.parametrize("family", FAMILIES.names())
def test_generated_files_change_only_with_the_family_version(
    family, suite_dir, recorded, refreshed
):
    refresh = "refresh with VIDREASON_UPDATE_FINGERPRINTS=1 (see this file's docstring)"
    now = {"made_with": made_with(family), "sha256": file_hashes(suite_dir / family / "00000")}
    was = recorded.get(family, {}).get("files")
    if was is not None and was["made_with"] == now["made_with"]:
        changed = sorted(
            name
            for name in {*was["sha256"], *now["sha256"]}
            if was["sha256"].get(name) != now["sha256"].get(name)
        )
        assert not changed, (
            f"{family}: instance 0 of seed 0 now has other bytes ({', '.join(changed)}) but the"
            f" family's version is the same: bump `version` in its module (a new id, so old"
            f" instances are not reused), then {refresh}"
        )
        return
    if UPDATE:
        refreshed[family] = {**refreshed.get(family, {}), "files": now}
        return
    if was is None:
        pytest.fail(f"{family}: no recorded file hashes; {refresh}")
    other = {k: (was["made_with"].get(k), v) for k, v in now["made_with"].items()}
    other = {k: v for k, v in other.items() if v[0] != v[1]}
    pytest.skip(f"{family}: bytes not compared, made with other libraries here: {other}")
