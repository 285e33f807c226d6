"""Checks every family shares: visibility, first frame, final state, continuity.

Each check returns a ``Check`` whose value is 1 inside its tolerance, 0 beyond twice-ish
its tolerance (``band``), and whose note says what went wrong and at which frame. A check
that cannot be computed (the object was never found) is a failure with value 0.

A scene may stand opaque screens in front of moving bodies (``World2D.occluders``
names them): ``visible_fraction`` says how much of a body the ground truth leaves in
view, and ``visible``, ``first_frame`` and ``final_state`` excuse a body where the ground
truth hides it (the ``permanence`` verifier checks that it really stays unseen there).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from vidreason.perception.timeline import MAX_DELAY, SEARCH, Timeline
from vidreason.perception.tracking import MAX_LAB_DISTANCE, Tracks, lab_of, outline_area
from vidreason.scene.geometry import extent, scene_size
from vidreason.scene.occluders import covered
from vidreason.scene.params.world2d import World2D
from vidreason.types import STATE_2D, Body, Check, Instance
from vidreason.verifiers.spread import allowance


def band(err: float, good: float, bad: float) -> float:
    """1 when ``err <= good``, 0 when ``err >= bad``, linear in between."""
    if not np.isfinite(err):
        return 0.0
    if err <= good:
        return 1.0
    if err >= bad:
        return 0.0
    return float((bad - err) / (bad - good))


GRAVITY = (0.10, 0.20)  # |ln(g_seen / g)|: full marks within ~10%, 0 beyond ~20% either way


def gravity_value(g_seen: float, g: float, spread: float = 0.0) -> float:
    """Tolerance on a measured gravity, the same for too strong and too weak (log ratio):
    x1.1 and x0.9 pass, x1.25 and x0.8 fail. ``spread``: the fit's relative standard
    error of gravity, which widens the tolerance by ``spread.allowance`` (a track that
    scatters too much to tell x0.8 from x1 is not failed for it; x0.6 and x1.5 still are)."""
    if not np.isfinite(g_seen) or g_seen <= 0 or g <= 0:
        return 0.0
    return band(abs(float(np.log(g_seen / g))) - allowance(spread), *GRAVITY)


def gt_positions(instance: Instance, name: str, times: np.ndarray) -> np.ndarray:
    """Ground-truth position of ``name`` at arbitrary times (linear interpolation)."""
    states = instance.trajectory.array(name)
    t = np.arange(len(states)) / instance.spec.fmt.fps
    return np.stack([np.interp(times, t, states[:, 0]), np.interp(times, t, states[:, 1])], axis=1)


def occluders(instance: Instance) -> list[Body]:
    """The opaque screens of the scene (upright boxes drawn in front of everything)."""
    names = World2D.of(instance.spec).occluders or ()
    return [b for b in instance.spec.bodies if b.name in names]


def visible_fraction(instance: Instance, name: str, times: np.ndarray) -> np.ndarray:
    """The share of body ``name`` (as a disc of its radius) that the ground truth leaves
    in view at ``times``: 1 everywhere in a scene without occluders."""
    screens = [b for b in occluders(instance) if b.name != name]
    if not screens:
        return np.ones(len(times))
    centres = gt_positions(instance, name, np.asarray(times, dtype=float))
    return 1.0 - covered(centres, instance.spec.body(name).radius, screens)


EXCUSED = 0.5  # a body showing less than this share of itself may be missed
PLACED = 0.9  # a body showing less than this is not placed by its centroid


def frame_ranges(frames: Iterable[int]) -> str:
    """'3-7, 12' for the frame numbers given."""
    frames = sorted(int(f) for f in frames)
    if not frames:
        return ""
    parts, start, prev = [], frames[0], frames[0]
    for f in [*frames[1:], None]:
        if f is not None and f == prev + 1:
            prev = f
            continue
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
        if f is not None:
            start = prev = f
    return ", ".join(parts)


def duration(tracks: Tracks, instance: Instance) -> Check:
    """The video lasts as long as the task: the physics must have time to happen."""
    need = instance.spec.fmt.duration
    span = float(tracks.times[-1]) if tracks.n else 0.0
    value = band(1.0 - span / need, 0.1, 0.3)
    note = f"the video covers {span:.2f} s of the {need:.2f} s the task needs" if value < 1 else ""
    return Check("duration", value, note)


def first_run(flags: np.ndarray, length: int) -> int | None:
    """First index of a run of ``length`` True values, or None."""
    count = 0
    for i, f in enumerate(flags):
        count = count + 1 if f else 0
        if count >= length:
            return i - length + 1
    return None


def objects(tracks: Tracks, instance: Instance, sizes: bool = True) -> Check:
    """Nothing appears that is not in the scene, nothing is duplicated, and no body's
    colour suddenly covers something several times its size (a colour swap); with
    ``sizes`` (all but a poured liquid, whose thin stream a codec thins, its volume
    checked by its family), no body shrinks or swells."""
    bodies = instance.spec.bodies
    smallest = min(b.area for b in bodies)
    if tracks.unknown is not None:
        start = first_run(tracks.unknown >= 0.5 * smallest, 3)
        if start is not None:
            return Check(
                "objects", 0.0, f"an object that is not in the scene appears at frame {start}"
            )
    for b in bodies:
        if tracks.second is None:
            break
        start = first_run(tracks.second[b.name] >= 0.5 * b.area, 3)
        if start is not None:
            return Check("objects", 0.0, f"a second {b.label} appears at frame {start}")
        start = first_run(tracks.area[b.name] >= GROWTH * b.area, 3)
        if start is not None:
            grown = tracks.area[b.name][start] / b.area
            return Check(
                "objects", 0.0, f"the {b.label} is {grown:.1f} times its size at frame {start}"
            )
        if not sizes:
            continue
        for find, says in ((shrinks, _shrink_says), (fades, _fade_says)):
            found = find(tracks, instance, b)
            if found is not None:
                return Check("objects", 0.0, says(b, tracks.source[found[0]], found[1]))
    return Check("objects", 1.0)


def _shrink_says(body: Body, frame: int, share: float) -> str:
    return (
        f"the {body.label} {'shrinks' if share < 1 else 'grows'} to {100 * share:.0f}% of"
        f" its size at frame {frame}" + (" (part of it vanishes)" if share < 1 else "")
    )


def _fade_says(body: Body, frame: int, share: float) -> str:
    return (
        f"the {body.label} fades at frame {frame}: its colour is"
        f" {100 * share:.0f}% of the way to the background's"
    )


SHRINK = 0.55  # a body seen at less than this share of its usual area has partly vanished
SWELL = 2.0  # and at more than this many times it, has grown
SETTLED = 5  # clear frames at the start that give a flat body its usual area
# a flat body moving this share of its size a frame is not measured: a motion blur over 3
# frames smears it over twice that, and no pixel shows its colour undiluted
BLURRED = 0.5


def plain_view(tracks: Tracks, instance: Instance, body: Body) -> tuple[np.ndarray, bool]:
    """Per frame, whether ``body`` is found and in plain view in the truth (no screen, no
    look-alike or, in 3D, no other body near it, inside the picture, not so fast that a
    motion blur smears it), and whether it is a flat (2D) body."""
    clear = (visible_fraction(instance, body.name, tracks.times) >= 0.95) & tracks.found(body.name)
    clear &= in_view(tracks, instance, body.name)
    flat = instance.trajectory.array(body.name).shape[1] <= STATE_2D
    mine = gt_positions(instance, body.name, tracks.times)
    clear &= ~moves_fast(instance, body, tracks.times, BLURRED if flat else 0.5)
    for other in instance.spec.bodies:
        if other.name == body.name or other.name not in instance.trajectory.states:
            continue
        if flat and not alike(body, other):
            continue  # flat bodies never cover each other; only a look-alike's blob can merge
        near = np.linalg.norm(gt_positions(instance, other.name, tracks.times) - mine, axis=1)
        clear &= near > 1.2 * (extent(body) + extent(other))
    return clear, flat


FADED = 0.25  # share of the way from a body's own colour to the background's: faded
FADE_RUN = 3  # frames running


def fades(tracks: Tracks, instance: Instance, body: Body) -> tuple[int, float] | None:
    """The first of ``FADE_RUN`` frames running where flat ``body``, in plain view, shows
    in its middle (a patch around where it is found, as ``calibrate`` reads it) a colour
    more than ``FADED`` of the way (RGB) from the one its first ``SETTLED`` such frames
    show towards the background's, the move mostly that way, and that share; None if it
    keeps its colour. A body fading into the background keeps its size and place while
    its pixels become blends that count for it. Light that the light model leaves (a
    spot of light, colours clipped at white) scales a colour along itself, across the
    way to a light background (a yellow ball under a spot 30% bright: 0.05 of the way,
    faded to a quarter: 0.25); a codec's noise and a motion blur leave a slow body's
    middle as it was. A body drawn in 3D (lit, its colour changing as it turns) or of
    the background's colour is not measured."""
    clear, flat = plain_view(tracks, instance, body)
    if not flat or body.shape == "cup" or clear.sum() < SETTLED + FADE_RUN:
        return None
    r = int(max(1.0, min(0.5 * body.radius, 6.0)))
    h, w = tracks.frames.shape[1:3]
    mid = np.mean if instance.spec.fmt.style == "textured" else np.median  # (as calibrate)
    colour = np.full((tracks.n, 3), np.nan)
    for i in np.flatnonzero(clear):
        x, y = (round(float(v)) for v in tracks.pos[body.name][i])
        if r <= x < w - r and r <= y < h - r:
            patch = tracks.frames[i, y - r : y + r + 1, x - r : x + r + 1].reshape(-1, 3)
            colour[i] = mid(patch.astype(np.float64), axis=0)
    seen = np.flatnonzero(np.isfinite(colour[:, 0]))
    if len(seen) < SETTLED + FADE_RUN or len(tracks.palette) <= len(instance.spec.bodies):
        return None
    own = np.median(colour[seen[:SETTLED]], axis=0)
    way = np.asarray(tracks.palette[len(instance.spec.bodies)], np.float64) - own
    if float(np.linalg.norm(way)) < 2 * MAX_LAB_DISTANCE:
        return None  # too near the background's colour to tell a fade
    move = colour[seen] - own
    along = move @ way / float(way @ way)  # share of the way
    across = np.linalg.norm(move - along[:, None] * way, axis=1)
    faded = (along > FADED) & (along * float(np.linalg.norm(way)) > across)
    run = first_run(faded, FADE_RUN)  # over the frames measured
    return None if run is None else (int(seen[run]), float(along[run]))


