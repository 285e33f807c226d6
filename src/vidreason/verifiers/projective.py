"""Law checks for the 3D families, in image space through the known camera.

Tracks are 2D, the laws are 3D: every measurement goes through the scene's pinhole camera
(``World3D.camera``). Two tools:

- ``fit_throw``: a ballistic path ``X(t) = X0 + V t - g t² z/2`` from a known start
  ``X0`` (the first frame shows it), fitted to the tracked pixels by least squares through
  the projection (the start fixes the scale a single view cannot);
- ``analyse_edge_fall``: a body that leaves a table edge. While on the table its centre
  lies on a known horizontal plane, so each pixel gives its 3D position; that finds when
  it crosses the edge and in which direction it moves. The fall then lies in the vertical
  plane through the crossing point along that direction, so each pixel again gives (s, z)
  in metres; a parabola through the free-fall frames, fitted to their pixels with a robust
  loss (a misread frame weighs less), gives gravity and where it lands.

Time: the video is ``slow_motion`` times slower than the simulation, so a fitted video
acceleration a is a gravity of a·slow_motion². The ground truth goes through the same
functions as the video (its projected centres), so both are measured the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from vidreason.perception.tracking import Tracks
from vidreason.scene.camera import Camera
from vidreason.scene.geometry import scene_size
from vidreason.scene.params.physics3d import EdgeParams, ThrowParams, World3D
from vidreason.types import Body, Check, Instance
from vidreason.verifiers.checks import band, cannot_follow, fail_all, gravity_note, gravity_value
from vidreason.verifiers.spread import relative_spread, spread_note

MIN_POINTS = 4
# a fall that comes down slower than over the span before, by BOUNCE_DROP m/s and by
# BOUNCE_SHARE of that speed, has landed: a track scattered by a pixel or two (a codec's, a
# generated video's) slows and speeds up by more than BOUNCE_DROP alone from span to span
# (1.5 px of scatter on every frame of a roll-3d fall cut it after 9 of its 12 frames of
# free fall on average), while an impact takes most of the speed
BOUNCE_DROP = 0.05
BOUNCE_SHARE = 0.3
RATE_SPAN = 0.12  # s of video over which fall rates are compared (noise of one frame averages out)
# the fall fit's robust (arctan) loss works at FALL_REACH times the scatter of the track's
# centre about a least-squares fit (its median, as a standard deviation), at least
# FALL_NOISE px (a clean track's): a frame further off the fitted fall weighs less in it
FALL_NOISE = 0.4
FALL_REACH = 2.0
# a least-squares fall whose residuals, frame to frame, correlate below -SWING (they
# alternate: a blend of two frames, a frame rate resampled, shows the body a share of a
# frame early, then late) has the robust loss work on the means of neighbouring frames
SWING = 0.2
SWING_FRAMES = 10  # fewer fall frames than this: too few means to fit a fall to
DOWN = np.array([0.0, 0.0, -1.0])


def camera_of(instance: Instance) -> Camera:
    return World3D.of(instance.spec).camera_model()


def slow_motion(instance: Instance) -> float:
    return float(World3D.of(instance.spec).slow_motion)


def observed(tracks: Tracks, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times (s), pixels (n, 2) and frame numbers where ``name`` was found."""
    found = np.flatnonzero(tracks.found(name))
    return tracks.times[found], tracks.pos[name][found], found


