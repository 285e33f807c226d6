"""Law checks of the `cascade` family (``tasks/fluids/cascade.py``), read off the liquid's
region as ``verifiers/fluids.py`` reads it (``fluids.Seen``: the video's region and the
truth's at the same moments), and a second time with its smeared edge (``smeared``: what
may be liquid, where a codec or a blur blends a thin stream or layer into the background):

- ``volume`` and ``walls``: as for every liquid (nothing lost or made; none of it outside
  the tank and the basins, open upwards);
- ``flow``: its height in every column of the scene follows the truth's frame by frame:
  it falls off the shelf and over each lip where and when gravity takes it (missing only
  beyond what may be liquid; never shown where the truth has none);
- ``order``: the tank drains at the truth's pace (gravity sets every time of the flow: a
  scaled gravity scales them all, where a blur or a codec delays them by a constant), and
  the basins first receive liquid in the true order, each near its true time
  (``scene/cascade.py:arrivals``, the same reading on the truth and on the video);
- ``levels``: over the last frames each basin holds liquid at its true level, its
  surface leaning as the truth's does (level at rest).
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from vidreason.perception.tracking import Tracks, calibrate, scene_palette
from vidreason.scene import cascade
from vidreason.scene.geometry import scene_size
from vidreason.scene.liquid import profile
from vidreason.scene.params.fluids import Cascade, Liquid
from vidreason.types import Check, Instance
from vidreason.verifiers import fluids
from vidreason.verifiers.checks import band

NAMES = ("volume", "walls", "flow", "order", "levels")
END = 4  # frames at the end that show the liquid at rest
MADE = (0.025, 0.045)  # share of the truth's area shown as liquid where the truth has none
SLOSH = 8  # the truth's last frames whose surface tilts the video's may take
BEFORE, AFTER = 6.0, 12.0  # frames around the truth's filling time the filling is compared on
SHIFTS = np.arange(-8.0, 8.01, 0.25)  # frames: the shifts tried
GAIN = (0.6, 1.2)  # the share of the truth's area the video may show
BEHIND = (4.0, 6.0)  # frames a filling may run behind the truth's (a blur hides thin water)
AHEAD = (1.0, 2.0)  # and ahead of it (nothing shows liquid early)
DRAINED = np.arange(0.9, 0.24, -0.05)  # shares of the tank's first area its draining is timed at
PACE = (0.06, 0.09)  # |ln(pace)|: full marks within 6%, 0 beyond 9% (gravity x0.8: 11%)
MOVES = 20.0  # px of the region changing between frames: it flows
EDGE_PX = 2  # px around the liquid's region read for its smeared edge
FAVOUR = 0.5  # a smeared pixel may be liquid up to twice as far from its colour as another's
WET = 4.0  # px: a basin's surface is read for its tilt when the truth's level is this high


def _ordinal(k: int) -> str:
    return f"basin {k + 1}"


def delay(a_true: np.ndarray, a_seen: np.ndarray, times: np.ndarray, t0: float) -> float:
    """How many frames the video's filling of one basin runs behind the truth's (negative:
    ahead): the shift of the truth's area curve that best matches the video's over the
    frames around the truth's filling time ``t0``, the truth's curve scaled by a factor
    from ``GAIN`` (a codec or a blur thins the edges of a thin layer: the area the video
    shows is a share of the truth's). NaN when no frame shows that span."""
    near = (times >= t0 - BEFORE) & (times <= t0 + AFTER)
    if near.sum() < 3:
        return float("nan")
    seen = a_seen[near]
    src = np.arange(len(a_true), dtype=float)
    best, best_err = float("nan"), np.inf
    for shift in SHIFTS:
        pred = np.interp(times[near] - shift, src, a_true)
        gain = float(np.clip(seen @ pred / max(1.0, pred @ pred), *GAIN))
        err = float(np.mean((seen - gain * pred) ** 2))
        if err < best_err - 1e-9 or (abs(err - best_err) <= 1e-9 and abs(shift) < abs(best)):
            best, best_err = float(shift), err
    return best


def inner_area(masks: np.ndarray, box: list) -> np.ndarray:
    """The region's area in ``box`` per mask, taken half a pixel inside its outline (the
    mean of the area and the eroded area): a codec or a blur thins a thin layer's edge."""
    kernel = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], np.uint8)
    inner = np.array([cv2.erode(m.astype(np.uint8), kernel) for m in masks]).astype(bool)
    return 0.5 * (cascade.areas(masks, [box])[:, 0] + cascade.areas(inner, [box])[:, 0])


