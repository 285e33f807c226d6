"""How a generated instance's videos are encoded: ``ground_truth.mp4`` and a continuation
suite's ``context.mp4``, by ``render.video_io.write_mp4`` (H.264, yuv420p, one thread).

x264's ``veryfast`` preset at CRF 15 encodes a 48-frame 256 x 256 clip in about half the
CPU time of ``medium`` at CRF 18, at the same or a higher mean PSNR against the rendered
frames (files about a fifth larger; README, "Generation speed"). ``ENCODER`` names the
settings; every instance records it among its ``versions``, so instances written under
other settings are not taken for done (``suites.is_done``) and their scores are not reused
(``runner.plan``). Models' videos and the audit's corrupted copies keep ``write_mp4``'s
own defaults.
"""

from __future__ import annotations

PRESET = "veryfast"
CRF = 15
ENCODER = f"x264 {PRESET} crf {CRF}"
