"""The Ray executor: the same files, rows and errors as the local one, on a local Ray
(two CPUs) started by the test. Skipped when Ray is not installed, unless
``VIDREASON_REQUIRE_RAY=1`` (CI with the ``ray`` extra), which makes that a failure."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import comparable_rows, folder_bytes
from vidreason import api
from vidreason.cli import app
from vidreason.errors import UserError
from vidreason.runner import ray_executor
from vidreason.runner.executor import Executor, use

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--executor", "dask"], "error: --executor 'dask': expected one of local, ray"),
        (
            ["--address", "10.0.0.1:6379"],
            "error: --address names a Ray cluster: give --executor ray too",
        ),
    ],
)
def test_a_wrong_executor_is_one_line_before_any_work(tmp_path, args, line):
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["run", "--suite", "smoke", "--model", "oracle", "--out", str(out), *args]
    )
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [line]
    assert not out.exists()


def test_without_ray_the_ray_executor_is_one_line(monkeypatch):
    monkeypatch.setattr(ray_executor, "ray", None)
    entering = use(Executor("ray"))
    with pytest.raises(UserError, match=r"needs Ray: pip install 'vidreason\[ray\]'"):
        entering.__enter__()


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    if importlib.util.find_spec("ray") is None:
        if os.environ.get("VIDREASON_REQUIRE_RAY") == "1":
            pytest.fail(
                "VIDREASON_REQUIRE_RAY=1 but ray is not installed (pip install -e '.[ray]')"
            )
        pytest.skip("ray is not installed (pip install -e '.[ray]')")
    import ray

    ray.init(num_cpus=2, include_dashboard=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.mark.ray
@pytest.mark.slow
def test_ray_writes_the_same_suite_and_rows_as_local(local_ray, tmp_path, monkeypatch):
    used: list[str] = []
    for name in ("parallel_map", "stream_map", "actors"):  # the work did go to Ray
        real = getattr(ray_executor, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            used.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(ray_executor, name, spy)

    def generate(out: Path) -> None:
        api.generate("smoke", out, n=2, families=["projectile"], workers=1)

    def run(out: Path, suite: Path) -> api.RunSummary:
        return api.run_model(["oracle", "static"], str(suite), out, workers=1)

    generate(tmp_path / "suite")
    first = run(tmp_path / "local", tmp_path / "suite")
    with use(Executor("ray")):
        generate(tmp_path / "suite-ray")
        assert folder_bytes(tmp_path / "suite-ray") == folder_bytes(tmp_path / "suite")
        summary = run(tmp_path / "ray", tmp_path / "suite")
        assert (summary.total, summary.scored, summary.errors) == (first.total, first.scored, ())
        assert set(used) == {"parallel_map", "stream_map", "actors"}
        assert comparable_rows(tmp_path / "ray") == comparable_rows(tmp_path / "local")
        again = run(tmp_path / "ray", tmp_path / "suite")  # resumes: nothing left to do
        assert (again.scored, again.skipped) == (0, first.total)
        # a task's error is raised as the task raised it, not wrapped by Ray
        with pytest.raises(ValueError, match="invalid literal for int"):
            ray_executor.parallel_map(int, ["x"])
