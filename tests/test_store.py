"""The results store: SQLite roundtrip, idempotent inserts, newest row per instance, exports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from vidreason import store


def _fill(run_dir: Path, items: list[store.Row]) -> None:
    with store.connect(run_dir) as con:
        for r in items:
            store.insert(con, r)


def test_insert_then_rows_roundtrips_every_field(tmp_path, make_row):
    checks = {"visibility": 1.0, "final_state": 0.25, "gravity": 0.125}
    written = [
        make_row(model="b", value=0.25, passed=False, checks=checks, error="bad: x"),
        make_row(model="a", family="bounce-v1", idx=3, difficulty=3, checks={}),
    ]
    _fill(tmp_path, written)
    got = store.rows(tmp_path)
    assert got == sorted(written, key=lambda r: (r.model, r.family, r.idx))
    by_model = {r.model: r for r in got}
    assert by_model["b"].checks == checks
    assert by_model["b"].passed is False and by_model["a"].passed is True
    assert isinstance(by_model["a"].idx, int) and isinstance(by_model["a"].value, float)


def test_insert_ignores_a_duplicate_key(tmp_path, make_row):
    first = make_row(key="same", value=0.75)
    _fill(tmp_path, [first, make_row(key="same", value=0.0, passed=False)])
    assert store.rows(tmp_path) == [first]
    with store.connect(tmp_path) as con:
        assert store.done_keys(con) == {"same"}


def test_rows_keeps_the_newest_row_per_instance(tmp_path, make_row):
    old = make_row(key="k-old", value=0.25, passed=False)
    new = make_row(key="k-new", value=0.75)
    other = make_row(key="k-other", idx=1, value=0.5)
    _fill(tmp_path, [old, other, new])  # `new` lands after `old`
    assert store.rows(tmp_path) == [new, other]
    assert sorted(store.rows(tmp_path, history=True), key=lambda r: r.key) == [new, old, other]


def test_export_csv(tmp_path, make_row):
    items = [
        make_row(model="a", checks={"z": 0.5, "a": 1.0}, explanation='comma, "quote"'),
        make_row(model="b", value=0.0, passed=False, error="x.mp4: cannot decode"),
    ]
    path = store.export_csv(items, tmp_path / "out.csv")
    assert path == tmp_path / "out.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == [
            "key",
            "model",
            "family",
            "capability",
            "idx",
            "difficulty",
            "instance_dir",
            "video",
            "value",
            "passed",
            "checks",
            "explanation",
            "error",
            "outcome",
            "suite",
            "model_version",
            "status",
            "verifier_version",
            "package_version",
            "scored_at",
            "seed",
            "goal_conditioned",
        ]
        got = list(reader)
    assert [g["model"] for g in got] == ["a", "b"]
    assert json.loads(got[0]["checks"]) == {"a": 1.0, "z": 0.5}
    assert got[0]["checks"] == '{"a": 1.0, "z": 0.5}'  # sorted keys
    assert got[0]["explanation"] == 'comma, "quote"'
    assert float(got[1]["value"]) == 0.0 and got[1]["passed"] == "False"
    assert got[1]["error"] == "x.mp4: cannot decode"


def test_export_jsonl(tmp_path, make_row):
    items = [make_row(model="a"), make_row(model="b", checks={"q": 0.5}, passed=False)]
    path = store.export_jsonl(items, tmp_path / "out.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    parsed = [json.loads(line) for line in lines]
    assert parsed == [r.to_dict() for r in items]
    assert parsed[1]["passed"] is False and parsed[1]["checks"] == {"q": 0.5}
    assert list(parsed[0]) == sorted(parsed[0])


def test_exports_of_nothing_are_empty(tmp_path):
    assert store.export_jsonl([], tmp_path / "e.jsonl").read_text() == ""
    assert store.export_csv([], tmp_path / "e.csv").read_text().startswith("key,model,")


def test_missing_store_raises_naming_the_path(tmp_path):
    run_dir = tmp_path / "no-run-here"
    with pytest.raises(FileNotFoundError) as info:
        store.rows(run_dir)
    assert str(store.store_path(run_dir)) in str(info.value)
    assert not run_dir.exists()  # reading does not create the run directory


def test_outcome_round_trips_and_old_stores_gain_the_column(tmp_path, make_row):
    import sqlite3

    legacy = store.SCHEMA.replace(",\n    outcome TEXT NOT NULL DEFAULT '{}'", "")
    assert "outcome" not in legacy
    con = sqlite3.connect(store.store_path(tmp_path))
    con.executescript(legacy)
    con.close()
    row = make_row(key="k", outcome={"observed": {"fallen": ["a"]}, "expected": {}})
    _fill(tmp_path, [row])
    assert store.rows(tmp_path) == [row]


def test_a_stored_key_made_current_again_wins_over_a_newer_row(tmp_path, make_row):
    """Wrong videos then the right ones again: the right rows (already stored) count."""
    good = make_row(key="k-good", value=1.0)
    bad = make_row(key="k-bad", value=0.0, passed=False, status="missing")
    _fill(tmp_path, [good, bad])
    assert store.rows(tmp_path) == [bad]
    with store.connect(tmp_path) as con:
        store.point(con, [("m", "", "projectile-v1", 0, "k-good")])
    assert store.rows(tmp_path) == [good]
    assert len(store.rows(tmp_path, history=True)) == 2


def test_one_row_per_suite_and_pending_counted(tmp_path, make_row):
    a = make_row(key="a", suite="smoke-s0")
    b = make_row(key="b", suite="core-s0", value=0.5)
    _fill(tmp_path, [a, b])
    assert {r.suite for r in store.rows(tmp_path)} == {"smoke-s0", "core-s0"}
    with store.connect(tmp_path) as con:
        store.point(con, [("m", "core-s0", "projectile-v1", 1, "not-scored-yet")])
    assert store.pending(tmp_path) == {("m", "core-s0"): 1}
    assert len(store.rows(tmp_path)) == 2


def test_forget_removes_a_models_rows_only(tmp_path, make_row):
    _fill(
        tmp_path,
        [
            make_row(model="mine", suite="s1"),
            make_row(model="mine", suite="s2", key="k2"),
            make_row(model="other"),
        ],
    )
    assert store.forget(tmp_path, "mine", "s1") == 1
    assert sorted((r.model, r.suite) for r in store.rows(tmp_path)) == [
        ("mine", "s2"),
        ("other", ""),
    ]
    assert store.forget(tmp_path, "mine") == 1
    assert [r.model for r in store.rows(tmp_path, history=True)] == ["other"]


def test_a_store_from_before_suites_keeps_its_newest_rows(tmp_path):
    """A store written before the ``current`` table: its newest row per instance counts."""
    import sqlite3

    legacy = """CREATE TABLE scores (key TEXT PRIMARY KEY, model TEXT NOT NULL,
        family TEXT NOT NULL, capability TEXT NOT NULL, idx INTEGER NOT NULL,
        difficulty INTEGER NOT NULL, instance_dir TEXT NOT NULL, video TEXT NOT NULL,
        value REAL NOT NULL, passed INTEGER NOT NULL, checks TEXT NOT NULL,
        explanation TEXT NOT NULL, error TEXT NOT NULL)"""
    con = sqlite3.connect(store.store_path(tmp_path))
    con.execute(legacy)
    for key, value, error in (("old", 0.0, "x.mp4: cannot decode"), ("new", 1.0, "")):
        con.execute(
            "INSERT INTO scores VALUES (?, 'm', 'projectile-v1', 'physics', 0, 1, 'i', 'v', "
            "?, ?, '{}', '', ?)",
            (key, value, int(value > 0.5), error),
        )
    con.commit()
    con.close()
    (row,) = store.rows(tmp_path)
    assert (row.key, row.status, row.suite) == ("new", "scored", "")
    statuses = {r.key: r.status for r in store.rows(tmp_path, history=True)}
    assert statuses == {"old": "error", "new": "scored"}
