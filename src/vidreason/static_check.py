"""``vidreason check NAME --static``: what a family author can know in seconds.

Each ``check_*`` function looks at one thing and returns a ``Finding`` (ok or not, and
one line saying what it saw); none renders or scores a suite. Instance 0 is drawn twice
from one seed and compared, its spec is sent through JSON and back, its bodies are looked
at (distinct colour keys, inside the view, named by the prompt), its typed parameters are
read back from it, and one ground truth at
the default format is simulated, rendered and tracked to compare the law checks it
returns with those the family declares (``TaskFamily.checks``). To add a check, write
``check_x(family) -> Finding`` and list it in ``CHECKS``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from vidreason.scene.params import ParamsError
from vidreason.tasks.base import GENERIC_CHECKS, TaskFamily, difficulty_of, get_family, sample_scene
from vidreason.types import Body, SceneSpec, VideoFormat

SEED = 0
NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
COLOUR_KEYED = set(GENERIC_CHECKS) - {"duration"}  # shared checks that find bodies by colour


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    line: str


@functools.lru_cache(maxsize=8)
def _first(family: TaskFamily) -> SceneSpec:
    """Instance 0's scene, as ``build_instance`` labels it (drawn once per family)."""
    return sample_scene(family, SEED, 0, difficulty_of(family, 0), VideoFormat())


def check_identity(family: TaskFamily) -> Finding:
    """The registered id resolves to this family, and the instance carries its name and
    version (stamped by ``build_instance``, whatever the sampler wrote)."""
    problems = []
    if not NAME.fullmatch(family.name):
        problems.append(f"name {family.name!r} is not lowercase words joined by '-'")
    if family.version < 1:
        problems.append(f"version {family.version} is not a positive integer")
    looked_up = get_family(family.id)
    if looked_up is not family:
        problems.append(f"{family.id} looks up another family ({looked_up.id})")
    raw = family.sample(*_draw_args(family))
    if raw.family not in ("", family.name) or raw.version not in (0, family.version):
        problems.append(
            f"the sampler writes {raw.family}-v{raw.version}; leave identity to build_instance"
        )
    if problems:
        return Finding("identity", False, "; ".join(problems))
    return Finding("identity", True, f"registered and stamped as {family.id}")


def _draw_args(family: TaskFamily) -> tuple:
    from vidreason.seeding import instance_rng

    return (instance_rng(SEED, family.id, 0), SEED, 0, difficulty_of(family, 0), VideoFormat())


def _spec_json(spec: SceneSpec) -> str:
    from vidreason.instance_io import spec_to_dict

    return json.dumps(spec_to_dict(spec), sort_keys=True)


def check_determinism(family: TaskFamily) -> Finding:
    """The same seed draws the same scene (both halves of a pair, for a paired family)."""
    for index in (0, 1) if family.paired else (0,):
        fmt, d = VideoFormat(), difficulty_of(family, index)
        a, b = (_spec_json(sample_scene(family, SEED, index, d, fmt, fresh=True)) for _ in range(2))
        if a != b:
            return Finding(
                "determinism",
                False,
                f"instance {index} drawn twice from seed {SEED} gives two different specs"
                " (a random source outside the rng passed to sample?)",
            )
    return Finding("determinism", True, "the same seed draws the same spec")


def check_json(family: TaskFamily) -> Finding:
    """The spec comes back from task.json as it went in."""
    from vidreason.instance_io import spec_from_dict, spec_to_dict

    spec = _first(family)
    try:
        back = spec_from_dict(json.loads(json.dumps(spec_to_dict(spec))))
    except (TypeError, ValueError, KeyError) as exc:
        return Finding("json", False, f"the spec does not go through JSON: {exc}")
    if back != spec:
        changed = [k for k, v in vars(spec).items() if getattr(back, k) != v]
        return Finding("json", False, f"the spec changes through JSON: {', '.join(changed)}")
    return Finding("json", True, "the spec round-trips through JSON")


