"""Stolos on Redis: the ``redis`` queue backend and the ``redis`` configuration backend.

Plugins are registered by :mod:`stolos_redis.plugin`; pytest fixtures that start a real
``redis-server`` live in :mod:`stolos_redis.testing`.
"""

from stolos_redis.backend import RedisQueueBackend

__all__ = ["RedisQueueBackend"]
