"""Law checks of the `cascade` family (``tasks/fluids/cascade.py``), read off the liquid's
region as ``verifiers/fluids.py`` reads it (``fluids.Seen``: the video's region and the
truth's at the same moments):

- ``volume`` and ``walls``: as for every liquid (nothing lost or made; none of it outside
  the tank and the basins, open upwards);
- ``flow``: its height in every column of the scene follows the truth's frame by frame:
  it falls off the shelf and over each lip where and when gravity takes it;
- ``order``: the basins first receive liquid in the true order, each near its true time
  (``scene/cascade.py:arrivals``, the same reading on the truth and on the video);
- ``levels``: over the last frames each basin holds liquid at its true level, its
  surface leaning as the truth's does (level at rest).
"""

from __future__ import annotations

import cv2
import numpy as np

from vidreason.scene import cascade
from vidreason.scene.geometry import scene_size
from vidreason.scene.params.fluids import Cascade, Liquid
from vidreason.types import Check, Instance
from vidreason.verifiers import fluids
from vidreason.verifiers.checks import band
from vidreason.verifiers.tracking import Tracks

NAMES = ("volume", "walls", "flow", "order", "levels")
END = 4  # frames at the end that show the liquid at rest
BEFORE, AFTER = 6.0, 12.0  # frames around the truth's filling time the filling is compared on
SHIFTS = np.arange(-8.0, 8.01, 0.25)  # frames: the shifts tried
GAIN = (0.6, 1.2)
AHEAD = 1.5  # a filling ahead of the truth's counts this many times its frames  # the share of the truth's area the video may show
MOVES = 20.0  # px of the region changing between frames: it flows
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


def order_check(s: fluids.Seen, instance: Instance, name: str) -> Check:
    """Each basin fills when the truth's does, so in the true order: the video's area in
    the basin follows the truth's around the moment the truth's first fills it
    (``scene/cascade.py:arrivals``), behind it by at most 1.5 frames (0 beyond 3), ahead
    of it by at most 1 (0 beyond 2): a codec or a blur may hide the first thin liquid
    arriving in a basin, never show it early."""
    basins = Cascade.of(instance.spec).basins
    a_true = cascade.areas(s.every, basins)
    a_seen = cascade.areas(s.video, basins)
    limit = cascade.thresholds(a_true[-1])
    t_true = cascade.arrivals(a_true, limit, np.arange(len(a_true), dtype=float))
    worst, at = 0.0, 0
    for k in range(len(basins)):
        if not np.isfinite(t_true[k]):
            continue
        d = delay(a_true[:, k], a_seen[:, k], s.times, float(t_true[k]))
        off = (d if d > 0 else AHEAD * -d) if np.isfinite(d) else 0.0
        if off > worst:
            worst, at = off, k
    value = band(worst, 1.5, 3.0)
    d = delay(a_true[:, at], a_seen[:, at], s.times, float(t_true[at]))
    side = "behind" if d > 0 else "ahead of"
    note = (
        f"the {name} fills {_ordinal(at)} {abs(d):.1f} frames {side} the truth (which fills"
        f" it from frame {t_true[at]:.1f}): the basins do not fill in turn as gravity has them"
    )
    return Check("order", value, note if value < 1 else "")


def levels_check(s: fluids.Seen, instance: Instance, name: str) -> Check:
    """Over the last ``END`` frames each basin's level is the truth's within 1.5% of the
    frame (0 beyond 4%), and where it holds liquid its surface's tilt is the truth's within
    3° (0 beyond 6°): it comes to rest level at the true height."""
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
        t_true = fluids._tilts(s.truth[last], box, margin)
        d = np.abs(t_seen - t_true)
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


def volume_check(s: fluids.Seen, name: str) -> Check:
    """The area is the truth's within 12% in 80% of the frames (0 beyond 30%). The truth's
    area is taken half a pixel inside its outline: a codec blurs the outline of a thin
    layer of liquid into the wall or the background around it, and the cascade's liquid is
    mostly thin layers and streams."""
    a_seen = s.video.reshape(s.n, -1).sum(axis=1).astype(float)
    a_true = s.truth.reshape(s.n, -1).sum(axis=1).astype(float)
    kernel = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], np.uint8)
    inner = np.array([cv2.erode(m.astype(np.uint8), kernel).sum() for m in s.truth], float)
    ref = 0.5 * (a_true + inner)
    err = np.abs(np.log((a_seen + 1.0) / (ref + 1.0)))
    value = band(float(np.percentile(err, 80)), 0.12, 0.3)
    k = int(np.argmax(err))
    note = (
        f"the {name} covers {a_seen[k]:.0f} px at frame {s.frames[k]}, the truth"
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


def flow_check(s: fluids.Seen, instance: Instance, name: str) -> Check:
    """The liquid's height in every column of the scene follows the truth's
    (``fluids.flow_check``), and it never stands still for more than 2 frames while the
    truth's moves (0 beyond 4)."""
    heights = fluids.flow_check(s, instance, name, scene_box(instance))
    frozen, at = stall(s) if s.n > 1 else (0.0, 0)
    value = band(frozen, 2.0, 4.0)
    if value >= heights.value:
        return heights
    note = f"the {name} stands still for {frozen:.0f} frames from frame {at} while it should flow"
    return Check("flow", value, note)


def cascade_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """Declared in ``tasks/fluids/cascade.py``."""
    s = fluids._start(tracks, instance, NAMES)
    if isinstance(s, list):
        return s
    name = instance.spec.bodies[0].label
    return [
        volume_check(s, name),
        fluids.walls_check(s, instance, name),
        flow_check(s, instance, name),
        order_check(s, instance, name),
        levels_check(s, instance, name),
    ]
