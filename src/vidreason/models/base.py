"""The model API: ``generate(requests) -> videos``.

A model gets a batch of ``GenerationRequest``s (conditioning image, prompt, the format
to produce, where to write) and writes one video per request, returning the paths in the
same order. Built-in models are ``FrameModel``s: a function from a request to frames. To
add one, register a ``Model`` (anything with ``name``, ``version`` and ``generate``)
with ``MODELS.add(name, model)``; adapters for external models follow the same shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from vidreason.instance_io import load_instance
from vidreason.registry import Registry
from vidreason.render.video_io import write_mp4
from vidreason.types import VideoFormat


@dataclass(frozen=True)
class GenerationRequest:
    instance_dir: Path
    family: str
    index: int
    prompt: str
    first_frame: Path
    fmt: VideoFormat
    seed: int
    out_path: Path


class Model(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Path]: ...


@dataclass(frozen=True)
class FrameModel:
    """A model defined by a function from one request to its frames (n, h, w, 3)."""

    name: str
    version: str
    make_frames: Callable[[GenerationRequest], np.ndarray]
    description: str = ""

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Path]:
        return [write_mp4(self.make_frames(r), r.out_path, fps=r.fmt.fps) for r in requests]


MODELS: Registry[Model] = Registry("model", entry_point_group="vidreason.models")


def get_model(name: str) -> Model:
    return MODELS.get(name)


def request_for(instance_dir: Path, out_path: Path) -> GenerationRequest:
    inst = load_instance(instance_dir)
    return GenerationRequest(
        instance_dir=Path(instance_dir),
        family=inst.family_id,
        index=inst.spec.index,
        prompt=inst.prompt,
        first_frame=Path(instance_dir) / "first_frame.png",
        fmt=inst.spec.fmt,
        seed=inst.spec.seed,
        out_path=Path(out_path),
    )
