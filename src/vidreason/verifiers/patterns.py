"""Law checks for patterned bodies (``tasks/temporal/patterns.py``): each keeps its
pattern and its colours through the clip.

Every frame where a body is found, its pattern is read back from the registered,
light-corrected frame (``Reading``): points on a grid inside the pattern's reach
(``scene/patterns.py:inner_radius``) are sampled around the tracked centre at every
angle of ``ANGLES``, each sample's colour is projected on the line from the body's
colour to its pattern's colour (in CIE Lab), and the angle whose samples correlate best
with the pattern's ink template is the body's turn in that frame. A plain body, another
pattern or the pattern of another body correlates poorly at every angle.

- ``pattern``: the best correlation, held over ``RUN`` frames, stays above ``MATCH``.
- ``turns``: the best angle turns as the truth's angle does (up to the turns that leave
  the pattern looking the same).
- ``colours``: the colour read where the template has ink, and where it has none, stays
  the colour the first frames show (Lab, lightness counted half: light changes move it).

Each note names the body, its pattern and the frame where it goes wrong.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from vidreason.perception.tracking import Tracks, lab_of
from vidreason.scene.geometry import extent
from vidreason.scene.patterns import PERIOD, Pattern, ink_at, inner_radius, patterns_of, template
from vidreason.types import Body, Check, Instance
from vidreason.verifiers.checks import band, cannot_follow, fail_all

NAMES = ("pattern", "turns", "colours")
ANGLES = np.radians(np.arange(0.0, 360.0, 7.5))
GRID = np.linspace(-0.95, 0.95, 21)  # sample points across the pattern, units of its reach
HOLE = 0.42  # no points nearer the centre than this: no pattern has ink there
CORE = 0.08  # colours are read this far (units of R) inside the ink or the bare part
RUN = 3  # frames a lost pattern or a changed colour must last
MATCH = (0.45, 0.3)  # best correlation with the template: passes above / fails below
TURN = (15.0, 30.0)  # degrees the pattern's turn may be off the truth's: passes / fails
COLOUR = (24.0, 40.0)  # Lab distance from the first frames' colours: passes / fails
LIGHTNESS = 0.5  # weight of lightness in the colour distance
INK_SHARE = 10.0  # percentile of the ink samples' distances that counts
FIRST = 3  # frames whose colours are the body's own
MIN_FOUND = 0.5  # share of the frames a body must be found in to be read


@dataclass(frozen=True)
class Reading:
    """A body's pattern as the video shows it, in the frames ``idx`` where it is found."""

    body: Body
    pattern: Pattern
    idx: np.ndarray  # tracked frames read
    match: np.ndarray  # best correlation with the template, per frame
    angle: np.ndarray  # the angle of the best correlation (rad), per frame
    truth: np.ndarray  # the truth's angle (rad) at those frames' moments
    ink: np.ndarray  # how far the pattern's colour is from the first frames', per frame
    base: np.ndarray  # how far the body's colour is from the first frames', per frame


def _points() -> tuple[np.ndarray, np.ndarray]:
    u, v = np.meshgrid(GRID, GRID)
    inside = (u * u + v * v <= GRID[-1] ** 2) & (u * u + v * v >= HOLE**2)
    return u[inside], v[inside]


def _lab(pixels: np.ndarray) -> np.ndarray:
    return lab_of(np.clip(np.rint(pixels), 0, 255))


