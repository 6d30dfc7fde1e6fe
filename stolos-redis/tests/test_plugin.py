"""The redis plugins as the core sees them: registered through the entry point, options
resolved from ``STOLOS_*`` variables."""

from __future__ import annotations

import pytest

from stolos.engine import Stolos
from stolos.errors import OptionError
from stolos.plugins import Kind, PluginManager
from stolos_redis.backend import RedisQueueBackend
from stolos_redis.testing import RedisServer, unique_prefix


def test_both_backends_are_installed_plugins() -> None:
    plugins = PluginManager({})
    for kind in (Kind.QUEUE_BACKEND, Kind.CONFIG_BACKEND):
        descriptor = plugins.get(kind, "redis")
        assert descriptor.distribution == "stolos-redis"
    options = plugins.get(Kind.QUEUE_BACKEND, "redis").options_schema["properties"]
    assert options["qb_redis_lock_timeout"]["default"] == 60
    assert options["qb_redis_db"]["default"] == 0


def queue_of(environ: dict[str, str]) -> RedisQueueBackend:
    stolos = Stolos(environ={"STOLOS_QUEUE_BACKEND": "redis", **environ})
    queue = stolos.queue
    assert isinstance(queue, RedisQueueBackend)
    return queue


def test_options_come_from_the_environment(redis_server: RedisServer) -> None:
    prefix = unique_prefix()
    queue = queue_of(
        {
            "STOLOS_QB_REDIS_HOST": redis_server.host,
            "STOLOS_QB_REDIS_PORT": str(redis_server.port),
            "STOLOS_QB_REDIS_DB": "4",
            "STOLOS_QB_REDIS_PREFIX": prefix,
        }
    )
    try:
        queue.enqueue("a", "j")
    finally:
        queue.close()
    db4 = redis_server.client(4)
    try:
        assert db4.hget(f"{prefix}{{a}}:job:j", "state") == "queued"
    finally:
        db4.close()


def test_a_url_wins_over_host_port_and_db(redis_server: RedisServer) -> None:
    prefix = unique_prefix()
    queue = queue_of(
        {
            "STOLOS_QB_REDIS_URL": f"redis://{redis_server.host}:{redis_server.port}/5",
            "STOLOS_QB_REDIS_HOST": "nowhere.invalid",
            "STOLOS_QB_REDIS_DB": "1",
            "STOLOS_QB_REDIS_PREFIX": prefix,
        }
    )
    try:
        queue.enqueue("a", "j")
        assert queue.connection.address.endswith(f":{redis_server.port}/5")
    finally:
        queue.close()
    db5 = redis_server.client(5)
    try:
        assert db5.exists(f"{prefix}{{a}}:job:j") == 1
    finally:
        db5.close()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("STOLOS_QB_REDIS_PREFIX", "x{y}:"),
        ("STOLOS_QB_REDIS_PORT", "0"),
        ("STOLOS_QB_REDIS_URL", "localhost:6379"),
    ],
)
def test_bad_options_name_their_variable(variable: str, value: str) -> None:
    with pytest.raises(OptionError, match=variable):
        queue_of({variable: value})


def test_the_original_lock_timeout_is_the_lease_length_unless_stolos_lease_timeout_is_set(
    redis_server: RedisServer,
) -> None:
    base = {"STOLOS_QUEUE_BACKEND": "redis", "STOLOS_QB_REDIS_URL": redis_server.url}
    stolos = Stolos(environ={**base, "STOLOS_QB_REDIS_LOCK_TIMEOUT": "5"})
    assert stolos.lease_timeout == 5.0
    stolos.close()
    stolos = Stolos(
        environ={**base, "STOLOS_QB_REDIS_LOCK_TIMEOUT": "5", "STOLOS_LEASE_TIMEOUT": "9"}
    )
    assert stolos.lease_timeout == 9.0
    stolos.close()
