"""The queue-backend conformance suite, run against the redis backend on a real server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from stolos.queue.contract import QueueBackend
from stolos.testing import QueueBackendConformance
from stolos_redis.backend import RedisQueueBackend
from stolos_redis.testing import RedisServer, make_backend


class TestRedisQueueBackend(QueueBackendConformance):
    """Leases expire on the Redis server's clock, so the suite waits in real time."""

    @pytest.fixture
    def backend(self, redis_backend: RedisQueueBackend) -> RedisQueueBackend:
        return redis_backend

    @pytest.fixture
    def backend_factory(
        self, redis_server: RedisServer, redis_backend: RedisQueueBackend
    ) -> Iterator[Callable[[], QueueBackend]]:
        """More clients (own connections) on the same keys as ``backend``."""
        made: list[RedisQueueBackend] = []

        def another() -> QueueBackend:
            made.append(make_backend(redis_server, prefix=redis_backend.layout.prefix))
            return made[-1]

        yield another
        for backend in made:
            backend.close()
