"""Shards (``--shard i/n``) and ``vidreason merge``: a deterministic split by instance,
and shards merged into rows equal to one unsharded run's."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import comparable_rows, folder_bytes
from vidreason import api, store
from vidreason.audit import OUTCOMES_FILE, Outcome, merge_outcomes, summarise, write_run
from vidreason.cli import app
from vidreason.errors import UserError
from vidreason.runner.merge import merge
from vidreason.runner.shard import Shard, parse_shard, shard_of
from vidreason.suites import SUITE_FILE, generate_suite
from vidreason.tasks import FAMILIES, get_family

runner = CliRunner()
SUITE_ARGS = ["--suite", "smoke", "--n", "2", "--family", "projectile", "--family", "dominoes"]


def test_parse_shard_is_one_based_and_names_a_bad_value():
    assert parse_shard("2/4") == Shard(2, 4)
    assert parse_shard(None) is None
    for bad in ("0/4", "5/4", "1", "a/b", "1/0", "-1/2"):
        with pytest.raises(UserError, match="expected I/N"):
            parse_shard(bad)


@pytest.mark.parametrize("verb", ["generate", "run", "score", "check", "audit"])
def test_a_bad_shard_is_one_line_on_every_verb(verb, tmp_path):
    args = {
        "generate": ["--suite", "smoke", "--out", str(tmp_path / "s")],
        "run": ["--suite", "smoke", "--model", "oracle", "--out", str(tmp_path / "r")],
        "score": [
            *("--suite-dir", str(tmp_path), "--videos", str(tmp_path)),
            *("--model-name", "m", "--out", str(tmp_path / "r")),
        ],
        "check": ["projectile"],
        "audit": ["projectile"],
    }[verb]
    result = runner.invoke(app, [verb, *args, "--shard", "3/2"])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [
        "error: --shard '3/2': expected I/N (1-based: 1/4 to 4/4)"
    ]
    assert not (tmp_path / "s").exists() and not (tmp_path / "r").exists()


def test_every_instance_is_in_exactly_one_shard_and_a_family_spreads():
    for family in FAMILIES.names():
        paired = get_family(family).paired
        for count in (1, 2, 3, 5):
            shards = [shard_of(family, i, count) for i in range(20)]
            assert all(1 <= s <= count for s in shards)
            held = [
                [Shard(k, count).holds(family, i) for k in range(1, count + 1)] for i in range(20)
            ]
            assert all(sum(h) == 1 for h in held)
            assert len(set(shards)) == count  # 20 instances reach every shard
            every = set(range(1, count + 1))
            if paired:  # a counterfactual pair stays whole, the pairs go round the shards
                assert all(shards[2 * j] == shards[2 * j + 1] for j in range(10))
                assert set(shards[: 2 * count]) == every
            else:  # any `count` instances in a row go one to each shard
                assert set(shards[:count]) == every
    # the same split on any machine: a function of the id and the index only
    assert [shard_of("projectile-v1", i, 4) for i in range(8)] == [
        shard_of("projectile-v1", i, 4) for i in range(8)
    ]


def test_audit_outcomes_of_shards_sum_to_the_whole_audit(tmp_path):
    rng = random.Random(0)
    outcomes = [
        Outcome(f, kind, name, i, round(rng.random(), 3), rng.random() > 0.5, "")
        for f in ("projectile-v1", "bounce-v1")
        for i in range(4)
        for kind, name in (("violation", "reversed"), ("nuisance", "crf-28"))
    ]
    whole = summarise(outcomes)
    halves = [o for o in outcomes if o.index % 2], [o for o in outcomes if not o.index % 2]
    for k, part in enumerate(halves):
        write_run(tmp_path / f"a{k}", summarise(part), seed=0, stress=False)
    result = runner.invoke(
        app, ["merge", str(tmp_path / "a0"), str(tmp_path / "a1"), "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 0, result.output
    merged = json.loads((tmp_path / "m" / "audit.json").read_text())
    write_run(tmp_path / "whole", whole, seed=0, stress=False)
    assert merged == json.loads((tmp_path / "whole" / "audit.json").read_text())
    twice = merge_outcomes(outcomes + outcomes)  # the same shard twice counts once
    assert (twice.rows, twice.auroc) == (whole.rows, whole.auroc)
    write_run(tmp_path / "other", summarise(halves[0]), seed=1, stress=False)
    result = runner.invoke(
        app, ["merge", str(tmp_path / "a0"), str(tmp_path / "other"), "--out", str(tmp_path / "m2")]
    )
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "cannot merge the audit" in result.stderr
    (tmp_path / "a1" / OUTCOMES_FILE).unlink()
    result = runner.invoke(
        app, ["merge", str(tmp_path / "a0"), str(tmp_path / "a1"), "--out", str(tmp_path / "m3")]
    )
    assert result.exit_code == 2 and OUTCOMES_FILE in result.stderr


def test_merge_names_a_folder_without_a_store(tmp_path):
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["merge", str(tmp_path / "empty"), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'empty' / 'results.sqlite'}: no results store here (not a run folder)"
    ]


def _store(run: Path, *rows) -> Path:
    with store.connect(run) as con:
        for row in rows:
            store.insert(con, row)
    return run


def test_merge_refuses_two_scores_of_one_instance_and_other_versions(tmp_path, make_row):
    suite = {"suite": "smoke-s0", "model_version": "1", "verifier_version": "v1"}
    a = _store(tmp_path / "a", make_row(key="k0", idx=0, **suite))
    b = _store(tmp_path / "b", make_row(key="k1", idx=1, **suite))
    clash = _store(tmp_path / "c", make_row(key="other", idx=1, value=0.2, **suite))
    newer = _store(tmp_path / "d", make_row(key="k2", idx=2, **{**suite, "model_version": "2"}))
    cases = [
        ([b, clash], "different scores of m on projectile-v1 1"),
        ([a, newer], "model version of m on smoke-s0: '1' and '2'"),
    ]
    for runs, why in cases:
        out = tmp_path / f"m-{runs[1].name}"
        result = runner.invoke(app, ["merge", *map(str, runs), "--out", str(out)])
        assert result.exit_code == 2, result.output
        (line,) = result.stderr.strip().splitlines()
        assert line == f"error: cannot merge {runs[0]} and {runs[1]}: {why}" + (
            " (merge shards of one run, each once)" if "scores" in why else ""
        )
        assert not (out / "results.sqlite").exists()
    result = runner.invoke(app, ["merge", str(a), str(b), "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert [r.key for r in store.rows(tmp_path / "m")] == ["k0", "k1"]


def _generate(out: Path, *extra: str) -> None:
    result = runner.invoke(
        app, ["generate", *SUITE_ARGS, "--out", str(out), "--workers", "1", "-q", *extra]
    )
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def suites(tmp_path_factory) -> tuple[Path, Path]:
    """The same small suite generated whole, and by two shards into one shared folder."""
    root = tmp_path_factory.mktemp("shards")
    _generate(root / "whole")
    _generate(root / "shared", "--shard", "2/2")
    assert not (root / "shared" / SUITE_FILE).exists()  # not whole yet
    _generate(root / "shared", "--shard", "1/2")
    return root / "whole", root / "shared"


@pytest.mark.slow
def test_generate_shards_in_a_shared_folder_make_the_whole_suite(suites, tmp_path):
    whole, shared = suites
    assert folder_bytes(shared) == folder_bytes(whole)  # suite.json and questions.json included
    # alone, a shard writes only its instances and no suite.json; a later unsharded
    # generate into the same folder completes it
    generate_suite(
        "smoke",
        tmp_path / "s",
        n=2,
        families=["projectile", "dominoes"],
        workers=1,
        shard=Shard(1, 2),
    )
    assert not (tmp_path / "s" / SUITE_FILE).exists()
    assert len(list((tmp_path / "s").glob("*/0*"))) < len(list(whole.glob("*/0*")))
    generate_suite("smoke", tmp_path / "s", n=2, families=["projectile", "dominoes"], workers=1)
    assert folder_bytes(tmp_path / "s") == folder_bytes(whole)


@pytest.mark.slow
def test_shards_merged_equal_one_run(suites, tmp_path):
    whole, _ = suites
    common = [
        "--suite",
        str(whole),
        "--model",
        "oracle",
        "--model",
        "static",
        "--workers",
        "1",
        "-q",
    ]
    for args in ([], ["--shard", "1/2"], ["--shard", "2/2"]):
        out = tmp_path / ("full" if not args else f"s{args[1][0]}")
        result = runner.invoke(app, ["run", *common, "--out", str(out), *args])
        assert result.exit_code == 0, result.output
    assert 0 < len(comparable_rows(tmp_path / "s1")) < len(comparable_rows(tmp_path / "full"))
    result = runner.invoke(
        app, ["merge", str(tmp_path / "s1"), str(tmp_path / "s2"), "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 0, result.output
    assert comparable_rows(tmp_path / "m") == comparable_rows(tmp_path / "full")
    videos = [p.relative_to(tmp_path / "full") for p in (tmp_path / "full" / "videos").rglob("*.*")]
    assert all((tmp_path / "m" / v).is_file() for v in videos)  # videos and their records
    record = json.loads(
        (tmp_path / "m" / "videos" / "oracle" / "projectile-v1" / "00000.json").read_text()
    )
    assert record["instance"] == str((whole / "projectile-v1" / "00000").resolve())
    # merging a shard again changes nothing
    result = runner.invoke(app, ["merge", str(tmp_path / "s1"), "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert comparable_rows(tmp_path / "m") == comparable_rows(tmp_path / "full")
    # a shard of another suite (the same tasks under another suite seed) is one line
    suite = tmp_path / "suite-seed1"
    shutil.copytree(whole, suite)
    meta = json.loads((suite / SUITE_FILE).read_text())
    (suite / SUITE_FILE).write_text(json.dumps({**meta, "seed": 1}))
    other = tmp_path / "other"
    args = [*common[2:], "--suite", str(suite), "--out", str(other), "--shard", "2/2"]
    result = runner.invoke(app, ["run", *args])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["merge", str(tmp_path / "s1"), str(other), "--out", str(tmp_path / "m4")]
    )
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert "cannot merge" in line and "smoke-s1-" in line
    assert not (tmp_path / "m4" / "results.sqlite").exists()


@pytest.mark.slow
def test_shards_of_a_named_suite_generate_only_their_instances(tmp_path):
    def run(out: Path, shard: Shard | None = None) -> None:
        api.run_model("oracle", "smoke", out, n=2, families=["projectile"], workers=1, shard=shard)

    run(tmp_path / "full")
    for k in (1, 2):
        run(tmp_path / f"s{k}", Shard(k, 2))
    (suite,) = (tmp_path / "full" / "suites").iterdir()
    part = tmp_path / "s1" / "suites" / suite.name
    assert len(list(part.glob("*/0*"))) == 1 and not (part / SUITE_FILE).exists()
    assert (
        comparable_rows(tmp_path / "s1")[0]["suite"]
        == comparable_rows(tmp_path / "full")[0]["suite"]
    )
    merged = tmp_path / "m"
    merge(([tmp_path / "s1", tmp_path / "s2"]), merged)
    assert comparable_rows(merged) == comparable_rows(tmp_path / "full")
    assert folder_bytes(merged / "suites") == folder_bytes(
        tmp_path / "full" / "suites"
    )  # suite.json too
