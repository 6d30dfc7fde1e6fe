"""The ``stolos`` command as a user runs it: exit codes, one located message on stderr,
never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from stolos_cli import StolosCli

COMMANDS = ["plugins", "validate", "parents", "children", "jobs", "graph"]


def test_a_valid_configuration(stolos_cli: StolosCli) -> None:
    done = stolos_cli.run("validate")
    assert (done.returncode, done.stdout) == (0, f"OK: 3 apps in {stolos_cli.tasks}\n")


def test_malformed_json_is_one_line_with_line_and_column(stolos_cli: StolosCli) -> None:
    stolos_cli.write('{\n  "a": {"job_id": "{date}"}\n  "b": {}\n}\n')  # no comma
    message = f"{stolos_cli.tasks}: line 3, column 3: invalid JSON: Expecting ',' delimiter\n"
    validate = stolos_cli.run("validate")
    assert validate.returncode == 1
    assert validate.stdout == message
    parents = stolos_cli.run("parents", "a", "20140601")
    assert parents.returncode == 1
    assert parents.stderr == f"error: {message}"
    for done in (validate, parents):
        assert "Traceback" not in done.stderr + done.stdout


def test_an_unknown_app(stolos_cli: StolosCli) -> None:
    done = stolos_cli.run("children", "ghost", "20140601_1")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"error: {stolos_cli.tasks}: unknown app 'ghost'")
    assert "modelBuild, preprocess, report" in done.stderr


def test_an_unknown_configuration_backend_lists_the_installed_ones(stolos_cli: StolosCli) -> None:
    done = stolos_cli.run("--configuration_backend", "nope", "validate")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr == (
        "error: no config backend named 'nope' is installed; "
        "installed: json (from stolos-config-json)\n"
    )


def test_a_job_id_that_does_not_fit_the_template(stolos_cli: StolosCli) -> None:
    done = stolos_cli.run("parents", "modelBuild", "20140601")
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert "'20140601'" in done.stderr and "modelBuild" in done.stderr


def test_an_invalid_configuration_stops_queries_with_every_problem(stolos_cli: StolosCli) -> None:
    stolos_cli.write(
        {
            "a": {
                "job_id": "{date}",
                "job_type": "noop",
                "max_retry": 0,
                "depends_on": {"app_name": ["ghost"]},
            }
        }
    )
    done = stolos_cli.run("graph")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "key 'max_retry'" in done.stderr and "unknown parent app 'ghost'" in done.stderr


def test_svg_without_graphviz_says_what_to_do(stolos_cli: StolosCli) -> None:
    done = stolos_cli.run("graph", "--format", "svg", env={"PATH": str(stolos_cli.tmp)})
    assert done.returncode == 1
    assert done.stderr == (
        "error: Graphviz 'dot' is not installed; use --format dot or install graphviz\n"
    )


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_svg_to_a_file(stolos_cli: StolosCli) -> None:
    out = stolos_cli.tmp / "apps.svg"
    done = stolos_cli.run("graph", "--format", "svg", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "<svg" in out.read_text() and ">preprocess<" in out.read_text()


def test_the_module_runs_like_the_script(stolos_cli: StolosCli) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stolos", "plugins", "--json"],
        env={**os.environ, **stolos_cli.env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert {p["name"] for p in json.loads(done.stdout)} == {"json", "noop", "sqlite"}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(stolos_cli: StolosCli, command: str) -> None:
    done = stolos_cli.run(command, "--help")
    assert done.returncode == 0
    assert "Examples:" in done.stdout and f"stolos {command}" in done.stdout
