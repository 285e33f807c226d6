"""The sliding puzzle's reading of a slide: a tile's place between its two squares read to
a fraction of a square, so a slide faster than the task's passes while a tile that stands
still and then jumps fails; and its tray check under a shaking camera. Every video is
written as H.264 and decoded, as a model's is."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import build
from vidreason.corruptions import BY_NAME, encode
from vidreason.render.encoding import CRF, PRESET
from vidreason.render.puzzle import render
from vidreason.render.video_io import read_video, write_mp4
from vidreason.scene.params.planning import SlidingPuzzleParams
from vidreason.scoring import score_frames
from vidreason.seeding import named_rng
from vidreason.types import Score, Trajectory, VideoFormat
from vidreason.verifiers.puzzle_track import TileTrack

FAMILY = "sliding-puzzle-v1"


def audited(name: str, index: int, seed: int, style: str, tmp_path) -> Score:
    """Instance ``index`` of ``seed`` drawn in ``style``, changed by the corruption
    ``name`` exactly as the audit changes it (its random draws included), encoded,
    decoded and scored."""
    inst, frames = build(FAMILY, index, seed, fmt=VideoFormat(style=style))
    fps = inst.spec.fmt.fps
    truth = read_video(write_mp4(frames, tmp_path / "t.mp4", fps, crf=CRF, preset=PRESET)).frames
    rng = named_rng(seed, "audit", FAMILY, str(index), name)
    sample = BY_NAME[name].fn(inst, truth, rng)
    assert sample is not None
    clip = read_video(encode(sample, tmp_path / "v"))
    score, _ = score_frames(clip.frames, inst, frames[0], clip.times)
    return score


def test_a_tile_is_placed_to_a_fraction_of_a_square(tmp_path):
    """A tile drawn a share of the way to the empty square is read that far along, in
    each style, after H.264."""
    for style in ("flat", "textured"):
        inst, _ = build(FAMILY, 1, 0, fmt=VideoFormat(style=style))
        params = SlidingPuzzleParams.of(inst.spec)
        start = [int(t) for t in params.start]
        n, p = params.board.n, params.board.pitch
        empty = start.index(0)
        slot = next(s for s in (empty - 1, empty + 1, empty - n, empty + n) if 0 <= s < n * n)
        tile = start[slot]
        states = {k: [s[0]] * 6 for k, s in inst.trajectory.states.items()}
        dx, dy = ((empty % n) - (slot % n)) * p, ((empty // n) - (slot // n)) * p
        shares = (0.0, 0.2, 0.45, 0.7, 0.95, 1.0)
        x, y = states[f"tile{tile}"][0][:2]
        states[f"tile{tile}"] = [(x + u * dx, y + u * dy, 0.0, 0.0, 0.0) for u in shares]
        video = render(inst.spec, Trajectory({k: tuple(v) for k, v in states.items()}))
        path = write_mp4(video, tmp_path / f"{style}.mp4", fps=inst.spec.fmt.fps)
        track = TileTrack(read_video(path).frames, inst)
        got = [track.place(k, tile, slot, empty) for k in range(len(shares))]
        assert np.allclose(got, shares, atol=0.03), (style, got)


@pytest.mark.slow
def test_slides_at_twice_the_pace_after_a_pause_pass(tmp_path):
    """A model that waits, then plays the solution twice as fast: a tile is met by one
    frame on its way, 0.14 and 0.94 of the way across in the next (read 0.80 apart), and
    is seen sliding."""
    score = audited("pause then x2", 2, 0, "flat", tmp_path)
    assert score.passed, score.explanation
    assert score.checks["legal_moves"] == 1.0


@pytest.mark.slow
def test_a_tile_that_stands_still_and_then_jumps_fails_on_a_textured_board(tmp_path):
    """Everything stops for 8 frames, then stands where it should: the tile that moved
    meanwhile goes its whole square between two frames. The tile sliding in behind it
    has its row's colour, so the colour left in its square is no sign of its slide."""
    score = audited("freeze-jump 8", 1, 3, "textured", tmp_path)
    assert not score.passed
    assert score.checks["legal_moves"] == 0.0
    assert "tile 4 jumps from (1,1) to (1,0)" in score.explanation, score.explanation


@pytest.mark.slow
def test_a_shaking_camera_leaves_the_tray_as_it_was(tmp_path):
    """A camera shaking by up to 2 px, registered only on the little of the scene that no
    tile ever covers: the tray's rim met a few pixels off its place is no change."""
    score = audited("shake 2px", 1, 3, "flat", tmp_path)
    assert score.passed, score.explanation
    assert score.checks["scene"] == 1.0


@pytest.mark.slow
def test_the_empty_square_is_known_at_the_far_corner_of_a_shaded_tray(tmp_path):
    """The shaded tray is lit from the top left: the bare tray at the bottom right, where
    the empty square ends, is darker than where it starts, and under lower saturation
    and another codec it was no longer read as empty (the last board unread)."""
    score = audited("resize 0.5x + saturation 0.7 + vp9", 0, 0, "shaded", tmp_path)
    assert score.passed, score.explanation
    assert score.checks["goal"] == 1.0
