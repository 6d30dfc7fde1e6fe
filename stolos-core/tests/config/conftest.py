"""Fixtures for configuration tests: a configuration file in a temporary directory, the
original-style job_id validations, and a job type that declares an app schema."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from stolos import Stolos
from stolos.config.model import AppConfig
from stolos.hookspecs import hookimpl
from stolos.plugins import Descriptor, PluginManager

# The validations of the original's examples: dates and client ids become ints.
VALIDATIONS = """
import datetime

def _date(value):
    text = str(value)
    datetime.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    if len(text) != 8:
        raise ValueError("a date is YYYYMMDD")
    return int(text)

JOB_ID_VALIDATIONS = {
    "date": _date,
    "client_id": int,
    "collection_name": lambda c: c in {"client", "profile", "purchase", "content"} and c,
}
"""


class CheckedJobType:
    """A job type whose ``command`` key must name only identifiers of the template."""

    def check_app(self, app: AppConfig) -> Iterable[tuple[str, str]]:
        command = app.get("command")
        if "{nonsense}" in command:
            yield "command", "{nonsense} is not an identifier of the job_id template"

    def run(self, job: Any) -> None:
        raise AssertionError("never run by configuration tests")


class CheckedJobTypePlugin:
    @hookimpl
    def stolos_job_types(self) -> list[Descriptor]:
        return [
            Descriptor(
                "checked",
                lambda options: CheckedJobType(),
                "job type of the configuration tests",
                app_schema={
                    "type": "object",
                    "properties": {"command": {"type": "string"}},
                    "required": ["command"],
                },
            )
        ]


@pytest.fixture
def make_stolos(tmp_path: Path) -> Callable[..., Stolos]:
    """``make_stolos(apps, **env)``: a Stolos over ``apps`` written to ``tasks.json``, with
    the validations above and only the core, json and test plugins loaded."""
    validations = tmp_path / "validations.py"
    validations.write_text(VALIDATIONS)

    def make(apps: Mapping[str, Any], **env: str) -> Stolos:
        tasks = tmp_path / "tasks.json"
        tasks.write_text(json.dumps(apps, indent=1))
        environ = {
            "STOLOS_TASKS_JSON": str(tasks),
            "STOLOS_JOB_ID_VALIDATIONS": str(validations),
            "STOLOS_LOAD_PLUGINS": "core,json",
            **env,
        }
        plugins = PluginManager(environ, extra=[(CheckedJobTypePlugin(), "tests")])
        return Stolos(environ=environ, plugins=plugins)

    return make
