"""Helpers for dependency resolution tests: the original's example validations, a
resolver factory for small configurations, and results as comparable sets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from stolos.config.model import TasksConfig
from stolos.dag import Dependency, DependencyResolver
from stolos.jobid import Validators

DEFAULT_TEMPLATE = "{date}_{client_id}_{collection_name}"
EXAMPLES = Path(__file__).with_name("original_examples.json")

Triples = set[tuple[str, str, str]]


def valid_date(value: Any) -> int:
    """``YYYYMMDD`` of a real calendar day, as an int (like the original's example)."""
    text = str(value)
    dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    return int(text)


def collection_name(value: str) -> str:
    if not value.startswith(("client", "profile", "purchase", "content")):
        raise ValueError(f"unknown collection {value!r}")
    return value


def example_validators() -> Validators:
    """The validations of the original's ``stolos.examples.job_id_validations``."""
    return Validators(
        {"date": valid_date, "client_id": int, "collection_name": collection_name, "testID": str}
    )


def make_resolver(raw: dict[str, Any], default_group: str = "default") -> DependencyResolver:
    config = TasksConfig(raw, source="test.json", default_template=DEFAULT_TEMPLATE)
    return DependencyResolver(config, example_validators(), default_group)


def triples(deps: Iterable[Dependency]) -> Triples:
    """Results as a set of ``(app, job_id, group)``, how the original's answers compare."""
    return {(dep.app_name, dep.job_id, dep.group) for dep in deps}
