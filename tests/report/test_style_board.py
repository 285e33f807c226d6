"""Scores per scene style: rows per model, style and capability, and the change from flat
measured on the same instances; a run of two styles end to end shows them in its report."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from vidreason.cli import app
from vidreason.report.html import build_context
from vidreason.report.styles import style_board, style_of
from vidreason.store import Row

FLAT = "core-s0-256x256-16fps-48f"


def _row(model: str, style: str, family: str, idx: int, value: float) -> Row:
    suite = FLAT if style == "flat" else f"{FLAT}-{style}"
    return Row(
        key=f"{model}{style}{family}{idx}",
        model=model,
        family=family,
        capability="physics" if family == "bounce-v1" else "causal",
        idx=idx,
        difficulty=1,
        instance_dir="",
        video="",
        value=value,
        passed=value >= 0.5,
        checks={},
        explanation="",
        error="",
        suite=suite,
    )


def test_the_style_is_read_off_the_suite_id():
    assert style_of(FLAT) == "flat"
    assert style_of(f"{FLAT}-shaded") == "shaded"
    assert style_of(f"{FLAT}-textured-ctx12") == "textured"


def test_one_style_gives_no_board():
    assert style_board([_row("m", "flat", "bounce-v1", i, 1.0) for i in range(3)]) == []


def test_the_change_from_flat_is_paired_on_the_same_instances():
    rows = [_row("m", "flat", "bounce-v1", i, 1.0) for i in range(4)]
    rows += [_row("m", "shaded", "bounce-v1", i, v) for i, v in enumerate([1.0, 0.0, 1.0, 0.0])]
    rows += [_row("m", "shaded", "bounce-v1", 9, 1.0)]  # no flat twin: not in the change
    rows += [_row("m", "flat", "dominoes-v1", 0, 0.2), _row("m", "shaded", "dominoes-v1", 0, 0.2)]
    board = {(e.capability, e.style): e for e in style_board(rows)}
    shaded = board[("physics", "shaded")]
    assert (shaded.n, shaded.mean, shaded.paired) == (5, 0.6, 4)
    assert shaded.change == -0.5
    assert shaded.change_low is not None and shaded.change_high is not None
    assert shaded.change_low < -0.5 < shaded.change_high <= 0.0
    assert board[("physics", "flat")].change is None
    assert board[("causal", "shaded")].change == 0.0
    every = board[("*", "shaded")]
    assert (every.n, every.paired) == (6, 5)


@pytest.mark.slow
def test_a_run_in_two_styles_reports_both(tmp_path):
    run = tmp_path / "run"
    args = ["run", "--suite", "smoke", "--family", "projectile", "--n", "3", "--out", str(run)]
    args += ["--workers", "1", "-q"]
    args += ["--model", "oracle", "--model", "static", "--style", "flat", "--style", "shaded"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    suites = sorted(p.name for p in (run / "suites").iterdir())
    assert suites == ["smoke-seed0-n3-projectile-v1", "smoke-seed0-n3-projectile-v1-shaded"]
    meta = json.loads((run / "suites" / suites[1] / "suite.json").read_text())
    assert meta["format"]["style"] == "shaded"
    view = build_context(run)["styles"]
    assert view["styles"] == ["flat", "shaded"]
    rows = {(e.model, e.capability, e.style): e for e in view["board"]}
    assert rows[("oracle", "*", "shaded")].mean >= 0.95
    assert rows[("static", "*", "shaded")].mean <= 0.10
    assert rows[("oracle", "*", "shaded")].paired == rows[("oracle", "*", "flat")].n
    r = CliRunner().invoke(app, ["report", str(run)])
    assert r.exit_code == 0, r.output
    html = (run / "report.html").read_text()
    assert 'id="styles-table"' in html and "change from flat" in html
