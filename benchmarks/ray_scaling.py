"""Scaling of the Ray executor: a suite generated and its ground-truth videos scored
(``vidreason score``'s path) on a local Ray of 1 and of 2 CPUs, beside the local
executor with 1 and 2 workers. Ray's start-up is timed apart.

    python benchmarks/ray_scaling.py [--families projectile bounce ...] [--n 4]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from vidreason import api
from vidreason.instance_io import find_instances
from vidreason.runner.executor import Executor, use
from vidreason.runner.plan import video_name

FAMILIES = ["projectile", "bounce", "collision", "pendulum"]


def _videos(suite: Path, out: Path) -> Path:
    for d in find_instances(suite):
        dest = out / video_name(d)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(d / "ground_truth.mp4", dest)
    return out


def _timed(label: str, root: Path, workers: int | None, args: argparse.Namespace) -> None:
    suite, run = root / f"suite-{label}", root / f"run-{label}"
    t0 = time.perf_counter()
    api.generate("smoke", suite, n=args.n, families=args.families, workers=workers)
    t1 = time.perf_counter()
    api.score_folder(suite, _videos(suite, root / f"videos-{label}"), "truth", run, workers=workers)
    t2 = time.perf_counter()
    n = len(find_instances(suite))
    print(f"{label:22} {n:>9} {t1 - t0:>10.1f} {t2 - t1:>9.1f} {(t2 - t1) / n:>11.2f}")


def main() -> None:
    import ray

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", nargs="+", default=FAMILIES)
    parser.add_argument("--n", type=int, default=4, help="instances per family")
    args = parser.parse_args()

    print(f"{'executor':22} {'instances':>9} {'generate s':>10} {'score s':>9} {'s per video':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for workers in (1, 2):
            _timed(f"local, {workers} worker(s)", root, workers, args)
        for cpus in (1, 2):
            t0 = time.perf_counter()
            ray.init(num_cpus=cpus, include_dashboard=False)
            print(f"(ray start-up with {cpus} CPU(s): {time.perf_counter() - t0:.1f} s)")
            with use(Executor("ray")):
                _timed(f"ray, {cpus} CPU(s)", root, None, args)
            ray.shutdown()


if __name__ == "__main__":
    main()
