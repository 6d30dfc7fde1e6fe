"""The app schema is a valid draft 2020-12 schema, documented, and accepts every form the
original configuration format allows."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema
import pytest

from stolos.config.schema import APP_SCHEMA

VALIDATOR = jsonschema.Draft202012Validator(APP_SCHEMA)


def _subschemas(schema: Mapping[str, Any], path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for name, sub in schema.get("properties", {}).items():
        yield f"{path}.{name}", sub
    for name, sub in schema.get("$defs", {}).items():
        yield f"$defs.{name}", sub


def test_the_schema_is_a_valid_draft_2020_12_schema_and_plain_data() -> None:
    jsonschema.Draft202012Validator.check_schema(APP_SCHEMA)
    assert json.loads(json.dumps(APP_SCHEMA)) == APP_SCHEMA


def test_every_key_and_definition_has_a_description() -> None:
    undocumented = [
        path
        for path, sub in _subschemas(APP_SCHEMA, "app")
        if "$ref" not in sub and not sub.get("description")
    ]
    assert undocumented == []


@pytest.mark.parametrize(
    "app",
    [
        {},
        {"job_id": "{date}_{client_id}", "bash_cmd": "echo {date}", "anything": [1]},
        {"depends_on": {"app_name": ["a", "b"], "date": [20140601], "client_id": "all"}},
        {
            "depends_on": {
                "g1": {"app_name": ["a"]},
                "g2": [{"app_name": ["a"]}, {"app_name": ["b"], "job_id": ["x"]}],
            }
        },
        {"depends_on": {}},
        {"autofill_values": {"a": [], "b": ["x", 1, 2.5], "c": "1:10", "d": "0:100:5"}},
        {"valid_if_or": {"date": [20140601], "_func": "package.module.func"}},
        {"max_retry": 1, "retry_delay": 0, "retry_delay_max": 3.5, "timeout": 0.5},
    ],
)
def test_every_original_form_is_accepted(app: dict[str, Any]) -> None:
    assert list(VALIDATOR.iter_errors(app)) == []


@pytest.mark.parametrize(
    "app",
    [
        [],
        {"job_id": ""},
        {"depends_on": {"app_name": []}},
        {"depends_on": {"app_name": ["a", "a"]}},
        {"depends_on": {"g": []}},
        {"depends_on": {"app_name": ["a"], "date": "some"}},
        {"depends_on": {"app_name": ["a"], "date": [[1]]}},
        {"autofill_values": {"a": "1:2:0"}},
        {"autofill_values": {"a": [1, 1]}},
        {"valid_if_or": {"_func": "no_module_part"}},
        {"valid_if_or": []},
        {"max_retry": 1.5},
        {"timeout": 0},
    ],
)
def test_malformed_apps_are_rejected(app: Any) -> None:
    assert list(VALIDATOR.iter_errors(app)) != []
