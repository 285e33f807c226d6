"""Read and write videos with PyAV (H.264 out, anything FFmpeg decodes in).

``write_mp4`` is deterministic: the same frames give byte-identical files (one encoder
thread, fixed options, no timestamps in the metadata). Reading streams: ``decode`` yields
one full-size frame at a time, and ``read_video`` with a ``size`` crops black letterbox or
pillarbox bars (found on the first ``BAR_SAMPLE`` frames) and resizes each frame as it is
decoded (the first frames are kept while the bars are looked for, and decoded twice
only when they are large), and with ``until`` stops after that many seconds, so a 4K
clip or one of hours costs no more memory than the part that is scored. Errors are ``VideoError`` with a
one-line message naming the file.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from vidreason.render.encoding import x264_params
from vidreason.render.yuv import yuv420p_frames

BT601 = 6  # FFmpeg's AVCOL_SPC / AVCOL_PRI / AVCOL_TRC_SMPTE170M
TV_RANGE = 1  # AVCOL_RANGE_MPEG: limited range


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


def write_mp4(
    frames: np.ndarray | Iterable[np.ndarray],
    path: Path,
    fps: float,
    crf: int = 18,
    pts: Sequence[int] | None = None,
    preset: str = "medium",
    tuning: str = "",
) -> Path:
    """Encode RGB frames as H.264 (yuv420p). Width and height must be even. ``pts`` gives
    each frame's timestamp in units of 1/fps (default 0, 1, 2, ...): gaps are dropped frames.
    ``frames`` may be any iterable (a generator is encoded one frame at a time). ``tuning``:
    x264 options beyond the preset (``name=value`` joined by ``:``)."""
    stream_in = iter(frames)
    first = next(stream_in, None)
    if first is None:
        raise ValueError("expected frames shaped (n, h, w, 3), got no frames")
    first = np.asarray(first, dtype=np.uint8)
    if first.ndim != 3 or first.shape[-1] != 3:
        raise ValueError(f"expected frames shaped (n, h, w, 3), got frames of {first.shape}")
    h, w = first.shape[:2]
    if h % 2 or w % 2:
        raise ValueError(f"H.264 needs even width and height, got {w}x{h}")
    if pts is not None and np.any(np.diff(list(pts)) <= 0):
        raise ValueError("pts must be increasing, one per frame")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = Fraction(fps).limit_denominator(1001)
    count = 0
    with av.open(str(path), mode="w", format="mp4", options={"fflags": "+bitexact"}) as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuv420p"
        stream.thread_count = 1
        options: dict[str, object] = {"crf": str(crf), "preset": preset, "threads": "1"}
        if params := ":".join(p for p in (x264_params(), tuning) if p):
            options["x264-params"] = params
        stream.options = options
        stream.codec_context.time_base = 1 / rate
        # the stream says what the planes are (BT.601, limited range: ``render.yuv``), so a
        # player does not take a 720p clip's for BT.709; decoding here reads the same pixels
        cc = stream.codec_context
        cc.colorspace, cc.color_range, cc.color_primaries, cc.color_trc = (
            BT601,
            TV_RANGE,
            BT601,
            BT601,
        )
        for yuv in yuv420p_frames(_same_shape(itertools.chain([first], stream_in), first)):
            if pts is not None and count >= len(pts):
                raise ValueError("pts must be increasing, one per frame")
            vf = _yuv_frame(yuv, w, h)
            vf.pts, vf.time_base = (count if pts is None else int(pts[count])), 1 / rate
            for packet in stream.encode(vf):
                out.mux(packet)
            count += 1
        for packet in stream.encode():
            out.mux(packet)
    if pts is not None and count != len(pts):
        raise ValueError("pts must be increasing, one per frame")
    return path


def _yuv_frame(yuv: np.ndarray, w: int, h: int) -> av.VideoFrame:
    """A yuv420p frame of the planes stacked as (h * 3 / 2, w): the planes copied in
    whole when FFmpeg lays them out unpadded (a fifth of ``from_ndarray``'s time), row by
    row by ``from_ndarray`` otherwise."""
    frame = av.VideoFrame(w, h, "yuv420p")
    sizes = (w * h, w * h // 4, w * h // 4)
    if any(
        p.line_size != p.width or p.buffer_size != n
        for p, n in zip(frame.planes, sizes, strict=True)
    ):
        return av.VideoFrame.from_ndarray(yuv, format="yuv420p")
    flat = yuv.reshape(-1)
    at = 0
    for plane, n in zip(frame.planes, sizes, strict=True):
        plane.update(flat[at : at + n])  # type: ignore[arg-type]  # any buffer, not only bytes
        at += n
    return frame


def _same_shape(frames: Iterator[np.ndarray], first: np.ndarray) -> Iterator[np.ndarray]:
    for count, frame in enumerate(frames):
        frame = np.asarray(frame, dtype=np.uint8)
        if frame.shape != first.shape:
            raise ValueError(f"frame {count} is {frame.shape}, the first {first.shape}")
        yield frame


MAX_FRAMES = 2000  # frames ``read_video`` keeps at most
BAR_SAMPLE = 16  # leading frames whose brightest pixels locate black bars
BAR_LEVEL = 24.0  # a row or column of bars stays at or below this brightness


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc).splitlines()[0] or type(exc).__name__


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise VideoError(f"{path}: no such video file")
    if path.stat().st_size == 0:
        raise VideoError(f"{path}: the file is empty")


def frame_rate(path: Path) -> float:
    """The stream's average frame rate (0.0 when the container does not say)."""
    path = Path(path)
    _check_file(path)
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoError(f"{path}: the file has no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            return float(rate) if rate else 0.0
    except VideoError:
        raise
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise VideoError(f"{path}: cannot decode the video ({_reason(exc)})") from None


Frames = Generator[tuple[np.ndarray, float | None], None, None]


def decode(path: Path) -> Frames:
    """Each frame as (full-size RGB array, timestamp in seconds or None), one at a time:
    nothing but the frame in hand is kept, whatever the video's size and length."""
    path = Path(path)
    _check_file(path)
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoError(f"{path}: the file has no video stream")
            # one converter for the whole stream: the same pixels as ``to_ndarray(format=
            # "rgb24")``, without setting up FFmpeg's scaler anew for every frame
            rgb = VideoReformatter()
            for frame in container.decode(container.streams.video[0]):
                stamp = None if frame.time is None else float(frame.time)
                yield rgb.reformat(frame, format="rgb24").to_ndarray(), stamp
    except VideoError:
        raise
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise VideoError(f"{path}: cannot decode the video ({_reason(exc)})") from None


def content_box(peak: np.ndarray) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 of the picture inside black bars, given the brightest value each
    pixel takes (h, w, 3): bars are rows and columns whose 90th percentile stays dark."""
    level = peak.max(axis=2) if peak.ndim == 3 else peak
    rows = np.flatnonzero(np.percentile(level, 90, axis=1) > BAR_LEVEL)
    cols = np.flatnonzero(np.percentile(level, 90, axis=0) > BAR_LEVEL)
    h, w = level.shape
    if len(rows) == 0 or len(cols) == 0:
        return 0, 0, w, h
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _peak(frames: Iterable[np.ndarray]) -> np.ndarray | None:
    """The brightest value each pixel takes over ``frames`` and channels (frames of
    another size than the first are passed over)."""
    peak: np.ndarray | None = None
    for frame in frames:
        # the channels' maximum pairwise: numpy's reduction over a last axis of 3 is slow
        level = np.maximum(np.maximum(frame[..., 0], frame[..., 1]), frame[..., 2])
        if peak is None:
            peak = level
        elif level.shape == peak.shape:
            np.maximum(peak, level, out=peak)
    return peak


def bars_box(path: Path, sample: int = BAR_SAMPLE) -> tuple[int, int, int, int]:
    """The picture inside black bars, found on the first ``sample`` frames (one running
    maximum over frames and channels in memory)."""
    peak = _peak(frame for frame, _ in itertools.islice(decode(path), sample))
    if peak is None:
        raise VideoError(f"{path}: the video has no frames")
    return content_box(peak)


BAR_BUFFER = 32 << 20  # bytes: leading frames up to this size are kept, not decoded twice


def _boxed(
    path: Path, stream: Frames
) -> tuple[Iterator[tuple[np.ndarray, float | None]], tuple[int, int, int, int] | None]:
    """The frames of ``stream`` and the box inside their black bars (``bars_box``). The
    first ``BAR_SAMPLE`` frames are kept while they are looked at when they fit in
    ``BAR_BUFFER``; larger ones are read twice, so memory stays bounded."""
    first = next(stream, None)
    if first is None:
        return iter(()), None
    if first[0].nbytes * BAR_SAMPLE > BAR_BUFFER:
        stream.close()
        return decode(path), bars_box(path)
    head = [first, *itertools.islice(stream, BAR_SAMPLE - 1)]
    peak = _peak(frame for frame, _ in head)
    assert peak is not None
    return itertools.chain(head, stream), content_box(peak)


def fit(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` resized to ``size`` (width, height): area averaging when it shrinks,
    bilinear when it grows (the width decides), untouched when it already fits."""
    w, h = size
    ih, iw = image.shape[:2]
    if (iw, ih) == (w, h):
        return np.array(image, copy=True, order="C")
    interp = cv2.INTER_AREA if iw > w else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(image), (w, h), interpolation=interp)


def read_video(
    path: Path,
    size: tuple[int, int] | None = None,
    until: float | None = None,
    max_frames: int | None = MAX_FRAMES,
) -> Video:
    """Decode a video to RGB frames. Raises VideoError with the file's name.

    ``size`` (width, height): crop black bars and resize each frame as it is decoded, so
    only frames of that size are kept. ``until``: stop at the first frame more than that
    many seconds after the first one (by the container's timestamps while they are
    present and increasing, else by frame count and rate). More than ``max_frames`` kept
    frames is an error.
    """
    path = Path(path)
    fps = frame_rate(path)
    stream, box = _boxed(path, decode(path)) if size is not None else (decode(path), None)
    frames: list[np.ndarray] = []
    stamps: list[float | None] = []
    shape: tuple[int, ...] | None = None
    timed = True  # every timestamp so far is present and later than the one before
    for i, (frame, stamp) in enumerate(stream):
        if shape is None:
            shape = frame.shape
        elif frame.shape != shape:
            raise VideoError(
                f"{path}: frames change size mid-video ({shape[1]}x{shape[0]} to"
                f" {frame.shape[1]}x{frame.shape[0]} at frame {i})"
            )
        if stamp is None or (stamps and stamps[-1] is not None and stamp <= stamps[-1]):
            timed = False
        if until is not None:
            first = stamps[0] if stamps else stamp
            if timed and first is not None and stamp is not None:
                if stamp - first > until:
                    break
            elif fps > 0 and i / fps > until:
                break
        if max_frames is not None and len(frames) >= max_frames:
            span = "" if until is None else f" in its first {until:.2f} s"
            raise VideoError(f"{path}: more than {max_frames} frames{span}")
        if box is not None and size is not None:
            x0, y0, x1, y1 = box
            frame = frame[y0:y1, x0:x1]
            if frame.shape[:2] != (size[1], size[0]):
                frame = fit(frame, size)
        frames.append(frame)
        stamps.append(stamp)
    if not frames:
        raise VideoError(f"{path}: the video has no frames")
    if fps <= 0:
        fps = float(len(frames))
    times = None
    if timed and all(t is not None for t in stamps):
        arr = np.asarray(stamps, dtype=float)
        times = arr - arr[0]
    return Video(frames=np.stack(frames), fps=fps, times=times)
