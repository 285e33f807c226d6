"""The ``diffusers`` adapter: a local model folder run by one of diffusers' pipelines.

```toml
name = "wan2.1-i2v-480p"
adapter = "diffusers"

[diffusers]
path = "/models/Wan2.1-I2V-14B-480P-Diffusers"  # a folder with model_index.json
pipeline = "WanImageToVideoPipeline"
dtype = "bfloat16"            # float32 | float16 | bfloat16
device = "cuda"               # one worker; `vidreason run --devices 0,1` gives one per GPU
steps = 40
guidance = 5.0
```

``PIPELINES`` holds each pipeline's rules, read from diffusers' own source: its native
size and frame rate, what its width and height must be multiples of, the form its frame
count takes (``frames_step * k + frames_offset``), whether its size is free (``aspect``)
and the names of its arguments. To add a pipeline, add a ``Pipeline`` row.

How a request becomes a video (the record says it in ``resampled``):

1. The size: the native width x height, or, for a pipeline whose size is free (Wan, LTX,
   HunyuanVideo), the task's aspect ratio at the native area; rounded down to the
   pipeline's multiples.
2. The first frame is fitted without distortion: scaled to fit inside that size and
   padded with black (never cropped: a crop would cut off parts of the scene the
   verifiers look at).
3. The pipeline runs with the seed as a ``torch.Generator`` on the worker's device
   (CPU generators when offloading), so the same seed gives the same video.
4. The padded border is cut off each generated frame, which is then resized to the
   task's width and height; the frames and their rate are kept as generated (scoring
   reads a video at its own timestamps).

A continuation pipeline (``LTXConditionPipeline``; card modality ``continuation``) runs
on a continuation suite only. It is given the context (``context.mp4``, K frames, each
fitted like the first frame) as a video condition at frame 0: its first ``step * j + 1``
frames (``step``: the VAE's temporal compression, 8 for LTX), as the pipeline takes no
other count. It generates at the suite's frame rate (so the context keeps its timing),
the fewest frames of the pipeline's form that cover the suite's N, and returns only
frames K to N - 1: the N - K after the context. ``fps`` and ``frames`` settings do not
apply to it; the record's ``resampled`` and ``info["continued"]`` say what was done.

torch and diffusers are imported only inside functions: importing vidreason imports
neither (``pip install 'vidreason[diffusers]'`` brings them).
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vidreason.errors import UserError
from vidreason.models.base import Generated, GenerationRequest, ModelCard, NativeFormat

INSTALL = "pip install 'vidreason[diffusers]'"
# from_pretrained builds models under a process-wide "empty weights" context: two workers
# (threads) loading at once break each other's weights, so loading takes turns
LOADING = threading.Lock()
DTYPES = ("float32", "float16", "bfloat16")
OFFLOAD = ("none", "model", "sequential")


@dataclass(frozen=True)
class Pipeline:
    """A diffusers pipeline's rules (see the module docstring)."""

    width: int
    height: int
    fps: int
    n_frames: int
    multiple_of: int
    frames_step: int
    frames_offset: int
    steps: int
    guidance: float
    aspect: str = "native"  # "task": free size, the task's aspect at the native area
    uses_prompt: bool = True
    guidance_arg: str = "guidance_scale"
    fps_arg: str = ""  # the argument the frame rate is passed as, if any
    negative_prompt: bool = True
    continues: bool = False  # takes the context as a video condition (a continuation)


