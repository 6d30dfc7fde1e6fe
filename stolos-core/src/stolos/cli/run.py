"""``stolos run`` (the original one-shot runner) and ``stolos worker`` (long-running)."""

from __future__ import annotations

import logging
import shlex
import sys
from typing import Any

import click

from stolos.cli.context import get_stolos
from stolos.engine import Stolos
from stolos.errors import OptionError, StolosError
from stolos.worker import JsonFormatter, Worker, job_context

RUN_EPILOG = """\b
Examples:
  stolos run -a preprocess                     # take one job of preprocess, run it, exit
  STOLOS_APP_NAME=preprocess stolos run        # the same, app from the environment
  stolos run -a preprocess --job_id 20140601_1 # queue that job in front and run it
  stolos run -a preprocess --job_id 20140601_1 --bypass_scheduler  # no queue, no state
"""

WORKER_EPILOG = """\b
Examples:
  stolos worker                                 # every app, one job at a time, forever
  stolos worker -a preprocess -a train -c 4     # two apps, four jobs at once
  stolos worker --exit-when-idle --log-format json
"""


def _job_type_overrides(bash_cmd: str | None, redirect_to_stderr: bool) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if bash_cmd is not None:
        overrides["bash_cmd"] = shlex.split(bash_cmd)
    if redirect_to_stderr:
        overrides["redirect_to_stderr"] = True
    return overrides


def _configure_logging(log_format: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(_TextFormatter())
    logger = logging.getLogger("stolos")
    logger.handlers[:] = [handler]
    logger.setLevel(min(logging.INFO, logging.getLogger().level or logging.INFO))
    logger.propagate = False


class _TextFormatter(logging.Formatter):
    """``time level app job_id attempt N (Xs): message``."""

    def format(self, record: logging.LogRecord) -> str:
        where = ""
        if hasattr(record, "app"):
            job_id, attempt = getattr(record, "job_id", "?"), getattr(record, "attempt", "?")
            where = f"{getattr(record, 'app', '?')} {job_id} attempt {attempt}"
            if hasattr(record, "duration"):
                where += f" ({record.duration}s)"
            where += ": "
        stamp = self.formatTime(record, "%Y-%m-%dT%H:%M:%S")
        line = f"{stamp} {record.levelname.lower()} {where}{record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


log_format_option = click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="One line per job transition, as text or JSON.",
)
lease_option = click.option(
    "--lease-timeout",
    "lease_timeout",
    type=float,
    default=None,
    help="Seconds a claim lives without heartbeat [env: STOLOS_LEASE_TIMEOUT; default 60].",
)
job_type_options = [
    click.option(
        "--bash_cmd",
        "--bash-cmd",
        "bash_cmd",
        default=None,
        metavar="WORDS",
        help="Extra words appended to a bash app's command, as separate words.",
    ),
    click.option(
        "--redirect_to_stderr",
        "--redirect-to-stderr",
        "redirect_to_stderr",
        is_flag=True,
        help="Job output to stderr instead of the per-job log file.",
    ),
    click.option(
        "--max_retry",
        "--max-retry",
        "max_retry",
        type=int,
        default=None,
        help="Attempts before a job fails, for apps without max_retry [env: STOLOS_MAX_RETRY].",
    ),
]


def _with_job_type_options(func: Any) -> Any:
    for option in reversed(job_type_options):
        func = option(func)
    return func


def _setup(
    ctx: click.Context,
    log_format: str,
    lease_timeout: float | None,
    bash_cmd: str | None,
    redirect_to_stderr: bool,
    max_retry: int | None,
) -> None:
    """Logging, and the per-command options that join the global ones."""
    _configure_logging(log_format)
    _apply_overrides(
        ctx,
        max_retry=max_retry,
        lease_timeout=lease_timeout,
        **_job_type_overrides(bash_cmd, redirect_to_stderr),
    )


def _apply_overrides(ctx: click.Context, **values: Any) -> None:
    """Per-command options join the global overrides before Stolos is built."""
    root = ctx.find_root()
    root.ensure_object(dict)
    overrides = root.obj.setdefault("overrides", {})
    overrides.update({k: v for k, v in values.items() if v is not None})


