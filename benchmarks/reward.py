"""Reward throughput: videos scored per second per core by ``vidreason.reward`` on decoded
frames in memory, and its time over the time a plain decode of the same videos takes.

    python benchmarks/reward.py [--families projectile dominoes maze] [--n 4]

Each instance gets three candidates (the truth, a frozen clip, the truth backwards), scored
in one batch per instance in this process; CPU time is the process's own (user + system).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from vidreason.instance_io import write_instance
from vidreason.render.video_io import read_video
from vidreason.rewards import reward
from vidreason.tasks import build_instance, get_family
from vidreason.tasks.base import difficulty_of
from vidreason.types import VideoFormat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", nargs="+", default=["projectile", "dominoes", "maze"])
    parser.add_argument("--n", type=int, default=4, help="instances per family")
    args = parser.parse_args()
    fmt = VideoFormat()
    print(f"{'family':16} {'videos/s/core':>14} {'reward ms':>10} {'decode ms':>10} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.families:
            fam = get_family(name)
            batches, decode = [], 0.0
            for i in range(args.n):
                inst, frames = build_instance(fam, 0, i, difficulty_of(fam, i), fmt)
                d = write_instance(inst, frames, Path(tmp) / name / f"{i:05d}")
                t0 = time.process_time()
                truth = read_video(d / "ground_truth.mp4").frames
                decode += time.process_time() - t0
                frozen = np.repeat(truth[:1], len(truth), axis=0)
                batches.append((d, [truth, frozen, truth[::-1].copy()]))
            reward(batches[0][1], batches[0][0])  # imports and caches out of the timing
            t0 = time.process_time()
            for d, videos in batches:
                reward(videos, d)
            cpu = time.process_time() - t0
            n = 3 * len(batches)
            per = 1000 * cpu / n
            floor = 1000 * decode / len(batches)
            print(f"{name:16} {n / cpu:14.2f} {per:10.1f} {floor:10.1f} {per / floor:6.2f}")


if __name__ == "__main__":
    main()
