"""Checks every family shares: visibility, first frame, final state, continuity.

Each check returns a ``Check`` whose value is 1 inside its tolerance, 0 beyond twice-ish
its tolerance (``band``), and whose note says what went wrong and at which frame. A check
that cannot be computed (the object was never found) is a failure with value 0.

A scene may stand opaque screens in front of moving bodies (``spec.extra["occluders"]``
names them): ``visible_fraction`` says how much of a body the ground truth leaves in
view, and ``visible``, ``first_frame`` and ``final_state`` excuse a body where the ground
truth hides it (the ``permanence`` verifier checks that it really stays unseen there).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from vidreason.types import Body, Check, Instance
from vidreason.verifiers.tracking import Tracks


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


def gravity_value(g_seen: float, g: float) -> float:
    """Tolerance on a measured gravity, the same for too strong and too weak (log ratio):
    x1.1 and x0.9 pass, x1.25 and x0.8 fail."""
    if not np.isfinite(g_seen) or g_seen <= 0 or g <= 0:
        return 0.0
    return band(abs(float(np.log(g_seen / g))), *GRAVITY)


def scene_size(instance: Instance) -> float:
    return float(max(instance.spec.fmt.width, instance.spec.fmt.height))


def gt_positions(instance: Instance, name: str, times: np.ndarray) -> np.ndarray:
    """Ground-truth position of ``name`` at arbitrary times (linear interpolation)."""
    states = np.asarray(instance.trajectory.states[name], dtype=float)
    t = np.arange(len(states)) / instance.spec.fmt.fps
    return np.stack([np.interp(times, t, states[:, 0]), np.interp(times, t, states[:, 1])], axis=1)


def occluders(instance: Instance) -> list[Body]:
    """The opaque screens of the scene (upright boxes drawn in front of everything)."""
    names = instance.spec.extra.get("occluders", ())
    return [b for b in instance.spec.bodies if b.name in names]


def _unit_disc(n: int = 15) -> np.ndarray:
    g = (np.arange(n) + 0.5) / n * 2.0 - 1.0
    x, y = np.meshgrid(g, g)
    keep = x**2 + y**2 <= 1.0
    return np.stack([x[keep], y[keep]], axis=1)


_DISC = _unit_disc()


def covered(centres: np.ndarray, radius: float, screens: list[Body]) -> np.ndarray:
    """Per centre, the share of a disc of ``radius`` there that ``screens`` cover."""
    pts = np.asarray(centres, dtype=float)[:, None, :] + radius * _DISC[None, :, :]
    hidden = np.zeros(pts.shape[:2], dtype=bool)
    for s in screens:
        (sx, sy), (w, h) = s.position, s.size
        hidden |= (np.abs(pts[..., 0] - sx) <= w / 2) & (np.abs(pts[..., 1] - sy) <= h / 2)
    return hidden.mean(axis=1)


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


def objects(tracks: Tracks, instance: Instance) -> Check:
    """Nothing appears that is not in the scene, nothing is duplicated, and no body's
    colour suddenly covers something several times its size (a colour swap)."""
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
    return Check("objects", 1.0)


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
    for i, (x, y) in enumerate(centres):
        xs = np.clip(np.round([x - r, x, x + r, x, x]).astype(int), 0, w - 1)
        ys = np.clip(np.round([y, y - r, y, y + r, y]).astype(int), 0, h - 1)
        inside = 0 <= x < w and 0 <= y < h
        out[i] = inside and bool(view[i, ys, xs].all())
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


def continuity(tracks: Tracks, instance: Instance) -> Check:
    """No object moves further between two frames than the ground truth ever does."""
    size = scene_size(instance)
    fps = instance.spec.fmt.fps
    dt = float(np.median(np.diff(tracks.times))) if tracks.n > 1 else 1.0 / fps
    worst, note = 1.0, ""
    src = tracks.source  # frame numbers as the video counts them
    for b in instance.spec.bodies:
        gt = np.asarray(instance.trajectory.states[b.name], dtype=float)[:, :2]
        vmax = float(np.linalg.norm(np.diff(gt, axis=0), axis=1).max()) * fps
        found = np.flatnonzero(tracks.found(b.name))
        if len(found) < 2:
            continue  # visibility already fails
        p = tracks.pos[b.name][found]
        steps = np.linalg.norm(np.diff(p, axis=0), axis=1)
        gaps = np.diff(tracks.times[found]) / dt  # in frames; a dropped frame counts
        allowed = (1.5 * vmax * dt + 0.02 * size) * gaps
        ratio = steps / allowed
        k = int(np.argmax(ratio))
        value = band(float(ratio[k]), 1.0, 2.0)
        if value < worst:
            worst = value
            note = (
                f"the {b.label} jumps {steps[k]:.0f} px between frames {src[found[k]]}"
                f" and {src[found[k + 1]]} (at most {allowed[k]:.0f} px is possible)"
            )
        stall = stall_then_jump(steps)
        if stall is not None and worst > 0.0:
            a, j = stall
            worst = 0.0
            note = (
                f"the {b.label} stops dead from frame {src[found[a]]} to {src[found[j]]} and"
                f" then jumps {steps[j]:.0f} px to frame {src[found[j + 1]]} (a freeze, then"
                f" a jump)"
            )
    return Check("continuity", worst, note)


STALL = 3  # steps without motion (< 0.5 px) that make a stop
STALL_JUMP = 2.5  # a step after a stop this many times the steps before it is a jump


def stall_then_jump(steps: np.ndarray) -> tuple[int, int] | None:
    """(first, last) step index of a stop of a moving body that ends in a jump: at least
    ``STALL`` steps under 0.5 px, after steps of at least 1 px, followed by a step over
    3 px and ``STALL_JUMP`` times those before. A pause that ends at the old pace, a
    rest before a push, and a stop that lasts are not this."""
    still = steps < 0.5
    i, n = 0, len(steps)
    while i < n:
        if not still[i]:
            i += 1
            continue
        j = i
        while j < n and still[j]:
            j += 1
        if j - i >= STALL and i >= 3 and j < n:
            before = float(np.median(steps[i - 3 : i]))
            if before >= 1.0 and steps[j] > max(3.0, STALL_JUMP * before):
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
    if not cam.tracked and parts:
        parts.append("measured on the first frame only (too little static scene)")
    line = tracks.percept.timeline
    if line.delay > 0:
        parts.append(f"starts {line.delay:.2f} s late (taken as a time offset)")
    if line.repeats:
        parts.append(f"{line.repeats} repeated frames dropped")
    note = "camera compensated: " + ", ".join(parts) if parts else ""
    if value < 1.0:
        note = "the picture does not show the task's scene: " + ", ".join(parts)
    return Check("camera", value, note)
