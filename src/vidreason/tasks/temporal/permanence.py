"""`permanence`: a ball that goes behind an opaque screen still exists and comes out.

Opaque screens (upright boxes with their own colour keys) stand on the floor in front
of the balls; they are drawn over everything (``PermanenceParams.occluders``) and nothing
collides with them (``ignore_contacts``). The air slows every ball down
(``damping``); a ball sliding along the level, frictionless floor needs no
gravity (the scene's is 0 unless a ball is thrown).

- difficulty 1: one ball slides behind one screen and comes out on the far side;
- difficulty 2: one ball and one screen, and the ball either passes behind the screen,
  slides so slowly that it stops behind it and never comes out, or is thrown and
  bounces on the floor behind the screen before coming out;
- difficulty 3: two balls slide one after the other past two screens; each may stop
  behind either screen, between them or past both.

The verifier (``verifiers/permanence.py``) checks that a hidden ball is never seen
through its screen, comes out at the true time and place with its colour and size, and
never vanishes in plain view. Questions ask how many balls are hidden at a frame, where a
ball comes out, whether it will, and what a re-simulation without the screen or with
another speed shows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from vidreason.scene.occluders import covered
from vidreason.scene.params.temporal import PermanenceParams
from vidreason.scene.params.world2d import World2D
from vidreason.tasks.base import DIFFICULTIES, CheckSpec, TaskFamily, register_family, verifier
from vidreason.tasks.commonsense.scene import (
    RADIUS,
    ball,
    block,
    ground,
    mirror,
    pick_colours,
    scene,
    sky,
    unit,
)
from vidreason.tasks.palette import r4
from vidreason.tasks.wording import article
from vidreason.types import Body, Instance, Question, SceneSpec, Trajectory, VideoFormat

CASES = {1: ("pass",), 2: ("pass", "stop", "bounce"), 3: ("pair",)}
HIDDEN, SHOWN, HALF = 0.02, 0.98, 0.5  # shares in view: fully hidden, fully shown, half
MIN_HIDDEN_FRAMES = 4
LATE = 0.08  # a ball in view over the last third moves this far (/ frame width)
MOSTLY = 0.6  # a third and two thirds in, a ball not hidden shows at least this share


GONE = "nothing: the ball is gone"  # the wrong answer a model that loses the ball gives


@dataclass(frozen=True)
class Hiding:
    """One stretch of frames ``[start, end)`` in which a ball is fully behind ``screen``;
    ``end`` is None when it stays there until the last frame. ``side`` is where it comes
    out ("left" or "right"), ``out`` the first frame it is fully in view again."""

    screen: str
    start: int
    end: int | None
    side: str = ""
    out: int | None = None


def balls(spec: SceneSpec) -> list[Body]:
    names = set(World2D.of(spec).occluders or ())
    return [b for b in spec.bodies if b.name not in names]


def screens(spec: SceneSpec) -> list[Body]:
    names = set(World2D.of(spec).occluders or ())
    return [b for b in spec.bodies if b.name in names]


_SHARES: list[tuple[SceneSpec, Trajectory, str, dict[str, np.ndarray]]] = []
KEEP_SHARES = 8  # the last scenes' shares kept (the sampler's check asks three times a ball)


def shares(spec: SceneSpec, traj: Trajectory, name: str) -> dict[str, np.ndarray]:
    """Per screen, the share of ball ``name`` it covers in every frame; ``"frame"``: the
    share outside the picture (read-only arrays). The sampler's check, the prompt and
    the questions ask it of the same scene and run several times: the last few answers
    are kept, looked up by the very scene and run (a fifth of a permanence instance's
    own time went to asking again)."""
    for seen_spec, seen_traj, seen_name, out in _SHARES:
        if seen_spec is spec and seen_traj is traj and seen_name == name:
            return out
    out = _shares(spec, traj, name)
    for share in out.values():
        share.setflags(write=False)
    _SHARES.insert(0, (spec, traj, name, out))
    del _SHARES[KEEP_SHARES:]
    return out


def _shares(spec: SceneSpec, traj: Trajectory, name: str) -> dict[str, np.ndarray]:
    body = spec.body(name)
    centres = np.asarray(traj.positions(name), dtype=float)
    out = {s.name: covered(centres, body.radius, [s]) for s in screens(spec)}
    w, h = spec.fmt.width, spec.fmt.height
    picture = Body("picture", "", (0, 0, 0), 0.0, 0.0, (w / 2, h / 2), shape="box", size=(w, h))
    out["frame"] = 1.0 - covered(centres, body.radius, [picture])
    return out


def hidings(spec: SceneSpec, traj: Trajectory, name: str) -> list[Hiding]:
    """Every stretch in which ball ``name`` is fully behind a screen, in order."""
    out: list[Hiding] = []
    x = np.asarray(traj.positions(name), dtype=float)[:, 0]
    covers = shares(spec, traj, name)
    for s in screens(spec):
        share = covers[s.name]
        hidden = share >= 1.0 - HIDDEN
        i, n = 0, len(hidden)
        while i < n:
            if not hidden[i]:
                i += 1
                continue
            j = i
            while j < n and hidden[j]:
                j += 1
            if j >= n:
                out.append(Hiding(s.name, i, None))
            else:
                k = j
                while k < n and share[k] > HIDDEN:
                    k += 1
                side = "right" if x[min(k, n - 1)] > s.position[0] else "left"
                out.append(Hiding(s.name, i, j, side, k if k < n else None))
            i = j
    return sorted(out, key=lambda h: h.start)


def in_view(spec: SceneSpec, traj: Trajectory, name: str) -> np.ndarray:
    """Per frame, the share of ball ``name`` that is in the picture and in front of every
    screen."""
    parts = shares(spec, traj, name)
    return np.clip(1.0 - sum(parts.values()), 0.0, 1.0)


def _valid(spec: SceneSpec, traj: Trajectory) -> bool:
    """Every ball starts in full view, hides behind a screen at least once for a few
    frames, is fully hidden or fully shown at the end, and fully hidden or mostly shown
    a third and two thirds of the way in, so that a video in which it vanishes or stops
    there shows it: it is not yet gone for good a third of the way in, and if it is shown
    two thirds of the way in and at the end, it is still moving. It never leaves the
    picture and never touches another ball."""
    n, third, k = traj.n_frames, traj.n_frames // 3, 2 * traj.n_frames // 3
    for b in balls(spec):
        parts = shares(spec, traj, b.name)
        if parts["frame"].max() > 0.0:
            return False
        seen = in_view(spec, traj, b.name)
        if seen[0] < SHOWN or HIDDEN < seen[-1] < SHOWN or HIDDEN < seen[k] < MOSTLY:
            return False
        if seen[third] > HIDDEN and seen[third - 1 : third + 3].min() < MOSTLY:
            return False
        if seen[third] <= HIDDEN and seen[-1] <= HIDDEN and seen[third:].max() <= HIDDEN:
            return False
        x = np.asarray(traj.positions(b.name))[:, 0]
        if seen[k] > HIDDEN and seen[-1] >= SHOWN and abs(x[-1] - x[k]) < LATE * spec.fmt.width:
            return False
        runs = hidings(spec, traj, b.name)
        if not runs or any((h.end or n) - h.start < MIN_HIDDEN_FRAMES for h in runs):
            return False
        if any(h.end is not None and (h.out is None or h.out > n - 4) for h in runs):
            return False
        if runs[0].start < 3:
            return False
    pos = {b.name: np.asarray(traj.positions(b.name)) for b in balls(spec)}
    names = list(pos)
    for i, p in enumerate(names):
        for q in names[i + 1 :]:
            gap = np.linalg.norm(pos[p] - pos[q], axis=1).min()
            if gap < spec.body(p).radius + spec.body(q).radius + 4.0:
                return False
    return True


def _simulate(spec: SceneSpec) -> Trajectory:
    from vidreason.engines.pymunk_sim import simulate

    return simulate(spec).trajectory


def _screen(name: str, colour: tuple, fmt: VideoFormat, x: float, w: float, h: float) -> Body:
    floor_y = ground(fmt)[0]
    return block(name, colour, (w, h), (x, floor_y - h / 2), body_type="static", noun="screen")


def _slide(x0: float, target: float, t: float, d: float) -> float:
    """The start speed that takes a ball from ``x0`` to ``target`` in ``t`` s when it
    keeps the fraction ``d`` of its speed per second."""
    return (target - x0) * -np.log(d) / (1.0 - d**t)


def _one_ball(rng: np.random.Generator, fmt: VideoFormat, case: str, r: float) -> dict:
    """Positions and speeds for a scene with one ball moving right past one screen."""
    w, h, T = fmt.width, unit(fmt), fmt.duration
    floor_y = ground(fmt)[0]
    sw = rng.uniform(0.16, 0.2) * w
    c = rng.uniform(0.42, 0.56) * w
    x0 = rng.uniform(0.05, 0.09) * w + r
    if case == "pass":
        d = rng.uniform(0.6, 0.8)
        t_out = rng.uniform(0.45, 0.62) * T
        v = _slide(x0, c + sw / 2 + r, t_out, d)
        return dict(sw=sw, sh=rng.uniform(0.3, 0.4) * h, c=c, d=d, p=(x0, floor_y - r), v=(v, 0))
    if case == "stop":
        d = rng.uniform(0.15, 0.3)
        stop = c + rng.uniform(-0.5, 0.5) * (sw / 2 - r - 2.0)
        v = (stop - x0) * -np.log(d)
        return dict(sw=sw, sh=rng.uniform(0.3, 0.4) * h, c=c, d=d, p=(x0, floor_y - r), v=(v, 0))
    d = rng.uniform(0.85, 0.95)
    g = 5.0 * h / T**2
    y0 = sky(fmt) + rng.uniform(0.3, 0.45) * h
    t_land = rng.uniform(0.3, 0.42) * T
    land = c + rng.uniform(-0.2, 0.1) * sw
    vx = (land - x0) / t_land
    vy = (floor_y - r - y0 - 0.5 * g * t_land**2) / t_land
    return dict(sw=sw, sh=rng.uniform(0.5, 0.6) * h, c=c, d=d, p=(x0, y0), v=(vx, vy))


def _zones(fmt: VideoFormat, r: float, c: list[float], sw: list[float]) -> list[tuple]:
    """Stretches of floor, left to right, where a ball can end: fully behind the first
    screen, in the gap, fully behind the second screen, past both."""
    w, m = fmt.width, 3.0
    return [
        (c[0] - sw[0] / 2 + r + m, c[0] + sw[0] / 2 - r - m),
        (c[0] + sw[0] / 2 + r + m, c[1] - sw[1] / 2 - r - m),
        (c[1] - sw[1] / 2 + r + m, c[1] + sw[1] / 2 - r - m),
        (c[1] + sw[1] / 2 + r + m, w - r - 0.04 * w),
    ]


def _two_balls(rng: np.random.Generator, fmt: VideoFormat, r: float) -> dict:
    """Two balls sliding right one after the other, the front one faster, past two
    screens; the front one ends in the gap, behind the second screen or past both, the
    rear one in a stretch before the front one's (at least behind the first screen)."""
    w, T = fmt.width, fmt.duration
    sw = [rng.uniform(0.16, 0.19) * w for _ in range(2)]
    c = [rng.uniform(0.36, 0.4) * w, rng.uniform(0.72, 0.75) * w]
    d = rng.uniform(0.45, 0.65)
    rear = rng.uniform(0.03, 0.04) * w + r
    front = rear + 2 * r + rng.uniform(0.03, 0.05) * w
    zones = _zones(fmt, r, c, sw)
    open_ = [k for k in (1, 2, 3) if zones[k][1] > zones[k][0]]
    k = open_[int(rng.integers(len(open_)))]
    end_front = rng.uniform(*zones[k])
    lo, hi = zones[int(rng.integers(0, k))]
    end_rear = rng.uniform(lo, max(lo, min(hi, end_front - 3 * r)))
    v = [_slide(x0, e, T, d) for e, x0 in ((end_rear, rear), (end_front, front))]
    return dict(sw=sw, c=c, d=d, x0=(rear, front), v=v)


