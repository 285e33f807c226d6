"""Training-data shards (``generate --format webdataset|parquet``): read back with the
``webdataset`` and ``datasets`` libraries, the same bytes as a suite's instances, the same
shards on any number of workers, resumable. Skipped without the ``data`` extra, unless
``VIDREASON_REQUIRE_DATA=1`` (CI)."""

from __future__ import annotations

import importlib.util
import json
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from vidreason import dataset
from vidreason.cli import app
from vidreason.dataset import MANIFEST, PROGRESS, generate_dataset, sha256_of
from vidreason.render.video_io import read_video
from vidreason.suites import generate_suite
from vidreason.types import VideoFormat

FAMILIES = ["bounce-v1", "maze-v1", "dominoes-v1"]  # fast; dominoes asks questions
FMT = VideoFormat(width=64, height=64, fps=16, n_frames=16)
N, SHARD = 7, 3  # shards of 3, 3 and 1


def _need(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if not missing:
        return
    what = f"{', '.join(missing)} not installed (pip install -e '.[data]')"
    if os.environ.get("VIDREASON_REQUIRE_DATA") == "1":
        pytest.fail(f"VIDREASON_REQUIRE_DATA=1 but {what}")
    pytest.skip(what)


def _make(out: Path, format: str, workers: int = 1, n: int = N) -> dict:
    return generate_dataset(
        out, n, format=format, fmt=FMT, families=FAMILIES, shard_size=SHARD, workers=workers
    )


@pytest.fixture(scope="module")
def tars(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wds")
    _make(out, "webdataset")
    return out


@pytest.fixture(scope="module")
def parquets(tmp_path_factory) -> Path:
    _need("pyarrow")
    out = tmp_path_factory.mktemp("parquet")
    _make(out, "parquet")
    return out


def test_the_manifest_lists_every_shard_with_its_checksum(tars):
    manifest = json.loads((tars / MANIFEST).read_text())
    assert [s["name"] for s in manifest["shards"]] == [f"data-0000{k}.tar" for k in range(3)]
    assert [s["samples"] for s in manifest["shards"]] == [3, 3, 1]
    assert manifest["samples"] == N and manifest["failed"] == []
    assert list(manifest["families"]) == FAMILIES
    assert manifest["video"] == {"width": 64, "height": 64, "fps": 16, "n_frames": 16}
    for s in manifest["shards"]:
        assert sha256_of(tars / s["name"]) == s["sha256"]
        assert (tars / s["name"]).stat().st_size == s["bytes"]
    assert not (tars / PROGRESS).exists()


def test_tar_members_are_grouped_by_sample_with_fixed_metadata(tars):
    with tarfile.open(tars / "data-00000.tar") as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names[:4] == [f"bounce-v1-00000.{ext}" for ext in ("json", "mp4", "png", "txt")]
    assert [n.split(".")[0] for n in names[::4]] == [
        "bounce-v1-00000",
        "maze-v1-00000",
        "dominoes-v1-00000",
    ]  # round-robin over the families
    assert {(m.mtime, m.uid, m.gid, m.mode) for m in members} == {(0, 0, 0, 0o644)}


def test_webdataset_reads_the_samples_and_they_are_a_suites_bytes(tars, tmp_path):
    _need("webdataset")
    import webdataset as wds

    urls = [str(p) for p in sorted(tars.glob("data-*.tar"))]
    samples = list(wds.WebDataset(urls, shardshuffle=False, empty_check=False))
    assert [s["__key__"] for s in samples][:4] == [
        "bounce-v1-00000",
        "maze-v1-00000",
        "dominoes-v1-00000",
        "bounce-v1-00001",
    ]
    assert len(samples) == N
    by_key = {s["__key__"]: s for s in samples}
    meta = json.loads(by_key["dominoes-v1-00000"]["json"])
    assert meta["key"] == "dominoes-v1-00000" and meta["family_id"] == "dominoes-v1"
    assert meta["questions"] and all("answer" in q for q in meta["questions"])
    assert meta["events"] and len(next(iter(meta["trajectory"].values()))) == FMT.n_frames
    assert by_key["dominoes-v1-00000"]["txt"].decode().strip() == meta["prompt"]

    suite = tmp_path / "suite"
    generate_suite("smoke", suite, n=1, fmt=FMT, families=["dominoes-v1"], workers=1)
    inst = suite / "dominoes-v1" / "00000"
    sample = by_key["dominoes-v1-00000"]
    assert sample["mp4"] == (inst / "ground_truth.mp4").read_bytes()
    assert sample["png"] == (inst / "first_frame.png").read_bytes()
    task = json.loads((inst / "task.json").read_text())
    assert {k: meta[k] for k in task} == task
    assert meta["questions"] == json.loads((inst / "questions.json").read_text())
    (tmp_path / "x.mp4").write_bytes(sample["mp4"])
    ours, theirs = read_video(tmp_path / "x.mp4"), read_video(inst / "ground_truth.mp4")
    assert ours.frames.shape == (FMT.n_frames, 64, 64, 3)
    assert np.array_equal(ours.frames, theirs.frames)


def test_datasets_reads_tar_and_parquet_shards_alike(tars, parquets, tmp_path, monkeypatch):
    _need("datasets")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    import datasets

    files = sorted(str(p) for p in parquets.glob("data-*.parquet"))
    table = datasets.load_dataset(
        "parquet", data_files=files, split="train", cache_dir=str(tmp_path / "cache")
    )
    assert table.num_rows == N
    row = table[2]
    assert row["key"] == "dominoes-v1-00000" and row["family"] == "dominoes-v1"
    assert (row["width"], row["height"], row["n_frames"]) == (64, 64, 16)
    assert json.loads(row["questions"]) == json.loads(row["json"])["questions"]
    assert len(json.loads(row["states"])) >= 1 and json.loads(row["events"])

    urls = sorted(str(p) for p in tars.glob("data-*.tar"))
    web = datasets.load_dataset(
        "webdataset", data_files=urls, split="train", cache_dir=str(tmp_path / "cache2")
    )
    assert web.num_rows == N
    web = web.cast_column("mp4", datasets.Video(decode=False))  # decoding needs torchcodec
    assert row["mp4"] == web[2]["mp4"]["bytes"]  # the same video in either format
    assert row["png"] == _png_bytes(tars, "dominoes-v1-00000")


def _png_bytes(tars: Path, key: str) -> bytes:
    with tarfile.open(tars / "data-00000.tar") as tar:
        f = tar.extractfile(f"{key}.png")
        assert f is not None
        return f.read()


@pytest.mark.slow  # starts worker processes
def test_two_workers_write_the_same_bytes(tars, tmp_path):
    out = tmp_path / "two"
    _make(out, "webdataset", workers=2)
    for p in sorted(tars.glob("*")):
        assert (out / p.name).read_bytes() == p.read_bytes(), p.name


def test_a_rerun_redoes_only_missing_or_damaged_shards(parquets, tmp_path):
    out = tmp_path / "again"
    for p in parquets.glob("*"):
        (out / p.name).parent.mkdir(exist_ok=True)
        (out / p.name).write_bytes(p.read_bytes())
    kept = (out / "data-00000.parquet").stat().st_mtime_ns
    (out / "data-00001.parquet").unlink()  # as if killed before it was written
    with open(out / "data-00002.parquet", "ab") as f:  # damaged
        f.write(b"x")
    (out / ".data-00001.parquet.tmp-99").write_bytes(b"half")  # left by a killed worker
    (out / MANIFEST).unlink()
    (out / PROGRESS).mkdir()  # what a killed run kept: shard 0's record, shard 2's
    for s in json.loads((parquets / MANIFEST).read_text())["shards"]:
        if s["name"] != "data-00001.parquet":
            (out / PROGRESS / f"{s['name']}.json").write_text(json.dumps(s))
    _make(out, "parquet")
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in parquets.iterdir())
    for p in parquets.iterdir():
        assert (out / p.name).read_bytes() == p.read_bytes(), p.name
    assert (out / "data-00000.parquet").stat().st_mtime_ns == kept  # kept, not rewritten


def test_a_smaller_n_drops_the_shards_it_no_longer_has(tmp_path):
    out = tmp_path / "d"
    generate_dataset(out, 4, fmt=FMT, families=["bounce-v1"], shard_size=2, workers=1)
    generate_dataset(out, 2, fmt=FMT, families=["bounce-v1"], shard_size=2, workers=1)
    assert sorted(p.name for p in out.iterdir()) == ["data-00000.tar", MANIFEST]


def test_an_instance_that_fails_is_left_out_and_named(tmp_path, monkeypatch):
    made = dataset.make_sample

    def flaky(family: str, seed: int, index: int, fmt: VideoFormat) -> dataset.Sample:
        if index == 1:
            raise RuntimeError("no scene")
        return made(family, seed, index, fmt)

    monkeypatch.setattr(dataset, "make_sample", flaky)
    manifest = generate_dataset(
        tmp_path / "d", 3, fmt=FMT, families=["bounce-v1"], shard_size=5, workers=1
    )
    assert manifest["samples"] == 2
    assert manifest["failed"] == [["bounce-v1-00001", "RuntimeError: no scene"]]


def test_the_cli_writes_shards_and_names_mistakes_in_one_line(tmp_path):
    runner = CliRunner()
    args = ["generate", "--out", str(tmp_path / "d"), "--width", "64", "--height", "64"]
    args += ["--frames", "16", "--workers", "1", "--family", "bounce-v1", "-q"]
    result = runner.invoke(app, [*args, "--format", "webdataset", "--n", "2"])
    assert result.exit_code == 0, result.output
    assert "wrote 2 samples in 1 shards" in result.stdout
    assert (tmp_path / "d" / "data-00000.tar").is_file()
    for extra, message in (
        (["--format", "zip", "--n", "2"], "--format must be one of folders, webdataset"),
        (["--format", "parquet"], "--format parquet needs --n"),
        (["--n", "2"], "--suite is needed"),
        (["--format", "webdataset", "--n", "2", "--shard-size", "0"], "--shard-size must be"),
    ):
        result = runner.invoke(app, [*args, *extra])
        assert result.exit_code == 2, extra
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_another_seed_rewrites_the_shards(tmp_path):
    out = tmp_path / "d"
    args = {"fmt": FMT, "families": ["bounce-v1"], "shard_size": 2, "workers": 1}
    first = generate_dataset(out, 2, seed=0, **args)["shards"][0]["sha256"]
    manifest = generate_dataset(out, 2, seed=1, **args)
    assert manifest["seed"] == 1 and manifest["shards"][0]["sha256"] != first
    assert sha256_of(out / "data-00000.tar") == manifest["shards"][0]["sha256"]


def test_families_come_from_the_options_or_the_suite():
    from vidreason.suites import SUITES

    assert dataset.choose_families(["maze", "bounce-v1", "maze-v1"]) == ("maze-v1", "bounce-v1")
    assert dataset.choose_families(None, "physics") == tuple(SUITES.get("physics").family_ids())
