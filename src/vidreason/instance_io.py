"""Task instances on disk: write and read the folder layout of docs/architecture.md.

```
<suite>/<family>-v<N>/<index:05d>/
  first_frame.png  prompt.txt  final_frame.png  ground_truth.mp4  task.json
  context.mp4      a continuation suite's only: the first K frames of the ground truth
```

``task.json`` is written with sorted keys and rounded floats so the same seed gives the
same bytes. ``load_instance`` raises ``InstanceError`` (one line, naming the file) for a
folder that is not an instance.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from vidreason.jsontext import dumps_sorted
from vidreason.types import (
    Body,
    Event,
    Instance,
    Joint,
    Question,
    SceneSpec,
    Trajectory,
    VideoFormat,
    Wall,
)

TASK_FILE = "task.json"
CONTEXT_FILE = "context.mp4"  # continuation suites: the first K true frames
FILES = ("first_frame.png", "prompt.txt", "final_frame.png", "ground_truth.mp4", TASK_FILE)


class InstanceError(ValueError):
    """A task folder that cannot be read; the message names the file."""


def _tuple(v: Any) -> Any:
    return tuple(_tuple(x) for x in v) if isinstance(v, list) else v


def spec_to_dict(spec: SceneSpec) -> dict[str, Any]:
    return {
        "family": spec.family,
        "version": spec.version,
        "seed": spec.seed,
        "index": spec.index,
        "difficulty": spec.difficulty,
        "fmt": spec.fmt.as_dict(),
        "gravity": spec.gravity,
        "bodies": [_body_dict(b) for b in spec.bodies],
        "walls": [_wall_dict(w) for w in spec.walls],
        "background": list(spec.background),
        "params": dict(spec.params),
        "joints": [
            {
                "body": j.body,
                "anchor": list(j.anchor),
                "colour": list(j.colour),
                "thickness": j.thickness,
            }
            for j in spec.joints
        ],
        "extra": spec.extra,
    }


def _body_dict(b: Body) -> dict[str, Any]:
    return {
        "name": b.name,
        "colour_name": b.colour_name,
        "colour": list(b.colour),
        "radius": b.radius,
        "mass": b.mass,
        "position": list(b.position),
        "velocity": list(b.velocity),
        "elasticity": b.elasticity,
        "friction": b.friction,
        "shape": b.shape,
        "size": list(b.size),
        "angle": b.angle,
        "angular_velocity": b.angular_velocity,
        "body_type": b.body_type,
        "noun": b.noun,
    }


def _wall_dict(w: Wall) -> dict[str, Any]:
    return {
        "a": list(w.a),
        "b": list(w.b),
        "thickness": w.thickness,
        "colour": list(w.colour),
        "elasticity": w.elasticity,
        "friction": w.friction,
    }


def spec_from_dict(d: dict[str, Any]) -> SceneSpec:
    return SceneSpec(
        family=d["family"],
        version=int(d["version"]),
        seed=int(d["seed"]),
        index=int(d["index"]),
        difficulty=int(d["difficulty"]),
        fmt=VideoFormat(**d["fmt"]),
        gravity=float(d["gravity"]),
        bodies=tuple(Body(**{k: _tuple(v) for k, v in b.items()}) for b in d["bodies"]),
        walls=tuple(Wall(**{k: _tuple(v) for k, v in w.items()}) for w in d["walls"]),
        background=_tuple(d["background"]),
        params=dict(d.get("params", {})),
        joints=tuple(Joint(**{k: _tuple(v) for k, v in j.items()}) for j in d.get("joints", [])),
        extra=dict(d.get("extra", {})),
    )


def instance_to_dict(inst: Instance) -> dict[str, Any]:
    spec = inst.spec
    return {
        "family": spec.family,
        "family_id": spec.family_id,
        "version": spec.version,
        "seed": spec.seed,
        "index": spec.index,
        "difficulty": spec.difficulty,
        "capability": inst.capability,
        "law": inst.law,
        "prompt": inst.prompt,
        "fps": spec.fmt.fps,
        "n_frames": spec.fmt.n_frames,
        "resolution": [spec.fmt.width, spec.fmt.height],
        **({"style": spec.fmt.style} if spec.fmt.style != "flat" else {}),
        "colour_keys": {k: list(v) for k, v in spec.colour_keys().items()},
        "verifier": {"id": inst.verifier, "version": inst.verifier_version},
        "versions": dict(inst.versions),
        "spec": spec_to_dict(spec),
        "trajectory": {k: [list(s) for s in v] for k, v in inst.trajectory.states.items()},
        "events": [
            {"kind": e.kind, "frame": e.frame, "time": e.time, "objects": list(e.objects)}
            for e in inst.events
        ],
        **({"outcome": inst.outcome} if inst.outcome else {}),
        **({"context_frames": inst.context_frames} if inst.context_frames else {}),
    }


def instance_from_dict(d: dict[str, Any]) -> Instance:
    return Instance(
        spec=spec_from_dict(d["spec"]),
        trajectory=Trajectory(
            states={
                k: tuple(tuple(float(x) for x in s) for s in v) for k, v in d["trajectory"].items()
            }
        ),
        events=tuple(
            Event(
                kind=e["kind"],
                frame=int(e["frame"]),
                time=float(e["time"]),
                objects=tuple(e["objects"]),
            )
            for e in d["events"]
        ),
        prompt=d["prompt"],
        capability=d["capability"],
        law=d["law"],
        verifier=d["verifier"]["id"],
        verifier_version=int(d["verifier"]["version"]),
        versions=dict(d["versions"]),
        outcome=dict(d.get("outcome", {})),
        context_frames=int(d.get("context_frames", 0)),
    )


def write_png(path: Path, rgb: np.ndarray) -> None:
    import cv2  # here, not at the top: reading a task.json (e.g. `vidreason --help`) needs none

    from vidreason.render.encoding import png_params

    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), png_params())
    if not ok:
        raise OSError(f"{path}: PNG encoding failed")
    path.write_bytes(buf.tobytes())


def read_png(path: Path) -> np.ndarray:
    import cv2

    data = np.frombuffer(Path(path).read_bytes(), dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None:
        raise InstanceError(f"{path}: not a readable image")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def write_instance(inst: Instance, frames: np.ndarray, out_dir: Path) -> Path:
    """Write the five files of one instance into ``out_dir`` (created if needed), and
    ``context.mp4`` (its first ``context_frames`` frames) for a continuation suite."""
    from vidreason.render.encoding import CRF, PRESET, TUNING
    from vidreason.render.video_io import write_mp4

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_png(out_dir / "first_frame.png", frames[0])
    write_png(out_dir / "final_frame.png", frames[-1])
    (out_dir / "prompt.txt").write_text(inst.prompt + "\n", encoding="utf-8")
    fps = inst.spec.fmt.fps
    write_mp4(frames, out_dir / "ground_truth.mp4", fps=fps, crf=CRF, preset=PRESET, tuning=TUNING)
    if inst.context_frames:
        context = frames[: inst.context_frames]
        write_mp4(context, out_dir / CONTEXT_FILE, fps=fps, crf=CRF, preset=PRESET, tuning=TUNING)
    text = dumps_sorted(instance_to_dict(inst))  # json.dumps(..., sort_keys=True, indent=1)
    (out_dir / TASK_FILE).write_text(text + "\n", encoding="utf-8")
    return out_dir


QUESTIONS_FILE = "questions.json"


def write_questions(questions: list[Question], out_dir: Path) -> Path:
    """Write an instance's questions (CLEVRER style) as ``questions.json``."""
    path = Path(out_dir) / QUESTIONS_FILE
    rows = [{"id": i, **q.to_dict()} for i, q in enumerate(questions)]
    path.write_text(json.dumps(rows, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def load_instance(inst_dir: Path) -> Instance:
    path = Path(inst_dir) / TASK_FILE
    if not path.is_file():
        raise InstanceError(f"{path}: missing (not a task instance folder)")
    try:
        return instance_from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise InstanceError(
            f"{path}: not a valid task file ({type(exc).__name__}: {exc})"
        ) from None


def find_instances(suite_dir: Path) -> list[Path]:
    """Every instance folder under a suite folder, sorted by family then index. Every
    ``task.json`` is read first: one ``InstanceError`` names each that cannot be."""
    suite_dir = Path(suite_dir)
    if not suite_dir.is_dir():
        raise InstanceError(f"{suite_dir}: no such suite folder")
    dirs = sorted(p.parent for p in suite_dir.glob(f"*/*/{TASK_FILE}"))
    bad = []
    for d in dirs:
        try:
            load_instance(d)
        except InstanceError as exc:
            bad.append(str(exc))
    if bad:
        files = "task file cannot" if len(bad) == 1 else "task files cannot"
        raise InstanceError(
            f"{suite_dir}: {len(bad)} of {len(dirs)} {files} be read: " + "; ".join(bad)
        )
    return dirs
