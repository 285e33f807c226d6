"""Answers of video-understanding models to a suite's questions (CLEVRER style), graded.

A suite's causal and temporal instances carry ``questions.json`` (see ``instance_io``).
Each question is known across the suite by ``<family>-v<N>/<index:05d>/<k>``: the instance
folder and the question's ``id`` in that instance's file (``dominoes-v1/00000/3``).

An answers file is JSON Lines, one object per question: ``{"id": ..., "answer": ...}``.
``answer`` is a string or a number; it matches the true answer when equal after folding
case and runs of white space (``" Orange  Block"`` is ``orange block``; a whole number in
any form, ``2.0``, is its digits). An id's index may lack its leading zeros. A question with
``choices`` may also be answered by the choice's letter: ``A`` (or ``a``, ``(A)``, ``A.``)
for the first choice, ``B`` for the second. ``"answer": null`` means the model's reply could
not be read as an answer (``unparsed``; ``error`` when the line says in ``"error"`` why no
answer came); an optional ``"reply"`` (the model's words) is kept with the row. A question
without a line is ``unanswered``. Every status but ``correct`` counts as wrong.

Every mistake in the file (not JSON, not an object, no id, an unknown or repeated id, an
answer that is not a string or a number) is one ``UserError`` naming the file and line.

Baselines come from the suite's own questions: ``random`` (the expected accuracy of a
uniform pick among each question's candidates) and ``majority`` (the most common answer
of the question's group on this very suite); see ``baseline_values``. To add a baseline,
give ``baseline_values`` one more entry named ``baseline:<name>`` (and ``BASELINES`` its
name): the leaderboard and the report show it.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidreason.errors import UserError
from vidreason.instance_io import QUESTIONS_FILE
from vidreason.store import AnswerRow

STATUSES = ("correct", "wrong", "unanswered", "unparsed", "error")
BASELINES = ("baseline:random", "baseline:majority")
YES_NO = ("yes", "no")
LETTER = re.compile(r"\(?([a-z])\s*[).:]?")


@dataclass(frozen=True)
class SuiteQuestion:
    """One question of a suite, with where it is asked and its true answer."""

    qid: str  # <family>-v<N>/<index:05d>/<k>
    instance: str  # <family>-v<N>/<index:05d>, relative to the suite folder
    family: str
    capability: str
    idx: int
    kind: str
    question: str
    answer: str
    choices: tuple[str, ...] = ()
    until_frame: int | None = None


@dataclass(frozen=True)
class Given:
    """One line of an answers file: the answer (None: the reply was not readable)."""

    answer: str | None
    reply: str = ""
    error: str = ""
    line: int = 0


# --------------------------------------------------------------------------- questions


def question_id(instance: str, k: int | str) -> str:
    return f"{instance}/{k}"


def load_questions(suite_dir: Path) -> list[SuiteQuestion]:
    """Every question of a suite folder, in instance order; UserError when it has none."""
    from vidreason.tasks import get_family

    suite_dir = Path(suite_dir)
    if not suite_dir.is_dir():
        raise UserError(f"{suite_dir}: no such suite folder")
    out: list[SuiteQuestion] = []
    for path in sorted(suite_dir.glob(f"*/*/{QUESTIONS_FILE}")):
        d = path.parent
        if not d.name.isdigit():
            continue
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: not valid JSON ({exc})") from None
        family, idx = d.parent.name, int(d.name)
        try:
            capability = get_family(family).capability
        except (KeyError, ValueError):
            capability = ""
        instance = f"{family}/{d.name}"
        for r in rows:
            out.append(
                SuiteQuestion(
                    qid=question_id(instance, r["id"]),
                    instance=instance,
                    family=family,
                    capability=capability,
                    idx=idx,
                    kind=r["kind"],
                    question=r["question"],
                    answer=r["answer"],
                    choices=tuple(r.get("choices", ())),
                    until_frame=r.get("until_frame"),
                )
            )
    if not out:
        raise UserError(
            f"{suite_dir}: no questions in this suite (only causal and temporal families ask them)"
        )
    return out


# --------------------------------------------------------------------------- matching


def normalise(text: object) -> str:
    """Case and runs of white space folded: what two answers must share to match."""
    return " ".join(str(text).lower().split())


def canonical_id(qid: str) -> str:
    """A question id with its instance index padded (``trigger-v1/3/0`` is
    ``trigger-v1/00003/0``) and spaces around it dropped."""
    parts = qid.strip().split("/")
    if len(parts) == 3 and parts[1].isdigit():
        parts[1] = f"{int(parts[1]):05d}"
    return "/".join(parts)


def _number(text: str) -> str:
    """A number written as a whole number in digits (``2.0``, ``+2`` -> ``2``); other
    text as it is."""
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else text


def match(given: str, q: SuiteQuestion) -> str:
    """The answer ``given`` means: the choice it names (by text or letter), else itself
    with case and spaces folded (a whole number in its digits)."""
    g = normalise(given)
    for c in q.choices:
        if normalise(c) == g:
            return c
    letter = LETTER.fullmatch(g) if q.choices else None
    if letter:
        i = ord(letter.group(1)) - ord("a")
        if i < len(q.choices):
            return q.choices[i]
    return _number(g)


# --------------------------------------------------------------------------- the file


def _answer_text(value: Any) -> str | None:
    """A JSON answer as text: a string as it is, a whole number as digits; else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return None


