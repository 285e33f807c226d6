"""The model API: a model is loaded once per worker, generates batches, and is closed.

A model gets a batch of ``GenerationRequest``s (conditioning image, prompt, the format
to produce, the seed, where to write) and writes one video per request, returning for
each its path, or a ``Generated`` (the path and what the adapter knows about how it was
made: the prompt as sent, the API's job id, cost, the format it produced). The runner
calls ``load()`` once per generation worker, ``generate(batch)`` for every batch of at
most ``card.batch_size`` requests, and ``close()`` at the end; ``load`` and ``close`` are
optional (a model without them needs no setup).

A model declares what it is in its ``card`` (``ModelCard``): its modality, whether it is
conditioned on the goal frame (it has seen the answer: every table flags it), its native
format, the devices it needs and its batch size. A model without a card is an
image-to-video model with the defaults.

To add one, register a ``Model`` (anything with ``name``, ``version`` and ``generate``)
with ``MODELS.add(name, model)``, or point ``vidreason run --model package.module:factory``
at a function returning one (``models/python.py``). Built-in models are ``FrameModel``s:
a function from a request to frames.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vidreason.instance_io import load_instance
from vidreason.registry import Registry
from vidreason.render.video_io import write_mp4
from vidreason.seeding import named_rng
from vidreason.types import VideoFormat

MODALITIES = ("image-to-video", "continuation", "text-to-video")


@dataclass(frozen=True)
class NativeFormat:
    """The format a model generates in (0: whatever is asked), and the rules its sizes
    obey: width and height multiples of ``multiple_of``; a frame count of the form
    ``frames_step * k + frames_offset`` (e.g. 4k + 1 for Wan and CogVideoX)."""

    width: int = 0
    height: int = 0
    fps: int = 0
    n_frames: int = 0
    multiple_of: int = 1
    frames_step: int = 1
    frames_offset: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ModelCard:
    """What a model is. ``modality``: ``image-to-video`` (first frame and prompt),
    ``continuation`` (the first ``context_frames`` frames of the ground truth) or
    ``text-to-video`` (the prompt only). ``continues``: a model of another modality that
    also continues a context when a suite gives one (the built-in models); on a
    continuation suite such a model, like a ``continuation`` one, returns only the frames
    after the context. ``context_frames``: the context a continuation model takes
    (0: any). ``goal_conditioned``: the model sees the goal
    (the final frame or the ground truth), so its scores are no test of reasoning; every
    leaderboard flags it. ``devices``: what it needs (``cpu``, ``cuda:0``, ``api``);
    the runner starts one generation worker per device. ``batch_size``: requests per
    ``generate`` call (an API model submits that many jobs at once)."""

    modality: str = "image-to-video"
    goal_conditioned: bool = False
    native: NativeFormat = field(default_factory=NativeFormat)
    devices: tuple[str, ...] = ("cpu",)
    batch_size: int = 1
    context_frames: int = 0
    uses_prompt: bool = True
    continues: bool = False

    def __post_init__(self) -> None:
        if self.modality not in MODALITIES:
            raise ValueError(f"modality {self.modality!r} is not one of {', '.join(MODALITIES)}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if not self.devices:
            raise ValueError("a model needs at least one device")

    def to_dict(self) -> dict[str, Any]:
        return {
            "modality": self.modality,
            "goal_conditioned": self.goal_conditioned,
            "native": self.native.to_dict(),
            "devices": list(self.devices),
            "batch_size": self.batch_size,
            "context_frames": self.context_frames,
            "uses_prompt": self.uses_prompt,
            **({"continues": True} if self.continues else {}),  # older cards hash as before
        }

    @property
    def continuation(self) -> bool:
        """Given a context, it returns the frames after it (not the whole clip)."""
        return self.modality == "continuation" or self.continues


DEFAULT_CARD = ModelCard()


@dataclass(frozen=True)
class GenerationRequest:
    """One video to generate. ``seed`` is the seed a model should use: the suite's seed
    for the first generation of an instance (``sample`` 0), one derived from it and
    ``sample`` for the others (``--seeds K``). On a continuation suite ``context`` is
    ``context.mp4`` (the first ``context_frames`` K true frames): a continuation model
    writes the ``fmt.n_frames - K`` frames after them, its first frame being the moment
    K / fps; any other model writes the whole clip as usual."""

    instance_dir: Path
    family: str
    index: int
    prompt: str
    first_frame: Path
    fmt: VideoFormat
    seed: int
    out_path: Path
    sample: int = 0
    context: Path | None = None
    context_frames: int = 0

    @property
    def frames_wanted(self) -> int:
        """Frames a continuation writes: those after the context (all without one)."""
        return self.fmt.n_frames - self.context_frames


@dataclass(frozen=True)
class Generated:
    """A video a model wrote, with what only the model knows about how it was made
    (``info``: e.g. ``prompt_sent``, ``job_id``, ``cost``, ``native_format``,
    ``resampled``); the runner writes it into the video's record. A non-empty ``error``
    (one line) fails that instance alone: the rest of the batch and the run go on."""

    path: Path
    info: Mapping[str, Any] = field(default_factory=dict)
    error: str = ""


class Model(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    def generate(self, requests: Sequence[GenerationRequest]) -> Sequence[Path | Generated]: ...


def card_of(model: object) -> ModelCard:
    card = getattr(model, "card", None)
    return card if isinstance(card, ModelCard) else DEFAULT_CARD


def settings_of(model: object) -> dict[str, Any]:
    """A model's adapter settings (what its record and its version hash hold)."""
    settings = getattr(model, "settings", None)
    return dict(settings) if isinstance(settings, Mapping) else {}


