"""The command line, end to end through Typer's test runner.

Click >= 8.2 keeps stderr apart: ``result.stdout`` and ``result.stderr`` are separate and
``result.output`` is both, as a terminal shows them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import SMALL
from vidreason import store
from vidreason.cli import app
from vidreason.instance_io import find_instances
from vidreason.runner.plan import video_name
from vidreason.tasks import FAMILIES as REGISTERED
from vidreason.tasks import get_family

FAMILIES = REGISTERED.names()  # bounce-v1, collision-v1, projectile-v1, ...
PAIRED = [f for f in FAMILIES if get_family(f).paired]
MODELS = ["blank", "jump-cut", "oracle", "reversed", "shuffled", "static"]
ENTRY_KEYS = {
    "model",
    "family",
    "capability",
    "n",
    "mean",
    "ci_low",
    "ci_high",
    "pass_rate",
    "kind",
    "suite",
    "seeds",
    "seed_sd",
    "goal_conditioned",
}


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_user_error(result, *names: str, one_line: bool = True) -> None:
    """Exit 2 with one line on stderr, no traceback, naming each of ``names``."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    text = result.stderr.strip()
    if one_line:
        assert "\n" not in text, result.stderr
    else:  # see test_errors_stay_on_one_line
        text = unwrapped(text)
    assert text.startswith("error:")
    for name in names:
        assert name in text, (name, text)


def unwrapped(text: str) -> str:
    """The text with rich's line wrapping undone (paths carry no spaces)."""
    return "".join(text.splitlines())


