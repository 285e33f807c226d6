"""Register every frame to the conditioning image, so that a camera that zooms, pans,
shakes or drifts does not move the objects.

Two steps, both by ECC (``cv2.findTransformECC``, affine, on grey images downscaled to
``WORK`` px, coarse to fine):

1. the video's first frame against the reference with every pixel: at the first moment
   the objects stand where the task puts them, so they register too (a scene of two
   balls on a blank background still gives zoom and shift);
2. every frame against the reference on the *static* pixels only (nowhere any body of
   the ground truth ever goes), started from the previous frame's estimate; done only
   when the static structure constrains both directions (a blank background with a
   floor line does not), otherwise the first frame's transform holds for all.

An estimate is kept only if it raises the correlation and stays plausible (scale within
``MAX_SCALE``, shift within ``MAX_SHIFT`` of the picture); ``Camera`` records what was
found, for the ``camera`` check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

WORK = 128  # px: the longer side registration works at
OCCLUDED = 0.15  # high-passed grey (0..1) off the reference: something covers the scene there
STEP_GAIN = 0.8  # a frame's new estimate must leave at most this share of the misfit
GAIN_NEEDED = 0.4  # a camera move is accepted when it leaves this share of the misfit
HIGH_PASS = 16.0  # px at WORK: light that changes more smoothly than this is ignored
MAX_SCALE = 0.35  # accepted |scale - 1|
MAX_SHIFT = 0.2  # accepted shift, as a share of the picture
SUBPIXEL = 0.1  # px: a shift this small is not worth resampling the frame for
STILL = 0.002  # mean grey change (0..1) on static pixels below which the camera stood still
MIN_STRUCTURE = 2.0
REST_MARGIN = 0.2  # s: a resting body counts as scene until this long before it moves  # static gradient energy (per pixel, grey 0..1 x 1e3) in each direction


@dataclass(frozen=True)
class Camera:
    """Per frame, the affine map from reference pixels to video pixels (2 x 3)."""

    matrices: np.ndarray  # (n, 2, 3)
    tracked: bool  # per-frame motion measured (enough static structure) or first frame only
    correlation: float  # first frame vs reference after registration (-1..1)

    def scale(self) -> np.ndarray:
        a = self.matrices[:, :, :2]
        return np.sqrt(np.abs(np.linalg.det(a)))

    def shift(self, width: int, height: int) -> np.ndarray:
        """Where the reference's centre lands, minus the centre: px per frame (n, 2)."""
        c = np.array([width / 2, height / 2, 1.0])
        return self.matrices @ c - c[:2]


