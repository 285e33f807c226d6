"""The HTML report, read as text: built from a small real run (see conftest.py)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.request import url2pathname

import numpy as np
import pytest
from markupsafe import escape

from tests.report.conftest import CORRUPT, FAMILIES, Run, scored_row
from vidreason.render.video_io import read_video, write_mp4
from vidreason.report.aggregate import leaderboard
from vidreason.report.cards import card
from vidreason.report.html import write_report
from vidreason.store import Row, connect, insert, rows
from vidreason.tasks import get_family

# Measured on the demo run (312 videos, 260 failed and each given a card, 6 models, 26
# families): report.html 1.20 MB and report_files/ 1.06 MB, 2.25 MB in all, about 3.8 kB per
# row and 7 kB per card (its HTML and two SVG files). The budget below allows that run
# 3.6 MB, well under the 10 MB the demo must stay below.
BUDGET_BASE = 60_000  # bytes: styles, script, navigation
BUDGET_PER_ROW = 1_500  # bytes per scored video (leaderboard, tables)
BUDGET_PER_CARD = 12_000  # bytes per failure card (its HTML and its two SVG files)


class Links(HTMLParser):
    """Every src / href / poster of the page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "poster") and value is not None:
                self.links.append((tag, name, value))


def links(html: str) -> list[tuple[str, str, str]]:
    parser = Links()
    parser.feed(html)
    return parser.links


def section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</table>", start)]


def cards(html: str) -> list[str]:
    return re.findall(r'<article class="card".*?</article>', html, re.S)


def test_report_is_written_next_to_the_store(report_run: Run) -> None:
    assert report_run.report == report_run.run_dir / "report.html"
    assert report_run.html.startswith("<!DOCTYPE html>")
    assert "5 scored videos" in report_run.html


def test_fixture_scores_make_sense(report_run: Run) -> None:
    by_model = {(r.model, r.family): r for r in rows(report_run.run_dir)}
    assert all(by_model[("oracle", f)].value > 0.9 for f in FAMILIES)
    assert all(by_model[("static", f)].value < 0.1 for f in FAMILIES)
    assert by_model[("glitchy", FAMILIES[0])].error


def test_leaderboard_values_are_shown(report_run: Run) -> None:
    html = report_run.html
    table = section(html, "leaderboard-table")
    entries = leaderboard(rows(report_run.run_dir))
    assert len(re.findall(r"<tr class=\"f ", table)) == len(entries)
    for e in entries:
        assert f"[{e.ci_low:.3f}, {e.ci_high:.3f}]" in table
        assert f"{e.mean:.3f}" in table


def test_summary_ranks_models_with_capability_intervals(report_run: Run) -> None:
    html = report_run.html
    summary = section(html, "ranking")
    assert summary.index("oracle") < summary.index("static")
    assert summary.index("oracle") < summary.index("glitchy")
    assert html.index('id="summary"') < html.index('id="leaderboard"')
    pooled = [e for e in leaderboard(rows(report_run.run_dir)) if e.family == "*"]
    for e in pooled:
        assert (
            f'{e.mean:.3f}<br><span class="ci">[{e.ci_low:.3f}, {e.ci_high:.3f}]</span>' in summary
        )
    chart = html[html.index('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') :]
    chart = chart[: chart.index("</svg>")]
    assert chart.count("<rect") >= len(pooled) + 3  # a bar per entry, a legend swatch per model
    assert all(f">{m}</text>" in chart for m in ("oracle", "static", "glitchy"))


def test_navigation_links_every_capability_and_family(report_run: Run) -> None:
    html = report_run.html
    nav = html[html.index('<nav id="nav"') : html.index("</nav>")]
    for family in FAMILIES:
        assert str(escape(get_family(family).law)) in html
        assert f'id="family-{family}"' in html and f'href="#family-{family}"' in nav
    assert 'href="#cap-physics"' in nav and 'id="cap-physics"' in html
    targets = re.findall(r'href="#([^"]+)"', nav)
    assert all(f'id="{t}"' in html for t in targets)