def shrinks(tracks: Tracks, instance: Instance, body: Body) -> tuple[int, float] | None:
    """The first of 3 frames running where ``body``, in plain view in the truth (no
    screen, no other body near it, inside the picture), is found at under ``SHRINK`` or
    over ``SWELL`` times its usual area, and that share; None if it keeps its size. The
    usual area is that of its first ``SETTLED`` such frames in a flat (2D) scene, where a
    body keeps its size, so a body that shrinks or swells for most of the clip is caught;
    the median over the clip in a 3D scene, where it looks smaller further away."""
    area = tracks.area[body.name]
    clear, flat = plain_view(tracks, instance, body)
    if clear.sum() < 5:
        return None
    settled = np.flatnonzero(clear)[:SETTLED] if flat else np.flatnonzero(clear)
    typical = float(np.median(area[settled]))
    odd = (area < SHRINK * typical) | (flat & (area > SWELL * typical))
    if first_run(clear & odd, 3) is None:
        return None
    # a second look where it changed size: a lossy codec mottles a thin body with the
    # colours around it; with the holes filled it keeps its outline, unless it truly shrank
    first = settled[:SETTLED]
    outline = np.zeros(tracks.n)
    for i in {*first.tolist(), *np.flatnonzero(clear & odd).tolist()}:
        outline[i] = outline_area(tracks, instance, body.name, i)
    usual = float(np.median(outline[first]))
    if usual > 0:
        odd &= (outline < SHRINK * usual) | (flat & (outline > SWELL * usual))
    start = first_run(clear & odd, 3)
    return None if start is None else (start, float(area[start] / typical))


