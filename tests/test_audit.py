"""The audit catches every planted violation and passes every nuisance on the core
physics families (one instance each: the `--quick` audit)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from vidreason.audit import audit, auroc
from vidreason.cli import app
from vidreason.corruptions import TARGETS, recolour, select

CORE = ["projectile-v1", "bounce-v1", "collision-v1"]


@pytest.fixture(scope="module")
def result():
    return audit(CORE, quick=True, workers=2)


@pytest.mark.slow
def test_every_violation_is_caught_and_every_nuisance_passes(result):
    for row in result.rows:
        if row.kind == "violation":
            assert row.rate == 1.0, row
        else:
            assert row.rate == 0.0, row
    assert set(result.auroc) == set(CORE)
    assert all(a >= TARGETS.auroc for a in result.auroc.values()), result.auroc


@pytest.mark.slow
def test_every_corruption_ran(result):
    names = {(r.family, r.name) for r in result.rows}
    for family in CORE:
        for c in select(audited=True):
            if c.group in ("own pace", "pause-jump"):
                continue  # planning only: elsewhere the pace is the law's
            if family == "collision-v1" and c.group == "gravity":
                continue  # no gravity in a top-down table scene
            if c.group in ("pattern", "cascade", "pour"):
                continue  # a patterned scene's, a cascade's, a pour's only
            assert (family, c.name) in names
    assert not names & {(f, c.name) for f in CORE for c in select() if c.target is None}


def test_auroc():
    assert auroc([1.0, 0.9], [0.0, 0.1]) == 1.0
    assert auroc([0.5], [0.5]) == 0.5
    assert auroc([0.0], [1.0]) == 0.0


@pytest.mark.slow
def test_cli_json_rows():
    res = CliRunner().invoke(app, ["audit", "projectile-v1", "--quick", "--json", "--workers", "1"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    kinds = {r.get("kind") for r in rows if "kind" in r}
    assert kinds == {"violation", "nuisance"}
    keys = {"family", "kind", "name", "n", "rate", "group", "magnitude", "unit", "mean", "target"}
    assert all(set(r) == keys for r in rows if "kind" in r)
    assert [r for r in rows if "auroc" in r] == [{"family": "projectile-v1", "auroc": 1.0}]


@pytest.mark.slow
def test_report_shows_the_audit(result, tmp_path):
    from vidreason.audit import to_json_rows
    from vidreason.report.html import audit_view, render_html

    (tmp_path / "audit.json").write_text(json.dumps(to_json_rows(result)))
    view = audit_view(tmp_path)
    assert [f["family"] for f in view["families"]] == sorted(CORE)
    assert all(f["auroc_ok"] and all(r["ok"] for r in f["rows"]) for f in view["families"])
    assert audit_view(tmp_path / "nothing-here") is None
    html = render_html(
        {
            "run_dir": str(tmp_path),
            "n_rows": 0,
            "ranking": [],
            "model_colours": {},
            "board": [],
            "chart": "",
            "capabilities": [],
            "errors": [],
            "audit": view,
            "pairs": None,
        }
    )
    assert 'id="audit-table"' in html and "teleport 15% 100%" in html
    assert 'id="tolerance-table"' in html and 'class="dose"' in html
    assert "target ≥ 95%" in html and "AUROC target ≥ 0.98" in html


def test_colour_change_swaps_two_different_colours():
    """Tiles of one row share a colour: swapping two of them would change nothing."""
    import numpy as np

    from vidreason.seeding import named_rng
    from vidreason.tasks import build_instance, get_family
    from vidreason.types import VideoFormat

    inst, truth = build_instance(get_family("sliding-puzzle"), 0, 0, 1, VideoFormat())
    assert inst.spec.bodies[0].colour == inst.spec.bodies[1].colour
    sample = recolour(inst, truth, named_rng(0, "test"))
    changed = np.abs(sample.frames.astype(int) - truth.astype(int)).max(axis=3) > 48
    assert changed[: len(truth) // 2].sum() == 0
    assert changed[-1].sum() > 100


def _outcomes(style: str, value: float) -> list:
    from vidreason.audit import Outcome

    return [
        Outcome("bounce-v1", "nuisance", "shake 2px", 0, value, value >= 0.5, "", style),
        Outcome("bounce-v1", "violation", "teleport", 0, 1.0 - value, value < 0.5, "", style),
    ]


def test_an_audit_per_style_adds_its_rows_beside_the_others(tmp_path):
    from vidreason.audit import summarise, write_run

    write_run(tmp_path, summarise(_outcomes("flat", 1.0)), seed=0, stress=False)
    write_run(tmp_path, summarise(_outcomes("shaded", 0.0)), seed=0, stress=False)
    rows = json.loads((tmp_path / "audit.json").read_text())
    aucs = {r["family"]: r["auroc"] for r in rows if "auroc" in r}
    assert aucs == {"bounce-v1": 1.0, "bounce-v1 (shaded)": 0.0}
    write_run(tmp_path, summarise(_outcomes("flat", 0.0)), seed=0, stress=False)  # a rerun
    rows = json.loads((tmp_path / "audit.json").read_text())
    aucs = {r["family"]: r["auroc"] for r in rows if "auroc" in r}
    assert aucs == {"bounce-v1": 0.0, "bounce-v1 (shaded)": 0.0}
    write_run(tmp_path, summarise(_outcomes("flat", 1.0)), seed=1, stress=False)  # another seed
    rows = json.loads((tmp_path / "audit.json").read_text())
    assert {r["family"] for r in rows} == {"bounce-v1"}
