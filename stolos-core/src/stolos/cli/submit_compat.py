"""``stolos-submit``: the original submission command, for scripts written against it.

``stolos-submit -a APP [APP ...] -j JOB_ID [JOB_ID ...] [--readd]`` submits every job_id
to every app, all or nothing.  Every other setting comes from the ``STOLOS_*``
environment only, as in the original.  Differences, on purpose: ``-h`` prints help (the
original had none and exited 2); a job that already exists, or a re-add of a job that is
already queued, is reported and exits 0 (the original warned, or failed with a
traceback); ``STOLOS_APP_NAME`` / ``STOLOS_JOB_ID`` holding several words give several
apps or job_ids.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from stolos.cli.context import run_guarded
from stolos.cli.jobs import submit_jobs
from stolos.engine import Stolos

MULTI_VALUE_OPTIONS = {"-a", "--app_name", "-j", "--job_id"}


def expand_multi_value_options(argv: Sequence[str]) -> list[str]:
    """``-a A B -j X Y`` -> ``-a A -a B -j X -j Y``: each of the original's ``-a`` and
    ``-j`` took several values, which click spells as a repeated option."""
    out: list[str] = []
    current: str | None = None
    for word in argv:
        if word in MULTI_VALUE_OPTIONS:
            current = word
        elif word.startswith("-"):
            current = None
            out.append(word)
        elif current is not None:
            out += [current, word]
        else:
            out.append(word)
    return out


@click.command(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="""\b
Examples:
  stolos-submit -a preprocess -j 20140601_1 20140601_2
  stolos-submit -a preprocess train -j 20140601_1 --readd
  STOLOS_TASKS_JSON=tasks.json STOLOS_QB_SQLITE_PATH=stolos.db stolos-submit -a A -j X""",
)
@click.option(
    "-a",
    "--app_name",
    "apps",
    multiple=True,
    required=True,
    metavar="APP [APP ...]",
    envvar="STOLOS_APP_NAME",
    help="Apps to submit to [env: STOLOS_APP_NAME].",
)
@click.option(
    "-j",
    "--job_id",
    "job_ids",
    multiple=True,
    required=True,
    metavar="JOB_ID [JOB_ID ...]",
    envvar="STOLOS_JOB_ID",
    help="Job ids to submit to every app [env: STOLOS_JOB_ID].",
)
@click.option(
    "--readd",
    is_flag=True,
    envvar="STOLOS_READD",
    help="Queue again even if finished; resets attempts and descendants.",
)
def command(apps: tuple[str, ...], job_ids: tuple[str, ...], readd: bool) -> None:
    """Submit every JOB_ID to every APP, all or nothing: one invalid app or job_id
    submits nothing and exits 1.  Settings come from the STOLOS_* environment
    (STOLOS_TASKS_JSON, STOLOS_QUEUE_BACKEND, STOLOS_QB_SQLITE_PATH, ...)."""
    stolos = Stolos()
    try:
        pairs = [(app, job_id) for app in apps for job_id in job_ids]
        click.echo("\n".join(submit_jobs(stolos, pairs, readd=readd)))
    finally:
        stolos.close()


def main() -> None:
    """Entry point of the ``stolos-submit`` command."""
    run_guarded(command, expand_multi_value_options(sys.argv[1:]), prog="stolos-submit")
