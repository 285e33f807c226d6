"""`patterns`: the true video passes; a pattern that vanishes, becomes another kind, takes
another colour, goes over to another body or does not turn with its body fails, naming
the body; the tracker finds each patterned body whole where the truth puts it."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from tests.helpers import score_encoded
from vidreason.corruptions import patterns as planted
from vidreason.scene.patterns import KINDS, inner_radius, patterns_of, template
from vidreason.seeding import named_rng
from vidreason.tasks import build_instance, get_family
from vidreason.types import Instance, VideoFormat

FMT = VideoFormat()
FAMILY = get_family("patterns")


@functools.cache
def _instance(difficulty: int) -> tuple[Instance, np.ndarray]:
    return build_instance(FAMILY, 3, 0, difficulty, FMT)


def test_patterns_are_point_symmetric_clear_at_the_centre_and_unlike_each_other():
    for kind in KINDS:
        mask = template(kind)
        assert np.array_equal(mask, mask[::-1, ::-1]), kind  # the centroid stays put
        c = (np.arange(mask.shape[0]) + 0.5) / mask.shape[0] * 2 - 1
        u, v = np.meshgrid(c, c)
        assert not mask[u * u + v * v < 0.45**2].any(), kind
        assert not mask[u * u + v * v > 1].any(), kind


def test_every_body_has_a_pattern_of_its_own_in_a_colour_of_its_own():
    inst, frames = _instance(2)
    own = patterns_of(inst.spec)
    bodies = inst.spec.bodies
    assert sorted(own) == sorted(b.name for b in bodies)
    assert len({p.kind for p in own.values()}) == len(bodies)
    colours = [b.colour for b in bodies] + [p.ink for p in own.values()]
    assert len(set(colours)) == len(colours)
    prompt = FAMILY.prompt(inst.spec)
    for b in bodies:
        assert b.label in prompt and own[b.name].words in prompt
        x, y = (round(v) for v in inst.trajectory.xy(b.name)[0])
        r = round(inner_radius(b))
        patch = frames[0][y - r : y + r + 1, x - r : x + r + 1].reshape(-1, 3)
        assert (np.abs(patch.astype(int) - own[b.name].ink).sum(axis=1) < 10).sum() > 20


@pytest.mark.slow
@pytest.mark.parametrize("difficulty", [1, 3])
def test_the_truth_passes_and_every_body_is_tracked_where_it_is(difficulty, tmp_path):
    inst, frames = _instance(difficulty)
    score, tracks = score_encoded(inst, frames, tmp_path)
    assert score.passed, score.explanation
    assert all(score.checks[name] == 1.0 for name in ("pattern", "turns", "colours"))
    for b in inst.spec.bodies:
        err = np.linalg.norm(tracks.pos[b.name] - inst.trajectory.xy(b.name), axis=1)
        assert np.nanmax(err) < 1.5, b.label


@pytest.mark.slow
@pytest.mark.parametrize(
    ("violation", "check", "frame"),
    [
        (planted.plain, "pattern", "from frame 2"),  # the middle: frame 24 on
        (planted.other_kind, "pattern", "from frame 2"),
        (planted.other_ink, "colours", "from frame 2"),
        (planted.swap, "pattern", "from frame 2"),
        (planted.still, "turns", "at frame "),
    ],
)
def test_a_changed_pattern_fails_naming_the_body(violation, check, frame, tmp_path):
    inst, frames = _instance(2)
    sample = violation(inst, frames, named_rng(3, "test", violation.__name__))
    assert sample is not None
    score, _ = score_encoded(inst, sample.frames, tmp_path, first=frames[0])
    assert not score.passed
    assert score.checks[check] == 0.0, score.explanation
    assert any(b.label in score.explanation for b in inst.spec.bodies), score.explanation
    assert frame in score.explanation, score.explanation


def test_pattern_violations_leave_other_scenes_alone():
    inst, frames = build_instance(get_family("identity"), 3, 0, 1, FMT)
    rng = np.random.default_rng(0)
    for fn in (planted.plain, planted.other_kind, planted.other_ink, planted.swap, planted.still):
        assert fn(inst, frames, rng) is None


@pytest.mark.parametrize("kind", KINDS)
def test_coverage_is_the_mean_of_the_ink_at_every_sample(kind):
    """``paint``'s coverage (a count of 0/1 samples) gives the very numbers of ``ink_at``
    averaged over each pixel's samples, at any place, angle and size, the mask's edges
    and the area around it included."""
    from vidreason.scene.patterns import SUPER, coverage, ink_at, to_body

    rng = np.random.default_rng(0)
    for _ in range(40):
        r = float(rng.uniform(3.0, 40.0))
        x, y = (float(v) for v in rng.uniform(-10.0, 266.0, 2))
        angle = float(rng.uniform(-7.0, 7.0))
        x0, y0 = int(np.floor(x - r)) - 1, int(np.floor(y - r)) - 1
        x1, y1 = int(np.ceil(x + r)) + 2, int(np.ceil(y + r)) + 2
        sub = (np.arange(SUPER) + 0.5) / SUPER
        xs = (np.arange(x0, x1)[:, None] + sub[None, :]).ravel()
        ys = (np.arange(y0, y1)[:, None] + sub[None, :]).ravel()
        u, v = to_body(xs[None, :], ys[:, None], (x, y), angle, r)
        want = (
            ink_at(template(kind), u, v).reshape(y1 - y0, SUPER, x1 - x0, SUPER).mean(axis=(1, 3))
        )
        got = coverage(kind, xs, ys, (x, y), angle, r)
        assert got.dtype == want.dtype and np.array_equal(got, want)


@pytest.mark.parametrize("kind", KINDS)
def test_a_clips_prints_laid_at_once_are_each_frames_own(kind):
    """``lay`` prints a body in every frame of a clip at once: each frame gets what
    mixing its own box (clipped to the picture) by the mean of ``ink_at`` over each
    pixel's samples gives, for a body moving in, across and out of the picture as it
    turns, over a picture of any colours."""
    from vidreason.scene.patterns import SUPER, Pattern, ink_at, lay, to_body
    from vidreason.types import Body

    rng = np.random.default_rng(1)
    pattern = Pattern(kind, "black", (28, 28, 32))
    for radius in (4.0, 13.7, 25.0):
        body = Body(
            name="b",
            colour_name="red",
            colour=(200, 0, 0),
            radius=radius,
            mass=1.0,
            position=(0.0, 0.0),
            angle=0.3,
        )
        r = inner_radius(body)
        angles = rng.uniform(-7, 7, 24)
        poses: list[tuple[float, ...]] = [
            (float(x), float(y), float(a))
            for x, y, a in zip(
                np.linspace(-30, 160, 24), rng.uniform(-20, 110, 24), angles, strict=True
            )
        ]
        poses.append((50.25, 40.75))  # no angle: the body's own
        frames = rng.integers(0, 256, (len(poses), 96, 128, 3), dtype=np.uint8)
        want = frames.copy()
        lay(frames, body, poses, pattern)
        for img, pose in zip(want, poses, strict=True):
            x, y = pose[0], pose[1]
            angle = pose[2] if len(pose) > 2 else body.angle
            x0, x1 = max(0, int(np.floor(x - r)) - 1), min(128, int(np.ceil(x + r)) + 2)
            y0, y1 = max(0, int(np.floor(y - r)) - 1), min(96, int(np.ceil(y + r)) + 2)
            if x0 >= x1 or y0 >= y1:
                continue
            sub = (np.arange(SUPER) + 0.5) / SUPER
            xs = (np.arange(x0, x1)[:, None] + sub[None, :]).ravel()
            ys = (np.arange(y0, y1)[:, None] + sub[None, :]).ravel()
            u, v = to_body(xs[None, :], ys[:, None], (x, y), angle, r)
            cover = ink_at(template(kind), u, v).reshape(y1 - y0, SUPER, x1 - x0, SUPER)
            share = cover.mean(axis=(1, 3))[..., None]
            patch = img[y0:y1, x0:x1].astype(np.float32)
            mixed = patch * (1 - share) + np.asarray(pattern.ink, np.float32) * share
            img[y0:y1, x0:x1] = np.rint(mixed).astype(np.uint8)
        assert np.array_equal(frames, want)