def leaderboard_json(run_dir: Path) -> list[dict]:
    """The entries of ``leaderboard --json`` (checking its ``runs`` part on the way)."""
    result = invoke("leaderboard", run_dir, "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    payload = json.loads(result.stdout)
    assert set(payload) == {"entries", "runs", "answers"}
    assert payload["answers"] == {"entries": [], "sets": []}  # no model answered questions
    for r in payload["runs"]:
        assert {"model", "suite", "rows", "missing", "unreadable", "unmatched"} <= set(r)
    return payload["entries"]


def test_tasks_lists_the_families():
    result = invoke("tasks")
    assert result.exit_code == 0, result.output
    for family in FAMILIES:
        assert family in result.stdout
    assert "pymunk" in result.stdout and "physics" in result.stdout


def test_models_lists_the_six_models():
    result = invoke("models")
    assert result.exit_code == 0, result.output
    for name in MODELS:
        assert f" {name} " in result.stdout


@pytest.mark.slow
def test_generate_writes_the_same_bytes_twice(tmp_path):
    def files(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    for name in ("a", "b"):
        args = ["--suite", "smoke", "--out", tmp_path / name, "--n", 1, "--seed", 5]
        result = invoke("generate", *args, "--workers", 1, "-q")
        assert result.exit_code == 0, result.output
        assert f"wrote {len(FAMILIES) + len(PAIRED)} instances" in result.stdout
    a, b = files(tmp_path / "a"), files(tmp_path / "b")
    assert a == b
    assert [p.relative_to(tmp_path / "a") for p in find_instances(tmp_path / "a")] == [
        Path(f) / f"{i:05d}" for f in FAMILIES for i in range(2 if f in PAIRED else 1)
    ]  # a counterfactual pair is generated whole
    meta = json.loads(a["suite.json"])
    assert meta["suite"] == "smoke" and meta["seed"] == 5 and meta["n_per_family"] == 1
    assert meta["families"] == FAMILIES
    task = json.loads(a["projectile-v1/00000/task.json"])
    assert task["seed"] == 5 and task["index"] == 0


def test_generate_unknown_suite_is_a_one_line_error(tmp_path):
    result = invoke("generate", "--suite", "smok", "--out", tmp_path / "x", "--workers", 1)
    assert_user_error(result, "smok", "did you mean", "'smoke'")
    assert not (tmp_path / "x").exists()


def test_run_then_leaderboard_json(small_suite, tmp_path):
    """Every family of the suite in the JSON leaderboard, pairs and capabilities included."""
    run_dir = tmp_path / "R"
    args = ["--model", "oracle", "--model", "static", "--suite", small_suite, "--out", run_dir]
    result = invoke("run", *args, "--workers", 1, "-q")
    assert result.exit_code == 0, result.output
    total = 2 * len(find_instances(small_suite))
    assert f"{total} videos: {total} scored, 0 already in the store" in result.stdout
    for family in SMALL:
        assert (run_dir / "videos" / "static" / family / "00001.mp4").is_file()

    entries = leaderboard_json(run_dir)
    assert isinstance(entries, list)
    assert all(isinstance(e, dict) and set(e) == ENTRY_KEYS for e in entries)
    pairs = [e for e in entries if e["kind"] == "pairs"]
    assert {(e["model"], e["family"]) for e in pairs} == {
        (m, f) for m in ("oracle", "static") for f in SMALL if get_family(f).paired
    }
    assert all(e["n"] == 1 and e["pass_rate"] == float(e["model"] == "oracle") for e in pairs)
    entries = [e for e in entries if e["kind"] == "instances"]
    assert {(e["model"], e["family"]) for e in entries} == {
        (m, f) for m in ("oracle", "static") for f in [*SMALL, "*"]
    }
    for e in entries:
        if e["family"] == "*":
            assert e["n"] == 2 * sum(get_family(f).capability == e["capability"] for f in SMALL)
        else:
            assert e["n"] == 2 and e["capability"] == get_family(e["family"]).capability
        assert e["ci_low"] <= e["mean"] <= e["ci_high"]
        if e["model"] == "oracle":
            assert e["mean"] >= 0.95 and e["pass_rate"] == 1.0
        else:
            assert e["mean"] <= 0.10 and e["pass_rate"] == 0.0
    capabilities = {get_family(f).capability for f in SMALL}
    assert {(e["model"], e["capability"]) for e in entries if e["family"] == "*"} == {
        (m, c) for m in ("oracle", "static") for c in capabilities
    }

    again = invoke("run", *args, "--workers", 1, "-q")
    assert f"{total} videos: 0 scored, {total} already in the store" in again.stdout

    table = invoke("leaderboard", run_dir)
    assert table.exit_code == 0 and "oracle" in table.stdout and "95% CI" in table.stdout


def test_score_a_folder_with_a_corrupt_video(small_suite, small_truth_videos, tmp_path):
    corrupt = small_truth_videos / video_name(small_suite / "collision-v1" / "00001")
    corrupt.write_bytes(b"\xde\xad\xbe\xef not an mp4 " * 30)
    run_dir = tmp_path / "R2"
    args = ["--suite-dir", small_suite, "--videos", small_truth_videos, "--model-name", "mine"]
    result = invoke("score", *args, "--out", run_dir, "--workers", 1, "-q")
    assert result.exit_code == 0, result.output
    n = len(find_instances(small_suite))
    assert f"{n} videos: {n} scored" in result.stdout
    # rich wraps long lines; test_errors_stay_on_one_line checks that it should not
    assert str(corrupt.resolve()) in unwrapped(result.stderr)
    assert "1 video could not be read (scored 0):" in result.stderr
    rows = {Path(r.video): r for r in store.rows(run_dir)}
    assert len(rows) == n and {r.model for r in rows.values()} == {"mine"}
    bad = rows.pop(corrupt.resolve())
    assert bad.value == 0 and not bad.passed and str(corrupt.resolve()) in bad.error
    assert all(r.value >= 0.95 and r.passed for r in rows.values())


def test_score_without_the_videos_folder(suite_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["--suite-dir", suite_dir, "--videos", "nope", "--model-name", "m", "--out", "R"]
    result = invoke("score", *args, "--workers", 1)
    assert_user_error(result, "nope", "no such videos folder")


def test_score_without_a_suite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "videos").mkdir()
    args = ["--suite-dir", "gone", "--videos", "videos", "--model-name", "m", "--out", "R"]
    assert_user_error(invoke("score", *args, "--workers", 1), "gone")


def test_leaderboard_without_a_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    result = invoke("leaderboard", "empty", "--json")
    assert_user_error(result, str(Path("empty") / "results.sqlite"), one_line=False)


def test_report_without_a_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_user_error(invoke("report", "empty"), str(Path("empty") / "results.sqlite"))


def test_run_an_unknown_model(suite_dir, tmp_path):
    result = invoke("run", "--model", "oracel", "--suite", suite_dir, "--out", tmp_path / "R")
    assert_user_error(result, "oracel", "did you mean 'oracle'", one_line=False)


@pytest.mark.slow
def test_check_a_family():
    result = invoke("check", "projectile-v1", "--n", 1, "--workers", 1)
    assert result.exit_code == 0, result.output
    assert "projectile-v1" in result.stdout and "ok" in result.stdout
    assert "bounce-v1" not in result.stdout


def test_check_an_unknown_family():
    result = invoke("check", "no-such-family", "--n", 1, "--workers", 1)
    assert_user_error(result, "no-such-family", "unknown task family", one_line=False)


def _demo(run_dir: Path, families: list[str], workers: int) -> None:
    """``vidreason demo`` on ``families``: every model scored on two instances of each, the
    oracle near 1 and every baseline near 0, the report written."""
    picked = [a for f in families for a in ("--family", f)] if families != FAMILIES else []
    result = invoke("demo", "--out", run_dir, *picked, "--workers", workers, "-q")
    assert result.exit_code == 0, result.output
    total = len(MODELS) * 2 * len(families)
    assert f"{total} videos: {total} scored" in result.stdout
    assert (run_dir / "report.html").is_file() and (run_dir / "results.sqlite").is_file()
    assert result.stderr == ""
    entries = [
        e for e in leaderboard_json(run_dir) if e["family"] != "*" and e["kind"] == "instances"
    ]
    assert {(e["model"], e["family"]) for e in entries} == {
        (m, f) for m in MODELS for f in families
    }
    for e in entries:
        assert e["n"] == 2
        if e["model"] == "oracle":
            assert e["mean"] >= 0.95, e
        else:
            assert e["mean"] <= 0.10, e


def test_demo_of_one_family(tmp_path):
    _demo(tmp_path / "R3", ["projectile-v1"], workers=1)


@pytest.mark.slow
def test_demo_on_several_families_with_two_workers(tmp_path):
    _demo(tmp_path / "R3", ["bounce-v1", "dominoes-v1", "maze-v1"], workers=2)


LONG = "a-folder-with-a-long-name-" * 5


@pytest.mark.parametrize("case", ["user-error", "failed-video", "unknown-name"])
def test_errors_stay_on_one_line(suite_dir, tmp_path, case):
    if case == "unknown-name":  # a short input, but the message lists every known model
        result = invoke("run", "--model", "oracel", "--suite", suite_dir, "--out", tmp_path)
        assert result.exit_code == 2
        assert len(result.stderr.splitlines()) == 1, result.stderr
        return
    videos = tmp_path / LONG / LONG / "videos"
    if case == "failed-video":
        videos.mkdir(parents=True)  # an empty folder: every video is missing
    args = ["--suite-dir", suite_dir, "--videos", videos, "--model-name", "m"]
    result = invoke("score", *args, "--out", tmp_path / "R", "--workers", 1, "-q")
    lines = result.stderr.splitlines()
    if case == "user-error":
        assert result.exit_code == 2
        assert len(lines) == 1 and str(videos) in lines[0]
    else:
        assert result.exit_code == 0
        n = len(find_instances(suite_dir))
        (line,) = lines
        assert line.startswith(f"{n} videos missing (scored 0): ")
        assert line.endswith(f", and {n - 5} more")
        for d in find_instances(suite_dir)[:5]:
            assert str((videos / video_name(d)).resolve()) in line


@pytest.mark.parametrize("case", ["user-error", "bad-markup", "failed-video", "model-name"])
def test_user_text_is_not_read_as_markup(suite_dir, tmp_path, monkeypatch, make_row, case):
    monkeypatch.chdir(tmp_path)
    if case == "model-name":
        with store.connect(tmp_path / "R") as con:
            store.insert(con, make_row(model="sora[v2]"))
        result = invoke("leaderboard", "R")
        assert result.exit_code == 0
        assert "sora[v2]" in result.stdout
        return
    videos = {"user-error": "videos[final]", "bad-markup": "run[/x]"}.get(case, "out[v2]")
    if case == "failed-video":
        Path(videos).mkdir()  # empty: every video is missing
    args = ["--suite-dir", suite_dir, "--videos", videos, "--model-name", "m", "--out", "R"]
    result = invoke("score", *args, "--workers", 1, "-q")
    if case == "failed-video":
        assert result.exit_code == 0
        assert str(Path(videos).resolve() / "bounce-v1" / "00000.mp4") in unwrapped(result.stderr)
    else:
        assert_user_error(result, videos)


def test_runs_and_forget(tmp_path, make_row):
    run_dir = tmp_path / "R"
    with store.connect(run_dir) as con:
        store.insert(con, make_row(model="mine", suite="core-s0", key="a"))
        store.insert(con, make_row(model="mine", suite="core-s0", key="b", idx=1, status="missing"))
        store.insert(con, make_row(model="other", suite="core-s0", key="c"))
    listed = invoke("runs", run_dir)
    assert listed.exit_code == 0, listed.output
    assert "mine" in listed.stdout and "other" in listed.stdout and "core-s0" in listed.stdout
    statuses = json.loads(invoke("runs", run_dir, "--json").stdout)
    assert [(s["model"], s["rows"], s["missing"]) for s in statuses] == [
        ("mine", 2, 1),
        ("other", 1, 0),
    ]
    table = invoke("leaderboard", run_dir)
    assert table.exit_code == 0
    assert "mine on core-s0: 1 missing" in table.stderr

    unknown = invoke("forget", run_dir, "--model", "mien")
    assert_user_error(unknown, "'mien'", "mine (core-s0)", one_line=False)
    gone = invoke("forget", run_dir, "--model", "mine")
    assert gone.exit_code == 0 and "removed 2 scores of mine" in gone.stdout
    assert [s["model"] for s in json.loads(invoke("runs", run_dir, "--json").stdout)] == ["other"]


def _out_args(verb: str, suite_dir: Path, out: Path, run_dir: Path) -> list[object]:
    videos = ["--videos", suite_dir, "--model-name", "m"]
    return {
        "generate": ["generate", "--suite", "smoke", "--n", 1, "--out", out],
        "run": ["run", "--model", "oracle", "--suite", suite_dir, "--out", out],
        "score": ["score", "--suite-dir", suite_dir, *videos, "--out", out],
        "demo": ["demo", "--out", out],
        "audit": ["audit", "projectile-v1", "--n", 1, "--out", out],
        "audit-run-dir": ["audit", "projectile-v1", "--n", 1, "--run-dir", out],
        "report": ["report", run_dir, "--out", out],
        "export": ["export", suite_dir, "--out", out],
        "import": ["import", suite_dir, "--out", out],
    }[verb]


OUT_VERBS = ["generate", "run", "score", "demo", "audit", "audit-run-dir", "report", "export"]


@pytest.mark.parametrize("verb", [*OUT_VERBS, "import"])
@pytest.mark.parametrize("case", ["under-a-file", "is-a-file"])
def test_an_unusable_out_is_one_line_before_any_work(suite_dir, tmp_path, make_row, verb, case):
    run_dir = tmp_path / "R"
    with store.connect(run_dir) as con:
        store.insert(con, make_row())
    blocker = tmp_path / "taken"
    blocker.write_text("a file")
    out = blocker / "sub" if case == "under-a-file" else blocker
    if case == "is-a-file" and verb in ("audit", "report"):  # these write a file
        out = tmp_path
    extra = [] if verb in ("report", "export", "import") else ["--workers", 1, "-q"]
    result = invoke(*_out_args(verb, suite_dir, out, run_dir), *extra)
    assert_user_error(result, str(out))
    assert blocker.read_text() == "a file"


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "projectile-v1", "--n", 0],
        ["audit", "projectile-v1", "--n", -1],
        ["check", "projectile-v1", "--n", 0],
        ["run", "--model", "oracle", "--suite", "smoke", "--n", 0, "--out", "R"],
        ["generate", "--suite", "smoke", "--n", -1, "--out", "S"],
        ["demo", "--workers", 0, "--out", "R"],
    ],
)
def test_counts_below_one_are_refused(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    option = "--workers" if "--workers" in args else "--n"
    value = args[args.index(option) + 1]
    assert_user_error(result, f"{option} must be at least 1, got {value}")
    assert list(tmp_path.iterdir()) == []


def test_every_unreadable_task_file_is_named(suite_dir, truth_videos, tmp_path):
    import shutil

    suite = tmp_path / "suite"
    for family in ("projectile-v1", "bounce-v1"):
        shutil.copytree(suite_dir / family, suite / family)
    bad = [
        suite / "projectile-v1" / "00001" / "task.json",
        suite / "bounce-v1" / "00000" / "task.json",
    ]
    bad[0].write_text("{ not json")
    bad[1].write_text('{"spec": {}}')
    args = ["--suite-dir", suite, "--videos", truth_videos, "--model-name", "m"]
    result = invoke("score", *args, "--out", tmp_path / "R", "--workers", 1, "-q")
    assert_user_error(result, "2 of 4 task files cannot be read", *map(str, bad))


def test_help_shows_no_value_for_flags_and_every_suite():
    from vidreason.suites import SUITES

    for verb in ([], ["generate"], ["run"], ["audit"], ["check"]):
        result = invoke(*verb, "--help")
        assert result.exit_code == 0
        assert "<bool>" not in result.stdout and "``" not in result.stdout, result.stdout
    text = unwrapped(invoke("generate", "--help").stdout).replace("│", "").replace(" ", "")
    assert ",".join(SUITES.names()) in text


def test_progress_is_a_plain_line_per_stage_off_a_terminal(tmp_path):
    result = invoke(
        "generate",
        "--suite",
        "smoke",
        "--family",
        "projectile-v1",
        "--n",
        1,
        "--out",
        tmp_path / "S",
        "--workers",
        1,
    )
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == "generate smoke: 1 to do"
    assert lines[1].startswith("generate smoke: 1 of 1 done in ")