@click.command("run", epilog=RUN_EPILOG)
@click.option(
    "-a",
    "--app_name",
    "--app-name",
    "app_name",
    envvar="STOLOS_APP_NAME",
    required=True,
    help="App whose queue to take a job from [env: STOLOS_APP_NAME].",
)
@click.option(
    "--job_id",
    "--job-id",
    "job_id",
    default=None,
    help="Run this job now (refused if it is already known).",
)
@click.option(
    "--bypass_scheduler",
    "--bypass-scheduler",
    "bypass",
    is_flag=True,
    help="With --job_id: run the job type only; no queue, lease or state.",
)
@lease_option
@log_format_option
@_with_job_type_options
@click.pass_context
def run_command(
    ctx: click.Context,
    app_name: str,
    job_id: str | None,
    bypass: bool,
    lease_timeout: float | None,
    log_format: str,
    bash_cmd: str | None,
    redirect_to_stderr: bool,
    max_retry: int | None,
) -> None:
    """Take at most one job of APP, run it, and exit (the original runner)."""
    _setup(ctx, log_format, lease_timeout, bash_cmd, redirect_to_stderr, max_retry)
    stolos = get_stolos(ctx)
    if bypass:
        if not job_id:
            raise OptionError("--bypass_scheduler needs --job_id", app=app_name)
        _run_bypassing_scheduler(stolos, app_name, job_id)
        return
    if job_id is not None:
        stolos.parse_job_id(app_name, job_id)
        if stolos.queue.get(app_name, job_id) is not None:
            raise StolosError(
                f"will not run {job_id!r}: it is already known (queued, running or finished); "
                "use `stolos reset` to run it again",
                app=app_name,
            )
        stolos.scheduler.submit([(app_name, job_id)], priority=-(2**31))
    worker = Worker(stolos, apps=[app_name], max_jobs=1, exit_when_idle=True)
    worker.install_signal_handlers()
    worker.run()
    if worker.finished == 0:
        logging.getLogger("stolos.worker").info("no runnable job of %s", app_name)


def _run_bypassing_scheduler(stolos: Stolos, app_name: str, job_id: str) -> None:
    app = stolos.app(app_name)
    stolos.check_runnable([app_name])
    context = job_context(stolos, app, job_id, stolos.parse_job_id(app_name, job_id), 0)
    stolos.job_type(app.job_type).run(context)
    click.echo(f"{app_name} {job_id}: ran without the scheduler (log: {context.log_path})")


@click.command("worker", epilog=WORKER_EPILOG)
@click.option(
    "-a",
    "--app",
    "--app_name",
    "apps",
    multiple=True,
    help="App to serve (repeat for several; default: every app).",
)
@click.option(
    "-c",
    "--concurrency",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Jobs run at once by this process.",
)
@click.option(
    "--max-jobs", type=click.IntRange(min=1), default=None, help="Exit after this many jobs."
)
@click.option(
    "--exit-when-idle",
    is_flag=True,
    help="Exit once nothing runs here and no app served has a queued job.",
)
@click.option(
    "--grace-period",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds running jobs get to finish after SIGTERM/SIGINT.",
)
@lease_option
@log_format_option
@_with_job_type_options
@click.pass_context
def worker_command(
    ctx: click.Context,
    apps: tuple[str, ...],
    concurrency: int,
    max_jobs: int | None,
    exit_when_idle: bool,
    grace_period: float,
    lease_timeout: float | None,
    log_format: str,
    bash_cmd: str | None,
    redirect_to_stderr: bool,
    max_retry: int | None,
) -> None:
    """Claim and run jobs until stopped: heartbeats, retries, bubble up and down."""
    _setup(ctx, log_format, lease_timeout, bash_cmd, redirect_to_stderr, max_retry)
    worker = Worker(
        get_stolos(ctx),
        apps=apps,
        concurrency=concurrency,
        max_jobs=max_jobs,
        exit_when_idle=exit_when_idle,
        grace_period=grace_period,
    )
    worker.install_signal_handlers()
    ctx.exit(worker.run())


COMMANDS = [run_command, worker_command]
