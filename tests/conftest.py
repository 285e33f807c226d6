"""Shared fixtures: a small suite generated once per test session.

Tests that need that suite (``suite_dir``, generated in about a minute) are marked
``slow`` here, so ``pytest -m "not slow"`` runs the quick tier without generating it; a
test of ``tests/tasks/`` run once per case runs its first case in the quick tier and
every case in the complete run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import SMALL
from vidreason.instance_io import load_instance, read_png
from vidreason.suites import generate_suite
from vidreason.tasks import FAMILIES

SLOW_FIXTURES = {"suite_dir"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    seen: set[tuple[str, str]] = set()
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
        # a family test run once per case (difficulty, family, instance): the quick tier
        # runs its first case, the complete run every one
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "tests/tasks/" in item.nodeid.replace("\\", "/"):
            key = (item.nodeid.split("::")[0], getattr(item, "originalname", item.name))
            if key in seen:
                item.add_marker(pytest.mark.slow)
            seen.add(key)


@pytest.fixture(scope="session")
def suite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two instances of every family (difficulties 1 and 2), seed 0."""
    out = tmp_path_factory.mktemp("suite")
    generate_suite("smoke", out, seed=0, workers=1)
    return out


@pytest.fixture(scope="session")
def small_suite(suite_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``suite_dir`` cut to the families in ``SMALL`` (two instances each), for tests of the
    runner and the CLI that score a whole suite and hold for any family."""
    import shutil

    out = tmp_path_factory.mktemp("small")
    for family in SMALL:
        shutil.copytree(suite_dir / family, out / family)
    shutil.copyfile(suite_dir / "suite.json", out / "suite.json")
    return out


@pytest.fixture(scope="session")
def family_ids() -> list[str]:
    return FAMILIES.names()


def instance_dir(suite_dir: Path, family: str, index: int = 0) -> Path:
    return suite_dir / family / f"{index:05d}"


def load(suite_dir: Path, family: str, index: int = 0):
    d = instance_dir(suite_dir, family, index)
    return load_instance(d), read_png(d / "first_frame.png")


def copy_truth(suite: Path, out: Path) -> Path:
    """A videos folder laid out as ``<family>-v<N>/<index:05d>.mp4`` holding a copy of
    every instance's ground truth: what a perfect external model would write."""
    import shutil

    from vidreason.instance_io import find_instances
    from vidreason.runner.plan import video_name

    for d in find_instances(suite):
        dest = out / video_name(d)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(d / "ground_truth.mp4", dest)
    return out


@pytest.fixture
def truth_videos(suite_dir: Path, tmp_path: Path) -> Path:
    """A fresh copy of every ground truth of ``suite_dir`` (see ``copy_truth``)."""
    return copy_truth(suite_dir, tmp_path / "videos")


@pytest.fixture
def small_truth_videos(small_suite: Path, tmp_path: Path) -> Path:
    """A fresh copy of every ground truth of ``small_suite`` (see ``copy_truth``)."""
    return copy_truth(small_suite, tmp_path / "videos")


@pytest.fixture
def make_row():
    """A factory for store rows: ``make_row(model="m", value=0.3, ...)``; the key defaults
    to ``model|family|idx``."""
    from vidreason.store import Row

    def make(**fields: object) -> Row:
        values: dict[str, object] = {
            "model": "m",
            "family": "projectile-v1",
            "capability": "physics",
            "idx": 0,
            "difficulty": 1,
            "instance_dir": "/suite/projectile-v1/00000",
            "video": "/videos/projectile-v1/00000.mp4",
            "value": 1.0,
            "passed": True,
            "checks": {"visibility": 1.0},
            "explanation": "every check passed",
            "error": "",
        }
        values.update(fields)
        values.setdefault("key", f"{values['model']}|{values['family']}|{values['idx']}")
        return Row(**values)  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def question_suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny suite of families that ask questions (a causal and a temporal one, one
    instance each), generated once per session in a few seconds."""
    out = tmp_path_factory.mktemp("question-suite")
    families = ["trigger-v1", "permanence-v1"]
    generate_suite("smoke", out, n=1, seed=0, workers=1, families=families)
    return out
