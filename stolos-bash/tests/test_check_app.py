"""Validation of a bash app's configuration: what ``stolos validate`` reports."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from stolos.config.model import AppConfig
from stolos.engine import Stolos
from stolos.plugins import Kind, PluginManager
from stolos_bash import BashJobType


def problems(raw: dict[str, object]) -> list[tuple[str, str]]:
    app = AppConfig("preprocess", {"job_id": "{date}_{client_id}", **raw})
    return list(BashJobType().check_app(app))


def test_a_valid_template_has_no_problems() -> None:
    assert problems({"bash_cmd": "run {{literal}} {app_name} {job_id} {date} {client_id}"}) == []


@pytest.mark.parametrize("raw", [{}, {"bash_cmd": "  \n"}])
def test_a_missing_or_blank_bash_cmd_is_reported(raw: dict[str, object]) -> None:
    [(key, message)] = problems(raw)
    assert key == "bash_cmd"
    assert "missing or blank" in message


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


@pytest.mark.parametrize("value", ["", 3, ["echo"]])
def test_a_wrong_type_or_empty_string_is_left_to_the_app_schema(value: object) -> None:
    schema = PluginManager().get(Kind.JOB_TYPE, "bash").app_schema
    assert schema is not None
    assert not jsonschema.Draft202012Validator(schema).is_valid({"bash_cmd": value})
    assert problems({"bash_cmd": value}) == []


def test_validate_reports_each_problem_once_with_file_app_and_key(tmp_path: Path) -> None:
    template = "{date}_{client_id}"
    apps = {
        "missing": {"job_id": template},
        "empty": {"job_id": template, "bash_cmd": ""},
        "number": {"job_id": template, "bash_cmd": 3},
        "unknown": {"job_id": template, "bash_cmd": "run {clientid}"},
        "valid": {"job_id": template, "bash_cmd": "run {date} {client_id}"},
    }
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(apps))
    found = Stolos({"tasks_json": str(path)}, environ={}).check()
    assert sorted((p.app, p.key) for p in found) == [
        ("empty", "bash_cmd"),
        ("missing", "bash_cmd"),
        ("number", "bash_cmd"),
        ("unknown", "bash_cmd"),
    ]
    assert all(p.file == str(path) for p in found)
