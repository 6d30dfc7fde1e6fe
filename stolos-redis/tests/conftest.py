"""Shared by the stolos-redis tests; the server fixtures come from ``stolos_redis.testing``
(the distribution's pytest plugin)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: starts extra servers (a Redis Cluster)")


@pytest.fixture(scope="session")
def docker_compose_file() -> Path:
    """For pytest-docker, used only when there is no local redis-server."""
    return REPOSITORY / "docker-compose.yml"