def moves_fast(instance: Instance, body: Body, times: np.ndarray, share: float) -> np.ndarray:
    """Per frame, whether ``body``'s edge moves by ``share`` of its size (its extent) or
    more in a frame before or after, by its centre's motion or by turning: a motion blur
    smears it into a streak that no longer shows its colour undiluted, so its size is not
    read there. In a shaded (3D) picture its blends with the background are not read as
    the body at all, so half its size is already fast there."""
    mine = gt_positions(instance, body.name, times)
    rows = instance.trajectory.array(body.name)
    t = np.arange(len(rows)) / instance.spec.fmt.fps
    angle = np.interp(times, t, rows[:, 4]) if rows.shape[1] > 4 else None
    fast = np.zeros(len(times), bool)
    dt = 1.0 / instance.spec.fmt.fps
    for shift in (-dt, dt):
        step = np.linalg.norm(gt_positions(instance, body.name, times + shift) - mine, axis=1)
        if angle is not None and body.shape != "circle":
            step = step + extent(body) * np.abs(np.interp(times + shift, t, rows[:, 4]) - angle)
        fast |= step >= share * extent(body)
    return fast


ALIKE = 2 * MAX_LAB_DISTANCE  # Lab: bodies closer in colour than this may share a blob


def alike(a: Body, b: Body) -> bool:
    """Whether ``a`` and ``b`` are close enough in colour for a blurred or compressed picture
    to label one's pixels as the other's."""
    lab = lab_of(np.array([a.colour, b.colour]))
    return bool(np.linalg.norm(lab[0] - lab[1]) < ALIKE)


