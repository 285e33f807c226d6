"""Register every frame to the conditioning image, so that a camera that zooms, pans,
shakes or drifts does not move the objects.

Work is done on grey images downscaled to ``WORK`` px, less their local mean (a smooth
change of light is no structure), in two steps:

1. the video's first frame against the reference with every pixel (a search over zooms
   with phase correlation, refined by ECC, affine): at the first moment the objects stand
   where the task puts them, so they register too (a scene of two balls on a blank
   background still gives zoom and shift). Where it moves the camera, the map is fitted
   again with the light (``_refined``), from it and from no camera motion, and the one
   that leaves the least misfit kept: a vignette's darker rim is light, not a zoom. This
   map (``base``) may squash the picture, as a crop to another aspect ratio does;
2. every later frame as a similarity on top of it (zoom, roll and shift about the
   centre), by robust Gauss-Newton (``solve``) on the pixels the task never moves, plus
   the bodies that still stand before the truth moves them. A prior of no camera
   motion keeps a direction the scene does not fix (along a floor line) where it is.
   Standing bodies are checked against each other first (``_moved``): one that moved by
   itself, as a wrong video's early domino does, is dropped rather than followed.

``Camera.measured`` records, per frame, which of the two shifts the fit fixed; where one
is not (a floor line fixes height alone, nothing stands still any more), the camera is
held where it was and ``Camera.doubt`` says how far from there it may be (the camera
check reports it; dominoes' start, fall and reach are judged within it).

A frame whose static pixels did not change since the last frame fitted keeps the last
map; an estimate is kept only if it stays plausible (scale within ``MAX_SCALE``, shift
within ``MAX_SHIFT`` of the picture, no shear, no roll over 3 degrees). ``Camera``
records what was found, for the ``camera`` check.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

WORK = 128  # px: the longer side registration works at
GAIN_NEEDED = 0.4  # a camera move is accepted when it leaves this share of the misfit
LOG_FLOOR = 0.05  # grey (0..1) added before the log: darker greys are noise, not structure
HIGH_PASS = 16.0  # px at WORK: light that changes more smoothly than this is ignored
MAX_SCALE = 0.35  # accepted |scale - 1|
MAX_SHIFT = 0.2  # accepted shift, as a share of the picture
SUBPIXEL = 0.1  # px: a shift this small is not worth resampling the frame for
STILL = 0.002  # mean grey change (0..1) at static edges below which the camera stood still
EDGE = 0.01  # grey (0..1) per px at WORK: a static pixel this steep is an edge
MIN_STRUCTURE = 2.0  # static gradient energy (per pixel, grey 0..1 x 1e3) in each direction
REST_MARGIN = 0.2  # s: a resting body counts as scene until this long before it moves


@dataclass(frozen=True)
class Camera:
    """Per frame, the affine map from reference pixels to video pixels (2 x 3)."""

    matrices: np.ndarray  # (n, 2, 3)
    tracked: bool  # per-frame motion measured (enough static structure) or first frame only
    correlation: float  # first frame vs reference after registration (-1..1)
    # (n, 2) bool: whether each frame's sideways and up-down shift was measured; where not,
    # the camera is held where it was last seen (None: every frame measured both ways)
    measured: np.ndarray | None = None

    def scale(self) -> np.ndarray:
        a = self.matrices[:, :, :2]
        return np.sqrt(np.abs(np.linalg.det(a)))

    def shift(self, width: int, height: int) -> np.ndarray:
        """Where the reference's centre lands, minus the centre: px per frame (n, 2)."""
        c = np.array([width / 2, height / 2, 1.0])
        return self.matrices @ c - c[:2]

    def doubt(self, width: int, height: int) -> np.ndarray:
        """Per frame and axis (n, 2), how far (px) the camera may be from where it is
        held where that shift was not measured: the farthest the measured frames saw it
        from there (0 where measured, or where no other frame measured that axis)."""
        shift = self.shift(width, height)
        out = np.zeros_like(shift)
        if self.measured is None:
            return out
        for a in range(2):
            seen = shift[self.measured[:, a], a]
            if len(seen) == 0:
                continue
            lost = ~self.measured[:, a]
            far = np.abs(seen[None, :] - shift[lost, a][:, None]).max(axis=1)
            out[lost, a] = far
        return out

    def unmeasured(self) -> list[tuple[str, int, int]]:
        """Runs of frames (axis name, first, last) whose shift along that axis was not
        measured (``measured``)."""
        if self.measured is None:
            return []
        out = []
        for a, name in enumerate(("sideways", "up-down")):
            lost = np.flatnonzero(~self.measured[:, a])
            if len(lost) == 0:
                continue
            breaks = np.flatnonzero(np.diff(lost) > 1)
            starts = np.r_[lost[0], lost[breaks + 1]]
            ends = np.r_[lost[breaks], lost[-1]]
            out += [(name, int(s0), int(e)) for s0, e in zip(starts, ends, strict=True)]
        return out


def still_camera(n: int) -> Camera:
    """``n`` frames seen by a camera that never moves: every map the identity."""
    return Camera(matrices=np.tile(np.eye(2, 3), (n, 1, 1)), tracked=True, correlation=1.0)


Kept = dict[int, tuple[np.ndarray, ...]]  # per mask (by id): what ``_grey`` reuses


def _grey(
    frame: np.ndarray,
    size: tuple[int, int],
    mask: np.ndarray | None = None,
    weights: Kept | None = None,
    lift: float | None = None,
) -> np.ndarray:
    """Grey at ``size`` (with ``lift``: its log, of slope 1 at grey ``lift``), less its
    local mean (a smooth change of light, an offset, or in the log a gain, is no structure);
    with ``mask`` (at ``size``) the mean is taken over the masked pixels only, so a body
    moving next to the static scene does not leak into it. ``weights`` keeps, per mask,
    what depends on the mask alone (its weights and their local sum), for the next frame
    fitted on the same mask, and the last masked grey with its local sum: a frame whose
    masked pixels are those of the last, bit for bit, has the same sum."""
    return _less_mean(_log_grey(frame, size, lift), mask, weights)


