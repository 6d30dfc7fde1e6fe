"""One exception hierarchy for Stolos.

Every error can say where the problem is: the configuration file (``file``), the app
(``app``) and the key path inside the app (``key``), so that the CLI prints one clear,
located line instead of a traceback.  The original project's exception names
(``DAGMisconfigured``, ``InvalidJobId``, ``CodeError`` ...) are kept as aliases so code
written against it keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class StolosError(Exception):
    """Base class of every error Stolos raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        app: str | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.app = app
        self.key = key

    def location(self) -> str:
        """``file: app 'x': key 'y'``, with the parts that are known."""
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.app is not None:
            parts.append(f"app {self.app!r}")
        if self.key:
            parts.append(f"key {self.key!r}")
        return ": ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": type(self).__name__,
            "message": self.message,
            "file": self.file,
            "app": self.app,
            "key": self.key,
        }


class ConfigError(StolosError):
    """The app configuration is wrong (the original's ``DAGMisconfigured``)."""


class ConfigSyntaxError(ConfigError):
    """The configuration file cannot be parsed; carries the line and column."""

    def __init__(self, message: str, *, file: str | None, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {message}", file=file)
        self.line = line
        self.column = column


class ConfigInvalid(ConfigError):
    """Validation found one or more problems; ``problems`` holds each of them."""

    def __init__(self, problems: Iterable[StolosError]) -> None:
        self.problems = list(problems)
        first = self.problems[0] if self.problems else None
        super().__init__(
            "\n".join(str(p) for p in self.problems) or "invalid configuration",
            file=first.file if first else None,
        )

    def __str__(self) -> str:
        return self.message


class UnknownApp(ConfigError):
    """An app name that the configuration does not define."""


class JobTypeConfigError(ConfigError):
    """A problem with an app's job type or the keys that belong to it.

    Fatal for running the app's jobs and reported by ``stolos validate``, but tolerated by
    query-only uses (parents, children, submit), so that a machine needs no job type
    installed to resolve dependencies."""


class UnknownJobType(JobTypeConfigError):
    """An app's ``job_type`` names no installed job type."""


class InvalidJobId(StolosError):
    """A job_id that does not match its app's template or fails a validator."""


class PluginError(StolosError):
    """A plugin is broken, duplicated, or cannot be loaded."""


class UnknownPlugin(PluginError):
    """No installed plugin of that kind has that name."""


class OptionError(StolosError):
    """An option (command-line flag or ``STOLOS_*`` variable) has a bad value."""


class BackendError(StolosError):
    """The queue or configuration backend failed or cannot be reached."""


class BackendUnavailable(BackendError):
    """The backend's server cannot be reached; the message names its address."""


class JobFailed(StolosError):
    """A job type's expected failure: the attempt failed (the original's ``CodeError``)."""


class LeaseLost(StolosError):
    """The worker's lease on a job expired or was taken over; it must stop writing."""


class JobAlreadyQueued(StolosError):
    """A re-add was asked for a job that is queued or running."""


class JobNotFound(StolosError):
    """A job that was never submitted (the original's ``NoNodeError``)."""


class Uninitialized(StolosError):
    """``stolos.api`` was used before ``stolos.api.initialize()``."""


# Names of the original project, kept for compatibility.
StolosException = StolosError
DAGMisconfigured = ConfigError
CodeError = JobFailed
NoNodeError = JobNotFound
