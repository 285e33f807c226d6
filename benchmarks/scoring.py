"""Scoring cost over the floor: CPU time (user + system, child processes included) to score
each family's ground-truth videos, over the CPU time of a plain PyAV decode of the same
files to RGB in one process (``frame.to_ndarray(format="rgb24")``, the floor any scorer
pays). CPU time, not wall time, so a loaded machine does not skew the ratios.

    python benchmarks/scoring.py --suite-dir SUITE [--families ...] [--no-cli] [--one-thread]
    python benchmarks/scoring.py --n 4 --width 832 --height 480 --frames 81

Without ``--suite-dir`` a suite of ``--n`` instances per family is generated first (not
timed). Per family it prints the decode floor and the in-process ``score_video`` time per
video and their ratio, and the ratio of a whole ``vidreason score --workers 1`` process
(interpreter start, imports, store and all) over the same decode; the last line holds
the same for every family's videos in one ``vidreason score`` process. Every family's
verifier modules are imported before the in-process timing (the first video of a 3D
family would otherwise time SciPy's import); ``--one-thread`` runs OpenCV on one thread
in-process, as the runner does in each of its processes (OpenCV's own threads cost CPU
for little wall time). With a few videos a family, a family's whole-CLI ratio is mostly
the process's start (about 0.75 s of CPU: imports, OpenCV's Lab tables); the last line,
every family's videos in one process, spreads it. A speed-up leaves every score as it was:
compare every check's value and explanation before and after on a set of
truths and corruptions (README, "How a video is seen").
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import av


def cpu() -> float:
    """CPU seconds of this process and of its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def plain_decode(videos: list[Path]) -> float:
    """CPU seconds to decode ``videos`` to RGB arrays with PyAV, nothing else."""
    t0 = cpu()
    for path in videos:
        with av.open(str(path)) as container:
            for frame in container.decode(container.streams.video[0]):
                frame.to_ndarray(format="rgb24")
    return cpu() - t0


def in_process(dirs: list[Path]) -> float:
    from vidreason.scoring import score_video

    t0 = cpu()
    for d in dirs:
        score_video(d / "ground_truth.mp4", d)
    return cpu() - t0


def load_verifiers(fids: list[str]) -> None:
    """Import every family's verifier modules (a family names its verifier functions, and
    the first video a family scores imports them: SciPy for the 3D families), so the
    in-process times hold scoring alone."""
    import dataclasses

    from vidreason.tasks import get_family
    from vidreason.tasks.base import Hook, resolve

    for fid in fids:
        family = get_family(fid)
        for f in dataclasses.fields(family):
            hook = getattr(family, f.name)
            if isinstance(hook, Hook):
                resolve(hook.target)


def whole_cli(suite: Path, dirs: list[Path], work: Path) -> float:
    """CPU seconds of one ``vidreason score --workers 1`` process over ``dirs``' ground
    truths (a suite folder of links to them)."""
    if work.exists():
        shutil.rmtree(work)
    sub, videos = work / "suite", work / "videos"
    sub.mkdir(parents=True)
    shutil.copy(suite / "suite.json", sub / "suite.json")
    for d in dirs:
        (sub / d.parent.name).mkdir(exist_ok=True)
        (sub / d.parent.name / d.name).symlink_to(d.resolve())
        (videos / d.parent.name).mkdir(parents=True, exist_ok=True)
        (videos / d.parent.name / f"{d.name}.mp4").symlink_to((d / "ground_truth.mp4").resolve())
    cmd = [sys.executable, "-c", "import sys; from vidreason.cli import app; sys.exit(app())"]
    args = ["score", "--suite-dir", str(sub), "--videos", str(videos), "--model-name", "truth"]
    t0 = cpu()
    run = [*cmd, *args, "--out", str(work / "run"), "--workers", "1", "-q"]
    subprocess.run(run, check=True, stdout=subprocess.DEVNULL)
    return cpu() - t0


def generate(out: Path, n: int, width: int, height: int, frames: int) -> None:
    from vidreason.suites import generate_suite
    from vidreason.types import VideoFormat

    fmt = VideoFormat(width=width, height=height, n_frames=frames)
    generate_suite("core", out, n=n, fmt=fmt, workers=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--suite-dir", type=Path, help="a generated suite (default: generate)")
    parser.add_argument("--n", type=int, default=2, help="instances per family to generate")
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--height", type=int, default=256)
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--families", nargs="*", help="only these family ids (name-vN)")
    parser.add_argument("--no-cli", action="store_true", help="skip the whole-CLI runs")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--one-thread", action="store_true", help="OpenCV on one thread in-process")
    args = parser.parse_args()
    if args.one_thread:
        import cv2

        cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as tmp:
        suite = args.suite_dir
        if suite is None:
            suite = Path(tmp) / "suite"
            generate(suite, args.n, args.width, args.height, args.frames)
        by_family: dict[str, list[Path]] = {}
        for task in sorted(suite.glob("*/*/task.json")):
            by_family.setdefault(task.parent.parent.name, []).append(task.parent)
        if args.families:
            by_family = {k: v for k, v in by_family.items() if k in args.families}
        load_verifiers(list(by_family))
        in_process(next(iter(by_family.values()))[:1])  # imports and caches: not timed
        print(
            f"{'family':24} {'videos':>6} {'decode ms':>10} {'score ms':>9}"
            f" {'in-process':>11} {'whole CLI':>10}"
        )
        rows = {}
        for fid, dirs in by_family.items():
            decode = plain_decode([d / "ground_truth.mp4" for d in dirs])
            score = in_process(dirs)
            cli = float("nan") if args.no_cli else whole_cli(suite, dirs, Path(tmp) / "cli")
            n = len(dirs)
            rows[fid] = {"videos": n, "decode_s": decode, "score_s": score, "cli_s": cli}
            print(
                f"{fid:24} {n:6d} {decode / n * 1e3:10.1f} {score / n * 1e3:9.1f}"
                f" {score / decode:10.2f}x {cli / decode:9.2f}x",
                flush=True,
            )
        decode = sum(r["decode_s"] for r in rows.values())
        score = sum(r["score_s"] for r in rows.values())
        every = [d for dirs in by_family.values() for d in dirs]
        cli = float("nan") if args.no_cli else whole_cli(suite, every, Path(tmp) / "cli")
        print(
            f"{'all, one process':24} {len(every):6d} {decode / len(every) * 1e3:10.1f}"
            f" {score / len(every) * 1e3:9.1f} {score / decode:10.2f}x {cli / decode:9.2f}x"
        )
        if args.json:
            total = {"videos": len(every), "decode_s": decode, "score_s": score, "cli_s": cli}
            args.json.write_text(json.dumps({"families": rows, "all": total}, indent=1))


if __name__ == "__main__":
    main()
