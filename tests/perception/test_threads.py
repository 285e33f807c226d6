"""Scoring runs BLAS on one thread, whatever the caller set: OpenBLAS splits
registration's tall products over every core at a cost of thirty times the CPU, and the
split's sums change a fit's last bits with the number of cores."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from tests.helpers import build
from vidreason.corruptions import BY_NAME
from vidreason.perception import registration as reg
from vidreason.scoring import score_frames


def _blas_threads() -> int:
    return max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")


def test_registration_fits_on_one_blas_thread_and_the_callers_setting_comes_back(monkeypatch):
    inst, frames = build("projectile")
    seen: list[int] = []
    solve = reg.solve

    def counted(*args, **kwargs):
        seen.append(_blas_threads())
        return solve(*args, **kwargs)

    monkeypatch.setattr(reg, "solve", counted)
    shaken = BY_NAME["shake 2px"].fn(inst, frames, np.random.default_rng(0)).frames
    with threadpool_limits(limits=2, user_api="blas"):
        score_frames(shaken, inst, frames[0])  # a shaking camera: every frame fitted
        assert _blas_threads() == 2
    assert seen and set(seen) == {1}
