"""Model config files: every mistake is one line naming the file, before any work; a valid
file runs a user's own model with its settings, and its settings are part of its version."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from vidreason import store
from vidreason.cli import app
from vidreason.errors import UserError
from vidreason.models import version_of
from vidreason.models.config import build_model, read_config

HTTP = """
name = "api"
adapter = "http"
[http]
submit_url = "http://127.0.0.1:9/jobs"
status_url = "http://127.0.0.1:9/jobs/{job_id}"
payload = {prompt = "{prompt}"}
"""

MODEL = """
from vidreason.models.base import FrameModel
from vidreason.models.baselines import static


def make(steps=10, label="x"):
    return FrameModel("mine", "3", static, f"static, {steps} steps")
"""


def write(tmp_path: Path, text: str, name: str = "model.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('adapter = "python"\nfactory = "m:f"\nstepz = 3\n', ["unknown key 'stepz'"]),
        ('adapter = "python"\nfactory = "m:f"\nnmae = "x"\n', ["did you mean 'name'"]),
        ('adapter = "python"\nfactory = 3\n', ["factory must be a string, got 3"]),
        ('adapter = "python"\n', ["missing key 'factory'"]),
        ('factory = "m:f"\n', ["missing key 'adapter'"]),
        ('adapter = "grpc"\nfactory = "m:f"\n', ["adapter 'grpc' is not one of"]),
        ('adapter = "python"\nfactory = "m:f"\npath = "no/such/dir"\n', ["'no/such/dir' does not exist"]),
        ('adapter = "python"\nfactory = "m:f"\n[card]\nbatch_size = "two"\n', ["[card]", "batch_size must be an integer"]),
        ('adapter = "python"\nfactory = "m:f"\n[card]\ngoal = true\n', ["[card]", "unknown key 'goal'"]),
        ('adapter = "python"\nfactory = "m:f"\n[card]\nmodality = "audio"\n', ["modality 'audio'"]),
        ('adapter = "python"\nfactory = "m:f"\n[card]\nbatch_size = 0\n', ["batch_size must be at least 1"]),
        ("adapter = python\n", ["not valid TOML"]),
        (HTTP + 'api_key = "sk-123"\n', ["[http]", "unknown key 'api_key'"]),
        (HTTP + "deadline = \"soon\"\n", ["[http]", "deadline must be a number"]),
        (HTTP.replace('submit_url = "http://127.0.0.1:9/jobs"\n', ""), ["[http]", "missing key 'submit_url'"]),
        (HTTP.replace('name = "api"\n', ""), ["missing key 'name'"]),
    ],
)  # fmt: skip
def test_each_mistake_is_one_line_naming_the_file(tmp_path, text, words):
    path = write(tmp_path, text)
    with pytest.raises(UserError) as caught:
        build_model(read_config(path))
    message = str(caught.value)
    assert message.startswith(str(path)) and "\n" not in message
    for w in words:
        assert w in message


def test_the_cli_says_it_in_one_line_before_any_work(tmp_path):
    path = write(tmp_path, 'adapter = "python"\nfactory = "m:f"\nstepz = 3\n')
    result = CliRunner().invoke(
        app, ["run", "--model-config", str(path), "--suite", "smoke", "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and str(path) in result.stderr
    assert not (tmp_path / "r").exists()
    missing = CliRunner().invoke(
        app, ["run", "--model-config", str(tmp_path / "nope.toml"), "--suite", "smoke", "--out", str(tmp_path / "r")]
    )  # fmt: skip
    assert missing.exit_code == 2 and "no such model config file" in missing.stderr


def test_a_python_model_from_a_config_runs_with_its_settings(tiny_suite, tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "my_video_model.py").write_text(MODEL)
    text = (
        'name = "my-static"\nadapter = "python"\nfactory = "my_video_model:make"\n'
        'path = "code"\n[settings]\nsteps = 30\n[card]\ngoal_conditioned = true\n'
    )
    path = write(tmp_path, text)
    model = build_model(read_config(path))
    assert model.name == "my-static" and model.card.goal_conditioned
    assert model.description == "static, 30 steps"  # the settings reached the factory
    version = version_of(model)
    assert version.startswith("3+")
    other = write(tmp_path, text.replace("steps = 30", "steps = 31"), "other.toml")
    assert version_of(build_model(read_config(other))) != version

    run = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["run", "--model-config", str(path), "--suite", str(tiny_suite), "--out", str(run), "-q", "--workers", "1"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = store.rows(run)
    assert len(rows) == 4 and all(r.model == "my-static" and r.value <= 0.1 for r in rows)
    assert all(r.model_version == version and r.goal_conditioned for r in rows)
    runs = store.runs(run)
    assert runs[-1].source == str(path)


def test_two_models_with_one_name_are_refused(tmp_path):
    path = write(tmp_path, 'name = "oracle"\nadapter = "builtin"\nmodel = "static"\n')
    result = CliRunner().invoke(
        app, ["run", "--model", "oracle", "--model-config", str(path), "--suite", "smoke", "--out", str(tmp_path / "r")]
    )  # fmt: skip
    assert result.exit_code == 2 and "two models are named 'oracle'" in result.stderr


def test_the_documented_presets_are_valid_configs(tmp_path, monkeypatch):
    text = (Path(__file__).parents[2] / "docs" / "models.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```toml\n")[1:]]
    presets = [b for b in blocks if 'adapter = "http"' in b and "api." in b]
    assert len(presets) >= 2
    for i, block in enumerate(presets):
        path = write(tmp_path, block, f"preset{i}.toml")
        config = read_config(path)
        monkeypatch.setenv(config.http["auth_env"], "key")
        model = build_model(config)
        slots = config.http.get("concurrency", 4)
        assert model.card.devices == tuple(f"api:{i}" for i in range(slots))


def test_model_set_overrides_a_config_key(tmp_path, monkeypatch):
    code = tmp_path / "code"
    code.mkdir()
    (code / "my_video_model.py").write_text(MODEL)
    path = write(
        tmp_path,
        'name = "m"\nadapter = "python"\nfactory = "my_video_model:make"\npath = "code"\n'
        "[settings]\nsteps = 30\n",
    )
    base = build_model(read_config(path))
    changed = build_model(read_config(path, ["settings.steps=50", "card.devices=['cuda:1']"]))
    assert changed.description == "static, 50 steps" and changed.card.devices == ("cuda:1",)
    assert version_of(changed) != version_of(base)
    same = build_model(read_config(path, ["settings.steps=30"]))
    assert version_of(same) == version_of(base)
    with pytest.raises(UserError, match=r"--model-set card\.batch_sise=2.*did you mean"):
        build_model(read_config(path, ["card.batch_sise=2"]))
    with pytest.raises(UserError, match=r"--model-set settings\.stepz=5.*unexpected keyword"):
        build_model(read_config(path, ["settings.stepz=5"]))
    with pytest.raises(UserError, match="write KEY=VALUE"):
        read_config(path, ["steps"])
    result = CliRunner().invoke(
        app, ["run", "--model", "oracle", "--model-set", "a=1", "--suite", "smoke", "--out", str(tmp_path / "r")]
    )  # fmt: skip
    assert result.exit_code == 2 and "give --model-config too" in result.stderr
