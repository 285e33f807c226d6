"""`identity`: the true video passes; objects that swap, vanish, change colour or size,
duplicate, merge or teleport fail with the frame named; the outcome and the questions'
answers agree with what the true video shows."""

from __future__ import annotations

import dataclasses
import functools
import re

import numpy as np
import pytest

from tests.helpers import score_encoded
from vidreason import violations
from vidreason.perception.tracking import track_frames
from vidreason.scene.identity import encounters, meetings
from vidreason.tasks import build_instance, get_family
from vidreason.tasks.palette import COLOURS
from vidreason.tasks.temporal.identity import contacts
from vidreason.types import Body, Instance, Trajectory, VideoFormat

FMT = VideoFormat()
FAMILY = get_family("identity")


@functools.cache
def _instance(difficulty: int, index: int = 0) -> tuple[Instance, np.ndarray]:
    return build_instance(FAMILY, 5, index, difficulty, FMT)


def _frame_named(text: str) -> int:
    found = re.search(r"frames? (\d+)", text)
    assert found, text
    return int(found.group(1))


def _states(inst: Instance) -> dict[str, list[tuple[float, ...]]]:
    return {k: list(v) for k, v in inst.trajectory.states.items()}


def _draw(inst: Instance, states: dict, bodies: tuple[Body, ...] | None = None, hidden=None):
    spec = inst.spec if bodies is None else dataclasses.replace(inst.spec, bodies=bodies)
    traj = Trajectory(states={k: tuple(v) for k, v in states.items()})
    return violations.draw(spec, traj, hidden)


def _separating_meeting(inst: Instance) -> tuple[int, str, str]:
    """The contact after which its two objects end up furthest apart (a swap there shows)."""

    def spread(e) -> float:
        a, b = (np.asarray(inst.trajectory.states[n])[e.frame :, :2] for n in e.objects)
        return float(np.linalg.norm(a - b, axis=1).max())

    best = max(contacts(inst.events), key=spread)
    return best.frame, *best.objects


@pytest.mark.parametrize("difficulty", [1, 2, 3])
@pytest.mark.parametrize("index", [0, 1])
def test_ground_truth_scores_one_and_gives_the_outcome(difficulty, index, tmp_path):
    inst, frames = _instance(difficulty, index)
    assert len(inst.spec.bodies) == {1: 3, 2: 4, 3: 5}[difficulty]
    assert {b.shape for b in inst.spec.bodies} == {"circle", "box"}
    score, _ = score_encoded(inst, frames, tmp_path)
    assert score.value == 1.0, score.explanation
    assert score.outcome["observed"] == inst.outcome
    assert inst.outcome["encounters"] == len(contacts(inst.events))
    assert inst.outcome["encounters"] >= {1: 1, 2: 2, 3: 3}[difficulty]


def test_objects_never_overlap_and_stay_on_the_table():
    inst, _ = _instance(3)
    edge = inst.spec.params["edge"]
    for b in inst.spec.bodies:
        p = np.asarray(inst.trajectory.states[b.name])[:, :2]
        r = b.radius  # a ball's radius, a block's half side
        assert (p >= edge + r - 1).all() and (p <= FMT.width - edge - r + 1).all(), b.label
    for a, b in [(a, b) for a in inst.spec.bodies for b in inst.spec.bodies if a.name < b.name]:
        pa = np.asarray(inst.trajectory.states[a.name])[:, :2]
        pb = np.asarray(inst.trajectory.states[b.name])[:, :2]
        assert (np.linalg.norm(pa - pb, axis=1) > a.radius + b.radius - 1).all()


def test_swapped_identities_fail_naming_both_objects_and_the_frame(tmp_path):
    inst, _ = _instance(2)
    k, a, b = _separating_meeting(inst)
    states = _states(inst)
    states[a], states[b] = (
        states[a][:k] + states[b][k:],
        states[b][:k] + states[a][k:],
    )
    score, _ = score_encoded(inst, _draw(inst, states), tmp_path)
    assert score.value < 0.5 and score.checks["identity"] == 0.0
    la, lb = inst.spec.body(a).label, inst.spec.body(b).label
    said = re.search(
        r"the (\w+ \w+) and the (\w+ \w+) swap places at frame (\d+)", score.explanation
    )
    assert said, score.explanation
    assert {said.group(1), said.group(2)} == {la, lb}
    assert abs(int(said.group(3)) - k) <= 2