def test_media_are_linked_relatively_and_exist(report_run: Run) -> None:
    html, folder = report_run.html, report_run.report.parent
    assert "data:" not in html
    found = links(html)
    assert {tag for tag, _, _ in found} >= {"video", "img", "a"}
    for tag, name, value in found:
        assert "://" not in value and not value.startswith("/"), (tag, name, value)
        if value.startswith("#"):
            continue
        assert (folder / url2pathname(value)).is_file(), value
    assert any(v.startswith("../") and v.endswith("ground_truth.mp4") for _, _, v in found)
    assert any(v.startswith("videos/static/") for _, _, v in found)
    assert str(report_run.run_dir) not in html.replace(
        str(report_run.run_dir) + "/videos/glitchy", ""
    )


def test_media_load_lazily(report_run: Run) -> None:
    html = report_run.html
    videos = re.findall(r"<video[^>]*>", html)
    images = re.findall(r"<img[^>]*>", html)
    assert videos and images
    assert all('preload="none"' in v for v in videos)
    assert all('loading="lazy"' in i for i in images)


def test_gallery_has_a_card_per_failed_video(report_run: Run) -> None:
    found = cards(report_run.html)
    failed = [r for r in rows(report_run.run_dir) if not r.passed]
    assert len(found) == len(failed) == 3
    assert all('data-passed="0"' in c for c in found)
    static = [c for c in found if 'data-model="static"' in c]
    assert len(static) == 2
    for c in static:
        assert 'class="model"' in c and 'class="truth"' in c and "ground_truth.mp4" in c
        assert "poster=" in c and "-paths.svg" in c and "-xy.svg" in c
        assert "play both" in c
        assert re.search(r'<p class="explanation">[^<]+</p>', c)
        assert re.search(
            r'<span class="swatch" style="background: #[0-9a-f]{6}"></span>\w+ ball', c
        )
    glitchy = next(c for c in found if 'data-model="glitchy"' in c)
    assert CORRUPT in glitchy and "cannot decode" in glitchy and "-xy.svg" not in glitchy


def test_plots_have_a_legend_per_object(report_run: Run) -> None:
    folder = report_run.run_dir / "report_files"
    plots = sorted(folder.glob("*-xy.svg"))
    assert len(plots) == 2
    for plot in plots:
        text = plot.read_text(encoding="utf-8")
        assert "ground truth" in text and "tracked in the video" in text
        assert len(re.findall(r"<text[^>]*>\w+ ball</text>", text)) >= 1


def _points(svg_text: str, dashed: bool) -> list[np.ndarray]:
    out = []
    for m in re.finditer(r'<polyline points="([^"]+)"([^>]*)/>', svg_text):
        if ("stroke-dasharray" in m.group(2)) != dashed or 'stroke="#1e1e1e"' in m.group(2):
            continue
        out.append(np.array([[float(v) for v in p.split(",")] for p in m.group(1).split()]))
    return out


