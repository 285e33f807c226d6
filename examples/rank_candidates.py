"""Rank a batch of candidate videos for one task with the verifiers as a reward.

    python examples/rank_candidates.py [--family projectile]

A fine-tuning loop samples several videos per prompt and ranks them. Here the candidates are
the true video changed in ways a model's output is: harmless ones (a zoom, motion blur,
noise) that should rank at the top, and wrong ones (gravity too strong, an object that
vanishes, a clip that freezes) that should rank below them; ``dense`` orders the wrong ones
among themselves.
"""

from __future__ import annotations

import argparse

import numpy as np

from vidreason.corruptions import BY_NAME
from vidreason.rewards import reward
from vidreason.tasks import build_instance, get_family
from vidreason.types import VideoFormat

CANDIDATES = ("clean", "zoom 5%", "blur 2 frames", "noise", "gravity x1.25", "vanish", "freeze")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--family", default="projectile")
    args = parser.parse_args()
    inst, truth = build_instance(get_family(args.family), 0, 0, 1, VideoFormat())
    rng = np.random.default_rng(0)
    names, videos = [], []
    for name in CANDIDATES:
        sample = BY_NAME[name].fn(inst, truth, rng) if name in BY_NAME else None
        if sample is not None:  # None: the change does not apply to this scene
            names.append(name)
            videos.append(sample.frames)
    results = reward(videos, inst, dense=True, first_frames=truth[0])  # the conditioning image
    ranked = sorted(zip(names, results, strict=True), key=lambda p: (-p[1].value, -p[1].dense))
    print(f"{'candidate':16} {'reward':>6} {'dense':>6}  why")
    for name, r in ranked:
        print(f"{name:16} {r.value:6.2f} {r.dense:6.2f}  {r.explanation[:80]}")


if __name__ == "__main__":
    main()