GROWTH = 4.0  # a blob this many times a body's area is something else in its colour


MAX_MISSING_RUN = 2  # frames: an object may be missed this many frames in a row
MAX_MISSING = 0.05  # and in at most this share of the frames


def in_view(tracks: Tracks, instance: Instance, name: str) -> np.ndarray:
    """Per frame, whether the camera shows where the ground truth puts ``name`` (a
    camera that zooms in may leave a body near the edge out of the picture)."""
    centres = gt_positions(instance, name, tracks.times)
    if tracks.percept is None:
        return np.ones(tracks.n, dtype=bool)
    view = tracks.percept.view
    h, w = view.shape[1:3]
    r = 0.5 * instance.spec.body(name).radius
    out = np.zeros(tracks.n, dtype=bool)
    m = len(centres)
    if m == 0:
        return out
    x, y = centres[:, 0:1], centres[:, 1:2]  # the centre and four points around it
    inside = ((x >= 0) & (x < w) & (y >= 0) & (y < h))[:, 0]
    px = np.where(inside[:, None], np.concatenate([x - r, x, x + r, x, x], axis=1), 0.0)
    py = np.where(inside[:, None], np.concatenate([y, y - r, y, y + r, y], axis=1), 0.0)
    xs = np.clip(np.round(px).astype(int), 0, w - 1)
    ys = np.clip(np.round(py).astype(int), 0, h - 1)
    out[:m] = inside & view[np.arange(m)[:, None], ys, xs].all(axis=1)
    return out


def longest_run(flags: np.ndarray) -> int:
    best = count = 0
    for f in flags:
        count = count + 1 if f else 0
        best = max(best, count)
    return best


def visibility(tracks: Tracks, instance: Instance) -> Check:
    """Object permanence: every body the ground truth shows is found in every frame;
    only isolated misses (at most ``MAX_MISSING_RUN`` frames in a row and
    ``MAX_MISSING`` of the frames) are forgiven. The note names the frames."""
    worst, note = 1.0, ""
    source = tracks.source
    # a dropped repeat shows what the frame before it shows: count every frame of the video
    span = np.diff(np.append(source, source[-1] + 1)) if tracks.n else np.zeros(0, int)
    total = int(span.sum())
    for b in instance.spec.bodies:
        shown = visible_fraction(instance, b.name, tracks.times) >= EXCUSED
        shown &= in_view(tracks, instance, b.name)
        gone = np.repeat(~tracks.found(b.name) & shown, span)
        missing = np.flatnonzero(gone) + int(source[0]) if tracks.n else np.zeros(0, int)
        run = longest_run(gone)
        value = min(
            band(run, MAX_MISSING_RUN, MAX_MISSING_RUN + 1),
            band(len(missing) / max(1, total), MAX_MISSING, 2 * MAX_MISSING),
        )
        if value < worst or (missing.size and not note):
            if len(missing) == total:
                note = f"the {b.label} is not visible in any frame"
            else:
                note = f"the {b.label} is not visible in frames {frame_ranges(missing)}"
            worst = min(worst, value)
    return Check("visible", worst, note if worst < 1 else "")


