"""Throughput: task instances generated per second per core, and scoring time over the
time it takes only to decode the same videos (the floor any scorer pays).

    python benchmarks/throughput.py [--n 6]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from vidreason.instance_io import write_instance
from vidreason.render.video_io import read_video
from vidreason.scoring import score_video
from vidreason.tasks import FAMILIES, build_instance, get_family
from vidreason.tasks.base import difficulty_of
from vidreason.types import VideoFormat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=6, help="instances per family")
    args = parser.parse_args()
    fmt = VideoFormat()
    print(
        f"{'family':24} {'gen/s/core':>10} {'decode ms':>10} {'score ms':>9} {'score/decode':>13}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for fid in FAMILIES.names():
            fam = get_family(fid)
            dirs = []
            t0 = time.perf_counter()
            for i in range(args.n):
                inst, frames = build_instance(fam, 0, i, difficulty_of(fam, i), fmt)
                dirs.append(write_instance(inst, frames, Path(tmp) / fid / f"{i:05d}"))
            gen = (time.perf_counter() - t0) / args.n
            t0 = time.perf_counter()
            for d in dirs:
                read_video(d / "ground_truth.mp4")
            decode = (time.perf_counter() - t0) / args.n
            t0 = time.perf_counter()
            for d in dirs:
                score_video(d / "ground_truth.mp4", d)
            score = (time.perf_counter() - t0) / args.n
            print(
                f"{fid:24} {1 / gen:10.1f} {decode * 1e3:10.1f} {score * 1e3:9.1f}"
                f" {score / decode:13.2f}"
            )


if __name__ == "__main__":
    main()
