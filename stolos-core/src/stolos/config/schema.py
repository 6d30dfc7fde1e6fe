"""The JSON Schema (draft 2020-12) of the scheduling keys of one app.

It is data, so that documentation, editors and other tools can use it as they are:
``json.dumps(APP_SCHEMA)`` is a valid schema file.  It describes the *shape* of each key;
the rules that need the whole configuration (parents exist, no cycles, identifiers agree
with templates, values agree with validators) live in :mod:`stolos.config.validate`.
Unknown keys are allowed: a job type's own keys (``bash_cmd``, ``pymodule`` ...) live
beside these and are checked by the job type's ``app_schema``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RANGE_PATTERN = r"^[0-9]+:[0-9]+(:0*[1-9][0-9]*)?$"
IMPORT_PATH_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$"

APP_SCHEMA: Mapping[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Stolos app",
    "description": (
        "One app of the configuration (the value of one app name in tasks.json). "
        "Keys not listed here are allowed and belong to the app's job type."
    ),
    "type": "object",
    "properties": {
        "job_id": {
            "type": "string",
            "minLength": 1,
            "description": (
                "job_id template, e.g. '{date}_{client_id}': names the app's identifiers and "
                "the literal text that joins them; default: STOLOS_JOB_ID_DEFAULT_TEMPLATE"
            ),
        },
        "depends_on": {"$ref": "#/$defs/depends_on"},
        "autofill_values": {
            "type": "object",
            "description": (
                "identifier -> every value it can take, for identifiers a parent cannot "
                "supply (fan-out), for expanding 'all' in a child (fan-in), and as a filter"
            ),
            "additionalProperties": {"$ref": "#/$defs/autofill_value"},
        },
        "valid_if_or": {
            "type": "object",
            "description": (
                "criteria a job_id must meet to run (else it is skipped): identifier -> "
                "allowed values (any match is enough), and/or '_func'"
            ),
            "properties": {
                "_func": {
                    "type": "string",
                    "pattern": IMPORT_PATH_PATTERN,
                    "description": (
                        "an import path 'module.function'; called as "
                        "function(app_name, **identifiers), a true result means valid"
                    ),
                },
            },
            "additionalProperties": {
                "type": "array",
                "items": {"$ref": "#/$defs/scalar"},
                "description": "allowed values of this identifier",
            },
        },
        "job_type": {
            "type": "string",
            "minLength": 1,
            "description": "name of the job type plugin that runs the app's jobs (default: bash)",
        },
        "max_retry": {
            "type": "integer",
            "minimum": 1,
            "description": "attempts before a job is failed; default: STOLOS_MAX_RETRY",
        },
        "retry_delay": {
            "type": "number",
            "minimum": 0,
            "default": 0,
            "description": (
                "seconds before the first retry of a failed attempt; doubled for each "
                "further retry, up to retry_delay_max"
            ),
        },
        "retry_delay_max": {
            "type": "number",
            "minimum": 0,
            "description": "upper bound, in seconds, of the growing retry delay",
        },
        "timeout": {
            "type": "number",
            "exclusiveMinimum": 0,
            "description": "seconds an attempt may run before it is killed and counted as failed",
        },
    },
    "$defs": {
        "scalar": {
            "type": ["string", "integer", "number"],
            "description": "one identifier value, of the type its validator returns",
        },
        "values": {
            "description": (
                "the values an identifier may take in this group, or 'all': every value in "
                "the parent's autofill_values"
            ),
            "anyOf": [
                {"const": "all"},
                {"type": "array", "items": {"$ref": "#/$defs/scalar"}, "uniqueItems": True},
            ],
        },
        "autofill_value": {
            "description": "a list of values, or a range string 'start:stop[:step]' of digits",
            "type": ["array", "string"],
            "items": {"$ref": "#/$defs/scalar"},
            "uniqueItems": True,
            "pattern": RANGE_PATTERN,
        },
        "group": {
            "type": "object",
            "description": (
                "one dependency: parent apps, plus identifier -> values restrictions and/or "
                "explicit parent job_ids"
            ),
            "required": ["app_name"],
            "properties": {
                "app_name": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1},
                    "minItems": 1,
                    "uniqueItems": True,
                    "description": "the parent apps",
                },
                "job_id": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1},
                    "uniqueItems": True,
                    "description": "depend on exactly these parent job_ids",
                },
            },
            "additionalProperties": {"$ref": "#/$defs/values"},
        },
        "and_group": {
            "type": "array",
            "description": "a group made of several dependencies that must all complete (AND)",
            "items": {"$ref": "#/$defs/group"},
            "minItems": 1,
        },
        "depends_on": {
            "type": "object",
            "description": (
                "which parent jobs a job needs: one unnamed group (a mapping with app_name), "
                "or group name -> group or list of groups (AND)"
            ),
            "if": {"required": ["app_name"]},
            "then": {"$ref": "#/$defs/group"},
            "else": {
                "additionalProperties": {
                    "anyOf": [{"$ref": "#/$defs/group"}, {"$ref": "#/$defs/and_group"}],
                },
            },
        },
    },
}
