"""How a generated instance's videos are encoded: ``ground_truth.mp4`` and a continuation
suite's ``context.mp4``, by ``render.video_io.write_mp4`` (H.264, yuv420p, one thread).

x264's ``veryfast`` preset at CRF 15, tuned further (``TUNING``), encodes a 48-frame
256 x 256 clip in about 0.4 of the CPU time of ``medium`` at CRF 18 (README,
"Generation speed"). ``ENCODER`` names the
settings; every instance records it among its ``versions``, so instances written under
other settings are not taken for done (``suites.is_done``) and their scores are not reused
(``runner.plan``). Models' videos and the audit's corrupted copies keep ``write_mp4``'s
own defaults.
"""

from __future__ import annotations

import functools
from pathlib import Path

PRESET = "veryfast"
CRF = 15
# beyond the preset: full-pixel motion search (subme=0). A 48-frame 256 x 256 clip
# encodes in 0.76-0.84 of the preset's CPU time alone (32-34 ms: `projectile`, shaded
# `maze`, textured `topple-3d`). Not B-frames off (0.87-0.94 alone, 0.70 with subme=0:
# its truth of containment shaded seed 0 #0 blurred over 2 frames read the ball 10 px
# outside the cup, 0.43), nor ``no-dct-decimate`` (no faster: 0.97-1.02), nor mbtree,
# me=dia, aq-mode or weightp off (no faster)
TUNING = "subme=0"
ENCODER = f"x264 {PRESET} crf {CRF} {TUNING}, yuv by opencv"


def png_params() -> list[int]:
    """OpenCV's PNG options for an instance's two frames: zlib level 6 on unfiltered rows,
    half the time of the default filter choice at about the same size on flat scenes
    (a 256 x 256 `projectile` frame 1.7 against 3.3 ms, 1.4 against 1.6 kB; a shaded
    `maze` frame 4.3 against 7.0 ms, 16 against 12 kB)."""
    import cv2

    return [cv2.IMWRITE_PNG_COMPRESSION, 6, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_NONE]


@functools.cache
def x264_params() -> str:
    """x264's options beyond its preset and CRF, for every H.264 file written here: on a
    CPU with AVX-512, x264's instructions capped at AVX2. Its AVX-512 code (the
    macroblock-tree lookahead) reads memory it never wrote where the picture is not a
    whole number of 16-macroblock rows wide, so the same frames gave other bytes from one
    encode to the next (a 160 x 96 clip: 7 different files in 8 encodes; a 64 x 64
    `bounce` clip: 2 in 10). Capped, they give the same bytes every time, and the bytes
    a CPU without AVX-512 gives."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return ""  # not Linux: no AVX-512 to cap that can be seen
    return "asm=AVX2" if " avx512" in flags and " avx2" in flags else ""
