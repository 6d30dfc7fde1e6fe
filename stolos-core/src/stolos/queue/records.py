"""The records a queue backend stores and returns: job states, job records, leases."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class State(str, Enum):
    """A job's state.

    The original had four (pending, completed, failed, skipped); the finer ``queued``,
    ``running``, ``waiting`` and ``upstream_failed`` all read as ``pending`` through the
    compatibility view :data:`COMPAT`.
    """

    PENDING = "pending"  # known but not queued (submitted with queue=False, or reset)
    QUEUED = "queued"  # in its app's queue (perhaps delayed until not_before)
    RUNNING = "running"  # held by a worker's lease
    WAITING = "waiting"  # parked by bubble up until its parents complete
    COMPLETED = "completed"
    FAILED = "failed"  # out of attempts
    SKIPPED = "skipped"  # fails valid_if_or, or a parent was skipped
    UPSTREAM_FAILED = "upstream_failed"  # an ancestor failed; re-queued when it is re-added

    def __str__(self) -> str:
        return self.value


FINISHED = frozenset({State.COMPLETED, State.FAILED, State.SKIPPED, State.UPSTREAM_FAILED})
"""States in which a job holds no place in a queue and needs no worker."""
TAKEN = frozenset({State.RUNNING})
"""States that ``queue_size(taken=True)`` counts: a worker holds the job to run it."""

COMPAT: dict[State, str] = {
    State.PENDING: "pending",
    State.QUEUED: "pending",
    State.RUNNING: "pending",
    State.WAITING: "pending",
    State.UPSTREAM_FAILED: "pending",
    State.COMPLETED: "completed",
    State.FAILED: "failed",
    State.SKIPPED: "skipped",
}
"""The original's view of each state (``check_state(pending=True)`` and friends)."""

DEFAULT_PRIORITY = 100


@dataclass(frozen=True)
class JobRecord:
    """Everything a backend stores about one job (except its history)."""

    app: str
    job_id: str
    state: State
    priority: int = DEFAULT_PRIORITY
    attempts: int = 0  # attempts started (a claim counts; a park or give-back does not)
    wake: bool = False  # a parent completed while this job was leased
    lease_owner: str | None = None
    lease_token: int = 0
    lease_expires: float | None = None
    not_before: float | None = None  # a delayed retry is not claimed before this time
    effects_pending: bool = False  # finished, but bubble-down not yet confirmed
    last_error: str | None = None
    log_path: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass(frozen=True)
class Lease:
    """A worker's time-limited claim on a job, returned by ``claim``.

    ``token`` is the fencing token: every later write names it, and a backend refuses
    the write (``LeaseLost``) when the record's token differs or the lease expired and
    was handed to someone else.  ``resume`` is true when the job had already finished
    (``state`` is its finished state) but the worker that finished it died before
    confirming its effects: the new holder must redo them (idempotent) and release.
    """

    app: str
    job_id: str
    token: int
    worker: str
    attempt: int
    expires: float
    state: State = State.RUNNING
    resume: bool = False


@dataclass(frozen=True)
class Transition:
    """One entry of a job's append-only history."""

    at: float
    state: State
    worker: str | None = None
    attempt: int = 0
    message: str | None = None


@dataclass(frozen=True)
class WakeRequest:
    """Make a job runnable: used by bubble down (children) and bubble up (parents).

    When the job does not exist it is created ``queued``, or ``skipped`` with
    ``skip_reason`` when it fails its app's ``valid_if_or``.
    """

    app: str
    job_id: str
    priority: int = DEFAULT_PRIORITY
    skip_reason: str | None = None


@dataclass(frozen=True)
class EnqueueRequest:
    """Submit one job if it does not exist yet: one item of ``enqueue_many``, with the
    arguments of ``enqueue``.

    A new job becomes ``skipped`` when ``skip_reason`` is given (it fails its app's
    ``valid_if_or``), else ``queued``, or ``pending`` with ``queue=False``.
    """

    app: str
    job_id: str
    priority: int = DEFAULT_PRIORITY
    queue: bool = True
    skip_reason: str | None = None
