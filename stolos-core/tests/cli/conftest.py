"""Fixtures for CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from stolos_cli import StolosCli


@pytest.fixture
def stolos_cli(tmp_path: Path) -> StolosCli:
    return StolosCli(tmp_path)
