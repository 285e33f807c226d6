"""One registry of corruptions with magnitudes: nuisances a verifier must tolerate and
violations it must catch, each applied to a ground-truth video.

A ``Corruption`` has a ``group`` (zoom, shake, vanish, gravity, ...) and a ``magnitude``
in the group's ``unit``, so a report can show the largest harmless change a family
tolerates and the smallest violation it catches, and how the score falls as a violation
grows. Each function takes ``(instance, truth, rng)`` (``truth``: the decoded true video,
(T, H, W, 3) uint8) and returns a ``Sample`` (frames, frame rate, timestamps, codec), or
None where the corruption does not apply (gravity in a scene without gravity).

To add one: write a function returning a ``Sample`` and add a ``Corruption`` to
``CORRUPTIONS`` with its kind, group and magnitude.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from vidreason import violations as planted
from vidreason.tasks.palette import COLOURS
from vidreason.types import Instance

CODECS = {  # codec name -> (container, PyAV encoder, pixel format, options)
    "h264": ("mp4", "libx264", "yuv420p", {}),
    "mpeg4": ("mp4", "mpeg4", "yuv420p", {"qscale": "6"}),
    "vp9": ("webm", "libvpx-vp9", "yuv420p", {"crf": "40", "b": "0", "deadline": "realtime"}),
    "mjpeg": ("avi", "mjpeg", "yuvj420p", {"qscale": "8"}),
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


@dataclass(frozen=True)
class Corruption:
    name: str
    kind: str  # "nuisance" (must pass) | "violation" (must fail)
    group: str
    magnitude: float
    unit: str
    fn: Fn


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


def _same(inst: Instance, frames: np.ndarray, **kw: object) -> Sample:
    return Sample(frames=np.ascontiguousarray(frames), fps=float(inst.spec.fmt.fps), **kw)  # type: ignore[arg-type]


def _per_frame(fn: Callable[[np.ndarray, int, np.random.Generator], np.ndarray]) -> Fn:
    def run(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample:
        return _same(inst, np.stack([fn(f, i, rng) for i, f in enumerate(truth)]))

    return run


def _clip(f: np.ndarray) -> np.ndarray:
    return np.clip(f, 0, 255).astype(np.uint8)


# ---- camera ---------------------------------------------------------------------------


def zoom(fraction: float) -> Fn:
    """``fraction`` of the width and height cut from each side, resized back."""

    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        h, w = f.shape[:2]
        dx, dy = round(w * fraction), round(h * fraction)
        return cv2.resize(f[dy : h - dy, dx : w - dx], (w, h), interpolation=cv2.INTER_LINEAR)

    return _per_frame(fn)


def _warp(f: np.ndarray, m: np.ndarray) -> np.ndarray:
    h, w = f.shape[:2]
    return cv2.warpAffine(f, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def shake(px: float) -> Fn:
    """Every frame shifted by a random offset of up to ``px`` in x and y."""

    def fn(f: np.ndarray, _i: int, rng: np.random.Generator) -> np.ndarray:
        dx, dy = rng.uniform(-px, px, 2)
        return _warp(f, np.float32([[1, 0, dx], [0, 1, dy]]))

    return _per_frame(fn)


def drift(px: float, scale: float) -> Fn:
    """A slow pan of ``px`` and a zoom to ``scale`` over the clip (about the centre)."""

    def run(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample:
        n, h, w = truth.shape[:3]
        out = []
        for i, f in enumerate(truth):
            u = i / max(1, n - 1)
            m = cv2.getRotationMatrix2D((w / 2, h / 2), 0.0, 1.0 + (scale - 1.0) * u)
            m[:, 2] += (px * u, 0.5 * px * u)
            out.append(_warp(f, m))
        return _same(inst, np.stack(out))

    return run


def aspect_crop(fraction: float) -> Fn:
    """``fraction`` of the height cut from the top and the bottom (another aspect ratio),
    not resized back."""

    def run(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample:
        h = truth.shape[1]
        d = round(h * fraction / 2)
        return _same(inst, truth[:, d : h - d])

    return run


# ---- light ----------------------------------------------------------------------------


def _radial(h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return ((x - w / 2) ** 2 + (y - h / 2) ** 2) / ((w / 2) ** 2 + (h / 2) ** 2)


def vignette(strength: float) -> Fn:
    """Corners darkened by ``strength`` (0.3: to 70% of their brightness)."""

    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        gain = 1.0 - strength * _radial(*f.shape[:2])
        return _clip(f.astype(np.float32) * gain[..., None])

    return _per_frame(fn)


def gradient(strength: float) -> Fn:
    """Light falling off from left to right by ``strength``, with a warm tint."""

    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        w = f.shape[1]
        ramp = 1.0 + strength * (0.5 - np.arange(w, dtype=np.float32) / w)
        tint = np.float32([1.0, 0.97, 0.92])
        return _clip(f.astype(np.float32) * ramp[None, :, None] * tint)

    return _per_frame(fn)


def flicker(strength: float) -> Fn:
    """Exposure changing frame to frame by up to ``strength`` (0.1: ±10%)."""

    def fn(f: np.ndarray, _i: int, rng: np.random.Generator) -> np.ndarray:
        return _clip(f.astype(np.float32) * (1.0 + rng.uniform(-strength, strength)))

    return _per_frame(fn)


def white_balance_drift(strength: float) -> Fn:
    """Red gains and blue loses up to ``strength`` over the clip."""

    def run(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample:
        n = len(truth)
        u = np.linspace(0, 1, n, dtype=np.float32)[:, None, None, None]
        gain = 1.0 + strength * u * np.float32([1.0, 0.0, -1.0])
        return _same(inst, _clip(truth.astype(np.float32) * gain))

    return run


def noise(sigma: float) -> Fn:
    def run(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample:
        return _same(inst, _clip(truth.astype(np.float32) + rng.normal(0.0, sigma, truth.shape)))

    return run


# ---- time -----------------------------------------------------------------------------


def motion_blur(frames_: int) -> Fn:
    """Each frame averaged with the ``frames_ - 1`` frames before it (a shutter open
    across frames)."""

    def run(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample:
        f = truth.astype(np.float32)
        out = np.stack([f[max(0, i - frames_ + 1) : i + 1].mean(axis=0) for i in range(len(f))])
        return _same(inst, _clip(np.rint(out)))

    return run


def resample(fps: float, blend: bool) -> Fn:
    """The clip at another frame rate, each new frame the nearest earlier true frame
    (``blend=False``: frames repeated or dropped) or a blend of the two around it."""

    def run(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample:
        src = float(inst.spec.fmt.fps)
        n = int(np.floor((len(truth) - 1) / src * fps + 1e-9)) + 1
        at = np.arange(n) * src / fps
        out = []
        for a in at:
            i = int(np.floor(a + 1e-9))
            u = a - i
            if not blend or u < 1e-6 or i + 1 >= len(truth):
                out.append(truth[min(i, len(truth) - 1)])
            else:
                out.append(_clip(np.rint((1 - u) * truth[i] + u * truth[i + 1])))
        return Sample(frames=np.stack(out), fps=fps)

    return run


def start_delay(frames_: int) -> Fn:
    """The first frame held ``frames_`` extra frames; the clip goes on as long."""

    def run(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample:
        held = np.repeat(truth[:1], frames_, axis=0)
        return _same(inst, np.concatenate([held, truth]))

    return run


def codec(name: str, crf: int = 18) -> Fn:
    return lambda inst, truth, _rng: _same(inst, truth, codec=name, crf=crf)


def resize(scale: float) -> Fn:
    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        h, w = f.shape[:2]
        size = (int(w * scale) // 2 * 2, int(h * scale) // 2 * 2)
        return cv2.resize(f, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)

    return _per_frame(fn)


def letterbox(fraction: float) -> Fn:
    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        n = int(f.shape[0] * fraction) // 2 * 2
        return np.pad(f, ((n, n), (0, 0), (0, 0)))

    return _per_frame(fn)


# ---- violations -----------------------------------------------------------------------


def moving_bodies(inst: Instance, min_px: float = 3.0) -> list[str]:
    """The bodies the ground truth moves by more than ``min_px`` (screens excluded)."""
    screens = set(inst.spec.extra.get("occluders", ()))
    out = []
    for b in inst.spec.bodies:
        xy = np.asarray(inst.trajectory.states[b.name], dtype=float)[:, :2]
        if b.name not in screens and float(np.ptp(xy, axis=0).max()) > min_px:
            out.append(b.name)
    return out


def _mid_start(inst: Instance, length: int) -> int:
    """Where a corruption of ``length`` frames starts: in the span where things move."""
    n = inst.spec.fmt.n_frames
    moving = moving_bodies(inst) or [inst.spec.bodies[0].name]
    speed = np.zeros(n - 1)
    for name in moving:
        xy = np.asarray(inst.trajectory.states[name], dtype=float)[:, :2]
        speed += np.linalg.norm(np.diff(xy, axis=0), axis=1)
    active = np.flatnonzero(speed > 0.3)
    lo, hi = (int(active[0]), int(active[-1])) if len(active) else (0, n - 1)
    return int(np.clip((lo + hi - length) // 2, 1, max(1, n - length - 1)))


def erase(length: int | None) -> Fn:
    """Every moving body erased for ``length`` frames (None: a quarter of the clip) in
    the middle of its motion, then back."""

    def run(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
        names = set(moving_bodies(inst))
        if not names:
            return None
        m = length or inst.spec.fmt.n_frames // 4
        s = _mid_start(inst, m)
        frames = planted.draw(inst.spec, inst.trajectory, {i: names for i in range(s, s + m)})
        return _same(inst, frames)

    return run


def freeze_jump(length: int) -> Fn:
    """Everything stops for ``length`` frames, then jumps to where it should be."""

    def run(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
        if not moving_bodies(inst):
            return None
        s = _mid_start(inst, length)
        out = truth.copy()
        out[s : s + length] = truth[s - 1]
        return _same(inst, out)

    return run


def _planning(inst: Instance) -> bool:
    from vidreason.tasks import get_family

    return get_family(inst.family_id).capability == "planning"


def own_pace(factor: float, pause: float = 0.0) -> Fn:
    """Planning only (where the pace is the video's own): the first frame held for
    ``pause`` of the clip, then the solution played ``factor`` times as fast, the solved
    state held to the end."""

    def run(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
        if not _planning(inst):
            return None
        n = len(truth)
        h = round(pause * n)
        at = [0] * h + [min(n - 1, round(i * factor)) for i in range(n - h)]
        return _same(inst, truth[at])

    return run


def pause_jump(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
    """Planning only: the first move of the solution never shown under way; the piece
    waits, then stands in its next place (a pause, then a jump of one move)."""
    if not _planning(inst):
        return None
    n = inst.spec.fmt.n_frames
    speed = np.zeros(n - 1)
    for name in moving_bodies(inst):
        xy = np.asarray(inst.trajectory.states[name], dtype=float)[:, :2]
        speed = np.maximum(speed, np.linalg.norm(np.diff(xy, axis=0), axis=1))
    active = np.flatnonzero(speed > 0.05)
    if not len(active):
        return None
    s = int(active[0]) + 1  # first frame that shows the move under way
    e = s
    while e < n - 1 and speed[e] > 0.05 and e - s < 2 * inst.spec.fmt.fps:
        e += 1
    if "t_move" in inst.spec.params:  # a walk moves on without resting: one move's frames
        e = min(e, s + round(inst.spec.params["t_move"] * inst.spec.fmt.fps))
    out = truth.copy()
    out[s:e] = truth[s - 1]
    return _same(inst, out)


def gravity(scale: float) -> Fn:
    def run(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
        if inst.spec.gravity == 0:
            return None
        return _same(inst, planted.resimulate(inst, gravity_scale=scale))

    return run


def speed(factor: float) -> Fn:
    """The true motion played ``factor`` times as fast. Faster is no violation where the
    pace is the video's own (planning: the solved state holds to the end)."""

    def run(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample | None:
        if factor > 1 and _planning(inst):
            return None
        return _same(inst, planted.time_warp(inst, factor))

    return run


def teleport(fraction: float) -> Fn:
    return lambda inst, _t, _r: _same(
        inst, planted.teleport(inst, dx=fraction * inst.spec.fmt.width)
    )


def dissolve(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample:
    """A cross-dissolve from the first frame into the last: pixels blend, nothing moves."""
    u = np.linspace(0.0, 1.0, len(truth), dtype=np.float32)[:, None, None, None]
    out = (1 - u) * truth[:1].astype(np.float32) + u * truth[-1:].astype(np.float32)
    return _same(inst, _clip(np.rint(out)))


def recolour(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample:
    """From the middle on, the first two bodies of different colours swap colours (or,
    when every body has the same colour, the first takes a colour the scene does not use)."""
    spec, k = inst.spec, inst.spec.fmt.n_frames // 2
    bodies = list(spec.bodies)
    pairs = [
        (i, j)
        for i in range(len(bodies))
        for j in range(i + 1, len(bodies))
        if bodies[i].colour != bodies[j].colour
    ]
    if pairs:
        i, j = pairs[0]
        a, b = bodies[i], bodies[j]
        bodies[i] = dataclasses.replace(a, colour=b.colour)
        bodies[j] = dataclasses.replace(b, colour=a.colour)
    else:
        unused = [c for c in COLOURS.values() if c not in {x.colour for x in bodies}]
        bodies[0] = dataclasses.replace(bodies[0], colour=unused[int(rng.integers(len(unused)))])
    after = planted.draw(dataclasses.replace(spec, bodies=tuple(bodies)), inst.trajectory)
    return _same(inst, np.concatenate([truth[:k], after[k:]]))


def _disc(copy_first: bool) -> Fn:
    def run(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample:
        spec, k = inst.spec, inst.spec.fmt.n_frames // 3
        if copy_first:
            colour, r = spec.bodies[0].colour, spec.bodies[0].radius
        else:
            unused = [c for c in COLOURS.values() if c not in {x.colour for x in spec.bodies}]
            colour = unused[int(rng.integers(len(unused)))]
            r = max(b.radius for b in spec.bodies)
        w, h = spec.fmt.width, spec.fmt.height
        x, y = rng.uniform(0.2, 0.8) * w, rng.uniform(0.15, 0.5) * h
        out = truth.copy()
        for frame in out[k:]:
            cv2.circle(frame, (round(x), round(y)), round(r), colour, -1, cv2.LINE_AA)
        return _same(inst, out)

    return run


def _frames(fn: Callable[[np.ndarray, np.random.Generator], np.ndarray]) -> Fn:
    return lambda inst, truth, rng: _same(inst, fn(truth, rng))


def _loop(truth: np.ndarray, _rng: np.random.Generator) -> np.ndarray:
    half = len(truth) // 2
    return np.concatenate([truth[:half], truth[: len(truth) - half]])


def _freeze_end(truth: np.ndarray, _rng: np.random.Generator) -> np.ndarray:
    k = 2 * len(truth) // 3
    return np.concatenate([truth[:k], np.repeat(truth[k : k + 1], len(truth) - k, 0)])


def _c(name: str, kind: str, group: str, magnitude: float, unit: str, fn: Fn) -> Corruption:
    return Corruption(name, kind, group, float(magnitude), unit, fn)


N, V = "nuisance", "violation"

CORRUPTIONS: tuple[Corruption, ...] = (
    _c("clean", N, "clean", 0, "", _frames(lambda t, _r: t)),
    *(_c(f"zoom {p}%", N, "zoom", p, "% per side", zoom(p / 100)) for p in (2, 5, 10)),
    *(_c(f"shake {p}px", N, "shake", p, "px", shake(p)) for p in (1, 2, 4)),
    _c("drift", N, "drift", 8, "px pan + 4% zoom", drift(8.0, 1.04)),
    _c("crop 10% height", N, "aspect", 10, "% height cut", aspect_crop(0.10)),
    _c("resize 0.5x", N, "resize", 0.5, "x", resize(0.5)),
    _c("letterbox", N, "letterbox", 12.5, "%", letterbox(0.125)),
    *(_c(f"blur {k} frames", N, "motion blur", k, "frames", motion_blur(k)) for k in (2, 3)),
    *(_c(f"vignette {s}", N, "vignette", s, "corner darkening", vignette(s)) for s in (0.2, 0.4)),
    _c("light gradient", N, "gradient", 0.3, "left-right", gradient(0.3)),
    _c("flicker 10%", N, "flicker", 0.1, "exposure", flicker(0.1)),
    _c("white balance drift", N, "white balance", 0.1, "gain", white_balance_drift(0.1)),
    _c("noise", N, "noise", 5, "sigma", noise(5.0)),
    _c("h264 crf 35", N, "codec", 35, "crf", codec("h264", 35)),
    *(_c(c, N, "codec", 0, "", codec(c)) for c in ("mpeg4", "vp9", "mjpeg", "hevc")),
    _c("24 fps repeat", N, "fps repeat", 24, "fps", resample(24.0, blend=False)),
    _c("30 fps repeat", N, "fps repeat", 30, "fps", resample(30.0, blend=False)),
    _c("24 fps blend", N, "fps blend", 24, "fps", resample(24.0, blend=True)),
    _c("8 fps", N, "fps drop", 8, "fps", resample(8.0, blend=False)),
    *(_c(f"start +{k}", N, "start delay", k, "frames", start_delay(k)) for k in (1, 2, 3)),
    _c("own pace x1.3", N, "own pace", 1.3, "x", own_pace(1.3)),
    _c("pause then x2", N, "own pace", 2.0, "x after a pause", own_pace(2.0, pause=0.4)),
    # violations
    _c("pause-jump", V, "pause-jump", 1, "move", pause_jump),
    *(_c(f"vanish {k}", V, "vanish", k, "frames", erase(k)) for k in (3, 6, 12)),
    _c("vanish quarter", V, "vanish", 12, "frames", erase(None)),
    *(_c(f"freeze-jump {k}", V, "freeze-jump", k, "frames", freeze_jump(k)) for k in (4, 8)),
    *(_c(f"gravity x{s}", V, "gravity", s, "x", gravity(s)) for s in (0.5, 0.8, 1.25, 2.0)),
    *(_c(f"speed x{s}", V, "speed", s, "x", speed(s)) for s in (0.5, 2.0)),
    *(_c(f"teleport {p}%", V, "teleport", p, "% width", teleport(p / 100)) for p in (5, 15)),
    _c("appear", V, "appear", 1, "", _disc(copy_first=False)),
    _c("duplicate", V, "duplicate", 1, "", _disc(copy_first=True)),
    _c("colour change", V, "colour change", 1, "", recolour),
    _c("reversed", V, "reversed", 1, "", _frames(lambda t, _r: t[::-1].copy())),
    _c("shuffled", V, "shuffled", 1, "", _frames(lambda t, r: t[r.permutation(len(t))])),
    _c("loop", V, "loop", 1, "", _frames(_loop)),
    _c("freeze at end", V, "freeze at end", 1, "", _frames(_freeze_end)),
    _c("dissolve", V, "dissolve", 1, "", dissolve),
)

BY_NAME: dict[str, Corruption] = {c.name: c for c in CORRUPTIONS}


def select(kind: str | None = None, groups: tuple[str, ...] = ()) -> list[Corruption]:
    return [
        c
        for c in CORRUPTIONS
        if (kind is None or c.kind == kind) and (not groups or c.group in groups)
    ]