def _log_grey(frame: np.ndarray, size: tuple[int, int], lift: float | None) -> np.ndarray:
    """``_grey`` before its local mean is taken out."""
    g = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame
    g = cv2.resize(g, size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    # the log of the grey: a smooth gain (a vignette, a lamp's fall-off) becomes a smooth
    # offset, which the local mean takes out (scaled to keep the slopes of grey ``lift``,
    # the scene's mean, so a light scene keeps its structure's strength)
    if lift is not None:
        g = (lift + LOG_FLOOR) * np.log(g + LOG_FLOOR)
    return g


def _local(g: np.ndarray) -> np.ndarray:
    """``g`` (float32) blurred to its local mean: the blur ``_blur_matrix`` describes."""
    return cv2.GaussianBlur(g, (0, 0), HIGH_PASS, borderType=cv2.BORDER_REFLECT)


def _local_weight(mask: np.ndarray) -> np.ndarray:
    """The local mean's total weight of ``mask``'s pixels, kept off zero."""
    return np.maximum(_local(mask.astype(np.float32)), 1e-3)


def _less_mean(g: np.ndarray, mask: np.ndarray | None, weights: Kept | None) -> np.ndarray:
    """``g`` (``_log_grey``) less its local mean (see ``_grey``)."""
    if mask is None:
        return g - _local(g)
    kept = None if weights is None else weights.get(id(mask))
    if kept is None or kept[0] is not mask:
        kept = (mask, mask.astype(np.float32), _local_weight(mask))
    m, den = kept[1], kept[2]
    masked = g * m
    num = kept[4] if len(kept) > 3 and np.array_equal(kept[3], masked) else _local(masked)
    if weights is not None:
        weights[id(mask)] = (mask, m, den, masked, num)
    return g - num / den


@functools.lru_cache(maxsize=8)
def _blur_matrix(n: int) -> np.ndarray:
    """The local mean's blur along a line of ``n`` px as an n x n matrix: the weight of
    each pixel in each blurred one (OpenCV's kernel for ``HIGH_PASS``, reflected at the
    ends as ``BORDER_REFLECT`` does, as often as a kernel longer than the line needs)."""
    ksize = round(HIGH_PASS * 8 + 1) | 1  # as OpenCV sizes a float image's kernel
    r = ksize // 2
    kernel = cv2.getGaussianKernel(ksize, HIGH_PASS, cv2.CV_64F).ravel()
    j = (np.arange(n)[:, None] + np.arange(-r, r + 1)[None, :]).ravel()
    while ((j < 0) | (j >= n)).any():
        j = np.where(j < 0, -j - 1, j)
        j = np.where(j >= n, 2 * n - 1 - j, j)
    out = np.zeros((n, n))
    np.add.at(out, (np.repeat(np.arange(n), ksize), j), np.tile(kernel, n))
    return out


# per grey unit of the blurred picture's size: the most OpenCV's float blur may be off the
# matrix's (each output a sum of 2 x 129 products in float32, each rounded by 6e-8 at most)
BLUR_ERROR = 2e-5


@functools.lru_cache(maxsize=8)
def _blur_known(h: int, w: int) -> bool:
    """``_blur_matrix`` gives OpenCV's blur of an ``h`` x ``w`` picture to within a tenth
    of ``BLUR_ERROR`` (checked once per size on a picture of noise as large as a log grey
    gets): OpenCV blurs as the matrix says."""
    f = np.random.default_rng(0).uniform(-3.0, 0.1, (h, w)).astype(np.float32)
    cv = _local(f)
    ours = _blur_matrix(h) @ f.astype(np.float64) @ _blur_matrix(w).T
    return float(np.abs(ours - cv).max()) <= 0.1 * BLUR_ERROR * 3.1


@dataclass(frozen=True)
class StillTest:
    """What bounds, for frames fitted on one mask, the change ``register`` compares with
    ``STILL`` from their log greys alone, without their local means (two large blurs).

    The change is the mean over ``at`` of ``|d - blur(d m) / den|``, ``d`` the difference
    of two log greys: at most ``mean_at |d| + sum |d| weight``, ``weight`` being each
    masked pixel's share, through the blur, of the mean of ``1 / den`` over ``at`` (the
    blur is linear, its weights positive and symmetric: ``weight`` is the blur of that
    ``1 / den``), plus what OpenCV's rounding may add: ``slack`` per grey unit of the
    greys' size, and ``spill`` times the sum of ``|d|`` over the mask."""

    at: np.ndarray  # (h, w) bool: where the change is measured
    on: np.ndarray  # (h, w) bool: the mask
    weight: np.ndarray  # (h, w) float32, 0 off the mask
    slack: float
    spill: float


def _still_test(mask: np.ndarray, at: np.ndarray) -> StillTest | None:
    """The ``StillTest`` of frames fitted on ``mask`` (video pixels) and compared at
    ``at``; None where OpenCV's blur is not known to be ``_blur_matrix``'s."""
    h, w = mask.shape
    if not at.any() or not _blur_known(h, w):
        return None
    inv = np.where(at, 1.0 / _local_weight(mask), 0.0).astype(np.float32) / int(at.sum())
    weight = _local(inv) * mask
    top = float(inv.max())
    return StillTest(at, mask, weight, 2.0 * BLUR_ERROR * float(inv.sum()), 2.0 * BLUR_ERROR * top)


def _surely_still(test: StillTest, g: np.ndarray, g_last: np.ndarray) -> bool:
    """The change between log greys ``g`` and ``g_last`` (see ``StillTest``) is surely
    below ``STILL``."""
    d = np.abs(g - g_last)
    size = max(1.0, float(np.abs(g).max()), float(np.abs(g_last).max()))
    spread = float((d * test.weight).sum()) + test.spill * float(d[test.on].sum())
    bound = float(d[test.at].mean()) + spread
    return bound * (1.0 + 1e-4) + test.slack * size + 1e-5 < STILL


def _scaled(m: np.ndarray, k: float) -> np.ndarray:
    """An affine map in pixels of one resolution expressed at ``k`` times it."""
    out = m.copy()
    out[:, 2] *= k
    return out


def _ecc(
    ref: np.ndarray, img: np.ndarray, init: np.ndarray, mask: np.ndarray | None, iters: int = 60
) -> tuple[float, np.ndarray] | None:
    warp: np.ndarray = init.astype(np.float32).copy()
    crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, iters, 1e-5)
    try:
        # the stubs want a mask array; OpenCV takes None for "every pixel"
        cc, warp = cv2.findTransformECC(ref, img, warp, cv2.MOTION_AFFINE, crit, mask, 3)  # type: ignore[arg-type]
    except cv2.error:
        return None
    return float(cc), warp


def _corr(ref: np.ndarray, img: np.ndarray, m: np.ndarray, mask: np.ndarray | None) -> float:
    h, w = ref.shape
    warped = cv2.warpAffine(
        img, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT
    )
    keep = np.ones_like(ref, bool) if mask is None else mask > 0
    a, b = ref[keep] - ref[keep].mean(), warped[keep] - warped[keep].mean()
    d = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / d) if d > 0 else -1.0


MAX_SHEAR = 0.02  # the stretch's part across its axes, relative to its scale


