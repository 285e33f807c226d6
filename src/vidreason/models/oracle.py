"""`oracle`: the simulator's own video. It must pass every verifier; it has seen the answer,
so its card says it is goal-conditioned and every table flags it. On a continuation suite
it returns the ground truth's frames after the context."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vidreason.models.base import MODELS, GenerationRequest, ModelCard
from vidreason.render.video_io import read_video, write_mp4


@dataclass(frozen=True)
class Oracle:
    name: str = "oracle"
    version: str = "1"
    description: str = "the ground-truth render from the simulator"
    card: ModelCard = field(
        default_factory=lambda: ModelCard(goal_conditioned=True, continues=True)
    )

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Path]:
        out = []
        for r in requests:
            r.out_path.parent.mkdir(parents=True, exist_ok=True)
            truth = r.instance_dir / "ground_truth.mp4"
            if r.context_frames:
                after = read_video(truth).frames[r.context_frames :]
                write_mp4(after, r.out_path, fps=r.fmt.fps)
            else:
                shutil.copyfile(truth, r.out_path)
            out.append(r.out_path)
        return out


MODELS.add("oracle", Oracle())
