"""The diffusers adapter, end to end through the CLI, with tiny randomly initialised
pipelines built here (no weights, no hub): a Wan and a CogVideoX image-to-video pipeline
at 16x16, 9 frames, 2 steps, on the CPU.

The pipelines are built the way diffusers' own tests build their dummy components; the
T5 tokenizer is a character-level one made with the ``tokenizers`` library. Skipped when
torch, diffusers or transformers is missing, unless ``VIDREASON_REQUIRE_DIFFUSERS=1``
(CI), which makes that a failure. The config checks need none of them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from vidreason import store
from vidreason.cli import app
from vidreason.errors import UserError
from vidreason.models.base import parse_devices
from vidreason.models.config import build_model, read_config
from vidreason.models.diffusers_adapter import (
    PIPELINES,
    argument_names,
    fit_for,
    place,
    size_for,
    take_back,
)
from vidreason.models.records import read_record
from vidreason.suites import generate_suite
from vidreason.types import VideoFormat

FAMILY = "projectile-v1"
SMALL = VideoFormat(width=64, height=64, fps=16, n_frames=16)  # quick to score


def _need_diffusers() -> None:
    missing = [
        m for m in ("torch", "diffusers", "transformers") if importlib.util.find_spec(m) is None
    ]
    if not missing:
        return
    what = f"{', '.join(missing)} not installed (pip install -e '.[diffusers]')"
    if os.environ.get("VIDREASON_REQUIRE_DIFFUSERS") == "1":
        pytest.fail(f"VIDREASON_REQUIRE_DIFFUSERS=1 but {what}")
    pytest.skip(what)


def tiny_tokenizer() -> Any:
    """A character-level T5-style tokenizer, built offline."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = ["<pad>", "</s>", "<unk>", " ", *"abcdefghijklmnopqrstuvwxyz0123456789.,"]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    )


def tiny_t5() -> Any:
    import torch
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(0)
    return T5EncoderModel(
        T5Config(vocab_size=48, d_model=32, d_ff=37, d_kv=8, num_layers=2, num_heads=4)
    )


def tiny_wan(folder: Path) -> Path:
    import torch
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanImageToVideoPipeline,
        WanTransformer3DModel,
    )
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    vae = AutoencoderKLWan(
        base_dim=3,
        z_dim=16,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
    )
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=36,
        out_channels=16,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
        image_dim=4,
    )
    torch.manual_seed(0)
    image_encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=4,
            projection_dim=4,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=32,
            intermediate_size=16,
            patch_size=1,
        )
    )
    pipe = WanImageToVideoPipeline(
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        text_encoder=tiny_t5(),
        tokenizer=tiny_tokenizer(),
        image_encoder=image_encoder,
        image_processor=CLIPImageProcessor(crop_size=32, size=32),
    )
    pipe.save_pretrained(folder)
    return folder


def tiny_cogvideox(folder: Path) -> Path:
    import torch
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXImageToVideoPipeline,
        CogVideoXTransformer3DModel,
        DDIMScheduler,
    )

    torch.manual_seed(0)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2,
        attention_head_dim=16,
        in_channels=8,
        out_channels=4,
        time_embed_dim=2,
        text_embed_dim=32,
        num_layers=1,
        sample_width=2,  # latent 2 -> 16 px
        sample_height=2,
        sample_frames=9,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=16,
        use_rotary_positional_embeddings=True,
        use_learned_positional_embeddings=True,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLCogVideoX(
        in_channels=3,
        out_channels=3,
        down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
    )
    pipe = CogVideoXImageToVideoPipeline(
        transformer=transformer,
        vae=vae,
        scheduler=DDIMScheduler(),
        text_encoder=tiny_t5(),
        tokenizer=tiny_tokenizer(),
    )
    pipe.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    _need_diffusers()
    root = tmp_path_factory.mktemp("pipelines")
    return {"wan": tiny_wan(root / "wan"), "cogvideox": tiny_cogvideox(root / "cogvideox")}


@pytest.fixture(scope="module")
def one_instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("one-instance")
    generate_suite("smoke", out, n=1, seed=0, fmt=SMALL, workers=1, families=[FAMILY])
    return out


WAN = """
name = "tiny-wan"
adapter = "diffusers"

[diffusers]
path = "{path}"
pipeline = "WanImageToVideoPipeline"
dtype = "float32"
device = "cpu"
steps = 2
guidance = 5.0
negative_prompt = "blurry"
width = 16
height = 16
frames = 9
extra = {{ max_sequence_length = 16 }}
"""