def sheared(m: np.ndarray) -> bool:
    """A map no camera of the scene makes: the stretch of its polar decomposition
    (``a = rotation @ stretch``) off its axes by more than ``MAX_SHEAR`` of its scale (a
    picture stretched 4:3 after a 2° roll has 0.012; ECC over a scene with little
    structure slides into shears of 0.05 and more)."""
    _, s, vt = np.linalg.svd(m[:, :2])
    stretch = vt.T @ np.diag(s) @ vt
    return bool(abs(stretch[0, 1]) > MAX_SHEAR * float(s.mean()))


def plausible(m: np.ndarray, width: int, height: int) -> bool:
    a = m[:, :2]
    s = np.linalg.svd(a, compute_uv=False)
    if s.min() <= 0 or abs(s.max() / s.min() - 1.0) > 0.15:  # strong shear or squash
        return False
    if abs(float(np.arctan2(a[1, 0] - a[0, 1], a[0, 0] + a[1, 1]))) > np.radians(3.0):
        return False  # a camera of the scene does not roll
    scale = float(np.sqrt(abs(np.linalg.det(a))))
    c = np.array([width / 2, height / 2])
    shift = np.abs(a @ c + m[:, 2] - c)
    return abs(scale - 1.0) <= MAX_SCALE and bool(np.all(shift <= MAX_SHIFT * max(width, height)))


def _about_centre(scale: float, dx: float, dy: float, w: int, h: int) -> np.ndarray:
    """Reference -> video map: zoom by ``scale`` about the centre, then shift."""
    m = np.eye(2, 3, dtype=np.float32)
    m[:, :2] *= scale
    m[:, 2] = (1 - scale) * np.array([w / 2, h / 2]) + (dx, dy)
    return m


ZOOMS = np.round(np.arange(0.8, 1.34, 0.025), 3)  # starting zooms searched for frame 0
POOR = 0.9  # correlation of frame 0 with the reference under which no motion is doubted


def _first(
    ref: np.ndarray, img: np.ndarray, aspect: float | None = None
) -> tuple[float, np.ndarray, bool]:
    """Frame 0 against the reference, every pixel: each zoom in ``ZOOMS`` with the shift
    phase correlation gives, and a crop of the reference's middle to the video's
    ``aspect`` (resized back to the reference's size: a stretch on one axis), the best
    refined by ECC. Returns the correlation, the map, and whether the map is only a guess
    for the refit to try (see ``POOR``)."""
    h, w = ref.shape
    ident = np.eye(2, 3, dtype=np.float32)
    ident_cc = _corr(ref, img, ident, None)
    best = (ident_cc, ident)
    starts = []  # full-size maps, each tried as it is and refined by ECC
    if aspect is not None and abs(aspect / (w / h) - 1.0) > 0.01:
        starts.append(_middle(aspect / (w / h), w, h))
    rs, im = _half(ref), _half(img)
    cands = [(_corr(rs, im, m, None), m) for m in _phase_zooms(rs, im, ZOOMS)]
    cands.sort(key=lambda c: -c[0])
    starts += [_scaled(m, 2.0) for _, m in cands[:2]]
    for m in starts:
        start = _corr(ref, img, m, None)
        if start > best[0] + 1e-4:
            best = (start, m)
        fine = _ecc(ref, img, m, None, 60)
        if fine is None or not plausible(fine[1], w, h):
            continue
        if fine[0] > best[0] + 1e-4:
            best = fine
    if best[1] is not ident and (1.0 - best[0]) > GAIN_NEEDED * (1.0 - ident_cc):
        # not clearly better than no camera motion at all; but where no motion matches
        # poorly too, the map goes to the refit with the light, which keeps it only
        # where it leaves less misfit than no motion (``_refined``)
        return (ident_cc, best[1], True) if ident_cc < POOR else (ident_cc, ident, False)
    return best[0], best[1], False


