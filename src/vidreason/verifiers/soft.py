"""Law checks of the soft-body families (`drape-3d`, `squash-3d`), read off the body's
silhouette.

``silhouettes`` finds the body's pixels in every tracked frame (its colour key, near where
the tracker found it) and measures them as ``scene/silhouette.py`` says; the truth's
silhouette, measured the same way on the simulator's projected mesh, is in the trajectory
(``engines/mujoco_flex.py``). ``Drop`` is what both families share: the fall before the
body first touches something, in metres through the camera (the body falls straight down
from a known start, so each pixel of its centroid gives its height on the vertical plane
through that start), fitted with a parabola: gravity, and when it comes down to the height
at which it touches. The truth goes through the same function, so a bias of the centroid
(a flat cloth's seen at an angle) cancels out.

The checks: ``gravity`` (the fall's g, relative to the truth's measured the same way),
``contact`` (when it lands), ``centroid`` (the centroid against the truth's all along);
a cloth's ``support`` (its top never sinks below the truth's once it lands: it does not pass
through what it lies on) and ``drape`` (its extent at the end); a ball's ``floor`` (its
bottom never below the truth's lowest), ``squash`` (how flat it gets when it lands),
``recover`` (round again at the end) and ``bounce`` (it bounces on as long as the truth's).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vidreason.engines.mujoco_flex import SIL
from vidreason.perception.tracking import Tracks, calibrate, codes, scene_palette, styled_table
from vidreason.scene.geometry import extent, scene_size
from vidreason.scene.params.physics3d import DropParams, World3D
from vidreason.scene.silhouette import SILHOUETTE, features
from vidreason.types import Body, Check, Instance
from vidreason.verifiers.checks import band, cannot_follow, fail_all, gravity_note, gravity_value
from vidreason.verifiers.checks import gt_positions as _gt_positions
from vidreason.verifiers.path import FAILS, ISOLATED, TOLERANCE, from_path
from vidreason.verifiers.spread import relative_spread, spread_note

MIN_POINTS = 4
ABOVE = 0.03  # m: a centroid this far above where it touches is surely still falling
END = 4  # frames at the end that show where it comes to rest
LEFT, TOP, RIGHT, BOTTOM, AREA = (
    SILHOUETTE.index(k) for k in ("left", "top", "right", "bottom", "area")
)


SPECK = 0.1  # a blob under this share of the silhouette's largest is a codec's smear


def without_specks(mask: np.ndarray) -> np.ndarray:
    """``mask`` without its blobs smaller than ``SPECK`` of its largest. In a styled scene
    (shading, textures) a lossy codec smears a body's colour along the surfaces' edges
    into specks around it, which would stretch its silhouette."""
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=8)
    if n <= 2:
        return mask
    area = stats[:, cv2.CC_STAT_AREA]
    keep = area >= SPECK * area[1:].max()
    keep[0] = False
    return keep[lab]


def silhouettes(tracks: Tracks, instance: Instance) -> np.ndarray:
    """``SILHOUETTE`` of the body in every tracked frame (NaN where it is not found): the
    pixels of its colour within reach of where the tracker found it."""
    body = instance.spec.bodies[0]
    _, colours = scene_palette(instance)
    colours = calibrate(tracks.frames[0], instance, colours) if tracks.n else colours
    table = styled_table(colours, instance.spec.fmt.style)
    reach = 2.5 * extent(body)
    out = np.full((tracks.n, len(SILHOUETTE)), np.nan)
    h, w = tracks.frames.shape[1:3] if tracks.n else (0, 0)
    for i in np.flatnonzero(tracks.found(body.name)):
        x, y = tracks.pos[body.name][i]
        x0, x1 = int(max(0, x - reach)), int(min(w, x + reach + 1))
        y0, y1 = int(max(0, y - reach)), int(min(h, y + reach + 1))
        mask = table[codes(tracks.frames[i, y0:y1, x0:x1])] == 0
        if instance.spec.fmt.style != "flat":
            mask = without_specks(mask)
        f = features(mask)
        out[i] = f + np.array([x0, y0, x0, y0, x0, y0, 0.0])
    return out


def truth_silhouettes(instance: Instance, times: np.ndarray) -> np.ndarray:
    """The simulator's silhouette at ``times`` (linear between frames)."""
    rows = instance.trajectory.array(instance.spec.bodies[0].name)
    t = np.arange(len(rows)) / instance.spec.fmt.fps
    cols = rows[:, SIL : SIL + len(SILHOUETTE)]
    return np.stack([np.interp(times, t, cols[:, k]) for k in range(cols.shape[1])], axis=1)


