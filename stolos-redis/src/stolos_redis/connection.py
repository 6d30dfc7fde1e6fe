"""Connecting to Redis, and the one place where Redis failures become Stolos errors.

:class:`Connection` wraps a redis-py client with the server's printable address (never
its password) and :meth:`Connection.call`, which every backend operation goes through:
transient failures (server down or restarting, loading its data, a Cluster failover) are
retried with exponential backoff for up to ``retry_seconds``, then reported as
:class:`~stolos.errors.BackendUnavailable` naming the address; any other Redis error
becomes a :class:`~stolos.errors.BackendError`.  Operations passed to ``call`` must
therefore be safe to repeat (the queue's scripts are).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis
from redis import exceptions as rex
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.exceptions import (
    AuthenticationError,
    AuthorizationError,
    ClusterDownError,
    ConnectionError,
    ReadOnlyError,
    RedisClusterException,
    RedisError,
    TimeoutError,
    TryAgainError,
)
from redis.retry import Retry

from stolos.errors import BackendError, BackendUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

TRANSIENT: tuple[type[Exception], ...] = (
    ConnectionError,
    TimeoutError,
    ClusterDownError,
    TryAgainError,
    ReadOnlyError,
    # redis-py >= 7 tells an unreachable Cluster apart from its other client errors
    *[cls for cls in [getattr(rex, "RedisClusterUnreachableError", None)] if cls],
)
"""Failures that go away by themselves: retried.  Refused credentials are not."""
FATAL_CONNECTION = (AuthenticationError, AuthorizationError)
FIRST_DELAY = 0.05
MAX_DELAY = 2.0


def public_url(url: str) -> str:
    """``url`` without its password, fit for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}:***@" if parts.username else ":***@"
    host = parts.hostname or ""
    netloc = f"{user}{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class Connection:
    """A Redis client, its address, and the retry policy of every call.

    The client is made on first use, inside :meth:`call`, because a Cluster client
    connects as soon as it is made.
    """

    def __init__(
        self, make_client: Callable[[], Any], address: str, *, retry_seconds: float = 30.0
    ) -> None:
        self._make_client = make_client
        self._client: Any = None
        self.address = address
        self.retry_seconds = retry_seconds

    @property
    def client(self) -> Any:
        """The redis-py client; only valid inside an operation given to :meth:`call`."""
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def call(self, operation: Callable[[], T], *, what: str) -> T:
        """Run ``operation`` (which talks to Redis), retrying transient failures.

        ``what`` names the operation in messages (``"claim"``, ``"config push"``).
        """
        deadline = time.monotonic() + self.retry_seconds
        delay = FIRST_DELAY
        while True:
            try:
                return operation()
            except FATAL_CONNECTION as exc:
                raise BackendUnavailable(
                    f"Redis at {self.address} refused the credentials ({what}): {exc}"
                ) from None
            except TRANSIENT as exc:
                if time.monotonic() + delay > deadline:
                    raise BackendUnavailable(
                        f"cannot reach Redis at {self.address} ({what}): "
                        f"{type(exc).__name__}: {exc}"
                    ) from None
                first = delay == FIRST_DELAY
                log.log(
                    logging.WARNING if first else logging.DEBUG,
                    "Redis at %s unavailable during %s (%s); retrying for up to %.0fs",
                    self.address,
                    what,
                    exc,
                    self.retry_seconds,
                )
                time.sleep(delay)
                delay = min(delay * 2, MAX_DELAY)
            except (RedisError, RedisClusterException) as exc:
                raise BackendError(
                    f"Redis at {self.address} failed ({what}): {type(exc).__name__}: {exc}"
                ) from None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def connect(
    *,
    url: str | None,
    host: str,
    port: int,
    db: int,
    socket_timeout: float,
    retry_seconds: float,
    cluster: bool = False,
) -> Connection:
    """A :class:`Connection` to one server (``url`` wins over host, port and db) or to a
    Cluster; its client decodes UTF-8 and leaves retries to :meth:`Connection.call`."""
    kwargs: dict[str, Any] = {
        "socket_timeout": socket_timeout,
        "socket_connect_timeout": socket_timeout,
        "decode_responses": True,
    }
    # A Cluster client keeps its own retries: they follow MOVED/ASK and failovers.
    cls: Any = RedisCluster if cluster else redis.Redis
    if not cluster:
        kwargs["retry"] = Retry(NoBackoff(), 0)
    if url:
        make = partial(cls.from_url, url, **kwargs)
        return Connection(make, public_url(url), retry_seconds=retry_seconds)
    if not cluster:
        kwargs["db"] = db
    address = f"redis://{host}:{port}" + (" (cluster)" if cluster else f"/{db}")
    make = partial(cls, host=host, port=port, **kwargs)
    return Connection(make, address, retry_seconds=retry_seconds)
