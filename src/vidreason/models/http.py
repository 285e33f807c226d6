"""The ``http`` adapter: a video API that takes a job and is polled until the video exists.

Every commercial video API has this shape: POST a JSON payload (prompt, the conditioning
image as base64, options) to a submit URL, get a job id back, GET a status URL until the
job is done, then download the video from a URL in the status. ``HttpSettings`` says
where each of these lives; nothing else about a provider is assumed (docs/models.md has
request shapes of real providers as examples).

- The key comes from an environment variable (``auth_env``), never from the file.
- The payload is a template: a string ``"{prompt}"``, ``"{image_base64}"``,
  ``"{image_data_url}"``, ``"{seed}"``, ``"{width}"``, ``"{height}"``, ``"{fps}"``,
  ``"{n_frames}"``, ``"{duration}"``, ``"{family}"`` or ``"{index}"`` is replaced by that
  value (a number stays a number); placeholders inside longer strings are filled in.
- Every request is retried on 429 and 5xx (waiting as ``Retry-After`` says, else with
  exponential backoff) and on a stalled or dropped connection, ``retries`` times; never on
  401 or 403 (the key is wrong: retrying cannot help) or another 4xx.
- The job log (``<video stem>.job.json`` beside the video) is written right after the
  submit, *before* polling: a run killed while polling resumes polling the same job when
  run again instead of submitting (and paying) again, as long as the request is the same
  (payload, URLs, headers: a changed one is a new job; a changed polling setting, such as
  a longer deadline, polls the logged job). A job the API reports failed is submitted
  again on the next run.
- Every submit carries an idempotency key (header ``idempotency_header``, by default
  ``Idempotency-Key``; empty: none), a hash of the request: a submit retried after its
  answer was lost, or sent again by a run killed before it logged the job, is the same job
  to an API that honours the header (most commercial APIs do), not a second payment.
- Polling starts at ``poll_interval`` seconds and grows by ``poll_backoff`` up to
  ``poll_max_interval``. ``deadline`` counts from the job's submission, across runs: a job
  not done by then fails that instance alone, with one line saying so; a later run polls
  it once more and fails it again at once unless it is done (raise ``deadline`` to wait
  longer for the same job). ``concurrency`` jobs run at once: the
  card lists that many slots (``api:0``, ``api:1``, ...), each a generation worker that
  takes the next job when its last one is done.
- The downloaded file must decode as a video; a truncated or corrupt download fails
  that instance with the reason.

Only the standard library (urllib) talks HTTP.
"""

from __future__ import annotations

import base64
import dataclasses
import email.utils
import hashlib
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vidreason.errors import UserError
from vidreason.models.base import Generated, GenerationRequest, ModelCard

PLACEHOLDER = re.compile(r"\{(\w+)\}")
JOB_SUFFIX = ".job.json"


@dataclass(frozen=True)
class HttpSettings:
    """The ``[http]`` table of a model config. URLs may hold ``{job_id}``; ``*_field`` are
    dotted paths into the JSON answers (``data.assets.0.url``)."""

    submit_url: str
    status_url: str
    payload: dict[str, Any]
    auth_env: str = ""
    auth_header: str = "Authorization"
    auth_prefix: str = "Bearer "
    job_id_field: str = "id"
    status_field: str = "status"
    done_values: tuple[str, ...] = ("succeeded", "completed", "done", "success")
    failed_values: tuple[str, ...] = ("failed", "error", "cancelled", "canceled")
    video_url_field: str = "video_url"
    error_field: str = "error"
    cost_field: str = ""
    download_auth: bool = False
    poll_interval: float = 5.0
    poll_backoff: float = 1.5
    poll_max_interval: float = 60.0
    deadline: float = 1800.0
    request_timeout: float = 60.0
    retries: int = 5
    retry_wait: float = 2.0
    max_retry_wait: float = 120.0
    concurrency: int = 4
    headers: dict[str, str] = field(default_factory=dict)
    idempotency_header: str = "Idempotency-Key"


