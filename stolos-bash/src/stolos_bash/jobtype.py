"""The ``bash`` job type: run an app's ``bash_cmd`` with ``bash -c``.

The command is the app's template rendered with ``{app_name}``, ``{job_id}`` and the
job's identifiers (see :mod:`stolos_bash.template`), followed by the ``bash_cmd`` option's
extra words.  Every interpolated value and every extra word is one shell-quoted word.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stolos.config.model import AppConfig
from stolos.errors import ConfigError, JobFailed
from stolos.jobtypes import JobContext
from stolos_bash.template import KEY, CommandTemplate

log = logging.getLogger(__name__)

BUILTIN_NAMES = ("app_name", "job_id")


@dataclass(frozen=True)
class BashJobType:
    """Runs ``bash -c <command>`` through :meth:`JobContext.run_process`.

    ``extra_words`` are appended to every command.  Where the output goes is the
    context's decision: the worker sets :attr:`JobContext.redirect_to_stderr` from this
    job type's ``redirect_to_stderr`` option.
    """

    extra_words: tuple[str, ...] = ()

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> BashJobType:
        """The plugin factory: build from the resolved options of ``OPTIONS_SCHEMA``."""
        return cls(extra_words=tuple(options["bash_cmd"]))

    def check_app(self, app: AppConfig) -> Iterable[tuple[str, str]]:
        """Problems of the app's ``bash_cmd`` beyond ``APP_SCHEMA``: missing, blank,
        malformed, or a placeholder that names neither ``app_name``, ``job_id`` nor an
        identifier of the app.  A wrong type or ``""`` is left to the schema, so that
        ``stolos validate`` reports each problem once."""
        value = app.get(KEY)
        if KEY in app.raw and (not isinstance(value, str) or not value):
            return []
        try:
            template = CommandTemplate.parse(_command_text(app))
            names = _allowed_names(app)
            if names is not None:
                template.check_names(names)
        except ConfigError as exc:
            return [(KEY, exc.message)]
        return []

    def command(self, job: JobContext) -> str:
        """The shell command one attempt of ``job`` runs."""
        values = {"app_name": job.app_name, "job_id": job.job_id, **job.identifiers}
        try:
            command = CommandTemplate.parse(_command_text(job.app)).render(values)
        except ConfigError as exc:
            raise JobFailed(exc.message, app=job.app_name, key=KEY) from None
        return " ".join([command, *map(shlex.quote, self.extra_words)])

    def run(self, job: JobContext) -> None:
        """Run the command; :class:`JobFailed` on a non-zero exit or a fatal signal."""
        command = self.command(job)
        log.info("app %s job %s: bash -c %s", job.app_name, job.job_id, shlex.quote(command))
        code = job.run_process(["bash", "-c", command], env=job.environment())
        if code != 0:
            output = "stderr" if job.redirect_to_stderr or job.log_path is None else job.log_path
            raise JobFailed(
                f"job {job.job_id}: bash command exited with code {code} (output: {output})",
                app=job.app_name,
            )


def _command_text(app: AppConfig) -> str:
    text = app.get(KEY)
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(
            "a bash app needs bash_cmd, the command to run; it is missing or blank", key=KEY
        )
    return text


def _allowed_names(app: AppConfig) -> tuple[str, ...] | None:
    """``app_name``, ``job_id`` and the app's identifiers; ``None`` when the app's job_id
    template is itself broken (the core reports that under ``job_id``)."""
    try:
        identifiers = app.template.identifiers
    except ConfigError:
        return None
    return BUILTIN_NAMES + tuple(n for n in identifiers if n not in BUILTIN_NAMES)
