"""A worker that cannot renew a lease for its whole length stops the job and writes
nothing, as when the backend says the lease is lost: past that point another worker may
hold the job."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from stolos import Stolos
from stolos.errors import BackendUnavailable, JobFailed
from stolos.hookspecs import hookimpl
from stolos.jobtypes import JobContext
from stolos.plugins import Descriptor, PluginManager
from stolos.queue import Lease, State
from stolos.queue.sqlite import SQLiteBackend
from stolos.worker import Worker


class UnreachableForRenewals(SQLiteBackend):
    """Claims and finishes work; every heartbeat finds the server unreachable."""

    def renew(self, lease: Lease, lease_seconds: float) -> Lease:
        raise BackendUnavailable("cannot reach the backend (test)")


class WaitUntilKilled:
    """A job that runs until the worker kills it."""

    started = threading.Event()

    def check_app(self, app: Any) -> list[tuple[str, str]]:
        return []

    def run(self, job: JobContext) -> None:
        self.started.set()
        if not job.cancelled.wait(30):
            return
        raise JobFailed("killed")


class Plugin:
    def __init__(self, db: Path) -> None:
        self.db = db

    @hookimpl
    def stolos_queue_backends(self) -> list[Descriptor]:
        return [Descriptor("flaky", lambda options: UnreachableForRenewals(str(self.db)), "test")]

    @hookimpl
    def stolos_job_types(self) -> list[Descriptor]:
        return [Descriptor("wait", lambda options: WaitUntilKilled(), "test", app_schema={})]


def test_an_unrenewable_lease_kills_the_job_and_writes_nothing(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.json"
    tasks.write_text(json.dumps({"a": {"job_id": "{n}", "job_type": "wait"}}))
    environ = {"STOLOS_TASKS_JSON": str(tasks), "STOLOS_QUEUE_BACKEND": "flaky"}
    plugins = PluginManager(environ, extra=[(Plugin(tmp_path / "s.db"), "test")])
    stolos = Stolos(environ=environ, plugins=plugins)
    stolos.scheduler.submit([("a", "1")])

    worker = Worker(stolos, max_jobs=1, lease_timeout=0.3)
    thread = threading.Thread(target=worker.run)
    thread.start()
    thread.join(timeout=20)

    assert not thread.is_alive()
    assert WaitUntilKilled.started.is_set()
    record = stolos.queue.get("a", "1")
    assert record is not None and record.state is State.RUNNING  # left to expire, untouched
    assert [t.state for t in stolos.queue.history("a", "1")] == [State.QUEUED, State.RUNNING]
