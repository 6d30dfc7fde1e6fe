"""The embedded queue backend: every job record, queue and history in one SQLite file.

Safe for many worker processes and threads on one machine: each thread of each process
has its own connection, the file is in WAL mode (readers never block the writer), and
every contract method is one ``BEGIN IMMEDIATE`` transaction (``enqueue_many`` one per
``ENQUEUE_CHUNK`` jobs), so writers queue up on SQLite's write lock instead of
overwriting each other.  Timestamps are read once the lock
is held, so the history's times follow the commit order across processes.

Queue order and fencing tokens come from the history table: every state change appends
a row whose ``AUTOINCREMENT`` id only ever grows.  A job's ``seq`` (its place in the
queue) is the id of the row that queued it, and a lease's token is the id of the row
that recorded the claim, so "fresh and increasing" costs no extra write.

Claims stay cheap whatever the queue length: ready jobs sit in partial indexes ordered
by ``(priority, seq)`` (one per app and one across apps), delayed retries and leased
jobs in small partial indexes of their own, so a claim is a handful of B-tree lookups.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from stolos.errors import BackendError, BackendUnavailable, LeaseLost
from stolos.queue.contract import JobKey, QueueBackend
from stolos.queue.records import (
    DEFAULT_PRIORITY,
    FINISHED,
    EnqueueRequest,
    JobRecord,
    Lease,
    State,
    Transition,
    WakeRequest,
)

SCHEMA_VERSION = 1

ENQUEUE_CHUNK = 500
"""Jobs per transaction of ``enqueue_many``: bounds how long it holds the write lock."""

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS jobs (
        id INTEGER PRIMARY KEY,
        app TEXT NOT NULL,
        job_id TEXT NOT NULL,
        state TEXT NOT NULL,
        priority INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        wake INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_token INTEGER NOT NULL DEFAULT 0,
        lease_expires REAL,
        not_before REAL,
        effects_pending INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        log_path TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        UNIQUE (app, job_id)
    )""",
    # list_jobs, counts and queue_size: equality on state, then app, in job_id order.
    "CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, app, job_id)",
    # claim: the head of one app's queue, and the head of all queues.
    """CREATE INDEX IF NOT EXISTS ready_by_app ON jobs (app, priority, seq)
        WHERE state = 'queued' AND not_before IS NULL""",
    """CREATE INDEX IF NOT EXISTS ready ON jobs (priority, seq)
        WHERE state = 'queued' AND not_before IS NULL""",
    # claim: delayed retries that became due, and leases that expired.
    """CREATE INDEX IF NOT EXISTS delayed ON jobs (not_before)
        WHERE state = 'queued' AND not_before IS NOT NULL""",
    "CREATE INDEX IF NOT EXISTS leased ON jobs (lease_expires) WHERE lease_owner IS NOT NULL",
    """CREATE TABLE IF NOT EXISTS history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        app TEXT NOT NULL,
        job_id TEXT NOT NULL,
        at REAL NOT NULL,
        state TEXT NOT NULL,
        worker TEXT,
        attempt INTEGER NOT NULL,
        message TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS history_by_job ON history (app, job_id)",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)

RECORD_COLUMNS = (
    "app, job_id, state, priority, attempts, wake, lease_owner, lease_token, lease_expires,"
    " not_before, effects_pending, last_error, log_path, created_at, updated_at"
)

# INDEXED BY: the planner, without statistics, would rather sort the jobs_by_state matches.
SELECT_READY_BY_APP = """SELECT id, app, job_id, attempts, priority, seq
    FROM jobs INDEXED BY ready_by_app WHERE app = ? AND state = 'queued' AND not_before IS NULL
    ORDER BY priority, seq LIMIT 1"""
SELECT_READY = """SELECT id, app, job_id, attempts, priority, seq
    FROM jobs INDEXED BY ready WHERE state = 'queued' AND not_before IS NULL
    ORDER BY priority, seq LIMIT 1"""
SELECT_EXPIRED = """SELECT id, app, job_id, state, attempts, lease_owner, effects_pending
    FROM jobs INDEXED BY leased WHERE lease_owner IS NOT NULL AND lease_expires <= ?
    ORDER BY lease_expires"""
PROMOTE_DUE = """UPDATE jobs INDEXED BY delayed SET not_before = NULL
    WHERE state = 'queued' AND not_before IS NOT NULL AND not_before <= ?"""
SELECT_HELD = """SELECT id, state, attempts, wake FROM jobs
    WHERE app = ? AND job_id = ? AND lease_owner = ? AND lease_token = ?"""


class _Connection(sqlite3.Connection):
    """A connection that :class:`weakref.WeakSet` can track (the base class cannot),
    marked with the process that opened it: a forked child must not close it."""

    pid: int


class SQLiteBackend(QueueBackend):
    """Job records and queues in one SQLite file shared by the workers of one machine.

    ``busy_timeout`` is how long a writer waits for another process's transaction.
    ``clock`` is the backend's time source (seconds since the epoch); tests pass a fake
    clock to make leases expire without sleeping.
    """

    name = "sqlite"

    def __init__(
        self,
        path: str,
        busy_timeout: float = 30.0,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = str(path)
        self.busy_timeout = busy_timeout
        self._clock = clock
        self._local = threading.local()
        self._connections: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._connections_lock = threading.Lock()
        self._generation = 0
        self._connection()  # fail now, with the path, if the file cannot be opened

    # --- connections and transactions -------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use (and again after a fork)."""
        key = (os.getpid(), self._generation)
        if getattr(self._local, "key", None) != key:
            self._local.conn = self._open()
            self._local.key = key
        conn: sqlite3.Connection = self._local.conn
        return conn

    def _open(self) -> _Connection:
        try:
            conn: _Connection = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,
                factory=_Connection,
            )
        except sqlite3.Error as exc:
            raise BackendUnavailable(
                f"cannot open the SQLite database: {exc}", file=self.path
            ) from exc
        try:
            self._use_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            self._create_schema(conn)
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.Error):
                raise BackendUnavailable(
                    f"cannot use the SQLite database: {exc}", file=self.path
                ) from exc
            raise
        conn.pid = os.getpid()
        with self._connections_lock:
            self._connections.add(conn)
        return conn

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        """Switch a new file to WAL.  The switch needs the file to itself and, unlike
        other statements, fails at once instead of waiting, so retry until
        ``busy_timeout`` while other processes are opening the same new file."""
        deadline = time.monotonic() + self.busy_timeout
        while conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            try:
                conn.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        """Create the tables once; safe when several processes open a new file at once."""
        if self._schema_version(conn) == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = self._schema_version(conn)  # another process may have created it
            if version > SCHEMA_VERSION:
                raise BackendError(
                    f"the database has schema version {version}, newer than this Stolos"
                    f" understands ({SCHEMA_VERSION}); upgrade Stolos",
                    file=self.path,
                )
            if version < SCHEMA_VERSION:
                for statement in SCHEMA:
                    conn.execute(statement)
            conn.execute("COMMIT")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    @staticmethod
    def _schema_version(conn: sqlite3.Connection) -> int:
        version: int = conn.execute("PRAGMA user_version").fetchone()[0]
        return version

    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction: ``BEGIN IMMEDIATE`` for writes (take the write lock now, so
        no read-then-write race), a plain snapshot for reads.  Any exception, including
        ``LeaseLost``, rolls everything back."""
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
                conn.execute("COMMIT")
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            hint = ""
            if "locked" in str(exc):
                hint = (
                    f" (another process held the write lock for more than {self.busy_timeout}"
                    " s; raise qb_sqlite_busy_timeout if that is expected)"
                )
            raise BackendError(f"SQLite failed: {exc}{hint}", file=self.path) from exc

    # --- helpers shared by the contract methods ---------------------------------------

    @staticmethod
    def _append_history(
        conn: sqlite3.Connection,
        app: str,
        job_id: str,
        at: float,
        state: State,
        worker: str | None,
        attempt: int,
        message: str | None,
    ) -> int:
        """Append a transition; its id is a fresh, increasing number (seq or token)."""
        cursor = conn.execute(
            "INSERT INTO history (app, job_id, at, state, worker, attempt, message)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (app, job_id, at, state.value, worker, attempt, message),
        )
        row_id = cursor.lastrowid
        assert row_id is not None
        return row_id

    def _insert(
        self,
        conn: sqlite3.Connection,
        app: str,
        job_id: str,
        state: State,
        *,
        priority: int,
        skip_reason: str | None,
        worker: str | None,
        now: float,
    ) -> None:
        seq = self._append_history(conn, app, job_id, now, state, worker, 0, skip_reason)
        conn.execute(
            "INSERT INTO jobs (app, job_id, state, priority, seq, last_error, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (app, job_id, state.value, priority, seq, skip_reason, now, now),
        )

    def _requeue(
        self,
        conn: sqlite3.Connection,
        row_id: int,
        app: str,
        job_id: str,
        *,
        attempts: int,
        worker: str | None,
        attempt: int,
        message: str | None,
        now: float,
    ) -> None:
        """Put a job at the back of its priority, without lease or wake flag."""
        seq = self._append_history(conn, app, job_id, now, State.QUEUED, worker, attempt, message)
        conn.execute(
            "UPDATE jobs SET state = 'queued', seq = ?, attempts = ?, wake = 0,"
            " lease_owner = NULL, lease_expires = NULL, not_before = NULL,"
            " effects_pending = 0, updated_at = ? WHERE id = ?",
            (seq, attempts, now, row_id),
        )

    @staticmethod
    def _find_held(conn: sqlite3.Connection, lease: Lease) -> Any:
        """The row ``(id, state, attempts, wake)`` the lease still holds, or ``None``."""
        return conn.execute(
            SELECT_HELD, (lease.app, lease.job_id, lease.worker, lease.token)
        ).fetchone()

    def _held(self, conn: sqlite3.Connection, lease: Lease, *, running: bool) -> Any:
        """Like :meth:`_find_held`, but ``LeaseLost`` when the lease is not held, or when
        ``running`` and the job already finished (park, retry and finish need it running).
        """
        row = self._find_held(conn, lease)
        if row is None:
            raise LeaseLost(
                f"job {lease.job_id!r}: lease {lease.token} of worker {lease.worker!r}"
                " is no longer held",
                app=lease.app,
            )
        if running and row[1] != State.RUNNING.value:
            raise LeaseLost(
                f"job {lease.job_id!r}: already {row[1]}, no longer running", app=lease.app
            )
        return row

    @staticmethod
    def _to_record(row: Sequence[Any]) -> JobRecord:
        return JobRecord(
            app=row[0],
            job_id=row[1],
            state=State(row[2]),
            priority=row[3],
            attempts=row[4],
            wake=bool(row[5]),
            lease_owner=row[6],
            lease_token=row[7],
            lease_expires=row[8],
            not_before=row[9],
            effects_pending=bool(row[10]),
            last_error=row[11],
            log_path=row[12],
            created_at=row[13],
            updated_at=row[14],
        )

    # --- submission -------------------------------------------------------------------

    def enqueue(
        self,
        app: str,
        job_id: str,
        *,
        priority: int = DEFAULT_PRIORITY,
        queue: bool = True,
        skip_reason: str | None = None,
        worker: str | None = None,
    ) -> tuple[bool, State]:
        request = EnqueueRequest(app, job_id, priority, queue, skip_reason)
        with self._transaction() as conn:
            return self._create_if_absent(conn, request, worker, self.now())

    def enqueue_many(
        self, requests: Sequence[EnqueueRequest], *, worker: str | None = None
    ) -> list[tuple[bool, State]]:
        """One transaction per ``ENQUEUE_CHUNK`` requests."""
        results: list[tuple[bool, State]] = []
        for start in range(0, len(requests), ENQUEUE_CHUNK):
            with self._transaction() as conn:
                now = self.now()
                for request in requests[start : start + ENQUEUE_CHUNK]:
                    results.append(self._create_if_absent(conn, request, worker, now))
        return results

    def _create_if_absent(
        self, conn: sqlite3.Connection, request: EnqueueRequest, worker: str | None, now: float
    ) -> tuple[bool, State]:
        row = conn.execute(
            "SELECT state FROM jobs WHERE app = ? AND job_id = ?", (request.app, request.job_id)
        ).fetchone()
        if row is not None:
            return False, State(row[0])
        if request.skip_reason is not None:
            state = State.SKIPPED
        else:
            state = State.QUEUED if request.queue else State.PENDING
        self._insert(
            conn,
            request.app,
            request.job_id,
            state,
            priority=request.priority,
            skip_reason=request.skip_reason,
            worker=worker,
            now=now,
        )
        return True, state

    def readd(
        self,
        app: str,
        job_id: str,
        *,
        priority: int = DEFAULT_PRIORITY,
        skip_reason: str | None = None,
        worker: str | None = None,
    ) -> State | None:
        state = State.SKIPPED if skip_reason is not None else State.QUEUED
        with self._transaction() as conn:
            now = self.now()
            row = conn.execute(
                "SELECT id, state FROM jobs WHERE app = ? AND job_id = ?", (app, job_id)
            ).fetchone()
            if row is None:
                self._insert(
                    conn,
                    app,
                    job_id,
                    state,
                    priority=priority,
                    skip_reason=skip_reason,
                    worker=worker,
                    now=now,
                )
                return None
            before = State(row[1])
            if before in (State.QUEUED, State.RUNNING):
                return before
            seq = self._append_history(
                conn, app, job_id, now, state, worker, 0, skip_reason or "re-added"
            )
            conn.execute(
                "UPDATE jobs SET state = ?, priority = ?, seq = ?, attempts = 0, wake = 0,"
                " lease_owner = NULL, lease_expires = NULL, not_before = NULL,"
                " effects_pending = 0, last_error = ?, updated_at = ? WHERE id = ?",
                (state.value, priority, seq, skip_reason, now, row[0]),
            )
            return before

    def wake(self, requests: Sequence[WakeRequest], *, worker: str | None = None) -> list[State]:
        states: list[State] = []
        with self._transaction() as conn:
            now = self.now()
            for request in requests:
                app, job_id = request.app, request.job_id
                row = conn.execute(
                    "SELECT id, state, attempts, wake FROM jobs WHERE app = ? AND job_id = ?",
                    (app, job_id),
                ).fetchone()
                if row is None:
                    state = State.SKIPPED if request.skip_reason is not None else State.QUEUED
                    self._insert(
                        conn,
                        app,
                        job_id,
                        state,
                        priority=request.priority,
                        skip_reason=request.skip_reason,
                        worker=worker,
                        now=now,
                    )
                    states.append(state)
                    continue
                row_id, state, attempts, flag = row[0], State(row[1]), row[2], row[3]
                if state in (State.PENDING, State.WAITING):
                    self._requeue(
                        conn,
                        row_id,
                        app,
                        job_id,
                        attempts=attempts,
                        worker=worker,
                        attempt=attempts,
                        message="woken",
                        now=now,
                    )
                    state = State.QUEUED
                elif state is State.RUNNING and not flag:
                    self._append_history(
                        conn, app, job_id, now, state, worker, attempts, "woken while running"
                    )
                    conn.execute(
                        "UPDATE jobs SET wake = 1, updated_at = ? WHERE id = ?", (now, row_id)
                    )
                states.append(state)
        return states

    def mark(
        self,
        keys: Sequence[JobKey],
        state: State,
        *,
        only_from: Iterable[State],
        message: str | None = None,
        worker: str | None = None,
    ) -> list[bool]:
        if state is State.RUNNING:
            raise ValueError("mark cannot make a job running: only claim gives a lease")
        allowed = {State(s).value for s in only_from}
        changed: list[bool] = []
        with self._transaction() as conn:
            now = self.now()
            for app, job_id in keys:
                row = conn.execute(
                    "SELECT id, state, attempts, lease_owner, lease_expires FROM jobs"
                    " WHERE app = ? AND job_id = ?",
                    (app, job_id),
                ).fetchone()
                live_lease = row is not None and row[3] is not None and row[4] > now
                if row is None or row[1] not in allowed or live_lease:
                    changed.append(False)
                    continue
                seq = self._append_history(conn, app, job_id, now, state, worker, row[2], message)
                conn.execute(
                    "UPDATE jobs SET state = ?, seq = ?, wake = 0, lease_owner = NULL,"
                    " lease_expires = NULL, not_before = NULL, effects_pending = 0,"
                    " last_error = ?, updated_at = ? WHERE id = ?",
                    (state.value, seq, message, now, row[0]),
                )
                changed.append(True)
        return changed

    # --- claiming and finishing -------------------------------------------------------

    def claim(
        self, worker: str, lease_seconds: float, apps: Sequence[str] | None = None
    ) -> Lease | None:
        if apps is not None and not apps:
            return None
        wanted = None if apps is None else set(apps)
        with self._transaction() as conn:
            now = self.now()
            expires = now + lease_seconds
            conn.execute(PROMOTE_DUE, (now,))
            resumable = None
            for row in conn.execute(SELECT_EXPIRED, (now,)).fetchall():
                row_id, app, job_id, state, attempts, owner, effects_pending = row
                if state == State.RUNNING.value:
                    self._requeue(
                        conn,
                        row_id,
                        app,
                        job_id,
                        attempts=attempts,
                        worker=worker,
                        attempt=attempts,
                        message=f"lease of {owner} expired",
                        now=now,
                    )
                elif resumable is None and effects_pending and (wanted is None or app in wanted):
                    resumable = row
            if resumable is not None:
                row_id, app, job_id, state, attempts, owner, _ = resumable
                finished = State(state)
                token = self._append_history(  # not a second `finished` entry
                    conn,
                    app,
                    job_id,
                    now,
                    State.RUNNING,
                    worker,
                    attempts,
                    f"resuming the effects of {finished.value}: {owner} did not confirm them",
                )
                conn.execute(
                    "UPDATE jobs SET lease_owner = ?, lease_token = ?, lease_expires = ?,"
                    " updated_at = ? WHERE id = ?",
                    (worker, token, expires, now, row_id),
                )
                return Lease(
                    app, job_id, token, worker, attempts, expires, state=finished, resume=True
                )

            # The head of all queues is the head of the wanted ones when its app is wanted
            # (always, for a worker serving every app): one lookup instead of one per app.
            head = conn.execute(SELECT_READY).fetchone()
            if head is not None and wanted is not None and head[1] not in wanted:
                heads = [conn.execute(SELECT_READY_BY_APP, (app,)).fetchone() for app in wanted]
                head = min((h for h in heads if h is not None), key=lambda h: h[4:6], default=None)
            if head is None:
                return None
            row_id, app, job_id, attempts = head[:4]
            attempt = attempts + 1
            token = self._append_history(
                conn, app, job_id, now, State.RUNNING, worker, attempt, None
            )
            conn.execute(
                "UPDATE jobs SET state = 'running', attempts = ?, wake = 0, lease_owner = ?,"
                " lease_token = ?, lease_expires = ?, updated_at = ? WHERE id = ?",
                (attempt, worker, token, expires, now, row_id),
            )
            return Lease(app, job_id, token, worker, attempt, expires)

    def renew(self, lease: Lease, lease_seconds: float) -> Lease:
        with self._transaction() as conn:
            now = self.now()
            expires = now + lease_seconds
            row = self._held(conn, lease, running=False)
            conn.execute(
                "UPDATE jobs SET lease_expires = ?, updated_at = ? WHERE id = ?",
                (expires, now, row[0]),
            )
        return replace(lease, expires=expires)

    def park(self, lease: Lease, *, message: str | None = None) -> State:
        with self._transaction() as conn:
            now = self.now()
            row_id, _, attempts, flag = self._held(conn, lease, running=True)
            if flag:
                self._requeue(
                    conn,
                    row_id,
                    lease.app,
                    lease.job_id,
                    attempts=attempts - 1,
                    worker=lease.worker,
                    attempt=lease.attempt,
                    message=message or "woken while running",
                    now=now,
                )
                return State.QUEUED
            seq = self._append_history(
                conn,
                lease.app,
                lease.job_id,
                now,
                State.WAITING,
                lease.worker,
                lease.attempt,
                message,
            )
            conn.execute(
                "UPDATE jobs SET state = 'waiting', seq = ?, attempts = ?,"
                " lease_owner = NULL, lease_expires = NULL, updated_at = ? WHERE id = ?",
                (seq, attempts - 1, now, row_id),
            )
            return State.WAITING

    def finish(
        self,
        lease: Lease,
        state: State,
        *,
        message: str | None = None,
        log_path: str | None = None,
        release: bool = False,
    ) -> Lease:
        if state not in FINISHED:
            raise ValueError(f"finish needs a finished state, not {state.value!r}")
        with self._transaction() as conn:
            now = self.now()
            row = self._held(conn, lease, running=True)
            seq = self._append_history(
                conn, lease.app, lease.job_id, now, state, lease.worker, lease.attempt, message
            )
            lease_sql = (
                "effects_pending = 0, lease_owner = NULL, lease_expires = NULL"
                if release
                else "effects_pending = 1"
            )
            conn.execute(
                f"UPDATE jobs SET state = ?, seq = ?, wake = 0, {lease_sql},"
                " last_error = ?, log_path = coalesce(?, log_path), updated_at = ?"
                " WHERE id = ?",
                (state.value, seq, message, log_path, now, row[0]),
            )
        return replace(lease, state=state)

    def retry(
        self,
        lease: Lease,
        *,
        not_before: float | None,
        message: str | None = None,
        log_path: str | None = None,
    ) -> None:
        with self._transaction() as conn:
            now = self.now()
            delay = not_before if not_before is not None and not_before > now else None
            row_id, _, attempts, _ = self._held(conn, lease, running=True)
            self._requeue(
                conn,
                row_id,
                lease.app,
                lease.job_id,
                attempts=attempts,
                worker=lease.worker,
                attempt=lease.attempt,
                message=message,
                now=now,
            )
            conn.execute(
                "UPDATE jobs SET not_before = ?, last_error = ?,"
                " log_path = coalesce(?, log_path) WHERE id = ?",
                (delay, message, log_path, row_id),
            )

    def release(self, lease: Lease) -> None:
        with self._transaction() as conn:
            now = self.now()
            row = self._find_held(conn, lease)
            if row is None:
                return
            row_id, state, attempts, _ = row
            if state == State.RUNNING.value:
                self._requeue(
                    conn,
                    row_id,
                    lease.app,
                    lease.job_id,
                    attempts=attempts - 1,
                    worker=lease.worker,
                    attempt=lease.attempt,
                    message="given back",
                    now=now,
                )
            else:
                conn.execute(
                    "UPDATE jobs SET effects_pending = 0, lease_owner = NULL,"
                    " lease_expires = NULL, updated_at = ? WHERE id = ?",
                    (now, row_id),
                )

    # --- reading ----------------------------------------------------------------------

    def now(self) -> float:
        return self._clock()

    def get(self, app: str, job_id: str) -> JobRecord | None:
        with self._transaction(write=False) as conn:
            row = conn.execute(
                f"SELECT {RECORD_COLUMNS} FROM jobs WHERE app = ? AND job_id = ?", (app, job_id)
            ).fetchone()
        return None if row is None else self._to_record(row)

    def get_states(self, keys: Sequence[JobKey]) -> dict[JobKey, State]:
        states: dict[JobKey, State] = {}
        with self._transaction(write=False) as conn:
            for app, job_id in keys:
                row = conn.execute(
                    "SELECT state FROM jobs WHERE app = ? AND job_id = ?", (app, job_id)
                ).fetchone()
                if row is not None:
                    states[(app, job_id)] = State(row[0])
        return states

    def history(self, app: str, job_id: str) -> list[Transition]:
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT at, state, worker, attempt, message FROM history"
                " WHERE app = ? AND job_id = ? ORDER BY id",
                (app, job_id),
            ).fetchall()
        return [
            Transition(at, State(state), worker, attempt, message)
            for at, state, worker, attempt, message in rows
        ]

    def list_jobs(
        self,
        app: str | None = None,
        states: Iterable[State] | None = None,
        limit: int | None = None,
    ) -> list[JobRecord]:
        conditions: list[str] = []
        params: list[Any] = []
        if states is not None:
            values = sorted({State(s).value for s in states})
            if not values:
                return []
            conditions.append(f"state IN ({', '.join('?' * len(values))})")
            params.extend(values)
        if app is not None:
            conditions.append("app = ?")
            params.append(app)
        sql = f"SELECT {RECORD_COLUMNS} FROM jobs"
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        sql += " ORDER BY app, job_id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._transaction(write=False) as conn:
            rows = conn.execute(sql, params).fetchall()
        return [self._to_record(row) for row in rows]

    def counts(self, app: str | None = None) -> dict[str, dict[State, int]]:
        # Naming every state lets the (state, app) index answer a per-app count.
        all_states = [s.value for s in State]
        placeholders = ", ".join("?" * len(all_states))
        sql = f"SELECT app, state, count(*) FROM jobs WHERE state IN ({placeholders})"
        params: list[Any] = all_states
        if app is not None:
            sql += " AND app = ?"
            params = [*all_states, app]
        counts: dict[str, dict[State, int]] = {}
        with self._transaction(write=False) as conn:
            for name, state, number in conn.execute(sql + " GROUP BY app, state", params):
                counts.setdefault(name, {})[State(state)] = number
        return counts

    def queue_size(self, app: str, *, queued: bool = True, taken: bool = True) -> int:
        states = [s for s, wanted in (("queued", queued), ("running", taken)) if wanted]
        if not states:
            return 0
        with self._transaction(write=False) as conn:
            size: int = conn.execute(
                f"SELECT count(*) FROM jobs WHERE state IN ({', '.join('?' * len(states))})"
                " AND app = ?",
                (*states, app),
            ).fetchone()[0]
        return size

    def close(self) -> None:
        """Close every connection this process opened; a later call opens new ones."""
        with self._connections_lock:
            connections = [c for c in self._connections if c.pid == os.getpid()]
            self._connections.clear()
            self._generation += 1
        for conn in connections:
            conn.close()
