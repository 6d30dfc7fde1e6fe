"""docs/configuration.md documents every app key and every option of the core: a key or
option added without documentation fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

from stolos.config.schema import APP_SCHEMA
from stolos.options import CORE_OPTIONS, env_name

DOC = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("key", sorted(APP_SCHEMA["properties"]))
def test_every_app_key_has_a_row(doc: str, key: str) -> None:
    assert f"\n| `{key}` |" in doc


@pytest.mark.parametrize("option", sorted(CORE_OPTIONS["properties"]))
def test_every_core_option_has_a_row_with_its_variable(doc: str, option: str) -> None:
    assert f"\n| `{option}` | `{env_name(option)}` |" in doc