def test_vanishing_object_fails(tmp_path):
    inst, _ = _instance(1)
    score, _ = score_encoded(inst, violations.vanish(inst, start=20, length=6), tmp_path)
    label = inst.spec.bodies[0].label
    assert score.value < 0.5 and score.checks["count"] == 0.0
    assert f"the {label} is missing from frame 20" in score.explanation


def test_colour_change_fails(tmp_path):
    inst, truth = _instance(1, 1)
    body = inst.spec.bodies[1]
    used = {b.colour for b in inst.spec.bodies}
    colour = next(c for c in COLOURS.values() if c not in used)
    recoloured = tuple(
        dataclasses.replace(b, colour=colour) if b.name == body.name else b
        for b in inst.spec.bodies
    )
    after = _draw(inst, _states(inst), recoloured)
    score, _ = score_encoded(inst, np.concatenate([truth[:24], after[24:]]), tmp_path)
    assert score.value < 0.5 and score.checks["count"] == 0.0
    assert f"the {body.label} is missing from frame 24" in score.explanation
    assert "not in the scene appears at frame" in score.explanation


@pytest.mark.parametrize("scale", [1.7, 0.6])
def test_size_change_fails(scale, tmp_path):
    inst, truth = _instance(2, 1)
    body = inst.spec.bodies[0]
    bigger = dataclasses.replace(
        body,
        radius=body.radius * scale,
        size=(body.size[0] * scale, body.size[1] * scale),
    )
    bodies = tuple(bigger if b.name == body.name else b for b in inst.spec.bodies)
    after = _draw(inst, _states(inst), bodies)
    score, _ = score_encoded(inst, np.concatenate([truth[:30], after[30:]]), tmp_path)
    assert score.value < 0.5 and score.checks["size"] == 0.0
    assert f"the {body.label} is" in score.explanation
    assert abs(_frame_named(score.explanation.split("size 0.00")[1]) - 30) <= 1


def test_object_that_splits_in_two_fails(tmp_path):
    inst, _ = _instance(1)
    k, a, _ = _separating_meeting(inst)
    body = inst.spec.body(a)
    ghost = dataclasses.replace(body, name="ghost")
    states = _states(inst)
    vx, vy = states[a][k][2:4]
    side = np.array([-vy, vx]) / np.hypot(vx, vy)  # the copy drifts off sideways

    def copy(i: int) -> tuple[float, ...]:
        x, y, *rest = states[a][i]
        p = np.array([x, y]) + 0.05 * FMT.width * max(0, i - k) * side
        p = np.clip(p, 0.1 * FMT.width, 0.9 * FMT.width)
        return (float(p[0]), float(p[1]), *rest)

    states["ghost"] = [copy(i) for i in range(FMT.n_frames)]
    hidden = {i: {"ghost"} for i in range(k)}
    frames = _draw(inst, states, (*inst.spec.bodies, ghost), hidden)
    score, _ = score_encoded(inst, frames, tmp_path)
    assert score.value < 0.5 and score.checks["objects"] == 0.0
    assert f"a second {body.label} appears at frame" in score.explanation
    assert 0 <= _frame_named(score.explanation.split("second")[1]) - k <= 8


def test_objects_that_merge_fail(tmp_path):
    inst, _ = _instance(2)
    k, a, b = _separating_meeting(inst)
    states = _states(inst)
    for i in range(k, FMT.n_frames):
        mid = tuple((np.asarray(states[a][i]) + np.asarray(states[b][i])) / 2)
        states[a][i] = states[b][i] = mid
    score, _ = score_encoded(inst, _draw(inst, states), tmp_path)
    assert score.value < 0.5
    named = {inst.spec.body(a).label, inst.spec.body(b).label}
    assert any(f"the {n}" in score.explanation for n in named), score.explanation
    assert abs(_frame_named(score.explanation) - k) <= 3


def test_teleport_fails(tmp_path):
    inst, _ = _instance(3)
    score, _ = score_encoded(inst, violations.teleport(inst, frame=25, dx=40.0), tmp_path)
    assert score.value < 0.5 and score.checks["continuity"] < 0.5
    assert "between frames 24 and 25" in score.explanation


