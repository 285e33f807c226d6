"""Generation rate: instances per CPU second, per family, at a format (default 256x256,
48 frames), each instance built and written as ``vidreason generate`` writes it (suite
folder: PNGs, H.264, task.json, questions). CPU time is this process's and its children's
(user + system), so a loaded machine does not skew it; each family is warmed up first
(imports, engines) on another seed, and its scene cache is cleared before timing.

    python benchmarks/generation.py [--n 12] [--family projectile-v1 ...]
        [--width 256 --height 256 --frames 48] [--profile 25]

``--profile K`` prints the top K entries (cumulative time) of a cProfile of each family;
``--own`` adds the family's own CPU ms an instance: all but writing the PNGs and the
H.264 (``instance_io.write_png``, ``video_io.write_mp4``, timed as they run): sampling,
simulating, drawing, questions, the truth's outcome, task.json.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import pstats
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


@contextmanager
def writing_timed() -> Iterator[list[float]]:
    """While open, ``write_png`` and ``write_mp4`` add the CPU seconds they take to the
    one number in the list given."""
    import vidreason.instance_io as instance_io
    import vidreason.render.video_io as video_io

    spent = [0.0]

    def timed(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[0] += time.process_time() - t0

        return run

    png, mp4 = instance_io.write_png, video_io.write_mp4
    instance_io.write_png, video_io.write_mp4 = timed(png), timed(mp4)
    try:
        yield spent
    finally:
        instance_io.write_png, video_io.write_mp4 = png, mp4


def rate(family: str, n: int, fmt: VideoFormat, profile: int = 0) -> tuple[float, int, float]:
    """Instances per CPU second, the number of instances written, and the family's own
    CPU ms an instance (all but writing the PNGs and the H.264)."""
    count = n + n % 2 if get_family(family).paired else n
    with tempfile.TemporaryDirectory() as tmp:
        write_family(family, 1, fmt, Path(tmp) / "warm", seed=1)
        forget_scenes()
        prof = cProfile.Profile() if profile else None
        with writing_timed() as writing:
            t0 = cpu_seconds()
            if prof is not None:
                prof.enable()
            write_family(family, n, fmt, Path(tmp) / "timed")
            if prof is not None:
                prof.disable()
            spent = cpu_seconds() - t0
    if prof is not None:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(profile)
    return count / spent, count, 1000 * (spent - writing[0]) / count


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
    parser.add_argument("--own", action="store_true", help="and the family's own ms")
    args = parser.parse_args()
    fmt = VideoFormat(args.width, args.height, args.fps, args.frames, style=args.style)
    print(
        f"{'family':24} {'n':>4} {'inst/CPU-s':>11}{'  own ms' if args.own else ''}"
        f"  ({fmt.width}x{fmt.height}, {fmt.n_frames} frames, {fmt.style})"
    )
    for family in args.family or FAMILIES.names():
        per_s, count, own = rate(family, args.n, fmt, args.profile)
        mine = f" {own:7.1f}" if args.own else ""
        print(f"{family:24} {count:4d} {per_s:11.2f}{mine}", flush=True)


if __name__ == "__main__":
    main()
