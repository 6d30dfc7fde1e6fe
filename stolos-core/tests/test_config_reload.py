"""A configuration backend that can tell its version makes workers pick up a change."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stolos import Stolos
from stolos.config import RawConfig
from stolos.hookspecs import hookimpl
from stolos.plugins import Descriptor, PluginManager

APP = {"job_id": "{n}", "job_type": "noop"}


class VersionedFile:
    """A JSON file plus a version file, like a configuration server with a push counter."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.path = Path(options["versioned_path"])

    def load(self) -> RawConfig:
        return RawConfig(json.loads(self.path.read_text()), source=str(self.path))

    def version(self) -> str:
        return self.path.with_suffix(".version").read_text()


class Plugin:
    @hookimpl
    def stolos_config_backends(self) -> list[Descriptor]:
        schema = {"type": "object", "properties": {"versioned_path": {"type": "string"}}}
        return [Descriptor("versioned", VersionedFile, "test source", options_schema=schema)]


def push(path: Path, apps: dict[str, Any], version: str) -> None:
    path.write_text(json.dumps(apps))
    path.with_suffix(".version").write_text(version)


def make(tmp_path: Path) -> tuple[Stolos, Path]:
    path = tmp_path / "config.json"
    push(path, {"a": APP}, "1")
    environ = {
        "STOLOS_CONFIGURATION_BACKEND": "versioned",
        "STOLOS_VERSIONED_PATH": str(path),
        "STOLOS_QB_SQLITE_PATH": str(tmp_path / "stolos.db"),
    }
    plugins = PluginManager(environ, extra=[(Plugin(), "test")])
    return Stolos(environ=environ, plugins=plugins), path


def test_a_pushed_configuration_is_picked_up_and_dependencies_follow(tmp_path: Path) -> None:
    stolos, path = make(tmp_path)
    assert list(stolos.config) == ["a"]
    assert stolos.refresh_config() is False  # same version: nothing read again
    push(path, {"a": APP, "b": {**APP, "depends_on": {"app_name": ["a"]}}}, "2")
    assert stolos.refresh_config() is True
    assert list(stolos.config) == ["a", "b"]
    assert [tuple(d) for d in stolos.get_children("a", "7")] == [("b", "7", "default")]


def test_an_invalid_push_is_refused_and_the_current_configuration_kept(tmp_path: Path) -> None:
    stolos, path = make(tmp_path)
    assert list(stolos.config) == ["a"]
    push(path, {"a": {**APP, "depends_on": {"app_name": ["missing"]}}}, "2")
    assert stolos.refresh_config() is False
    assert stolos.app("a").depends_on is None