def crossings(area: np.ndarray, times: np.ndarray) -> np.ndarray:
    """The time ``area`` first falls below each share ``DRAINED`` of its first value,
    linear between frames; NaN where it never does."""
    out = np.full(len(DRAINED), np.nan)
    for j, share in enumerate(DRAINED):
        limit = share * area[0]
        below = np.flatnonzero(area < limit)
        if len(below) and below[0] > 0:
            i = int(below[0])
            f = (area[i - 1] - limit) / (area[i - 1] - area[i])
            out[j] = times[i - 1] + f * (times[i] - times[i - 1])
    return out


def pace(s: fluids.Seen, instance: Instance) -> float:
    """How many of the truth's frames the video takes for one of the truth's while the
    tank drains (1: the truth's pace): the slope of the line through the times the
    video's tank falls to each share ``DRAINED`` of its first area against the truth's.
    Gravity times the whole flow (g scaled by r scales every time by 1/sqrt(r)); a blur or
    a codec delays the thin edge by a constant, which the line's offset takes. NaN when
    fewer than 3 shares are reached by both."""
    x0, _, x1, y1 = Liquid.of(instance.spec).vessels[0]
    box = [x0 - 2.0, 0.0, x1 + 2.0, y1]  # the tank, its walls' edges with it
    t_true = crossings(inner_area(s.every, box), np.arange(len(s.every), dtype=float))
    t_seen = crossings(cascade.areas(s.video, [box])[:, 0], s.times)
    ok = np.isfinite(t_true) & np.isfinite(t_seen)
    if ok.sum() < 3 or np.ptp(t_true[ok]) < 1.0:
        return float("nan")
    return float(np.polyfit(t_true[ok], t_seen[ok], 1)[0])


def order_check(s: fluids.Seen, instance: Instance, name: str) -> Check:
    """The tank drains at the truth's pace within 6% (0 beyond 9%), and each basin fills
    when the truth's does, so in the true order: the video's area in the basin follows
    the truth's around the moment the truth's first fills it
    (``scene/cascade.py:arrivals``), behind it by at most 4 frames (0 beyond 6), ahead of
    it by at most 1 (0 beyond 2): a codec or a blur may hide the first thin liquid
    arriving in a basin, never show it early."""
    r = pace(s, instance)
    pace_value = band(abs(np.log(r)), *PACE) if np.isfinite(r) else 1.0
    onsets = onset_check(s, instance, name)
    if pace_value > onsets.value:
        return onsets
    word = "slower" if r > 1 else "faster"
    note = (
        f"the {name} drains from the tank {abs(r - 1) * 100:.0f}% {word} than the truth's"
        f": it does not flow at gravity's pace"
    )
    return Check("order", pace_value, note)


def onset_check(s: fluids.Seen, instance: Instance, name: str) -> Check:
    """``order_check``'s fillings."""
    basins = Cascade.of(instance.spec).basins
    a_true = cascade.areas(s.every, basins)
    a_seen = cascade.areas(s.video, basins)
    limit = cascade.thresholds(a_true[-1])
    t_true = cascade.arrivals(a_true, limit, np.arange(len(a_true), dtype=float))
    value, at, d = 1.0, 0, 0.0
    for k in range(len(basins)):
        if not np.isfinite(t_true[k]):
            continue
        dk = delay(a_true[:, k], a_seen[:, k], s.times, float(t_true[k]))
        if not np.isfinite(dk):
            continue
        vk = band(dk, *BEHIND) if dk > 0 else band(-dk, *AHEAD)
        if vk < value:
            value, at, d = vk, k, dk
    side = "behind" if d > 0 else "ahead of"
    note = (
        f"the {name} fills {_ordinal(at)} {abs(d):.1f} frames {side} the truth (which fills"
        f" it from frame {t_true[at]:.1f}): the basins do not fill in turn as gravity has them"
    )
    return Check("order", value, note if value < 1 else "")


