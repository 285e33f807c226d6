"""A killed ``generate`` resumes: whole instances are kept as they are, the rest written."""

from __future__ import annotations

import shutil
from pathlib import Path

from vidreason.instance_io import FILES
from vidreason.suites import PARTIAL, SUITE_FILE, generate_suite


def _snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p.relative_to(root)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_a_rerun_writes_only_what_is_missing(tmp_path):
    out = tmp_path / "suite"
    args = {"n": 3, "seed": 0, "families": ["projectile-v1"], "workers": 1}
    generate_suite("smoke", out, **args)
    before = _snapshot(out)
    family = out / "projectile-v1"
    shutil.rmtree(family / "00001")  # as if the run had been killed before writing it
    (family / "00002" / "ground_truth.mp4").unlink()  # half written by an older version
    stale = out / PARTIAL / "projectile-v1" / "00000-999"
    stale.mkdir(parents=True)
    (stale / "task.json").write_text("{}")
    (out / SUITE_FILE).unlink()

    generate_suite("smoke", out, **args)
    after = _snapshot(out)
    assert after.keys() == before.keys()
    for name, (mtime, data) in after.items():
        assert data == before[name][1], name  # the same bytes
        if name.startswith("projectile-v1/00000/"):
            assert mtime == before[name][0], name  # kept, not rewritten
    assert not (out / PARTIAL).exists()
    assert all((family / "00002" / f).is_file() for f in FILES)


def test_another_seed_rewrites_every_instance(tmp_path):
    out = tmp_path / "suite"
    args = {"n": 1, "families": ["projectile-v1"], "workers": 1}
    generate_suite("smoke", out, seed=0, **args)
    first = (out / "projectile-v1" / "00000" / "task.json").read_bytes()
    generate_suite("smoke", out, seed=1, **args)
    assert (out / "projectile-v1" / "00000" / "task.json").read_bytes() != first
    assert '"seed": 1' in (out / SUITE_FILE).read_text()
