"""The one registry of corruptions: nuisances a verifier must tolerate and violations it
must catch, each applied to a ground-truth video, with the targets they are held to.

A ``Corruption`` has a ``kind`` (``"nuisance"``: must pass; ``"violation"``: must fail),
a ``group`` (zoom, shake, vanish, gravity, ...), a ``magnitude`` in the group's ``unit``
(so a report can show the largest harmless change a family tolerates, the smallest
violation it catches, and how the score falls as a violation grows) and a ``target``:
the share of videos it may fail (a nuisance) or must fail (a violation) in the audit,
from ``TARGETS``, or None for magnitudes at the edge of what the verifiers claim, which
only ``benchmarks/stress.py`` measures for its tolerance cards. ``vidreason audit``
runs every corruption with a target; the stress test runs them all.

Each function takes ``(instance, truth, rng)`` (``truth``: the decoded true video,
(T, H, W, 3) uint8) and returns a ``Sample`` (frames, frame rate, timestamps, codec), or
None where the corruption does not apply (gravity in a scene without gravity).

To add one: write a function returning a ``Sample`` and add a ``Corruption`` to
``CORRUPTIONS`` with its kind, group and magnitude (``audit=False`` to leave it to the
stress test). A nuisance of several at once is ``compound(name, ...)`` of single ones, in
``COMPOUNDS`` (group ``compound``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from vidreason import violations as planted
from vidreason.corruptions import cascade, liquids, patterns
from vidreason.corruptions.bodies import lag, shrink, stop, wobble
from vidreason.corruptions.nuisances import (
    aspect_crop,
    blur,
    chroma_shift,
    codec,
    drift,
    dropped,
    flicker,
    gamma,
    gradient,
    hue,
    jpeg,
    letterbox,
    levels,
    longer,
    motion_blur,
    noise,
    pillarbox,
    rerendered,
    resample,
    resize,
    rotate,
    saturation,
    shake,
    sharpen,
    start_delay,
    stretch,
    vignette,
    watermark,
    white_balance_drift,
    zoom,
)
from vidreason.corruptions.sample import CODECS, Fn, Sample, chain, encode, on_frames
from vidreason.corruptions.violations import (
    disc,
    dissolve,
    drawn,
    erase,
    freeze_end,
    freeze_jump,
    gravity,
    loop,
    moving_bodies,
    own_pace,
    pause_jump,
    recolour,
    speed,
    teleport,
)

__all__ = [
    "BY_NAME",
    "CODECS",
    "COMPOUNDS",
    "CORRUPTIONS",
    "TARGETS",
    "Corruption",
    "Sample",
    "encode",
    "moving_bodies",
    "recolour",
    "select",
]

Kind = Literal["violation", "nuisance"]


@dataclass(frozen=True)
class Targets:
    """What the audit promises for every family."""

    caught: float = 0.95  # every violation caught at least this often
    falsely_failed: float = 0.02  # every nuisance failed at most this often
    auroc: float = 0.98  # clean and nuisance videos score above violated ones this often

    def met(self, kind: str, rate: float) -> bool:
        """``rate``: the share of a corruption's videos that failed."""
        return rate >= self.caught if kind == "violation" else rate <= self.falsely_failed


TARGETS = Targets()


@dataclass(frozen=True)
class Corruption:
    name: str
    kind: Kind  # "nuisance" (must pass) | "violation" (must fail)
    group: str
    magnitude: float
    unit: str
    fn: Fn
    target: float | None  # the audit's share failed: at most (nuisance), at least (violation)


def _c(
    name: str, kind: Kind, group: str, magnitude: float, unit: str, fn: Fn, audit: bool = True
) -> Corruption:
    target = (TARGETS.caught if kind == "violation" else TARGETS.falsely_failed) if audit else None
    return Corruption(name, kind, group, float(magnitude), unit, fn, target)