def levels_check(s: fluids.Seen, instance: Instance, name: str) -> Check:
    """Over the last ``END`` frames each basin's level is the truth's within 1.5% of the
    frame (0 beyond 4%), and where it holds liquid its surface's tilt lies within 3° (0
    beyond 6°) of the tilts the truth's passes through over its last ``SLOSH`` frames (a
    basin may still slosh at the end, and a codec smearing a wave shows it a frame late):
    it comes to rest level at the true height."""
    basins = Cascade.of(instance.spec).basins
    size = scene_size(instance)
    last = np.arange(max(0, s.n - END), s.n)
    worst_level, worst_tilt, level_at, tilt_at = 0.0, 0.0, 0, 0
    for k, box in enumerate(basins):
        seen = np.array([cascade.level(s.video[i], box) for i in last])
        true = np.array([cascade.level(s.truth[i], box) for i in last])
        off = abs(float(np.median(seen - true)))
        if off > worst_level:
            worst_level, level_at = off, k
        if float(np.median(true)) < WET:
            continue
        margin = 0.1 * (box[2] - box[0])
        t_seen = fluids._tilts(s.video[last], box, margin)
        t_true = fluids._tilts(s.every[-SLOSH:], box, margin)
        lo, hi = (np.nanmin(t_true), np.nanmax(t_true)) if np.isfinite(t_true).any() else (0, 0)
        d = np.maximum(0.0, np.maximum(lo - t_seen, t_seen - hi))
        d[~np.isfinite(d)] = 90.0
        tilt = float(np.median(d))
        if tilt > worst_tilt:
            worst_tilt, tilt_at = tilt, k
    level_value = band(worst_level / size, 0.015, 0.04)
    tilt_value = band(worst_tilt, 3.0, 6.0)
    if level_value <= tilt_value:
        note = (
            f"at the end the {name} in {_ordinal(level_at)} lies {worst_level:.0f} px from its"
            f" true level"
        )
    else:
        note = (
            f"at the end the {name}'s surface in {_ordinal(tilt_at)} leans {worst_tilt:.1f}°"
            f" off the truth's: it does not come to rest level"
        )
    value = min(level_value, tilt_value)
    return Check("levels", value, note if value < 1 else "")


def scene_box(instance: Instance) -> list[float]:
    """The columns from the tank's back wall to the last basin's right wall, top to floor."""
    vessels = Liquid.of(instance.spec).vessels
    x0 = min(v[0] for v in vessels)
    x1 = max(v[2] for v in vessels)
    return [x0, 0.0, x1, max(v[3] for v in vessels)]


def volume_check(s: fluids.Seen, wide: np.ndarray, name: str) -> Check:
    """The area is the truth's within 12% in 80% of the frames (0 beyond 30%): the truth's
    area lies between what surely is liquid (``s.video``) and what may be (``wide``, its
    edges smeared by a codec or a blur with them), and within 12% of either beyond. The
    truth's area is taken half a pixel inside its outline: a codec blurs the outline of a
    thin layer of liquid into the wall or the background around it, and the cascade's
    liquid is mostly thin layers and streams."""
    a_seen = s.video.reshape(s.n, -1).sum(axis=1).astype(float)
    a_wide = wide.reshape(s.n, -1).sum(axis=1).astype(float)
    a_true = s.truth.reshape(s.n, -1).sum(axis=1).astype(float)
    kernel = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], np.uint8)
    inner = np.array([cv2.erode(m.astype(np.uint8), kernel).sum() for m in s.truth], float)
    ref = 0.5 * (a_true + inner)
    lost = np.log((ref + 1.0) / (a_wide + 1.0))
    made = np.log((a_seen + 1.0) / (ref + 1.0))
    err = np.maximum(0.0, np.maximum(lost, made))
    value = band(float(np.percentile(err, 80)), 0.12, 0.3)
    k = int(np.argmax(err))
    shown = a_wide[k] if lost[k] >= made[k] else a_seen[k]
    note = (
        f"the {name} covers {shown:.0f} px at frame {s.frames[k]}, the truth"
        f" {ref[k]:.0f} px: liquid is lost or made"
    )
    return Check("volume", value, note if value < 1 else "")


def stall(s: fluids.Seen) -> tuple[float, int]:
    """The longest run (in the truth's frames) over which the truth's region keeps changing
    (at least ``MOVES`` px a step, or 1% of its area) while the video's barely does (under
    a fifth of that): a freeze; and the frame where it starts."""
    d_seen = (s.video[1:] ^ s.video[:-1]).reshape(s.n - 1, -1).sum(axis=1).astype(float)
    d_true = (s.truth[1:] ^ s.truth[:-1]).reshape(s.n - 1, -1).sum(axis=1).astype(float)
    area = float(np.median(s.truth.reshape(s.n, -1).sum(axis=1)))
    stuck = (d_true >= max(MOVES, 0.01 * area)) & (d_seen < 0.2 * d_true)
    best, at, run, start = 0.0, 0, 0.0, 0
    for i, st in enumerate(stuck):
        if st:
            if run == 0.0:
                start = i
            run += float(s.times[i + 1] - s.times[i])
            if run > best:
                best, at = run, int(s.frames[start])
        else:
            run = 0.0
    return best, at