PIPELINES: dict[str, Pipeline] = {
    # 8x VAE, 2x2 patches; frames 4k+1; 480p at 16 fps; any size (RoPE)
    "WanImageToVideoPipeline": Pipeline(832, 480, 16, 81, 16, 4, 1, 50, 5.0, aspect="task"),
    # 720x480 (the 5B I2V's learned position embedding fixes it), frames 4k+1 at 8 fps
    "CogVideoXImageToVideoPipeline": Pipeline(720, 480, 8, 49, 16, 4, 1, 50, 6.0),
    # 32x VAE; frames 8k+1; frame_rate is an argument
    "LTXImageToVideoPipeline": Pipeline(
        704, 480, 24, 121, 32, 8, 1, 50, 3.0, aspect="task", fps_arg="frame_rate"
    ),
    # LTX's condition pipeline: the context as a video condition at frame 0
    "LTXConditionPipeline": Pipeline(
        704, 480, 24, 121, 32, 8, 1, 50, 3.0, aspect="task", fps_arg="frame_rate",
        continues=True,
    ),
    # 720p, frames 4k+1; guidance_scale is the embedded guidance
    "HunyuanVideoImageToVideoPipeline": Pipeline(
        1280, 720, 24, 129, 16, 4, 1, 50, 1.0, aspect="task"
    ),
    # no prompt; 1024x576, 14 frames (25 for -xt), fps is conditioning; UNet needs /64
    "StableVideoDiffusionPipeline": Pipeline(
        1024, 576, 7, 14, 64, 1, 0, 25, 3.0, uses_prompt=False,
        guidance_arg="max_guidance_scale", fps_arg="fps", negative_prompt=False,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class DiffusersSettings:
    """The ``[diffusers]`` table of a model config. ``width``/``height``/``fps``/``frames``
    0: the pipeline's native ones. ``aspect``: ``task`` (the task's aspect at the native
    area; only for pipelines of free size), ``native`` (exactly width x height) or empty
    (the pipeline's own). ``extra``: more keyword arguments of the pipeline's call."""

    path: str
    pipeline: str
    dtype: str = "bfloat16"
    device: str = "cuda"
    cpu_offload: str = "none"
    steps: int = 0
    guidance: float | None = None
    negative_prompt: str = ""
    width: int = 0
    height: int = 0
    fps: int = 0
    frames: int = 0
    aspect: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def check_settings(s: DiffusersSettings, where: str) -> None:
    """One line naming ``where`` for a setting no pipeline run could use."""
    import difflib

    if s.pipeline not in PIPELINES:
        close = difflib.get_close_matches(s.pipeline, list(PIPELINES), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UserError(
            f"{where}: pipeline {s.pipeline!r} is not one of {', '.join(PIPELINES)}{hint}"
        )
    for key, value, allowed in (
        ("dtype", s.dtype, DTYPES),
        ("cpu_offload", s.cpu_offload, OFFLOAD),
        ("aspect", s.aspect, ("", "task", "native")),
    ):
        if value not in allowed:
            raise UserError(f"{where}: {key} {value!r} is not one of {', '.join(allowed)}")
    for key in ("steps", "width", "height", "fps", "frames"):
        if getattr(s, key) < 0:
            raise UserError(f"{where}: {key} must be 0 (the pipeline's) or more")
    rule = PIPELINES[s.pipeline]
    if s.aspect == "task" and rule.aspect != "task":
        raise UserError(f"{where}: {s.pipeline} generates one size only: aspect must be native")
    check_native(native_of(s), s.pipeline, where)
    reserved = {"image", "prompt", "height", "width", "num_frames", "generator", "output_type"}
    reserved |= {"video", "frame_index", "conditions"} if rule.continues else set()
    clash = sorted(reserved & set(s.extra))
    if clash:
        raise UserError(f"{where}: extra must not set {', '.join(clash)} (the adapter sets them)")


def check_native(native: NativeFormat, pipeline: str, where: str) -> None:
    """The size and frame count obey the pipeline's rules (one line naming ``where``)."""
    rule = PIPELINES[pipeline]
    for key in ("width", "height"):
        value = getattr(native, key)
        if value < rule.multiple_of or value % rule.multiple_of:
            raise UserError(
                f"{where}: {key} {value} is not a multiple of {rule.multiple_of} "
                f"({pipeline} needs it)"
            )
    frames = native.n_frames
    if frames < 1 or (frames - rule.frames_offset) % rule.frames_step:
        raise UserError(
            f"{where}: frames {frames} is not of the form {rule.frames_step}k + "
            f"{rule.frames_offset} ({pipeline} needs it)"
        )
    if native.fps < 1:
        raise UserError(f"{where}: fps must be at least 1")


def native_of(s: DiffusersSettings) -> NativeFormat:
    rule = PIPELINES[s.pipeline]
    return NativeFormat(
        width=s.width or rule.width,
        height=s.height or rule.height,
        fps=s.fps or rule.fps,
        n_frames=s.frames or rule.n_frames,
        multiple_of=rule.multiple_of,
        frames_step=rule.frames_step,
        frames_offset=rule.frames_offset,
    )


@dataclass(frozen=True)
class Fit:
    """Where the task's picture sits in the generated frame: the frame's size and the box
    ``(x0, y0, x1, y1)`` inside it that holds the picture, scaled without distortion."""

    width: int
    height: int
    box: tuple[int, int, int, int]

    def describe(self, task: tuple[int, int], frames: int, fps: float) -> str:
        x0, y0, x1, y1 = self.box
        padded = (x1 - x0, y1 - y0) != (self.width, self.height)
        pad = f", padded with black to {self.width}x{self.height}" if padded else ""
        return (
            f"first frame {task[0]}x{task[1]} scaled to {x1 - x0}x{y1 - y0}{pad}; "
            f"generated {frames} frames at {fps:g} fps, {self.width}x{self.height}; each "
            f"frame's picture (box {x0},{y0},{x1},{y1}) resized back to {task[0]}x{task[1]}"
        )


def size_for(native: NativeFormat, aspect: str, task: tuple[int, int]) -> tuple[int, int]:
    """The size to generate at: the native one, or (``aspect == "task"``) the task's
    aspect ratio at the native area; multiples of ``native.multiple_of``."""
    m = native.multiple_of
    if aspect != "task":
        return native.width, native.height
    area, ratio = native.width * native.height, task[1] / task[0]
    height = max(m, round(math.sqrt(area * ratio)) // m * m)
    width = max(m, round(math.sqrt(area / ratio)) // m * m)
    return width, height


def fit_for(size: tuple[int, int], task: tuple[int, int]) -> Fit:
    """The task's picture scaled to fit inside ``size``, centred (the rest is padding)."""
    width, height = size
    scale = min(width / task[0], height / task[1])
    w = min(width, max(1, round(task[0] * scale)))
    h = min(height, max(1, round(task[1] * scale)))
    x0, y0 = (width - w) // 2, (height - h) // 2
    return Fit(width, height, (x0, y0, x0 + w, y0 + h))


def place(image: np.ndarray, fit: Fit) -> np.ndarray:
    """``image`` (h, w, 3) uint8 scaled into ``fit``'s box on a black frame."""
    from vidreason.render.video_io import fit as resize

    x0, y0, x1, y1 = fit.box
    out = np.zeros((fit.height, fit.width, 3), np.uint8)
    out[y0:y1, x0:x1] = resize(image, (x1 - x0, y1 - y0))
    return out


def take_back(frames: np.ndarray, fit: Fit, task: tuple[int, int]) -> np.ndarray:
    """Generated frames (n, H, W, 3) in 0..1 as uint8 at the task's size: each frame's
    picture cut out of the padding and resized back."""
    from vidreason.render.video_io import fit as resize

    x0, y0, x1, y1 = fit.box
    pixels = np.clip(np.rint(np.asarray(frames, np.float32) * 255.0), 0, 255).astype(np.uint8)
    return np.stack([resize(f[y0:y1, x0:x1], task) for f in pixels])


def require() -> None:
    """One line when torch or diffusers is not installed (checked without importing)."""
    import importlib.util

    for name in ("torch", "diffusers", "transformers"):
        if importlib.util.find_spec(name) is None:
            raise UserError(
                f"the diffusers adapter needs {name}, which is not installed: {INSTALL}"
            )


def check_call(s: DiffusersSettings, where: str) -> None:
    """The pipeline exists in the installed diffusers and takes every argument the adapter
    and ``extra`` give it (imports diffusers: run once, before any work)."""
    import difflib
    import inspect

    _, diffusers = _imports()
    cls = getattr(diffusers, s.pipeline, None)
    if cls is None:
        raise UserError(
            f"{where}: diffusers {diffusers.__version__} has no {s.pipeline}: upgrade it"
        )
    params = inspect.signature(cls.__call__).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    for key in sorted(set(s.extra) | set(argument_names(PIPELINES[s.pipeline]))):
        if key not in params:
            close = difflib.get_close_matches(key, list(params), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UserError(f"{where}: {s.pipeline} takes no argument {key!r}{hint}")


def argument_names(rule: Pipeline) -> list[str]:
    """The arguments the adapter passes to a pipeline with these rules."""
    names = ["video", "frame_index"] if rule.continues else ["image"]
    names += ["height", "width", "num_frames", "num_inference_steps", "generator"]
    names += ["output_type", rule.guidance_arg]
    names += ["prompt"] if rule.uses_prompt else []
    names += ["negative_prompt"] if rule.negative_prompt else []
    return names + ([rule.fps_arg] if rule.fps_arg else [])


def quiet() -> None:
    """No progress bars or warnings from diffusers and transformers: the run reports."""
    import diffusers
    import transformers

    for lib in (diffusers.utils.logging, transformers.utils.logging):
        lib.disable_progress_bar()
        lib.set_verbosity_error()


def versions() -> dict[str, str]:
    """torch's, diffusers' and transformers' versions (the same seed gives the same video
    on the same ones)."""
    import diffusers
    import torch
    import transformers

    return {m.__name__: str(m.__version__) for m in (torch, diffusers, transformers)}


def _imports() -> tuple[Any, Any]:
    try:
        import diffusers
        import torch
    except ImportError as exc:
        raise UserError(f"the diffusers adapter needs {exc.name}: {INSTALL}") from None
    return torch, diffusers


class DiffusersModel:
    """A diffusers pipeline loaded once per worker (see the module docstring)."""

    version = "diffusers-1"
    description = "a local diffusers pipeline"

    def __init__(
        self,
        name: str,
        settings: DiffusersSettings,
        card: ModelCard | None = None,
        device: str = "",
    ) -> None:
        self.name = name
        self.settings = settings
        self.rule = PIPELINES[settings.pipeline]
        self.device = device or settings.device
        self.card = card or ModelCard(
            native=native_of(settings),
            devices=(self.device,),
            uses_prompt=self.rule.uses_prompt,
            modality="continuation" if self.rule.continues else "image-to-video",
        )
        self.pipe: Any = None

    def on_device(self, device: str) -> DiffusersModel:
        """A copy for one device (``vidreason run --devices``), loaded by its own worker."""
        return DiffusersModel(self.name, self.settings, self.card, device)

    # -- lifecycle ----------------------------------------------------------------------
    def load(self) -> None:
        torch, diffusers = _imports()
        s = self.settings
        quiet()
        cls = getattr(diffusers, s.pipeline, None)
        if cls is None:
            raise UserError(f"diffusers {diffusers.__version__} has no {s.pipeline}: upgrade it")
        with LOADING, warnings.catch_warnings():  # newer diffusers call torch_dtype dtype
            warnings.simplefilter("ignore", FutureWarning)
            pipe = cls.from_pretrained(
                s.path, torch_dtype=getattr(torch, s.dtype), local_files_only=True
            )
            if s.cpu_offload == "model":
                pipe.enable_model_cpu_offload(device=self.device)
            elif s.cpu_offload == "sequential":
                pipe.enable_sequential_cpu_offload(device=self.device)
            else:
                pipe.to(self.device)
        pipe.set_progress_bar_config(disable=True)
        self.pipe = pipe

    def close(self) -> None:
        pipe, self.pipe = self.pipe, None
        if pipe is not None and self.device.startswith("cuda"):
            import torch

            del pipe
            torch.cuda.empty_cache()

    # -- generation ---------------------------------------------------------------------
    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generated]:
        if self.pipe is None:
            self.load()
        return [self._one(r) for r in requests]

    def call_args(
        self, r: GenerationRequest, fit: Fit, image: Any, clip: tuple[int, int] | None = None
    ) -> dict[str, Any]:
        """The keyword arguments of the pipeline's call for one request: ``image`` is the
        first frame, or (a continuation pipeline) the context's frames; ``clip`` the frame
        count and rate to generate (the native ones when not given)."""
        torch, _ = _imports()
        s, rule, native = self.settings, self.rule, self.card.native
        # offloaded pipelines start their noise on the CPU; a generator must live there
        where = "cpu" if s.cpu_offload != "none" else self.device
        n_frames, fps = clip or (native.n_frames, native.fps)
        condition = {"video": image, "frame_index": 0} if rule.continues else {"image": image}
        args: dict[str, Any] = {
            **condition,
            "height": fit.height,
            "width": fit.width,
            "num_frames": n_frames,
            "num_inference_steps": s.steps or rule.steps,
            rule.guidance_arg: rule.guidance if s.guidance is None else s.guidance,
            "generator": torch.Generator(where).manual_seed(r.seed),
            "output_type": "np",
        }
        if rule.uses_prompt:
            args["prompt"] = r.prompt
        if rule.negative_prompt and s.negative_prompt:
            args["negative_prompt"] = s.negative_prompt
        if rule.fps_arg:
            args[rule.fps_arg] = fps
        return {**args, **s.extra}

    def _one(self, r: GenerationRequest) -> Generated:
        from PIL import Image

        from vidreason.render.video_io import write_mp4

        started = time.monotonic()
        task = (r.fmt.width, r.fmt.height)
        fit = fit_for(size_for(self.card.native, self.aspect, task), task)
        if self.rule.continues:
            if r.context is None or r.context_frames < 1:
                return Generated(
                    r.out_path, error=f"{self.name}: a continuation model needs a context"
                )
            shown = self.context_shown(r.context_frames)
            condition = [Image.fromarray(place(f, fit)) for f in read_context(r.context, shown)]
            clip = (frames_covering(r.fmt.n_frames, self.rule), r.fmt.fps)
            args = self.call_args(r, fit, condition, clip)
        else:
            first = np.asarray(Image.open(r.first_frame).convert("RGB"))
            image = Image.fromarray(place(first, fit))
            args = self.call_args(r, fit, image)
        frames = np.asarray(self.pipe(**args).frames)[0]  # (n, H, W, 3) in 0..1
        if frames.shape[1:3] != (fit.height, fit.width):
            got = f"{frames.shape[2]}x{frames.shape[1]}"
            return Generated(
                r.out_path,
                error=f"{self.name}: asked {self.settings.pipeline} for {fit.width}x"
                f"{fit.height}, got {got}",
            )
        made = int(frames.shape[0])
        fps = args[self.rule.fps_arg] if self.rule.fps_arg else self.card.native.fps
        described = fit.describe(task, made, fps)
        more: dict[str, Any] = {}
        if self.rule.continues:
            k, n = r.context_frames, r.fmt.n_frames
            if made < n:
                return Generated(
                    r.out_path,
                    error=f"{self.name}: asked {self.settings.pipeline} for {args['num_frames']}"
                    f" frames, got {made} (fewer than the suite's {n})",
                )
            frames = frames[k:n]
            described = (
                f"context {k} frames, the first {shown} given as the video condition at "
                f"frame 0; {described}; frames {k} to {n - 1} kept (the {n - k} after "
                "the context)"
            )
            more = {"continued": {"context_frames": k, "conditioned_on": shown}}
        write_mp4(take_back(frames, fit, task), r.out_path, fps=fps)
        return Generated(
            r.out_path,
            {
                "pipeline": self.settings.pipeline,
                "versions": versions(),
                "dtype": self.settings.dtype,
                "device": self.device,
                "steps": args["num_inference_steps"],
                "guidance": args[self.rule.guidance_arg],
                "prompt_sent": args.get("prompt"),
                "negative_prompt": args.get("negative_prompt", ""),
                "extra": dict(self.settings.extra),
                **more,
                "native_format": {
                    "width": fit.width,
                    "height": fit.height,
                    "fps": fps,
                    "n_frames": made,
                },
                "resampled": described,
                "wall_s": round(time.monotonic() - started, 3),
            },
        )

    def context_shown(self, k: int) -> int:
        """The context frames the pipeline takes as its condition: the most of the form
        ``step * j + 1`` (``step``: its VAE's temporal compression) within ``k``."""
        step = int(getattr(self.pipe, "vae_temporal_compression_ratio", self.rule.frames_step))
        return (k - 1) // step * step + 1

    @property
    def aspect(self) -> str:
        return self.settings.aspect or self.rule.aspect


def frames_covering(n: int, rule: Pipeline) -> int:
    """The fewest frames of the pipeline's form (``frames_step * k + frames_offset``) that
    are at least ``n``."""
    k = max(0, math.ceil((n - rule.frames_offset) / rule.frames_step))
    return rule.frames_step * k + rule.frames_offset


def read_context(path: Path, count: int) -> np.ndarray:
    """The first ``count`` frames of a context video, at the task's size."""
    from vidreason.render.video_io import read_video

    frames = read_video(path, max_frames=None).frames[:count]
    if len(frames) < count:
        raise ValueError(f"{path} holds {len(frames)} frames, fewer than {count}")
    return frames


def make_model(name: str, table: Mapping[str, Any], card: Mapping[str, Any], where: str) -> Any:
    """The adapter a config's ``[diffusers]`` (and ``[card]``) tables describe."""
    from vidreason.models.config import make_card, parse_table

    settings = parse_table(DiffusersSettings, table, f"{where} [diffusers]")
    check_settings(settings, f"{where} [diffusers]")
    model = DiffusersModel(name, settings)
    try:
        model.card = make_card(model.card, card)  # [card] width/height/... reach the pipeline
    except ValueError as exc:
        raise UserError(f"{where} [card]: {exc}") from None
    check_native(model.card.native, settings.pipeline, f"{where} [card]")
    if len(model.card.devices) == 1:
        model.device = model.card.devices[0]
    return model


def with_path(table: Mapping[str, Any], base: Path | None, where: str) -> dict[str, Any]:
    """The ``[diffusers]`` table with ``path`` made absolute (relative to the config file)
    and checked: a folder holding ``model_index.json``."""
    out = dict(table)
    raw = out.get("path")
    if not isinstance(raw, str):
        return out  # parse_table names the missing or mistyped key
    folder = Path(raw).expanduser()
    if base is not None and not folder.is_absolute():
        folder = base / folder
    if not folder.is_dir():
        raise UserError(f"{where} [diffusers]: path {raw!r} does not exist ({folder})")
    if not (folder / "model_index.json").is_file():
        raise UserError(
            f"{where} [diffusers]: path {raw!r} has no model_index.json (not a diffusers "
            "pipeline folder; save_pretrained writes one)"
        )
    out["path"] = str(folder)
    return out
