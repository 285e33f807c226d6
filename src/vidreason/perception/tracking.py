"""Find every object by its colour key in every frame and build its track.

A model's video comes at any size, frame rate and length. ``normalise`` crops black
letterbox or pillarbox bars and resizes the picture to the task's resolution; the
perception layer (``vidreason.perception``) then registers every frame to the
conditioning image, undoes smooth changes of light and drops repeated frames, so tracks
are in scene pixels and real seconds from the first frame. Each pixel is given to the
nearest colour of the scene's palette (object keys, background, walls) in CIE Lab; a
pixel of no palette colour that is a blend of a body's colour and another scene colour
(motion blur, a blended frame, a codec's halo) counts for that body by its share. An
object's position is the share-weighted centroid of its largest blob (with the pieces
of it close by), kept only if the blob has at least a quarter of the expected area.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np

from vidreason.perception import Percept, perceive
from vidreason.perception.pixels import channel_max
from vidreason.perception.scene import inner
from vidreason.perception.threads import one_blas_thread
from vidreason.perception.timeline import late_start, time_offset
from vidreason.scene.geometry import extent
from vidreason.scene.params import Palette
from vidreason.types import RGB, Body, Instance, SceneSpec

MAX_LAB_DISTANCE = 30.0
# how much a difference in lightness counts in the colour distance, by the scene's style: a
# shaded or textured scene draws each colour lighter and darker than its key (shading,
# shadows, a pattern's tints) and keeps its hue, so there a colour is told by its hue and
# chroma first (``render.style`` keeps its lightness within 11 of the key's, CIE L)
LIGHTNESS_WEIGHT = {"flat": 1.0, "shaded": 0.5, "textured": 0.5}
MIN_AREA_FRACTION = 0.25
BAR_LEVEL = 24.0
NEAR_START = 0.4  # frames: after a time offset, a frame this close to the first is dropped


@dataclass(frozen=True)
class Tracks:
    """Positions (scene px, NaN where not found) and blob areas of each object per frame."""

    times: np.ndarray
    pos: dict[str, np.ndarray]
    area: dict[str, np.ndarray]
    frames: np.ndarray  # normalised frames (n, H, W, 3) uint8
    crop: tuple[int, int, int, int]  # x0, y0, x1, y1 of the picture inside the video
    second: dict[str, np.ndarray] | None = None  # area of each colour's second-largest blob
    unknown: np.ndarray | None = None  # area of the largest blob of an unknown colour
    percept: Percept | None = None  # camera, light and timeline found by perception
    palette: tuple[tuple[int, ...], ...] = ()  # calibrated colours: bodies, then the scene

    @property
    def source(self) -> np.ndarray:
        """Each tracked frame's number in the video as given (repeats dropped)."""
        if self.percept is None:
            return np.arange(self.n)
        return self.percept.timeline.keep

    @property
    def n(self) -> int:
        return len(self.times)

    def found(self, name: str) -> np.ndarray:
        return ~np.isnan(self.pos[name][:, 0])


