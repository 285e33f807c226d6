"""A small real run for the report tests: two families, three models, one unreadable video.

The suite lives outside the run folder (as it may for a user), the videos inside it, so the
report links both ways: ``videos/...`` and ``../suite.../...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from vidreason.instance_io import write_instance
from vidreason.render.video_io import write_mp4
from vidreason.report.html import write_report
from vidreason.scoring import score_video
from vidreason.store import Row, connect, insert
from vidreason.tasks import build_instance, get_family
from vidreason.types import VideoFormat

FAMILIES = ("projectile-v1", "collision-v1")
CORRUPT = "glitch_clip.mp4"


@dataclass(frozen=True)
class Run:
    run_dir: Path
    suite_dir: Path
    report: Path
    html: str


def scored_row(model: str, family: str, inst_dir: Path, video: Path, idx: int = 0) -> Row:
    s = score_video(video, inst_dir)
    return Row(
        key=f"{model}|{family}|{idx}",
        model=model,
        family=family,
        capability=get_family(family).capability,
        idx=idx,
        difficulty=1,
        instance_dir=str(inst_dir),
        video=str(video),
        value=s.value,
        passed=s.passed,
        checks=s.checks,
        explanation=s.explanation,
        error=s.error,
    )


def make_run(run_dir: Path, suite_dir: Path) -> list[Row]:
    """oracle (the ground truth) and static (the first frame held) on each family, and one
    model whose only video is not a video."""
    fmt = VideoFormat()
    out = []
    for family in FAMILIES:
        inst, frames = build_instance(get_family(family), 0, 0, 1, fmt)
        inst_dir = write_instance(inst, frames, suite_dir / family / "00000")
        oracle = run_dir / "videos" / "oracle" / family / "00000.mp4"
        oracle.parent.mkdir(parents=True)
        oracle.write_bytes((inst_dir / "ground_truth.mp4").read_bytes())
        static = run_dir / "videos" / "static" / family / "00000.mp4"
        write_mp4(np.repeat(frames[:1], len(frames), axis=0), static, fps=fmt.fps)
        out += [scored_row("oracle", family, inst_dir, oracle)]
        out += [scored_row("static", family, inst_dir, static)]
    corrupt = run_dir / "videos" / "glitchy" / CORRUPT
    corrupt.parent.mkdir(parents=True)
    corrupt.write_bytes(b"\x00\x01 this is not a video " * 64)
    out += [scored_row("glitchy", FAMILIES[0], suite_dir / FAMILIES[0] / "00000", corrupt)]
    with connect(run_dir) as con:
        for r in out:
            insert(con, r)
    return out


@pytest.fixture(scope="session")
def report_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    run_dir = tmp_path_factory.mktemp("run")
    suite_dir = tmp_path_factory.mktemp("suite")
    make_run(run_dir, suite_dir)
    report = write_report(run_dir)
    return Run(run_dir, suite_dir, report, report.read_text(encoding="utf-8"))
