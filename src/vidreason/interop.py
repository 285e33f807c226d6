"""The folder layouts of the field's reasoning benchmarks, in and out.

``vbvr`` (the layout of VBVR-style benchmarks)::

    <dir>/<task>/<index>/
      first_frame.png  prompt.txt  final_frame.png  ground_truth.mp4

``export_suite`` copies a generated suite's instances into that layout byte for byte
(task = the family id, index = ``00000``...). ``import_suite`` turns such a folder into a
suite that ``vidreason score`` and ``vidreason run`` accept: each instance keeps its four
files and gains a ``task.json`` that names the ``imported-v1`` verifier, since an
imported task has no simulator spec. That verifier (``verifiers/imported.py``) scores a
video by consistency with the first frame, agreement with the ground-truth final frame
and temporal continuity. To add a layout, add a pair of functions and an entry to
``LAYOUTS``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from vidreason.errors import UserError
from vidreason.instance_io import TASK_FILE, find_instances, instance_to_dict
from vidreason.types import Instance, SceneSpec, Trajectory, VideoFormat

LAYOUTS = ("vbvr",)
VBVR_FILES = ("first_frame.png", "prompt.txt", "final_frame.png", "ground_truth.mp4")
IMPORTED_VERIFIER = "imported-v1"
IMPORTED_CAPABILITY = "imported"


def _check_layout(layout: str) -> None:
    if layout not in LAYOUTS:
        raise UserError(f"unknown layout {layout!r} (known: {', '.join(LAYOUTS)})")


def export_suite(suite_dir: Path, out_dir: Path, layout: str = "vbvr") -> list[Path]:
    """Copy every instance of ``suite_dir`` to ``out_dir/<family-id>/<index>/``."""
    _check_layout(layout)
    instances = find_instances(Path(suite_dir))
    if not instances:
        raise UserError(f"{suite_dir}: no task instances in this folder")
    out = []
    for d in instances:
        dest = Path(out_dir) / d.parent.name / d.name
        dest.mkdir(parents=True, exist_ok=True)
        for name in VBVR_FILES:
            shutil.copyfile(d / name, dest / name)
        out.append(dest)
    return out


def _task_id(name: str) -> tuple[str, int]:
    """A family name and version for a task folder: ``maze-v1`` stays itself, anything
    else becomes ``<name>`` version 1 (characters other than letters, digits, ``_``,
    ``.`` and ``-`` replaced by ``-``)."""
    m = re.fullmatch(r"(.+)-v(\d+)", name)
    family, version = (m.group(1), int(m.group(2))) if m else (name, 1)
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", family).strip("-") or "task", version


def _indices(names: list[str]) -> list[int]:
    """Each folder's index: the number it ends with, else its place in sorted order."""
    found = [re.search(r"(\d+)$", n) for n in names]
    nums = [int(m.group(1)) if m else None for m in found]
    if None in nums or len(set(nums)) < len(nums):
        return list(range(len(names)))
    return nums  # type: ignore[return-value]


def imported_instance(task: str, index: int, folder: Path, rel: str) -> Instance:
    """The ``task.json`` content of one imported instance (format read from its video)."""
    from vidreason import __version__
    from vidreason.render.video_io import read_video

    family, version = _task_id(task)
    clip = read_video(folder / "ground_truth.mp4")
    h, w = clip.frames.shape[1:3]
    fps = clip.fps
    if clip.times is not None and clip.n_frames > 1:
        fps = (clip.n_frames - 1) / float(clip.times[-1])
    spec = SceneSpec(
        family=family,
        version=version,
        seed=0,
        index=index,
        difficulty=1,
        fmt=VideoFormat(
            width=int(w), height=int(h), fps=max(1, round(fps)), n_frames=clip.n_frames
        ),
        gravity=0.0,
        bodies=(),
        extra={"imported": {"layout": "vbvr", "task": task, "source": rel, "fps": round(fps, 4)}},
    )
    prompt = (folder / "prompt.txt").read_text(encoding="utf-8").strip()
    return Instance(
        spec=spec,
        trajectory=Trajectory(states={}),
        events=(),
        prompt=prompt,
        capability=IMPORTED_CAPABILITY,
        law="imported task: the video starts from the first frame, ends at the ground-truth"
        " final frame and has no cuts",
        verifier=IMPORTED_VERIFIER,
        verifier_version=1,
        versions={"vidreason": __version__, "verifier": IMPORTED_VERIFIER},
    )


def import_suite(src_dir: Path, suite_dir: Path, layout: str = "vbvr") -> list[Path]:
    """Turn ``src_dir/<task>/<index>/`` folders into a suite at ``suite_dir``."""
    from vidreason.suites import SUITE_FILE

    _check_layout(layout)
    src_dir = Path(src_dir)
    if not src_dir.is_dir():
        raise UserError(f"{src_dir}: no such folder")
    tasks = sorted(p for p in src_dir.iterdir() if p.is_dir())
    out: list[Path] = []
    families = set()
    for task in tasks:
        folders = sorted(p for p in task.iterdir() if (p / "ground_truth.mp4").is_file())
        for folder, index in zip(folders, _indices([f.name for f in folders]), strict=True):
            missing = [f for f in VBVR_FILES if not (folder / f).is_file()]
            if missing:
                raise UserError(f"{folder}: missing {', '.join(missing)}")
            inst = imported_instance(task.name, index, folder, f"{task.name}/{folder.name}")
            dest = Path(suite_dir) / inst.family_id / f"{index:05d}"
            dest.mkdir(parents=True, exist_ok=True)
            for name in VBVR_FILES:
                shutil.copyfile(folder / name, dest / name)
            text = json.dumps(instance_to_dict(inst), sort_keys=True, indent=1)
            (dest / TASK_FILE).write_text(text + "\n", encoding="utf-8")
            families.add(inst.family_id)
            out.append(dest)
    if not out:
        raise UserError(f"{src_dir}: no <task>/<index>/ folders with ground_truth.mp4")
    meta = {
        "suite": Path(suite_dir).name,
        "imported_from": str(src_dir),
        "layout": layout,
        "families": sorted(families),
    }
    (Path(suite_dir) / SUITE_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    return out
