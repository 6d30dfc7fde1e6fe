"""Registers the ``bash`` job type under the ``stolos`` entry-point group."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stolos.hookspecs import hookimpl
from stolos.plugins import Descriptor
from stolos_bash.jobtype import BashJobType

OPTIONS_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "bash_cmd": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "extra words appended to every bash command, each shell-quoted",
        },
        "redirect_to_stderr": {
            "type": "boolean",
            "default": False,
            "description": "send the command's output to the worker's stderr, not the job log",
        },
    },
}

APP_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "bash_cmd": {
            "type": "string",
            "minLength": 1,
            "description": "command template: {app_name}, {job_id} and the job_id "
            "identifiers are replaced by shell-quoted values",
        },
    },
}


@hookimpl
def stolos_job_types() -> list[Descriptor]:
    return [
        Descriptor(
            name="bash",
            factory=BashJobType.from_options,
            summary="Runs the app's bash_cmd with every value shell-quoted",
            options_schema=OPTIONS_SCHEMA,
            app_schema=APP_SCHEMA,
        )
    ]
