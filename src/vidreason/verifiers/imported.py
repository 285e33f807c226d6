"""The ``imported-v1`` verifier: tasks imported from another benchmark's folders, which
have no simulator spec, only a first frame, a ground-truth final frame and video.

Frames of the video (any size, frame rate and length; black bars removed) and the
reference images are compared at a small working size, blurred a little. The *change
region* is where the ground-truth final frame differs from the first frame; inside it a
frame's *progress* is 0 when it looks like the first frame and 1 when it looks like the
final one. The ground-truth video calibrates what is normal for the task.

- ``first_frame``: the first frame correlates with the conditioning image and has not
  made progress yet;
- ``final_frame``: the last frame correlates with the ground-truth final frame and its
  progress is complete (a static video stays at 0);
- ``continuity``: no cut: between two frames no larger share of the picture changes
  than the ground truth ever changes per frame (with slack);
- ``gradual``: progress does not leap (a jump cut to the final state fails), again
  measured against the ground truth's own largest step;
- ``no_dissolve``: things move rather than fade: where the scene changes, a frame of a
  cross-dissolve has most pixels part way between the first and the final picture, a
  frame of real motion has them at one or the other (or at something else); the share
  of such in-between pixels may exceed the ground truth's by at most ``DISSOLVE``.

What these checks cannot verify: that the right thing moved the right way. They see a
start that matches, an end that matches, and a change that is gradual and is motion;
a wrong path between right ends passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vidreason.instance_io import read_png
from vidreason.perception.tracking import content_box
from vidreason.render.video_io import Video, read_video
from vidreason.types import Check, Instance, Score
from vidreason.verifiers.checks import band

WORK = 128  # longer side of the working size
LEVEL = 40  # a pixel differs when a channel moved this far (of 255)
MIN_REGION = 12  # px of change region below which progress is not measured
DISSOLVE = (0.25, 0.45)  # in-between share above the ground truth's: passes, fails


@dataclass(frozen=True)
class Clip:
    frames: np.ndarray  # (n, h, w, 3) uint8 at the working size, blurred
    times: np.ndarray


def working_size(instance: Instance) -> tuple[int, int]:
    """The small size frames are compared at (videos are decoded straight to it)."""
    w, h = instance.spec.fmt.width, instance.spec.fmt.height
    s = WORK / max(w, h)
    return max(8, round(w * s)), max(8, round(h * s))


def _small(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    interp = cv2.INTER_AREA if img.shape[1] > size[0] else cv2.INTER_LINEAR
    return cv2.blur(cv2.resize(img, size, interpolation=interp), (3, 3))


def prepare(video: Video, size: tuple[int, int]) -> Clip:
    x0, y0, x1, y1 = content_box(video.frames)
    frames = np.stack([_small(f[y0:y1, x0:x1], size) for f in video.frames])
    times = video.times if video.times is not None else np.arange(len(frames)) / video.fps
    return Clip(frames, np.asarray(times, dtype=float) - float(times[0]))


def _diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return cv2.absdiff(a, b).max(axis=2)


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    x = a.astype(np.float32).mean(axis=2)
    y = b.astype(np.float32).mean(axis=2)
    x, y = x - x.mean(), y - y.mean()
    d = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / d) if d > 0 else 0.0


def progress(frame: np.ndarray, first: np.ndarray, final: np.ndarray, region: np.ndarray) -> float:
    """0 where ``frame`` looks like ``first`` inside ``region``, 1 like ``final``."""
    a = float(_diff(frame, first)[region].mean())
    b = float(_diff(frame, final)[region].mean())
    return a / (a + b) if a + b > 0 else 0.5


def _steps(
    clip: Clip, first: np.ndarray, final: np.ndarray, region: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per step between frames: share of the picture changed, progress leap and time
    taken; and each frame's progress."""
    pairs = zip(clip.frames[:-1], clip.frames[1:], strict=True)
    share = np.array([(_diff(a, b) > LEVEL).mean() for a, b in pairs])
    prog = (
        np.array([progress(f, first, final, region) for f in clip.frames])
        if region is not None
        else np.zeros(len(clip.frames))
    )
    return share, np.abs(np.diff(prog)), np.maximum(np.diff(clip.times), 1e-6), prog


def between(frame: np.ndarray, first: np.ndarray, final: np.ndarray, region: np.ndarray) -> float:
    """The share of ``region`` where ``frame`` lies part way (20-80%) on the line from
    ``first`` to ``final`` (a blend of the two pictures), not at either end."""
    a = first[region].astype(np.float32)
    d = final[region].astype(np.float32) - a
    f = frame[region].astype(np.float32)
    dd = (d * d).sum(axis=1)
    ok = dd > LEVEL**2
    if not ok.any():
        return 0.0
    m = ((f - a) * d).sum(axis=1)[ok] / dd[ok]
    res = np.linalg.norm(f[ok] - a[ok] - m[:, None] * d[ok], axis=1)
    part = (m > 0.2) & (m < 0.8) & (res < 0.25 * np.sqrt(dd[ok]))
    return float(part.mean())


def dissolve_share(clip: Clip, first: np.ndarray, final: np.ndarray, region: np.ndarray) -> float:
    """The in-between share of the frames, at the 75th percentile over the frames."""
    shares = [between(f, first, final, region) for f in clip.frames]
    return float(np.percentile(shares, 75)) if shares else 0.0