N: Kind = "nuisance"
V: Kind = "violation"
# audit=False: magnitudes at the edge of what the verifiers claim, measured by the stress
# test's tolerance cards only: camera changes that may take a body out of the picture
# (zoom 10%, shake 3 and 4 px), a slow pan and zoom (which a scene with no static
# structure, two balls on a blank table, cannot tell from everything moving), red and
# blue a pixel apart (a liquid's thin stream loses its colour), a first
# frame held for the whole 0.25 s a lag may take out (start +4), tone changes past the
# audit's (gamma 0.7, contrast 0.7), violations below the continuity allowance of a fast
# body (a sideways jump of 5% of the picture, a 4- or 6-frame freeze); and 8 fps by
# dropping frames, where the audit draws 8 fps anew ("8 fps").
_SINGLE: tuple[Corruption, ...] = (
    _c("clean", N, "clean", 0, "", on_frames(lambda t, _r: t)),
    *(_c(f"zoom {p}%", N, "zoom", p, "% per side", zoom(p / 100), p < 10) for p in (2, 5, 10)),
    *(_c(f"shake {p}px", N, "shake", p, "px", shake(p), p < 3) for p in (1, 2, 3, 4)),
    _c("drift", N, "drift", 8, "px pan + 4% zoom", drift(8.0, 1.04), audit=False),
    _c("crop 10% height", N, "aspect", 10, "% height cut", aspect_crop(0.10)),
    _c("resize 0.5x", N, "resize", 0.5, "x", resize(0.5)),
    _c("resize 2x", N, "resize", 2.0, "x", resize(2.0)),
    _c("rotate 2°", N, "rotate", 2, "degrees", rotate(2.0)),
    _c("stretch 4:3", N, "aspect", 1.333, "x width", stretch(4 / 3)),
    _c("chroma 1px", N, "chroma", 1, "px red/blue shift", chroma_shift(1), audit=False),
    _c("letterbox", N, "letterbox", 12.5, "%", letterbox(0.125)),
    _c("pillarbox", N, "pillarbox", 38, "px per side", pillarbox(38)),
    _c("blur", N, "blur", 1.0, "sigma", blur(1.0)),
    *(_c(f"blur {k} frames", N, "motion blur", k, "frames", motion_blur(k)) for k in (2, 3)),
    *(_c(f"vignette {s}", N, "vignette", s, "corner darkening", vignette(s)) for s in (0.2, 0.4)),
    _c("light gradient", N, "gradient", 0.3, "left-right", gradient(0.3)),
    _c("flicker 10%", N, "flicker", 0.1, "exposure", flicker(0.1)),
    _c("white balance drift", N, "white balance", 0.1, "gain", white_balance_drift(0.1)),
    _c("brightness +20", N, "brightness", 20, "levels", levels(1.0, 20.0)),
    _c("contrast 0.8", N, "contrast", 0.8, "x", levels(0.8, 0.2 * 128)),
    _c("hue +8°", N, "hue", 8, "degrees", hue(8.0)),
    _c("blur sigma 2", N, "blur", 2.0, "sigma", blur(2.0, 0)),
    *(_c(f"gamma {g:g}", N, "gamma", g, "power", gamma(g)) for g in (0.8, 1.25)),
    _c("saturation 0.7", N, "saturation", 0.7, "x", saturation(0.7)),
    _c("sharpen", N, "sharpen", 1.0, "unsharp amount", sharpen(1.0)),
    _c("watermark", N, "watermark", 1, "", watermark("AI generated")),
    _c("noise", N, "noise", 5, "sigma", noise(5.0)),
    _c("jpeg 30", N, "codec", 30, "jpeg quality", jpeg(30)),
    _c("crf 28", N, "codec", 28, "crf", codec("h264", 28)),
    _c("crf 35", N, "codec", 35, "crf", codec("h264", 35)),
    *(_c(c, N, "codec", 0, "", codec(c)) for c in ("mpeg4", "vp9", "mjpeg", "hevc")),
    *(_c(f"{f} fps", N, "fps redrawn", f, "fps", rerendered(float(f))) for f in (8, 24, 30)),
    _c("24 fps repeat", N, "fps repeat", 24, "fps", resample(24.0, blend=False)),
    _c("30 fps repeat", N, "fps repeat", 30, "fps", resample(30.0, blend=False)),
    _c("60 fps repeat", N, "fps repeat", 60, "fps", resample(60.0, blend=False)),
    _c("24 fps blend", N, "fps blend", 24, "fps", resample(24.0, blend=True)),
    _c("8 fps drop", N, "fps drop", 8, "fps", resample(8.0, blend=False), audit=False),
    _c("dropped frames", N, "dropped frames", 3, "frames", dropped(3)),
    _c("longer clip", N, "longer clip", 16, "frames", longer(16)),
    *(
        _c(f"start +{k}", N, "start delay", k, "frames", start_delay(k), k < 4)
        for k in (1, 2, 3, 4)
    ),
    _c("gamma 0.7", N, "gamma", 0.7, "power", gamma(0.7), audit=False),
    _c("contrast 0.7", N, "contrast", 0.7, "x", levels(0.7, 0.3 * 128), audit=False),
    _c("own pace x1.3", N, "own pace", 1.3, "x", own_pace(1.3)),
    _c("pause then x2", N, "own pace", 2.0, "x after a pause", own_pace(2.0, pause=0.4)),
)


def compound(*names: str) -> Corruption:
    """Several of the nuisances above at once (a real video carries more than one),
    applied in the order named: ``compound("zoom 2%", "crf 28")`` is "zoom 2% + crf 28"."""
    single = {c.name: c for c in _SINGLE}
    fn = chain(*(single[n].fn for n in names))
    return _c(" + ".join(names), N, "compound", len(names), "nuisances", fn)


