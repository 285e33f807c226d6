"""The ``chat`` adapter: a suite's questions asked of an OpenAI-compatible chat model.

``vidreason answer --model-config chat.toml --suite-dir S --out RUN`` sends, per question,
``frames`` frames sampled evenly from the instance's ground-truth video (for a predictive
question only from the frames before its ``until_frame``) as base64 data URLs
(``image_url`` parts, PNG or JPEG) and the question with its lettered choices, to
``<base_url>/chat/completions`` at temperature 0, and reads the choice off the reply
(``parse_reply``: a letter, a choice's text, yes/no, a number). An unreadable reply is
stored as ``"answer": null`` with the reply kept, and counts as wrong.

```toml
name = "my-vlm"               # the name its answers are stored under
adapter = "chat"

[chat]                        # see ChatSettings
base_url = "http://127.0.0.1:8000/v1"
model = "Qwen2-VL-7B-Instruct"
auth_env = "OPENAI_API_KEY"   # the key's environment variable (none: no key sent)
frames = 8
```

Requests go through the http adapter's transport (``HttpModel.request_json``): the key
from the environment, retries on 429 and 5xx honouring ``Retry-After``, none on 401/403.
The answers are written to ``RUN/answers/<name>/<suite>.jsonl`` (each line: ``id``,
``answer``, ``reply``, ``request``: a hash of what was sent) after every instance, so a
killed run resumes and a rerun asks only what changed or failed; the file is then scored
like any answers file (``vidreason.answers``).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vidreason.answers import LETTER, SuiteQuestion, normalise
from vidreason.errors import UserError
from vidreason.models.config import _unknown, check_type, parse_table, read_toml

TOP_KEYS = ("name", "adapter", "version", "chat")
IMAGE_FORMATS = ("png", "jpeg")
SYSTEM = (
    "You watch frames of a short video of a simple physical scene and answer a question"
    " about it. Reply with the answer only."
)
NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
NUMBER_WORDS = {w: str(i) for i, w in enumerate(NUMBERS)}
YES_NO_STARTS = ("does", "do", "did", "is", "are", "was", "were", "will", "would", "can", "if")


@dataclass(frozen=True)
class ChatSettings:
    """The ``[chat]`` table of a chat model config."""

    base_url: str
    model: str
    auth_env: str = ""
    frames: int = 8
    image_format: str = "png"
    jpeg_quality: int = 90
    max_tokens: int = 32
    temperature: float = 0.0
    system: str = SYSTEM
    request_timeout: float = 120.0
    retries: int = 5
    retry_wait: float = 2.0
    max_retry_wait: float = 120.0
    concurrency: int = 4
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.frames < 1:
            raise ValueError(f"frames must be at least 1, got {self.frames}")
        if self.image_format not in IMAGE_FORMATS:
            raise ValueError(
                f"image_format {self.image_format!r} is not one of {', '.join(IMAGE_FORMATS)}"
            )
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {self.concurrency}")


#: settings that change how a question is waited for, not what is asked
WAITING = ("request_timeout", "retries", "retry_wait", "max_retry_wait", "concurrency")


@dataclass(frozen=True)
class ChatConfig:
    name: str
    settings: ChatSettings
    version: str = ""
    source: str = ""

    def named(self, name: str) -> ChatConfig:
        return dataclasses.replace(self, name=name)


def read_chat_config(path: Path, overrides: Sequence[str] = ()) -> ChatConfig:
    """A chat model config from a TOML file (with ``--model-set`` overrides); every
    mistake is one line naming the file."""
    path = Path(path)
    data, where = read_toml(path, overrides)
    for key, value in data.items():
        if key not in TOP_KEYS:
            raise _unknown(key, TOP_KEYS, where)
        check_type(value, dict if key == "chat" else str, key, where)
    if "adapter" not in data:
        raise UserError(f"{where}: missing key 'adapter' (adapter = \"chat\" answers questions)")
    if data["adapter"] != "chat":
        raise UserError(
            f'{where}: adapter must be "chat" to answer questions (the'
            f" {data['adapter']!r} adapter makes videos: `vidreason run`)"
        )
    for key in ("name", "chat"):
        if key not in data:
            raise UserError(f"{where}: missing key {key!r}")
    settings = parse_table(ChatSettings, data["chat"], f"{where} [chat]")
    if settings.auth_env and not os.environ.get(settings.auth_env):
        raise UserError(
            f"{where}: the environment variable {settings.auth_env} is not set (the chat "
            "adapter reads its key from there, never from the config file)"
        )
    return ChatConfig(data["name"], settings, data.get("version", ""), where)


# --------------------------------------------------------------------------- the prompt


def expected_form(q: SuiteQuestion) -> str:
    """What the question asks for, read off the question (never its answer): a choice,
    a number, yes or no, or words."""
    text = normalise(q.question)
    if q.choices:
        return "choice"
    if text.startswith("how many"):
        return "number"
    return "yes/no" if text.split(" ", 1)[0] in YES_NO_STARTS else "words"


def question_text(q: SuiteQuestion, n_frames: int, seconds: tuple[float, float]) -> str:
    lines = [
        f"These are {n_frames} frames of a video, in order, from {seconds[0]:.2f} s to"
        f" {seconds[1]:.2f} s."
    ]
    if q.until_frame is not None:
        lines.append("The video is cut here: answer about what happens after the last frame.")
    lines.append(f"Question: {q.question}")
    form = expected_form(q)
    if form == "choice":
        lines += [f"{chr(ord('A') + i)}. {c}" for i, c in enumerate(q.choices)]
        lines.append("Answer with the letter of one choice.")
    else:
        lines.append(
            {"number": "Answer with a number.", "yes/no": "Answer yes or no."}.get(
                form, "Answer in a few words."
            )
        )
    return "\n".join(lines)


def frame_indices(n: int, k: int) -> list[int]:
    """``k`` indices spread evenly over ``range(n)``, first and last included."""
    return sorted({round(float(x)) for x in np.linspace(0, n - 1, min(k, n))})


def data_url(frame: np.ndarray, fmt: str, quality: int) -> str:
    import cv2

    bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
    if fmt == "png":
        ok, buf = cv2.imencode(".png", bgr)
    else:
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise OSError(f"{fmt} encoding failed")
    return f"data:image/{fmt};base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def messages(q: SuiteQuestion, images: Sequence[str], text: str, system: str) -> list[dict]:
    content: list[dict[str, Any]] = [{"type": "text", "text": text}]
    content += [{"type": "image_url", "image_url": {"url": u}} for u in images]
    return [{"role": "system", "content": system}, {"role": "user", "content": content}]


# --------------------------------------------------------------------------- the reply


def _strip(reply: str) -> str:
    text = normalise(reply)
    text = re.sub(r"^(the\s+)?(final\s+)?answer\s*(is)?\s*[:\-]?\s*", "", text)
    return text.strip(" .!\"'`*")


def parse_reply(reply: str, q: SuiteQuestion) -> str | None:
    """The answer a reply gives, or None when it cannot be read: for a question with
    choices the choice (by its text, its letter alone or leading, or the one choice the
    reply names); a number (digits or a word up to ten); yes or no; else the words."""
    text = _strip(reply)
    if not text:
        return None
    form = expected_form(q)
    if form == "choice":
        for c in q.choices:
            if normalise(c) == text:
                return c
        letter = LETTER.fullmatch(text) or re.match(r"\(?([a-z])[).:]\s", text)
        if letter and ord(letter.group(1)) - ord("a") < len(q.choices):
            return q.choices[ord(letter.group(1)) - ord("a")]
        named = [c for c in q.choices if re.search(rf"\b{re.escape(normalise(c))}\b", text)]
        return named[0] if len(named) == 1 else None
    if form == "number":
        found = set(re.findall(r"\b\d+\b", text))
        found |= {NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text) if w in NUMBER_WORDS}
        return found.pop() if len(found) == 1 else None
    if form == "yes/no":
        words = set(re.findall(r"[a-z]+", text))
        said = words & {"yes", "no"}
        return said.pop() if len(said) == 1 else None
    return text


# --------------------------------------------------------------------------- the run


def answers_path(run_dir: Path, name: str, suite: str) -> Path:
    return Path(run_dir) / "answers" / name / f"{suite}.jsonl"


def _read_cache(path: Path) -> dict[str, dict]:
    """The lines of an earlier run (a cut-off line is skipped)."""
    out: dict[str, dict] = {}
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("id"), str):
            out[doc["id"]] = doc
    return out


def _write_lines(path: Path, docs: Sequence[Mapping[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    text = "".join(json.dumps(d, sort_keys=True) + "\n" for d in docs)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class ChatModel:
    """One OpenAI-compatible endpoint, asked one question at a time."""

    def __init__(self, config: ChatConfig) -> None:
        from vidreason.models.http import HttpModel, HttpSettings

        s = config.settings
        self.config = config
        self.url = s.base_url.rstrip("/") + "/chat/completions"
        self.transport = HttpModel(
            config.name,
            HttpSettings(
                submit_url=self.url,
                status_url="",
                payload={},
                auth_env=s.auth_env,
                request_timeout=s.request_timeout,
                retries=s.retries,
                retry_wait=s.retry_wait,
                max_retry_wait=s.max_retry_wait,
                headers=dict(s.headers),
            ),
        )
        asked = {k: v for k, v in dataclasses.asdict(s).items() if k not in WAITING}
        self.fingerprint = json.dumps({"asked": asked, "version": config.version}, sort_keys=True)

    def body(self, q: SuiteQuestion, images: Sequence[str], text: str) -> bytes:
        s = self.config.settings
        doc = {
            "model": s.model,
            "messages": messages(q, images, text, s.system),
            "temperature": s.temperature,
            "max_tokens": s.max_tokens,
        }
        return json.dumps(doc, sort_keys=True).encode()

    def ask(self, q: SuiteQuestion, body: bytes, request: str) -> dict[str, Any]:
        """One answers-file line for ``q``: its answer (None when unreadable or failed),
        the reply and, on failure, the error."""
        from vidreason.models.http import JobError

        line: dict[str, Any] = {"id": q.qid, "request": request}
        try:
            doc = self.transport.request_json("POST", self.url, body, f"chat answer to {q.qid}")
        except JobError as exc:
            return {**line, "answer": None, "reply": "", "error": str(exc)}
        reply = reply_text(doc)
        if reply is None:
            short = json.dumps(doc)[:160]
            error = f"no choices[0].message.content in the answer from {self.url}: {short}"
            return {**line, "answer": None, "reply": "", "error": error}
        return {**line, "answer": parse_reply(reply, q), "reply": reply}


def reply_text(doc: Any) -> str | None:
    """``choices[0].message.content`` of a chat completion (text parts joined)."""
    from vidreason.models.http import dig

    content = dig(doc, "choices.0.message.content")
    if isinstance(content, list):
        content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return content if isinstance(content, str) else None


def ask_suite(
    config: ChatConfig,
    suite_dir: Path,
    questions: Sequence[SuiteQuestion],
    run_dir: Path,
    progress: bool = False,
) -> Path:
    """Ask every question of the suite (those answered before for the same request are
    kept), writing the answers file after each instance; returns its path."""
    from vidreason.render.video_io import read_video
    from vidreason.runner.plan import suite_id

    model = ChatModel(config)
    s = config.settings
    path = answers_path(run_dir, config.name, suite_id(Path(suite_dir)))
    cache = _read_cache(path)
    done: dict[str, dict] = {}
    by_instance: dict[str, list[SuiteQuestion]] = {}
    for q in questions:
        by_instance.setdefault(q.instance, []).append(q)
    with ThreadPoolExecutor(max_workers=s.concurrency) as pool:
        for i, (instance, qs) in enumerate(by_instance.items()):
            video = read_video(Path(suite_dir) / instance / "ground_truth.mp4")
            urls: dict[int, str] = {}  # each frame encoded once per instance
            jobs = []
            for q in qs:
                n = min(q.until_frame or len(video.frames), len(video.frames))
                picked = frame_indices(n, s.frames)
                for j in picked:
                    if j not in urls:
                        urls[j] = data_url(video.frames[j], s.image_format, s.jpeg_quality)
                images = [urls[j] for j in picked]
                times = (picked[0] / video.fps, picked[-1] / video.fps)
                body = model.body(q, images, question_text(q, len(picked), times))
                request = hashlib.sha256(body + model.fingerprint.encode()).hexdigest()[:32]
                old = cache.get(q.qid)
                if old and old.get("request") == request and not old.get("error"):
                    done[q.qid] = old
                else:
                    jobs.append((q, body, request))
            for line in pool.map(lambda j: model.ask(*j), jobs):
                done[line["id"]] = line
            _write_lines(path, [done[q.qid] for q in questions if q.qid in done])
            if progress:
                print(
                    f"chat {config.name}: {i + 1}/{len(by_instance)} instances"
                    f" ({len(jobs)} questions asked)",
                    file=sys.stderr,
                )
    return path