def content_box(frames: np.ndarray) -> tuple[int, int, int, int]:
    """The box inside black bars (rows/columns dark in every frame)."""
    peak = channel_max(frames.max(axis=0))  # (h, w): brightest value each pixel ever takes
    rows = np.flatnonzero(np.percentile(peak, 90, axis=1) > BAR_LEVEL)
    cols = np.flatnonzero(np.percentile(peak, 90, axis=0) > BAR_LEVEL)
    h, w = peak.shape
    if len(rows) == 0 or len(cols) == 0:
        return 0, 0, w, h
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def normalise(
    frames: np.ndarray, width: int, height: int
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Crop bars and resize every frame to ``width`` x ``height``."""
    x0, y0, x1, y1 = content_box(frames)
    cropped = frames[:, y0:y1, x0:x1]
    ch, cw = cropped.shape[1:3]
    if (cw, ch) == (width, height):
        return np.ascontiguousarray(cropped), (x0, y0, x1, y1)
    interp = cv2.INTER_AREA if cw > width else cv2.INTER_LINEAR
    out = np.stack([cv2.resize(f, (width, height), interpolation=interp) for f in cropped])
    return out, (x0, y0, x1, y1)


def lab_of(colours: np.ndarray) -> np.ndarray:
    """RGB colours (any shape ending in 3) as CIE Lab rows, as OpenCV computes them."""
    arr = np.asarray(colours, dtype=np.uint8).reshape(-1, 1, 3)
    return cv2.cvtColor(arr, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)


@functools.lru_cache(maxsize=4)
def _cube_lab(bits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 8-bit Lab (L, a, b as int32 arrays) of the centre of every colour quantised to
    ``bits`` per channel, in ``codes`` order."""
    levels = 1 << bits
    step = 256 // levels
    axis = np.arange(levels, dtype=np.uint8) * step + step // 2
    r, g, b = np.meshgrid(axis, axis, axis, indexing="ij")
    cube = np.stack([r, g, b], axis=-1).reshape(-1, 1, 3)
    lab = cv2.cvtColor(cube, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.int32)
    return lab[:, 0].copy(), lab[:, 1].copy(), lab[:, 2].copy()


def label_table(palette_lab: np.ndarray, bits: int = 6, lightness: float = 1.0) -> np.ndarray:
    """For every colour quantised to ``bits`` per channel: the index of the nearest palette
    entry, or 255 when none is within ``MAX_LAB_DISTANCE`` (``lightness``: the weight of
    a difference in L, one over a whole number; see ``LIGHTNESS_WEIGHT``).

    Both sides are 8-bit Lab, whole numbers, so squared distances (scaled by the square of
    that whole number) are exact integers and compare as the distances do (the first of
    equal ones wins)."""
    cube = _cube_lab(bits)
    pal = np.asarray(palette_lab)
    k2 = round(1.0 / lightness) ** 2  # a and b weigh this much more than L
    if not np.array_equal(pal, np.round(pal)):  # not 8-bit Lab: distances in float32
        return _label_table_float(pal, bits, lightness)
    best = np.full(len(cube[0]), np.iinfo(np.int32).max, np.int32)
    idx = np.zeros(len(cube[0]), np.uint8)
    for k, entry in enumerate(pal.astype(np.int32)):
        d2 = np.square(cube[1] - entry[1])
        d2 += np.square(cube[2] - entry[2])
        if k2 != 1:
            d2 *= k2
        d2 += np.square(cube[0] - entry[0])
        idx[d2 < best] = k
        np.minimum(best, d2, out=best)
    idx[best >= math.ceil(k2 * MAX_LAB_DISTANCE**2)] = 255
    return idx


def _label_table_float(palette_lab: np.ndarray, bits: int, lightness: float = 1.0) -> np.ndarray:
    weight = np.array([lightness, 1.0, 1.0], np.float32)
    lab = np.stack(_cube_lab(bits), axis=1).astype(np.float32) * weight
    pal = palette_lab.astype(np.float32) * weight
    d = np.linalg.norm(lab[:, None, :] - pal[None, :, :], axis=2)
    idx = d.argmin(axis=1).astype(np.uint8)
    idx[d.min(axis=1) >= MAX_LAB_DISTANCE] = 255
    return idx


# A scene drawn in a style (``VideoFormat.style``) shows each colour lit and shadowed (or
# in a lighter and a darker tint): these shades of every colour count as that colour. Each
# shade scales the colour (a shadow, the side away from the light), or above 1 lightens it
# towards white (the side towards the light, a highlight, a texture's lighter tint).
SHADES: dict[str, tuple[float, ...]] = {
    "flat": (),
    "shaded": (0.8,),
    "textured": (0.8, 1.15),
}


def shade(colours: np.ndarray, factor: float) -> np.ndarray:
    """RGB ``colours`` (0-255) darkened by ``factor`` < 1, or lightened towards white by
    ``factor`` > 1 (each channel by ``factor - 1`` of what it lacks to white, at least of
    a mid grey's share)."""
    c = np.asarray(colours, dtype=np.float64)
    if factor < 1.0:
        return np.clip(c * factor, 0.0, 255.0)
    return np.clip(c + (factor - 1.0) * np.maximum(c, 90.0), 0.0, 255.0)


def styled_table(colours: list | tuple, style: str = "flat") -> np.ndarray:
    """``label_table`` of ``colours`` (RGB), where in a styled scene each colour's
    ``SHADES`` are labelled as that colour too (nearest first; the colour itself wins a
    tie)."""
    key = tuple(tuple(int(v) for v in c) for c in colours)
    return _cached_table(key, SHADES[style])


def style_colours(spec: SceneSpec) -> tuple[tuple[float, ...], float]:
    """How the colours of ``spec``'s style stray from their keys, as the colour tables
    take it (shades, lightness weight). A drawn (2D) scene keeps each colour's hue and
    varies its lightness within a band (``LIGHTNESS_WEIGHT``); a lit 3D scene (one with
    a camera) darkens a colour in shadow and on its far side (``SHADES``). Flat: neither."""
    style = spec.fmt.style
    if style == "flat":
        return (), 1.0
    if "camera" in spec.extra:
        return SHADES[style], 1.0
    return (), LIGHTNESS_WEIGHT[style]


@functools.lru_cache(maxsize=64)
def _cached_table(
    colours: tuple[tuple[int, int, int], ...],
    shades: tuple[float, ...] = (),
    lightness: float = 1.0,
) -> np.ndarray:
    if not shades:
        return label_table(lab_of(np.array(colours)), lightness=lightness)
    base = np.array(colours, dtype=np.float64)
    every = np.concatenate([base, *(shade(base, f) for f in shades)])
    table = label_table(lab_of(np.round(every).astype(np.uint8)), lightness=lightness)
    owner = np.append(np.arange(len(every)) % len(base), 255).astype(np.uint8)
    return owner[np.minimum(table, len(every))]


def label_pixels(frame: np.ndarray, table: np.ndarray, bits: int = 6) -> np.ndarray:
    """Palette index per pixel (255: no palette colour is close)."""
    return table[codes(frame, bits)]


BLEND_BITS = 5  # per channel, for the blend table
BLEND_RESIDUAL = 16.0  # RGB: how far a pixel may lie from the line between two colours
MIN_SHARE = 0.3  # a blend counts for a body when at least this much of it is the body
# in a lit 3D scene (no occluder cuts a body in two there) a piece of a body's colour
# beyond its own size from it joins it only with at least this share of the body's mass
MIN_PIECE_LIT = 0.15


@functools.lru_cache(maxsize=1)
def _blend_cube() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The centre of every colour quantised to ``BLEND_BITS`` per channel: its R, G and B
    (float32 arrays)."""
    levels = 1 << BLEND_BITS
    step = 256 // levels
    axis = np.arange(levels, dtype=np.float32) * step + step / 2
    r, g, b = np.meshgrid(axis, axis, axis, indexing="ij")
    return r.ravel(), g.ravel(), b.ravel()


@functools.lru_cache(maxsize=1)
def _coarse_index() -> np.ndarray:
    """For every 6-bit-per-channel colour index (``codes``), its ``BLEND_BITS`` index."""
    c = np.arange(1 << 18)
    drop = 6 - BLEND_BITS
    r, g, b = (c >> 12) >> drop, ((c >> 6) & 63) >> drop, (c & 63) >> drop
    return (r << (2 * BLEND_BITS)) | (g << BLEND_BITS) | b


def _segment(a: np.ndarray, b: np.ndarray, dd: float) -> tuple[np.ndarray, np.ndarray]:
    """For every colour of the blend cube: its share ``t`` of ``b`` in the nearest mix
    ``a + t (b - a)`` (``t`` in 0..1, ``dd``: the squared length of ``b - a``) and its
    distance from that mix (RGB), in float32, channel by channel."""
    d = b - a
    rel = [c - a[ch] for ch, c in enumerate(_blend_cube())]
    t = np.clip((rel[0] * d[0] + rel[1] * d[1] + rel[2] * d[2]) / dd, 0.0, 1.0)
    off = [rel[ch] - t * d[ch] for ch in range(3)]
    return t, np.sqrt(off[0] * off[0] + off[1] * off[1] + off[2] * off[2])


def _residual(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How far each colour of the blend cube lies from the segment between ``a`` and
    ``b`` (RGB)."""
    d = b - a
    return _segment(a, b, max(float(d @ d), 1e-9))[1]


def blend_table(
    colours: np.ndarray, bodies: list[int], scene: list[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """For every colour quantised to ``BLEND_BITS`` per channel: the body (index into
    ``colours``) it is a blend of with another colour of the scene, and the body's share
    (255 and 0 where it is no such blend). A colour that lies nearer to a mix of two of
    the ``scene``'s own colours (the edge between the floor and the background) than to
    the body's blend is that mix, not the body (a grey edge can lie near a blend of a blue
    and an orange body)."""
    n = len(_blend_cube()[0])
    pal = np.asarray(colours, dtype=np.float32)
    best = np.zeros(n, np.float32)
    owner = np.full(n, 255, np.uint8)
    fit = np.full(n, np.inf, np.float32)
    for k in bodies:
        for j in range(len(pal)):
            d = pal[k] - pal[j]
            dd = float(d @ d)
            if dd < 40.0**2:
                continue  # too alike to tell a blend from either
            a, res = _segment(pal[j], pal[k], dd)
            ok = (res < BLEND_RESIDUAL) & (a >= MIN_SHARE) & (a > best)
            best[ok], owner[ok], fit[ok] = a[ok], k, res[ok]
    own = sorted(set(scene or []) - set(bodies))
    for x, i in enumerate(own):
        for j in own[x + 1 :]:
            if float(np.linalg.norm(pal[i] - pal[j])) < 40.0:
                continue
            edge = _residual(pal[i], pal[j]) < fit
            owner[edge], best[edge] = 255, 0.0
    return owner, best


@functools.lru_cache(maxsize=64)
def _cached_blend(
    colours: tuple[tuple[int, int, int], ...], bodies: tuple[int, ...], scene: tuple[int, ...] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """The blend table indexed like ``label_table`` (6 bits per channel)."""
    owner, share = blend_table(np.array(colours), list(bodies), list(scene))
    i = _coarse_index()
    return owner[i], share[i]


@functools.lru_cache(maxsize=64)
def _cached_mixes(colours: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    """Per colour (indexed like ``label_table``): whether it lies between two colours of
    the scene, in any share. A motion-blurred edge, a rod smeared over the background or
    a codec's halo mixes two colours the scene has; an object that is not in the scene
    has a colour of its own."""
    pal = np.unique(np.asarray(colours, dtype=np.float32), axis=0)
    mixed = np.zeros(len(_blend_cube()[0]), bool)
    for i in range(len(pal)):
        for j in range(i + 1, len(pal)):
            d = pal[j] - pal[i]
            mixed |= _segment(pal[i], pal[j], float(d @ d))[1] < MIX_RESIDUAL
    return mixed[_coarse_index()]


MIX_RESIDUAL = 12.0  # RGB: how far a pixel may lie from the line between two scene colours
MIX_STAY = 6  # frames a mix of scene colours must stay in place to be an object


def codes(frame: np.ndarray, bits: int = 6) -> np.ndarray:
    """Each pixel's colour quantised to ``bits`` (3 to 8) per channel, as one table index
    (``intp``, which indexes without a conversion). The three bytes of a pixel are read as
    one little-endian word (R lowest) and shifted into place together."""
    if frame.size == 0:
        return np.zeros(frame.shape[:-1], np.intp)
    x = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2RGBA).view("<u4")[..., 0]
    drop = 8 - bits
    top = ((1 << bits) - 1) << drop  # the bits kept of one channel
    r = (x & top) << (2 * bits - drop)
    r |= (x & (top << 8)) >> (8 + drop - bits)
    r |= (x & (top << 16)) >> (16 + drop)
    return r.astype(np.intp)


_SQUARE = np.ones((3, 3), np.uint8)


def _blobs(
    weight: np.ndarray,
    pure: np.ndarray,
    reach: float,
    offset: tuple[int, int] = (0, 0),
    doubt: np.ndarray | None = None,
    min_piece: float = 0.0,
) -> tuple[float, float, float, float]:
    """Share-weighted centroid and area of the body in one frame, and the area of the
    heaviest blob of its colour elsewhere (a second copy).

    The body is the heaviest blob that holds pixels of its pure colour, together with the
    pieces within ``reach`` of it that hold pure pixels too (a body cut in two by an
    occluder) and blend-only pieces within ``reach / 2.5`` (its blurred edge). A blob of
    blends alone (a mix of two other colours that happens to look like a blend of this
    one) counts only when no pure pixel of the body is seen at all (a body so blurred by
    its motion that nowhere shows its colour undiluted). With ``min_piece``, a piece of
    pure pixels beyond ``reach / 2.5`` joins only with at least that share of the body's
    mass (the specks of a fast body's colour a lossy codec leaves behind it are no piece).

    ``weight`` and ``pure`` may be a window of the frame holding every pixel of the
    colour, at ``offset`` (x, y; even, so that the labelling's 2 x 2 blocks and hence the
    order of its labels are the frame's): positions come back in frame pixels. Pixels
    of ``doubt`` (of the colour, but also a blend of another body with the scene: a blurred
    blue lightened into cyan) do not weigh in choosing the body's blob nor as a second
    copy."""
    mask = (weight > 0).astype(np.uint8)
    n, lab, stats, cents = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return np.nan, np.nan, 0.0, 0.0
    ox, oy = offset
    if ox or oy:  # the centroids the whole frame gives, to the bit: integer sums / area
        pix = stats[:, cv2.CC_STAT_AREA].astype(np.float64)[:, None]
        cents = (np.rint(cents * pix) + pix * np.array([ox, oy], np.float64)) / pix
    x0, y0, _, _ = (int(v) for v in _bbox(stats[1:]))  # positions are summed from here
    # per blob: its mass (weights summed in the frame's order) and whether it holds a pure
    # pixel (a pure pixel weighs 1, so it lies in a blob)
    mass = np.bincount(lab.ravel(), weights=weight.ravel(), minlength=n)[1:]
    in_pure = lab[pure]
    pure_in = np.zeros(n, bool)
    pure_in[in_pure] = True
    has_pure = pure_in[1:]
    # a blob whose pure pixels are mostly doubtful (a blurred blue lightened into cyan,
    # apart from the cyan body) joins the body neither as a piece of it nor as its edge
    doubtful = np.zeros(n - 1, bool)
    if doubt is not None and doubt.any():  # blobs weighed without their doubtful pixels
        # (their weight taken off: the same sums, each exact in float64 for weights of 1
        # and blend shares of at least MIN_SHARE in float32, whatever their order)
        at = lab[doubt]
        sure = mass - np.bincount(at, weights=weight[doubt], minlength=n)[1:]
        if sure.max() > 0:
            mass = sure
            n_pure = np.bincount(in_pure, minlength=n)[1:]
            n_sure = n_pure - np.bincount(lab[doubt & pure], minlength=n)[1:]
            doubtful = has_pure & (n_sure < 0.5 * n_pure)
    if n > 2 and has_pure.any():  # a line of the colour one or two pixels wide (a
        # colour fringe along the edge of two other colours, as a lens or a shifted
        # chroma draws it) is no body nor a piece of one, where a thicker blob is seen
        core = cv2.erode(mask, _SQUARE, borderType=cv2.BORDER_CONSTANT, borderValue=0)
        thick = np.bincount(lab[core > 0], minlength=n)[1:] > 0
        if (has_pure & thick).any():
            has_pure = has_pure & thick
    cand = np.where(has_pure, mass, 0.0) if has_pure.any() else mass
    k = int(np.argmax(cand))
    step = cents[1:] - cents[1 + k]
    dist = np.sqrt(step[:, 0] * step[:, 0] + step[:, 1] * step[:, 1])
    if has_pure.any():
        near = (has_pure & (dist <= reach)) | (~has_pure & (dist <= reach / 2.5))
        if min_piece > 0.0:
            near &= (dist <= reach / 2.5) | (mass >= min_piece * mass[k])
        near &= ~doubtful | (np.arange(n - 1) == k)
        others = np.where(has_pure & ~near, mass, 0.0)
    else:
        near = dist <= reach
        others = np.where(near, 0.0, mass)
    chosen = np.zeros(n, bool)
    chosen[1:] = near
    # the chosen blobs' pixels, in the frame's order, from the box that holds them
    cx0, cy0, cx1, cy1 = (int(v) for v in _bbox(stats[chosen]))
    ys, xs = np.nonzero(chosen[lab[cy0:cy1, cx0:cx1]])
    w = weight[cy0:cy1, cx0:cx1][ys, xs]
    xs += cx0 - x0
    ys += cy0 - y0
    tot = float(w.sum())
    return (
        float((xs * w).sum() / tot) + (x0 + ox),
        float((ys * w).sum() / tot) + (y0 + oy),
        tot,
        float(others.max()),
    )


def body_blobs(
    classes: np.ndarray, labels: np.ndarray, share: np.ndarray, k: int, reach: float
) -> tuple[float, float, float, float]:
    """``_blobs`` for palette entry ``k`` given each pixel's class (``classes``: its palette
    index, or for a blend the body it is a blend of), its palette index (``labels``) and
    its blend share: labelled only in the smallest even-aligned window holding every
    pixel of the class, which gives what labelling the whole frame gives."""
    bx, by, bw, bh = cv2.boundingRect((classes == k).view(np.uint8))
    if bw == 0:
        return np.nan, np.nan, 0.0, 0.0
    return _window_blobs(
        classes, labels, lambda win, at: share[win][at], k, reach, (bx, by, bw, bh)
    )


def _window_blobs(
    classes: np.ndarray,
    labels: np.ndarray,
    share: Callable[[tuple[slice, slice], np.ndarray], np.ndarray],
    k: int,
    reach: float,
    box: tuple[int, int, int, int],
    doubt: np.ndarray | None = None,
    lit: bool = False,
) -> tuple[float, float, float, float]:
    """``body_blobs`` given the box (x, y, width, height) holding every pixel of class
    ``k`` and the blend shares of a window's pixels picked by a mask (``share``);
    ``doubt``: the frame's pixels that are also a blend of some other body (see ``_blobs``).

    ``lit``: a lit 3D scene, whose colour tables count each colour's darker shades as it.
    There a blend of the body with a grey (a motion blur's faint copy of it over the
    table's front, a codec's residue) is labelled the body and would weigh whole, while
    its copy over the light table top weighs its share or nothing: a pixel of the body's
    colour that is also a blend of it with a scene colour weighs the body's share, so a
    blurred body's centroid sinks less where the backdrop behind it changes; and a piece
    joins it only as ``_blobs`` says with ``MIN_PIECE_LIT``."""
    bx, by, bw, bh = box
    x0, y0 = bx - bx % 2, by - by % 2
    win = (slice(y0, by + bh), slice(x0, bx + bw))
    pure = labels[win] == k
    weight = pure.astype(np.float32)
    blended = (classes[win] == k) & ~pure
    weight[blended] = share(win, blended)
    doubtful = None if doubt is None else doubt[win] & pure
    if lit:
        at = pure if doubtful is None else pure & ~doubtful
        shares = share(win, at)
        weight[at] = np.where(shares > 0, shares, weight[at])
    return _blobs(weight, pure, reach, (x0, y0), doubtful, MIN_PIECE_LIT if lit else 0.0)


def class_boxes(
    classes: np.ndarray, wanted: list[int], n: int
) -> dict[int, tuple[int, int, int, int]]:
    """For each class of ``wanted`` (all below ``n``) present in ``classes``: the box (x, y,
    width, height) holding its pixels, as ``cv2.boundingRect`` gives it, each looked for
    only inside the box holding every class below ``n``."""
    ux, uy, uw, uh = cv2.boundingRect((classes < n).view(np.uint8))
    if uw == 0:
        return {}
    union = classes[uy : uy + uh, ux : ux + uw]
    out = {}
    for k in wanted:
        x, y, w, h = cv2.boundingRect((union == k).view(np.uint8))
        if w:
            out[k] = (x + ux, y + uy, w, h)
    return out


@functools.lru_cache(maxsize=64)
def _frame_tables(
    colours: tuple[tuple[int, int, int], ...],
    bodies: tuple[int, ...],
    scene: tuple[int, ...],
    shades: tuple[float, ...] = (),
    lightness: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Indexed by ``codes``: each colour's palette index (``label_table``), its class (the
    palette index, or for a colour of none the body it is a blend of: 255 if none), the
    body's share of the blend, whether it is a mix of two scene colours, and whether a
    colour of a body is also a blend of another body (a doubtful second copy)."""
    labels = _cached_table(colours, shades, lightness)
    owner, share = _cached_blend(colours, bodies, scene)
    classes = np.where(labels == 255, owner, labels)
    if lightness < 1.0:
        # a drawn styled scene tells colours apart by hue first, so a body's pale blend
        # with a light backdrop (a motion blur's smear) lies within reach of the backdrop
        # there; a colour the full-lightness rule gives to no palette colour and that is a
        # blend of a body with the scene is that blend, as in a flat scene
        pale = (_cached_table(colours) == 255) & (owner != 255) & np.isin(labels, scene)
        classes = np.where(pale, owner, classes)
    doubt = (labels != 255) & (owner != 255) & (owner != labels)
    return labels, classes, share, _cached_mixes(colours), doubt


def _packed(*tables: np.ndarray) -> np.ndarray:
    """Tables of bytes or bools indexed alike (at most four), packed into one table of
    32-bit words, the first in the lowest byte: one lookup gives every table's entry."""
    out = np.zeros(len(tables[0]), np.uint32)
    for j, t in enumerate(tables):
        out |= t.astype(np.uint32) << (8 * j)
    return out


def _bbox(stats: np.ndarray) -> tuple[int, int, int, int]:
    x0 = stats[:, cv2.CC_STAT_LEFT].min()
    y0 = stats[:, cv2.CC_STAT_TOP].min()
    x1 = (stats[:, cv2.CC_STAT_LEFT] + stats[:, cv2.CC_STAT_WIDTH]).max()
    y1 = (stats[:, cv2.CC_STAT_TOP] + stats[:, cv2.CC_STAT_HEIGHT]).max()
    return x0, y0, x1, y1


_OPEN = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))


def _unknown_area(unknown: np.ndarray) -> float:
    """Area of the largest blob of colours that belong to nothing in the scene, after an
    opening that removes the thin anti-aliased seams between known colours.

    Done in the window around the unknown pixels, with a margin of zeros as wide as the
    opening reaches (outside it the opening leaves nothing): the same areas as over the
    whole frame."""
    mask = unknown.view(np.uint8) if unknown.dtype == bool else unknown.astype(np.uint8)
    bx, by, bw, bh = cv2.boundingRect(mask)
    if bw == 0:
        return 0.0
    pad = _OPEN.shape[0]  # the erosion and the dilation each reach half of it
    win = mask[max(0, by - pad) : by + bh + pad, max(0, bx - pad) : bx + bw + pad]
    opened = cv2.morphologyEx(win, cv2.MORPH_OPEN, _OPEN)
    if not opened.any():
        return 0.0
    n, _, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    return float(stats[1:, cv2.CC_STAT_AREA].max()) if n > 1 else 0.0


EDGE_BLUR = 4  # px: how far a blur or a soft focus may spread an edge of the scene


def edge_zone(labels: np.ndarray) -> np.ndarray:
    """Where the reference picture (its palette ``labels``) changes from one colour to
    another, widened by ``EDGE_BLUR``: there a blurred or softened video shows a mix of the
    two colours that stays put, which is the edge, not an object."""
    lab = labels.astype(np.uint8)
    boundary = (cv2.dilate(lab, _SQUARE) != cv2.erode(lab, _SQUARE)).view(np.uint8)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * EDGE_BLUR + 1,) * 2)
    return cv2.dilate(boundary, disc).astype(bool)


