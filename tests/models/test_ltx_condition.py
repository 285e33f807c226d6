"""LTX's condition pipeline under the continuation protocol, end to end through the CLI:
a tiny randomly initialised ``LTXConditionPipeline`` (32x32, 2 steps, on the CPU; built
the way diffusers' own tests build its dummy components) is given a continuation suite's
context as a video condition and returns the frames after it. Skipped without torch,
diffusers or transformers unless ``VIDREASON_REQUIRE_DIFFUSERS=1``."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.models.test_diffusers import (
    _need_diffusers,
    config,
    run,
    sha,
    tiny_t5,
    tiny_tokenizer,
)
from vidreason import store
from vidreason.cli import app
from vidreason.errors import UserError
from vidreason.models.config import build_model, read_config
from vidreason.models.diffusers_adapter import PIPELINES, frames_covering
from vidreason.models.records import read_record
from vidreason.render.video_io import read_video
from vidreason.suites import generate_suite
from vidreason.types import VideoFormat

FAMILY = "projectile-v1"
SMALL = VideoFormat(width=64, height=64, fps=16, n_frames=16)
K = 5  # the tiny VAE compresses time 4x: all 5 context frames are the condition

LTX = """
name = "tiny-ltx"
adapter = "diffusers"

[diffusers]
path = "{path}"
pipeline = "LTXConditionPipeline"
dtype = "float32"
device = "cpu"
steps = 2
width = 32
height = 32
extra = {{ max_sequence_length = 16 }}
"""


def tiny_ltx(folder: Path) -> Path:
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXConditionPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=32,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    pipe = LTXConditionPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=tiny_t5(),
        tokenizer=tiny_tokenizer(),
        transformer=transformer,
    )
    pipe.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def ltx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need_diffusers()
    return tiny_ltx(tmp_path_factory.mktemp("ltx") / "ltx")


@pytest.fixture(scope="module")
def suites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("suites")
    for name, k in (("ctx", K), ("plain", 0)):
        generate_suite(
            "smoke", root / name, n=1, seed=0, fmt=SMALL, workers=1, families=[FAMILY],
            context_frames=k,
        )  # fmt: skip
    return {"ctx": root / "ctx", "plain": root / "plain"}


def test_the_condition_pipeline_is_a_continuation_of_ltx_rules(tmp_path):
    rule = PIPELINES["LTXConditionPipeline"]
    assert rule.continues and (rule.multiple_of, rule.frames_step, rule.frames_offset) == (
        32, 8, 1,
    )  # fmt: skip
    assert [frames_covering(n, rule) for n in (1, 9, 10, 16, 48)] == [1, 9, 17, 17, 49]
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "model_index.json").write_text("{}")
    text = LTX.replace("extra = {{", "extra = {{ video = 1,")
    with pytest.raises(UserError, match=r"\[diffusers\]: extra must not set video"):
        read_config(config(tmp_path, text, path="w"))


@pytest.mark.slow  # imports torch and diffusers
def test_the_card_says_continuation_and_a_plain_suite_is_one_line(ltx, suites, tmp_path):
    cfg = config(tmp_path, LTX, path=ltx)
    card = build_model(read_config(cfg)).card
    assert card.modality == "continuation" and card.continuation
    args = ["run", "--model-config", str(cfg), "--suite", str(suites["plain"])]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "r"), "--workers", "1"])
    assert result.exit_code != 0
    assert "no context frames, and tiny-ltx is a continuation model" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r" / "videos").exists()


@pytest.mark.slow
def test_ltx_continues_the_context_deterministically(ltx, suites, tmp_path, monkeypatch):
    import diffusers
    import numpy as np

    given: list[dict] = []
    real = diffusers.LTXConditionPipeline.__call__

    def call(self, **kwargs):  # what the pipeline is given
        given.append(kwargs)
        return real(self, **kwargs)

    monkeypatch.setattr(diffusers.LTXConditionPipeline, "__call__", call)
    cfg = config(tmp_path, LTX, path=ltx)
    run(cfg, suites["ctx"], tmp_path / "a")
    (args,) = given
    assert args["frame_index"] == 0 and "image" not in args
    assert (args["num_frames"], args["frame_rate"]) == (17, SMALL.fps)
    context = read_video(suites["ctx"] / FAMILY / "00000" / "context.mp4").frames
    shown = np.stack([np.asarray(f.resize((64, 64))) for f in args["video"]])
    assert shown.shape == context.shape  # every context frame, in order
    assert np.abs(shown.astype(int) - context).mean() < 8
    run(cfg, suites["ctx"], tmp_path / "b")
    (first,) = sorted((tmp_path / "a" / "videos" / "tiny-ltx" / FAMILY).glob("*.mp4"))
    (second,) = sorted((tmp_path / "b" / "videos" / "tiny-ltx" / FAMILY).glob("*.mp4"))
    assert sha(first) == sha(second)  # the same seed: the same bytes

    video = read_video(first)
    assert video.n_frames == SMALL.n_frames - K and video.frames.shape[1:3] == (64, 64)
    rec = read_record(first)
    assert rec is not None and not rec["error"]
    assert rec["info"]["pipeline"] == "LTXConditionPipeline"
    assert rec["info"]["continued"] == {"context_frames": K, "conditioned_on": K}
    assert rec["context_frames"] == K and rec["card"]["modality"] == "continuation"
    # generated at the suite's rate, the fewest 8k+1 frames covering its 16
    assert rec["native_format"] == {"width": 32, "height": 32, "fps": 16, "n_frames": 17}
    assert rec["delivered_format"]["n_frames"] == SMALL.n_frames - K
    assert f"frames {K} to 15 kept (the {16 - K} after the context)" in rec["resampled"]

    (row,) = store.rows(tmp_path / "a")
    assert row.status == "scored" and row.value < 0.5  # random weights throw no ball
    assert (row.outcome or {}).get("continuation", {}).get("context_frames") == K