#: settings that change how a job is waited for, not what is asked: a change keeps the job
WAITING = (
    "poll_interval",
    "poll_backoff",
    "poll_max_interval",
    "deadline",
    "request_timeout",
    "retries",
    "retry_wait",
    "max_retry_wait",
    "concurrency",
)


class JobError(Exception):
    """This job (one instance) failed; the message is one line."""


class Fatal(JobError):
    """A failure no retry can mend (401/403, another 4xx)."""


def dig(doc: Any, path: str) -> Any:
    """``doc`` at a dotted path (``a.b.0.c``); None where it has no such part."""
    for part in path.split(".") if path else []:
        if isinstance(doc, Mapping):
            doc = doc.get(part)
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            return None
    return doc


def fill(template: Any, values: Mapping[str, Any]) -> Any:
    """The payload template with its placeholders replaced (see the module docstring)."""
    if isinstance(template, Mapping):
        return {k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list | tuple):
        return [fill(v, values) for v in template]
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        return PLACEHOLDER.sub(
            lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), template
        )
    return template


def template_values(r: GenerationRequest) -> dict[str, Any]:
    image = base64.b64encode(r.first_frame.read_bytes()).decode("ascii")
    return {
        "prompt": r.prompt,
        "image_base64": image,
        "image_data_url": "data:image/png;base64," + image,
        "seed": r.seed,
        "width": r.fmt.width,
        "height": r.fmt.height,
        "fps": r.fmt.fps,
        "n_frames": r.fmt.n_frames,
        "duration": round(r.fmt.duration, 3),
        "family": r.family,
        "index": r.index,
    }


def shown(payload: Any, values: Mapping[str, Any]) -> Any:
    """The payload as recorded: the image's base64 replaced by its length and hash."""
    image = values["image_base64"]
    digest = hashlib.sha256(image.encode()).hexdigest()[:16]
    note = f"<base64 of first_frame.png: {len(image)} chars, sha256 {digest}>"

    def hide(v: Any) -> Any:
        if isinstance(v, Mapping):
            return {k: hide(x) for k, x in v.items()}
        if isinstance(v, list):
            return [hide(x) for x in v]
        if isinstance(v, str) and image in v:
            return v.replace(image, note)
        return v

    return hide(payload)


def retry_after(headers: Any, default: float) -> float:
    """Seconds a ``Retry-After`` header asks for (a number or an HTTP date)."""
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time()) if when else default


def job_log(out_path: Path) -> Path:
    return out_path.with_suffix(JOB_SUFFIX)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_json(path: Path, doc: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)  # whole or not at all, even when killed


