"""The model API through `vidreason run`: a model loads once per worker for a whole suite,
batches follow its card, every video gets a record, a failing instance fails alone, a
changed setting generates again, and `--seeds K` gives K videos per instance."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from vidreason import api, store
from vidreason.cli import app
from vidreason.models.base import ModelCard
from vidreason.models.records import read_record

COUNTING = '''
"""A user's own model: the first frame, drifting right, counting what is called."""
from dataclasses import dataclass, field, replace
import numpy as np
from vidreason.instance_io import read_png
from vidreason.models import Generated, ModelCard
from vidreason.render.video_io import write_mp4

CALLS = {"load": [], "close": [], "batches": [], "factory": 0}


@dataclass
class Drift:
    name: str = "drift"
    version: str = "1"
    speed: int = 1
    fail_index: int = -1
    device: str = "cpu"
    card: ModelCard = field(default_factory=lambda: ModelCard(batch_size=2))

    @property
    def settings(self):
        return {"speed": self.speed}

    def on_device(self, device):
        return replace(self, device=device)

    def load(self):
        CALLS["load"].append(self.device)

    def close(self):
        CALLS["close"].append(self.device)

    def generate(self, requests):
        CALLS["batches"].append((self.device, [(r.index, r.sample, r.seed) for r in requests]))
        out = []
        for r in requests:
            if r.index == self.fail_index:
                out.append(Generated(r.out_path, error="out of memory (simulated)"))
                continue
            first = read_png(r.first_frame)
            frames = np.stack([np.roll(first, self.speed * i, axis=1) for i in range(8)])
            write_mp4(frames, r.out_path, fps=r.fmt.fps)
            out.append(Generated(r.out_path, {"cost": 0.25, "job_id": f"local-{r.index}"}))
        return out


def make(speed=1, fail_index=-1, devices=("cpu",)):
    CALLS["factory"] += 1
    return Drift(speed=speed, fail_index=fail_index, card=ModelCard(batch_size=2, devices=tuple(devices)))
