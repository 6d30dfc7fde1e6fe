"""The ``stolos`` command group: global options, plugin commands, and error handling.

Every command reaches Stolos through :func:`stolos.cli.context.get_stolos`, so options
given here (``--tasks_json``, ``-o NAME=VALUE``) override the ``STOLOS_*`` environment.
A :class:`~stolos.errors.StolosError` anywhere ends the command with one located message
on stderr and exit code 1, never a traceback; so does a plugin that fails to load.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from stolos.cli import inspect as inspect_commands
from stolos.cli import jobs as job_commands
from stolos.cli import run as run_commands
from stolos.cli.context import EXIT_ERROR, get_stolos, run_guarded
from stolos.errors import OptionError, StolosError
from stolos.plugins import PluginManager

__all__ = ["cli", "get_stolos", "main", "run_guarded"]


def _parse_assignments(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise OptionError(f"-o expects NAME=VALUE, got {item!r}")
        out[name.strip().lower().replace("-", "_")] = value
    return out


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="""\b
Examples:
  stolos --tasks_json examples/tasks.json validate
  STOLOS_TASKS_JSON=examples/tasks.json stolos parents preprocess 20140601_1
  stolos -o qb_sqlite_path=/tmp/x.db status""",
)
@click.option(
    "--tasks_json",
    "--tasks-json",
    "tasks_json",
    metavar="FILE",
    help="Configuration file (json backend) [env: STOLOS_TASKS_JSON].",
)
@click.option(
    "--configuration_backend",
    "--configuration-backend",
    "configuration_backend",
    metavar="NAME",
    help="Configuration backend plugin [env: STOLOS_CONFIGURATION_BACKEND].",
)
@click.option(
    "--queue_backend",
    "--queue-backend",
    "queue_backend",
    metavar="NAME",
    help="Queue backend plugin [env: STOLOS_QUEUE_BACKEND].",
)
@click.option(
    "--job_id_validations",
    "--job-id-validations",
    "job_id_validations",
    metavar="MODULE",
    help="Module with JOB_ID_VALIDATIONS [env: STOLOS_JOB_ID_VALIDATIONS].",
)
@click.option(
    "--job_id_default_template",
    "--job-id-default-template",
    "job_id_default_template",
    metavar="TEMPLATE",
    help="Template of apps without job_id [env: STOLOS_JOB_ID_DEFAULT_TEMPLATE].",
)
@click.option(
    "-o",
    "--option",
    "extra",
    multiple=True,
    metavar="NAME=VALUE",
    help="Any plugin option, e.g. -o qb_redis_host=10.0.0.5 [env: STOLOS_NAME].",
)
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.version_option(package_name="stolos-core", prog_name="stolos")
@click.pass_context
def cli(ctx: click.Context, /, extra: tuple[str, ...], verbose: int, **flags: Any) -> None:
    """Stolos: a decentralized task-dependency scheduler.

    Apps and their dependencies are described once in a configuration file; workers
    anywhere pull jobs from per-app queues in a shared backend and push what becomes
    runnable further through the graph.
    """
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    overrides = {**_parse_assignments(extra), **{k: v for k, v in flags.items() if v is not None}}
    ctx.obj = {"overrides": overrides}


def main() -> None:
    """Entry point of the ``stolos`` command."""
    try:
        for command in PluginManager().cli_commands():
            cli.add_command(command)
    except StolosError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    except Exception as exc:  # a plugin's own bug must not become a traceback
        click.echo(
            f"error: a plugin failed to add its commands: {type(exc).__name__}: {exc}", err=True
        )
        sys.exit(EXIT_ERROR)
    run_guarded(cli, prog="stolos")


for _module in (inspect_commands, job_commands, run_commands):
    for _command in _module.COMMANDS:
        cli.add_command(_command)