COG = """
name = "tiny-cogvideox"
adapter = "diffusers"

[diffusers]
path = "{path}"
pipeline = "CogVideoXImageToVideoPipeline"
dtype = "float32"
device = "cpu"
steps = 2
width = 16
height = 16
frames = 9
extra = {{ max_sequence_length = 16 }}
"""


def config(tmp_path: Path, text: str, name: str = "model.toml", **values: Any) -> Path:
    path = tmp_path / name
    path.write_text(text.format(**values))
    return path


def run(cfg: Path, suite: Path, out: Path, *more: str) -> Any:
    args = ["run", "--model-config", str(cfg), "--suite", str(suite), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--workers", "1", "-q", *more])
    assert result.exit_code == 0, result.output
    return result


def videos(out: Path, model: str) -> list[Path]:
    return sorted((out / "videos" / model / FAMILY).glob("*.mp4"))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- without torch ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("stepz = 3", r"\[diffusers\]: unknown key 'stepz'; did you mean 'steps'"),
        ('steps = "many"', r"\[diffusers\]: steps must be an integer"),
        ('pipeline = "WanImageToVideo"', r"not one of .*did you mean 'WanImageToVideoPipeline'"),
        ('dtype = "float64"', r"dtype 'float64' is not one of float32, float16, bfloat16"),
        ("frames = 10", r"frames 10 is not of the form 4k \+ 1"),
        ("width = 20", r"width 20 is not a multiple of 16"),
        ('cpu_offload = "yes"', r"cpu_offload 'yes' is not one of none, model, sequential"),
        ("extra = { num_frames = 5 }", r"extra must not set num_frames"),
    ],
)
def test_a_mistake_in_the_table_is_one_line_naming_the_file(tmp_path, line, message):
    folder = tmp_path / "weights"
    folder.mkdir()
    (folder / "model_index.json").write_text("{}")
    text = 'name = "m"\nadapter = "diffusers"\n[diffusers]\npath = "weights"\n'
    if not line.startswith("pipeline"):
        text += 'pipeline = "WanImageToVideoPipeline"\n'
    path = tmp_path / "m.toml"
    path.write_text(text + line + "\n")
    with pytest.raises(UserError, match=message) as err:
        read_config(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_the_model_folder_must_exist_and_hold_a_pipeline(tmp_path):
    head = 'name = "m"\nadapter = "diffusers"\n[diffusers]\npipeline = "WanImageToVideoPipeline"\n'
    cases = [
        ("", r"missing key 'path'"),
        ('path = "nowhere"\n', r"path 'nowhere' does not exist"),
        ('path = "."\n', r"has no model_index.json"),
    ]
    for line, message in cases:
        path = tmp_path / "m.toml"
        path.write_text(head + line)
        with pytest.raises(UserError, match=message):
            read_config(path)
    path.write_text('adapter = "diffusers"\n[diffusers]\npath = "."\n')
    with pytest.raises(UserError, match="missing key 'name'"):
        read_config(path)
    (tmp_path / "model_index.json").write_text("{}")
    path.write_text(head + 'path = "."\n[card]\nframes = 48\n')
    with pytest.raises(UserError, match=r"\[card\]: frames 48 is not of the form 4k \+ 1"):
        read_config(path)


def test_missing_torch_is_one_line_before_any_work(tmp_path, monkeypatch):
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "model_index.json").write_text("{}")
    path = config(tmp_path, WAN, path="w")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "diffusers" else real(n, *a)
    )
    with pytest.raises(
        UserError, match=r"needs \w+, which is not installed: pip install 'vidreason\[diffusers\]'"
    ):
        build_model(read_config(path))


def test_the_first_frame_is_fitted_without_distortion_and_taken_back():
    from vidreason.models.diffusers_adapter import DiffusersSettings, native_of

    rule = PIPELINES["WanImageToVideoPipeline"]
    native = native_of(DiffusersSettings(path=".", pipeline="WanImageToVideoPipeline"))
    assert (native.width, native.height, native.fps, native.n_frames) == (832, 480, 16, 81)
    assert rule.multiple_of == 16
    # free size: the task's aspect at the native area, in multiples of 16
    assert size_for(native, "task", (256, 256)) == (624, 624)
    assert size_for(native, "task", (512, 256)) == (880, 432)
    # fixed size: a square task is pillarboxed, never stretched
    fit = fit_for(size_for(native, "native", (256, 256)), (256, 256))
    assert (fit.width, fit.height, fit.box) == (832, 480, (176, 0, 656, 480))
    image = np.zeros((256, 256, 3), np.uint8)
    image[:, :128] = 255  # left half white
    placed = place(image, fit)
    assert placed[:, :176].max() == 0 and placed[:, 656:].max() == 0  # black bars
    assert placed[:, 176:412].min() == 255 and placed[:, 420:656].max() == 0
    back = take_back(placed[None].astype(np.float32) / 255.0, fit, (256, 256))
    assert back.shape == (1, 256, 256, 3)
    assert np.abs(back[0].astype(int) - image).mean() < 2  # the same picture, same place