def check_colours(family: TaskFamily) -> Finding:
    """Bodies found by colour key need a colour each."""
    spec = _first(family)
    if not COLOUR_KEYED & set(family.generic_checks):
        return Finding("colours", True, "no shared check finds bodies by colour: not needed")
    seen: dict[tuple, str] = {}
    for b in spec.bodies:
        if b.colour in seen:
            return Finding(
                "colours", False, f"{b.name} and {seen[b.colour]} share the colour {b.colour}"
            )
        seen[b.colour] = b.name
    return Finding("colours", True, f"each of the {len(seen)} bodies has a colour of its own")


def _half_extent(b: Body) -> tuple[float, float]:
    if b.shape in ("box", "cup"):
        return b.size[0] / 2, b.size[1] / 2
    return b.radius, b.radius


def check_in_view(family: TaskFamily) -> Finding:
    """Every body starts wholly inside the picture."""
    spec = _first(family)
    w, h = spec.fmt.width, spec.fmt.height
    for b in spec.bodies:
        hx, hy = _half_extent(b)
        x, y = b.position
        if not (hx <= x <= w - hx and hy <= y <= h - hy):
            return Finding(
                "in_view", False, f"{b.name} at ({x:.0f}, {y:.0f}) is not inside the {w}x{h} view"
            )
    return Finding("in_view", True, "every body starts inside the view")


def check_prompt(family: TaskFamily) -> Finding:
    """The prompt names every body by its colour."""
    spec = _first(family)
    text = family.prompt(spec).lower()
    missing = [b.name for b in spec.bodies if b.colour_name.lower() not in text]
    if missing:
        return Finding(
            "prompt", False, f"the prompt does not name {', '.join(missing)} by its colour"
        )
    return Finding("prompt", True, "the prompt names every body by its colour")


def check_declared(family: TaskFamily) -> Finding:
    """The law checks returned on instance 0's ground truth are the declared ones (those
    declared with a ``when`` may be missing)."""
    from vidreason.perception.tracking import track_frames
    from vidreason.tasks.base import build_instance

    inst, frames = build_instance(family, SEED, 0, difficulty_of(family, 0), VideoFormat())
    returned = [c.name for c in family.law_checks(track_frames(frames, inst), inst)]
    declared = {c.name for c in family.checks}
    always = {c.name for c in family.checks if not c.when}
    extra = [n for n in returned if n not in declared]
    missing = sorted(always - set(returned))
    if extra or missing:
        parts = [f"undeclared {', '.join(extra)}"] if extra else []
        parts += [f"declared but not returned {', '.join(missing)}"] if missing else []
        return Finding("declared", False, "; ".join(parts))
    return Finding("declared", True, f"returns the declared checks: {', '.join(returned)}")


def check_params(family: TaskFamily) -> Finding:
    """The spec holds the family's typed parameters (``TaskFamily.params``): each key
    present with its type, and writing them back changes nothing."""
    if family.params is None:
        return Finding("params", False, "declares no typed parameters (TaskFamily.params)")
    spec = _first(family)
    try:
        p = family.params.of(spec)
    except ParamsError as exc:
        return Finding("params", False, str(exc))
    if p.onto(spec) != spec:
        return Finding("params", False, f"{family.params.__name__} does not write back the spec")
    return Finding("params", True, f"the spec holds its {family.params.__name__}")


CHECKS: tuple[Callable[[TaskFamily], Finding], ...] = (
    check_identity,
    check_determinism,
    check_json,
    check_colours,
    check_in_view,
    check_prompt,
    check_declared,
    check_params,
)


def static_check(family: TaskFamily) -> list[Finding]:
    """Every check on ``family``; a check that raises is a finding, not a crash."""
    out = []
    for check in CHECKS:
        name = check.__name__.removeprefix("check_")
        try:
            out.append(check(family))
        except Exception as exc:  # a broken family fails this check alone, the rest still run
            out.append(Finding(name, False, f"raises {type(exc).__name__}: {exc}"))
    return out