def _allowed(base: float, dt: np.ndarray, dt_truth: float, floor: float) -> np.ndarray:
    return np.maximum(floor, base * np.maximum(1.0, dt / dt_truth))


def first_frame_check(clip: Clip, first: np.ndarray, prog: np.ndarray, changes: bool) -> Check:
    """The first frame matches the conditioning image and, where the scene changes
    (``changes``), does not already show the final state."""
    ncc0 = _ncc(clip.frames[0], first)
    value = band(1.0 - ncc0, 0.15, 0.5)
    note = f"the first frame does not match the conditioning image (correlation {ncc0:.2f})"
    if changes and value > 0 and band(prog[0], 0.25, 0.5) < value:
        value = band(prog[0], 0.25, 0.5)
        note = "the first frame already shows the final state where the scene should change"
    return Check("first_frame", value, note if value < 1 else "")


def final_frame_check(clip: Clip, final: np.ndarray, prog: np.ndarray, changes: bool) -> Check:
    """The last frame matches the ground truth's final frame and, where the scene changes,
    has reached the final state."""
    ncc1 = _ncc(clip.frames[-1], final)
    value = band(1.0 - ncc1, 0.15, 0.5)
    note = f"the last frame does not match the ground-truth final frame (correlation {ncc1:.2f})"
    if changes and value > 0 and band(1.0 - prog[-1], 0.25, 0.5) < value:
        value = band(1.0 - prog[-1], 0.25, 0.5)
        note = (
            f"the last frame does not reach the final state: where the scene should change it"
            f" is {prog[-1]:.0%} of the way from the first frame to the final frame"
        )
    return Check("final_frame", value, note if value < 1 else "")


def continuity_check(share: np.ndarray, t_share: np.ndarray, allowed: np.ndarray) -> Check:
    """No step between frames changes much more of the picture than the truth's do."""
    ratio = share / allowed
    k = int(np.argmax(ratio))
    value = band(float(ratio[k]), 1.0, 2.0)
    note = (
        f"the video cuts to a different picture between frames {k} and {k + 1}"
        f" ({share[k]:.0%} of the picture changes at once; the ground truth changes at"
        f" most {t_share.max(initial=0.0):.0%} between frames)"
    )
    return Check("continuity", value, note if value < 1 else "")


def gradual_check(leap: np.ndarray, allowed: np.ndarray) -> Check:
    """No step between frames leaps much further from the first to the final state than
    the truth's do."""
    ratio = leap / allowed
    k = int(np.argmax(ratio))
    value = band(float(ratio[k]), 1.0, 1.5)
    note = (
        f"between frames {k} and {k + 1} the scene leaps {leap[k]:.0%} of the way"
        f" from the first to the final state at once (a jump cut, not a solution"
        f" carried out)"
    )
    return Check("gradual", value, note if value < 1 else "")


def no_dissolve_check(
    clip: Clip, truth: Clip, first: np.ndarray, final: np.ndarray, region: np.ndarray
) -> Check:
    """No more of the changing pixels part way between the two pictures than in the truth."""
    seen = dissolve_share(clip, first, final, region)
    normal = dissolve_share(truth, first, final, region)
    value = band(seen - normal, *DISSOLVE)
    note = (
        f"the picture fades from the first frame into the final one (a cross-dissolve):"
        f" {seen:.0%} of the changing pixels are part way between the two pictures,"
        f" {normal:.0%} in the ground truth"
    )
    return Check("no_dissolve", value, note if value < 1 else "")


def imported_checks(clip: Clip, truth: Clip, first: np.ndarray, final: np.ndarray) -> list[Check]:
    """The checks of ``imported-v1`` (tasks without a simulator spec): the first frame matches the
    conditioning image (``first_frame``), the last frame the ground truth's final frame
    (``final_frame``), no cut to another picture (``continuity``) and, where the scene changes,
    no leap from the first state to the final one (``gradual``) and no cross-dissolve
    (``no_dissolve``)."""
    changed = _diff(first, final) > LEVEL
    changed = cv2.dilate(changed.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    region = changed if changed.sum() >= MIN_REGION else None
    share, leap, dt, prog = _steps(clip, first, final, region)
    t_share, t_leap, t_dt, _ = _steps(truth, first, final, region)
    dt_truth = float(np.median(t_dt)) if len(t_dt) else 1.0
    checks = [
        first_frame_check(clip, first, prog, region is not None),
        final_frame_check(clip, final, prog, region is not None),
    ]
    if not len(share):
        return [*checks, Check("continuity", 0.0, "the video has a single frame")]
    allowed = _allowed(2.0 * float(t_share.max(initial=0.0)), dt, dt_truth, 0.05)
    checks.append(continuity_check(share, t_share, allowed))
    if region is not None:
        allowed = _allowed(1.5 * float(t_leap.max(initial=0.0)), dt, dt_truth, 0.3)
        checks.append(gradual_check(leap, allowed))
        checks.append(no_dissolve_check(clip, truth, first, final, region))
    return checks


def score_imported(video: Video, instance_dir: Path, instance: Instance) -> Score:
    from vidreason.verifiers.combine import combine

    size = working_size(instance)
    first = _small(read_png(Path(instance_dir) / "first_frame.png"), size)
    final = _small(read_png(Path(instance_dir) / "final_frame.png"), size)
    truth_video = read_video(Path(instance_dir) / "ground_truth.mp4", size=size, max_frames=None)
    truth = prepare(truth_video, size)
    return combine(imported_checks(prepare(video, size), truth, first, final))
