"""`oracle`: the simulator's own video. It must pass every verifier; it has seen the answer,
so its card says it is goal-conditioned and every table flags it."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vidreason.models.base import MODELS, GenerationRequest, ModelCard


@dataclass(frozen=True)
class Oracle:
    name: str = "oracle"
    version: str = "1"
    description: str = "the ground-truth render from the simulator"
    card: ModelCard = field(default_factory=lambda: ModelCard(goal_conditioned=True))

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Path]:
        out = []
        for r in requests:
            r.out_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(r.instance_dir / "ground_truth.mp4", r.out_path)
            out.append(r.out_path)
        return out


MODELS.add("oracle", Oracle())