def _build(
    seed: int, index: int, difficulty: int, fmt: VideoFormat, rng: np.random.Generator, case: str
) -> SceneSpec:
    w, h = fmt.width, unit(fmt)
    floor_y, floor_wall = ground(fmt, elasticity=0.9)
    r = RADIUS[difficulty] * h
    colours = pick_colours(rng, 4 if case == "pair" else 2)
    if case == "pair":
        p = _two_balls(rng, fmt, r)
        names = ["ball", "ball2"]
        bodies = [
            ball(names[1 - k], colours[1 - k], r, (p["x0"][k], floor_y - r), (p["v"][k], 0.0))
            for k in (1, 0)
        ]
        sh = [rng.uniform(0.3, 0.4) * h for _ in range(2)]
        shown = [
            _screen(n, colours[2 + k], fmt, p["c"][k], p["sw"][k], sh[k])
            for k, n in enumerate(("screen", "screen2"))
        ]
    else:
        p = _one_ball(rng, fmt, case, r)
        e = rng.uniform(0.6, 0.75) if case == "bounce" else 0.2
        bodies = [ball("ball", colours[0], r, p["p"], p["v"], elasticity=e)]
        shown = [_screen("screen", colours[1], fmt, p["c"], p["sw"], p["sh"])]
    if rng.random() < 0.5:  # from the right instead
        bodies = [mirror(b, w) for b in bodies]
        shown = [mirror(s, w) for s in shown]
    params = PermanenceParams(
        floor_y=floor_y,
        occluders=[s.name for s in shown],
        ignore_contacts=[[b.name, s.name] for b in bodies for s in shown],
        damping=r4(p["d"]),
        case=case,
    )
    spec = scene(seed, index, difficulty, fmt, [*bodies, *shown], [floor_wall], params, h)
    if case == "bounce":
        return spec
    # gravity plays no part in a slide along a level, frictionless floor: leave it out, so
    # a re-simulation with another gravity is not mistaken for a broken law
    return dataclasses.replace(spec, gravity=0.0)


