"""The worker: claim jobs, keep their leases alive, run them through their job type, finish.

One process runs ``concurrency`` job threads and one heartbeat thread.  A job thread
claims a runnable job from the scheduler, runs its job type (child processes in their own
process group) and reports the outcome.  The heartbeat thread renews every lease; when a
renewal fails the job's process group is killed before anything else happens, and the
job thread writes nothing (the lease's fencing token would refuse it anyway).

Signals: the first SIGTERM/SIGINT stops claiming and lets running jobs finish for up to
``grace_period`` seconds, then kills and gives back what is left; a second signal kills
and gives back at once.  A job that outlives its app's ``timeout`` is killed and counts as
a failed attempt, as does a job process killed by a signal.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from stolos.errors import BackendError, JobFailed, LeaseLost, StolosError
from stolos.jobtypes import JobContext
from stolos.plugins import Kind
from stolos.queue import State

if TYPE_CHECKING:
    from stolos.config.model import AppConfig
    from stolos.engine import Stolos
    from stolos.scheduler import ClaimedJob

log = logging.getLogger("stolos.worker")

POLL_INTERVAL = 0.2
BACKEND_RETRY_MAX = 10.0
CONFIG_CHECK_INTERVAL = 1.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def log_path_for(log_dir: str | Path, app: str, job_id: str, attempt: int) -> Path:
    """``<log_dir>/<app>/<job_id>.<attempt>.log`` with both names made file-safe."""
    return Path(log_dir) / quote(app, safe="") / f"{quote(job_id, safe='')}.{attempt}.log"


def job_context(
    stolos: Stolos, app: AppConfig, job_id: str, identifiers: dict[str, Any], attempt: int
) -> JobContext:
    """What a job type gets for one attempt: the job, its log file, the job type's
    options (``attempt`` 0 is a run outside the scheduler)."""
    descriptor = stolos.plugins.get(Kind.JOB_TYPE, app.job_type)
    options = stolos.plugin_options(descriptor)
    return JobContext(
        app=app,
        job_id=job_id,
        identifiers=identifiers,
        attempt=attempt,
        log_path=log_path_for(
            Path(stolos.options["log_dir"]).absolute(), app.name, job_id, attempt
        ),
        options=options,
        redirect_to_stderr=bool(options.get("redirect_to_stderr", False)),
    )


@dataclass
class _Running:
    """A job this worker is running: its claim, context, and why it was stopped."""

    job: ClaimedJob
    context: JobContext
    started: float = field(default_factory=time.monotonic)
    renewed: float = field(default_factory=time.monotonic)  # last successful heartbeat
    lost: bool = False
    timed_out: bool = False


class JsonFormatter(logging.Formatter):
    """One JSON object per log line, with the job fields a transition carries."""

    FIELDS = ("app", "job_id", "attempt", "state", "duration", "worker")

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": round(record.created, 3),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        data.update({k: getattr(record, k) for k in self.FIELDS if hasattr(record, k)})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


class Worker:
    """Runs jobs of ``apps`` (all apps when empty) until stopped, idle, or ``max_jobs``."""

    def __init__(
        self,
        stolos: Stolos,
        *,
        apps: Sequence[str] = (),
        concurrency: int = 1,
        max_jobs: int | None = None,
        exit_when_idle: bool = False,
        lease_timeout: float | None = None,
        grace_period: float = 30.0,
        name: str | None = None,
    ) -> None:
        self.stolos = stolos
        self.scheduler = stolos.scheduler
        self.apps = list(apps)  # empty: every app, as the configuration changes
        for app in self.apps:
            stolos.app(app)  # unknown app: fail now, naming it
        stolos.check_runnable(self._served())
        self.concurrency = max(1, concurrency)
        self.max_jobs = max_jobs
        self.exit_when_idle = exit_when_idle
        self.lease_timeout = float(lease_timeout or stolos.lease_timeout)
        self.grace_period = grace_period
        self.name = name or worker_name()
        self.stopping = threading.Event()  # no more claims
        self.killing = threading.Event()  # kill and give back running jobs
        self._threads_done = threading.Event()  # every job thread exited: stop the heartbeat
        self._running: dict[int, _Running] = {}
        self._lock = threading.RLock()  # re-entered when a signal lands inside kill()
        self._claimed = 0
        self._next_config_check = time.monotonic() + CONFIG_CHECK_INTERVAL
        self._busy = 0  # job threads between the start of a claim and the end of a report
        self.finished = 0

    # --- the main loop ----------------------------------------------------------------

    def run(self) -> int:
        """Run until done; returns the process exit code (0 unless the backend failed)."""
        threads = [
            threading.Thread(target=self._job_loop, name=f"stolos-job-{i}", daemon=True)
            for i in range(self.concurrency)
        ]
        heartbeat = threading.Thread(
            target=self._heartbeat_loop, name="stolos-heartbeat", daemon=True
        )
        log.info(
            "worker %s serving %d app(s), concurrency %d",
            self.name,
            len(self._served()),
            self.concurrency,
        )
        heartbeat.start()
        for thread in threads:
            thread.start()
        stop_deadline: float | None = None
        while any(t.is_alive() for t in threads):
            for thread in threads:
                thread.join(timeout=0.1)
            if self.stopping.is_set() and not self.killing.is_set():
                stop_deadline = stop_deadline or time.monotonic() + self.grace_period
                if time.monotonic() > stop_deadline and self._running:
                    log.warning("grace period over: killing %d running job(s)", len(self._running))
                    self.kill()
        self.stopping.set()
        self._threads_done.set()
        heartbeat.join(timeout=5)
        log.info("worker %s stopped after %d job(s)", self.name, self.finished)
        return 0

    def stop(self) -> None:
        """Stop claiming; running jobs finish (within the grace period)."""
        self.stopping.set()

    def kill(self) -> None:
        """Kill running jobs and give them back to the queue uncounted."""
        self.stopping.set()
        self.killing.set()
        with self._lock:
            running = list(self._running.values())
        for item in running:
            item.context.kill()

    def install_signal_handlers(self) -> None:
        def handle(signum: int, frame: Any) -> None:
            if self.stopping.is_set():
                log.warning("second signal: killing running jobs")
                self.kill()
            else:
                log.warning(
                    "signal %s: finishing running jobs, then exiting", signal.Signals(signum).name
                )
                self.stop()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)

    def _take_slot(self) -> bool:
        """Count a claim against ``max_jobs`` and mark this thread busy."""
        with self._lock:
            if self.max_jobs is not None and self._claimed >= self.max_jobs:
                return False
            self._claimed += 1
            self._busy += 1
            return True

    def _return_slot(self, used: bool = False) -> None:
        with self._lock:
            self._busy -= 1
            if not used:
                self._claimed -= 1

    def _job_loop(self) -> None:
        backoff = POLL_INTERVAL
        while not self.stopping.is_set():
            if not self._take_slot():
                self.stopping.set()
                return
            try:
                self._refresh_config()
                job = self.scheduler.claim(self.name, self.lease_timeout, self._served())
            except BackendError as exc:
                self._return_slot()
                log.error("backend error while claiming (retrying in %.1fs): %s", backoff, exc)
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, BACKEND_RETRY_MAX)
                continue
            backoff = POLL_INTERVAL
            if job is None:
                self._return_slot()
                if self.exit_when_idle and self._idle():
                    self.stopping.set()
                    return
                self.stopping.wait(POLL_INTERVAL)
                continue
            try:
                self._run(job)
            finally:
                self._return_slot(used=True)

    def _refresh_config(self) -> None:
        """Pick up a configuration pushed to the backend, checked at most once a second."""
        with self._lock:
            if time.monotonic() < self._next_config_check:
                return
            self._next_config_check = time.monotonic() + CONFIG_CHECK_INTERVAL
        self.stolos.refresh_config()

    def _served(self) -> list[str]:
        """The apps given, or every app of the current configuration."""
        return self.apps or list(self.stolos.config)

    def _idle(self) -> bool:
        """No thread here is claiming, running or reporting (each can queue more work) and
        no app of ours has a queued job (delayed retries count)."""
        with self._lock:
            if self._busy:
                return False
        return all(
            self.stolos.queue.queue_size(app, queued=True, taken=False) == 0
            for app in self._served()
        )

    # --- one job ----------------------------------------------------------------------

    def _run(self, job: ClaimedJob) -> None:
        fields = {
            "app": job.lease.app,
            "job_id": job.lease.job_id,
            "attempt": job.lease.attempt,
            "worker": self.name,
        }
        try:
            context = job_context(
                self.stolos, job.app, job.lease.job_id, job.identifiers, job.lease.attempt
            )
            job_type = self.stolos.job_type(job.app.job_type)
        except StolosError as exc:
            self._report(job, None, f"cannot run: {exc}", fields, 0.0)
            return
        item = _Running(job, context)
        with self._lock:
            self._running[threading.get_ident()] = item
        timer = self._start_timeout(item)
        log.info("started", extra={**fields, "state": "running"})
        self.stolos.plugins.notify("before_job", job=context)
        error: str | None = None
        try:
            job_type.run(context)
        except JobFailed as exc:
            error = exc.message
        except Exception as exc:  # a job type's bug is a failed attempt, not a crash
            error = f"{type(exc).__name__}: {exc}"
        finally:
            if timer:
                timer.cancel()
            with self._lock:
                self._running.pop(threading.get_ident(), None)
        duration = time.monotonic() - item.started
        if item.timed_out:
            error = f"timed out after {job.app.get('timeout')}s"
        if error is not None and not item.lost:
            self.stolos.plugins.notify("on_job_error", job=context, error=JobFailed(error))
        self._report(job, item, error, fields, duration)

    def _start_timeout(self, item: _Running) -> threading.Timer | None:
        timeout = item.job.app.get("timeout")
        if not timeout:
            return None

        def expire() -> None:
            item.timed_out = True
            item.context.kill()

        timer = threading.Timer(float(timeout), expire)
        timer.daemon = True
        timer.start()
        return timer

    def _report(
        self,
        job: ClaimedJob,
        item: _Running | None,
        error: str | None,
        fields: dict[str, Any],
        duration: float,
    ) -> None:
        """Write the attempt's outcome, unless the lease was lost (then write nothing)."""
        fields = {**fields, "duration": round(duration, 3)}
        log_path = str(item.context.log_path) if item and item.context.log_path else None
        if item is not None and item.lost:
            log.warning(
                "lease lost: the job was killed and nothing is written",
                extra={**fields, "state": "lost"},
            )
            return
        try:
            if (
                item is not None
                and self.killing.is_set()
                and error is not None
                and not item.timed_out
            ):
                self.scheduler.give_back(job)
                state = State.QUEUED
                log.warning("stopped: given back to the queue", extra={**fields, "state": "queued"})
            elif error is None:
                self.scheduler.succeeded(job, log_path)
                state = State.COMPLETED
                log.info("completed", extra={**fields, "state": "completed"})
            else:
                state = self.scheduler.failed(job, error, log_path)
                verdict = "will retry" if state is State.QUEUED else "failed for good"
                log.warning(
                    "attempt failed (%s): %s",
                    verdict,
                    error,
                    extra={**fields, "state": state.value},
                )
        except LeaseLost:
            log.warning(
                "lease lost before the outcome was written", extra={**fields, "state": "lost"}
            )
            return
        self.finished += 1
        if item is not None:
            self.stolos.plugins.notify(
                "after_job", job=item.context, state=state.value, duration=duration
            )

    # --- heartbeat --------------------------------------------------------------------

    def _heartbeat_loop(self) -> None:
        interval = max(self.lease_timeout / 3.0, 0.05)
        while not self._threads_done.wait(interval):
            with self._lock:
                running = list(self._running.values())
            for item in running:
                self._renew(item)

    def _renew(self, item: _Running) -> None:
        try:
            item.job.lease = self.stolos.queue.renew(item.job.lease, self.lease_timeout)
            item.renewed = time.monotonic()
        except LeaseLost:
            self._lose(item, "lease lost")
        except BackendError as exc:
            if time.monotonic() - item.renewed > self.lease_timeout:
                # unrenewed past its length, the lease may be another worker's by now
                self._lose(item, f"lease not renewed for {self.lease_timeout}s ({exc})")
            else:
                log.error("heartbeat failed (will retry): %s", exc)

    def _lose(self, item: _Running, why: str) -> None:
        with self._lock:
            if all(running is not item for running in self._running.values()):
                return  # finished meanwhile: its outcome is written, its lease released
        item.lost = True
        item.context.kill()  # first: no second copy of the job may keep running
        log.error(
            "%s on %s %s: killed its processes", why, item.job.lease.app, item.job.lease.job_id
        )
