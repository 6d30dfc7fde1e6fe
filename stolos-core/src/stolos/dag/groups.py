"""Dependency groups: the normalized form of an app's ``depends_on``.

``depends_on`` is either one unnamed group (a mapping with an ``app_name`` key, named by
``STOLOS_DEPENDENCY_GROUP_DEFAULT_NAME``), or a mapping of group name -> group, where a
group is a mapping or a list of mappings (AND).  Every group normalizes to a list of
sub-mappings.  Nothing here validates: malformed parts are skipped, and
:mod:`stolos.config.validate` reports them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from stolos.config.model import AppConfig


def iter_groups(app: AppConfig, default_name: str) -> Iterator[tuple[str, list[Mapping[str, Any]]]]:
    """``(group name, [sub-mapping, ...])`` for each dependency group, in config order."""
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


def parent_apps(submapping: Mapping[str, Any]) -> list[str]:
    """The parent app names a sub-mapping lists (a bare string counts as one)."""
    names = submapping.get("app_name")
    if isinstance(names, str):
        return [names]
    if isinstance(names, list):
        return [n for n in names if isinstance(n, str)]
    return []
