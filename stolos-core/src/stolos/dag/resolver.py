"""The dependency resolver: parents and children of a job, enumeration, validity, order.

Everything a query needs is computed once per app or per dependency group, on first use
(the configuration never changes during a resolver's life), so a query costs one job_id
parse plus a few set lookups.  Results are generators: a group over a large autofill
range streams its parents instead of building a list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import networkx as nx

from stolos.config.model import TasksConfig
from stolos.dag.apps import AppInfo
from stolos.dag.downstream import ChildRoute, compile_route
from stolos.dag.graph import build_app_graph
from stolos.dag.groups import iter_groups
from stolos.dag.subgroups import expand_subgroups
from stolos.dag.upstream import GROUP_IDENTIFIER, ParentGroup, compile_parent_group
from stolos.dag.validity import ValidIfOr
from stolos.dag.values import lazy_product
from stolos.errors import ConfigError
from stolos.jobid import Validators


class Dependency(NamedTuple):
    """One parent or child job, and the dependency group that links it."""

    app_name: str
    job_id: str
    group: str


class _Groups(NamedTuple):
    """An app's dependency groups: names in config order, and each group's sub-mappings
    with their key paths (for error messages)."""

    names: tuple[str, ...]
    submappings: Mapping[str, tuple[tuple[str, Mapping[str, Any]], ...]]


class DependencyResolver:
    """Answers dependency questions about one configuration.

    ``default_group`` names the unnamed dependency group (the original's
    ``--dependency_group_default_name``).  ``graph`` is the app graph.
    """

    def __init__(
        self, config: TasksConfig, validators: Validators, default_group: str = "default"
    ) -> None:
        self.config = config
        self.validators = validators
        self.default_group = default_group
        self.graph: nx.MultiDiGraph[str] = build_app_graph(config, default_group)
        self._apps: dict[str, AppInfo] = {}
        self._groups: dict[str, _Groups | None] = {}
        self._compiled: dict[tuple[str, str], ParentGroup] = {}
        self._routes: dict[str, tuple[ChildRoute, ...]] = {}
        self._validity: dict[str, ValidIfOr | None] = {}
        self._order: tuple[str, ...] | None = None

    # --- queries ------------------------------------------------------------------------

    def parents(
        self, app_name: str, job_id: str | None, filter_deps: Iterable[str] = ()
    ) -> Iterator[Dependency]:
        """The parent jobs of ``app_name`` ``job_id``, from every dependency group that
        applies to it (only the groups named in ``filter_deps`` if given).

        A job_id that no group applies to has no parents.  ``job_id=None`` is allowed only
        for an app without parents.  Errors are raised here, before anything streams.
        """
        child = self._app(app_name)
        wanted = set(filter_deps)
        if job_id is None:
            groups = self._selected_groups(app_name, wanted)
            if any(group.rules for group in groups):
                raise ConfigError(
                    "a job_id is needed to find the parents of a job of this app: its "
                    "parent job_ids derive from it",
                    file=self.config.source,
                    app=app_name,
                )
            return iter(())
        values = child.parse(job_id, self.validators)
        if GROUP_IDENTIFIER in values:
            wanted.add(values[GROUP_IDENTIFIER])
        groups = [g for g in self._selected_groups(app_name, wanted) if g.applies_to(values)]
        for group in groups:
            for rule in group.rules:
                if rule.problem is not None:
                    raise rule.problem
        # Each rule's job_ids are started now, so that an error surfaces here; they stream.
        streams = [
            (rule.parent.name, group.name, rule.job_ids(values, self.validators))
            for group in groups
            for rule in group.rules
        ]
        return (Dependency(app, found, name) for app, name, ids in streams for found in ids)

    def children(self, app_name: str, job_id: str) -> Iterator[Dependency]:
        """The child jobs that list ``app_name`` ``job_id`` among their parents, once per
        dependency group that links them."""
        routes = self._child_routes(app_name)
        if not self.graph.out_degree(app_name):
            return iter(())
        values = self._app(app_name).parse(job_id, self.validators)
        streams = [
            (route.child.name, route.group.name, route.job_ids(values))
            for route in routes
            if route.accepts(job_id, values)
        ]
        return (Dependency(app, found, name) for app, name, ids in streams for found in ids)

    def autofill_values(self, app_name: str, identifier: str) -> list[Any]:
        """The app's autofill values of ``identifier`` (a range string expanded)."""
        app = self._app(app_name)
        if identifier not in app.autofill:
            raise ConfigError(
                f"has no autofill_values for {identifier!r}",
                file=self.config.source,
                app=app_name,
                key=f"autofill_values.{identifier}",
            )
        return list(app.autofill[identifier])

    def enumerate_job_ids(self, app_name: str) -> Iterator[str]:
        """Every job_id of the app: the cross product of its autofill values, in template
        order (lazily).  ``ConfigError`` if an identifier has no autofill values."""
        app = self._app(app_name)
        for identifier in app.identifiers:
            values = app.autofill.get(identifier)
            if not values:
                state = "an empty list" if values is not None else "not declared"
                raise ConfigError(
                    f"cannot enumerate the job_ids of {app_name!r}: autofill_values of "
                    f"identifier {identifier!r} is {state}",
                    file=self.config.source,
                    app=app_name,
                    key=f"autofill_values.{identifier}",
                )
        axes = [app.autofill[identifier].items for identifier in app.identifiers]
        return map(app.format_row, lazy_product(axes))

    def skip_reason(self, app_name: str, job_id: str) -> str | None:
        """``None`` when the job_id passes the app's ``valid_if_or``, else why it does not
        (such a job is skipped instead of queued)."""
        app = self._app(app_name)
        values = app.parse(job_id, self.validators)
        if app_name not in self._validity:
            raw = self.config[app_name].raw.get("valid_if_or")
            self._validity[app_name] = ValidIfOr.compile(app, raw, self.validators)
        validity = self._validity[app_name]
        return None if validity is None else validity.skip_reason(values)

    def topological_sort(self, pairs: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        """``(app_name, job_id, ...)`` tuples ordered by their app's place in the app graph
        (parents before children); tuples of one app keep their order."""
        by_app: dict[str, list[tuple[Any, ...]]] = {}
        for pair in pairs:
            self.config[pair[0]]  # UnknownApp for an app the configuration lacks
            by_app.setdefault(pair[0], []).append(pair)
        for app_name in self._topological_order():
            yield from by_app.get(app_name, ())

    # --- per-app and per-group caches ---------------------------------------------------

    def _app(self, app_name: str) -> AppInfo:
        app = self._apps.get(app_name)
        if app is None:
            app = self._apps[app_name] = AppInfo.build(self.config[app_name], self.config.source)
        return app

    def _app_groups(self, app_name: str) -> _Groups | None:
        """``None`` when the app has no ``depends_on`` key at all."""
        if app_name in self._groups:
            return self._groups[app_name]
        app = self.config[app_name]
        deps = app.raw.get("depends_on")
        found = None
        if deps is not None:
            try:
                groups = list(iter_groups(app, self.default_group, strict=True))
            except ConfigError as exc:
                exc.file = self.config.source
                raise
            unnamed = "app_name" in deps
            found = _Groups(
                names=tuple(name for name, _ in groups),
                submappings={
                    name: tuple(
                        (_key_path(name, i, unnamed, deps), sub) for i, sub in enumerate(subs)
                    )
                    for name, subs in groups
                },
            )
        self._groups[app_name] = found
        return found

    def _selected_groups(self, app_name: str, wanted: set[Any]) -> list[ParentGroup]:
        """The app's compiled groups, only the ``wanted`` ones if any (all must exist)."""
        groups = self._app_groups(app_name)
        if groups is None:
            return []
        unknown = wanted.difference(groups.names)
        if unknown:
            raise ConfigError(
                f"unknown dependency group {', '.join(sorted(map(repr, unknown)))}; "
                f"{app_name!r} has {', '.join(map(repr, groups.names)) or 'none'}",
                file=self.config.source,
                app=app_name,
                key="depends_on",
            )
        names = [n for n in groups.names if n in wanted] if wanted else groups.names
        return [self._group(app_name, name) for name in names]

    def _group(self, app_name: str, name: str) -> ParentGroup:
        key = (app_name, name)
        group = self._compiled.get(key)
        if group is None:
            groups = self._app_groups(app_name)
            assert groups is not None
            child = self._app(app_name)
            try:
                subgroups = expand_subgroups(app_name, groups.submappings[name], self._app)
                group = compile_parent_group(name, child, subgroups, self._app, self.validators)
            except ConfigError as exc:
                exc.file = exc.file or self.config.source
                raise
            self._compiled[key] = group
        return group

    def _child_routes(self, app_name: str) -> tuple[ChildRoute, ...]:
        routes = self._routes.get(app_name)
        if routes is None:
            parent = self._app(app_name)
            found = []
            for _, child, name in self.graph.out_edges(app_name, keys=True):
                group = self._group(child, name)
                for sub in group.subgroups:
                    if app_name in sub.apps:
                        route = compile_route(parent, self._app(child), group, sub)
                        if route is not None:
                            found.append(route)
            routes = self._routes[app_name] = tuple(found)
        return routes

    def _topological_order(self) -> tuple[str, ...]:
        if self._order is None:
            try:
                self._order = tuple(nx.topological_sort(self.graph))
            except nx.NetworkXUnfeasible:
                edges = nx.find_cycle(self.graph)
                cycle = " -> ".join([edge[0] for edge in edges] + [edges[0][0]])
                raise ConfigError(
                    f"the app graph has a cycle: {cycle}", file=self.config.source
                ) from None
        return self._order


def _key_path(group: str, index: int, unnamed: bool, deps: Mapping[str, Any]) -> str:
    if unnamed:
        return "depends_on"
    return (
        f"depends_on.{group}[{index}]" if isinstance(deps[group], list) else f"depends_on.{group}"
    )