def _distance_to_line(points: np.ndarray, line: np.ndarray) -> float:
    """The largest distance from one of ``points`` to the polyline ``line``."""
    a, b = line[:-1][None], line[1:][None]  # segments
    p = points[:, None]
    ab = b - a
    t = np.clip(((p - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-9), 0, 1)
    return float(np.linalg.norm(a + t[..., None] * ab - p, axis=-1).min(axis=1).max())


@pytest.mark.parametrize("pad", [0, 32])
def test_tracked_path_of_the_truth_lies_on_the_true_path(
    report_run: Run, tmp_path: Path, pad: int
) -> None:
    """The overlay maps scene pixels to the video's pixels, black bars included."""
    inst_dir = report_run.suite_dir / "projectile-v1" / "00000"
    video = inst_dir / "ground_truth.mp4"
    if pad:
        frames = read_video(video).frames
        padded = np.pad(frames, ((0, 0), (0, 0), (pad, pad), (0, 0)))
        video = write_mp4(padded, tmp_path / "padded.mp4", fps=16)
    row = scored_row("oracle", "projectile-v1", inst_dir, video)
    c = card(report_run.run_dir, tmp_path, row, "files")
    overlay = c.files[c.overlay_file]
    assert f'viewBox="0 0 {256 + 2 * pad} 256"' in overlay
    tracked, truth = _points(overlay, dashed=False), _points(overlay, dashed=True)
    assert len(tracked) == 1 and len(truth) == 1
    assert truth[0][:, 0].min() >= pad
    assert _distance_to_line(tracked[0], truth[0]) < 3.0


def test_corrupt_video_is_listed(report_run: Run) -> None:
    errors = section(report_run.html, "errors-table")
    assert CORRUPT in errors
    assert "cannot decode" in errors


def test_every_video_is_in_one_table(report_run: Run) -> None:
    table = section(report_run.html, "results-table")
    assert len(re.findall(r"<tr class=\"f\"", table)) == 5
    assert table.count('data-passed="1"') == 2 and table.count('data-passed="0"') == 3


def test_report_is_deterministic_and_clears_old_plots(report_run: Run, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "r.html"
    stale = tmp_path / "sub" / "r_files" / "old-xy.svg"
    stale.parent.mkdir(parents=True)
    stale.write_text("<svg/>")
    first = write_report(report_run.run_dir, out=out)
    files = {p.name: p.read_bytes() for p in (tmp_path / "sub" / "r_files").iterdir()}
    assert "old-xy.svg" not in files and len(files) == 4
    html = first.read_text(encoding="utf-8")
    assert 'src="r_files/' in html and "../../" in html
    write_report(report_run.run_dir, out=out)
    assert out.read_text(encoding="utf-8") == html
    assert {p.name: p.read_bytes() for p in (tmp_path / "sub" / "r_files").iterdir()} == files


def _size(report: Path) -> int:
    files = report.parent / f"{report.stem}_files"
    return report.stat().st_size + sum(p.stat().st_size for p in files.glob("*"))


@pytest.mark.slow
def test_report_stays_within_its_size_budget(report_run: Run, tmp_path: Path) -> None:
    """Bytes grow with the rows and the failure cards, not with the videos' size."""
    n_cards = len(cards(report_run.html))
    assert _size(report_run.report) <= BUDGET_BASE + 5 * BUDGET_PER_ROW + n_cards * BUDGET_PER_CARD
    # the same videos scored as 60 instances each: the gallery stays at 3 per model x
    # family, the tables grow by a row per video
    run_dir = tmp_path / "big"
    with connect(run_dir) as con:
        for r in rows(report_run.run_dir):
            for idx in range(60):
                insert(con, Row(**{**r.to_dict(), "key": f"{r.key}|{idx}", "idx": idx}))
    n_rows = len(rows(run_dir))
    report = write_report(run_dir)
    n_cards = len(cards(report.read_text(encoding="utf-8")))
    assert n_rows == 300 and n_cards == 9
    assert _size(report) <= BUDGET_BASE + n_rows * BUDGET_PER_ROW + n_cards * BUDGET_PER_CARD


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
    out = write_report(tmp_path, out=tmp_path / "sub" / "r.html", failures_per_family=1)
    html = out.read_text(encoding="utf-8")
    assert nasty not in html
    assert str(escape(nasty)) in html
    assert "gone.mp4" in html and "no such video file" in html
    assert len(cards(html)) == 1


def test_empty_run_renders(tmp_path: Path) -> None:
    with connect(tmp_path):
        pass
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert "No scores in this run yet." in html and "No video failed." in html


def test_missing_unreadable_and_unmatched_are_counted(tmp_path: Path, make_row) -> None:
    from vidreason.store import finish_run, start_run

    with connect(tmp_path) as con:
        run = start_run(con, "mine", "core-s0", "/videos")
        for i, status in enumerate(("scored", "missing", "missing", "unreadable")):
            failed = status != "scored"
            insert(
                con,
                make_row(
                    model="mine",
                    suite="core-s0",
                    key=f"k{i}",
                    idx=i,
                    status=status,
                    value=0.0 if failed else 1.0,
                    passed=not failed,
                    error=f"v{i}.mp4: {status}" if failed else "",
                ),
                run,
            )
        finish_run(con, run, {"total": 4}, ["projectile-v1/1.mp4"])
    html = write_report(tmp_path).read_text(encoding="utf-8")
    table = html[html.index('id="runs-table"') : html.index("</table>", html.index("runs-table"))]
    cells = re.findall(r'<td class="num">(\d+)</td>', table)
    assert cells == ["4", "2", "1", "0"]
    assert "projectile-v1/1.mp4" in table and "core-s0" in table
