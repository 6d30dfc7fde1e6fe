"""Validation of a bash app's configuration: what ``stolos validate`` reports."""

from __future__ import annotations

import jsonschema
import pytest

from stolos.config.model import AppConfig
from stolos.plugins import Kind, PluginManager
from stolos_bash import BashJobType


def problems(raw: dict[str, object]) -> list[tuple[str, str]]:
    app = AppConfig("preprocess", {"job_id": "{date}_{client_id}", **raw})
    return list(BashJobType().check_app(app))


def test_a_valid_template_has_no_problems() -> None:
    assert problems({"bash_cmd": "run {{literal}} {app_name} {job_id} {date} {client_id}"}) == []


@pytest.mark.parametrize("raw", [{}, {"bash_cmd": ""}, {"bash_cmd": "  "}, {"bash_cmd": 3}])
def test_a_missing_or_empty_bash_cmd_is_reported(raw: dict[str, object]) -> None:
    [(key, message)] = problems(raw)
    assert key == "bash_cmd"
    assert "non-empty" in message


def test_an_unknown_placeholder_is_named_with_the_allowed_ones() -> None:
    [(key, message)] = problems({"bash_cmd": "run {date} {clientid} {tasks_json}"})
    assert key == "bash_cmd"
    assert "{clientid}, {tasks_json}" in message
    assert "allowed: {app_name}, {job_id}, {date}, {client_id}" in message


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("echo {date", "malformed"),
        ("echo }", "malformed"),
        ("echo {}", "positional"),
        ("echo {0}", "positional"),
        ("echo {job_id.upper}", "attribute"),
        ("echo {date:08d}", "format specs"),
        ("echo {date!r}", "conversions"),
    ],
)
def test_unsupported_templates_are_reported(template: str, expected: str) -> None:
    [(key, message)] = problems({"bash_cmd": template})
    assert key == "bash_cmd"
    assert expected in message


def test_placeholders_are_not_checked_against_a_broken_job_id_template() -> None:
    app = AppConfig("preprocess", {"job_id": "{date}{client_id}", "bash_cmd": "run {date}"})
    assert list(BashJobType().check_app(app)) == []


def test_the_app_schema_requires_a_non_empty_string() -> None:
    schema = PluginManager().get(Kind.JOB_TYPE, "bash").app_schema
    assert schema is not None
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"bash_cmd": "echo {date}"})
    for bad in ({}, {"bash_cmd": ""}, {"bash_cmd": ["echo"]}):
        assert not validator.is_valid(bad)
