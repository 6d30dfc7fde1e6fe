"""Options: command-line value, then ``STOLOS_<NAME>`` environment variable, then default.

Every plugin declares its options as a JSON Schema object; the core declares its own in
:data:`CORE_OPTIONS`.  :func:`resolve` reads the properties of one schema from explicit
values and the environment, coerces environment strings to the declared type (booleans
take ``0/false/no/off`` as false, arrays are split like a shell would split them) and
validates the result, so a bad value is reported with the variable that carried it.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import Any

import jsonschema

from stolos.errors import OptionError

FALSE_WORDS = {"", "0", "false", "no", "off", "n", "f"}

CORE_OPTIONS: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "configuration_backend": {
            "type": "string",
            "default": "json",
            "description": "name of the configuration backend plugin",
        },
        "queue_backend": {
            "type": "string",
            "default": "sqlite",
            "description": "name of the queue backend plugin",
        },
        "job_id_default_template": {
            "type": ["string", "null"],
            "default": None,
            "description": "job_id template of apps without a job_id key",
        },
        "job_id_validations": {
            "type": ["string", "null"],
            "default": None,
            "description": "import path (or .py file) of a module with a JOB_ID_VALIDATIONS dict",
        },
        "job_id_delimiter": {
            "type": "string",
            "default": "_",
            "minLength": 1,
            "description": "separator between identifiers when a template gives none",
        },
        "dependency_group_default_name": {
            "type": "string",
            "default": "default",
            "minLength": 1,
            "description": "name of the unnamed dependency group",
        },
        "max_retry": {
            "type": "integer",
            "default": 5,
            "minimum": 1,
            "description": "attempts before a job is failed (an app's max_retry key wins)",
        },
        "lease_timeout": {
            "type": "number",
            "default": 60,
            "exclusiveMinimum": 0,
            "description": "seconds a worker's claim on a job lives without a heartbeat",
        },
        "log_dir": {
            "type": "string",
            "default": "stolos-logs",
            "description": "directory of the per-job log files",
        },
    },
}


def env_name(option: str) -> str:
    return "STOLOS_" + option.upper()


def _main_type(prop: Mapping[str, Any]) -> str | None:
    kind = prop.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        return kinds[0] if kinds else None
    return kind


def _coerce(name: str, raw: str, prop: Mapping[str, Any]) -> Any:
    """Turn an environment string into the type the schema declares."""
    kind = _main_type(prop)
    try:
        if kind == "boolean":
            return raw.strip().lower() not in FALSE_WORDS
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
        if kind == "array":
            return shlex.split(raw)
        if kind == "object":
            raw = raw.strip()
            if raw.startswith("{"):
                return json.loads(raw)
            return dict(item.split("=", 1) for item in shlex.split(raw))
    except ValueError as exc:
        raise OptionError(
            f"{env_name(name)}={raw!r} is not a valid {kind}: {exc}", key=name
        ) from None
    return raw


def resolve(
    schema: Mapping[str, Any],
    explicit: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Resolve every property of ``schema``: explicit value > environment > default."""
    explicit = explicit or {}
    environ = environ or {}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, prop in schema.get("properties", {}).items():
        if explicit.get(name) is not None:
            value = explicit[name]
            if isinstance(value, str) and _main_type(prop) != "string":
                value = _coerce(name, value, prop)
            values[name], sources[name] = value, f"--{name}"
        elif env_name(name) in environ:
            raw = environ[env_name(name)]
            values[name] = _coerce(name, raw, prop)
            sources[name] = f"{env_name(name)}={raw!r}"
        elif "default" in prop:
            values[name], sources[name] = prop["default"], "default"
    validator = jsonschema.Draft202012Validator(schema)
    for error in validator.iter_errors(values):
        name = str(error.path[0]) if error.path else ""
        origin = sources.get(name, name or "options")
        raise OptionError(f"option {name or '?'} ({origin}): {error.message}", key=name or None)
    return values