def read_answers(path: Path, questions: Sequence[SuiteQuestion]) -> dict[str, Given]:
    """The answers of a JSON Lines file by question id; one-line UserError for a mistake."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such answers file")
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is no mistake
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    known = {q.qid for q in questions}
    out: dict[str, Given] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            doc = json.loads(line)
        except ValueError as exc:
            raise UserError(f"{where}: not JSON ({exc})") from None
        if not isinstance(doc, dict):
            raise UserError(f'{where}: expected an object {{"id": ..., "answer": ...}}')
        if "id" not in doc:
            raise UserError(f'{where}: no "id" (the question id, e.g. "dominoes-v1/00000/0")')
        qid = doc["id"]
        if not isinstance(qid, str):
            raise UserError(f'{where}: "id" must be a string like "dominoes-v1/00000/0"')
        qid = canonical_id(qid)
        if qid not in known:
            close = difflib.get_close_matches(qid, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UserError(
                f"{where}: unknown question id {qid!r}{hint} (ids are"
                f" <family>-v<N>/<index:05d>/<k>, {len(known)} in this suite)"
            )
        if qid in out:
            raise UserError(
                f"{where}: question {qid!r} answered twice (first on line {out[qid].line})"
            )
        if "answer" not in doc:
            raise UserError(f'{where}: no "answer" for {qid!r} (null if the reply was unreadable)')
        answer = _answer_text(doc["answer"])
        if answer is None and doc["answer"] is not None:
            raise UserError(f"{where}: the answer to {qid!r} must be a string or a number")
        reply, error = doc.get("reply", ""), doc.get("error", "")
        if not isinstance(reply, str) or not isinstance(error, str):
            raise UserError(f'{where}: "reply" and "error" must be strings')
        out[qid] = Given(answer, reply, error, n)
    return out


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# --------------------------------------------------------------------------- grading


def grade(
    model: str, suite: str, questions: Sequence[SuiteQuestion], given: Mapping[str, Given]
) -> list[AnswerRow]:
    """A row for every question of the suite: answered or not."""
    out = []
    for q in questions:
        g = given.get(q.qid)
        if g is None:
            status, shown, ok = "unanswered", None, False
        elif g.answer is None:
            status, shown, ok = ("error" if g.error else "unparsed"), None, False
        else:
            shown = match(g.answer, q)
            ok = normalise(shown) == normalise(q.answer)
            status = "correct" if ok else "wrong"
        out.append(
            AnswerRow(
                model=model,
                suite=suite,
                qid=q.qid,
                family=q.family,
                capability=q.capability,
                idx=q.idx,
                kind=q.kind,
                question=q.question,
                truth=q.answer,
                choices=q.choices,
                given=shown,
                reply=g.reply if g else "",
                status=status,
                correct=ok,
                error=g.error if g else "",
            )
        )
    return out


def counts(rows: Iterable[AnswerRow]) -> dict[str, int]:
    c = Counter(r.status for r in rows)
    return {s: c.get(s, 0) for s in STATUSES}


# --------------------------------------------------------------------------- baselines


def form(truth: str) -> str:
    """What kind of answer a question takes: yes/no, a number, or a name (an object, a
    side, a reason)."""
    t = normalise(truth)
    return "yes/no" if t in YES_NO else "number" if t.isdigit() else "name"


def _group(r: AnswerRow) -> tuple[str, str, str]:
    return (r.family, r.kind, form(r.truth))


def baseline_values(rows: Iterable[AnswerRow]) -> dict[str, dict[str, float]]:
    """Per baseline, per question id of the given rows (the questions of one suite): its
    value in [0, 1].

    - ``baseline:random``: the expected accuracy of a uniform pick among the question's
      candidates: its choices; for a yes/no question, yes and no; else the answers the
      questions of its family, kind and form (``form``) take in this suite.
    - ``baseline:majority``: 1 when the question's answer is the most common answer of its
      family, kind and form in this suite (ties: the first in sorted order), else 0. It
      has seen the suite's answers, so it is the accuracy of knowing only that
      distribution.
    """
    questions = {r.qid: r for r in rows}
    groups: dict[tuple[str, str, str], list[AnswerRow]] = defaultdict(list)
    for r in questions.values():
        groups[_group(r)].append(r)
    answers = {g: Counter(normalise(r.truth) for r in rs) for g, rs in groups.items()}
    majority = {g: min(c, key=lambda a: (-c[a], a)) for g, c in answers.items()}
    random: dict[str, float] = {}
    major: dict[str, float] = {}
    for qid, r in questions.items():
        g = _group(r)
        if r.choices:
            candidates = {normalise(c) for c in r.choices}
        elif g[2] == "yes/no":
            candidates = set(YES_NO)
        else:
            candidates = set(answers[g])
        random[qid] = 1.0 / len(candidates)
        major[qid] = float(majority[g] == normalise(r.truth))
    return {"baseline:random": random, "baseline:majority": major}


# --------------------------------------------------------------------------- scoring a file


@dataclass(frozen=True)
class AnswerSummary:
    """What ``score_answers`` stored: per status how many questions, the ids left
    unanswered, the accuracy, and whether the store changed."""

    model: str
    suite: str
    total: int
    counts: dict[str, int]
    accuracy: float
    unanswered: tuple[str, ...]
    unparsed: tuple[str, ...]
    changed: bool


def score_answers(
    suite_dir: Path,
    answers_file: Path,
    model_name: str,
    run_dir: Path,
    questions: Sequence[SuiteQuestion] | None = None,
) -> AnswerSummary:
    """Grade an answers file against a suite's questions and store the rows in
    ``run_dir``'s store (replacing that model's earlier answers on the suite)."""
    from vidreason import store
    from vidreason.runner.plan import suite_id

    if not model_name.strip():
        raise UserError("--model-name must not be empty")
    if model_name in BASELINES:
        raise UserError(f"--model-name {model_name!r} is the name of a baseline; pick another")
    questions = list(questions) if questions is not None else load_questions(Path(suite_dir))
    given = read_answers(Path(answers_file), questions)
    suite = suite_id(Path(suite_dir))
    rows = grade(model_name, suite, questions, given)
    changed = store.store_answers(
        Path(run_dir),
        model_name,
        suite,
        rows,
        source=str(Path(answers_file).resolve()),
        sha256=file_sha256(Path(answers_file)),
    )
    return AnswerSummary(
        model=model_name,
        suite=suite,
        total=len(rows),
        counts=counts(rows),
        accuracy=sum(r.correct for r in rows) / len(rows),
        unanswered=tuple(r.qid for r in rows if r.status == "unanswered"),
        unparsed=tuple(r.qid for r in rows if r.status in ("unparsed", "error")),
        changed=changed,
    )
