"""Harmless changes a real video brings, scored through the real verifiers: frames repeated
to a higher frame rate, a lower frame rate, a lowered contrast, a crop to another aspect
ratio and a codec that bleeds colour; and the violations next to them still fail."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.helpers import build, score_corrupted
from vidreason.corruptions import BY_NAME
from vidreason.perception import perceive
from vidreason.perception.timeline import REPEAT, changed, regular
from vidreason.perception.tracking import _coarse_index, blend_table, codes
from vidreason.scene.grid import layout_of
from vidreason.scoring import score_frames
from vidreason.types import VideoFormat
from vidreason.verifiers.checks import paced
from vidreason.verifiers.grid import agent_of


def test_frames_repeated_to_30_fps_keep_the_moments_they_show():
    """16 fps shown at 30 fps: each new frame is first shown up to 29 ms after its moment;
    the tracked frames get their moments back."""
    inst, frames = build("containment", 0)
    sample = BY_NAME["30 fps repeat"].fn(inst, frames, np.random.default_rng(0))
    times = np.arange(len(sample.frames)) / sample.fps
    p = perceive(sample.frames, inst, frames[0], times)
    shown = np.floor(p.timeline.keep * 16 / 30 + 1e-9) / 16  # the moment each frame shows
    fall = (p.timeline.keep >= 4) & (p.timeline.keep <= 30)  # the ball falls
    err = np.abs(p.timeline.times - shown)[fall]
    assert err.max() < 0.002, err


def test_frames_repeated_to_60_fps_are_a_frame_rate_not_pauses():
    """16 fps shown at 60 fps repeats each moment 2 or 3 times: the runs make a pattern and
    are dropped as a frame-rate change (runs of 3 were kept as pauses, and a ball that
    seemed to stop and leap failed `continuity`), and the new frames keep their moments."""
    from vidreason.corruptions.nuisances import resample

    inst, frames = build("bounce", 0)
    sample = resample(60.0, blend=False)(inst, frames, np.random.default_rng(0))
    times = np.arange(len(sample.frames)) / sample.fps
    p = perceive(sample.frames, inst, frames[0], times)
    shown = np.floor(p.timeline.keep * 16 / 60 + 1e-9) / 16
    fall = p.timeline.keep < 100  # the fall and the bounce (the ball is still at its lowest)
    assert np.abs(p.timeline.times - shown)[fall].max() < 0.002
    assert np.all(np.diff(shown[fall]) > 0)  # one frame per moment


def test_a_lone_freeze_is_no_frame_rate():
    """Three runs of three repeats in a 16 fps video are no pattern: they stay."""
    from vidreason.perception.timeline import repeat_limit

    assert repeat_limit(np.array([3, 3, 3])) == 2
    assert repeat_limit(np.array([3, 2, 3, 3, 2, 3, 3])) == 3  # 16 fps shown at 60
    assert repeat_limit(np.array([1, 1, 1, 1, 1, 1, 4])) == 2  # 30 fps, and a freeze


def test_a_real_frame_rate_with_a_moment_at_rest_keeps_its_clock():
    """A 16 fps video whose motion all but stops for a frame (three such frames) is no
    resampled clock: its times stay as they are."""
    n = 40
    times = np.arange(n) / 16.0
    change = np.full(n, 500.0)
    rep = np.zeros(n, bool)
    keep = np.ones(n, bool)
    for i in (10, 20, 30):
        change[i], rep[i], keep[i] = 0.0, True, False
        change[i + 1] = 40.0  # slow on either side of the pause, as at the top of a bounce
    out, kept = regular(times, change, rep, keep)
    assert np.array_equal(out, times) and np.array_equal(kept, keep)


def test_a_source_moment_that_shows_no_change_keeps_the_clock():
    """16 fps shown at 30 fps, the motion all but stopping at one source moment (the top of
    a bounce): that moment reads as a repeat, yet the frames after it keep their own
    moments instead of all lying one source frame late (the clock was refused before and
    the frames kept their jittered times)."""
    n = 90
    times = np.arange(n) / 30.0
    moment = np.floor(np.arange(n) * 16 / 30 + 1e-9).astype(int)
    new = np.concatenate([[True], np.diff(moment) > 0])
    still = int(np.flatnonzero(new)[25])  # a source moment that shows no change
    change = np.where(new, 600.0, 0.0)
    change[still] = 0.0
    rep = change < REPEAT
    rep[0] = False
    keep = ~rep | (np.arange(n) == 0)
    out, kept = regular(times, change, rep, keep)
    shown = moment / 16.0
    assert np.abs(out - shown)[kept].max() < 1e-6, (out - shown)[kept]


def test_a_body_as_bright_as_the_background_changes_the_frame():
    """A cyan block moving over a grey of its own brightness changes no grey level, but
    its hue: the frame is new, not a repeat."""
    grey = np.full((64, 64, 3), 150, np.uint8)
    cyan = np.array([40, 190, 190], np.uint8)  # grey level 145
    a, b = grey.copy(), grey.copy()
    a[20:40, 10:30] = cyan
    b[20:40, 18:38] = cyan
    assert changed(np.stack([a, b, b]))[1] > 10 * REPEAT
    assert changed(np.stack([a, b, b]))[2] == 0.0


@pytest.mark.slow
def test_a_textured_block_repeated_to_30_fps_keeps_its_fall(tmp_path):
    """Topple-3d, textured (seed 0, instance 3): the cyan block falls over a floor of its
    own grey level; at 30 fps its new frames are told from the repeats around them, the
    fall keeps its clock and gravity (it read 8.0 m/s² when the new frames went for a
    pause), and a weaker gravity still fails."""
    inst, frames = build("topple-3d", 3, fmt=VideoFormat(style="textured"))
    score, tracks = score_corrupted("30 fps repeat", inst, frames, tmp_path)
    assert score.passed and score.checks["gravity"] == 1.0, score.explanation
    shown = np.floor(tracks.percept.timeline.keep * 16 / 30 + 1e-9) / 16
    assert np.abs(tracks.percept.timeline.times - shown)[:-1].max() < 0.002  # the last stays
    score, _ = score_corrupted("gravity x0.8", inst, frames, tmp_path)
    assert not score.passed, score.explanation


@pytest.mark.slow
def test_repeated_and_redrawn_frame_rates_pass_and_a_faster_fall_fails(tmp_path):
    inst, frames = build("containment", 0)
    for name in ["30 fps repeat", "24 fps repeat", "8 fps"]:
        score, tracks = score_corrupted(name, inst, frames, tmp_path)
        assert score.passed, (name, score.explanation)
        assert tracks.percept.timeline.delay == 0.0  # 8 fps: its rounding is no late start
    score, _ = score_corrupted("gravity x1.25", inst, frames, tmp_path)
    assert not score.passed and "stronger" in score.explanation, score.explanation


@pytest.mark.slow
def test_a_lowered_contrast_keeps_every_object_and_a_colour_change_fails(tmp_path):
    for family, index in [("identity", 1), ("dominoes", 1)]:
        inst, frames = build(family, index)
        score, _ = score_corrupted("contrast 0.8", inst, frames, tmp_path)
        assert score.passed, (family, score.explanation)
    score, _ = score_corrupted("colour change", inst, frames, tmp_path)
    assert not score.passed, score.explanation


def test_a_colour_fringe_along_another_body_is_no_piece_of_a_body(tmp_path):
    """Red and blue planes shifted a pixel apart: the green wall's left edge gets a yellow
    line a pixel wide, which was joined to the yellow block 60 px away and pulled it
    12 px off its place from the first frame. A teleport is still caught."""
    inst, frames = build("blocker", 0, seed=21, fmt=VideoFormat(style="flat"))
    score, tracks = score_corrupted("chroma 1px", inst, frames, tmp_path)
    assert score.passed, score.explanation
    block = next(b.name for b in inst.spec.bodies if "block" in b.name)
    truth = inst.trajectory.xy(block)[0]
    assert np.hypot(*(tracks.pos[block][0] - truth)) < 1.5, tracks.pos[block][0]
    score, _ = score_corrupted("teleport 15%", inst, frames, tmp_path)
    assert not score.passed, score.explanation


def test_a_grey_edge_of_the_scene_is_no_blend_of_two_bodies():
    """Grey lies near the middle of a blue and an orange: on the edge between a light
    background and a dark floor it is that edge, not a blurred body."""
    colours = np.array([(54, 130, 184), (252, 148, 25), (235, 235, 231), (89, 88, 94)])
    grey = codes(np.array([[(122, 122, 123)]], np.uint8))[0, 0]
    owner, _ = blend_table(colours, [0, 1])
    assert owner[_coarse_index()[grey]] == 0  # without the scene's own mixes: the blue body
    owner, _ = blend_table(colours, [0, 1], [2, 3])
    assert owner[_coarse_index()[grey]] == 255
    half = codes(np.array([[(144, 182, 207)]], np.uint8))[0, 0]  # blue half on the background
    assert owner[_coarse_index()[half]] == 0


def test_a_crop_to_another_aspect_ratio_keeps_the_tiles_colours(tmp_path):
    """The top and bottom cut off leave the static scene a strip at each side: the light is
    not extrapolated from it over the board."""
    inst, frames = build("sliding-puzzle", 0)
    score, tracks = score_corrupted("crop 10% height", inst, frames, tmp_path)
    assert score.passed, score.explanation
    ref, got = frames[0].astype(int), tracks.frames[0].astype(int)
    h = ref.shape[0]
    middle = slice(h // 4, 3 * h // 4)  # the board, away from the rows the crop cut
    assert np.median(np.abs(got[middle] - ref[middle])) < 6


def _cut(inst, frames: np.ndarray) -> np.ndarray:
    """The last frames with a piece of the finished line painted over with the floor."""
    lay = layout_of(inst.spec)
    path = inst.trajectory.xy(agent_of(inst.spec).name)
    x, y = path[len(path) // 2]
    out = frames.copy()
    floor = tuple(int(v) for v in inst.spec.background)
    for f in out[-8:]:
        cv2.circle(f, (round(x), round(y)), round(0.3 * lay.cell), floor, -1)
    return out


@pytest.mark.slow
def test_connect_line_survives_mpeg4_but_a_cut_line_fails(tmp_path):
    inst, frames = build("connect", 0)
    score, _ = score_corrupted("mpeg4", inst, frames, tmp_path)
    assert score.passed, score.explanation
    cut = _cut(inst, frames)
    score, _ = score_frames(cut, inst, frames[0], np.arange(len(cut)) / 16.0)
    assert score.checks["line"] == 0.0, score.explanation


@pytest.mark.slow
def test_a_pause_then_double_speed_is_a_planning_videos_own_pace(tmp_path):
    """Sorting bars at twice the speed after a pause: each move sampled half as often (a
    still frame between two moves is dropped as a repeat, so a move seems to start with a
    leap); a bar frozen, then caught up, still fails."""
    inst, frames = build("sort", 1)
    score, _ = score_corrupted("pause then x2", inst, frames, tmp_path)
    assert score.passed, score.explanation
    score, _ = score_corrupted("freeze-jump 8", inst, frames, tmp_path)
    assert not score.passed and "continuity" in score.explanation, score.explanation


def test_a_fast_step_along_the_true_path_is_paced_and_a_skip_is_not():
    path = np.stack([np.arange(20.0) * 10, np.zeros(20)], axis=1)  # 10 px a frame along x
    assert paced(path[4], path[6], path, 256.0, 1.0)  # twice as fast
    assert not paced(path[4], path[12], path, 256.0, 1.0)  # eight frames skipped
    assert not paced(path[4], path[6] + (0, 20), path, 256.0, 1.0)  # off the path


@pytest.mark.slow
def test_a_soft_focus_keeps_the_floor_edge_and_a_new_object_still_fails(tmp_path):
    """Blur with sigma 2 spreads the floor's edge into a band of greys that stays put: the
    edge, not an object; an object that appears mid-clip still fails."""
    inst, frames = build("permanence", 1)
    score, _ = score_corrupted("blur sigma 2", inst, frames, tmp_path)
    assert score.passed, score.explanation
    score, _ = score_corrupted("appear", inst, frames, tmp_path)
    assert not score.passed and "not in the scene" in score.explanation, score.explanation


@pytest.mark.slow
def test_a_shaking_camera_over_a_finished_puzzle_keeps_its_registration(tmp_path):
    """Tiles that never move again stay part of the static scene to the clip's end: the
    last frames of a shaking camera register as well as the others."""
    inst, frames = build("sliding-puzzle", 0)
    score, _ = score_corrupted("shake 2px", inst, frames, tmp_path)
    assert score.passed, score.explanation


@pytest.mark.slow
def test_a_body_drawn_smaller_fails_next_to_bodies_of_other_colours(tmp_path):
    """Dominoes stand closer than their size: a block that shrinks is still measured
    against its first frames, since flat bodies of other colours never merge with it."""
    inst, frames = build("dominoes", 0)
    score, _ = score_corrupted("shrink", inst, frames, tmp_path)
    assert not score.passed and "shrinks" in score.explanation, score.explanation
    score, _ = score_corrupted("blur sigma 2", inst, frames, tmp_path)
    assert score.passed, score.explanation


@pytest.mark.slow
def test_a_fast_throw_under_motion_blur_keeps_its_size(tmp_path):
    """A 3D ball thrown at most of its radius per frame, blurred over 3 frames, is a streak:
    its size is not read there."""
    inst, frames = build("throw-3d", 3)
    score, _ = score_corrupted("blur 3 frames", inst, frames, tmp_path)
    assert score.passed, score.explanation


@pytest.mark.slow
def test_a_codec_smear_mid_fall_is_no_landing_and_a_weaker_gravity_still_fails(tmp_path):
    """MPEG-4 smears the ball over two frames of its fall off the table: the fall goes on
    to the floor (no false landing), the two frames weigh less in the fall's robust fit;
    gravity x0.8 still fails."""
    inst, frames = build("roll-3d", 0)
    score, _ = score_corrupted("mpeg4", inst, frames, tmp_path)
    assert score.passed, score.explanation
    score, _ = score_corrupted("gravity x0.8", inst, frames, tmp_path)
    assert not score.passed and "weaker" in score.explanation, score.explanation


@pytest.mark.slow
def test_a_thin_body_mottled_by_a_codec_keeps_its_size_and_a_smaller_one_fails(tmp_path):
    """MPEG-4 at its defaults averages a thin block lying on a dark floor with the floor's
    colour: at a second look (its colour within a wider distance, its holes filled) it
    keeps its size; the block drawn at 60% still shrinks."""
    inst, frames = build("blocker", seed=5, difficulty=1)
    score, _ = score_corrupted("mpeg4", inst, frames, tmp_path)
    assert score.passed, score.explanation
    score, _ = score_corrupted("shrink", inst, frames, tmp_path)
    assert not score.passed and "shrinks" in score.explanation, score.explanation


@pytest.mark.slow
def test_a_crop_to_another_aspect_ratio_of_a_blank_scene_registers_as_a_crop(tmp_path):
    """Three bodies on a blank table, 10% of the height cut: little but the bodies fixes the
    first frame's map, so the crop of the picture's middle is tried as such (zooms alone
    left the bodies 8-11 px off and the camera drifting after them)."""
    inst, frames = build("identity", seed=5, difficulty=1)
    score, tracks = score_corrupted("crop 10% height", inst, frames, tmp_path)
    assert score.passed, score.explanation
    m = tracks.percept.camera.matrices[0]
    assert abs(m[1, 1] - 256 / 230) < 0.03 and abs(m[0, 0] - 1.0) < 0.01, m


@pytest.mark.slow
def test_a_zoom_over_a_blank_table_is_read_off_the_ball_and_forgiven_its_doubt(tmp_path):
    """One ball on a blank table, the picture zoomed 5%: only the ball's outline gives the
    zoom (about 2% off here); the path forgives that doubt, a wobble still fails it."""
    inst, frames = build("projectile", seed=5, difficulty=1)
    score, tracks = score_corrupted("zoom 5%", inst, frames, tmp_path)
    assert not tracks.percept.camera.tracked
    assert score.passed and score.checks["path"] == 1.0, score.explanation
    score, _ = score_corrupted("wobble", inst, frames, tmp_path)
    assert score.checks["path"] == 0.0, score.explanation


def test_a_freeze_at_the_end_of_a_scene_at_rest_is_no_violation():
    """A scene whose bodies are all at rest by the last third: freezing it there changes
    nothing, so the violation does not apply; a moving scene's freeze does."""
    still, frames = build("drape-3d", 0)
    assert BY_NAME["freeze at end"].fn(still, frames, np.random.default_rng(0)) is None
    moving, frames = build("bounce", 0)
    assert BY_NAME["freeze at end"].fn(moving, frames, np.random.default_rng(0)) is not None


