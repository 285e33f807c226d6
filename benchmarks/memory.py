"""Peak memory of scoring one video, by the video's resolution and length.

Writes three clips of one projectile task: its ground truth (256x256, 48 frames), the same
motion upscaled to 4K (3840x2160, the square picture between pillarbox bars) and held to
``--frames`` frames, and the ground truth held to 2,500 frames. Each is scored by
``score_video`` in a fresh process, which reports its peak resident memory. Decoding
streams (frames are cropped and resized to the task's resolution as they come, and
nothing after the task's duration is read), so the three peaks should be about equal.

    python benchmarks/memory.py [--frames 150] [--long 2500]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np

from vidreason.instance_io import write_instance
from vidreason.render.video_io import read_video
from vidreason.tasks import build_instance, get_family
from vidreason.types import VideoFormat

CHILD = """
import json, resource, sys, time
from pathlib import Path
from vidreason.scoring import score_video

def hwm_mb():
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)

start = time.perf_counter()
score = score_video(Path(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps({"peak_mb": hwm_mb(), "seconds": time.perf_counter() - start,
                  "value": score.value, "error": score.error}))
"""


def encode(frames: Iterator[np.ndarray], path: Path, fps: int) -> Path:
    """H.264 with FFmpeg's own colour conversion and the fastest preset (4K is slow)."""
    with av.open(str(path), mode="w") as out:
        stream = None
        for i, frame in enumerate(frames):
            if stream is None:
                stream = out.add_stream("libx264", rate=fps)
                stream.width, stream.height = frame.shape[1], frame.shape[0]
                stream.pix_fmt = "yuv420p"
                stream.options = {"preset": "ultrafast", "crf": "23"}
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format="yuv420p")
            vf.pts = i
            for packet in stream.encode(vf):
                out.mux(packet)
        if stream is not None:
            for packet in stream.encode():
                out.mux(packet)
    return path


def held(frames: np.ndarray, n: int) -> Iterator[np.ndarray]:
    """``frames``, then the last one repeated until there are ``n``."""
    for i in range(n):
        yield frames[min(i, len(frames) - 1)]


def to_4k(frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """Each frame upscaled to 2160x2160 between black bars, 3840x2160 in all."""
    canvas = np.zeros((2160, 3840, 3), np.uint8)
    for frame in frames:
        canvas[:, 840:3000] = cv2.resize(frame, (2160, 2160), interpolation=cv2.INTER_LINEAR)
        yield canvas


def measure(video: Path, task: Path) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(video), str(task)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=150, help="frames of the 4K clip")
    parser.add_argument("--long", type=int, default=2500, help="frames of the long clip")
    args = parser.parse_args()
    family = get_family("projectile-v1")
    inst, frames = build_instance(family, 0, 0, 1, VideoFormat())
    fps = inst.spec.fmt.fps
    with tempfile.TemporaryDirectory(prefix="vidreason-memory-") as tmp:
        task = write_instance(inst, frames, Path(tmp) / "task")
        truth = read_video(task / "ground_truth.mp4").frames
        t0 = time.perf_counter()
        clips = [
            ("ground truth", "256x256", len(truth), task / "ground_truth.mp4"),
            (
                "4K, pillarbox",
                "3840x2160",
                args.frames,
                encode(to_4k(held(truth, args.frames)), Path(tmp) / "4k.mp4", fps),
            ),
            (
                "long",
                "256x256",
                args.long,
                encode(held(truth, args.long), Path(tmp) / "l.mp4", fps),
            ),
        ]
        print(f"clips written in {time.perf_counter() - t0:.0f} s")
        print(
            f"{'clip':16} {'size':>10} {'frames':>7} {'file MB':>8} {'peak MB':>8}"
            f" {'vs truth':>9} {'score s':>8} {'value':>6}"
        )
        base = None
        for name, size, n, path in clips:
            m = measure(path, task)
            base = base or m["peak_mb"]
            print(
                f"{name:16} {size:>10} {n:>7} {path.stat().st_size / 2**20:>8.1f}"
                f" {m['peak_mb']:>8.0f} {round(m['peak_mb'] - base):>+9d} {m['seconds']:>8.2f}"
                f" {m['value']:>6.3f}" + (f"  {m['error']}" if m["error"] else "")
            )


if __name__ == "__main__":
    main()
