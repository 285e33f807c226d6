"""Pool scaling: what a worker of the local pool costs to start, and scoring (and with
``--generation``, generating) with 1 worker and with 2, spawned or forked from the pool's
server (CPU and wall time, the 2-worker speed-up, and whether the scores, or the files
written, are the same).

    python benchmarks/pool.py --suite-dir SUITE [--repeat 1] [--generation --n 25]
    python benchmarks/pool.py --n 25   # generates projectile, bounce, dominoes, maze first

Without ``--suite-dir`` a suite of ``--n`` instances of each of four families is generated
first (not timed); the videos scored are the suite's own ground truths (``truths/``, links
to each ``ground_truth.mp4``). ``--generation`` generates ``--n`` instances of the same
families with each pool. The start method is set by ``VIDREASON_START_METHOD``.

Each run is a fresh Python process calling ``api.score_folder``, so its CPU time
(user + system) holds everything a ``vidreason score`` pays: interpreter start, imports,
the pool's workers and, with more than one worker, the server they are forked from (that
process is stopped and waited for at the end, so its CPU is counted too). "worker start"
is the CPU a worker has used when it is handed its first item (its imports and start, all
of it for a spawned worker, only what follows the fork for a forked one), and "server" the
forkserver's one-time warm-up. The machine may be shared: CPU times are the measure, wall
times and the speed-up only indicative.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

FAMILIES = ("projectile-v1", "bounce-v1", "dominoes-v1", "maze-v1")

# Run in a fresh process: time a scoring run (or with "generate", the suite's generation)
# with N workers; print CPU, wall and the scores (or the generated files' digests).
RUN = """
import hashlib, json, resource, sys, time
from pathlib import Path
from vidreason import api, store
from vidreason.suites import generate_suite
what, suite, videos, run, workers = sys.argv[1:5] + [int(sys.argv[5])]
fams = sys.argv[6].split(",")
start = time.perf_counter()
if what == "score":
    summary = api.score_folder(Path(suite), Path(videos), "truth", Path(run), workers=workers)
else:
    generate_suite("core", Path(run), n=int(videos), families=fams, workers=workers)
wall = time.perf_counter() - start
from multiprocessing import forkserver
server = forkserver._forkserver
if server._forkserver_pid is not None:  # stop it and wait for it: its CPU counts too
    server._stop()
own = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
if what == "score":
    rows = {r.key: [r.value, r.passed, r.checks, r.explanation, r.error]
            for r in store.rows(Path(run))}
else:
    rows = {str(p.relative_to(run)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(run).rglob("*")) if p.is_file()}
print(json.dumps({"wall": wall, "cpu": cpu, "rows": rows}))
"""

# Run in a fresh process: start a pool of N workers, each reporting its CPU at its first
# item, and the fork server's CPU (None when workers are spawned).
START = """
import json, os, sys
from multiprocessing import forkserver
from vidreason.runner.local import parallel_map
sys.path.insert(0, sys.argv[2])
from pool import worker_cpu
got = parallel_map(worker_cpu, list(range(int(sys.argv[1]))), workers=int(sys.argv[1]))
pid = forkserver._forkserver._forkserver_pid
server = None
if pid is not None:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    server = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
print(json.dumps({"workers": [c for _, c in got], "server": server}))
"""


def worker_cpu(_: int) -> tuple[int, float]:
    """This process's id and the CPU seconds it has used so far."""
    import os
    import time

    time.sleep(0.5)  # hold this worker, so that each item goes to a worker of its own
    return os.getpid(), time.process_time()


def _env(method: str) -> dict[str, str]:
    return {**os.environ, "VIDREASON_START_METHOD": method}


def start_cost(workers: int, method: str) -> dict:
    cmd = [sys.executable, "-c", START, str(workers), str(Path(__file__).parent)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=_env(method))
    return json.loads(out.stdout.splitlines()[-1])


def timed(what: str, suite: Path, videos: str, run: Path, workers: int, method: str) -> dict:
    """One fresh process scoring ``videos`` (or generating ``videos`` instances a family)."""
    args = [what, str(suite), videos, str(run), str(workers), ",".join(FAMILIES)]
    cmd = [sys.executable, "-c", RUN, *args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=_env(method))
    return json.loads(out.stdout.splitlines()[-1])


def truths(suite: Path, out: Path) -> Path:
    """A videos folder of links to the suite's ground truths."""
    for task in sorted(suite.glob("*/*/task.json")):
        d = task.parent
        link = out / d.parent.name / f"{d.name}.mp4"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to((d / "ground_truth.mp4").resolve())
    return out


def generate(out: Path, n: int) -> None:
    from vidreason.suites import generate_suite

    generate_suite("core", out, n=n, families=list(FAMILIES), workers=1)


# (workers, start method): one worker runs in-process, so its start method is moot
RUNS = ((1, "spawn"), (2, "spawn"), (2, "forkserver"))


def table(what: str, suite: Path, videos: str, tmp: Path, repeat: int) -> dict:
    """Print and return the CPU and wall time of each of ``RUNS``."""
    print(f"{what}: {'workers':>7} {'start':>10} {'items':>6} {'wall s':>7} {'CPU s':>7}")
    got: dict[tuple[int, str], list[dict]] = {}
    for workers, method in RUNS:
        for i in range(repeat):
            r = timed(what, suite, videos, tmp / f"{what}-{workers}-{method}-{i}", workers, method)
            got.setdefault((workers, method), []).append(r)
            shown = method if workers > 1 else "in-process"
            n = len([k for k in r["rows"] if what == "score" or k.endswith("task.json")])
            print(
                f"{what}: {workers:7d} {shown:>10} {n:6d} {r['wall']:7.1f} {r['cpu']:7.1f}",
                flush=True,
            )
    wall = {k: min(r["wall"] for r in rs) for k, rs in got.items()}
    cpu = {k: min(r["cpu"] for r in rs) for k, rs in got.items()}
    for method in ("spawn", "forkserver"):
        print(
            f"{what}: 2 workers ({method}) / 1: {wall[(1, 'spawn')] / wall[(2, method)]:.2f}x"
            f" faster by the wall (indicative), {cpu[(2, method)] / cpu[(1, 'spawn')]:.2f}x"
            " the CPU"
        )
    rows = [r["rows"] for rs in got.values() for r in rs]
    same = all(r == rows[0] for r in rows)
    print(f"{what}: identical across runs: {same}")
    return {"runs": {f"{w}-{m}": rs for (w, m), rs in got.items()}, "same": same}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--suite-dir", type=Path, help="a generated suite (default: generate)")
    parser.add_argument("--n", type=int, default=25, help="instances per family to generate")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each kind")
    parser.add_argument("--generation", action="store_true", help="time generation too")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        suite = args.suite_dir
        if suite is None:
            suite = Path(tmp) / "suite"
            generate(suite, args.n)
        videos = truths(suite, Path(tmp) / "truths")
        for method in ("spawn", "forkserver"):
            started = out[f"start-{method}"] = start_cost(2, method)
            server = started["server"]
            print(
                f"worker start ({method}): "
                + ", ".join(f"{c:.2f}" for c in started["workers"])
                + " CPU s each"
                + (f", forked from a server warmed up once in {server:.2f} s" if server else "")
            )
        out["score"] = table("score", suite, str(videos), Path(tmp), args.repeat)
        if args.generation:
            out["generate"] = table("generate", suite, str(args.n), Path(tmp), args.repeat)
    if args.json:
        for kind in ("score", "generate"):
            for rs in out.get(kind, {}).get("runs", {}).values():
                for r in rs:
                    r.pop("rows")
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
