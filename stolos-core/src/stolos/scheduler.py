"""Scheduling over any queue backend: submit, re-add, bubble up, bubble down, retries.

The scheduler owns the logic; the backend owns storage and atomicity (see
:mod:`stolos.queue.contract`).  Differences from the original, on purpose:

* bubble down reads the states of all of a child's parents after writing its own
  completion, instead of counting completions (no counters to drift; B11);
* a job whose parents are incomplete queues the missing ones and *parks* (waits without a
  place in the queue) until the last parent wakes it: no busy cycling (B4, B6, B7);
* a failed parent marks its waiting descendants ``upstream_failed``; a skipped parent
  marks them ``skipped``; re-adding the parent puts them back (B4);
* a crashed or timed-out attempt counts toward ``max_retry`` (B3, B13), and re-adding a
  job resets its attempts (B2).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stolos.config.model import AppConfig
from stolos.errors import InvalidJobId, JobAlreadyQueued, LeaseLost, StolosError
from stolos.queue import (
    DEFAULT_PRIORITY,
    FINISHED,
    EnqueueRequest,
    JobKey,
    JobRecord,
    Lease,
    QueueBackend,
    State,
    WakeRequest,
)

if TYPE_CHECKING:
    from stolos.engine import Stolos

log = logging.getLogger("stolos.scheduler")

STATE_READ_CHUNK = 256
FIRST_STATE_READ = 4  # a scan resumed at its hint usually stops within the first reads
PARENT_CACHE_SIZE = 4096
DEFAULT_RETRY_DELAY_MAX = 3600.0


@dataclass(frozen=True)
class Submitted:
    """The outcome of submitting one job."""

    app: str
    job_id: str
    created: bool
    state: State


@dataclass
class ClaimedJob:
    """A job the worker may run now: its lease, app and typed identifiers."""

    lease: Lease
    app: AppConfig
    identifiers: dict[str, Any]

    @property
    def key(self) -> JobKey:
        return (self.lease.app, self.lease.job_id)


@dataclass
class _ParentScan:
    """Per-child memory of where the last scan of its parents stopped (a hint only)."""

    parents: tuple[JobKey, ...]
    hint: int = 0


@dataclass
class GroupReport:
    """One dependency group of a job, for ``explain``: how many of its parents are
    complete, and the first incomplete ones with their states (``None``: never submitted)."""

    name: str
    parents: int = 0
    complete: int = 0
    incomplete: list[tuple[JobKey, State | None]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "parents": self.parents,
            "complete": self.complete,
            "incomplete": self.parents - self.complete,
            "incomplete_parents": [
                {"app": app, "job_id": job_id, "state": state.value if state else None}
                for (app, job_id), state in self.incomplete
            ],
        }


class Scheduler:
    """Scheduling decisions for one :class:`~stolos.engine.Stolos`."""

    def __init__(self, stolos: Stolos) -> None:
        self.stolos = stolos
        self._scans: OrderedDict[JobKey, _ParentScan] = OrderedDict()

    def forget_dependencies(self) -> None:
        """Drop what was cached from the dependency graph (after a configuration reload)."""
        self._scans.clear()

    @property
    def queue(self) -> QueueBackend:
        return self.stolos.queue

    # --- per-app settings -------------------------------------------------------------

    def max_attempts(self, app: AppConfig) -> int:
        return int(app.get("max_retry") or self.stolos.options["max_retry"])

    def retry_delay(self, app: AppConfig, attempt: int) -> float:
        """Seconds before the next attempt: ``retry_delay`` doubled per attempt so far,
        capped at ``retry_delay_max``."""
        base = float(app.get("retry_delay", 0))
        cap = float(app.get("retry_delay_max", DEFAULT_RETRY_DELAY_MAX))
        return float(min(base * 2 ** max(attempt - 1, 0), cap))

    def _skip_reason(self, app: str, job_id: str) -> str | None:
        return self.stolos.dag.skip_reason(app, job_id)

    # --- submission -------------------------------------------------------------------

    def validate_jobs(self, pairs: Iterable[JobKey]) -> list[JobKey]:
        """Parse every job_id first, so that a batch with one bad job changes nothing."""
        pairs = list(pairs)
        for app, job_id in pairs:
            self.stolos.parse_job_id(app, job_id)
        return pairs

    def submit(
        self,
        pairs: Iterable[JobKey],
        *,
        priority: int | None = None,
        queue: bool = True,
        worker: str | None = None,
    ) -> list[Submitted]:
        """Submit jobs, all or nothing: any invalid app or job_id raises before any write.
        A job that already exists is left unchanged (``created`` is false).  The jobs go
        to the backend in one ``enqueue_many`` call, which batches them."""
        requests = [
            EnqueueRequest(
                app,
                job_id,
                priority=DEFAULT_PRIORITY if priority is None else priority,
                queue=queue,
                skip_reason=self._skip_reason(app, job_id),
            )
            for app, job_id in self.validate_jobs(pairs)
        ]
        answers = self.queue.enqueue_many(requests, worker=worker)
        return [
            Submitted(r.app, r.job_id, created, state)
            for r, (created, state) in zip(requests, answers, strict=True)
        ]

    def readd(
        self,
        app: str,
        job_id: str,
        *,
        priority: int | None = None,
        reset_descendants: bool = True,
        worker: str | None = None,
    ) -> State | None:
        """Queue a known job again from scratch (attempts reset); returns its previous
        state.  Descendants that a failure had marked ``upstream_failed`` (and, with
        ``reset_descendants``, every finished descendant) go back to ``pending``, to be
        woken when their parents complete.  ``JobAlreadyQueued`` if queued or running."""
        self.stolos.parse_job_id(app, job_id)
        previous = self.queue.readd(
            app,
            job_id,
            priority=DEFAULT_PRIORITY if priority is None else priority,
            skip_reason=self._skip_reason(app, job_id),
            worker=worker,
        )
        if previous in (State.QUEUED, State.RUNNING):
            raise JobAlreadyQueued(f"job {job_id!r} is already {previous.value}", app=app)
        reset_from = set(FINISHED) if reset_descendants else {State.UPSTREAM_FAILED, State.SKIPPED}
        self._walk_descendants(
            (app, job_id),
            State.PENDING,
            reset_from,
            f"reset: ancestor {app} {job_id} re-added",
            worker,
        )
        return previous

    # --- claiming: what a worker calls ------------------------------------------------

    def claim(
        self, worker: str, lease_seconds: float, apps: Sequence[str] | None = None
    ) -> ClaimedJob | None:
        """The next job that may run now, or ``None`` when nothing is runnable.

        Jobs that cannot run are settled on the way: a finished job whose worker died
        before its bubble-down gets it repeated; an unparsable job_id, a job out of
        attempts, a job that fails ``valid_if_or`` or has a failed or skipped parent is
        finished; a job with incomplete parents queues them and parks.
        """
        while True:
            lease = self.queue.claim(worker, lease_seconds, apps)
            if lease is None:
                return None
            try:
                claimed = self._prepare(lease)
            except LeaseLost:
                log.warning("lease lost while preparing %s %s", lease.app, lease.job_id)
                continue
            if claimed is not None:
                return claimed

    def _prepare(self, lease: Lease) -> ClaimedJob | None:
        if lease.resume:
            log.info("repeating the effects of %s %s (%s)", lease.app, lease.job_id, lease.state)
            self._settle(lease, lease.state)
            return None
        try:
            app = self.stolos.app(lease.app)
            identifiers = self.stolos.parse_job_id(lease.app, lease.job_id)
        except StolosError as exc:
            self._finish(lease, State.FAILED, f"invalid job: {exc.message}")
            return None
        if lease.attempt > self.max_attempts(app):
            self._finish(
                lease,
                State.FAILED,
                f"gave up after {lease.attempt - 1} attempts (the last worker lost its lease)",
            )
            return None
        reason = self._skip_reason(lease.app, lease.job_id)
        if reason:
            self._finish(lease, State.SKIPPED, reason)
            return None
        blocked = self._bubble_up(lease)
        if blocked is None:
            return ClaimedJob(lease, app, identifiers)
        return None

    def _bubble_up(self, lease: Lease) -> str | None:
        """``None`` if every parent is complete; otherwise settle the job (park it, or
        finish it when a parent failed or was skipped) and say why."""
        missing: list[WakeRequest] = []
        waiting_on = 0
        for (papp, pjob), state in self._parent_states((lease.app, lease.job_id)):
            if state is State.COMPLETED:
                continue
            if state in (State.FAILED, State.UPSTREAM_FAILED):
                message = f"parent {papp} {pjob} is {state.value}"
                self._finish(lease, State.UPSTREAM_FAILED, message)
                return message
            if state is State.SKIPPED:
                message = f"parent {papp} {pjob} was skipped"
                self._finish(lease, State.SKIPPED, message)
                return message
            waiting_on += 1
            if state in (None, State.PENDING):
                missing.append(WakeRequest(papp, pjob, skip_reason=self._skip_reason(papp, pjob)))
        if not waiting_on:
            return None
        if missing:
            woken = self.queue.wake(missing, worker=lease.worker)
            for request, state in zip(missing, woken, strict=True):
                if state is State.SKIPPED:  # the parent fails its own valid_if_or
                    message = f"parent {request.app} {request.job_id} was skipped"
                    self._finish(lease, State.SKIPPED, message)
                    return message
        message = f"waiting for {waiting_on} parent job(s)"
        self.queue.park(lease, message=message)
        return message

    # --- finishing: what a worker calls after running ----------------------------------

    def succeeded(self, job: ClaimedJob, log_path: str | None = None) -> None:
        """Write ``completed``, queue the children it made runnable, release."""
        self._finish_and_settle(job.lease, State.COMPLETED, None, log_path)

    def failed(self, job: ClaimedJob, error: str, log_path: str | None = None) -> State:
        """A failed attempt: retry later if attempts remain, else fail the job and mark
        its waiting descendants.  Returns the state written (``queued`` or ``failed``)."""
        if job.lease.attempt < self.max_attempts(job.app):
            delay = self.retry_delay(job.app, job.lease.attempt)
            not_before = self.queue.now() + delay if delay > 0 else None
            self.queue.retry(job.lease, not_before=not_before, message=error, log_path=log_path)
            return State.QUEUED
        self._finish(job.lease, State.FAILED, error, log_path)
        return State.FAILED

    def give_back(self, job: ClaimedJob) -> None:
        """The worker stops before running the job: return it to the queue uncounted."""
        self.queue.release(job.lease)

    def _finish(
        self, lease: Lease, state: State, message: str, log_path: str | None = None
    ) -> None:
        log.info("%s %s -> %s: %s", lease.app, lease.job_id, state.value, message)
        self._finish_and_settle(lease, state, message, log_path)

    def _finish_and_settle(
        self, lease: Lease, state: State, message: str | None, log_path: str | None
    ) -> None:
        """Write the finished state, then settle its effects.  A job without children
        has none: it finishes and releases its lease in one backend call."""
        if not self._has_children((lease.app, lease.job_id)):
            self.queue.finish(lease, state, message=message, log_path=log_path, release=True)
            return
        lease = self.queue.finish(lease, state, message=message, log_path=log_path)
        self._settle(lease, state)

    def _settle(self, lease: Lease, state: State) -> None:
        """The effects of a finished job (idempotent, repeated after a crash), then
        release: completed jobs wake their runnable children; failed or skipped ones
        mark their waiting descendants."""
        key = (lease.app, lease.job_id)
        if state is State.COMPLETED:
            self._bubble_down(key, lease.worker)
        elif self._parses(key):  # a job_id that does not parse has no descendants
            mark = State.SKIPPED if state is State.SKIPPED else State.UPSTREAM_FAILED
            self._walk_descendants(
                key,
                mark,
                {State.WAITING, State.PENDING},
                f"{lease.app} {lease.job_id} is {state.value}",
                lease.worker,
            )
        self.queue.release(lease)

    # --- dependency walks -------------------------------------------------------------

    def _parses(self, key: JobKey) -> bool:
        try:
            self.stolos.parse_job_id(*key)
        except StolosError:
            return False
        return True

    def _has_children(self, key: JobKey) -> bool:
        """Whether any job depends on ``key`` (a job_id that does not parse has none)."""
        return self._parses(key) and next(self.stolos.dag.children(*key), None) is not None

    def _children(self, key: JobKey) -> list[JobKey]:
        seen: dict[JobKey, None] = {}
        for dep in self.stolos.dag.children(*key):
            seen.setdefault((dep.app_name, dep.job_id), None)
        return list(seen)

    def _scan_for(self, child: JobKey) -> _ParentScan:
        scan = self._scans.get(child)
        if scan is None:
            parents = dict.fromkeys((d.app_name, d.job_id) for d in self.stolos.dag.parents(*child))
            scan = _ParentScan(tuple(parents))
            self._scans[child] = scan
            if len(self._scans) > PARENT_CACHE_SIZE:
                self._scans.popitem(last=False)
        else:
            self._scans.move_to_end(child)
        return scan

    def _all_parents_complete(self, child: JobKey, completed: JobKey) -> bool:
        """Read the parents' current states, starting where the last scan stopped (a
        parent found incomplete then is the likeliest to be incomplete now), wrapping
        around; stops at the first incomplete one.  Amortized O(1) reads per completion
        for a large fan-in, instead of reading every parent every time: the first read
        asks for a few states, each next one for twice as many, up to a full chunk.
        ``completed`` is the parent whose completion is being settled: its state is
        known, so a child with no other parent costs no read."""
        scan = self._scan_for(child)
        n = len(scan.parents)
        checked = 0
        size = FIRST_STATE_READ
        while checked < n:
            start = (scan.hint + checked) % n
            chunk = [scan.parents[(start + i) % n] for i in range(min(size, n - checked))]
            others = [parent for parent in chunk if parent != completed]
            states = self.queue.get_states(others) if others else {}
            for offset, parent in enumerate(chunk):
                if parent != completed and states.get(parent) is not State.COMPLETED:
                    scan.hint = (start + offset) % n
                    return False
            checked += len(chunk)
            size = min(size * 2, STATE_READ_CHUNK)
        return True

    def _parent_states(self, child: JobKey) -> Iterator[tuple[JobKey, State | None]]:
        """Every parent of ``child`` with its state (``None``: never submitted), read in
        chunks so that a huge fan-in streams."""
        batch: list[JobKey] = []
        for dep in self.stolos.dag.parents(*child):
            batch.append((dep.app_name, dep.job_id))
            if len(batch) == STATE_READ_CHUNK:
                yield from self._states_of(batch)
                batch = []
        if batch:
            yield from self._states_of(batch)

    def _states_of(self, keys: list[JobKey]) -> Iterator[tuple[JobKey, State | None]]:
        states = self.queue.get_states(keys)
        for key in keys:
            yield key, states.get(key)

    def _bubble_down(self, parent: JobKey, worker: str | None) -> None:
        """Wake every child of ``parent`` whose parents are now all complete."""
        wake = [
            WakeRequest(app, job_id, skip_reason=self._skip_reason(app, job_id))
            for app, job_id in self._children(parent)
            if self._all_parents_complete((app, job_id), parent)
        ]
        if wake:
            self.queue.wake(wake, worker=worker)

    def _walk_descendants(
        self,
        root: JobKey,
        state: State,
        only_from: set[State],
        message: str,
        worker: str | None,
    ) -> int:
        """Set ``state`` on existing descendants in ``only_from``, breadth first; the walk
        continues only through the ones it changed.  Returns how many changed."""
        changed = 0
        frontier: deque[JobKey] = deque([root])
        seen = {root}
        while frontier:
            children = [c for c in self._children(frontier.popleft()) if c not in seen]
            seen.update(children)
            if not children:
                continue
            flags = self.queue.mark(
                children, state, only_from=only_from, message=message, worker=worker
            )
            for child, flag in zip(children, flags, strict=True):
                if flag:
                    changed += 1
                    frontier.append(child)
        return changed

    # --- reading ----------------------------------------------------------------------

    def explain(self, app: str, job_id: str, limit: int = 20) -> dict[str, Any]:
        """Why a job is or is not running, as JSON-able data: its record, its
        ``valid_if_or`` verdict, each dependency group with its count of complete parents
        and the first ``limit`` incomplete ones, its last transitions, and what a user can
        do.  A job_id that does not parse is explained only if it was queued anyway."""
        record = self.queue.get(app, job_id)
        try:
            self.stolos.parse_job_id(app, job_id)
        except InvalidJobId as exc:
            if record is None:
                raise
            invalid: str | None = exc.message
            groups: list[GroupReport] = []
            reason = None
        else:
            invalid = None
            groups = self._group_reports(app, job_id, limit)
            reason = self._skip_reason(app, job_id)
        now = self.queue.now()
        return {
            "app": app,
            "job_id": job_id,
            "state": record.state.value if record else None,
            "attempts": record.attempts if record else 0,
            "max_attempts": self.max_attempts(self.stolos.app(app)),
            "last_error": record.last_error if record else None,
            "log_path": record.log_path if record else None,
            "priority": record.priority if record else None,
            "not_before": record.not_before if record else None,
            "lease_owner": record.lease_owner if record else None,
            "lease_expires": record.lease_expires if record else None,
            "updated_at": record.updated_at if record else None,
            "invalid_job_id": invalid,
            "valid_if_or": {
                "configured": self.stolos.app(app).valid_if_or is not None,
                "passes": reason is None,
                "reason": reason,
            },
            "groups": [g.to_dict() for g in groups],
            "history": [
                {
                    "at": t.at,
                    "state": t.state.value,
                    "worker": t.worker,
                    "attempt": t.attempt,
                    "message": t.message,
                }
                for t in (self.queue.history(app, job_id)[-10:] if record else [])
            ],
            "advice": _advice(record, groups, reason, invalid, now),
        }

    def _group_reports(self, app: str, job_id: str, limit: int) -> list[GroupReport]:
        """Parents per dependency group with their states, streamed in chunks."""
        groups: dict[str, GroupReport] = {}
        batch: list[Any] = []

        def count(deps: list[Any]) -> None:
            states = self.queue.get_states([(d.app_name, d.job_id) for d in deps])
            for dep in deps:
                key = (dep.app_name, dep.job_id)
                report = groups.setdefault(dep.group, GroupReport(dep.group))
                report.parents += 1
                if states.get(key) is State.COMPLETED:
                    report.complete += 1
                elif len(report.incomplete) < limit:
                    report.incomplete.append((key, states.get(key)))

        for dep in self.stolos.dag.parents(app, job_id):
            batch.append(dep)
            if len(batch) == STATE_READ_CHUNK:
                count(batch)
                batch = []
        count(batch)
        return list(groups.values())


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


def _advice(
    record: JobRecord | None,
    groups: list[GroupReport],
    skip_reason: str | None,
    invalid: str | None,
    now: float,
) -> str:
    """One sentence: what the job's state means and what a user can do about it."""
    incomplete = sum(g.parents - g.complete for g in groups)
    unsubmitted = [k for g in groups for k, state in g.incomplete if state is None]
    failed = [
        k
        for g in groups
        for k, state in g.incomplete
        if state in (State.FAILED, State.UPSTREAM_FAILED)
    ]
    if invalid:
        return f"its job_id does not parse ({invalid}); it can never run"
    if skip_reason:
        return f"it fails valid_if_or ({skip_reason}); it is skipped whenever it is queued"
    if record is None:
        return "it was never submitted; `stolos submit APP JOB_ID` queues it and its parents"
    state = record.state
    if state is State.QUEUED and record.not_before and record.not_before > now:
        return (
            f"attempt {record.attempts} failed; it is queued for a retry "
            f"not before {_when(record.not_before)}"
        )
    if state is State.QUEUED and incomplete:
        return (
            f"it is queued; a worker that takes it will queue its {incomplete} incomplete "
            "parent job(s) and park it until they complete"
        )
    if state is State.WAITING and unsubmitted:
        (papp, pjob) = unsubmitted[0]
        return (
            f"it waits for {incomplete} incomplete parent job(s), some never submitted; "
            f"`stolos submit {papp} {pjob}` queues one"
        )
    if state is State.UPSTREAM_FAILED and failed:
        (papp, pjob) = failed[0]
        return (
            f"its ancestor failed: fix it, then `stolos reset {papp} {pjob}` "
            "(this job is queued again once that one completes)"
        )
    advice = {
        State.PENDING: "it is known but not queued: it is queued when its parents complete, "
        "or run `stolos reset APP JOB_ID`",
        State.QUEUED: "it is queued: a worker serving its app will take it "
        "(is one running? `stolos worker -a APP`)",
        State.RUNNING: f"worker {record.lease_owner} is running it (attempt {record.attempts})",
        State.WAITING: f"it waits for {incomplete} incomplete parent job(s) listed above; "
        "it is queued again when the last one completes",
        State.COMPLETED: "it is done; `stolos reset APP JOB_ID` runs it and its descendants again",
        State.FAILED: f"it failed all {record.attempts} attempt(s); fix the cause, then "
        "`stolos reset APP JOB_ID`",
        State.SKIPPED: "it was skipped; `stolos reset` on the skipped ancestor (or on it) "
        "runs it again",
        State.UPSTREAM_FAILED: "an ancestor failed; `stolos reset` on the failed ancestor "
        "queues this job again once the ancestor completes",
    }
    return advice[state]