def sample(
    rng: np.random.Generator, seed: int, index: int, difficulty: int, fmt: VideoFormat
) -> SceneSpec:
    cases = CASES[difficulty]
    case = cases[(index // len(DIFFICULTIES)) % len(cases)]  # each in turn
    for _ in range(1000):
        spec = _build(seed, index, difficulty, fmt, rng, case)
        if _valid(spec, _simulate(spec)):
            return spec
    raise RuntimeError("no valid permanence scene found")  # pragma: no cover


def _fate(spec: SceneSpec, traj: Trajectory, b: Body) -> str:
    runs = hidings(spec, traj, b.name)
    parts = []
    for hid in runs:
        screen = spec.body(hid.screen).label
        if hid.end is None:
            parts.append(f"stops behind the {screen} and stays hidden, never coming out")
        else:
            parts.append(f"goes behind the {screen} and comes out on its {hid.side} side")
    return f"the {b.label} " + ", then ".join(parts)


def prompt(spec: SceneSpec) -> str:
    traj = _simulate(spec)
    bs, ss = balls(spec), screens(spec)
    to = "right" if bs[0].velocity[0] > 0 else "left"
    if len(ss) == 1:
        where = f"an opaque {ss[0].colour_name} screen standing on the floor"
    else:
        where = "two opaque screens standing on the floor, " + " and ".join(
            article(s.label)
            for s in sorted(ss, key=lambda s: s.position[0] * (1 if to == "right" else -1))
        )
    if PermanenceParams.of(spec).case == "bounce":
        setup = (
            f"{article(bs[0].label).capitalize()} is thrown to the {to} towards {where}; it drops"
            f" behind the screen and bounces on the floor there."
        )
    elif len(bs) == 1:
        setup = (
            f"{article(bs[0].label).capitalize()} slides along the floor to the {to}, slowing"
            f" down, towards {where}."
        )
    else:
        setup = (
            f"{article(bs[0].label).capitalize()} and, behind it, {article(bs[1].label)} slide"
            " along the floor"
            f" to the {to}, slowing down, towards {where}."
        )
    fates = "; ".join(_fate(spec, traj, b) for b in bs)
    return (
        f"{setup} While a ball is behind a screen it cannot be seen; {fates}. A ball keeps"
        f" its colour and size. Side view, static camera, plain light background."
    )


def _clean_frame(spec: SceneSpec, traj: Trajectory, around: int) -> int:
    """The frame nearest ``around`` at which every ball is fully hidden or fully shown."""
    views = [in_view(spec, traj, b.name) for b in balls(spec)]
    n = traj.n_frames
    for k in sorted(range(n), key=lambda i: (abs(i - around), i)):
        if all(v[k] <= HIDDEN or v[k] >= SHOWN for v in views):
            return k
    return around  # pragma: no cover


def _without(spec: SceneSpec, screen: str) -> SceneSpec:
    """The scene with ``screen`` taken away."""
    p = PermanenceParams.of(spec)
    bodies = tuple(b for b in spec.bodies if b.name != screen)
    return PermanenceParams.update(
        dataclasses.replace(spec, bodies=bodies),
        occluders=[s for s in p.occluders if s != screen],
        ignore_contacts=[pair for pair in p.ignore_contacts if screen not in pair],
    )


def faster(spec: SceneSpec, name: str, factor: float) -> SceneSpec:
    """The scene with ball ``name`` starting ``factor`` times as fast."""
    bodies = tuple(
        dataclasses.replace(b, velocity=(r4(b.velocity[0] * factor), r4(b.velocity[1] * factor)))
        if b.name == name
        else b
        for b in spec.bodies
    )
    return dataclasses.replace(spec, bodies=bodies)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def questions(instance: Instance) -> list[Question]:
    spec, traj = instance.spec, instance.trajectory
    n = traj.n_frames
    labels = [b.label for b in spec.bodies]
    out: list[Question] = []
    first = hidings(spec, traj, balls(spec)[0].name)[0]
    at = _clean_frame(spec, traj, (first.start + (first.end or n)) // 2)
    count = sum(in_view(spec, traj, b.name)[at] <= HIDDEN for b in balls(spec))
    out.append(
        Question(
            "descriptive", f"How many balls are hidden behind a screen at frame {at}?", str(count)
        )
    )
    for b in balls(spec):
        runs = hidings(spec, traj, b.name)
        h = runs[0]
        screen = spec.body(h.screen)
        mid = (h.start + (h.end or n)) // 2
        out.append(
            Question(
                "descriptive",
                f"Where does the {b.label} come out from behind the {screen.label}?",
                h.side or "it stays hidden",
                choices=("left", "right", "it stays hidden"),
            )
        )
        out.append(
            Question(
                "explanatory",
                f"What hides the {b.label} from view at frame {mid}?",
                screen.label,
                choices=(*(x for x in labels if x != b.label), GONE),
            )
        )
        for run in runs:
            behind = spec.body(run.screen).label
            out.append(
                Question(
                    "predictive",
                    f"Will the {b.label} come out from behind the {behind}?",
                    _yes(run.end is not None),
                    until_frame=run.start,
                )
            )
        bare = _without(spec, h.screen)
        seen = in_view(bare, _simulate(bare), b.name)[mid] >= HALF
        out.append(
            Question(
                "counterfactual",
                f"If the {screen.label} were removed, would the {b.label} be visible at"
                f" frame {mid}?",
                _yes(bool(seen)),
            )
        )
        factor, words = (2.0, "twice as fast") if runs[-1].end is None else (0.5, "half as fast")
        changed = faster(spec, b.name, factor)
        seen = in_view(changed, _simulate(changed), b.name)[-1] >= HALF
        out.append(
            Question(
                "counterfactual",
                f"If the {b.label} started {words}, would it be visible at the end of the video?",
                _yes(bool(seen)),
            )
        )
    return out


def true_outcome(spec: SceneSpec, traj: Trajectory) -> dict:
    """What the simulator says: the balls that come out from behind a screen at least
    once, and those hidden at the end."""
    bs = balls(spec)
    return {
        "emerges": [
            b.label for b in bs if any(h.end is not None for h in hidings(spec, traj, b.name))
        ],
        "hidden_at_end": [b.label for b in bs if in_view(spec, traj, b.name)[-1] <= HIDDEN],
    }


def truth_outcome(instance: Instance) -> dict:
    """``true_outcome`` of an instance: what its ground truth shows."""
    return true_outcome(instance.spec, instance.trajectory)


FAMILY = register_family(
    TaskFamily(
        name="permanence",
        version=1,
        capability="temporal",
        law="objects keep existing out of sight: a ball behind a screen comes out at the right"
        " time and place, unchanged, and is never seen through the screen",
        sample=sample,
        prompt=prompt,
        law_checks=verifier("permanence.permanence_checks"),
        params=PermanenceParams,
        checks=(
            CheckSpec(
                "hidden",
                "no ball is seen (35% of its area) where the truth hides it, ±2 frames: pass/fail",
            ),
            CheckSpec(
                "emerges", "comes out (half in view) within 2 frames of the truth; 0 beyond 4"
            ),
            CheckSpec(
                "in_view",
                "never missing 2 frames running while half in view; in plain view within 4% of"
                " the frame of its place; 0 beyond 8%",
            ),
            CheckSpec("size", "in plain view, blob area within ×1.5 of the ball's; 0 beyond ×2.2"),
        ),
        outcome=verifier("permanence.observed_outcome"),
        truth_outcome=truth_outcome,
        questions=questions,
    )
)
