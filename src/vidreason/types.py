"""Plain data that flows through vidreason: specs, trajectories, events, instances, scores.

Every type here is a frozen dataclass that round-trips through JSON (``to_json`` /
``from_json``), so an instance on disk is exactly the data a verifier sees. To add a field,
give it a default so older task.json files still load.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

RGB = tuple[int, int, int]

CAPABILITIES = ("physics", "causal", "temporal", "commonsense", "planning", "fluids")
STYLES = ("flat", "shaded", "textured")  # how a scene is drawn; the laws are the same


@dataclass(frozen=True)
class VideoFormat:
    """Resolution and timing of every video in a suite."""

    width: int = 256
    height: int = 256
    fps: int = 16
    n_frames: int = 48
    style: str = "flat"  # one of STYLES: flat colours, shading and shadows, or textures

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}; got {self.style!r}")

    @property
    def duration(self) -> float:
        """Seconds from the first frame to the last one."""
        return (self.n_frames - 1) / self.fps

    def as_dict(self) -> dict[str, Any]:
        """The format as task.json and suite.json write it (``style`` only when not flat,
        so flat instances keep their bytes)."""
        d: dict[str, Any] = {
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "n_frames": self.n_frames,
        }
        return d | ({"style": self.style} if self.style != "flat" else {})


SHAPES = ("circle", "box", "cup")
BODY_TYPES = ("dynamic", "kinematic", "static")


@dataclass(frozen=True)
class Body:
    """A rigid body: a disc (``radius``), a box (``size`` = width, height, rotated by
    ``angle`` radians) or a cup (a U of three boxes: outer ``size``, walls ``2 * radius``
    thick, open towards -y at angle 0). Positions are in scene pixels, y pointing down; a
    cup's position is the centroid of its area (where the tracker finds it). For a box,
    ``radius`` is half its shorter side (the tracker's size scale)."""

    name: str
    colour_name: str
    colour: RGB
    radius: float
    mass: float
    position: tuple[float, float]
    velocity: tuple[float, float] = (0.0, 0.0)
    elasticity: float = 1.0
    friction: float = 0.0
    shape: str = "circle"
    size: tuple[float, float] = (0.0, 0.0)
    angle: float = 0.0
    angular_velocity: float = 0.0
    body_type: str = "dynamic"
    noun: str = ""  # what the prompt and explanations call it; default ball / block

    @property
    def label(self) -> str:
        """E.g. "red ball", "blue block": how explanations name this body."""
        default = {"box": "block", "cup": "cup"}.get(self.shape, "ball")
        return f"{self.colour_name} {self.noun or default}"

    @property
    def area(self) -> float:
        """Visible area in px² (what the tracker expects to find)."""
        if self.shape == "box":
            return float(self.size[0] * self.size[1])
        if self.shape == "cup":
            return float(sum(w * h for _, (w, h) in self.boxes()))
        return float(np.pi * self.radius**2)

    def boxes(self) -> list[tuple[tuple[float, float], tuple[float, float]]]:
        """The boxes a box or cup is made of: (centre offset in the body frame, size)."""
        if self.shape == "box":
            return [((0.0, 0.0), (float(self.size[0]), float(self.size[1])))]
        if self.shape != "cup":
            return []
        w, h = float(self.size[0]), float(self.size[1])
        t = 2.0 * self.radius
        pieces = [
            ((-(w - t) / 2, 0.0), (t, h)),
            (((w - t) / 2, 0.0), (t, h)),
            ((0.0, (h - t) / 2), (w - 2 * t, t)),
        ]
        total = sum(a * b for _, (a, b) in pieces)
        yc = sum(c[1] * a * b for c, (a, b) in pieces) / total
        return [((c[0], c[1] - yc), s) for c, s in pieces]


@dataclass(frozen=True)
class Joint:
    """A pin joint: ``body`` swings about the fixed point ``anchor`` (drawn as a rod)."""

    body: str
    anchor: tuple[float, float]
    colour: RGB = (90, 90, 96)
    thickness: float = 2.0


@dataclass(frozen=True)
class Wall:
    """A static segment (floor, wall) drawn as a thick line."""

    a: tuple[float, float]
    b: tuple[float, float]
    thickness: float
    colour: RGB
    elasticity: float = 1.0
    friction: float = 0.0


@dataclass(frozen=True)
class SceneSpec:
    """Everything needed to simulate and draw one task instance. Pure, JSON-able data.

    ``family`` and ``version`` are the registration's: ``build_instance`` stamps them (with
    the seed, index, difficulty and format), so a sampler leaves them out."""

    family: str = field(default="", kw_only=True)
    version: int = field(default=0, kw_only=True)
    seed: int
    index: int
    difficulty: int
    fmt: VideoFormat
    gravity: float
    bodies: tuple[Body, ...]
    walls: tuple[Wall, ...] = ()
    background: RGB = (236, 236, 232)
    params: dict[str, float] = field(default_factory=dict)
    joints: tuple[Joint, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # JSON-able data a family needs

    @property
    def family_id(self) -> str:
        return f"{self.family}-v{self.version}"

    def body(self, name: str) -> Body:
        for b in self.bodies:
            if b.name == name:
                return b
        raise KeyError(name)

    def colour_keys(self) -> dict[str, RGB]:
        return {b.name: b.colour for b in self.bodies}


@dataclass(frozen=True)
class Event:
    """Something that happened at a frame: a contact between two bodies or a body and a wall."""

    kind: str
    frame: int
    time: float
    objects: tuple[str, ...]


State = tuple[float, ...]
"""One body's state at one frame. Every family: ``(x, y, vx, vy, angle)`` in scene pixels,
px/s and radians (for a 3D family: the image position, the image velocity in px per
video second and the tilt from upright); a 3D family appends the body's pose, ``(X, Y, Z, qw, qx, qy, qz)`` in metres
and a unit quaternion (``engines/mujoco_sim.py``), 12 columns in all."""

STATE_2D = 5  # columns of a 2D body's state: more, and the body has a 3D pose


@dataclass(frozen=True)
class Trajectory:
    """Per-frame states: ``states[name][frame]`` is a ``State`` (5 columns in 2D, 12 in 3D)."""

    states: dict[str, tuple[State, ...]]

    def array(self, name: str) -> np.ndarray:
        """Body ``name``'s states as a float array (frames x columns)."""
        return np.asarray(self.states[name], dtype=float)

    def xy(self, name: str) -> np.ndarray:
        """Body ``name``'s image positions as a float array (frames x 2)."""
        return self.array(name)[:, :2]

    def positions(self, name: str) -> list[tuple[float, float]]:
        return [(s[0], s[1]) for s in self.states[name]]

    @property
    def n_frames(self) -> int:
        return len(next(iter(self.states.values())))


@dataclass(frozen=True)
class Instance:
    """One task instance as written to and read from disk. ``outcome`` is what happens in
    the ground-truth video, as a few discrete facts (read off the simulation by the
    family's ``truth_outcome``, or its ``outcome`` function run on it); counterfactual pairs are compared through it. ``context_frames``: K > 0 for
    an instance of a continuation suite (its first K true frames are given to the model,
    as ``context.mp4``), 0 otherwise."""

    spec: SceneSpec
    trajectory: Trajectory
    events: tuple[Event, ...]
    prompt: str
    capability: str
    law: str
    verifier: str
    verifier_version: int
    versions: dict[str, str]
    outcome: dict[str, Any] = field(default_factory=dict)
    context_frames: int = 0

    @property
    def family_id(self) -> str:
        return self.spec.family_id


QUESTION_KINDS = ("descriptive", "explanatory", "predictive", "counterfactual")


@dataclass(frozen=True)
class Question:
    """A question about an instance's video with its answer from the simulator (CLEVRER
    style). ``answer`` is a short canonical string: a number in digits, "yes"/"no", an
    object's label ("red ball") or one of ``choices``. A predictive question is asked
    after showing the frames before ``until_frame`` only."""

    kind: str
    question: str
    answer: str
    choices: tuple[str, ...] = ()
    until_frame: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in QUESTION_KINDS:
            raise ValueError(f"unknown question kind {self.kind!r}")
        if self.choices and (len(self.choices) < 2 or self.answer not in self.choices):
            raise ValueError(f"{self.question!r}: choices {self.choices} must hold the answer")

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "question": self.question, "answer": self.answer}
        if self.choices:
            d["choices"] = list(self.choices)
        if self.until_frame is not None:
            d["until_frame"] = self.until_frame
        return d


@dataclass(frozen=True)
class Check:
    """One named test of a video: a value in [0, 1] and, when it falls short, why."""

    name: str
    value: float
    note: str = ""

    @property
    def passed(self) -> bool:
        return self.value >= 0.5


@dataclass(frozen=True)
class Score:
    """The verdict on one video: the weakest check decides the value."""

    value: float
    passed: bool
    checks: dict[str, float]
    explanation: str
    error: str = ""
    outcome: dict[str, Any] = field(default_factory=dict)  # observed vs expected: pairs.py

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
