"""The options of the Redis queue backend and of the Redis configuration backend.

Each property ``x`` is also read from ``STOLOS_X`` (see :mod:`stolos.options`).  The
names are the original project's (``qb_redis_*`` for the queue, ``redis_*`` for the
configuration), so existing environment files keep working; the original's
``qb_redis_db`` was ignored, here it is honoured.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NO_BRACES = "^[^{}]*$"  # a prefix must not capture the per-app hash tag

QUEUE_OPTIONS: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "qb_redis_url": {
            "type": ["string", "null"],
            "default": None,
            "pattern": "^(rediss?|unix)://",
            "description": "redis://[user:password@]host:port/db or rediss:// (TLS); "
            "wins over host, port and db when set",
        },
        "qb_redis_host": {
            "type": "string",
            "default": "localhost",
            "minLength": 1,
            "description": "Redis host of the queue",
        },
        "qb_redis_port": {
            "type": "integer",
            "default": 6379,
            "minimum": 1,
            "maximum": 65535,
            "description": "Redis port of the queue",
        },
        "qb_redis_db": {
            "type": "integer",
            "default": 0,
            "minimum": 0,
            "description": "Redis database number of the queue",
        },
        "qb_redis_socket_timeout": {
            "type": "number",
            "default": 15,
            "exclusiveMinimum": 0,
            "description": "seconds a Redis command may take before it counts as failed",
        },
        "qb_redis_prefix": {
            "type": "string",
            "default": "stolos:",
            "pattern": NO_BRACES,
            "description": "prefix of every key the queue writes (no braces)",
        },
        "qb_redis_lock_timeout": {
            "type": "number",
            "default": 60,
            "exclusiveMinimum": 0,
            "description": "lease length in seconds when STOLOS_LEASE_TIMEOUT is not set "
            "(the original's name)",
        },
        "qb_redis_retry_seconds": {
            "type": "number",
            "default": 30,
            "minimum": 0,
            "description": "how long a call keeps retrying while Redis is unreachable "
            "(exponential backoff) before it fails with BackendUnavailable",
        },
        "qb_redis_cluster": {
            "type": "boolean",
            "default": False,
            "description": "talk to a Redis Cluster (host/port or URL name one of its nodes)",
        },
    },
}

CONFIG_OPTIONS: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "redis_url": {
            "type": ["string", "null"],
            "default": None,
            "pattern": "^(rediss?|unix)://",
            "description": "redis:// or rediss:// URL of the configuration server; "
            "wins over host, port and db when set",
        },
        "redis_host": {
            "type": "string",
            "default": "localhost",
            "minLength": 1,
            "description": "Redis host of the configuration",
        },
        "redis_port": {
            "type": "integer",
            "default": 6379,
            "minimum": 1,
            "maximum": 65535,
            "description": "Redis port of the configuration",
        },
        "redis_db": {
            "type": "integer",
            "default": 0,
            "minimum": 0,
            "description": "Redis database number of the configuration",
        },
        "redis_key_prefix": {
            "type": "string",
            "default": "stolos/",
            "pattern": NO_BRACES,
            "description": "prefix of the configuration key (<prefix>config)",
        },
        "redis_socket_timeout": {
            "type": "number",
            "default": 15,
            "exclusiveMinimum": 0,
            "description": "seconds a Redis command may take before it counts as failed",
        },
    },
}