# --- the drop ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Drop:
    g: float  # m/s² of simulated time, nan if not fitted
    land_time: float  # video s at which the fitted fall reaches the contact height
    frames: np.ndarray  # the frames fitted
    why: str = ""
    spread: float = 0.0  # relative standard error of g (``spread.relative_spread``)


def fit_drop(instance: Instance, t: np.ndarray, uv: np.ndarray, frames: np.ndarray) -> Drop:
    """A parabola through the heights of the centroid while it is surely still falling."""
    spec = instance.spec
    p = DropParams.of(spec)
    world = World3D.of(spec)
    cam = world.camera_model()
    pts = cam.on_plane(uv, np.array([0.0, 1.0, 0.0]), p.y0)
    z = pts[:, 2]
    falling = z > p.contact_z + ABOVE
    stop = int(np.argmin(falling)) if not falling.all() else len(z)
    idx = np.arange(stop)
    if len(idx) < MIN_POINTS:
        return Drop(np.nan, np.nan, frames[idx], f"too few frames of free fall ({len(idx)})")
    c = np.polyfit(t[idx], z[idx], 2)
    spread = relative_spread(np.vander(t[idx], 3), z[idx] - np.polyval(c, t[idx]), 0, float(c[0]))
    roots = np.roots(c - np.array([0.0, 0.0, p.contact_z]))
    real = sorted(r.real for r in roots if abs(r.imag) < 1e-9 and r.real > t[idx[-1]] - 0.2)
    land = real[0] if real and c[0] < 0 else np.nan
    return Drop(float(-2 * c[0] * world.slow_motion**2), float(land), frames[idx], "", spread)


