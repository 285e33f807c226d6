"""Generation rate: instances per CPU second, per family, at a format (default 256x256,
48 frames), each instance built and written as ``vidreason generate`` writes it (suite
folder: PNGs, H.264, task.json, questions). CPU time is this process's and its children's
(user + system), so a loaded machine does not skew it; each family is warmed up first
(imports, engines) on another seed, and its scene cache is cleared before timing.

    python benchmarks/generation.py [--n 12] [--family projectile-v1 ...]
        [--width 256 --height 256 --frames 48] [--profile 25]

``--profile K`` prints the top K entries (cumulative time) of a cProfile of each family.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import tempfile
from pathlib import Path

from vidreason.suites import InstanceJob, write_one
from vidreason.tasks import FAMILIES, get_family
from vidreason.tasks.base import forget_scenes
from vidreason.types import STYLES, VideoFormat


def cpu_seconds() -> float:
    """User and system CPU seconds of this process and its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def write_family(family: str, n: int, fmt: VideoFormat, out: Path, seed: int = 0) -> None:
    """Instances ``0 .. n-1`` of ``family`` (whole pairs for a paired family)."""
    count = n + n % 2 if get_family(family).paired else n
    for i in range(count):
        write_one(InstanceJob(family, seed, i, fmt, out / family / f"{i:05d}"))


def rate(family: str, n: int, fmt: VideoFormat, profile: int = 0) -> tuple[float, int]:
    """Instances per CPU second and the number of instances written."""
    count = n + n % 2 if get_family(family).paired else n
    with tempfile.TemporaryDirectory() as tmp:
        write_family(family, 1, fmt, Path(tmp) / "warm", seed=1)
        forget_scenes()
        prof = cProfile.Profile() if profile else None
        t0 = cpu_seconds()
        if prof is not None:
            prof.enable()
        write_family(family, n, fmt, Path(tmp) / "timed")
        if prof is not None:
            prof.disable()
        spent = cpu_seconds() - t0
    if prof is not None:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(profile)
    return count / spent, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=12, help="instances per family")
    parser.add_argument("--family", action="append", help="families (default: every one)")
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--height", type=int, default=256)
    parser.add_argument("--fps", type=int, default=16)
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--profile", type=int, default=0, help="print the top K of a profile")
    parser.add_argument("--style", default="flat", choices=STYLES, help="how scenes are drawn")
    args = parser.parse_args()
    fmt = VideoFormat(args.width, args.height, args.fps, args.frames, style=args.style)
    print(
        f"{'family':24} {'n':>4} {'inst/CPU-s':>11}  ({fmt.width}x{fmt.height},"
        f" {fmt.n_frames} frames, {fmt.style})"
    )
    for family in args.family or FAMILIES.names():
        per_s, count = rate(family, args.n, fmt, args.profile)
        print(f"{family:24} {count:4d} {per_s:11.2f}", flush=True)


if __name__ == "__main__":
    main()
