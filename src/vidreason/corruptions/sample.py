"""What a corruption returns and how it is written: a ``Sample`` (frames, frame rate,
timestamps, codec), ``encode`` for H.264, MPEG-4, VP9, MJPEG and HEVC, and the small
helpers the corruptions are built from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from vidreason.types import Instance

CODECS = {  # codec name -> (container, PyAV encoder, pixel format, options)
    "h264": ("mp4", "libx264", "yuv420p", {}),
    "mpeg4": ("mp4", "mpeg4", "yuv420p", {}),  # the encoder's defaults, as `ffmpeg -c:v mpeg4`
    "vp9": ("webm", "libvpx-vp9", "yuv420p", {"crf": "40", "b": "0", "deadline": "realtime"}),
    "mjpeg": ("avi", "mjpeg", "yuvj420p", {}),  # the encoder's defaults
    "hevc": ("mp4", "libx265", "yuv420p", {"crf": "30", "x265-params": "log-level=error"}),
}


@dataclass(frozen=True)
class Sample:
    frames: np.ndarray
    fps: float
    pts: list[int] | None = None  # timestamps in units of 1/fps (gaps: dropped frames)
    codec: str = "h264"
    crf: int = 18  # H.264 only


Fn = Callable[[Instance, np.ndarray, np.random.Generator], "Sample | None"]


def encode(sample: Sample, stem: Path) -> Path:
    """Write ``sample`` with its codec next to ``stem`` (the suffix is the codec's)."""
    from vidreason.render.video_io import write_mp4

    if sample.codec == "h264":
        return write_mp4(
            sample.frames, stem.with_suffix(".mp4"), sample.fps, sample.crf, sample.pts
        )
    import av

    container, codec, pix, options = CODECS[sample.codec]
    path = stem.with_suffix("." + container)
    rate = Fraction(sample.fps).limit_denominator(1001)
    h, w = sample.frames.shape[1:3]
    stamps = list(range(len(sample.frames))) if sample.pts is None else list(sample.pts)
    with av.open(str(path), mode="w", format=None if container != "avi" else "avi") as out:
        stream = out.add_stream(codec, rate=rate)
        if not isinstance(stream, av.VideoStream):
            raise ValueError(f"{sample.codec} is not a video codec")
        stream.width, stream.height, stream.pix_fmt = w, h, pix
        stream.thread_count = 1
        stream.options = dict(options)
        stream.codec_context.time_base = 1 / rate
        for frame, stamp in zip(sample.frames, stamps, strict=True):
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            vf = vf.reformat(format=pix)
            vf.pts, vf.time_base = stamp, 1 / rate
            for packet in stream.encode(vf):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def same(
    inst: Instance,
    frames: np.ndarray,
    pts: list[int] | None = None,
    codec: str = "h264",
    crf: int = 18,
) -> Sample:
    """``frames`` at the instance's own frame rate."""
    fps = float(inst.spec.fmt.fps)
    return Sample(np.ascontiguousarray(frames), fps, pts=pts, codec=codec, crf=crf)


def per_frame(fn: Callable[[np.ndarray, int, np.random.Generator], np.ndarray]) -> Fn:
    def run(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample:
        return same(inst, np.stack([fn(f, i, rng) for i, f in enumerate(truth)]))

    return run


def clip(f: np.ndarray) -> np.ndarray:
    return np.clip(f, 0, 255).astype(np.uint8)


def on_frames(fn: Callable[[np.ndarray, np.random.Generator], np.ndarray]) -> Fn:
    def run(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample:
        return same(inst, fn(truth, rng))

    return run


def chain(*fns: Fn) -> Fn:
    """Several nuisances at once, applied in order, each to the frames the one before
    gave. The first sets the time (frame rate, timestamps: put a change of frame rate or
    of start first); each later one must keep the frame count; the codec is the last one
    that chose one other than H.264 at CRF 18. None if any part does not apply."""

    def run(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample | None:
        first = fns[0](inst, truth, rng)
        if first is None:
            return None
        out = first
        for fn in fns[1:]:
            step = fn(inst, out.frames, rng)
            if step is None:
                return None
            if len(step.frames) != len(out.frames):
                raise ValueError("only the first nuisance of a chain may change the frame count")
            coded = (step.codec, step.crf) != ("h264", 18)
            out = Sample(
                step.frames,
                first.fps,
                first.pts,
                step.codec if coded else out.codec,
                step.crf if coded else out.crf,
            )
        return out

    return run
