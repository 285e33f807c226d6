"""Read and write videos with PyAV (H.264 out, anything FFmpeg decodes in).

``write_mp4`` is deterministic: the same frames give byte-identical files (one encoder
thread, fixed options, no timestamps in the metadata). ``read_video`` raises
``VideoError`` with a one-line message naming the file for anything it cannot decode.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


class VideoError(ValueError):
    """A video that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Video:
    frames: np.ndarray  # (n, h, w, 3) uint8 RGB
    fps: float
    times: np.ndarray | None = None  # presentation time of each frame, s (None: unknown)

    @property
    def n_frames(self) -> int:
        return int(self.frames.shape[0])


def rgb_to_yuv420p(rgb: np.ndarray) -> np.ndarray:
    """BT.601 limited-range YUV 4:2:0, planes stacked as (h * 3 / 2, w), in NumPy: the same
    pixels give the same bytes whatever FFmpeg's own converter would do on this CPU."""
    h, w = rgb.shape[:2]
    f = rgb.astype(np.float32)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0
    cb = 128.0 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0
    cr = 128.0 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0

    def plane(c: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(c), 0, 255).astype(np.uint8)

    def half(c: np.ndarray) -> np.ndarray:
        return (c[0::2, 0::2] + c[1::2, 0::2] + c[0::2, 1::2] + c[1::2, 1::2]) * 0.25

    return np.concatenate(
        [plane(y).reshape(-1), plane(half(cb)).reshape(-1), plane(half(cr)).reshape(-1)]
    ).reshape(h * 3 // 2, w)


def write_mp4(
    frames: np.ndarray | list[np.ndarray],
    path: Path,
    fps: float,
    crf: int = 18,
    pts: list[int] | None = None,
) -> Path:
    """Encode RGB frames as H.264 (yuv420p). Width and height must be even. ``pts`` gives
    each frame's timestamp in units of 1/fps (default 0, 1, 2, ...): gaps are dropped frames."""
    arr = np.asarray(frames, dtype=np.uint8)
    if arr.ndim != 4 or arr.shape[-1] != 3 or arr.shape[0] == 0:
        raise ValueError(f"expected frames shaped (n, h, w, 3), got {arr.shape}")
    h, w = arr.shape[1:3]
    if h % 2 or w % 2:
        raise ValueError(f"H.264 needs even width and height, got {w}x{h}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), mode="w", format="mp4", options={"fflags": "+bitexact"}) as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuv420p"
        stream.thread_count = 1
        stream.options = {"crf": str(crf), "preset": "medium", "threads": "1"}
        stream.codec_context.time_base = 1 / rate
        stamps = list(range(len(arr))) if pts is None else list(pts)
        if len(stamps) != len(arr) or np.any(np.diff(stamps) <= 0):
            raise ValueError("pts must be increasing, one per frame")
        for frame, stamp in zip(arr, stamps, strict=True):
            vf = av.VideoFrame.from_ndarray(rgb_to_yuv420p(frame), format="yuv420p")
            vf.pts, vf.time_base = stamp, 1 / rate
            for packet in stream.encode(vf):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def read_video(path: Path, max_frames: int = 2000) -> Video:
    """Decode every frame of a video to RGB. Raises VideoError with the file's name."""
    path = Path(path)
    if not path.is_file():
        raise VideoError(f"{path}: no such video file")
    if path.stat().st_size == 0:
        raise VideoError(f"{path}: the file is empty")
    frames: list[np.ndarray] = []
    stamps: list[float | None] = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoError(f"{path}: the file has no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            fps = float(rate) if rate else 0.0
            for frame in container.decode(stream):
                frames.append(frame.to_ndarray(format="rgb24"))
                stamps.append(None if frame.time is None else float(frame.time))
                if len(frames) > max_frames:
                    raise VideoError(f"{path}: more than {max_frames} frames")
    except VideoError:
        raise
    except (av.FFmpegError, ValueError, OSError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0] or type(exc).__name__
        raise VideoError(f"{path}: cannot decode the video ({reason})") from None
    if not frames:
        raise VideoError(f"{path}: the video has no frames")
    if fps <= 0:
        fps = float(len(frames))
    shapes = {f.shape for f in frames}
    if len(shapes) != 1:
        raise VideoError(f"{path}: frames change size mid-video ({sorted(shapes)})")
    times = None
    if all(t is not None for t in stamps):
        arr = np.asarray(stamps, dtype=float)
        if len(arr) < 2 or np.all(np.diff(arr) > 0):
            times = arr - arr[0]
    return Video(frames=np.stack(frames), fps=fps, times=times)
