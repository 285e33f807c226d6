"""Answers to a suite's questions: a file written by hand (right, wrong, missing, other
case, a letter, a number, an unreadable reply) graded exactly, per kind with CIs; a rerun
changes nothing, a changed file replaces every row; mistakes in the file are one line;
the baselines; the leaderboard and the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vidreason import store
from vidreason.answers import (
    SuiteQuestion,
    baseline_values,
    grade,
    load_questions,
    match,
    score_answers,
)
from vidreason.cli import app
from vidreason.store import AnswerRow

MODEL = "vlm"


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def letter(q: SuiteQuestion, choice: str) -> str:
    return chr(ord("a") + q.choices.index(choice))


def hand_file(suite: Path, path: Path) -> tuple[list[SuiteQuestion], dict[str, str]]:
    """The answers file of the tests, and the status each of its questions must get."""
    qs = load_questions(suite)
    choice = [q for q in qs if q.choices]
    yes_no = [q for q in qs if not q.choices and q.answer in ("yes", "no")]
    number = [q for q in qs if not q.choices and q.answer.isdigit()]
    assert len(choice) >= 3 and len(yes_no) >= 3 and len(number) >= 2
    wrong_choice = next(c for c in choice[2].choices if c != choice[2].answer)
    lines = [
        ({"id": number[0].qid, "answer": int(number[0].answer)}, "correct"),
        (
            {"id": choice[0].qid, "answer": "  " + "   ".join(choice[0].answer.upper().split())},
            "correct",
        ),
        (
            {"id": choice[1].qid, "answer": f"({letter(choice[1], choice[1].answer).upper()})"},
            "correct",
        ),
        ({"id": choice[2].qid, "answer": letter(choice[2], wrong_choice)}, "wrong"),
        ({"id": yes_no[0].qid, "answer": "No" if yes_no[0].answer == "yes" else "Yes"}, "wrong"),
        ({"id": yes_no[1].qid, "answer": yes_no[1].answer.upper()}, "correct"),
        ({"id": yes_no[2].qid, "answer": None, "reply": "I am not sure"}, "unparsed"),
        ({"id": number[1].qid, "answer": "seventeen"}, "wrong"),
    ]
    text = "\n".join(json.dumps(d) for d, _ in lines)
    path.write_text(text + "\n\n")  # a blank line is skipped
    return qs, {d["id"]: status for d, status in lines}


def test_a_hand_written_file_is_graded_exactly(question_suite, tmp_path) -> None:
    qs, expected = hand_file(question_suite, tmp_path / "answers.jsonl")
    run = tmp_path / "run"
    result = invoke(
        "answer", "--suite-dir", question_suite, "--answers", tmp_path / "answers.jsonl",
        "--model-name", MODEL, "--out", run,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    n = len(qs)
    assert f"{n} questions: 4 correct, 3 wrong, {n - 8} unanswered, 1 unreadable" in result.stdout
    assert f"{n - 8} questions unanswered (counted wrong)" in result.stderr
    assert "1 question without a readable answer" in result.stderr

    rows = {r.qid: r for r in store.answer_rows(run)}
    assert set(rows) == {q.qid for q in qs}  # every question has a row
    for q in qs:
        assert rows[q.qid].status == expected.get(q.qid, "unanswered"), q.qid
    unparsed = next(r for r in rows.values() if r.status == "unparsed")
    assert unparsed.reply == "I am not sure" and not unparsed.correct

    board = json.loads(invoke("leaderboard", run, "--json").stdout)["answers"]["entries"]
    mine = {(e["by"], e["group"]): e for e in board if e["model"] == MODEL}
    assert mine[("all", "*")]["accuracy"] == round(4 / n, 6)
    assert mine[("all", "*")]["n"] == n and mine[("all", "*")]["answered"] == 7
    for kind in {q.kind for q in qs}:
        of_kind = [q for q in qs if q.kind == kind]
        right = sum(expected.get(q.qid) == "correct" for q in of_kind)
        e = mine[("kind", kind)]
        assert e["n"] == len(of_kind) and e["accuracy"] == round(right / len(of_kind), 6), kind
        assert e["ci_low"] <= e["accuracy"] <= e["ci_high"]
        if right == 0:
            assert e["ci_low"] == e["ci_high"] == 0.0
    overall = mine[("all", "*")]
    assert 0 < overall["ci_low"] < overall["accuracy"] < overall["ci_high"] < 1
    for family in {q.family for q in qs}:
        of = [q for q in qs if q.family == family]
        right = sum(expected.get(q.qid) == "correct" for q in of)
        assert mine[("family", family)]["accuracy"] == round(right / len(of), 6)
    assert {g for by, g in mine if by == "capability"} == {"causal", "temporal"}
    models = {e["model"] for e in board}
    assert models == {MODEL, "baseline:random", "baseline:majority"}

    table = invoke("leaderboard", run)
    assert table.exit_code == 0, table.output
    assert "Answers to the questions" in table.stdout and "baseline:majority" in table.stdout
    assert f"{n - 8} unanswered, 1 unparsed" in table.stderr


def test_a_rerun_changes_nothing_and_a_changed_file_replaces_every_row(
    question_suite, tmp_path
) -> None:
    path = tmp_path / "answers.jsonl"
    qs, expected = hand_file(question_suite, path)
    run = tmp_path / "run"
    args = ("answer", "--suite-dir", question_suite, "--answers", path, "--model-name", MODEL)
    assert invoke(*args, "--out", run).exit_code == 0
    before, sets = store.answer_rows(run), store.answer_sets(run)
    again = invoke(*args, "--out", run)
    assert again.exit_code == 0 and "already in the store" in again.stdout
    assert store.answer_rows(run) == before and store.answer_sets(run) == sets

    # one answer changed: that row is replaced, the others stay
    docs = [json.loads(line) for line in path.read_text().splitlines() if line]
    wrong = next(d for d in docs if expected[d["id"]] == "wrong" and isinstance(d["answer"], str))
    q = next(q for q in qs if q.qid == wrong["id"])
    wrong["answer"] = q.answer
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    changed = invoke(*args, "--out", run)
    assert changed.exit_code == 0 and "5 correct" in changed.stdout and "stored" in changed.stdout
    assert {r.qid: r.status for r in store.answer_rows(run)}[q.qid] == "correct"

    # a file with one line left: the others are unanswered now, no stale row survives
    path.write_text(json.dumps(docs[0]) + "\n")
    assert invoke(*args, "--out", run).exit_code == 0
    statuses = [r.status for r in store.answer_rows(run)]
    assert statuses.count("correct") == 1 and statuses.count("unanswered") == len(qs) - 1
    assert len(statuses) == len(qs)
    assert store.answer_sets(run)[0].counts["unanswered"] == len(qs) - 1


FIRST = '{"id": "trigger-v1/00000/0", "answer": "2"}'
BAD = {  # the file's text, and what its one line must say
    "not json": (f'{FIRST}\n{{"id": ', ":2: not JSON"),
    "not an object": ('["a", "b"]', ":1: expected an object"),
    "no id": ('{"answer": "yes"}', ':1: no "id"'),
    "unknown id": ('{"id": "trigger-v1/00000/99", "answer": "2"}', ":1: unknown question id"),
    "twice": (
        f"{FIRST}\n{FIRST}",
        ":2: question 'trigger-v1/00000/0' answered twice (first on line 1)",
    ),
    "no answer": ('{"id": "trigger-v1/00000/0"}', ':1: no "answer"'),
    "a list": ('{"id": "trigger-v1/00000/0", "answer": ["2"]}', "must be a string or a number"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_mistake_in_the_file_is_one_line_naming_it(question_suite, tmp_path, case) -> None:
    path = tmp_path / f"{case.replace(' ', '-')}.jsonl"
    text, wanted = BAD[case]
    path.write_text(text + "\n")
    run = tmp_path / "run"
    result = invoke(
        "answer", "--suite-dir", question_suite, "--answers", path, "--model-name", MODEL,
        "--out", run,
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert str(path) in line and wanted in line, line
    assert not (run / "results.sqlite").exists()  # nothing stored from a broken file


def test_other_mistakes_are_one_line(question_suite, tmp_path) -> None:
    missing = tmp_path / "nowhere.jsonl"
    cases = [
        (("--answers", missing, "--model-name", MODEL), f"{missing}: no such answers file"),
        (("--answers", missing), "--answers needs --model-name"),
        ((), "give --answers FILE"),
        (("--answers", missing, "--model-name", "baseline:random"), "name of a baseline"),
    ]
    for extra, wanted in cases:
        r = invoke("answer", "--suite-dir", question_suite, "--out", tmp_path / "run", *extra)
        assert r.exit_code == 2 and wanted in r.stderr and "\n" not in r.stderr.strip(), r.output
    r = invoke(
        "answer", "--suite-dir", tmp_path, "--answers", missing, "--model-name", "m", "--out", tmp_path / "run"
    )  # fmt: skip
    assert r.exit_code == 2 and "no questions" in r.stderr


def question(qid: str, kind: str, answer: str, choices: tuple[str, ...] = ()) -> SuiteQuestion:
    return SuiteQuestion(
        qid, qid.rsplit("/", 1)[0], "f-v1", "causal", 0, kind, "?", answer, choices
    )


def test_matching_folds_case_and_space_and_reads_letters() -> None:
    q = question("f-v1/00000/0", "explanatory", "red ball", ("blue ball", "red ball"))
    assert match(" RED   Ball ", q) == "red ball"
    assert [match(x, q) for x in ("b", "B", "(B)", "b.", "B)")] == ["red ball"] * 5
    assert match("c", q) == "c"  # no third choice
    assert match("2.0", question("f-v1/00000/1", "descriptive", "2")) == "2"
    open_q = question("f-v1/00000/1", "descriptive", "2")
    assert match("b", open_q) == "b"  # letters only for questions with choices


def test_an_index_without_its_zeros_is_the_same_question(question_suite, tmp_path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(
        '{"id": "trigger-v1/0/0", "answer": "x"}\n{"id": "trigger-v1/00000/0", "answer": "y"}\n'
    )
    r = invoke(
        "answer",
        "--suite-dir",
        question_suite,
        "--answers",
        path,
        "--model-name",
        "m",
        "--out",
        tmp_path / "r",
    )
    assert r.exit_code == 2 and "'trigger-v1/00000/0' answered twice (first on line 1)" in r.stderr


def test_baselines_are_computed_on_the_suites_questions() -> None:
    qs = [
        question("f-v1/00000/0", "predictive", "yes"),
        question("f-v1/00001/0", "predictive", "yes"),
        question("f-v1/00002/0", "predictive", "no"),
        question("f-v1/00000/1", "descriptive", "2"),
        question("f-v1/00001/1", "descriptive", "3"),
        question("f-v1/00002/1", "descriptive", "3"),
        question("f-v1/00000/2", "explanatory", "red ball", ("red ball", "blue ball", "wall")),
    ]
    rows: list[AnswerRow] = grade("m", "s", qs, {})
    values = baseline_values(rows)
    assert values["baseline:random"] == {
        **{q.qid: 0.5 for q in qs[:6]},  # yes or no; 2 or 3 (the numbers of the group)
        qs[6].qid: pytest.approx(1 / 3),
    }
    assert [values["baseline:majority"][q.qid] for q in qs] == [1, 1, 0, 0, 1, 1, 1]

    from vidreason.report.answers import answer_leaderboard

    board = answer_leaderboard(rows)
    overall = {e.model: e for e in board if e.by == "all"}
    assert overall["m"].accuracy == 0 and overall["m"].answered == 0
    assert overall["baseline:random"].accuracy == round((6 * 0.5 + 1 / 3) / 7, 6)
    assert overall["baseline:majority"].accuracy == round(5 / 7, 6)
    assert all(e.baseline for e in board if e.model.startswith("baseline:"))


def test_the_report_has_a_questions_section(question_suite, tmp_path) -> None:
    from vidreason.report.html import write_report

    hand_file(question_suite, tmp_path / "answers.jsonl")
    run = tmp_path / "run"
    args = ("--answers", tmp_path / "answers.jsonl", "--model-name", MODEL, "--out", run)
    assert invoke("answer", "--suite-dir", question_suite, *args).exit_code == 0
    html = write_report(run).read_text()
    section = html[html.index('<section id="answers">') : html.index("</section>", html.index('<section id="answers">'))]  # fmt: skip
    assert 'href="#answers"' in html
    for name in (MODEL, "baseline:random", "baseline:majority", "counterfactual", "predictive"):
        assert name in section, name
    n = len(load_questions(question_suite))
    assert f"{4 / n:.3f}" in section  # the model's accuracy over all questions
    assert f"{n - 8} unanswered, 1 unreadable" in section


def test_forget_removes_a_models_answers(question_suite, tmp_path) -> None:
    qs, _ = hand_file(question_suite, tmp_path / "answers.jsonl")
    run = tmp_path / "run"
    for name in ("vlm", "other"):
        score_answers(question_suite, tmp_path / "answers.jsonl", name, run)
    gone = invoke("forget", run, "--model", "vlm")
    assert gone.exit_code == 0, gone.output
    assert f"removed 0 scores and {len(qs)} answers of vlm" in gone.stdout
    assert {r.model for r in store.answer_rows(run)} == {"other"}
    assert [s.model for s in store.answer_sets(run)] == ["other"]
    again = invoke("forget", run, "--model", "vlm")
    assert again.exit_code == 2 and "no rows of 'vlm'" in again.stderr and "other" in again.stderr


def test_merge_carries_answers_and_refuses_two_different_sets(question_suite, tmp_path) -> None:
    """Two run folders, each with one model's answers, merge into one holding both; a run
    whose answers of the same model differ is one line naming both runs."""
    path = tmp_path / "answers.jsonl"
    hand_file(question_suite, path)
    base = ("answer", "--suite-dir", question_suite, "--answers", path)
    assert invoke(*base, "--model-name", "a", "--out", tmp_path / "r1").exit_code == 0
    assert invoke(*base, "--model-name", "b", "--out", tmp_path / "r2").exit_code == 0
    merged = invoke("merge", tmp_path / "r1", tmp_path / "r2", "--out", tmp_path / "all")
    assert merged.exit_code == 0, merged.output
    assert "2 models' answers" in merged.stdout
    rows = store.answer_rows(tmp_path / "all")
    assert {r.model for r in rows} == {"a", "b"}
    one = [(r.qid, r.status) for r in store.answer_rows(tmp_path / "r1")]
    assert sorted((r.qid, r.status) for r in rows if r.model == "a") == sorted(one)
    again = invoke("merge", tmp_path / "r1", "--out", tmp_path / "all")
    assert again.exit_code == 0 and store.answer_rows(tmp_path / "all") == rows

    path.write_text(path.read_text().splitlines()[0] + "\n")  # other answers of "a"
    assert invoke(*base, "--model-name", "a", "--out", tmp_path / "r3").exit_code == 0
    clash = invoke("merge", tmp_path / "r3", "--out", tmp_path / "all")
    assert clash.exit_code == 2
    assert "different answers of a" in clash.stderr and str(tmp_path / "r3") in clash.stderr
