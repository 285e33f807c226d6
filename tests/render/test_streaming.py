"""Decoding streams: a clip of any length or resolution costs the memory of the part that
is scored at the task's resolution, never the whole clip at its own size."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import av
import numpy as np
import pytest

from vidreason.instance_io import write_instance
from vidreason.render.video_io import read_video, write_mp4
from vidreason.scoring import score_video
from vidreason.tasks import build_instance, get_family
from vidreason.types import VideoFormat


def _write_held(frames: np.ndarray, n: int, fps: int, path: Path) -> Path:
    """``frames`` followed by the last one held until there are ``n``, quickly encoded."""
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for i in range(n):
            if i < len(frames):
                vf = av.VideoFrame.from_ndarray(frames[i], format="rgb24").reformat(
                    format="yuv420p"
                )
            vf.pts = i
            for packet in stream.encode(vf):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_a_clip_of_2500_frames_is_scored_on_the_task_duration(tmp_path):
    family = get_family("projectile-v1")
    inst, frames = build_instance(family, 0, 0, 1, VideoFormat())
    task = write_instance(inst, frames, tmp_path / "task")
    truth = read_video(task / "ground_truth.mp4").frames
    # the true motion, then its last frame held for 150 s more
    video = _write_held(truth, 2500, inst.spec.fmt.fps, tmp_path / "long.mp4")
    start = time.perf_counter()
    score = score_video(video, task)
    elapsed = time.perf_counter() - start
    assert score.error == "", score.error
    assert score.passed and score.value > 0.9, score.explanation
    assert elapsed < 10.0  # the 2,452 held frames after the task's duration are not decoded


CHILD = """
import sys
from vidreason.render.video_io import read_video
def status_kb(key):  # VmHWM: this process's peak resident memory since exec
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
read_video(sys.argv[2], size=(64, 64))  # warm up the decoder and its libraries
before = status_kb("VmHWM")
video = read_video(sys.argv[1], size=(256, 256))
print(video.frames.shape[0], status_kb("VmHWM") - before)
"""


def _write_large(path: Path, n: int, w: int, h: int) -> Path:
    """A moving square on a light picture at ``w`` x ``h``, quickly encoded."""
    frame = np.full((h, w, 3), 200, np.uint8)

    def frames():
        for i in range(n):
            f = frame.copy()
            f[h // 3 : h // 3 + h // 8, i * 8 : i * 8 + h // 8] = (200, 30, 30)
            yield f

    return write_mp4(frames(), path, fps=30, crf=30, preset="ultrafast")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_decoding_a_large_clip_holds_no_full_size_frames(tmp_path):
    n, w, h = 90, 1920, 1080
    big = _write_large(tmp_path / "big.mp4", n, w, h)
    small = write_mp4(np.full((4, 64, 64, 3), 200, np.uint8), tmp_path / "s.mp4", fps=30)
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CHILD), str(big), str(small)],
        capture_output=True,
        text=True,
        check=True,
    )
    kept, grown_kb = (int(v) for v in run.stdout.split())
    assert kept == n
    frame_kb = w * h * 3 // 1024
    assert grown_kb < 12 * frame_kb, f"decoding grew memory by {grown_kb // 1024} MB"
