"""Undo smooth changes of light: vignette, gradients, exposure flicker, white-balance
drift, contrast and black level.

Each registered frame is compared with the reference (the conditioning image) on the
static pixels, per colour channel, in each cell of a ``GRID`` x ``GRID`` grid (cells
with too few static pixels left out), and a smooth gain surface is fitted to the cells
(a polynomial in x and y of degree 2 plus the fourth power of the radius: exact for a
constant exposure, a linear gradient and a lens vignette): to the mean ratio frame /
reference per cell, or, where the static scene holds both dark and light colours
(``SPREAD``; or ``OTHER`` cells far from the rest: a narrow dark floor), to the frame's
mean per cell as the reference's mean times the gain plus one level per channel (a
lowered contrast lifts the darks and dims the lights: no gain does both; a scene of one
colour cannot tell a level from a gain). Cells far off the fit in any channel are
rejected and the fit redone (a new object on the background is not light). Where the
static cells leave much of the picture unmeasured (a strip along two edges), a simpler
surface (a plane, a constant) is taken when the curved one would go further past the
measured gains than ``BEYOND``. Taking the level off and dividing by the gain brings the
scene's colours back to the reference's, while anything smaller than the surface can
bend (an object, a colour swap) is left as it is.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

GRID = 16  # cells per side
WORK = 64  # px per side the ratios are computed at
MIN_STATIC = 0.3  # a cell needs this share of static pixels to measure the light
GAIN = (0.4, 2.5)  # accepted range of the gain
SKIP = 0.02  # a frame whose correction moves no grey this share of the range is left as it is
REJECT = 3.0  # cells further than this many robust deviations from the surface are dropped
SPREAD = 40.0  # grey levels: the static cells' spread needed to fit a level as well as a gain
OTHER = 6  # ... or this many cells twice that far from the median cell's grey
MAX_LEVEL = 64.0  # grey levels: accepted range of the level
TERMS = 7  # coefficients of the gain surface; the level follows them
BEYOND = 0.1  # how far the gain may go, where it is not measured, past where it is
LOOSER = (2.0, 0.01)  # a simpler surface's misfit may be this much of the richest's, plus


def _terms(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    r2 = u * u + v * v
    return np.stack([np.ones_like(u), u, v, u * u, u * v, v * v, r2 * r2], axis=-1)


def _centres() -> tuple[np.ndarray, np.ndarray]:
    c = (np.arange(GRID) + 0.5) / GRID * 2.0 - 1.0
    return np.meshgrid(c, c)


def gain_fields(frames: np.ndarray, reference: np.ndarray, static: np.ndarray) -> np.ndarray:
    """Per frame, the gain surface's coefficients and the level per channel (n, 8, 3)."""
    size = (WORK, WORK)
    ref = cv2.resize(reference, size, interpolation=cv2.INTER_AREA).astype(np.float32) + 4.0
    mask = cv2.resize(static.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    mask &= ref.sum(axis=2) > 60  # too dark to measure a ratio
    c = WORK // GRID
    cells = mask.reshape(GRID, c, GRID, c).sum(axis=(1, 3)).astype(np.float32)
    enough = (cells >= MIN_STATIC * c * c).ravel()
    u, v = _centres()
    a_all = _terms(u.ravel(), v.ravel())
    out = np.zeros((len(frames), TERMS + 1, 3), np.float32)
    out[:, 0, :] = 1.0
    if enough.sum() < 12:
        return out  # too little static scene to measure light
    a = a_all[enough]
    count = np.maximum(cells, 1)[..., None]

    def means(img: np.ndarray) -> np.ndarray:
        """(frames, cells, 3): each frame's mean per cell over the static pixels."""
        masked = np.where(mask[..., None], img, np.float32(0.0))
        return (_cell_sums(masked, c) / count).reshape(len(img), -1, 3)

    x = means(ref[None])[0][enough]  # (cells, 3): the reference's mean per cell
    grey = x.mean(axis=1)
    apart = np.abs(grey - np.median(grey)) >= 2.0 * SPREAD
    # dark and light static scene (also a dark floor under a light backdrop): fit a level
    level = float(grey.std()) >= SPREAD or int(apart.sum()) >= OTHER
    imgs = np.stack([cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames])
    imgs = imgs.astype(np.float32) + 4.0
    # the frames that repeat the one before after the resize have the same light
    new = np.ones(len(imgs), dtype=bool)
    if len(imgs) > 1:  # (a one-frame video has no frame before its first)
        new[1:] = (imgs[1:] != imgs[:-1]).reshape(len(imgs) - 1, -1).any(axis=1)
    fitted = np.flatnonzero(new)
    # the frame's means against the reference's, with a level; else the mean ratio per
    # cell, a gain alone
    cell = means(imgs[fitted]) if level else means(imgs[fitted] / ref)
    against = x if level else np.ones_like(x)
    # a frame whose static cells hold the same means as one fitted before gets its fit
    # (a codec copies a still background's blocks from frame to frame, to the bit)
    done: dict[bytes, np.ndarray] = {}
    for j, i in enumerate(fitted):
        y = np.ascontiguousarray(cell[j][enough])
        key = y.tobytes()
        if key not in done:
            done[key] = _bounded(a, a_all, against, y, level)
        out[i] = done[key]
    for i in np.flatnonzero(~new):
        out[i] = out[i - 1]
    return out


def _cell_sums(img: np.ndarray, c: int) -> np.ndarray:
    """(frames, GRID, GRID, 3): the sum of each ``c`` x ``c`` cell of ``img`` (frames,
    GRID c, GRID c, 3), float32, its pixels added in turn row by row, as numpy's sum over
    the cells' two axes adds them, to the bit, without its slow walk over them."""
    cells = img.reshape(len(img), GRID, c, GRID, c, 3)
    out = cells[:, :, 0, :, 0, :].copy()
    for k in range(1, c * c):
        out += cells[:, :, k // c, :, k % c, :]
    return out


def _bounded(
    a: np.ndarray, a_all: np.ndarray, x: np.ndarray, y: np.ndarray, level: bool
) -> np.ndarray:
    """The richest surface (all terms, a plane, a constant) that stays over the whole
    picture within ``BEYOND`` of the gains it takes at the measured cells: where the static
    scene is a strip along two edges, a curved surface is not extrapolated over the rest.
    A simpler surface is taken only where it fits the measured cells nearly as well
    (``LOOSER``): a strong vignette measured over most of the picture, its corners a little
    darker than any measured cell, keeps its curve (a plane put a gain of 0.77 over it).
    (TERMS + 1, 3): the surface's coefficients and the level per channel."""
    richest: np.ndarray | None = None
    least = 0.0
    for used in (TERMS, 3, 1):
        coef, fitted = _fit(a[:, :used], x, y, level)
        surface = np.zeros((TERMS + 1, 3), np.float32)
        surface[:used] = coef[:used]
        if fitted:
            surface[TERMS] = coef[used]
        seen = a @ surface[:TERMS]
        # how far the measured cells lie off it, as a share of the reference (a gain's unit)
        miss = float(np.median((np.abs(y - (seen * x + surface[TERMS])) / x).max(axis=1)))
        if richest is None:
            richest, least = surface, miss
        elif miss > LOOSER[0] * least + LOOSER[1]:
            break  # it fits the cells too much worse: the richest it is
        every = a_all @ surface[:TERMS]
        if (every.min(axis=0) >= seen.min(axis=0) - BEYOND).all() and (
            every.max(axis=0) <= seen.max(axis=0) + BEYOND
        ).all():
            return surface
    assert richest is not None
    return richest


def _fit(a: np.ndarray, x: np.ndarray, y: np.ndarray, level: bool) -> tuple[np.ndarray, bool]:
    """Per channel ``y = (a @ coef) * x + level`` over the cells (x, y: (cells, 3)),
    robustly: cells far off the fit in any channel dropped, twice. The level (last row)
    only with ``level``, and kept within ``MAX_LEVEL`` (else the gain alone is fitted);
    returns the coefficients and whether a level was fitted."""
    cols = a.shape[1] + (1 if level else 0)
    coef = np.zeros((cols, 3), np.float32)
    keep = np.ones(len(y), dtype=bool)
    # (3, cells, cols): each channel's design, solved together
    designs = a[None, :, :] * x.T[:, :, None]
    if level:
        designs = np.concatenate([designs, np.ones((3, len(y), 1))], axis=2)
    target = y.T.astype(np.float64)[:, :, None]
    for _ in range(2):
        coef[:] = _solve(designs[:, keep], target[:, keep]).T
        pred = (designs @ coef.T[:, :, None].astype(np.float64))[:, :, 0].T
        res = (np.abs(y - pred) / x).max(axis=1)  # as a share of the reference, as a gain is
        dev = 1.4826 * float(np.median(res[keep])) + 0.01
        kept, keep = keep, res <= REJECT * dev
        if keep.sum() < 12 or np.array_equal(keep, kept):
            break  # (the same cells would give the same fit again)
    if level and float(np.abs(coef[-1]).max()) > MAX_LEVEL:
        return _fit(a, x, y, False)
    return coef, level


WELL_POSED = 1e-10  # smallest over largest eigenvalue of a design's normal matrix solved directly


def _solve(d: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Least squares ``d @ c = t`` per channel (d: (3, rows, cols), t: (3, rows, 1)):
    by the normal equations, columns scaled to unit length, where they are well posed,
    else the least-norm solution."""
    dt = np.swapaxes(d, 1, 2)
    normal = dt @ d
    unit = 1.0 / np.sqrt(np.maximum(np.diagonal(normal, axis1=1, axis2=2), 1e-300))
    scaled = normal * unit[:, :, None] * unit[:, None, :]
    eig = np.linalg.eigvalsh(scaled)
    if (eig[:, 0] > WELL_POSED * eig[:, -1]).all():
        rhs = (dt @ t)[:, :, 0] * unit
        return np.linalg.solve(scaled, rhs[:, :, None])[:, :, 0] * unit
    return np.stack([np.linalg.lstsq(d[ch], t[ch, :, 0], rcond=None)[0] for ch in range(3)])


def unit_gains(n: int) -> np.ndarray:
    """``n`` frames' gain fields that change nothing (unit gain, zero level)."""
    out = np.zeros((n, TERMS + 1, 3), np.float32)
    out[:, 0, :] = 1.0
    return out


@functools.lru_cache(maxsize=4)
def _picture_terms(h: int, w: int) -> np.ndarray:
    """The gain surface's terms at every pixel of an ``h`` x ``w`` picture (h, w, TERMS)."""
    uu, vv = np.meshgrid((np.arange(w) + 0.5) / w * 2 - 1, (np.arange(h) + 0.5) / h * 2 - 1)
    terms = _terms(uu.astype(np.float32), vv.astype(np.float32))
    terms.flags.writeable = False
    return terms


def negligible(gains: np.ndarray) -> np.ndarray:
    """Per frame, whether taking its light out would move no grey level by ``SKIP`` of the
    range or more anywhere: the change at black and at white (linear in between), on a
    grid over the picture. A gain and a level that nearly cancel (codec noise fitted as
    a slightly lower gain and a small level) leave the frame as it is."""
    c = np.linspace(-1.0, 1.0, 9)
    u, v = np.meshgrid(c, c)
    grid = _terms(u.ravel(), v.ravel())  # (points, TERMS)
    field = np.clip(np.einsum("pt,ntc->npc", grid, gains[:, :TERMS]), *GAIN)
    level = gains[:, None, TERMS, :]
    worst = np.zeros(len(gains))
    for grey in (0.0, 255.0):
        change = np.abs((grey + 4.0 - level) / field - 4.0 - grey)
        worst = np.maximum(worst, change.max(axis=(1, 2)))
    return worst < 255 * SKIP


def correct(frames: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Frames less their levels, divided by their smooth gain fields. When no frame needs
    it the frames come back as they are, not copied."""
    n, h, w = frames.shape[:3]
    skip = negligible(gains)
    if skip.all():
        return frames
    out = np.empty_like(frames)
    terms = _picture_terms(h, w)
    for i in range(n):
        surface, level = gains[i, :TERMS], gains[i, TERMS]
        if skip[i]:
            out[i] = frames[i]
            continue
        field = np.clip(terms @ surface, *GAIN)
        if not np.any(level):
            out[i] = np.clip(frames[i].astype(np.float32) / field, 0, 255).astype(np.uint8)
            continue
        # the level was fitted on the frame + 4 against the reference + 4
        fixed = (frames[i].astype(np.float32) + 4.0 - level) / field - 4.0
        out[i] = np.clip(fixed, 0, 255).astype(np.uint8)
    return out
