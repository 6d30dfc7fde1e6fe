"""Sub-mappings of a dependency group, checked and with ``"all"`` expanded.

A group is a list of sub-mappings (AND).  A sub-mapping names parent apps and, per
identifier, the values it allows; ``"all"`` stands for every autofill value of that
identifier in the parent app, so a sub-mapping with ``"all"`` becomes one copy per parent
app, each with that parent's values (section 5.2 of the original's behaviour).  An
``"all"`` key that is not an identifier of a parent is dropped from that parent's copy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stolos.dag.apps import AppInfo
from stolos.dag.values import Values
from stolos.errors import ConfigError

ALL = "all"


@dataclass(frozen=True)
class SubGroup:
    """One sub-mapping: its parent apps, its identifier restrictions, its explicit
    parent job_ids (``job_id`` key), and the set of its keys (the original tested
    ``key in sub-mapping`` in several rules)."""

    apps: tuple[str, ...]
    restrictions: Mapping[str, Values]
    job_ids: tuple[str, ...] | None
    keys: frozenset[str]
    key_path: str

    @property
    def inherits(self) -> bool:
        """The plain ``{"app_name": [P]}``: the parent job_id is P's template filled with
        the child's identifiers."""
        return len(self.keys) == 1 and len(self.apps) == 1


def expand_subgroups(
    child: str,
    submappings: Sequence[tuple[str, Mapping[str, Any]]],
    app_info: Callable[[str], AppInfo],
) -> tuple[SubGroup, ...]:
    """The group's sub-mappings (each given with its key path for error messages), with
    ``"all"`` expanded per parent app."""
    out: list[SubGroup] = []
    for key_path, raw in submappings:
        out.extend(_expand(child, key_path, raw, app_info))
    return tuple(out)


def _expand(
    child: str, key_path: str, raw: Mapping[str, Any], app_info: Callable[[str], AppInfo]
) -> list[SubGroup]:
    apps = _app_names(child, key_path, raw)
    job_ids: tuple[str, ...] | None = None
    restrictions: dict[str, Values] = {}
    all_keys: list[str] = []
    for key, value in raw.items():
        if key == "app_name":
            continue
        if value == ALL:
            all_keys.append(key)
        elif not isinstance(value, (list, tuple)):
            raise ConfigError(
                f'must be a list of values or the string "all", not {value!r}',
                app=child,
                key=f"{key_path}.{key}",
            )
        elif key == "job_id":
            job_ids = tuple(value)
        else:
            restrictions[key] = Values(value)
    if not all_keys:
        return [SubGroup(apps, restrictions, job_ids, frozenset(raw), key_path)]
    return [
        _expand_for_parent(child, key_path, raw, parent, all_keys, restrictions, job_ids, app_info)
        for parent in apps
    ]


def _expand_for_parent(
    child: str,
    key_path: str,
    raw: Mapping[str, Any],
    parent: str,
    all_keys: list[str],
    restrictions: dict[str, Values],
    job_ids: tuple[str, ...] | None,
    app_info: Callable[[str], AppInfo],
) -> SubGroup:
    info = app_info(parent)
    relevant = [k for k in all_keys if k in info.identifier_set]
    own = dict(restrictions)
    for key in relevant:
        values = info.autofill.get(key)
        if values is None:
            raise ConfigError(
                f'depends on "all" values of {key!r} of parent app {parent!r}, which '
                f"defines no autofill_values.{key}",
                app=child,
                key=f"{key_path}.{key}",
            )
        own[key] = values
    dropped = set(all_keys).difference(relevant)
    return SubGroup((parent,), own, job_ids, frozenset(raw).difference(dropped), key_path)


def _app_names(child: str, key_path: str, raw: Mapping[str, Any]) -> tuple[str, ...]:
    names = raw.get("app_name")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError(
            f"app_name must be a list of parent app names, not {names!r}",
            app=child,
            key=f"{key_path}.app_name",
        )
    return tuple(names)
