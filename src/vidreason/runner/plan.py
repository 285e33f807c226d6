"""Work units: one (model, instance, seed) triple, keyed by a hash of everything that
decides its score: the model's name and version (for a configured model, its adapter
settings are part of the version), the suite, the instance's task.json, the verifier
version declared in code (``verifier_version``), which of the model's ``--seeds K``
generations it is and, for videos from a folder, the video's bytes. A unit whose key is
in the store is done; a changed video, task, verifier or setting gets a new key and is
scored again. Generation ``s`` of an instance is ``<index:05d>.mp4`` for ``s = 0`` and
``<index:05d>-s<s>.mp4`` otherwise.

On a continuation suite a video holds the frames after the context (a continuation
model's, and a folder's), or, for an image-to-video model, the whole clip
(``whole_clip``: the scorer reads it from the context's end on); the key says which.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from vidreason.instance_io import TASK_FILE, load_instance
from vidreason.types import Instance

VIDEO_SUFFIX = ".mp4"


@dataclass(frozen=True)
class WorkUnit:
    key: str
    model: str
    model_version: str
    suite: str
    family: str
    capability: str
    index: int
    difficulty: int
    instance_dir: Path
    video: Path
    generate: bool  # a built-in model writes the video before it is scored
    verifier_version: str = ""
    missing: bool = False  # a folder unit whose video file does not exist
    seed: int = 0  # which generation of the instance (--seeds K: 0 to K-1)
    goal_conditioned: bool = False  # the model has seen the goal (its card)
    generation_error: str = ""  # set by the generation stage when the model failed
    whole_clip: bool = False  # a continuation suite's video that holds the whole clip
    context_frames: int = 0  # the suite's context (0: image-to-video)

    @property
    def identity(self) -> tuple[str, str, str, int, int]:
        """What a score is the score *of*: the store keeps one current row per identity."""
        return (self.model, self.suite, self.family, self.index, self.seed)


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def suite_id(suite_dir: Path) -> str:
    """A suite's identity from its ``suite.json``: name, seed and format, e.g.
    ``core-s0-256x256-16fps-48f`` (``...-48f-ctx12`` for a continuation suite of 12
    context frames; from ``.suite.json`` while shards write the suite); a folder without
    either is known by its name."""
    from vidreason.errors import UserError

    path = Path(suite_dir) / "suite.json"
    if not path.is_file():  # a suite its shards are still writing (``suites.PENDING_FILE``)
        path = Path(suite_dir) / ".suite.json"
    meta: dict = {}
    if path.is_file():
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(meta, dict):
            raise UserError(f"{path}: not a suite description (expected a JSON object)")
    parts = [str(meta.get("suite") or Path(suite_dir).resolve().name)]
    if "seed" in meta:
        parts.append(f"s{meta['seed']}")
    fmt = meta.get("format")
    if isinstance(fmt, dict) and {"width", "height", "fps", "n_frames"} <= set(fmt):
        parts.append(f"{fmt['width']}x{fmt['height']}-{fmt['fps']}fps-{fmt['n_frames']}f")
        if fmt.get("style", "flat") != "flat":  # a style is another suite
            parts.append(str(fmt["style"]))
    if meta.get("context_frames"):  # a continuation suite is another suite
        parts.append(f"ctx{meta['context_frames']}")
    return "-".join(parts)


def unit_key(
    model: str,
    model_version: str,
    suite: str,
    task_hash: str,
    verifier: str,
    video_hash: str | None,
    seed: int = 0,
    whole_clip: bool = False,
) -> str:
    payload: dict[str, object] = {
        "model": model,
        "model_version": model_version,
        "suite": suite,
        "task": task_hash,
        "verifier": verifier,
        "video": video_hash,
    }
    if seed:  # seed 0 keeps the keys stored before --seeds
        payload["seed"] = seed
    if whole_clip:
        payload["whole_clip"] = True
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def video_name(instance_dir: Path, seed: int = 0) -> Path:
    """``<family>-v<N>/<index:05d>.mp4``, the folder layout every model's videos use;
    ``<index:05d>-s<seed>.mp4`` for the other generations of ``--seeds K``."""
    instance_dir = Path(instance_dir)
    stem = instance_dir.name + (f"-s{seed}" if seed else "")
    return Path(instance_dir.parent.name) / f"{stem}{VIDEO_SUFFIX}"


def _unit(
    model: str,
    version: str,
    suite: str,
    instance_dir: Path,
    video: Path,
    generate: bool,
    video_hash: str | None,
    seed: int = 0,
    goal_conditioned: bool = False,
    whole_clip: bool = False,
) -> WorkUnit:
    from vidreason.verifier_version import verifier_version

    inst: Instance = load_instance(instance_dir)
    verifier = verifier_version(inst)
    task_hash = file_hash(Path(instance_dir) / TASK_FILE)
    whole = whole_clip and inst.context_frames > 0
    return WorkUnit(
        key=unit_key(model, version, suite, task_hash, verifier, video_hash, seed, whole),
        model=model,
        model_version=version,
        suite=suite,
        family=inst.family_id,
        capability=inst.capability,
        index=inst.spec.index,
        difficulty=inst.spec.difficulty,
        instance_dir=Path(instance_dir).resolve(),
        video=Path(video).resolve(),
        generate=generate,
        verifier_version=verifier,
        missing=video_hash == "missing",
        seed=seed,
        goal_conditioned=goal_conditioned,
        whole_clip=whole,
        context_frames=inst.context_frames,
    )


def plan_model(
    model: str,
    version: str,
    instance_dirs: list[Path],
    run_dir: Path,
    suite: str = "",
    seeds: int = 1,
    goal_conditioned: bool = False,
    whole_clip: bool = False,
) -> list[WorkUnit]:
    """Units for a model that writes its videos under ``run_dir/videos/<model>``:
    ``seeds`` generations of every instance; ``whole_clip``: the model is no continuation
    model (on a continuation suite its videos hold the whole clip)."""
    root = Path(run_dir) / "videos" / model
    return [
        _unit(
            model,
            version,
            suite,
            d,
            root / video_name(d, s),
            True,
            None,
            s,
            goal_conditioned,
            whole_clip,
        )
        for d in instance_dirs
        for s in range(seeds)
    ]


def plan_folder(
    model: str,
    instance_dirs: list[Path],
    videos_dir: Path,
    suite: str = "",
    whole_clips: bool = False,
) -> list[WorkUnit]:
    """Units for videos an external model wrote to ``<videos>/<family>-v<N>/<index>.mp4``;
    a missing file is a unit too (it scores 0, as a missing video). ``whole_clips``: on a
    continuation suite the videos hold the whole clip, not the frames after the context."""
    units = []
    for d in instance_dirs:
        video = Path(videos_dir) / video_name(d)
        digest = file_hash(video) if video.is_file() else "missing"
        units.append(_unit(model, "folder", suite, d, video, False, digest, whole_clip=whole_clips))
    return units


def unmatched_files(videos_dir: Path, units: list[WorkUnit]) -> list[str]:
    """Files under ``videos_dir`` that are no unit's video (a misnamed ``1.mp4``, a family
    the suite does not have), as paths relative to the folder. Hidden files and the JSON
    records that may sit next to videos are not counted."""
    root = Path(videos_dir).resolve()
    wanted = {u.video for u in units}
    out = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if not p.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        if p.suffix == ".json" or p.resolve() in wanted:
            continue
        out.append(rel.as_posix())
    return out