@pytest.mark.slow  # imports torch and diffusers
@pytest.mark.parametrize("pipeline", sorted(PIPELINES))
def test_every_pipeline_takes_the_arguments_its_rules_name(pipeline):
    """Each row of the table against the installed pipeline's signature."""
    _need_diffusers()
    import inspect

    import diffusers

    params = inspect.signature(getattr(diffusers, pipeline).__call__).parameters
    assert set(argument_names(PIPELINES[pipeline])) <= set(params)
    frames = params["num_frames"].default
    rule = PIPELINES[pipeline]
    if isinstance(frames, int):  # the pipeline's own default obeys the frame rule
        assert (frames - rule.frames_offset) % rule.frames_step == 0


@pytest.mark.slow  # imports torch and diffusers
def test_an_argument_the_pipeline_lacks_is_one_line(tmp_path):
    _need_diffusers()
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "model_index.json").write_text("{}")
    path = config(tmp_path, WAN.replace("max_sequence_length", "max_sequence_lenght"), path="w")
    with pytest.raises(UserError, match=r"takes no argument 'max_sequence_lenght'.*did you mean"):
        build_model(read_config(path))


def test_devices_are_gpu_numbers_or_names():
    assert parse_devices("0,1") == ("cuda:0", "cuda:1")
    assert parse_devices("cpu") == ("cpu",)
    assert parse_devices("cuda:2, mps") == ("cuda:2", "mps")
    for bad in ("", "gpu0", "0,0"):
        with pytest.raises(UserError, match="--devices"):
            parse_devices(bad)


def test_devices_reach_models_that_copy_and_leave_their_version(tmp_path):
    from vidreason.models import get_model
    from vidreason.models.base import with_devices
    from vidreason.models.diffusers_adapter import DiffusersModel, DiffusersSettings

    model = DiffusersModel("m", DiffusersSettings(path=".", pipeline="WanImageToVideoPipeline"))
    one = with_devices(model, ["cuda:1"])
    assert one.device == "cuda:1" and one.card.devices == ("cuda:1",)
    two = with_devices(model, ["cuda:0", "cuda:1"])
    assert two.card.devices == ("cuda:0", "cuda:1") and model.card.devices == ("cuda",)
    oracle = get_model("oracle")  # makes no copies: one worker, as it was
    assert with_devices(oracle, ["cuda:0", "cuda:1"]) is oracle
    http = tmp_path / "api.toml"
    http.write_text(
        'name = "api"\nadapter = "http"\n[http]\nsubmit_url = "http://x/"\n'
        'status_url = "http://x/{job_id}"\npayload = {}\nconcurrency = 2\n'
    )
    api_model = build_model(read_config(http))
    assert with_devices(api_model, ["cuda:0"]) is api_model  # API slots stay


@pytest.mark.slow  # imports torch and diffusers
def test_devices_are_no_part_of_a_configured_models_version(tmp_path):
    from vidreason.models import version_of
    from vidreason.models.base import with_devices

    _need_diffusers()
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "model_index.json").write_text("{}")
    configured = build_model(read_config(config(tmp_path, WAN, path="w")))
    moved = with_devices(configured, ["cuda:0", "cuda:1"])
    assert moved.card.devices == ("cuda:0", "cuda:1") and configured.card.devices == ("cpu",)
    assert version_of(moved) == version_of(configured)
    assert with_devices(configured, ["cuda:3"]).inner.device == "cuda:3"


# -- with tiny pipelines ----------------------------------------------------------------


