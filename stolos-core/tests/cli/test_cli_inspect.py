"""The inspection commands, run in-process through click's runner."""

from __future__ import annotations

import json
import shutil

import pytest
from stolos_cli import PIPELINE, StolosCli

from stolos.errors import ConfigInvalid, UnknownApp

# --- validate --------------------------------------------------------------------------


def test_validate_a_valid_configuration(stolos_cli: StolosCli) -> None:
    result = stolos_cli.invoke("validate")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"OK: 3 apps in {stolos_cli.tasks}\n"


def test_validate_prints_every_problem_located(stolos_cli: StolosCli) -> None:
    stolos_cli.write(
        {
            "a": {"job_id": "{date}", "job_type": "noop", "max_retry": 0},
            "b": {"job_id": "{date}", "job_type": "noop", "depends_on": {"app_name": ["ghost"]}},
        }
    )
    result = stolos_cli.invoke("validate")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == [
        f"{stolos_cli.tasks}: app 'a': key 'max_retry': 0 is less than the minimum of 1",
        f"{stolos_cli.tasks}: app 'b': key 'depends_on.app_name': unknown parent app 'ghost'; "
        "the configuration defines: a, b",
    ]
    assert "2 problem(s)" in result.stderr


def test_validate_reports_unknown_job_types(stolos_cli: StolosCli) -> None:
    stolos_cli.write({"a": {"job_id": "{date}"}})  # bash by default, not loaded here
    result = stolos_cli.invoke("validate")
    assert result.exit_code == 1
    assert "app 'a': key 'job_type': no job type named 'bash' is installed" in result.stdout


def test_validate_json(stolos_cli: StolosCli) -> None:
    assert json.loads(stolos_cli.invoke("validate", "--json").stdout) == []
    stolos_cli.write({"a": {"job_id": "{date}", "job_type": "noop", "timeout": -1}})
    result = stolos_cli.invoke("validate", "--json")
    assert result.exit_code == 1
    [problem] = json.loads(result.stdout)
    assert problem == {
        "error": "ConfigError",
        "message": "-1 is less than or equal to the minimum of 0",
        "file": str(stolos_cli.tasks),
        "app": "a",
        "key": "timeout",
    }


def test_validate_a_file_that_is_not_json(stolos_cli: StolosCli) -> None:
    stolos_cli.write('{"a": {"job_id": "{date}",\n  }\n')
    result = stolos_cli.invoke("validate", "--json")
    assert result.exit_code == 1
    [problem] = json.loads(result.stdout)
    assert problem["error"] == "ConfigSyntaxError"
    assert problem["message"].startswith("line 2, column 3: invalid JSON")


# --- plugins ---------------------------------------------------------------------------


def test_plugins_table(stolos_cli: StolosCli) -> None:
    result = stolos_cli.invoke("plugins")
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["NAME", "KIND", "DISTRIBUTION", "VERSION", "SUMMARY"]
    cells = {tuple(row.split()[:3]) for row in rows}
    assert {
        ("json", "config_backend", "stolos-config-json"),
        ("noop", "job_type", "stolos-core"),
        ("sqlite", "queue_backend", "stolos-core"),
    } <= cells


def test_plugins_json(stolos_cli: StolosCli) -> None:
    listed = json.loads(stolos_cli.invoke("plugins", "--json").stdout)
    by_name = {(p["kind"], p["name"]): p for p in listed}
    json_backend = by_name[("config_backend", "json")]
    assert json_backend["distribution"] == "stolos-config-json"
    assert json_backend["options"] == ["tasks_json"]
    assert json_backend["version"] and json_backend["summary"]


# --- parents, children, jobs -----------------------------------------------------------


def test_parents_with_their_groups(stolos_cli: StolosCli) -> None:
    result = stolos_cli.invoke("parents", "report", "20140601", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"app_name": "preprocess", "job_id": "20140601_1", "group": "clients"},
        {"app_name": "preprocess", "job_id": "20140601_2", "group": "clients"},
        {"app_name": "modelBuild", "job_id": "20140601_1_a", "group": "models"},
    ]
    text = stolos_cli.invoke("parents", "report", "20140601").stdout.splitlines()
    assert [line.split() for line in text] == [
        ["APP", "JOB_ID", "GROUP"],
        ["preprocess", "20140601_1", "clients"],
        ["preprocess", "20140601_2", "clients"],
        ["modelBuild", "20140601_1_a", "models"],
    ]


