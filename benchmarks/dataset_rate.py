"""Generation rate of training-data shards against suite folders: instances per CPU
second (one process), for a few families, and what packing costs.

    python benchmarks/dataset_rate.py [--n 12] [--family bounce-v1 ...]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from vidreason.dataset import generate_dataset
from vidreason.suites import generate_suite
from vidreason.tasks.base import forget_scenes
from vidreason.types import VideoFormat

FAMILIES = ["bounce-v1", "collision-v1", "projectile-v1", "maze-v1", "dominoes-v1"]


def rate(make: Callable[..., object], count: int, *args: object, **kw: object) -> float:
    """``count`` over the CPU seconds ``make(*args, **kw)`` takes in this process."""
    forget_scenes()
    t0 = time.process_time()
    make(*args, **kw)
    return count / (time.process_time() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=12, help="instances per family")
    parser.add_argument("--family", action="append", help="families (default: a few 2D ones)")
    args = parser.parse_args()
    fmt = VideoFormat()
    print(f"{'family':16} {'folders/s':>10} {'tar/s':>8} {'parquet/s':>10}  (per CPU second)")
    for fid in args.family or FAMILIES:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            kw: dict[str, object] = {"fmt": fmt, "families": [fid], "workers": 1}
            folders = rate(generate_suite, args.n, "core", out / "s", n=args.n, **kw)
            tar = rate(generate_dataset, args.n, out / "w", args.n, "webdataset", **kw)
            pq = rate(generate_dataset, args.n, out / "p", args.n, "parquet", **kw)
        print(f"{fid:16} {folders:10.1f} {tar:8.1f} {pq:10.1f}")


if __name__ == "__main__":
    main()