def _seen(tracks: Tracks, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    found = np.flatnonzero(tracks.found(name))
    return tracks.times[found], tracks.pos[name][found], found


def _truth(instance: Instance, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = instance.trajectory.array(name)
    frames = np.arange(len(rows))
    return frames / instance.spec.fmt.fps, rows[:, :2], frames


def drop_checks(body: Body, tracks: Tracks, instance: Instance) -> list[Check]:
    """``gravity`` and ``contact`` from the fall, ``centroid`` from the whole track."""
    fps = instance.spec.fmt.fps
    seen = fit_drop(instance, *_seen(tracks, body.name))
    want = fit_drop(instance, *_truth(instance, body.name))
    who = f"the {body.label}"
    if seen.why or not np.isfinite(want.g):
        checks = fail_all(("gravity", "contact"), f"cannot fit {who}'s fall: {seen.why}")
    else:
        g = instance.spec.gravity
        g_seen = seen.g * g / want.g
        value = gravity_value(g_seen, g, seen.spread)
        where = f"frames {seen.frames[0]}-{seen.frames[-1]}"
        note = ""
        if value < 1.0:
            note = gravity_note(who, g_seen, g, where, metres=True) + spread_note(seen.spread)
        off = abs(seen.land_time - want.land_time) * fps
        late = (
            f"{who} lands at frame {seen.land_time * fps:.1f}, not at frame"
            f" {want.land_time * fps:.1f}"
        )
        checks = [
            Check("gravity", value, note),
            Check("contact", band(off, 1.5, 4.0), late if off > 1.5 else ""),
        ]
    return [*checks, path_check(body, tracks, instance)]


def path_check(body: Body, tracks: Tracks, instance: Instance) -> Check:
    """The centroid stays near the truth's all along: rms over the frames it is found, and
    in every frame but the ``path.ISOLATED`` worst, near the truth's path within
    ``path.WINDOW`` of its moment (a body that lags and catches up, or stops, is off it
    for a while, which the rms over the clip dilutes)."""
    t, uv, _ = _seen(tracks, body.name)
    if len(t) == 0:
        return Check("centroid", 0.0, f"the {body.label} is never found")
    size = scene_size(instance)
    err = np.linalg.norm(uv - _gt_positions(instance, body.name, t), axis=1)
    rms = float(np.sqrt(np.mean(err**2)))
    value = band(rms / size, 0.025, 0.06)
    worst = int(np.argmax(err))
    note = (
        f"the {body.label} strays {rms:.1f} px (rms) from its true path, most at"
        f" {t[worst]:.2f} s ({err[worst]:.0f} px)"
    )
    off = from_path(instance, body.name, t, uv)
    if len(off) > ISOLATED:
        typical = float(np.sort(off)[-1 - ISOLATED])
        near = band(typical / size, TOLERANCE, FAILS)
        if near < value:
            value = near
            note = (
                f"the {body.label} leaves its true path by up to {typical:.0f} px (at most"
                f" {TOLERANCE * size:.0f} px is tolerated), most at {t[int(np.argmax(off))]:.2f} s"
            )
    return Check("centroid", value, note if value < 1 else "")


def _enough(body: Body, tracks: Tracks, names: tuple[str, ...]) -> list[Check] | None:
    n = int(tracks.found(body.name).sum())
    if n < max(MIN_POINTS, tracks.n // 2):
        return fail_all(names, cannot_follow(body, n, tracks.n))
    return None


def _after_contact(instance: Instance, name: str) -> float:
    """Video time (s) of the body's first contact in the truth."""
    hits = [e.time for e in instance.events if name in e.objects]
    return float(hits[0]) if hits else 0.0


# --- drape-3d ----------------------------------------------------------------------------


def _start(
    tracks: Tracks, instance: Instance, names: tuple[str, ...]
) -> list[Check] | tuple[Body, np.ndarray, np.ndarray, float, list[Check]]:
    """What both families' checks start from: the body, its silhouettes in the video and
    in the truth at the video's times, the picture's size and the fall's checks; or every
    check of ``names`` failed when the body is too seldom found."""
    body = instance.spec.bodies[0]
    failed = _enough(body, tracks, names)
    if failed is not None:
        return failed
    sil = silhouettes(tracks, instance)
    want = truth_silhouettes(instance, tracks.times)
    return body, sil, want, scene_size(instance), drop_checks(body, tracks, instance)


DRAPE_NAMES = ("gravity", "contact", "centroid", "support", "drape")


def drape_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The cloth falls with g, lands when it should, follows its path, never sinks through
    its support and ends draped as the simulator says (declared in
    ``tasks/physics3d/drape.py``)."""
    seen = _start(tracks, instance, DRAPE_NAMES)
    if isinstance(seen, list):
        return seen
    body, sil, want, size, checks = seen
    # the support: once the truth lands, the cloth's top stays where the truth's is
    on = tracks.times >= _after_contact(instance, body.name) + 1.0 / instance.spec.fmt.fps
    on &= np.isfinite(sil[:, TOP])
    sink = sil[on, TOP] - want[on, TOP]
    if not len(sink):
        checks.append(Check("support", 0.0, f"the {body.label} is not found once it lands"))
    else:
        k = int(np.argmax(sink))
        value = band(float(sink[k]) / size, 0.03, 0.08)
        note = (
            f"the {body.label}'s top sinks {sink[k]:.0f} px below where the support holds it"
            f" at {tracks.times[on][k]:.2f} s: it goes into or through the support"
        )
        checks.append(Check("support", value, note if value < 1 else ""))
    checks.append(_rest_shape(body, tracks, sil, want, size))
    return checks


def _rest_shape(
    body: Body, tracks: Tracks, sil: np.ndarray, want: np.ndarray, size: float
) -> Check:
    """The silhouette's extent over the last ``END`` frames is the truth's."""
    last = np.arange(max(0, tracks.n - END), tracks.n)
    cols = [LEFT, TOP, RIGHT, BOTTOM]
    ok = np.isfinite(sil[last]).all(axis=1)
    if not ok.any():
        return Check("drape", 0.0, f"the {body.label} is not found at the end")
    last = last[ok]
    err = np.abs(sil[np.ix_(last, cols)] - want[np.ix_(last, cols)])
    worst = float(np.median(err.max(axis=1)))
    ratio = float(np.median(sil[last, AREA] / want[last, AREA]))
    shape = band(worst / size, 0.025, 0.06)
    cover = band(abs(float(np.log(ratio))), 0.15, 0.35)
    note = ""
    if shape < cover:
        note = (
            f"at the end the {body.label}'s outline is {worst:.0f} px off the simulator's"
            f" (left, top, right, bottom)"
        )
    elif cover < 1:
        note = f"at the end the {body.label} covers {ratio:.2f} times the simulator's area"
    return Check("drape", min(shape, cover), note)


# --- squash-3d ---------------------------------------------------------------------------

SQUASH_NAMES = ("gravity", "contact", "centroid", "floor", "squash", "recover", "bounce")
LAST = 2.0 / 3.0  # of the clip: where the last bounces begin
BOUNCE = (0.5, 0.8)  # the share of the truth's height span a video falls short of: 1, 0
STIRS = 0.015  # of the picture: a truth whose height spans less is at rest (nothing to judge)
SQUASH_WINDOW = 3  # frames either side of the truth's flattest moment
# frames: how far the moments a video shows may lie off the truth's (a fitted time offset,
# a blur's lag, is known to a fraction of a frame); the truth's squash lasts a frame or two
SQUASH_PHASE = 0.5


def aspect(sil: np.ndarray) -> np.ndarray:
    """Height over width of a silhouette (1 for a round ball)."""
    return (sil[:, BOTTOM] - sil[:, TOP] + 1.0) / (sil[:, RIGHT] - sil[:, LEFT] + 1.0)


def squash_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The ball falls with g, lands when it should, follows its path, never sinks below the
    floor, squashes as flat as the simulator's as it lands and is as round at the end
    (declared in ``tasks/physics3d/squash.py``)."""
    seen = _start(tracks, instance, SQUASH_NAMES)
    if isinstance(seen, list):
        return seen
    body, sil, want, size, checks = seen
    rows = instance.trajectory.array(body.name)
    lowest = float(rows[:, SIL + BOTTOM].max())
    bottom = sil[np.isfinite(sil[:, BOTTOM]), BOTTOM]
    below = float(bottom.max()) - lowest if len(bottom) else np.inf
    value = band(below / size, 0.02, 0.05)
    note = f"the {body.label}'s bottom goes {below:.0f} px below the floor it lands on"
    checks.append(Check("floor", value, note if value < 1 else ""))
    checks.append(_squash(body, tracks, instance, sil))
    checks.append(_recover(body, tracks, sil, want))
    checks.append(_bounce(body, tracks, instance, size))
    return checks


def _bounce(body: Body, tracks: Tracks, instance: Instance, size: float) -> Check:
    """Over the last third of the clip the ball keeps bouncing as the truth's does: the
    span of its centroid's height is at least half the truth's at the same moments (a ball
    that stops in mid-air, or on the floor while the truth still bounces, spans none)."""
    end = (instance.spec.fmt.n_frames - 1) / instance.spec.fmt.fps
    t = tracks.times
    late = tracks.found(body.name) & (t >= LAST * end - 1e-9) & (t <= end + 1e-9)
    if late.sum() < MIN_POINTS:
        return Check("bounce", 0.0, f"the {body.label} is not found over the last third")
    seen = float(np.ptp(tracks.pos[body.name][late, 1]))
    want = float(np.ptp(_gt_positions(instance, body.name, t[late])[:, 1]))
    if want < STIRS * size:
        return Check("bounce", 1.0)
    value = band(1.0 - seen / want, *BOUNCE)
    note = (
        f"over the last third the {body.label} moves {seen:.0f} px up and down, not"
        f" {want:.0f} px: it stops bouncing"
    )
    return Check("bounce", value, note if value < 1 else "")


def _recover(body: Body, tracks: Tracks, sil: np.ndarray, want: np.ndarray) -> Check:
    """Over the last ``END`` frames the ball is as round as the truth's."""
    last = np.arange(max(0, tracks.n - END), tracks.n)
    a_seen, a_want = aspect(sil)[last], aspect(want)[last]
    ok = np.isfinite(a_seen)
    if not ok.any():
        return Check("recover", 0.0, f"the {body.label} is not found at the end")
    err = float(np.median(np.abs(a_seen[ok] - a_want[ok])))
    value = band(err, 0.06, 0.15)
    note = (
        f"at the end the {body.label} is {np.median(a_seen[ok]):.2f} as tall as wide,"
        f" not {np.median(a_want[ok]):.2f}"
    )
    return Check("recover", value, note if value < 1 else "")


def _squash(body: Body, tracks: Tracks, instance: Instance, sil: np.ndarray) -> Check:
    """Near the truth's flattest frame, the ball is as flat as the truth's."""
    rows = instance.trajectory.array(body.name)
    k = int(np.argmin(aspect(rows[:, SIL : SIL + len(SILHOUETTE)])))
    fps = instance.spec.fmt.fps
    near = np.abs(tracks.times - k / fps) <= SQUASH_WINDOW / fps
    a_seen = aspect(sil)[near]
    ok = np.isfinite(a_seen)
    if not ok.any():
        return Check("squash", 0.0, f"the {body.label} is not found when it lands")
    # the truth at the moments the video shows (a frame perception drops is not judged),
    # all of them up to SQUASH_PHASE frames off: the phase whose flattest is the video's
    times = tracks.times[near][ok]
    phases = np.linspace(-SQUASH_PHASE, SQUASH_PHASE, 5) / fps
    flat = float(a_seen[ok].min())
    wants = [float(aspect(truth_silhouettes(instance, times + d)).min()) for d in phases]
    want = min(wants, key=lambda w: abs(flat - w))
    err = abs(flat - want)
    value = band(err, 0.05, 0.12)
    note = (
        f"when it lands the {body.label} is at most {flat:.2f} as tall as wide,"
        f" not {want:.2f} (near frame {k})"
    )
    return Check("squash", value, note if value < 1 else "")