@functools.lru_cache(maxsize=8)
def _cores(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """The template's ink and bare parts shrunk by ``CORE`` (units of ``R``): where a
    colour is read clear of the edges between the two."""
    mask = template(kind).astype(np.uint8)
    k = round(CORE * mask.shape[0] / 2)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
    return cv2.erode(mask, disc), 1 - cv2.dilate(mask, disc)


def _in_view(tracks: Tracks, i: int, x: np.ndarray, y: np.ndarray) -> bool:
    """Whether frame ``i`` shows every point (x, y): a body cut by the picture's edge is
    not read."""
    h, w = tracks.frames.shape[1:3]
    xi, yi = np.rint(x).astype(int), np.rint(y).astype(int)
    if xi.min() < 0 or yi.min() < 0 or xi.max() >= w or yi.max() >= h:
        return False
    return tracks.percept is None or bool(tracks.percept.view[i][yi, xi].all())


def read_body(tracks: Tracks, instance: Instance, body: Body, pattern: Pattern) -> Reading:
    """The body's pattern, turn and colours in every frame where it is found, whole."""
    u, v = _points()
    ink = ink_at(template(pattern.kind), u, v)
    core_on, core_off = _cores(pattern.kind)
    on, off = ink_at(core_on, u, v) > 0.5, ink_at(core_off, u, v) > 0.5
    t = (ink - ink.mean()) / max(float(ink.std()), 1e-9)
    r = inner_radius(body)
    c, s = np.cos(ANGLES)[:, None], np.sin(ANGLES)[:, None]
    dx, dy = r * (c * u - s * v), r * (s * u + c * v)  # (angles, points)
    d = lab_of(np.array([pattern.ink]))[0] - lab_of(np.array([body.colour]))[0]
    d /= max(float(np.linalg.norm(d)), 1e-9)
    found = np.flatnonzero(tracks.found(body.name))
    reach = extent(body)
    ring = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    rows: list[tuple[int, float, float, np.ndarray, np.ndarray]] = []
    for i in (int(j) for j in found):
        x, y = tracks.pos[body.name][i]
        if not _in_view(tracks, i, x + reach * np.cos(ring), y + reach * np.sin(ring)):
            continue
        mx, my = (x + dx).astype(np.float32), (y + dy).astype(np.float32)
        seen = cv2.remap(
            tracks.frames[i], mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        lab = _lab(seen.reshape(-1, 3).astype(np.float32)).reshape(*mx.shape, 3)
        proj = lab @ d
        proj = (proj - proj.mean(axis=1, keepdims=True)) / np.maximum(
            proj.std(axis=1, keepdims=True), 1e-6
        )
        corr = proj @ t / len(t)
        best = int(np.argmax(corr))
        rows.append((int(i), float(corr[best]), float(ANGLES[best]), lab[best][on], lab[best][off]))
    if not rows:
        empty = np.zeros(0)
        return Reading(body, pattern, np.zeros(0, int), empty, empty, empty, empty, empty)
    idx, match, angle = (np.array([row[j] for row in rows]) for j in range(3))
    states = instance.trajectory.array(body.name)
    at = np.arange(len(states)) / instance.spec.fmt.fps
    truth = np.interp(tracks.times[idx.astype(int)], at, states[:, 4])
    ink = _drift([row[3] for row in rows], INK_SHARE)
    base = _drift([row[4] for row in rows], 50.0)
    return Reading(body, pattern, idx.astype(int), match, angle, truth, ink, base)


def _drift(samples: list[np.ndarray], share: float) -> np.ndarray:
    """Per frame, how far (Lab) its samples of one colour are from that colour in the
    first frames: the ``share`` percentile of the samples' distances (a small share for a
    pattern's thin ink, which blur and codecs eat into from its edges)."""
    ref = np.median(np.concatenate(samples[:FIRST]), axis=0)
    return np.array([np.percentile(_distance(lab, ref), share) for lab in samples])


def _held(values: np.ndarray) -> np.ndarray:
    """Each frame's value as the highest of the ``RUN`` frames from it: a frame counts as
    low only with its neighbours (a lost pattern or a changed colour lasts)."""
    if len(values) < RUN:
        return values
    return np.lib.stride_tricks.sliding_window_view(values, RUN).max(axis=1)


def _first_bad(held: np.ndarray, bad: np.ndarray) -> int:
    """The first frame (index into ``held``) flagged in ``bad``, else the worst one."""
    flagged = np.flatnonzero(bad)
    return int(flagged[0]) if len(flagged) else int(np.argmin(held))


def pattern_check(readings: list[Reading]) -> Check:
    """Each body shows its own pattern in every frame (at some angle)."""
    worst, note = 1.0, ""
    for rd in readings:
        held = _held(rd.match)
        value = band(-float(held.min()), -MATCH[0], -MATCH[1])
        if value < worst:
            worst = value
            k = _first_bad(held, held < MATCH[0])
            note = (
                f"the {rd.body.label} no longer shows its pattern ({rd.pattern.words}) from"
                f" frame {rd.idx[k]} (match {held[k]:.2f}, at least {MATCH[0]:.2f} expected)"
            )
    return Check("pattern", worst, note if worst < 1 else "")


def turns_check(readings: list[Reading]) -> Check:
    """Each body's pattern turns as the body does (up to the turns that leave it looking
    the same, ``PERIOD``): its angle from the first frame's follows the truth's."""
    worst, note = 1.0, ""
    for rd in readings:
        period = PERIOD[rd.pattern.kind]
        off = (rd.angle - rd.angle[0]) - (rd.truth - rd.truth[0])
        err = np.degrees(np.abs((off + period / 2) % period - period / 2))
        held = -_held(-err)
        value = band(float(held.max()), *TURN)
        if value < worst:
            worst = value
            k = _first_bad(-held, held > TURN[0])
            turned = np.degrees(rd.truth[k] - rd.truth[0])
            note = (
                f"the {rd.body.label}'s pattern ({rd.pattern.words}) does not turn with it:"
                f" at frame {rd.idx[k]} it is {held[k]:.0f}° off (the body has turned"
                f" {turned:.0f}°; at most {TURN[0]:.0f}° off)"
            )
    return Check("turns", worst, note if worst < 1 else "")


def _distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    w = np.array([LIGHTNESS, 1.0, 1.0])
    return np.linalg.norm((a - b) * w, axis=-1)


def colours_check(readings: list[Reading]) -> Check:
    """Each body keeps its own colour and its pattern's colour in every frame."""
    worst, note = 1.0, ""
    for rd in readings:
        for what, drift in (("pattern's", rd.ink), ("own", rd.base)):
            held = -_held(-drift)
            value = band(float(held.max()), *COLOUR)
            if value < worst:
                worst = value
                k = _first_bad(-held, held > COLOUR[0])
                note = (
                    f"the {rd.body.label}'s {what} colour changes from frame {rd.idx[k]}"
                    f" ({rd.pattern.words}): {held[k]:.0f} from the first frames' (Lab;"
                    f" at most {COLOUR[0]:.0f})"
                )
    return Check("colours", worst, note if worst < 1 else "")


def pattern_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    own = patterns_of(instance.spec)
    readings = []
    for b in instance.spec.bodies:
        found = int(tracks.found(b.name).sum())
        if b.name not in own:
            continue
        if found < max(FIRST + RUN, MIN_FOUND * tracks.n):
            return fail_all(NAMES, cannot_follow(b, found, tracks.n))
        reading = read_body(tracks, instance, b, own[b.name])
        if len(reading.idx) >= FIRST + RUN:  # else cut by the picture's edge: ``visible``'s
            readings.append(reading)
    if not readings:
        return fail_all(NAMES, "no body is seen whole long enough to read its pattern")
    return [pattern_check(readings), turns_check(readings), colours_check(readings)]
