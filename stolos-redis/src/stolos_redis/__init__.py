"""Stolos on Redis: the ``redis`` queue backend (:mod:`stolos_redis.backend`) and the
``redis`` configuration backend (:mod:`stolos_redis.config_source`).

Plugins are registered by :mod:`stolos_redis.plugin`, which imports redis-py only when a
Redis backend is made; pytest fixtures that start a real ``redis-server`` live in
:mod:`stolos_redis.testing`.
"""