def test_questions_agree_with_the_true_video():
    for difficulty in (1, 2, 3):
        inst, frames = _instance(difficulty)
        qs = FAMILY.questions(inst)
        assert {q.kind for q in qs} == {
            "descriptive",
            "explanatory",
            "predictive",
            "counterfactual",
        }
        tracks = track_frames(frames, inst)
        size = float(max(FMT.width, FMT.height))
        seen = encounters(tracks.pos, inst.spec.bodies, size)
        label = {b.name: b.label for b in inst.spec.bodies}
        by_text = {q.question: q for q in qs}
        assert by_text["How many collisions between objects happen?"].answer == str(len(seen))
        _, a, b = seen[0]
        first = next(q for q in qs if q.question.startswith("Which object does the"))
        hitter = first.question.removeprefix("Which object does the ").removesuffix(" hit first?")
        assert {hitter, first.answer} == {label[a], label[b]}
        left = next(q for q in qs if q.kind == "predictive")
        assert left.until_frame == FMT.n_frames // 2
        x_end = {b.label: tracks.pos[b.name][-1, 0] for b in inst.spec.bodies}
        assert left.answer == min(x_end, key=x_end.get)
        for q in qs:
            assert not q.choices or q.answer in q.choices


def test_counterfactual_answer_comes_from_a_resimulation():
    inst, _ = _instance(2)
    q = next(q for q in FAMILY.questions(inst) if q.question.endswith("would happen?"))
    removed = q.question.removeprefix("If the ").split(" were removed")[0]
    name = next(b.name for b in inst.spec.bodies if b.label == removed)
    fewer = dataclasses.replace(
        inst.spec, bodies=tuple(b for b in inst.spec.bodies if b.name != name)
    )
    _, events = FAMILY.simulate(fewer)
    assert q.answer == str(len(contacts(events)))


@pytest.mark.slow
def test_same_seed_same_instance():
    a, _ = build_instance(FAMILY, 11, 4, 2, FMT)
    b, _ = build_instance(FAMILY, 11, 4, 2, FMT)
    assert a.spec == b.spec and a.outcome == b.outcome and a.trajectory == b.trajectory
    assert FAMILY.questions(a) == FAMILY.questions(b)
    assert FAMILY.prompt(a.spec) == FAMILY.prompt(b.spec)


def test_meetings_use_hysteresis():
    gap = np.array([0.3, 0.1, 0.05, 0.09, 0.06, 0.2, np.nan, 0.05, 0.3, 0.02])
    assert meetings(gap, 0.07, 0.12) == [2, 7, 9]


def test_meeting_counts_of_all_pairs_at_once_are_encounters_per_pair():
    """The sampler counts every pair's meetings at once (``pair_gaps``, ``meeting_counts``):
    the same counts ``encounters`` gives pair by pair, at every rate, phase and threshold
    the sampler tries, for scenes it keeps and scenes it throws away alike."""
    from vidreason.engines.pymunk_sim import simulate
    from vidreason.scene.identity import meeting_counts, pair_gaps
    from vidreason.tasks.temporal import identity as family

    rng = np.random.default_rng(3)
    size = float(max(FMT.width, FMT.height))
    tried = 0
    while tried < 30:
        d = 1 + tried % 3
        n = family.N_OBJECTS[d]
        shapes = [str(s) for s in rng.permutation(["box", "circle", *["circle"] * (n - 2)])]
        made = [
            family._body(rng, f"o{i}", c, s, d, FMT.height)
            for i, (c, s) in enumerate(zip(family.pick_colours(rng, n), shapes, strict=True))
        ]
        placed = family._place(rng, made, FMT)
        if placed is None:
            continue
        tried += 1
        spec = family._scene(0, 0, d, FMT, placed)
        traj = simulate(spec).trajectory
        pos = {b.name: traj.xy(b.name) for b in spec.bodies}
        for rate, phase in [(1.0, 0.0), (30 / 16, 0.25), (0.5, 0.75)]:
            p = family._resampled(pos, rate, phase)
            pairs, gaps = pair_gaps(p, spec.bodies, size)
            for enter, leave in [(0.05, 0.1), (0.035, 0.12), (0.065, 0.1), (0.1, 0.05)]:
                got = encounters(p, spec.bodies, size, enter, leave)
                per_pair = [sum(tuple(sorted((a, b))) == pair for _, a, b in got) for pair in pairs]
                assert meeting_counts(gaps, enter, leave).tolist() == per_pair


