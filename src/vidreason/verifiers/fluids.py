"""Law checks of the liquid families (`dam-break`), read off the liquid's region.

``Seen`` is what every check starts from: the liquid's region in each tracked frame of the
video (the pixels of its colour key, after the perception's registration and light
calibration) and the truth's region at the same moments (its particles drawn as
``scene/liquid.py`` says, as the ground truth's video is). The checks compare the two:

- ``volume``: the area stays the truth's (nothing lost, nothing made);
- ``walls``: none of it shows outside the container (nothing passes through a wall);
- ``flow`` (dam-break): its height in every column of the tank follows the truth's, frame
  by frame: the collapse and the surge go where and when gravity takes them;
- ``surface``: the surface in each vessel leans as the truth's does while it sloshes and
  settles towards level, and ends at the truth's height.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vidreason.render.liquid import shown_masks
from vidreason.scene import liquid
from vidreason.scene.geometry import scene_size
from vidreason.scene.params.fluids import Liquid
from vidreason.types import Check, Instance
from vidreason.verifiers.checks import band, fail_all
from vidreason.verifiers.tracking import Tracks, calibrate, codes, label_table, scene_palette

END = 4  # frames at the end that show the liquid at rest
MIN_FRAMES = 4
EDGE = 2  # px: a coloured fringe this wide along a wall is the codec's, not a leak
SLACK = 1.5  # px of a column's height: the codec blurs the surface's colour by about one


def _lab(colours: list) -> np.ndarray:
    arr = np.asarray(colours, dtype=np.uint8).reshape(-1, 1, 3)
    return cv2.cvtColor(arr, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)


@dataclass(frozen=True)
class Seen:
    """The liquid's region in the video's tracked frames and the truth's at their times."""

    video: np.ndarray  # (n, h, w) bool
    truth: np.ndarray  # (n, h, w) bool: the truth's nearest frame
    frames: np.ndarray  # the truth's nearest frame to each tracked frame
    times: np.ndarray  # each tracked frame's time in the truth's frames (fractional)
    every: np.ndarray  # (n_true, h, w) bool: the truth's region in each of its frames
    view: np.ndarray  # (n, h, w) bool: the pixels each tracked frame shows

    @property
    def n(self) -> int:
        return len(self.video)

    def truth_at(self, values: np.ndarray) -> np.ndarray:
        """``values`` measured on each of the truth's frames, linear between frames at the
        tracked frames' times (a video a fraction of a frame off is judged at its time)."""
        src = np.arange(len(values))
        flat = values.reshape(len(values), -1)
        cols = [np.interp(self.times, src, flat[:, k]) for k in range(flat.shape[1])]
        return np.stack(cols, axis=1).reshape((self.n, *values.shape[1:]))


def seen(tracks: Tracks, instance: Instance) -> Seen:
    """The liquid's pixels in every tracked frame (its colour key, calibrated on the first
    frame) and the truth's region at the nearest simulated frame, both where the frame
    shows the scene (a zoomed or cropped video leaves out its edges)."""
    spec = instance.spec
    _, colours = scene_palette(instance)
    colours = calibrate(tracks.frames[0], instance, colours) if tracks.n else colours
    table = label_table(_lab(colours))
    video = np.stack([table[codes(f)] == 0 for f in tracks.frames]) if tracks.n else None
    h, w = spec.fmt.height, spec.fmt.width
    view = tracks.percept.view if tracks.percept is not None else np.ones((tracks.n, h, w), bool)
    n_true = instance.trajectory.n_frames
    times = np.clip(tracks.times * spec.fmt.fps, 0, n_true - 1)
    frames = np.rint(times).astype(int)
    every = shown_masks(spec, instance.trajectory, spec.bodies[0].name)
    truth = every[frames] & view
    video = truth & False if video is None else video & view
    return Seen(video, truth, frames, times, every, view)


def outside(instance: Instance) -> np.ndarray:
    """The pixels where liquid may never show: neither inside a vessel (open upwards) nor
    in a passage between vessels, nor within ``EDGE`` px of either (the walls cover the
    rest of the container)."""
    spec = instance.spec
    w, h = spec.fmt.width, spec.fmt.height
    p = Liquid.of(spec)
    open_up = [[x0, -h, x1, y1] for x0, _, x1, y1 in p.vessels]
    allowed = liquid.rect_mask([*open_up, *(p.passages or ())], w, h)
    k = 2 * EDGE + 1
    allowed = cv2.dilate(allowed.astype(np.uint8), np.ones((k, k), np.uint8)) > 0
    return ~allowed


def volume_check(s: Seen, name: str) -> Check:
    """The area is the truth's within 12% in 90% of the frames."""
    a_seen = s.video.reshape(s.n, -1).sum(axis=1).astype(float)
    a_true = s.truth.reshape(s.n, -1).sum(axis=1).astype(float)
    err = np.abs(np.log((a_seen + 1.0) / (a_true + 1.0)))
    worst = float(np.percentile(err, 90))
    value = band(worst, 0.12, 0.3)
    k = int(np.argmax(err))
    note = (
        f"the {name} covers {a_seen[k]:.0f} px at frame {s.frames[k]}, the truth"
        f" {a_true[k]:.0f} px: liquid is lost or made"
    )
    return Check("volume", value, note if value < 1 else "")


