"""Law checks of the liquid families (`dam-break`, `pour`), read off the liquid's region.

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

`pour` (``Pour``: the shares of the liquid in the tank and in the cup, the stream where
it crosses the tank's rim, the tank's level) checks ``volume``, ``walls`` (no liquid where
the truth's never goes), ``stream`` (it reaches the tank when and where the truth's does),
``fill`` (the tank fills and the cup empties as the truth's, to the truth's level) and
``surface`` (level at rest).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from vidreason.perception.tracking import (
    Tracks,
    _cached_table,
    calibrate,
    codes,
    scene_palette,
    seam_look_alikes,
    style_colours,
)
from vidreason.render.liquid import cup_angles, cup_masks, shown_masks, walls_mask
from vidreason.scene import liquid
from vidreason.scene.geometry import scene_size
from vidreason.scene.params.fluids import Liquid
from vidreason.types import Check, Instance
from vidreason.verifiers import checks as generic
from vidreason.verifiers import pour_pace
from vidreason.verifiers.checks import band, fail_all, first_run

END = 4  # frames at the end that show the liquid at rest
MIN_FRAMES = 4
EDGE = 2  # px: a coloured fringe this wide along a wall is the codec's, not a leak
SLACK = 1.5  # px of a column's height: the codec blurs the surface's colour by about one


def _lab(colours: list) -> np.ndarray:
    arr = np.asarray(colours, dtype=np.uint8).reshape(-1, 1, 3)
    return cv2.cvtColor(arr, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)


def _table(colours: list, instance: Instance) -> np.ndarray:
    """``label_table`` of the scene's ``colours`` as its style draws them: in a shaded or
    textured scene a colour is told by its hue and chroma first (its tints and a
    sharpened picture's halos vary its lightness; ``tracking.LIGHTNESS_WEIGHT``). Made once
    per palette: the checks ask for it up to three times a video, and the tracking made
    it already where the scene's colours are those it calibrated."""
    key = tuple(tuple(int(v) for v in c) for c in colours)
    return _cached_table(key, (), style_colours(instance.spec)[1])


def _palette(tracks: Tracks, instance: Instance) -> tuple[list, list, np.ndarray]:
    """The scene's palette names, its colours calibrated on the video's first frame (as
    they are with no frame) and their ``_table``."""
    names, colours = scene_palette(instance)
    colours = calibrate(tracks.frames[0], instance, colours) if tracks.n else colours
    return names, colours, _table(colours, instance)


def _look_alikes(
    tracks: Tracks, instance: Instance, table: np.ndarray, colours: list
) -> Callable[[np.ndarray], np.ndarray] | None:
    """Per frame (its colour ``codes``), the pixels of the liquid's colour that are a mix
    of two scene colours on the seams where those meet in the reference: a scene's edge
    that looks like the liquid is that edge (``tracking.seam_look_alikes``); None where
    no colour of the liquid's is such a mix."""
    look = None
    if tracks.percept is not None:
        key = tuple(tuple(int(v) for v in c) for c in colours)
        reference = table[codes(tracks.percept.reference)]
        look = seam_look_alikes(table, key, len(instance.spec.bodies), reference)
    if look is None:
        return None
    fakes, where = look
    return lambda code: fakes[code] & where


@dataclass(frozen=True)
class Seen:
    """The liquid's region in the video's tracked frames and the truth's at their times."""

    video: np.ndarray  # (n, h, w) bool
    truth: np.ndarray  # (n, h, w) bool: the truth's nearest frame
    frames: np.ndarray  # the truth's nearest frame to each tracked frame
    times: np.ndarray  # each tracked frame's time in the truth's frames (fractional)
    every: np.ndarray  # (n_true, h, w) bool: the truth's region in each of its frames
    view: np.ndarray  # (n, h, w) bool: the pixels each tracked frame shows
    # (n, h, w) uint8: each tracked pixel's label in the calibrated palette (0 the liquid,
    # 254 a seam that looks like it, 255 no scene colour), and that palette's colours
    labels: np.ndarray
    colours: list

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
    _, colours, table = _palette(tracks, instance)
    h, w = spec.fmt.height, spec.fmt.width
    view = tracks.percept.view if tracks.percept is not None else np.ones((tracks.n, h, w), bool)
    look = _look_alikes(tracks, instance, table, colours)
    labels = np.zeros((tracks.n, h, w), np.uint8)
    for i, code in enumerate(map(codes, tracks.frames)):
        if look is None:
            labels[i] = table[code]
        else:
            labels[i] = np.where(look(code), np.uint8(254), table[code])  # a seam: no liquid
    n_true = instance.trajectory.n_frames
    times = np.clip(tracks.times * spec.fmt.fps, 0, n_true - 1)
    frames = np.rint(times).astype(int)
    every = shown_masks(spec, instance.trajectory, spec.bodies[0].name)
    truth = every[frames] & view
    video = (labels == 0) & view
    return Seen(video, truth, frames, times, every, view, labels, colours)


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


def area_band(seen: np.ndarray, true: np.ndarray) -> tuple[float, int]:
    """How well the areas ``seen`` match the ``true`` ones frame by frame: within 12% in
    90% of the frames (0 beyond 30%), and the frame where they differ most."""
    err = np.abs(np.log((seen + 1.0) / (true + 1.0)))
    return band(float(np.percentile(err, 90)), 0.12, 0.3), int(np.argmax(err))


def volume_check(s: Seen, name: str, alpha: np.ndarray | None = None) -> Check:
    """The area is the truth's within 12% in 90% of the frames; ``alpha`` (the liquid's
    share of each pixel, ``soft``) gives the video's area: a motion blur or a codec
    spreads the liquid's colour without losing any of it."""
    a_seen = (s.video if alpha is None else alpha).reshape(s.n, -1).sum(axis=1).astype(float)
    a_true = s.truth.reshape(s.n, -1).sum(axis=1).astype(float)
    value, k = area_band(a_seen, a_true)
    note = (
        f"the {name} covers {a_seen[k]:.0f} px at frame {s.frames[k]}, the truth"
        f" {a_true[k]:.0f} px: liquid is lost or made"
    )
    return Check("volume", value, note if value < 1 else "")


def walls_check(s: Seen, instance: Instance, name: str) -> Check:
    """No liquid outside the container: at most 1% of the truth's area in any frame (the
    middle of three frames running, so one bad frame of the codec passes)."""
    k, px, value = _spill(s, outside(instance)[None] & s.view)
    note = (
        f"{px:.0f} px of the {name} show outside the container at frame"
        f" {s.frames[k]}: it passes through a wall"
    )
    return Check("walls", value, note if value < 1 else "")


def _spill(s: Seen, out: np.ndarray) -> tuple[int, float, float]:
    """The frame with the most liquid seen in ``out`` (each frame's count the middle of
    three frames running, so one bad frame of the codec passes), that count (px) and the
    walls value: 1 within 1% of the truth's area, 0 beyond 4%."""
    spill = (s.video & out).reshape(s.n, -1).sum(axis=1).astype(float)
    spill = np.minimum(spill, np.maximum(np.roll(spill, 1), np.roll(spill, -1)))
    area = max(1.0, float(np.median(s.truth.reshape(s.n, -1).sum(axis=1))))
    k = int(np.argmax(spill))
    return k, float(spill[k]), band(float(spill[k]) / area, 0.01, 0.04)


def flow_check(
    s: Seen,
    instance: Instance,
    name: str,
    box: list | None = None,
    alpha: np.ndarray | None = None,
) -> Check:
    """Its height in each column of the tank (or of ``box``) follows the truth's: the share
    of the area misplaced per frame, the mean of the worst quarter of frames within 12%.
    With ``alpha`` (``soft``) the video's heights are its shares summed down each column
    (a blur or a codec spreads the liquid's colour without losing any of it)."""
    vessel = Liquid.of(instance.spec).vessels[0] if box is None else box
    h_true = s.truth_at(np.array([liquid.profile(m, vessel) for m in s.every]))
    h_seen = np.array([liquid.profile(m, vessel) for m in (s.video if alpha is None else alpha)])
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


def surface_check(s: Seen, instance: Instance, name: str, alpha: np.ndarray | None = None) -> Check:
    """The surface's tilt in each vessel follows the truth's as it sloshes and settles:
    the mean difference over the middle third of the clip and over the last third each
    within 1.2°; and over the last ``END`` frames it lies at the truth's height (within 2%
    of the frame). With ``alpha`` (``soft``) the video's heights are its shares summed
    down each column: a motion blur over a few frames then shows the mean of their
    heights, and so of their tilts (the slope fitted is linear in the heights), which
    the time offset of the blur's lag aligns with the truth's."""
    video = s.video if alpha is None else alpha
    vessels = Liquid.of(instance.spec).vessels
    size = scene_size(instance)
    thirds = [np.arange(s.n // 3, 2 * s.n // 3), np.arange(2 * s.n // 3, s.n)]
    last = np.arange(max(0, s.n - END), s.n)
    margin = 0.1 * min(x1 - x0 for x0, _, x1, _ in vessels)
    worst_tilt, worst_level, tilt_where, level_where = 0.0, 0.0, "", ""
    for v, box in enumerate(vessels):
        where = f" in vessel {v + 1}" if len(vessels) > 1 else ""
        t_seen = _tilts(video, box, margin)
        t_true = s.truth_at(_tilts(s.every, box, margin))
        off = np.abs(t_seen - t_true)
        off[~np.isfinite(off)] = 90.0
        for part, label in zip(thirds, ("the middle", "the last"), strict=True):
            tilt = float(off[part].mean()) if len(part) else 90.0
            if tilt > worst_tilt:
                worst_tilt, tilt_where = tilt, f"{where} over {label} third of the clip"
        lv = [liquid.levels(video[i], [box])[0] - liquid.levels(s.truth[i], [box])[0] for i in last]
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
    alpha = soft(tracks, instance, s, s.view)
    return [
        volume_check(s, name, alpha),
        walls_check(s, instance, name),
        flow_check(s, instance, name, alpha=alpha),
        surface_check(s, instance, name, alpha),
    ]


# --- pour: a cup tilts and pours into a tank -------------------------------------------

POUR_NAMES = ("cup", "objects", "volume", "walls", "stream", "fill", "surface", "pace")
REACH = 0.025  # of the picture's size: how far from where the truth's liquid ever is counts
ARRIVE = 0.1  # of the liquid: in the tank when this share of it is
AIR = 8  # px of liquid in neither the cup nor the tank: a stream to place
FLOOR_NEAR = 4.0  # px: a stream's front this near the tank's floor has landed
SETTLE = 0.6  # of its final share: the tank holds most of the pour, its surface is read
BLUR_FRAMES = 3  # a motion blur over up to this many frames smooths the sloshing it shows
GONE_FRAMES = 2  # frames running with under half the truth's liquid: it vanished


@dataclass(frozen=True)
class Pour:
    """What the pour checks share, per tracked frame (the truth's at the same moments):
    the share of the liquid in the tank and in the cup, the stream's mean x (the liquid
    in neither; NaN where there is too little), and the level in the tank."""

    tank: np.ndarray  # (n, 2): the share of the liquid in the tank, video and truth
    cup: np.ndarray  # (n, 2): in the cup
    air_x: np.ndarray  # (n, 2)
    level: np.ndarray  # (n, 2): px above the tank's floor
    front: np.ndarray  # (n, 2): the lowest row of the liquid out of the cup (px)
    bulk: np.ndarray  # (n, 2): the area in the cup and in the tank (px), not in the air
    falling: np.ndarray  # (n,) bool: the truth's first stream falls (lip to tank floor)
    arrive: tuple[float, float]  # when the tank first holds ARRIVE of the liquid (frames)
    total: float  # the truth's area at the start (px)


def _cup_inside(instance: Instance) -> np.ndarray:
    """The cup's box, walls and all, turned as it is in each of the truth's frames: where
    liquid counts as still in the cup."""
    spec = instance.spec
    p = Liquid.of(spec)
    assert p.cup and p.pivot
    box = np.asarray(p.cup, dtype=float)
    inner = [[box[:, 0].min(), box[:, 1].min(), box[:, 2].max(), box[:, 3].max()]]
    w, h = spec.fmt.width, spec.fmt.height
    angles = cup_angles(instance.trajectory)
    turned = liquid.turner(inner, p.pivot, w, h)
    return np.stack([turned(float(a)) for a in angles])


def _arrival(share: np.ndarray, times: np.ndarray) -> float:
    """When ``share`` first reaches ``ARRIVE`` (linear between frames; the end if never)."""
    k = np.flatnonzero(share >= ARRIVE)
    if not len(k):
        return float(times[-1]) + 1.0
    i = int(k[0])
    if i == 0:
        return float(times[0])
    a, b = share[i - 1], share[i]
    return float(times[i - 1] + (ARRIVE - a) / max(1e-9, b - a) * (times[i] - times[i - 1]))


def pour_measures(s: Seen, instance: Instance, alpha: np.ndarray | None = None) -> Pour:
    """The pour's measures of ``s``; ``alpha`` (the video's liquid share per pixel, see
    ``soft``) gives the shares in the tank and in the cup and the area in both (a blur, a
    codec or a resize spreads the liquid's colour without losing any; the region where
    the pixels are whole otherwise)."""
    spec = instance.spec
    p = Liquid.of(spec)
    x0, y0, x1, y1 = p.vessels[0]
    w, h = spec.fmt.width, spec.fmt.height
    tank = liquid.rect_mask([[x0, y0, x1, y1]], w, h)
    cups = _cup_inside(instance)
    k = 2 * EDGE + 1
    grown = np.stack([cv2.dilate(c.astype(np.uint8), np.ones((k, k), np.uint8)) > 0 for c in cups])
    total = max(1.0, float(s.every[0].sum()))

    def per(masks: np.ndarray, cup_masks: np.ndarray, grown: np.ndarray) -> tuple[np.ndarray, ...]:
        n = len(masks)
        in_tank = (masks & tank).reshape(n, -1).sum(axis=1) / total
        in_cup = (masks & cup_masks).reshape(n, -1).sum(axis=1) / total
        xs, front = np.full(n, np.nan), np.full(n, np.nan)
        for i, m in enumerate(masks):
            _, cols = np.nonzero(m & ~grown[i] & ~tank)
            if len(cols) >= AIR:
                xs[i] = cols.mean()
            rows = np.flatnonzero((m & ~grown[i]).sum(axis=1) >= 3)
            front[i] = rows.max() if len(rows) else np.nan
        lv = np.array([liquid.levels(m, [[x0, y0, x1, y1]])[0] for m in masks])
        bulk = (masks & (grown | tank)).reshape(n, -1).sum(axis=1).astype(float)
        return in_tank, in_cup, xs, lv, front, bulk

    true_all = per(s.every, cups, grown)
    video = list(per(s.video, cups[s.frames], grown[s.frames]))
    if alpha is not None:  # how much liquid, read off the liquid's share of each pixel
        keep = grown[s.frames] | tank
        video[0] = (alpha * tank).reshape(s.n, -1).sum(axis=1) / total
        video[1] = (alpha * cups[s.frames]).reshape(s.n, -1).sum(axis=1) / total
        video[5] = (alpha * keep).reshape(s.n, -1).sum(axis=1).astype(float)
    truth = [s.truth_at(v) for v in true_all]
    for k in (2, 4):  # no stream (no front) at the nearest frame: none
        truth[k] = np.where(np.isnan(true_all[k][s.frames]), np.nan, truth[k])
    pair = [np.stack([a, b], axis=1) for a, b in zip(video, truth, strict=True)]
    arrive = (
        _arrival(video[0], s.times),
        _arrival(true_all[0], np.arange(len(s.every), dtype=float)),
    )
    # the first fall: from when the truth's front leaves the lip to when it reaches the
    # tank's floor (the frame after: the last of the fall)
    lip = p.pivot[1] if p.pivot else y0
    f_true = truth[4]
    down = np.flatnonzero(f_true >= y1 - FLOOR_NEAR)
    end = int(down[0]) + 1 if len(down) else len(f_true)
    falling = (np.arange(len(f_true)) < end) & (f_true > lip + FLOOR_NEAR)
    return Pour(
        tank=pair[0],
        cup=pair[1],
        air_x=pair[2],
        level=pair[3],
        front=pair[4],
        bulk=pair[5],
        falling=falling,
        arrive=arrive,
        total=total,
    )


def pour_walls_check(s: Seen, instance: Instance, name: str) -> Check:
    """No liquid where the truth's never is (grown by ``REACH``) nor in the tank: at most
    1% of the truth's area in any frame (the middle of three frames running)."""
    spec = instance.spec
    w, h = spec.fmt.width, spec.fmt.height
    x0, _, x1, y1 = Liquid.of(spec).vessels[0]
    ever = np.asarray(s.every.any(axis=0), dtype=np.uint8)
    k = 2 * round(REACH * scene_size(instance)) + 1
    allowed = cv2.dilate(ever, np.ones((k, k), np.uint8)) > 0
    allowed |= liquid.rect_mask([[x0, -h, x1, y1]], w, h)
    j, px, value = _spill(s, ~allowed[None] & s.view)
    note = (
        f"{px:.0f} px of the {name} show where it never goes at frame {s.frames[j]}:"
        f" it passes through a wall of the cup or the tank"
    )
    return Check("walls", value, note if value < 1 else "")


def stream_check(m: Pour, instance: Instance, name: str) -> Check:
    """The stream reaches the tank when the truth's does (within 1.5 frames; 0 beyond 4)
    and falls where the truth's does (its mean x, the median offset over the frames that
    show the truth's within 3% of the picture, 0 beyond 8%; a frame of the video without
    one counts as 10%)."""
    late = abs(m.arrive[0] - m.arrive[1])
    when = band(late, 1.5, 4.0)
    size = scene_size(instance)
    falling = ~np.isnan(m.air_x[:, 1])
    if falling.sum() == 0:
        where, off = 1.0, 0.0
    else:
        d = np.abs(m.air_x[falling, 0] - m.air_x[falling, 1]) / size
        d[np.isnan(d)] = 0.1
        off = float(np.median(d))
        where = band(off, 0.03, 0.08)
    value = min(when, where)
    if when <= where:
        note = (
            f"the {name} reaches the tank {late:.1f} frames"
            f" {'late' if m.arrive[0] > m.arrive[1] else 'early'}: it does not fall as"
            " gravity takes it"
        )
    else:
        note = (
            f"the stream of {name} falls {100 * off:.0f}% of the picture from where"
            " gravity takes it"
        )
    return Check("stream", value, note if value < 1 else "")


def fill_check(m: Pour, instance: Instance, name: str) -> Check:
    """The share of the liquid in the tank rises and the share in the cup falls as the
    truth's (mean difference within 8% of the liquid, 0 beyond 20%), and the tank ends at
    the truth's level (within 10% of it, 0 beyond 25%, the codec's 1.5 px aside)."""
    d = np.maximum(np.abs(m.tank[:, 0] - m.tank[:, 1]), np.abs(m.cup[:, 0] - m.cup[:, 1]))
    off = float(d.mean())
    share = band(off, 0.08, 0.2)
    last = slice(max(0, len(m.level) - END), len(m.level))
    lv_seen = float(np.median(m.level[last, 0]))
    lv_true = float(np.median(m.level[last, 1]))
    err = max(0.0, abs(lv_seen - lv_true) - SLACK) / max(1.0, lv_true)
    level = band(err, 0.1, 0.25)
    if share <= level:
        note = (
            f"the {name} in the tank and in the cup is {100 * off:.0f}% of it off the"
            " truth's on average: it does not fill the tank as the pour does"
        )
    else:
        note = f"the tank ends with the {name} {lv_seen:.0f} px deep, the truth {lv_true:.0f} px"
    value = min(share, level)
    return Check("fill", value, note if value < 1 else "")


def _smoothed(values: np.ndarray, width: int) -> np.ndarray:
    """``values`` averaged over ``width`` frames running (the edges repeated)."""
    if width <= 1:
        return values
    pad = np.pad(values, (width // 2, (width - 1) // 2), mode="edge")
    return np.convolve(pad, np.ones(width) / width, mode="valid")


def pour_surface_check(
    s: Seen, m: Pour, instance: Instance, name: str, alpha: np.ndarray | None = None
) -> Check:
    """Once the tank holds most of the pour (60% of what it ends with), its surface
    sloshes and settles level as the truth's (at gravity's pace): its tilt within 1.2°
    of the truth's on average, 0 beyond 2°. The truth's tilt is also read as a motion
    blur of up to ``BLUR_FRAMES`` frames would show it (averaged over them): the nearest
    of these counts, so a blur that smooths the sloshing is no violation, while a
    sloshing at another pace stays one. ``alpha`` (the liquid's share per pixel) gives
    the video's heights: a motion blur averages them, and so the tilt fitted to them, as
    the truth's averaged tilt does."""
    box = Liquid.of(instance.spec).vessels[0]
    held = np.flatnonzero(m.tank[:, 1] >= SETTLE * m.tank[-1, 1])
    part = np.arange(int(held[0]) if len(held) else 3 * s.n // 4, s.n)
    margin = 0.1 * (box[2] - box[0])
    t_seen = _tilts((s.video if alpha is None else alpha)[part], box, margin)
    t_true = _tilts(s.every, box, margin)
    frames = np.arange(len(t_true), dtype=float)
    tilt = 90.0
    for width in range(1, BLUR_FRAMES + 1):
        series = _smoothed(np.nan_to_num(t_true, nan=90.0), width)
        off = np.abs(t_seen - np.interp(s.times[part], frames, series))
        off[~np.isfinite(off)] = 90.0
        tilt = min(tilt, float(off.mean()) if len(off) else 90.0)
    value = band(tilt, 1.2, 2.0)
    note = (
        f"the {name}'s surface in the tank leans {tilt:.1f}° off the truth's on average as"
        " it settles: it does not slosh and settle level as the truth does"
    )
    return Check("surface", value, note if value < 1 else "")


def pour_volume_check(m: Pour, name: str) -> Check:
    """The area in the cup and in the tank (the falling stream, a thin thread a codec or
    a motion blur thins further, left out) is the truth's within 12% in 90% of the
    frames, and never under half the truth's for ``GONE_FRAMES`` frames running (the
    liquid vanishes)."""
    value, k = area_band(m.bulk[:, 0], m.bulk[:, 1])
    note = (
        f"the {name} in the cup and the tank covers {m.bulk[k, 0]:.0f} px at a frame where"
        f" the truth's covers {m.bulk[k, 1]:.0f} px: liquid is lost or made"
    )
    gone = m.bulk[:, 0] < 0.5 * m.bulk[:, 1]
    start = first_run(gone, GONE_FRAMES)
    if start is not None:
        value = 0.0
        note = f"the {name} is gone from the cup and the tank from tracked frame {start} on"
    return Check("volume", value, note if value < 1 else "")


MIXED = 0.25  # of the liquid's distance from the background: a mixed pixel's off its line
# a pixel whose chroma (from the background's) lies this share of the liquid's along it,
# and off that line by at most half as much, keeps a tint of the liquid (``faded``)
TINT = 0.25
MIN_LUMA = 30.0  # of 255: a liquid whose luma is nearer the background's has no faded share
MIN_CHROMA = 20.0  # nor one whose chroma is (a grey liquid has no tint to keep)
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # BT.601, as the codecs encode
_CHROMA = np.array([[-0.169, -0.331, 0.5], [0.5, -0.419, -0.081]], np.float32)  # Cb, Cr


def faded(rgb: np.ndarray, liquid: np.ndarray, backdrop: np.ndarray) -> np.ndarray:
    """The liquid's share of each pixel of ``rgb`` (float, n x 3) read off its luma, where
    its chroma keeps a tint of the liquid's (``TINT``), else 0. A codec that keeps the
    luma whole and the chroma coarse (MPEG-4 part 2) leaves a thin stream, or the first
    film on a tank's floor, at the liquid's lightness with little of its colour: no
    colour of the scene, or a grey's, and on no line of two scene colours. The greys of
    the scene (shadows, walls, the backdrop's pattern) have no tint."""
    y_liq, y_back = float(liquid @ _LUMA), float(backdrop @ _LUMA)
    axis = _CHROMA @ (liquid - backdrop)
    if abs(y_back - y_liq) < MIN_LUMA or float(np.linalg.norm(axis)) < MIN_CHROMA:
        return np.zeros(len(rgb), np.float32)
    # the products over every pixel at once (a pixel's may differ in the last bit with
    # the number of pixels they are taken over), the rest only where the tint may be kept
    chroma = (rgb - backdrop) @ _CHROMA.T
    along = chroma @ axis / float(axis @ axis)
    luma = rgb @ _LUMA
    at = np.flatnonzero(along >= TINT)
    along, chroma = along[at], chroma[at]
    off = np.linalg.norm(chroma - along[:, None] * axis, axis=1) / float(np.linalg.norm(axis))
    tinted = off <= 0.5 * along
    share = np.clip((y_back - luma[at]) / (y_back - y_liq), 0.0, 1.0)
    out = np.zeros(len(rgb), np.float32)
    out[at] = np.where(tinted, share, 0.0)
    return out


def _off_segment(f: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each pixel of ``f`` (float RGB), where it lies along the segment from colour
    ``a`` to colour ``b`` (0 to 1) and its distance from that segment (RGB units)."""
    axis = b - a
    norm = float(axis @ axis) or 1.0
    d = f - a
    t = np.clip(d @ axis / norm, 0.0, 1.0)
    return t, np.linalg.norm(d - t[..., None] * axis, axis=-1)


def soft(tracks: Tracks, instance: Instance, s: Seen, view: np.ndarray) -> np.ndarray:
    """How much of each pixel of every tracked frame is liquid (0 to 1): 1 where its colour
    is the liquid's; where it is no colour of the scene, its share on the line to the
    liquid's colour from the background's or from the walls' (the nearer line) when it
    lies near that line (a blend of the two: a codec, a blur or a resize spreads the
    liquid's colour into what lies beside it without losing any of it), unless it lies
    nearer still to the line between the background's and the walls' colours (a blend of
    those two along a wall's edge holds no liquid); 0 elsewhere. A pixel of no scene
    colour or a grey's (the background's, the walls') that keeps a tint of the liquid's
    hue counts at least its ``faded`` share (a codec that lost the colour of a thin
    stream). The colours and each pixel's label are ``s``'s, as ``seen`` read them."""
    colours = s.colours
    liq = np.asarray(colours[0], np.float32)
    n_bodies = len(instance.spec.bodies)
    others = [np.asarray(colours[k], np.float32) for k in (n_bodies, n_bodies + 1)]
    out = np.zeros(tracks.frames.shape[:3], np.float32)
    for i, (f, lab) in enumerate(zip(tracks.frames, s.labels, strict=True)):
        out[i] = lab == 0
        plain = (lab != 0) & (lab != 254)  # not the liquid's colour nor a seam like it
        # (the pixels as ``f[plain]`` lists them: numpy's compress is the faster gather)
        rgb = np.compress(plain.ravel(), f.reshape(-1, 3), axis=0).astype(np.float32)
        out[i][plain] = faded(rgb, liq, others[0])
        unknown = lab == 255  # only a pixel of no scene colour can be a blend
        if not unknown.any():
            continue
        rgb = f[unknown].astype(np.float32)
        share = np.zeros(len(rgb), np.float32)
        nearest = np.full(len(rgb), np.inf, np.float32)
        near_px = np.full(len(rgb), np.inf, np.float32)
        for other in others:  # the background, the walls
            a, dist = _off_segment(rgb, other, liq)
            off = dist / np.sqrt(float((liq - other) @ (liq - other)) or 1.0)
            share = np.where(off < nearest, a, share)
            near_px = np.where(off < nearest, dist, near_px)
            nearest = np.minimum(nearest, off)
        _, dry = _off_segment(rgb, *others)
        mixed = (nearest <= MIXED) & (near_px <= dry)
        out[i][unknown] = np.maximum(out[i][unknown], np.where(mixed, share, 0.0))
    return out * view


def near_walls(instance: Instance) -> np.ndarray:
    """The pixels within ``EDGE`` of a wall in each of the truth's frames (the cup's at
    its angle): a codec mixes the wall's colour into the liquid's along them."""
    spec = instance.spec
    cups = cup_masks(spec, instance.trajectory)
    walls = walls_mask(spec)[None] | (cups if cups is not None else False)
    k = 2 * EDGE + 1
    kernel = np.ones((k, k), np.uint8)
    return np.stack([cv2.dilate(m.astype(np.uint8), kernel) > 0 for m in walls])


def off_walls(s: Seen, near: np.ndarray) -> Seen:
    """``s`` without the pixels ``near`` a wall, in the video and in the truth alike."""
    return dataclasses.replace(
        s, video=s.video & ~near[s.frames], truth=s.truth & ~near[s.frames], every=s.every & ~near
    )


TURN_SEARCH = np.arange(-30.0, 31.0, 2.0)  # degrees about the truth's angle


@dataclass(frozen=True)
class CupWalls:
    """The cup's walls in the box its turn sweeps (``x0, y0, x1, y1`` px): the video's
    pixels of the walls' colour in each tracked frame (the static walls and what the frame
    does not show left out), and the truth's cup walls in each of its frames."""

    box: tuple[int, int, int, int]
    video: np.ndarray  # (n, h, w) bool
    truth: np.ndarray  # (n_true, h, w) bool


def cup_walls(tracks: Tracks, s: Seen, instance: Instance) -> CupWalls:
    spec = instance.spec
    p = Liquid.of(spec)
    assert p.cup and p.pivot
    w, h = spec.fmt.width, spec.fmt.height
    names, _, table = _palette(tracks, instance)
    wall = len(names) + 1  # the first wall's colour (the cup is drawn in it)
    angles = cup_angles(instance.trajectory)
    corners = np.concatenate(
        [liquid.turned_corners(r, p.pivot, float(a)) for r in p.cup for a in angles]
    )
    x0, y0 = (int(v) - 2 for v in corners.min(axis=0))  # the box the cup sweeps
    x1, y1 = (int(v) + 3 for v in corners.max(axis=0))
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    static = cv2.dilate(walls_mask(spec).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    free = ~static[y0:y1, x0:x1]
    video = np.stack(
        [
            (table[codes(f[y0:y1, x0:x1])] == wall) & s.view[i, y0:y1, x0:x1] & free
            for i, f in enumerate(tracks.frames)
        ]
    )
    cups = cup_masks(spec, instance.trajectory)
    assert cups is not None
    return CupWalls((x0, y0, x1, y1), video, cups[:, y0:y1, x0:x1] & free)


def cup_check(s: Seen, walls: CupWalls, instance: Instance) -> Check:
    """The cup turns as the prompt says: in each tracked frame, the angle (about the
    truth's, within ``TURN_SEARCH``) whose walls best match the pixels of the walls'
    colour in the cup's sweep; at most 8° off the truth's (the median of every 3
    frames running, at its largest: one odd frame passes), 0 beyond 14°."""
    p = Liquid.of(instance.spec)
    assert p.cup and p.pivot
    x0, y0, x1, y1 = walls.box
    angles = np.degrees(cup_angles(instance.trajectory))
    truth_at = np.interp(s.times, np.arange(len(angles)), angles)
    pivot = [p.pivot[0] - x0, p.pivot[1] - y0]
    rects = [[a - x0, b - y0, c - x0, d - y0] for a, b, c, d in p.cup]
    off = np.full(s.n, TURN_SEARCH.max())
    turned = liquid.turner(rects, pivot, x1 - x0, y1 - y0)
    masks: dict[float, tuple[np.ndarray, int]] = {}  # per angle (a still cup repeats them)

    def walls_at(angle: float) -> tuple[np.ndarray, int]:
        if angle not in masks:
            m = turned(np.radians(angle))
            masks[angle] = (m, int(np.count_nonzero(m)))
        return masks[angle]

    for i, seen_wall in enumerate(walls.video):
        seen = int(np.count_nonzero(seen_wall))
        if seen < 10:
            continue
        best, best_f1 = None, 0.0
        for d in TURN_SEARCH:
            m, area = walls_at(float(truth_at[i] + d))
            both = float(np.count_nonzero(m & seen_wall))
            f1 = 2 * both / max(1.0, float(area + seen))
            if f1 > best_f1:
                best, best_f1 = d, f1
        if best is not None:
            off[i] = abs(best)
    mid = np.array([np.median(off[max(0, i - 1) : i + 2]) for i in range(s.n)])
    k = int(np.argmax(mid))
    value = band(float(mid[k]), 8.0, 14.0)
    note = (
        f"the cup stands {mid[k]:.0f}° off the angle it turns to at frame {s.frames[k]}:"
        " it does not turn as the prompt says"
    )
    return Check("cup", value, note if value < 1 else "")


def pour_pace_check(
    s: Seen, alpha: np.ndarray, walls: CupWalls, instance: Instance, name: str
) -> Check:
    """The liquid keeps gravity's time against the cup's turn (``verifiers/pour_pace.py``):
    over the pour's second half its lag behind the truth's, less the cup's, within half a
    frame, 0 beyond one."""
    spec = instance.spec
    w, h = spec.fmt.width, spec.fmt.height
    tank = liquid.rect_mask([Liquid.of(spec).vessels[0]], w, h)
    window = pour_pace.pour_window(s.every, tank, _cup_inside(instance))
    if window is None:  # the truth never pours (no such scene is sampled)
        return Check("pace", 1.0, "")
    lag, frames = pour_pace.liquid_lag(alpha, s.every, s.view, s.times, window)
    cup = pour_pace.cup_lag(walls.video, walls.truth, s.times)
    return pour_pace.pace_check(lag, cup, frames, name)


SETTLED = 1.0  # px: a frame whose static walls lie further off their place is realigned
ALIGN_MAX = (6.0, 3.0)  # px, degrees: the most a frame is realigned (beyond: left as it is)
ALIGN_BAND = 6  # px about the static walls where their colour is matched


def _corners_moved(warp: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """How far (px) ``warp`` moves the farthest corner of ``box``."""
    x0, y0, x1, y1 = box
    pts = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], dtype=np.float64)
    return float(np.abs(pts @ warp.T.astype(np.float64) - pts[:, :2]).max())


def realigned(tracks: Tracks, instance: Instance) -> Tracks:
    """``tracks`` with each frame whose static walls (the tank and the floor) stand over
    ``SETTLED`` px off their place moved back onto it: the rigid motion (a shift and a
    turn) that best lays the pixels of the walls' colour near them onto the walls
    (OpenCV's ECC), its view moved alike. The perception registers the whole picture; a
    scene whose moving water fills the lower half may leave it a degree off there, which
    a thin layer of water in the tank cannot take."""
    if tracks.n == 0 or tracks.percept is None:
        return tracks
    spec = instance.spec
    w, h = spec.fmt.width, spec.fmt.height
    names, _, table = _palette(tracks, instance)
    wall = len(names) + 1
    static = walls_mask(spec)
    k = 2 * ALIGN_BAND + 1
    band_ = cv2.dilate(static.astype(np.uint8), np.ones((k, k), np.uint8)) > 0
    p = Liquid.of(spec)
    if p.cup and p.pivot:  # the cup is drawn in the walls' colour: not where it turns
        for r in p.cup:
            for a in cup_angles(instance.trajectory)[:: max(1, tracks.n // 12)]:
                band_ &= ~liquid.turned_mask([r], p.pivot, float(a), w, h)
    ys, xs = np.nonzero(band_)
    if not len(xs):
        return tracks
    x0, y0, x1, y1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    template = static[y0:y1, x0:x1].astype(np.float32)
    region = band_[y0:y1, x0:x1].astype(np.uint8)
    crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 40, 1e-4)
    frames, view = tracks.frames.copy(), tracks.percept.view.copy()
    moved = False
    for i, f in enumerate(tracks.frames):
        seen_walls = (table[codes(f[y0:y1, x0:x1])] == wall).astype(np.float32)
        try:
            _, found = cv2.findTransformECC(
                template,
                seen_walls,
                np.eye(2, 3, dtype=np.float32),
                cv2.MOTION_EUCLIDEAN,
                crit,
                region,
                5,
            )
        except cv2.error:  # no match (nothing of the walls' colour there): as it is
            continue
        warp = np.asarray(found, dtype=np.float64)
        turn = abs(float(np.degrees(np.arctan2(warp[1, 0], warp[0, 0]))))
        off = _corners_moved(warp, (0, 0, x1 - x0, y1 - y0))
        if off <= SETTLED or off > ALIGN_MAX[0] + 1e-9 or turn > ALIGN_MAX[1]:
            continue
        # the warp maps the box's pixels to the frame's: as a map of the whole picture
        full = warp.astype(np.float64).copy()
        full[:, 2] += [x0, y0] - full[:, :2] @ [x0, y0]
        flags = cv2.WARP_INVERSE_MAP
        frames[i] = cv2.warpAffine(
            f, full, (w, h), flags=cv2.INTER_LINEAR | flags, borderMode=cv2.BORDER_REPLICATE
        )
        view[i] = (
            cv2.warpAffine(view[i].astype(np.uint8), full, (w, h), flags=cv2.INTER_NEAREST | flags)
            > 0
        )
        moved = True
    if not moved:
        return tracks
    percept = dataclasses.replace(tracks.percept, view=view)
    return dataclasses.replace(tracks, frames=frames, percept=percept)


def pour_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """Declared in ``tasks/fluids/pour.py``."""
    objects = generic.objects(tracks, instance, sizes=False)
    tracks = realigned(tracks, instance)
    s = _start(tracks, instance, POUR_NAMES)
    if isinstance(s, list):
        return s
    near = near_walls(instance)
    s = off_walls(s, near)
    name = instance.spec.bodies[0].label
    alpha = soft(tracks, instance, s, s.view & ~near[s.frames])
    m = pour_measures(s, instance, alpha)
    walls = cup_walls(tracks, s, instance)
    return [
        cup_check(s, walls, instance),
        objects,
        pour_volume_check(m, name),
        pour_walls_check(s, instance, name),
        stream_check(m, instance, name),
        fill_check(m, instance, name),
        pour_surface_check(s, m, instance, name, alpha),
        pour_pace_check(s, alpha, walls, instance, name),
    ]