def _position_check(
    name: str, tracks: Tracks, instance: Instance, frame: int, good: float, bad: float, what: str
) -> Check:
    size = scene_size(instance)
    t = tracks.times[frame : frame + 1]
    worst, note = 1.0, ""
    for b in instance.spec.bodies:
        if visible_fraction(instance, b.name, t)[0] < PLACED:
            continue  # behind a screen: the permanence checks judge it
        p = tracks.pos[b.name][frame]
        if np.isnan(p[0]):
            return Check(name, 0.0, f"the {b.label} is not visible in the {what} frame")
        err = float(np.linalg.norm(p - gt_positions(instance, b.name, t)[0]))
        value = band(err / size, good, bad)
        if value < worst:
            worst = value
            gx, gy = gt_positions(instance, b.name, t)[0]
            note = (
                f"in the {what} frame the {b.label} is at ({p[0]:.0f}, {p[1]:.0f}),"
                f" {err:.0f} px from where it should be ({gx:.0f}, {gy:.0f})"
            )
    return Check(name, worst, note)


def first_frame(tracks: Tracks, instance: Instance, image: np.ndarray | None) -> Check:
    """The video starts from the conditioning image: objects in place, same scene."""
    pos = _position_check("first_frame", tracks, instance, 0, 0.03, 0.08, "first")
    if image is None or pos.value == 0.0:
        return pos
    a = tracks.frames[0].astype(np.float32).mean(axis=2)
    b = image.astype(np.float32).mean(axis=2)
    if a.shape != b.shape:
        return pos
    if tracks.percept is not None:  # only what the camera shows
        a, b = a[tracks.percept.view[0]], b[tracks.percept.view[0]]
    a, b = a - a.mean(), b - b.mean()
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    ncc = float((a * b).sum() / denom) if denom > 0 else 0.0
    scene = band(1.0 - ncc, 0.15, 0.5)
    if scene < pos.value:
        return Check(
            "first_frame",
            scene,
            f"the first frame does not match the conditioning image (correlation {ncc:.2f})",
        )
    return pos


def final_state(tracks: Tracks, instance: Instance) -> Check:
    return _position_check("final_state", tracks, instance, tracks.n - 1, 0.06, 0.15, "last")


PACE = 2.0  # planning: a video may carry out its moves up to this many times as fast
ON_PATH = 0.02  # share of the frame: a point this close to the true path lies on it


def on_path(q: np.ndarray, path: np.ndarray, size: float) -> np.ndarray:
    """Every place on the polyline ``path`` (n, 2; one point per frame) that the point
    ``q`` lies within ``ON_PATH`` of the frame ``size`` of, in frames (fractional; a path
    may pass one place twice)."""
    if len(path) < 2:
        return np.zeros(0)
    a, b = path[:-1], path[1:]
    d = b - a
    dd = np.maximum((d * d).sum(axis=1), 1e-12)
    t = np.clip(((q - a) * d).sum(axis=1) / dd, 0.0, 1.0)
    dist = np.linalg.norm(a + t[:, None] * d - q, axis=1)
    near = dist <= ON_PATH * size
    return (np.arange(len(a)) + t)[near]


def paced(p0: np.ndarray, p1: np.ndarray, path: np.ndarray, size: float, gap: float) -> bool:
    """A step from ``p0`` to ``p1`` over ``gap`` frames is the true path sampled at a faster
    pace: both ends lie on it, at most ``PACE`` times as many of its frames apart (and one
    more for rounding)."""
    i0, i1 = on_path(p0, path, size), on_path(p1, path, size)
    if not len(i0) or not len(i1):
        return False
    return bool((np.abs(i1[None, :] - i0[:, None]) <= PACE * gap + 1.0).any())


