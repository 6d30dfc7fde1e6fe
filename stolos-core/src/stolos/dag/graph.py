"""The app graph: one node per app, one edge parent -> child per dependency group."""

from __future__ import annotations

import networkx as nx

from stolos.config.model import TasksConfig
from stolos.dag.groups import iter_groups, parent_apps


def build_app_graph(config: TasksConfig, default_group: str) -> nx.MultiDiGraph[str]:
    """Apps as nodes (attribute ``config``: the app's raw mapping) and an edge
    ``parent -> child`` keyed by group name for every parent a group lists.  Parents that
    the configuration does not define are left out (validation reports them)."""
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    for name, app in config.items():
        graph.add_node(name, config=app.raw)
    for name, app in config.items():
        for group, submappings in iter_groups(app, default_group):
            for sub in submappings:
                for parent in parent_apps(sub):
                    if parent in config and not graph.has_edge(parent, name, key=group):
                        graph.add_edge(parent, name, key=group)
    return graph
