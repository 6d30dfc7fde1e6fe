"""Dependency groups: the normalized form of an app's ``depends_on``.

``depends_on`` is either one unnamed group (a mapping with an ``app_name`` key, named by
``STOLOS_DEPENDENCY_GROUP_DEFAULT_NAME``), or a mapping of group name -> group, where a
group is a mapping or a list of mappings (AND).  Every group normalizes to a list of
sub-mappings.  By default nothing here validates: malformed parts are skipped, and
:mod:`stolos.config.validate` reports them; ``strict=True`` raises on them instead, for
the dependency resolver, which must not answer from a half-understood configuration.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from stolos.config.model import AppConfig
from stolos.errors import ConfigError


def iter_groups(
    app: AppConfig, default_name: str, strict: bool = False
) -> Iterator[tuple[str, list[Mapping[str, Any]]]]:
    """``(group name, [sub-mapping, ...])`` for each dependency group, in config order.

    With ``strict``, a ``depends_on`` that is not a mapping, a group that is neither a
    mapping nor a list, and a list element that is not a mapping raise ``ConfigError``.
    """
    if strict:
        _check_shape(app)
    deps = app.depends_on
    if not deps:
        return
    if "app_name" in deps:
        yield default_name, [deps]
        return
    for name, group in deps.items():
        if isinstance(group, Mapping):
            yield name, [group]
        elif isinstance(group, list):
            yield name, [sub for sub in group if isinstance(sub, Mapping)]


def _check_shape(app: AppConfig) -> None:
    deps = app.raw.get("depends_on")
    if deps is None:
        return
    if not isinstance(deps, Mapping):
        raise ConfigError("depends_on must be a mapping", app=app.name, key="depends_on")
    if "app_name" in deps:
        return
    for name, group in deps.items():
        key = f"depends_on.{name}"
        if isinstance(group, list):
            for i, sub in enumerate(group):
                if not isinstance(sub, Mapping):
                    raise ConfigError(
                        "each element of an AND list must be a mapping with an app_name key",
                        app=app.name,
                        key=f"{key}[{i}]",
                    )
        elif not isinstance(group, Mapping):
            raise ConfigError(
                "a dependency group must be a mapping or a list of mappings (AND)",
                app=app.name,
                key=key,
            )


def parent_apps(submapping: Mapping[str, Any]) -> list[str]:
    """The parent app names a sub-mapping lists (a bare string counts as one)."""
    names = submapping.get("app_name")
    if isinstance(names, str):
        return [names]
    if isinstance(names, list):
        return [n for n in names if isinstance(n, str)]
    return []