def continuity(tracks: Tracks, instance: Instance) -> Check:
    """No object moves further between two frames than the ground truth ever does (a
    planning video, whose pace is its own, ``PACE`` times as far)."""
    size = scene_size(instance)
    fps = instance.spec.fmt.fps
    dt = float(np.median(np.diff(tracks.times))) if tracks.n > 1 else 1.0 / fps
    worst, note = 1.0, ""
    src = tracks.source  # frame numbers as the video counts them
    own_pace = instance.capability == "planning"  # a move's speed is the video's own
    doubt = np.linalg.norm(camera_doubt(tracks, instance), axis=1)  # px a position may be off
    for b in instance.spec.bodies:
        gt = instance.trajectory.xy(b.name)
        vmax = float(np.linalg.norm(np.diff(gt, axis=0), axis=1).max()) * fps
        found = np.flatnonzero(tracks.found(b.name))
        if len(found) < 2:
            continue  # visibility already fails
        p = tracks.pos[b.name][found]
        steps = np.linalg.norm(np.diff(p, axis=0), axis=1)
        gaps = np.diff(tracks.times[found]) / dt  # in frames; a dropped frame counts
        allowed = ((PACE if own_pace else 1.0) * 1.5 * vmax * dt + 0.02 * size) * gaps
        ratio = steps / allowed
        k = int(np.argmax(ratio))
        value = band(float(ratio[k]), 1.0, 2.0)
        if value < worst:
            worst = value
            note = (
                f"the {b.label} jumps {steps[k]:.0f} px between frames {src[found[k]]}"
                f" and {src[found[k + 1]]} (at most {allowed[k]:.0f} px is possible)"
            )
        jump = teleport(p, tracks.times[found], tracks.area[b.name][found], own_pace)
        if jump is not None and own_pace:
            # at the video's own pace a fast move is a coarse sample of the true path: a
            # step along it by no more than the pace allows is no jump off it
            k = jump[0]
            if paced(p[k], p[k + 1], gt, size, float(gaps[k])):
                jump = None
        if jump is not None and band(jump[1] / size, *JUMP) < worst:
            k, px = jump
            worst = band(px / size, *JUMP)
            note = (
                f"the {b.label} jumps {px:.0f} px off its path between frames"
                f" {src[found[k]]} and {src[found[k + 1]]} and carries on from there"
            )
        stall = stall_then_jump(p, gaps, rest=True, doubt=doubt[found])
        if stall is not None and own_pace:
            j = stall[1]  # a piece that waits, then moves on at a pace the video may set
            stall = None if paced(p[j], p[j + 1], gt, size, float(gaps[j])) else stall
        if stall is not None and worst > 0.0:
            a, j = stall
            worst = 0.0
            note = (
                f"the {b.label} stops dead from frame {src[found[a]]} to {src[found[j]]} and"
                f" then jumps {steps[j]:.0f} px to frame {src[found[j + 1]]} (a freeze, then"
                f" a jump)"
            )
    return Check("continuity", worst, note)


JUMP = (0.025, 0.05)  # a jump off the path, as a share of the frame: tolerated / failed
WHOLE = 0.8  # a blob of this share of its median area is the whole body (not half hidden)
ROUGH = 3.0  # a jump counts beyond this many times the path's median roughness


def teleport(
    p: np.ndarray, t: np.ndarray, area: np.ndarray, sideways_only: bool = False
) -> tuple[int, float] | None:
    """The worst jump off a smooth path: a step ``k`` whose velocity stands out from the
    steps either side while those two agree with each other (the body carries on as
    before, only moved), as (step index, px off). A bounce or a collision changes the
    velocity once, so the steps either side disagree and it is no jump. Only steps
    between frames where the whole body is seen count (a half-hidden body's centroid
    moves with the edge that hides it). The px returned are beyond ``ROUGH`` times the
    path's median roughness. With ``sideways_only`` (a video that sets its own pace) only
    the part across the path counts."""
    if len(p) < 4:
        return None
    whole = area >= WHOLE * float(np.median(area))
    dt = np.diff(t)
    v = np.diff(p, axis=0) / dt[:, None]
    offs = np.zeros(len(v))
    speed = np.zeros(len(v))
    jumps = np.zeros(len(v), bool)
    for k in range(1, len(v) - 1):
        if not whole[k - 1 : k + 3].all():
            continue
        mean = 0.5 * (v[k - 1] + v[k + 1])
        d = v[k] - mean
        speed[k] = float(np.linalg.norm(mean)) * dt[k]
        if sideways_only and speed[k] > 1e-9:  # a step along the path is a change of pace
            u = mean / np.linalg.norm(mean)
            d = d - (d @ u) * u
        offs[k] = float(np.linalg.norm(d)) * dt[k]
        spread = float(np.linalg.norm(v[k + 1] - v[k - 1])) * dt[k]
        jumps[k] = spread < 0.5 * offs[k]
    if not jumps.any():
        return None
    # measured against the path's own roughness, in px and as a share of the step: a
    # camera shaking over a blank scene makes every step rough, and frames shown at
    # uneven times (another frame rate by repetition) make every fast step uneven
    moving = speed > 1.0
    rel = float(np.median(offs[moving] / speed[moving])) if moving.sum() >= 3 else 0.0
    allowed = ROUGH * np.maximum(float(np.median(offs[1:-1])), rel * speed)
    excess = np.where(jumps, offs - allowed, -np.inf)
    k = int(np.argmax(excess))
    return k, max(0.0, float(excess[k]))


