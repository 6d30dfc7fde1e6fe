"""Commands that inspect without changing anything: plugins, validate, parents,
children, jobs, graph.

They read the configuration and the installed plugins only; none of them touches a
queue backend.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from stolos.cli.context import echo_json, get_stolos, table
from stolos.dag.graph import graph_to_dot, graph_to_json
from stolos.errors import ConfigError, StolosError

JSON_HELP = "Print JSON instead of text."


# --- plugins -----------------------------------------------------------------------------


@click.command(
    epilog="""\b
Examples:
  stolos plugins
  stolos plugins --json
  STOLOS_DISABLE_PLUGINS=redis stolos plugins"""
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def plugins(as_json: bool) -> None:
    """List every installed plugin: name, kind, distribution, version, summary.

    STOLOS_LOAD_PLUGINS (keep only these entry-point or distribution names) and
    STOLOS_DISABLE_PLUGINS (drop these) are applied.
    """
    descriptors = get_stolos().plugins.all_descriptors()
    if as_json:
        echo_json([d.to_dict() for d in descriptors])
        return
    rows = [
        (d.name, d.kind.value if d.kind else "", d.distribution, d.version, d.summary)
        for d in descriptors
    ]
    click.echo(table(rows, ("NAME", "KIND", "DISTRIBUTION", "VERSION", "SUMMARY")))


# --- validate ----------------------------------------------------------------------------


@click.command(
    epilog="""\b
Examples:
  stolos --tasks_json tasks.json validate
  STOLOS_TASKS_JSON=tasks.json stolos validate --json"""
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def validate(as_json: bool) -> None:
    """Check the whole configuration and report every problem, one per line.

    Each line names the file, the app and the key: "FILE: app 'x': key 'y': message".
    Exit code 0 when the configuration is valid, 1 otherwise.
    """
    stolos = get_stolos()
    try:
        config = stolos.load_config()
        problems: list[StolosError] = stolos.check(config)
        source, count = config.source, len(config)
    except ConfigError as exc:  # the file cannot be read or parsed: that is the problem
        problems, source, count = [exc], exc.file or "the configuration", 0
    if as_json:
        echo_json([p.to_dict() for p in problems])
    else:
        for problem in problems:
            click.echo(str(problem))
        if problems:
            click.echo(f"{len(problems)} problem(s) in {source}", err=True)
        else:
            click.echo(f"OK: {count} apps in {source}")
    if problems:
        raise click.exceptions.Exit(1)


# --- parents, children, jobs -------------------------------------------------------------


def _echo_dependencies(dependencies: Iterable[Any], as_json: bool, nothing: str) -> None:
    rows = [(d.app_name, d.job_id, d.group) for d in dependencies]
    if as_json:
        echo_json([{"app_name": a, "job_id": j, "group": g} for a, j, g in rows])
    elif rows:
        click.echo(table(rows, ("APP", "JOB_ID", "GROUP")))
    else:
        click.echo(nothing, err=True)


@click.command(
    epilog="""\b
Examples:
  stolos parents modelBuild 20140601_876_purchase
  stolos parents depends_on1 20140601_testID1 --group depgrp1 --json"""
)
@click.argument("app_name")
@click.argument("job_id")
@click.option(
    "--group",
    "groups",
    multiple=True,
    metavar="NAME",
    help="Only these dependency groups (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def parents(app_name: str, job_id: str, groups: tuple[str, ...], as_json: bool) -> None:
    """The parent jobs that APP_NAME's JOB_ID needs, each with its dependency group."""
    found = get_stolos().dag.parents(app_name, job_id, filter_deps=groups)
    _echo_dependencies(found, as_json, f"{app_name} {job_id} has no parents")


@click.command(
    epilog="""\b
Examples:
  stolos children preprocess 20140601_876
  stolos children preprocess 20140601_876 --json"""
)
@click.argument("app_name")
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def children(app_name: str, job_id: str, as_json: bool) -> None:
    """The child jobs that depend on APP_NAME's JOB_ID, each with its dependency group."""
    found = get_stolos().dag.children(app_name, job_id)
    _echo_dependencies(found, as_json, f"{app_name} {job_id} has no children")


@click.command(
    epilog="""\b
Examples:
  stolos jobs all_test1
  stolos jobs autofill1 | wc -l"""
)
@click.argument("app_name")
def jobs(app_name: str) -> None:
    """Every job_id of APP_NAME that its autofill values enumerate, one per line."""
    for job_id in get_stolos().dag.enumerate_job_ids(app_name):
        click.echo(job_id)


# --- graph -------------------------------------------------------------------------------


def dot_to_svg(dot_text: str) -> str:
    """Render DOT text with Graphviz's ``dot`` program (argv list, no shell)."""
    program = shutil.which("dot")
    if program is None:
        raise StolosError("Graphviz 'dot' is not installed; use --format dot or install graphviz")
    done = subprocess.run(
        [program, "-Tsvg"], input=dot_text, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise StolosError(f"Graphviz 'dot' failed (exit {done.returncode}): {done.stderr.strip()}")
    return done.stdout


@click.command(
    epilog="""\b
Examples:
  stolos graph > apps.dot
  stolos graph --format svg -o apps.svg
  stolos graph --format json"""
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["dot", "svg", "json"]),
    default="dot",
    show_default=True,
    help="Output format (svg needs Graphviz's dot program).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout.",
)
def graph(fmt: str, output: Path | None) -> None:
    """The app graph: one node per app, one edge parent -> child per dependency group."""
    app_graph = get_stolos().dag.graph
    if fmt == "json":
        text = json.dumps(graph_to_json(app_graph), indent=2) + "\n"
    else:
        text = graph_to_dot(app_graph)
        if fmt == "svg":
            text = dot_to_svg(text)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


COMMANDS = [plugins, validate, parents, children, jobs, graph]
