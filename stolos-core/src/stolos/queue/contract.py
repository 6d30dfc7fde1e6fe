"""The queue-backend contract: what the scheduler needs from shared storage.

The scheduler owns the logic; a backend owns storage and atomicity.  Every method below is
atomic on one job record (one SQLite transaction, one Redis Lua script, one ZooKeeper
multi-op); methods that take many records (``enqueue_many``, ``wake``, ``mark``,
``get_states``) apply an idempotent step per record and should batch them into one round
trip where the backend allows.  Per job the contract guarantees:

* idempotent enqueue: submitting a known job changes nothing (``readd`` is explicit);
* exclusive claim: two live leases on one job never exist;
* leases with fencing: every write after ``claim`` names the lease's token and fails with
  :class:`~stolos.errors.LeaseLost` when the lease expired and was re-issued, so a worker
  that lost its lease cannot overwrite what another wrote;
* finish and bubble-down cannot be half-done: ``finish`` keeps the lease and marks the
  record ``effects_pending`` until ``release``; if the worker dies in between, ``claim``
  hands the finished job out again with ``resume=True`` so another worker repeats the
  (idempotent) bubble-down;
* no lost wake-up: ``wake`` on a leased job sets its wake flag, and ``park`` of a job
  whose flag is set queues it again instead of leaving it waiting;
* priorities are numeric (lower first: 1 before 20 before 100), FIFO within a priority;
  a job queued again goes to the back of its priority;
* bounded cost: claim and finish cost a constant number of round trips whatever the
  queue length.

Two things a networked backend must also decide, and document: a call re-sent after its
reply was lost must get the first call's answer rather than ``LeaseLost`` (the Redis
backend remembers the last call that changed a record), while a lost ``claim`` reply may
simply leave the job leased until the lease expires (the attempt is counted, as after a
crash); and order *across* apps within one priority may be approximate (queue order
inside one app is exact).

:class:`stolos.testing.QueueBackendConformance` checks all of it; every backend runs it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence

from stolos.queue.records import (
    DEFAULT_PRIORITY,
    EnqueueRequest,
    JobRecord,
    Lease,
    State,
    Transition,
    WakeRequest,
)

JobKey = tuple[str, str]
"""``(app, job_id)``."""


class QueueBackend(ABC):
    """Shared job records and per-app priority queues.  See the module docstring."""

    name: str = "?"
    default_lease_timeout: float | None = None
    """The lease length this backend's own options ask for, used when neither
    ``--lease-timeout`` nor ``STOLOS_LEASE_TIMEOUT`` is given."""

    # --- submission ---------------------------------------------------------------------

    @abstractmethod
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
        """Create the job if it does not exist; never change an existing one.

        A new job becomes ``skipped`` (with ``skip_reason`` as its last error) when a
        reason is given, else ``queued`` (or ``pending`` with ``queue=False``).  Returns
        ``(created, state after the call)``.
        """

    def enqueue_many(
        self, requests: Sequence[EnqueueRequest], *, worker: str | None = None
    ) -> list[tuple[bool, State]]:
        """``enqueue`` each request in order; returns each one's ``(created, state)``.

        Each job is created if absent exactly as by ``enqueue``: atomic on that job and
        idempotent; the batch as a whole is not atomic.  A job named twice is created
        once (the second answer has ``created`` false), and new jobs take their places in
        their queues in request order.  Batching is only an optimization: this default
        calls ``enqueue`` once per request; a backend overrides it to send many in one
        round trip or transaction.
        """
        return [
            self.enqueue(
                r.app,
                r.job_id,
                priority=r.priority,
                queue=r.queue,
                skip_reason=r.skip_reason,
                worker=worker,
            )
            for r in requests
        ]

    @abstractmethod
    def readd(
        self,
        app: str,
        job_id: str,
        *,
        priority: int = DEFAULT_PRIORITY,
        skip_reason: str | None = None,
        worker: str | None = None,
    ) -> State | None:
        """Queue the job again from scratch; returns its state before the call.

        Absent: created as by ``enqueue``.  ``queued`` or ``running``: unchanged (the
        scheduler reports it as already queued).  Any other state: reset to ``queued``
        (or ``skipped`` with a reason) with zero attempts, no wake flag, no delay and no
        last error, at the back of its priority.
        """

    @abstractmethod
    def wake(self, requests: Sequence[WakeRequest], *, worker: str | None = None) -> list[State]:
        """Make each job runnable, idempotently; returns each job's resulting state.

        Absent: created ``queued`` (``skipped`` with the request's reason).
        ``pending`` or ``waiting``: queued.  ``running``: its wake flag is set.
        Anything else: unchanged.
        """

    @abstractmethod
    def mark(
        self,
        keys: Sequence[JobKey],
        state: State,
        *,
        only_from: Iterable[State],
        message: str | None = None,
        worker: str | None = None,
    ) -> list[bool]:
        """Set ``state`` on each existing job whose current state is in ``only_from``
        (and that holds no live lease); returns which ones changed.  Used to propagate
        ``upstream_failed`` / ``skipped`` and to reset descendants on a re-add.
        Setting ``queued`` puts the job at the back of its priority."""

    # --- claiming and finishing ---------------------------------------------------------

    @abstractmethod
    def claim(
        self, worker: str, lease_seconds: float, apps: Sequence[str] | None = None
    ) -> Lease | None:
        """Take the next job of ``apps`` (all apps when ``None``), or ``None``.

        First, jobs whose lease expired are dealt with: a ``running`` one goes back to
        the queue (its attempt stays counted); a finished one with effects pending is
        returned with ``resume=True``.  Otherwise the next ``queued`` job whose
        ``not_before`` has passed, by (priority, queue order), becomes ``running`` with
        ``attempts + 1`` and a fresh, larger fencing token.
        """

    @abstractmethod
    def renew(self, lease: Lease, lease_seconds: float) -> Lease:
        """Extend the lease (heartbeat); ``LeaseLost`` if it is no longer held."""

    @abstractmethod
    def park(self, lease: Lease, *, message: str | None = None) -> State:
        """Bubble up: the job's parents are not complete.  Release the lease and make
        the job ``waiting``, or ``queued`` again if its wake flag was set meanwhile
        (returned).  The attempt is not counted.  ``LeaseLost`` if not held."""

    @abstractmethod
    def finish(
        self,
        lease: Lease,
        state: State,
        *,
        message: str | None = None,
        log_path: str | None = None,
        release: bool = False,
    ) -> Lease:
        """Write a finished state (``completed``, ``failed``, ``skipped``,
        ``upstream_failed``) while keeping the lease, with effects pending until
        ``release``.  ``LeaseLost`` if not held; nothing is written then.

        With ``release=True`` the caller asserts the job has no effects to settle (no
        children to wake or mark): the state is written and the lease released in the
        same atomic step, with no effects pending, saving the separate ``release``.  On a
        networked backend a resend after a lost reply answers as the first call did."""

    @abstractmethod
    def retry(
        self,
        lease: Lease,
        *,
        not_before: float | None,
        message: str | None = None,
        log_path: str | None = None,
    ) -> None:
        """The attempt failed and another is allowed: queue the job again (not claimable
        before ``not_before``, a time on the backend's clock) and release the lease.
        ``LeaseLost`` if not held."""

    @abstractmethod
    def release(self, lease: Lease) -> None:
        """Let go of a lease.  After ``finish``: confirms the effects are done.  On a job
        still ``running`` (shutdown): gives it back to the queue without counting the
        attempt.  A lease that is no longer held is ignored."""

    # --- reading ------------------------------------------------------------------------

    @abstractmethod
    def now(self) -> float:
        """The backend's clock (seconds since the epoch), used for leases and delays."""

    @abstractmethod
    def get(self, app: str, job_id: str) -> JobRecord | None:
        """The job's record, or ``None`` if it was never submitted."""

    @abstractmethod
    def get_states(self, keys: Sequence[JobKey]) -> dict[JobKey, State]:
        """States of many jobs in one round trip; absent jobs are left out."""

    @abstractmethod
    def history(self, app: str, job_id: str) -> list[Transition]:
        """The job's transitions, oldest first."""

    @abstractmethod
    def list_jobs(
        self,
        app: str | None = None,
        states: Iterable[State] | None = None,
        limit: int | None = None,
    ) -> list[JobRecord]:
        """Jobs of one app (or all), optionally only in ``states``, ordered by app then
        job_id.  Must use an index or per-state set: never a scan of all keys."""

    @abstractmethod
    def counts(self, app: str | None = None) -> dict[str, dict[State, int]]:
        """Number of jobs per app and state (states with no job may be left out)."""

    @abstractmethod
    def queue_size(self, app: str, *, queued: bool = True, taken: bool = True) -> int:
        """Jobs of ``app`` that are queued (including delayed retries) and/or taken
        (``running``)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
