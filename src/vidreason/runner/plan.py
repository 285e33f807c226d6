"""Work units: one (model, instance) pair, keyed by a hash of everything that decides
its score (model name and version, the instance's task.json, the verifier version and,
for videos from a folder, the video's bytes). A unit whose key is in the store is done.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from vidreason.instance_io import TASK_FILE, load_instance


@dataclass(frozen=True)
class WorkUnit:
    key: str
    model: str
    model_version: str
    family: str
    capability: str
    index: int
    difficulty: int
    instance_dir: Path
    video: Path
    generate: bool  # a built-in model writes the video before it is scored


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def unit_key(model: str, model_version: str, instance_dir: Path, video_hash: str | None) -> str:
    inst = load_instance(instance_dir)
    payload = {
        "model": model,
        "model_version": model_version,
        "task": file_hash(Path(instance_dir) / TASK_FILE),
        "verifier": [inst.verifier, inst.verifier_version],
        "video": video_hash,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def video_name(instance_dir: Path) -> Path:
    """``<family>-v<N>/<index:05d>.mp4``, the folder layout every model's videos use."""
    instance_dir = Path(instance_dir)
    return Path(instance_dir.parent.name) / f"{instance_dir.name}.mp4"


def _unit(
    model: str, version: str, instance_dir: Path, video: Path, generate: bool, key: str
) -> WorkUnit:
    inst = load_instance(instance_dir)
    instance_dir, video = Path(instance_dir).resolve(), Path(video).resolve()
    return WorkUnit(
        key=key,
        model=model,
        model_version=version,
        family=inst.family_id,
        capability=inst.capability,
        index=inst.spec.index,
        difficulty=inst.spec.difficulty,
        instance_dir=Path(instance_dir),
        video=video,
        generate=generate,
    )


def plan_model(
    model: str, version: str, instance_dirs: list[Path], run_dir: Path
) -> list[WorkUnit]:
    """Units for a built-in model that writes its videos under ``run_dir/videos/<model>``."""
    root = Path(run_dir) / "videos" / model
    return [
        _unit(model, version, d, root / video_name(d), True, unit_key(model, version, d, None))
        for d in instance_dirs
    ]


def plan_folder(model: str, instance_dirs: list[Path], videos_dir: Path) -> list[WorkUnit]:
    """Units for videos an external model wrote to ``<videos>/<family>-v<N>/<index>.mp4``."""
    units = []
    for d in instance_dirs:
        video = Path(videos_dir) / video_name(d)
        digest = file_hash(video) if video.is_file() else "missing"
        units.append(_unit(model, "folder", d, video, False, unit_key(model, "folder", d, digest)))
    return units
