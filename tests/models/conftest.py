"""A tiny suite for the model tests: four projectile instances, generated in about a second."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidreason.suites import generate_suite


@pytest.fixture(scope="session")
def tiny_suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny-suite")
    generate_suite("smoke", out, n=4, seed=0, workers=1, families=["projectile-v1"])
    return out
