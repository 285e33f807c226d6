"""The chat adapter against a real OpenAI-compatible server on 127.0.0.1 run by the test:
it checks every request (key, model, temperature 0, the frames as PNG data URLs, the
question and its lettered choices) and answers right for some questions, wrong for others,
after a 429 with Retry-After for one, with garbage for one and with a malformed body for
one; a rerun asks again only the question that failed."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from tests.helpers import JsonHandler
from vidreason import store
from vidreason.answers import SuiteQuestion, load_questions
from vidreason.cli import app
from vidreason.instance_io import read_png
from vidreason.models.chat import parse_reply
from vidreason.runner.plan import suite_id

KEY = "sk-chat-test"
FRAMES = 4


class ChatApi(ThreadingHTTPServer):
    """``plan[(instance, question text)]``: the answers to give, in turn (the last one
    repeats): a reply's text, or ``429`` (Retry-After: 1), or ``malformed`` (200 without
    choices). The instance is the one whose first frame is nearest the first image."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.plan: dict[tuple[str, str], list[str]] = {}
        self.firsts: dict[str, np.ndarray] = {}  # instance -> its first frame
        self.requests = 0
        self.problems: list[str] = []  # what was wrong with a request
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class Handler(JsonHandler):
    server: ChatApi

    def _check(self, body: dict) -> tuple[str, str]:
        """The instance and the question asked; every problem with the request noted."""
        problems = self.server.problems
        if self.path != "/v1/chat/completions":
            problems.append(f"path {self.path}")
        if self.headers.get("Authorization") != f"Bearer {KEY}":
            problems.append("no key")
        if body.get("model") != "test-vlm" or body.get("temperature") != 0:
            problems.append(f"model or temperature: {body.get('model')} {body.get('temperature')}")
        system, user = body["messages"]
        if system["role"] != "system" or user["role"] != "user":
            problems.append("roles")
        text = next(p["text"] for p in user["content"] if p["type"] == "text")
        urls = [p["image_url"]["url"] for p in user["content"] if p["type"] == "image_url"]
        if len(urls) != FRAMES:
            problems.append(f"{len(urls)} frames")
        image = None
        for u in reversed(urls):  # the first last: it tells the instance
            head, data = u.split(",", 1)
            image = cv2.imdecode(np.frombuffer(base64.b64decode(data), np.uint8), 1)
            if head != "data:image/png;base64" or image is None or image.shape != (256, 256, 3):
                problems.append(f"not a 256x256 PNG: {head}")
        first = cv2.cvtColor(image, cv2.COLOR_BGR2RGB).astype(float)
        firsts = self.server.firsts
        instance = min(firsts, key=lambda i: float(np.abs(firsts[i] - first).mean()))
        return instance, text.split("Question: ", 1)[1].split("\n", 1)[0]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.requests += 1
            question = self._check(body)
            answers = self.server.plan.get(question, ["?"])
            what = answers.pop(0) if len(answers) > 1 else answers[0]
        if what == "429":
            self._json(429, {"error": {"message": "rate limited"}}, {"Retry-After": "1"})
        elif what == "malformed":
            self._json(200, {"id": "x", "object": "chat.completion"})
        else:
            message = {"role": "assistant", "content": what}
            self._json(200, {"choices": [{"index": 0, "message": message}]})


