"""The http adapter against a real video API served on 127.0.0.1 by the test: 429s with
Retry-After, 500s, a stalled answer, a truncated mp4, a job that never finishes, a wrong
key, success; and a run killed while polling that resumes its jobs without submitting
(paying) again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import JsonHandler
from vidreason import store
from vidreason.cli import app
from vidreason.models.http import dig, fill, retry_after
from vidreason.models.records import read_record

KEY = "sk-test-123"


class VideoApi(ThreadingHTTPServer):
    """A submit-then-poll video API. ``plan[index]`` says what happens to the job of that
    instance: ``ok`` (done after one "running"), ``never``, ``truncated`` (done, the mp4
    cut short), ``failed``, ``hold`` (running until ``released``). ``hiccups`` holds
    answers given before the real one, per (kind, index): "429", "500", "stall" or "lost"
    (the job is taken and paid for, but the answer is lost: a 502). A submit with an
    ``Idempotency-Key`` seen before gets the job it made, unpaid."""

    daemon_threads = True

    def __init__(self, videos: dict[int, bytes]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.videos = videos
        self.plan: dict[int, str] = {}
        self.hiccups: dict[tuple[str, int], list[str]] = {}
        self.submits: Counter[int] = Counter()  # jobs accepted (paid for), per instance
        self.attempts: Counter[str] = Counter()  # every request, per kind
        self.polls: Counter[str] = Counter()  # per job id
        self.auth: list[str] = []
        self.keys: dict[str, str] = {}  # Idempotency-Key -> job id
        self.downloaded: dict[int, float] = {}  # instance -> when its video was fetched
        self.most_in_flight = 0  # jobs submitted and not yet fetched, at most
        self.released = threading.Event()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(JsonHandler):
    server: VideoApi

    def _hiccup(self, kind: str, index: int) -> bool:
        with self.server.lock:
            queue = self.server.hiccups.get((kind, index), [])
            what = queue.pop(0) if queue else ""
        if what == "lost":
            return False  # do_POST takes the job, then loses the answer
        if what == "429":
            self._json(429, {"error": "slow down"}, {"Retry-After": "1"})
        elif what == "500":
            self._json(500, {"error": "oops"})
        elif what == "stall":
            time.sleep(1.0)  # longer than the client's request timeout
            return True
        return bool(what)

    def _authorised(self) -> bool:
        got = self.headers.get("Authorization", "")
        self.server.auth.append(got)
        if got != f"Bearer {KEY}":
            self._json(401, {"error": "bad key"})
            return False
        return True

    def do_POST(self) -> None:
        self.server.attempts["submit"] += 1
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        index = int(body["case"])
        with self.server.lock:
            queue = self.server.hiccups.get(("submit", index), [])
            lost = bool(queue) and queue[0] == "lost"
            if lost:
                queue.pop(0)
        if not self._authorised() or self._hiccup("submit", index):
            return
        key = self.headers.get("Idempotency-Key", "")
        with self.server.lock:
            job = self.server.keys.get(key) if key else None
            if job is None:
                self.server.submits[index] += 1
                job = f"job-{index}-{self.server.submits[index]}"
                if key:
                    self.server.keys[key] = job
            flying = sum(self.server.submits.values()) - len(self.server.downloaded)
            self.server.most_in_flight = max(self.server.most_in_flight, flying)
        assert body["image"].startswith("data:image/png;base64,")
        if lost:
            self._json(502, {"error": "bad gateway"})
            return
        self._json(201, {"data": {"id": job}})

    def do_GET(self) -> None:
        parts = self.path.strip("/").split("/")
        if parts[0] == "videos":
            self.server.attempts["download"] += 1
            index = int(parts[1].split("-")[1])
            data = self.server.videos[index]
            self.server.downloaded[index] = time.monotonic()
            if self.server.plan.get(index) == "truncated":
                data = data[: len(data) // 2]
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        job = parts[-1]
        index = int(job.split("-")[1])
        self.server.attempts["status"] += 1
        if not self._authorised() or self._hiccup("status", index):
            return
        with self.server.lock:
            self.server.polls[job] += 1
            polls = self.server.polls[job]
        plan = self.server.plan.get(index, "ok")
        if plan == "failed":
            self._json(200, {"state": "FAILED", "message": "content policy"})
        elif (
            plan == "never"
            or (plan == "hold" and not self.server.released.is_set())
            or (polls < 2 and plan != "hold")
        ):
            self._json(200, {"state": "RUNNING"})
        else:
            url = f"/videos/{job}.mp4"
            self._json(200, {"state": "SUCCEEDED", "output": [{"url": url}], "cost": 0.5})


@pytest.fixture
def video_api(tiny_suite):
    videos = {
        i: (tiny_suite / "projectile-v1" / f"{i:05d}" / "ground_truth.mp4").read_bytes()
        for i in range(4)
    }
    server = VideoApi(videos)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.released.set()
    server.shutdown()
    server.server_close()


def config(tmp_path: Path, url: str, payload: str = "", **http: object) -> Path:
    settings = {
        "submit_url": f"{url}/v1/jobs",
        "status_url": f"{url}/v1/jobs/{{job_id}}",
        "auth_env": "VIDEO_API_KEY",
        "job_id_field": "data.id",
        "status_field": "state",
        "video_url_field": "output.0.url",
        "error_field": "message",
        "cost_field": "cost",
        "poll_interval": 0.05,
        "poll_backoff": 1.5,
        "poll_max_interval": 0.2,
        "deadline": 1.5,
        "request_timeout": 0.4,
        "retries": 3,
        "retry_wait": 0.05,
        "concurrency": 4,
        **http,
    }
    lines = ['name = "fake-api"', 'adapter = "http"', "", "[http]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    lines += [
        "",
        "[http.payload]",
        'prompt = "{prompt}"',
        'image = "{image_data_url}"',
        'case = "{index}"',
        'seed = "{seed}"',
        'note = "{width}x{height}, {n_frames} frames"',
        *([payload] if payload else []),
    ]
    path = tmp_path / "api.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_each_failure_stays_with_its_instance_and_the_run_goes_on(
    tiny_suite, tmp_path, video_api, monkeypatch
):
    monkeypatch.setenv("VIDEO_API_KEY", KEY)
    video_api.plan = {0: "ok", 1: "ok", 2: "truncated", 3: "never"}
    video_api.hiccups = {
        ("submit", 0): ["429"],  # Retry-After: 1
        ("status", 1): ["500", "stall", "500"],
    }
    run = tmp_path / "run"
    start = time.monotonic()
    result = invoke(
        "run", "--model-config", config(tmp_path, video_api.url), "--suite", tiny_suite,
        "--out", run, "--workers", 1, "-q",
    )  # fmt: skip
    took = time.monotonic() - start
    assert result.exit_code == 0, result.output
    assert took >= 1.0  # Retry-After was honoured
    assert dict(video_api.submits) == {0: 1, 1: 1, 2: 1, 3: 1}  # one paid job each
    rows = {r.idx: r for r in store.rows(run)}
    assert rows[0].status == rows[1].status == "scored", [r.error for r in rows.values()]
    assert rows[0].value >= 0.95 and rows[1].value >= 0.95  # the API sent the right videos
    assert rows[2].status == "error" and "not readable" in rows[2].error
    assert rows[3].status == "error" and "deadline" in rows[3].error
    assert all("\n" not in r.error for r in rows.values())
    assert "failed:" in result.stderr and "deadline" in result.stderr

    video = run / "videos" / "fake-api" / "projectile-v1" / "00000.mp4"
    rec = read_record(video)
    assert rec is not None
    assert rec["job_id"] == "job-0-1" and rec["cost"] == 0.5
    sent = rec["prompt_sent"]
    assert (
        sent["prompt"]
        == (tiny_suite / "projectile-v1" / "00000" / "prompt.txt").read_text().strip()
    )
    assert "<base64 of first_frame.png" in sent["image"]  # recorded without the image
    assert sent["case"] == 0 and sent["note"] == "256x256, 48 frames"
    assert rec["settings"]["http"]["submit_url"].endswith("/v1/jobs")
    assert KEY not in video.with_suffix(".json").read_text()
    assert KEY not in video.with_suffix(".job.json").read_text()
    assert not (video.parent / "00002.mp4").exists()  # a truncated download is not kept

    # the job that never finished is polled again on the next run, not submitted again
    video_api.plan[3] = "ok"
    again = invoke(
        "run", "--model-config", config(tmp_path, video_api.url), "--suite", tiny_suite,
        "--out", run, "--workers", 1, "-q",
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert video_api.submits[3] == 1
    assert {r.idx: r.status for r in store.rows(run)}[3] == "scored"


def test_concurrency_slots_take_the_next_job_while_one_is_stuck(
    tiny_suite, tmp_path, video_api, monkeypatch
):
    monkeypatch.setenv("VIDEO_API_KEY", KEY)
    video_api.plan = {0: "never", 1: "ok", 2: "ok", 3: "ok"}
    run = tmp_path / "run"
    path = config(tmp_path, video_api.url, concurrency=2, deadline=2.0)
    start = time.monotonic()
    result = invoke("run", "--model-config", path, "--suite", tiny_suite, "--out", run, "-q")
    assert result.exit_code == 0, result.output
    assert video_api.most_in_flight == 2  # the limit, and used
    assert sorted(video_api.downloaded) == [1, 2, 3]
    # the other slot got through the three others while job 0 was still polled
    assert max(video_api.downloaded.values()) - start < 2.0
    rows = {r.idx: r for r in store.rows(run)}
    assert "deadline" in rows[0].error and all(rows[i].status == "scored" for i in (1, 2, 3))


def test_a_wrong_key_is_not_retried(tiny_suite, tmp_path, video_api, monkeypatch):
    monkeypatch.setenv("VIDEO_API_KEY", "wrong")
    run = tmp_path / "run"
    result = invoke(
        "run", "--model-config", config(tmp_path, video_api.url), "--suite", tiny_suite,
        "--out", run, "--workers", 1, "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert video_api.attempts["submit"] == 4  # one per instance: no retries
    rows = store.rows(run)
    assert all(r.status == "error" and "401" in r.error for r in rows)
    assert all("VIDEO_API_KEY" in r.error and "not retried" in r.error for r in rows)


def test_a_missing_key_variable_is_one_line_before_any_work(
    tiny_suite, tmp_path, video_api, monkeypatch
):
    monkeypatch.delenv("VIDEO_API_KEY", raising=False)
    path = config(tmp_path, video_api.url)
    result = invoke("run", "--model-config", path, "--suite", tiny_suite, "--out", tmp_path / "r")
    assert result.exit_code == 2
    assert "VIDEO_API_KEY is not set" in result.stderr and str(path) in result.stderr
    assert "\n" not in result.stderr.strip()
    assert video_api.attempts["submit"] == 0 and not (tmp_path / "r").exists()


@pytest.mark.slow  # two runs: about 5 s
def test_a_job_the_api_failed_is_submitted_again_next_run(
    tiny_suite, tmp_path, video_api, monkeypatch
):
    monkeypatch.setenv("VIDEO_API_KEY", KEY)
    video_api.plan = {0: "failed", 1: "ok", 2: "ok", 3: "ok"}
    run = tmp_path / "run"
    path = config(tmp_path, video_api.url)
    assert invoke("run", "--model-config", path, "--suite", tiny_suite, "--out", run).exit_code == 0
    assert "content policy" in {r.idx: r for r in store.rows(run)}[0].error
    video_api.plan[0] = "ok"
    assert invoke("run", "--model-config", path, "--suite", tiny_suite, "--out", run).exit_code == 0
    assert video_api.submits[0] == 2 and video_api.submits[1] == 1
    assert len(video_api.keys) == 5  # the new job of instance 0 under a new idempotency key


@pytest.mark.slow  # three runs of four videos: about 10 s
def test_a_changed_request_is_a_new_job_and_a_changed_wait_is_not(
    tiny_suite, tmp_path, video_api, monkeypatch
):
    monkeypatch.setenv("VIDEO_API_KEY", KEY)
    run = tmp_path / "run"
    first = config(tmp_path, video_api.url)
    assert (
        invoke("run", "--model-config", first, "--suite", tiny_suite, "--out", run).exit_code == 0
    )
    # polling differently asks for the same videos: a new version, the same (paid) jobs
    slower = config(tmp_path, video_api.url, poll_interval=0.06)
    assert (
        invoke("run", "--model-config", slower, "--suite", tiny_suite, "--out", run).exit_code == 0
    )
    assert set(video_api.submits.values()) == {1}
    assert len({r.model_version for r in store.rows(run, history=True)}) == 2
    # another payload asks for other videos: every one generated (paid) again
    other = config(tmp_path, video_api.url, payload='quality = "high"')
    assert (
        invoke("run", "--model-config", other, "--suite", tiny_suite, "--out", run).exit_code == 0
    )
    assert set(video_api.submits.values()) == {2}
    assert len({r.model_version for r in store.rows(run, history=True)}) == 3


def test_a_lost_submit_answer_is_retried_as_the_same_job(
    tiny_suite, tmp_path, video_api, monkeypatch
):
    """The API took the job but its answer was lost: the retry carries the same
    idempotency key, so the API hands back that job instead of charging again."""
    monkeypatch.setenv("VIDEO_API_KEY", KEY)
    video_api.hiccups = {("submit", 1): ["lost"]}
    run = tmp_path / "run"
    path = config(tmp_path, video_api.url)
    result = invoke("run", "--model-config", path, "--suite", tiny_suite, "--out", run, "-q")
    assert result.exit_code == 0, result.output
    assert video_api.attempts["submit"] == 5  # the lost one was sent twice
    assert dict(video_api.submits) == dict.fromkeys(range(4), 1)  # and paid once
    assert len(set(video_api.keys)) == 4
    assert all(r.status == "scored" for r in store.rows(run))


@pytest.mark.slow  # three runs: about 6 s
def test_the_deadline_counts_from_the_submission_across_runs(
    tiny_suite, tmp_path, video_api, monkeypatch
):
    monkeypatch.setenv("VIDEO_API_KEY", KEY)
    video_api.plan = {0: "never", 1: "ok", 2: "ok", 3: "ok"}
    run = tmp_path / "run"
    args = ["--suite", tiny_suite, "--out", run, "--workers", 1, "-q"]
    short = config(tmp_path, video_api.url, deadline=1.0)
    assert invoke("run", "--model-config", short, *args).exit_code == 0
    polls = video_api.polls["job-0-1"]
    start = time.monotonic()
    again = invoke("run", "--model-config", short, *args)  # past its deadline: one poll
    assert again.exit_code == 0 and time.monotonic() - start < 1.0 + 3.0
    assert video_api.polls["job-0-1"] == polls + 1
    row = {r.idx: r for r in store.rows(run)}[0]
    assert "after its submission (deadline)" in row.error and "raise http.deadline" in row.error
    video_api.plan[0] = "ok"
    longer = config(tmp_path, video_api.url, deadline=60.0)  # the same job, waited for longer
    assert invoke("run", "--model-config", longer, *args).exit_code == 0
    assert dict(video_api.submits) == dict.fromkeys(range(4), 1)
    assert {r.idx: r.status for r in store.rows(run)}[0] == "scored"


@pytest.mark.slow  # a real process killed and a second run: about 8 s
def test_a_killed_run_resumes_polling_without_submitting_again(tiny_suite, tmp_path, video_api):
    video_api.plan = dict.fromkeys(range(4), "hold")
    run = tmp_path / "run"
    path = config(tmp_path, video_api.url, deadline=60.0)
    env = {**os.environ, "VIDEO_API_KEY": KEY, "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [sys.executable, "-c", "from vidreason.cli import app; app()", "run"]
    cmd += ["--model-config", str(path), "--suite", str(tiny_suite), "--out", str(run), "-q"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    logs = run / "videos" / "fake-api" / "projectile-v1"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (
        len(list(logs.glob("*.job.json"))) < 4 or sum(video_api.polls.values()) < 8
    ):
        time.sleep(0.05)
    assert len(list(logs.glob("*.job.json"))) == 4, proc.stderr
    proc.send_signal(signal.SIGKILL)  # killed mid-poll: nothing gets to clean up
    proc.wait(timeout=10)
    assert dict(video_api.submits) == dict.fromkeys(range(4), 1)
    polled_before = dict(video_api.polls)

    video_api.released.set()
    os.environ["VIDEO_API_KEY"] = KEY
    try:
        result = invoke("run", "--model-config", path, "--suite", tiny_suite, "--out", run, "-q")
    finally:
        del os.environ["VIDEO_API_KEY"]
    assert result.exit_code == 0, result.output
    assert dict(video_api.submits) == dict.fromkeys(range(4), 1)  # nothing paid twice
    assert all(video_api.polls[j] > n for j, n in polled_before.items())  # the same jobs
    rows = store.rows(run)
    assert len(rows) == 4 and all(r.status == "scored" and r.value >= 0.95 for r in rows)
    rec = read_record(logs / "00002.mp4")
    assert rec is not None and rec["info"]["resumed"] is True and rec["job_id"] == "job-2-1"


def test_the_payload_template_keeps_numbers_and_fills_strings():
    values = {"prompt": "a ball", "seed": 7, "width": 256, "height": 128}
    template = {"in": {"text": "{prompt}", "size": ["{width}", "{height}"]}, "s": "{seed}"}
    template["label"] = "seed {seed} at {width}x{height}, {unknown}"
    assert fill(template, values) == {
        "in": {"text": "a ball", "size": [256, 128]},
        "s": 7,
        "label": "seed 7 at 256x128, {unknown}",
    }
    assert dig({"a": [{"b": "x"}]}, "a.0.b") == "x" and dig({"a": 1}, "a.b") is None


def test_retry_after_reads_seconds_and_dates():
    import email.utils

    assert retry_after({"Retry-After": "3"}, 9.0) == 3.0
    assert retry_after({}, 9.0) == 9.0
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    assert 15 < retry_after({"Retry-After": when}, 9.0) <= 20
