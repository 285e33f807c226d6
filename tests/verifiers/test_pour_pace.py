"""The pour's pace (``verifiers/pour_pace.py``): the time shift read off a picture series
is the one put in (a fraction of a frame, either way, through a blur of the truth's
frames), and the check passes a lag the cup shares and fails one it does not."""

from __future__ import annotations

import numpy as np
import pytest

from vidreason.verifiers.pour_pace import best_shift, pace_check


def _falling_bar(times: np.ndarray) -> np.ndarray:
    """A bar 6 px wide whose top falls under a constant acceleration, at ``times``."""
    out = np.zeros((len(times), 64, 32), np.float32)
    for i, t in enumerate(times):
        top = 2.0 + 0.4 * t * t
        rows = np.arange(64)
        cover = np.clip(rows + 1 - top, 0.0, 1.0) * (rows < top + 6)
        out[i, :, 10:16] = cover[:, None]
    return out


@pytest.mark.parametrize("shift", [-1.3, -0.4, 0.0, 0.6, 1.5])
def test_best_shift_reads_the_shift_put_in(shift):
    truth = _falling_bar(np.arange(12.0))
    times = np.arange(2.0, 10.0, 0.5)
    video = _falling_bar(times - shift)
    assert best_shift(video, truth, times) == pytest.approx(shift, abs=0.1)


def test_a_shared_lag_passes_and_an_own_lag_fails():
    assert pace_check(0.8, 0.7, 8, "red water").value == 1.0  # the cup lags as much
    late = pace_check(1.4, 0.0, 8, "red water")
    assert late.value == 0.0 and "behind" in late.note
    early = pace_check(-1.4, 0.0, 8, "red water")
    assert early.value == 0.0 and "ahead of" in early.note


def test_too_few_frames_to_read_fails_and_says_so():
    check = pace_check(float("nan"), 0.0, 1, "red water")
    assert check.value == 0.0 and "too few frames (1)" in check.note
