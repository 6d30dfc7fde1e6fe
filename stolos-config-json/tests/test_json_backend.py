"""The json configuration backend: one file, read once per Stolos, with located errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stolos import Stolos
from stolos.errors import ConfigError, ConfigSyntaxError
from stolos.options import env_name
from stolos.plugins import Kind, PluginManager
from stolos_config_json import OPTIONS_SCHEMA, JSONConfigSource

APPS = {
    "a": {"job_id": "{date}", "job_type": "noop"},
    "b": {"job_id": "{date}", "job_type": "noop", "depends_on": {"app_name": ["a"]}},
}


def stolos_for(path: Path) -> Stolos:
    environ = {"STOLOS_TASKS_JSON": str(path), "STOLOS_LOAD_PLUGINS": "core,json"}
    return Stolos(environ=environ, plugins=PluginManager(environ))


def test_the_plugin_is_registered_through_its_entry_point() -> None:
    descriptor = PluginManager({"STOLOS_LOAD_PLUGINS": "json"}).get(Kind.CONFIG_BACKEND, "json")
    assert descriptor.distribution == "stolos-config-json"
    assert "tasks_json" in descriptor.options_schema["properties"]


def test_the_file_is_read_once_per_stolos(tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(APPS))
    stolos = stolos_for(path)
    assert sorted(stolos.config) == ["a", "b"]
    path.write_text(json.dumps({"other": {}}))
    assert sorted(stolos.config) == ["a", "b"]
    path.unlink()
    assert stolos.app("b").depends_on == {"app_name": ["a"]}
    assert stolos.config.source == str(path)


def test_a_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    path.write_text('{\n  "a": {"job_id": "{date}",}\n}\n')
    with pytest.raises(ConfigSyntaxError) as raised:
        JSONConfigSource({"tasks_json": str(path)}).load()
    error = raised.value
    assert (error.line, error.column) == (2, 28)
    assert error.file == str(path)
    assert str(error).startswith(f"{path}: line 2, column 28: invalid JSON")


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    with pytest.raises(ConfigError) as raised:
        stolos_for(path).config  # noqa: B018
    assert raised.value.file == str(path)
    assert "No such file" in str(raised.value)


def test_no_file_configured_says_how_to_configure_one() -> None:
    with pytest.raises(ConfigError) as raised:
        JSONConfigSource({"tasks_json": None}).load()
    assert raised.value.key == "tasks_json"
    assert "STOLOS_TASKS_JSON" in str(raised.value) and "--tasks_json" in str(raised.value)


@pytest.mark.parametrize("top", ["[]", '"apps"', "3", "null"])
def test_the_top_level_must_be_an_object(tmp_path: Path, top: str) -> None:
    path = tmp_path / "tasks.json"
    path.write_text(top)
    with pytest.raises(ConfigError) as raised:
        JSONConfigSource({"tasks_json": str(path)}).load()
    assert raised.value.file == str(path)
    assert "the top level must be an object" in raised.value.message


def test_every_option_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    for option in OPTIONS_SCHEMA["properties"]:
        assert f"\n| `{option}` | `{env_name(option)}` |" in doc