def scene_seams(labels: np.ndarray, scene: tuple[int, ...]) -> np.ndarray:
    """Where two of the scene's own colours (``scene``: background, walls) meet in the
    reference picture (its palette ``labels``), widened by ``EDGE_BLUR`` on each side; a
    body's outline is no such seam."""
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * EDGE_BLUR + 1,) * 2)
    near = [
        cv2.dilate((labels == k).view(np.uint8), disc) > 0 for k in scene if (labels == k).any()
    ]
    out = np.zeros(labels.shape, bool)
    for i, a in enumerate(near):
        for b in near[i + 1 :]:
            out |= a & b
    return out


def seam_look_alikes(
    table: np.ndarray, colours: tuple[tuple[int, ...], ...], bodies: int, reference: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """A body's colour that is also a mix of two of the scene's own colours (a blue paled
    towards grey, between a dark floor and a light backdrop) is that mix where the two
    meet: a soft or resized edge is no body, nor a second copy of one. For the palette
    ``colours`` (its first ``bodies`` entries the bodies', then the scene's) and its
    ``table``: which colours (indexed like ``label_table``) a body's pixels may be
    mistaken for so, and where (``scene_seams`` of the ``reference`` picture's labels);
    None where no body's colour is such a mix."""
    scene = tuple(range(bodies, len(colours)))
    mixes = _cached_mixes(tuple(tuple(int(v) for v in colours[k]) for k in scene))
    look = (table < bodies) & mixes
    if not look.any():
        return None
    return look, scene_seams(reference, scene)


def _fastest(instance: Instance, name: str) -> float:
    """The largest step (px per frame) the truth moves ``name`` by."""
    states = instance.trajectory.states.get(name)
    if not states or len(states) < 2:
        return 0.0
    xy = instance.trajectory.xy(name)
    return float(np.linalg.norm(np.diff(xy, axis=0), axis=1).max())


def _recent_step(p: np.ndarray, i: int) -> float | None:
    """The largest of the last two steps to frame ``i`` of a track found in frame ``i``
    (how far a blur trail may reach behind it); None when frame ``i - 1`` is not found."""
    if i < 1 or np.isnan(p[i - 1, 0]):
        return None
    step = float(np.linalg.norm(p[i] - p[i - 1]))
    if i >= 2 and not np.isnan(p[i - 2, 0]):
        step = max(step, float(np.linalg.norm(p[i - 1] - p[i - 2])))
    return step


def _around(
    near: np.ndarray,
    classes: np.ndarray,
    k: int,
    centre: tuple[float, float],
    reach: float,
    within: float,
    limit: float,
) -> None:
    """Mark in ``near`` every pixel within ``reach`` px of a pixel of class ``k`` (in
    ``classes``, looked at only around ``centre``) that lies within ``within`` px of
    ``centre`` (a body's own pixels, not a stray one of its colour elsewhere), and no
    further than ``limit`` px from ``centre``."""
    h, w = classes.shape
    x, y = centre
    pad = min(within + reach, limit) + 1
    x0, x1 = max(0, int(x - pad)), min(w, int(np.ceil(x + pad)) + 1)
    y0, y1 = max(0, int(y - pad)), min(h, int(np.ceil(y + pad)) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.ogrid[y0:y1, x0:x1]  # (the distances broadcast: the same per pixel)
    d2 = (xx - x) ** 2 + (yy - y) ** 2
    own = (classes[y0:y1, x0:x1] == k) & (d2 <= within * within)
    if not own.any():
        return
    dist = cv2.distanceTransform((~own).view(np.uint8), cv2.DIST_L2, 3)
    near[y0:y1, x0:x1][(dist <= reach) & (d2 <= limit * limit)] = 1


def scene_palette(instance: Instance) -> tuple[list[str], list[RGB]]:
    """Object names and the colours to classify pixels against (objects first)."""
    spec = instance.spec
    names = [b.name for b in spec.bodies]
    colours = [b.colour for b in spec.bodies]
    others = [spec.background, *(w.colour for w in spec.walls)]
    others += [
        cast(RGB, tuple(c)) for c in Palette.of(spec).palette or ()
    ]  # e.g. a 3D scene's table
    return names, colours + others


CALIBRATE = 40.0  # Lab: how far a body's colour in the first frame may be from its key
# a video's colours moved towards their grey as a whole (a grade to half saturation moves a
# saturated key 40-44 Lab, nearer another key than its own: a faded red lies nearest brown):
# the saturations tried, and how near the key so faded the colour read must be
FADED = tuple(np.round(np.arange(0.4, 0.951, 0.05), 2))
FADED_NEAR = 12.0  # Lab


def _sample_point(body: Body, state: tuple[float, ...]) -> tuple[float, float, float]:
    """A point inside ``body`` at ``state`` and a radius around it that stays inside."""
    x, y = float(state[0]), float(state[1])
    if body.shape == "cup":  # the centroid of a U may lie in its cavity: use the bottom
        (ox, oy), (_, h) = body.boxes()[2]
        c, s = np.cos(body.angle), np.sin(body.angle)
        return x + c * ox - s * oy, y + s * ox + c * oy, 0.4 * h
    return x, y, 0.5 * body.radius


def calibrate(frame: np.ndarray, instance: Instance, colours: list[RGB]) -> list[RGB]:
    """The colour each body has in this video, read where the task puts it in the first
    frame: a video whose colours are shifted as a whole (hue, white balance, a codec)
    keeps its objects. A body's key is replaced only by a colour ``adopted`` for it (near
    it, or near it faded as the whole video is), so a body covered by another, or a
    first frame that is wrong, keeps its key. The colour read is the patch's
    median, or in a textured scene its mean (the middle of the pattern's two tints)."""
    h, w = frame.shape[:2]
    keys = lab_of(np.array(colours))
    out = list(colours)
    states = instance.trajectory.states
    textured = instance.spec.fmt.style == "textured"
    for k, body in enumerate(instance.spec.bodies):
        if body.name not in states or colours[k] in colours[:k]:
            continue
        x, y, r = _sample_point(body, states[body.name][0])
        r = int(max(1.0, min(r, 6.0)))
        xi, yi = round(x), round(y)
        if not (r <= xi < w - r and r <= yi < h - r):
            continue
        patch = frame[yi - r : yi + r + 1, xi - r : xi + r + 1].reshape(-1, 3)
        mid = np.mean if textured else np.median  # a pattern's two tints: their middle
        seen = mid(patch, axis=0).round().astype(np.uint8)
        if adopted(colours, keys, seen, k):
            out[k] = (int(seen[0]), int(seen[1]), int(seen[2]))
    return out


@functools.lru_cache(maxsize=16)
def _faded_keys(colours: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    """(len(FADED), colours, 3): the Lab of ``colours`` moved towards their grey (the mean
    of their channels) to each saturation of ``FADED``."""
    rgb = np.array(colours, dtype=np.float64)
    grey = rgb.mean(axis=1, keepdims=True)
    out = [lab_of(np.clip(np.round(grey + s * (rgb - grey)), 0, 255)) for s in FADED]
    return np.stack(out)


def adopted(colours: list[RGB], keys: np.ndarray, seen: np.ndarray, k: int) -> bool:
    """Whether ``seen`` (RGB) is how this video shows colour ``k`` of ``colours`` (Lab:
    ``keys``): within ``CALIBRATE`` of its key and nearer to it than to any other, or,
    the video's colours faded as a whole to one saturation of ``FADED``, within
    ``FADED_NEAR`` of the key so faded and nearer to it than to any other colour faded
    alike (a faded colour is told from the others as the unfaded one is)."""
    lab = lab_of(np.asarray(seen, dtype=np.uint8)[None, :])[0]
    d = np.linalg.norm(keys - lab, axis=1)
    if d[k] < CALIBRATE and int(np.argmin(d)) == k:
        return True
    key = tuple((int(c[0]), int(c[1]), int(c[2])) for c in colours)
    faded = np.linalg.norm(_faded_keys(key) - lab, axis=2)  # (saturations, colours)
    near = (faded[:, k] < FADED_NEAR) & (np.argmin(faded, axis=1) == k)
    return bool(near.any())


def calibrate_scene(
    frame: np.ndarray, reference: np.ndarray, view: np.ndarray, colours: list[RGB], first: int
) -> list[RGB]:
    """The scene's own colours (background, walls, from ``colours[first:]``) as this video
    shows them: each read where the conditioning image has it (a change of contrast or
    black level moves dark and light colours differently, which the light model's gain
    does not undo). Kept only where ``adopted``."""
    keys = lab_of(np.array(colours))
    out = list(colours)
    small = (64, 64)
    ref = cv2.resize(reference, small, interpolation=cv2.INTER_NEAREST).reshape(-1, 3)
    img = cv2.resize(frame, small, interpolation=cv2.INTER_NEAREST).reshape(-1, 3)
    seen = cv2.resize(view.astype(np.uint8), small, interpolation=cv2.INTER_NEAREST).ravel() > 0
    ref_lab = lab_of(ref)
    for k in range(first, len(colours)):
        at = (np.linalg.norm(ref_lab - keys[k], axis=1) < 3.0) & seen
        if at.sum() < 8:
            continue
        got = np.median(img[at], axis=0).round().astype(np.uint8)
        if adopted(colours, keys, got, k):
            out[k] = (int(got[0]), int(got[1]), int(got[2]))
    return out


@one_blas_thread()
def track_frames(
    frames: np.ndarray,
    instance: Instance,
    times: np.ndarray | None = None,
    first_image: np.ndarray | None = None,
    rendered: bool = False,
) -> Tracks:
    """Track every body of ``instance`` through ``frames`` (any size, frame rate, length).

    ``times`` are the frames' timestamps in seconds (default: evenly spaced at the task's
    frame rate); ``first_image`` is the conditioning image the frames are registered to
    (default: the video's own first frame). Time runs in real seconds from the first
    frame, so physics is measured in the units the simulator used; frames after the
    ground truth ends are not scored. ``rendered``: the frames are the scene's own
    rendering at task size (the truth before encoding): no camera or light is measured.
    """
    from vidreason.perception.timeline import MAX_DELAY

    spec = instance.spec
    if times is None or len(times) != len(frames):
        times = np.arange(len(frames)) / spec.fmt.fps
    times = np.asarray(times, dtype=float) - float(times[0])
    end = spec.fmt.duration + 0.5 / spec.fmt.fps
    keep = times <= end + MAX_DELAY  # a late start is taken out below
    if not keep.all():  # (else no copy of every frame)
        frames, times = frames[keep], times[keep]
    norm, crop = normalise(frames, spec.fmt.width, spec.fmt.height)
    x0, y0, x1, y1 = crop
    aspect = (x1 - x0) / max(1, y1 - y0)
    percept = perceive(norm, instance, first_image, times, aspect, rendered)
    norm, times = percept.frames, percept.timeline.times
    names, colours = scene_palette(instance)
    colours = calibrate(norm[0], instance, colours)
    colours = calibrate_scene(norm[0], percept.reference, percept.view[0], colours, len(names))
    key = tuple(tuple(int(v) for v in c) for c in colours)
    n = norm.shape[0]
    pos = {name: np.full((n, 2), np.nan) for name in names}
    area = {name: np.zeros(n) for name in names}
    min_area = {b.name: MIN_AREA_FRACTION * b.area for b in spec.bodies}
    reach = {b.name: 2.5 * extent(b) for b in spec.bodies}
    # where a found body may leave a trail or a shade of its own: a disc around its
    # centre as wide as its last steps in the video (at most, and where it was not found
    # just before, the truth's fastest: a jump of the track widens nothing), and for a
    # block or a cup a band around its own pixels (a long block's shape, at any angle)
    fast = {b.name: _fastest(instance, b.name) for b in spec.bodies}
    second = {name: np.zeros(n) for name in names}
    unknown = np.zeros(n)
    # a body sharing an earlier body's colour is never labelled (the first entry wins)
    labelled = [k for k in range(len(names)) if colours[k] not in colours[:k]]
    scene = tuple(range(len(names), len(colours)))
    shades, lightness = style_colours(spec)
    lit = bool(shades)  # a lit 3D scene (see ``_window_blobs``)
    tables = _frame_tables(key, tuple(labelled), scene, shades, lightness)
    table, class_table, share_table, mixes, doubt_table = tables
    stay = np.zeros(norm.shape[1:3], np.int16)  # frames each pixel has been a mix in a row
    # the picture's outer rim is framing (a zoom's padding, a resampled edge), not a scene
    inside = inner(*norm.shape[1:3])
    reference = table[codes(percept.reference)]
    seams = edge_zone(reference)
    look_alike = seam_look_alikes(table, key, len(names), reference)
    packed = _packed(table, class_table, doubt_table, mixes)
    for i, frame in enumerate(norm):
        code = codes(frame)
        # one lookup per pixel for the four tables, then split into one array each
        planes = cv2.split(packed[code].view(np.uint8).reshape(*code.shape, 4))
        labels, classes, doubt, mix = planes[0], planes[1], planes[2].view(bool), planes[3]
        if look_alike is not None:  # a scene's edge that looks like a body is that edge
            fake = look_alike[0][code] & look_alike[1]
            labels = np.where(fake, np.uint8(255), labels)
            classes = np.where(fake, np.uint8(255), classes)
        boxes = class_boxes(classes, labelled, len(names))

        def share(win: tuple[slice, slice], at: np.ndarray, code: np.ndarray = code) -> np.ndarray:
            return share_table[code[win][at]]

        near = np.zeros(frame.shape[:2], np.uint8)
        for k in labelled:
            name = names[k]
            box = boxes.get(k)
            x, y, a, a2 = (
                (np.nan, np.nan, 0.0, 0.0)
                if box is None
                else _window_blobs(classes, labels, share, k, reach[name], box, doubt, lit)
            )
            area[name][i], second[name][i] = a, a2
            if a >= min_area[name]:
                pos[name][i] = (x, y)
                step = _recent_step(pos[name], i)  # never beyond the truth's fastest
                step = fast[name] if step is None else min(step, fast[name])
                b = spec.body(name)
                trail = round(1.2 * b.radius + 2.0 * step + 2.0)
                cv2.circle(near, (round(x), round(y)), trail, 1, -1)
                if b.shape != "circle":  # a long block: its own shape, at any angle
                    own = extent(b) + 2.0 * step + 2.0  # turning keeps it within its extent
                    most = 1.2 * extent(b) + 2.0 * fast[name]
                    _around(near, classes, k, (x, y), 0.5 * b.radius + 2.0, own, most)
        # outside the camera's view the warped picture is only its edge repeated. A
        # colour of its own is an object at once; a mix of two scene colours only where
        # it stays put (a blur trail or a halo moves on with what makes it); neither
        # counts over a body found in this frame and the trail it may leave (three
        # colours blurred together where a ball moves inside a cup)
        odd = (labels == 255) & percept.view[i] & inside & (near == 0)
        mixed = odd & mix.view(bool)
        stay += 1
        stay *= mixed & ~seams  # frames in a row, 0 where it is no mix (or an edge's blur)
        unknown[i] = _unknown_area((odd & ~mixed) | (stay >= MIX_STAY))
    tracks = Tracks(
        times=times,
        pos=pos,
        area=area,
        frames=norm,
        crop=crop,
        second=second,
        unknown=unknown,
        percept=percept,
        palette=key,
    )
    if instance.capability == "planning":  # a video of its own pace: only its start
        delay, late = late_start(pos, times, instance), 0.0
    else:
        offset = time_offset(pos, times, instance)
        delay, late = offset.seconds, 0.0 if offset.seconds else offset.fitted
    if delay > 0:  # the held first frame, but for the first, dropped; the rest moved earlier
        # (a frame that lands within a fraction of a frame of the first is dropped with them:
        # what it shows is the blur of the first moments, measured to a few pixels)
        fps = spec.fmt.fps
        idx = np.concatenate([[0], np.flatnonzero(times - delay > NEAR_START / fps)])
        tracks = subset(tracks, idx, np.concatenate([[0.0], times[idx[1:]] - delay]), delay)
    if late > MAX_DELAY + 1e-9 and tracks.percept is not None:
        line = dataclasses.replace(tracks.percept.timeline, late=late)
        tracks = dataclasses.replace(
            tracks, percept=dataclasses.replace(tracks.percept, timeline=line)
        )
    inside = tracks.times <= end
    if not inside.all():  # what comes after the task's duration is not scored
        tracks = subset(tracks, np.flatnonzero(inside), tracks.times[inside])
    return tracks


_CLOSE = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))


LOOSE = 1.5  # x MAX_LAB_DISTANCE: how far off its colour a body's pixel may be at a second look


def outline_area(tracks: Tracks, instance: Instance, name: str, i: int) -> float:
    """The area body ``name`` covers in frame ``i`` at a second look: the pixels nearer its
    colour than any other of the scene and within ``LOOSE`` times the usual distance of it
    (a lossy codec averages a thin body's colour with the colours around it), closed over
    5 px (and mottles it with them), in the blobs within its reach of where it was found (0
    if it was not). Slower than the tracked area: for a few frames that look wrong."""
    names, _ = scene_palette(instance)
    x, y = tracks.pos[name][i]
    if not tracks.palette or name not in names or not np.isfinite(x):
        return 0.0
    reach = 2.5 * extent(instance.spec.body(name))
    h, w = tracks.frames.shape[1:3]
    x0, y0 = max(0, int(x - reach)), max(0, int(y - reach))
    x1, y1 = min(w, int(x + reach) + 1), min(h, int(y + reach) + 1)
    lab = cv2.cvtColor(tracks.frames[i, y0:y1, x0:x1], cv2.COLOR_RGB2LAB).astype(np.float32)
    d = np.linalg.norm(lab[:, :, None, :] - lab_of(np.array(tracks.palette))[None, None], axis=3)
    k = names.index(name)
    mask = ((d.argmin(axis=2) == k) & (d[:, :, k] < LOOSE * MAX_LAB_DISTANCE)).view(np.uint8)
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, _CLOSE)
    n, _, stats, cents = cv2.connectedComponentsWithStats(closed, connectivity=8)
    if n <= 1:
        return 0.0
    near = np.linalg.norm(cents[1:] - np.array([x - x0, y - y0]), axis=1) <= reach
    return float(stats[1:, cv2.CC_STAT_AREA][near].sum())


def subset(tracks: Tracks, keep: np.ndarray, times: np.ndarray, delay: float = 0.0) -> Tracks:
    """The frames ``keep`` of ``tracks`` at ``times`` (``delay``: a late start taken out)."""
    p = tracks.percept
    percept = None
    if p is not None:
        line = p.timeline
        line = dataclasses.replace(
            line, keep=line.keep[keep], times=times, delay=delay or line.delay
        )
        percept = dataclasses.replace(
            p, frames=p.frames[keep], view=p.view[keep], gains=p.gains[keep], timeline=line
        )

    def sub(d: dict[str, np.ndarray] | None) -> dict[str, np.ndarray] | None:
        return None if d is None else {k: v[keep] for k, v in d.items()}

    return dataclasses.replace(
        tracks,
        times=times,
        pos={k: v[keep] for k, v in tracks.pos.items()},
        area={k: v[keep] for k, v in tracks.area.items()},
        frames=tracks.frames[keep],
        second=sub(tracks.second),
        unknown=None if tracks.unknown is None else tracks.unknown[keep],
        percept=percept,
    )
