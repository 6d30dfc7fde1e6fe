"""The SQLite backend: the whole conformance suite, plus what only a shared file has to
prove (several processes, reopening, concurrent creation, indexed claims)."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from stolos.errors import BackendError, BackendUnavailable
from stolos.queue import State, WakeRequest
from stolos.queue import sqlite as sqlite_backend
from stolos.queue.sqlite import SQLiteBackend
from stolos.testing import FakeClock, QueueBackendConformance


class TestSQLiteConformance(QueueBackendConformance):
    supports_clock = True

    @pytest.fixture
    def backend_factory(
        self, tmp_path: Path, clock: FakeClock
    ) -> Iterator[Callable[[], SQLiteBackend]]:
        opened: list[SQLiteBackend] = []

        def open_client() -> SQLiteBackend:
            opened.append(SQLiteBackend(str(tmp_path / "stolos.db"), clock=clock))
            return opened[-1]

        yield open_client
        for backend in opened:
            backend.close()

    @pytest.fixture
    def backend(self, backend_factory: Callable[[], SQLiteBackend]) -> SQLiteBackend:
        return backend_factory()


@pytest.fixture
def path(tmp_path: Path) -> str:
    return str(tmp_path / "stolos.db")


@pytest.fixture
def backend(path: str) -> Iterator[SQLiteBackend]:
    backend = SQLiteBackend(path)
    yield backend
    backend.close()


# --- several processes on one file -------------------------------------------------------

CHILD = """
import json, sys
from stolos.queue import State
from stolos.queue.sqlite import SQLiteBackend

path, mode, name = sys.argv[1:]
backend = SQLiteBackend(path) if mode == "claim" else None
print("ready", flush=True)
sys.stdin.readline()
done = []
if mode == "claim":
    while (lease := backend.claim(name, 60)) is not None:
        done.append(lease.job_id)
        backend.release(backend.finish(lease, State.COMPLETED))
else:
    backend = SQLiteBackend(path)
    for i in range(20):
        job_id = f"{name}-{i}"
        backend.enqueue("a", job_id)
        done.append(job_id)
print(json.dumps(done))
"""


def run_children(path: str, mode: str, count: int) -> list[list[str]]:
    """Start ``count`` interpreters running CHILD, release them at once, return what
    each one did."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, path, mode, f"p{i}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(count)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs = [child.communicate(timeout=60)[0] for child in children]
    assert [child.returncode for child in children] == [0] * count
    return [json.loads(output) for output in outputs]


def test_processes_claim_each_job_exactly_once(backend: SQLiteBackend, path: str) -> None:
    job_ids = [f"j{i:04d}" for i in range(400)]
    backend.wake([WakeRequest("a", job_id) for job_id in job_ids])
    claimed = [job_id for done in run_children(path, "claim", 3) for job_id in done]
    assert sorted(claimed) == job_ids
    assert backend.counts() == {"a": {State.COMPLETED: len(job_ids)}}
    assert all(
        [t.state for t in backend.history("a", job_id)].count(State.RUNNING) == 1
        for job_id in job_ids
    )


def test_processes_creating_a_new_file_at_once_share_it(path: str) -> None:
    created = [job_id for done in run_children(path, "create", 4) for job_id in done]
    backend = SQLiteBackend(path)
    assert sorted(r.job_id for r in backend.list_jobs("a")) == sorted(created)
    assert len(created) == 80
    backend.close()


def claim_all_in_child(
    backend: SQLiteBackend, worker: str, start: Barrier, results: Queue[list[str]]
) -> None:
    start.wait()
    claimed = []
    while (lease := backend.claim(worker, 60)) is not None:
        claimed.append(lease.job_id)
        backend.release(backend.finish(lease, State.COMPLETED))
    results.put(claimed)


@pytest.mark.skipif(sys.platform != "linux", reason="fork is the start method under test")
def test_a_forked_child_opens_its_own_connection(backend: SQLiteBackend) -> None:
    job_ids = [f"j{i:04d}" for i in range(200)]
    backend.wake([WakeRequest("a", job_id) for job_id in job_ids])
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(2), context.Queue()
    children = [
        context.Process(target=claim_all_in_child, args=(backend, f"c{i}", start, results))
        for i in range(2)
    ]
    for child in children:
        child.start()
    claimed = [job_id for _ in children for job_id in results.get(timeout=60)]
    for child in children:
        child.join(timeout=60)
    assert [child.exitcode for child in children] == [0, 0]
    assert sorted(claimed) == job_ids
    assert backend.counts("a") == {"a": {State.COMPLETED: len(job_ids)}}


# --- one process --------------------------------------------------------------------------