def heights_check(s: fluids.Seen, wide: np.ndarray, instance: Instance, name: str) -> Check:
    """The liquid's height in every column of the scene follows the truth's as in
    ``fluids.flow_check`` (per frame the share of the truth's area misplaced, beyond
    ``fluids.SLACK`` px a column; the mean of the worst quarter of frames), read on two
    sides: liquid missing where the truth's is, beyond even what may be liquid (``wide``:
    a codec or a blur smears thin streams and edges away) within 12% (0 beyond 30%);
    liquid surely seen (``s.video``) where the truth's is not, which no codec or blur
    makes, within ``MADE`` (2.5%, 0 beyond 4.5%): liquid shown where gravity has not (or
    no longer) taken it."""
    box = scene_box(instance)
    h_true = s.truth_at(np.array([profile(m, box) for m in s.every]))
    h_lo = np.array([profile(m, box) for m in s.video])
    h_hi = np.array([profile(m, box) for m in wide])
    area = np.maximum(1.0, h_true.sum(axis=1))
    worst = max(1, s.n // 4)
    value, note = 1.0, ""
    for off, (good, bad), what in (
        (h_true - h_hi, (0.12, 0.3), "misses"),
        (h_lo - h_true, MADE, "shows"),
    ):
        miss = np.maximum(0.0, off - fluids.SLACK).sum(axis=1) / area
        err = float(np.sort(miss)[-worst:].mean())
        v = band(err, good, bad)
        if v < value:
            k = int(np.argmax(miss))
            value = v
            note = (
                f"the {name} {what} {100 * miss[k]:.0f}% of the truth's area across the scene"
                f" at frame {s.frames[k]} ({100 * err:.0f}% in the worst quarter of frames)"
                f": it does not fall where and when gravity takes it"
            )
    return Check("flow", value, note)


def flow_check(s: fluids.Seen, wide: np.ndarray, instance: Instance, name: str) -> Check:
    """The liquid's height in every column of the scene follows the truth's
    (``heights_check``), and it never stands still for more than 2 frames while the
    truth's moves (0 beyond 4)."""
    heights = heights_check(s, wide, instance, name)
    frozen, at = stall(s) if s.n > 1 else (0.0, 0)
    value = band(frozen, 2.0, 4.0)
    if value >= heights.value:
        return heights
    note = f"the {name} stands still for {frozen:.0f} frames from frame {at} while it should flow"
    return Check("flow", value, note)


def smeared(tracks: Tracks, instance: Instance, s: fluids.Seen) -> np.ndarray:
    """The liquid's region ``s.video`` with the pixels within ``EDGE_PX`` of it whose
    colour lies at most 1 / ``FAVOUR`` times as far from the liquid's as from the nearest
    other colour of the scene: a codec or a motion blur smears a thin stream or layer of
    liquid into the background around it, its pixels a blend of both, and it is still
    there (what may be liquid)."""
    _, colours = scene_palette(instance)
    colours = calibrate(tracks.frames[0], instance, colours)
    lab = fluids._lab(colours)
    k = 2 * EDGE_PX + 1
    near = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    video = s.video.copy()
    for i, f in enumerate(tracks.frames):
        grown = cv2.dilate(video[i].astype(np.uint8), near).astype(bool) & ~video[i] & s.view[i]
        if not grown.any():
            continue
        lab_px = cv2.cvtColor(f, cv2.COLOR_RGB2LAB).reshape(-1, 3)
        # (the pixels ``[grown]`` lists: numpy's compress is the faster gather)
        px = np.compress(grown.ravel(), lab_px, axis=0).astype(np.float32)
        d = np.linalg.norm(px[:, None, :] - lab[None], axis=2)
        video[i][grown] = FAVOUR * d[:, 0] < d[:, 1:].min(axis=1)
    return video


def cascade_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """Declared in ``tasks/fluids/cascade.py``."""
    s = fluids._start(tracks, instance, NAMES)
    if isinstance(s, list):
        return s
    wide = smeared(tracks, instance, s)
    name = instance.spec.bodies[0].label
    return [
        volume_check(s, wide, name),
        fluids.walls_check(s, instance, name),
        flow_check(s, wide, instance, name),
        order_check(s, instance, name),
        levels_check(dataclasses.replace(s, video=wide), instance, name),
    ]
