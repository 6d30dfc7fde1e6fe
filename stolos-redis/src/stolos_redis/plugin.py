"""The plugins this distribution registers under the ``stolos`` entry-point group: the
``redis`` queue backend, the ``redis`` configuration backend, and ``stolos config``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stolos.hookspecs import hookimpl
from stolos.plugins import Descriptor
from stolos_redis.options import CONFIG_OPTIONS, QUEUE_OPTIONS


def _queue_backend(options: Mapping[str, Any]) -> Any:
    from stolos_redis.backend import RedisQueueBackend

    return RedisQueueBackend.from_options(options)


def _config_source(options: Mapping[str, Any]) -> Any:
    from stolos_redis.config_source import RedisConfigSource

    return RedisConfigSource.from_options(options)


@hookimpl
def stolos_queue_backends() -> list[Descriptor]:
    return [
        Descriptor(
            name="redis",
            factory=_queue_backend,
            summary="Queue in Redis: one atomic Lua script per step, server-side clock",
            options_schema=QUEUE_OPTIONS,
        )
    ]


@hookimpl
def stolos_config_backends() -> list[Descriptor]:
    return [
        Descriptor(
            name="redis",
            factory=_config_source,
            summary="App configuration as one JSON document in Redis (stolos config push)",
            options_schema=CONFIG_OPTIONS,
        )
    ]


@hookimpl
def stolos_cli_commands() -> list[Any]:
    from stolos_redis.cli import config

    return [config]
