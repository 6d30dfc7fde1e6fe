"""Fixtures for cross-distribution scenarios (see :mod:`stolos_env`).

A test (or a module, through ``pytestmark``) marked ``redis`` gets a ``stolos_env`` whose
queue is in Redis: the session's server of stolos-redis's ``redis_server`` fixture, under a
key prefix of the test's own, so tests share the one server without seeing each other's
jobs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from stolos_env import StolosEnv


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "redis: stolos_env keeps its queue on the session's Redis server"
    )


@pytest.fixture
def stolos_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StolosEnv]:
    """A fresh :class:`StolosEnv` in ``tmp_path`` (on Redis when the test is marked
    ``redis``); every process it started is killed at teardown."""
    environment = StolosEnv(tmp_path)
    if request.node.get_closest_marker("redis") is not None:
        from stolos_redis.testing import unique_prefix

        server = request.getfixturevalue("redis_server")
        environment.env.update(
            STOLOS_QUEUE_BACKEND="redis",
            STOLOS_QB_REDIS_URL=server.url,
            STOLOS_QB_REDIS_PREFIX=unique_prefix(),
        )
    try:
        yield environment
    finally:
        environment.close()
