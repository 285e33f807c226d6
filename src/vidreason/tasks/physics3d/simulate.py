"""The simulate and render functions of the 3D families: MuJoCo, imported on first use,
so registering these families (``vidreason tasks``) works without MuJoCo installed."""

from __future__ import annotations

import numpy as np

from vidreason.types import Event, SceneSpec, Trajectory


def simulate3d(spec: SceneSpec) -> tuple[Trajectory, tuple[Event, ...]]:
    from vidreason.engines.mujoco_sim import simulate

    sim = simulate(spec)
    return sim.trajectory, sim.events


def render3d(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
    from vidreason.render.mujoco_gl import render

    return render(spec, trajectory)