def test_meeting_counts_at_several_thresholds_at_once_are_each_thresholds():
    """``meeting_counts_each`` counts each pair's meetings at every threshold of the
    sampler in one pass: each row what ``meeting_counts`` gives at that threshold; and the
    sampler's frames at the task's own rate are the frames themselves."""
    from vidreason.engines.pymunk_sim import simulate
    from vidreason.scene.identity import meeting_counts, meeting_counts_each, pair_gaps
    from vidreason.tasks.temporal import identity as family

    rng = np.random.default_rng(5)
    size = float(max(FMT.width, FMT.height))
    thresholds = [(0.05, 0.1), (0.035, 0.12), (0.065, 0.1), (0.02, 0.03)]
    for noise in rng.uniform(0.0, 0.2, (20, 6, 48)):
        want = [meeting_counts(noise, e, lv).tolist() for e, lv in thresholds]
        assert meeting_counts_each(noise, thresholds).tolist() == want
    from vidreason.tasks.base import sample_scene

    spec = sample_scene(get_family("identity-v1"), 0, 2, 3, FMT)
    traj = simulate(spec).trajectory
    pos = {b.name: traj.xy(b.name) for b in spec.bodies}
    same = family._resampled(pos, 1.0, 0.0)
    assert all(np.array_equal(same[k].view(np.int64), pos[k].view(np.int64)) for k in pos)
    _, gaps = pair_gaps(pos, spec.bodies, size)
    want = [meeting_counts(gaps, e, lv).tolist() for e, lv in thresholds]
    assert meeting_counts_each(gaps, thresholds).tolist() == want


def test_runs_the_sampler_stops_are_of_scenes_it_would_throw_away():
    """``_hopeless`` stops a run only when the scene can no longer be ``_clear`` (so the
    scene sampled is the one the whole runs gave); a run it lets through is the plain
    run; and it stops a good share of the runs, early."""
    from vidreason.engines import pymunk_sim
    from vidreason.tasks.temporal import identity as family

    rng = np.random.default_rng(11)
    tried, stopped, clear, last = 0, 0, 0, []
    while tried < 90:
        d = 1 + tried % 3
        made = [
            family._body(rng, f"o{i}", c, "circle" if rng.random() < 0.6 else "box", d, 256)
            for i, c in enumerate(family.pick_colours(rng, family.N_OBJECTS[d]))
        ]
        placed = family._place(rng, made, FMT)
        if placed is None:
            continue
        tried += 1
        spec = family._scene(0, 0, d, FMT, placed)
        whole = pymunk_sim._simulate(spec, 40)
        ok = family._clear(spec, whole.trajectory, whole.events)
        clear += ok
        halt, seen = family._hopeless(spec), []

        def watched(frame, states, contacts, halt=halt, seen=seen):
            seen.append(frame)
            return halt(frame, states, contacts)

        part = pymunk_sim._simulate(spec, 40, watched)
        last.append(seen[-1])
        if part is None:
            stopped += 1
            assert not ok
        else:
            assert part.trajectory == whole.trajectory and part.events == whole.events
    assert clear >= 3 and stopped >= 25
    assert np.mean(last) < 0.85 * (FMT.n_frames - 1)


def test_a_run_stopped_is_not_remembered_and_one_let_through_is():
    """``simulate_unless`` gives None for a run its halt stops, and remembers nothing of
    it; a run let through is the plain run, remembered as ``simulate`` remembers it."""
    from vidreason.engines import pymunk_sim
    from vidreason.engines.memo import forget
    from vidreason.tasks.base import sample_scene

    spec = sample_scene(get_family("bounce-v1"), 0, 0, 1, FMT)
    forget()
    assert pymunk_sim.simulate_unless(spec, lambda f, s, c: f == 3) is None
    assert pymunk_sim.run_key(spec, 40) not in pymunk_sim._RUNS
    through = pymunk_sim.simulate_unless(spec, lambda f, s, c: False)
    assert through is not None and pymunk_sim.simulate(spec) is through
    assert through.trajectory == pymunk_sim._simulate(spec, 40).trajectory
