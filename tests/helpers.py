"""Helpers shared by the tests: a video scored the way a model's video is."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import numpy as np

from vidreason import store
from vidreason.corruptions import BY_NAME, encode
from vidreason.perception.tracking import Tracks
from vidreason.render.video_io import read_video, write_mp4
from vidreason.scoring import score_frames
from vidreason.tasks import build_instance, get_family
from vidreason.tasks.base import difficulty_of
from vidreason.types import Instance, Score, VideoFormat


def build(
    family: str, index: int = 0, seed: int = 0, difficulty: int | None = None, fmt=None
) -> tuple[Instance, np.ndarray]:
    """Instance ``index`` of ``family`` (its suite difficulty unless one is given) and its
    true frames, as a suite would generate it."""
    fam = get_family(family)
    d = difficulty_of(fam, index) if difficulty is None else difficulty
    return build_instance(fam, seed, index, d, fmt or VideoFormat())


def score_corrupted(
    name: str, inst: Instance, frames: np.ndarray, tmp_path: Path
) -> tuple[Score, Tracks]:
    """The true ``frames`` changed by the corruption ``name`` of ``vidreason.corruptions``,
    encoded as the audit encodes it, decoded and scored against ``inst`` (the conditioning
    image is the true first frame)."""
    sample = BY_NAME[name].fn(inst, frames, np.random.default_rng(0))
    clip = read_video(encode(sample, tmp_path / "v"))
    times = clip.times if clip.times is not None else np.arange(clip.n_frames) / clip.fps
    return score_frames(clip.frames, inst, frames[0], times)


def score_encoded(
    inst: Instance, frames: np.ndarray, tmp_path: Path, first: np.ndarray | None = None
) -> tuple[Score, Tracks]:
    """``frames`` written as H.264 at the instance's frame rate, decoded and scored against
    ``inst``; ``first`` is the conditioning image (by default the video's first frame)."""
    path = write_mp4(frames, tmp_path / "v.mp4", fps=inst.spec.fmt.fps)
    video = read_video(path)
    return score_frames(video.frames, inst, frames[0] if first is None else first, video.times)


#: the families of the ``small_suite`` fixture: 2D physics, a paired causal family, MuJoCo,
#: planning
SMALL = ("bounce-v1", "collision-v1", "projectile-v1", "dominoes-v1", "roll-3d-v1", "maze-v1")


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` by its relative path: two folders equal byte for byte
    compare equal."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def comparable_rows(run: Path) -> list[dict]:
    """The current rows of a run, less the time each was scored, with the run folder's
    path written as RUN: what two runs of the same work must agree on."""
    root = str(run.resolve())
    out = []
    for r in store.rows(run):
        d = r.to_dict()
        d.pop("scored_at")
        for k in ("video", "instance_dir", "explanation", "error"):
            d[k] = d[k].replace(root, "RUN")
        out.append(d)
    return out


class JsonHandler(BaseHTTPRequestHandler):
    """A quiet request handler for the test servers on 127.0.0.1 that answers JSON."""

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _json(self, code: int, doc: object, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
