"""Fixtures for dependency resolution tests."""

from __future__ import annotations

import json

import pytest
from dag_testing import EXAMPLES, make_resolver

from stolos.dag import DependencyResolver


@pytest.fixture(scope="session")
def examples() -> DependencyResolver:
    """A resolver over the original's example pipeline (its ``tasks.json``)."""
    return make_resolver(json.loads(EXAMPLES.read_text()))