class HttpModel:
    """A submit-then-poll video API (see the module docstring)."""

    version = "http-1"
    description = "a submit-then-poll video API"

    def __init__(self, name: str, settings: HttpSettings) -> None:
        self.name = name
        self.settings = settings
        # one worker per slot: a slot takes the next job as soon as its last one is done
        slots = tuple(f"api:{i}" for i in range(max(1, settings.concurrency)))
        self.card = ModelCard(devices=slots, batch_size=1)
        self._key = ""
        self.submits = 0  # jobs submitted by this process (what the run paid for)

    # -- lifecycle ----------------------------------------------------------------------
    def check_auth(self, where: str = "") -> None:
        """One line naming the variable when the key's environment variable is unset."""
        env = self.settings.auth_env
        if env and not os.environ.get(env):
            raise UserError(
                f"{where or self.name}: the environment variable {env} is not set (the http "
                "adapter reads its key from there, never from the config file)"
            )

    def load(self) -> None:
        self.check_auth()
        if self.settings.auth_env:
            self._key = os.environ[self.settings.auth_env]

    def close(self) -> None:
        pass  # the other slots share this object and may still be polling

    def on_device(self, device: str) -> HttpModel:
        """Every concurrency slot shares this adapter (it holds nothing but the key)."""
        return self

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generated]:
        if self.settings.auth_env and not self._key:
            self.load()
        workers = max(1, min(self.settings.concurrency, len(requests)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(self._one, requests))

    def request_json(self, method: str, url: str, body: bytes | None, what: str) -> Any:
        """One JSON exchange with this adapter's key, headers and retries (429 and 5xx
        honouring ``Retry-After``; none on 401/403): the chat adapter talks through it."""
        if self.settings.auth_env and not self._key:
            self.load()
        return self._call(method, url, body, what)

    # -- one job ----------------------------------------------------------------------
    def _one(self, r: GenerationRequest) -> Generated:
        started = time.monotonic()
        try:
            info = self._run_job(r)
        except JobError as exc:
            return Generated(r.out_path, {}, error=f"{self.name}: {exc}")
        info["wall_s"] = round(time.monotonic() - started, 3)
        return Generated(r.out_path, info)

    def _run_job(self, r: GenerationRequest) -> dict[str, Any]:
        s = self.settings
        values = template_values(r)
        payload = fill(s.payload, values)
        body = json.dumps(payload, sort_keys=True).encode()
        # what is asked, and where: a changed request never reuses a job
        asked = {k: v for k, v in dataclasses.asdict(s).items() if k not in WAITING}
        every = json.dumps(asked, sort_keys=True, default=str).encode()
        request_hash = hashlib.sha256(body + every).hexdigest()[:32]
        log_path = job_log(r.out_path)
        job, attempt = self._resumable(log_path, request_hash)
        resumed = job is not None
        if job is None:
            key = f"{request_hash}-{attempt}"  # a job the API failed is asked for anew
            once = {s.idempotency_header: key} if s.idempotency_header else {}
            answer = self._call("POST", s.submit_url, body, "submit", once)
            self.submits += 1
            job_id = dig(answer, s.job_id_field)
            if job_id is None or job_id == "":
                raise JobError(f"the submit answer has no {s.job_id_field!r}: {_short(answer)}")
            job = {
                "job_id": str(job_id),
                "request_hash": request_hash,
                "submitted_at": _now(),
                "submitted_s": round(time.time(), 3),
                "attempt": attempt,
                "status_url": self._status_url(str(job_id)),
                "state": "submitted",
            }
            _write_json(log_path, job)  # before polling: a killed run resumes this job
        try:
            final = self._poll(job)
        except Fatal:
            raise
        except JobError as exc:
            failed = str(exc).startswith("the job failed")
            _write_json(log_path, {**job, "state": "failed" if failed else "polling"})
            raise
        url = dig(final, s.video_url_field)
        if not isinstance(url, str) or not url:
            raise JobError(f"job {job['job_id']}: done, but no {s.video_url_field!r} in the answer")
        url = urllib.parse.urljoin(job["status_url"], url)
        self._download(url, r.out_path, job["job_id"])
        cost = dig(final, s.cost_field) if s.cost_field else None
        _write_json(log_path, {**job, "state": "downloaded", "video_url": url})
        return {
            "job_id": job["job_id"],
            "submitted_at": job["submitted_at"],
            "resumed": resumed,
            "prompt_sent": shown(payload, values),
            "cost": cost,
            "video_url": url,
        }

    def _resumable(self, log_path: Path, request_hash: str) -> tuple[dict[str, Any] | None, int]:
        """The logged job for this very request, unless the API said it failed; and the
        submission's attempt number (one more than a failed job's)."""
        try:
            job = json.loads(log_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None, 0
        if not isinstance(job, dict) or job.get("request_hash") != request_hash:
            return None, 0
        if job.get("state") == "failed" or not job.get("job_id"):
            return None, int(job.get("attempt", 0)) + (job.get("state") == "failed")
        return job, int(job.get("attempt", 0))

    def _status_url(self, job_id: str) -> str:
        return fill(self.settings.status_url, {"job_id": urllib.parse.quote(job_id, safe="")})

    def _poll(self, job: Mapping[str, Any]) -> Any:
        """The finished status answer; JobError once the job is past its deadline (counted
        from its submission, so across runs; a job is always polled once)."""
        s = self.settings
        start, wait = time.monotonic(), s.poll_interval
        before = max(0.0, time.time() - float(job.get("submitted_s", time.time())))
        while True:
            answer = self._call("GET", job["status_url"], None, f"status of job {job['job_id']}")
            state = str(dig(answer, s.status_field) or "").lower()
            if state in {v.lower() for v in s.done_values}:
                return answer
            if state in {v.lower() for v in s.failed_values}:
                why = dig(answer, s.error_field)
                raise JobError(f"the job failed at the API (job {job['job_id']}: {why or state})")
            left = s.deadline - before - (time.monotonic() - start)
            if left <= 0:
                raise JobError(
                    f"job {job['job_id']} (submitted {job.get('submitted_at', '?')}) not"
                    f" finished {s.deadline:g} s after its submission (deadline); last status"
                    f" {state or 'unknown'!r}; raise http.deadline to wait longer for it"
                )
            time.sleep(min(wait, left))
            wait = min(wait * s.poll_backoff, s.poll_max_interval)

    def _headers(self, auth: bool = True, extra: Mapping[str, str] = {}) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        headers.update(self.settings.headers)
        headers.update(extra)
        if auth and self._key:
            headers[self.settings.auth_header] = self.settings.auth_prefix + self._key
        return headers

    def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        auth: bool = True,
        extra: Mapping[str, str] = {},
    ) -> bytes:
        """One HTTP exchange with retries (each with the same ``extra`` headers); the body
        of the answer."""
        s = self.settings
        sent = self._headers(auth, extra)
        for attempt in range(s.retries + 1):
            req = urllib.request.Request(url, data=body, method=method, headers=sent)
            try:
                with urllib.request.urlopen(req, timeout=s.request_timeout) as resp:
                    return resp.read()
            except urllib.error.HTTPError as exc:
                code, headers = exc.code, exc.headers
                detail = _detail(exc)
                if code in (401, 403):
                    env = f" (check ${s.auth_env})" if s.auth_env else ""
                    raise Fatal(f"{code} {exc.reason} from {url}{env}; not retried") from None
                if code != 429 and code < 500:
                    raise Fatal(f"{code} {exc.reason} from {url}: {detail}") from None
                why = f"{code} {exc.reason}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                headers = None
                why = f"no answer ({getattr(exc, 'reason', exc) or type(exc).__name__})"
            except http_incomplete() as exc:
                headers = None
                why = f"a cut-off answer ({type(exc).__name__})"
            if attempt == s.retries:
                raise JobError(f"{why} from {url}, {s.retries + 1} tries")
            backoff = min(s.retry_wait * 2**attempt, s.max_retry_wait)
            time.sleep(min(retry_after(headers, backoff), s.max_retry_wait))
        raise AssertionError("unreachable")

    def _call(
        self, method: str, url: str, body: bytes | None, what: str, extra: Mapping[str, str] = {}
    ) -> Any:
        raw = self._send(method, url, body, extra=extra)
        try:
            return json.loads(raw)
        except ValueError:
            raise JobError(f"the {what} answer from {url} is not JSON: {_short(raw)}") from None

    def _download(self, url: str, out: Path, job_id: str) -> None:
        from vidreason.models.records import probe
        from vidreason.render.video_io import VideoError

        data = self._send("GET", url, None, auth=self.settings.download_auth)
        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_name(out.name + ".part")
        part.write_bytes(data)
        try:
            probe(part)
        except VideoError as exc:
            part.unlink(missing_ok=True)
            reason = str(exc).split(": ", 1)[-1]
            raise JobError(
                f"job {job_id}: the video downloaded from {url} ({len(data)} bytes) "
                f"is not readable: {reason}"
            ) from None
        os.replace(part, out)


def http_incomplete() -> tuple[type[BaseException], ...]:
    import http.client

    return (http.client.IncompleteRead, http.client.RemoteDisconnected)


def _detail(exc: urllib.error.HTTPError) -> str:
    try:
        return _short(exc.read())
    except OSError:
        return ""


def _short(doc: Any, limit: int = 160) -> str:
    text = doc.decode("utf-8", "replace") if isinstance(doc, bytes) else json.dumps(doc)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
