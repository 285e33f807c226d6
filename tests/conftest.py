"""Shared fixtures: a small suite generated once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidreason.instance_io import load_instance, read_png
from vidreason.suites import generate_suite
from vidreason.tasks import FAMILIES


@pytest.fixture(scope="session")
def suite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two instances of every family (difficulties 1 and 2), seed 0."""
    out = tmp_path_factory.mktemp("suite")
    generate_suite("smoke", out, seed=0, workers=1)
    return out


@pytest.fixture(scope="session")
def family_ids() -> list[str]:
    return FAMILIES.names()


def instance_dir(suite_dir: Path, family: str, index: int = 0) -> Path:
    return suite_dir / family / f"{index:05d}"


def load(suite_dir: Path, family: str, index: int = 0):
    d = instance_dir(suite_dir, family, index)
    return load_instance(d), read_png(d / "first_frame.png")
