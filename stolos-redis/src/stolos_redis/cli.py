"""``stolos config push`` and ``stolos config pull``: publish and fetch the configuration
kept by the ``redis`` configuration backend (options ``redis_*``, env ``STOLOS_REDIS_*``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from stolos.cli.main import get_stolos
from stolos.config import TasksConfig
from stolos.engine import Stolos
from stolos.plugins import Kind

if TYPE_CHECKING:  # it imports redis-py, which only a running command needs
    from stolos_redis.config_source import RedisConfigSource


def _redis_source(stolos: Stolos) -> RedisConfigSource:
    source: RedisConfigSource = stolos.make_plugin(Kind.CONFIG_BACKEND, "redis")
    return source


@click.group(
    epilog="""\b
Examples:
  stolos -o redis_host=10.0.0.5 config push tasks.json
  STOLOS_REDIS_URL=redis://10.0.0.5:6379/0 stolos config pull -o tasks.json"""
)
def config() -> None:
    """Publish or fetch the app configuration kept in Redis.

    Workers read it with STOLOS_CONFIGURATION_BACKEND=redis.
    """


@config.command(
    epilog="""\b
Examples:
  stolos config push tasks.json
  stolos -o redis_key_prefix=staging/ config push tasks.json"""
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def push(file: Path) -> None:
    """Validate FILE (a tasks.json) and make it the configuration in Redis.

    Every problem is reported and nothing is written when FILE is invalid; otherwise the
    stored configuration is replaced as a whole, in one step, and its version goes up.
    """
    stolos = get_stolos()
    reader = stolos.plugins.get(Kind.CONFIG_BACKEND, "json").factory({"tasks_json": str(file)})
    raw = reader.load()
    problems = stolos.check(
        TasksConfig(
            raw.apps, source=raw.source, default_template=stolos.options["job_id_default_template"]
        )
    )
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(problems)} problem(s) in {file}: nothing was pushed", err=True)
        raise click.exceptions.Exit(1)
    target = _redis_source(stolos)
    try:
        version = target.push(raw.apps, source=str(file))
    finally:
        target.close()
    click.echo(f"pushed {len(raw.apps)} apps from {file} to {target.location} (version {version})")


@config.command(
    epilog="""\b
Examples:
  stolos config pull
  stolos config pull -o tasks.json"""
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
def pull(output: Path | None) -> None:
    """Print (or write to a file) the configuration stored in Redis, as JSON."""
    source = _redis_source(get_stolos())
    try:
        raw = source.load()
        version = source.version()
    finally:
        source.close()
    text = json.dumps(raw.apps, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(raw.apps)} apps (version {version}) to {output}", err=True)