@pytest.fixture
def chat_api():
    server = ChatApi()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def config(tmp_path: Path, url: str, file: str = "chat.toml", **extra: object) -> Path:
    chat = {
        "base_url": url,
        "model": "test-vlm",
        "auth_env": "CHAT_API_KEY",
        "frames": FRAMES,
        "retries": 3,
        "retry_wait": 0.05,
        "request_timeout": 5.0,
        "concurrency": 2,
        **extra,
    }
    lines = ['name = "test-vlm"', 'adapter = "chat"', "", "[chat]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in chat.items()]
    path = tmp_path / file
    path.write_text("\n".join(lines) + "\n")
    return path


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def plan_for(
    qs: list[SuiteQuestion],
) -> tuple[dict[tuple[str, str], list[str]], dict[str, str]]:
    """What the server says to each question, and the status each must get."""
    plan: dict[tuple[str, str], list[str]] = {}
    status: dict[str, str] = {}
    choice = [q for q in qs if q.choices]
    yes_no = [q for q in qs if not q.choices and q.answer in ("yes", "no")]
    number = [q for q in qs if not q.choices and q.answer.isdigit()]

    def say(q: SuiteQuestion, *answers: str, then: str) -> None:
        plan[(q.instance, q.question)] = list(answers)
        status[q.qid] = then

    other = {"yes": "no", "no": "yes"}
    letter = chr(ord("A") + choice[0].choices.index(choice[0].answer))
    say(choice[0], f"{letter}", then="correct")
    say(choice[1], f"The answer is: {choice[1].answer.title()}.", then="correct")
    wrong = next(c for c in choice[2].choices if c != choice[2].answer)
    say(choice[2], f"({chr(ord('A') + choice[2].choices.index(wrong))}) {wrong}", then="wrong")
    say(yes_no[0], f"{yes_no[0].answer.capitalize()}.", then="correct")
    say(yes_no[1], other[yes_no[1].answer], then="wrong")
    say(yes_no[2], "429", f"{yes_no[2].answer}, it does", then="correct")
    say(number[0], f"There are {number[0].answer} of them.", then="correct")
    say(number[1], "I cannot tell from these frames.", then="unparsed")
    say(yes_no[3], "malformed", "yes" if yes_no[3].answer == "yes" else "no", then="error")
    for q in qs:  # the rest: right
        if q.qid not in status:
            say(q, q.answer, then="correct")
    return plan, status


def test_the_chat_adapter_against_a_local_server(question_suite, tmp_path, chat_api, monkeypatch):
    monkeypatch.setenv("CHAT_API_KEY", KEY)
    qs = load_questions(question_suite)
    chat_api.firsts = {
        q.instance: read_png(question_suite / q.instance / "first_frame.png").astype(float)
        for q in qs
    }
    chat_api.plan, expected = plan_for(qs)
    run = tmp_path / "run"
    args = ("--suite-dir", question_suite, "--model-config", config(tmp_path, chat_api.url))
    start = time.monotonic()
    result = invoke("answer", *args, "--out", run, "-q")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - start >= 1.0  # Retry-After was honoured
    assert chat_api.problems == []
    assert chat_api.requests == len(qs) + 1  # one question asked twice (the 429)
    rows = {r.qid: r for r in store.answer_rows(run)}
    assert {q: r.status for q, r in rows.items()} == expected
    n_right = list(expected.values()).count("correct")
    assert f"accuracy {n_right / len(qs):.3f}" in result.stdout

    path = run / "answers" / "test-vlm" / f"{suite_id(question_suite)}.jsonl"
    lines = {d["id"]: d for d in map(json.loads, path.read_text().splitlines())}
    assert set(lines) == {q.qid for q in qs}
    garbage = next(q for q, s in expected.items() if s == "unparsed")
    assert lines[garbage]["answer"] is None
    assert rows[garbage].reply == lines[garbage]["reply"] == "I cannot tell from these frames."
    failed = next(q for q, s in expected.items() if s == "error")
    assert "no choices[0].message.content" in rows[failed].error
    assert KEY not in path.read_text()

    # the file scores the same as an answers file
    again = invoke(
        "answer", "--suite-dir", question_suite, "--answers", path, "--model-name", "copy",
        "--out", run,
    )  # fmt: skip
    assert again.exit_code == 0 and f"accuracy {n_right / len(qs):.3f}" in again.stdout

    # a rerun asks only the question whose request failed
    before = chat_api.requests
    rerun = invoke("answer", *args, "--out", run, "-q")
    assert rerun.exit_code == 0, rerun.output
    assert chat_api.requests == before + 1
    assert {r.qid: r.status for r in store.answer_rows(run) if r.model == "test-vlm"}[
        failed
    ] == "correct"


def test_config_mistakes_are_one_line(question_suite, tmp_path, chat_api, monkeypatch):
    monkeypatch.delenv("CHAT_API_KEY", raising=False)
    path = config(tmp_path, chat_api.url)
    args = ("answer", "--suite-dir", question_suite, "--out", tmp_path / "run")
    r = invoke(*args, "--model-config", path)
    assert r.exit_code == 2 and "CHAT_API_KEY is not set" in r.stderr and str(path) in r.stderr
    monkeypatch.setenv("CHAT_API_KEY", KEY)
    r = invoke(*args, "--model-config", config(tmp_path, chat_api.url, "typo.toml", framez=3))
    assert r.exit_code == 2 and "unknown key 'framez'; did you mean 'frames'?" in r.stderr
    r = invoke(*args, "--model-config", path, "--model-set", "chat.image_format=gif")
    assert r.exit_code == 2 and "image_format 'gif' is not one of png, jpeg" in r.stderr
    assert "\n" not in r.stderr.strip()
    assert chat_api.requests == 0 and not (tmp_path / "run").exists()


def q(answer: str, choices: tuple[str, ...] = (), text: str = "Which?") -> SuiteQuestion:
    return SuiteQuestion("f-v1/00000/0", "f-v1/00000", "f-v1", "causal", 0, "descriptive", text, answer, choices)  # fmt: skip


@pytest.mark.parametrize(
    ("reply", "wanted"),
    [
        ("B", "red ball"),
        ("b.", "red ball"),
        ("(B) red ball", "red ball"),
        ("Answer: Red Ball", "red ball"),
        ("I think it is the red ball.", "red ball"),
        ("the red ball or the blue ball", None),
        ("D", None),
        ("", None),
    ],
)
def test_a_reply_is_read_as_a_choice(reply: str, wanted: str | None) -> None:
    assert parse_reply(reply, q("red ball", ("blue ball", "red ball", "wall"))) == wanted


def test_numbers_and_yes_no_are_read_off_the_reply() -> None:
    count = q("2", text="How many balls move?")
    assert [parse_reply(r, count) for r in ("2", "Two.", "there are 3", "2 or 3", "many")] == [
        "2", "2", "3", None, None,
    ]  # fmt: skip
    will = q("yes", text="Will the red ball fall?")
    assert [parse_reply(r, will) for r in ("Yes.", "no, it will not", "yes and no", "?")] == [
        "yes", "no", None, None,
    ]  # fmt: skip


def test_frames_are_spread_evenly_and_stop_before_a_predictive_cut() -> None:
    from vidreason.models.chat import data_url, frame_indices, question_text

    assert frame_indices(48, 4) == [0, 16, 31, 47]
    assert frame_indices(12, 8) == [0, 2, 3, 5, 6, 8, 9, 11]  # all before until_frame = 12
    assert frame_indices(3, 8) == [0, 1, 2]
    predictive = SuiteQuestion("f-v1/00000/3", "f-v1/00000", "f-v1", "causal", 0, "predictive", "Will it fall?", "yes", (), 12)  # fmt: skip
    text = question_text(predictive, 8, (0.0, 11 / 16))
    assert "cut here" in text and "Answer yes or no." in text and "0.69 s" in text
    frame = np.zeros((32, 48, 3), np.uint8)
    frame[:, :24] = (250, 10, 10)
    for fmt in ("png", "jpeg"):
        head, data = data_url(frame, fmt, 90).split(",", 1)
        assert head == f"data:image/{fmt};base64"
        back = cv2.imdecode(np.frombuffer(base64.b64decode(data), np.uint8), 1)
        assert back.shape == (32, 48, 3) and back[16, 5, 2] > 200  # red stays red (BGR)