STALL = 3  # steps without motion (< 0.5 px) that make a stop
STALL_MOVING = 0.5  # px per step: the pace before a stop that makes the body a moving one
STALL_JUMP = 2.5  # a step after a stop this many times the pace after it is a jump


def stall_then_jump(
    p: np.ndarray,
    gaps: np.ndarray | None = None,
    rest: bool = False,
    doubt: np.ndarray | None = None,
) -> tuple[int, int] | None:
    """(first, last) step index of a stop of a moving body that ends in a jump, on the
    positions ``p`` of the frames where it is found (``gaps``: frames between them, a
    step over a gap counted per frame): at least ``STALL`` steps under 0.5 px, after
    steps of at least ``STALL_MOVING`` px, followed by a step over 3 px and ``STALL_JUMP``
    times the pace the body carries on at, that it does not take back (it carries on
    from where it jumped to: the frames of the stop were missing motion). With ``rest``
    a body still from its first frame counts too (it jumps as it sets off). A pause
    that ends at the pace it had, a rest before a push (which then carries on as fast),
    a stop that lasts and a one-frame glitch are not this. ``doubt`` (px, per position):
    how far each position may be off where the camera was not measured; a jump counts
    only beyond the doubt at its two ends."""
    raw = np.linalg.norm(np.diff(p, axis=0), axis=1)
    per = np.ones(len(raw)) if gaps is None else np.maximum(gaps, 1.0)
    steps = raw / per
    sure = steps if doubt is None else np.maximum(raw - doubt[:-1] - doubt[1:], 0.0) / per
    still = steps < 0.5
    i, n = 0, len(steps)
    while i < n:
        if not still[i]:
            i += 1
            continue
        j = i
        while j < n and still[j]:
            j += 1
        if j - i >= STALL and j < n and (i >= 3 or (rest and i == 0)):
            before = float(np.median(steps[i - 3 : i])) if i else 0.0
            after = float(np.median(steps[j + 1 : j + 4])) if j + 1 < n else 0.0
            kept = float(np.linalg.norm(p[min(j + 3, n)] - p[j]))  # from the stop's place
            if (
                (before >= STALL_MOVING or i == 0)
                and sure[j] > max(3.0, STALL_JUMP * after)
                and kept >= 0.5 * float(np.linalg.norm(p[j + 1] - p[j]))
            ):
                return i, j
        i = j
    return None


CAMERA_ZOOM = (0.3, 0.5)  # |scale - 1|: reported within the first, fails beyond the second
CAMERA_SHIFT = (0.15, 0.3)  # share of the picture
CAMERA_JUMP = (0.05, 0.1)  # share of the picture the camera moves between two frames


def camera(tracks: Tracks, instance: Instance) -> Check:
    """How far the camera moved against the conditioning image (zoom, shift, shake), as
    registration measured and compensated it. Reported in the note; it fails only when
    the picture no longer shows the task's scene (a zoom or shift beyond what a camera
    of the scene can do), never for a camera that moved within reason."""
    if tracks.percept is None:
        return Check("camera", 1.0)
    cam = tracks.percept.camera
    w, h = instance.spec.fmt.width, instance.spec.fmt.height
    size = scene_size(instance)
    scale = cam.scale()
    shift = cam.shift(w, h)
    zoom = float(np.abs(scale - 1.0).max())
    move = float(np.linalg.norm(shift, axis=1).max())
    steps = np.linalg.norm(np.diff(shift, axis=0), axis=1) if len(shift) > 1 else np.zeros(1)
    jitter = float(steps.max())
    value = min(
        band(zoom, *CAMERA_ZOOM),
        band(move / size, *CAMERA_SHIFT),
        band(jitter / size, *CAMERA_JUMP),
    )
    parts = []
    if zoom > 0.01:
        parts.append(f"zoom x{float(scale[np.argmax(np.abs(scale - 1.0))]):.2f}")
    if move > 1.0:
        parts.append(f"shift up to {move:.1f} px")
    if jitter > 1.0:
        k = int(np.argmax(steps))
        parts.append(f"shake up to {jitter:.1f} px between frames (most at {k} to {k + 1})")
    later = cam.measured is None or bool(cam.measured[1:].any())  # past the first frame
    if not cam.tracked and parts and not later:
        parts.append("measured on the first frame only (too little static scene)")
    elif parts:
        doubt = cam.doubt(w, h)
        for axis, a, b in cam.unmeasured():
            d = float(doubt[a : b + 1, 0 if axis == "sideways" else 1].max())
            if d > 1.0:
                where = f"frame {a}" if a == b else f"frames {a}-{b}"
                parts.append(f"not measured {axis} in {where} (positions there within {d:.0f} px)")
    note = "camera compensated: " + ", ".join(parts) if parts else ""
    if value < 1.0:
        note = "the picture does not show the task's scene: " + ", ".join(parts)
    time = timing_note(tracks.percept.timeline)
    return Check("camera", value, "; ".join(s for s in (note, time) if s))