def test_threads_sharing_one_backend_claim_each_job_once(backend: SQLiteBackend) -> None:
    job_ids = [f"j{i:04d}" for i in range(200)]
    backend.wake([WakeRequest("a", job_id) for job_id in job_ids])
    start = threading.Barrier(6)

    def work(worker: str) -> list[str]:
        start.wait()
        claimed = []
        while (lease := backend.claim(worker, 60)) is not None:
            claimed.append(lease.job_id)
            backend.release(backend.finish(lease, State.COMPLETED))
        return claimed

    with ThreadPoolExecutor(6) as pool:
        claimed = [j for done in pool.map(work, [f"t{i}" for i in range(6)]) for j in done]
    assert sorted(claimed) == job_ids


def test_reopening_the_file_keeps_everything(path: str) -> None:
    first = SQLiteBackend(path)
    first.enqueue("a", "done")
    lease = first.claim("w1", 60)
    assert lease is not None
    first.release(first.finish(lease, State.COMPLETED, log_path="/logs/done"))
    first.enqueue("a", "waiting-to-run", priority=3)
    record, history = first.get("a", "done"), first.history("a", "done")
    first.close()

    reopened = SQLiteBackend(path)
    assert reopened.get("a", "done") == record
    assert reopened.history("a", "done") == history
    later = reopened.claim("w2", 60)
    assert later is not None
    assert (later.job_id, later.attempt) == ("waiting-to-run", 1)
    assert later.token > lease.token
    reopened.close()


def test_close_then_use_opens_a_new_connection(backend: SQLiteBackend) -> None:
    backend.enqueue("a", "j")
    backend.close()
    assert backend.queue_size("a") == 1


def test_a_file_that_cannot_be_opened_names_its_path(tmp_path: Path) -> None:
    path = str(tmp_path / "no-such-directory" / "stolos.db")
    with pytest.raises(BackendUnavailable) as raised:
        SQLiteBackend(path)
    assert raised.value.file == path
    assert path in str(raised.value)


def test_a_file_from_a_newer_stolos_is_refused(path: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(BackendError, match="schema version 99") as raised:
        SQLiteBackend(path)
    assert raised.value.file == path


def test_a_write_lock_held_too_long_is_reported_with_the_file(path: str) -> None:
    backend = SQLiteBackend(path, busy_timeout=0.05)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(BackendError, match="qb_sqlite_busy_timeout") as raised:
        backend.enqueue("a", "j")
    assert raised.value.file == path
    other.execute("ROLLBACK")
    other.close()
    assert backend.get("a", "j") is None
    assert backend.enqueue("a", "j") == (True, State.QUEUED)
    backend.close()


def test_bad_states_are_refused_before_anything_is_written(backend: SQLiteBackend) -> None:
    backend.enqueue("a", "j")
    lease = backend.claim("w1", 60)
    assert lease is not None
    with pytest.raises(ValueError, match="finished state"):
        backend.finish(lease, State.QUEUED)
    with pytest.raises(ValueError, match="running"):
        backend.mark([("a", "j")], State.RUNNING, only_from=list(State))
    record = backend.get("a", "j")
    assert record is not None and record.state is State.RUNNING
    assert backend.finish(lease, State.COMPLETED).state is State.COMPLETED


# --- bounded cost ---------------------------------------------------------------------------

CLAIM_STATEMENTS = {
    "ready across apps": (sqlite_backend.SELECT_READY, ()),
    "ready in one app": (sqlite_backend.SELECT_READY_BY_APP, ("a",)),
    "expired leases": (sqlite_backend.SELECT_EXPIRED, (1e12,)),
    "due retries": (sqlite_backend.PROMOTE_DUE, (1e12,)),
    "held lease": (sqlite_backend.SELECT_HELD, ("a", "j00001", "w", 1)),
}


def vm_steps(path: str, sql: str, params: tuple[object, ...]) -> int:
    """SQLite virtual-machine instructions one statement executes (rolled back)."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    conn = sqlite3.connect(path, isolation_level=None)
    conn.set_progress_handler(count, 1)
    conn.execute("BEGIN")
    conn.execute(sql, params).fetchall()
    conn.execute("ROLLBACK")
    conn.close()
    return steps


@pytest.mark.parametrize("statement", list(CLAIM_STATEMENTS))
def test_claim_statements_cost_the_same_whatever_the_queue_length(
    tmp_path: Path, statement: str
) -> None:
    """Evidence for the bounded-cost guarantee without a clock: the number of SQLite VM
    instructions of each statement a claim runs does not grow with the queue."""
    steps = []
    for size in (20, 4000):
        path = str(tmp_path / f"{size}.db")
        backend = SQLiteBackend(path)
        backend.wake([WakeRequest(app, f"j{i:05d}") for app in "abc" for i in range(size)])
        for _ in range(10):  # some leased jobs, some delayed retries
            backend.claim("w", 60)
            lease = backend.claim("w", 60)
            assert lease is not None
            backend.retry(lease, not_before=backend.now() + 3600)
        backend.close()
        steps.append(vm_steps(path, *CLAIM_STATEMENTS[statement]))
    small, large = steps
    assert large <= small + 10, f"{statement}: {small} steps at 20 jobs, {large} at 4000"
