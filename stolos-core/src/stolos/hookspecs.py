# Hook specifications have a docstring for a body, by pluggy's convention.
# mypy: disable-error-code="empty-body"
"""Every hook a Stolos plugin can implement.

Plugins are modules (or objects) registered under the entry-point group ``stolos``; the
core's own built-ins register through the same group.  Hooks come in two families:

*Registration hooks* are called once when the plugin manager loads.  Each returns a list
of :class:`stolos.plugins.Descriptor` objects (name, factory, summary, JSON Schema of the
options the plugin accepts).  All answers are collected; two plugins of one kind with the
same name are an error.

*Event hooks* (observers) are called by the worker around every job.  All implementations
run; one that raises is logged and isolated, it never breaks the job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from stolos.plugins import Descriptor

PROJECT = "stolos"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- registration hooks --------------------------------------------------------------


@hookspec
def stolos_config_backends() -> list[Descriptor]:
    """Configuration backends this plugin provides.

    Called once at load.  Each descriptor's ``factory(options)`` receives the resolved
    options of its ``options_schema`` and returns a :class:`stolos.config.ConfigSource`.
    """


@hookspec
def stolos_job_id_validators() -> list[Descriptor]:
    """Named job_id validators: one per identifier (the descriptor's name).

    Called once at load.  ``factory(value: str)`` returns the typed value of the
    identifier, or raises ``ValueError`` / returns ``None`` or ``False`` when invalid.
    A validator named in an original-style ``STOLOS_JOB_ID_VALIDATIONS`` module wins over
    a plugin's validator for the same identifier.
    """


@hookspec
def stolos_queue_backends() -> list[Descriptor]:
    """Queue backends this plugin provides.

    Called once at load.  ``factory(options)`` returns a
    :class:`stolos.queue.QueueBackend` that passes :mod:`stolos.testing`'s conformance
    suite.
    """


@hookspec
def stolos_job_types() -> list[Descriptor]:
    """Job types this plugin provides (``job_type`` key of an app).

    Called once at load.  ``factory(options)`` returns a :class:`stolos.jobtypes.JobType`;
    the descriptor's ``app_schema`` validates the app keys that belong to this job type.
    """


@hookspec
def stolos_cli_commands() -> list[Any]:
    """Extra ``click`` commands to add to the ``stolos`` command group.

    Called once when the CLI starts; each returned object is a ``click.Command``.
    """


# --- event hooks (observers) ---------------------------------------------------------


@hookspec
def stolos_before_job(job: Any) -> None:
    """A worker is about to run ``job`` (a :class:`stolos.jobtypes.JobContext`)."""


@hookspec
def stolos_after_job(job: Any, state: str, duration: float) -> None:
    """``job`` finished an attempt: ``state`` is the state written (``completed``,
    ``failed``, ``queued`` for a retry ...), ``duration`` the attempt's seconds."""


@hookspec
def stolos_on_job_error(job: Any, error: BaseException) -> None:
    """``job``'s attempt raised ``error`` (before the retry decision is written)."""