# what a generator's video carries at once: a slight zoom and a codec, a shaky camera with
# its shutter open, another frame rate with lens and sensor, another tone curve and frame
# by frame compression, a late start in another colour grade, a small webm
COMPOUNDS: tuple[Corruption, ...] = (
    compound("zoom 2%", "crf 28"),
    compound("shake 2px", "blur 2 frames"),
    compound("24 fps", "vignette 0.2", "noise"),
    compound("gamma 0.8", "jpeg 30"),
    compound("start +1", "hue +8°", "sharpen"),
    compound("resize 0.5x", "saturation 0.7", "vp9"),
)

CORRUPTIONS: tuple[Corruption, ...] = (
    *_SINGLE,
    *COMPOUNDS,
    _c("pause-jump", V, "pause-jump", 1, "move", pause_jump),
    _c("vanish", V, "vanish one", 0.5, "of the clip", drawn(planted.vanish)),
    *(_c(f"vanish {k}", V, "vanish", k, "frames", erase(k)) for k in (3, 6, 12)),
    _c("vanish quarter", V, "vanish", 12, "frames", erase(None)),
    _c("freeze", V, "freeze", 1, "", drawn(planted.freeze)),
    *(
        _c(f"freeze-jump {k}", V, "freeze-jump", k, "frames", freeze_jump(k), k > 6)
        for k in (4, 6, 8)
    ),
    *(_c(f"gravity x{s:g}", V, "gravity", s, "x", gravity(s)) for s in (0.5, 0.8, 1.25, 2.0)),
    *(_c(f"speed x{s:g}", V, "speed", s, "x", speed(s)) for s in (0.5, 2.0)),
    *(_c(f"teleport {p}%", V, "teleport", p, "% width", teleport(p / 100), p > 5) for p in (5, 15)),
    _c("wobble", V, "wobble", 4, "% width", wobble(0.04)),
    _c("stop", V, "stop", 1, "", stop),
    _c("shrink", V, "shrink", 0.6, "x size", shrink(0.6)),
    _c("lag", V, "lag", 1, "", lag),
    _c("appear", V, "appear", 1, "", disc(copy_first=False)),
    _c("duplicate", V, "duplicate", 1, "", disc(copy_first=True)),
    _c("colour change", V, "colour change", 1, "", recolour),
    # a patterned scene's (None elsewhere): from the middle on
    _c("pattern plain", V, "pattern", 1, "", patterns.plain),
    _c("pattern kind", V, "pattern", 1, "", patterns.other_kind),
    _c("pattern colour", V, "pattern", 1, "", patterns.other_ink),
    _c("pattern swap", V, "pattern", 1, "", patterns.swap),
    _c("pattern still", V, "pattern", 1, "", patterns.still),
    # a pour's (None elsewhere)
    _c("pour lost", V, "pour", 0.35, "of the liquid", liquids.lost(0.35)),
    _c("pour leak", V, "pour", 1, "", liquids.leak),
    _c("pour level low", V, "pour", 0.6, "x depth", liquids.level(0.6)),
    _c("pour landing", V, "pour", 10, "% width", liquids.landing(0.1)),
    _c("reversed", V, "reversed", 1, "", on_frames(lambda t, _r: t[::-1].copy())),
    _c("shuffled", V, "shuffled", 1, "", on_frames(lambda t, r: t[r.permutation(len(t))])),
    _c("loop", V, "loop", 1, "", on_frames(loop)),
    _c("freeze at end", V, "freeze at end", 1, "", freeze_end),
    _c("dissolve", V, "dissolve", 1, "", dissolve),
    # a cascade's (None elsewhere)
    _c("cascade order", V, "cascade", 1, "", cascade.wrong_order),
    _c("cascade level", V, "cascade", 1, "", cascade.wrong_level),
    _c("cascade lost", V, "cascade", 0.4, "of the liquid", cascade.lost),
    _c("cascade shelf leak", V, "cascade", 1, "", cascade.through_shelf),
    _c("cascade lip leak", V, "cascade", 1, "", cascade.through_lip),
)

BY_NAME: dict[str, Corruption] = {c.name: c for c in CORRUPTIONS}


def select(
    kind: str | None = None, groups: tuple[str, ...] = (), audited: bool = False
) -> list[Corruption]:
    """The corruptions of ``kind`` in ``groups`` (all when empty); ``audited``: only
    those with a target."""
    return [
        c
        for c in CORRUPTIONS
        if (kind is None or c.kind == kind)
        and (not groups or c.group in groups)
        and (not audited or c.target is not None)
    ]