def test_parents_of_chosen_groups(stolos_cli: StolosCli) -> None:
    result = stolos_cli.invoke("parents", "report", "20140601", "--group", "models", "--json")
    assert [p["job_id"] for p in json.loads(result.stdout)] == ["20140601_1_a"]


def test_a_root_app_has_no_parents(stolos_cli: StolosCli) -> None:
    result = stolos_cli.invoke("parents", "preprocess", "20140601_1")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "preprocess 20140601_1 has no parents" in result.stderr


def test_children_with_their_groups(stolos_cli: StolosCli) -> None:
    result = stolos_cli.invoke("children", "preprocess", "20140601_1", "--json")
    assert result.exit_code == 0, result.output
    found = {(c["app_name"], c["job_id"], c["group"]) for c in json.loads(result.stdout)}
    assert found == {
        ("modelBuild", "20140601_1_a", "default"),
        ("modelBuild", "20140601_1_b", "default"),
        ("report", "20140601", "clients"),
    }
    none = stolos_cli.invoke("children", "modelBuild", "20140601_2_b")
    assert none.exit_code == 0 and none.stdout == ""
    assert "has no children" in none.stderr


def test_jobs_enumerates_autofill_values(stolos_cli: StolosCli) -> None:
    result = stolos_cli.invoke("jobs", "report")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["20140601", "20140602", "20140603"]


def test_an_unknown_app_is_a_stolos_error(stolos_cli: StolosCli) -> None:
    result = stolos_cli.invoke("parents", "ghost", "20140601")
    assert result.exit_code == 1
    assert isinstance(result.exception, UnknownApp)


def test_queries_refuse_an_invalid_configuration(stolos_cli: StolosCli) -> None:
    stolos_cli.write({**PIPELINE, "report": {**PIPELINE["report"], "max_retry": 0}})
    result = stolos_cli.invoke("children", "preprocess", "20140601_1")
    assert result.exit_code == 1
    assert isinstance(result.exception, ConfigInvalid)


def test_queries_tolerate_a_job_type_that_is_not_installed(stolos_cli: StolosCli) -> None:
    stolos_cli.write({name: {**app, "job_type": "elsewhere"} for name, app in PIPELINE.items()})
    result = stolos_cli.invoke("parents", "modelBuild", "20140601_2_b", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"app_name": "preprocess", "job_id": "20140601_2", "group": "default"}
    ]


# --- graph -----------------------------------------------------------------------------

EDGES = [
    {"parent": "modelBuild", "child": "report", "group": "models"},
    {"parent": "preprocess", "child": "modelBuild", "group": "default"},
    {"parent": "preprocess", "child": "report", "group": "clients"},
]


def test_graph_json(stolos_cli: StolosCli) -> None:
    result = stolos_cli.invoke("graph", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "nodes": ["modelBuild", "preprocess", "report"],
        "edges": EDGES,
    }


def test_graph_dot_to_a_file(stolos_cli: StolosCli) -> None:
    out = stolos_cli.tmp / "apps.dot"
    result = stolos_cli.invoke("graph", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    dot = out.read_text()
    assert dot.startswith("digraph stolos {\n") and dot.endswith("}\n")
    for edge in EDGES:
        assert f'"{edge["parent"]}" -> "{edge["child"]}" [label="{edge["group"]}"];' in dot
    assert stolos_cli.invoke("graph").stdout == dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graph_svg_renders_names_that_need_quoting(stolos_cli: StolosCli) -> None:
    odd = 'we"ird \\ app'
    stolos_cli.write(
        {
            "p": {"job_id": "{date}", "job_type": "noop"},
            odd: {"job_id": "{date}", "job_type": "noop", "depends_on": {"app_name": ["p"]}},
        }
    )
    result = stolos_cli.invoke("graph", "--format", "svg")
    assert result.exit_code == 0, result.output
    assert "<svg" in result.stdout
    assert "we&quot;ird \\ app" in result.stdout
