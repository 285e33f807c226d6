"""The MuJoCo families: they render on the CPU, the camera in task.json reprojects the true
3D states onto the tracked blobs, and their verifiers fail re-simulated wrong physics
(gravity halved, doubled, switched off) and a frozen object."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest

from vidreason.perception.tracking import track_frames
from vidreason.scene.camera import Camera, look_at
from vidreason.scoring import score_frames
from vidreason.tasks import build_instance, get_family
from vidreason.types import VideoFormat

FAMILIES_3D = ("throw-3d-v1", "roll-3d-v1", "topple-3d-v1")
os.environ.setdefault("MUJOCO_GL", "egl")  # before anything imports mujoco (importorskip does)


def test_importing_vidreason_does_not_load_mujoco():
    code = "import sys, vidreason.tasks, vidreason.scoring; print('mujoco' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_camera_projects_and_unprojects():
    cam = look_at((0.3, -2.8, 1.7), (0.2, 0.0, 0.8), 32.0, 256, 192)
    pts = np.array([[0.2, 0.0, 0.8], [0.5, 0.3, 0.9], [-0.4, -0.2, 0.1]])
    px = cam.project(pts)
    assert np.allclose(px[0], (127.5, 95.5), atol=1e-6)  # the target is the image centre
    back = cam.unproject(px, cam.depth(pts))
    assert np.allclose(back, pts, atol=1e-6)
    on_floor = cam.on_plane(px[2:], np.array([0.0, 0.0, 1.0]), 0.1)
    assert np.allclose(on_floor, pts[2:], atol=1e-6)
    again = Camera.from_dict(cam.to_dict())
    assert np.allclose(again.project(pts), px, atol=1e-3)
    d = cam.to_dict()  # OpenCV convention: p ~ K (R X + t)
    k = np.array([[d["fx"], 0, d["cx"]], [0, d["fy"], d["cy"]], [0, 0, 1]])
    h = (k @ (np.asarray(d["R"]) @ pts.T + np.asarray(d["t"])[:, None])).T
    assert np.allclose(h[:, :2] / h[:, 2:], px, atol=1e-3)


@pytest.fixture(scope="module")
def built():
    pytest.importorskip("mujoco")
    out = {}
    for fid in FAMILIES_3D:
        out[fid] = build_instance(get_family(fid), seed=5, index=1, difficulty=2, fmt=VideoFormat())
    return out


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES_3D)
def test_renders_on_the_cpu_deterministically(family, built):
    inst, frames = built[family]
    assert frames.shape == (48, 256, 256, 3) and frames.dtype == np.uint8
    assert frames.max(axis=3).min() > 24  # nothing black, for the tracker to crop as bars
    moved = np.abs(frames[-1].astype(int) - frames[0].astype(int)).sum(axis=2) > 30
    assert moved.sum() > 100
    again = get_family(family).render(inst.spec, inst.trajectory)
    assert np.array_equal(again, frames)


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES_3D)
def test_projected_3d_states_land_on_the_tracked_blobs(family, built):
    inst, frames = built[family]
    cam = Camera.from_dict(inst.spec.extra["camera"])
    tracks = track_frames(frames, inst)
    for body in inst.spec.bodies:
        rows = np.asarray(inst.trajectory.states[body.name], dtype=float)
        projected = cam.project(rows[:, 5:8])
        assert np.allclose(projected, rows[:, :2], atol=0.01)  # the stored image positions
        found = tracks.found(body.name)
        assert found.all(), f"{body.label} lost in frames {np.flatnonzero(~found)}"
        err = np.linalg.norm(tracks.pos[body.name] - projected, axis=1)
        assert err.max() < 1.5, (body.label, int(err.argmax()), float(err.max()))


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES_3D)
def test_truth_passes(family, built):
    inst, frames = built[family]
    score, _ = score_frames(frames, inst, frames[0])
    assert score.value >= 0.95, score.explanation


def _resimulated(inst, gravity_scale: float) -> np.ndarray:
    family = get_family(inst.family_id)
    spec = dataclasses.replace(inst.spec, gravity=inst.spec.gravity * gravity_scale)
    traj, _ = family.simulate(spec)
    return family.render(inst.spec, traj)


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES_3D)
@pytest.mark.parametrize("scale", [0.5, 2.0, 0.0])
def test_wrong_gravity_fails(family, scale, built):
    """Half, double and no gravity (a floating object): the fitted gravity says so."""
    inst, frames = built[family]
    score, _ = score_frames(_resimulated(inst, scale), inst, frames[0])
    assert not score.passed and score.value <= 0.1, score.explanation
    assert score.checks["gravity"] < 0.5, score.explanation
    label = inst.spec.bodies[0].label
    assert label in score.explanation and "frame" in score.explanation


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES_3D)
def test_frozen_object_fails(family, built):
    from vidreason.violations import freeze

    inst, frames = built[family]
    score, _ = score_frames(freeze(inst, frame=12), inst, frames[0])
    assert not score.passed and score.value <= 0.1, score.explanation
    law = [c for c in score.checks if c in ("gravity", "edge", "landing")]
    assert min(score.checks[c] for c in law) < 0.5, score.explanation


@pytest.mark.slow
def test_a_teleport_is_moved_along_its_camera_ray(built):
    """An edited image position (a teleport) is drawn where the edit puts it."""
    from vidreason.violations import teleport

    inst, _ = built["roll-3d-v1"]
    tracks = track_frames(teleport(inst, frame=30, dx=25.0), inst)
    rows = np.asarray(inst.trajectory.states["ball"], dtype=float)
    err = tracks.pos["ball"][30:] - rows[30:, :2] - (25.0, 0.0)
    assert np.abs(err).max() < 1.5


@pytest.mark.slow
@pytest.mark.parametrize("index", [2, 3])
def test_throw_at_8_fps_passes(index):
    """The true throw drawn at 8 fps over the same duration: the bounce falls between two
    sparse frames and the ball is back up about as high one frame later. The landing is
    still found (not swallowed by the flight fit, which then measured a weak gravity)."""
    pytest.importorskip("mujoco")
    from vidreason.tasks.base import difficulty_of
    from vidreason.violations import retimed

    family = get_family("throw-3d-v1")
    inst, frames = build_instance(family, 0, index, difficulty_of(family, index), VideoFormat())
    duration = inst.spec.fmt.duration
    n = round(duration * 8.0) + 1
    score, _ = score_frames(retimed(inst, n), inst, frames[0], np.linspace(0.0, duration, n))
    assert score.passed and score.value >= 0.95, score.explanation