def _half(g: np.ndarray) -> np.ndarray:
    """A grey at half its size, blurred: what phase correlation compares."""
    h, w = g.shape
    small = cv2.resize(g, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(small, (0, 0), 1.0)


def _phase_zooms(rs: np.ndarray, im: np.ndarray, zooms: Iterable[float]) -> list[np.ndarray]:
    """Per zoom (about the centre), the map from ``rs`` to ``im`` (``_half`` greys) with
    the shift phase correlation gives."""
    h, w = rs.shape
    win = cv2.createHanningWindow((w, h), cv2.CV_32F)
    out = []
    for z in zooms:
        m = _about_centre(float(z), 0.0, 0.0, w, h)
        back = cv2.warpAffine(
            im,
            m,
            (w, h),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        (dx, dy), _ = cv2.phaseCorrelate(rs.copy(), back, win)  # it may write into its input
        out.append(_about_centre(float(z), z * dx, z * dy, w, h))
    return out


def _middle(stretch: float, w: int, h: int) -> np.ndarray:
    """The map from reference pixels to a picture that shows the reference's middle,
    cut to ``stretch`` times its aspect ratio (wider: > 1) and resized back to its size."""
    sx, sy = (1.0, stretch) if stretch > 1 else (1.0 / stretch, 1.0)
    cx, cy = w / 2, h / 2
    return np.array([[sx, 0.0, (1 - sx) * cx], [0.0, sy, (1 - sy) * cy]], dtype=np.float32)


def structure(ref: np.ndarray, mask: np.ndarray, weaker: bool = True) -> float:
    """The weaker (or the stronger) direction's gradient energy over the static pixels
    (x 1e3 per pixel)."""
    gx = cv2.Sobel(ref, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(ref, cv2.CV_32F, 0, 1, ksize=3)
    keep = mask > 0
    if keep.sum() < 50:
        return 0.0
    j = np.array(
        [
            [(gx[keep] ** 2).mean(), (gx[keep] * gy[keep]).mean()],
            [(gx[keep] * gy[keep]).mean(), (gy[keep] ** 2).mean()],
        ]
    )
    eig = np.linalg.eigvalsh(j)
    return float((eig.min() if weaker else eig.max()) * 1e3)


AGREE = 1.5  # px at WORK: a standing body's own shift this far from the others' has moved
LONE = 3.0  # px at WORK: how far one or two standing bodies alone may take the camera


def _moved(
    bodies: list[tuple[int, Template]], img: np.ndarray, prev: np.ndarray, anchor: np.ndarray
) -> tuple[set[int], bool]:
    """The standing bodies that moved by themselves, and whether the others fix the
    camera firmly (three or more that agree).

    Each body's own shift (against the camera so far, ``prev``) is measured on its
    footprint alone. A camera moves every body alike; a body that a wrong video moves
    early does not follow the others: one far from the median of three or more has
    moved. One or two cannot outvote each other: they are trusted only while they keep
    the camera within ``LONE`` of ``anchor`` (where it was last fixed firmly, or the
    median of where they put it since), more than a shaking camera moves but less than
    a body knocked over."""
    if not bodies:
        return set(), False
    pyr = pyramid(img)
    shifts = np.array([solve(tpl, pyr, prev, free=(2, 3))[2:] for _, tpl in bodies])
    if len(bodies) >= 3:
        off = np.abs(shifts - np.median(shifts, axis=0)).max(axis=1) > AGREE
        return {j for (j, _), o in zip(bodies, off, strict=True) if o}, True
    far = np.abs(shifts - anchor[2:]).max(axis=1) > LONE  # (``solve`` gives the whole shift)
    return {j for (j, _), f in zip(bodies, far, strict=True) if f}, False


def _in_view(
    m0: np.ndarray, size: tuple[int, int]
) -> tuple[np.ndarray | None, Callable[[np.ndarray], np.ndarray]]:
    """Through the first frame's map ``m0`` (at ``size``): the reference pixels the video
    shows (None: all of them, ``m0`` is no move), and a function taking a reference mask
    to the video's pixels."""
    if np.abs(m0 - np.eye(2, 3)).max() < 1e-3:
        return None, lambda mask: mask
    w, h = size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    x = m0[0, 0] * xs + m0[0, 1] * ys + m0[0, 2]
    y = m0[1, 0] * xs + m0[1, 1] * ys + m0[1, 2]
    shown = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
    warp = np.asarray(m0, np.float32)

    def in_video(mask: np.ndarray) -> np.ndarray:
        moved = cv2.warpAffine(mask.astype(np.uint8), warp, size, flags=cv2.INTER_NEAREST)
        return moved > 0

    return shown, in_video


def _refined(
    reference: np.ndarray,
    first: np.ndarray,
    m0: np.ndarray,
    size: tuple[int, int],
    lift: float,
    guess: bool = False,
) -> np.ndarray:
    """The first frame's map ``m0``, where it moves the camera, fitted again on every
    pixel with the light (``solve``): the search (``_first``) takes a vignette's darker
    rim for a zoom, with a squash that no later frame undoes, where the camera is also
    shifted. Fitted from ``m0``, from no camera motion, from ``m0``'s shift alone and
    from the scanned zoom (``SCAN``) that leaves the least misfit (each fitted again
    through the map found, where it moved: what that leaves out of the picture is left
    out), the map whose misfit (``_misfit``), the light taken out, is the smallest over
    the video pixels every map tried shows is kept (``m0`` among them, or, where ``m0``
    is only the search's ``guess`` or ``sheared``, no motion instead; no sheared map is
    kept)."""
    if np.abs(m0 - np.eye(2, 3)).max() < 1e-3:
        return m0
    mask = np.ones((size[1], size[0]), bool)
    lin = np.asarray(m0[:, :2], np.float64)
    c = np.array([size[0] / 2, size[1] / 2])
    shifted = np.eye(2, 3, dtype=np.float32)
    shifted[:, 2] = lin @ c + m0[:, 2] - c
    starts: list[np.ndarray] = []
    for m in (m0, np.eye(2, 3, dtype=np.float32), shifted):
        if not any(_same_map(m, s) for s in starts):
            starts.append(m)
    # zooms between none and m0's and a little past either, each with its shift from
    # phase correlation: a zoom the scene fixes weakly is a direction ``solve`` keeps
    zoom = float(np.sqrt(abs(np.linalg.det(lin))))
    lo, hi = min(1.0, zoom) - SCAN_PAST, max(1.0, zoom) + SCAN_PAST
    zooms = np.arange(lo, hi + SCAN / 2, SCAN)
    rs, im = (_half(_grey(f, size)) for f in (reference, first))
    scanned = [_scaled(m, 2.0) for m in _phase_zooms(rs, im, zooms)]
    common = mask.copy()  # the video pixels every map tried shows, less a margin
    for m in (*starts, *scanned):
        shows = _in_view(m, size)[1](mask).astype(np.uint8)
        common &= cv2.erode(shows, _MARGIN, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0
    ref_g, img_g = (
        cv2.GaussianBlur(_grey(f, size, lift=lift), (0, 0), BLUR) for f in (reference, first)
    )

    def misfit(m: np.ndarray) -> float:
        return _misfit(ref_g, img_g, m, common)

    starts.append(min(scanned, key=misfit))

    def fitted(base: np.ndarray) -> np.ndarray:
        """``base`` fitted with the light (``solve``) on every pixel it shows."""
        shown, in_video = _in_view(base, size)
        vmask = in_video(mask)
        ref = _grey(reference, size, mask if shown is None else mask & shown, lift=lift)
        pyr = pyramid(_grey(first, size, vmask, lift=lift))
        p = solve(template(ref, mask, base, vmask), pyr, np.zeros(4))
        return compose(p, base, *size).astype(np.float32)

    found = [np.eye(2, 3, dtype=np.float32) if guess or sheared(m0) else m0]
    for start in starts:
        m = fitted(start)
        if plausible(m, *size) and not _same_map(m, start):
            m = fitted(m)  # through the map found: what it leaves out of the picture
        if plausible(m, *size) and not sheared(m):
            found.append(m)
    return min(found, key=misfit)


_MARGIN = np.ones((9, 9), np.uint8)  # px at WORK: 4 each side
SCAN = 0.01  # zoom step of the first frame's scan
MIN_COMMON = 64  # px at WORK: the fewest shared pixels two maps' misfits are compared on
SCAN_PAST = 0.05  # how far the scan goes past no zoom and past the search's


def _same_map(a: np.ndarray, b: np.ndarray) -> bool:
    """Two maps that a fit from either would not tell apart (px at WORK)."""
    return bool(np.abs(a[:, :2] - b[:, :2]).max() < 1e-3 and np.abs(a[:, 2] - b[:, 2]).max() < 0.25)


def _misfit(ref: np.ndarray, img: np.ndarray, m: np.ndarray, on: np.ndarray) -> float:
    """The root mean square difference, at the video pixels ``on``, between the frame's
    grey (``img``, ``_grey`` over the whole picture) and the reference's (``ref``, the
    same) carried there by the map ``m``, less the light that fits it best (a contrast,
    a constant and ``_fields``, over the video's picture). Every map is judged on the
    same greys, whatever part of the picture it shows."""
    h, w = img.shape
    if int(on.sum()) < MIN_COMMON:
        return np.inf  # the maps tried share too little of the picture to be told apart
    seen = cv2.warpAffine(ref, np.asarray(m, np.float32), (w, h), borderMode=cv2.BORDER_REFLECT)
    fields = _whole_fields(h, w)
    light = np.stack([seen[on], np.ones(int(on.sum())), *(f[on] for f in fields)], axis=1)
    r = (img[on] - seen[on]).astype(np.float64)
    normal = light.T @ light
    lit = np.linalg.solve(normal + 1e-9 * np.trace(normal) * np.eye(len(normal)), light.T @ r)
    e = r - light @ lit
    return float(np.sqrt(np.mean(e * e)))


def register(
    frames: np.ndarray,
    reference: np.ndarray,
    static: np.ndarray,
    times: np.ndarray | None = None,
    resting: Sequence[tuple[float, float, np.ndarray]] = (),
    lone: bool = True,
    aspect: float | None = None,
) -> Camera:
    """Affine map per frame from ``reference`` pixels to each frame's pixels.

    ``frames`` (n, H, W, 3) and ``reference`` (H, W, 3) share a size; ``static`` (H, W)
    is True where nothing of the task moves; ``resting`` adds, per body, (from, until,
    mask): where the body stands still between those seconds (at ``times``), used to
    measure the camera in a scene whose static parts do not fix it (a floor line and
    standing blocks). With ``lone`` False, fewer than three standing bodies are not used,
    but for those the truth never moves (when the video sets its own pace, a body may
    move before the truth's does; one the truth leaves standing has no moment to move).
    ``aspect``: the video's width over height before it was resized to the reference's
    size; another than the reference's is tried as a crop of its middle too."""
    n, hh, ww = frames.shape[:3]
    k = WORK / max(hh, ww)
    size = (max(8, round(ww * k)), max(8, round(hh * k)))
    small_ref = cv2.resize(cv2.cvtColor(reference, cv2.COLOR_RGB2GRAY), size)
    lift = float(small_ref.mean()) / 255.0  # the scene's mean grey
    # the first frame's search, and what the scene's structure allows, on the grey itself
    ref = _grey(reference, size)
    cc0, m0, guess = _first(ref, _grey(frames[0], size), aspect)
    small = cv2.resize(static.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    smask: np.ndarray = cv2.erode(small, np.ones((3, 3), np.uint8)) > 0
    structured = structure(ref, smask) >= MIN_STRUCTURE  # the static scene alone fixes it
    m0 = _refined(reference, frames[0], m0, size, lift, guess)
    rest = [
        (start, until, cv2.resize(m.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0)
        for start, until, m in resting
    ]
    kept = [until == np.inf for _, until, _ in rest]  # bodies the truth never moves
    t = np.arange(n) / 16.0 if times is None else np.asarray(times, dtype=float)
    mats = np.repeat(m0[None].astype(np.float64), n, axis=0)
    # what is fitted at frame i: the static scene and the bodies that still stand
    masks = [
        tuple(
            j
            for j, (start, until, _) in enumerate(rest)
            if start + REST_MARGIN < t[i] < until - REST_MARGIN
        )
        for i in range(n)
    ]
    cache: dict[tuple[int, ...], tuple[np.ndarray, bool, np.ndarray]] = {}
    templates: dict[tuple[int, ...], Template] = {}
    weights: Kept = {}  # per mask: what _grey reuses
    shown, in_video = _in_view(m0, size)

    def free_of(which: tuple[int, ...]) -> tuple[int, ...]:
        """The camera's parameters a fit on the bodies ``which`` moves: one or two small
        bodies cannot fix a zoom or a roll, only the shift."""
        return (0, 1, 2, 3) if len(which) >= 3 or structured else (2, 3)

    @functools.cache
    def masks_of(which: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The mask of the static scene and the bodies ``which`` (reference pixels), and
        the same in the video's pixels (through the first frame's map): the reference's
        local mean and a frame's are taken over the same part of the scene."""
        mask = smask.copy()
        for j in which:
            mask |= rest[j][2]
        return mask, in_video(mask)

    def fit_on(which: tuple[int, ...]) -> tuple[np.ndarray, bool, np.ndarray]:
        """``masks_of(which)``, with between them whether a frame is fitted on it (its
        structure, or its template fixing a shift)."""
        if which not in cache:
            mask, vmask = masks_of(which)
            # a floor line alone fixes height: fitted, the prior holds what it does not fix
            enough = structure(ref, mask, weaker=False) >= MIN_STRUCTURE
            if not enough:  # a standing ball, a floor line in a blank scene
                enough = bool(_fixed_shifts(template_of(which), free_of(which)).any())
            cache[which] = (mask, enough, vmask)
        return cache[which]

    def template_of(which: tuple[int, ...]) -> Template:
        """The template of ``masks_of(which)``, made when a frame is first fitted on it (a
        video whose camera stands still needs none)."""
        if which not in templates:
            mask, vmask = masks_of(which)
            seen = mask if shown is None else mask & shown
            grey = _grey(reference, size, seen, weights, lift)
            templates[which] = template(grey, mask, m0, vmask)
        return templates[which]

    tracked = structure(ref, fit_on(masks[0])[0]) >= MIN_STRUCTURE  # fixed both ways
    every = smask.copy()
    for *_, m in rest:
        every |= m
    every_video = in_video(every)

    @functools.cache
    def bodies_ref() -> tuple[np.ndarray, list[np.ndarray]]:
        """The reference's grey over the static scene and every standing body, and what a
        smooth light leaves of it (``_fields``): made when a body is first fitted."""
        seen = every if shown is None else every & shown
        return _grey(reference, size, seen, weights, lift), _fields(m0, every_video, ref.shape)

    @functools.cache
    def own(j: int) -> Template:
        """Standing body ``j``'s template on its own."""
        grey, light = bodies_ref()
        return template(grey, rest[j][2], m0, every_video, light)

    def fit(
        i: int, which: tuple[int, ...], init: np.ndarray, img: np.ndarray | None = None
    ) -> np.ndarray:
        """Frame ``i`` (``img``: its grey on ``which``'s mask, when already made) fitted on
        the static scene and the standing bodies ``which``; ``init`` itself where nothing
        was fitted or the fit was no camera."""
        _, enough, vmask = fit_on(which)
        if not enough:
            return init
        tpl = template_of(which)
        # one or two small bodies cannot fix a zoom or a roll: only the shift moves
        free = free_of(which)
        grey = img if img is not None else _less_mean(log_grey(i), vmask, weights)
        pyr = pyramid(grey)
        got = solve(tpl, pyr, init, free)
        if not structured and np.abs(got[2:] - init[2:]).max() > MAX_STEP:
            return init  # a weak scene's jump is a misfit, not a camera
        return got if plausible(compose(got, m0, *size), *size) else init

    last_log: list[tuple[int, np.ndarray]] = []

    def log_grey(i: int) -> np.ndarray:
        """``_log_grey`` of frame ``i``, kept for the last frame asked: a frame that moved
        is greyed for its still test, its standing bodies' shifts and maybe a fit on fewer
        bodies (at 832 x 480 each grey is an area resize of the whole frame)."""
        if not last_log or last_log[0][0] != i:
            last_log[:] = [(i, _log_grey(frames[i], size, lift))]
        return last_log[0][1]

    def usable(i: int) -> tuple[int, ...]:
        which = tuple(j for j in masks[i] if j not in moved)
        # too few to outvote one that moves on its own, where the pace is the video's
        return which if len(which) >= 3 or lone else tuple(j for j in which if kept[j])

    gy, gx = np.gradient(cv2.GaussianBlur(ref, (0, 0), BLUR))
    sharp = in_video(np.hypot(gx, gy) >= EDGE)  # where a move of the camera shows
    prev, anchor, last, last_mask = np.zeros(4), np.zeros(4), None, None
    placed: list[np.ndarray] = [prev, compose(prev, m0, *size)]  # the last map composed

    def place(p: np.ndarray) -> np.ndarray:
        """``compose(p, m0, ...)``, made again only when ``p`` is another camera."""
        if placed[0] is not p:
            placed[:] = [p, compose(p, m0, *size)]
        return placed[1]

    measured = np.zeros((n, 2), bool)  # the shifts each frame's fit fixed
    measured[0] = True  # (frame 0: every pixel, ``_first``)
    axes: dict[int, np.ndarray] = {}  # per template (by id): the shifts it fixes

    def fixes(which: tuple[int, ...]) -> np.ndarray:
        if not fit_on(which)[1]:
            return np.zeros(2, bool)
        tpl = template_of(which)
        if id(tpl) not in axes:
            axes[id(tpl)] = _fixed_shifts(tpl, free_of(which))
        return axes[id(tpl)]

    moved: set[int] = set()  # bodies seen moving before the truth moves them
    loose: list[int] = []  # frames fitted on one or two bodies since the last firm one
    seen: list[np.ndarray] = [anchor]  # the camera at those frames
    tests: dict[int, tuple[np.ndarray, StillTest | None]] = {}  # per mask (by id)
    g0 = log_grey(0)
    for i in range(1, n):
        which = usable(i)
        _, enough, mask = fit_on(which)
        if not enough:
            mats[i] = place(prev)
            continue
        g = log_grey(i)
        if last is None or last_mask is not mask:
            last, last_g, last_mask = _less_mean(g0, mask, weights), g0, mask
        # still since the last frame fitted: the camera did not move (a slow drift adds
        # up, so the comparison is not with the previous frame; it is made where the
        # scene has edges, since a pan changes nothing on a plain background)
        edges = mask & sharp
        at = edges if edges.any() else mask
        if id(mask) not in tests or tests[id(mask)][0] is not mask:
            tests[id(mask)] = (mask, _still_test(mask, at))
        test = tests[id(mask)][1]
        if test is not None and _surely_still(test, g, last_g):
            mats[i] = place(prev)  # (what the comparison below finds, without the blurs)
            measured[i] = fixes(which)
            continue
        img = _less_mean(g, mask, weights)
        taken = True  # still since the last frame fitted, or a camera fitted
        if float(np.abs(img - last)[at].mean()) >= STILL:
            last, last_g = img, g
            bodies = [(j, own(j)) for j in which]
            early, firm = (
                _moved(bodies, _less_mean(log_grey(i), every_video, weights), prev, anchor)
                if bodies
                else (set(), False)
            )
            if early:  # a body that should stand moved (a wrong video): not the camera
                moved |= early
                if not firm:  # the frames it was trusted in alone are fitted again
                    prev = anchor.copy()
                    for j in loose:
                        got = fit(j, usable(j), prev)
                        # (``fit`` gives back ``init`` itself where it found no camera)
                        measured[j] = fixes(usable(j)) & (got is not prev)
                        prev = got
                        mats[j] = compose(prev, m0, *size)
                which = usable(i)
            got = fit(i, which, prev, None if early else img)
            taken, prev = got is not prev, got
            if firm:
                anchor, loose, seen = prev, [], [prev]
            elif which:
                loose.append(i)
                seen.append(prev)
                # a shaking camera stays around where it was; a body that moves goes away
                anchor = np.median(np.array(seen), axis=0)
        measured[i] = fixes(which) & taken
        mats[i] = place(prev)
    mats[:, :, 2] /= k
    return Camera(matrices=mats, tracked=tracked, correlation=cc0, measured=measured)


BLUR = 1.0  # px at WORK: noise smoothed away before fitting, so resampling wins nothing
LEVELS = 2  # pyramid levels (WORK, WORK / 2)
ITERATIONS = 12
WEAK = 0.02  # a direction fixed this much less than the best fixed one is left alone
FIRM = 0.1  # one fixed less than this (relative to the best) moves at most SOFT_STEP a frame
SOFT_STEP = 3.0  # px at WORK, of motion at the picture's edge
MIN_INFO = 0.5  # sum of squared grey slopes (per px of motion) a direction needs to move
# ... in a fit of the shift alone (on one or two standing bodies): a ball's outline on a
# shaded table gives 0.37, as sure as the codec's noise allows; a zoom and a roll, fitted
# on larger scenes, keep MIN_INFO (lower, a tray's rim took a shadow for a 4% zoom)
MIN_SHIFT_INFO = 0.2
MAX_STEP = 6.0  # px at WORK: the most a camera fitted on a weak scene moves in one frame
EDGE_PX = 2  # px of a level: the frame's rim, blurred with what lies beyond its edge
PRIOR = np.array([0.1, 0.01, 16.0, 16.0])  # prior spread of (zoom - 1, roll, shift px at WORK)


@dataclass(frozen=True)
class Level:
    grey: np.ndarray  # the reference, blurred, at this level
    mask: np.ndarray  # the pixels fitted on
    jac: np.ndarray  # (pixels, 4): d(grey)/d(a, b, tx, ty)
    light: np.ndarray  # (pixels, LIGHT_TERMS): smooth light's effect on the grey (``_light``)
    base: np.ndarray  # (2, 3): frame 0's map at this level
    box: tuple[int, int, int, int]  # x0, y0, x1, y1: grey and mask are cropped to it
    size: tuple[int, int]  # (w, h) of the whole picture at this level
    points: np.ndarray  # (2, pixels): the mask's pixels (x, y) in the whole picture


@dataclass(frozen=True)
class Template:
    """The reference at each pyramid level (finest first), ready to fit frames to.

    A frame's map is ``L(p) . base``: the first frame's map (``base``, an affine map that
    may squash, as a crop to another aspect ratio does), then a similarity ``L(p)`` about
    the picture's centre with ``p = (a, b, tx, ty)``: zoom ``1 + a``, roll ``b``, shift
    ``t`` (px at WORK). A camera that moves during the clip is seen through ``L``."""

    levels: tuple[Level, ...]


def template(
    ref: np.ndarray,
    mask: np.ndarray,
    base: np.ndarray,
    around: np.ndarray | None,
    made: list[np.ndarray] | None = None,
) -> Template:
    """``ref`` (``_grey`` of the reference) ready to fit frames to on ``mask``, through
    the first frame's map ``base``; ``around``: the video pixels a frame's local mean is
    taken over (None: all of them), which shapes what a smooth light leaves of it
    (``made``: its ``_fields``, when already made)."""
    levels = []
    g, m = cv2.GaussianBlur(ref, (0, 0), BLUR), mask > 0
    if made is None:
        made = _fields(base, around, ref.shape)
    fields = [cv2.GaussianBlur(f, (0, 0), BLUR) for f in made]
    for lvl in range(LEVELS):
        h, w = g.shape
        b = np.asarray(base, dtype=np.float64).copy()
        b[:, 2] /= 2.0**lvl
        ys, xs = np.nonzero(m)
        y = b[:, :2] @ np.stack([xs, ys]).astype(np.float64) + b[:, 2:3]
        # only what the video shows: a zoomed-in camera leaves the reference's rim out
        out = ~_inside(y, w, h)
        if out.any():
            m = m.copy()
            m[ys[out], xs[out]] = False
            ys, xs, y = ys[~out], xs[~out], y[:, ~out]
        gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)[m] / 8.0
        gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)[m] / 8.0
        u, v = y[0] - w / 2.0, y[1] - h / 2.0
        # the video's gradient from the reference's, through the base map
        inv_t = np.linalg.inv(b[:, :2]).T
        vx = inv_t[0, 0] * gx + inv_t[0, 1] * gy
        vy = inv_t[1, 0] * gx + inv_t[1, 1] * gy
        jac = np.stack([vx * u + vy * v, -vx * v + vy * u, vx, vy], axis=1)
        light = np.stack([g[m], np.ones(len(xs)), *(f[m] for f in fields)], axis=1)
        x0, y0 = max(0, int(xs.min(initial=0)) - 2), max(0, int(ys.min(initial=0)) - 2)
        x1, y1 = min(w, int(xs.max(initial=w)) + 3), min(h, int(ys.max(initial=h)) + 3)
        crop = (slice(y0, y1), slice(x0, x1))
        levels.append(
            Level(
                g[crop],
                m[crop],
                jac.astype(np.float64),
                light,
                b,
                (x0, y0, x1, y1),
                (w, h),
                np.stack([xs, ys]).astype(np.float64),
            )
        )
        g = cv2.pyrDown(g)
        fields = [cv2.pyrDown(f) for f in fields]
        small = (g.shape[1], g.shape[0])
        m = cv2.resize(m.astype(np.uint8), small, interpolation=cv2.INTER_NEAREST) > 0
    return Template(tuple(levels))


LIGHT_TERMS = 7  # the structure's contrast, a constant and the ``_fields``
LIGHT_PRIOR = np.array([0.5, 0.05, 0.5, 0.5, 0.5, 0.5, 0.5])  # spread of each light term


def _fields(
    base: np.ndarray, around: np.ndarray | None, shape: tuple[int, ...]
) -> list[np.ndarray]:
    """What a smooth light leaves in a frame's ``_grey``, in reference pixels: the log of
    a gain that changes smoothly over the video's picture (a slope each way and the
    three curvatures: a vignette, a lamp's fall-off, a gradient) is an offset there, of
    which the local mean (over ``around``, video pixels) leaves a little, most of it at
    the picture's edges. Fitted with the camera and left out, such light is not read as a
    zoom or a shift (the contrast of the structure, a gamma, is the other term)."""
    h, w = shape[:2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    warp = np.asarray(base, np.float32)
    return [
        cv2.warpAffine(hp, warp, (w, h), flags=flags, borderMode=cv2.BORDER_REFLECT)
        for hp in _video_fields(around, shape)
    ]


@functools.lru_cache(maxsize=4)
def _whole_fields(h: int, w: int) -> tuple[np.ndarray, ...]:
    """``_video_fields`` of the whole picture, blurred as ``pyramid`` blurs a frame."""
    out = tuple(cv2.GaussianBlur(f, (0, 0), BLUR) for f in _video_fields(None, (h, w)))
    for f in out:
        f.flags.writeable = False
    return out


def _video_fields(around: np.ndarray | None, shape: tuple[int, ...]) -> list[np.ndarray]:
    """``_fields`` in the video's pixels."""
    h, w = shape[:2]
    v, u = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = (u + 0.5) / w * 2 - 1, (v + 0.5) / h * 2 - 1
    if around is None:
        return [f - _local(f) for f in (u, v, u * u, u * v, v * v)]
    m = around.astype(np.float32)
    den = _local_weight(around)  # the local weight of ``around``, the same for every field
    return [f - _local(f * m) / den for f in (u, v, u * u, u * v, v * v)]


def compose(p: np.ndarray, base: np.ndarray, w: float, h: float) -> np.ndarray:
    """``L(p) . base`` as a 2 x 3 map (reference -> video pixels)."""
    a, b, tx, ty = p
    lin = np.array([[1.0 + a, -b], [b, 1.0 + a]])
    c = np.array([w / 2, h / 2])
    sim = np.eye(3)
    sim[:2, :2] = lin
    sim[:2, 2] = c + np.array([tx, ty]) - lin @ c
    full = np.vstack([np.asarray(base, dtype=np.float64), [0.0, 0.0, 1.0]])
    return (sim @ full)[:2]


def pyramid(img: np.ndarray) -> list[np.ndarray]:
    """``img`` (grey at WORK) blurred, and halved ``LEVELS - 1`` times: what ``solve``
    fits, computed once per frame however many templates it is fitted to."""
    pyr = [cv2.GaussianBlur(img, (0, 0), BLUR)]
    for _ in range(1, LEVELS):
        pyr.append(cv2.pyrDown(pyr[-1]))
    return pyr


def _shown(level: Level, q: np.ndarray) -> np.ndarray:
    """Which of the template's pixels a frame shows through ``q`` (shift in px of the
    level): a camera that zooms or pans during the clip takes part of the scene out of the
    picture, and what lies beyond the frame's edge (and its rim, blurred with it) is no
    part of it."""
    w, h = level.size
    m = compose(q, level.base, w, h)
    return _inside(m[:, :2] @ level.points + m[:, 2:3], w, h)


def _inside(at: np.ndarray, w: int, h: int) -> np.ndarray:
    """Which points ``at`` (2, n: x, y) of a ``w`` x ``h`` picture lie clear of its rim
    (``EDGE_PX``), where what lies beyond the edge is blurred in."""
    inside = (at[0] >= EDGE_PX) & (at[0] <= w - 1 - EDGE_PX)
    return inside & (at[1] >= EDGE_PX) & (at[1] <= h - 1 - EDGE_PX)


def _residuals(level: Level, img: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The frame's grey (``img``, at the level's size) less the template's, at its pixels,
    through ``q`` (shift in px of the level)."""
    w, h = level.size
    x0, y0, x1, y1 = level.box
    m = compose(q, level.base, w, h)
    m[:, 2] += m[:, :2] @ np.array([x0, y0], np.float64)  # only the box is warped
    warped = cv2.warpAffine(
        img,
        m,
        (x1 - x0, y1 - y0),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REFLECT,
    )
    return (warped[level.mask] - level.grey[level.mask]).astype(np.float64)


def _min_info(free: tuple[int, ...]) -> float:
    """The information a direction needs to move in a fit of the parameters ``free``."""
    return MIN_SHIFT_INFO if tuple(free) == (2, 3) else MIN_INFO


def _fixed_shifts(tpl: Template, free: tuple[int, ...] = (0, 1, 2, 3)) -> np.ndarray:
    """Which of the camera's two shifts (x, y) the template's finest level fixes, as
    ``solve`` keeps a direction (``WEAK``, ``_min_info``): a floor line fixes y alone."""
    jac = tpl.levels[0].jac[:, 2:]
    info, vecs = np.linalg.eigh(jac.T @ jac)
    kept = vecs[:, (info >= WEAK * info.max()) & (info >= _min_info(free))]
    return np.asarray(np.linalg.norm(kept, axis=1) >= 0.9)


def solve(
    tpl: Template, pyr: list[np.ndarray], init: np.ndarray, free: tuple[int, ...] = (0, 1, 2, 3)
) -> np.ndarray:
    """``p`` for a frame (its ``pyramid``): Gauss-Newton on the template's pixels, coarse
    to fine from ``init``, with Huber weights so that something covering part of the
    scene does not pull the camera with it; only the parameters ``free`` move."""
    p = np.asarray(init, dtype=np.float64).copy()
    cols = list(free)
    lit = np.zeros(LIGHT_TERMS)  # the light's terms (``_light``), fitted with the camera
    for lvl in reversed(range(len(tpl.levels))):
        level = tpl.levels[lvl]
        w = level.size[0]
        k = 2.0**lvl
        q = p.copy()
        q[2:] /= k
        # the pixels the frame shows where the fit starts, kept while it moves (a set
        # that changed with each step would let the fit push what disagrees out of view)
        shown = _shown(level, q)
        part = None if shown.all() else shown
        if not shown.any():
            continue
        # what does not change from one iteration to the next, worked out once per level
        jac = level.jac[:, cols] if part is None else level.jac[part][:, cols]
        # a prior of no camera motion: a direction the static scene hardly fixes (a
        # bar at the top does not tell a roll from a pan) stays where it is
        prior = (1.0 / (PRIOR * np.array([1.0, 1.0, 1.0 / k, 1.0 / k])) ** 2)[cols]
        # in the directions the scene hardly fixes (along a floor line) the step is
        # left out: the camera stays where it was rather than follow noise there
        # parameters in px of motion at the picture's edge, so directions compare
        scale = np.array([0.5 * w, 0.5 * w, 1.0, 1.0])[cols]
        info, vecs = np.linalg.eigh((jac.T @ jac) / np.outer(scale, scale))
        kept = vecs[:, (info >= WEAK * info.max()) & (info >= _min_info(free))]
        if kept.shape[1] == 0:
            continue  # nothing this level fixes: p stays as it is
        # a direction the scene fixes only a little (what is left once the table's rim has
        # left the picture on two sides: a zoom with the shift that keeps the other two
        # edges in place) moves at most SOFT_STEP in a frame: noise there, or a body
        # passing, is no jump of the camera
        soft = vecs[:, (info >= WEAK * info.max()) & (info < FIRM * info.max())]
        start = q.copy()
        light = level.light if part is None else level.light[part]
        both = np.concatenate([jac, light], axis=1)  # the camera's columns, then the light's
        n = len(cols)
        light_prior = np.diag(1.0 / LIGHT_PRIOR**2)
        for _ in range(ITERATIONS):
            r = _residuals(level, pyr[lvl], q)
            r = r if part is None else r[part]
            e = r - light @ lit  # what the light fitted so far leaves
            sigma = max(1.4826 * float(np.median(np.abs(e))), 1e-3)
            wt = np.minimum(1.0, 1.345 * sigma / np.maximum(np.abs(e), 1e-12)) / sigma**2
            bw = both * wt[:, None]
            normal, rhs = both.T @ bw, bw.T @ r
            hess = normal[:n, :n] / np.outer(scale, scale) + np.diag(prior / scale**2)
            grad = (rhs[:n] + prior * q[cols]) / scale
            # the light fitted jointly with the camera, and solved out (Schur complement)
            cross = normal[:n, n:] / scale[:, None]
            own = np.linalg.inv(normal[n:, n:] + light_prior)
            seen = rhs[n:]
            hess = hess - cross @ own @ cross.T
            grad = grad - cross @ (own @ seen)
            sub = kept.T @ hess @ kept
            z = -(kept @ np.linalg.solve(sub, kept.T @ grad))
            lit = own @ (seen + cross.T @ z)
            step = np.zeros(4)
            step[cols] = z / scale
            q = q + step
            if np.abs(step[2:]).max() < 0.005 and np.abs(step[:2]).max() < 1e-5:
                break
        if soft.shape[1]:
            moved = soft.T @ ((q - start)[cols] * scale)
            held = np.clip(moved, -SOFT_STEP / k, SOFT_STEP / k)
            q[cols] -= (soft @ (moved - held)) / scale
        p = q.copy()
        p[2:] *= k
    return p


_EDGE = np.ones((5, 5), np.uint8)  # pixels next to the edge of the picture are not trusted


def warp_to_reference(frames: np.ndarray, camera: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Frames resampled into reference pixels, and per frame a mask of the reference
    pixels the video shows (False where the camera looks elsewhere). When no frame needs
    resampling the frames come back as they are, not copied."""
    n, h, w = frames.shape[:3]
    view = np.ones((n, h, w), dtype=bool)
    ones = np.ones(frames.shape[1:3], np.uint8)
    ident = np.eye(2, 3)
    mats = camera.matrices
    still = (np.abs(mats[:, :, :2] - ident[:, :2]).max(axis=(1, 2)) < 1e-3) & (
        np.abs(mats[:, :, 2]).max(axis=1) < SUBPIXEL
    )
    if still.all():
        return frames, view
    out = np.empty_like(frames)
    for i in range(n):
        m = mats[i]
        if still[i]:
            out[i] = frames[i]
            continue
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        out[i] = cv2.warpAffine(frames[i], m, (w, h), flags=flags, borderMode=cv2.BORDER_REPLICATE)
        seen = cv2.warpAffine(ones, m, (w, h), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
        view[i] = cv2.erode(seen, _EDGE) > 0
    return out, view
