"""The ``redis`` configuration backend: the whole app configuration as one JSON document.

It lives in one Redis hash, ``<redis_key_prefix>config``::

    json     the configuration (app name -> app), exactly as pushed
    version  incremented by every push
    source   the file it was pushed from

One key, so a push replaces the whole configuration atomically (``MULTI``/``EXEC``) and a
reader never sees half of one push and half of another; on a Cluster it lives in one slot.
The document is parsed with :func:`json.loads`, never evaluated (the original stored
Python literals and ``eval``-ed them).  :meth:`RedisConfigSource.version` is one ``HGET``,
cheap enough to ask before every claim so that workers notice a pushed change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from stolos.config import RawConfig
from stolos.errors import ConfigError, ConfigSyntaxError
from stolos_redis.connection import Connection, connect

RETRY_SECONDS = 5.0


class RedisConfigSource:
    """Reads, and publishes, the configuration kept at ``<prefix>config``."""

    def __init__(self, connection: Connection, *, prefix: str = "stolos/") -> None:
        self.connection = connection
        self.key = f"{prefix}config"

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> RedisConfigSource:
        """The source described by resolved ``redis_*`` options."""
        connection = connect(
            url=options.get("redis_url"),
            host=options["redis_host"],
            port=options["redis_port"],
            db=options["redis_db"],
            socket_timeout=options["redis_socket_timeout"],
            retry_seconds=RETRY_SECONDS,
        )
        return cls(connection, prefix=options["redis_key_prefix"])

    @property
    def location(self) -> str:
        """Where the configuration lives, as error messages name it."""
        return f"{self.connection.address} key {self.key}"

    def load(self) -> RawConfig:
        text = self.connection.call(
            lambda: self.connection.client.hget(self.key, "json"), what="config load"
        )
        if text is None:
            raise ConfigError(
                "no configuration is stored here; publish one with `stolos config push FILE`",
                file=self.location,
            )
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigSyntaxError(
                f"invalid JSON: {exc.msg}", file=self.location, line=exc.lineno, column=exc.colno
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(
                f"the top level must be an object of app name -> app, not {type(data).__name__}",
                file=self.location,
            )
        return RawConfig(apps=data, source=self.location)

    def version(self) -> int:
        """The number of pushes so far (0 when nothing was pushed)."""
        value = self.connection.call(
            lambda: self.connection.client.hget(self.key, "version"), what="config version"
        )
        return int(value or 0)

    def push(self, apps: Mapping[str, Any], *, source: str) -> int:
        """Replace the whole configuration in one transaction; returns the new version."""
        text = json.dumps(apps, indent=2, ensure_ascii=False)

        def write() -> int:
            pipe = self.connection.client.pipeline(transaction=True)
            pipe.hset(self.key, mapping={"json": text, "source": source})
            pipe.hincrby(self.key, "version", 1)
            version: int = pipe.execute()[1]
            return version

        return self.connection.call(write, what="config push")

    def close(self) -> None:
        self.connection.close()
