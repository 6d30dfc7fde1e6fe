"""The engine's scheduler scenarios, run against the redis backend on a real server.

Each :class:`~stolos.Stolos` gets a key prefix of its own on the session's server, so
scenarios share the server without seeing each other's jobs.  Leases and retry delays
expire on the Redis server's clock, which cannot be faked: the scenarios that need time
to pass wait for it in real time, through the suite's own ``wait_until``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stolos import Stolos
from stolos.testing.scenarios import MakeStolos, SchedulerScenarios, stolos_for
from stolos_redis.backend import RedisQueueBackend
from stolos_redis.testing import TEST_RETRY_SECONDS, RedisServer, unique_prefix


class TestRedisScenarios(SchedulerScenarios):
    @pytest.fixture
    def make_stolos(self, tmp_path: Path, redis_server: RedisServer) -> Iterator[MakeStolos]:
        made: list[Stolos] = []

        def make(tasks: dict[str, Any], **options: Any) -> Stolos:
            stolos = stolos_for(
                tasks,
                tmp_path,
                queue_backend="redis",
                qb_redis_url=redis_server.url,
                qb_redis_prefix=unique_prefix(),
                qb_redis_retry_seconds=TEST_RETRY_SECONDS,
                **options,
            )
            assert isinstance(stolos.queue, RedisQueueBackend)
            made.append(stolos)
            return stolos

        yield make
        for stolos in made:
            stolos.close()