def walls_check(s: Seen, instance: Instance, name: str) -> Check:
    """No liquid outside the container: at most 1% of the truth's area in any frame (the
    middle of three frames running, so one bad frame of the codec passes)."""
    out = outside(instance)[None] & s.view
    spill = (s.video & out).reshape(s.n, -1).sum(axis=1).astype(float)
    spill = np.minimum(spill, np.maximum(np.roll(spill, 1), np.roll(spill, -1)))
    area = max(1.0, float(np.median(s.truth.reshape(s.n, -1).sum(axis=1))))
    k = int(np.argmax(spill))
    value = band(float(spill[k]) / area, 0.01, 0.04)
    note = (
        f"{spill[k]:.0f} px of the {name} show outside the container at frame"
        f" {s.frames[k]}: it passes through a wall"
    )
    return Check("walls", value, note if value < 1 else "")


def flow_check(s: Seen, instance: Instance, name: str, box: list | None = None) -> Check:
    """Its height in each column of the tank (or of ``box``) follows the truth's: the share
    of the area misplaced per frame, the mean of the worst quarter of frames within 12%."""
    vessel = Liquid.of(instance.spec).vessels[0] if box is None else box
    h_true = s.truth_at(np.array([liquid.profile(m, vessel) for m in s.every]))
    h_seen = np.array([liquid.profile(m, vessel) for m in s.video])
    off = np.maximum(0.0, np.abs(h_seen - h_true) - SLACK)
    miss = off.sum(axis=1) / np.maximum(1.0, h_true.sum(axis=1))
    worst = np.sort(miss)[-max(1, s.n // 4) :]
    err = float(worst.mean())
    value = band(err, 0.12, 0.3)
    k = int(np.argmax(miss))
    note = (
        f"the {name}'s height across the tank is {100 * miss[k]:.0f}% off the truth's at"
        f" frame {s.frames[k]} ({100 * err:.0f}% in the worst quarter of frames)"
    )
    return Check("flow", value, note if value < 1 else "")


def _tilts(masks: np.ndarray, box: list, margin: float) -> np.ndarray:
    """The surface's tilt in ``box`` (degrees, higher on the right) in each mask."""
    return np.degrees(np.arctan([liquid.tilt(m, box, margin) for m in masks]))


def surface_check(s: Seen, instance: Instance, name: str) -> Check:
    """The surface's tilt in each vessel follows the truth's as it sloshes and settles:
    the mean difference over the middle third of the clip and over the last third each
    within 1.2°; and over the last ``END`` frames it lies at the truth's height (within 2%
    of the frame)."""
    vessels = Liquid.of(instance.spec).vessels
    size = scene_size(instance)
    thirds = [np.arange(s.n // 3, 2 * s.n // 3), np.arange(2 * s.n // 3, s.n)]
    last = np.arange(max(0, s.n - END), s.n)
    margin = 0.1 * min(x1 - x0 for x0, _, x1, _ in vessels)
    worst_tilt, worst_level, tilt_where, level_where = 0.0, 0.0, "", ""
    for v, box in enumerate(vessels):
        where = f" in vessel {v + 1}" if len(vessels) > 1 else ""
        t_seen = _tilts(s.video, box, margin)
        t_true = s.truth_at(_tilts(s.every, box, margin))
        off = np.abs(t_seen - t_true)
        off[~np.isfinite(off)] = 90.0
        for part, label in zip(thirds, ("the middle", "the last"), strict=True):
            tilt = float(off[part].mean()) if len(part) else 90.0
            if tilt > worst_tilt:
                worst_tilt, tilt_where = tilt, f"{where} over {label} third of the clip"
        lv = [
            liquid.levels(s.video[i], [box])[0] - liquid.levels(s.truth[i], [box])[0] for i in last
        ]
        level = abs(float(np.median(lv)))
        if level > worst_level:
            worst_level, level_where = level, where
    tilt_value = band(worst_tilt, 1.2, 2.0)
    level_value = band(worst_level / size, 0.02, 0.05)
    if tilt_value <= level_value:
        note = (
            f"the {name}'s surface{tilt_where} leans {worst_tilt:.1f}° off the truth's on"
            f" average: it does not slosh and settle as the truth does"
        )
    else:
        note = f"at the end the {name}'s surface{level_where} lies {worst_level:.0f} px from its true height"
    value = min(tilt_value, level_value)
    return Check("surface", value, note if value < 1 else "")


DAM_BREAK_NAMES = ("volume", "walls", "flow", "surface")


def _start(tracks: Tracks, instance: Instance, names: tuple[str, ...]) -> Seen | list[Check]:
    if tracks.n < MIN_FRAMES:
        return fail_all(names, f"only {tracks.n} frames to read the liquid in")
    return seen(tracks, instance)


def dam_break_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """Declared in ``tasks/fluids/dam_break.py``."""
    s = _start(tracks, instance, DAM_BREAK_NAMES)
    if isinstance(s, list):
        return s
    name = instance.spec.bodies[0].label
    return [
        volume_check(s, name),
        walls_check(s, instance, name),
        flow_check(s, instance, name),
        surface_check(s, instance, name),
    ]
