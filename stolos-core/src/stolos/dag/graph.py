"""The app graph: one node per app, one edge parent -> child per dependency group."""

from __future__ import annotations

from typing import Any

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


def _dot_id(name: str) -> str:
    escaped = name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def graph_to_dot(graph: nx.MultiDiGraph[str]) -> str:
    """Graphviz DOT text of the app graph: one node per app, edges labelled by group."""
    lines = ["digraph stolos {"]
    lines += [f"  {_dot_id(node)};" for node in sorted(graph.nodes)]
    lines += [
        f"  {_dot_id(parent)} -> {_dot_id(child)} [label={_dot_id(str(group))}];"
        for parent, child, group in sorted(graph.edges(keys=True))
    ]
    lines.append("}")
    return "\n".join(lines) + "\n"


def graph_to_json(graph: nx.MultiDiGraph[str]) -> dict[str, Any]:
    return {
        "nodes": sorted(graph.nodes),
        "edges": [
            {"parent": parent, "child": child, "group": group}
            for parent, child, group in sorted(graph.edges(keys=True))
        ],
    }