def _grey(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Grey at ``size``, less its local mean (a smooth change of light is no structure)."""
    g = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame
    g = cv2.resize(g, size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    return g - cv2.GaussianBlur(g, (0, 0), HIGH_PASS, borderType=cv2.BORDER_REFLECT)


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


def _first(ref: np.ndarray, img: np.ndarray) -> tuple[float, np.ndarray]:
    """Frame 0 against the reference, every pixel: each zoom in ``ZOOMS`` with the shift
    phase correlation gives, the best refined by ECC."""
    h, w = ref.shape
    ident = np.eye(2, 3, dtype=np.float32)
    best = (_corr(ref, img, ident, None), ident)
    small = (w // 2, h // 2)
    rs = cv2.GaussianBlur(cv2.resize(ref, small, interpolation=cv2.INTER_AREA), (0, 0), 1.0)
    im = cv2.GaussianBlur(cv2.resize(img, small, interpolation=cv2.INTER_AREA), (0, 0), 1.0)
    win = cv2.createHanningWindow(small, cv2.CV_32F)
    cands = []
    for z in ZOOMS:
        m = _about_centre(float(z), 0.0, 0.0, *small)
        back = cv2.warpAffine(
            im,
            m,
            small,
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        (dx, dy), _ = cv2.phaseCorrelate(rs.copy(), back, win)  # it may write into its input
        m = _about_centre(float(z), z * dx, z * dy, *small)
        cands.append((_corr(rs, im, m, None), m))
    cands.sort(key=lambda c: -c[0])
    for _, m in cands[:2]:
        m = _scaled(m, 2.0)
        start = _corr(ref, img, m, None)
        if start > best[0] + 1e-4:
            best = (start, m)
        fine = _ecc(ref, img, m, None, 60)
        if fine is None or not plausible(fine[1], w, h):
            continue
        if fine[0] > best[0] + 1e-4:
            best = fine
    ident_cc = _corr(ref, img, ident, None)
    if best[1] is not ident and (1.0 - best[0]) > GAIN_NEEDED * (1.0 - ident_cc):
        return ident_cc, ident  # not clearly better than no camera motion at all
    return best


def structure(ref: np.ndarray, mask: np.ndarray) -> float:
    """The weaker direction's gradient energy over the static pixels (x 1e3 per pixel)."""
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
    return float(np.linalg.eigvalsh(j).min() * 1e3)


def register(
    frames: np.ndarray,
    reference: np.ndarray,
    static: np.ndarray,
    times: np.ndarray | None = None,
    resting: Sequence[tuple[float, np.ndarray]] = (),
) -> Camera:
    """Affine map per frame from ``reference`` pixels to each frame's pixels.

    ``frames`` (n, H, W, 3) and ``reference`` (H, W, 3) share a size; ``static`` (H, W)
    is True where nothing of the task moves; ``resting`` adds, per body, (until, mask):
    where the body stands still until ``until`` seconds (at ``times``), used to measure
    a shift in a scene whose static parts do not fix it (a floor line and standing
    blocks)."""
    n, hh, ww = frames.shape[:3]
    k = WORK / max(hh, ww)
    size = (max(8, round(ww * k)), max(8, round(hh * k)))
    ref = _grey(reference, size)
    cc0, m0 = _first(ref, _grey(frames[0], size))
    smask = cv2.resize(static.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    smask = cv2.erode(smask, np.ones((3, 3), np.uint8))
    tracked = structure(ref, smask) >= MIN_STRUCTURE
    mats = np.repeat(m0[None].astype(np.float64), n, axis=0)
    if tracked:
        prev, last = m0, _grey(frames[0], size)
        keep = smask > 0
        for i in range(1, n):
            img = _grey(frames[i], size)
            still = float(np.abs(img - last)[keep].mean()) < STILL
            last = img
            if still:  # the camera did not move since the previous frame
                mats[i] = prev
                continue
            here = _unoccluded(ref, img, prev, smask)
            base = _corr(ref, img, prev, here)
            got = _ecc(ref, img, prev, here, 30)
            better = got is not None and (1.0 - got[0]) < STEP_GAIN * (1.0 - base)
            if better and got is not None and plausible(got[1], *size):
                prev = got[1]
            mats[i] = prev
    else:  # too little structure for an affine map: a shift where the structure allows
        small = [
            (until, cv2.resize(m.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0)
            for until, m in resting
        ]
        t = np.arange(n) / 16.0 if times is None else np.asarray(times, dtype=float)
        last = _grey(frames[0], size)
        for i in range(1, n):
            keep = smask > 0
            for until, m in small:
                if until > t[i] + REST_MARGIN:
                    keep = keep | m
            img = _grey(frames[i], size)
            if float(np.abs(img - last)[keep].mean()) < STILL:  # the camera stood still
                mats[i] = mats[i - 1]
            else:
                mats[i] = _shift(ref, img, m0, keep)
            last = img
    mats[:, :, 2] /= k
    return Camera(matrices=mats, tracked=tracked, correlation=cc0)


def _unoccluded(ref: np.ndarray, img: np.ndarray, m: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``mask`` less the pixels where something covers the static scene in this frame
    (a body passing in front of a wall): far off the reference after warping by ``m``."""
    h, w = ref.shape
    warped = cv2.warpAffine(
        img, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT
    )
    off = (np.abs(warped - ref) > OCCLUDED).astype(np.uint8)
    off = cv2.dilate(off, np.ones((5, 5), np.uint8))
    return (mask * (1 - off)).astype(np.uint8)


def _shift(ref: np.ndarray, img: np.ndarray, m0: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``m0`` plus the shift that best aligns ``img`` with ``ref`` on ``keep``, by
    Gauss-Newton with a damping that leaves a direction without structure (along a
    floor line) unmoved."""
    h, w = ref.shape
    gx = cv2.Sobel(ref, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(ref, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    a, b = gx[keep], gy[keep]
    hess = np.array([[(a * a).sum(), (a * b).sum()], [(a * b).sum(), (b * b).sum()]])
    damp = 1e-3 * keep.sum() * np.eye(2)
    m = m0.astype(np.float64).copy()
    for _ in range(6):
        warped = cv2.warpAffine(
            img,
            m,
            (w, h),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT,
        )
        r = (warped - ref)[keep]
        step = np.linalg.solve(hess + damp, -np.array([(a * r).sum(), (b * r).sum()]))
        m[:, 2] += step
        if np.abs(step).max() < 0.01:
            break
    if np.abs(m[:, 2] - m0[:, 2]).max() > MAX_SHIFT * max(w, h):
        return m0.astype(np.float64)
    return m


_EDGE = np.ones((5, 5), np.uint8)  # pixels next to the edge of the picture are not trusted


def warp_to_reference(frames: np.ndarray, camera: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Frames resampled into reference pixels, and per frame a mask of the reference
    pixels the video shows (False where the camera looks elsewhere)."""
    n, h, w = frames.shape[:3]
    out = np.empty_like(frames)
    view = np.ones((n, h, w), dtype=bool)
    ones = np.ones(frames.shape[1:3], np.uint8)
    ident = np.eye(2, 3)
    for i in range(n):
        m = camera.matrices[i]
        if np.abs(m[:, :2] - ident[:, :2]).max() < 1e-3 and np.abs(m[:, 2]).max() < SUBPIXEL:
            out[i] = frames[i]
            continue
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        out[i] = cv2.warpAffine(frames[i], m, (w, h), flags=flags, borderMode=cv2.BORDER_REPLICATE)
        seen = cv2.warpAffine(ones, m, (w, h), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
        view[i] = cv2.erode(seen, _EDGE) > 0
    return out, view