@pytest.mark.slow
def test_a_blurred_bar_lightened_into_another_bars_colour_is_no_second_bar(tmp_path):
    """Sort: the dark blue bar, lifted under a blur over 2-3 frames, leaves a light blue
    ghost within the cyan bar's colour. It is also a blend of the blue bar with the
    background, so it neither counts as a second cyan bar nor draws the cyan bar's track;
    a real second copy still does."""
    inst, frames = build("sort", seed=5, difficulty=1)
    for name in ("blur 2 frames", "blur 3 frames"):
        score, _ = score_corrupted(name, inst, frames, tmp_path)
        assert score.passed, (name, score.explanation)
    inst, frames = build("collision", 1)
    score, _ = score_corrupted("duplicate", inst, frames, tmp_path)
    assert not score.passed and "a second" in score.explanation, score.explanation


def test_a_thin_border_round_the_picture_is_no_change_of_light(tmp_path):
    """A 3 px light grey border over this scene's dark walls along the edges: read as
    light, the rim's cells made the light model fit a gain of 0.73 and a level of 63,
    and the blue block's colour went out of its key. The rim is framing, not scene."""
    from tests.helpers import score_encoded

    inst, frames = build("identity", 0, seed=31)
    bordered = frames.copy()
    for edge in (np.s_[:, :3], np.s_[:, -3:], np.s_[:, :, :3], np.s_[:, :, -3:]):
        bordered[edge] = 200
    score, _ = score_encoded(inst, bordered, tmp_path, first=frames[0])
    assert score.passed and score.value == 1.0, score.explanation
