"""Fixtures for cross-distribution scenarios (see :mod:`stolos_env`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from stolos_env import StolosEnv


@pytest.fixture
def stolos_env(tmp_path: Path) -> Iterator[StolosEnv]:
    """A fresh :class:`StolosEnv` in ``tmp_path``; every process it started is killed at
    teardown."""
    environment = StolosEnv(tmp_path)
    try:
        yield environment
    finally:
        environment.close()