def settings_version(version: str, settings: Mapping[str, Any], card: ModelCard) -> str:
    """``<version>+<hash>``: a model's version with its settings and card folded in, so a
    changed setting (steps, resolution, an API's payload) never reuses a video or score.
    The card's devices are left out: where a model runs (``--devices``) is not what it is."""
    what = {k: v for k, v in card.to_dict().items() if k != "devices"}
    blob = json.dumps({"settings": settings, "card": what}, sort_keys=True, default=str)
    return f"{version}+{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


def version_of(model: object) -> str:
    """The version a model's scores are stored under: its own, with its settings and
    card folded in when it has settings (a configured model)."""
    version = str(getattr(model, "version", ""))
    settings = settings_of(model)
    return settings_version(version, settings, card_of(model)) if settings else version


@dataclass(frozen=True)
class FrameModel:
    """A model defined by a function from one request to its frames (n, h, w, 3)."""

    name: str
    version: str
    make_frames: Callable[[GenerationRequest], np.ndarray]
    description: str = ""
    card: ModelCard = DEFAULT_CARD

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Path]:
        return [write_mp4(self.make_frames(r), r.out_path, fps=r.fmt.fps) for r in requests]


MODELS: Registry[Model] = Registry("model", entry_point_group="vidreason.models")


DEVICE = re.compile(r"(cpu|cuda|mps|xpu|npu)(:\d+)?")


def parse_devices(spec: str) -> tuple[str, ...]:
    """``--devices``: ``0,1`` (GPU numbers: ``cuda:0``, ``cuda:1``), or device names
    (``cpu``, ``cuda:2``, ``mps``)."""
    from vidreason.errors import UserError

    items = [d.strip() for d in spec.split(",")]
    out = tuple(f"cuda:{d}" if d.isdigit() else d for d in items)
    bad = [d for d in out if not DEVICE.fullmatch(d)]
    if not spec.strip() or bad:
        raise UserError(
            f"--devices {spec!r}: give GPU numbers (0,1,...) or device names (cpu, cuda:0, mps)"
        )
    if len(set(out)) != len(out):
        raise UserError(f"--devices {spec!r}: a device is named twice")
    return out


def with_devices(model: Any, devices: Sequence[str]) -> Any:
    """``model`` running on ``devices``, one worker (and one copy, loaded once) per device;
    unchanged when it makes no copies (no ``on_device``) or runs on API slots."""
    card = card_of(model)
    if not hasattr(model, "on_device") or any(d.startswith("api") for d in card.devices):
        return model
    out = copy.copy(model.on_device(devices[0]) if len(devices) == 1 else model)
    try:
        out.card = dataclasses.replace(card, devices=tuple(devices))
    except (AttributeError, dataclasses.FrozenInstanceError):
        return model
    return out


def get_model(name: str) -> Model:
    """A registered model, or ``package.module:factory`` called with no arguments."""
    if ":" in name:
        from vidreason.models.python import load_factory

        return load_factory(name)
    return MODELS.get(name)


def sample_seed(seed: int, sample: int) -> int:
    """The seed of generation ``sample`` of an instance of a suite seeded ``seed``."""
    if sample == 0:
        return seed
    return int(named_rng(seed, "generation", str(sample)).integers(0, 2**31 - 1))


def request_for(instance_dir: Path, out_path: Path, sample: int = 0) -> GenerationRequest:
    from vidreason.instance_io import CONTEXT_FILE

    inst = load_instance(instance_dir)
    k = inst.context_frames
    return GenerationRequest(
        instance_dir=Path(instance_dir),
        family=inst.family_id,
        index=inst.spec.index,
        prompt=inst.prompt,
        first_frame=Path(instance_dir) / "first_frame.png",
        fmt=inst.spec.fmt,
        seed=sample_seed(inst.spec.seed, sample),
        out_path=Path(out_path),
        sample=sample,
        context=Path(instance_dir) / CONTEXT_FILE if k else None,
        context_frames=k,
    )