@pytest.mark.slow
def test_wan_end_to_end_deterministic_and_recorded(pipelines, one_instance, tmp_path):
    cfg = config(tmp_path, WAN, path=pipelines["wan"])
    run(cfg, one_instance, tmp_path / "a")
    run(cfg, one_instance, tmp_path / "b")
    first, second = videos(tmp_path / "a", "tiny-wan"), videos(tmp_path / "b", "tiny-wan")
    assert len(first) == 1 and [p.name for p in second] == ["00000.mp4"]
    assert sha(first[0]) == sha(second[0])  # the same seed: the same bytes

    rec = read_record(first[0])
    assert rec is not None and not rec["error"]
    assert rec["info"]["pipeline"] == "WanImageToVideoPipeline"
    assert set(rec["info"]["versions"]) == {"torch", "diffusers", "transformers"}
    assert rec["info"]["dtype"] == "float32" and rec["info"]["steps"] == 2
    assert rec["info"]["guidance"] == 5.0 and rec["info"]["negative_prompt"] == "blurry"
    assert rec["native_format"] == {"width": 16, "height": 16, "fps": 16, "n_frames": 9}
    assert rec["delivered_format"]["width"] == 64 and rec["delivered_format"]["n_frames"] == 9
    assert "resized back to 64x64" in rec["resampled"]
    prompt = (one_instance / FAMILY / "00000" / "prompt.txt").read_text()
    assert rec["prompt_sent"] == prompt.strip()
    assert rec["wall_s"] > 0 and rec["settings"]["diffusers"]["steps"] == 2
    assert "device" not in rec["settings"]["diffusers"] and rec["card"]["devices"] == ["cpu"]

    rows = store.rows(tmp_path / "a")
    assert len(rows) == 1 and rows[0].status == "scored"
    assert rows[0].value < 0.5  # random weights throw no ball

    # a rerun reuses the video; a changed setting is a new version and a new video
    before = first[0].stat().st_mtime_ns
    run(cfg, one_instance, tmp_path / "a")
    assert first[0].stat().st_mtime_ns == before
    run(cfg, one_instance, tmp_path / "a", "--model-set", "diffusers.steps=3")
    again = read_record(first[0])
    assert again is not None and again["info"]["steps"] == 3
    assert again["model_version"] != rec["model_version"]
    assert len(store.rows(tmp_path / "a", history=True)) == 2


@pytest.mark.slow
def test_cogvideox_end_to_end(pipelines, one_instance, tmp_path):
    cfg = config(tmp_path, COG, path=pipelines["cogvideox"])
    run(cfg, one_instance, tmp_path / "r")
    (video,) = videos(tmp_path / "r", "tiny-cogvideox")
    rec = read_record(video)
    assert rec is not None and not rec["error"]
    assert rec["info"]["pipeline"] == "CogVideoXImageToVideoPipeline"
    assert rec["info"]["guidance"] == 6.0  # the pipeline's own default
    assert rec["native_format"] == {"width": 16, "height": 16, "fps": 8, "n_frames": 9}
    (row,) = store.rows(tmp_path / "r")
    assert row.status == "scored" and row.value < 0.5


@pytest.mark.slow
def test_one_worker_per_device_each_loading_once(pipelines, tmp_path, monkeypatch):
    """``--devices``: a copy per device, each loaded once; whichever worker generates an
    instance, its seed gives the same bytes."""
    from vidreason.models import diffusers_adapter

    suite = tmp_path / "suite"
    generate_suite("smoke", suite, n=2, seed=0, fmt=SMALL, workers=1, families=[FAMILY])
    loads: list[str] = []
    real = diffusers_adapter.DiffusersModel.load

    def load(self: Any) -> None:
        loads.append(self.device)
        real(self)

    monkeypatch.setattr(diffusers_adapter.DiffusersModel, "load", load)
    cfg = config(tmp_path, WAN, path=pipelines["wan"])
    run(cfg, suite, tmp_path / "two", "--devices", "cpu:0,cpu:1")
    assert sorted(loads) == ["cpu:0", "cpu:1"]
    made = videos(tmp_path / "two", "tiny-wan")
    assert len(made) == 2
    records = [read_record(v) or {} for v in made]
    assert [r["error"] for r in records] == ["", ""]  # both workers loaded (one at a time)
    assert {r["info"]["device"] for r in records} <= {"cpu:0", "cpu:1"}
    run(cfg, suite, tmp_path / "one")
    assert [sha(v) for v in videos(tmp_path / "one", "tiny-wan")] == [sha(v) for v in made]
    same = json.loads(made[0].with_suffix(".json").read_text())["model_version"]
    assert read_record(videos(tmp_path / "one", "tiny-wan")[0])["model_version"] == same  # type: ignore[index]