'''


@pytest.fixture
def drift(tmp_path, monkeypatch):
    """The module ``drift_model`` on sys.path, its call counts fresh."""
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "drift_model.py").write_text(COUNTING)
    monkeypatch.syspath_prepend(str(folder))
    import importlib
    import sys

    sys.modules.pop("drift_model", None)
    module = importlib.import_module("drift_model")
    yield module
    sys.modules.pop("drift_model", None)


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_a_model_loads_once_per_worker_for_a_whole_suite(tiny_suite, tmp_path, drift):
    result = invoke(
        "run",
        "--model",
        "drift_model:make",
        "--suite",
        tiny_suite,
        "--out",
        tmp_path / "r",
        "--workers",
        1,
        "-q",
    )
    assert result.exit_code == 0, result.output
    assert drift.CALLS["factory"] == 1
    assert drift.CALLS["load"] == ["cpu"] and drift.CALLS["close"] == ["cpu"]
    # four instances in batches of the card's size: two generate calls, one load
    assert [len(b) for _, b in drift.CALLS["batches"]] == [2, 2]
    rows = store.rows(tmp_path / "r")
    assert len(rows) == 4 and all(r.status == "scored" for r in rows)
    assert all(r.value < 0.5 for r in rows)  # a drifting picture is no thrown ball


def test_one_worker_per_device_each_loading_once(tiny_suite, tmp_path, drift):
    model = drift.make(devices=("cuda:0", "cuda:1"))
    api.run_models([model], str(tiny_suite), tmp_path / "r", workers=1)
    assert sorted(drift.CALLS["load"]) == ["cuda:0", "cuda:1"]
    assert sorted(drift.CALLS["close"]) == ["cuda:0", "cuda:1"]
    taken = [i for _, b in drift.CALLS["batches"] for i, _, _ in b]
    assert sorted(taken) == [0, 1, 2, 3]  # each instance once, by whichever worker was free
    assert {d for d, _ in drift.CALLS["batches"]} <= {"cuda:0", "cuda:1"}


def test_every_video_has_a_record(tiny_suite, tmp_path, drift):
    api.run_models([drift.make(speed=2)], str(tiny_suite), tmp_path / "r", workers=1)
    video = tmp_path / "r" / "videos" / "drift" / "projectile-v1" / "00001.mp4"
    rec = read_record(video)
    assert rec is not None and video.with_suffix(".json").is_file()
    assert rec["model"] == "drift" and rec["model_version"].startswith("1+")
    assert rec["settings"] == {"speed": 2}
    assert rec["seed"] == 0 and rec["index"] == 1
    prompt = (tiny_suite / "projectile-v1" / "00001" / "prompt.txt").read_text()
    assert rec["prompt_sent"] == prompt.strip()
    assert rec["requested_format"] == {"width": 256, "height": 256, "fps": 16, "n_frames": 48}
    assert rec["delivered_format"]["n_frames"] == 8
    assert rec["delivered_format"]["width"] == 256
    assert rec["cost"] == 0.25 and rec["job_id"] == "local-1"
    assert rec["wall_s"] >= 0 and rec["batch"]["size"] == 2
    assert "resampled" in rec and rec["card"]["batch_size"] == 2
    assert rec["error"] == ""


def test_a_failing_instance_fails_alone(tiny_suite, tmp_path, drift):
    summary = api.run_models([drift.make(fail_index=2)], str(tiny_suite), tmp_path / "r", workers=1)
    rows = {r.idx: r for r in store.rows(tmp_path / "r")}
    assert rows[2].status == "error" and "out of memory (simulated)" in rows[2].error
    assert "\n" not in rows[2].error
    assert all(rows[i].status == "scored" for i in (0, 1, 3))
    assert len(summary.errors) == 1
    rec = read_record(Path(rows[2].video))
    assert rec is not None and "out of memory" in rec["error"]


def test_a_changed_setting_generates_and_scores_again(tiny_suite, tmp_path, drift):
    run = tmp_path / "r"
    api.run_models([drift.make(speed=1)], str(tiny_suite), run, workers=1)
    again = api.run_models([drift.make(speed=1)], str(tiny_suite), run, workers=1)
    assert again.skipped == 4 and again.scored == 0
    assert sum(len(b) for _, b in drift.CALLS["batches"]) == 4  # nothing generated again
    changed = api.run_models([drift.make(speed=3)], str(tiny_suite), run, workers=1)
    assert changed.scored == 4 and changed.skipped == 0
    assert sum(len(b) for _, b in drift.CALLS["batches"]) == 8
    (now,) = {r.model_version for r in store.rows(run)}
    assert (
        now
        == read_record(run / "videos" / "drift" / "projectile-v1" / "00000.mp4")["model_version"]
    )
    assert len({r.model_version for r in store.rows(run, history=True)}) == 2


def test_a_video_generated_but_not_scored_is_not_generated_again(tiny_suite, tmp_path, drift):
    run = tmp_path / "r"
    api.run_models([drift.make()], str(tiny_suite), run, workers=1)
    store.forget(run, "drift")  # the scores are gone, the videos and records are there
    summary = api.run_models([drift.make()], str(tiny_suite), run, workers=1)
    assert summary.scored == 4
    assert sum(len(b) for _, b in drift.CALLS["batches"]) == 4


@pytest.mark.slow  # 24 videos scored: about 9 s
def test_seeds_give_a_video_each_and_mean_sd_over_seeds(tiny_suite, tmp_path, drift):
    run = tmp_path / "r"
    result = invoke(
        "run",
        "--model",
        "drift_model:make",
        "--model",
        "oracle",
        "--suite",
        tiny_suite,
        "--out",
        run,
        "--seeds",
        3,
        "--workers",
        1,
        "-q",
    )
    assert result.exit_code == 0, result.output
    folder = run / "videos" / "drift" / "projectile-v1"
    assert sorted(p.name for p in folder.glob("00000*.mp4")) == [
        "00000-s1.mp4",
        "00000-s2.mp4",
        "00000.mp4",
    ]
    seeds = {(i, s): seed for _, b in drift.CALLS["batches"] for i, s, seed in b}
    assert len(seeds) == 12 and len({seeds[(0, s)] for s in range(3)}) == 3
    rows = store.rows(run)
    assert len(rows) == 24 and {r.seed for r in rows} == {0, 1, 2}
    entries = json.loads(invoke("leaderboard", run, "--json").stdout)["entries"]
    oracle = next(e for e in entries if e["model"] == "oracle" and e["family"] == "*")
    assert oracle["seeds"] == 3 and oracle["n"] == 4 and oracle["seed_sd"] == 0.0
    assert oracle["goal_conditioned"] is True
    mine = next(e for e in entries if e["model"] == "drift" and e["family"] == "*")
    assert mine["goal_conditioned"] is False and mine["seeds"] == 3
    shown = invoke("leaderboard", run)
    assert "mean ± sd" in shown.stdout and "oracle †" in shown.stdout
    assert "sd over 3 seeds" in shown.stdout and "seen the answer" in shown.stdout


def test_seed_sd_is_the_spread_of_the_seed_means(make_row):
    from vidreason.report.aggregate import leaderboard

    values = {0: [1.0, 0.0], 1: [0.5, 0.5], 2: [0.0, 0.0]}  # seed means 0.5, 0.5, 0.0
    rows = [
        make_row(key=f"{s}-{i}", idx=i, seed=s, value=v, passed=v >= 0.5)
        for s, vs in values.items()
        for i, v in enumerate(vs)
    ]
    fam = next(e for e in leaderboard(rows) if e.family != "*")
    assert fam.n == 2 and fam.seeds == 3
    assert fam.mean == pytest.approx(np.mean([1.0, 0.0, 0.5, 0.5, 0.0, 0.0]))
    assert fam.seed_sd == pytest.approx(np.std([0.5, 0.5, 0.0], ddof=1), abs=1e-6)


def test_built_in_cards_flag_the_models_that_see_the_goal():
    from vidreason.models import MODELS, card_of, get_model

    sees = {n for n in MODELS.names() if card_of(get_model(n)).goal_conditioned}
    assert sees == {"oracle", "jump-cut", "reversed", "shuffled"}
    assert all(card_of(get_model(n)).modality == "image-to-video" for n in MODELS.names())


def test_a_card_refuses_an_unknown_modality():
    with pytest.raises(ValueError, match="modality"):
        ModelCard(modality="video-to-sound")


def test_a_factory_that_is_no_model_is_one_line(tiny_suite, tmp_path, drift):
    for spec, words in (
        ("no_such_module:make", "cannot import no_such_module"),
        ("drift_model:nothing", "has no attribute 'nothing'"),
        ("drift_model:CALLS", "not callable"),
    ):
        result = invoke("run", "--model", spec, "--suite", tiny_suite, "--out", tmp_path / "r")
        assert result.exit_code == 2, result.output
        assert words in result.stderr and "\n" not in result.stderr.strip()
        assert not (tmp_path / "r").exists()  # before any work


def test_a_model_that_cannot_load_fails_its_units_and_the_run_goes_on(tiny_suite, tmp_path, drift):
    broken = drift.make(devices=("cuda:0", "cuda:1"))

    class Half(type(broken)):  # cuda:1 is out of memory; cuda:0 does all the work
        def load(self):
            if self.device == "cuda:1":
                raise RuntimeError("CUDA out of memory.\nTried to allocate 2 GiB")
            super().load()

    half = Half(card=broken.card)
    api.run_models([half], str(tiny_suite), tmp_path / "r", workers=1)
    rows = store.rows(tmp_path / "r")
    assert len(rows) == 4 and all(r.status == "scored" for r in rows)
    assert drift.CALLS["load"] == ["cuda:0"]
    assert {d for d, _ in drift.CALLS["batches"]} == {"cuda:0"}

    class Dead(type(broken)):
        def load(self):
            raise RuntimeError("no GPU here")

    dead = Dead(name="dead", card=broken.card)
    summary = api.run_models([dead], str(tiny_suite), tmp_path / "d", workers=1)
    rows = store.rows(tmp_path / "d")
    assert len(rows) == 4 and all(r.status == "error" for r in rows)
    assert all("dead could not load: RuntimeError: no GPU here" in r.error for r in rows)
    assert len(summary.errors) == 4


def test_the_report_flags_goal_conditioned_models_and_shows_the_seed_spread(tmp_path, make_row):
    from vidreason.report.html import write_report

    rows = [
        make_row(model=m, key=f"{m}-{s}-{i}", idx=i, seed=s, value=v, goal_conditioned=m == "sees")
        for m, v in (("sees", 1.0), ("honest", 0.75))
        for s in range(2)
        for i in range(2)
    ]
    with store.connect(tmp_path) as con:
        for r in rows:
            store.insert(con, r)
    html = write_report(tmp_path).read_text()
    assert html.count('class="goal"') >= 2
    assert "conditioned on the goal frame (sees)" in html
    assert "± 0.000" in html and "standard deviation over seeds" in html
    assert "honest</td>" in html or "honest<" in html
    assert "honest <abbr" not in html and "honest</b> <abbr" not in html
