"""The job-type interface: what a worker hands a job type, and what it expects back.

A job type (``bash``, ``pyspark``, ...) is made by a ``stolos_job_types`` descriptor's
factory.  The worker calls :meth:`JobType.run` in a worker thread with a
:class:`JobContext`; returning means success, raising
:class:`~stolos.errors.JobFailed` (or anything else) means a failed attempt.  Child
processes must be started through :meth:`JobContext.run_process`, which puts each in its
own process group so that the worker can kill the whole group when the lease is lost, the
job times out, or the worker is stopped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from stolos.config.model import AppConfig
from stolos.errors import JobFailed

STDERR_FILENO = 2


class JobType(Protocol):
    """A kind of job.  Instances are shared by all worker threads."""

    def check_app(self, app: AppConfig) -> Iterable[tuple[str, str]]:
        """Problems with the app's job-type keys beyond its JSON Schema, as
        ``(key, message)`` pairs (for example an unknown ``{placeholder}``)."""
        ...

    def run(self, job: JobContext) -> None:
        """Run one attempt; return on success, raise ``JobFailed`` on failure."""
        ...


@dataclass
class JobContext:
    """One attempt of one job, as seen by a job type."""

    app: AppConfig
    job_id: str
    identifiers: Mapping[str, Any]  # parsed and validated, e.g. {"date": 20140601}
    attempt: int
    log_path: Path | None
    options: Mapping[str, Any]  # the job type's resolved options
    redirect_to_stderr: bool = False
    cancelled: threading.Event = field(default_factory=threading.Event)
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def app_name(self) -> str:
        return self.app.name

    def environment(self) -> dict[str, str]:
        """The worker's environment plus ``STOLOS_APP_NAME`` and ``STOLOS_JOB_ID``."""
        env = dict(os.environ)
        env["STOLOS_APP_NAME"] = self.app.name
        env["STOLOS_JOB_ID"] = self.job_id
        return env

    def open_log(self) -> IO[bytes] | None:
        """The attempt's log file, opened for appending (``None``: inherit stderr)."""
        if self.redirect_to_stderr or self.log_path is None:
            return None
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        return open(self.log_path, "ab")  # noqa: SIM115 - closed by run_process

    def run_process(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> int:
        """Run ``argv`` (no shell unless argv asks for one) in its own process group,
        output to the job's log, and return its exit code.  A process killed by a signal
        raises ``JobFailed`` naming the signal.

        Where util-linux's ``setpriv`` exists (every Debian), the process gets SIGKILL
        when the worker dies (parent-death signal), so a ``kill -9`` of the worker does
        not leave its job running while another worker runs it again.  The signal reaches
        the process ``argv`` starts (a shell's own children are its business)."""
        log = self.open_log()
        try:
            with self._lock:
                if self.cancelled.is_set():
                    raise JobFailed("cancelled before it started")
                self._process = subprocess.Popen(
                    [*_DIE_WITH_WORKER, *argv],
                    env=dict(env) if env is not None else self.environment(),
                    stdin=subprocess.DEVNULL,
                    stdout=log if log else STDERR_FILENO,  # no log: all output on stderr
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            code = self._process.wait()
        finally:
            if log:
                log.close()
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            raise JobFailed(f"killed by signal {name}")
        return code

    def kill(self) -> None:
        """Cancel the attempt: set ``cancelled`` and SIGKILL the process group, if any."""
        with self._lock:
            self.cancelled.set()
            if self._process is not None and self._process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._process.pid, signal.SIGKILL)


_SETPRIV = shutil.which("setpriv")
_DIE_WITH_WORKER = (_SETPRIV, "--pdeathsig", "KILL", "--") if _SETPRIV else ()


class NoopJobType:
    """The built-in ``noop`` job type: succeeds at once.  For tests and benchmarks of the
    scheduler's own cost."""

    def check_app(self, app: AppConfig) -> Iterable[tuple[str, str]]:
        return ()

    def run(self, job: JobContext) -> None:
        return None
