"""Nuisances: changes a verifier must tolerate (camera, light, time, codecs), each a
factory returning a corruption function ``(instance, truth, rng) -> Sample``."""

from __future__ import annotations

import cv2
import numpy as np

from vidreason import violations as planted
from vidreason.corruptions.sample import Fn, Sample, clip, per_frame, same
from vidreason.types import Instance

# ---- camera ---------------------------------------------------------------------------


def zoom(fraction: float) -> Fn:
    """``fraction`` of the width and height cut from each side, resized back."""

    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        h, w = f.shape[:2]
        dx, dy = round(w * fraction), round(h * fraction)
        return cv2.resize(f[dy : h - dy, dx : w - dx], (w, h), interpolation=cv2.INTER_LINEAR)

    return per_frame(fn)


def _warp(f: np.ndarray, m: np.ndarray) -> np.ndarray:
    h, w = f.shape[:2]
    return cv2.warpAffine(f, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def shake(px: float) -> Fn:
    """Every frame shifted by a random offset of up to ``px`` in x and y."""

    def fn(f: np.ndarray, _i: int, rng: np.random.Generator) -> np.ndarray:
        dx, dy = rng.uniform(-px, px, 2)
        return _warp(f, np.array([[1, 0, dx], [0, 1, dy]], dtype=np.float32))

    return per_frame(fn)


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
        return same(inst, np.stack(out))

    return run


def aspect_crop(fraction: float) -> Fn:
    """``fraction`` of the height cut from the top and the bottom (another aspect ratio),
    not resized back."""

    def run(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample:
        h = truth.shape[1]
        d = round(h * fraction / 2)
        return same(inst, truth[:, d : h - d])

    return run


def chroma_shift(px: int) -> Fn:
    """The red plane ``px`` to the right and the blue plane ``px`` to the left (a lens's
    lateral colour, or chroma misplaced by a codec): every edge between two colours gets a
    fringe of a third."""

    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        out = f.copy()
        out[:, px:, 0], out[:, : f.shape[1] - px, 2] = f[:, :-px, 0], f[:, px:, 2]
        return out

    return per_frame(fn)


# ---- light ----------------------------------------------------------------------------


def _radial(h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return ((x - w / 2) ** 2 + (y - h / 2) ** 2) / ((w / 2) ** 2 + (h / 2) ** 2)


def vignette(strength: float) -> Fn:
    """Corners darkened by ``strength`` (0.3: to 70% of their brightness)."""

    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        gain = 1.0 - strength * _radial(*f.shape[:2])
        return clip(f.astype(np.float32) * gain[..., None])

    return per_frame(fn)


def gradient(strength: float) -> Fn:
    """Light falling off from left to right by ``strength``, with a warm tint."""

    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        w = f.shape[1]
        ramp = 1.0 + strength * (0.5 - np.arange(w, dtype=np.float32) / w)
        tint = np.array([1.0, 0.97, 0.92], dtype=np.float32)
        return clip(f.astype(np.float32) * ramp[None, :, None] * tint)

    return per_frame(fn)


def flicker(strength: float) -> Fn:
    """Exposure changing frame to frame by up to ``strength`` (0.1: ±10%)."""

    def fn(f: np.ndarray, _i: int, rng: np.random.Generator) -> np.ndarray:
        return clip(f.astype(np.float32) * (1.0 + rng.uniform(-strength, strength)))

    return per_frame(fn)


def white_balance_drift(strength: float) -> Fn:
    """Red gains and blue loses up to ``strength`` over the clip."""

    def run(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample:
        n = len(truth)
        u = np.linspace(0, 1, n, dtype=np.float32)[:, None, None, None]
        gain = 1.0 + strength * u * np.array([1.0, 0.0, -1.0], dtype=np.float32)
        return same(inst, clip(truth.astype(np.float32) * gain))

    return run


def noise(sigma: float) -> Fn:
    def run(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample:
        return same(inst, clip(truth.astype(np.float32) + rng.normal(0.0, sigma, truth.shape)))

    return run


# ---- time -----------------------------------------------------------------------------


def motion_blur(frames_: int) -> Fn:
    """Each frame averaged with the ``frames_ - 1`` frames before it (a shutter open
    across frames)."""

    def run(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample:
        f = truth.astype(np.float32)
        out = np.stack([f[max(0, i - frames_ + 1) : i + 1].mean(axis=0) for i in range(len(f))])
        return same(inst, clip(np.rint(out)))

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
                out.append(clip(np.rint((1 - u) * truth[i] + u * truth[i + 1])))
        return Sample(frames=np.stack(out), fps=fps)

    return run


def start_delay(frames_: int) -> Fn:
    """The first frame held ``frames_`` extra frames; the clip goes on as long."""

    def run(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample:
        held = np.repeat(truth[:1], frames_, axis=0)
        return same(inst, np.concatenate([held, truth]))

    return run


def codec(name: str, crf: int = 18) -> Fn:
    def run(inst: Instance, truth: np.ndarray, _rng: np.random.Generator) -> Sample:
        return same(inst, truth, codec=name, crf=crf)

    return run


def resize(scale: float) -> Fn:
    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        h, w = f.shape[:2]
        size = (int(w * scale) // 2 * 2, int(h * scale) // 2 * 2)
        return cv2.resize(f, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)

    return per_frame(fn)


def letterbox(fraction: float) -> Fn:
    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        n = int(f.shape[0] * fraction) // 2 * 2
        return np.pad(f, ((n, n), (0, 0), (0, 0)))

    return per_frame(fn)


def pillarbox(px: int) -> Fn:
    """Black bars of ``px`` on the left and the right."""

    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        return np.pad(f, ((0, 0), (px, px), (0, 0)))

    return per_frame(fn)


def blur(sigma: float, size: int = 5) -> Fn:
    """A ``size`` x ``size`` Gaussian blur of every frame (an out-of-focus lens; 0: as
    wide as ``sigma`` asks)."""

    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        return cv2.GaussianBlur(f, (size, size), sigma)

    return per_frame(fn)


def levels(gain: float, offset: float) -> Fn:
    """Every pixel times ``gain`` plus ``offset`` (brightness, contrast)."""

    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        return clip(f.astype(np.float32) * gain + offset)

    return per_frame(fn)


def hue(degrees: float) -> Fn:
    """Every colour turned by ``degrees`` around the hue circle."""

    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        hsv = cv2.cvtColor(f, cv2.COLOR_RGB2HSV)
        hsv[..., 0] = ((hsv[..., 0].astype(int) + round(degrees / 2)) % 180).astype(np.uint8)
        return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)

    return per_frame(fn)


def rerendered(fps: float) -> Fn:
    """The true motion drawn again at ``fps`` over the same duration (another frame rate,
    positions interpolated between simulated frames)."""

    def run(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample:
        n = round(inst.spec.fmt.duration * fps) + 1
        return Sample(frames=planted.retimed(inst, n), fps=(n - 1) / inst.spec.fmt.duration)

    return run


def dropped(count: int) -> Fn:
    """``count`` frames left out, the others keeping their timestamps."""

    def run(inst: Instance, truth: np.ndarray, rng: np.random.Generator) -> Sample:
        drop = set(rng.choice(np.arange(2, len(truth) - 2), size=count, replace=False).tolist())
        keep = [i for i in range(len(truth)) if i not in drop]
        return same(inst, truth[keep], pts=keep)

    return run


def longer(extra: int) -> Fn:
    """The true motion carried on for ``extra`` frames past the task's duration."""

    def run(inst: Instance, _truth: np.ndarray, _rng: np.random.Generator) -> Sample:
        return same(inst, planted.extended(inst, inst.spec.fmt.n_frames + extra))

    return run


# ---- picture: what a generator's own rendering does ------------------------------------


def rotate(degrees: float) -> Fn:
    """The camera rolled by ``degrees`` about the picture's centre (edges repeated)."""

    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        h, w = f.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
        return cv2.warpAffine(f, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    return per_frame(fn)


def stretch(aspect: float) -> Fn:
    """Every frame stretched to ``aspect`` times its width (another aspect ratio, not
    cropped: a 1:1 task delivered as 4:3)."""

    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        h, w = f.shape[:2]
        return cv2.resize(f, (round(w * aspect / 2) * 2, h), interpolation=cv2.INTER_AREA)

    return per_frame(fn)


def gamma(power: float) -> Fn:
    """Every level ``v`` (0..1) raised to ``power``: a different tone curve."""
    lut = np.clip(np.rint(255.0 * (np.arange(256) / 255.0) ** power), 0, 255).astype(np.uint8)
    return per_frame(lambda f, _i, _rng: lut[f])


def saturation(scale: float) -> Fn:
    """Colours moved towards (``scale`` < 1) or away from their grey by ``scale``."""

    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        g = f.astype(np.float32).mean(axis=2, keepdims=True)
        return clip(g + scale * (f.astype(np.float32) - g))

    return per_frame(fn)


def sharpen(amount: float) -> Fn:
    """An unsharp mask: edges overshoot on both sides (halos)."""

    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        soft = cv2.GaussianBlur(f, (0, 0), 1.5)
        return cv2.addWeighted(f, 1.0 + amount, soft, -amount, 0)

    return per_frame(fn)


def jpeg(quality: int) -> Fn:
    """Every frame through JPEG at ``quality`` (blocks and ringing frame by frame)."""

    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        ok, buf = cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, quality])
        out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else None
        return f if out is None else np.asarray(out, dtype=np.uint8)

    return per_frame(fn)


def watermark(text: str) -> Fn:
    """``text`` in white in the bottom right corner of every frame (a generator's mark)."""

    def fn(f: np.ndarray, _i: int, _rng: np.random.Generator) -> np.ndarray:
        out, (h, w) = f.copy(), f.shape[:2]
        at = (w - round(0.35 * w), h - round(0.04 * h))
        cv2.putText(out, text, at, cv2.FONT_HERSHEY_SIMPLEX, w / 600, (255, 255, 255),
                    max(1, w // 200), cv2.LINE_AA)  # fmt: skip
        return out

    return per_frame(fn)
