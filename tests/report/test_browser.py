"""The HTML report in a real headless Chromium (Debian's package), driven by Playwright.

Skipped when Playwright or Chromium is missing, unless ``VIDREASON_REQUIRE_BROWSER=1`` (CI),
which makes that a failure. Screenshots go to ``$VIDREASON_ARTIFACTS`` (default: the test's
tmp_path) so CI can keep them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.report.conftest import Run

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


def _missing(what: str) -> None:
    if os.environ.get("VIDREASON_REQUIRE_BROWSER") == "1":
        pytest.fail(f"VIDREASON_REQUIRE_BROWSER=1 but {what}")
    pytest.skip(what)


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install -e '.[browser]')")
    executable = chromium()
    if executable is None:
        _missing("no chromium on PATH (apt-get install chromium)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            args=ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
            offline=True,
        )
        try:
            yield ctx
        finally:
            ctx.close()


@pytest.fixture
def artefacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("VIDREASON_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(context: Any, report_run: Run) -> Iterator[Any]:
    """The report opened and set up; console errors, page errors and failed or non-file
    requests are collected in ``page.problems``."""
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
    page.on(
        "request",
        lambda r: None if r.url.startswith("file:") else problems.append(f"network: {r.url}"),
    )
    page.problems = problems
    page.goto(report_run.report.resolve().as_uri())
    page.wait_for_selector("body[data-ready='ok']", timeout=15_000)
    yield page
    page.close()


def test_loads_without_errors_and_images_load_when_scrolled_to(page: Any, artefacts: Path) -> None:
    page.screenshot(path=str(artefacts / "report-top.png"))
    assert page.evaluate("document.documentElement.scrollHeight") < 20_000
    page.locator("#gallery").scroll_into_view_if_needed()
    first = page.locator(".card").first
    first.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.card:not([hidden]) img'))"
        ".slice(0, 4).every(i => i.complete && i.naturalWidth > 0)",
        timeout=10_000,
    )
    page.wait_for_function(
        "() => document.querySelector('.card video.truth').readyState >= 1", timeout=10_000
    )
    first.screenshot(path=str(artefacts / "report-failure-card.png"))
    assert page.problems == []


def test_navigation_scrolls_to_the_family(page: Any) -> None:
    page.click("nav a[href='#family-collision-v1']")
    page.wait_for_function("() => location.hash === '#family-collision-v1'")
    page.wait_for_function(
        "() => { const r = document.getElementById('family-collision-v1')"
        ".getBoundingClientRect(); return r.top >= 0 && r.top < 150; }",
        timeout=5_000,
    )
    assert page.evaluate("window.scrollY") > 300
    page.click("nav a[href='#summary']")
    page.wait_for_function("() => location.hash === '#summary'")
    assert page.problems == []


def _column(page: Any, table: str, i: int) -> list[str]:
    return page.eval_on_selector_all(
        f"#{table} tbody tr:not([hidden])",
        f"rows => rows.map(r => r.cells[{i}].dataset.v ?? r.cells[{i}].textContent.trim())",
    )


def test_sorting_a_column(page: Any) -> None:
    header = page.locator("#leaderboard-table thead th", has_text="mean")
    header.click()
    up = [float(v) for v in _column(page, "leaderboard-table", 4)]
    assert up == sorted(up) and up[0] < up[-1]
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    down = [float(v) for v in _column(page, "leaderboard-table", 4)]
    assert down == sorted(up, reverse=True)
    page.locator("#results-table thead th", has_text="model").click()
    models = _column(page, "results-table", 0)
    assert models == sorted(models)
    assert page.problems == []


def test_filters_apply_to_tables_and_gallery(page: Any, artefacts: Path) -> None:
    page.select_option("#filters select[name='model']", "static")
    assert set(_column(page, "results-table", 0)) == {"static"}
    assert set(_column(page, "leaderboard-table", 0)) == {"static"}
    visible = page.eval_on_selector_all(".card:not([hidden])", "cs => cs.map(c => c.dataset.model)")
    assert visible == ["static", "static"]
    page.select_option("#filters select[name='family']", "collision-v1")
    assert _column(page, "results-table", 1) == ["collision-v1"]
    assert page.locator("#family-projectile-v1").is_hidden()
    page.select_option("#filters select[name='status']", "passed")
    assert _column(page, "results-table", 1) == []
    assert "No card matches" in page.inner_text("#gallery-count")
    page.click("#filters button[type='reset']")
    page.wait_for_function(
        "() => document.querySelectorAll('#results-table tbody tr:not([hidden])').length === 5"
    )
    page.select_option("#filters select[name='status']", "passed")
    assert set(_column(page, "results-table", 0)) == {"oracle"}
    page.screenshot(path=str(artefacts / "report-filtered.png"))
    # a family's button shows its failures in the gallery
    page.click("#filters button[type='reset']")
    page.click("#family-projectile-v1 button.show-failures")
    visible = page.eval_on_selector_all(
        ".card:not([hidden])", "cs => cs.map(c => c.dataset.family)"
    )
    assert visible and set(visible) == {"projectile-v1"}
    assert page.problems == []


def test_a_failed_video_plays_next_to_its_ground_truth(page: Any, artefacts: Path) -> None:
    card = page.locator(".card[data-model='static']").first
    card.scroll_into_view_if_needed()
    card.locator("button.play-both").click()
    page.wait_for_function(
        "() => { const vs = document.querySelector(\".card[data-model='static']\")"
        ".querySelectorAll('video'); return vs.length === 2 && Array.from(vs).every("
        "v => !v.paused && v.currentTime > 0.3 && !v.error && v.videoWidth === 256); }",
        timeout=10_000,
    )
    card.screenshot(path=str(artefacts / "report-video-playing.png"))
    assert page.problems == []


def test_the_questions_section_sorts_and_links(
    context: Any, question_suite: Path, tmp_path: Path, artefacts: Path
) -> None:
    from tests.test_answers import hand_file
    from vidreason.answers import score_answers
    from vidreason.report.html import write_report

    hand_file(question_suite, tmp_path / "answers.jsonl")
    run = tmp_path / "run"
    score_answers(question_suite, tmp_path / "answers.jsonl", "vlm", run)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(write_report(run).resolve().as_uri())
    page.wait_for_selector("body[data-ready='ok']", timeout=15_000)
    page.click("nav a[href='#answers']")
    page.wait_for_function("() => location.hash === '#answers'")
    assert page.locator("#answers-table").is_visible()
    page.locator("#answers-table thead th", has_text="all").click()
    order = _column(page, "answers-table", 2)
    assert [float(v) for v in order] == sorted(float(v) for v in order)
    assert set(_column(page, "answers-table", 0)) == {
        "vlm", "baseline:random", "baseline:majority",
    }  # fmt: skip
    page.locator("#answers").screenshot(path=str(artefacts / "report-questions.png"))
    page.close()
    assert problems == []
