"""The HTML report: built from a small real run (two families, oracle / static / corrupt)."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from markupsafe import escape

from vidreason.instance_io import write_instance
from vidreason.render.video_io import write_mp4
from vidreason.report.aggregate import leaderboard
from vidreason.report.html import strip_indices, write_report
from vidreason.store import Row, connect, insert, rows
from vidreason.tasks import build_instance, get_family
from vidreason.types import VideoFormat
from vidreason.verifiers.score import score_video

FAMILIES = ("projectile-v1", "collision-v1")
CORRUPT = "glitch_clip.mp4"


def _row(model: str, family: str, inst_dir: Path, video: Path) -> Row:
    s = score_video(video, inst_dir)
    return Row(
        key=f"{model}|{family}|0",
        model=model,
        family=family,
        capability=get_family(family).capability,
        idx=0,
        difficulty=1,
        instance_dir=str(inst_dir),
        video=str(video),
        value=s.value,
        passed=s.passed,
        checks=s.checks,
        explanation=s.explanation,
        error=s.error,
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    run_dir = tmp_path_factory.mktemp("run")
    fmt = VideoFormat()
    items = []
    for family in FAMILIES:
        inst, frames = build_instance(get_family(family), 0, 0, 1, fmt)
        inst_dir = write_instance(inst, frames, run_dir / "suite" / family / "00000")
        static = run_dir / "videos" / "static" / family / "00000.mp4"
        write_mp4(np.repeat(frames[:1], len(frames), axis=0), static, fps=fmt.fps)
        items += [("oracle", family, inst_dir, inst_dir / "ground_truth.mp4")]
        items += [("static", family, inst_dir, static)]
    corrupt = run_dir / "videos" / "glitchy" / CORRUPT
    corrupt.parent.mkdir(parents=True)
    corrupt.write_bytes(b"\x00\x01 this is not a video " * 64)
    items += [("glitchy", FAMILIES[0], run_dir / "suite" / FAMILIES[0] / "00000", corrupt)]
    with connect(run_dir) as con:
        for item in items:
            insert(con, _row(*item))
    report = write_report(run_dir)
    return run_dir, report, report.read_text(encoding="utf-8")


def test_report_is_written_next_to_the_store(run: tuple[Path, Path, str]) -> None:
    run_dir, report, html = run
    assert report == run_dir / "report.html"
    assert html.startswith("<!DOCTYPE html>")
    assert "5 scored videos" in html


def test_fixture_scores_make_sense(run: tuple[Path, Path, str]) -> None:
    by_model = {(r.model, r.family): r for r in rows(run[0])}
    assert all(by_model[("oracle", f)].value > 0.9 for f in FAMILIES)
    assert all(by_model[("static", f)].value < 0.1 for f in FAMILIES)
    assert by_model[("glitchy", FAMILIES[0])].error


def test_leaderboard_values_are_shown(run: tuple[Path, Path, str]) -> None:
    run_dir, _, html = run
    table = html.split('id="leaderboard-table"', 1)[1].split("</table>", 1)[0]
    entries = leaderboard(rows(run_dir))
    assert len(re.findall(r"<tr class=", table)) == len(entries)
    for e in entries:
        assert f"[{e.ci_low:.3f}, {e.ci_high:.3f}]" in table
        assert f"{e.mean:.3f}" in table
    ranking = html.split('id="ranking"', 1)[1].split("</table>", 1)[0]
    assert ranking.index("oracle") < ranking.index("static")


def test_each_family_states_its_law(run: tuple[Path, Path, str]) -> None:
    html = run[2]
    for family in FAMILIES:
        assert str(escape(get_family(family).law)) in html
        assert f'id="family-{family}"' in html


def test_images_are_embedded_and_strips_are_drawn(run: tuple[Path, Path, str]) -> None:
    html = run[2]
    assert "http://" not in html and "https://" not in html
    uris = re.findall(r'<img[^>]*src="data:image/png;base64,([^"]+)"', html)
    # chart + 2 families x (2 readable strips + 1 plot)
    assert len(uris) == 1 + 2 * 3
    images = [
        cv2.imdecode(np.frombuffer(base64.b64decode(u), np.uint8), cv2.IMREAD_COLOR) for u in uris
    ]
    assert all(img is not None for img in images)
    strips = [img for img in images if img.shape == (256, 4 * 256 + 3 * 4, 3)]
    assert len(strips) == 4  # oracle and static, two families


def test_corrupt_video_is_listed(run: tuple[Path, Path, str]) -> None:
    html = run[2]
    errors = html.split('id="errors-table"', 1)[1].split("</table>", 1)[0]
    assert CORRUPT in errors
    assert "cannot decode" in errors


def test_strip_indices() -> None:
    assert strip_indices(48) == [0, 16, 31, 47]
    assert strip_indices(2) == [0, 1]
    assert strip_indices(1) == [0]


def test_text_is_escaped_and_missing_files_do_not_crash(tmp_path: Path) -> None:
    nasty = "<img src=x onerror=alert(1)>"
    row = Row(
        key="k",
        model=nasty,
        family="projectile-v1",
        capability="physics",
        idx=3,
        difficulty=2,
        instance_dir=str(tmp_path / "gone"),
        video=str(tmp_path / "gone.mp4"),
        value=0.0,
        passed=False,
        checks={},
        explanation=nasty,
        error=f"{tmp_path / 'gone.mp4'}: no such video file",
    )
    with connect(tmp_path) as con:
        insert(con, row)
    out = write_report(tmp_path, out=tmp_path / "sub" / "r.html", examples_per_family=1)
    html = out.read_text(encoding="utf-8")
    assert nasty not in html
    assert str(escape(nasty)) in html
    assert "gone.mp4" in html and "Cannot load the instance" in html


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


@pytest.mark.browser
def test_report_renders_in_a_real_browser(run: tuple[Path, Path, str], tmp_path: Path) -> None:
    chromium = _chromium()
    if chromium is None:
        if os.environ.get("VIDREASON_REQUIRE_BROWSER") == "1":
            pytest.fail("VIDREASON_REQUIRE_BROWSER=1 but no chromium on PATH")
        pytest.skip("no chromium on PATH")
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000",
        "--dump-dom",
        run[1].resolve().as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=False)
    dom = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    body = re.search(r"<body[^>]*>", dom)
    assert body is not None, dom[:500]
    assert 'data-ready="ok"' in body.group(0), body.group(0) + done.stderr[-2000:]
    assert 'id="leaderboard-table"' in dom
    assert "oracle" in dom