def camera_doubt(tracks: Tracks, instance: Instance) -> np.ndarray:
    """Per tracked frame and axis (n, 2), how far (px) a position may be off because the
    camera's shift there was not measured (``Camera.doubt``): 0 where it was."""
    if tracks.percept is None:
        return np.zeros((tracks.n, 2))
    w, h = instance.spec.fmt.width, instance.spec.fmt.height
    return tracks.percept.camera.doubt(w, h)[tracks.source]


def timing_note(line: Timeline) -> str:
    """What the timeline took out (repeated frames, a time offset) or measured and left
    (a delay beyond ``MAX_DELAY``, for the law checks to judge), in words."""
    parts = []
    if line.repeats:
        parts.append(f"{line.repeats} repeated frames dropped")
    if line.delay > 0:
        parts.append(
            f"runs {line.delay:.2f} s behind the truth (a late start or a motion blur's lag,"
            " taken as a time offset)"
        )
    if line.late > 0:
        least = "at least " if line.late >= SEARCH * MAX_DELAY - 1e-9 else ""
        parts.append(
            f"runs {least}{line.late:.2f} s behind the truth from the start, more than the"
            f" {MAX_DELAY:.2f} s taken as a time offset (left to the law checks)"
        )
    return "time: " + ", ".join(parts) if parts else ""


# --- wording shared by several verifiers -----------------------------------------------------


def falls_with(who: str, g_seen: float, g: float, where: str = "", metres: bool = False) -> str:
    """The one way a verifier says that a body falls with the wrong gravity: "the red ball
    falls with gravity 520 px/s² (frames 3-20), 30% stronger than the expected 400".
    ``where`` names the frames it was measured on; ``metres``: a 3D fit through the camera,
    in m/s² (one and two decimals)."""
    unit, seen, want = _gravity_figures(g_seen, g, metres)
    kind = "stronger" if g_seen > g else "weaker"
    span = f" ({where})" if where else ""
    tail = f" {unit}" if metres else ""
    return (
        f"{who} falls with gravity {seen} {unit}{span}, {abs(g_seen - g) / abs(g):.0%} {kind}"
        f" than the expected {want}{tail}"
    )


def gravity_note(who: str, g_seen: float, g: float, where: str = "", metres: bool = False) -> str:
    """A gravity outside the tolerance (``gravity_value`` < 1) in words: a body that
    accelerates upward or hardly falls (under 10% of ``g``) is said to, with the fitted
    and the expected value; otherwise ``falls_with``."""
    unit, seen, want = _gravity_figures(g_seen, g, metres)
    at = f"{where}: " if where else ""
    if g_seen < -0.1 * g:
        return f"{who} accelerates upward ({at}fitted gravity {seen} {unit}, expected {want})"
    if abs(g_seen) < 0.1 * g:
        return f"{who} does not fall ({at}fitted gravity {seen} {unit}, expected {want})"
    return falls_with(who, g_seen, g, where, metres)


def _gravity_figures(g_seen: float, g: float, metres: bool) -> tuple[str, str, str]:
    if metres:
        return "m/s²", f"{g_seen:.1f}", f"{g:.2f}"
    return "px/s²", f"{g_seen:.0f}", f"{g:.0f}"


def fail_all(names: Iterable[str], why: str) -> list[Check]:
    """Every check in ``names`` failed (value 0) for one reason: what a family's law checks
    return when what they measure cannot be found in the video (a body not followed, a
    collision that never happens), so that each declared check still reports."""
    return [Check(name, 0.0, why) for name in names]


def cannot_follow(body: Body, found: int, n: int) -> str:
    """Why a body's law checks cannot run: it is found in too few of the ``n`` frames."""
    return f"cannot follow the {body.label}: found in {found} of {n} frames"
