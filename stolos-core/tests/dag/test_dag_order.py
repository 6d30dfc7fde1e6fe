"""The app graph and the topological order of jobs."""

from __future__ import annotations

import pytest
from dag_testing import make_resolver

from stolos.dag import DependencyResolver
from stolos.errors import ConfigError, UnknownApp


def test_graph_has_one_edge_per_parent_and_group(examples: DependencyResolver) -> None:
    edges = set(examples.graph.in_edges("depends_on1", keys=True))
    assert edges == {
        ("app1", "depends_on1", "depgrp1"),
        ("app2", "depends_on1", "depgrp1"),
        ("depends_on2", "depends_on1", "depgrp2"),
        ("app1", "depends_on1", "depgrp3"),
        ("app1", "depends_on1", "depgrp4"),
    }


def test_topological_sort_puts_parents_first_and_keeps_order_within_an_app(
    examples: DependencyResolver,
) -> None:
    parents = list(examples.parents("topological_sort1", "20140601_testID1"))
    ordered = list(examples.topological_sort(parents))
    assert sorted(ordered) == sorted(parents)
    apps = [dep[0] for dep in ordered]
    position = {app: apps.index(app) for app in apps}
    assert position["app1"] < position["app2"] < position["depends_on1"]
    for app in set(apps):
        assert [d for d in ordered if d[0] == app] == [d for d in parents if d[0] == app]
    runs = [app for i, app in enumerate(apps) if i == 0 or apps[i - 1] != app]
    assert len(runs) == len(set(apps))  # jobs of one app are together


def test_topological_sort_accepts_any_tuples() -> None:
    r = make_resolver({"a": {}, "b": {"depends_on": {"app_name": ["a"]}}})
    assert list(r.topological_sort([("b", "x", 1), ("a", "y"), ("b", "z")])) == [
        ("a", "y"),
        ("b", "x", 1),
        ("b", "z"),
    ]
    with pytest.raises(UnknownApp):
        list(r.topological_sort([("nope", "x")]))


def test_a_cycle_is_named() -> None:
    r = make_resolver(
        {
            "a": {"depends_on": {"app_name": ["b"]}},
            "b": {"depends_on": {"app_name": ["a"]}},
        }
    )
    with pytest.raises(ConfigError, match="cycle: (a -> b -> a|b -> a -> b)"):
        list(r.topological_sort([("a", "x")]))
