"""The core's own plugins, registered through the ``stolos`` entry-point group like any
third-party plugin: the embedded ``sqlite`` queue backend and the ``noop`` job type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stolos.hookspecs import hookimpl
from stolos.plugins import Descriptor

SQLITE_OPTIONS: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "qb_sqlite_path": {
            "type": "string",
            "default": "stolos.db",
            "minLength": 1,
            "description": "path of the SQLite database file shared by workers on this machine",
        },
        "qb_sqlite_busy_timeout": {
            "type": "number",
            "default": 30,
            "exclusiveMinimum": 0,
            "description": "seconds a writer waits for another process's transaction",
        },
    },
}


def _sqlite_backend(options: Mapping[str, Any]) -> Any:
    from stolos.queue.sqlite import SQLiteBackend

    return SQLiteBackend(options["qb_sqlite_path"], busy_timeout=options["qb_sqlite_busy_timeout"])


def _noop_job_type(options: Mapping[str, Any]) -> Any:
    from stolos.jobtypes import NoopJobType

    return NoopJobType()


@hookimpl
def stolos_queue_backends() -> list[Descriptor]:
    return [
        Descriptor(
            name="sqlite",
            factory=_sqlite_backend,
            summary="Embedded queue backend in one SQLite file (no server; one machine)",
            options_schema=SQLITE_OPTIONS,
        )
    ]


@hookimpl
def stolos_job_types() -> list[Descriptor]:
    return [
        Descriptor(
            name="noop",
            factory=_noop_job_type,
            summary="Does nothing and succeeds (tests, benchmarks, grouping apps)",
            app_schema={"type": "object"},
        )
    ]
