"""Every family generates at any size of the README's range (square, landscape and
portrait), and a family that cannot make a scene says so in one line while the other
instances are written."""

from __future__ import annotations

import dataclasses

import pytest

from tests.test_cli import assert_user_error, invoke
from vidreason import suites
from vidreason.errors import NoScene
from vidreason.tasks import FAMILIES, get_family
from vidreason.tasks.base import build_instance, difficulty_of, sample_scene
from vidreason.types import VideoFormat

WIDE, TALL, SMALL = VideoFormat(832, 480), VideoFormat(480, 832), VideoFormat(128, 128)
# the scenes of the other extremes, drawn and checked by the samplers (bodies in view);
# a portrait frame shows the scene of a square one as wide (families that size their
# scenes by the height use the smaller side), with more room above
OTHER = (
    VideoFormat(1280, 720),
    VideoFormat(832, 480, 16, 81),
    VideoFormat(64, 64),
    VideoFormat(720, 1280),
    VideoFormat(96, 160),
)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", [WIDE, TALL, SMALL], ids=["832x480", "480x832", "128x128"])
@pytest.mark.parametrize("family", FAMILIES.names())
def test_instance_zero_builds_at_the_extremes(family, fmt):
    fam = get_family(family)
    inst, frames = build_instance(fam, 0, 0, difficulty_of(fam, 0), fmt)
    assert frames.shape == (fmt.n_frames, fmt.height, fmt.width, 3)
    assert inst.spec.fmt == fmt
    assert (frames != frames[:1]).any()  # something moves


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES.names())
def test_scenes_are_drawn_at_the_other_extremes(family):
    fam = get_family(family)
    for fmt in OTHER:
        for index in (0, 1):
            spec = sample_scene(fam, 0, index, difficulty_of(fam, index), fmt)
            assert spec.fmt == fmt


def _broken(rng, seed, index, difficulty, fmt):
    raise RuntimeError("no valid throw found")


def test_a_sampler_that_gives_up_is_one_line_naming_the_instance():
    fam = dataclasses.replace(get_family("projectile-v1"), sample=_broken)
    with pytest.raises(NoScene) as caught:
        build_instance(fam, 3, 0, 1, VideoFormat(832, 480))
    text = str(caught.value)
    assert "\n" not in text
    for part in ("projectile-v1 instance 0", "seed 3", "832x480", "no valid throw found"):
        assert part in text


def test_one_instance_without_a_scene_fails_alone(tmp_path, monkeypatch):
    real = suites.write_one

    def write_one(job):
        if job.index == 1:
            raise NoScene(f"{job.family} instance 1 (seed 0, 256x256): no valid scene")
        return real(job)

    monkeypatch.setattr(suites, "write_one", write_one)
    out = tmp_path / "s"
    args = ("generate", "--suite", "smoke", "--family", "maze-v1", "--n", 3, "--out", out)
    result = invoke(*args, "--workers", 1, "-q")
    assert_user_error(result, "1 of 3 instances", "maze-v1 instance 1", "no suite.json")
    assert (out / "maze-v1" / "00000" / "task.json").is_file()
    assert (out / "maze-v1" / "00002" / "task.json").is_file()
    assert not (out / "maze-v1" / "00001").exists() and not (out / "suite.json").exists()


@pytest.mark.slow
def test_check_runs_at_a_portrait_size():
    result = invoke(
        "check", "dominoes", "--n", 1, "--workers", 1, "--width", 96, "--height", 160, "-q"
    )
    assert result.exit_code == 0, result.output
    assert "dominoes-v1" in result.stdout and "ok" in result.stdout


def test_check_passes_its_frame_size_on(monkeypatch):
    import vidreason.conformance

    seen = []

    def check(families, **kwargs):
        seen.append(kwargs["fmt"])
        return []

    monkeypatch.setattr(vidreason.conformance, "check", check)
    result = invoke("check", "dominoes", "--n", 1, "--width", 480, "--height", 832, "-q")
    assert result.exit_code == 0, result.output
    assert seen == [VideoFormat(480, 832)]


@pytest.mark.parametrize(("width", "height"), [(481, 832), (480, 30)])
def test_check_refuses_a_frame_size_it_cannot_make(width, height):
    result = invoke("check", "dominoes", "--width", width, "--height", height)
    assert_user_error(result, "--width/--height", f"{width}x{height}")