def truth(instance: Instance, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same, for the ground truth's projected centres."""
    rows = instance.trajectory.array(name)
    frames = np.arange(len(rows))
    return frames / instance.spec.fmt.fps, rows[:, :2], frames


def _where(frames: np.ndarray) -> str:
    return f"frames {frames[0]}-{frames[-1]}" if len(frames) else "no frames"


# --- a throw from a known start ---------------------------------------------------------


@dataclass(frozen=True)
class BallisticFit:
    g: float  # m/s² (simulated time), nan when no fit
    v0: np.ndarray  # m/s in video time
    rms: float  # reprojection residual, px
    worst_frame: int
    frames: np.ndarray  # the frames the fit used
    land_time: float  # video s at which the path comes down to ``land_z``; nan if never
    land_point: np.ndarray  # 3D, m
    why: str = ""
    spread: float = 0.0  # relative standard error of g (``spread.relative_spread``)


def _throw_path(x0: np.ndarray, theta: np.ndarray, t: np.ndarray) -> np.ndarray:
    v, g = theta[:3], theta[3]
    return x0 + t[:, None] * v + 0.5 * g * t[:, None] ** 2 * DOWN


def _linear_throw(cam: Camera, x0: np.ndarray, t: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Algebraic least squares for (V, g): each pixel's ray must contain X(t)."""
    k = cam.K
    nu = (uv[:, 0] - k[0, 2]) / k[0, 0]
    nv = (uv[:, 1] - k[1, 2]) / k[1, 1]
    c0 = cam.to_camera(x0)
    rot = cam.R
    d = rot @ DOWN
    rows, rhs = [], []
    for ti, a, b in zip(t, nu, nv, strict=True):
        for m, axis in ((a, 0), (b, 1)):
            coef_v = ti * (rot[axis] - m * rot[2])
            coef_g = 0.5 * ti * ti * (d[axis] - m * d[2])
            rows.append([*coef_v, coef_g])
            rhs.append(-(c0[axis] - m * c0[2]))
    sol, *_ = np.linalg.lstsq(np.asarray(rows), np.asarray(rhs), rcond=None)
    return sol


def fit_throw(
    cam: Camera,
    x0: np.ndarray,
    t: np.ndarray,
    uv: np.ndarray,
    frames: np.ndarray,
    slow: float,
    land_z: float,
) -> BallisticFit:
    """Fit a ballistic path from ``x0`` at t = 0 to the pixels ``uv`` seen at times ``t``."""
    nan3 = np.full(3, np.nan)
    if len(t) < MIN_POINTS:
        return BallisticFit(np.nan, nan3, np.nan, -1, frames, np.nan, nan3, "too few frames")
    theta0 = _linear_throw(cam, x0, t, uv)

    def residual(theta: np.ndarray) -> np.ndarray:
        return (cam.project(_throw_path(x0, theta, t)) - uv).ravel()

    fit = least_squares(residual, theta0, method="lm", xtol=1e-10, ftol=1e-10)
    theta = fit.x
    res = np.linalg.norm(residual(theta).reshape(-1, 2), axis=1)
    v, g = theta[:3], theta[3]
    # when the path comes down to land_z: x0z + vz t - g t²/2 = land_z, the later root
    a, b, c = -0.5 * g, v[2], x0[2] - land_z
    disc = b * b - 4 * a * c
    land_t = (-b - np.sqrt(disc)) / (2 * a) if g > 0 and disc >= 0 else np.nan
    land = _throw_path(x0, theta, np.array([land_t]))[0] if np.isfinite(land_t) else nan3
    return BallisticFit(
        g=float(g * slow**2),
        v0=v,
        rms=float(np.sqrt(np.mean(res**2))),
        worst_frame=int(frames[int(np.argmax(res))]),
        frames=frames,
        land_time=float(land_t),
        land_point=land,
        spread=relative_spread(fit.jac, fit.fun.reshape(-1, 2), 3, float(g)),
    )


def first_landing(t: np.ndarray, uv: np.ndarray, span: float = 0.15) -> int:
    """Index of the first bounce: after the top of the arc, the first frame that is the
    lowest in the image within ``span`` seconds either side and that the ball then rises
    from by a pixel or more; ``len(t)`` if it never comes back up.

    The window holds at least two frames either side whatever the frame rate: with one
    frame after it, a bounce that falls between two sparse frames (the ball back up
    about as high as it was just before it landed) would never be seen to rise, and the
    flight fit would swallow the bounce."""
    v = uv[:, 1]
    if len(t) > 1:
        span = max(span, 2.5 * float(np.median(np.diff(t))))
    top = int(np.argmin(v))
    for i in range(max(top, 1), len(v) - 1):
        near = (t >= t[i] - span) & (t <= t[i] + span)
        later = (t > t[i]) & (t <= t[i] + span)
        if later.any() and v[i] >= v[near].max() and v[later].min() < v[i] - 1.0:
            return i
    return len(v)


def analyse_throw(
    cam: Camera,
    x0: np.ndarray,
    t: np.ndarray,
    uv: np.ndarray,
    frames: np.ndarray,
    slow: float,
    land_z: float,
) -> BallisticFit:
    k = first_landing(t, uv)
    return fit_throw(cam, x0, t[:k], uv[:k], frames[:k], slow, land_z)


# --- a fall from a table edge -------------------------------------------------------------


@dataclass(frozen=True)
class EdgeFall:
    edge_time: float  # video s at which the centre crosses the edge; nan if never
    g: float  # m/s² (simulated time); nan if not measured
    rms: float  # px, of the fall's fit
    worst_frame: int
    fall_frames: np.ndarray
    land_point: np.ndarray  # 3D, m, where the fitted fall comes down to land_z
    land_time: float
    why: str = ""
    spread: float = 0.0  # relative standard error of g (``spread.relative_spread``)


def edge_crossing(t: np.ndarray, flat: np.ndarray, k: int, edge: EdgeParams) -> float:
    """When the centre crosses the edge: a quadratic in time through the last positions on
    the table (it may slow down) between frames ``k - 1`` and ``k``, else frame ``k``'s time."""
    tx, px = t[:k], flat[:k]
    recent = tx >= t[k - 1] - 0.6
    edge_time = float(t[k])
    if recent.sum() >= 3 and np.ptp(px[recent, 0]) > 1e-3:
        cx = np.polyfit(tx[recent], px[recent, 0] - edge.edge_x, 2)
        roots = [r.real for r in np.roots(cx) if abs(r.imag) < 1e-9]
        inside = [r for r in roots if t[k - 1] - 1e-9 <= r <= t[k] + 1e-9]
        if inside:
            edge_time = float(min(inside))
    return edge_time


def fall_plane(px: np.ndarray, edge: EdgeParams) -> tuple[np.ndarray, np.ndarray]:
    """The heading along the table (a line through the positions ``px`` on it) and the
    point where that line crosses the edge: the fall lies in the vertical plane they span."""
    if np.ptp(px[:, 0]) > 0.02:
        line = np.polyfit(px[:, 0], px[:, 1], 1)
    else:
        line = np.array([0.0, px[-1, 1]])
    heading = np.array([edge.side, edge.side * line[0], 0.0])
    heading /= np.linalg.norm(heading)
    cross = np.array([edge.edge_x, np.polyval(line, edge.edge_x), edge.rest_z])
    return heading, cross


def fall_end(t: np.ndarray, z: np.ndarray, k: int, edge: EdgeParams) -> int:
    """The first frame from ``k`` on that no longer falls freely: down at the floor, lost,
    or coming down slower than over the span before (it hit something between frames)
    and still slower over the span after (one misplaced frame, a codec's smear, comes
    down as fast as before once it is past)."""
    for i in range(k, len(t)):
        if z[i] <= edge.fall_bottom or np.isnan(z[i]):
            return int(i)
        j = int(np.searchsorted(t, t[i] - RATE_SPAN, side="right")) - 1
        m = int(np.searchsorted(t, t[j] - RATE_SPAN, side="right")) - 1 if j >= 0 else -1
        if m >= k - 1 and z[m] < edge.fall_top + 0.05:
            now = (z[j] - z[i]) / (t[i] - t[j])
            before = (z[m] - z[j]) / (t[j] - t[m])
            slower = before - max(BOUNCE_DROP, BOUNCE_SHARE * before)
            if now < slower and not _resumes(t, z, j, slower):
                return j + 1
    return len(t)


def _resumes(t: np.ndarray, z: np.ndarray, j: int, slower: float) -> bool:
    """Whether the fall from frame ``j`` over the next two spans comes down faster than
    ``slower`` (m/s): the slowing seen just after ``j`` was no impact."""
    a = int(np.searchsorted(t, t[j] + 2 * RATE_SPAN, side="left"))
    if a >= len(t) or np.isnan(z[a]):
        return False
    return bool((z[j] - z[a]) / (t[a] - t[j]) >= slower)


def analyse_edge_fall(
    cam: Camera,
    edge: EdgeParams,
    t: np.ndarray,
    uv: np.ndarray,
    frames: np.ndarray,
    slow: float,
) -> EdgeFall:
    """When a body tracked at pixels ``uv`` goes over the edge, and a parabola through its
    free fall in the vertical plane it falls in: gravity, fit residual and landing."""
    nan3 = np.full(3, np.nan)

    def fail(why: str, edge_time: float = np.nan) -> EdgeFall:
        return EdgeFall(edge_time, np.nan, np.nan, -1, frames[:0], nan3, np.nan, why)

    if len(t) < MIN_POINTS:
        return fail("too few frames")
    flat = cam.on_plane(uv, np.array([0.0, 0.0, 1.0]), edge.rest_z)
    ahead = edge.side * (flat[:, 0] - edge.edge_x)  # > 0: beyond the edge
    beyond = np.flatnonzero(~(ahead <= 0))  # NaN (ray misses the plane) counts as beyond
    k = int(beyond[0]) if len(beyond) else len(t)
    if k == len(t):
        return fail("it never goes over the edge")
    if k < 2:
        return fail("it is not on the table at the start")
    edge_time = edge_crossing(t, flat, k, edge)
    heading, cross = fall_plane(flat[:k], edge)
    normal = np.cross(heading, [0.0, 0.0, 1.0])
    pts = cam.on_plane(uv, normal, float(normal @ cross))
    s = (pts - cross) @ heading
    z = pts[:, 2]
    end = fall_end(t, z, k, edge)
    fall = np.array([i for i in range(k, len(t)) if i < end and z[i] < edge.fall_top], dtype=int)
    if len(fall) < MIN_POINTS:
        return fail(f"too few frames of free fall ({len(fall)})", edge_time)
    return fit_fall(
        cam,
        edge,
        (heading, cross),
        t[fall],
        s[fall],
        z[fall],
        uv[fall],
        frames[fall],
        slow,
        edge_time,
    )


def fit_fall(
    cam: Camera,
    edge: EdgeParams,
    plane: tuple[np.ndarray, np.ndarray],
    tf: np.ndarray,
    s: np.ndarray,
    z: np.ndarray,
    uv: np.ndarray,
    frames: np.ndarray,
    slow: float,
    edge_time: float,
) -> EdgeFall:
    """A parabola in z and a line in ``s`` (along the heading) through the free-fall
    frames, in the vertical plane ``(heading, cross)``: gravity, the residual in the
    image, and where and when the fitted fall comes down to ``edge.land_z``.

    Fitted to the pixels through the camera with a robust loss at the scale of the track's
    own scatter (``FALL_REACH``, ``FALL_NOISE``): a frame whose centre lies further off
    the path the other frames agree on (the first one still rolling off the edge, the last
    one blurred into the landing, a codec's block of the body's colour left behind it, a
    blur's faint copy weighed by the backdrop it lies on) weighs less the further off it
    lies, while a wrong gravity bends every frame; a track that scatters all along (a
    textured block through a lossy codec) is fitted nearer least squares, not to the few
    frames that happen to agree. Where the least-squares residuals alternate from frame to
    frame (``SWING``: a video blended from two frames shows the body early in one frame and
    late in the next, by a share of its step, the most where it falls fastest), the robust
    loss weighs the means of neighbouring frames' residuals: on the frames one by one it
    would weigh down the fastest frames, which tell gravity most (a shaded roll at 24 fps
    blended read 16% weak)."""
    heading, cross = plane
    t0 = float(tf.mean())
    dt = tf - t0  # centred: the three coefficients of the parabola are well conditioned

    def path(theta: np.ndarray) -> np.ndarray:
        pts = cross + np.polyval(theta[3:], dt)[:, None] * heading
        pts[:, 2] = np.polyval(theta[:3], dt)
        return pts

    def residual(theta: np.ndarray) -> np.ndarray:
        return (cam.project(path(theta)) - uv).ravel()

    def paired(theta: np.ndarray) -> np.ndarray:
        r = residual(theta).reshape(-1, 2)
        return (0.5 * (r[:-1] + r[1:])).ravel() if len(r) > 1 else r.ravel()

    start = np.concatenate([np.polyfit(dt, z, 2), np.polyfit(dt, s, 1)])
    plain = least_squares(residual, start)
    start = plain.x
    r = plain.fun.reshape(-1, 2)
    swing = float((r[:-1] * r[1:]).sum() / max(1e-12, float((r * r).sum())))
    fitted = paired if swing < -SWING and len(tf) >= SWING_FRAMES else residual
    scatter = 1.4826 * float(np.median(np.abs(fitted(start))))
    scale = FALL_REACH * max(FALL_NOISE, scatter)
    theta = least_squares(fitted, start, loss="arctan", f_scale=scale).x
    cz, cs = theta[:3], theta[3:]
    res = np.linalg.norm(residual(theta).reshape(-1, 2), axis=1)
    landings = np.roots(cz - np.array([0.0, 0.0, edge.land_z]))
    real = sorted(r.real for r in landings if abs(r.imag) < 1e-9 and r.real > dt[0])
    land_dt = real[0] if real and cz[0] < 0 else np.nan
    if np.isfinite(land_dt):
        land = cross + np.polyval(cs, land_dt) * heading
        land[2] = edge.land_z
    else:
        land = np.full(3, np.nan)
    return EdgeFall(
        edge_time=edge_time,
        g=float(-2 * cz[0] * slow**2),
        rms=float(np.sqrt(np.mean(res**2))),
        worst_frame=int(frames[int(np.argmax(res))]),
        fall_frames=frames,
        land_point=land,
        land_time=float(land_dt + t0),
        spread=relative_spread(plain.jac, r, 0, float(start[0])),
    )


# --- checks ---------------------------------------------------------------------------------


def gravity_check(
    body: Body, g_seen: float, g: float, frames: np.ndarray, spread: float = 0.0
) -> Check:
    """The fitted gravity (m/s², simulated time) is the scene's, within a tolerance
    widened by the fit's own relative standard error ``spread`` (``verifiers/spread.py``)."""
    value = gravity_value(g_seen, g, spread)
    if value == 1.0:
        return Check("gravity", 1.0)
    what = gravity_note(f"the {body.label}", g_seen, g, _where(frames), metres=True)
    return Check("gravity", value, what + spread_note(spread))


def path_check(body: Body, rms: float, worst: int, instance: Instance, what: str) -> Check:
    """The track stays close to the fitted 3D ballistic path, seen through the camera."""
    value = band(rms / scene_size(instance), 0.006, 0.02)
    note = ""
    if value < 1.0:
        note = (
            f"the {body.label}'s {what} is not a 3D ballistic path: it strays {rms:.1f} px"
            f" (rms) from the best fit through the camera, most at frame {worst}"
        )
    return Check("path", value, note)


def landing_check(
    body: Body,
    cam: Camera,
    seen: np.ndarray,
    want: np.ndarray,
    t_seen: float,
    where: str,
    instance: Instance,
) -> Check:
    """Where the fitted path comes down, compared in the image (a single view measures
    depth poorly, so metres along the view axis would be judged too harshly)."""
    err = float(np.linalg.norm(cam.project(seen) - cam.project(want)))
    value = band(err / scene_size(instance), 0.04, 0.10)
    note = ""
    if value < 1.0:
        note = (
            f"the {body.label} lands on the {where} at ({seen[0]:.2f}, {seen[1]:.2f}) m"
            f" (frame {t_seen * instance.spec.fmt.fps:.0f}), {err:.0f} px from where it should"
            f" ({want[0]:.2f}, {want[1]:.2f}) m"
        )
    return Check("landing", value, note)


def throw_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The 3D throw's law checks, declared in ``tasks/physics3d/throw.py``
    (``shared_checks.GRAVITY_3D``, ``PATH_3D``): a ballistic fit through the stored camera
    gives the scene's gravity (``gravity``), follows the track closely (``path``) and lands on
    the table where the truth does (``landing``)."""
    spec = instance.spec
    body = spec.bodies[0]
    cam, slow = camera_of(instance), slow_motion(instance)
    x0 = np.asarray(World3D.of(spec).bodies3d[body.name]["pos"], dtype=float)
    land_z = float(ThrowParams.of(spec).land_z)
    names = ("gravity", "path", "landing")
    t, uv, frames = observed(tracks, body.name)
    if len(t) < max(MIN_POINTS, tracks.n // 2):
        return fail_all(
            names, f"cannot fit a path: the {body.label} is found in {len(t)} of {tracks.n} frames"
        )
    seen = analyse_throw(cam, x0, t, uv, frames, slow, land_z)
    want = analyse_throw(cam, x0, *truth(instance, body.name), slow, land_z)
    if seen.why:
        return fail_all(names, f"cannot fit the {body.label}'s flight: {seen.why}")
    checks = [
        gravity_check(body, seen.g, spec.gravity, seen.frames, seen.spread),
        path_check(body, seen.rms, seen.worst_frame, instance, "flight"),
    ]
    if np.isnan(seen.land_time):
        checks.append(Check("landing", 0.0, f"the {body.label} never comes down to the table"))
    else:
        checks.append(
            landing_check(
                body, cam, seen.land_point, want.land_point, seen.land_time, "table", instance
            )
        )
    return checks


def edge_fall_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """For a body that goes over a table edge: when (``edge``), how it falls (``gravity``,
    ``path``) and where it comes down (``landing``)."""
    spec = instance.spec
    body = spec.bodies[0]
    cam, slow, fps = camera_of(instance), slow_motion(instance), spec.fmt.fps
    edge = EdgeParams.of(spec)
    names = ("edge", "gravity", "path", "landing")
    t, uv, frames = observed(tracks, body.name)
    if len(t) < max(MIN_POINTS, tracks.n // 2):
        return fail_all(names, cannot_follow(body, len(t), tracks.n))
    seen = analyse_edge_fall(cam, edge, t, uv, frames, slow)
    want = analyse_edge_fall(cam, edge, *truth(instance, body.name), slow)
    who = f"the {body.label}"
    if np.isnan(seen.edge_time):
        return fail_all(names, f"{who} does not leave the table: {seen.why}")
    off = abs(seen.edge_time - want.edge_time) * fps
    note = ""
    if off > 1.5:
        note = (
            f"{who} goes over the edge at frame {seen.edge_time * fps:.1f},"
            f" not at frame {want.edge_time * fps:.1f}"
        )
    checks = [Check("edge", band(off, 1.5, 4.0), note)]
    if np.isnan(seen.g):
        return [*checks, *fail_all(names[1:], f"cannot fit {who}'s fall: {seen.why}")]
    checks.append(gravity_check(body, seen.g, spec.gravity, seen.fall_frames, seen.spread))
    checks.append(path_check(body, seen.rms, seen.worst_frame, instance, "fall"))
    if np.isnan(seen.land_time):
        checks.append(Check("landing", 0.0, f"{who} never comes down to the floor"))
    else:
        checks.append(
            landing_check(
                body, cam, seen.land_point, want.land_point, seen.land_time, "floor", instance
            )
        )
    return checks


roll_checks = edge_fall_checks
topple_checks = edge_fall_checks
