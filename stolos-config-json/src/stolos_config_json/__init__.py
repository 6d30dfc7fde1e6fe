"""The ``json`` configuration backend: the app configuration in one JSON file.

Selected with ``STOLOS_CONFIGURATION_BACKEND=json`` (the default); the file is named by
``STOLOS_TASKS_JSON`` / ``--tasks_json``.  The file is read once per process.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stolos.config import RawConfig
from stolos.errors import ConfigError, ConfigSyntaxError
from stolos.hookspecs import hookimpl
from stolos.plugins import Descriptor

OPTIONS_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "tasks_json": {
            "type": ["string", "null"],
            "default": None,
            "description": "path of the JSON file that defines the apps",
        }
    },
}


class JSONConfigSource:
    """Reads and parses one ``tasks.json`` file."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.path = options.get("tasks_json")

    def load(self) -> RawConfig:
        if not self.path:
            raise ConfigError(
                "no configuration file: set STOLOS_TASKS_JSON or pass --tasks_json",
                key="tasks_json",
            )
        path = Path(self.path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot read the configuration: {exc.strerror}", file=str(path)
            ) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigSyntaxError(
                f"invalid JSON: {exc.msg}", file=str(path), line=exc.lineno, column=exc.colno
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(
                f"the top level must be an object of app name -> app, not {type(data).__name__}",
                file=str(path),
            )
        return RawConfig(apps=data, source=str(path))


@hookimpl
def stolos_config_backends() -> list[Descriptor]:
    return [
        Descriptor(
            name="json",
            factory=JSONConfigSource,
            summary="App configuration in a JSON file (STOLOS_TASKS_JSON)",
            options_schema=OPTIONS_SCHEMA,
        )
    ]
